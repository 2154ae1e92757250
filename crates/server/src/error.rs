//! Errors as HTTP answers: every stable code of the core's registry mapped to
//! its status here, in one place.
//!
//! The body is always `{ "error": { "code": "...", "message": "..." } }`. Codes are
//! part of the public contract; messages are for people and may change. No
//! message ever contains personal data.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use healthcode_core::clock::rfc3339;
use healthcode_core::services::NoticeText;
use healthcode_core::{Error, ErrorCode};
use serde::Serialize;
use utoipa::ToSchema;

/// An error answer of the API: a core error with its HTTP status.
#[derive(Debug)]
pub struct ApiError(pub Error);

/// The JSON shape of every error.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// The stable code and a human-readable message.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// One of the codes of the registry (see the `ErrorCode` schema).
    #[schema(value_type = ErrorCodeSchema)]
    pub code: String,
    pub message: String,
    /// For `service.suspended`: what people are told, in Chinese and English.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<NoticeText>,
    /// For `service.suspended`: since when the service is closed (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
}

/// Every stable error code (the OpenAPI document lists them as an enum).
pub struct ErrorCodeSchema;

impl utoipa::PartialSchema for ErrorCodeSchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let codes = ErrorCode::ALL.iter().map(|c| c.as_str());
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(codes))
            .description(Some("A stable error code"))
            .into()
    }
}

impl utoipa::ToSchema for ErrorCodeSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("ErrorCode")
    }
}

/// The HTTP status of each code: the one place where codes meet HTTP.
pub fn status_of(code: ErrorCode) -> StatusCode {
    use ErrorCode as C;
    match code {
        C::AuthRequired | C::AuthInvalidCredentials => StatusCode::UNAUTHORIZED,
        C::AuthForbidden
        | C::OverrideSameOfficial
        | C::PolicySameOfficial
        | C::VenueNotOwner
        | C::DisposalSameOfficial => StatusCode::FORBIDDEN,
        C::NotFound
        | C::PersonNotFound
        | C::TubeNotFound
        | C::VenueUnknown
        | C::VenueCheckerUnknown
        | C::PolicyNone
        | C::PolicyNotProposed
        | C::ServiceNotScheduled => StatusCode::NOT_FOUND,
        C::Conflict
        | C::RegistrationDuplicate
        | C::TubeExists
        | C::TubeNotOpen
        | C::TubeFull
        | C::TubeSealed
        | C::TubeEmpty
        | C::TubeResultConflict
        | C::OverrideNotPending
        | C::AppealNotOpen
        | C::PolicyDuplicate
        | C::RetentionDuplicate
        | C::DisposalInProgress
        | C::DisposalNotPending
        | C::DisposalNotComplete
        | C::CheckInCodeUsed => StatusCode::CONFLICT,
        C::PersonErased | C::ServiceSuspended => StatusCode::GONE,
        C::RequestInvalidJson
        | C::RequestInvalidQuery
        | C::RequestInvalid
        | C::PasswordTooLong
        | C::AuditRange => StatusCode::BAD_REQUEST,
        C::RequestTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        C::RequestMethod => StatusCode::METHOD_NOT_ALLOWED,
        C::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        C::RequestUriTooLong => StatusCode::URI_TOO_LONG,
        C::RequestHeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        C::RequestCrossSite => StatusCode::FORBIDDEN,
        C::RequestRateLimited => StatusCode::TOO_MANY_REQUESTS,
        C::RequestContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        C::KeysNoSigner
        | C::RealnameUnavailable
        | C::CheckInBusy
        | C::CheckInUnavailable
        | C::StoreUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        C::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        C::LoginIdentifier
        | C::RequestInvalidField
        | C::IdEmpty
        | C::IdLength
        | C::IdFormat
        | C::IdChecksum
        | C::IdRegion
        | C::IdBirthdate
        | C::IdPassport
        | C::IdPermit
        | C::IdForeignResidence
        | C::IdDocumentType
        | C::NameInvalid
        | C::NameParts
        | C::PhoneInvalid
        | C::PasswordWeak
        | C::AddressInvalid
        | C::ErasureReference
        | C::RealnameNameScript
        | C::RealnameMismatch
        | C::FactTime
        | C::DeclarationSymptom
        | C::DeclarationTemperature
        | C::DeclarationTravel
        | C::PolicyRetroactive
        | C::PolicyParse
        | C::PolicyInvalidDocument
        | C::PolicyInvalidRule
        | C::PolicyInvalidTemplate
        | C::PolicyDuplicateVersion
        | C::PolicySameEffectiveFrom
        | C::RetentionParse
        | C::RetentionPeriod
        | C::RetentionRetroactive
        | C::RiskAreaDivision
        | C::RiskAreaScope
        | C::RiskAreaLevel
        | C::RiskAreaName
        | C::RiskAreaTime
        | C::OverrideColour
        | C::OverrideJustification
        | C::OverrideExpiresAt
        | C::AppealText
        | C::AppealNote
        | C::AppealDecision
        | C::TubeId
        | C::TubeCapacity
        | C::ResultKind
        | C::ResultOutcome
        | C::ResultLaboratory
        | C::ResultTime
        | C::ImportRow
        | C::VenueName
        | C::VenueAddress
        | C::VenueDivision
        | C::VenueInvalid
        | C::VenueDays
        | C::CheckInScanId
        | C::CodeMalformed
        | C::CodeUnsupportedAlgorithm
        | C::CodeUnknownKey
        | C::CodeRevokedKey
        | C::CodeRetiredKey
        | C::CodeBadSignature
        | C::CodeExpired
        | C::CodeNotYetValid
        | C::CodeWrongIssuer
        | C::CodeRevokedCertificate
        | C::ServiceUnknown
        | C::DisposalPurpose
        | C::DisposalThreshold
        | C::ServiceNotice
        | C::ServiceTime
        | C::ShcBirthDateUnknown => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError(Error::new(code, message))
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        status_of(self.0.code())
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.0.code()
    }

    pub fn message(&self) -> &str {
        self.0.message()
    }

    /// Gives `response` this error's status and headers (`Retry-After` for a
    /// rate-limited attempt and on every 503): for pages, which answer with
    /// HTML instead of JSON.
    pub fn apply_to(&self, response: &mut Response) {
        *response.status_mut() = self.status();
        let unavailable = (self.status() == StatusCode::SERVICE_UNAVAILABLE).then_some(2);
        if let Some(seconds) = self.0.retry_after().or(unavailable) {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let suspension = self.0.suspension();
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.0.code().as_str().to_owned(),
                message: self.0.message().to_owned(),
                notice: suspension.map(|s| NoticeText::from(&s.notice)),
                since: suspension.map(|s| rfc3339(s.since)),
            },
        };
        let mut response = Json(body).into_response();
        self.apply_to(&mut response);
        response
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(e: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection as J;
        match e {
            J::MissingJsonContentType(_) => ApiError::new(
                ErrorCode::RequestContentType,
                "send JSON with Content-Type: application/json",
            ),
            J::BytesRejection(_) => ApiError::new(
                ErrorCode::RequestTooLarge,
                "the request body is too large or could not be read",
            ),
            J::JsonSyntaxError(_) => {
                ApiError::new(ErrorCode::RequestInvalidJson, "the body is not valid JSON")
            }
            // The serde message names the missing or mistyped field, never its value.
            J::JsonDataError(d) => ApiError::new(ErrorCode::RequestInvalidField, d.body_text()),
            other => ApiError::new(ErrorCode::RequestInvalid, other.body_text()),
        }
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(e: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::new(ErrorCode::RequestInvalidQuery, e.body_text())
    }
}
