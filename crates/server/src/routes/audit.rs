//! The audit log: signed tree heads, entries and proofs for anyone who
//! monitors it (modelled on RFC 6962 §4), signing a head on demand, and the
//! regulator's search.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use healthcode_core::AppState;
use healthcode_core::audit::{
    self, ConsistencyProof, ConsistencyQuery, Entries, EntriesQuery, Heads, HeadsQuery,
    InclusionProof, InclusionQuery, SearchPage, SearchQuery, SignedTreeHead,
};
use healthcode_domain::role::Role;

use crate::auth::Authenticated;
use crate::error::{ApiError, ErrorBody};

/// The newest signed tree head.
#[utoipa::path(get, path = "/v1/audit/head", tag = "audit",
    responses((status = 200, body = SignedTreeHead)))]
pub async fn head(State(state): State<AppState>) -> Result<Json<SignedTreeHead>, ApiError> {
    Ok(Json(audit::latest_head(&state).await?))
}

/// Signs a head of the log as it is now (an authority or the regulator).
#[utoipa::path(post, path = "/v1/audit/heads", tag = "audit",
    responses((status = 200, body = SignedTreeHead), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn sign(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<SignedTreeHead>, ApiError> {
    caller.require(&[Role::Authority, Role::Regulator])?;
    Ok(Json(audit::sign_head(&state).await?))
}

/// Every signed tree head since a time, oldest first.
#[utoipa::path(get, path = "/v1/audit/heads", tag = "audit", params(HeadsQuery),
    responses((status = 200, body = Heads), (status = 400, body = ErrorBody)))]
pub async fn heads(
    State(state): State<AppState>,
    query: Result<Query<HeadsQuery>, QueryRejection>,
) -> Result<Json<Heads>, ApiError> {
    let Query(query) = query?;
    Ok(Json(audit::heads(&state, &query).await?))
}

/// Entries `start` to `end` (inclusive, at most 1000), with the exact bytes
/// that were hashed.
#[utoipa::path(get, path = "/v1/audit/entries", tag = "audit", params(EntriesQuery),
    responses((status = 200, body = Entries), (status = 400, description = "`audit.range`: the entries, index or tree sizes asked for are not in the log; `request.invalid_query`: the query is malformed", body = ErrorBody)))]
pub async fn entries(
    State(state): State<AppState>,
    query: Result<Query<EntriesQuery>, QueryRejection>,
) -> Result<Json<Entries>, ApiError> {
    let Query(query) = query?;
    Ok(Json(audit::entries(&state, &query).await?))
}

/// The inclusion proof of an entry in the tree of a given size.
#[utoipa::path(get, path = "/v1/audit/proof", tag = "audit", params(InclusionQuery),
    responses((status = 200, body = InclusionProof), (status = 400, description = "`audit.range`: the entries, index or tree sizes asked for are not in the log; `request.invalid_query`: the query is malformed", body = ErrorBody)))]
pub async fn proof(
    State(state): State<AppState>,
    query: Result<Query<InclusionQuery>, QueryRejection>,
) -> Result<Json<InclusionProof>, ApiError> {
    let Query(query) = query?;
    Ok(Json(audit::inclusion_proof(&state, &query).await?))
}

/// The consistency proof between two tree sizes.
#[utoipa::path(get, path = "/v1/audit/consistency", tag = "audit", params(ConsistencyQuery),
    responses((status = 200, body = ConsistencyProof), (status = 400, description = "`audit.range`: the entries, index or tree sizes asked for are not in the log; `request.invalid_query`: the query is malformed", body = ErrorBody)))]
pub async fn consistency(
    State(state): State<AppState>,
    query: Result<Query<ConsistencyQuery>, QueryRejection>,
) -> Result<Json<ConsistencyProof>, ApiError> {
    let Query(query) = query?;
    Ok(Json(audit::consistency_proof(&state, &query).await?))
}

/// The regulator's search of the log: by act, actor and time, newest first.
#[utoipa::path(get, path = "/v1/audit/search", tag = "audit", params(SearchQuery),
    responses((status = 200, body = SearchPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn search(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> Result<Json<SearchPage>, ApiError> {
    caller.require(&[Role::Authority, Role::Regulator])?;
    let Query(query) = query?;
    Ok(Json(audit::search(&state, &caller, &query).await?))
}
