//! Issuing personal health codes: the hot path of the whole service.
//!
//! A request for a code reads the precomputed colour, never recomputes the
//! policy for everyone and never writes. The signed code (and its rendered JSON)
//! is kept in memory and handed out again for `code_reuse` seconds, so at peak
//! most requests cost a hash lookup; a fresh code is signed after that, and a
//! code always has most of its `code_lifetime` left when handed out.

use std::sync::Arc;

use bytes::Bytes;
use healthcode_credentials::{code, qr};
use healthcode_domain::colour::{Assessment, Colour, Reason};
use healthcode_domain::mask::mask_name;
use healthcode_store::CodeStatus;
use healthcode_store::vault::Field;
use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::clock::{rfc3339, timestamp};
use crate::error::Error;

/// `GET /v1/me/code` answers with this.
#[derive(Serialize, ToSchema)]
pub struct CodeResponse {
    /// The signed code (`HCP1:` + base45), the content of the QR code.
    pub payload: String,
    /// `green`, `yellow` or `red`.
    #[schema(value_type = String, example = "green")]
    pub colour: Colour,
    /// When the code was signed (RFC 3339, UTC).
    pub issued_at: String,
    /// When checkers stop accepting it (RFC 3339, UTC).
    pub expires_at: String,
    /// The masked name the checker sees.
    pub masked_name: String,
    /// Version of the policy that computed the colour.
    pub policy_version: String,
    /// Why the code has its colour.
    #[schema(value_type = Vec<Object>)]
    pub reasons: Vec<Reason>,
    /// The QR code as SVG.
    pub svg: String,
}

/// A signed code, ready to serve again.
pub struct IssuedCode {
    pub issued_at: i64,
    pub expires_at: i64,
    pub colour: Colour,
    pub payload: String,
    /// The JSON body of [`CodeResponse`], serialised once.
    pub body: Bytes,
}

/// The current code of a person: from memory while fresh, else newly signed.
pub async fn current_code(state: &AppState, person_id: &str) -> Result<Arc<IssuedCode>, Error> {
    let now = state.now();
    if let Some(code) = state.codes().get(person_id)
        && now >= code.issued_at
        && now < code.issued_at + state.config().code_reuse
    {
        state.metrics().codes_reused.inc();
        return Ok(code);
    }
    let code = Arc::new(issue(state, person_id, now).await?);
    state.codes().insert(person_id.to_owned(), code.clone());
    state.metrics().codes_issued.inc();
    Ok(code)
}

/// Forgets a person's cached code, so the next request signs a new one (after a
/// colour change on this server).
pub fn forget_code(state: &AppState, person_id: &str) {
    state.codes().remove(person_id);
}

async fn issue(state: &AppState, person_id: &str, now: i64) -> Result<IssuedCode, Error> {
    let inputs = state
        .store()
        .code_inputs(person_id)
        .await?
        .ok_or_else(Error::not_found)?;
    let assessment = match inputs.status.and_then(|s| stored_assessment(state, s, now)) {
        Some(assessment) => assessment,
        None => crate::recompute::recompute(state, person_id, now).await?,
    };
    let wrapped = state
        .store()
        .wrapped_key(person_id)
        .await?
        .ok_or_else(|| Error::of(crate::error::ErrorCode::PersonErased))?;
    let data_key = state
        .vault()
        .unwrap_data_key(person_id, &wrapped)
        .map_err(Error::internal)?;
    let name = state
        .vault()
        .decrypt(&data_key, person_id, Field::Name, &inputs.name_enc)
        .map_err(Error::internal)?;
    let masked_name = mask_name(&name);

    let keyring = state.keyring();
    let signer = keyring.signer.as_ref().ok_or_else(Error::no_signer)?;
    let expires_at = now + state.config().code_lifetime;
    let claims = code::HealthCodeClaims {
        issuer: state.issuer().code.clone(),
        subject: state
            .vault()
            .subject_handle(person_id, now.div_euclid(86_400)),
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
/// policy in force now and not past its `valid_until`.
fn stored_assessment(state: &AppState, stored: CodeStatus, now: i64) -> Option<Assessment> {
    let policies = state.policies();
    let active = policies.active_at(timestamp(now)).map(|p| p.version());
    if active.is_some_and(|v| v != stored.policy_version)
        || stored.valid_until.is_some_and(|until| until <= now)
    {
        return None;
    }
    Some(Assessment {
        colour: Colour::parse(&stored.colour)?,
        reasons: serde_json::from_str::<Vec<Reason>>(&stored.reasons).ok()?,
        policy_version: stored.policy_version,
        valid_until: stored
            .valid_until
            .and_then(|s| Timestamp::from_second(s).ok()),
    })
}

/// The stored form of an assessment.
pub fn status_row(person_id: &str, a: &Assessment, now: i64) -> Result<CodeStatus, Error> {
    Ok(CodeStatus {
        person_id: person_id.to_owned(),
        colour: a.colour.as_str().to_owned(),
        reasons: serde_json::to_string(&a.reasons).map_err(Error::internal)?,
        policy_version: a.policy_version.clone(),
        computed_at: now,
        valid_until: a.valid_until.map(|t| t.as_second()),
    })
}
