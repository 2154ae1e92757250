//! The citizen's side of the privacy lifecycle as pages: everything held about
//! me (and the same as a file to download), who looked at my data, and
//! deleting my account for good.
//!
//! The pages only present what the core answers (`lifecycle::export_me`,
//! `access::my_access_log`, `lifecycle::delete_me`), in the page's language;
//! stable names (roles, purposes, kinds of fact) are translated here and shown
//! as they are when the pages do not know them yet. Every one of these pages
//! carries personal data or acts on it, so none is kept by a cache.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_DISPOSITION, SET_COOKIE};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use jiff::Timestamp;
use serde::Deserialize;

use healthcode_core::access::{AccessEntry, AccessLogQuery, my_access_log};
use healthcode_core::lifecycle::{
    self, DeleteAccount, Export, ExportedFact, KeepAccount, NamePartsRequest, NameSplit, delete_me,
    export_me,
};
use healthcode_core::policies::explanation;
use healthcode_core::{AppState, Caller, ErrorCode};
use healthcode_domain::divisions;
use healthcode_domain::facts::Fact;
use healthcode_domain::policy::Language;

use super::text::{Lang, Text, word};
use super::{Prefs, china_time, citizen_of, no_store, page, session_cookie};
use crate::auth::Authenticated;
use crate::error::ApiError;

/// One record as lines of a label and a value.
type Item = Vec<(&'static str, String)>;

/// A part of the data page: a heading over groups of records (facts are
/// grouped by kind; every other part is one group).
struct Section {
    id: &'static str,
    heading: &'static str,
    /// What the part says when nothing is held.
    empty: &'static str,
    groups: Vec<Group>,
}

impl Section {
    fn one(id: &'static str, heading: &'static str, empty: &'static str, items: Vec<Item>) -> Self {
        Section {
            id,
            heading,
            empty,
            groups: vec![Group {
                heading: None,
                items,
            }],
        }
    }

    fn is_empty(&self) -> bool {
        self.groups.iter().all(|g| g.items.is_empty())
    }
}

struct Group {
    heading: Option<&'static str>,
    items: Vec<Item>,
}

/// One line of the access log, in the page's language.
struct AccessRow {
    /// RFC 3339, for the `<time>` element.
    at_iso: String,
    at: String,
    who: String,
    /// The opaque account id of a staff member, to quote in a complaint.
    account: Option<String>,
    why: String,
    what: String,
}

#[derive(Template)]
#[template(path = "data.html")]
struct DataPage<'a> {
    path: &'static str,
    t: &'a Text,
    large: bool,
    sections: Vec<Section>,
    access: Vec<AccessRow>,
    /// Whether the account stays when the epidemic's data is disposed of.
    keep: bool,
    /// The surname and given name shown in their form: as held, or as typed
    /// when the form was refused.
    name: NameSplit,
    /// Why the name form was refused, in the page's language.
    name_error: Option<String>,
}

/// `GET /me/data`: everything held about the citizen, readable, with the
/// download of the same as JSON.
pub(super) async fn data_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Result<Authenticated, ApiError>,
) -> Response {
    let caller = match citizen_of(&caller) {
        Ok(caller) => caller,
        Err(refusal) => return refusal.into_response(),
    };
    render_data_page(&state, &headers, caller, None).await
}

/// The data page, with the name form as refused (what was typed, and why)
/// when there is one.
async fn render_data_page(
    state: &AppState,
    headers: &HeaderMap,
    caller: &Caller,
    refused_name: Option<(NameSplit, ApiError)>,
) -> Response {
    let export = match export_me(state, caller).await {
        Ok(export) => export,
        Err(e) => return no_store(ApiError(e).into_response()),
    };
    let prefs = Prefs::from(headers);
    let t = Text::of(prefs.lang);
    let reasons = reasons_in(state, caller, prefs.lang, &export).await;
    let keep = export.profile.keep_account_since.is_some();
    let sections = sections(t, &export, reasons);
    let access = export.access_log.iter().map(|e| access_row(t, e)).collect();
    let (name, name_error, status) = match refused_name {
        Some((typed, e)) => (typed, Some(t.error(e.code())), Some(e)),
        None => (export.profile.name_parts, None, None),
    };
    let mut response = no_store(page(&DataPage {
        path: "/me/data",
        t,
        large: prefs.large,
        sections,
        access,
        keep,
        name,
        name_error,
    }));
    if let Some(e) = status {
        e.apply_to(&mut response);
    }
    response
}

/// The name form of the my-data page.
#[derive(Deserialize)]
pub(super) struct NameForm {
    surname: String,
    #[serde(default)]
    given_name: String,
}

/// `POST /me/name-parts`: the citizen confirms or corrects their surname and
/// given name; back to the my-data page, or the page again with what was
/// typed and why it was refused.
pub(super) async fn name_parts(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Result<Authenticated, ApiError>,
    Form(form): Form<NameForm>,
) -> Response {
    let caller = match citizen_of(&caller) {
        Ok(caller) => caller,
        Err(refusal) => return refusal.into_response(),
    };
    let request = NamePartsRequest {
        surname: form.surname,
        given_name: form.given_name,
    };
    match lifecycle::set_name_parts(&state, caller, &request).await {
        Ok(_) => Redirect::to("/me/data#name-parts").into_response(),
        Err(e) => {
            let typed = NameSplit {
                surname: request.surname,
                given_name: request.given_name,
                confirmed: false,
            };
            render_data_page(&state, &headers, caller, Some((typed, ApiError(e)))).await
        }
    }
}

/// The choice of the my-data page's form: the box ticked or not.
#[derive(Deserialize)]
pub(super) struct KeepForm {
    keep: Option<String>,
}

/// `POST /me/keep-account`: whether the account outlives the epidemic's
/// data; back to the my-data page, which shows the choice.
pub(super) async fn keep_account(
    State(state): State<AppState>,
    caller: Result<Authenticated, ApiError>,
    Form(form): Form<KeepForm>,
) -> Response {
    let caller = match citizen_of(&caller) {
        Ok(caller) => caller,
        Err(refusal) => return refusal.into_response(),
    };
    let choice = KeepAccount {
        keep: form.keep.is_some(),
    };
    match lifecycle::keep_account(&state, caller, &choice).await {
        Ok(_) => Redirect::to("/me/data#keep-account").into_response(),
        Err(e) => ApiError(e).into_response(),
    }
}

/// `GET /me/data/export.json`: the document of `GET /v1/me/export`, as a file
/// to keep (the page cannot send a bearer token, so the download needs its own
/// route behind the session cookie).
pub(super) async fn export_file(
    State(state): State<AppState>,
    caller: Result<Authenticated, ApiError>,
) -> Response {
    let caller = match citizen_of(&caller) {
        Ok(caller) => caller,
        Err(refusal) => return refusal.into_response(),
    };
    no_store(match export_me(&state, caller).await {
        Ok(export) => (
            [(
                CONTENT_DISPOSITION,
                "attachment; filename=\"healthcode-export.json\"",
            )],
            Json(export),
        )
            .into_response(),
        Err(e) => ApiError(e).into_response(),
    })
}

/// The reasons for the stored colour in the page's language. Stored reasons
/// are in English only; the policy's explanation has both languages, and is
/// used when it explains the colour held (otherwise the stored words are shown,
/// since they are what is held).
async fn reasons_in(state: &AppState, caller: &Caller, lang: Lang, export: &Export) -> Vec<String> {
    let Some(status) = &export.status else {
        return Vec::new();
    };
    let language = match lang {
        Lang::Zh => Language::Zh,
        Lang::En => Language::En,
    };
    match explanation(state, caller, language).await {
        Ok(explained) if explained.colour == status.colour => explained
            .reasons
            .iter()
            .map(|r| {
                let part = |name: &str| r.get(name).and_then(|v| v.as_str()).unwrap_or_default();
                format!("{} {}", part("message"), part("advice"))
                    .trim()
                    .to_owned()
            })
            .collect(),
        _ => status.reasons.iter().map(|r| r.message.clone()).collect(),
    }
}

/// The parts of the data page, in the order of the export.
fn sections(t: &Text, export: &Export, reasons: Vec<String>) -> Vec<Section> {
    let p = &export.profile;
    let mut profile = vec![
        (t.name_label, p.name.clone()),
        (
            t.document_type_label,
            word(&t.document_types, &p.document_type).to_owned(),
        ),
        (t.document_number_label, p.document_number.clone()),
        (t.phone_label, p.phone.clone()),
    ];
    if let Some(address) = &p.address {
        profile.push((t.address_label, address.clone()));
    }
    profile.push((t.registered_at, when(&p.registered_at)));

    let status = export.status.as_ref().map(|s| {
        let mut item = vec![
            (t.colour_label, t.colour_named(&s.colour).to_owned()),
            (t.policy_version, s.policy_version.clone()),
            (t.computed_at, when(&s.computed_at)),
        ];
        if let Some(until) = &s.valid_until {
            item.push((t.valid_until, when(until)));
        }
        item.extend(reasons.into_iter().map(|r| (t.reason, r)));
        item
    });

    // Facts by kind: the known kinds in a fixed order, then any newer kind.
    let mut kinds: Vec<&str> = t.fact_kinds.iter().map(|(kind, _)| *kind).collect();
    for fact in &export.facts {
        if !kinds.contains(&fact.kind.as_str()) {
            kinds.push(&fact.kind);
        }
    }
    let facts = kinds
        .into_iter()
        .map(|kind| Group {
            heading: Some(
                t.fact_kinds
                    .iter()
                    .find(|(k, _)| *k == kind)
                    .map_or(t.content, |(_, w)| w),
            ),
            items: export
                .facts
                .iter()
                .filter(|f| f.kind == kind)
                .map(|f| fact_item(t, f))
                .collect(),
        })
        .filter(|g| !g.items.is_empty())
        .collect();

    let check_ins = export
        .check_ins
        .iter()
        .map(|c| {
            vec![
                (t.at, when(&c.at)),
                (t.venue, c.venue_name.clone()),
                (t.division, division(&c.division)),
                (t.how, word(&t.check_in_sources, &c.source).to_owned()),
            ]
        })
        .collect();
    let overrides = export
        .overrides
        .iter()
        .map(|o| {
            let mut item = vec![
                (t.colour_label, t.colour_named(&o.colour).to_owned()),
                (t.justification, o.justification.clone()),
                (t.requested_at, when(&o.requested_at)),
                (t.requested_by, o.requested_by.clone()),
            ];
            match (&o.approved_at, &o.approved_by) {
                (Some(at), by) => {
                    item.push((t.approved_at, when(at)));
                    if let Some(by) = by {
                        item.push((t.approved_by, by.clone()));
                    }
                }
                (None, _) => item.push((t.approved_at, t.awaiting_approval.to_owned())),
            }
            item.push((t.expires_at, when(&o.expires_at)));
            item
        })
        .collect();
    let appeals = export
        .appeals
        .iter()
        .map(|a| {
            let mut item = vec![
                (t.filed_at, when(&a.filed_at)),
                (t.appealed_colour, t.colour_named(&a.colour).to_owned()),
                (t.appeal_text, a.text.clone()),
                (
                    t.appeal_status,
                    word(&t.appeal_statuses, &a.status).to_owned(),
                ),
            ];
            if let Some(resolution) = &a.resolution {
                item.push((t.resolution, resolution.clone()));
            }
            if let Some(at) = &a.resolved_at {
                item.push((t.resolved_at, when(at)));
            }
            item
        })
        .collect();
    let samples = export
        .samples
        .iter()
        .map(|s| {
            vec![
                (t.tube, s.tube_id.clone()),
                (t.sampled_at, when(&s.added_at)),
                (
                    t.outcome,
                    s.outcome
                        .as_deref()
                        .map_or(t.awaiting_result, |o| word(&t.outcomes, o))
                        .to_owned(),
                ),
            ]
        })
        .collect();
    let sessions = export
        .sessions
        .iter()
        .map(|s| {
            vec![
                (t.opened_at, when(&s.opened_at)),
                (t.expires_at, when(&s.expires_at)),
            ]
        })
        .collect();

    vec![
        Section::one("profile", t.profile_heading, t.nothing_held, vec![profile]),
        Section::one(
            "status",
            t.status_heading,
            t.not_assessed,
            status.into_iter().collect(),
        ),
        Section {
            id: "facts",
            heading: t.facts_heading,
            empty: t.nothing_held,
            groups: facts,
        },
        Section::one("check-ins", t.check_ins_heading, t.nothing_held, check_ins),
        Section::one("overrides", t.overrides_heading, t.nothing_held, overrides),
        Section::one("appeals", t.appeals_heading, t.nothing_held, appeals),
        Section::one("samples", t.samples_heading, t.nothing_held, samples),
        Section::one("sessions", t.sessions_heading, t.nothing_held, sessions),
    ]
}

/// A fact: when and from whom it came, then what it says.
fn fact_item(t: &Text, f: &ExportedFact) -> Item {
    let mut item = vec![
        (t.recorded_at, when(&f.recorded_at)),
        (t.source, word(&t.fact_sources, &f.source).to_owned()),
    ];
    match serde_json::from_value::<Fact>(f.fact.clone()) {
        Ok(fact) => item.extend(fact_lines(t, &fact)),
        // A form newer than the pages: shown as held rather than hidden.
        Err(_) => item.push((t.content, f.fact.to_string())),
    }
    item
}

fn fact_lines(t: &Text, fact: &Fact) -> Item {
    let outcome = |positive: bool| {
        word(&t.outcomes, if positive { "positive" } else { "negative" }).to_owned()
    };
    let list = |words: Vec<String>| {
        if words.is_empty() {
            t.none.to_owned()
        } else {
            words.join(t.list_separator)
        }
    };
    match fact {
        Fact::TestResult(r) => {
            let mut lines = vec![
                (t.test_kind, word(&t.test_kinds, r.kind.as_str()).to_owned()),
                (t.outcome, word(&t.outcomes, r.outcome.as_str()).to_owned()),
                (t.sampled_at, china_time(r.sample_at)),
                (t.result_at, china_time(r.result_at)),
                (t.laboratory, r.laboratory.clone()),
            ];
            if r.pooled {
                lines.push((t.pooled, t.yes.to_owned()));
            }
            lines
        }
        Fact::SelfTest(s) => vec![
            (t.taken_at, china_time(s.at)),
            (t.outcome, outcome(s.positive)),
        ],
        Fact::Declaration(d) => vec![
            (t.declared_at, china_time(d.at)),
            (
                t.symptoms_label,
                list(
                    d.symptoms
                        .iter()
                        .map(|s| word(&t.symptoms, s).to_owned())
                        .collect(),
                ),
            ),
            (
                t.temperature,
                d.temperature_tenths_c.map_or(t.none.to_owned(), |tenths| {
                    format!("{:.1} °C", f64::from(tenths) / 10.0)
                }),
            ),
            (
                t.travel,
                list(d.travel.iter().map(|code| division(code)).collect()),
            ),
        ],
        Fact::Vaccination(v) => vec![
            (t.product, v.product.clone()),
            (t.dose, t.dose_of(v.dose, v.of)),
            (t.vaccinated_on, v.date.to_string()),
        ],
        Fact::Designation(d) => vec![
            (
                t.designation,
                word(&t.designations, d.kind.as_str()).to_owned(),
            ),
            (t.since, china_time(d.since)),
            (t.until, d.until.map_or(t.not_lifted.to_owned(), china_time)),
        ],
        Fact::PendingRetest(p) => vec![(t.pool, p.pool_id.clone()), (t.since, china_time(p.since))],
    }
}

/// A division by its name and code, or its code alone when unknown.
fn division(code: &str) -> String {
    match divisions::full_name(code) {
        Some(name) => format!("{name} ({code})"),
        None => code.to_owned(),
    }
}

/// An RFC 3339 time of the export as [`china_time`]; shown as it is if it is
/// not one.
fn when(rfc3339: &str) -> String {
    rfc3339
        .parse::<Timestamp>()
        .map_or_else(|_| rfc3339.to_owned(), china_time)
}

/// An entry of the access log in the page's language: a staff member by role
/// and opaque account id (never a name), a job by its name.
fn access_row(t: &Text, e: &AccessEntry) -> AccessRow {
    let role = e.actor_role.as_deref().unwrap_or_default();
    let who = match e.actor_kind.as_str() {
        "staff" => word(&t.roles, role).to_owned(),
        "job" => format!("{} ({role})", word(&t.actor_kinds, "job")),
        other => word(&t.actor_kinds, other).to_owned(),
    };
    AccessRow {
        at_iso: e.at.clone(),
        at: when(&e.at),
        who,
        account: e.actor_account.clone(),
        why: word(&t.purposes, &e.purpose).to_owned(),
        what: e
            .fields
            .iter()
            .map(|f| word(&t.data_fields, f))
            .collect::<Vec<_>>()
            .join(t.list_separator),
    }
}

#[derive(Template)]
#[template(path = "access_log.html")]
struct AccessLogPage<'a> {
    path: String,
    t: &'a Text,
    large: bool,
    error: Option<String>,
    access: Vec<AccessRow>,
    /// The cursor of the next (older) page, if there is one.
    next: Option<String>,
}

/// Query of `GET /me/access-log`.
#[derive(Deserialize)]
pub(super) struct AccessLogPageQuery {
    /// The `next` cursor of the page before, for older entries.
    before: Option<String>,
}

/// `GET /me/access-log`: who opened the citizen's data, newest first, a page
/// at a time.
pub(super) async fn access_log_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Result<Authenticated, ApiError>,
    query: Result<Query<AccessLogPageQuery>, QueryRejection>,
) -> Response {
    let caller = match citizen_of(&caller) {
        Ok(caller) => caller,
        Err(refusal) => return refusal.into_response(),
    };
    let prefs = Prefs::from(&headers);
    let t = Text::of(prefs.lang);
    let mut view = AccessLogPage {
        path: "/me/access-log".to_owned(),
        t,
        large: prefs.large,
        error: None,
        access: Vec::new(),
        next: None,
    };
    let query = match query {
        Ok(Query(q)) => AccessLogQuery {
            before: q.before,
            limit: None,
        },
        Err(_) => {
            let mut response = page(&AccessLogPage {
                error: Some(t.error(ErrorCode::RequestInvalidQuery)),
                ..view
            });
            *response.status_mut() = crate::status_of(ErrorCode::RequestInvalidQuery);
            return no_store(response);
        }
    };
    match my_access_log(&state, caller, &query).await {
        Ok(log) => {
            // The cursor is checked by the core: the language switch may
            // bring the person back to this very page.
            if let Some(before) = &query.before {
                view.path = format!("/me/access-log?before={before}");
            }
            view.access = log.entries.iter().map(|e| access_row(t, e)).collect();
            view.next = log.next;
            no_store(page(&view))
        }
        Err(e) => {
            let e = ApiError(e);
            view.error = Some(t.error(e.code()));
            let mut response = page(&view);
            e.apply_to(&mut response);
            no_store(response)
        }
    }
}

#[derive(Template)]
#[template(path = "delete.html")]
struct DeletePage<'a> {
    path: &'static str,
    t: &'a Text,
    large: bool,
    error: Option<String>,
    /// Whether "I understand this cannot be undone" is ticked.
    understood: bool,
}

/// `GET /me/delete`: what deleting the account means, and the form to do it.
pub(super) async fn delete_form(
    headers: HeaderMap,
    caller: Result<Authenticated, ApiError>,
) -> Response {
    if let Err(refusal) = citizen_of(&caller) {
        return refusal.into_response();
    }
    let prefs = Prefs::from(&headers);
    no_store(page(&DeletePage {
        path: "/me/delete",
        t: Text::of(prefs.lang),
        large: prefs.large,
        error: None,
        understood: false,
    }))
}

/// The deletion form. Both fields may be missing: the page answers a missing
/// password or an unticked box itself, in the person's language.
#[derive(Deserialize)]
pub(super) struct DeleteForm {
    #[serde(default)]
    password: String,
    /// Sent only when the box is ticked.
    understood: Option<String>,
}

/// `POST /me/delete`: deletes the account for good once the box is ticked and
/// the password is right; then the session cookie goes and the person lands on
/// the home page with a notice. A refusal shows the page again with the error,
/// the box as it was, and never the password.
pub(super) async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Result<Authenticated, ApiError>,
    Form(form): Form<DeleteForm>,
) -> Response {
    let caller = match citizen_of(&caller) {
        Ok(caller) => caller,
        Err(refusal) => return refusal.into_response(),
    };
    let prefs = Prefs::from(&headers);
    let t = Text::of(prefs.lang);
    let understood = form.understood.is_some();
    let (status, error) = if understood {
        let request = DeleteAccount {
            password: form.password,
        };
        match delete_me(&state, caller, &request).await {
            Ok(()) => {
                return (
                    [(SET_COOKIE, session_cookie(&state, "", 0))],
                    Redirect::to("/?deleted=1"),
                )
                    .into_response();
            }
            Err(e) => {
                let e = ApiError(e);
                (e.status(), t.error(e.code()))
            }
        }
    } else {
        // Nothing is checked, not even the password, until the person says
        // they understand.
        let code = ErrorCode::RequestInvalidField;
        (
            crate::status_of(code),
            format!("{} ({code})", t.delete_unconfirmed),
        )
    };
    let mut response = page(&DeletePage {
        path: "/me/delete",
        t,
        large: prefs.large,
        error: Some(error),
        understood,
    });
    *response.status_mut() = status;
    no_store(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: &str, role: Option<&str>, account: Option<&str>, purpose: &str) -> AccessEntry {
        AccessEntry {
            at: "2026-11-27T00:00:05Z".to_owned(),
            actor_kind: kind.to_owned(),
            actor_role: role.map(str::to_owned),
            actor_account: account.map(str::to_owned),
            purpose: purpose.to_owned(),
            fields: vec!["colour".to_owned(), "masked_name".to_owned()],
        }
    }

    #[test]
    fn facts_read_in_the_page_language() {
        use healthcode_domain::facts::{
            Declaration, Provenance, SourceKind, TestKind, TestOutcome, TestResult,
        };
        let at = |text: &str| text.parse::<Timestamp>().expect("time");
        let provenance =
            Provenance::epidemic(SourceKind::Laboratory, "lab-1", at("2026-11-27T02:00:00Z"));
        let result = Fact::TestResult(TestResult {
            id: "f1".to_owned(),
            kind: TestKind::Pcr,
            sample_at: at("2026-11-26T23:00:00Z"),
            result_at: at("2026-11-27T02:00:00Z"),
            outcome: TestOutcome::Negative,
            laboratory: "Xiamen CDC".to_owned(),
            pooled: true,
            provenance: provenance.clone(),
        });
        assert_eq!(
            fact_lines(Text::of(Lang::Zh), &result),
            vec![
                ("检测类型", "核酸检测".to_owned()),
                ("结果", "阴性".to_owned()),
                ("采样时间", "2026-11-27 07:00".to_owned()),
                ("出结果时间", "2026-11-27 10:00".to_owned()),
                ("检测机构", "Xiamen CDC".to_owned()),
                ("混管检测", "是".to_owned()),
            ]
        );
        let declaration = Fact::Declaration(Declaration {
            id: "f2".to_owned(),
            at: at("2026-11-27T02:00:00Z"),
            symptoms: vec!["fever".to_owned(), "dry_cough".to_owned()],
            temperature_tenths_c: Some(381),
            travel: Vec::new(),
            provenance,
        });
        assert_eq!(
            fact_lines(Text::of(Lang::En), &declaration)[1..],
            [
                ("Symptoms", "Fever, Dry cough".to_owned()),
                ("Temperature", "38.1 °C".to_owned()),
                ("Travel", "None".to_owned()),
            ]
        );
    }

    #[test]
    fn times_read_as_china_standard_time() {
        assert_eq!(when("2026-11-27T16:30:00Z"), "2026-11-28 00:30");
        assert_eq!(when("not a time"), "not a time");
    }

    #[test]
    fn access_entries_read_in_the_page_language() {
        let checker = entry("staff", Some("checker"), Some("acc-1"), "check_in");
        let zh = access_row(Text::of(Lang::Zh), &checker);
        assert_eq!(
            (
                zh.at.as_str(),
                zh.who.as_str(),
                zh.why.as_str(),
                zh.what.as_str()
            ),
            (
                "2026-11-27 08:00",
                "扫码查验人员",
                "场所扫码登记",
                "健康码颜色、隐去部分的姓名"
            )
        );
        assert_eq!(zh.account.as_deref(), Some("acc-1"));
        let en = access_row(Text::of(Lang::En), &checker);
        assert_eq!(
            (en.who.as_str(), en.why.as_str(), en.what.as_str()),
            ("Checker", "Check-in", "Code colour, Partly hidden name")
        );
        let sweep = access_row(
            Text::of(Lang::En),
            &entry("job", Some("sweep"), None, "recompute"),
        );
        assert_eq!(
            (sweep.who.as_str(), sweep.account),
            ("Automatic job (sweep)", None)
        );
        // A purpose newer than the pages shows by its stable name.
        let newer = access_row(Text::of(Lang::Zh), &entry("operator", None, None, "audit"));
        assert_eq!(
            (newer.who.as_str(), newer.why.as_str()),
            ("系统运维人员", "audit")
        );
    }
}
