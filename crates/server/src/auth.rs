//! Who is calling: the session token of a request, as an extractor.
//!
//! Requests present their token as `Authorization: Bearer` (API) or in the
//! `hc_session` cookie (web pages); the core checks it ([`sessions::caller`]).

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use healthcode_core::{AppState, Caller, Error, sessions};

use crate::error::ApiError;

/// Name of the session cookie used by the web pages.
pub const SESSION_COOKIE: &str = "hc_session";

/// Finds the token in the `Authorization` header or, for pages, the session cookie.
fn presented_token(parts: &Parts) -> Option<&str> {
    if let Some(value) = parts.headers.get(AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))?;
        return Some(token.trim());
    }
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('='))
}

/// The authenticated caller of a request.
pub struct Authenticated(pub Caller);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = presented_token(parts).ok_or_else(Error::unauthorized)?;
        Ok(Authenticated(sessions::caller(state, token).await?))
    }
}

/// The address the request came from, when the listener recorded it (the
/// served app always does; a router called in-process does not). Rate limits
/// key on it.
pub struct Peer(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let connected = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(Peer(connected.map(|info| info.0.ip())))
    }
}
