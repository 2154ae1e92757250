//! Registration of citizens with a real-name document.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use healthcode_core::AppState;
use healthcode_core::registration::{self, RegisterRequest, RegisterResponse};

use crate::error::{ApiError, ErrorBody};

#[utoipa::path(post, path = "/v1/citizens", tag = "citizens", request_body = RegisterRequest,
    responses((status = 201, body = RegisterResponse), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    body: Result<Json<RegisterRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<RegisterResponse>), ApiError> {
    let Json(req) = body?;
    let response = registration::register_citizen(&state, req).await?;
    Ok((StatusCode::CREATED, Json(response)))
}
