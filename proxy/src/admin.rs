//! The admin listener: `GET /metrics` (Prometheus text format), `GET /healthz` (the process
//! answers), `GET /readyz` (ready to serve traffic: the guard is loaded), `POST
//! /admin/policy/reload` (reload the policy directory now), `GET /admin/policy` (the active
//! version and the last reload error).

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};

use crate::body::BoxBody;
use crate::error::{json_response, openai_error_body};
use crate::gateway::Gateway;
use crate::metrics::Metrics;

fn metrics_response(metrics: &Metrics) -> Response<BoxBody> {
    let text = metrics.render();
    let mut response = Response::new(
        Full::new(Bytes::from(text))
            .map_err(|never| match never {})
            .boxed(),
    );
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// Answers while the gateway is still starting (the guard model is loading).
pub fn starting<B>(metrics: &Metrics, request: Request<B>) -> Response<BoxBody> {
    match (request.method(), request.uri().path()) {
        (&Method::GET, "/metrics") => metrics_response(metrics),
        (&Method::GET, "/healthz") => {
            json_response(StatusCode::OK, serde_json::json!({"status": "ok"}))
        }
        _ => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({"status": "starting", "detail": "loading the guard model"}),
        ),
    }
}

/// Answer one admin request.
pub async fn handle<B>(gateway: Arc<Gateway>, request: Request<B>) -> Response<BoxBody> {
    match (request.method(), request.uri().path()) {
        (&Method::GET, "/metrics") => metrics_response(gateway.metrics()),
        (&Method::POST, "/admin/policy/reload") => {
            let store = gateway.policies().clone();
            match tokio::task::spawn_blocking(move || store.reload()).await {
                Ok(Ok(outcome)) => json_response(
                    StatusCode::OK,
                    serde_json::json!({
                        "result": "ok",
                        "version": outcome.version(),
                        "changed": matches!(outcome, warden_policies::ReloadOutcome::Swapped { .. }),
                    }),
                ),
                Ok(Err(err)) => json_response(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    serde_json::json!({
                        "result": "rejected",
                        "version": gateway.policies().load().version,
                        "error": err.to_string(),
                    }),
                ),
                Err(err) => json_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    serde_json::json!({"result": "error", "error": err.to_string()}),
                ),
            }
        }
        (&Method::GET, "/admin/policy") => {
            let status = gateway.policies().status();
            json_response(
                StatusCode::OK,
                serde_json::json!({
                    "version": status.version,
                    "reloads_ok": status.ok_total,
                    "reloads_rejected": status.rejected_total,
                    "last_error": status.last_error,
                }),
            )
        }
        (&Method::GET, "/healthz") => {
            json_response(StatusCode::OK, serde_json::json!({"status": "ok"}))
        }
        (&Method::GET, "/readyz") => {
            if gateway.is_ready() {
                json_response(StatusCode::OK, serde_json::json!({"status": "ready"}))
            } else {
                json_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    serde_json::json!({"status": "starting"}),
                )
            }
        }
        (_, path) => json_response(
            StatusCode::NOT_FOUND,
            openai_error_body(
                &format!(
                    "no admin endpoint at {path}; try /metrics, /healthz, /readyz, /admin/policy or POST /admin/policy/reload"
                ),
                "invalid_request_error",
                "not_found",
            ),
        ),
    }
}
