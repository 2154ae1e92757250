//! Keeping every person's precomputed colour current: after a new fact, after a
//! risk area is declared, and when a time-based transition falls due.
//!
//! The colour comes from the policy in force ([`PolicySet`]) over the person's
//! facts (opened through the gateway to people's data) and the declared risk
//! areas. The result is stored, so showing a code never waits on this.
//!
//! [`PolicySet`]: healthcode_domain::policy::PolicySet

use std::collections::HashMap;

use healthcode_domain::actor::Actor;
use healthcode_domain::audit::{Act, Draft};
use healthcode_domain::colour::Assessment;
use healthcode_domain::facts::{CheckIn, Fact, PersonFacts, Provenance, SourceKind};
use healthcode_domain::policy::{Evaluation, Language};
use healthcode_domain::retention::Category;
use healthcode_store::{
    CheckInRecord, CheckInScope, CheckInSource, CodeStatus, FactRecord, OverrideRecord,
    RiskAreaRecord, Unit,
};

use crate::access::{self, Datum, Purpose, RECOMPUTED};
use crate::actor::job;
use crate::app::AppState;
use crate::clock::{rfc3339, timestamp};
use crate::error::Error;
use crate::people::OpenedPerson;

/// Stores a fact of an opened person (sealed under their data key) and
/// recomputes their colour, in one unit of work for `actor`. `new` is `false`
/// if the same fact (`dedup_key`) was already stored.
pub async fn record_fact(
    state: &AppState,
    actor: Actor,
    person: &OpenedPerson<'_>,
    fact: &Fact,
    dedup_key: Option<String>,
) -> Result<(bool, Assessment), Error> {
    let purpose = purpose_of(fact);
    let record = person.seal_fact(fact, dedup_key)?;
    let mut unit = state.begin(actor).await?;
    let done = record_fact_in(state, &mut unit, purpose, person, &record).await?;
    unit.commit().await?;
    state.forget_code(person.id());
    Ok(done)
}

/// Why someone other than the person records a fact about them, by where the
/// fact comes from.
pub(crate) fn purpose_of(fact: &Fact) -> Purpose {
    match fact.provenance().source {
        SourceKind::Laboratory => Purpose::TestResult,
        SourceKind::Collector => Purpose::Sampling,
        SourceKind::Venue => Purpose::CheckIn,
        SourceKind::Authority => Purpose::CaseHandling,
        SourceKind::Citizen | SourceKind::Import => Purpose::Import,
    }
}

/// Within a unit: stores a sealed fact of the person and recomputes their
/// colour from what the unit sees, recording the access when the unit's actor
/// is someone else (for `purpose`). Refused with `person.erased` if the person
/// is gone, so no fact is written as an orphan. The caller forgets the cached
/// code once the unit has committed.
pub(crate) async fn record_fact_in(
    state: &AppState,
    unit: &mut Unit,
    purpose: Purpose,
    person: &OpenedPerson<'_>,
    record: &FactRecord,
) -> Result<(bool, Assessment), Error> {
    access::open_for_write(
        state,
        unit,
        person.id(),
        purpose,
        &[Datum::Facts, Datum::Colour],
    )
    .await?;
    let new = unit.insert_fact(record).await?;
    let assessment = recompute_in(state, unit, person).await?;
    Ok((new, assessment))
}

/// Everything the policy may see about one person: their facts (opened) and
/// their check-ins within the itinerary retention.
pub async fn person_facts(
    state: &AppState,
    person: &OpenedPerson<'_>,
) -> Result<PersonFacts, Error> {
    let records = state.store().facts_of(person.id()).await?;
    let since = state.now() - state.retention_period(Category::CheckIns);
    let check_ins = state
        .store()
        .check_ins_of(person.id(), since, 10_000)
        .await?;
    assemble_facts(person, &records, check_ins)
}

/// A person's facts from their stored records, each opened with their key.
fn assemble_facts(
    person: &OpenedPerson<'_>,
    records: &[FactRecord],
    check_ins: Vec<CheckInRecord>,
) -> Result<PersonFacts, Error> {
    let mut facts = PersonFacts {
        check_ins: check_ins.into_iter().map(check_in).collect(),
        ..PersonFacts::default()
    };
    for record in records {
        person.open_fact(record)?.add_to(&mut facts);
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
pub async fn declare_risk_area(
    state: &AppState,
    actor: Actor,
    area: &RiskAreaRecord,
) -> Result<usize, Error> {
    let mut unit = state.begin(actor.clone()).await?;
    unit.insert_risk_area(area).await?;
    let mut draft = Draft::new(Act::RiskAreaDeclared)
        .detail("id", &area.id)
        .detail("scope_kind", &area.scope_kind)
        .detail("scope", &area.scope)
        .detail("level", &area.level)
        .detail("from", rfc3339(area.from_at));
    if let Some(until) = area.until_at {
        draft = draft.detail("until", rfc3339(until));
    }
    unit.audit(draft);
    unit.commit().await?;
    state.reload_rules().await.map_err(Error::internal)?;
    recompute_area(state, actor, area).await
}

/// Recomputes everyone who checked in inside a newly declared risk area during
/// its window, found through the check-in indexes; returns how many.
pub async fn recompute_area(
    state: &AppState,
    actor: Actor,
    area: &RiskAreaRecord,
) -> Result<usize, Error> {
    let now = state.now();
    let scope = match area.scope_kind.as_str() {
        "venue" => CheckInScope::Venue(&area.scope),
        _ => CheckInScope::Division(&area.scope),
    };
    let people = state
        .store()
        .people_checked_in(scope, area.from_at, area.until_at.unwrap_or(now + 1))
        .await?;
    recompute_many(state, &actor, &people, now).await?;
    Ok(people.len())
}

/// People per chunk of [`recompute_many`]: four reads and one short write
/// transaction for this many people.
const RECOMPUTE_CHUNK: usize = 256;

/// Chunks of [`recompute_many`] in flight at once: one chunk's reads overlap
/// another's evaluation, which keeps both cores busy.
const CHUNKS_IN_FLIGHT: usize = 2;

/// Recomputes many people, a chunk at a time: the chunk's data keys, facts,
/// check-ins and overrides are read in four queries, everyone is evaluated,
/// then their statuses are stored in one transaction and their cached codes
/// dropped, each chunk in a unit of work for `actor`. People erased meanwhile
/// are skipped.
pub async fn recompute_many(
    state: &AppState,
    actor: &Actor,
    people: &[String],
    now: i64,
) -> Result<(), Error> {
    let mut running = tokio::task::JoinSet::new();
    for chunk in people.chunks(RECOMPUTE_CHUNK) {
        if running.len() == CHUNKS_IN_FLIGHT
            && let Some(done) = running.join_next().await
        {
            done.map_err(Error::internal)??;
        }
        let (state, actor, chunk) = (state.clone(), actor.clone(), chunk.to_vec());
        running.spawn(async move { recompute_chunk(&state, actor, &chunk, now).await });
    }
    while let Some(done) = running.join_next().await {
        done.map_err(Error::internal)??;
    }
    Ok(())
}

async fn recompute_chunk(
    state: &AppState,
    actor: Actor,
    chunk: &[String],
    now: i64,
) -> Result<(), Error> {
    let read_at = state.now();
    let statuses = evaluate_chunk(state, chunk, now).await?;
    let mut unit = state.begin(actor).await?;
    for status in &statuses {
        access::note(
            state,
            &mut unit,
            &status.person_id,
            Purpose::Recompute,
            RECOMPUTED,
        )
        .await?;
    }
    unit.set_code_statuses(&statuses, read_at).await?;
    unit.commit().await?;
    for person_id in chunk {
        state.forget_code(person_id);
    }
    Ok(())
}

/// Groups rows by the person they belong to.
fn by_person<T>(rows: Vec<T>, person_of: impl Fn(&T) -> &str) -> HashMap<String, Vec<T>> {
    let mut out: HashMap<String, Vec<T>> = HashMap::new();
    for row in rows {
        out.entry(person_of(&row).to_owned()).or_default().push(row);
    }
    out
}

/// The new status of each person of a chunk, from four batched reads.
async fn evaluate_chunk(
    state: &AppState,
    chunk: &[String],
    now: i64,
) -> Result<Vec<CodeStatus>, Error> {
    let store = state.store();
    let since = now - state.retention_period(Category::CheckIns);
    let opened = state.people().open_many(store, chunk).await?;
    let mut facts = by_person(store.facts_of_many(chunk).await?, |f: &FactRecord| {
        &f.person_id
    });
    let mut check_ins: HashMap<String, Vec<CheckInRecord>> = HashMap::new();
    for (person_id, record) in store.check_ins_of_many(chunk, since).await? {
        check_ins.entry(person_id).or_default().push(record);
    }
    let mut overrides = by_person(
        store.active_overrides_many(chunk, now).await?,
        |o: &OverrideRecord| &o.person_id,
    );
    let (policies, areas) = (state.policies(), state.risk_areas());
    let mut statuses = Vec::with_capacity(chunk.len());
    for person_id in chunk {
        let Some(person) = opened.get(person_id) else {
            continue; // erased: nothing to recompute
        };
        let records = facts.remove(person_id).unwrap_or_default();
        let visits = check_ins.remove(person_id).unwrap_or_default();
        let facts = assemble_facts(person, &records, visits)?;
        let in_force = person.open_overrides(&overrides.remove(person_id).unwrap_or_default())?;
        let assessment = policies
            .evaluate(&facts, &areas, &in_force, timestamp(now))
            .assessment(Language::En);
        statuses.push(status_row(person, &assessment, now)?);
    }
    Ok(statuses)
}

/// The person's full evaluation now (explanations in both languages).
pub async fn evaluate(
    state: &AppState,
    person: &OpenedPerson<'_>,
    now: i64,
) -> Result<Evaluation, Error> {
    let facts = person_facts(state, person).await?;
    let records = state.store().active_overrides(person.id(), now).await?;
    let overrides = person.open_overrides(&records)?;
    let areas = state.risk_areas();
    Ok(state
        .policies()
        .evaluate(&facts, &areas, &overrides, timestamp(now)))
}

/// Recomputes and stores a person's colour in a unit of work of its own for
/// `actor`, and drops their cached code so the next display shows the new
/// colour.
pub async fn recompute(
    state: &AppState,
    actor: Actor,
    person: &OpenedPerson<'_>,
) -> Result<Assessment, Error> {
    let mut unit = state.begin(actor).await?;
    access::open_for_write(
        state,
        &mut unit,
        person.id(),
        Purpose::Recompute,
        RECOMPUTED,
    )
    .await?;
    let assessment = recompute_in(state, &mut unit, person).await?;
    unit.commit().await?;
    state.forget_code(person.id());
    Ok(assessment)
}

/// Within a unit: recomputes a person's colour from what the unit sees (its
/// own writes included) at the unit's time, and stores it. The caller forgets
/// the cached code once the unit has committed.
pub(crate) async fn recompute_in(
    state: &AppState,
    unit: &mut Unit,
    person: &OpenedPerson<'_>,
) -> Result<Assessment, Error> {
    let now = unit.now();
    let since = now - state.retention_period(Category::CheckIns);
    let records = unit.facts_of(person.id()).await?;
    let check_ins = unit.check_ins_of(person.id(), since, 10_000).await?;
    let facts = assemble_facts(person, &records, check_ins)?;
    let overrides = person.open_overrides(&unit.active_overrides(person.id(), now).await?)?;
    let assessment = state
        .policies()
        .evaluate(&facts, &state.risk_areas(), &overrides, timestamp(now))
        .assessment(Language::En);
    unit.set_code_status(&status_row(person, &assessment, now)?)
        .await?;
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
        // `Store::set_code_statuses`), or they were erased meanwhile; the next
        // sweep sees them again.
        if due.is_empty() || due == previous {
            return Ok(done);
        }
        recompute_many(state, &job("sweep"), &due, now).await?;
        done += due.len();
        previous = due;
    }
}

/// The stored form of an assessment: the reasons sealed under the person's key.
pub(crate) fn status_row(
    person: &OpenedPerson<'_>,
    a: &Assessment,
    now: i64,
) -> Result<CodeStatus, Error> {
    Ok(CodeStatus {
        person_id: person.id().to_owned(),
        colour: a.colour.as_str().to_owned(),
        reasons_enc: Some(person.seal_reasons(&a.reasons)?),
        policy_version: a.policy_version.clone(),
        computed_at: now,
        valid_until: a.valid_until.map(|t| t.as_second()),
    })
}
