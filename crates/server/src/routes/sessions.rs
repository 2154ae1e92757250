//! Logging in and out.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use healthcode_domain::identity::{DocumentType, normalise_number};
use healthcode_domain::person::Phone;
use healthcode_domain::role::Role;
use healthcode_store::LoginKey;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{self, Caller};
use crate::error::{ApiError, ErrorBody};
use crate::registration::document_namespace;
use crate::state::AppState;

/// Log in with a document number or phone (citizens) or a username (staff).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub document_number: Option<String>,
    pub phone: Option<String>,
    pub username: Option<String>,
    pub password: String,
}

/// A new session.
#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer TOKEN`.
    pub token: String,
    /// RFC 3339 time the session ends.
    pub expires_at: String,
    /// `citizen`, `checker`, `collector`, `lab`, `venue`, `authority` or `regulator`.
    #[schema(value_type = String, example = "citizen")]
    pub role: Role,
}

#[utoipa::path(post, path = "/v1/sessions", tag = "sessions", request_body = LoginRequest,
    responses((status = 201, body = LoginResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<LoginResponse>), ApiError> {
    let Json(req) = body?;
    let response = open_session(&state, &req).await?;
    Ok((StatusCode::CREATED, Json(response)))
}

/// Checks the credentials and opens a session; shared by the API and the pages.
pub async fn open_session(state: &AppState, req: &LoginRequest) -> Result<LoginResponse, ApiError> {
    let key = login_key(state, req)?;
    if req.password.len() > 1024 {
        return Err(ApiError::bad_request(
            "password.too_long",
            "the password is too long",
        ));
    }
    let found = state.store.find_login(&key).await?;
    let stored = found
        .as_ref()
        .map_or_else(|| auth::DECOY_HASH.clone(), |f| f.password_hash.clone());
    let password = req.password.clone();
    let ok = state
        .password_work(move || auth::verify_password(&stored, &password))
        .await?;
    let account = match found {
        Some(account) if ok => account,
        _ => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "auth.invalid_credentials",
                "the login or password is wrong",
            ));
        }
    };
    let now = state.now();
    let expires_at = now + state.config.session_lifetime;
    let (token, hash) = auth::new_session_token()?;
    state
        .store
        .create_session(&hash, &account.account_id, now, expires_at)
        .await?;
    tracing::info!(role = account.role.as_str(), "session opened");
    Ok(LoginResponse {
        token,
        expires_at: crate::codes::rfc3339(expires_at),
        role: account.role,
    })
}

fn login_key(state: &AppState, req: &LoginRequest) -> Result<LoginKey, ApiError> {
    match (&req.document_number, &req.phone, &req.username) {
        (Some(number), None, None) => {
            let normalised = normalise_number(number);
            Ok(LoginKey::Document(
                DocumentType::ALL
                    .iter()
                    .map(|t| {
                        state
                            .vault
                            .blind_index(&document_namespace(*t), &normalised)
                    })
                    .collect(),
            ))
        }
        (None, Some(phone), None) => {
            let phone = Phone::parse(phone)?;
            Ok(LoginKey::Phone(
                state.vault.blind_index("phone", phone.as_str()),
            ))
        }
        (None, None, Some(username)) => Ok(LoginKey::Username(username.trim().to_owned())),
        _ => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "login.identifier",
            "give exactly one of document_number, phone or username",
        )),
    }
}

#[utoipa::path(delete, path = "/v1/sessions", tag = "sessions",
    responses((status = 204), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<StatusCode, ApiError> {
    end_session(&state, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends the caller's session everywhere it is stored.
pub async fn end_session(state: &AppState, caller: &Caller) -> Result<(), ApiError> {
    state.store.delete_session(&caller.token_hash).await?;
    state.forget_session(&caller.token_hash);
    Ok(())
}
