//! Check-ins: a citizen scans a venue's place code, or a checker (or the venue
//! itself) scans the citizen's personal code; and the citizen's own itinerary.
//! What makes two scans the same scan is described in
//! [`healthcode_core::check_ins`].

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use healthcode_core::AppState;
use healthcode_core::check_ins::{
    self, CheckInRecorded, CodeScan, CodeScanned, Itinerary, PlaceScan,
};
use healthcode_domain::role::Role;

use crate::auth::Authenticated;
use crate::error::{ApiError, ErrorBody};

/// 201 for a new check-in, 200 for a scan recorded before.
fn status_of(recorded: &CheckInRecorded) -> StatusCode {
    if recorded.repeat {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    }
}

/// The citizen checks in by scanning a venue's place code. The code is
/// verified against the issuer's trust list and the check-in recorded at
/// server time; 201 when new, 200 when the same scan was already recorded.
#[utoipa::path(post, path = "/v1/me/check-ins", tag = "check-ins", request_body = PlaceScan,
    responses((status = 201, body = CheckInRecorded), (status = 200, description = "the same scan, recorded before", body = CheckInRecorded),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "a bad, forged, expired or wrong-type code (`code.*`), or a bad scan_id", body = ErrorBody),
        (status = 410, description = "`service.suspended`: the `check-ins` service is suspended or retired (`notice` and `since` say why and since when); `person.erased`: the person was erased (a session another server still trusted)", body = ErrorBody),
        (status = 503, description = "`check_in.busy`: retry with the same scan_id; `check_in.unavailable`: the check-in writer has stopped", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn scan_place(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Result<Json<PlaceScan>, JsonRejection>,
) -> Result<(StatusCode, Json<CheckInRecorded>), ApiError> {
    caller.citizen()?;
    let Json(req) = body?;
    let recorded = check_ins::scan_place(&state, &caller, &req).await?;
    Ok((status_of(&recorded), Json(recorded)))
}

/// A checker, or the venue itself, scans a person's code at a venue's entrance:
/// the code is verified offline-style, the checker sees its colour and masked
/// name, and a check-in is recorded for the person. A venue account may record
/// only at its own venues, a checker only at the venues whose owners bound it
/// (`PUT /v1/venues/{id}/checkers/{username}`); a personal code records one
/// check-in at most, and only the same scan again is answered (as a repeat).
#[utoipa::path(post, path = "/v1/check-ins", tag = "check-ins", request_body = CodeScan,
    responses((status = 201, body = CodeScanned), (status = 200, description = "the same scan, recorded before", body = CodeScanned),
        (status = 401, body = ErrorBody), (status = 403, description = "`venue.not_owner`: the account may not record at this venue", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`check_in.code_used`: the code has recorded another check-in", body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 410, description = "`service.suspended`: the `assisted-checks` service is suspended or retired (`notice` and `since` say why and since when)", body = ErrorBody),
        (status = 503, description = "`check_in.busy`: retry with the same scan_id; `check_in.unavailable`: the check-in writer has stopped", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn scan_code(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Result<Json<CodeScan>, JsonRejection>,
) -> Result<(StatusCode, Json<CodeScanned>), ApiError> {
    caller.require(&[Role::Checker, Role::Venue])?;
    let Json(req) = body?;
    let scanned = check_ins::scan_code(&state, &caller, &req).await?;
    Ok((status_of(&scanned.check_in), Json(scanned)))
}

/// The citizen's own itinerary: where and when they checked in, within the
/// retention period.
#[utoipa::path(get, path = "/v1/me/check-ins", tag = "check-ins",
    responses((status = 200, body = Itinerary), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn itinerary(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<Itinerary>, ApiError> {
    Ok(Json(check_ins::itinerary(&state, &caller).await?))
}
