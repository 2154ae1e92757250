//! International certificates (capability 5): a citizen's vaccinations and
//! laboratory results exported as EU Digital COVID Certificates (HC1) and SMART
//! Health Cards (`shc:/`), so they can travel beyond the province.
//!
//! Certificates are issued afresh on every request from the person's stored
//! facts (nothing is kept), signed with the issuer keys of [`issuers`], where
//! the mapping choices (names, birth dates, vaccine codes) are documented.

pub(crate) mod issuers;

pub use issuers::*;

use healthcode_domain::services::Service;
use serde::Serialize;
use utoipa::ToSchema;

use crate::actor::Caller;
use crate::app::AppState;
use crate::clock::rfc3339;
use crate::error::{Error, ErrorCode};
use crate::people::{OpenedPerson, erased};
use crate::recompute::person_facts;
use crate::services;

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

/// Why a vaccination got no DCC: the EU value sets have no code for its product.
pub const PRODUCT_NOT_CODED: &str = "certificate.product_not_coded";

/// A vaccination that gets no DCC, because the EU value sets have no code for
/// its product (a DCC names its product by code, or every verifier refuses it).
#[derive(Serialize, ToSchema)]
pub struct DccNotIssued {
    /// `vaccination`.
    pub kind: String,
    /// The fact it would have certified.
    pub fact_id: String,
    /// The product as recorded.
    pub product: String,
    /// Why: `certificate.product_not_coded`.
    pub reason: String,
}

/// The citizen's DCCs: one per vaccination and per unexpired laboratory test,
/// the latest 10 of each.
#[derive(Serialize, ToSchema)]
pub struct DccCertificates {
    /// Vaccinations first, then tests, each latest first.
    pub certificates: Vec<DccCertificate>,
    /// Vaccinations that get no DCC, and why.
    pub not_issued: Vec<DccNotIssued>,
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

/// The holder of an opened person's certificates.
async fn holder_of(state: &AppState, person: &OpenedPerson<'_>) -> Result<Holder, Error> {
    let record = state
        .store()
        .person(person.id())
        .await?
        .ok_or_else(erased)?;
    holder(person, &record, state.now())
}

fn issue_failed(format: &'static str, e: &IssueError) -> Error {
    // The code only: a message could quote the certificate's personal fields.
    Error::internal(format!("{format} issuance failed: {}", e.code()))
}

fn issuer_info(state: &AppState) -> IssuerInfo {
    IssuerInfo {
        code: state.issuer().code.clone(),
        name: state.issuer().name.clone(),
    }
}

/// A DCC per exportable vaccination and test result of the calling citizen,
/// with its QR: what the API answers and the certificates page shows.
pub async fn dcc_certificates(state: &AppState, caller: &Caller) -> Result<DccCertificates, Error> {
    let person_id = caller.citizen()?;
    services::ensure_open(state, Service::Certificates)?;
    let person = state.people().open(state.store(), person_id).await?;
    let facts = person_facts(state, &person).await?;
    let (vaccinations, tests) = exportable(&facts);
    if vaccinations.is_empty() && tests.is_empty() {
        return Ok(DccCertificates {
            certificates: Vec::new(),
            not_issued: Vec::new(),
        });
    }
    let holder = holder_of(state, &person).await?;
    let info = issuer_info(state);
    let now = state.now();
    let credentials = state.credentials();
    // Signing, schema checks and QR rendering are CPU work: off the async threads.
    let issued = tokio::task::spawn_blocking(move || {
        let dccs = issue_dccs(&credentials.dcc, &info, &holder, &vaccinations, &tests, now)
            .map_err(|e| issue_failed("DCC", &e))?;
        let not_issued = dccs.not_issued;
        let issued = dccs
            .issued
            .into_iter()
            .map(|d: IssuedDcc| {
                let svg = healthcode_credentials::qr::svg(&d.payload).map_err(Error::internal)?;
                Ok(DccCertificate {
                    kind: d.kind.to_owned(),
                    fact_id: d.fact_id,
                    payload: d.payload,
                    svg,
                    expires_at: rfc3339(d.expires_at),
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok::<_, Error>((issued, not_issued))
    })
    .await
    .map_err(Error::internal)??;
    let (certificates, not_issued) = issued;
    state.metrics().note_certificates("dcc", certificates.len());
    Ok(DccCertificates {
        certificates,
        not_issued,
    })
}

/// The calling citizen's SMART Health Cards with their QR codes: what the API
/// answers and the certificates page shows. Fails with `shc.birth_date_unknown`
/// when there is something to export but no birth date.
pub async fn shc_cards(state: &AppState, caller: &Caller) -> Result<ShcCards, Error> {
    let person_id = caller.citizen()?;
    services::ensure_open(state, Service::Certificates)?;
    let person = state.people().open(state.store(), person_id).await?;
    let facts = person_facts(state, &person).await?;
    let (vaccinations, tests) = exportable(&facts);
    if vaccinations.is_empty() && tests.is_empty() {
        return Ok(ShcCards { cards: Vec::new() });
    }
    let holder = holder_of(state, &person).await?;
    if holder.birth_date.is_none() {
        return Err(Error::new(
            ErrorCode::ShcBirthDateUnknown,
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
                    Error::internal(format!("SHC QR rendering failed: {}", e.code()))
                })?;
                let file = serde_json::from_str(&c.card.file_json()).map_err(Error::internal)?;
                Ok(ShcCard {
                    kind: c.kind.to_owned(),
                    shc: c.card.qr_text(),
                    svg,
                    file,
                })
            })
            .collect::<Result<Vec<_>, Error>>()
    })
    .await
    .map_err(Error::internal)??;
    state.metrics().note_certificates("shc", cards.len());
    Ok(ShcCards { cards })
}
