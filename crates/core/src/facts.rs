//! Facts citizens report themselves: antigen self-tests and health declarations.

use healthcode_domain::actor::Actor;
use healthcode_domain::facts::{Declaration, Fact, Provenance, SelfTest, SourceKind};
use healthcode_domain::services::Service;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actor::Caller;
use crate::app::AppState;
use crate::clock::{rfc3339, timestamp};
use crate::error::{Error, ErrorCode};
use crate::ids::random_id;
use crate::recompute::record_fact;
use crate::services;

/// An antigen self-test result.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"positive": false}))]
pub struct SelfTestRequest {
    pub positive: bool,
    /// When the test was taken (RFC 3339); defaults to now. At most 7 days ago.
    pub taken_at: Option<String>,
}

/// A health declaration.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"symptoms": ["fever"], "temperature_c": 37.8, "travel": ["350102"]}))]
pub struct DeclarationRequest {
    /// Symptom codes: `fever`, `dry_cough`, `fatigue`, `sore_throat`,
    /// `loss_of_smell_or_taste`, `diarrhoea`.
    #[serde(default)]
    #[schema(schema_with = crate::schema::symptoms)]
    pub symptoms: Vec<String>,
    /// Body temperature in °C, e.g. 37.6.
    pub temperature_c: Option<f64>,
    /// GB/T 2260 codes of divisions travelled through in the last 14 days.
    #[serde(default)]
    pub travel: Vec<String>,
}

/// A recorded fact and the colour it leads to.
#[derive(Serialize, ToSchema)]
pub struct FactRecorded {
    pub id: String,
    /// The colour after recomputation: `green`, `yellow` or `red`.
    pub colour: String,
    pub recorded_at: String,
}

pub(crate) const SYMPTOMS: [&str; 6] = [
    "fever",
    "dry_cough",
    "fatigue",
    "sore_throat",
    "loss_of_smell_or_taste",
    "diarrhoea",
];

/// A citizen reports an antigen self-test; the colour is recomputed.
pub async fn self_test(
    state: &AppState,
    caller: &Caller,
    req: &SelfTestRequest,
) -> Result<FactRecorded, Error> {
    let person_id = caller.citizen()?;
    services::ensure_open(state, Service::SelfTests)?;
    let now = state.now();
    let at = match &req.taken_at {
        Some(text) => {
            let t: Timestamp = text.parse().map_err(|_| {
                Error::new(ErrorCode::FactTime, "taken_at must be an RFC 3339 time")
            })?;
            let seconds = t.as_second();
            if seconds > now + state.config().clock_skew || seconds < now - 7 * 86_400 {
                return Err(Error::new(
                    ErrorCode::FactTime,
                    "taken_at must lie within the last 7 days",
                ));
            }
            t
        }
        None => timestamp(now),
    };
    let fact = SelfTest {
        id: random_id()?,
        at,
        positive: req.positive,
        provenance: Provenance::epidemic(
            SourceKind::Citizen,
            caller.account_id.clone(),
            timestamp(now),
        ),
    };
    let id = fact.id.clone();
    record(state, caller, person_id, Fact::SelfTest(fact), id, now).await
}

/// A citizen files a health declaration; the colour is recomputed.
pub async fn declaration(
    state: &AppState,
    caller: &Caller,
    req: &DeclarationRequest,
) -> Result<FactRecorded, Error> {
    let person_id = caller.citizen()?;
    services::ensure_open(state, Service::Declarations)?;
    if req.symptoms.len() > SYMPTOMS.len()
        || req.symptoms.iter().any(|s| !SYMPTOMS.contains(&s.as_str()))
    {
        return Err(Error::new(
            ErrorCode::DeclarationSymptom,
            "unknown symptom; see the API description for the codes",
        ));
    }
    let temperature_tenths_c = match req.temperature_c {
        Some(t) if t.is_finite() && (30.0..=45.0).contains(&t) => Some((t * 10.0).round() as i32),
        Some(_) => {
            return Err(Error::new(
                ErrorCode::DeclarationTemperature,
                "temperature_c must be between 30 and 45",
            ));
        }
        None => None,
    };
    if req.travel.len() > 50
        || req
            .travel
            .iter()
            .any(|d| !healthcode_domain::divisions::is_known(d))
    {
        return Err(Error::new(
            ErrorCode::DeclarationTravel,
            "travel must list known GB/T 2260 division codes",
        ));
    }
    let now = state.now();
    let fact = Declaration {
        id: random_id()?,
        at: timestamp(now),
        symptoms: req.symptoms.clone(),
        temperature_tenths_c,
        travel: req.travel.clone(),
        provenance: Provenance::epidemic(
            SourceKind::Citizen,
            caller.account_id.clone(),
            timestamp(now),
        ),
    };
    let id = fact.id.clone();
    record(state, caller, person_id, Fact::Declaration(fact), id, now).await
}

async fn record(
    state: &AppState,
    caller: &Caller,
    person_id: &str,
    fact: Fact,
    id: String,
    now: i64,
) -> Result<FactRecorded, Error> {
    let person = state.people().open(state.store(), person_id).await?;
    let (_, assessment) = record_fact(state, caller.actor(), &person, &fact, None).await?;
    Ok(FactRecorded {
        id,
        colour: assessment.colour.as_str().to_owned(),
        recorded_at: rfc3339(now),
    })
}

/// Records a fact imported from another system (the national vaccination
/// registry, a laboratory's archive) for a person, by an operator, and
/// recomputes their colour. Returns whether it was new (`false` for a repeat
/// of `dedup_key`).
pub async fn import(
    state: &AppState,
    person_id: &str,
    fact: &Fact,
    dedup_key: Option<String>,
) -> Result<bool, Error> {
    let person = state.people().open(state.store(), person_id).await?;
    let (new, _) = record_fact(state, Actor::Operator, &person, fact, dedup_key).await?;
    Ok(new)
}
