//! Building the configured guard: an in-process candle model (path or `hf:` id) or a remote
//! completions server.

use std::sync::Arc;
use std::time::Duration;

use warden_guard_model::cli::resolve_model;
use warden_guard_model::hub::HubOptions;
use warden_guard_model::remote::{RemoteClassifier, RemoteOptions};
use warden_guard_model::{CandleClassifier, CandleOptions, Classifier};

/// `cpu` or `cuda[:N]` as a candle device. A cuda device in a build without the `cuda`
/// feature fails here, at start, with candle's own explanation.
pub fn device(name: &str) -> Result<candle_core::Device, String> {
    if name == "cpu" {
        return Ok(candle_core::Device::Cpu);
    }
    let ordinal = match name.strip_prefix("cuda") {
        Some("") => 0,
        Some(rest) => rest
            .strip_prefix(':')
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("unknown device {name:?}; use cpu or cuda:N"))?,
        None => return Err(format!("unknown device {name:?}; use cpu or cuda:N")),
    };
    candle_core::Device::new_cuda(ordinal).map_err(|e| {
        format!("device {name}: {e}. Fix: build with --features cuda, or use --device cpu")
    })
}

/// Resolve and load a model; blocking (run it off the async workers).
pub fn load_model(
    spec: &str,
    threads: usize,
    context_cache_bytes: usize,
    device_name: &str,
) -> Result<Arc<dyn Classifier>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let path = runtime
        .block_on(resolve_model(spec, &HubOptions::from_env()))
        .map_err(|e| e.to_string())?;
    let options = CandleOptions {
        threads: threads.max(1),
        context_cache_bytes,
        device: device(device_name)?,
        ..CandleOptions::default()
    };
    let model = CandleClassifier::load(&path, options)
        .map_err(|e| format!("loading {}: {e}", path.display()))?;
    Ok(Arc::new(model))
}

/// Resolve and load a Prompt Guard model (directory or `hf:` id); blocking.
pub fn load_prompt_guard(
    spec: &str,
    device_name: &str,
) -> Result<Arc<dyn crate::injection::InjectionDetector>, String> {
    use warden_guard_model::prompt_guard::{PromptGuard, PromptGuardOptions};
    let options = PromptGuardOptions {
        device: device(device_name)?,
        ..PromptGuardOptions::default()
    };
    let model = PromptGuard::load(spec, &options).map_err(|e| e.to_string())?;
    Ok(Arc::new(model))
}

/// A remote Llama Guard behind an OpenAI-compatible completions endpoint.
pub fn remote(url: &str, model: &str) -> Result<Arc<dyn Classifier>, String> {
    let mut options = RemoteOptions::new(url, model);
    options.timeout = Duration::from_secs(30);
    let client = RemoteClassifier::new(options).map_err(|e| e.to_string())?;
    Ok(Arc::new(client))
}
