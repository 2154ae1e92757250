//! Overrides of a colour by officials, and appeals by citizens.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use healthcode_core::AppState;
use healthcode_core::cases::{
    self, AppealRequest, AppealView, OverrideRequest, OverrideView, Resolution,
};
use healthcode_domain::role::Role;

use crate::auth::Authenticated;
use crate::error::{ApiError, ErrorBody};

#[utoipa::path(post, path = "/v1/overrides", tag = "authority", request_body = OverrideRequest,
    responses((status = 201, body = OverrideView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn request_override(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Result<Json<OverrideRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<OverrideView>), ApiError> {
    caller.require(&[Role::Authority])?;
    let Json(req) = body?;
    let view = cases::request_override(&state, &caller, &req).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(post, path = "/v1/overrides/{id}/approve", tag = "authority",
    params(("id" = String, Path, description = "the override")),
    responses((status = 200, body = OverrideView), (status = 403, body = ErrorBody),
        (status = 404, description = "no override has this id", body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 410, description = "`person.erased`: the person was erased since the request", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn approve_override(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<OverrideView>, ApiError> {
    Ok(Json(cases::approve_override(&state, &caller, &id).await?))
}

#[utoipa::path(get, path = "/v1/overrides", tag = "authority",
    responses((status = 200, body = Vec<OverrideView>), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_overrides(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<Vec<OverrideView>>, ApiError> {
    Ok(Json(cases::list_overrides(&state, &caller).await?))
}

#[utoipa::path(post, path = "/v1/me/appeals", tag = "citizens", request_body = AppealRequest,
    responses((status = 201, body = AppealView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn file_appeal(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Result<Json<AppealRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<AppealView>), ApiError> {
    caller.citizen()?;
    let Json(req) = body?;
    let view = cases::file_appeal(&state, &caller, &req).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(get, path = "/v1/me/appeals", tag = "citizens",
    responses((status = 200, body = Vec<AppealView>), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn my_appeals(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<Vec<AppealView>>, ApiError> {
    Ok(Json(cases::my_appeals(&state, &caller).await?))
}

#[utoipa::path(get, path = "/v1/appeals", tag = "authority",
    responses((status = 200, body = Vec<AppealView>), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn open_appeals(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<Vec<AppealView>>, ApiError> {
    Ok(Json(cases::open_appeals(&state, &caller).await?))
}

#[utoipa::path(post, path = "/v1/appeals/{id}/resolve", tag = "authority", request_body = Resolution,
    params(("id" = String, Path, description = "the appeal")),
    responses((status = 200, body = AppealView), (status = 403, body = ErrorBody),
        (status = 404, description = "no appeal has this id", body = ErrorBody),
        (status = 409, description = "`appeal.not_open`: the appeal is resolved already", body = ErrorBody),
        (status = 410, description = "`person.erased`: the person was erased since the appeal", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn resolve_appeal(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    body: Result<Json<Resolution>, JsonRejection>,
) -> Result<Json<AppealView>, ApiError> {
    caller.require(&[Role::Authority])?;
    let Json(req) = body?;
    Ok(Json(
        cases::resolve_appeal(&state, &caller, &id, &req).await?,
    ))
}
