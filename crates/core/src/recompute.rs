//! Keeping every person's precomputed colour current: after a new fact, after a
//! risk area is declared, and when a time-based transition falls due.
//!
//! The colour comes from the policy in force ([`PolicySet`]) over the person's
//! facts (decrypted with their data key only here) and the declared risk areas.
//! The result is stored, so showing a code never waits on this.

use std::collections::HashMap;

use healthcode_domain::colour::Assessment;
use healthcode_domain::facts::{
    CheckIn, Declaration, Designation, PendingRetest, PersonFacts, Provenance, RiskArea, RiskLevel,
    RiskScope, SelfTest, SourceKind, TestResult, Vaccination,
};
use healthcode_domain::policy::{Evaluation, PolicyDocument, PolicySet};
use healthcode_store::vault::{DataKey, Field};
use healthcode_store::{
    CheckInRecord, CheckInScope, CheckInSource, CodeStatus, FactRecord, OverrideRecord,
    PersonRecord, PolicyRecord, RiskAreaRecord, Store, StoreError,
};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::cases::open_overrides;
use crate::clock::timestamp;
use crate::codes::{forget_code, status_row};
use crate::error::Error;

/// One health fact of a person, of any kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "fact", rename_all = "snake_case")]
pub enum Fact {
    TestResult(TestResult),
    SelfTest(SelfTest),
    Declaration(Declaration),
    Vaccination(Vaccination),
    Designation(Designation),
    PendingRetest(PendingRetest),
}

impl Fact {
    fn kind(&self) -> &'static str {
        match self {
            Fact::TestResult(_) => "test_result",
            Fact::SelfTest(_) => "self_test",
            Fact::Declaration(_) => "declaration",
            Fact::Vaccination(_) => "vaccination",
            Fact::Designation(_) => "designation",
            Fact::PendingRetest(_) => "pending_retest",
        }
    }

    fn id(&self) -> &str {
        match self {
            Fact::TestResult(f) => &f.id,
            Fact::SelfTest(f) => &f.id,
            Fact::Declaration(f) => &f.id,
            Fact::Vaccination(f) => &f.id,
            Fact::Designation(f) => &f.id,
            Fact::PendingRetest(f) => &f.id,
        }
    }

    fn provenance(&self) -> &Provenance {
        match self {
            Fact::TestResult(f) => &f.provenance,
            Fact::SelfTest(f) => &f.provenance,
            Fact::Declaration(f) => &f.provenance,
            Fact::Vaccination(f) => &f.provenance,
            Fact::Designation(f) => &f.provenance,
            Fact::PendingRetest(f) => &f.provenance,
        }
    }

    /// When it happened: what retention counts from.
    fn occurred_at(&self) -> i64 {
        match self {
            Fact::TestResult(f) => f.sample_at.as_second(),
            Fact::SelfTest(f) => f.at.as_second(),
            Fact::Declaration(f) => f.at.as_second(),
            Fact::Vaccination(f) => f.provenance.recorded_at.as_second(),
            Fact::Designation(f) => f.since.as_second(),
            Fact::PendingRetest(f) => f.since.as_second(),
        }
    }

    fn add_to(self, facts: &mut PersonFacts) {
        match self {
            Fact::TestResult(f) => facts.tests.push(f),
            Fact::SelfTest(f) => facts.self_tests.push(f),
            Fact::Declaration(f) => facts.declarations.push(f),
            Fact::Vaccination(f) => facts.vaccinations.push(f),
            Fact::Designation(f) => facts.designations.push(f),
            Fact::PendingRetest(f) => facts.pending_retests.push(f),
        }
    }
}

fn source_name(source: SourceKind) -> &'static str {
    match source {
        SourceKind::Laboratory => "laboratory",
        SourceKind::Citizen => "citizen",
        SourceKind::Venue => "venue",
        SourceKind::Collector => "collector",
        SourceKind::Authority => "authority",
        SourceKind::Import => "import",
    }
}

/// Stores a fact of a person (sealed under their data key) and recomputes their
/// colour. `new` is `false` if the same fact (`dedup_key`) was already stored.
pub async fn record_fact(
    state: &AppState,
    person_id: &str,
    fact: &Fact,
    dedup_key: Option<String>,
) -> Result<(bool, Assessment), Error> {
    let key = data_key(state, person_id).await?;
    let body = serde_json::to_string(fact).map_err(Error::internal)?;
    let provenance = fact.provenance();
    let record = FactRecord {
        id: fact.id().to_owned(),
        person_id: person_id.to_owned(),
        kind: fact.kind().to_owned(),
        occurred_at: fact.occurred_at(),
        recorded_at: provenance.recorded_at.as_second(),
        source: source_name(provenance.source).to_owned(),
        source_id: Some(provenance.source_id.clone()),
        purpose: provenance.purpose.as_str().to_owned(),
        dedup_key,
        body_enc: state
            .vault()
            .encrypt(&key, person_id, Field::Fact, &body)
            .map_err(Error::internal)?,
    };
    let new = state.store().insert_fact(&record).await?;
    let assessment = recompute(state, person_id, state.now()).await?;
    Ok((new, assessment))
}

/// A person's record with their data key opened, to read their sealed fields.
pub async fn opened_person(
    state: &AppState,
    person_id: &str,
) -> Result<(PersonRecord, DataKey), Error> {
    let person = state
        .store()
        .person(person_id)
        .await?
        .ok_or_else(Error::not_found)?;
    let wrapped = person.wrapped_key.as_deref().ok_or_else(Error::not_found)?;
    let key = state
        .vault()
        .unwrap_data_key(person_id, wrapped)
        .map_err(Error::internal)?;
    Ok((person, key))
}

pub async fn data_key(state: &AppState, person_id: &str) -> Result<DataKey, Error> {
    let wrapped = state
        .store()
        .wrapped_key(person_id)
        .await?
        .ok_or_else(Error::not_found)?;
    state
        .vault()
        .unwrap_data_key(person_id, &wrapped)
        .map_err(Error::internal)
}

/// Everything the policy may see about one person: their facts (decrypted) and
/// their check-ins within the itinerary retention.
pub async fn person_facts(state: &AppState, person_id: &str) -> Result<PersonFacts, Error> {
    let records = state.store().facts_of(person_id).await?;
    let since = state.now() - state.config().check_in_retention;
    let check_ins = state.store().check_ins_of(person_id, since, 10_000).await?;
    let key = match records.is_empty() {
        true => None,
        false => Some(data_key(state, person_id).await?),
    };
    assemble_facts(state, person_id, key.as_ref(), &records, check_ins)
}

/// A person's facts from their stored records: each fact opened with the
/// person's data key (`None` only when there are no fact records).
fn assemble_facts(
    state: &AppState,
    person_id: &str,
    key: Option<&DataKey>,
    records: &[FactRecord],
    check_ins: Vec<CheckInRecord>,
) -> Result<PersonFacts, Error> {
    let mut facts = PersonFacts {
        check_ins: check_ins.into_iter().map(check_in).collect(),
        ..PersonFacts::default()
    };
    if records.is_empty() {
        return Ok(facts);
    }
    let key = key.ok_or_else(|| Error::internal("facts without a data key"))?;
    for record in records {
        let body = state
            .vault()
            .decrypt(key, person_id, Field::Fact, &record.body_enc)
            .map_err(Error::internal)?;
        let fact: Fact = serde_json::from_str(&body).map_err(Error::internal)?;
        fact.add_to(&mut facts);
    }
    Ok(facts)
}

fn check_in(c: CheckInRecord) -> CheckIn {
    let source = match c.source {
        CheckInSource::PlaceCode => SourceKind::Citizen,
        CheckInSource::PersonalCode => SourceKind::Venue,
    };
    CheckIn {
        provenance: Provenance::epidemic(source, c.venue_id.clone(), timestamp(c.at)),
        id: c.id,
        venue_id: c.venue_id,
        venue_name: c.venue_name,
        division: c.division,
        at: timestamp(c.at),
    }
}

/// Stores a risk area, makes it part of the rules, and recomputes everyone it
/// affects; returns how many.
pub async fn declare_risk_area(state: &AppState, area: &RiskAreaRecord) -> Result<usize, Error> {
    state.store().insert_risk_area(area).await?;
    state.reload_rules().await.map_err(Error::internal)?;
    recompute_area(state, area).await
}

/// Recomputes everyone who checked in inside a newly declared risk area during
/// its window, found through the check-in indexes; returns how many.
pub async fn recompute_area(state: &AppState, area: &RiskAreaRecord) -> Result<usize, Error> {
    let now = state.now();
    let scope = match area.scope_kind.as_str() {
        "venue" => CheckInScope::Venue(&area.scope),
        _ => CheckInScope::Division(&area.scope),
    };
    let people = state
        .store()
        .people_checked_in(scope, area.from_at, area.until_at.unwrap_or(now + 1))
        .await?;
    recompute_many(state, &people, now).await?;
    Ok(people.len())
}

/// People per chunk of [`recompute_many`]: three reads and one short write
/// transaction for this many people.
const RECOMPUTE_CHUNK: usize = 256;

/// Chunks of [`recompute_many`] in flight at once: one chunk's reads overlap
/// another's evaluation, which keeps both cores busy.
const CHUNKS_IN_FLIGHT: usize = 2;

/// Recomputes many people, a chunk at a time: the chunk's facts, check-ins and
/// overrides are read in three queries, everyone is evaluated, then their
/// statuses are stored in one transaction and their cached codes dropped.
pub async fn recompute_many(state: &AppState, people: &[String], now: i64) -> Result<(), Error> {
    let mut running = tokio::task::JoinSet::new();
    for chunk in people.chunks(RECOMPUTE_CHUNK) {
        if running.len() == CHUNKS_IN_FLIGHT
            && let Some(done) = running.join_next().await
        {
            done.map_err(Error::internal)??;
        }
        let (state, chunk) = (state.clone(), chunk.to_vec());
        running.spawn(async move { recompute_chunk(&state, &chunk, now).await });
    }
    while let Some(done) = running.join_next().await {
        done.map_err(Error::internal)??;
    }
    Ok(())
}

async fn recompute_chunk(state: &AppState, chunk: &[String], now: i64) -> Result<(), Error> {
    let read_at = state.now();
    let statuses = evaluate_chunk(state, chunk, now).await?;
    state.store().set_code_statuses(&statuses, read_at).await?;
    for person_id in chunk {
        forget_code(state, person_id);
    }
    Ok(())
}

/// The new status of each person of a chunk, from three batched reads.
async fn evaluate_chunk(
    state: &AppState,
    chunk: &[String],
    now: i64,
) -> Result<Vec<CodeStatus>, Error> {
    let since = now - state.config().check_in_retention;
    let mut facts: HashMap<String, Vec<FactRecord>> = HashMap::new();
    for record in state.store().facts_of_many(chunk).await? {
        facts
            .entry(record.person_id.clone())
            .or_default()
            .push(record);
    }
    let mut check_ins: HashMap<String, Vec<CheckInRecord>> = HashMap::new();
    for (person_id, record) in state.store().check_ins_of_many(chunk, since).await? {
        check_ins.entry(person_id).or_default().push(record);
    }
    let mut overrides: HashMap<String, Vec<OverrideRecord>> = HashMap::new();
    for record in state.store().active_overrides_many(chunk, now).await? {
        overrides
            .entry(record.person_id.clone())
            .or_default()
            .push(record);
    }
    let (policies, areas) = (state.policies(), state.risk_areas());
    let mut statuses = Vec::with_capacity(chunk.len());
    for person_id in chunk {
        let records = facts.remove(person_id).unwrap_or_default();
        let in_force = overrides.remove(person_id).unwrap_or_default();
        let key = match records.is_empty() && in_force.is_empty() {
            true => None,
            false => Some(data_key(state, person_id).await?),
        };
        let visits = check_ins.remove(person_id).unwrap_or_default();
        let person = assemble_facts(state, person_id, key.as_ref(), &records, visits)?;
        let in_force = open_overrides(state, person_id, key.as_ref(), &in_force)?;
        let assessment = policies
            .evaluate(&person, &areas, &in_force, timestamp(now))
            .assessment(healthcode_domain::policy::Language::En);
        statuses.push(status_row(person_id, &assessment, now)?);
    }
    Ok(statuses)
}

/// The person's full evaluation now (explanations in both languages).
pub async fn evaluate(state: &AppState, person_id: &str, now: i64) -> Result<Evaluation, Error> {
    let facts = person_facts(state, person_id).await?;
    let overrides = crate::cases::active_overrides(state, person_id, now).await?;
    let areas = state.risk_areas();
    Ok(state
        .policies()
        .evaluate(&facts, &areas, &overrides, timestamp(now)))
}

/// Recomputes and stores a person's colour, and drops their cached code so the
/// next display shows the new colour.
pub async fn recompute(state: &AppState, person_id: &str, now: i64) -> Result<Assessment, Error> {
    let assessment = evaluate(state, person_id, now)
        .await?
        .assessment(healthcode_domain::policy::Language::En);
    state
        .store()
        .set_code_status(&status_row(person_id, &assessment, now)?)
        .await?;
    forget_code(state, person_id);
    Ok(assessment)
}

/// Recomputes everyone whose colour has reached its `valid_until`; returns how many.
pub async fn sweep_due(state: &AppState) -> Result<usize, Error> {
    let now = state.now();
    let mut done = 0;
    let mut previous = Vec::new();
    loop {
        let due = state.store().statuses_due(now, 500).await?;
        // The same people still due: their statuses were kept because a newer
        // fact is being recomputed by its own request (see
        // `Store::set_code_statuses`); the next sweep sees them again.
        if due.is_empty() || due == previous {
            return Ok(done);
        }
        recompute_many(state, &due, now).await?;
        done += due.len();
        previous = due;
    }
}

/// The published policies, with the shipped ones published on first start.
pub async fn load_policies(store: &Store, now: i64) -> Result<PolicySet, LoadError> {
    let mut records = store.policies().await?;
    if records.is_empty() {
        for (_, text) in healthcode_domain::policy::SHIPPED_POLICIES {
            let document = PolicyDocument::from_json(text)?;
            store
                .insert_policy(&PolicyRecord {
                    version: document.version.clone(),
                    effective_from: document.effective_from.as_second(),
                    document: text.to_owned(),
                    published_by: None,
                    published_at: now,
                })
                .await?;
        }
        records = store.policies().await?;
    }
    let compiled = records
        .iter()
        .map(|r| healthcode_domain::policy::CompiledPolicy::from_json(&r.document))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PolicySet::new(compiled)?)
}

/// Why policies or risk areas could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a stored policy is invalid ({code}): {source}", code = .source.code())]
    Policy {
        #[from]
        source: healthcode_domain::policy::PolicyError,
    },
    #[error("a stored risk area is invalid: {0}")]
    RiskArea(String),
}

/// The declared risk areas, as the policy sees them.
pub async fn load_risk_areas(store: &Store) -> Result<Vec<RiskArea>, LoadError> {
    store
        .risk_areas()
        .await?
        .into_iter()
        .map(risk_area)
        .collect()
}

fn risk_area(r: RiskAreaRecord) -> Result<RiskArea, LoadError> {
    let bad = |what: &str| LoadError::RiskArea(format!("{}: {what}", r.id));
    let scope = match r.scope_kind.as_str() {
        "division" => RiskScope::Division(r.scope.clone()),
        "venue" => RiskScope::Venue(r.scope.clone()),
        _ => return Err(bad("unknown scope kind")),
    };
    let level = match r.level.as_str() {
        "high" => RiskLevel::High,
        "medium" => RiskLevel::Medium,
        "low" => RiskLevel::Low,
        _ => return Err(bad("unknown level")),
    };
    let time = |s: i64| jiff::Timestamp::from_second(s).map_err(|_| bad("time out of range"));
    Ok(RiskArea {
        id: r.id.clone(),
        scope,
        level,
        name: r.name.clone(),
        from: time(r.from_at)?,
        until: r.until_at.map(time).transpose()?,
        provenance: Provenance::epidemic(
            SourceKind::Authority,
            r.declared_by.clone(),
            time(r.declared_at)?,
        ),
    })
}
