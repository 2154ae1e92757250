//! Logging in and out.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use healthcode_core::AppState;
use healthcode_core::sessions::{self, LoginRequest, LoginResponse};

use crate::auth::{Authenticated, Peer};
use crate::error::{ApiError, ErrorBody};

#[utoipa::path(post, path = "/v1/sessions", tag = "sessions", request_body = LoginRequest,
    responses((status = 201, body = LoginResponse),
        (status = 400, description = "`password.too_long`, or a malformed request", body = ErrorBody),
        (status = 401, description = "`auth.invalid_credentials`: the login or password is wrong", body = ErrorBody),
        (status = 422, description = "`login.identifier`: give exactly one of document number, phone or username; or a field is missing", body = ErrorBody),
        (status = 429, body = ErrorBody, description = "`request.rate_limited`: too many attempts; `Retry-After` says when to try again",
            headers(("Retry-After" = u64, description = "seconds to wait before trying again")))))]
pub async fn login(
    State(state): State<AppState>,
    Peer(from): Peer,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<LoginResponse>), ApiError> {
    let Json(req) = body?;
    let response = sessions::open_session(&state, &req, from).await?;
    Ok((StatusCode::CREATED, Json(response)))
}

#[utoipa::path(delete, path = "/v1/sessions", tag = "sessions",
    responses((status = 204), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn logout(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<StatusCode, ApiError> {
    sessions::end_session(&state, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}
