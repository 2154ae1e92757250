//! The sampling workbench (collectors open tubes) and laboratories (results per tube).
//!
//! A tube is seen, filled and sealed only by the collector who opened it; to
//! other collectors it answers 404 `tube.not_found` as a tube that does not
//! exist would, so tube ids are not revealed. Laboratories read no tube.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use healthcode_core::AppState;
use healthcode_core::workbench::{
    self, OpenTube, ResultApplied, ResultInput, SampleAdded, SampleScan, TubeView,
};
use healthcode_domain::role::Role;

use crate::auth::Authenticated;
use crate::error::{ApiError, ErrorBody};

#[utoipa::path(post, path = "/v1/tubes", tag = "workbench", request_body = OpenTube,
    responses((status = 201, body = TubeView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 410, description = "`service.suspended`: the `workbench` service is suspended or retired (`notice` and `since` say why and since when)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn open(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Result<Json<OpenTube>, JsonRejection>,
) -> Result<(StatusCode, Json<TubeView>), ApiError> {
    caller.require(&[Role::Collector])?;
    let Json(req) = body?;
    let tube = workbench::open_tube(&state, &caller, &req).await?;
    Ok((StatusCode::CREATED, Json(tube)))
}

#[utoipa::path(get, path = "/v1/tubes/{id}", tag = "workbench",
    params(("id" = String, Path, description = "the tube")),
    responses((status = 200, body = TubeView), (status = 403, description = "not a collector", body = ErrorBody),
        (status = 404, description = "no such tube, or another collector's", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<TubeView>, ApiError> {
    Ok(Json(workbench::show_tube(&state, &caller, &id).await?))
}

#[utoipa::path(post, path = "/v1/tubes/{id}/seal", tag = "workbench",
    params(("id" = String, Path, description = "the tube")),
    responses((status = 204), (status = 403, body = ErrorBody),
        (status = 404, description = "no such tube, or another collector's", body = ErrorBody),
        (status = 409, description = "sealed already", body = ErrorBody), (status = 410, description = "`service.suspended`: the `workbench` service is suspended or retired (`notice` and `since` say why and since when)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn seal(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    workbench::seal_tube(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/results", tag = "laboratory", request_body = ResultInput,
    responses((status = 200, body = ResultApplied), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 410, description = "`service.suspended`: the `laboratory-uploads` service is suspended or retired (`notice` and `since` say why and since when)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn upload_result(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Result<Json<ResultInput>, JsonRejection>,
) -> Result<Json<ResultApplied>, ApiError> {
    caller.require(&[Role::Lab])?;
    let Json(input) = body?;
    Ok(Json(
        workbench::upload_result(&state, &caller, &input).await?,
    ))
}

#[utoipa::path(post, path = "/v1/tubes/{id}/samples", tag = "workbench", request_body = SampleScan,
    params(("id" = String, Path, description = "the tube")),
    responses((status = 201, body = SampleAdded), (status = 200, description = "already in the tube", body = SampleAdded),
        (status = 403, body = ErrorBody), (status = 404, description = "no such tube, or another collector's", body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 410, description = "`service.suspended`: the `workbench` service is suspended or retired (`notice` and `since` say why and since when)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_sample(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    body: Result<Json<SampleScan>, JsonRejection>,
) -> Result<(StatusCode, Json<SampleAdded>), ApiError> {
    caller.require(&[Role::Collector])?;
    let Json(scan) = body?;
    let added = workbench::add_sample(&state, &caller, &id, &scan).await?;
    let status = if added.repeat {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(added)))
}
