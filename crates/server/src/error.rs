//! API errors: one stable code per failure, mapped to an HTTP status in one place.
//!
//! The body is always `{ "error": { "code": "...", "message": "..." } }`. Codes are
//! part of the public contract; messages are for people and may change. No
//! message ever contains personal data.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use healthcode_domain::identity::IdError;
use healthcode_domain::person::FieldError;
use healthcode_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An error answer of the API.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

/// The JSON shape of every error.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// The stable code and a human-readable message.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "auth.required",
            "a valid session token is required (Authorization: Bearer TOKEN)",
        )
    }

    pub fn forbidden() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "auth.forbidden",
            "this account may not use this route",
        )
    }

    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }

    /// An operational failure: the detail goes to the log, the caller gets a code.
    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %detail, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; it has been logged",
        )
    }

    pub fn unavailable(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, message)
    }

    /// Nothing can be signed until an operator makes a key active.
    pub fn no_signer() -> ApiError {
        ApiError::unavailable(
            "keys.no_signer",
            "no signing key is active; run `healthcode keys rotate`",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<IdError> for ApiError {
    fn from(e: IdError) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string())
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict("document") => ApiError::new(
                StatusCode::CONFLICT,
                "registration.duplicate_document",
                "this document is already registered",
            ),
            StoreError::Conflict("phone") => ApiError::new(
                StatusCode::CONFLICT,
                "registration.duplicate_phone",
                "this phone number is already registered",
            ),
            StoreError::Conflict(what) => ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("{what} already exists"),
            ),
            StoreError::NotFound => ApiError::not_found(),
            other => ApiError::internal(other),
        }
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(e: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection as J;
        match e {
            J::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "request.content_type",
                "send JSON with Content-Type: application/json",
            ),
            J::BytesRejection(_) => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request.too_large",
                "the request body is too large or could not be read",
            ),
            J::JsonSyntaxError(_) => {
                ApiError::bad_request("request.invalid_json", "the body is not valid JSON")
            }
            // The serde message names the missing or mistyped field, never its value.
            J::JsonDataError(d) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "request.invalid_field",
                d.body_text(),
            ),
            other => ApiError::bad_request("request.invalid", other.body_text()),
        }
    }
}
