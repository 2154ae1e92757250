//! Registration of citizens with a real-name document.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use healthcode_domain::identity::DocumentType;
use healthcode_domain::mask::mask_name;
use healthcode_domain::person::check_password;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth;
use crate::clock::china_date;
use crate::codes::timestamp;
use crate::error::{ApiError, ErrorBody};
use crate::realname::RealNameVerdict;
use crate::registration::{ValidCitizen, seal_citizen};
use crate::state::AppState;

/// A registration. Every field is validated before anything is written.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// Real name as on the document.
    pub name: String,
    /// `resident_id`, `passport`, `hk_macao_permit`, `taiwan_permit` or `foreign_permanent_residence`.
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

#[utoipa::path(post, path = "/v1/citizens", tag = "citizens", request_body = RegisterRequest,
    responses((status = 201, body = RegisterResponse), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    body: Result<Json<RegisterRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<RegisterResponse>), ApiError> {
    let Json(req) = body?;
    let response = register_citizen(&state, req).await?;
    Ok((StatusCode::CREATED, Json(response)))
}

/// Validates, verifies and stores a new citizen; shared by the API and the pages.
pub async fn register_citizen(
    state: &AppState,
    req: RegisterRequest,
) -> Result<RegisterResponse, ApiError> {
    let now = state.now();
    let citizen = ValidCitizen::from_request(&req, china_date(timestamp(now)))?;
    check_password(&req.password)?;
    match state
        .verifier
        .verify(&citizen.name, &citizen.document)
        .await
    {
        RealNameVerdict::Verified => {}
        RealNameVerdict::Rejected { code, message } => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                message,
            ));
        }
        RealNameVerdict::Unavailable(reason) => {
            tracing::warn!(%reason, "real-name verification unavailable");
            return Err(ApiError::unavailable(
                "realname.unavailable",
                "identity verification is unavailable; try again later",
            ));
        }
    }
    let password = req.password;
    let password_hash = state
        .password_work(move || auth::hash_password(&password))
        .await??;
    let record = seal_citizen(state, &citizen, password_hash, now)?;
    state.store.register_citizens(&[record]).await?;
    tracing::info!(
        document_type = citizen.document.doc_type.as_str(),
        "citizen registered"
    );
    Ok(RegisterResponse {
        masked_name: mask_name(citizen.name.as_str()),
        document_type: citizen.document.doc_type,
    })
}
