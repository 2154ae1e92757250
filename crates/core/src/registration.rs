//! Registration of citizens with a real-name document: validation, real-name
//! verification, and turning the registration into encrypted rows. Shared by
//! the API, the pages and the demo seeder, so there is one way a person enters
//! the store.

use std::net::IpAddr;

use healthcode_domain::actor::Actor;
use healthcode_domain::facts::PersonFacts;
use healthcode_domain::identity::{Document, DocumentType};
use healthcode_domain::mask::mask_name;
use healthcode_domain::name_parts::NameParts;
use healthcode_domain::person::{PersonName, Phone, check_password};
use healthcode_domain::role::Role;
use healthcode_domain::services::Service;
use healthcode_store::{NewAccount, NewCitizen};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::AppState;
use crate::clock::{china_date, timestamp};
use crate::error::{Error, ErrorCode};
use crate::ids::random_id;
use crate::people::PersonalFields;
use crate::realname::RealNameVerdict;
use crate::recompute::status_row;
use crate::services;
use crate::sessions::hash_password;

/// A registration. Every field is validated before anything is written.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// Real name as on the document.
    pub name: String,
    /// The surname as the travel document prints it (passports and permits
    /// print it apart). Absent, it is proposed from the name (a compound
    /// surname such as 欧阳, else the first character) and the person may
    /// correct it later (`PUT /v1/me/name-parts`).
    #[serde(default)]
    pub surname: Option<String>,
    /// The given name as the travel document prints it; with `surname`.
    #[serde(default)]
    pub given_name: Option<String>,
    #[schema(schema_with = crate::schema::document_type)]
    pub document_type: String,
    pub document_number: String,
    pub phone: String,
    pub password: String,
    /// Optional home address.
    pub address: Option<String>,
}

/// What registration tells the new citizen (masked; nothing they did not send).
#[derive(Serialize, ToSchema)]
pub struct RegisterResponse {
    pub masked_name: String,
    #[schema(value_type = String, example = "resident_id")]
    pub document_type: DocumentType,
}

/// Validates, verifies and stores a new citizen.
///
/// `from` is the caller's address when the transport knows it: registrations
/// are rate-limited per address, so that nobody can probe at length who is
/// registered.
pub async fn register_citizen(
    state: &AppState,
    req: RegisterRequest,
    from: Option<IpAddr>,
) -> Result<RegisterResponse, Error> {
    services::ensure_open(state, Service::Registration)?;
    state.limits().registration(from)?;
    let now = state.now();
    let citizen = ValidCitizen::from_request(&req, china_date(timestamp(now)))?;
    check_password(&req.password)?;
    match state
        .verifier()
        .verify(&citizen.name, &citizen.document)
        .await
    {
        RealNameVerdict::Verified => {}
        RealNameVerdict::Rejected { code, message } => return Err(Error::new(code, message)),
        RealNameVerdict::Unavailable(reason) => {
            tracing::warn!(%reason, "real-name verification unavailable");
            return Err(Error::new(
                ErrorCode::RealnameUnavailable,
                "identity verification is unavailable; try again later",
            ));
        }
    }
    let password = req.password;
    let password_hash = state
        .password_work(move || hash_password(&password))
        .await??;
    let record = seal_citizen(state, &citizen, password_hash, now)?;
    let actor = Actor::Citizen {
        account_id: record.account.id.clone(),
        person_id: record.person.id.clone(),
    };
    state
        .store()
        .register_citizens(&[record], actor, now)
        .await?;
    tracing::info!(
        document_type = citizen.document.doc_type.as_str(),
        "citizen registered"
    );
    Ok(RegisterResponse {
        masked_name: mask_name(citizen.name.as_str()),
        document_type: citizen.document.doc_type,
    })
}

/// A registration whose every field has passed the domain's checks.
pub struct ValidCitizen {
    pub name: PersonName,
    /// Surname and given name, when the registration gave them.
    pub name_parts: Option<NameParts>,
    pub document: Document,
    pub phone: Phone,
    pub address: Option<String>,
}

impl ValidCitizen {
    /// Validates every personal field of a registration (not the password).
    pub fn from_request(req: &RegisterRequest, today: Date) -> Result<ValidCitizen, Error> {
        let name = PersonName::parse(&req.name)?;
        let name_parts = given_parts(&name, req.surname.as_deref(), req.given_name.as_deref())?;
        let document_type = DocumentType::parse(&req.document_type).ok_or_else(|| {
            Error::new(
                ErrorCode::IdDocumentType,
                "document_type must be one of resident_id, passport, hk_macao_permit, \
                 taiwan_permit, foreign_permanent_residence",
            )
        })?;
        let document = Document::parse(document_type, &req.document_number, today)?;
        let phone = Phone::parse(&req.phone)?;
        let address = req
            .address
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty());
        if address.is_some_and(|a| a.chars().count() > 200 || a.chars().any(char::is_control)) {
            return Err(Error::new(
                ErrorCode::AddressInvalid,
                "the address must be at most 200 characters without control characters",
            ));
        }
        Ok(ValidCitizen {
            name,
            name_parts,
            document,
            phone,
            address: address.map(str::to_owned),
        })
    }
}

/// The surname and given name a request gave, checked against the name; none
/// when both are absent or empty.
pub fn given_parts(
    name: &PersonName,
    surname: Option<&str>,
    given: Option<&str>,
) -> Result<Option<NameParts>, Error> {
    let surname = surname.map(str::trim).unwrap_or_default();
    let given = given.map(str::trim).unwrap_or_default();
    if surname.is_empty() && given.is_empty() {
        return Ok(None);
    }
    Ok(Some(NameParts::parse(name, surname, given)?))
}

/// Encrypts a citizen under a fresh data key and builds the rows to store,
/// including the initial colour under the current policy.
pub fn seal_citizen(
    state: &AppState,
    citizen: &ValidCitizen,
    password_hash: String,
    now: i64,
) -> Result<NewCitizen, Error> {
    let person_id = random_id()?;
    let fields = PersonalFields {
        name: &citizen.name,
        name_parts: citizen.name_parts.as_ref(),
        document: &citizen.document,
        phone: &citizen.phone,
        address: citizen.address.as_deref(),
    };
    let (person, opened) = state.people().seal_new(&person_id, &fields, now)?;
    let account = NewAccount {
        id: random_id()?,
        role: Role::Citizen,
        person_id: Some(person_id.clone()),
        username: None,
        password_hash,
        created_at: now,
    };
    let assessment = state.policies().assess(
        &PersonFacts::default(),
        &state.risk_areas(),
        &[],
        timestamp(now),
    );
    let status = status_row(&opened, &assessment, now)?;
    Ok(NewCitizen {
        person,
        account,
        status,
    })
}

/// Registers many already validated citizens who share one password hash, in
/// one unit of work for an operator (bulk loads: the demo population,
/// benchmarks); returns their person ids in order. Real-name verification is
/// the loader's business.
pub async fn register_many(
    state: &AppState,
    citizens: &[ValidCitizen],
    password_hash: &str,
) -> Result<Vec<String>, Error> {
    let now = state.now();
    let records = citizens
        .iter()
        .map(|c| seal_citizen(state, c, password_hash.to_owned(), now))
        .collect::<Result<Vec<_>, _>>()?;
    state
        .store()
        .register_citizens(&records, Actor::Operator, now)
        .await?;
    Ok(records.into_iter().map(|r| r.person.id).collect())
}
