//! Issuing personal health codes: the hot path of the whole service.
//!
//! A request for a code reads the precomputed colour, never recomputes the
//! policy for everyone and never writes. The signed code (and its rendered JSON)
//! is kept in memory and handed out again for `code_reuse` seconds, so at peak
//! most requests cost a hash lookup; a fresh code is signed after that, and a
//! code always has most of its `code_lifetime` left when handed out.

pub(crate) mod issued;

use std::sync::Arc;

use bytes::Bytes;
use healthcode_credentials::{code, qr};
use healthcode_domain::colour::{Assessment, Colour};
use healthcode_domain::mask::mask_name;
use healthcode_domain::policy::Evaluation;
use healthcode_domain::services::Service;
use healthcode_store::CodeStatus;
use jiff::Timestamp;

pub use issued::{CodeResponse, IssuedCode};

use crate::actor::Caller;
use crate::app::AppState;
use crate::clock::{rfc3339, timestamp};
use crate::error::Error;
use crate::people::{OpenedPerson, erased};
use crate::recompute;
use crate::services;

/// The calling citizen's current code: from memory while fresh, else newly
/// signed.
pub async fn my_code(state: &AppState, caller: &Caller) -> Result<Arc<IssuedCode>, Error> {
    let person_id = caller.citizen()?;
    services::ensure_open(state, Service::CodeDisplay)?;
    if let Some(code) = fresh_code(state, person_id) {
        return Ok(code);
    }
    let person = state.people().open(state.store(), person_id).await?;
    issue_fresh(state, caller, &person).await
}

/// The calling citizen's current code with the full explanation of its
/// colour (what the code page shows), opening the person once.
pub async fn my_code_explained(
    state: &AppState,
    caller: &Caller,
) -> Result<(Arc<IssuedCode>, Evaluation), Error> {
    let person_id = caller.citizen()?;
    services::ensure_open(state, Service::CodeDisplay)?;
    let person = state.people().open(state.store(), person_id).await?;
    let code = match fresh_code(state, person_id) {
        Some(code) => code,
        None => issue_fresh(state, caller, &person).await?,
    };
    let evaluation = recompute::evaluate(state, &person, state.now()).await?;
    Ok((code, evaluation))
}

/// The person's code from memory, if it was signed less than `code_reuse`
/// seconds ago.
fn fresh_code(state: &AppState, person_id: &str) -> Option<Arc<IssuedCode>> {
    let now = state.now();
    let code = state.codes().get(person_id)?;
    if now >= code.issued_at && now < code.issued_at + state.config().code_reuse {
        state.metrics().codes_reused.inc();
        Some(code)
    } else {
        None
    }
}

/// Signs a new code for an opened person and keeps it for reuse.
async fn issue_fresh(
    state: &AppState,
    caller: &Caller,
    person: &OpenedPerson<'_>,
) -> Result<Arc<IssuedCode>, Error> {
    let code = Arc::new(issue(state, caller, person, state.now()).await?);
    state.codes().insert(person.id().to_owned(), code.clone());
    state.metrics().codes_issued.inc();
    Ok(code)
}

/// Signs a code for an opened person. The stored colour is used while it is
/// current; a stale one (a new policy in force, a time-based transition due)
/// is recomputed first, for the person themself.
async fn issue(
    state: &AppState,
    caller: &Caller,
    person: &OpenedPerson<'_>,
    now: i64,
) -> Result<IssuedCode, Error> {
    let inputs = state
        .store()
        .code_inputs(person.id())
        .await?
        .ok_or_else(erased)?;
    let stored = match inputs.status {
        Some(status) => stored_assessment(state, person, status, now)?,
        None => None,
    };
    let assessment = match stored {
        Some(assessment) => assessment,
        None => recompute::recompute(state, caller.actor(), person).await?,
    };
    let masked_name = mask_name(&person.name(&inputs.name_enc)?);

    let keyring = state.keyring();
    let signer = keyring.signer.as_ref().ok_or_else(Error::no_signer)?;
    let expires_at = now + state.config().code_lifetime;
    let claims = code::HealthCodeClaims {
        issuer: state.issuer().code.clone(),
        subject: state
            .people()
            .subject_handle(person.id(), now.div_euclid(86_400)),
        colour: assessment.colour,
        issued_at: now,
        expires_at,
        masked_name: masked_name.clone(),
        policy_version: assessment.policy_version.clone(),
    };
    let payload = code::issue(&claims, signer).map_err(Error::internal)?;
    let svg = qr::svg(&payload).map_err(Error::internal)?;
    let response = CodeResponse {
        payload: payload.clone(),
        colour: assessment.colour,
        issued_at: rfc3339(now),
        expires_at: rfc3339(expires_at),
        masked_name,
        policy_version: assessment.policy_version,
        reasons: assessment.reasons,
        svg,
    };
    let body = Bytes::from(serde_json::to_vec(&response).map_err(Error::internal)?);
    Ok(IssuedCode {
        issued_at: now,
        expires_at,
        colour: assessment.colour,
        payload,
        body,
    })
}

/// The stored status as an assessment, while it is current: computed under the
/// policy in force now and not past its `valid_until`, with its reasons
/// (opened with the person's key).
fn stored_assessment(
    state: &AppState,
    person: &OpenedPerson<'_>,
    stored: CodeStatus,
    now: i64,
) -> Result<Option<Assessment>, Error> {
    let policies = state.policies();
    let active = policies.active_at(timestamp(now)).map(|p| p.version());
    let (Some(colour), Some(sealed)) = (Colour::parse(&stored.colour), &stored.reasons_enc) else {
        return Ok(None);
    };
    if active.is_some_and(|v| v != stored.policy_version)
        || stored.valid_until.is_some_and(|until| until <= now)
    {
        return Ok(None);
    }
    Ok(Some(Assessment {
        colour,
        reasons: person.open_reasons(sealed)?,
        policy_version: stored.policy_version,
        valid_until: stored
            .valid_until
            .and_then(|s| Timestamp::from_second(s).ok()),
    }))
}
