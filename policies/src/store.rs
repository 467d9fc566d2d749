//! The running policy set: wait-free snapshots, all-or-nothing reloads, and a directory watcher.
//!
//! A reload reads and compiles every file and swaps only on success, so a bad edit never
//! replaces a good set, and a request that loaded a snapshot keeps it to its end.
//!
//! The watcher's rule: once file events settle, the whole directory is read again and is either
//! activated or counted as one rejection; events that arrive while a reload runs cause another
//! reload after it. Only events that can change content count: inotify also reports every
//! *open* of a file, and a reload (or another replica sharing the directory, or anyone reading
//! the files) opens them all, so counting opens made the watcher re-trigger itself forever and
//! let steady readers starve the debounce, so that a final edit could go unread.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::watch;

use crate::compile::{PolicySource, ScanCatalog, compile, is_policy_file_name, read_dir_sources};
use crate::error::{PolicyError, PolicyLoadError};
use crate::presets;
use crate::set::PolicySet;

/// How long the watcher waits for file events to settle before reloading.
pub const DEBOUNCE: Duration = Duration::from_millis(200);

/// The longest a burst of events delays a reload: edits that never pause still get read
/// (and read again after the burst), so the active set never lags the disk by much more.
pub const MAX_DEBOUNCE: Duration = Duration::from_millis(500);

/// What a successful reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadOutcome {
    /// A new set is active.
    Swapped { previous: String, version: String },
    /// The files compile to the active version; nothing changed.
    Unchanged { version: String },
}

impl ReloadOutcome {
    pub fn version(&self) -> &str {
        match self {
            ReloadOutcome::Swapped { version, .. } | ReloadOutcome::Unchanged { version } => {
                version
            }
        }
    }
}

/// Reload counters and the last result, published after every reload attempt.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReloadStatus {
    /// Version of the active set.
    pub version: String,
    /// Successful reloads (swapped or unchanged).
    pub ok_total: u64,
    /// Rejected reloads (the active set was kept).
    pub rejected_total: u64,
    /// The full error of the last rejected reload, cleared by the next good one.
    pub last_error: Option<String>,
}

/// Holds the active `PolicySet`.
#[derive(Debug)]
pub struct PolicyStore {
    /// `None`: the built-in `default` preset.
    dir: Option<PathBuf>,
    catalog: ScanCatalog,
    current: ArcSwap<PolicySet>,
    /// Serialises reloads, so two triggers never race to swap.
    reloading: Mutex<()>,
    ok_total: AtomicU64,
    rejected_total: AtomicU64,
    status: watch::Sender<ReloadStatus>,
}

impl PolicyStore {
    /// Loads a policy directory; fails (listing every problem) if it is invalid.
    pub fn open(
        dir: impl Into<PathBuf>,
        catalog: ScanCatalog,
    ) -> Result<PolicyStore, PolicyLoadError> {
        let dir = dir.into();
        let set = load_dir(&dir, &catalog)?;
        Ok(PolicyStore::with_set(Some(dir), catalog, set))
    }

    /// A store running the built-in `default` preset (no directory, nothing to reload).
    pub fn builtin(catalog: ScanCatalog) -> Result<PolicyStore, PolicyLoadError> {
        let set = presets::compile_preset("default", &catalog)?;
        Ok(PolicyStore::with_set(None, catalog, set))
    }

    fn with_set(dir: Option<PathBuf>, catalog: ScanCatalog, set: PolicySet) -> PolicyStore {
        let (status, _) = watch::channel(ReloadStatus {
            version: set.version.clone(),
            ..ReloadStatus::default()
        });
        PolicyStore {
            dir,
            catalog,
            current: ArcSwap::from_pointee(set),
            reloading: Mutex::new(()),
            ok_total: AtomicU64::new(0),
            rejected_total: AtomicU64::new(0),
            status,
        }
    }

    /// The active set. Wait-free; keep the `Arc` for the whole request.
    pub fn load(&self) -> Arc<PolicySet> {
        self.current.load_full()
    }

    /// The policy directory, or `None` for the built-in preset.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Reads and compiles every file; swaps only if everything is valid. On failure the active
    /// set stays, the error is logged and counted, and returned in full.
    pub fn reload(&self) -> Result<ReloadOutcome, PolicyLoadError> {
        let _guard = self
            .reloading
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let result = match &self.dir {
            Some(dir) => load_dir(dir, &self.catalog),
            None => presets::compile_preset("default", &self.catalog),
        };
        let previous = self.current.load().version.clone();
        match result {
            Ok(set) => {
                let version = set.version.clone();
                let outcome = if version == previous {
                    ReloadOutcome::Unchanged { version }
                } else {
                    self.current.store(Arc::new(set));
                    ReloadOutcome::Swapped { previous, version }
                };
                let ok = self.ok_total.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::info!(version = outcome.version(), ?outcome, "policy reloaded");
                self.status.send_modify(|s| {
                    s.version = outcome.version().to_owned();
                    s.ok_total = ok;
                    s.last_error = None;
                });
                Ok(outcome)
            }
            Err(e) => {
                let rejected = self.rejected_total.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::error!(active_version = %previous, error = %e, "policy reload rejected; keeping the active policy set");
                self.status.send_modify(|s| {
                    s.rejected_total = rejected;
                    s.last_error = Some(e.to_string());
                });
                Err(e)
            }
        }
    }

    /// Reload counters and the last result; changes after every reload attempt.
    pub fn subscribe(&self) -> watch::Receiver<ReloadStatus> {
        self.status.subscribe()
    }

    /// The current counters and last result.
    pub fn status(&self) -> ReloadStatus {
        self.status.borrow().clone()
    }

    /// Watches the policy directory and reloads after changes settle ([`DEBOUNCE`]). The
    /// directory, not the files, is watched, so editors that write a temp file and rename it
    /// over the original are seen. Stops when the returned handle is dropped. A store without a
    /// directory gets a handle that watches nothing.
    pub fn watch(self: &Arc<Self>) -> Result<PolicyWatcher, PolicyError> {
        let Some(dir) = self.dir.clone() else {
            return Ok(PolicyWatcher { _watcher: None });
        };
        let (tx, rx) = mpsc::channel::<()>();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let relevant = match &event {
                    Ok(ev) => may_change_content(ev),
                    // A failed watch may have missed a change: reload to be sure.
                    Err(_) => true,
                };
                if relevant {
                    // The receiver is gone only when the watcher is being dropped.
                    let _ = tx.send(());
                }
            })
            .map_err(|e| PolicyError::Watch {
                path: dir.clone(),
                reason: e.to_string(),
            })?;
        watcher
            .watch(&dir, RecursiveMode::NonRecursive)
            .map_err(|e| PolicyError::Watch {
                path: dir.clone(),
                reason: e.to_string(),
            })?;
        let store = Arc::downgrade(self);
        std::thread::Builder::new()
            .name("warden-policy-watch".to_owned())
            .spawn(move || {
                // Events that arrive during a reload stay queued, so the next `recv` returns at
                // once and the directory is read again after them.
                while rx.recv().is_ok() {
                    let burst = Instant::now();
                    loop {
                        let left = MAX_DEBOUNCE.saturating_sub(burst.elapsed());
                        if left.is_zero() {
                            break;
                        }
                        match rx.recv_timeout(DEBOUNCE.min(left)) {
                            Ok(()) => continue,
                            Err(RecvTimeoutError::Timeout) => break,
                            Err(RecvTimeoutError::Disconnected) => return,
                        }
                    }
                    let Some(store) = store.upgrade() else { return };
                    // The result is logged, counted and published by `reload` itself.
                    let _ = store.reload();
                }
            })
            .map_err(|e| PolicyError::Watch {
                path: dir,
                reason: e.to_string(),
            })?;
        Ok(PolicyWatcher {
            _watcher: Some(watcher),
        })
    }
}

/// Keeps the directory watch alive; dropping it stops watching.
#[derive(Debug)]
pub struct PolicyWatcher {
    _watcher: Option<RecommendedWatcher>,
}

/// Whether an event may have changed what a reload reads. Opens and reads change nothing and
/// are what every reload does itself; an overflowed queue (no paths) may hide any change.
fn may_change_content(event: &notify::Event) -> bool {
    if event.need_rescan() {
        return true;
    }
    match event.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => {}
        EventKind::Access(_) => return false,
        _ => {}
    }
    event.paths.iter().any(|p| is_relevant(p))
}

/// Policy files, and Kubernetes' `..data` symlink swap of mounted ConfigMaps.
fn is_relevant(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| is_policy_file_name(n) || n == "..data")
}

/// Reads and compiles a policy directory.
pub fn load_dir(dir: &Path, catalog: &ScanCatalog) -> Result<PolicySet, PolicyLoadError> {
    let sources: Vec<PolicySource> =
        read_dir_sources(dir).map_err(|source| PolicyLoadError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
    compile(&sources, catalog).map_err(|diagnostics| PolicyLoadError::Invalid {
        dir: dir.to_path_buf(),
        diagnostics,
    })
}
