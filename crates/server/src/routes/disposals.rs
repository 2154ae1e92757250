//! End-of-epidemic disposal: an authority requests, a second approves, the
//! `disposal` job runs it; authorities and the regulator follow it, and anyone
//! may fetch a completed disposal's certificate to verify it.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use healthcode_core::AppState;
use healthcode_core::disposal::{self, DisposalRequest, DisposalView};
use healthcode_domain::role::Role;

use crate::auth::Authenticated;
use crate::error::{ApiError, ErrorBody};

#[utoipa::path(post, path = "/v1/disposals", tag = "disposal", request_body = DisposalRequest,
    responses((status = 201, body = DisposalView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn request(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Result<Json<DisposalRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<DisposalView>), ApiError> {
    caller.require(&[Role::Authority])?;
    let Json(request) = body?;
    let requested = disposal::request(&state, caller.actor(), &request).await?;
    Ok((StatusCode::CREATED, Json(requested)))
}

#[utoipa::path(post, path = "/v1/disposals/{id}/approve", tag = "disposal",
    params(("id" = String, Path)),
    responses((status = 200, body = DisposalView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn approve(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<DisposalView>, ApiError> {
    caller.require(&[Role::Authority])?;
    Ok(Json(disposal::approve(&state, caller.actor(), &id).await?))
}

#[utoipa::path(get, path = "/v1/disposals", tag = "disposal",
    responses((status = 200, body = Vec<DisposalView>), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<Vec<DisposalView>>, ApiError> {
    Ok(Json(disposal::list(&state, &caller).await?))
}

/// The certificate exactly as issued: its bytes are what its signature covers.
#[utoipa::path(get, path = "/v1/disposals/{id}/certificate", tag = "disposal",
    params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn certificate(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let text = disposal::certificate(&state, &id).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], text).into_response())
}
