//! Venues, place codes and check-ins end to end, on every backend: venue
//! registration and printable place codes, citizens checking in by place code,
//! checkers and venues scanning personal codes, idempotency, rejected codes,
//! counts-only answers for venues, authorization of every route and role, and
//! the group-commit writer under concurrency.

use std::collections::HashSet;
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use healthcode_core::config::ServerConfig;
use healthcode_credentials::keys::SigningKey;
use healthcode_credentials::place::{self, PlaceClaims};
use healthcode_domain::facts::{Provenance, RiskArea, RiskLevel, RiskScope, SourceKind};
use healthcode_domain::role::Role;
use healthcode_store::Backend;
use healthcode_tests::{TestApp, TestCitizen, backends};
use jiff::civil::date;
use serde_json::{Value, json};

/// Registers citizen `i` (张三明, Fuzhou resident ID) and logs them in.
async fn citizen(app: &TestApp, i: u16) -> TestCitizen {
    let phone = format!("1370000{i:04}");
    app.citizen("张三明", "350102", date(1990, 1, 1), 300 + i, &phone)
        .await
}

/// Registers a venue with a venue account's token; returns the answer.
async fn venue(app: &TestApp, token: &str, name: &str, division: &str) -> Value {
    let (status, body) = app
        .call(
            Method::POST,
            "/v1/venues",
            Some(token),
            Some(json!({ "name": name, "address": "鼓楼区五四路 100 号", "division": division })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn personal_code(app: &TestApp, token: &str) -> String {
    let (status, body) = app
        .call(Method::GET, "/v1/me/code", Some(token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["payload"].as_str().expect("payload").to_owned()
}

/// A new personal code: the server serves the same signed code again for
/// `code_reuse` seconds, so the clock moves past them first.
async fn fresh_code(app: &TestApp, token: &str) -> String {
    app.clock
        .advance(ServerConfig::default().code_reuse.saturating_add(1));
    personal_code(app, token).await
}

async fn check_in(
    app: &TestApp,
    token: &str,
    place_code: &str,
    scan_id: Option<&str>,
) -> (StatusCode, Value) {
    let mut body = json!({ "place_code": place_code });
    if let Some(scan) = scan_id {
        body["scan_id"] = json!(scan);
    }
    app.call(Method::POST, "/v1/me/check-ins", Some(token), Some(body))
        .await
}

async fn itinerary(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, body) = app
        .call(Method::GET, "/v1/me/check-ins", Some(token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["check_ins"].as_array().expect("list").clone()
}

/// Sessions that outlive the days a test moves the clock by.
fn long_sessions() -> ServerConfig {
    ServerConfig {
        session_lifetime: 30 * 86_400,
        ..ServerConfig::default()
    }
}

fn place_claims(venue_id: &str, now: i64) -> PlaceClaims {
    PlaceClaims {
        issuer: "350000".to_owned(),
        venue_id: venue_id.to_owned(),
        venue_name: "伪造的场所".to_owned(),
        division: "350102".to_owned(),
        issued_at: now,
        expires_at: None,
    }
}

#[tokio::test]
async fn venues_register_and_get_a_printable_place_code_that_verifies() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let owner = app.staff("venue-a", Role::Venue).await;
        let created = venue(&app, &owner, "鼓楼区图书馆", "350102").await;
        let id = created["id"].as_str().expect("id");
        assert_eq!(id.len(), 22, "128 random bits in base64url");
        assert_eq!(created["division_name"], "福建省 福州市 鼓楼区");
        assert!(
            created["svg"]
                .as_str()
                .is_some_and(|s| s.starts_with("<svg"))
        );
        let payload = created["place_code"].as_str().expect("payload");
        assert!(payload.starts_with(place::PREFIX));
        assert!(
            healthcode_credentials::qr::version(payload).expect("qr") <= 10,
            "a realistic place code fits QR version 10"
        );

        let verified = place::verify_place(payload, &app.state.trust_list(), app.state.now(), 30)
            .expect("verifies offline against the published trust list");
        assert_eq!(verified.claims.venue_id, id);
        assert_eq!(verified.claims.venue_name, "鼓楼区图书馆");
        assert_eq!(verified.claims.division, "350102");
        assert_eq!(verified.claims.expires_at, None, "long-lived");

        // Printing again gives the very same code.
        app.clock.advance(3600);
        let (status, printed) = app
            .call(
                Method::GET,
                &format!("/v1/venues/{id}/place-code"),
                Some(&owner),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{printed}");
        assert_eq!(printed["payload"], payload);
        assert!(
            printed["svg"]
                .as_str()
                .is_some_and(|s| s.starts_with("<svg"))
        );

        let (status, list) = app
            .call(Method::GET, "/v1/venues", Some(&owner), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list["venues"].as_array().map(Vec::len), Some(1));
        assert_eq!(list["venues"][0]["id"], id);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn venue_registration_validates_every_field_and_writes_nothing_on_error() {
    let app = TestApp::new(Backend::Sqlite).await;
    let owner = app.staff("venue-a", Role::Venue).await;
    let good = json!({ "name": "鼓楼区图书馆", "address": "五四路 100 号", "division": "350102" });
    let with = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    let cases = [
        (with("name", json!("")), "venue.name"),
        (with("name", json!("   ")), "venue.name"),
        (with("name", json!("图".repeat(22))), "venue.name"),
        (with("name", json!("Shop\u{202E}evil")), "venue.name"),
        (with("name", json!("Line\nbreak")), "venue.name"),
        (with("address", json!("")), "venue.address"),
        (with("address", json!("路".repeat(201))), "venue.address"),
        (with("division", json!("35010")), "venue.division"),
        (with("division", json!("350199")), "venue.division"),
        (with("division", json!("110101")), "venue.division"),
        (with("division", json!("３５０１０２")), "venue.division"),
        (with("name", json!(7)), "request.invalid_field"),
        (with("extra", json!(1)), "request.invalid_field"),
    ];
    for (body, code) in cases {
        let (status, answer) = app
            .call(Method::POST, "/v1/venues", Some(&owner), Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{body}");
    }
    let (_, list) = app
        .call(Method::GET, "/v1/venues", Some(&owner), None)
        .await;
    assert_eq!(list["venues"], json!([]), "nothing was written");
    // Names are trimmed, and 21 Chinese characters are the most.
    let (status, body) = app
        .call(
            Method::POST,
            "/v1/venues",
            Some(&owner),
            Some(with("name", json!(format!(" {} ", "图".repeat(21))))),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["name"], "图".repeat(21));
    app.cleanup().await;
}

#[tokio::test]
async fn citizens_check_in_and_the_same_scan_twice_is_one_check_in() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let owner = app.staff("venue-a", Role::Venue).await;
        let created = venue(&app, &owner, "鼓楼区图书馆", "350102").await;
        let payload = created["place_code"].as_str().expect("payload");
        let venue_id = created["id"].as_str().expect("id");
        let alice = citizen(&app, 1).await;
        let t0 = app.state.now();

        let (status, first) = check_in(&app, &alice.token, payload, Some("scan-0001")).await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        assert_eq!(first["repeat"], false);
        assert_eq!(first["venue_name"], "鼓楼区图书馆");
        assert_eq!(first["venue_id"], venue_id);
        assert_eq!(first["division"], "350102");
        assert_eq!(
            first["at"],
            jiff::Timestamp::from_second(t0).expect("t").to_string()
        );
        let first_id = first["check_in_id"].as_str().expect("id").to_owned();
        assert!(
            !first_id.contains(&alice.person_id),
            "the id reveals nothing"
        );

        // The same scan submitted again, later: one check-in, same id and time.
        app.clock.advance(90);
        let (status, again) = check_in(&app, &alice.token, payload, Some("scan-0001")).await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(again["repeat"], true);
        assert_eq!(again["check_in_id"], first_id.as_str());
        assert_eq!(again["at"], first["at"]);
        // Another scan (another scan_id) is another check-in.
        let (status, other) = check_in(&app, &alice.token, payload, Some("scan-0002")).await;
        assert_eq!(status, StatusCode::CREATED, "{other}");
        assert_ne!(other["check_in_id"], first_id.as_str());

        // Without a scan_id, scans in the same 10-minute window are one.
        let (status, a) = check_in(&app, &alice.token, payload, None).await;
        assert_eq!(status, StatusCode::CREATED, "{a}");
        app.clock.advance(60);
        let (status, b) = check_in(&app, &alice.token, payload, None).await;
        assert_eq!(
            (status, &b["check_in_id"]),
            (StatusCode::OK, &a["check_in_id"])
        );
        app.clock.advance(600);
        let (status, c) = check_in(&app, &alice.token, payload, None).await;
        assert_eq!(status, StatusCode::CREATED, "a later window: {c}");
        assert_eq!(app.state.store().count_check_ins().await.expect("count"), 4);

        // The citizen sees their itinerary: places and times, newest first.
        let list = itinerary(&app, &alice.token).await;
        assert_eq!(list.len(), 4);
        assert_eq!(list[0]["check_in_id"], c["check_in_id"]);
        assert_eq!(list[3]["check_in_id"], first_id.as_str());
        assert_eq!(list[0]["venue_name"], "鼓楼区图书馆");
        assert_eq!(list[0]["division_name"], "福建省 福州市 鼓楼区");
        assert_eq!(list[0]["source"], "place_code");
        // Nobody else's.
        let bob = citizen(&app, 2).await;
        assert!(itinerary(&app, &bob.token).await.is_empty());
        app.cleanup().await;
    }
}

#[tokio::test]
async fn bad_forged_expired_and_wrong_type_codes_are_refused_with_stable_codes() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let owner = app.staff("venue-a", Role::Venue).await;
        let checker = app.staff("checker", Role::Checker).await;
        let created = venue(&app, &owner, "鼓楼区图书馆", "350102").await;
        let genuine = created["place_code"].as_str().expect("payload").to_owned();
        let venue_id = created["id"].as_str().expect("id").to_owned();
        app.bind_checker(&owner, &venue_id, "checker").await;
        let alice = citizen(&app, 1).await;
        let now = app.state.now();
        let keyring = app.state.keyring();
        let our_key = keyring.signer.as_ref().expect("signer");
        let (stranger_key, _) = SigningKey::generate().expect("key");

        let mut tampered = genuine.clone().into_bytes();
        let i = tampered.len() - 20;
        tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).expect("ascii");
        let forged =
            place::issue_place(&place_claims(&venue_id, now), &stranger_key).expect("sign");
        let expiring = place::issue_place(
            &PlaceClaims {
                expires_at: Some(now + 60),
                ..place_claims(&venue_id, now - 10)
            },
            our_key,
        )
        .expect("sign");
        let other_province = place::issue_place(
            &PlaceClaims {
                issuer: "110000".to_owned(),
                division: "110101".to_owned(),
                ..place_claims(&venue_id, now)
            },
            our_key,
        )
        .expect("sign");
        let unregistered =
            place::issue_place(&place_claims("no-such-venue", now), our_key).expect("sign");
        let personal = personal_code(&app, &alice.token).await;

        let (status, ok) = check_in(&app, &alice.token, &expiring, None).await;
        assert_eq!(status, StatusCode::CREATED, "an unexpired code works: {ok}");
        let cases: [(&str, &str, StatusCode); 8] = [
            (
                "garbage",
                "code.malformed",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            ("", "code.malformed", StatusCode::UNPROCESSABLE_ENTITY),
            (
                &personal,
                "code.malformed",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                &forged,
                "code.unknown_key",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                &other_province,
                "code.wrong_issuer",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (&unregistered, "venue.unknown", StatusCode::NOT_FOUND),
            (
                &"A".repeat(5000),
                "code.malformed",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (&tampered, "", StatusCode::UNPROCESSABLE_ENTITY),
        ];
        for (payload, code, expected) in cases {
            let (status, body) = check_in(&app, &alice.token, payload, None).await;
            assert_eq!(status, expected, "{body}");
            let got = body["error"]["code"].as_str().expect("code");
            if code.is_empty() {
                assert!(
                    got == "code.bad_signature" || got == "code.malformed",
                    "tampered: {got}"
                );
            } else {
                assert_eq!(got, code);
            }
        }
        // A personal code's wrong-type rejection says so in its message.
        let (_, body) = check_in(&app, &alice.token, &personal, None).await;
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("wrong token type")),
            "{body}"
        );

        // Past its expiry (plus skew) the expiring code is refused.
        app.clock.advance(60 + 30);
        let (status, body) = check_in(&app, &alice.token, &expiring, Some("late")).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("code.expired"))
        );

        // The checker route: a place code instead of a personal code, and an
        // expired personal code (a screenshot).
        let scan = |code: &str| json!({ "personal_code": code, "venue_id": venue_id });
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/check-ins",
                Some(&checker),
                Some(scan(&genuine)),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("code.malformed"))
        );
        app.clock.advance(180 + 30);
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/check-ins",
                Some(&checker),
                Some(scan(&personal)),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("code.expired"))
        );
        let (status, body) = check_in(&app, &alice.token, &genuine, Some("bad scan id!")).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("check_in.scan_id"))
        );
        assert_eq!(
            app.state.store().count_check_ins().await.expect("count"),
            1,
            "only the one valid check-in was stored"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_scanned_personal_code_records_a_check_in_for_the_right_person() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let owner_a = app.staff("venue-a", Role::Venue).await;
        let owner_b = app.staff("venue-b", Role::Venue).await;
        let checker = app.staff("checker", Role::Checker).await;
        let a = venue(&app, &owner_a, "鼓楼区图书馆", "350102").await;
        let b = venue(&app, &owner_b, "台江万达", "350103").await;
        let a_id = a["id"].as_str().expect("id");
        let b_id = b["id"].as_str().expect("id");
        app.bind_checker(&owner_a, a_id, "checker").await;
        let alice = citizen(&app, 1).await;
        let bob = citizen(&app, 2).await;
        let code = personal_code(&app, &alice.token).await;

        let (status, scanned) = app
            .call(
                Method::POST,
                "/v1/check-ins",
                Some(&checker),
                Some(json!({ "personal_code": code, "venue_id": a_id, "scan_id": "gate-1-0001" })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{scanned}");
        assert_eq!(scanned["colour"], "green");
        assert_eq!(scanned["masked_name"], "张*明");
        assert_eq!(scanned["check_in"]["repeat"], false);
        assert_eq!(scanned["check_in"]["venue_name"], "鼓楼区图书馆");
        let text = scanned.to_string();
        for secret in [alice.person_id.as_str(), alice.phone.as_str(), "张三明"] {
            assert!(!text.contains(secret), "the checker sees no {secret}");
        }

        // Recorded for Alice, and only for her.
        let alice_list = itinerary(&app, &alice.token).await;
        assert_eq!(alice_list.len(), 1);
        assert_eq!(
            alice_list[0]["check_in_id"],
            scanned["check_in"]["check_in_id"]
        );
        assert_eq!(alice_list[0]["source"], "personal_code");
        assert!(itinerary(&app, &bob.token).await.is_empty());

        // The venue itself may scan at its own venue (a fresh code: each
        // records one check-in)…
        let code = fresh_code(&app, &alice.token).await;
        let (status, own) = app
            .call(
                Method::POST,
                "/v1/check-ins",
                Some(&owner_b),
                Some(json!({ "personal_code": code, "venue_id": b_id })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{own}");
        // …and not at another venue.
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/check-ins",
                Some(&owner_b),
                Some(json!({ "personal_code": code, "venue_id": a_id })),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("venue.not_owner"))
        );
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/check-ins",
                Some(&checker),
                Some(json!({ "personal_code": code, "venue_id": "nope" })),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("venue.unknown"))
        );

        // A citizen scanning the place code of venue A in the same window is
        // the same visit as the checker's scan there without a scan_id.
        let code = fresh_code(&app, &alice.token).await;
        let (status, first) = app
            .call(
                Method::POST,
                "/v1/check-ins",
                Some(&checker),
                Some(json!({ "personal_code": code, "venue_id": a_id })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        let (status, same) = check_in(
            &app,
            &alice.token,
            a["place_code"].as_str().expect("code"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{same}");
        assert_eq!(same["check_in_id"], first["check_in"]["check_in_id"]);

        // The policy sees the check-ins as domain facts, inside a risk area.
        let alice_opened = app
            .state
            .people()
            .open(app.state.store(), &alice.person_id)
            .await
            .expect("open");
        let facts = healthcode_core::recompute::person_facts(&app.state, &alice_opened)
            .await
            .expect("facts")
            .check_ins;
        assert_eq!(facts.len(), 3);
        let area = RiskArea {
            id: "r1".into(),
            scope: RiskScope::Division("350100".into()),
            level: RiskLevel::High,
            name: None,
            from: jiff::Timestamp::from_second(app.state.now() - 60).expect("t"),
            until: None,
            provenance: Provenance::epidemic(
                SourceKind::Authority,
                "cdc",
                jiff::Timestamp::from_second(app.state.now()).expect("t"),
            ),
        };
        assert!(facts.iter().all(|c| area.covers(c)));
        let mut people = app
            .state
            .store()
            .people_checked_in(
                healthcode_store::CheckInScope::Division("350000"),
                0,
                i64::MAX,
            )
            .await
            .expect("query");
        people.sort();
        assert_eq!(people, vec![alice.person_id.clone()]);
        app.cleanup().await;
    }
}

/// Scans a personal code as `token` at `venue_id`, with a scan id if given.
async fn scan(
    app: &TestApp,
    token: &str,
    code: &str,
    venue_id: &str,
    scan_id: Option<&str>,
) -> (StatusCode, Value) {
    let mut body = json!({ "personal_code": code, "venue_id": venue_id });
    if let Some(scan) = scan_id {
        body["scan_id"] = json!(scan);
    }
    app.call(Method::POST, "/v1/check-ins", Some(token), Some(body))
        .await
}

/// Someone who saw a code once cannot make an itinerary of it: a personal
/// code records one check-in, at a venue the scanning account may record at,
/// and only the very same scan is answered again.
#[tokio::test]
async fn a_personal_code_records_one_check_in_where_the_scanner_may_record() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let owner_a = app.staff("venue-a", Role::Venue).await;
        let owner_b = app.staff("venue-b", Role::Venue).await;
        let checker = app.staff("checker", Role::Checker).await;
        let stranger = app.staff("checker-elsewhere", Role::Checker).await;
        let a1 = venue(&app, &owner_a, "鼓楼区图书馆", "350102").await;
        let a2 = venue(&app, &owner_a, "鼓楼区博物馆", "350102").await;
        let b = venue(&app, &owner_b, "台江万达", "350103").await;
        let (a1, a2, b) = (
            a1["id"].as_str().expect("id"),
            a2["id"].as_str().expect("id"),
            b["id"].as_str().expect("id"),
        );
        let alice = citizen(&app, 1).await;
        let bob = citizen(&app, 2).await;
        let refused = |answer: (StatusCode, Value), status: StatusCode, code: &str| {
            assert_eq!(
                (answer.0, answer.1["error"]["code"].as_str()),
                (status, Some(code)),
                "{}",
                answer.1
            );
        };

        // Binding: only the owner, only checker accounts.
        for (username, status) in [
            ("no-such-checker", StatusCode::NOT_FOUND),
            ("venue-b", StatusCode::NOT_FOUND),
        ] {
            let (got, body) = app
                .call(
                    Method::PUT,
                    &format!("/v1/venues/{a1}/checkers/{username}"),
                    Some(&owner_a),
                    None,
                )
                .await;
            assert_eq!(
                (got, body["error"]["code"].as_str()),
                (status, Some("venue.checker_unknown"))
            );
        }
        let (status, body) = app
            .call(
                Method::PUT,
                &format!("/v1/venues/{a1}/checkers/checker"),
                Some(&owner_b),
                None,
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("venue.not_owner"))
        );
        app.bind_checker(&owner_a, a1, "checker").await;
        app.bind_checker(&owner_a, a2, "checker").await;
        app.bind_checker(&owner_a, a2, "checker").await;
        let (status, bound) = app
            .call(
                Method::GET,
                &format!("/v1/venues/{a2}/checkers"),
                Some(&owner_a),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{bound}");
        assert_eq!(bound["checkers"].as_array().map(Vec::len), Some(1));
        assert_eq!(bound["checkers"][0]["username"], "checker");

        // Nobody records at a venue they may not record at, whatever the code.
        let code = personal_code(&app, &alice.token).await;
        for (token, venue_id) in [
            (&checker, b),
            (&stranger, a1),
            (&owner_a, b),
            (&owner_b, a1),
        ] {
            refused(
                scan(&app, token, &code, venue_id, None).await,
                StatusCode::FORBIDDEN,
                "venue.not_owner",
            );
        }

        // The first scan records; the same scan again is the same answer.
        let (status, first) = scan(&app, &checker, &code, a1, Some("gate-1-0001")).await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        app.clock.advance(20);
        let (status, again) = scan(&app, &checker, &code, a1, Some("gate-1-0001")).await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(again["check_in"]["repeat"], true);
        assert_eq!(
            again["check_in"]["check_in_id"],
            first["check_in"]["check_in_id"]
        );
        assert_eq!(again["check_in"]["at"], first["check_in"]["at"]);

        // Any other scan of that code is refused: at the same venue, at
        // another venue of the same account, by the venue itself, without a
        // scan id.
        for (token, venue_id, scan_id) in [
            (&checker, a1, Some("gate-1-0002")),
            (&checker, a2, Some("gate-2-0001")),
            (&checker, a2, Some("gate-1-0001")),
            (&owner_a, a1, Some("counter-1")),
            (&checker, a1, None),
        ] {
            refused(
                scan(&app, token, &code, venue_id, scan_id).await,
                StatusCode::CONFLICT,
                "check_in.code_used",
            );
        }
        assert_eq!(app.state.store().count_check_ins().await.expect("count"), 1);
        assert_eq!(itinerary(&app, &alice.token).await.len(), 1);

        // Other codes are not affected: Bob's, and Alice's next one.
        let bobs = personal_code(&app, &bob.token).await;
        let (status, body) = scan(&app, &checker, &bobs, a2, None).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let next = fresh_code(&app, &alice.token).await;
        assert_ne!(next, code);
        let (status, body) = scan(&app, &checker, &next, a2, Some("gate-2-0002")).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(itinerary(&app, &alice.token).await.len(), 2);

        // An unbound checker records there no more.
        let (status, _) = app
            .call(
                Method::DELETE,
                &format!("/v1/venues/{a2}/checkers/checker"),
                Some(&owner_a),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let last = fresh_code(&app, &alice.token).await;
        refused(
            scan(&app, &checker, &last, a2, None).await,
            StatusCode::FORBIDDEN,
            "venue.not_owner",
        );
        let (status, body) = scan(&app, &checker, &last, a1, None).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");

        // The store names a code by a keyed digest: neither the code nor
        // its public revocation id.
        let mut conn = app.db.raw_data().await;
        let fingerprints: Vec<String> = sqlx::query_scalar("SELECT fingerprint FROM scanned_codes")
            .fetch_all(&mut conn)
            .await
            .expect("fingerprints");
        assert_eq!(fingerprints.len(), 4);
        let revocation_id = healthcode_credentials::code::peek_revocation_id(&code)
            .expect("revocation id")
            .to_string();
        for fingerprint in &fingerprints {
            assert_eq!(fingerprint.len(), 32);
            assert!(!code.contains(fingerprint.as_str()));
            assert_ne!(fingerprint, &revocation_id);
        }
        sqlx::Connection::close(conn).await.expect("close");
        app.cleanup().await;
    }
}

/// Many scans of one code at once, on several venues, with retries: one
/// check-in, whichever scan wins, and only its retries are answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_code_scanned_everywhere_at_once_records_one_check_in() {
    for backend in backends() {
        let app = Arc::new(TestApp::new(backend).await);
        let owner = app.staff("venue-a", Role::Venue).await;
        let checker = app.staff("checker", Role::Checker).await;
        let mut venues = Vec::new();
        for name in ["鼓楼区图书馆", "鼓楼区博物馆"] {
            let created = venue(&app, &owner, name, "350102").await;
            let id = created["id"].as_str().expect("id").to_owned();
            app.bind_checker(&owner, &id, "checker").await;
            venues.push(id);
        }
        let alice = citizen(&app, 1).await;
        let code = personal_code(&app, &alice.token).await;
        // 30 requests: ten scans (five at each venue), each sent three times.
        let mut tasks = Vec::new();
        for n in 0..30_usize {
            let (app, checker, code) = (app.clone(), checker.clone(), code.clone());
            let venue_id = venues[(n % 10) / 5].clone();
            tasks.push(tokio::spawn(async move {
                let scan_id = format!("s{}", n % 10);
                scan(&app, &checker, &code, &venue_id, Some(&scan_id)).await
            }));
        }
        let mut ids = HashSet::new();
        let (mut created, mut repeats, mut refused) = (0, 0, 0);
        for task in tasks {
            let (status, body) = task.await.expect("task");
            match status {
                StatusCode::CREATED => created += 1,
                StatusCode::OK => repeats += 1,
                StatusCode::CONFLICT => {
                    assert_eq!(body["error"]["code"], "check_in.code_used");
                    refused += 1;
                    continue;
                }
                other => panic!("{other} {body}"),
            }
            ids.insert(body["check_in"]["check_in_id"].to_string());
        }
        assert_eq!((created, repeats, refused), (1, 2, 27), "{backend:?}");
        assert_eq!(ids.len(), 1, "the answers are the one check-in's");
        assert_eq!(app.state.store().count_check_ins().await.expect("count"), 1);
        let app = Arc::try_unwrap(app).ok().expect("no other owner");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn venues_see_counts_only_and_only_of_their_own_venues() {
    for backend in backends() {
        let app = TestApp::with_config(backend, long_sessions()).await;
        let owner_a = app.staff("venue-a", Role::Venue).await;
        let owner_b = app.staff("venue-b", Role::Venue).await;
        let a = venue(&app, &owner_a, "鼓楼区图书馆", "350102").await;
        let b = venue(&app, &owner_b, "台江万达", "350103").await;
        let a_id = a["id"].as_str().expect("id");
        let b_id = b["id"].as_str().expect("id");
        let payload = a["place_code"].as_str().expect("code");
        let mut people = Vec::new();
        for i in 0..3 {
            let c = citizen(&app, i).await;
            let (status, _) = check_in(&app, &c.token, payload, None).await;
            assert_eq!(status, StatusCode::CREATED);
            people.push(c);
        }
        // One more the next day (T0 is 08:00 on 2026-11-27 in China).
        app.clock.advance(86_400);
        let (status, _) = check_in(&app, &people[0].token, payload, None).await;
        assert_eq!(status, StatusCode::CREATED);

        let (status, counts) = app
            .call(
                Method::GET,
                &format!("/v1/venues/{a_id}/counts?days=3"),
                Some(&owner_a),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{counts}");
        assert_eq!(
            counts,
            json!({ "venue_id": a_id, "days": [
                { "date": "2026-11-26", "count": 0 },
                { "date": "2026-11-27", "count": 3 },
                { "date": "2026-11-28", "count": 1 },
            ]})
        );
        let text = counts.to_string();
        for p in &people {
            assert!(!text.contains(&p.person_id) && !text.contains(&p.phone));
        }

        // Another venue account may not read them, nor the place code.
        for path in [
            format!("/v1/venues/{a_id}/counts"),
            format!("/v1/venues/{a_id}/place-code"),
        ] {
            let (status, body) = app.call(Method::GET, &path, Some(&owner_b), None).await;
            assert_eq!(
                (status, body["error"]["code"].as_str()),
                (StatusCode::FORBIDDEN, Some("venue.not_owner")),
                "{path}"
            );
        }
        let (status, own) = app
            .call(
                Method::GET,
                &format!("/v1/venues/{b_id}/counts"),
                Some(&owner_b),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            own["days"]
                .as_array()
                .expect("days")
                .iter()
                .all(|d| d["count"] == 0)
        );
        assert_eq!(
            own["days"].as_array().map(Vec::len),
            Some(7),
            "a week by default"
        );
        let (status, _) = app
            .call(
                Method::GET,
                "/v1/venues/unknown/counts",
                Some(&owner_b),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        for bad in ["days=0", "days=15", "days=x", "other=1"] {
            let (status, body) = app
                .call(
                    Method::GET,
                    &format!("/v1/venues/{a_id}/counts?{bad}"),
                    Some(&owner_a),
                    None,
                )
                .await;
            assert!(
                status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
                "{bad}: {status} {body}"
            );
        }
        let (_, list) = app
            .call(Method::GET, "/v1/venues", Some(&owner_b), None)
            .await;
        assert_eq!(list["venues"].as_array().map(Vec::len), Some(1));
        assert_eq!(list["venues"][0]["id"], b_id, "each account lists its own");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn every_check_in_route_checks_who_is_calling() {
    let app = TestApp::new(Backend::Sqlite).await;
    let alice = citizen(&app, 1).await;
    let mut tokens = vec![(Role::Citizen, alice.token.clone())];
    for role in Role::ALL.into_iter().filter(|r| r.is_staff()) {
        let token = app.staff(&format!("staff-{}", role.as_str()), role).await;
        tokens.push((role, token));
    }
    let venue_token = tokens
        .iter()
        .find(|(r, _)| *r == Role::Venue)
        .map(|(_, t)| t.clone())
        .expect("venue");
    let created = venue(&app, &venue_token, "鼓楼区图书馆", "350102").await;
    let id = created["id"].as_str().expect("id").to_owned();
    let place_code = created["place_code"].as_str().expect("code").to_owned();
    let personal = personal_code(&app, &alice.token).await;
    let checker = "staff-checker";

    let routes: Vec<(Method, String, Option<Value>, Vec<Role>)> = vec![
        (
            Method::POST,
            "/v1/venues".into(),
            Some(json!({ "name": "新场所", "address": "路 1 号", "division": "350102" })),
            vec![Role::Venue],
        ),
        (Method::GET, "/v1/venues".into(), None, vec![Role::Venue]),
        (
            Method::GET,
            format!("/v1/venues/{id}/place-code"),
            None,
            vec![Role::Venue],
        ),
        (
            Method::GET,
            format!("/v1/venues/{id}/counts"),
            None,
            vec![Role::Venue],
        ),
        (
            Method::GET,
            format!("/v1/venues/{id}/checkers"),
            None,
            vec![Role::Venue],
        ),
        (
            Method::DELETE,
            format!("/v1/venues/{id}/checkers/{checker}"),
            None,
            vec![Role::Venue],
        ),
        // Bound last, so that the checker may scan at the venue below.
        (
            Method::PUT,
            format!("/v1/venues/{id}/checkers/{checker}"),
            None,
            vec![Role::Venue],
        ),
        (
            Method::POST,
            "/v1/me/check-ins".into(),
            Some(json!({ "place_code": place_code })),
            vec![Role::Citizen],
        ),
        (
            Method::GET,
            "/v1/me/check-ins".into(),
            None,
            vec![Role::Citizen],
        ),
        (
            Method::POST,
            "/v1/check-ins".into(),
            Some(json!({ "personal_code": personal, "venue_id": id })),
            vec![Role::Checker, Role::Venue],
        ),
    ];
    for (method, path, body, allowed) in routes {
        let (status, answer) = app.call(method.clone(), &path, None, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} without a token"
        );
        assert_eq!(answer["error"]["code"], "auth.required");
        let (status, _) = app
            .call(method.clone(), &path, Some(&"A".repeat(43)), body.clone())
            .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} unknown token"
        );
        for (role, token) in &tokens {
            let (status, answer) = app
                .call(method.clone(), &path, Some(token), body.clone())
                .await;
            if allowed.contains(role) {
                assert!(
                    status.is_success(),
                    "{method} {path} as {role:?}: {status} {answer}"
                );
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path} as {role:?}");
                assert_eq!(answer["error"]["code"], "auth.forbidden");
            }
        }
    }

    let (_, doc) = app.call(Method::GET, "/openapi.json", None, None).await;
    for path in [
        "/v1/venues",
        "/v1/venues/{id}/place-code",
        "/v1/venues/{id}/counts",
        "/v1/venues/{id}/checkers",
        "/v1/venues/{id}/checkers/{username}",
        "/v1/me/check-ins",
        "/v1/check-ins",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    app.cleanup().await;
}

/// Sends many check-ins at once from several citizens (with duplicates) and
/// checks that each was acknowledged only once stored, and stored exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writer_acknowledges_after_commit_and_stores_each_scan_once() {
    for backend in backends() {
        let app = Arc::new(TestApp::new(backend).await);
        let owner = app.staff("venue-a", Role::Venue).await;
        let created = venue(&app, &owner, "鼓楼区图书馆", "350102").await;
        let payload = created["place_code"].as_str().expect("code").to_owned();
        let mut people = Vec::new();
        for i in 0..5 {
            people.push(Arc::new(citizen(&app, i).await));
        }
        // 200 requests: 160 distinct scans, 40 of them sent twice.
        let mut tasks = Vec::new();
        for n in 0..200_usize {
            let app = app.clone();
            let person = people[n % people.len()].clone();
            let payload = payload.clone();
            let scan = format!("scan-{}", n % 160);
            tasks.push(tokio::spawn(async move {
                let (status, body) = check_in(&app, &person.token, &payload, Some(&scan)).await;
                // Acknowledged means committed: the row is there now.
                let stored = app
                    .state
                    .store()
                    .check_ins_of(&person.person_id, 0, 10_000)
                    .await
                    .expect("itinerary");
                let id = body["check_in_id"].as_str().map(str::to_owned);
                let visible = stored.iter().any(|c| Some(&c.id) == id.as_ref());
                (status, body, visible, person.person_id.clone(), scan)
            }));
        }
        let mut ids = HashSet::new();
        let mut created_count = 0;
        for task in tasks {
            let (status, body, visible, _, _) = task.await.expect("task");
            assert!(
                status == StatusCode::CREATED || status == StatusCode::OK,
                "{status} {body}"
            );
            assert!(visible, "acknowledged before it was stored: {body}");
            if status == StatusCode::CREATED {
                created_count += 1;
            }
            ids.insert(body["check_in_id"].as_str().expect("id").to_owned());
        }
        // scan-k is sent by person k % 5 and again (n = k + 160) by person (k + 160) % 5,
        // the same person because 160 is a multiple of 5: 160 distinct scans.
        assert_eq!(ids.len(), 160);
        assert_eq!(created_count, 160, "each scan is new exactly once");
        assert_eq!(
            app.state.store().count_check_ins().await.expect("count"),
            160
        );
        let app = Arc::try_unwrap(app).ok().expect("no other owner");
        app.cleanup().await;
    }
}

/// A person deleted while their code is still valid: their check-in fails
/// alone, the others batched with it are stored, each code's once (the other
/// scans of a code are refused).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_gone_before_the_write_fails_alone() {
    for backend in backends() {
        let app = Arc::new(TestApp::new(backend).await);
        let owner = app.staff("venue-a", Role::Venue).await;
        let checker = app.staff("checker", Role::Checker).await;
        let created = venue(&app, &owner, "鼓楼区图书馆", "350102").await;
        let venue_id = created["id"].as_str().expect("id").to_owned();
        app.bind_checker(&owner, &venue_id, "checker").await;
        let mut codes = Vec::new();
        for i in 0..4 {
            let c = citizen(&app, i).await;
            codes.push((personal_code(&app, &c.token).await, c.person_id));
        }
        delete_person(&app, &codes[0].1).await;
        let mut tasks = Vec::new();
        for n in 0..40_usize {
            let app = app.clone();
            let checker = checker.clone();
            let venue_id = venue_id.clone();
            let (code, person) = codes[n % codes.len()].clone();
            tasks.push(tokio::spawn(async move {
                let body = json!({ "personal_code": code, "venue_id": venue_id, "scan_id": format!("s{n}") });
                let (status, answer) = app
                    .call(Method::POST, "/v1/check-ins", Some(&checker), Some(body))
                    .await;
                (person, status, answer)
            }));
        }
        let mut recorded = HashSet::new();
        for task in tasks {
            let (person, status, answer) = task.await.expect("task");
            if person == codes[0].1 {
                assert_eq!(
                    (status, answer["error"]["code"].as_str()),
                    (StatusCode::GONE, Some("person.erased"))
                );
            } else if status == StatusCode::CREATED {
                assert!(recorded.insert(person), "one check-in per code");
            } else {
                assert_eq!(
                    (status, answer["error"]["code"].as_str()),
                    (StatusCode::CONFLICT, Some("check_in.code_used")),
                    "{answer}"
                );
            }
        }
        assert_eq!(recorded.len(), 3);
        assert_eq!(app.state.store().count_check_ins().await.expect("count"), 3);
        let app = Arc::try_unwrap(app).ok().expect("no other owner");
        app.cleanup().await;
    }
}

/// Erases a person as an authority would, on a written request.
async fn delete_person(app: &TestApp, person_id: &str) {
    healthcode_core::lifecycle::erase(
        &app.state,
        healthcode_domain::actor::Actor::Operator,
        person_id,
        healthcode_store::ErasureReason::Authority,
        Some("TEST-1"),
    )
    .await
    .expect("erase");
}

#[tokio::test]
async fn the_queue_refuses_quickly_when_full_and_one_commit_per_check_in_works() {
    let config = ServerConfig {
        check_in_batch: 1,
        check_in_queue: 1,
        ..ServerConfig::default()
    };
    let app = Arc::new(TestApp::with_config(Backend::Sqlite, config).await);
    let owner = app.staff("venue-a", Role::Venue).await;
    let created = venue(&app, &owner, "鼓楼区图书馆", "350102").await;
    let payload = created["place_code"].as_str().expect("code").to_owned();
    let alice = Arc::new(citizen(&app, 1).await);
    let mut tasks = Vec::new();
    for n in 0..100 {
        let (app, alice, payload) = (app.clone(), alice.clone(), payload.clone());
        tasks.push(tokio::spawn(async move {
            check_in(&app, &alice.token, &payload, Some(&format!("s{n}"))).await
        }));
    }
    let mut stored = 0;
    let mut busy = 0;
    for task in tasks {
        let (status, body) = task.await.expect("task");
        match status {
            StatusCode::CREATED => stored += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(body["error"]["code"], "check_in.busy");
                busy += 1;
            }
            other => panic!("{other} {body}"),
        }
    }
    assert_eq!(stored + busy, 100);
    assert!(stored >= 1);
    // One at a time through a queue of one: most of a burst is refused.
    assert!(busy >= 1, "no check-in was refused");
    assert_eq!(
        app.state.store().count_check_ins().await.expect("count"),
        stored,
        "a refused check-in is not stored"
    );
    // Retried with the same scan_id after the rush, every one gets through.
    for n in 0..100 {
        let (status, body) = check_in(&app, &alice.token, &payload, Some(&format!("s{n}"))).await;
        assert!(
            status == StatusCode::CREATED || status == StatusCode::OK,
            "{body}"
        );
    }
    assert_eq!(
        app.state.store().count_check_ins().await.expect("count"),
        100
    );
    let app = Arc::try_unwrap(app).ok().expect("no other owner");
    app.cleanup().await;
}

#[tokio::test]
async fn check_ins_are_deleted_after_the_retention_period() {
    for backend in backends() {
        let app = TestApp::with_config(backend, long_sessions()).await;
        let owner = app.staff("venue-a", Role::Venue).await;
        let created = venue(&app, &owner, "鼓楼区图书馆", "350102").await;
        let payload = created["place_code"].as_str().expect("code");
        let alice = citizen(&app, 1).await;
        check_in(&app, &alice.token, payload, None).await;
        app.clock.advance(13 * 86_400);
        check_in(&app, &alice.token, payload, None).await;
        assert_eq!(itinerary(&app, &alice.token).await.len(), 2);
        app.clock.advance(86_400 + 1);
        // Out of the itinerary at once; retention deletes by whole days, so
        // the check-in goes once its whole day is past the 14 days.
        assert_eq!(itinerary(&app, &alice.token).await.len(), 1);
        let retention = || healthcode_core::jobs::run_job(&app.state, "retention");
        assert_eq!(retention().await.expect("retention"), 0);
        app.clock.advance(86_400);
        assert_eq!(retention().await.expect("retention"), 1);
        assert_eq!(app.state.store().count_check_ins().await.expect("count"), 1);
        app.cleanup().await;
    }
}
