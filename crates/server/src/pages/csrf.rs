//! A token in every form, so that a page of another site cannot post one.
//!
//! The browser holds a random token in the `hc_csrf` cookie (HttpOnly,
//! SameSite=Strict) and every form of these pages carries the same token in a
//! hidden `csrf` field; a form post whose field does not match its cookie is
//! refused with 403 `request.cross_site`. Another site can make a browser
//! post a form here, but can neither read nor set that cookie, so it cannot
//! know the token. (The `Origin` and `Sec-Fetch-Site` check of
//! [`crate::edge`] refuses such posts first; this is the second lock, for
//! browsers that send neither.)
//!
//! Templates write the field with `{% include "csrf.html" %}`, which calls
//! [`form_token`]: the token of the request being answered, kept in a
//! task-local for the time the page is rendered.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use healthcode_core::ids::{random_id, tokens_match};
use healthcode_core::{AppState, Error, ErrorCode};

use crate::error::ApiError;

/// Name of the cookie and of the form field.
const COOKIE_NAME: &str = "hc_csrf";
const FIELD: &str = "csrf";
/// A token is 128 random bits in hex.
const TOKEN_CHARS: usize = 32;

tokio::task_local! {
    static TOKEN: String;
}

/// The token for the forms of the page being rendered (empty outside a page
/// request, where no form is shown).
pub fn form_token() -> String {
    TOKEN.try_with(Clone::clone).unwrap_or_default()
}

/// Middleware of the page routes: checks the token of form posts, and gives
/// a browser that has none a fresh one.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let headers = request.headers().clone();
    let held = cookie_token(&headers);
    let request = if request.method() == Method::POST {
        match checked(&state, held.as_deref(), request).await {
            Ok(request) => request,
            Err(e) => return super::error_page(&headers, &ApiError(e)),
        }
    } else {
        request
    };
    let (token, fresh) = match held {
        Some(token) => (token, false),
        None => match random_id() {
            Ok(token) => (token, true),
            Err(e) => return super::error_page(&headers, &ApiError(e)),
        },
    };
    let mut response = TOKEN.scope(token.clone(), next.run(request)).await;
    if fresh {
        let secure = if state.config().secure_cookies() {
            "; Secure"
        } else {
            ""
        };
        let cookie = format!("{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Strict{secure}");
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

/// The token of the browser's cookie, if it has a well-formed one.
fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE_NAME)?.strip_prefix('='))
        .filter(|token| token.len() == TOKEN_CHARS && token.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_owned)
}

/// Passes a form post on when its `csrf` field equals the cookie's token,
/// with the field taken out (the handlers' forms refuse unknown fields).
async fn checked(state: &AppState, held: Option<&str>, request: Request) -> Result<Request, Error> {
    let refused = || Error::of(ErrorCode::RequestCrossSite);
    let is_form = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let Some(held) = held.filter(|_| is_form) else {
        return Err(refused());
    };
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, state.config().max_body_bytes)
        .await
        .map_err(|_| Error::of(ErrorCode::RequestTooLarge))?;
    let (sent, rest) = take_field(&bytes, FIELD).ok_or_else(refused)?;
    if !tokens_match(&sent, held) {
        return Err(refused());
    }
    Ok(Request::from_parts(parts, Body::from(rest)))
}

/// The value of `name` in a URL-encoded form body (exactly once), and the body
/// without it.
fn take_field(body: &[u8], name: &str) -> Option<(String, String)> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    let (taken, rest): (Vec<_>, Vec<_>) = pairs.into_iter().partition(|(k, _)| k == name);
    let [(_, value)] = <[_; 1]>::try_from(taken).ok()?;
    Some((value, serde_urlencoded::to_string(rest).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_is_found_among_the_others() {
        let body = b"login=a%20b&csrf=abc&password=x";
        assert_eq!(
            take_field(body, "csrf"),
            Some(("abc".to_owned(), "login=a+b&password=x".to_owned()))
        );
        assert_eq!(take_field(b"login=a", "csrf"), None);
        assert_eq!(
            take_field(b"csrf=a&csrf=a", "csrf"),
            None,
            "twice is refused"
        );
    }

    #[test]
    fn only_well_formed_cookies_count() {
        let mut headers = HeaderMap::new();
        let token = "a".repeat(TOKEN_CHARS);
        headers.insert(
            COOKIE,
            HeaderValue::from_str(&format!("hc_lang=en; hc_csrf={token}")).expect("header"),
        );
        assert_eq!(cookie_token(&headers), Some(token));
        headers.insert(COOKIE, HeaderValue::from_static("hc_csrf=short"));
        assert_eq!(cookie_token(&headers), None);
    }
}
