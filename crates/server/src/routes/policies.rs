//! Published policies (public to read, authorities publish) and the citizen's
//! explanation of their colour under them.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use healthcode_domain::divisions;
use healthcode_domain::policy::{CompiledPolicy, Language, PolicyDocument};
use healthcode_domain::role::Role;
use healthcode_store::{PolicyRecord, RiskAreaRecord};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::codes::{rfc3339, timestamp};
use crate::error::{ApiError, ErrorBody};
use crate::recompute;
use crate::registration::random_id;
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

/// A risk area to declare.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskAreaRequest {
    /// `division` (a GB/T 2260 code at any level) or `venue` (a venue id).
    pub scope_kind: String,
    pub scope: String,
    /// `high`, `medium` or `low`.
    pub level: String,
    pub name: Option<String>,
    /// Start of the window (RFC 3339).
    pub from: String,
    /// End of the window (RFC 3339); open if absent.
    pub until: Option<String>,
}

/// A declared risk area and how many people it recoloured.
#[derive(Serialize, ToSchema)]
pub struct RiskAreaDeclared {
    pub id: String,
    pub recomputed: usize,
}

#[utoipa::path(post, path = "/v1/risk-areas", tag = "policies", request_body = RiskAreaRequest,
    responses((status = 201, body = RiskAreaDeclared), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn declare_risk_area(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<RiskAreaRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<RiskAreaDeclared>), ApiError> {
    caller.require(&[Role::Authority])?;
    let Json(req) = body?;
    let bad = |code: &'static str, message: &str| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    };
    match req.scope_kind.as_str() {
        "division" if divisions::is_known(&req.scope) => {}
        "division" => {
            return Err(bad(
                "risk_area.division",
                "scope must be a known GB/T 2260 division code",
            ));
        }
        "venue" if !req.scope.is_empty() && req.scope.len() <= 64 => {}
        _ => {
            return Err(bad(
                "risk_area.scope",
                "scope_kind must be division or venue, with a scope",
            ));
        }
    }
    if !["high", "medium", "low"].contains(&req.level.as_str()) {
        return Err(bad("risk_area.level", "level must be high, medium or low"));
    }
    if req
        .name
        .as_ref()
        .is_some_and(|n| n.chars().count() > 100 || n.chars().any(char::is_control))
    {
        return Err(bad("risk_area.name", "name must be at most 100 characters"));
    }
    let time = |text: &str| {
        text.parse::<Timestamp>()
            .map(|t| t.as_second())
            .map_err(|_| bad("risk_area.time", "from and until must be RFC 3339 times"))
    };
    let from_at = time(&req.from)?;
    let until_at = req.until.as_deref().map(time).transpose()?;
    if until_at.is_some_and(|u| u <= from_at) {
        return Err(bad("risk_area.time", "until must be after from"));
    }
    let now = state.now();
    let record = RiskAreaRecord {
        id: random_id()?,
        scope_kind: req.scope_kind,
        scope: req.scope,
        level: req.level,
        name: req.name,
        from_at,
        until_at,
        declared_by: caller.account_id.clone(),
        declared_at: now,
    };
    let recomputed = recompute::declare_risk_area(&state, &record).await?;
    tracing::info!(level = %record.level, recomputed, "risk area declared");
    Ok((
        StatusCode::CREATED,
        Json(RiskAreaDeclared {
            id: record.id,
            recomputed,
        }),
    ))
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
