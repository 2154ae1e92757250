//! Server-rendered pages for people: log in, register, show the code, and
//! the privacy lifecycle (my data, who looked at it, deleting it all).
//!
//! Every page speaks Chinese and English (`hc_lang` cookie) and has a large-text
//! mode for the elderly (`hc_large` cookie). Pages authenticate with the
//! `hc_session` cookie (HttpOnly, SameSite=Strict, so other sites cannot submit
//! forms with it); the code page refreshes its code from `/v1/me/code` before
//! it expires. Errors show in the page's language with their stable code.

pub(crate) mod csrf;
mod my_data;
mod regulator;
mod service_notice;
mod text;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use healthcode_core::certificates::{
    DccCertificate, DccNotIssued, ShcCard, dcc_certificates, shc_cards,
};
use healthcode_core::codes;
use healthcode_core::registration::{RegisterRequest, register_citizen};
use healthcode_core::sessions::{LoginRequest, end_session, open_session};
use healthcode_core::{AppState, Caller, Error, ErrorCode};
use healthcode_domain::services::Service;
use service_notice::ShownNotice;
use text::{Lang, Text};

use crate::auth::{Authenticated, Peer, SESSION_COOKIE};
use crate::error::ApiError;

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// The page routes, behind the forms' token check ([`csrf`]).
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", post(login))
        .route("/register", get(register_form).post(register))
        .route("/me", get(my_code))
        .route("/me/certificates", get(my_certificates))
        .route("/me/data", get(my_data::data_page))
        .route("/me/data/export.json", get(my_data::export_file))
        .route("/me/access-log", get(my_data::access_log_page))
        .route("/me/keep-account", post(my_data::keep_account))
        .route("/me/name-parts", post(my_data::name_parts))
        .route(
            "/me/delete",
            get(my_data::delete_form).post(my_data::delete),
        )
        .route("/logout", post(logout))
        .route("/staff", get(regulator::login_form).post(regulator::login))
        .route("/regulator", get(regulator::supervision))
        .route("/prefs", get(prefs))
        .route(
            "/assets/app.css",
            get(|| asset("text/css", include_str!("../../assets/app.css"))),
        )
        .route(
            "/assets/code.js",
            get(|| asset("text/javascript", include_str!("../../assets/code.js"))),
        )
        .layer(axum::middleware::from_fn_with_state(state, csrf::guard))
}

/// Whether `path` belongs to the pages (answered in HTML) rather than to the
/// JSON API and the machine-readable documents.
pub fn is_page_path(path: &str) -> bool {
    !(path.starts_with("/v1/")
        || path.starts_with("/.well-known/")
        || matches!(path, "/openapi.json" | "/metrics" | "/healthz"))
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    path: &'static str,
    t: &'a Text,
    large: bool,
    error: String,
}

/// An error as a page in the reader's language, with its status and stable
/// code: for refusals made before any page handler ran.
pub fn error_page(headers: &HeaderMap, e: &ApiError) -> Response {
    let prefs = Prefs::from(headers);
    let t = Text::of(prefs.lang);
    let mut response = no_store(page(&ErrorPage {
        path: "/",
        t,
        large: prefs.large,
        error: t.error(e.code()),
    }));
    e.apply_to(&mut response);
    response
}

async fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, content_type),
            (axum::http::header::CACHE_CONTROL, "max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// Display preferences from cookies.
struct Prefs {
    lang: Lang,
    large: bool,
}

impl Prefs {
    fn from(headers: &HeaderMap) -> Prefs {
        let cookie = |name: &str| {
            headers
                .get_all(COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .find_map(|pair| {
                    pair.trim()
                        .strip_prefix(name)?
                        .strip_prefix('=')
                        .map(str::to_owned)
                })
        };
        Prefs {
            lang: Lang::parse(cookie("hc_lang").as_deref().unwrap_or("zh")),
            large: cookie("hc_large").as_deref() == Some("1"),
        }
    }
}

/// A time as people in China read it: China Standard Time (UTC+8 all year),
/// to the minute.
fn china_time(at: jiff::Timestamp) -> String {
    use jiff::tz::{Offset, TimeZone};
    at.to_zoned(TimeZone::fixed(Offset::constant(8)))
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

fn page(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => ([(CONTENT_SECURITY_POLICY, CSP)], Html(html)).into_response(),
        Err(e) => ApiError(Error::internal(e)).into_response(),
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    path: &'static str,
    t: &'a Text,
    large: bool,
    notice: Option<&'a str>,
    error: Option<String>,
    /// What was typed in the login field, kept when a login is refused.
    login: &'a str,
    /// Services closed or with a closure announced.
    schedule: Vec<ShownNotice>,
}

/// Where the home page was sent from: registration or the deletion of an account.
#[derive(Deserialize)]
struct HomeQuery {
    registered: Option<u8>,
    deleted: Option<u8>,
}

async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HomeQuery>,
) -> Response {
    let prefs = Prefs::from(&headers);
    let t = Text::of(prefs.lang);
    let notice = match (q.registered, q.deleted) {
        (_, Some(_)) => Some(t.deleted),
        (Some(_), None) => Some(t.registered),
        (None, None) => None,
    };
    page(&HomePage {
        path: "/",
        t,
        large: prefs.large,
        notice,
        error: None,
        login: "",
        schedule: service_notice::schedule(&state, &prefs),
    })
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    Peer(from): Peer,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let login = form.login.trim();
    let is_phone = login.starts_with('+')
        || (login.len() == 11
            && login.starts_with('1')
            && login.bytes().all(|b| b.is_ascii_digit()));
    let request = LoginRequest {
        document_number: (!is_phone).then(|| login.to_owned()),
        phone: is_phone.then(|| login.to_owned()),
        username: None,
        password: form.password,
    };
    match open_session(&state, &request, from).await {
        Ok(session) => {
            let cookie = session_cookie(&state, &session.token, state.config().session_lifetime);
            ([(SET_COOKIE, cookie)], Redirect::to("/me")).into_response()
        }
        Err(e) => {
            let prefs = Prefs::from(&headers);
            let t = Text::of(prefs.lang);
            let e = ApiError(e);
            let mut response = page(&HomePage {
                path: "/",
                t,
                large: prefs.large,
                notice: None,
                error: Some(t.error(e.code())),
                login: &form.login,
                schedule: service_notice::schedule(&state, &prefs),
            });
            e.apply_to(&mut response);
            response
        }
    }
}

fn session_cookie(state: &AppState, token: &str, max_age: i64) -> HeaderValue {
    let secure = if state.config().secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let text = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    HeaderValue::from_str(&text)
        .unwrap_or_else(|_| HeaderValue::from_static("hc_session=; Max-Age=0"))
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage<'a> {
    path: &'static str,
    t: &'a Text,
    large: bool,
    coming: Option<ShownNotice>,
    error: Option<String>,
    typed: Typed,
}

impl RegisterPage<'_> {
    /// Whether the document type `value` is the one chosen.
    fn chosen(&self, value: &str) -> bool {
        self.typed.document_type == value
    }
}

/// What was typed into the registration form, kept when it is refused so that
/// nobody types it all again; never the password.
#[derive(Default)]
struct Typed {
    name: String,
    surname: String,
    given_name: String,
    document_type: String,
    document_number: String,
    phone: String,
    address: String,
}

async fn register_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let prefs = Prefs::from(&headers);
    if let Some(closed) = service_notice::closed(&state, Service::Registration, "/register", &prefs)
    {
        return closed;
    }
    page(&RegisterPage {
        path: "/register",
        t: Text::of(prefs.lang),
        large: prefs.large,
        coming: service_notice::coming(&state, Service::Registration, &prefs),
        error: None,
        typed: Typed::default(),
    })
}

async fn register(
    State(state): State<AppState>,
    Peer(from): Peer,
    headers: HeaderMap,
    Form(request): Form<RegisterRequest>,
) -> Response {
    let prefs = Prefs::from(&headers);
    if let Some(closed) = service_notice::closed(&state, Service::Registration, "/register", &prefs)
    {
        return closed;
    }
    let typed = Typed {
        name: request.name.clone(),
        surname: request.surname.clone().unwrap_or_default(),
        given_name: request.given_name.clone().unwrap_or_default(),
        document_type: request.document_type.clone(),
        document_number: request.document_number.clone(),
        phone: request.phone.clone(),
        address: request.address.clone().unwrap_or_default(),
    };
    match register_citizen(&state, request, from).await {
        Ok(_) => Redirect::to("/?registered=1").into_response(),
        Err(e) => {
            let t = Text::of(prefs.lang);
            let e = ApiError(e);
            let mut response = page(&RegisterPage {
                path: "/register",
                t,
                large: prefs.large,
                coming: service_notice::coming(&state, Service::Registration, &prefs),
                error: Some(t.error(e.code())),
                typed,
            });
            e.apply_to(&mut response);
            response
        }
    }
}

#[derive(Template)]
#[template(path = "code.html")]
struct CodePage<'a> {
    path: &'static str,
    t: &'a Text,
    large: bool,
    coming: Option<ShownNotice>,
    colour: &'a str,
    colour_label: &'a str,
    masked_name: String,
    svg: String,
    expires_at: i64,
    reasons: Vec<String>,
}

/// Why a citizen page is not shown.
enum NotACitizen {
    /// No session: the way to the login page.
    Login,
    /// Staff have no citizen pages.
    Forbidden,
}

impl IntoResponse for NotACitizen {
    fn into_response(self) -> Response {
        match self {
            NotACitizen::Login => Redirect::to("/").into_response(),
            NotACitizen::Forbidden => ApiError(Error::forbidden()).into_response(),
        }
    }
}

/// The citizen behind a page request.
fn citizen_of(caller: &Result<Authenticated, ApiError>) -> Result<&Caller, NotACitizen> {
    let Ok(Authenticated(caller)) = caller else {
        return Err(NotACitizen::Login);
    };
    caller.citizen().map_err(|_| NotACitizen::Forbidden)?;
    Ok(caller)
}

/// Pages with personal data are never kept by caches.
fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    response
}

async fn my_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Result<Authenticated, ApiError>,
) -> Response {
    let prefs = Prefs::from(&headers);
    if let Some(closed) = service_notice::closed(&state, Service::CodeDisplay, "/me", &prefs) {
        return closed;
    }
    let caller = match citizen_of(&caller) {
        Ok(caller) => caller,
        Err(refusal) => return refusal.into_response(),
    };
    let (code, evaluation) = match codes::my_code_explained(&state, caller).await {
        Ok(both) => both,
        Err(e) => return ApiError(e).into_response(),
    };
    let body: serde_json::Value = match serde_json::from_slice(&code.body) {
        Ok(v) => v,
        Err(e) => return ApiError(Error::internal(e)).into_response(),
    };
    let field = |name: &str| {
        body.get(name)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let t = Text::of(prefs.lang);
    // Explanations in the page's language, with what to do; the stored reasons
    // carry English only.
    let reasons = evaluation
        .explanations
        .iter()
        .map(|e| match prefs.lang {
            Lang::Zh => format!("{} {}", e.message_zh, e.advice_zh),
            Lang::En => format!("{} {}", e.message_en, e.advice_en),
        })
        .collect();
    no_store(page(&CodePage {
        path: "/me",
        t,
        large: prefs.large,
        coming: service_notice::coming(&state, Service::CodeDisplay, &prefs),
        colour: code.colour.as_str(),
        colour_label: t.colour(code.colour),
        masked_name: field("masked_name"),
        svg: field("svg"),
        expires_at: code.expires_at,
        reasons,
    }))
}

#[derive(Template)]
#[template(path = "certificates.html")]
struct CertificatesPage<'a> {
    path: &'static str,
    t: &'a Text,
    large: bool,
    coming: Option<ShownNotice>,
    dccs: Vec<DccCertificate>,
    /// Vaccinations without a DCC, each said with its reason.
    not_issued: Vec<DccNotIssued>,
    /// `None` when cards cannot be made (no birth date known).
    shcs: Option<Vec<ShcCard>>,
}

/// The citizen's EU DCCs and SMART Health Cards, as QR codes to show abroad.
async fn my_certificates(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Result<Authenticated, ApiError>,
) -> Response {
    let prefs = Prefs::from(&headers);
    if let Some(closed) =
        service_notice::closed(&state, Service::Certificates, "/me/certificates", &prefs)
    {
        return closed;
    }
    let caller = match citizen_of(&caller) {
        Ok(caller) => caller,
        Err(refusal) => return refusal.into_response(),
    };
    let (dccs, not_issued) = match dcc_certificates(&state, caller).await {
        Ok(dccs) => (dccs.certificates, dccs.not_issued),
        Err(e) => return ApiError(e).into_response(),
    };
    let shcs = match shc_cards(&state, caller).await {
        Ok(cards) => Some(cards.cards),
        Err(e) if e.code() == ErrorCode::ShcBirthDateUnknown => None,
        Err(e) => return ApiError(e).into_response(),
    };
    no_store(page(&CertificatesPage {
        path: "/me/certificates",
        t: Text::of(prefs.lang),
        large: prefs.large,
        coming: service_notice::coming(&state, Service::Certificates, &prefs),
        dccs,
        not_issued,
        shcs,
    }))
}

async fn logout(
    State(state): State<AppState>,
    caller: Result<Authenticated, ApiError>,
) -> Response {
    if let Ok(Authenticated(caller)) = caller
        && let Err(e) = end_session(&state, &caller).await
    {
        return ApiError(e).into_response();
    }
    (
        [(SET_COOKIE, session_cookie(&state, "", 0))],
        Redirect::to("/"),
    )
        .into_response()
}

#[derive(Deserialize)]
struct PrefsQuery {
    lang: Option<String>,
    large: Option<u8>,
    back: Option<String>,
}

/// Where `back` leads, when that is a page of this site: the path and query
/// as a browser would resolve them, re-serialised, so that nothing it sends a
/// browser to can be read as another origin. Browsers strip tabs and newlines
/// from URLs and read `\` as `/`, so `/\evil.example/` and `/%09/evil.example/`
/// are other sites to them; the WHATWG URL parser (`url`) reads them the same.
fn local_path(back: &str) -> Option<String> {
    const HERE: &str = "http://healthcode.invalid/";
    let here = url::Url::parse(HERE).ok()?;
    if !back.starts_with('/') {
        return None;
    }
    let target = here.join(back).ok()?;
    if target.origin() != here.origin() {
        return None;
    }
    let local = &target[url::Position::BeforePath..url::Position::AfterQuery];
    // Resolved again, as the browser will, it must still lead here.
    let again = here.join(local).ok()?;
    (local.starts_with('/') && !local.starts_with("//") && again.origin() == here.origin())
        .then(|| local.to_owned())
}

/// Sets the language and text-size cookies, then returns to a page of this site.
async fn prefs(Query(q): Query<PrefsQuery>) -> Response {
    let back = q
        .back
        .as_deref()
        .and_then(local_path)
        .unwrap_or_else(|| "/".to_owned());
    let mut headers = HeaderMap::new();
    if let Some(lang) = q.lang {
        let lang = Lang::parse(&lang);
        if let Ok(v) = HeaderValue::from_str(&format!(
            "hc_lang={}; Path=/; SameSite=Lax; Max-Age=31536000",
            lang.as_str()
        )) {
            headers.append(SET_COOKIE, v);
        }
    }
    if let Some(large) = q.large {
        let value = if large == 1 { "1" } else { "0" };
        if let Ok(v) = HeaderValue::from_str(&format!(
            "hc_large={value}; Path=/; SameSite=Lax; Max-Age=31536000"
        )) {
            headers.append(SET_COOKIE, v);
        }
    }
    (
        StatusCode::SEE_OTHER,
        headers,
        [(axum::http::header::LOCATION, back)],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn back_leads_only_to_this_site() {
        for (back, expected) in [
            ("/me", Some("/me")),
            (
                "/regulator?act=policy.published&day=2026-01-01",
                Some("/regulator?act=policy.published&day=2026-01-01"),
            ),
            ("/me/../register", Some("/register")),
            ("/%5Cevil.example/", Some("/%5Cevil.example/")),
        ] {
            assert_eq!(local_path(back).as_deref(), expected, "{back:?}");
        }
        // Each of these is another origin to a browser.
        for back in [
            "//evil.example/",
            "/\\evil.example/",
            "\\\\evil.example",
            "/\t/evil.example/",
            "/\n/evil.example/",
            "/ /evil.example/",
            "https://evil.example/",
            "evil.example",
            "/.//evil.example/",
            "",
        ] {
            let local = local_path(back);
            if let Some(local) = &local {
                let here = url::Url::parse("http://healthcode.invalid/").expect("base");
                let resolved = here.join(local).expect("resolves");
                assert_eq!(resolved.origin(), here.origin(), "{back:?} -> {local:?}");
            }
            assert!(
                local.is_none() || back == "/ /evil.example/",
                "{back:?} was let through as {local:?}"
            );
        }
    }
}
