//! Rows as the store reads and writes them. Personal fields are ciphertext here;
//! only the gateway to people's data (in the application core) turns them back
//! into text.

use healthcode_domain::role::Role;

/// A person to register, already sealed and indexed.
pub struct NewPerson {
    pub id: String,
    pub document_type: String,
    pub document_index: Vec<u8>,
    pub phone_index: Vec<u8>,
    pub name_enc: Vec<u8>,
    pub document_enc: Vec<u8>,
    pub phone_enc: Vec<u8>,
    pub address_enc: Option<Vec<u8>>,
    /// Surname and given name as the travel document prints them, sealed.
    pub name_parts_enc: Option<Vec<u8>>,
    /// The person's data key, wrapped; it goes to the key store, not the data store.
    pub wrapped_key: Vec<u8>,
    pub created_at: i64,
}

/// An account to create: a citizen's (tied to a person) or a staff member's
/// (tied to a username).
pub struct NewAccount {
    pub id: String,
    pub role: Role,
    pub person_id: Option<String>,
    pub username: Option<String>,
    pub password_hash: String,
    pub created_at: i64,
}

/// A registered person as stored. `wrapped_key` is `None` once the key has been
/// destroyed, after which the ciphertext can never be read again.
pub struct PersonRecord {
    pub id: String,
    pub document_type: String,
    pub name_enc: Vec<u8>,
    pub document_enc: Vec<u8>,
    pub phone_enc: Vec<u8>,
    pub address_enc: Option<Vec<u8>>,
    /// Surname and given name, sealed; `None` until the person gave or
    /// confirmed a split (the proposed one is used meanwhile).
    pub name_parts_enc: Option<Vec<u8>>,
    pub wrapped_key: Option<Vec<u8>>,
    /// When the person registered.
    pub created_at: i64,
    /// Since when the person keeps their account for other services after
    /// the epidemic's data is disposed of; `None`: they do not.
    pub keep_account_since: Option<i64>,
}

/// How someone proves who they are when logging in.
pub enum LoginKey {
    /// Blind indexes of a document number under every document type.
    Document(Vec<Vec<u8>>),
    Phone(Vec<u8>),
    Username(String),
}

/// What a login needs to check a password and open a session.
pub struct LoginRecord {
    pub account_id: String,
    pub role: Role,
    pub person_id: Option<String>,
    pub password_hash: String,
}

/// A live session: who it is and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub account_id: String,
    pub role: Role,
    pub person_id: Option<String>,
    pub expires_at: i64,
}

/// A staff account as listed by administrators (no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffAccount {
    pub account_id: String,
    pub username: String,
    pub role: Role,
    pub created_at: i64,
}

/// The precomputed colour of one person, read on the code-display hot path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeStatus {
    pub person_id: String,
    pub colour: String,
    /// The reasons as the domain produced them, sealed under the person's data
    /// key (they describe the person's health or case); `None` for a status
    /// that must be recomputed before it is shown.
    pub reasons_enc: Option<Vec<u8>>,
    pub policy_version: String,
    pub computed_at: i64,
    pub valid_until: Option<i64>,
}

/// A health fact as stored: metadata in clear, details sealed under the
/// person's data key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactRecord {
    pub id: String,
    pub person_id: String,
    /// `test_result`, `self_test`, `declaration`, `vaccination`, `designation`, `pending_retest`.
    pub kind: String,
    pub occurred_at: i64,
    pub recorded_at: i64,
    /// Who reported it: `laboratory`, `citizen`, `venue`, `collector`, `authority`, `import`.
    pub source: String,
    pub source_id: Option<String>,
    /// Why it is kept, e.g. `epidemic-prevention`; retention and disposal go by it.
    pub purpose: String,
    /// Makes repeated uploads of the same fact one fact.
    pub dedup_key: Option<String>,
    pub body_enc: Vec<u8>,
}

/// A risk area as declared by an authority (no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskAreaRecord {
    pub id: String,
    /// `division` or `venue`.
    pub scope_kind: String,
    pub scope: String,
    pub level: String,
    pub name: Option<String>,
    pub from_at: i64,
    pub until_at: Option<i64>,
    pub declared_by: String,
    pub declared_at: i64,
}

/// A published policy version: its CertLogic document as JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRecord {
    pub version: String,
    pub effective_from: i64,
    pub document: String,
    /// The authority who approved it (none for the policies shipped with the service).
    pub published_by: Option<String>,
    pub published_at: i64,
    /// The authority who proposed it.
    pub proposed_by: Option<String>,
}

/// A policy version proposed by one authority, waiting for a second.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyProposalRecord {
    pub version: String,
    pub effective_from: i64,
    pub document: String,
    pub proposed_by: String,
    pub proposed_at: i64,
}

/// An override of a person's colour: requested by one official, in force only
/// once a different official approves it, and only until it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideRecord {
    pub id: String,
    pub person_id: String,
    pub colour: String,
    /// Sealed under the person's data key: it is about them, and they may read it.
    pub justification_enc: Vec<u8>,
    pub requested_by: String,
    pub requested_at: i64,
    pub approved_by: Option<String>,
    pub approved_at: Option<i64>,
    pub expires_at: i64,
}

/// A person's appeal against their colour, and its resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppealRecord {
    pub id: String,
    pub person_id: String,
    /// The colour and policy appealed against.
    pub colour: String,
    pub policy_version: String,
    pub text_enc: Vec<u8>,
    pub filed_at: i64,
    /// `open`, `upheld` or `rejected`.
    pub status: String,
    pub resolution_enc: Option<Vec<u8>>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<i64>,
}

/// A sample tube: one swab, or a pool of several people's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TubeRecord {
    pub id: String,
    pub capacity: i64,
    pub collector_id: String,
    pub opened_at: i64,
    pub sealed_at: Option<i64>,
    /// `positive` or `negative` once the laboratory has reported.
    pub outcome: Option<String>,
    /// `pcr` or `antigen`.
    pub kind: Option<String>,
    pub laboratory: Option<String>,
    pub sample_at: Option<i64>,
    pub result_at: Option<i64>,
    /// The people whose swabs are in it.
    pub members: Vec<String>,
}

/// What the code-display path reads for one person.
pub struct CodeInputs {
    pub name_enc: Vec<u8>,
    pub status: Option<CodeStatus>,
}

/// A signing key as stored: the secret sealed under the master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    pub kid: String,
    pub public_key: Vec<u8>,
    pub secret_sealed: Vec<u8>,
    /// `active` (signing if `signs_until` is unset, else only verifying) or `revoked`.
    pub status: String,
    pub not_before: i64,
    pub signs_until: Option<i64>,
    pub verify_until: Option<i64>,
    pub created_at: i64,
}
