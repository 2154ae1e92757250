//! Every JSON request body of the API (`healthcode_core`'s request types, and the
//! policy and retention documents the server takes as plain JSON), read the way the
//! server's `Json` extractor reads them (`serde_json::from_slice`), each followed by
//! the pure validation the service runs on it; no database, no state.
//!
//! Where a service validates with a public pure function, that function runs
//! (`ValidCitizen::from_request`, `ResultInput::validate`, the policy compiler and
//! evaluator, the retention schedule and service closure checks, the code and
//! place code verifiers). Where a service checks fields inline, the domain parsers
//! it calls on them run here (document numbers, phones, colours, division codes, RFC
//! 3339 times).
#![no_main]

use healthcode_core::cases::{AppealRequest, OverrideRequest, Resolution};
use healthcode_core::check_ins::{CodeScan, PlaceScan};
use healthcode_core::clock::{china_date, timestamp};
use healthcode_core::disposal::DisposalRequest;
use healthcode_core::facts::{DeclarationRequest, SelfTestRequest};
use healthcode_core::lifecycle::{DeleteAccount, ErasureRequest, KeepAccount, NamePartsRequest};
use healthcode_core::policies::RiskAreaRequest;
use healthcode_core::registration::{RegisterRequest, ValidCitizen};
use healthcode_core::services::ClosureRequest;
use healthcode_core::sessions::LoginRequest;
use healthcode_core::venues::NewVenue;
use healthcode_core::workbench::{OpenTube, ResultInput, SampleScan};
use healthcode_credentials::{code, place};
use healthcode_domain::colour::Colour;
use healthcode_domain::divisions;
use healthcode_domain::facts::PersonFacts;
use healthcode_domain::identity::{Document, DocumentType, normalise_number};
use healthcode_domain::mask::mask_name;
use healthcode_domain::name_parts::NameParts;
use healthcode_domain::person::{PersonName, Phone, check_password};
use healthcode_domain::policy::{CompiledPolicy, Language, PolicyDocument};
use healthcode_domain::retention::{Category, Schedule};
use healthcode_domain::services::{Closure, Notice, ScheduledClosure, Service};
use healthcode_fuzz::{NOW, SKEW, trust_list};
use jiff::Timestamp;
use jiff::civil::Date;
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn body<T: DeserializeOwned>(data: &[u8]) -> Option<T> {
    serde_json::from_slice(data).ok()
}

fn time(text: &str) -> Option<i64> {
    text.parse::<Timestamp>().ok().map(|t| t.as_second())
}

fn document(doc_type: &str, number: &str, today: Date) {
    if let Some(doc_type) = DocumentType::parse(doc_type) {
        let _ = Document::parse(doc_type, number, today);
    }
}

fuzz_target!(|data: &[u8]| {
    let today = china_date(timestamp(NOW));

    // POST /v1/citizens
    if let Some(req) = body::<RegisterRequest>(data) {
        if let Ok(citizen) = ValidCitizen::from_request(&req, today) {
            let _ = mask_name(citizen.name.as_str());
        }
        let _ = check_password(&req.password);
    }
    // POST /v1/sessions
    if let Some(req) = body::<LoginRequest>(data) {
        if let Some(phone) = &req.phone {
            let _ = Phone::parse(phone);
        }
        if let Some(number) = &req.document_number {
            let _ = normalise_number(number);
            for doc_type in DocumentType::ALL {
                let _ = Document::parse(doc_type, number, today);
            }
        }
    }
    // POST /v1/overrides, /v1/me/appeals, /v1/appeals/{id}/resolve
    if let Some(req) = body::<OverrideRequest>(data) {
        let _ = Colour::parse(&req.colour);
        document(&req.document_type, &req.document_number, today);
        let _ = time(&req.expires_at);
    }
    let _ = body::<AppealRequest>(data);
    let _ = body::<Resolution>(data);
    // POST /v1/risk-areas
    if let Some(req) = body::<RiskAreaRequest>(data) {
        let _ = divisions::is_known(&req.scope);
        let _ = time(&req.from);
        let _ = req.until.as_deref().map(time);
    }
    // POST /v1/me/self-tests, /v1/me/declarations
    if let Some(req) = body::<SelfTestRequest>(data) {
        let _ = req.taken_at.as_deref().map(time);
    }
    if let Some(req) = body::<DeclarationRequest>(data) {
        for division in &req.travel {
            let _ = divisions::is_known(division);
        }
    }
    // POST /v1/me/check-ins, /v1/check-ins, /v1/tubes/{id}/samples
    if let Some(req) = body::<PlaceScan>(data) {
        let _ = place::verify_place(&req.place_code, trust_list(), NOW, SKEW);
    }
    if let Some(req) = body::<CodeScan>(data) {
        let _ = code::verify(&req.personal_code, trust_list(), NOW, SKEW);
    }
    if let Some(req) = body::<SampleScan>(data) {
        let _ = code::verify(&req.personal_code, trust_list(), NOW, SKEW);
    }
    // POST /v1/tubes, /v1/results
    let _ = body::<OpenTube>(data);
    if let Some(req) = body::<ResultInput>(data)
        && let Ok(result) = req.validate(NOW, SKEW)
    {
        assert!(result.sample_at <= result.result_at);
    }
    // PUT /v1/me/keep-account, DELETE /v1/me, POST /v1/people/erase
    let _ = body::<KeepAccount>(data);
    let _ = body::<DeleteAccount>(data);
    if let Some(req) = body::<ErasureRequest>(data) {
        document(&req.document_type, &req.document_number, today);
    }
    // PUT /v1/me/name-parts, against the name they split and a stored one
    if let Some(req) = body::<NamePartsRequest>(data) {
        let whole = format!("{}{}", req.surname, req.given_name);
        for name in [whole.as_str(), "欧阳娜娜"] {
            if let Ok(name) = PersonName::parse(name) {
                let _ = NameParts::parse(&name, &req.surname, &req.given_name);
            }
        }
    }
    // POST /v1/disposals
    let _ = body::<DisposalRequest>(data);
    // POST /v1/venues
    if let Some(req) = body::<NewVenue>(data) {
        let _ = divisions::is_known(req.division.trim());
        let _ = divisions::full_name(req.division.trim());
    }
    // POST /v1/services/closures
    if let Some(req) = body::<ClosureRequest>(data) {
        let service = Service::parse(&req.service);
        let closure = Closure::parse(&req.closure);
        let from = time(&req.from);
        let notice = Notice::new(&req.notice_zh, &req.notice_en);
        if let (Some(service), Some(closure), Some(from), Ok(notice)) =
            (service, closure, from, notice)
        {
            let _ = ScheduledClosure::new(service, closure, from, notice, NOW);
        }
    }

    // POST /v1/policies and POST /v1/retention take any JSON value, and the service
    // parses its text.
    if let Some(value) = body::<Value>(data) {
        let text = value.to_string();
        if let Ok(document) = PolicyDocument::from_json(&text)
            && let Ok(policy) = CompiledPolicy::compile(document)
        {
            let evaluation = policy.evaluate(&PersonFacts::default(), &[], &[], timestamp(NOW));
            let _ = evaluation.assessment(Language::En);
            let _ = evaluation.assessment(Language::Zh);
        }
        if let Ok(schedule) = Schedule::from_json(&text) {
            for category in Category::ALL {
                let _ = schedule.first_kept_day(category, timestamp(NOW));
            }
        }
    }
});
