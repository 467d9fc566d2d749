//! The one HTTP edge for errors the gateway itself produces: status plus a JSON body in the
//! API family's own shape. Internal detail goes to the log under the request id, never to the
//! client.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};

use crate::body::BoxBody;
use crate::route::ApiFamily;

/// An error answered by the gateway rather than the upstream.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("request body exceeds the gateway's limit of {limit} bytes")]
    BodyTooLarge { limit: u64 },
    #[error("the request body could not be read: {0}")]
    BadRequestBody(String),
    #[error("the upstream server could not be reached")]
    UpstreamUnreachable { detail: String },
    #[error("the upstream server did not send response headers within {secs} seconds")]
    UpstreamTimeout { secs: u64 },
    #[error("the gateway is shutting down")]
    ShuttingDown,
    #[error("internal gateway error")]
    Internal { detail: String },
}

impl GatewayError {
    pub fn status(&self) -> StatusCode {
        match self {
            GatewayError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            GatewayError::BadRequestBody(_) => StatusCode::BAD_REQUEST,
            GatewayError::UpstreamUnreachable { .. } => StatusCode::BAD_GATEWAY,
            GatewayError::UpstreamTimeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            GatewayError::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
            GatewayError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// OpenAI's `error.type` and `error.code` for this error.
    fn openai_type_and_code(&self) -> (&'static str, &'static str) {
        match self {
            GatewayError::BodyTooLarge { .. } => ("invalid_request_error", "request_too_large"),
            GatewayError::BadRequestBody(_) => ("invalid_request_error", "invalid_body"),
            GatewayError::UpstreamUnreachable { .. } => ("upstream_error", "upstream_unreachable"),
            GatewayError::UpstreamTimeout { .. } => ("upstream_error", "upstream_timeout"),
            GatewayError::ShuttingDown => ("server_error", "shutting_down"),
            GatewayError::Internal { .. } => ("server_error", "internal_error"),
        }
    }

    /// The response a client receives. Only the public message is shown.
    pub fn into_response(self, family: ApiFamily) -> Response<BoxBody> {
        let status = self.status();
        let message = self.to_string();
        let body = match family {
            ApiFamily::OpenAi => {
                let (kind, code) = self.openai_type_and_code();
                openai_error_body(&message, kind, code)
            }
            ApiFamily::Ollama => ollama_error_body(&message),
        };
        json_response(status, body)
    }
}

/// `{"error":{"message","type","code"}}`, OpenAI's error shape.
pub fn openai_error_body(message: &str, kind: &str, code: &str) -> serde_json::Value {
    serde_json::json!({"error": {"message": message, "type": kind, "code": code}})
}

/// `{"error":"..."}`, Ollama's error shape.
pub fn ollama_error_body(message: &str) -> serde_json::Value {
    serde_json::json!({ "error": message })
}

/// A complete JSON response.
pub fn json_response(status: StatusCode, body: serde_json::Value) -> Response<BoxBody> {
    let bytes = Bytes::from(body.to_string());
    let mut response = Response::new(Full::new(bytes).map_err(|never| match never {}).boxed());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_json(response: Response<BoxBody>) -> serde_json::Value {
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("full body")
            .to_bytes();
        serde_json::from_slice(&bytes).expect("json")
    }

    #[tokio::test]
    async fn openai_shape() {
        let response = GatewayError::UpstreamTimeout { secs: 5 }.into_response(ApiFamily::OpenAi);
        assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
        let body = body_json(response).await;
        assert_eq!(body["error"]["type"], "upstream_error");
        assert_eq!(body["error"]["code"], "upstream_timeout");
        assert_eq!(
            body["error"]["message"],
            "the upstream server did not send response headers within 5 seconds"
        );
    }

    #[tokio::test]
    async fn ollama_shape_hides_internal_detail() {
        let response = GatewayError::UpstreamUnreachable {
            detail: "tcp connect error 10.0.0.1".into(),
        }
        .into_response(ApiFamily::Ollama);
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
        let body = body_json(response).await;
        assert_eq!(
            body,
            serde_json::json!({"error": "the upstream server could not be reached"})
        );
    }
}
