//! `PolicyStore`: atomic swaps, rejected edits, and the directory watcher.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use warden_policies::{Mode, PolicyLoadError, PolicyStore, ReloadOutcome, ScanCatalog};

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
