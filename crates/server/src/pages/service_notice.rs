//! Services on a schedule, on the pages: a closed service's page shows its
//! notice in its place (410), a page of a service whose closure is announced
//! shows the notice above the service, and the home page lists them all.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use healthcode_core::services;
use healthcode_core::{AppState, Suspension};
use healthcode_domain::services::{Closure, Service};

use super::text::{Lang, Text, word};
use super::{Prefs, china_time, no_store, page};

/// A notice as a page shows it, in the page's language.
pub struct ShownNotice {
    /// The service's name in the page's language.
    pub service: String,
    /// "This service is suspended", "Service notice"…
    pub heading: &'static str,
    pub text: String,
    /// From when, in China Standard Time.
    pub from: String,
}

fn shown(t: &Text, lang: Lang, s: &Suspension, closed: bool) -> ShownNotice {
    let heading = match (closed, s.closure) {
        (false, _) => t.service_announced,
        (true, Closure::Suspended) => t.service_suspended,
        (true, Closure::Retired) => t.service_retired,
    };
    ShownNotice {
        service: word(&t.services, s.service.as_str()).to_owned(),
        heading,
        text: match lang {
            Lang::Zh => s.notice.zh.clone(),
            Lang::En => s.notice.en.clone(),
        },
        from: china_time(healthcode_core::clock::timestamp(s.since)),
    }
}

/// The notice of `service`'s announced closure, for its page.
pub fn coming(state: &AppState, service: Service, prefs: &Prefs) -> Option<ShownNotice> {
    let t = Text::of(prefs.lang);
    match services::closure(state, service)? {
        (s, false) => Some(shown(t, prefs.lang, &s, false)),
        (_, true) => None,
    }
}

#[derive(Template)]
#[template(path = "closed.html")]
struct ClosedPage<'a> {
    path: &'a str,
    t: &'a Text,
    large: bool,
    notice: ShownNotice,
}

/// The page shown in place of `service` (at `path`) once it is closed: its
/// notice, answered 410; `None` while the service is open.
pub fn closed(state: &AppState, service: Service, path: &str, prefs: &Prefs) -> Option<Response> {
    let (suspension, true) = services::closure(state, service)? else {
        return None;
    };
    let t = Text::of(prefs.lang);
    let mut response = page(&ClosedPage {
        path,
        t,
        large: prefs.large,
        notice: shown(t, prefs.lang, &suspension, true),
    });
    *response.status_mut() = StatusCode::GONE;
    // A 410 may be cached by default; this one ends when the closure does.
    Some(no_store(response))
}

/// Every service that is closed or has a closure announced, for the home page.
pub fn schedule(state: &AppState, prefs: &Prefs) -> Vec<ShownNotice> {
    let t = Text::of(prefs.lang);
    Service::ALL
        .into_iter()
        .filter_map(|service| {
            let (s, closed) = services::closure(state, service)?;
            Some(shown(t, prefs.lang, &s, closed))
        })
        .collect()
}
