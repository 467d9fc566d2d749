//! `PolicyStore`: atomic swaps, rejected edits, and the directory watcher.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use warden_policies::{
    Mode, PolicyLoadError, PolicyStore, PolicyWatcher, ReloadOutcome, ScanCatalog,
};

const ENFORCE: &str = "version: 1\npolicies:\n  - name: default\n    mode: enforce\n";
const MONITOR: &str = "version: 1\npolicies:\n  - name: default\n    mode: monitor\n";
const BROKEN: &str = "version: 1\npolicies:\n  - name: default\n    mode: sometimes\n";

fn catalog() -> ScanCatalog {
    ScanCatalog::new(["py-eval"], ["python"])
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write policy file");
}

/// Writes through a temp file and renames it over the target, as many editors do.
fn write_by_rename(dir: &Path, name: &str, text: &str) {
    let tmp = dir.join(format!(".{name}.swp"));
    std::fs::write(&tmp, text).expect("write temp file");
    std::fs::rename(&tmp, dir.join(name)).expect("rename over policy file");
}

fn mode(store: &PolicyStore) -> Mode {
    store.load().default_policy.mode
}

/// Waits on the store's status channel (no fixed sleeps) until `done` holds or 2 s pass.
async fn wait_until(store: &PolicyStore, done: impl Fn(&PolicyStore) -> bool) -> Duration {
    let start = Instant::now();
    let mut rx = store.subscribe();
    while !done(store) {
        let left = Duration::from_secs(2).saturating_sub(start.elapsed());
        assert!(
            !left.is_zero(),
            "not reloaded within 2 s: {:?}",
            store.status()
        );
        // A change of status or the deadline, whichever comes first.
        let _ = tokio::time::timeout(left, rx.changed()).await;
    }
    start.elapsed()
}

#[test]
fn open_rejects_an_invalid_directory_with_every_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.yaml", BROKEN);
    let err = PolicyStore::open(dir.path(), catalog()).expect_err("invalid");
    let d = err.diagnostics().expect("diagnostics");
    assert_eq!(d.len(), 1);
    assert!(err.to_string().contains("a.yaml:4:11"), "{err}");
    let missing = PolicyStore::open(dir.path().join("nope"), catalog()).expect_err("missing");
    assert!(matches!(missing, PolicyLoadError::Read { .. }));
}

#[test]
fn reload_swaps_only_on_success_and_snapshots_survive() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.yaml", ENFORCE);
    let store = PolicyStore::open(dir.path(), catalog()).expect("valid");
    let snapshot = store.load();
    let v1 = snapshot.version.clone();

    // Nothing changed: unchanged, counted ok.
    let outcome = store.reload().expect("reload");
    assert_eq!(
        outcome,
        ReloadOutcome::Unchanged {
            version: v1.clone()
        }
    );

    // A good edit swaps; the old snapshot is untouched.
    write(dir.path(), "a.yaml", MONITOR);
    let outcome = store.reload().expect("reload");
    let ReloadOutcome::Swapped { previous, version } = outcome else {
        panic!("expected a swap, got {outcome:?}");
    };
    assert_eq!(previous, v1);
    assert_eq!(mode(&store), Mode::Monitor);
    assert_eq!(snapshot.default_policy.mode, Mode::Enforce);
    assert_eq!(snapshot.version, v1);

    // A bad edit is rejected; the running set stays.
    write(dir.path(), "a.yaml", BROKEN);
    let err = store.reload().expect_err("rejected");
    assert!(
        err.to_string().contains("unknown value `sometimes`"),
        "{err}"
    );
    assert_eq!(store.load().version, version);
    assert_eq!(mode(&store), Mode::Monitor);

    let status = store.status();
    assert_eq!((status.ok_total, status.rejected_total), (2, 1));
    assert_eq!(status.version, version);
    assert!(
        status
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("a.yaml:4:11"))
    );

    // Fixing it clears the error.
    write(dir.path(), "a.yaml", ENFORCE);
    store.reload().expect("reload");
    assert_eq!(store.status().last_error, None);
    assert_eq!(store.load().version, v1);
}

#[test]
fn builtin_store_runs_the_default_preset() {
    let store = PolicyStore::builtin(ScanCatalog::builtin()).expect("builtin");
    assert!(store.dir().is_none());
    assert_eq!(store.load().default_policy.name, "default");
    assert!(matches!(
        store.reload().expect("reload"),
        ReloadOutcome::Unchanged { .. }
    ));
}

#[tokio::test]
async fn watcher_applies_a_good_edit_within_2_seconds() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.yaml", ENFORCE);
    let store = Arc::new(PolicyStore::open(dir.path(), catalog()).expect("valid"));
    let _watcher = store.watch().expect("watch");
    write(dir.path(), "a.yaml", MONITOR);
    let took = wait_until(&store, |s| mode(s) == Mode::Monitor).await;
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[tokio::test]
async fn watcher_keeps_the_old_set_on_a_bad_edit_and_reports_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.yaml", ENFORCE);
    let store = Arc::new(PolicyStore::open(dir.path(), catalog()).expect("valid"));
    let version = store.load().version.clone();
    let _watcher = store.watch().expect("watch");
    write(dir.path(), "a.yaml", BROKEN);
    wait_until(&store, |s| s.status().rejected_total >= 1).await;
    assert_eq!(store.load().version, version);
    assert_eq!(mode(&store), Mode::Enforce);
    assert!(store.status().last_error.is_some());
}

#[tokio::test]
async fn watcher_handles_rename_over_the_file_and_new_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.yaml", ENFORCE);
    let store = Arc::new(PolicyStore::open(dir.path(), catalog()).expect("valid"));
    let _watcher = store.watch().expect("watch");
    write_by_rename(dir.path(), "a.yaml", MONITOR);
    wait_until(&store, |s| mode(s) == Mode::Monitor).await;

    // A new file with routes to a new policy is picked up too.
    write(
        dir.path(),
        "b.yaml",
        "version: 1\npolicies:\n  - name: team\nroutes:\n  - match: { path: \"/team/*\" }\n    policy: team\n",
    );
    wait_until(&store, |s| s.load().policies.contains_key("team")).await;
    assert_eq!(store.load().routes.len(), 1);
}

#[tokio::test]
async fn dropping_the_watcher_stops_reloading() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.yaml", ENFORCE);
    let store = Arc::new(PolicyStore::open(dir.path(), catalog()).expect("valid"));
    let watcher = store.watch().expect("watch");
    drop(watcher);
    write(dir.path(), "a.yaml", MONITOR);
    // A manual reload still works, and is the only one counted.
    store.reload().expect("reload");
    assert_eq!(store.status().ok_total, 1);
}

/// Kubernetes mounts a ConfigMap as symlinks through `..data`, and updates it by pointing a new
/// `..data` at a new directory (symlink created under a temp name, renamed over `..data`).
#[cfg(unix)]
#[tokio::test]
async fn watcher_follows_a_configmap_style_symlink_swap() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir(root.join("..v1")).expect("v1");
    write(&root.join("..v1"), "policy.yaml", ENFORCE);
    symlink("..v1", root.join("..data")).expect("..data");
    symlink("..data/policy.yaml", root.join("policy.yaml")).expect("policy.yaml link");
    let store = Arc::new(PolicyStore::open(root, catalog()).expect("valid"));
    assert_eq!(mode(&store), Mode::Enforce);
    let _watcher = store.watch().expect("watch");

    std::fs::create_dir(root.join("..v2")).expect("v2");
    write(&root.join("..v2"), "policy.yaml", MONITOR);
    symlink("..v2", root.join("..data_tmp")).expect("..data_tmp");
    std::fs::rename(root.join("..data_tmp"), root.join("..data")).expect("swap ..data");
    wait_until(&store, |s| mode(s) == Mode::Monitor).await;
}

/// Waits (up to a generous 5 s) on the status channel until `done` holds.
async fn eventually(store: &PolicyStore, what: &str, done: impl Fn(&PolicyStore) -> bool) {
    let patience = Duration::from_secs(5);
    let start = Instant::now();
    let mut rx = store.subscribe();
    while !done(store) {
        let left = patience.saturating_sub(start.elapsed());
        assert!(
            !left.is_zero(),
            "{what}: not within 5 s: {:?}",
            store.status()
        );
        let _ = tokio::time::timeout(left, rx.changed()).await;
    }
}

fn team(mode: &str) -> String {
    format!("version: 1\npolicies:\n  - name: team\n    mode: {mode}\n")
}

fn base(mode: &str) -> String {
    format!("version: 1\npolicies:\n  - name: default\n    mode: {mode}\n")
}

/// A directory laid out like a mounted ConfigMap (`cm.yaml -> ..data/cm.yaml`,
/// `..data -> ..<timestamp>`) next to a plain file `a.yaml` edited in place.
#[cfg(unix)]
struct Burst {
    dir: tempfile::TempDir,
    generation: usize,
}

#[cfg(unix)]
impl Burst {
    fn new() -> Burst {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(root, "a.yaml", &base("enforce"));
        std::fs::create_dir(root.join("..2026_01_01_00_00_00.0")).expect("first generation");
        write(
            &root.join("..2026_01_01_00_00_00.0"),
            "cm.yaml",
            &team("enforce"),
        );
        std::os::unix::fs::symlink("..2026_01_01_00_00_00.0", root.join("..data")).expect("..data");
        std::os::unix::fs::symlink("..data/cm.yaml", root.join("cm.yaml")).expect("cm.yaml link");
        Burst { dir, generation: 0 }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Edit number `i` with `text` for `a.yaml` (or `cm.yaml` via a `..data` swap), each way an
    /// editor or the kubelet writes.
    fn edit(&mut self, i: usize, mode: &str) {
        let root = self.dir.path().to_path_buf();
        match i % 4 {
            // Truncate, then write in a second call: a reader may see the empty file between.
            0 => {
                use std::io::Write;
                let mut f = std::fs::File::create(root.join("a.yaml")).expect("truncate");
                f.flush().expect("flush");
                f.write_all(base(mode).as_bytes()).expect("write");
            }
            1 => write_by_rename(&root, "a.yaml", &base(mode)),
            2 => write(&root, "a.yaml", &base(mode)),
            // The kubelet's update: a new timestamped directory, a temp symlink renamed over
            // `..data`, the old directory removed.
            _ => {
                let old = std::fs::read_link(root.join("..data")).expect("read ..data");
                self.generation += 1;
                let new = format!("..2026_01_01_00_00_{:02}.{}", self.generation % 60, i);
                std::fs::create_dir(root.join(&new)).expect("new generation");
                write(&root.join(&new), "cm.yaml", &team(mode));
                std::os::unix::fs::symlink(&new, root.join("..data_tmp")).expect("..data_tmp");
                std::fs::rename(root.join("..data_tmp"), root.join("..data")).expect("swap");
                std::fs::remove_dir_all(root.join(old)).expect("remove old generation");
            }
        }
    }
}

/// Mode for edit `i` of a burst: every third edit is invalid.
fn burst_mode(i: usize) -> String {
    match i % 3 {
        0 => format!("invalid{i}"),
        1 => "monitor".to_owned(),
        _ => "enforce".to_owned(),
    }
}

/// A watched store, then 100 mixed edits and two final ones (`a.yaml`, then `cm.yaml`).
#[cfg(unix)]
fn watched_burst(final_a: &str, final_cm: &str) -> (Burst, Arc<PolicyStore>, PolicyWatcher) {
    let mut burst = Burst::new();
    let store = Arc::new(PolicyStore::open(burst.root(), catalog()).expect("valid"));
    let watcher = store.watch().expect("watch");
    for i in 0..100 {
        burst.edit(i, &burst_mode(i));
    }
    burst.edit(100, final_a);
    burst.edit(103, final_cm);
    (burst, store, watcher)
}

#[cfg(unix)]
#[tokio::test]
async fn a_burst_of_100_edits_ending_valid_activates_the_final_content() {
    // End valid on both files, and different from the starting content.
    let (final_a, final_cm) = ("monitor", "monitor");
    let (burst, store, _watcher) = watched_burst(final_a, final_cm);
    let expected = warden_policies::load_dir(burst.root(), &catalog()).expect("final is valid");
    assert_ne!(
        expected.version,
        PolicyStore::open(Burst::new().root(), catalog())
            .expect("valid")
            .load()
            .version
    );
    eventually(&store, "final content active", |s| {
        s.load().version == expected.version && s.status().last_error.is_none()
    })
    .await;
    assert_eq!(mode(&store), Mode::Monitor);
    assert_eq!(store.load().policies["team"].mode, Mode::Monitor);
}

#[cfg(unix)]
#[tokio::test]
async fn a_burst_of_100_edits_ending_invalid_is_counted_as_rejected() {
    // The final state: `a.yaml` valid, `cm.yaml` invalid (through a `..data` swap).
    let (final_a, final_cm) = ("enforce", "invalid_final");
    let (burst, store, _watcher) = watched_burst(final_a, final_cm);
    let final_error = warden_policies::load_dir(burst.root(), &catalog())
        .expect_err("final is invalid")
        .to_string();
    assert!(final_error.contains("invalid_final"), "{final_error}");
    eventually(&store, "final state rejected", |s| {
        let status = s.status();
        status.rejected_total >= 1 && status.last_error.as_deref() == Some(final_error.as_str())
    })
    .await;
    // Whatever was last active is a valid set; the invalid final state never is.
    assert!(store.load().policies.contains_key("team"));
}

/// Reading the files (a reload does, so does another replica or an operator's `cat`) changes
/// nothing and must not trigger reloads, or the watcher re-triggers itself forever.
#[tokio::test]
async fn reads_of_the_policy_files_do_not_trigger_reloads() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.yaml", ENFORCE);
    let store = Arc::new(PolicyStore::open(dir.path(), catalog()).expect("valid"));
    let _watcher = store.watch().expect("watch");
    write(dir.path(), "a.yaml", MONITOR);
    eventually(&store, "edit applied", |s| mode(s) == Mode::Monitor).await;
    for _ in 0..20 {
        std::fs::read_to_string(dir.path().join("a.yaml")).expect("read");
    }
    // The one negative check here: for five debounce periods, no further reload happens.
    let mut rx = store.subscribe();
    rx.borrow_and_update();
    let settled = tokio::time::timeout(warden_policies::store::DEBOUNCE * 5, rx.changed()).await;
    assert!(
        settled.is_err(),
        "reloaded without an edit: {:?}",
        store.status()
    );
    assert_eq!(store.status().ok_total, 1);
}
