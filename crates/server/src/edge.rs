//! What every request passes through before and after its route: bounds on
//! the request line and headers, the refusal of state-changing requests sent
//! by another site's page, the time limit, and the one shape of errors.
//!
//! Routes answer errors as `{ "error": { "code", "message" } }` themselves, but
//! some answers are made outside them: axum's own rejections (an unknown
//! method, a path that is not UTF-8, a form that does not parse), the body
//! limit, the time limit. This layer gives those the same shape: JSON for the
//! API, a page in the reader's language for the pages.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, ORIGIN};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use healthcode_core::{AppState, Error, ErrorCode};

use crate::error::ApiError;
use crate::pages;

/// Longest request target accepted, in bytes; no route needs more.
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// Most header bytes (names and values) accepted in one request.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// The middleware; see the module's documentation.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let for_pages = pages::is_page_path(request.uri().path());
    let headers = request.headers().clone();
    let refuse = |e: Error| answer(for_pages, &headers, ApiError(e));
    if request.uri().to_string().len() > MAX_URI_BYTES {
        return refuse(Error::of(ErrorCode::RequestUriTooLong));
    }
    let header_bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if header_bytes > MAX_HEADER_BYTES {
        return refuse(Error::of(ErrorCode::RequestHeadersTooLarge));
    }
    if changes_state(request.method()) && !same_site(&state, &headers) {
        return refuse(Error::of(ErrorCode::RequestCrossSite));
    }
    if declared_length(&headers).is_some_and(|length| length > state.config().max_body_bytes) {
        return refuse(Error::of(ErrorCode::RequestTooLarge));
    }
    let limit = Duration::from_secs(state.config().request_timeout);
    let response = match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => return refuse(Error::of(ErrorCode::RequestTimeout)),
    };
    if is_shaped(&response) {
        return response;
    }
    let status = response.status();
    let mut shaped = answer(for_pages, &headers, ApiError(Error::of(code_for(status))));
    *shaped.status_mut() = status;
    // Keep what the answer said besides its body (`Allow` on a 405).
    for (name, value) in response.headers() {
        if name != CONTENT_TYPE && name != CONTENT_LENGTH {
            shaped.headers_mut().insert(name.clone(), value.clone());
        }
    }
    shaped
}

/// Whether an answer needs no reshaping: a success, or an error that already
/// has a JSON or HTML body.
fn is_shaped(response: &Response) -> bool {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return true;
    }
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"))
}

/// The error answered for pages or for the API.
fn answer(for_pages: bool, headers: &HeaderMap, e: ApiError) -> Response {
    if for_pages {
        pages::error_page(headers, &e)
    } else {
        e.into_response()
    }
}

/// The stable code of an error status that some layer produced without one.
fn code_for(status: StatusCode) -> ErrorCode {
    match status {
        StatusCode::UNAUTHORIZED => ErrorCode::AuthRequired,
        StatusCode::FORBIDDEN => ErrorCode::AuthForbidden,
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::RequestMethod,
        StatusCode::REQUEST_TIMEOUT => ErrorCode::RequestTimeout,
        StatusCode::CONFLICT => ErrorCode::Conflict,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::RequestTooLarge,
        StatusCode::URI_TOO_LONG => ErrorCode::RequestUriTooLong,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::RequestContentType,
        StatusCode::UNPROCESSABLE_ENTITY => ErrorCode::RequestInvalidField,
        StatusCode::TOO_MANY_REQUESTS => ErrorCode::RequestRateLimited,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => ErrorCode::RequestHeadersTooLarge,
        s if s.is_server_error() => ErrorCode::Internal,
        _ => ErrorCode::RequestInvalid,
    }
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether a state-changing request may come from where the browser says it
/// does. Browsers name the page's site in `Sec-Fetch-Site` and its origin in
/// `Origin` on every cross-origin form post; clients that are not browsers
/// (the app, scripts, other services with a token) send neither and pass.
fn same_site(state: &AppState, headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        // `none` is the person's own doing (typed or bookmarked), never a form.
        if !matches!(site.as_bytes(), b"same-origin" | b"none") {
            return false;
        }
    }
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if origin == state.config().public_url {
        return true;
    }
    // Served under another name than `public_url` (a test, a staging host):
    // the origin must then name the host the request was sent to.
    let host = headers.get(HOST).and_then(|h| h.to_str().ok());
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
}

/// The body length the client declared, if it declared one that parses.
fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}
