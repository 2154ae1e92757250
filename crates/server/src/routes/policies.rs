//! Policies (public to read; one authority proposes, a second publishes),
//! retention schedules, risk areas, and the citizen's explanation of their
//! colour.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use healthcode_core::AppState;
use healthcode_core::policies::{
    self, ExplanationResponse, ProposedPolicy, PublishedPolicy, RiskAreaDeclared, RiskAreaRequest,
};
use healthcode_core::retention::{self, PublishedSchedule, RetentionSchedules};
use healthcode_domain::policy::Language;
use healthcode_domain::role::Role;
use serde::Deserialize;
use serde_json::Value;

use crate::auth::Authenticated;
use crate::error::{ApiError, ErrorBody};

#[utoipa::path(get, path = "/v1/policies", tag = "policies",
    responses((status = 200, body = Vec<PublishedPolicy>)))]
pub async fn history(
    State(state): State<AppState>,
) -> Result<Json<Vec<PublishedPolicy>>, ApiError> {
    Ok(Json(policies::history(&state).await?))
}

#[utoipa::path(get, path = "/v1/policies/active", tag = "policies",
    responses((status = 200, body = PublishedPolicy), (status = 404, body = ErrorBody)))]
pub async fn active(State(state): State<AppState>) -> Result<Json<PublishedPolicy>, ApiError> {
    Ok(Json(policies::active(&state).await?))
}

/// Proposes a policy version; it is published only when a second authority
/// approves it.
#[utoipa::path(post, path = "/v1/policies", tag = "policies", request_body = Object,
    responses((status = 202, body = ProposedPolicy), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn propose(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<(StatusCode, Json<ProposedPolicy>), ApiError> {
    caller.require(&[Role::Authority])?;
    let Json(document) = body?;
    let proposed = policies::propose(&state, &caller, &document).await?;
    Ok((StatusCode::ACCEPTED, Json(proposed)))
}

#[utoipa::path(get, path = "/v1/policies/proposals", tag = "policies",
    responses((status = 200, body = Vec<ProposedPolicy>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn proposals(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<Vec<ProposedPolicy>>, ApiError> {
    Ok(Json(policies::proposals(&state, &caller).await?))
}

/// A second, different authority approves a proposed version, which is then
/// published.
#[utoipa::path(post, path = "/v1/policies/{version}/approve", tag = "policies",
    params(("version" = String, Path)),
    responses((status = 201, body = PublishedPolicy), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn approve(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(version): Path<String>,
) -> Result<(StatusCode, Json<PublishedPolicy>), ApiError> {
    let published = policies::approve(&state, &caller, &version).await?;
    Ok((StatusCode::CREATED, Json(published)))
}

#[utoipa::path(post, path = "/v1/risk-areas", tag = "policies", request_body = RiskAreaRequest,
    responses((status = 201, body = RiskAreaDeclared), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn declare_risk_area(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Result<Json<RiskAreaRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<RiskAreaDeclared>), ApiError> {
    caller.require(&[Role::Authority])?;
    let Json(req) = body?;
    let declared = policies::declare_risk_area(&state, &caller, &req).await?;
    Ok((StatusCode::CREATED, Json(declared)))
}

/// Query of `GET /v1/me/explanation`.
#[derive(Deserialize)]
pub struct ExplanationQuery {
    lang: Option<String>,
}

#[utoipa::path(get, path = "/v1/me/explanation", tag = "citizens",
    params(("lang" = Option<String>, Query, description = "zh (default) or en")),
    responses((status = 200, body = ExplanationResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn explanation(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    query: Result<Query<ExplanationQuery>, QueryRejection>,
) -> Result<Json<ExplanationResponse>, ApiError> {
    let Query(q) = query?;
    let language = if q.lang.as_deref() == Some("en") {
        Language::En
    } else {
        Language::Zh
    };
    Ok(Json(
        policies::explanation(&state, &caller, language).await?,
    ))
}

/// The published retention schedules: how long each category of personal data
/// is kept, and which schedule is in force.
#[utoipa::path(get, path = "/v1/retention", tag = "policies",
    responses((status = 200, body = RetentionSchedules)))]
pub async fn retention(State(state): State<AppState>) -> Json<RetentionSchedules> {
    Json(retention::schedules(&state))
}

/// An authority publishes a retention schedule taking effect in the future.
#[utoipa::path(post, path = "/v1/retention", tag = "policies", request_body = Object,
    responses((status = 201, body = PublishedSchedule), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn publish_retention(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<(StatusCode, Json<PublishedSchedule>), ApiError> {
    caller.require(&[Role::Authority])?;
    let Json(document) = body?;
    let published = retention::publish(&state, &caller, &document).await?;
    Ok((StatusCode::CREATED, Json(published)))
}
