//! The sampling workbench (collectors scan people into tubes) and laboratory
//! results per tube, for individual and pooled samples.
//!
//! A negative pool is negative for every member. A positive pool says only
//! that someone in it is positive: every member gets the pooled result and a
//! "pending retest" until an individual sample taken after it has a result.
//! Results are idempotent: the facts carry keys derived from the tube and the
//! person, and a tube keeps its first result (a different one is refused).
//!
//! A tube belongs to the collector who opened it: only they see, fill and
//! seal it. To anyone else it does not exist, so tube ids are not revealed
//! across sites. Laboratories see no tube at all: a result needs only its id.

use healthcode_domain::actor::Actor;
use healthcode_domain::facts::{
    Fact, PendingRetest, Provenance, SourceKind, TestKind, TestOutcome, TestResult,
};
use healthcode_domain::role::Role;
use healthcode_domain::services::Service;
use healthcode_store::{AddSample, StoreError, TubeRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::{self, Datum, Purpose};
use crate::actor::Caller;
use crate::app::AppState;
use crate::check_ins::scanned_person;
use crate::clock::timestamp;
use crate::error::{Error, ErrorCode};
use crate::ids::random_id;
use crate::recompute::record_fact_in;
use crate::services;

/// A tube to open.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"tube_id": "T-0001", "capacity": 10}))]
pub struct OpenTube {
    /// The tube's barcode: 1 to 64 letters, digits, `-` or `_`.
    #[schema(pattern = r"^[A-Za-z0-9_-]{1,64}$")]
    pub tube_id: String,
    /// 1 for an individual sample, or the pool size (at most `max_pool`, 20 by default).
    #[schema(minimum = 1, maximum = 50)]
    pub capacity: i64,
}

/// A tube as its collector sees it: counts, never people.
#[derive(Serialize, ToSchema)]
pub struct TubeView {
    pub tube_id: String,
    pub capacity: i64,
    pub samples: usize,
    pub sealed: bool,
    pub outcome: Option<String>,
}

/// A personal code scanned at the workbench.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SampleScan {
    pub personal_code: String,
}

/// A sample added to a tube: what the collector's screen shows.
#[derive(Serialize, ToSchema)]
pub struct SampleAdded {
    pub tube_id: String,
    /// Samples in the tube now, and its capacity.
    pub samples: usize,
    pub capacity: i64,
    /// The masked name from the code, to compare with the person in front of the collector.
    pub masked_name: String,
    /// True when this person was already in the tube (a repeated scan).
    pub repeat: bool,
}

/// What a result upload did.
#[derive(Serialize, ToSchema)]
pub struct ResultApplied {
    /// `new` or `repeat` (the same result was uploaded before).
    pub status: String,
    /// How many people's records it updated.
    pub members: usize,
}

/// A tube id as printed on its barcode: 1 to 64 letters, digits, `-` or `_`.
fn checked_tube_id(id: &str) -> Result<&str, Error> {
    let id = id.trim();
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Error::new(
            ErrorCode::TubeId,
            "tube_id must be 1 to 64 letters, digits, '-' or '_'",
        ));
    }
    Ok(id)
}

/// The answer for a tube that does not exist, and for another collector's.
fn no_such_tube() -> Error {
    Error::new(ErrorCode::TubeNotFound, "no tube with this id")
}

/// The tube if `caller` opened it; another collector's is answered as one
/// that does not exist, so its id is not revealed.
fn own_tube(caller: &Caller, tube: Option<TubeRecord>) -> Result<TubeRecord, Error> {
    tube.filter(|t| t.collector_id == caller.account_id)
        .ok_or_else(no_such_tube)
}

/// A collector opens a tube for one sample or a pool.
pub async fn open_tube(
    state: &AppState,
    caller: &Caller,
    req: &OpenTube,
) -> Result<TubeView, Error> {
    caller.require(&[Role::Collector])?;
    services::ensure_open(state, Service::Workbench)?;
    let tube_id = checked_tube_id(&req.tube_id)?;
    let max_pool = state.config().max_pool;
    if req.capacity < 1 || req.capacity > max_pool {
        return Err(Error::new(
            ErrorCode::TubeCapacity,
            format!("capacity must be 1 to {max_pool}"),
        ));
    }
    let mut unit = state.begin(caller.actor()).await?;
    unit.open_tube(tube_id, req.capacity, &caller.account_id, state.now())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                Error::new(ErrorCode::TubeExists, "a tube with this id exists")
            }
            other => other.into(),
        })?;
    unit.commit().await?;
    Ok(TubeView {
        tube_id: tube_id.to_owned(),
        capacity: req.capacity,
        samples: 0,
        sealed: false,
        outcome: None,
    })
}

/// A tube's counts, for the collector who opened it.
pub async fn show_tube(state: &AppState, caller: &Caller, id: &str) -> Result<TubeView, Error> {
    caller.require(&[Role::Collector])?;
    let tube = own_tube(caller, state.store().tube(id).await?)?;
    Ok(TubeView {
        tube_id: tube.id,
        capacity: tube.capacity,
        samples: tube.members.len(),
        sealed: tube.sealed_at.is_some(),
        outcome: tube.outcome,
    })
}

/// The collector who opened a tube seals it: no more samples go in.
pub async fn seal_tube(state: &AppState, caller: &Caller, id: &str) -> Result<(), Error> {
    caller.require(&[Role::Collector])?;
    services::ensure_open(state, Service::Workbench)?;
    let mut unit = state.begin(caller.actor()).await?;
    own_tube(caller, unit.lock_tube(id).await?)?;
    let sealed = unit.seal_tube(id, state.now()).await?;
    unit.commit().await?;
    if sealed {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::TubeNotOpen,
            "the tube is sealed already",
        ))
    }
}

/// The collector who opened a tube scans a person's code into it.
pub async fn add_sample(
    state: &AppState,
    caller: &Caller,
    tube_id: &str,
    scan: &SampleScan,
) -> Result<SampleAdded, Error> {
    caller.require(&[Role::Collector])?;
    services::ensure_open(state, Service::Workbench)?;
    let (verified, person_id) = scanned_person(state, &scan.personal_code)?;
    let mut unit = state.begin(caller.actor()).await?;
    // Before the person's data is opened: a scan into someone else's tube
    // opens nothing and leaves no trace in the person's access log.
    let tube = own_tube(caller, unit.lock_tube(tube_id).await?)?;
    access::open_for_write(
        state,
        &mut unit,
        &person_id,
        Purpose::Sampling,
        &[Datum::MaskedName, Datum::Samples],
    )
    .await?;
    let outcome = unit.add_sample(tube_id, &person_id, state.now()).await?;
    unit.commit().await?;
    match outcome {
        AddSample::Added | AddSample::AlreadyIn => {}
        AddSample::Full => {
            return Err(Error::new(
                ErrorCode::TubeFull,
                "the tube is full; open a new one",
            ));
        }
        AddSample::Sealed => return Err(Error::new(ErrorCode::TubeSealed, "the tube is sealed")),
        AddSample::NoSuchTube => return Err(no_such_tube()),
    }
    Ok(SampleAdded {
        samples: tube.members.len() + usize::from(outcome == AddSample::Added),
        tube_id: tube.id,
        capacity: tube.capacity,
        masked_name: verified.claims.masked_name,
        repeat: outcome == AddSample::AlreadyIn,
    })
}

/// A laboratory uploads a tube's result.
pub async fn upload_result(
    state: &AppState,
    caller: &Caller,
    input: &ResultInput,
) -> Result<ResultApplied, Error> {
    caller.require(&[Role::Lab])?;
    let result = input
        .validate(state.now(), state.config().clock_skew)
        .map_err(|e| Error::new(e.code, e.message))?;
    Ok(match apply(state, caller.actor(), &result).await? {
        Applied::New { members } => ResultApplied {
            status: "new".to_owned(),
            members,
        },
        Applied::Repeat => ResultApplied {
            status: "repeat".to_owned(),
            members: 0,
        },
    })
}

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
    #[schema(pattern = r"^[A-Za-z0-9_-]{1,64}$")]
    pub tube_id: String,
    #[schema(schema_with = crate::schema::test_kind)]
    pub kind: String,
    #[schema(schema_with = crate::schema::test_outcome)]
    pub outcome: String,
    /// The laboratory's name or code.
    pub laboratory: String,
    /// When the swabs were taken (RFC 3339).
    #[schema(format = DateTime)]
    pub sample_at: String,
    /// When the result was established (RFC 3339); now if absent.
    #[schema(format = DateTime)]
    pub result_at: Option<String>,
}

/// A field of a result that is wrong, with its stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub code: ErrorCode,
    pub message: String,
}

impl ResultInput {
    /// Validates every field; times must be in order and not in the future.
    pub fn validate(&self, now: i64, skew: i64) -> Result<TubeResult, Invalid> {
        let bad = |code: ErrorCode, message: &str| Invalid {
            code,
            message: message.to_owned(),
        };
        let tube_id = checked_tube_id(&self.tube_id).map_err(|e| bad(e.code(), e.message()))?;
        let kind = TestKind::parse(self.kind.trim())
            .ok_or_else(|| bad(ErrorCode::ResultKind, "kind must be pcr or antigen"))?;
        let outcome = TestOutcome::parse(self.outcome.trim()).ok_or_else(|| {
            bad(
                ErrorCode::ResultOutcome,
                "outcome must be positive or negative",
            )
        })?;
        let laboratory = self.laboratory.trim();
        if laboratory.is_empty()
            || laboratory.chars().count() > 100
            || laboratory.chars().any(char::is_control)
        {
            return Err(bad(
                ErrorCode::ResultLaboratory,
                "laboratory must be 1 to 100 characters",
            ));
        }
        let time = |text: &str| {
            text.trim()
                .parse::<jiff::Timestamp>()
                .map(|t| t.as_second())
                .map_err(|_| {
                    bad(
                        ErrorCode::ResultTime,
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
                ErrorCode::ResultTime,
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
    pub fn code(&self) -> ErrorCode {
        match self {
            ResultError::NoSuchTube => ErrorCode::TubeNotFound,
            ResultError::EmptyTube => ErrorCode::TubeEmpty,
            ResultError::Conflict => ErrorCode::TubeResultConflict,
        }
    }
}

impl From<ResultError> for Error {
    fn from(e: ResultError) -> Self {
        Error::new(e.code(), e.to_string())
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
/// colours), for the laboratory account or operator that uploaded it.
pub async fn apply(state: &AppState, actor: Actor, result: &TubeResult) -> Result<Applied, Error> {
    services::ensure_open(state, Service::LaboratoryUploads)?;
    // A first look without holding the tube: refuses what is plainly wrong,
    // answers a repeat, and opens the members' keys before the unit of work,
    // so that the unit stays short.
    let seen = state.store().tube(&result.tube_id).await?;
    check(seen.as_ref(), result)?;
    let Some(seen) = seen else {
        return Err(ResultError::NoSuchTube.into());
    };
    if seen.outcome.is_some() {
        return Ok(Applied::Repeat);
    }
    let mut opened = state
        .people()
        .open_many(state.store(), &seen.members)
        .await?;
    let source_id = actor.account_id().unwrap_or("import").to_owned();
    let provenance =
        Provenance::epidemic(SourceKind::Laboratory, source_id, timestamp(state.now()));
    // The check again, the tube's result and every member's facts and colour
    // in one unit of work that holds the tube: of two results sent at once,
    // one is applied and the other sees it; no sample joins the tube between
    // the check and the result; and a crash or a refusal half-way leaves
    // nothing written, so the same upload can simply be sent again.
    let mut unit = state.begin(actor).await?;
    let tube = unit.lock_tube(&result.tube_id).await?;
    check(tube.as_ref(), result)?;
    let Some(tube) = tube else {
        return Err(ResultError::NoSuchTube.into());
    };
    if tube.outcome.is_some() {
        return Ok(Applied::Repeat);
    }
    let joined: Vec<String> = tube
        .members
        .iter()
        .filter(|m| !seen.members.contains(m))
        .cloned()
        .collect();
    if !joined.is_empty() {
        opened.extend(state.people().open_many(state.store(), &joined).await?);
    }
    let pooled = tube.capacity > 1;
    if !unit
        .record_tube_result(
            &tube.id,
            result.outcome.as_str(),
            result.kind.as_str(),
            &result.laboratory,
            result.sample_at,
            result.result_at,
        )
        .await?
    {
        return Err(Error::internal("a held tube's result changed"));
    }
    let mut members = 0;
    for person_id in &tube.members {
        // A member erased since the sample was taken gets nothing written.
        let Some(person) = opened.get(person_id) else {
            continue;
        };
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
        let record = person.seal_fact(&Fact::TestResult(test), Some(key))?;
        match record_fact_in(state, &mut unit, Purpose::TestResult, person, &record).await {
            Err(e) if e.code() == ErrorCode::PersonErased => continue,
            done => done?,
        };
        if pooled && result.outcome == TestOutcome::Positive {
            let retest = PendingRetest {
                id: random_id()?,
                pool_id: tube.id.clone(),
                since: timestamp(result.result_at),
                provenance: provenance.clone(),
            };
            let key = format!("tube:{}:{person_id}:retest", tube.id);
            let record = person.seal_fact(&Fact::PendingRetest(retest), Some(key))?;
            record_fact_in(state, &mut unit, Purpose::TestResult, person, &record).await?;
        }
        members += 1;
    }
    unit.commit().await?;
    for person_id in &tube.members {
        state.forget_code(person_id);
    }
    tracing::info!(members, pooled, "tube result applied");
    Ok(Applied::New { members })
}
