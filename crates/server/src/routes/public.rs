//! Routes anyone may call: the trust list, health, the API description.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use healthcode_core::AppState;
use serde_json::json;

/// The issuer's verification keys, for offline checkers.
#[utoipa::path(get, path = "/v1/trust-list", tag = "public",
    responses((status = 200, description = "The issuer's trust list", body = Object)))]
pub async fn trust_list(State(state): State<AppState>) -> Response {
    let list = state.trust_list();
    Json(&*list).into_response()
}

/// A trivial JSON route, the baseline of the load test.
#[utoipa::path(get, path = "/v1/ping", tag = "public", responses((status = 200, body = Object)))]
pub async fn ping() -> impl IntoResponse {
    Json(json!({ "ok": true }))
}

/// Liveness and readiness: the database answers and a key can sign.
#[utoipa::path(get, path = "/healthz", tag = "public", responses(
    (status = 200, description = "ready: `{ \"database\": true, \"signing_key\": true }`", body = Object),
    (status = 503, description = "not ready: the database does not answer or no key can sign (which one is `false`)", body = Object)))]
pub async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let database = state.store().ping().await.is_ok();
    let signer = state.keyring().signer.is_some();
    let status = if database && signer {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({ "database": database, "signing_key": signer })),
    )
}
