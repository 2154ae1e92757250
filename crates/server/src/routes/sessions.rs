//! Logging in and out.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use healthcode_core::AppState;
use healthcode_core::sessions::{self, LoginRequest, LoginResponse};

use crate::auth::Authenticated;
use crate::error::{ApiError, ErrorBody};

#[utoipa::path(post, path = "/v1/sessions", tag = "sessions", request_body = LoginRequest,
    responses((status = 201, body = LoginResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<LoginResponse>), ApiError> {
    let Json(req) = body?;
    let response = sessions::open_session(&state, &req).await?;
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
