//! The audit log: one JSON line per guarded request, to a size-rotated file or stdout.
//! Message content is written only when the request's policy opts in.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;

/// Where audit lines go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditTarget {
    Off,
    Stdout,
    /// A file, rotated to `FILE.1` (the previous `.1` dropped) when it passes `max_bytes`.
    File {
        path: PathBuf,
        max_bytes: u64,
    },
}

/// One stage's part of an audit record.
#[derive(Debug, Clone, Serialize)]
pub struct StageRecord {
    pub decision: &'static str,
    pub action: &'static str,
    pub categories: Vec<String>,
    pub scores: Vec<f32>,
    /// `rule_id:line` for each code finding.
    pub findings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guard_error: Option<String>,
    pub truncated: bool,
    pub guard_ms: f64,
    pub scan_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// The injection detector's part of a prompt check, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub injection: Option<InjectionAudit>,
}

/// What the injection detector found in a request.
#[derive(Debug, Clone, Serialize)]
pub struct InjectionAudit {
    /// Texts judged (messages and documents).
    pub parts: usize,
    /// The highest score per part kind and label.
    pub scores: Vec<crate::injection::TopScore>,
    /// Labels that fired, with the message or document index.
    pub hits: Vec<warden_policies::InjectionHit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub ms: f64,
}

/// One guarded request.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    /// RFC 3339 UTC.
    pub time: String,
    pub request_id: String,
    pub route: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// First 12 hex digits of the API key's SHA-256, never the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    pub policy: String,
    pub mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<StageRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<StageRecord>,
    pub status: u16,
    pub skipped_parts: usize,
    pub duration_ms: f64,
}

#[derive(Debug)]
enum Sink {
    Off,
    Stdout,
    File {
        path: PathBuf,
        max_bytes: u64,
        file: File,
        written: u64,
    },
}

/// The audit writer, shared by all requests. Writes are small and rare next to a guard
/// classification, so a mutex around a buffered write is enough.
#[derive(Debug, Clone)]
pub struct AuditLog {
    sink: Arc<Mutex<Sink>>,
    /// False for `off`: records are then neither built nor serialised (the default).
    enabled: bool,
}

impl AuditLog {
    pub fn open(target: &AuditTarget) -> io::Result<AuditLog> {
        let sink = match target {
            AuditTarget::Off => Sink::Off,
            AuditTarget::Stdout => Sink::Stdout,
            AuditTarget::File { path, max_bytes } => {
                let file = open_append(path)?;
                let written = file.metadata()?.len();
                Sink::File {
                    path: path.clone(),
                    max_bytes: *max_bytes,
                    file,
                    written,
                }
            }
        };
        Ok(AuditLog {
            enabled: !matches!(sink, Sink::Off),
            sink: Arc::new(Mutex::new(sink)),
        })
    }

    /// Whether records go anywhere; with the log off a request skips building its line.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Write one record; failures are logged, never raised to the request.
    pub fn write(&self, record: &AuditRecord) {
        if !self.enabled {
            return;
        }
        let mut line = match serde_json::to_vec(record) {
            Ok(line) => line,
            Err(err) => {
                tracing::error!(%err, "audit record not serialisable");
                return;
            }
        };
        line.push(b'\n');
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        let result = match &mut *sink {
            Sink::Off => Ok(()),
            Sink::Stdout => io::stdout().lock().write_all(&line),
            Sink::File {
                path,
                max_bytes,
                file,
                written,
            } => {
                if *written > 0 && *written + line.len() as u64 > *max_bytes {
                    match rotate(path) {
                        Ok(fresh) => {
                            *file = fresh;
                            *written = 0;
                        }
                        Err(err) => {
                            tracing::error!(%err, path = %path.display(), "audit log rotation failed")
                        }
                    }
                }
                let r = file.write_all(&line);
                if r.is_ok() {
                    *written += line.len() as u64;
                }
                r
            }
        };
        if let Err(err) = result {
            tracing::error!(%err, "audit log write failed");
        }
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

fn rotate(path: &Path) -> io::Result<File> {
    let mut rotated = path.as_os_str().to_owned();
    rotated.push(".1");
    std::fs::rename(path, PathBuf::from(rotated))?;
    open_append(path)
}

/// Current time as RFC 3339 UTC with milliseconds, without a date-time dependency.
pub fn now_rfc3339() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    format!(
        "{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}.{:03}Z",
        now.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> AuditRecord {
        AuditRecord {
            time: now_rfc3339(),
            request_id: id.into(),
            route: "openai_chat",
            model: Some("llama3".into()),
            api_key: None,
            policy: "default@abc".into(),
            mode: "enforce",
            prompt: None,
            response: None,
            status: 200,
            skipped_parts: 0,
            duration_ms: 1.0,
        }
    }

    #[test]
    fn rotates_by_size() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(&AuditTarget::File {
            path: path.clone(),
            max_bytes: 400,
        })
        .expect("open");
        for i in 0..6 {
            log.write(&record(&format!("r{i}")));
        }
        let current = std::fs::read_to_string(&path).expect("current");
        let previous = std::fs::read_to_string(dir.path().join("audit.jsonl.1")).expect("rotated");
        assert!(current.len() <= 400);
        for line in current.lines().chain(previous.lines()) {
            let v: serde_json::Value = serde_json::from_str(line).expect("json line");
            assert_eq!(v["route"], "openai_chat");
        }
        assert!(current.contains("\"r5\""));
    }

    #[test]
    fn time_format() {
        let t = now_rfc3339();
        assert_eq!(t.len(), 24, "{t}");
        assert!(t.ends_with('Z') && t.as_bytes()[10] == b'T');
    }
}
