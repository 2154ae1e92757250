//! Registration of citizens with a real-name document.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use healthcode_core::AppState;
use healthcode_core::registration::{self, RegisterRequest, RegisterResponse};

use crate::auth::Peer;
use crate::error::{ApiError, ErrorBody};

#[utoipa::path(post, path = "/v1/citizens", tag = "citizens", request_body = RegisterRequest,
    responses((status = 201, body = RegisterResponse), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "`request.rate_limited`: too many registrations from this address; `Retry-After` says when to try again",
            headers(("Retry-After" = u64, description = "seconds to wait before trying again"))),
        (status = 410, description = "`service.suspended`: the `registration` service is suspended or retired (`notice` and `since` say why and since when)", body = ErrorBody),
        (status = 503, description = "`realname.unavailable`: identity verification is unavailable", body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    Peer(from): Peer,
    body: Result<Json<RegisterRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<RegisterResponse>), ApiError> {
    let Json(req) = body?;
    let response = registration::register_citizen(&state, req, from).await?;
    Ok((StatusCode::CREATED, Json(response)))
}
