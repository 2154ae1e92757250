//! The citizen's own data: profile and current health code.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Response, header};
use healthcode_domain::mask::{mask_document, mask_name, mask_phone};
use healthcode_store::vault::Field;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::codes::{CodeResponse, current_code};
use crate::error::{ApiError, ErrorBody};
use crate::recompute::opened_person;
use crate::state::AppState;

/// The citizen's profile as shown to themselves: masked, like on screen.
#[derive(Serialize, ToSchema)]
pub struct Profile {
    pub masked_name: String,
    pub document_type: String,
    pub masked_document: String,
    pub masked_phone: String,
}

#[utoipa::path(get, path = "/v1/me", tag = "citizens",
    responses((status = 200, body = Profile), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn profile(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Profile>, ApiError> {
    let person_id = caller.citizen()?;
    Ok(Json(load_profile(&state, person_id).await?))
}

/// Decrypts and masks a person's profile.
pub async fn load_profile(state: &AppState, person_id: &str) -> Result<Profile, ApiError> {
    let (person, key) = opened_person(state, person_id).await?;
    let vault = &state.vault;
    let open = |field, sealed: &[u8]| {
        vault
            .decrypt(&key, person_id, field, sealed)
            .map_err(ApiError::internal)
    };
    Ok(Profile {
        masked_name: mask_name(&open(Field::Name, &person.name_enc)?),
        document_type: person.document_type,
        masked_document: mask_document(&open(Field::Document, &person.document_enc)?),
        masked_phone: mask_phone(&open(Field::Phone, &person.phone_enc)?),
    })
}

/// The citizen's current health code: a short-lived signed payload and its QR.
#[utoipa::path(get, path = "/v1/me/code", tag = "citizens",
    responses((status = 200, body = CodeResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn code(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response<Body>, ApiError> {
    let person_id = caller.citizen()?;
    let code = current_code(&state, person_id).await?;
    let mut response = Response::new(Body::from(code.body.clone()));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
