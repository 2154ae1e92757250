//! The person's side of the privacy lifecycle: what is held about them (their
//! profile, the export of everything), and erasure for good, on their own
//! request or an authority's.

use healthcode_domain::actor::Actor;
use healthcode_domain::audit::{Act, Draft};
use healthcode_domain::mask::{mask_document, mask_name, mask_phone};
use healthcode_domain::name_parts::NameParts;
use healthcode_domain::person::PersonName;
use healthcode_domain::role::Role;
use healthcode_store::ErasureReason;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::{self, AccessEntry};
use crate::actor::{Caller, job};
use crate::app::AppState;
use crate::cases::{self, AppealView};
use crate::clock::rfc3339;
use crate::error::{Error, ErrorCode};
use crate::people::{OpenedPerson, erased};
use crate::sessions::verify_password;

/// The citizen's profile as shown to themselves: masked, like on screen.
#[derive(Serialize, ToSchema)]
pub struct Profile {
    pub masked_name: String,
    pub document_type: String,
    pub masked_document: String,
    pub masked_phone: String,
    /// Whether the account stays when the epidemic's data is disposed of.
    pub keep_account: bool,
}

/// The calling citizen's profile, decrypted and masked.
pub async fn profile(state: &AppState, caller: &Caller) -> Result<Profile, Error> {
    let person_id = caller.citizen()?;
    let opened = state.people().open(state.store(), person_id).await?;
    let person = state.store().person(person_id).await?.ok_or_else(erased)?;
    Ok(Profile {
        masked_name: mask_name(&opened.name(&person.name_enc)?),
        document_type: person.document_type,
        masked_document: mask_document(&opened.document(&person.document_enc)?),
        masked_phone: mask_phone(&opened.phone(&person.phone_enc)?),
        keep_account: person.keep_account_since.is_some(),
    })
}

/// Whether the person keeps their account after the epidemic.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeepAccount {
    /// `true`: when the epidemic's data is disposed of, the account (name,
    /// document, phone, login) stays for other services, with nothing of the
    /// epidemic; `false` (the default): it goes too, key and all.
    pub keep: bool,
}

/// The citizen chooses whether their account outlives the epidemic's data.
pub async fn keep_account(
    state: &AppState,
    caller: &Caller,
    choice: &KeepAccount,
) -> Result<KeepAccount, Error> {
    let person_id = caller.citizen()?;
    let mut unit = state.begin(caller.actor()).await?;
    if !unit.keep_account(person_id, choice.keep).await? {
        return Err(erased());
    }
    unit.commit().await?;
    Ok(KeepAccount { keep: choice.keep })
}

/// A surname and given name as travel documents print them, and as the
/// person's certificates (EU DCC `fn`/`gn`, SMART Health Card `family`/`given`)
/// carry them.
#[derive(Serialize, ToSchema)]
pub struct NameSplit {
    pub surname: String,
    /// Empty when the document prints none.
    pub given_name: String,
    /// `true` once the person gave or confirmed the split; `false` while it is
    /// the one proposed from the registered name.
    pub confirmed: bool,
}

impl NameSplit {
    fn of((parts, confirmed): (NameParts, bool)) -> NameSplit {
        NameSplit {
            surname: parts.surname().to_owned(),
            given_name: parts.given().to_owned(),
            confirmed,
        }
    }
}

/// The surname and given name a person confirms or corrects.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NamePartsRequest {
    pub surname: String,
    /// May be empty, for documents that print no given name.
    #[serde(default)]
    pub given_name: String,
}

/// The calling citizen's surname and given name, as given or as proposed.
pub async fn name_parts(state: &AppState, caller: &Caller) -> Result<NameSplit, Error> {
    let person_id = caller.citizen()?;
    let opened = state.people().open(state.store(), person_id).await?;
    let person = state.store().person(person_id).await?.ok_or_else(erased)?;
    Ok(NameSplit::of(opened.name_parts(&person)?))
}

/// The calling citizen confirms or corrects their surname and given name;
/// they must together make up the registered name.
pub async fn set_name_parts(
    state: &AppState,
    caller: &Caller,
    req: &NamePartsRequest,
) -> Result<NameSplit, Error> {
    let person_id = caller.citizen()?;
    let opened = state.people().open(state.store(), person_id).await?;
    let person = state.store().person(person_id).await?.ok_or_else(erased)?;
    let name = PersonName::parse(&opened.name(&person.name_enc)?).map_err(Error::internal)?;
    let parts = NameParts::parse(&name, &req.surname, &req.given_name)?;
    let mut unit = state.begin(caller.actor()).await?;
    match unit
        .set_name_parts(person_id, &opened.seal_name_parts(&parts)?)
        .await
    {
        Err(healthcode_store::StoreError::NotFound) => return Err(erased()),
        other => other?,
    }
    unit.commit().await?;
    Ok(NameSplit::of((parts, true)))
}

/// `DELETE /v1/me`: the password again, as the person's confirmation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAccount {
    pub password: String,
}

/// The calling citizen deletes their account and every datum held about them,
/// for good, after giving their password again.
pub async fn delete_me(
    state: &AppState,
    caller: &Caller,
    req: &DeleteAccount,
) -> Result<(), Error> {
    let person_id = caller.citizen()?;
    if req.password.len() > 1024 {
        return Err(Error::new(
            ErrorCode::PasswordTooLong,
            "the password is too long",
        ));
    }
    let login = state
        .store()
        .citizen_login(person_id)
        .await?
        .ok_or_else(erased)?;
    let (stored, password) = (login.password_hash, req.password.clone());
    if !state
        .password_work(move || verify_password(&stored, &password))
        .await?
    {
        return Err(Error::new(
            ErrorCode::AuthInvalidCredentials,
            "the password is wrong",
        ));
    }
    erase(
        state,
        caller.actor(),
        person_id,
        ErasureReason::Request,
        None,
    )
    .await
}

/// An authority's erasure of a person on their written request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequest {
    #[schema(schema_with = crate::schema::document_type)]
    pub document_type: String,
    pub document_number: String,
    /// The written request's reference number (1 to 64 letters, digits, `-`,
    /// `_`, `/` or `.`), kept with the record of the erasure.
    pub reference: String,
}

/// An erasure done: when, and the request it answered; nothing personal.
#[derive(Serialize, ToSchema)]
pub struct Erased {
    pub erased_at: String,
    pub reference: String,
}

/// An authority erases the person holding a document, on their written
/// request (for people who cannot use a phone).
pub async fn erase_on_request(
    state: &AppState,
    caller: &Caller,
    req: &ErasureRequest,
) -> Result<Erased, Error> {
    caller.require(&[Role::Authority])?;
    erase_by_document(state, caller.actor(), req).await
}

/// Erases the person holding a document, on their written request, for
/// `actor` (an authority over the API, an operator at the command line).
pub async fn erase_by_document(
    state: &AppState,
    actor: Actor,
    req: &ErasureRequest,
) -> Result<Erased, Error> {
    let reference = req.reference.trim();
    if reference.is_empty()
        || reference.len() > 64
        || !reference
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_/.".contains(&b))
    {
        return Err(Error::new(
            ErrorCode::ErasureReference,
            "reference must be 1 to 64 letters, digits, '-', '_', '/' or '.'",
        ));
    }
    let person_id = state
        .people()
        .named_by_document(state.store(), &req.document_type, &req.document_number)
        .await?;
    erase(
        state,
        actor,
        &person_id,
        ErasureReason::Authority,
        Some(reference),
    )
    .await?;
    tracing::info!(reason = "authority", "person erased on a written request");
    Ok(Erased {
        erased_at: rfc3339(state.now()),
        reference: reference.to_owned(),
    })
}

/// Erases a person for good: the erasure is recorded as pending, their data
/// key is destroyed in the key store (from then on nothing of theirs can be
/// read, in any copy of the data), then their rows go from every table and the
/// erasure is completed. Their document number and phone are free again.
pub async fn erase(
    state: &AppState,
    actor: Actor,
    person_id: &str,
    reason: ErasureReason,
    reference: Option<&str>,
) -> Result<(), Error> {
    let account = state.store().citizen_login(person_id).await?;
    let mut unit = state.begin(actor.clone()).await?;
    if !unit.begin_erasure(person_id, reason, reference).await? {
        return Err(erased());
    }
    unit.audit(
        Draft::new(Act::ErasureRequested)
            .subject(state.people().audit_subject(person_id))
            .detail("reason", reason.as_str()),
    );
    unit.commit().await?;
    let sessions = match &account {
        Some(login) => state.store().session_hashes_of(&login.account_id).await?,
        None => Vec::new(),
    };
    finish_erasure(state, actor, person_id).await?;
    for hash in sessions {
        if let Ok(hash) = <[u8; 32]>::try_from(hash.as_slice()) {
            state.forget_session(&hash);
        }
    }
    tracing::info!(reason = reason.as_str(), "person erased");
    Ok(())
}

/// Destroys the key of a person whose erasure is recorded, then deletes their
/// rows and completes the erasure.
async fn finish_erasure(state: &AppState, actor: Actor, person_id: &str) -> Result<(), Error> {
    state.store().destroy_data_key(person_id).await?;
    let mut unit = state.begin(actor).await?;
    unit.complete_erasure(person_id).await?;
    unit.commit().await?;
    state.forget_code(person_id);
    Ok(())
}

/// Finishes the erasures a stopped process left half-done; returns how many.
pub async fn finish_pending_erasures(state: &AppState) -> Result<usize, Error> {
    let pending = state.store().pending_erasures().await?;
    for person_id in &pending {
        finish_erasure(state, job("erasure"), person_id).await?;
    }
    Ok(pending.len())
}

/// Everything held about the person, in one document: what `GET /v1/me/export`
/// answers.
#[derive(Serialize, ToSchema)]
pub struct Export {
    /// `healthcode-export/1`.
    pub format: String,
    pub exported_at: String,
    /// The province that holds the data.
    pub issuer: String,
    pub profile: ExportedProfile,
    pub status: Option<ExportedStatus>,
    /// Every fact: test results, self-tests, declarations, vaccinations,
    /// designations, pending retests, oldest first.
    pub facts: Vec<ExportedFact>,
    /// Every check-in still kept, newest first.
    pub check_ins: Vec<ExportedCheckIn>,
    /// Every override of the person's colour, with its justification.
    pub overrides: Vec<ExportedOverride>,
    /// Every appeal, with its answer.
    pub appeals: Vec<AppealView>,
    /// The sample tubes the person's swabs went into.
    pub samples: Vec<ExportedSample>,
    /// The person's sessions (when opened, until when).
    pub sessions: Vec<ExportedSession>,
    /// Who opened the person's data, other than the person.
    pub access_log: Vec<AccessEntry>,
}

/// The person as registered, in full.
#[derive(Serialize, ToSchema)]
pub struct ExportedProfile {
    pub name: String,
    pub document_type: String,
    pub document_number: String,
    pub phone: String,
    pub address: Option<String>,
    /// Surname and given name as certificates carry them.
    pub name_parts: NameSplit,
    pub registered_at: String,
    /// Since when the account is kept after the epidemic, if it is.
    pub keep_account_since: Option<String>,
}

/// The colour stored for the person and why.
#[derive(Serialize, ToSchema)]
pub struct ExportedStatus {
    pub colour: String,
    pub policy_version: String,
    pub computed_at: String,
    pub valid_until: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub reasons: Vec<healthcode_domain::colour::Reason>,
}

/// One fact, with where it came from.
#[derive(Serialize, ToSchema)]
pub struct ExportedFact {
    pub kind: String,
    pub recorded_at: String,
    /// `laboratory`, `citizen`, `venue`, `collector`, `authority` or `import`.
    pub source: String,
    /// Why it is kept.
    pub purpose: String,
    /// The fact itself.
    #[schema(value_type = Object)]
    pub fact: serde_json::Value,
}

/// One check-in.
#[derive(Serialize, ToSchema)]
pub struct ExportedCheckIn {
    pub id: String,
    pub venue_id: String,
    pub venue_name: String,
    pub division: String,
    pub at: String,
    /// `place_code` or `personal_code`.
    pub source: String,
}

/// One override of the person's colour.
#[derive(Serialize, ToSchema)]
pub struct ExportedOverride {
    pub id: String,
    pub colour: String,
    pub justification: String,
    pub requested_by: String,
    pub requested_at: String,
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
    pub expires_at: String,
}

/// One sample tube the person's swab went into.
#[derive(Serialize, ToSchema)]
pub struct ExportedSample {
    pub tube_id: String,
    pub added_at: String,
    /// The tube's result if known (for a pool, the pool's).
    pub outcome: Option<String>,
}

/// One session of the person.
#[derive(Serialize, ToSchema)]
pub struct ExportedSession {
    pub opened_at: String,
    pub expires_at: String,
}

/// Everything held about the calling citizen. Nothing of anyone else: the
/// officials who acted appear by account id only.
pub async fn export_me(state: &AppState, caller: &Caller) -> Result<Export, Error> {
    let person_id = caller.citizen()?;
    let store = state.store();
    let person = state.people().open(store, person_id).await?;
    let record = store.person(person_id).await?.ok_or_else(erased)?;
    let profile = ExportedProfile {
        name: person.name(&record.name_enc)?,
        document_type: record.document_type.clone(),
        document_number: person.document(&record.document_enc)?,
        phone: person.phone(&record.phone_enc)?,
        address: record
            .address_enc
            .as_deref()
            .map(|a| person.address(a))
            .transpose()?,
        name_parts: NameSplit::of(person.name_parts(&record)?),
        registered_at: rfc3339(record.created_at),
        keep_account_since: record.keep_account_since.map(rfc3339),
    };
    Ok(Export {
        format: "healthcode-export/1".to_owned(),
        exported_at: rfc3339(state.now()),
        issuer: state.issuer().code.clone(),
        profile,
        status: exported_status(state, &person).await?,
        facts: exported_facts(state, &person).await?,
        check_ins: store
            .check_ins_of(person_id, 0, i64::MAX)
            .await?
            .into_iter()
            .map(|c| ExportedCheckIn {
                id: c.id,
                venue_id: c.venue_id,
                venue_name: c.venue_name,
                division: c.division,
                at: rfc3339(c.at),
                source: c.source.as_str().to_owned(),
            })
            .collect(),
        overrides: store
            .overrides_of(person_id)
            .await?
            .into_iter()
            .map(|o| {
                Ok(ExportedOverride {
                    justification: person.open_case(&o.justification_enc)?,
                    id: o.id,
                    colour: o.colour,
                    requested_by: o.requested_by,
                    requested_at: rfc3339(o.requested_at),
                    approved_by: o.approved_by,
                    approved_at: o.approved_at.map(rfc3339),
                    expires_at: rfc3339(o.expires_at),
                })
            })
            .collect::<Result<_, Error>>()?,
        appeals: cases::my_appeals(state, caller).await?,
        samples: store
            .samples_of(person_id)
            .await?
            .into_iter()
            .map(|(tube_id, added_at, outcome)| ExportedSample {
                tube_id,
                added_at: rfc3339(added_at),
                outcome,
            })
            .collect(),
        sessions: store
            .sessions_of(&caller.account_id)
            .await?
            .into_iter()
            .map(|(opened, expires)| ExportedSession {
                opened_at: rfc3339(opened),
                expires_at: rfc3339(expires),
            })
            .collect(),
        access_log: access::everything(state, person_id).await?,
    })
}

async fn exported_status(
    state: &AppState,
    person: &OpenedPerson<'_>,
) -> Result<Option<ExportedStatus>, Error> {
    let Some(status) = state
        .store()
        .code_inputs(person.id())
        .await?
        .and_then(|i| i.status)
    else {
        return Ok(None);
    };
    let reasons = match &status.reasons_enc {
        Some(sealed) => person.open_reasons(sealed)?,
        None => Vec::new(),
    };
    Ok(Some(ExportedStatus {
        colour: status.colour,
        policy_version: status.policy_version,
        computed_at: rfc3339(status.computed_at),
        valid_until: status.valid_until.map(rfc3339),
        reasons,
    }))
}

async fn exported_facts(
    state: &AppState,
    person: &OpenedPerson<'_>,
) -> Result<Vec<ExportedFact>, Error> {
    state
        .store()
        .facts_of(person.id())
        .await?
        .iter()
        .map(|record| {
            let fact = person.open_fact(record)?;
            Ok(ExportedFact {
                kind: record.kind.clone(),
                recorded_at: rfc3339(record.recorded_at),
                source: record.source.clone(),
                purpose: record.purpose.clone(),
                fact: serde_json::to_value(&fact).map_err(Error::internal)?,
            })
        })
        .collect()
}
