//! The router: which API family and guarded route a request belongs to.
//!
//! Routes are a closed set so they can label metrics; every path the router does not
//! recognise is [`Route::Passthrough`] and is forwarded untouched.

use http::Method;

/// The API family decides the shape of the errors the gateway itself produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiFamily {
    OpenAi,
    Ollama,
}

/// A recognised route. `as_label` values are the only `route` label values in metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// `POST /v1/chat/completions` (OpenAI-compatible: vLLM, llama.cpp server, TGI, Ollama).
    OpenAiChat,
    /// `POST /v1/completions`.
    OpenAiCompletions,
    /// `POST /api/chat` (Ollama).
    OllamaChat,
    /// `POST /api/generate` (Ollama).
    OllamaGenerate,
    /// Everything else: forwarded untouched.
    Passthrough,
}

impl Route {
    /// Every route, for pre-registering metric label values.
    pub const ALL: [Route; 5] = [
        Route::OpenAiChat,
        Route::OpenAiCompletions,
        Route::OllamaChat,
        Route::OllamaGenerate,
        Route::Passthrough,
    ];

    /// Classify a request by method and path (the query is not part of `path`).
    pub fn recognise(method: &Method, path: &str) -> Route {
        if method != Method::POST {
            return Route::Passthrough;
        }
        // Tolerate one trailing slash, as the upstream servers do.
        match path.strip_suffix('/').unwrap_or(path) {
            "/v1/chat/completions" => Route::OpenAiChat,
            "/v1/completions" => Route::OpenAiCompletions,
            "/api/chat" => Route::OllamaChat,
            "/api/generate" => Route::OllamaGenerate,
            _ => Route::Passthrough,
        }
    }

    pub fn as_label(self) -> &'static str {
        match self {
            Route::OpenAiChat => "openai_chat",
            Route::OpenAiCompletions => "openai_completions",
            Route::OllamaChat => "ollama_chat",
            Route::OllamaGenerate => "ollama_generate",
            Route::Passthrough => "passthrough",
        }
    }

    /// The error shape for errors the gateway produces on this route. Pass-through routes
    /// use the OpenAI shape unless the path is one of Ollama's own (`/api/...`).
    pub fn family(self, path: &str) -> ApiFamily {
        match self {
            Route::OllamaChat | Route::OllamaGenerate => ApiFamily::Ollama,
            Route::OpenAiChat | Route::OpenAiCompletions => ApiFamily::OpenAi,
            Route::Passthrough if path.starts_with("/api/") => ApiFamily::Ollama,
            Route::Passthrough => ApiFamily::OpenAi,
        }
    }

    /// Whether later stages guard this route (prompt and response checks).
    pub fn is_guarded(self) -> bool {
        self != Route::Passthrough
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_guarded_routes_and_passes_the_rest() {
        assert_eq!(
            Route::recognise(&Method::POST, "/v1/chat/completions"),
            Route::OpenAiChat
        );
        assert_eq!(
            Route::recognise(&Method::POST, "/v1/completions/"),
            Route::OpenAiCompletions
        );
        assert_eq!(
            Route::recognise(&Method::POST, "/api/chat"),
            Route::OllamaChat
        );
        assert_eq!(
            Route::recognise(&Method::POST, "/api/generate"),
            Route::OllamaGenerate
        );
        assert_eq!(
            Route::recognise(&Method::GET, "/v1/chat/completions"),
            Route::Passthrough
        );
        assert_eq!(
            Route::recognise(&Method::POST, "/v1/embeddings"),
            Route::Passthrough
        );
        assert_eq!(
            Route::recognise(&Method::GET, "/api/tags"),
            Route::Passthrough
        );
    }

    #[test]
    fn error_family_follows_the_api() {
        assert_eq!(Route::OllamaChat.family("/api/chat"), ApiFamily::Ollama);
        assert_eq!(Route::Passthrough.family("/api/tags"), ApiFamily::Ollama);
        assert_eq!(Route::Passthrough.family("/v1/models"), ApiFamily::OpenAi);
        assert_eq!(Route::Passthrough.family("/health"), ApiFamily::OpenAi);
    }
}
