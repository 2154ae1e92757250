//! The metrics middleware and the Prometheus exposition route; the metrics
//! themselves live with the services ([`healthcode_core::metrics`]).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use healthcode_core::ids::tokens_match;
use healthcode_core::{AppState, Error};

use crate::error::ApiError;

/// Middleware recording every request under its matched route template.
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    state.metrics().observe_request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics`, for the scraper holding `metrics_token`: the province's
/// load is nobody else's business. Without a configured token it does not exist.
pub async fn exposition(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = state.config().metrics_token.as_deref() else {
        return ApiError(Error::not_found()).into_response();
    };
    let presented = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !tokens_match(presented, expected) {
        return ApiError(Error::unauthorized()).into_response();
    }
    (
        [(
            "content-type",
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics().render(),
    )
        .into_response()
}
