//! Published policies (public to read, authorities publish) and the citizen's
//! explanation of their colour under them.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use healthcode_domain::policy::{CompiledPolicy, Language, PolicyDocument};
use healthcode_domain::role::Role;
use healthcode_store::PolicyRecord;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::codes::{rfc3339, timestamp};
use crate::error::{ApiError, ErrorBody};
use crate::recompute;
use crate::state::AppState;

/// A published policy version.
#[derive(Serialize, ToSchema)]
pub struct PublishedPolicy {
    pub version: String,
    pub effective_from: String,
    /// Whether it is the policy in force now.
    pub active: bool,
    /// The policy document itself: parameters and CertLogic rules.
    #[schema(value_type = Object)]
    pub document: Value,
}

fn published(record: &PolicyRecord, active: Option<&str>) -> Result<PublishedPolicy, ApiError> {
    Ok(PublishedPolicy {
        version: record.version.clone(),
        effective_from: rfc3339(record.effective_from),
        active: active == Some(record.version.as_str()),
        document: serde_json::from_str(&record.document).map_err(ApiError::internal)?,
    })
}

#[utoipa::path(get, path = "/v1/policies", tag = "policies",
    responses((status = 200, body = Vec<PublishedPolicy>)))]
pub async fn history(
    State(state): State<AppState>,
) -> Result<Json<Vec<PublishedPolicy>>, ApiError> {
    let policies = state.policies();
    let active = policies
        .active_at(timestamp(state.now()))
        .map(|p| p.version().to_owned());
    let records = state.store.policies().await?;
    records
        .iter()
        .map(|r| published(r, active.as_deref()))
        .collect::<Result<Vec<_>, _>>()
        .map(Json)
}

#[utoipa::path(get, path = "/v1/policies/active", tag = "policies",
    responses((status = 200, body = PublishedPolicy), (status = 404, body = ErrorBody)))]
pub async fn active(State(state): State<AppState>) -> Result<Json<PublishedPolicy>, ApiError> {
    let policies = state.policies();
    let Some(active) = policies
        .active_at(timestamp(state.now()))
        .map(|p| p.version().to_owned())
    else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "policy.none",
            "no policy is in force",
        ));
    };
    let records = state.store.policies().await?;
    let record = records
        .iter()
        .find(|r| r.version == active)
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(published(record, Some(&active))?))
}

#[utoipa::path(post, path = "/v1/policies", tag = "policies", request_body = Object,
    responses((status = 201, body = PublishedPolicy), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<(StatusCode, Json<PublishedPolicy>), ApiError> {
    caller.require(&[Role::Authority])?;
    let Json(document) = body?;
    let text = document.to_string();
    let invalid = |e: healthcode_domain::policy::PolicyError| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string())
    };
    let parsed = PolicyDocument::from_json(&text).map_err(invalid)?;
    CompiledPolicy::compile(parsed.clone()).map_err(invalid)?;
    let now = state.now();
    if parsed.effective_from.as_second() <= now {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "policy.retroactive",
            "a policy takes effect in the future; colours already shown cannot change retroactively",
        ));
    }
    let record = PolicyRecord {
        version: parsed.version.clone(),
        effective_from: parsed.effective_from.as_second(),
        document: text,
        published_by: Some(caller.account_id.clone()),
        published_at: now,
    };
    state
        .store
        .insert_policy(&record)
        .await
        .map_err(|e| match e {
            healthcode_store::StoreError::Database(_) => ApiError::new(
                StatusCode::CONFLICT,
                "policy.duplicate",
                "a policy with this version or effective time exists",
            ),
            other => other.into(),
        })?;
    state.reload_rules().await.map_err(ApiError::internal)?;
    tracing::info!(version = %record.version, "policy published");
    Ok((StatusCode::CREATED, Json(published(&record, None)?)))
}

/// Query of `GET /v1/me/explanation`.
#[derive(Deserialize)]
pub struct ExplanationQuery {
    lang: Option<String>,
}

/// Why the code has its colour, what to do, and when it turns green.
#[derive(Serialize, ToSchema)]
pub struct ExplanationResponse {
    pub colour: String,
    pub policy_version: String,
    /// When the colour will be recomputed even without new facts.
    pub valid_until: Option<String>,
    /// When the code turns green if nothing new happens.
    pub green_at: Option<String>,
    /// One entry per reason: `{ code, rule_id, colour, message, advice, until }`.
    #[schema(value_type = Vec<Object>)]
    pub reasons: Vec<Value>,
}

#[utoipa::path(get, path = "/v1/me/explanation", tag = "citizens",
    params(("lang" = Option<String>, Query, description = "zh (default) or en")),
    responses((status = 200, body = ExplanationResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn explanation(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ExplanationQuery>,
) -> Result<Json<ExplanationResponse>, ApiError> {
    let person_id = caller.citizen()?;
    let language = if q.lang.as_deref() == Some("en") {
        Language::En
    } else {
        Language::Zh
    };
    let evaluation = recompute::evaluate(&state, person_id, state.now()).await?;
    let reasons = evaluation
        .explanations
        .iter()
        .map(|e| {
            let (message, advice) = match language {
                Language::En => (&e.message_en, &e.advice_en),
                Language::Zh => (&e.message_zh, &e.advice_zh),
            };
            serde_json::json!({
                "code": e.code, "rule_id": e.rule_id, "colour": e.colour,
                "message": message, "advice": advice,
                "until": e.until.map(|t| t.to_string()),
            })
        })
        .collect();
    Ok(Json(ExplanationResponse {
        colour: evaluation.colour.as_str().to_owned(),
        policy_version: evaluation.policy_version,
        valid_until: evaluation.valid_until.map(|t| t.to_string()),
        green_at: evaluation.green_at.map(|t| t.to_string()),
        reasons,
    }))
}
