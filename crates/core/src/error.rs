//! The errors of the application core: one registry of stable codes.
//!
//! Every failure a caller can see has one [`ErrorCode`], part of the public
//! contract (the API, the pages, the CLI and translations match on it), and a
//! message for people that may change and never carries personal data. How a
//! code is answered over HTTP is decided in one place, in the server crate.

use healthcode_credentials::code::VerifyError;
use healthcode_domain::identity::IdError;
use healthcode_domain::person::FieldError;
use healthcode_domain::policy::PolicyError;
use healthcode_domain::services::{Closure, Notice, ScheduleError, Service};
use healthcode_store::StoreError;

/// Declares the registry: each variant with its stable code and what it means.
macro_rules! registry {
    ($($variant:ident = $code:literal, $meaning:literal;)*) => {
        /// A stable error code. The registry of every code the platform answers with.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $(#[doc = $meaning] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in registry order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The stable text of the code, e.g. `id.checksum`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            /// What the code means, for documentation.
            pub fn meaning(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $meaning,)*
                }
            }

            /// The code with this text, if it is one.
            pub fn parse(text: &str) -> Option<ErrorCode> {
                ErrorCode::ALL.iter().copied().find(|c| c.as_str() == text)
            }
        }
    };
}

registry! {
    // Sessions and authorisation.
    AuthRequired = "auth.required", "a valid session is required";
    AuthForbidden = "auth.forbidden", "this account may not do this";
    AuthInvalidCredentials = "auth.invalid_credentials", "the login or password is wrong";
    LoginIdentifier = "login.identifier", "give exactly one of document number, phone or username";
    PasswordTooLong = "password.too_long", "the password is too long";
    // Requests.
    RequestInvalidJson = "request.invalid_json", "the body is not valid JSON";
    RequestInvalidField = "request.invalid_field", "a field of the body is missing or has the wrong type";
    RequestContentType = "request.content_type", "the body must be JSON";
    RequestTooLarge = "request.too_large", "the body is too large";
    RequestInvalidQuery = "request.invalid_query", "the query string is malformed";
    RequestInvalid = "request.invalid", "the request is malformed";
    RequestMethod = "request.method_not_allowed", "this method is not allowed here";
    RequestTimeout = "request.timeout", "the request took too long";
    RequestUriTooLong = "request.uri_too_long", "the address is too long";
    RequestHeadersTooLarge = "request.headers_too_large", "the request headers are too large";
    RequestCrossSite = "request.cross_site", "a page of another site may not change anything here";
    RequestRateLimited = "request.rate_limited", "too many attempts; wait and try again";
    StoreUnavailable = "store.unavailable", "the database cannot be reached right now; try again shortly";
    NotFound = "not_found", "no such resource";
    Conflict = "conflict", "the resource exists already";
    Internal = "internal", "an internal error; it has been logged";
    // Identity documents and personal fields.
    IdEmpty = "id.empty", "the document number is empty";
    IdLength = "id.length", "the resident ID number has the wrong length";
    IdFormat = "id.format", "the resident ID number is malformed";
    IdChecksum = "id.checksum", "the resident ID check character does not match";
    IdRegion = "id.region", "the resident ID region code is unknown";
    IdBirthdate = "id.birthdate", "the resident ID birth date is impossible";
    IdPassport = "id.passport", "the passport number is malformed";
    IdPermit = "id.permit", "the permit number is malformed";
    IdForeignResidence = "id.foreign_residence", "the foreign permanent residence ID is malformed";
    IdDocumentType = "id.document_type", "unknown document type";
    NameInvalid = "name.invalid", "the name is not a valid name";
    NameParts = "name.parts", "the surname and the given name must together make up the registered name";
    PhoneInvalid = "phone.invalid", "the phone number is malformed";
    PasswordWeak = "password.weak", "the password is too short or too easy to guess";
    AddressInvalid = "address.invalid", "the address is too long or has control characters";
    RealnameNameScript = "realname.name_script", "a resident ID is issued under a name in Chinese characters";
    RealnameMismatch = "realname.mismatch", "the name and the document do not belong together";
    RealnameUnavailable = "realname.unavailable", "identity verification is unavailable";
    RegistrationDuplicate = "registration.duplicate", "the document or the phone number is registered already";
    // People.
    PersonNotFound = "person.not_found", "no person with this document or code";
    PersonErased = "person.erased", "this person's data has been erased";
    ErasureReference = "erasure.reference", "the written request's reference is malformed";
    // Keys.
    KeysNoSigner = "keys.no_signer", "no signing key is active";
    // Facts reported by citizens.
    FactTime = "fact.time", "the time of the fact is out of range";
    DeclarationSymptom = "declaration.symptom", "unknown symptom";
    DeclarationTemperature = "declaration.temperature", "the temperature is out of range";
    DeclarationTravel = "declaration.travel", "unknown division in the travel list";
    // Policies and risk areas.
    PolicyNone = "policy.none", "no policy is in force";
    PolicyRetroactive = "policy.retroactive", "a policy must take effect in the future";
    PolicyDuplicate = "policy.duplicate", "a policy with this version or effective time exists";
    PolicySameOfficial = "policy.same_official", "a policy needs the approval of a second, different authority";
    PolicyNotProposed = "policy.not_proposed", "no policy version with this name is waiting for approval";
    PolicyParse = "policy.parse", "the body is not a policy document";
    PolicyInvalidDocument = "policy.invalid_document", "the policy document is inconsistent";
    PolicyInvalidRule = "policy.invalid_rule", "a rule is not valid CertLogic";
    PolicyInvalidTemplate = "policy.invalid_template", "a rule's text is not a valid template";
    PolicyDuplicateVersion = "policy.duplicate_version", "two policies share a version";
    PolicySameEffectiveFrom = "policy.same_effective_from", "two policies take effect at the same time";
    RetentionParse = "retention.parse", "the body is not a retention schedule";
    RetentionPeriod = "retention.period", "a category's period is missing or out of range";
    RetentionRetroactive = "retention.retroactive", "a retention schedule must take effect in the future";
    RetentionDuplicate = "retention.duplicate", "a retention schedule with this version or effective time exists";
    RiskAreaDivision = "risk_area.division", "unknown division";
    RiskAreaScope = "risk_area.scope", "the scope must be a division or a venue";
    RiskAreaLevel = "risk_area.level", "the level must be high, medium or low";
    RiskAreaName = "risk_area.name", "the name is too long";
    RiskAreaTime = "risk_area.time", "the window is malformed";
    // Overrides and appeals.
    OverrideColour = "override.colour", "the colour must be green, yellow or red";
    OverrideJustification = "override.justification", "the justification must be 5 to 500 characters";
    OverrideExpiresAt = "override.expires_at", "an override must expire within 30 days";
    OverrideSameOfficial = "override.same_official", "an override needs a second, different official";
    OverrideNotPending = "override.not_pending", "the override is approved or expired";
    AppealText = "appeal.text", "the appeal must be 5 to 1000 characters";
    AppealNote = "appeal.note", "the resolution must be 5 to 1000 characters";
    AppealDecision = "appeal.decision", "the decision must be upheld or rejected";
    AppealNotOpen = "appeal.not_open", "the appeal is resolved already";
    // Sampling and laboratories.
    TubeId = "tube.id", "the tube id is malformed";
    TubeCapacity = "tube.capacity", "the tube capacity is out of range";
    TubeExists = "tube.exists", "a tube with this id exists";
    TubeNotOpen = "tube.not_open", "no open tube with this id";
    TubeFull = "tube.full", "the tube is full";
    TubeSealed = "tube.sealed", "the tube is sealed";
    TubeNotFound = "tube.not_found", "no tube with this id";
    TubeEmpty = "tube.empty", "the tube holds no sample";
    TubeResultConflict = "tube.result_conflict", "the tube already has a different result";
    ResultKind = "result.kind", "the kind must be pcr or antigen";
    ResultOutcome = "result.outcome", "the outcome must be positive or negative";
    ResultLaboratory = "result.laboratory", "the laboratory must be 1 to 100 characters";
    ResultTime = "result.time", "the sample and result times are out of range";
    ImportRow = "import.row", "a row of an import file cannot be read";
    // The audit log.
    AuditRange = "audit.range", "the entries, index or tree sizes asked for are not in the log";
    // Venues and check-ins.
    VenueName = "venue.name", "the venue name is too long or has control characters";
    VenueAddress = "venue.address", "the venue address is too long or has control characters";
    VenueDivision = "venue.division", "the division is unknown or outside the province";
    VenueInvalid = "venue.invalid", "the place code cannot be signed for this venue";
    VenueUnknown = "venue.unknown", "no venue is registered under this id";
    VenueNotOwner = "venue.not_owner", "the venue belongs to another account";
    VenueCheckerUnknown = "venue.checker_unknown", "no checker account has this username";
    VenueDays = "venue.days", "the number of days is out of range";
    CheckInScanId = "check_in.scan_id", "the scan id is malformed";
    CheckInBusy = "check_in.busy", "too many check-ins are waiting; retry with the same scan id";
    CheckInUnavailable = "check_in.unavailable", "the check-in writer has stopped";
    CheckInCodeUsed = "check_in.code_used", "this personal code has recorded a check-in already; scan a fresh one";
    // Scanned codes.
    CodeMalformed = "code.malformed", "the code cannot be decoded";
    CodeUnsupportedAlgorithm = "code.unsupported_algorithm", "the code's signature algorithm is not accepted";
    CodeUnknownKey = "code.unknown_key", "the code's key is unknown or revoked";
    CodeRevokedKey = "code.revoked_key", "the code's key is revoked";
    CodeRetiredKey = "code.retired_key", "the code's key is retired";
    CodeBadSignature = "code.bad_signature", "the code's signature does not verify";
    CodeExpired = "code.expired", "the code has expired";
    CodeNotYetValid = "code.not_yet_valid", "the code is issued in the future";
    CodeWrongIssuer = "code.wrong_issuer", "the code names another issuer";
    CodeRevokedCertificate = "code.revoked_certificate", "the code is revoked";
    // Services on a schedule.
    ServiceSuspended = "service.suspended", "the service is suspended or retired; the notice says why and since when";
    ServiceUnknown = "service.unknown", "no service or closure has this name";
    ServiceNotice = "service.notice", "the notice must be 1 to 500 characters in each of Chinese and English";
    ServiceTime = "service.time", "a closure takes effect now or later, at an RFC 3339 time";
    ServiceNotScheduled = "service.not_scheduled", "no closure of this service is scheduled";
    // End-of-epidemic disposal.
    DisposalPurpose = "disposal.purpose", "the purpose to dispose of is epidemic-prevention";
    DisposalThreshold = "disposal.threshold", "the statistics' threshold is 1 to 1000";
    DisposalInProgress = "disposal.in_progress", "a disposal of this purpose is requested or running already";
    DisposalSameOfficial = "disposal.same_official", "a disposal needs a second, different authority to approve it";
    DisposalNotPending = "disposal.not_pending", "the disposal is not awaiting approval";
    DisposalNotComplete = "disposal.not_complete", "the disposal has not completed; it has no certificate yet";
    // International certificates.
    ShcBirthDateUnknown = "shc.birth_date_unknown", "SMART Health Cards need a birth date";
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure of a service: a stable code and a message for people. The message
/// never contains personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} ({code})")]
pub struct Error {
    code: ErrorCode,
    message: String,
    /// The notice of a closed service (with [`ErrorCode::ServiceSuspended`]).
    suspension: Option<Box<Suspension>>,
    /// For [`ErrorCode::RequestRateLimited`]: seconds until the next attempt counts.
    retry_after: Option<u64>,
}

/// Why a closed service refuses: what people are told, and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspension {
    pub service: Service,
    pub closure: Closure,
    pub notice: Notice,
    /// Since when, in Unix seconds.
    pub since: i64,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
            suspension: None,
            retry_after: None,
        }
    }

    /// The refusal of a closed service, with its notice.
    pub fn suspended(suspension: Suspension) -> Error {
        Error {
            code: ErrorCode::ServiceSuspended,
            message: format!(
                "the service {} is {}",
                suspension.service.as_str(),
                suspension.closure.as_str()
            ),
            suspension: Some(Box::new(suspension)),
            retry_after: None,
        }
    }

    /// The notice of a closed service, if this is its refusal.
    pub fn suspension(&self) -> Option<&Suspension> {
        self.suspension.as_deref()
    }

    /// Too many attempts: the next one counts in `wait` (rounded up to whole
    /// seconds, as `Retry-After` carries them).
    pub fn rate_limited(wait: std::time::Duration) -> Error {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Error {
            retry_after: Some(seconds.max(1)),
            ..Error::of(ErrorCode::RequestRateLimited)
        }
    }

    /// The database cannot be reached right now: 503 with a short `Retry-After`.
    pub fn store_unavailable() -> Error {
        Error {
            retry_after: Some(2),
            ..Error::of(ErrorCode::StoreUnavailable)
        }
    }

    /// Seconds to wait before trying again, for a rate-limited attempt.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    /// The code with its registry meaning as the message.
    pub fn of(code: ErrorCode) -> Error {
        Error::new(code, code.meaning())
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// An operational failure: the detail goes to the log, the caller gets a code.
    pub fn internal(detail: impl std::fmt::Display) -> Error {
        tracing::error!(error = %detail, "internal error");
        Error::new(ErrorCode::Internal, "internal error; it has been logged")
    }

    pub fn unauthorized() -> Error {
        Error::new(
            ErrorCode::AuthRequired,
            "a valid session token is required (Authorization: Bearer TOKEN)",
        )
    }

    pub fn forbidden() -> Error {
        Error::new(
            ErrorCode::AuthForbidden,
            "this account may not use this route",
        )
    }

    pub fn not_found() -> Error {
        Error::new(ErrorCode::NotFound, "no such resource")
    }

    /// Nothing can be signed until an operator makes a key active.
    pub fn no_signer() -> Error {
        Error::new(
            ErrorCode::KeysNoSigner,
            "no signing key is active; run `healthcode keys rotate`",
        )
    }
}

impl From<IdError> for Error {
    fn from(e: IdError) -> Self {
        let code = match e {
            IdError::Empty => ErrorCode::IdEmpty,
            IdError::Length => ErrorCode::IdLength,
            IdError::Format => ErrorCode::IdFormat,
            IdError::Checksum => ErrorCode::IdChecksum,
            IdError::Region => ErrorCode::IdRegion,
            IdError::BirthDateUnreal | IdError::BirthDateFuture | IdError::BirthDateTooEarly => {
                ErrorCode::IdBirthdate
            }
            IdError::Passport => ErrorCode::IdPassport,
            IdError::HkMacaoPermit | IdError::TaiwanPermit => ErrorCode::IdPermit,
            IdError::ForeignResidence => ErrorCode::IdForeignResidence,
        };
        Error::new(code, e.to_string())
    }
}

impl From<FieldError> for Error {
    fn from(e: FieldError) -> Self {
        let code = match e {
            FieldError::Name => ErrorCode::NameInvalid,
            FieldError::NameParts => ErrorCode::NameParts,
            FieldError::Phone => ErrorCode::PhoneInvalid,
            FieldError::PasswordLength | FieldError::PasswordGuessable => ErrorCode::PasswordWeak,
        };
        Error::new(code, e.to_string())
    }
}

impl From<VerifyError> for Error {
    fn from(e: VerifyError) -> Self {
        let code = match e {
            VerifyError::Malformed(_) => ErrorCode::CodeMalformed,
            VerifyError::UnsupportedAlgorithm { .. } => ErrorCode::CodeUnsupportedAlgorithm,
            VerifyError::UnknownKey { .. } => ErrorCode::CodeUnknownKey,
            VerifyError::RevokedKey { .. } => ErrorCode::CodeRevokedKey,
            VerifyError::RetiredKey { .. } => ErrorCode::CodeRetiredKey,
            VerifyError::BadSignature => ErrorCode::CodeBadSignature,
            VerifyError::Expired { .. } => ErrorCode::CodeExpired,
            VerifyError::NotYetValid { .. } => ErrorCode::CodeNotYetValid,
            VerifyError::WrongIssuer { .. } => ErrorCode::CodeWrongIssuer,
            VerifyError::RevokedCertificate => ErrorCode::CodeRevokedCertificate,
        };
        Error::new(code, e.to_string())
    }
}

impl From<PolicyError> for Error {
    fn from(e: PolicyError) -> Self {
        let code = match e {
            PolicyError::Parse(_) => ErrorCode::PolicyParse,
            PolicyError::InvalidDocument(_) => ErrorCode::PolicyInvalidDocument,
            PolicyError::InvalidRule { .. } => ErrorCode::PolicyInvalidRule,
            PolicyError::InvalidTemplate { .. } => ErrorCode::PolicyInvalidTemplate,
            PolicyError::DuplicateVersion(_) => ErrorCode::PolicyDuplicateVersion,
            PolicyError::SameEffectiveFrom(..) => ErrorCode::PolicySameEffectiveFrom,
        };
        Error::new(code, e.to_string())
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            // One answer for both, so that registration does not tell a
            // stranger which of the two someone holds.
            StoreError::Conflict("document" | "phone") => {
                Error::of(ErrorCode::RegistrationDuplicate)
            }
            StoreError::Conflict(what) => {
                Error::new(ErrorCode::Conflict, format!("{what} already exists"))
            }
            StoreError::NotFound => Error::not_found(),
            StoreError::Unavailable(e) => {
                tracing::warn!(error = %e, "the database is unavailable");
                Error::store_unavailable()
            }
            other => Error::internal(other),
        }
    }
}

impl From<ScheduleError> for Error {
    fn from(e: ScheduleError) -> Self {
        let code = match e {
            ScheduleError::Notice => ErrorCode::ServiceNotice,
            ScheduleError::Past => ErrorCode::ServiceTime,
        };
        Error::new(code, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_parse_back() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{code} twice");
            assert_eq!(ErrorCode::parse(code.as_str()), Some(*code));
            assert!(!code.meaning().is_empty());
        }
        assert_eq!(ErrorCode::parse("no.such"), None);
    }

    #[test]
    fn domain_errors_keep_their_own_codes() {
        // The domain crates name their codes too; the registry agrees with them.
        for e in [
            IdError::Checksum,
            IdError::TaiwanPermit,
            IdError::BirthDateFuture,
        ] {
            assert_eq!(Error::from(e).code().as_str(), e.code());
        }
        for e in [FieldError::Name, FieldError::PasswordGuessable] {
            assert_eq!(Error::from(e).code().as_str(), e.code());
        }
        let e = VerifyError::Expired { expired_at: 1 };
        assert_eq!(Error::from(e.clone()).code().as_str(), e.code());
        let e = PolicyError::DuplicateVersion("v".to_owned());
        assert_eq!(Error::from(e.clone()).code().as_str(), e.code());
    }
}
