//! Laboratory results per tube, for individual and pooled samples.
//!
//! A negative pool is negative for every member. A positive pool says only
//! that someone in it is positive: every member gets the pooled result and a
//! "pending retest" until an individual sample taken after it has a result.
//! Results are idempotent: the facts carry keys derived from the tube and the
//! person, and a tube keeps its first result (a different one is refused).

use healthcode_domain::facts::{
    PendingRetest, Provenance, SourceKind, TestKind, TestOutcome, TestResult,
};
use healthcode_store::TubeRecord;

use crate::codes::timestamp;
use crate::error::ApiError;
use crate::recompute::{Fact, record_fact};
use crate::registration::random_id;
use crate::state::AppState;

/// A laboratory's result for one tube, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TubeResult {
    pub tube_id: String,
    pub kind: TestKind,
    pub outcome: TestOutcome,
    pub laboratory: String,
    pub sample_at: i64,
    pub result_at: i64,
}

/// A result as it arrives (API body or CSV row), before validation.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultInput {
    pub tube_id: String,
    /// `pcr` or `antigen`.
    pub kind: String,
    /// `positive` or `negative`.
    pub outcome: String,
    /// The laboratory's name or code.
    pub laboratory: String,
    /// When the swabs were taken (RFC 3339).
    pub sample_at: String,
    /// When the result was established (RFC 3339); now if absent.
    pub result_at: Option<String>,
}

/// A field of a result that is wrong, with its stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub code: &'static str,
    pub message: String,
}

impl ResultInput {
    /// Validates every field; times must be in order and not in the future.
    pub fn validate(&self, now: i64, skew: i64) -> Result<TubeResult, Invalid> {
        let bad = |code: &'static str, message: &str| Invalid {
            code,
            message: message.to_owned(),
        };
        let tube_id = self.tube_id.trim();
        if tube_id.is_empty()
            || tube_id.len() > 64
            || !tube_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(bad(
                "tube.id",
                "tube_id must be 1 to 64 letters, digits, '-' or '_'",
            ));
        }
        let kind = TestKind::parse(self.kind.trim())
            .ok_or_else(|| bad("result.kind", "kind must be pcr or antigen"))?;
        let outcome = TestOutcome::parse(self.outcome.trim())
            .ok_or_else(|| bad("result.outcome", "outcome must be positive or negative"))?;
        let laboratory = self.laboratory.trim();
        if laboratory.is_empty()
            || laboratory.chars().count() > 100
            || laboratory.chars().any(char::is_control)
        {
            return Err(bad(
                "result.laboratory",
                "laboratory must be 1 to 100 characters",
            ));
        }
        let time = |text: &str| {
            text.trim()
                .parse::<jiff::Timestamp>()
                .map(|t| t.as_second())
                .map_err(|_| {
                    bad(
                        "result.time",
                        "sample_at and result_at must be RFC 3339 times",
                    )
                })
        };
        let sample_at = time(&self.sample_at)?;
        let result_at = self
            .result_at
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .map(time)
            .transpose()?
            .unwrap_or(now);
        if result_at < sample_at || result_at > now + skew || sample_at < now - 30 * 86_400 {
            return Err(bad(
                "result.time",
                "the sample must be from the last 30 days and the result after it and not in the future",
            ));
        }
        Ok(TubeResult {
            tube_id: tube_id.to_owned(),
            kind,
            outcome,
            laboratory: laboratory.to_owned(),
            sample_at,
            result_at,
        })
    }
}

/// What applying a result did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The result was new; this many people got facts.
    New { members: usize },
    /// The same result was uploaded before; nothing changed.
    Repeat,
}

/// Why a result could not be applied; each with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResultError {
    #[error("no tube with this id")]
    NoSuchTube,
    #[error("the tube holds no sample")]
    EmptyTube,
    #[error("the tube already has a different result")]
    Conflict,
}

impl ResultError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ResultError::NoSuchTube => "tube.not_found",
            ResultError::EmptyTube => "tube.empty",
            ResultError::Conflict => "tube.result_conflict",
        }
    }
}

/// Checks a result against the stored tube, before anything is written.
pub fn check(tube: Option<&TubeRecord>, result: &TubeResult) -> Result<(), ResultError> {
    let tube = tube.ok_or(ResultError::NoSuchTube)?;
    if tube.members.is_empty() {
        return Err(ResultError::EmptyTube);
    }
    match &tube.outcome {
        Some(outcome)
            if outcome != result.outcome.as_str()
                || tube.kind.as_deref() != Some(result.kind.as_str()) =>
        {
            Err(ResultError::Conflict)
        }
        _ => Ok(()),
    }
}

/// Applies a laboratory result to every member of its tube (and recomputes their
/// colours). `lab_account` is who uploaded it.
pub async fn apply(
    state: &AppState,
    result: &TubeResult,
    lab_account: &str,
) -> Result<Applied, ApiError> {
    let tube = state.store.tube(&result.tube_id).await?;
    check(tube.as_ref(), result)
        .map_err(|e| ApiError::new(axum::http::StatusCode::CONFLICT, e.code(), e.to_string()))?;
    let Some(tube) = tube else {
        return Err(ApiError::not_found());
    };
    if tube.outcome.is_some() {
        return Ok(Applied::Repeat);
    }
    let pooled = tube.capacity > 1;
    let now = state.now();
    let provenance = Provenance::epidemic(SourceKind::Laboratory, lab_account, timestamp(now));
    for person_id in &tube.members {
        let test = TestResult {
            id: random_id()?,
            kind: result.kind,
            sample_at: timestamp(result.sample_at),
            result_at: timestamp(result.result_at),
            outcome: result.outcome,
            laboratory: result.laboratory.clone(),
            pooled,
            provenance: provenance.clone(),
        };
        let key = format!("tube:{}:{person_id}:result", tube.id);
        record_fact(state, person_id, &Fact::TestResult(test), Some(key)).await?;
        if pooled && result.outcome == TestOutcome::Positive {
            let retest = PendingRetest {
                id: random_id()?,
                pool_id: tube.id.clone(),
                since: timestamp(result.result_at),
                provenance: provenance.clone(),
            };
            let key = format!("tube:{}:{person_id}:retest", tube.id);
            record_fact(state, person_id, &Fact::PendingRetest(retest), Some(key)).await?;
        }
    }
    // Last, so that a crash half-way leaves the tube open for the same upload again.
    state
        .store
        .record_tube_result(
            &tube.id,
            result.outcome.as_str(),
            result.kind.as_str(),
            &result.laboratory,
            result.sample_at,
            result.result_at,
        )
        .await?;
    tracing::info!(members = tube.members.len(), pooled, "tube result applied");
    Ok(Applied::New {
        members: tube.members.len(),
    })
}
