//! Services on a schedule: the public schedule, and authorities scheduling and
//! cancelling closures.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use healthcode_core::AppState;
use healthcode_core::services::{self, ClosureHistoryEntry, ClosureRequest, ServiceState};
use healthcode_domain::role::Role;

use crate::auth::Authenticated;
use crate::error::{ApiError, ErrorBody};

#[utoipa::path(get, path = "/v1/services", tag = "services",
    responses((status = 200, body = Vec<ServiceState>)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<ServiceState>>, ApiError> {
    Ok(Json(services::schedule(&state).await?))
}

#[utoipa::path(post, path = "/v1/services/closures", tag = "services", request_body = ClosureRequest,
    responses((status = 201, body = ServiceState), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn schedule(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Result<Json<ClosureRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<ServiceState>), ApiError> {
    caller.require(&[Role::Authority])?;
    let Json(request) = body?;
    let scheduled = services::schedule_closure(&state, caller.actor(), &request).await?;
    Ok((StatusCode::CREATED, Json(scheduled)))
}

#[utoipa::path(delete, path = "/v1/services/{service}/closure", tag = "services",
    params(("service" = String, Path, description = "the service's stable name")),
    responses((status = 204), (status = 403, body = ErrorBody),
        (status = 404, description = "`service.not_scheduled`: no closure of this service is scheduled", body = ErrorBody),
        (status = 422, description = "`service.unknown`: no service has this name", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn cancel(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(service): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(&[Role::Authority])?;
    services::cancel_closure(&state, caller.actor(), &service).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/services/history", tag = "services",
    responses((status = 200, body = Vec<ClosureHistoryEntry>), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn history(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<Vec<ClosureHistoryEntry>>, ApiError> {
    Ok(Json(services::history(&state, &caller).await?))
}
