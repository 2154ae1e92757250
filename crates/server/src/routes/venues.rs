//! Venues: registration, the printable place code, daily counts, and the
//! checkers bound to each.
//!
//! Only venue accounts use these routes, each only for the venues it
//! registered. A venue sees how many check-ins it had per day and nothing
//! else: never who checked in, nor when exactly.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use healthcode_core::AppState;
use healthcode_core::venues::{
    self, CountsQuery, NewVenue, PlaceCodeView, VenueCheckers, VenueCounts, VenueCreated, VenueList,
};
use healthcode_domain::role::Role;

use crate::auth::Authenticated;
use crate::error::{ApiError, ErrorBody};

/// Registers a venue and signs its place code, which stays valid while the
/// signing key verifies (rotation keeps it; revocation ends it).
#[utoipa::path(post, path = "/v1/venues", tag = "venues", request_body = NewVenue,
    responses((status = 201, body = VenueCreated), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 410, description = "`service.suspended`: the `check-ins` service is suspended or retired (`notice` and `since` say why and since when)", body = ErrorBody),
        (status = 503, description = "`keys.no_signer`: no signing key is active", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn register(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Result<Json<NewVenue>, JsonRejection>,
) -> Result<(StatusCode, Json<VenueCreated>), ApiError> {
    caller.require(&[Role::Venue])?;
    let Json(req) = body?;
    let created = venues::register(&state, &caller, &req).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The venues the calling account registered.
#[utoipa::path(get, path = "/v1/venues", tag = "venues",
    responses((status = 200, body = VenueList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<VenueList>, ApiError> {
    Ok(Json(venues::list(&state, &caller).await?))
}

/// The venue's place code, to print (the same code every time).
#[utoipa::path(get, path = "/v1/venues/{id}/place-code", tag = "venues",
    params(("id" = String, Path, description = "the venue")),
    responses((status = 200, body = PlaceCodeView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 410, description = "`service.suspended`: the `check-ins` service is suspended or retired (`notice` and `since` say why and since when)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn place_code(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<PlaceCodeView>, ApiError> {
    Ok(Json(venues::place_code(&state, &caller, &id).await?))
}

/// How many check-ins the venue had per day: counts only.
#[utoipa::path(get, path = "/v1/venues/{id}/counts", tag = "venues",
    params(("id" = String, Path, description = "the venue"), CountsQuery),
    responses((status = 200, body = VenueCounts), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn counts(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    query: Result<Query<CountsQuery>, QueryRejection>,
) -> Result<Json<VenueCounts>, ApiError> {
    caller.require(&[Role::Venue])?;
    let Query(query) = query?;
    Ok(Json(venues::counts(&state, &caller, &id, &query).await?))
}

/// The checker accounts that may record check-ins at the venue.
#[utoipa::path(get, path = "/v1/venues/{id}/checkers", tag = "venues",
    params(("id" = String, Path, description = "the venue")),
    responses((status = 200, body = VenueCheckers), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn checkers(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<VenueCheckers>, ApiError> {
    Ok(Json(venues::checkers(&state, &caller, &id).await?))
}

/// Binds a checker account to the venue: it may then record check-ins there
/// by scanning personal codes. Binding it again changes nothing.
#[utoipa::path(put, path = "/v1/venues/{id}/checkers/{username}", tag = "venues",
    params(("id" = String, Path, description = "the venue"),
        ("username" = String, Path, description = "the checker account's username")),
    responses((status = 200, body = VenueCheckers), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "no such venue, or `venue.checker_unknown`", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn bind_checker(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path((id, username)): Path<(String, String)>,
) -> Result<Json<VenueCheckers>, ApiError> {
    Ok(Json(
        venues::bind_checker(&state, &caller, &id, &username).await?,
    ))
}

/// Unbinds a checker account from the venue: it records no more check-ins
/// there. Unbinding one that is not bound changes nothing.
#[utoipa::path(delete, path = "/v1/venues/{id}/checkers/{username}", tag = "venues",
    params(("id" = String, Path, description = "the venue"),
        ("username" = String, Path, description = "the checker account's username")),
    responses((status = 204, description = "unbound"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "no such venue, or `venue.checker_unknown`", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn unbind_checker(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path((id, username)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    venues::unbind_checker(&state, &caller, &id, &username).await?;
    Ok(StatusCode::NO_CONTENT)
}
