//! Overrides of a colour by officials, and appeals by citizens.
//!
//! No single account can change anyone's colour: an override is requested by
//! one authority official and takes effect only when a different one approves
//! it; it always expires. The person sees it (with its justification) in their
//! explanation; supervisors see who did what, without the person.

use healthcode_domain::audit::{Act, Draft};
use healthcode_domain::colour::Colour;
use healthcode_domain::mask::mask_name;
use healthcode_domain::role::Role;
use healthcode_store::{AppealRecord, OverrideRecord};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::{self, Datum, Purpose};
use crate::actor::Caller;
use crate::app::AppState;
use crate::clock::rfc3339;
use crate::error::{Error, ErrorCode};
use crate::ids::random_id;
use crate::people::erased;
use crate::recompute;

/// The longest an override may last.
const MAX_OVERRIDE_SECONDS: i64 = 30 * 86_400;

/// A request to override a person's colour.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideRequest {
    #[schema(schema_with = crate::schema::document_type)]
    pub document_type: String,
    pub document_number: String,
    #[schema(schema_with = crate::schema::colour)]
    pub colour: String,
    /// Why: shown to the person. 5 to 500 characters.
    pub justification: String,
    /// When it ends (RFC 3339), at most 30 days ahead.
    #[schema(format = DateTime)]
    pub expires_at: String,
}

/// An override as its officials and supervisors see it (no personal data).
#[derive(Serialize, ToSchema)]
pub struct OverrideView {
    pub id: String,
    pub colour: String,
    /// `pending` until a second official approves, then `approved`; `expired` after.
    pub status: String,
    pub requested_by: String,
    pub requested_at: String,
    pub approved_by: Option<String>,
    pub expires_at: String,
}

fn override_view(o: &OverrideRecord, now: i64) -> OverrideView {
    let status = if o.expires_at <= now {
        "expired"
    } else if o.approved_by.is_some() {
        "approved"
    } else {
        "pending"
    };
    OverrideView {
        id: o.id.clone(),
        colour: o.colour.clone(),
        status: status.to_owned(),
        requested_by: o.requested_by.clone(),
        requested_at: rfc3339(o.requested_at),
        approved_by: o.approved_by.clone(),
        expires_at: rfc3339(o.expires_at),
    }
}

fn checked_text(text: &str, min: usize, max: usize, code: ErrorCode) -> Result<String, Error> {
    let text = text.trim();
    let chars = text.chars().count();
    if chars < min || chars > max || text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::new(
            code,
            format!("must be {min} to {max} characters of text"),
        ));
    }
    Ok(text.to_owned())
}

/// An authority official asks for a person's colour to be overridden; it has no
/// effect until a second official approves it.
pub async fn request_override(
    state: &AppState,
    caller: &Caller,
    req: &OverrideRequest,
) -> Result<OverrideView, Error> {
    caller.require(&[Role::Authority])?;
    let colour = Colour::parse(&req.colour).ok_or_else(|| {
        Error::new(
            ErrorCode::OverrideColour,
            "colour must be green, yellow or red",
        )
    })?;
    let justification = checked_text(&req.justification, 5, 500, ErrorCode::OverrideJustification)?;
    let now = state.now();
    let expires_at = req
        .expires_at
        .parse::<Timestamp>()
        .map_err(|_| {
            Error::new(
                ErrorCode::OverrideExpiresAt,
                "expires_at must be an RFC 3339 time",
            )
        })?
        .as_second();
    if expires_at <= now || expires_at > now + MAX_OVERRIDE_SECONDS {
        return Err(Error::new(
            ErrorCode::OverrideExpiresAt,
            "an override must expire within 30 days",
        ));
    }
    let person_id = state
        .people()
        .named_by_document(state.store(), &req.document_type, &req.document_number)
        .await?;
    let person = state.people().open(state.store(), &person_id).await?;
    let record = OverrideRecord {
        id: random_id()?,
        person_id: person_id.clone(),
        colour: colour.as_str().to_owned(),
        justification_enc: person.seal_case(&justification)?,
        requested_by: caller.account_id.clone(),
        requested_at: now,
        approved_by: None,
        approved_at: None,
        expires_at,
    };
    let mut unit = state.begin(caller.actor()).await?;
    access::open_for_write(
        state,
        &mut unit,
        &person_id,
        Purpose::CaseHandling,
        &[Datum::Document, Datum::Overrides],
    )
    .await?;
    unit.request_override(&record).await?;
    unit.audit(
        Draft::new(Act::OverrideRequested)
            .purpose(Purpose::CaseHandling.as_str())
            .subject(state.people().audit_subject(&person_id))
            .detail("override", &record.id),
    );
    unit.commit().await?;
    tracing::info!(override_id = %record.id, colour = colour.as_str(), "override requested");
    Ok(override_view(&record, now))
}

/// A second, different official approves a pending override; the person's
/// colour is recomputed at once.
pub async fn approve_override(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<OverrideView, Error> {
    caller.require(&[Role::Authority])?;
    let record = state
        .store()
        .override_by_id(id)
        .await?
        .ok_or_else(Error::not_found)?;
    if record.requested_by == caller.account_id {
        return Err(Error::new(
            ErrorCode::OverrideSameOfficial,
            "an override needs the approval of a second, different official",
        ));
    }
    let now = state.now();
    let person = state
        .people()
        .open(state.store(), &record.person_id)
        .await?;
    // The approval and the colour it leads to are one unit of work.
    let mut unit = state.begin(caller.actor()).await?;
    let opened = [
        Datum::Overrides,
        Datum::Facts,
        Datum::CheckIns,
        Datum::Colour,
    ];
    access::open_for_write(
        state,
        &mut unit,
        person.id(),
        Purpose::CaseHandling,
        &opened,
    )
    .await?;
    if !unit.approve_override(id, &caller.account_id, now).await? {
        return Err(Error::new(
            ErrorCode::OverrideNotPending,
            "this override is not pending (approved or expired)",
        ));
    }
    recompute::recompute_in(state, &mut unit, &person).await?;
    unit.audit(
        Draft::new(Act::OverrideApproved)
            .purpose(Purpose::CaseHandling.as_str())
            .subject(state.people().audit_subject(person.id()))
            .detail("override", id)
            .detail("requested_by", &record.requested_by),
    );
    unit.commit().await?;
    state.forget_code(person.id());
    tracing::info!(override_id = %id, "override approved");
    let approved = state
        .store()
        .override_by_id(id)
        .await?
        .ok_or_else(Error::not_found)?;
    Ok(override_view(&approved, now))
}

/// Who requested and approved which override, without the person: for
/// authorities and the regulator.
pub async fn list_overrides(state: &AppState, caller: &Caller) -> Result<Vec<OverrideView>, Error> {
    caller.require(&[Role::Authority, Role::Regulator])?;
    let now = state.now();
    let records = state.store().recent_overrides(500).await?;
    Ok(records.iter().map(|o| override_view(o, now)).collect())
}

/// An appeal against the current colour.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "My test on Monday was negative."}))]
pub struct AppealRequest {
    /// Why the colour is wrong: 5 to 1000 characters.
    pub text: String,
}

/// An appeal as its filer, or the authority handling it, sees it.
#[derive(Serialize, ToSchema)]
pub struct AppealView {
    pub id: String,
    pub colour: String,
    pub policy_version: String,
    pub filed_at: String,
    /// `open`, `upheld` or `rejected`.
    pub status: String,
    pub text: String,
    pub resolution: Option<String>,
    pub resolved_at: Option<String>,
    /// For the authority: whose appeal, masked.
    pub masked_name: Option<String>,
}

async fn appeal_view(
    state: &AppState,
    a: &AppealRecord,
    with_name: bool,
) -> Result<AppealView, Error> {
    let person = state.people().open(state.store(), &a.person_id).await?;
    let open = |sealed: &[u8]| person.open_case(sealed);
    let masked_name = if with_name {
        let record = state
            .store()
            .person(&a.person_id)
            .await?
            .ok_or_else(erased)?;
        Some(mask_name(&person.name(&record.name_enc)?))
    } else {
        None
    };
    Ok(AppealView {
        id: a.id.clone(),
        colour: a.colour.clone(),
        policy_version: a.policy_version.clone(),
        filed_at: rfc3339(a.filed_at),
        status: a.status.clone(),
        text: open(&a.text_enc)?,
        resolution: a.resolution_enc.as_deref().map(open).transpose()?,
        resolved_at: a.resolved_at.map(rfc3339),
        masked_name,
    })
}

/// A citizen appeals against their current colour.
pub async fn file_appeal(
    state: &AppState,
    caller: &Caller,
    req: &AppealRequest,
) -> Result<AppealView, Error> {
    let person_id = caller.citizen()?.to_owned();
    let text = checked_text(&req.text, 5, 1000, ErrorCode::AppealText)?;
    let now = state.now();
    let person = state.people().open(state.store(), &person_id).await?;
    let evaluation = recompute::evaluate(state, &person, now).await?;
    let record = AppealRecord {
        id: random_id()?,
        person_id: person_id.clone(),
        colour: evaluation.colour.as_str().to_owned(),
        policy_version: evaluation.policy_version,
        text_enc: person.seal_case(&text)?,
        filed_at: now,
        status: "open".to_owned(),
        resolution_enc: None,
        resolved_by: None,
        resolved_at: None,
    };
    let mut unit = state.begin(caller.actor()).await?;
    unit.file_appeal(&record).await?;
    unit.commit().await?;
    tracing::info!(appeal_id = %record.id, "appeal filed");
    appeal_view(state, &record, false).await
}

/// The citizen's own appeals and their answers, newest first.
pub async fn my_appeals(state: &AppState, caller: &Caller) -> Result<Vec<AppealView>, Error> {
    let person_id = caller.citizen()?;
    let mut views = Vec::new();
    for a in state.store().appeals_of(person_id).await? {
        views.push(appeal_view(state, &a, false).await?);
    }
    Ok(views)
}

/// The open appeals, oldest first, with each filer's masked name.
pub async fn open_appeals(state: &AppState, caller: &Caller) -> Result<Vec<AppealView>, Error> {
    caller.require(&[Role::Authority])?;
    let appeals = state.store().appeals_with_status("open", 200).await?;
    let mut views = Vec::with_capacity(appeals.len());
    for a in &appeals {
        match appeal_view(state, a, true).await {
            // Erased since it was filed: its rows are going with the person.
            Err(e) if e.code() == ErrorCode::PersonErased => continue,
            view => views.push(view?),
        }
    }
    // The official read each filer's masked name and appeal: recorded in
    // their access logs.
    let mut unit = state.begin(caller.actor()).await?;
    for a in &appeals {
        access::note(
            state,
            &mut unit,
            &a.person_id,
            Purpose::CaseHandling,
            &[Datum::MaskedName, Datum::Appeals],
        )
        .await?;
    }
    unit.commit().await?;
    Ok(views)
}

/// How an authority resolves an appeal.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "rejected", "note": "The positive result stands."}))]
pub struct Resolution {
    #[schema(schema_with = crate::schema::appeal_decision)]
    pub decision: String,
    /// The answer the person reads: 5 to 1000 characters.
    pub note: String,
}

/// The decisions of [`Resolution`].
pub(crate) const DECISIONS: [&str; 2] = ["upheld", "rejected"];

/// An authority answers an open appeal.
pub async fn resolve_appeal(
    state: &AppState,
    caller: &Caller,
    id: &str,
    req: &Resolution,
) -> Result<AppealView, Error> {
    caller.require(&[Role::Authority])?;
    if !DECISIONS.contains(&req.decision.as_str()) {
        return Err(Error::new(
            ErrorCode::AppealDecision,
            "decision must be upheld or rejected",
        ));
    }
    let note = checked_text(&req.note, 5, 1000, ErrorCode::AppealNote)?;
    let appeal = state
        .store()
        .appeal_by_id(id)
        .await?
        .ok_or_else(Error::not_found)?;
    let person = state
        .people()
        .open(state.store(), &appeal.person_id)
        .await?;
    let sealed = person.seal_case(&note)?;
    let now = state.now();
    let mut unit = state.begin(caller.actor()).await?;
    let resolved = unit
        .resolve_appeal(id, &req.decision, &sealed, &caller.account_id, now)
        .await?;
    access::note(
        state,
        &mut unit,
        person.id(),
        Purpose::CaseHandling,
        &[Datum::MaskedName, Datum::Appeals],
    )
    .await?;
    unit.audit(
        Draft::new(Act::AppealResolved)
            .purpose(Purpose::CaseHandling.as_str())
            .subject(state.people().audit_subject(person.id()))
            .detail("appeal", id)
            .detail("decision", &req.decision),
    );
    unit.commit().await?;
    if !resolved {
        return Err(Error::new(
            ErrorCode::AppealNotOpen,
            "this appeal is already resolved",
        ));
    }
    tracing::info!(appeal_id = %id, decision = %req.decision, "appeal resolved");
    let resolved = state
        .store()
        .appeal_by_id(id)
        .await?
        .ok_or_else(Error::not_found)?;
    appeal_view(state, &resolved, true).await
}
