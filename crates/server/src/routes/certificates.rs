//! A citizen's international certificates (EU DCC and SMART Health Cards) and
//! the public key document SMART Health Card verifiers fetch.
//!
//! Certificates are issued afresh on every request from the person's stored
//! facts (nothing is kept), signed with the keys of [`crate::certificates`]; the
//! mapping choices (names, birth dates, vaccine codes) are documented there.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::certificates::{
    IssueError, IssuedDcc, IssuedShc, IssuerInfo, exportable, holder, issue_dccs, issue_shcs,
};
use crate::codes::rfc3339;
use crate::error::{ApiError, ErrorBody};
use crate::recompute::person_facts;
use crate::state::AppState;

/// One EU Digital COVID Certificate.
#[derive(Serialize, ToSchema)]
pub struct DccCertificate {
    /// `vaccination` or `test`.
    pub kind: String,
    /// The fact it certifies.
    pub fact_id: String,
    /// The `HC1:` text the QR code carries.
    pub payload: String,
    /// The QR code as SVG.
    pub svg: String,
    /// When it expires (RFC 3339): 72 h after the sample for a test, 365 days after
    /// issue for a vaccination.
    pub expires_at: String,
}

/// The citizen's DCCs: one per vaccination and per unexpired laboratory test,
/// the latest 10 of each.
#[derive(Serialize, ToSchema)]
pub struct DccCertificates {
    /// Vaccinations first, then tests, each latest first.
    pub certificates: Vec<DccCertificate>,
}

/// One SMART Health Card.
#[derive(Serialize, ToSchema)]
pub struct ShcCard {
    /// `immunization` or `laboratory`.
    pub kind: String,
    /// The numeric QR text `shc:/…`.
    pub shc: String,
    /// The QR code as SVG.
    pub svg: String,
    /// The `.smart-health-card` file: `{"verifiableCredential": [jws]}`.
    #[schema(value_type = Object)]
    pub file: serde_json::Value,
}

/// The citizen's SMART Health Cards: at most one with their vaccinations and one
/// with their laboratory results. A card holds the latest entries (at most 10)
/// that fit one QR code; older ones are left out rather than split across codes.
#[derive(Serialize, ToSchema)]
pub struct ShcCards {
    /// The immunization card, then the laboratory card; absent when empty.
    pub cards: Vec<ShcCard>,
}

fn issue_failed(format: &'static str, e: &IssueError) -> ApiError {
    // The code only: a message could quote the certificate's personal fields.
    ApiError::internal(format!("{format} issuance failed: {}", e.code()))
}

fn issuer_info(state: &AppState) -> IssuerInfo {
    IssuerInfo {
        code: state.issuer.code.clone(),
        name: state.issuer.name.clone(),
    }
}

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
    responses((status = 200, body = DccCertificates), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn dcc(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse, ApiError> {
    let person_id = caller.citizen()?;
    let certificates = dcc_certificates(&state, person_id).await?;
    Ok(private(DccCertificates { certificates }))
}

/// A DCC per exportable vaccination and test result of the person, with its QR:
/// what the API answers and the certificates page shows.
pub(crate) async fn dcc_certificates(
    state: &AppState,
    person_id: &str,
) -> Result<Vec<DccCertificate>, ApiError> {
    let facts = person_facts(state, person_id).await?;
    let (vaccinations, tests) = exportable(&facts);
    if vaccinations.is_empty() && tests.is_empty() {
        return Ok(Vec::new());
    }
    let holder = holder(state, person_id).await?;
    let info = issuer_info(state);
    let now = state.now();
    let credentials = state.credentials();
    // Signing, schema checks and QR rendering are CPU work: off the async threads.
    let issued = tokio::task::spawn_blocking(move || {
        let dccs = issue_dccs(&credentials.dcc, &info, &holder, &vaccinations, &tests, now)
            .map_err(|e| issue_failed("DCC", &e))?;
        dccs.into_iter()
            .map(|d: IssuedDcc| {
                let svg =
                    healthcode_credentials::qr::svg(&d.payload).map_err(ApiError::internal)?;
                Ok(DccCertificate {
                    kind: d.kind.to_owned(),
                    fact_id: d.fact_id,
                    payload: d.payload,
                    svg,
                    expires_at: rfc3339(d.expires_at),
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()
    })
    .await
    .map_err(ApiError::internal)??;
    state.metrics.note_certificates("dcc", issued.len());
    Ok(issued)
}

/// The citizen's vaccinations and laboratory results as SMART Health Cards.
///
/// Cards need a birth date: a holder registered with a document other than a
/// resident ID who has facts to export gets 422 `shc.birth_date_unknown`.
#[utoipa::path(get, path = "/v1/me/certificates/shc", tag = "certificates",
    responses((status = 200, body = ShcCards), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "No birth date is known for the holder", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn shc(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse, ApiError> {
    let person_id = caller.citizen()?;
    let cards = shc_cards(&state, person_id).await?;
    Ok(private(ShcCards { cards }))
}

/// The person's SMART Health Cards with their QR codes: what the API answers
/// and the certificates page shows. Fails with `shc.birth_date_unknown` when
/// there is something to export but no birth date.
pub(crate) async fn shc_cards(state: &AppState, person_id: &str) -> Result<Vec<ShcCard>, ApiError> {
    let facts = person_facts(state, person_id).await?;
    let (vaccinations, tests) = exportable(&facts);
    if vaccinations.is_empty() && tests.is_empty() {
        return Ok(Vec::new());
    }
    let holder = holder(state, person_id).await?;
    if holder.birth_date.is_none() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "shc.birth_date_unknown",
            "SMART Health Cards need a birth date, which is known only for resident ID holders",
        ));
    }
    let info = issuer_info(state);
    let now = state.now();
    let credentials = state.credentials();
    let cards = tokio::task::spawn_blocking(move || {
        let cards = issue_shcs(&credentials.shc, &info, &holder, &vaccinations, &tests, now)
            .map_err(|e| issue_failed("SHC", &e))?;
        cards
            .into_iter()
            .map(|c: IssuedShc| {
                let svg = c.card.qr_svg().map_err(|e| {
                    ApiError::internal(format!("SHC QR rendering failed: {}", e.code()))
                })?;
                let file = serde_json::from_str(&c.card.file_json()).map_err(ApiError::internal)?;
                Ok(ShcCard {
                    kind: c.kind.to_owned(),
                    shc: c.card.qr_text(),
                    svg,
                    file,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()
    })
    .await
    .map_err(ApiError::internal)??;
    state.metrics.note_certificates("shc", cards.len());
    Ok(cards)
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
