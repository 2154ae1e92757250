//! Check-ins: a citizen scans a venue's place code, or a checker (or the venue
//! itself) scans the citizen's personal code; and the citizen's own itinerary.
//!
//! # The same scan
//!
//! A check-in is idempotent: submitting the same scan again records nothing new
//! and answers with the same check-in (`repeat: true`, status 200 instead of
//! 201, and the time of the first submission). Two submissions are the same
//! scan when they are for the same person at the same venue and
//!
//! * carry the same `scan_id` (a client-chosen id, e.g. a UUID, made once per
//!   scan and sent again with every retry): the way to make retries safe; or
//! * carry no `scan_id` and fall in the same 10-minute window of server time
//!   (`floor(t / 600)`): scanning the poster twice on the way in is one visit.
//!
//! Which route made the scan does not matter: a citizen's place-code scan and a
//! checker's scan of that citizen at that venue in the same window are one
//! check-in. The check-in id is a keyed digest (the vault's blind-index key) of
//! exactly these parts, so it reveals nothing and is the database's dedup key.
//!
//! # Who may record by scanning a personal code
//!
//! Someone who saw a code once must not be able to place its holder anywhere
//! they like. So a scan names a venue the scanning account may record at (a
//! venue account its own venues, a checker account the venues whose owners
//! bound it), and one personal code records at most one check-in: the first
//! scan binds the code to the check-in it recorded, the same scan again is a
//! repeat of it as above, and a scan of that code for any other check-in (at
//! another venue, with another `scan_id`, by another account) is refused with
//! 409 `check_in.code_used`. The store keeps this under concurrency by a
//! keyed digest of the code's signature ([`healthcode_store::ScannedCode`]),
//! never the code itself.
//!
//! # From a personal code to a person
//!
//! A personal code names its holder only by a handle that changes every day.
//! The gateway to people's data makes that handle by encrypting the person id
//! under the day's key ([`crate::people::Gateway::subject_handle`]), so any server can turn
//! a scanned code back into the person ([`scanned_person`]) from the master key
//! alone: no table of handles, no write when a code is shown, nothing to keep
//! in step across a fleet of stateless servers.

pub(crate) mod writer;

use healthcode_credentials::code::{self, VerifiedCode};
use healthcode_credentials::place;
use healthcode_domain::divisions;
use healthcode_domain::retention::Category;
use healthcode_domain::role::Role;
use healthcode_domain::services::Service;
use healthcode_store::{
    CHECK_IN_PURPOSE, CheckInOutcome, CheckInSource, NewCheckIn, ScannedCode, VenueRecord,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use writer::CheckIns;

use crate::access::{Datum, Purpose, access_record};
use crate::actor::Caller;
use crate::app::AppState;
use crate::clock::rfc3339;
use crate::error::{Error, ErrorCode};
use crate::services;

/// Scans without a `scan_id` in the same window of this many seconds (at the
/// same venue, by the same person) are the same scan.
pub const REPEAT_WINDOW: i64 = 600;

/// Longest `scan_id`.
const MAX_SCAN_ID_LEN: usize = 64;

/// Most itinerary entries returned at once.
const ITINERARY_LIMIT: i64 = 1000;

/// A citizen's scan of a place code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceScan {
    /// The scanned place code (`HCV1:…`).
    pub place_code: String,
    /// The client's id for this scan (1 to 64 letters, digits, `-`, `_`, `.`,
    /// `:`), sent again on every retry of the same scan.
    pub scan_id: Option<String>,
}

/// A checker's or venue's scan of a personal code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeScan {
    /// The scanned personal code (`HCP1:…`).
    pub personal_code: String,
    /// The venue the person is entering: a venue account may name only its
    /// own, a checker account only those whose owners bound it.
    pub venue_id: String,
    /// The client's id for this scan, as in a place-code scan.
    pub scan_id: Option<String>,
}

/// A recorded check-in, as the citizen sees it.
#[derive(Serialize, ToSchema)]
pub struct CheckInRecorded {
    pub check_in_id: String,
    pub venue_id: String,
    pub venue_name: String,
    pub division: String,
    /// When the check-in was recorded (the first submission of this scan).
    pub at: String,
    /// `true` if this scan had already been recorded (nothing new was stored).
    pub repeat: bool,
}

/// What the checker sees after scanning a personal code: the code's colour and
/// masked name, and the check-in. Nothing else about the person.
#[derive(Serialize, ToSchema)]
pub struct CodeScanned {
    /// `green`, `yellow` or `red`, from the signed code.
    pub colour: String,
    pub masked_name: String,
    /// Seconds since the code was signed (a screenshot shows as old).
    pub age_seconds: i64,
    pub check_in: CheckInRecorded,
}

/// One entry of the citizen's itinerary.
#[derive(Serialize, ToSchema)]
pub struct ItineraryEntry {
    pub check_in_id: String,
    pub venue_id: String,
    pub venue_name: String,
    pub division: String,
    /// The division's full name, e.g. `福建省 福州市 鼓楼区`.
    pub division_name: Option<String>,
    pub at: String,
    /// `place_code` (the citizen scanned the venue) or `personal_code` (the
    /// venue or a checker scanned the citizen).
    pub source: String,
}

/// The citizen's check-ins within the retention period, newest first.
#[derive(Serialize, ToSchema)]
pub struct Itinerary {
    /// How long check-ins are kept, in days; older ones are deleted.
    pub retention_days: i64,
    pub check_ins: Vec<ItineraryEntry>,
}

fn check_scan_id(scan_id: Option<&str>) -> Result<Option<&str>, Error> {
    match scan_id {
        None => Ok(None),
        Some(id)
            if !id.is_empty()
                && id.len() <= MAX_SCAN_ID_LEN
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)) =>
        {
            Ok(Some(id))
        }
        Some(_) => Err(Error::new(
            ErrorCode::CheckInScanId,
            "scan_id must be 1 to 64 letters, digits, '-', '_', '.' or ':'",
        )),
    }
}

/// The check-in id, which is also its dedup key: a keyed digest of the person,
/// the venue, and the client's scan id or else the 10-minute window.
pub fn check_in_id(
    state: &AppState,
    person_id: &str,
    venue_id: &str,
    scan_id: Option<&str>,
    now: i64,
) -> String {
    let material = match scan_id {
        Some(scan) => format!("{person_id}\0{venue_id}\0scan\0{scan}"),
        None => format!(
            "{person_id}\0{venue_id}\0window\0{}",
            now.div_euclid(REPEAT_WINDOW)
        ),
    };
    let digest = state.people().keyed_digest("check-in", &material);
    hex::encode(digest.get(..16).unwrap_or(&digest))
}

/// How the store names a scanned personal code: a keyed digest of its
/// signature (which one signed code has exactly one of), so the table of
/// scanned codes holds nothing a code could be matched with without the key.
fn code_fingerprint(state: &AppState, verified: &VerifiedCode) -> String {
    let digest = state
        .people()
        .keyed_digest("scanned-code", &verified.revocation_id.to_string());
    hex::encode(digest.get(..16).unwrap_or(&digest))
}

/// Records one check-in through the group-commit writer and says what happened.
async fn record(
    state: &AppState,
    person_id: &str,
    venue: &VenueRecord,
    scan_id: Option<&str>,
    source: CheckInSource,
    scanned_by: Option<(&Caller, ScannedCode)>,
) -> Result<CheckInRecorded, Error> {
    let (scanned_by, code) = scanned_by.unzip();
    let now = state.now();
    let id = check_in_id(state, person_id, &venue.id, scan_id, now);
    let access = match scanned_by {
        Some(caller) => access_record(
            &caller.actor(),
            person_id,
            now,
            Purpose::CheckIn,
            &[Datum::Colour, Datum::MaskedName, Datum::CheckIns],
        )?,
        None => None,
    };
    let recorded_by = scanned_by.map(|c| c.account_id.clone());
    let outcome = state
        .check_ins()
        .record(NewCheckIn {
            id: id.clone(),
            person_id: person_id.to_owned(),
            venue_id: venue.id.clone(),
            division: venue.division.clone(),
            at: now,
            source,
            recorded_by,
            purpose: CHECK_IN_PURPOSE.to_owned(),
            code,
            audit: access
                .as_ref()
                .zip(scanned_by)
                .map(|(record, caller)| crate::access::audit_entry(state, &caller.actor(), record)),
            access,
        })
        .await?;
    let (at, repeat) = match outcome {
        CheckInOutcome::New => (now, false),
        CheckInOutcome::Repeat { at } => (at, true),
        CheckInOutcome::CodeUsed => {
            return Err(Error::new(
                ErrorCode::CheckInCodeUsed,
                "this personal code has recorded a check-in already; \
                 ask the person to show a fresh code",
            ));
        }
    };
    Ok(CheckInRecorded {
        check_in_id: id,
        venue_id: venue.id.clone(),
        venue_name: venue.name.clone(),
        division: venue.division.clone(),
        at: rfc3339(at),
        repeat,
    })
}

fn unknown_venue() -> Error {
    Error::new(
        ErrorCode::VenueUnknown,
        "no venue is registered under this id",
    )
}

/// Verifies a scanned personal code against this server's trust list and finds
/// the person it was issued to. Shared by every route that scans people.
pub(crate) fn scanned_person(
    state: &AppState,
    payload: &str,
) -> Result<(VerifiedCode, String), Error> {
    let now = state.now();
    let verified = code::verify(payload, &state.trust_list(), now, state.config().clock_skew)?;
    let epoch = verified.claims.issued_at.div_euclid(86_400);
    let person_id = state
        .people()
        .subject_person(&verified.claims.subject, epoch)
        .ok_or_else(|| Error::internal("subject handle could not be inverted"))?;
    Ok((verified, person_id))
}

/// The citizen checks in by scanning a venue's place code. The code is
/// verified against the issuer's trust list and the check-in recorded at
/// server time; `repeat` when the same scan was already recorded.
pub async fn scan_place(
    state: &AppState,
    caller: &Caller,
    req: &PlaceScan,
) -> Result<CheckInRecorded, Error> {
    let person_id = caller.citizen()?;
    services::ensure_open(state, Service::CheckIns)?;
    let scan_id = check_scan_id(req.scan_id.as_deref())?;
    let verified = state.check_ins().verify_place(
        &state.trust_list(),
        state.config(),
        state.now(),
        &req.place_code,
    )?;
    let venue = state
        .check_ins()
        .venue(state.store(), &verified.claims.venue_id)
        .await?
        .ok_or_else(unknown_venue)?;
    record(
        state,
        person_id,
        &venue,
        scan_id,
        CheckInSource::PlaceCode,
        None,
    )
    .await
}

/// Refuses with 403 `venue.not_owner` unless the caller may record check-ins
/// at `venue`: a venue account at its own venues, a checker account at the
/// venues whose owners bound it.
async fn ensure_may_record_at(
    state: &AppState,
    caller: &Caller,
    venue: &VenueRecord,
) -> Result<(), Error> {
    let (allowed, refusal) = match caller.role {
        Role::Venue => (
            venue.owner_account == caller.account_id,
            "a venue account may record check-ins only at its own venues",
        ),
        Role::Checker => (
            state
                .store()
                .is_checker_of(&venue.id, &caller.account_id)
                .await?,
            "a checker may record check-ins only at the venues whose owners bound it",
        ),
        _ => (false, "this account may not record check-ins"),
    };
    if allowed {
        Ok(())
    } else {
        Err(Error::new(ErrorCode::VenueNotOwner, refusal))
    }
}

/// A checker, or the venue itself, scans a person's code at a venue's entrance:
/// the code is verified offline-style, the checker sees its colour and masked
/// name, and a check-in is recorded for the person. A venue account may record
/// only at its own venues, a checker only at the venues whose owners bound it,
/// and a code records one check-in at most (see the module docs).
pub async fn scan_code(
    state: &AppState,
    caller: &Caller,
    req: &CodeScan,
) -> Result<CodeScanned, Error> {
    caller.require(&[Role::Checker, Role::Venue])?;
    services::ensure_open(state, Service::AssistedChecks)?;
    let scan_id = check_scan_id(req.scan_id.as_deref())?;
    if req.venue_id.is_empty() || req.venue_id.len() > place::MAX_VENUE_ID_LEN {
        return Err(unknown_venue());
    }
    let venue = state
        .check_ins()
        .venue(state.store(), &req.venue_id)
        .await?
        .ok_or_else(unknown_venue)?;
    ensure_may_record_at(state, caller, &venue).await?;
    let (verified, person_id) = scanned_person(state, &req.personal_code)?;
    let code = ScannedCode {
        fingerprint: code_fingerprint(state, &verified),
        expires_at: verified
            .claims
            .expires_at
            .saturating_add(state.config().clock_skew.max(0)),
    };
    let recorded = record(
        state,
        &person_id,
        &venue,
        scan_id,
        CheckInSource::PersonalCode,
        Some((caller, code)),
    )
    .await?;
    Ok(CodeScanned {
        colour: verified.claims.colour.as_str().to_owned(),
        masked_name: verified.claims.masked_name,
        age_seconds: verified.age_seconds,
        check_in: recorded,
    })
}

/// The citizen's own itinerary: where and when they checked in, within the
/// retention period.
pub async fn itinerary(state: &AppState, caller: &Caller) -> Result<Itinerary, Error> {
    let person_id = caller.citizen()?;
    let retention = state.retention_period(Category::CheckIns);
    let rows = state
        .store()
        .check_ins_of(person_id, state.now() - retention, ITINERARY_LIMIT)
        .await?;
    Ok(Itinerary {
        retention_days: retention / 86_400,
        check_ins: rows
            .into_iter()
            .map(|r| ItineraryEntry {
                division_name: divisions::full_name(&r.division),
                check_in_id: r.id,
                venue_id: r.venue_id,
                venue_name: r.venue_name,
                division: r.division,
                at: rfc3339(r.at),
                source: r.source.as_str().to_owned(),
            })
            .collect(),
    })
}
