//! A citizen's international certificates (EU DCC and SMART Health Cards) and
//! the public key document SMART Health Card verifiers fetch.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use healthcode_core::AppState;
use healthcode_core::certificates::{self, DccCertificates, ShcCards};
use serde::Serialize;

use crate::auth::Authenticated;
use crate::error::{ApiError, ErrorBody};

/// Personal data: never stored by caches on the way.
fn private<T: Serialize>(body: T) -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-store")], Json(body))
}

/// The citizen's vaccinations and test results as EU Digital COVID Certificates.
///
/// The name is the registered name as `fn` with its ICAO (Hanyu Pinyin)
/// transliteration as `fnt`; `gn`/`gnt` are empty because the surname is not
/// recorded separately. `dob` comes from the resident ID, empty otherwise.
#[utoipa::path(get, path = "/v1/me/certificates/dcc", tag = "certificates",
    responses((status = 200, body = DccCertificates), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 410, description = "`service.suspended`: the `certificates` service is suspended or retired (`notice` and `since` say why and since when); `person.erased`: the person was erased (a session another server still trusted)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn dcc(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<impl IntoResponse, ApiError> {
    Ok(private(
        certificates::dcc_certificates(&state, &caller).await?,
    ))
}

/// The citizen's vaccinations and laboratory results as SMART Health Cards.
///
/// Cards need a birth date: a holder registered with a document other than a
/// resident ID who has facts to export gets 422 `shc.birth_date_unknown`.
#[utoipa::path(get, path = "/v1/me/certificates/shc", tag = "certificates",
    responses((status = 200, body = ShcCards), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "No birth date is known for the holder", body = ErrorBody),
        (status = 410, description = "`service.suspended`: the `certificates` service is suspended or retired (`notice` and `since` say why and since when); `person.erased`: the person was erased (a session another server still trusted)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn shc(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<impl IntoResponse, ApiError> {
    Ok(private(certificates::shc_cards(&state, &caller).await?))
}

/// The SMART Health Cards issuer's public keys, which verifiers fetch from
/// `{iss}/.well-known/jwks.json`. Cacheable for an hour, and open to browsers on
/// other origins (the SMART Health Cards specification asks for CORS here).
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "public",
    responses((status = 200, description = "The SMART Health Cards issuer's JWKS", body = Object)))]
pub async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    (
        [
            (header::CACHE_CONTROL, "max-age=3600"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        Json(state.credentials().shc_jwks()),
    )
}
