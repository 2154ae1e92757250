//! Facts citizens report themselves: antigen self-tests and health declarations.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use healthcode_core::AppState;
use healthcode_core::facts::{self, DeclarationRequest, FactRecorded, SelfTestRequest};

use crate::auth::Authenticated;
use crate::error::{ApiError, ErrorBody};

#[utoipa::path(post, path = "/v1/me/self-tests", tag = "citizens", request_body = SelfTestRequest,
    responses((status = 201, body = FactRecorded), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 410, description = "`service.suspended`: the `self-tests` service is suspended or retired (`notice` and `since` say why and since when); `person.erased`: the person was erased (a session another server still trusted)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn self_test(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Result<Json<SelfTestRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<FactRecorded>), ApiError> {
    caller.citizen()?;
    let Json(req) = body?;
    let recorded = facts::self_test(&state, &caller, &req).await?;
    Ok((StatusCode::CREATED, Json(recorded)))
}

#[utoipa::path(post, path = "/v1/me/declarations", tag = "citizens", request_body = DeclarationRequest,
    responses((status = 201, body = FactRecorded), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 410, description = "`service.suspended`: the `declarations` service is suspended or retired (`notice` and `since` say why and since when); `person.erased`: the person was erased (a session another server still trusted)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn declaration(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Result<Json<DeclarationRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<FactRecorded>), ApiError> {
    caller.citizen()?;
    let Json(req) = body?;
    let recorded = facts::declaration(&state, &caller, &req).await?;
    Ok((StatusCode::CREATED, Json(recorded)))
}
