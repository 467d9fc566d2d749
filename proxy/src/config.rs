//! Process configuration: a TOML file, each field overridable by a flag and a `WARDEN_*`
//! variable (flag > variable > file > default). Loaded once at start; a bad value stops the
//! process with the file, key and fix. Policies, not this file, are what reloads live.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use http::Uri;
use serde::Deserialize;
use toml::Spanned;

/// `warden serve` flags. Each also reads a `WARDEN_*` variable and the config file.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// TOML configuration file; any key may also be given as a flag or WARDEN_* variable.
    #[arg(long, env = "WARDEN_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address the gateway listens on (HTTP/1.1 and h2c). [default: 127.0.0.1:8080]
    #[arg(long, env = "WARDEN_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// Upstream inference server (http:// or https://, optional base path).
    /// [default: http://127.0.0.1:11434, Ollama's address]
    #[arg(long, env = "WARDEN_UPSTREAM", value_name = "URL")]
    pub upstream: Option<String>,
    /// Address of the admin listener (/metrics, /healthz, /readyz). [default: 127.0.0.1:9464]
    #[arg(long, env = "WARDEN_ADMIN_LISTEN", value_name = "ADDR")]
    pub admin_listen: Option<String>,
    /// Seconds to wait for the upstream's response headers before answering 504. [default: 300]
    #[arg(long, env = "WARDEN_UPSTREAM_TIMEOUT", value_name = "SECS")]
    pub upstream_timeout: Option<u64>,
    /// Seconds a streamed response may stay silent between two frames before it is cut.
    /// [default: 300]
    #[arg(long, env = "WARDEN_STREAM_IDLE_TIMEOUT", value_name = "SECS")]
    pub stream_idle_timeout: Option<u64>,
    /// Largest request body accepted, in bytes or with a unit (10MiB, 512KiB). [default: 10MiB]
    #[arg(long, env = "WARDEN_MAX_BODY", value_name = "SIZE")]
    pub max_body: Option<String>,
    /// Threads serving gateway connections, each with its own event loop, like nginx's
    /// worker processes. [default: one per CPU core]
    #[arg(long, env = "WARDEN_WORKERS", value_name = "N")]
    pub workers: Option<usize>,
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT. [default: 30]
    #[arg(long, env = "WARDEN_SHUTDOWN_GRACE", value_name = "SECS")]
    pub shutdown_grace: Option<u64>,
    /// Log format: text or json. [default: text]
    #[arg(long, env = "WARDEN_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// Llama Guard model run in-process: a Hugging Face directory, a .gguf file, or hf:ORG/NAME.
    /// Without a guard (model or remote), guard checks are off and only code scanning runs.
    #[arg(long, env = "WARDEN_GUARD_MODEL", value_name = "PATH|hf:ID")]
    pub guard_model: Option<String>,
    /// A remote OpenAI-compatible /v1/completions server serving Llama Guard, instead of
    /// --guard-model.
    #[arg(long, env = "WARDEN_GUARD_REMOTE", value_name = "URL")]
    pub guard_remote: Option<String>,
    /// Model name to ask the remote guard server for. [default: llama-guard]
    #[arg(long, env = "WARDEN_GUARD_REMOTE_MODEL", value_name = "NAME")]
    pub guard_remote_model: Option<String>,
    /// Threads running the in-process guard model, each taking whole batches; candle's
    /// matmuls already use every core, so more threads help only on GPUs or many-core CPUs.
    /// [default: 1]
    #[arg(long, env = "WARDEN_GUARD_THREADS", value_name = "N")]
    pub guard_threads: Option<usize>,
    /// Guard classifications in progress at once; more are shed (429, or forwarded unchecked
    /// under fail-open). [default: 64]
    #[arg(long, env = "WARDEN_GUARD_CONCURRENCY", value_name = "N")]
    pub guard_concurrency: Option<usize>,
    /// Memory the in-process guard may use to keep a streamed answer's prompt (its keys and
    /// values) between window checks, so each check computes only the new window; 0 turns
    /// it off. [default: 256MiB]
    #[arg(long, env = "WARDEN_GUARD_CONTEXT_CACHE", value_name = "SIZE")]
    pub guard_context_cache: Option<String>,
    /// Prompt Guard model (prompt-injection and jailbreak detector) run in-process: a Hugging
    /// Face directory (config.json, tokenizer.json, model.safetensors) or hf:ORG/NAME. Without
    /// it, policies' `injection:` sections are not applied.
    #[arg(long, env = "WARDEN_PROMPT_GUARD", value_name = "PATH|hf:ID")]
    pub prompt_guard: Option<String>,
    /// Device for the in-process guard: cpu or cuda:N (cuda builds only). [default: cpu]
    #[arg(long, env = "WARDEN_DEVICE", value_name = "DEVICE")]
    pub device: Option<String>,
    /// Policy directory (YAML files), watched and reloaded live. [default: the built-in
    /// `default` preset]
    #[arg(long, env = "WARDEN_POLICIES", value_name = "DIR")]
    pub policies: Option<PathBuf>,
    /// Reload policies when a file in the policy directory changes (false: only on SIGHUP or
    /// POST /admin/policy/reload). [default: true]
    #[arg(long, env = "WARDEN_WATCH_POLICIES", value_name = "BOOL")]
    pub watch_policies: Option<bool>,
    /// Audit log: a file path (size-rotated), "stdout", or "off". [default: off]
    #[arg(long, env = "WARDEN_AUDIT_LOG", value_name = "PATH|stdout|off")]
    pub audit_log: Option<String>,
    /// Size at which the audit log file rotates. [default: 100MiB]
    #[arg(long, env = "WARDEN_AUDIT_MAX_SIZE", value_name = "SIZE")]
    pub audit_max_size: Option<String>,
}

/// The configuration file's keys, exactly.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    listen: Option<Spanned<String>>,
    upstream: Option<Spanned<String>>,
    admin_listen: Option<Spanned<String>>,
    upstream_timeout: Option<Spanned<u64>>,
    stream_idle_timeout: Option<Spanned<u64>>,
    max_body: Option<Spanned<RawSize>>,
    shutdown_grace: Option<Spanned<u64>>,
    workers: Option<Spanned<u64>>,
    log_format: Option<Spanned<String>>,
    guard_model: Option<Spanned<String>>,
    guard_remote: Option<Spanned<String>>,
    guard_remote_model: Option<Spanned<String>>,
    guard_threads: Option<Spanned<u64>>,
    guard_concurrency: Option<Spanned<u64>>,
    guard_context_cache: Option<Spanned<RawSize>>,
    prompt_guard: Option<Spanned<String>>,
    device: Option<Spanned<String>>,
    policies: Option<Spanned<String>>,
    watch_policies: Option<Spanned<bool>>,
    audit_log: Option<Spanned<String>>,
    audit_max_size: Option<Spanned<RawSize>>,
}

const KEYS: &[&str] = &[
    "listen",
    "upstream",
    "admin_listen",
    "upstream_timeout",
    "stream_idle_timeout",
    "max_body",
    "shutdown_grace",
    "workers",
    "log_format",
    "guard_model",
    "guard_remote",
    "guard_remote_model",
    "guard_threads",
    "guard_concurrency",
    "guard_context_cache",
    "prompt_guard",
    "device",
    "policies",
    "watch_policies",
    "audit_log",
    "audit_max_size",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum RawSize {
    Bytes(u64),
    Text(String),
}

impl fmt::Display for RawSize {
    /// As the user wrote it: a bare number, or the quoted text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawSize::Bytes(n) => write!(f, "{n}"),
            RawSize::Text(t) => write!(f, "{t:?}"),
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub upstream: Uri,
    pub admin_listen: SocketAddr,
    pub upstream_timeout: Duration,
    pub stream_idle_timeout: Duration,
    pub max_body: u64,
    pub shutdown_grace: Duration,
    /// Threads serving gateway connections.
    pub workers: usize,
    pub log_format: LogFormat,
    pub guard: GuardSource,
    pub guard_threads: usize,
    pub guard_concurrency: usize,
    /// Bytes of stream contexts the in-process guard keeps (0: off).
    pub guard_context_cache: u64,
    /// The Prompt Guard model (path or `hf:` id), when injection detection is served.
    pub prompt_guard: Option<String>,
    pub device: String,
    pub policies: Option<PathBuf>,
    pub watch_policies: bool,
    pub audit: crate::audit::AuditTarget,
}

/// Where guard verdicts come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardSource {
    /// No guard: guard checks are off (code scanning still runs).
    None,
    /// A model run in-process: a path or `hf:ORG/NAME`.
    Model(String),
    /// A remote OpenAI-compatible completions server.
    Remote { url: String, model: String },
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            upstream: Uri::from_static("http://127.0.0.1:11434"),
            admin_listen: SocketAddr::from(([127, 0, 0, 1], 9464)),
            upstream_timeout: Duration::from_secs(300),
            stream_idle_timeout: Duration::from_secs(300),
            max_body: 10 * 1024 * 1024,
            shutdown_grace: Duration::from_secs(30),
            workers: std::thread::available_parallelism().map_or(1, usize::from),
            log_format: LogFormat::Text,
            guard: GuardSource::None,
            guard_threads: 1,
            guard_concurrency: 64,
            guard_context_cache: 256 * 1024 * 1024,
            prompt_guard: None,
            device: "cpu".into(),
            policies: None,
            watch_policies: true,
            audit: crate::audit::AuditTarget::Off,
        }
    }
}

/// A configuration problem, worded for the person who has to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "{path}: cannot read the configuration file: {source}. Fix: check the path given to --config / WARDEN_CONFIG"
    )]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{location}: {message}")]
    Invalid { location: String, message: String },
}

/// Where a value came from, for error messages.
enum Source<'a> {
    File {
        path: &'a Path,
        text: &'a str,
        span: std::ops::Range<usize>,
    },
    Flag(&'static str),
}

impl Source<'_> {
    fn location(&self, key: &str) -> String {
        match self {
            Source::File { path, text, span } => {
                let (line, col) = line_col(text, span.start);
                format!("{}:{line}:{col}: key `{key}`", path.display())
            }
            Source::Flag(flag) => {
                format!(
                    "--{flag} / WARDEN_{}",
                    flag.replace('-', "_").to_uppercase()
                )
            }
        }
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

impl Config {
    /// Resolve flags and variables over the file over the defaults.
    pub fn resolve(args: &ServeArgs) -> Result<Config, ConfigError> {
        let (path, text) = match &args.config {
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|source| ConfigError::Unreadable {
                        path: path.clone(),
                        source,
                    })?;
                (Some(path.as_path()), text)
            }
            None => (None, String::new()),
        };
        let raw: RawConfig = match path {
            Some(path) => parse_file(path, &text)?,
            None => RawConfig::default(),
        };
        let file_source = |span: std::ops::Range<usize>| -> Source<'_> {
            Source::File {
                path: path.unwrap_or(Path::new("")),
                text: &text,
                span,
            }
        };

        let mut config = Config::default();

        let pick_str = |flag: &Option<String>,
                        file: &Option<Spanned<String>>,
                        name: &'static str| match (flag, file) {
            (Some(v), _) => Some((v.clone(), Source::Flag(name))),
            (None, Some(s)) => Some((s.get_ref().clone(), file_source(s.span()))),
            (None, None) => None,
        };
        let pick_u64 =
            |flag: Option<u64>, file: &Option<Spanned<u64>>, name: &'static str| match (flag, file)
            {
                (Some(v), _) => Some((v, Source::Flag(name))),
                (None, Some(s)) => Some((*s.get_ref(), file_source(s.span()))),
                (None, None) => None,
            };
        let pick_size = |flag: &Option<String>,
                         file: &Option<Spanned<RawSize>>,
                         name: &'static str| match (flag, file) {
            (Some(v), _) => Some((RawSize::Text(v.clone()), Source::Flag(name))),
            (None, Some(s)) => Some((s.get_ref().clone(), file_source(s.span()))),
            (None, None) => None,
        };

        if let Some((value, source)) = pick_str(&args.listen, &raw.listen, "listen") {
            config.listen = parse_addr(&value, &source, "listen")?;
        }
        if let Some((value, source)) =
            pick_str(&args.admin_listen, &raw.admin_listen, "admin-listen")
        {
            config.admin_listen = parse_addr(&value, &source, "admin_listen")?;
        }
        if let Some((value, source)) = pick_str(&args.upstream, &raw.upstream, "upstream") {
            config.upstream = parse_upstream(&value, &source)?;
        }
        if let Some((value, source)) = pick_u64(
            args.upstream_timeout,
            &raw.upstream_timeout,
            "upstream-timeout",
        ) {
            config.upstream_timeout = positive_secs(value, &source, "upstream_timeout")?;
        }
        if let Some((value, source)) = pick_u64(
            args.stream_idle_timeout,
            &raw.stream_idle_timeout,
            "stream-idle-timeout",
        ) {
            config.stream_idle_timeout = positive_secs(value, &source, "stream_idle_timeout")?;
        }
        if let Some((value, _)) =
            pick_u64(args.shutdown_grace, &raw.shutdown_grace, "shutdown-grace")
        {
            config.shutdown_grace = Duration::from_secs(value);
        }
        let max_body = pick_size(&args.max_body, &raw.max_body, "max-body");
        if let Some((value, source)) = max_body {
            config.max_body = parse_size(&value).ok_or_else(|| ConfigError::Invalid {
                location: source.location("max_body"),
                message: format!(
                    "{value} is not a size. Fix: write bytes (10485760) or a number with a unit: 512KiB, 10MiB, 1GiB"
                ),
            })?;
            if config.max_body == 0 {
                return Err(ConfigError::Invalid {
                    location: source.location("max_body"),
                    message: "must be greater than zero. Fix: use at least 1KiB".into(),
                });
            }
        }
        if let Some((value, source)) = pick_str(&args.log_format, &raw.log_format, "log-format") {
            config.log_format = match value.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                other => {
                    return Err(ConfigError::Invalid {
                        location: source.location("log_format"),
                        message: format!(
                            "unknown log format {other:?}. Fix: use \"text\" or \"json\""
                        ),
                    });
                }
            };
        }
        let guard_model = pick_str(&args.guard_model, &raw.guard_model, "guard-model");
        let guard_remote = pick_str(&args.guard_remote, &raw.guard_remote, "guard-remote");
        let remote_model = pick_str(
            &args.guard_remote_model,
            &raw.guard_remote_model,
            "guard-remote-model",
        )
        .map_or_else(|| "llama-guard".to_string(), |(v, _)| v);
        config.prompt_guard =
            pick_str(&args.prompt_guard, &raw.prompt_guard, "prompt-guard").map(|(v, _)| v);
        config.guard = match (guard_model, guard_remote) {
            (Some(_), Some((_, source))) => {
                return Err(ConfigError::Invalid {
                    location: source.location("guard_remote"),
                    message: "both a guard model and a remote guard are set. Fix: keep one of guard_model / guard_remote".into(),
                });
            }
            (Some((model, _)), None) => GuardSource::Model(model),
            (None, Some((url, source))) => {
                parse_upstream(&url, &source).map_err(|_| ConfigError::Invalid {
                    location: source.location("guard_remote"),
                    message: format!("{url:?} is not an http(s) URL. Fix: write the server's base URL, such as http://127.0.0.1:8000"),
                })?;
                GuardSource::Remote {
                    url,
                    model: remote_model,
                }
            }
            (None, None) => GuardSource::None,
        };
        for (flag, file, key, slot) in [
            (args.workers, &raw.workers, "workers", &mut config.workers),
            (
                args.guard_threads,
                &raw.guard_threads,
                "guard-threads",
                &mut config.guard_threads,
            ),
            (
                args.guard_concurrency,
                &raw.guard_concurrency,
                "guard-concurrency",
                &mut config.guard_concurrency,
            ),
        ] {
            let picked = match (flag, file) {
                (Some(v), _) => Some((v as u64, Source::Flag(key))),
                (None, Some(s)) => Some((*s.get_ref(), file_source(s.span()))),
                (None, None) => None,
            };
            if let Some((value, source)) = picked {
                if value == 0 {
                    return Err(ConfigError::Invalid {
                        location: source.location(&key.replace('-', "_")),
                        message: "must be at least 1".into(),
                    });
                }
                *slot = value as usize;
            }
        }
        let context_cache = pick_size(
            &args.guard_context_cache,
            &raw.guard_context_cache,
            "guard-context-cache",
        );
        if let Some((value, source)) = context_cache {
            config.guard_context_cache =
                parse_size(&value).ok_or_else(|| ConfigError::Invalid {
                    location: source.location("guard_context_cache"),
                    message: format!(
                        "{value} is not a size. Fix: write a number with a unit, such as 256MiB, or 0 to turn it off"
                    ),
                })?;
        }
        if let Some((value, source)) = pick_str(&args.device, &raw.device, "device") {
            let valid = value == "cpu"
                || value.strip_prefix("cuda").is_some_and(|rest| {
                    rest.is_empty()
                        || rest
                            .strip_prefix(':')
                            .is_some_and(|n| n.parse::<usize>().is_ok())
                });
            if !valid {
                return Err(ConfigError::Invalid {
                    location: source.location("device"),
                    message: format!("unknown device {value:?}. Fix: use \"cpu\" or \"cuda:0\""),
                });
            }
            config.device = value;
        }
        if let Some((value, _)) = pick_str(
            &args.policies.as_ref().map(|p| p.display().to_string()),
            &raw.policies,
            "policies",
        ) {
            config.policies = Some(PathBuf::from(value));
        }
        if let Some(watch) = args
            .watch_policies
            .or(raw.watch_policies.as_ref().map(|s| *s.get_ref()))
        {
            config.watch_policies = watch;
        }
        let max_size = pick_size(&args.audit_max_size, &raw.audit_max_size, "audit-max-size");
        let max_bytes =
            match max_size {
                Some((value, source)) => parse_size(&value).filter(|n| *n > 0).ok_or_else(
                    || ConfigError::Invalid {
                        location: source.location("audit_max_size"),
                        message: format!(
                            "{value} is not a size. Fix: write a number with a unit, such as 100MiB"
                        ),
                    },
                )?,
                None => 100 * 1024 * 1024,
            };
        if let Some((value, _)) = pick_str(&args.audit_log, &raw.audit_log, "audit-log") {
            config.audit = match value.as_str() {
                "off" | "" => crate::audit::AuditTarget::Off,
                "stdout" | "-" => crate::audit::AuditTarget::Stdout,
                path => crate::audit::AuditTarget::File {
                    path: PathBuf::from(path),
                    max_bytes,
                },
            };
        }
        Ok(config)
    }
}

fn parse_file(path: &Path, text: &str) -> Result<RawConfig, ConfigError> {
    toml::from_str(text).map_err(|err| {
        let (line, col) = err.span().map_or((1, 1), |s| line_col(text, s.start));
        let mut message = err.message().trim().to_string();
        if let Some(unknown) = unknown_key(&message) {
            message = match did_you_mean(&unknown, KEYS) {
                Some(near) => format!("unknown key `{unknown}`. Fix: did you mean `{near}`?"),
                None => format!(
                    "unknown key `{unknown}`. Fix: remove it; the keys are {}",
                    KEYS.join(", ")
                ),
            };
        }
        ConfigError::Invalid {
            location: format!("{}:{line}:{col}", path.display()),
            message,
        }
    })
}

/// serde's `unknown field `x`, expected ...` carries the key between the first backticks.
fn unknown_key(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// The closest candidate within a small edit distance.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn parse_addr(value: &str, source: &Source<'_>, key: &str) -> Result<SocketAddr, ConfigError> {
    value.parse().map_err(|_| ConfigError::Invalid {
        location: source.location(key),
        message: format!(
            "{value:?} is not a socket address. Fix: write IP:PORT, such as 127.0.0.1:8080 or [::1]:8080 (port 0 picks a free port)"
        ),
    })
}

fn parse_upstream(value: &str, source: &Source<'_>) -> Result<Uri, ConfigError> {
    let invalid = |why: &str| ConfigError::Invalid {
        location: source.location("upstream"),
        message: format!(
            "{value:?} {why}. Fix: write a URL such as http://127.0.0.1:11434 or https://vllm.internal:8000"
        ),
    };
    let uri: Uri = value.parse().map_err(|_| invalid("is not a URL"))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => return Err(invalid("must start with http:// or https://")),
    }
    if uri.authority().is_none() {
        return Err(invalid("has no host"));
    }
    if uri.query().is_some() {
        return Err(invalid("must not carry a query string"));
    }
    Ok(uri)
}

fn positive_secs(value: u64, source: &Source<'_>, key: &str) -> Result<Duration, ConfigError> {
    if value == 0 {
        return Err(ConfigError::Invalid {
            location: source.location(key),
            message: "must be at least 1 second".into(),
        });
    }
    Ok(Duration::from_secs(value))
}

fn parse_size(value: &RawSize) -> Option<u64> {
    match value {
        RawSize::Bytes(n) => Some(*n),
        RawSize::Text(text) => {
            let text = text.trim();
            let split = text
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(text.len());
            let (digits, unit) = text.split_at(split);
            let n: u64 = digits.parse().ok()?;
            let factor: u64 = match unit.trim() {
                "" | "B" => 1,
                "KiB" | "K" | "KB" | "kB" => 1024,
                "MiB" | "M" | "MB" => 1024 * 1024,
                "GiB" | "G" | "GB" => 1024 * 1024 * 1024,
                _ => return None,
            };
            n.checked_mul(factor)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_file(text: &str) -> (tempfile::NamedTempFile, ServeArgs) {
        let mut file = tempfile::NamedTempFile::new().expect("temp dir writable");
        std::io::Write::write_all(&mut file, text.as_bytes()).expect("temp file writable");
        let args = ServeArgs {
            config: Some(file.path().to_path_buf()),
            ..ServeArgs::default()
        };
        (file, args)
    }

    #[test]
    fn defaults() {
        let config = Config::resolve(&ServeArgs::default()).expect("defaults are valid");
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.upstream.to_string(), "http://127.0.0.1:11434/");
        assert_eq!(config.admin_listen.to_string(), "127.0.0.1:9464");
        assert_eq!(config.upstream_timeout, Duration::from_secs(300));
        assert_eq!(config.max_body, 10 * 1024 * 1024);
    }

    #[test]
    fn file_then_flag_override() {
        let (_f, mut args) = with_file("listen = \"127.0.0.1:9000\"\nmax_body = \"2MiB\"\n");
        let config = Config::resolve(&args).expect("valid");
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.max_body, 2 * 1024 * 1024);
        args.listen = Some("127.0.0.1:9001".into());
        assert_eq!(Config::resolve(&args).expect("valid").listen.port(), 9001);
    }

    #[test]
    fn guard_context_cache_size_from_file_flag_or_off() {
        assert_eq!(
            Config::resolve(&ServeArgs::default())
                .expect("defaults")
                .guard_context_cache,
            256 * 1024 * 1024
        );
        let (f, mut args) = with_file("guard_context_cache = \"64MiB\"\n");
        assert_eq!(
            Config::resolve(&args).expect("valid").guard_context_cache,
            64 * 1024 * 1024
        );
        args.guard_context_cache = Some("0".into());
        assert_eq!(Config::resolve(&args).expect("off").guard_context_cache, 0);
        let (g, args) = with_file("\nguard_context_cache = \"lots\"\n");
        let err = Config::resolve(&args).expect_err("bad size").to_string();
        assert!(
            err.starts_with(&format!(
                "{}:2:23: key `guard_context_cache`: \"lots\" is not a size",
                g.path().display()
            )),
            "{err}"
        );
        drop(f);
    }

    #[test]
    fn unknown_key_names_file_line_and_fix() {
        let (f, args) = with_file("listen = \"127.0.0.1:9000\"\nupstrem = \"http://x:1\"\n");
        let err = Config::resolve(&args).expect_err("unknown key").to_string();
        assert_eq!(
            err,
            format!(
                "{}:2:1: unknown key `upstrem`. Fix: did you mean `upstream`?",
                f.path().display()
            )
        );
    }

    #[test]
    fn bad_address_names_the_key() {
        let (f, args) = with_file("\nlisten = \"localhost\"\n");
        let err = Config::resolve(&args).expect_err("bad addr").to_string();
        assert!(
            err.starts_with(&format!(
                "{}:2:10: key `listen`: \"localhost\" is not a socket address",
                f.path().display()
            )),
            "{err}"
        );
    }

    #[test]
    fn bad_flag_names_flag_and_variable() {
        let args = ServeArgs {
            upstream: Some("ftp://x".into()),
            ..ServeArgs::default()
        };
        let err = Config::resolve(&args).expect_err("bad scheme").to_string();
        assert!(
            err.starts_with(
                "--upstream / WARDEN_UPSTREAM: \"ftp://x\" must start with http:// or https://"
            ),
            "{err}"
        );
    }

    #[test]
    fn unreadable_file() {
        let args = ServeArgs {
            config: Some(PathBuf::from("/nonexistent/warden.toml")),
            ..ServeArgs::default()
        };
        let err = Config::resolve(&args).expect_err("missing").to_string();
        assert!(
            err.starts_with("/nonexistent/warden.toml: cannot read the configuration file"),
            "{err}"
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(
            parse_size(&RawSize::Text("512KiB".into())),
            Some(512 * 1024)
        );
        assert_eq!(parse_size(&RawSize::Bytes(7)), Some(7));
        assert_eq!(parse_size(&RawSize::Text("ten".into())), None);
        assert_eq!(parse_size(&RawSize::Text("5 PB".into())), None);
    }
}
