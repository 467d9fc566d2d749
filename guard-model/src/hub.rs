//! `hf:ORG/NAME[@REVISION]` model ids (a safetensors model directory) and
//! `hf:ORG/NAME/FILE.gguf[@REVISION]` (one GGUF file, plus the repository's `tokenizer.json` when it
//! has one): the local Hugging Face cache first, then a download from the hub into that cache.
//!
//! Why not the `hf-hub` crate: its HTTP stacks pull in native-tls/OpenSSL or a second TLS and
//! HTTP client; this module reuses the crate's hyper + rustls client and needs only two
//! endpoints (`/api/models/{repo}/revision/{rev}` and `/{repo}/resolve/{commit}/{file}`).
//!
//! The environment is read like `huggingface_hub` does: `HF_ENDPOINT` (default
//! `https://huggingface.co`), `HF_TOKEN` (else `$HF_HOME/token`), `HF_HUB_OFFLINE=1`,
//! `HF_HUB_CACHE` (else `$HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub`, else
//! `~/.cache/huggingface/hub`). Files land in the standard layout
//! (`models--ORG--NAME/snapshots/{commit}/{file}`, `refs/{revision}`), so `huggingface-cli`
//! and transformers see the same cache; files are written whole under a temporary name and
//! renamed, so an interrupted download never looks complete.
//!
//! Without network the download fails within seconds (5 s connect timeout) and the error names
//! the offline alternatives: a local directory, `huggingface-cli download`, `--remote`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode, Uri, header};
use http_body_util::{BodyExt, Full};
use serde_json::Value;
use tokio::io::AsyncWriteExt;

use crate::remote::{HttpsClient, https_client};

/// Where and how to fetch models.
#[derive(Debug, Clone)]
pub struct HubOptions {
    /// Hub base URL (`HF_ENDPOINT`).
    pub endpoint: String,
    /// Bearer token for gated repositories (`HF_TOKEN`).
    pub token: Option<String>,
    /// The hub cache directory (`HF_HUB_CACHE`, `HF_HOME/hub`, ...).
    pub cache: PathBuf,
    /// Never touch the network (`HF_HUB_OFFLINE=1`).
    pub offline: bool,
    /// Limit for opening a connection.
    pub connect_timeout: Duration,
    /// Draw progress bars (only on a terminal).
    pub progress: bool,
}

/// Why an `hf:` id could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error(
        "invalid Hugging Face id {0:?}: expected hf:ORG/NAME, hf:ORG/NAME/FILE.gguf, optionally \
         followed by @REVISION"
    )]
    InvalidId(String),
    #[error(
        "{message}. Offline alternatives: pass a local model directory or .gguf file with \
             --model PATH, download it elsewhere with `huggingface-cli download {repo}` into \
             the cache ({cache}), or use a served guard with --remote URL --remote-model NAME"
    )]
    Unavailable {
        repo: String,
        cache: String,
        message: String,
    },
    #[error("{repo}: the hub answered {status} for {what}{hint}")]
    Status {
        repo: String,
        status: StatusCode,
        what: String,
        hint: &'static str,
    },
    #[error(
        "{repo} has no safetensors weights (files: {files}); name one .gguf file as \
         hf:{repo}/FILE.gguf"
    )]
    NoWeights { repo: String, files: String },
    #[error("{repo} has no file {file} (its .gguf files: {ggufs})")]
    MissingFile {
        repo: String,
        file: String,
        ggufs: String,
    },
    #[error("writing {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

impl HubOptions {
    /// From the standard Hugging Face environment variables.
    pub fn from_env() -> Self {
        let hf_home = env("HF_HOME").map(PathBuf::from).unwrap_or_else(|| {
            env("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".cache")))
                .unwrap_or_else(|| PathBuf::from(".cache"))
                .join("huggingface")
        });
        let token = env("HF_TOKEN").or_else(|| {
            std::fs::read_to_string(hf_home.join("token"))
                .ok()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
        });
        let offline = env("HF_HUB_OFFLINE").is_some_and(|v| {
            matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")
        });
        HubOptions {
            endpoint: env("HF_ENDPOINT").unwrap_or_else(|| "https://huggingface.co".to_string()),
            token,
            cache: env("HF_HUB_CACHE")
                .map(PathBuf::from)
                .unwrap_or_else(|| hf_home.join("hub")),
            offline,
            connect_timeout: Duration::from_secs(5),
            progress: true,
        }
    }
}

/// A parsed `hf:` id.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HubId {
    repo: String,
    revision: String,
    /// One `.gguf` file of the repository, when the id names one.
    file: Option<String>,
}

/// `ORG/NAME[/FILE.gguf][@REVISION]` split and checked.
fn parse_id(id: &str) -> Result<HubId, HubError> {
    let id = id.trim().trim_matches('/');
    let (path, revision) = match id.split_once('@') {
        Some((path, rev)) if !rev.is_empty() => (path, rev),
        Some(_) => return Err(HubError::InvalidId(id.to_string())),
        None => (id, "main"),
    };
    let parts: Vec<&str> = path.split('/').collect();
    let valid_part = |p: &str| {
        !p.is_empty()
            && p != "."
            && p != ".."
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    let file = match parts.len() {
        2 => None,
        3 if parts[2].ends_with(".gguf") => Some(parts[2].to_string()),
        _ => return Err(HubError::InvalidId(id.to_string())),
    };
    if !parts.iter().all(|p| valid_part(p))
        || !revision
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        || revision.contains("..")
    {
        return Err(HubError::InvalidId(id.to_string()));
    }
    Ok(HubId {
        repo: format!("{}/{}", parts[0], parts[1]),
        revision: revision.to_string(),
        file,
    })
}

fn repo_dir(cache: &Path, repo: &str) -> PathBuf {
    cache.join(format!("models--{}", repo.replace('/', "--")))
}

/// The cached snapshot of `repo` at `revision`, if any (no network).
pub fn cached_snapshot(cache: &Path, repo: &str, revision: &str) -> Option<PathBuf> {
    let dir = repo_dir(cache, repo);
    let commit = std::fs::read_to_string(dir.join("refs").join(revision))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| revision.to_string());
    let snapshot = dir.join("snapshots").join(commit);
    snapshot.join("config.json").is_file().then_some(snapshot)
}

/// Files a Llama Guard directory needs from a repository listing.
fn wanted_files(files: &[String]) -> Vec<String> {
    files
        .iter()
        .filter(|f| !f.contains('/'))
        .filter(|f| {
            matches!(
                f.as_str(),
                "config.json"
                    | "tokenizer.json"
                    | "tokenizer_config.json"
                    | "generation_config.json"
                    | "special_tokens_map.json"
                    | "model.safetensors.index.json"
            ) || f.ends_with(".safetensors")
        })
        .cloned()
        .collect()
}

struct Hub<'a> {
    options: &'a HubOptions,
    client: HttpsClient,
    repo: String,
}

impl Hub<'_> {
    fn unavailable(&self, message: String) -> HubError {
        HubError::Unavailable {
            repo: self.repo.clone(),
            cache: self.options.cache.display().to_string(),
            message,
        }
    }

    /// GET `url`, following up to 5 redirects; the token goes only to the hub's own host.
    async fn get(
        &self,
        url: &str,
        what: &str,
    ) -> Result<http::Response<hyper::body::Incoming>, HubError> {
        let hub_authority = url.parse::<Uri>().ok().and_then(|u| u.authority().cloned());
        let mut uri: Uri = url
            .parse()
            .map_err(|e| self.unavailable(format!("invalid hub URL {url:?}: {e}")))?;
        for _ in 0..6 {
            let mut builder = Request::builder()
                .method(Method::GET)
                .uri(uri.clone())
                .header(header::USER_AGENT, "warden-guard-model");
            if let Some(token) = &self.options.token
                && uri.authority() == hub_authority.as_ref()
            {
                builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
            }
            let request = builder
                .body(Full::new(Bytes::new()))
                .map_err(|e| self.unavailable(format!("building a request failed: {e}")))?;
            let response = self.client.request(request).await.map_err(|e| {
                self.unavailable(format!(
                    "cannot reach the Hugging Face hub at {} ({e})",
                    self.options.endpoint
                ))
            })?;
            let status = response.status();
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .ok_or_else(|| {
                        self.unavailable(format!("redirect without Location for {what}"))
                    })?;
                uri = join_location(&uri, location)
                    .ok_or_else(|| self.unavailable(format!("bad redirect {location:?}")))?;
                continue;
            }
            if !status.is_success() {
                let hint = match status {
                    StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                        " (a gated repository: accept its license on huggingface.co and set HF_TOKEN)"
                    }
                    StatusCode::NOT_FOUND => " (check the repository id and revision)",
                    _ => "",
                };
                return Err(HubError::Status {
                    repo: self.repo.clone(),
                    status,
                    what: what.to_string(),
                    hint,
                });
            }
            return Ok(response);
        }
        Err(self.unavailable(format!("too many redirects for {what}")))
    }

    async fn get_json(&self, url: &str, what: &str) -> Result<Value, HubError> {
        let body = self
            .get(url, what)
            .await?
            .into_body()
            .collect()
            .await
            .map_err(|e| self.unavailable(format!("reading {what} failed: {e}")))?
            .to_bytes();
        serde_json::from_slice(&body)
            .map_err(|e| self.unavailable(format!("{what} is not JSON: {e}")))
    }

    async fn download(&self, url: &str, file: &str, dest: &Path) -> Result<(), HubError> {
        let response = self.get(url, file).await?;
        let total = response
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let bar = (self.options.progress && std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .then(|| {
                let bar = indicatif::ProgressBar::new(total.unwrap_or(0));
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
                ) {
                    bar.set_style(style);
                }
                bar.set_message(file.to_string());
                bar
            });
        let write_err = |source| HubError::Write {
            path: dest.to_path_buf(),
            source,
        };
        let partial = dest.with_extension(format!(
            "{}.incomplete",
            dest.extension().and_then(|e| e.to_str()).unwrap_or("")
        ));
        let mut out = tokio::fs::File::create(&partial).await.map_err(write_err)?;
        let mut body = response.into_body();
        let mut written = 0u64;
        while let Some(frame) = body.frame().await {
            let frame =
                frame.map_err(|e| self.unavailable(format!("downloading {file} failed: {e}")))?;
            if let Some(data) = frame.data_ref() {
                out.write_all(data).await.map_err(write_err)?;
                written += data.len() as u64;
                if let Some(bar) = &bar {
                    bar.set_position(written);
                }
            }
        }
        out.flush().await.map_err(write_err)?;
        drop(out);
        if let Some(expected) = total
            && expected != written
        {
            return Err(self.unavailable(format!(
                "{file}: got {written} of {expected} bytes; run again to retry"
            )));
        }
        tokio::fs::rename(&partial, dest).await.map_err(write_err)?;
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        Ok(())
    }
}

/// Resolves `repo_id` (`ORG/NAME[@REVISION]`): the cached snapshot when present, else a download
/// of its config, tokenizer and safetensors files into the cache.
pub async fn resolve(repo_id: &str, options: &HubOptions) -> Result<PathBuf, HubError> {
    let HubId {
        repo,
        revision,
        file,
    } = parse_id(repo_id)?;
    let cached = cached_snapshot(&options.cache, &repo, &revision);
    match (&file, cached) {
        (None, Some(snapshot)) => return Ok(snapshot),
        (Some(file), _) => {
            if let Some(path) = cached_file(&options.cache, &repo, &revision, file) {
                return Ok(path);
            }
        }
        (None, None) => {}
    }
    let hub = Hub {
        options,
        client: https_client(options.connect_timeout),
        repo: repo.clone(),
    };
    if options.offline {
        return Err(hub.unavailable(format!(
            "hf:{repo_id} is not in the local cache and HF_HUB_OFFLINE is set"
        )));
    }
    let endpoint = options.endpoint.trim_end_matches('/');
    let info = hub
        .get_json(
            &format!("{endpoint}/api/models/{repo}/revision/{revision}"),
            "the repository listing",
        )
        .await?;
    let commit = info
        .get("sha")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()))
        .ok_or_else(|| hub.unavailable("the repository listing has no commit sha".to_string()))?
        .to_string();
    let files: Vec<String> = info
        .get("siblings")
        .and_then(Value::as_array)
        .map(|s| {
            s.iter()
                .filter_map(|f| f.get("rfilename").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let wanted = match &file {
        None => {
            let wanted = wanted_files(&files);
            if !wanted.iter().any(|f| f.ends_with(".safetensors")) {
                return Err(HubError::NoWeights {
                    repo,
                    files: files.join(", "),
                });
            }
            wanted
        }
        Some(file) => {
            if !files.contains(file) {
                let ggufs: Vec<&str> = files
                    .iter()
                    .map(String::as_str)
                    .filter(|f| f.ends_with(".gguf"))
                    .collect();
                return Err(HubError::MissingFile {
                    repo,
                    file: file.clone(),
                    ggufs: ggufs.join(", "),
                });
            }
            // The tokenizer, when the repository has one, goes beside the .gguf file where the
            // loader looks for it.
            let mut wanted = vec![file.clone()];
            if files.iter().any(|f| f == "tokenizer.json") {
                wanted.push("tokenizer.json".to_string());
            }
            wanted
        }
    };
    let dir = repo_dir(&options.cache, &repo);
    let snapshot = dir.join("snapshots").join(&commit);
    std::fs::create_dir_all(&snapshot).map_err(|source| HubError::Write {
        path: snapshot.clone(),
        source,
    })?;
    for name in &wanted {
        let dest = snapshot.join(name);
        if dest.is_file() {
            continue;
        }
        hub.download(
            &format!("{endpoint}/{repo}/resolve/{commit}/{name}"),
            name,
            &dest,
        )
        .await?;
    }
    let refs = dir.join("refs");
    std::fs::create_dir_all(&refs)
        .and_then(|()| std::fs::write(refs.join(&revision), &commit))
        .map_err(|source| HubError::Write {
            path: refs.join(&revision),
            source,
        })?;
    Ok(match file {
        Some(file) => snapshot.join(file),
        None => snapshot,
    })
}

/// The cached copy of one file of `repo` at `revision`, if any (no network).
fn cached_file(cache: &Path, repo: &str, revision: &str, file: &str) -> Option<PathBuf> {
    let dir = repo_dir(cache, repo);
    let commit = std::fs::read_to_string(dir.join("refs").join(revision))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| revision.to_string());
    let path = dir.join("snapshots").join(commit).join(file);
    path.is_file().then_some(path)
}

/// Resolves a `Location` header against the request URI.
fn join_location(base: &Uri, location: &str) -> Option<Uri> {
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.parse().ok();
    }
    let scheme = base.scheme_str()?;
    let authority = base.authority()?;
    if location.starts_with('/') {
        return format!("{scheme}://{authority}{location}").parse().ok();
    }
    let path = base.path();
    let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    format!("{scheme}://{authority}{dir}{location}")
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked() {
        assert_eq!(
            parse_id("meta-llama/Llama-Guard-3-1B").expect("valid"),
            HubId {
                repo: "meta-llama/Llama-Guard-3-1B".to_string(),
                revision: "main".to_string(),
                file: None
            }
        );
        assert_eq!(parse_id("a/b@v1.0").expect("valid").revision, "v1.0");
        let gguf = parse_id("org/m-GGUF/m.Q8_0.gguf@abc").expect("valid");
        assert_eq!(gguf.repo, "org/m-GGUF");
        assert_eq!(gguf.file.as_deref(), Some("m.Q8_0.gguf"));
        assert_eq!(gguf.revision, "abc");
        for bad in [
            "nonsense",
            "a/b/c",
            "../x",
            "a/..",
            "a/b@",
            "a b/c",
            "a/b@../x",
            "a/b/c/d.gguf",
        ] {
            assert!(parse_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn picks_model_files() {
        let files: Vec<String> = [
            "config.json",
            "model-00001-of-00002.safetensors",
            "model-00002-of-00002.safetensors",
            "model.safetensors.index.json",
            "original/consolidated.00.pth",
            "tokenizer.json",
            "README.md",
            "LICENSE",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            wanted_files(&files),
            [
                "config.json",
                "model-00001-of-00002.safetensors",
                "model-00002-of-00002.safetensors",
                "model.safetensors.index.json",
                "tokenizer.json"
            ]
        );
    }

    #[test]
    fn redirects_resolve() {
        let base: Uri = "https://hub.example/org/m/resolve/abc/config.json"
            .parse()
            .expect("uri");
        assert_eq!(
            join_location(&base, "/cdn/x")
                .expect("abs path")
                .to_string(),
            "https://hub.example/cdn/x"
        );
        assert_eq!(
            join_location(&base, "https://cdn.example/y")
                .expect("abs")
                .to_string(),
            "https://cdn.example/y"
        );
        assert_eq!(
            join_location(&base, "z").expect("rel").to_string(),
            "https://hub.example/org/m/resolve/abc/z"
        );
    }
}
