//! Venues: registration, the printable place code, daily counts, and the
//! checkers bound to each.
//!
//! Only venue accounts use these routes, each only for the venues it
//! registered. A venue sees how many check-ins it had per day and nothing
//! else: never who checked in, nor when exactly. A checker account records
//! check-ins by scanning personal codes only at the venues whose owners bound
//! it here.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use healthcode_credentials::place::{self, PlaceClaims};
use healthcode_credentials::qr;
use healthcode_domain::actor::Actor;
use healthcode_domain::divisions;
use healthcode_domain::retention::Category;
use healthcode_domain::role::Role;
use healthcode_domain::services::Service;
use healthcode_store::{LoginKey, VenueRecord};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts;
use crate::actor::Caller;
use crate::app::AppState;
use crate::clock::{rfc3339, timestamp};
use crate::error::{Error, ErrorCode};
use crate::ids::random_bytes;
use crate::services;

/// China Standard Time, UTC+8 all year: the days venues count in.
const CST_OFFSET: i64 = 8 * 3600;

/// Longest venue address, in characters.
const MAX_ADDRESS_CHARS: usize = 200;

/// A venue to register.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "鼓楼区图书馆", "address": "福州市鼓楼区湖东路 1 号", "division": "350102"}))]
pub struct NewVenue {
    /// The name citizens see when they check in: 1 to 64 bytes of UTF-8
    /// (21 Chinese characters), no control characters.
    pub name: String,
    /// The street address, up to 200 characters.
    pub address: String,
    /// 6-digit GB/T 2260 code of the venue's division, in the issuer's province.
    #[schema(pattern = "^[0-9]{6}$")]
    pub division: String,
}

/// A registered venue with its place code.
#[derive(Serialize, ToSchema)]
pub struct VenueView {
    pub id: String,
    pub name: String,
    pub address: String,
    pub division: String,
    /// The division's full name, e.g. `福建省 福州市 鼓楼区`.
    pub division_name: Option<String>,
    pub created_at: String,
    /// The signed place code (`HCV1:` + base45), the content of the QR code.
    pub place_code: String,
}

/// The printable place code of a venue.
#[derive(Serialize, ToSchema)]
pub struct PlaceCodeView {
    pub venue_id: String,
    pub name: String,
    /// The signed place code (`HCV1:` + base45).
    pub payload: String,
    /// The QR code as SVG, ready to print.
    pub svg: String,
}

/// A registered venue and its printable place code.
#[derive(Serialize, ToSchema)]
pub struct VenueCreated {
    #[serde(flatten)]
    pub venue: VenueView,
    /// The QR code as SVG, ready to print.
    pub svg: String,
}

/// The venues of the calling venue account.
#[derive(Serialize, ToSchema)]
pub struct VenueList {
    pub venues: Vec<VenueView>,
}

/// Query of `GET /v1/venues/{id}/counts`.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CountsQuery {
    /// How many days back, today included (China Standard Time); 1 to the
    /// retention period (14 by default), default 7.
    pub days: Option<i64>,
}

/// How many check-ins a venue had on one day.
#[derive(Serialize, ToSchema)]
pub struct DayCountView {
    /// The date in China Standard Time, e.g. `2026-11-27`.
    pub date: String,
    pub count: i64,
}

/// A venue's check-in counts per day: counts only, never people or times.
#[derive(Serialize, ToSchema)]
pub struct VenueCounts {
    pub venue_id: String,
    /// Oldest first, one entry per day (zero included).
    pub days: Vec<DayCountView>,
}

/// A checker account bound to a venue.
#[derive(Serialize, ToSchema)]
pub struct BoundChecker {
    /// The checker account's username.
    pub username: String,
    /// When its binding was made (RFC 3339).
    pub bound_at: String,
}

/// The checker accounts that may record check-ins at a venue.
#[derive(Serialize, ToSchema)]
pub struct VenueCheckers {
    pub venue_id: String,
    /// By username.
    pub checkers: Vec<BoundChecker>,
}

/// Unicode bidirectional formatting characters, which can make a displayed
/// name read differently from its stored text (the place code refuses them).
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Validates every field of a registration; returns the trimmed values.
fn validate(req: &NewVenue, issuer: &str) -> Result<(String, String, String), Error> {
    let name = req.name.trim();
    if name.is_empty()
        || name.len() > place::MAX_VENUE_NAME_LEN
        || name.chars().any(|c| c.is_control() || is_bidi_control(c))
    {
        return Err(Error::new(
            ErrorCode::VenueName,
            format!(
                "name must be 1 to {} bytes of UTF-8 (21 Chinese characters) without control characters",
                place::MAX_VENUE_NAME_LEN
            ),
        ));
    }
    let address = req.address.trim();
    if address.is_empty()
        || address.chars().count() > MAX_ADDRESS_CHARS
        || address
            .chars()
            .any(|c| c.is_control() || is_bidi_control(c))
    {
        return Err(Error::new(
            ErrorCode::VenueAddress,
            format!(
                "address must be 1 to {MAX_ADDRESS_CHARS} characters without control characters"
            ),
        ));
    }
    let division = req.division.trim();
    let six_digits = division.len() == 6 && division.bytes().all(|b| b.is_ascii_digit());
    if !six_digits || !divisions::is_known(division) {
        return Err(Error::new(
            ErrorCode::VenueDivision,
            "division must be a 6-digit GB/T 2260 code in force",
        ));
    }
    if division.get(..2) != issuer.get(..2) {
        return Err(Error::new(
            ErrorCode::VenueDivision,
            format!("division must lie in the issuer's province {issuer}"),
        ));
    }
    Ok((name.to_owned(), address.to_owned(), division.to_owned()))
}

/// A fresh venue id: 128 random bits as 22 characters of base64url, short
/// enough to keep the place code small.
fn venue_id() -> Result<String, Error> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<16>()?))
}

fn view(v: &VenueRecord) -> VenueView {
    VenueView {
        id: v.id.clone(),
        name: v.name.clone(),
        address: v.address.clone(),
        division: v.division.clone(),
        division_name: divisions::full_name(&v.division),
        created_at: rfc3339(v.created_at),
        place_code: v.place_code.clone(),
    }
}

/// The venue `id` if the caller is the venue account that owns it: 404 if
/// there is no such venue, 403 `venue.not_owner` if another account owns it.
pub(crate) async fn owned_venue(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<std::sync::Arc<VenueRecord>, Error> {
    if id.is_empty() || id.len() > place::MAX_VENUE_ID_LEN {
        return Err(Error::not_found());
    }
    let venue = state
        .check_ins()
        .venue(state.store(), id)
        .await?
        .ok_or_else(Error::not_found)?;
    if venue.owner_account != caller.account_id {
        return Err(Error::new(
            ErrorCode::VenueNotOwner,
            "this venue belongs to another account",
        ));
    }
    Ok(venue)
}

/// Registers a venue and signs its place code, which stays valid while the
/// signing key verifies (rotation keeps it; revocation ends it).
pub async fn register(
    state: &AppState,
    caller: &Caller,
    req: &NewVenue,
) -> Result<VenueCreated, Error> {
    caller.require(&[Role::Venue])?;
    services::ensure_open(state, Service::CheckIns)?;
    let (name, address, division) = validate(req, &state.issuer().code)?;
    let record = sign_venue(state, &caller.account_id, name, address, division)?;
    let svg = qr::svg(&record.place_code).map_err(Error::internal)?;
    let mut unit = state.begin(caller.actor()).await?;
    unit.create_venue(&record).await?;
    unit.commit().await?;
    Ok(VenueCreated {
        venue: view(&record),
        svg,
    })
}

/// A new venue record with its signed place code, not yet stored: what
/// registration writes, and what bulk loads (the recompute benchmark) write
/// many of at once. The fields must already be validated.
pub fn sign_venue(
    state: &AppState,
    owner_account: &str,
    name: String,
    address: String,
    division: String,
) -> Result<VenueRecord, Error> {
    let now = state.now();
    let id = venue_id()?;
    let keyring = state.keyring();
    let signer = keyring.signer.as_ref().ok_or_else(Error::no_signer)?;
    let claims = PlaceClaims {
        issuer: state.issuer().code.clone(),
        venue_id: id.clone(),
        venue_name: name.clone(),
        division: division.clone(),
        issued_at: now,
        expires_at: None,
    };
    let place_code = place::issue_place(&claims, signer)
        .map_err(|e| Error::new(ErrorCode::VenueInvalid, e.to_string()))?;
    Ok(VenueRecord {
        id,
        owner_account: owner_account.to_owned(),
        name,
        address,
        division,
        place_code,
        created_at: now,
    })
}

/// The venues the calling account registered.
pub async fn list(state: &AppState, caller: &Caller) -> Result<VenueList, Error> {
    caller.require(&[Role::Venue])?;
    let venues = state.store().venues_of(&caller.account_id).await?;
    Ok(VenueList {
        venues: venues.iter().map(view).collect(),
    })
}

/// The venue's place code, to print (the same code every time).
pub async fn place_code(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<PlaceCodeView, Error> {
    caller.require(&[Role::Venue])?;
    services::ensure_open(state, Service::CheckIns)?;
    let venue = owned_venue(state, caller, id).await?;
    let svg = qr::svg(&venue.place_code).map_err(Error::internal)?;
    Ok(PlaceCodeView {
        venue_id: venue.id.clone(),
        name: venue.name.clone(),
        payload: venue.place_code.clone(),
        svg,
    })
}

/// How many check-ins the venue had per day: counts only.
pub async fn counts(
    state: &AppState,
    caller: &Caller,
    id: &str,
    query: &CountsQuery,
) -> Result<VenueCounts, Error> {
    caller.require(&[Role::Venue])?;
    let retention_days = (state.retention_period(Category::CheckIns) / 86_400).max(1);
    let days = query.days.unwrap_or(7);
    if !(1..=retention_days).contains(&days) {
        return Err(Error::new(
            ErrorCode::VenueDays,
            format!("days must be between 1 and {retention_days}"),
        ));
    }
    let venue = owned_venue(state, caller, id).await?;
    let now = state.now();
    let today = (now + CST_OFFSET).div_euclid(86_400);
    let first = today - (days - 1);
    let from = first * 86_400 - CST_OFFSET;
    let until = (today + 1) * 86_400 - CST_OFFSET;
    let stored = state
        .store()
        .check_in_counts(&venue.id, from, until, CST_OFFSET)
        .await?;
    let days = (first..=today)
        .map(|day| DayCountView {
            date: timestamp(day * 86_400)
                .to_zoned(TimeZone::UTC)
                .date()
                .to_string(),
            count: stored.iter().find(|c| c.day == day).map_or(0, |c| c.count),
        })
        .collect();
    Ok(VenueCounts {
        venue_id: venue.id.clone(),
        days,
    })
}

/// Registers many signed venues in one unit of work for an operator (bulk
/// loads: benchmarks): all or none.
pub async fn register_many(state: &AppState, venues: &[VenueRecord]) -> Result<(), Error> {
    let mut unit = state.begin(Actor::Operator).await?;
    unit.create_venues(venues).await?;
    unit.commit().await?;
    Ok(())
}

/// The checker account named `username`: 404 `venue.checker_unknown` if no
/// account of the checker role has it.
async fn checker_account(state: &AppState, username: &str) -> Result<String, Error> {
    let unknown = || {
        Error::new(
            ErrorCode::VenueCheckerUnknown,
            "no checker account has this username",
        )
    };
    let username = accounts::check_username(username).map_err(|_| unknown())?;
    let login = state
        .store()
        .find_login(&LoginKey::Username(username.to_owned()))
        .await?;
    match login {
        Some(login) if login.role == Role::Checker => Ok(login.account_id),
        _ => Err(unknown()),
    }
}

/// The checker accounts bound to one of the caller's venues.
pub async fn checkers(state: &AppState, caller: &Caller, id: &str) -> Result<VenueCheckers, Error> {
    caller.require(&[Role::Venue])?;
    let venue = owned_venue(state, caller, id).await?;
    let checkers = state.store().venue_checkers(&venue.id).await?;
    Ok(VenueCheckers {
        venue_id: venue.id.clone(),
        checkers: checkers
            .into_iter()
            .map(|c| BoundChecker {
                username: c.username,
                bound_at: rfc3339(c.bound_at),
            })
            .collect(),
    })
}

/// The venue's owner binds a checker account to it: from then on the checker
/// may record check-ins there by scanning personal codes. Binding it again
/// changes nothing.
pub async fn bind_checker(
    state: &AppState,
    caller: &Caller,
    id: &str,
    username: &str,
) -> Result<VenueCheckers, Error> {
    caller.require(&[Role::Venue])?;
    let venue = owned_venue(state, caller, id).await?;
    let checker = checker_account(state, username).await?;
    let mut unit = state.begin(caller.actor()).await?;
    unit.bind_checkers(&[(venue.id.as_str(), checker.as_str())], state.now())
        .await?;
    unit.commit().await?;
    checkers(state, caller, id).await
}

/// The venue's owner unbinds a checker account: it records no more check-ins
/// there. Unbinding one that is not bound changes nothing.
pub async fn unbind_checker(
    state: &AppState,
    caller: &Caller,
    id: &str,
    username: &str,
) -> Result<(), Error> {
    caller.require(&[Role::Venue])?;
    let venue = owned_venue(state, caller, id).await?;
    let checker = checker_account(state, username).await?;
    let mut unit = state.begin(caller.actor()).await?;
    unit.unbind_checker(&venue.id, &checker).await?;
    unit.commit().await?;
    Ok(())
}

/// Binds a checker account to many venues for an operator (the demo binds
/// its checker to every venue it seeds): all or none.
pub async fn bind_checker_to_venues(
    state: &AppState,
    username: &str,
    venue_ids: &[String],
) -> Result<(), Error> {
    let checker = checker_account(state, username).await?;
    let pairs: Vec<(&str, &str)> = venue_ids
        .iter()
        .map(|v| (v.as_str(), checker.as_str()))
        .collect();
    let mut unit = state.begin(Actor::Operator).await?;
    unit.bind_checkers(&pairs, state.now()).await?;
    unit.commit().await?;
    Ok(())
}
