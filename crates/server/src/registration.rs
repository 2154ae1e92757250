//! Turning a validated registration into encrypted rows: shared by the API, the
//! pages and the demo seeder, so there is one way a person enters the store.

use axum::http::StatusCode;
use healthcode_domain::facts::PersonFacts;
use healthcode_domain::identity::{Document, DocumentType};
use healthcode_domain::person::{PersonName, Phone};
use healthcode_domain::role::Role;
use healthcode_store::vault::Field;
use healthcode_store::{NewAccount, NewCitizen, NewPerson};
use jiff::civil::Date;

use crate::codes::{status_row, timestamp};
use crate::error::ApiError;
use crate::routes::RegisterRequest;
use crate::state::AppState;

/// A registration whose every field has passed the domain's checks.
pub struct ValidCitizen {
    pub name: PersonName,
    pub document: Document,
    pub phone: Phone,
    pub address: Option<String>,
}

impl ValidCitizen {
    /// Validates every personal field of a registration (not the password).
    pub fn from_request(req: &RegisterRequest, today: Date) -> Result<ValidCitizen, ApiError> {
        let name = PersonName::parse(&req.name)?;
        let document_type = DocumentType::parse(&req.document_type).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "id.document_type",
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
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "address.invalid",
                "the address must be at most 200 characters without control characters",
            ));
        }
        Ok(ValidCitizen {
            name,
            document,
            phone,
            address: address.map(str::to_owned),
        })
    }
}

/// The blind-index namespace of a document type: the same number under two
/// types is two different documents.
pub fn document_namespace(t: DocumentType) -> String {
    format!("document:{}", t.as_str())
}

/// Encrypts a citizen under a fresh data key and builds the rows to store,
/// including the initial colour under the current policy.
pub fn seal_citizen(
    state: &AppState,
    citizen: &ValidCitizen,
    password_hash: String,
    now: i64,
) -> Result<NewCitizen, ApiError> {
    let person_id = random_id()?;
    let vault = &state.vault;
    let key = vault.new_data_key().map_err(ApiError::internal)?;
    let seal = |field, value: &str| {
        vault
            .encrypt(&key, &person_id, field, value)
            .map_err(ApiError::internal)
    };
    let document = &citizen.document;
    let person = NewPerson {
        id: person_id.clone(),
        document_type: document.doc_type.as_str().to_owned(),
        document_index: vault.blind_index(&document_namespace(document.doc_type), &document.number),
        phone_index: vault.blind_index("phone", citizen.phone.as_str()),
        name_enc: seal(Field::Name, citizen.name.as_str())?,
        document_enc: seal(Field::Document, &document.number)?,
        phone_enc: seal(Field::Phone, citizen.phone.as_str())?,
        address_enc: citizen
            .address
            .as_deref()
            .map(|a| seal(Field::Address, a))
            .transpose()?,
        wrapped_key: vault
            .wrap_data_key(&person_id, &key)
            .map_err(ApiError::internal)?,
        created_at: now,
    };
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
    let status = status_row(&person_id, &assessment, now)?;
    Ok(NewCitizen {
        person,
        account,
        status,
    })
}

/// A random 128-bit identifier in hex; reveals nothing about the person.
pub fn random_id() -> Result<String, ApiError> {
    let mut raw = [0u8; 16];
    aws_lc_rs::rand::fill(&mut raw).map_err(|_| ApiError::internal("random source failed"))?;
    Ok(hex::encode(raw))
}
