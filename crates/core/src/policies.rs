//! Policies (public to read; one authority proposes a version, a second
//! publishes it) and the citizen's explanation of their colour under them.

use healthcode_domain::audit::{Act, Draft};
use healthcode_domain::divisions;
use healthcode_domain::policy::{CompiledPolicy, Language, PolicyDocument};
use healthcode_domain::role::Role;
use healthcode_store::{PolicyProposalRecord, PolicyRecord, RiskAreaRecord, StoreError};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::actor::Caller;
use crate::app::AppState;
use crate::clock::{rfc3339, timestamp};
use crate::error::{Error, ErrorCode};
use crate::ids::random_id;
use crate::recompute;

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

fn published(record: &PolicyRecord, active: Option<&str>) -> Result<PublishedPolicy, Error> {
    Ok(PublishedPolicy {
        version: record.version.clone(),
        effective_from: rfc3339(record.effective_from),
        active: active == Some(record.version.as_str()),
        document: serde_json::from_str(&record.document).map_err(Error::internal)?,
    })
}

/// Every published policy, by effective time.
pub async fn history(state: &AppState) -> Result<Vec<PublishedPolicy>, Error> {
    let policies = state.policies();
    let active = policies
        .active_at(timestamp(state.now()))
        .map(|p| p.version().to_owned());
    let records = state.store().policies().await?;
    records
        .iter()
        .map(|r| published(r, active.as_deref()))
        .collect()
}

/// The policy in force now.
pub async fn active(state: &AppState) -> Result<PublishedPolicy, Error> {
    let policies = state.policies();
    let Some(active) = policies
        .active_at(timestamp(state.now()))
        .map(|p| p.version().to_owned())
    else {
        return Err(Error::new(ErrorCode::PolicyNone, "no policy is in force"));
    };
    let records = state.store().policies().await?;
    let record = records
        .iter()
        .find(|r| r.version == active)
        .ok_or_else(Error::not_found)?;
    published(record, Some(&active))
}

/// A policy version proposed by one authority and waiting for a second.
#[derive(Serialize, ToSchema)]
pub struct ProposedPolicy {
    pub version: String,
    pub effective_from: String,
    /// The proposing authority's account.
    pub proposed_by: String,
    pub proposed_at: String,
    #[schema(value_type = Object)]
    pub document: Value,
}

fn proposed(record: &PolicyProposalRecord) -> Result<ProposedPolicy, Error> {
    Ok(ProposedPolicy {
        version: record.version.clone(),
        effective_from: rfc3339(record.effective_from),
        proposed_by: record.proposed_by.clone(),
        proposed_at: rfc3339(record.proposed_at),
        document: serde_json::from_str(&record.document).map_err(Error::internal)?,
    })
}

/// Refuses a policy that would take effect now or in the past: colours already
/// shown cannot change retroactively.
fn ensure_future(effective_from: i64, now: i64) -> Result<(), Error> {
    if effective_from <= now {
        return Err(Error::new(
            ErrorCode::PolicyRetroactive,
            "a policy takes effect in the future; colours already shown cannot change retroactively",
        ));
    }
    Ok(())
}

/// An authority proposes a policy version that takes effect in the future. It
/// changes nothing until a second, different authority approves it
/// ([`approve`]): one official alone cannot recolour a province.
pub async fn propose(
    state: &AppState,
    caller: &Caller,
    document: &Value,
) -> Result<ProposedPolicy, Error> {
    caller.require(&[Role::Authority])?;
    let text = document.to_string();
    let parsed = PolicyDocument::from_json(&text)?;
    CompiledPolicy::compile(parsed.clone())?;
    let now = state.now();
    ensure_future(parsed.effective_from.as_second(), now)?;
    let record = PolicyProposalRecord {
        version: parsed.version.clone(),
        effective_from: parsed.effective_from.as_second(),
        document: text,
        proposed_by: caller.account_id.clone(),
        proposed_at: now,
    };
    let mut unit = state.begin(caller.actor()).await?;
    unit.insert_policy_proposal(&record)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) | StoreError::Database(_) => Error::new(
                ErrorCode::PolicyDuplicate,
                "a policy or proposal with this version or effective time exists",
            ),
            other => other.into(),
        })?;
    unit.audit(
        Draft::new(Act::PolicyProposed)
            .detail("version", &record.version)
            .detail("effective_from", rfc3339(record.effective_from)),
    );
    unit.commit().await?;
    tracing::info!(version = %record.version, "policy proposed");
    proposed(&record)
}

/// Policy versions waiting for approval (authorities and the regulator).
pub async fn proposals(state: &AppState, caller: &Caller) -> Result<Vec<ProposedPolicy>, Error> {
    caller.require(&[Role::Authority, Role::Regulator])?;
    state
        .store()
        .policy_proposals()
        .await?
        .iter()
        .map(proposed)
        .collect()
}

/// A second authority approves a proposed version: it is published, and
/// takes effect at its time.
pub async fn approve(
    state: &AppState,
    caller: &Caller,
    version: &str,
) -> Result<PublishedPolicy, Error> {
    caller.require(&[Role::Authority])?;
    let now = state.now();
    let mut unit = state.begin(caller.actor()).await?;
    let Some(proposal) = unit.take_policy_proposal(version).await? else {
        return Err(Error::new(
            ErrorCode::PolicyNotProposed,
            "no policy version with this name is waiting for approval",
        ));
    };
    if proposal.proposed_by == caller.account_id {
        return Err(Error::new(
            ErrorCode::PolicySameOfficial,
            "a policy needs the approval of a second, different authority",
        ));
    }
    ensure_future(proposal.effective_from, now)?;
    let record = PolicyRecord {
        version: proposal.version,
        effective_from: proposal.effective_from,
        document: proposal.document,
        published_by: Some(caller.account_id.clone()),
        published_at: now,
        proposed_by: Some(proposal.proposed_by),
    };
    unit.insert_policy(&record).await.map_err(|e| match e {
        StoreError::Database(_) => Error::new(
            ErrorCode::PolicyDuplicate,
            "a policy with this version or effective time exists",
        ),
        other => other.into(),
    })?;
    unit.audit(
        Draft::new(Act::PolicyPublished)
            .detail("version", &record.version)
            .detail("effective_from", rfc3339(record.effective_from))
            .detail(
                "proposed_by",
                record.proposed_by.as_deref().unwrap_or_default(),
            ),
    );
    unit.commit().await?;
    state.reload_rules().await.map_err(Error::internal)?;
    tracing::info!(version = %record.version, "policy published");
    published(&record, None)
}

/// A risk area to declare.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"scope_kind": "division", "scope": "350102", "level": "low", "name": "鼓楼区", "from": "2099-01-01T00:00:00+08:00", "until": "2099-01-15T00:00:00+08:00"}))]
pub struct RiskAreaRequest {
    #[schema(schema_with = crate::schema::risk_scope_kind)]
    pub scope_kind: String,
    pub scope: String,
    #[schema(schema_with = crate::schema::risk_level)]
    pub level: String,
    pub name: Option<String>,
    /// Start of the window (RFC 3339).
    #[schema(format = DateTime)]
    pub from: String,
    /// End of the window (RFC 3339); open if absent.
    #[schema(format = DateTime)]
    pub until: Option<String>,
}

/// A declared risk area and how many people it recoloured.
#[derive(Serialize, ToSchema)]
pub struct RiskAreaDeclared {
    pub id: String,
    pub recomputed: usize,
}

/// An authority declares a division or a venue a risk area for a window;
/// everyone who checked in there during it is recomputed.
pub async fn declare_risk_area(
    state: &AppState,
    caller: &Caller,
    req: &RiskAreaRequest,
) -> Result<RiskAreaDeclared, Error> {
    caller.require(&[Role::Authority])?;
    let bad = |code: ErrorCode, message: &str| Error::new(code, message);
    match req.scope_kind.as_str() {
        "division" if divisions::is_known(&req.scope) => {}
        "division" => {
            return Err(bad(
                ErrorCode::RiskAreaDivision,
                "scope must be a known GB/T 2260 division code",
            ));
        }
        "venue" if !req.scope.is_empty() && req.scope.len() <= 64 => {}
        _ => {
            return Err(bad(
                ErrorCode::RiskAreaScope,
                "scope_kind must be division or venue, with a scope",
            ));
        }
    }
    if !["high", "medium", "low"].contains(&req.level.as_str()) {
        return Err(bad(
            ErrorCode::RiskAreaLevel,
            "level must be high, medium or low",
        ));
    }
    if req
        .name
        .as_ref()
        .is_some_and(|n| n.chars().count() > 100 || n.chars().any(char::is_control))
    {
        return Err(bad(
            ErrorCode::RiskAreaName,
            "name must be at most 100 characters",
        ));
    }
    let time = |text: &str| {
        text.parse::<Timestamp>()
            .map(|t| t.as_second())
            .map_err(|_| {
                bad(
                    ErrorCode::RiskAreaTime,
                    "from and until must be RFC 3339 times",
                )
            })
    };
    let from_at = time(&req.from)?;
    let until_at = req.until.as_deref().map(time).transpose()?;
    if until_at.is_some_and(|u| u <= from_at) {
        return Err(bad(ErrorCode::RiskAreaTime, "until must be after from"));
    }
    let now = state.now();
    let record = RiskAreaRecord {
        id: random_id()?,
        scope_kind: req.scope_kind.clone(),
        scope: req.scope.clone(),
        level: req.level.clone(),
        name: req.name.clone(),
        from_at,
        until_at,
        declared_by: caller.account_id.clone(),
        declared_at: now,
    };
    let recomputed = recompute::declare_risk_area(state, caller.actor(), &record).await?;
    tracing::info!(level = %record.level, recomputed, "risk area declared");
    Ok(RiskAreaDeclared {
        id: record.id,
        recomputed,
    })
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

/// Why the citizen's code has its colour, in `language`.
pub async fn explanation(
    state: &AppState,
    caller: &Caller,
    language: Language,
) -> Result<ExplanationResponse, Error> {
    let person_id = caller.citizen()?;
    let person = state.people().open(state.store(), person_id).await?;
    let evaluation = recompute::evaluate(state, &person, state.now()).await?;
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
    Ok(ExplanationResponse {
        colour: evaluation.colour.as_str().to_owned(),
        policy_version: evaluation.policy_version,
        valid_until: evaluation.valid_until.map(|t| t.to_string()),
        green_at: evaluation.green_at.map(|t| t.to_string()),
        reasons,
    })
}
