//! The citizen's own data: profile and current health code.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Response, header};
use healthcode_core::AppState;
use healthcode_core::codes::{self, CodeResponse};
use healthcode_core::lifecycle::{self, Profile};

use crate::auth::Authenticated;
use crate::error::{ApiError, ErrorBody};

#[utoipa::path(get, path = "/v1/me", tag = "citizens",
    responses((status = 200, body = Profile), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn profile(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<Profile>, ApiError> {
    Ok(Json(lifecycle::profile(&state, &caller).await?))
}

/// The citizen's current health code: a short-lived signed payload and its QR.
#[utoipa::path(get, path = "/v1/me/code", tag = "citizens",
    responses((status = 200, body = CodeResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn code(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Response<Body>, ApiError> {
    let code = codes::my_code(&state, &caller).await?;
    let mut response = Response::new(Body::from(code.body.clone()));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
