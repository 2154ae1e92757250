//! The supervision pages: staff log in with their username, and the
//! regulator (and authorities) read the audit log's newest signed head, search
//! its entries by act, kind of actor and time, and read the override history,
//! the services' schedule history and the disposals with their certificates.
//! Nothing on them is personal: people appear only as the log's pseudonyms.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use healthcode_core::audit::{self, SearchQuery};
use healthcode_core::cases::{OverrideView, list_overrides};
use healthcode_core::disposal::{self, DisposalView};
use healthcode_core::services::{self, ClosureHistoryEntry};
use healthcode_core::sessions::{LoginRequest, end_session, open_session};
use healthcode_core::{AppState, Caller, Error, ErrorCode};
use healthcode_domain::audit::{Act, Entry};
use healthcode_domain::role::Role;
use serde::{Deserialize, Serialize};

use super::text::{Text, word};
use super::{Prefs, china_time, no_store, page, session_cookie};
use crate::auth::{Authenticated, Peer};
use crate::error::ApiError;

#[derive(Template)]
#[template(path = "staff_login.html")]
struct StaffLoginPage<'a> {
    path: &'static str,
    t: &'a Text,
    large: bool,
    error: Option<String>,
    username: &'a str,
}

/// `GET /staff`: the staff login.
pub(super) async fn login_form(headers: HeaderMap) -> Response {
    let prefs = Prefs::from(&headers);
    page(&StaffLoginPage {
        path: "/staff",
        t: Text::of(prefs.lang),
        large: prefs.large,
        error: None,
        username: "",
    })
}

#[derive(Deserialize)]
pub(super) struct StaffLogin {
    username: String,
    password: String,
}

/// Who may read the supervision pages.
const SUPERVISORS: [Role; 2] = [Role::Regulator, Role::Authority];

/// `POST /staff`: a staff login; supervisors go to the supervision page,
/// other roles are told they have no pages here (and their session ends).
pub(super) async fn login(
    State(state): State<AppState>,
    Peer(from): Peer,
    headers: HeaderMap,
    Form(form): Form<StaffLogin>,
) -> Response {
    let request = LoginRequest {
        document_number: None,
        phone: None,
        username: Some(form.username.trim().to_owned()),
        password: form.password,
    };
    let refused = |e: Error| {
        let prefs = Prefs::from(&headers);
        let t = Text::of(prefs.lang);
        let e = ApiError(e);
        let mut response = page(&StaffLoginPage {
            path: "/staff",
            t,
            large: prefs.large,
            error: Some(t.error(e.code())),
            username: &form.username,
        });
        e.apply_to(&mut response);
        response
    };
    let session = match open_session(&state, &request, from).await {
        Ok(session) => session,
        Err(e) => return refused(e),
    };
    if !SUPERVISORS.contains(&session.role) {
        if let Ok(caller) = healthcode_core::sessions::caller(&state, &session.token).await {
            let _ = end_session(&state, &caller).await;
        }
        return refused(Error::forbidden());
    }
    let cookie = session_cookie(&state, &session.token, state.config().session_lifetime);
    ([(SET_COOKIE, cookie)], Redirect::to("/regulator")).into_response()
}

/// The search form's fields, as typed.
#[derive(Deserialize, Serialize, Default, Clone)]
pub(super) struct LogQuery {
    #[serde(default)]
    act: String,
    #[serde(default)]
    actor_kind: String,
    /// A day (China Standard Time), `YYYY-MM-DD`.
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
    before: Option<u64>,
}

/// An entry of the log as the page shows it.
struct Row {
    seq: u64,
    at: String,
    who: String,
    act: &'static str,
    purpose: String,
    subject: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "regulator.html")]
struct SupervisionPage<'a> {
    path: &'static str,
    t: &'a Text,
    large: bool,
    head: Option<audit::SignedTreeHead>,
    head_at: String,
    acts: Vec<&'static str>,
    query: LogQuery,
    error: Option<String>,
    rows: Vec<Row>,
    older: Option<String>,
    overrides: Vec<OverrideView>,
    closures: Vec<ClosureHistoryEntry>,
    disposals: Vec<DisposalView>,
}

impl SupervisionPage<'_> {
    /// Whether `value` is the act chosen in the form.
    fn chosen_act(&self, value: &str) -> bool {
        self.query.act == value
    }

    /// Whether `value` is the kind of actor chosen in the form.
    fn chosen_kind(&self, value: &str) -> bool {
        self.query.actor_kind == value
    }
}

/// A day typed in the form as the RFC 3339 start of that day in China.
fn day_start(day: &str) -> Result<Option<String>, Error> {
    if day.is_empty() {
        return Ok(None);
    }
    let date: jiff::civil::Date = day
        .parse()
        .map_err(|_| Error::new(ErrorCode::RequestInvalidQuery, "a day is YYYY-MM-DD"))?;
    Ok(Some(format!("{date}T00:00:00+08:00")))
}

fn row(t: &Text, entry: &Entry) -> Row {
    let who = match (&entry.actor.role, &entry.actor.account, &entry.actor.job) {
        (Some(role), Some(account), _) => format!("{} {account}", word(&t.roles, role)),
        (_, _, Some(job)) => format!("{} {job}", word(&t.actor_kinds, "job")),
        _ => word(&t.actor_kinds, &entry.actor.kind).to_owned(),
    };
    Row {
        seq: entry.seq,
        at: china_time(healthcode_core::clock::timestamp(entry.at)),
        who,
        act: entry.act.as_str(),
        purpose: entry.purpose.clone().unwrap_or_default(),
        subject: entry.subject.clone().unwrap_or_default(),
        detail: entry
            .detail
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Why the supervision page is not shown.
enum NotASupervisor {
    /// No session: the way to the staff login.
    Login,
    /// Another role.
    Forbidden,
}

impl IntoResponse for NotASupervisor {
    fn into_response(self) -> Response {
        match self {
            NotASupervisor::Login => Redirect::to("/staff").into_response(),
            NotASupervisor::Forbidden => ApiError(Error::forbidden()).into_response(),
        }
    }
}

/// The supervisor behind a page request.
fn supervisor(caller: &Result<Authenticated, ApiError>) -> Result<&Caller, NotASupervisor> {
    let Ok(Authenticated(caller)) = caller else {
        return Err(NotASupervisor::Login);
    };
    caller
        .require(&SUPERVISORS)
        .map_err(|_| NotASupervisor::Forbidden)?;
    Ok(caller)
}

/// `GET /regulator`: the supervision page.
pub(super) async fn supervision(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Result<Authenticated, ApiError>,
    query: Result<Query<LogQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let caller = match supervisor(&caller) {
        Ok(caller) => caller,
        Err(refusal) => return refusal.into_response(),
    };
    let prefs = Prefs::from(&headers);
    let t = Text::of(prefs.lang);
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let loaded = load(&state, caller, t, &query).await;
    let (rows, older, error) = match loaded.search {
        Ok((rows, older)) => (rows, older, None),
        Err(e) => (Vec::new(), None, Some(t.error(e.code()))),
    };
    let head = match audit::latest_head(&state).await {
        Ok(head) => Some(head),
        Err(e) => return ApiError(e).into_response(),
    };
    let Histories {
        overrides,
        closures,
        disposals,
    } = match loaded.histories {
        Ok(histories) => histories,
        Err(e) => return ApiError(e).into_response(),
    };
    let mut acts: Vec<&'static str> = Act::ALL.iter().map(|a| a.as_str()).collect();
    acts.sort_unstable();
    no_store(page(&SupervisionPage {
        path: "/regulator",
        t,
        large: prefs.large,
        head_at: head
            .as_ref()
            .map(|h| china_time(healthcode_core::clock::timestamp(h.timestamp)))
            .unwrap_or_default(),
        head,
        acts,
        query,
        error,
        rows,
        older,
        overrides,
        closures,
        disposals,
    }))
}

/// The histories the supervision page shows.
struct Histories {
    overrides: Vec<OverrideView>,
    closures: Vec<ClosureHistoryEntry>,
    disposals: Vec<DisposalView>,
}

/// What the supervision page reads, apart from the head.
struct Loaded {
    search: Result<(Vec<Row>, Option<String>), Error>,
    histories: Result<Histories, Error>,
}

async fn load(state: &AppState, caller: &Caller, t: &Text, query: &LogQuery) -> Loaded {
    let search = async {
        let search = SearchQuery {
            act: (!query.act.is_empty()).then(|| query.act.clone()),
            actor_kind: (!query.actor_kind.is_empty()).then(|| query.actor_kind.clone()),
            actor_account: None,
            from: day_start(&query.from)?,
            until: day_start(&query.until)?,
            before: query.before,
            limit: Some(50),
        };
        let found = audit::search(state, caller, &search).await?;
        let rows = found
            .entries
            .iter()
            .filter_map(|e| serde_json::from_value::<Entry>(e.entry.clone()).ok())
            .map(|e| row(t, &e))
            .collect();
        let older = match found.next {
            Some(next) => {
                let older = LogQuery {
                    before: Some(next),
                    ..query.clone()
                };
                let encoded = serde_urlencoded::to_string(&older).map_err(Error::internal)?;
                Some(format!("/regulator?{encoded}"))
            }
            None => None,
        };
        Ok((rows, older))
    }
    .await;
    let histories = async {
        Ok(Histories {
            overrides: list_overrides(state, caller).await?,
            closures: services::history(state, caller).await?,
            disposals: disposal::list(state, caller).await?,
        })
    }
    .await;
    Loaded { search, histories }
}
