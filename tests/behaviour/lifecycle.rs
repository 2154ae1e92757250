//! The person's side of the privacy lifecycle, on every backend: the access
//! log (who looked at my data), the export of everything, and erasure for
//! good, by the person or by an authority on a written request, also while
//! check-ins for the person keep arriving.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use healthcode_domain::role::Role;
use healthcode_store::Backend;
use healthcode_tests::{PASSWORD, TestApp, TestCitizen, backends};
use jiff::civil::date;
use serde_json::{Value, json};

/// Registers citizen `i` (林小华, Xiamen resident ID) and logs them in.
pub(crate) async fn citizen(app: &TestApp, i: u16) -> TestCitizen {
    let phone = format!("1360000{i:04}");
    app.citizen("林小华", "350203", date(1985, 5, 20), 600 + i, &phone)
        .await
}

async fn get(app: &TestApp, path: &str, token: &str) -> Value {
    let (status, body) = app.call(Method::GET, path, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::POST, path, Some(token), Some(body)).await
}

/// A venue of a venue account; returns its id.
async fn venue(app: &TestApp, token: &str) -> String {
    let (status, body) = post(
        app,
        "/v1/venues",
        token,
        json!({ "name": "思明区图书馆", "address": "思明区湖滨南路 1 号", "division": "350203" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

async fn personal_code(app: &TestApp, token: &str) -> String {
    get(app, "/v1/me/code", token).await["payload"]
        .as_str()
        .expect("payload")
        .to_owned()
}

/// A checker, a collector, a laboratory and an authority each open the
/// person's data once; the person's own acts open nothing.
pub(crate) async fn others_look(app: &TestApp, person: &TestCitizen) {
    let checker = app.staff("gate-1", Role::Checker).await;
    let owner = app.staff("library", Role::Venue).await;
    let collector = app.staff("swab-1", Role::Collector).await;
    let lab = app.staff("lab-1", Role::Lab).await;
    let official = app.staff("official-1", Role::Authority).await;
    let venue_id = venue(app, &owner).await;
    app.bind_checker(&owner, &venue_id, "gate-1").await;
    let code = personal_code(app, &person.token).await;
    // A second between acts, so the log's order is theirs.
    app.clock.advance(1);
    let (status, body) = post(
        app,
        "/v1/check-ins",
        &checker,
        json!({ "personal_code": code, "venue_id": venue_id }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = post(
        app,
        "/v1/tubes",
        &collector,
        json!({ "tube_id": "T-1", "capacity": 1 }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.clock.advance(1);
    let (status, body) = post(
        app,
        "/v1/tubes/T-1/samples",
        &collector,
        json!({ "personal_code": code }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.clock.advance(1);
    let sample_at = jiff::Timestamp::from_second(app.state.now() - 600).expect("time");
    let (status, body) = post(
        app,
        "/v1/results",
        &lab,
        json!({ "tube_id": "T-1", "kind": "pcr", "outcome": "negative",
                "laboratory": "Xiamen CDC", "sample_at": sample_at.to_string() }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.clock.advance(1);
    let expires = jiff::Timestamp::from_second(app.state.now() + 86_400).expect("time");
    let (status, body) = post(
        app,
        "/v1/overrides",
        &official,
        json!({ "document_type": "resident_id", "document_number": person.document, "colour": "yellow",
                "justification": "contact tracing interview pending", "expires_at": expires.to_string() }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The person's own acts are not someone else's access.
    let (status, _) = post(
        app,
        "/v1/me/self-tests",
        &person.token,
        json!({ "positive": false }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    get(app, "/v1/me", &person.token).await;
}

#[tokio::test]
async fn a_staff_read_appears_in_the_persons_access_log_with_its_purpose() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let alice = citizen(&app, 1).await;
        let bob = citizen(&app, 2).await;
        others_look(&app, &alice).await;

        let log = get(&app, "/v1/me/access-log", &alice.token).await;
        let entries = log["entries"].as_array().expect("entries");
        let purposes: Vec<&str> = entries
            .iter()
            .map(|e| e["purpose"].as_str().expect("purpose"))
            .collect();
        assert_eq!(
            purposes,
            ["case_handling", "test_result", "sampling", "check_in"],
            "newest first, one entry per opening by someone else: {log}"
        );
        let check_in = &entries[3];
        assert_eq!(check_in["actor_kind"], "staff");
        assert_eq!(check_in["actor_role"], "checker");
        assert_eq!(
            check_in["fields"],
            json!(["colour", "masked_name", "check_ins"])
        );
        assert!(
            check_in["actor_account"]
                .as_str()
                .is_some_and(|a| a.len() == 32)
        );
        assert_eq!(entries[1]["actor_role"], "lab");
        assert_eq!(entries[0]["actor_role"], "authority");
        // Nothing names anyone: no person's name, no staff username.
        let text = log.to_string();
        for needle in [
            "林小华",
            "gate-1",
            "lab-1",
            "official-1",
            alice.person_id.as_str(),
        ] {
            assert!(!text.contains(needle), "{needle} in {text}");
        }
        // Paging: two at a time, then the rest, then nothing.
        let first = get(&app, "/v1/me/access-log?limit=2", &alice.token).await;
        assert_eq!(first["entries"].as_array().expect("page").len(), 2);
        let next = first["next"].as_str().expect("a next page");
        let second = get(
            &app,
            &format!("/v1/me/access-log?limit=2&before={next}"),
            &alice.token,
        )
        .await;
        assert_eq!(second["entries"][0]["purpose"], "sampling");
        let last = second["next"].as_str().expect("a last page");
        let third = get(
            &app,
            &format!("/v1/me/access-log?limit=2&before={last}"),
            &alice.token,
        )
        .await;
        assert_eq!(third["entries"], json!([]));
        assert_eq!(third["next"], Value::Null);
        for bad in [
            "?limit=0",
            "?limit=201",
            "?before=garbage",
            "?limit=x",
            "?who=bob",
        ] {
            let (status, body) = app
                .call(
                    Method::GET,
                    &format!("/v1/me/access-log{bad}"),
                    Some(&alice.token),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
            assert_eq!(body["error"]["code"], "request.invalid_query");
        }
        // Bob's log is his own: empty.
        assert_eq!(
            get(&app, "/v1/me/access-log", &bob.token).await["entries"],
            json!([])
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_export_holds_everything_about_me_and_nothing_of_anyone_else() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let alice = citizen(&app, 1).await;
        let bob = citizen(&app, 2).await;
        others_look(&app, &alice).await;
        let (status, _) = post(
            &app,
            "/v1/me/appeals",
            &alice.token,
            json!({ "text": "I was not there that day" }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);

        let export = get(&app, "/v1/me/export", &alice.token).await;
        assert_eq!(export["format"], "healthcode-export/1");
        assert_eq!(export["profile"]["name"], "林小华");
        assert_eq!(export["profile"]["document_number"], alice.document);
        assert_eq!(export["profile"]["phone"], alice.phone);
        assert_eq!(
            export["status"]["colour"], "green",
            "the override awaits approval"
        );
        let kinds: Vec<&str> = export["facts"]
            .as_array()
            .expect("facts")
            .iter()
            .map(|f| f["kind"].as_str().expect("kind"))
            .collect();
        assert!(
            kinds.contains(&"test_result") && kinds.contains(&"self_test"),
            "{kinds:?}"
        );
        assert_eq!(export["check_ins"].as_array().expect("check-ins").len(), 1);
        assert_eq!(
            export["overrides"][0]["justification"],
            "contact tracing interview pending"
        );
        assert_eq!(export["appeals"][0]["text"], "I was not there that day");
        assert_eq!(export["samples"][0]["tube_id"], "T-1");
        assert!(!export["sessions"].as_array().expect("sessions").is_empty());
        assert_eq!(export["access_log"].as_array().expect("log").len(), 4);
        // Nothing of Bob, and no secret of Alice's own.
        let text = export.to_string();
        for needle in [
            bob.document.as_str(),
            bob.phone.as_str(),
            bob.person_id.as_str(),
            alice.token.as_str(),
            "argon2",
        ] {
            assert!(!text.contains(needle), "{needle} in the export");
        }
        // Bob's export is his alone.
        let bobs = get(&app, "/v1/me/export", &bob.token).await;
        assert_eq!(bobs["profile"]["document_number"], bob.document);
        assert_eq!(bobs["facts"], json!([]));
        assert_eq!(bobs["access_log"], json!([]));
        // The OpenAPI document describes it.
        let (_, doc) = app.call(Method::GET, "/openapi.json", None, None).await;
        assert!(doc["components"]["schemas"]["Export"]["properties"]["access_log"].is_object());
        assert!(doc["paths"]["/v1/me/export"]["get"].is_object());
        app.cleanup().await;
    }
}

#[tokio::test]
async fn only_the_person_can_export_read_the_log_of_or_delete_their_account() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let alice = citizen(&app, 1).await;
        let checker = app.staff("gate-1", Role::Checker).await;
        let official = app.staff("official-1", Role::Authority).await;
        let regulator = app.staff("auditor", Role::Regulator).await;
        for token in [&checker, &official, &regulator] {
            for (method, path, body) in [
                (Method::GET, "/v1/me/export", None),
                (Method::GET, "/v1/me/access-log", None),
                (
                    Method::DELETE,
                    "/v1/me",
                    Some(json!({ "password": PASSWORD })),
                ),
            ] {
                let (status, answer) = app.call(method.clone(), path, Some(token), body).await;
                assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {answer}");
            }
        }
        for (method, path) in [
            (Method::GET, "/v1/me/export"),
            (Method::GET, "/v1/me/access-log"),
            (Method::DELETE, "/v1/me"),
        ] {
            let (status, _) = app
                .call(
                    method.clone(),
                    path,
                    None,
                    Some(json!({ "password": PASSWORD })),
                )
                .await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
        }
        // Only authorities erase on a written request.
        let request = json!({ "document_type": "resident_id", "document_number": alice.document, "reference": "REQ-1" });
        for token in [&checker, &regulator, &alice.token] {
            let (status, _) = post(&app, "/v1/people/erase", token, request.clone()).await;
            assert_eq!(status, StatusCode::FORBIDDEN);
        }
        // The wrong password deletes nothing.
        let (status, body) = app
            .call(
                Method::DELETE,
                "/v1/me",
                Some(&alice.token),
                Some(json!({ "password": "not-my-password" })),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("auth.invalid_credentials"))
        );
        get(&app, "/v1/me", &alice.token).await;
        app.cleanup().await;
    }
}

#[tokio::test]
async fn deleting_my_account_erases_everything_and_frees_my_document_and_phone() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let alice = citizen(&app, 1).await;
        let bob = citizen(&app, 2).await;
        others_look(&app, &alice).await;
        let code = personal_code(&app, &alice.token).await;
        assert!(
            app.rows_naming(&alice.person_id).await.len() >= 8,
            "data to erase"
        );
        let wrapped = app
            .state
            .store()
            .wrapped_key(&alice.person_id)
            .await
            .expect("key")
            .expect("a key");

        let (status, body) = app
            .call(
                Method::DELETE,
                "/v1/me",
                Some(&alice.token),
                Some(json!({ "password": PASSWORD })),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assert_eq!(
            app.rows_naming(&alice.person_id).await,
            Vec::<(String, i64)>::new(),
            "{backend:?}"
        );
        // The session went with the account; the login is unknown.
        let (status, _) = app
            .call(Method::GET, "/v1/me", Some(&alice.token), None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = app
            .call(
                Method::POST,
                "/v1/sessions",
                None,
                Some(json!({ "phone": alice.phone, "password": PASSWORD })),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        // A code issued before the erasure names someone who is gone.
        let checker = app.staff("gate-2", Role::Checker).await;
        let owner = app.staff("library-2", Role::Venue).await;
        let venue_id = venue(&app, &owner).await;
        app.bind_checker(&owner, &venue_id, "gate-2").await;
        let (status, body) = post(
            &app,
            "/v1/check-ins",
            &checker,
            json!({ "personal_code": code, "venue_id": venue_id }),
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::GONE, Some("person.erased"))
        );
        // What remains is that an account was erased, on the person's request.
        let record = app
            .state
            .store()
            .erasure(&alice.person_id)
            .await
            .expect("read")
            .expect("recorded");
        assert_eq!(
            (record.reason.as_str(), record.actor_kind.as_str()),
            ("request", "citizen")
        );
        assert!(record.completed_at.is_some());
        // On SQLite the destroyed key is gone from the key store's files too.
        if backend == Backend::Sqlite {
            let mut keys = Vec::new();
            for entry in std::fs::read_dir(&app.db.dir).expect("dir") {
                let path = entry.expect("entry").path();
                if path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("keystore"))
                {
                    keys.extend(std::fs::read(&path).expect("read"));
                }
            }
            assert!(
                !keys.windows(wrapped.len()).any(|w| w == wrapped),
                "the wrapped key lingers"
            );
        }
        // The document and the phone are free: registering again is a new identity.
        app.register(
            "林小华",
            "resident_id",
            &alice.document,
            &alice.phone,
            PASSWORD,
        )
        .await;
        let again = app
            .login(json!({ "phone": alice.phone, "password": PASSWORD }))
            .await;
        let new_id = app.person_of(&again).await;
        assert_ne!(new_id, alice.person_id);
        assert_eq!(
            get(&app, "/v1/me/access-log", &again).await["entries"],
            json!([])
        );
        assert_eq!(get(&app, "/v1/me/export", &again).await["facts"], json!([]));
        // Bob is untouched.
        assert_eq!(
            get(&app, "/v1/me/export", &bob.token).await["profile"]["phone"],
            bob.phone
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn an_authority_erases_a_person_on_a_written_request() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let alice = citizen(&app, 1).await;
        let official = app.staff("official-1", Role::Authority).await;
        for (body, code) in [
            (
                json!({ "document_type": "resident_id", "document_number": alice.document, "reference": "" }),
                "erasure.reference",
            ),
            (
                json!({ "document_type": "resident_id", "document_number": alice.document, "reference": "<script>" }),
                "erasure.reference",
            ),
            (
                json!({ "document_type": "alien", "document_number": alice.document, "reference": "REQ-1" }),
                "id.document_type",
            ),
            (
                json!({ "document_type": "passport", "document_number": "E00000000", "reference": "REQ-1" }),
                "person.not_found",
            ),
        ] {
            let (_, answer) = post(&app, "/v1/people/erase", &official, body).await;
            assert_eq!(answer["error"]["code"], code, "{answer}");
        }
        assert!(
            !app.rows_naming(&alice.person_id).await.is_empty(),
            "nothing erased by a refused request"
        );
        let (status, erased) = post(
            &app,
            "/v1/people/erase",
            &official,
            json!({ "document_type": "resident_id", "document_number": alice.document, "reference": "FJ-2026/0042" }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{erased}");
        assert_eq!(erased["reference"], "FJ-2026/0042");
        assert!(!erased.to_string().contains(&alice.document));
        assert_eq!(
            app.rows_naming(&alice.person_id).await,
            Vec::<(String, i64)>::new()
        );
        let record = app
            .state
            .store()
            .erasure(&alice.person_id)
            .await
            .expect("read")
            .expect("recorded");
        assert_eq!(
            (
                record.reason.as_str(),
                record.reference.as_deref(),
                record.actor_role.as_deref()
            ),
            ("authority", Some("FJ-2026/0042"), Some("authority"))
        );
        let (status, _) = app
            .call(Method::GET, "/v1/me/code", Some(&alice.token), None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        app.cleanup().await;
    }
}

/// A process that dies between destroying the key and deleting the rows
/// leaves nothing readable, and the service finishes the erasure.
#[tokio::test]
async fn a_half_done_erasure_reads_as_erased_and_is_finished() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let alice = citizen(&app, 1).await;
        let mut unit = app.unit().await;
        assert!(
            unit.begin_erasure(
                &alice.person_id,
                healthcode_store::ErasureReason::Request,
                None
            )
            .await
            .expect("begin")
        );
        unit.commit().await.expect("commit");
        assert!(
            app.state
                .store()
                .destroy_data_key(&alice.person_id)
                .await
                .expect("destroy")
        );
        // Stopped here: the rows are still there, but nothing opens them.
        for path in ["/v1/me", "/v1/me/export"] {
            let (status, body) = app.call(Method::GET, path, Some(&alice.token), None).await;
            assert_eq!(
                (status, body["error"]["code"].as_str()),
                (StatusCode::GONE, Some("person.erased")),
                "{path}"
            );
        }
        let finished = healthcode_core::lifecycle::finish_pending_erasures(&app.state)
            .await
            .expect("finish");
        assert_eq!(finished, 1);
        assert_eq!(
            app.rows_naming(&alice.person_id).await,
            Vec::<(String, i64)>::new()
        );
        assert_eq!(
            healthcode_core::lifecycle::finish_pending_erasures(&app.state)
                .await
                .expect("again"),
            0
        );
        app.cleanup().await;
    }
}

/// Check-ins for a person keep arriving while they are deleted: each is
/// either written before the erasure (and erased with them) or refused, never
/// left behind as an orphan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_while_check_ins_arrive_leaves_no_row_of_the_person() {
    for backend in backends() {
        let app = Arc::new(TestApp::new(backend).await);
        let alice = citizen(&app, 1).await;
        let bob = citizen(&app, 2).await;
        let checker = app.staff("gate-1", Role::Checker).await;
        let owner = app.staff("library", Role::Venue).await;
        let venue_id = venue(&app, &owner).await;
        app.bind_checker(&owner, &venue_id, "gate-1").await;
        let (_, created) = app
            .call(
                Method::GET,
                &format!("/v1/venues/{venue_id}/place-code"),
                Some(&owner),
                None,
            )
            .await;
        let place_code = created["payload"].as_str().expect("place code").to_owned();
        let alice_code = personal_code(&app, &alice.token).await;
        let mut tasks = Vec::new();
        for n in 0..60_usize {
            let (task_app, checker, venue_id) = (app.clone(), checker.clone(), venue_id.clone());
            let (code, token, place) =
                (alice_code.clone(), alice.token.clone(), place_code.clone());
            let bob_token = bob.token.clone();
            tasks.push(tokio::spawn(async move {
                let app = task_app;
                let (status, body) = match n % 3 {
                    0 => {
                        post(&app, "/v1/check-ins", &checker, json!({ "personal_code": code, "venue_id": venue_id, "scan_id": format!("s{n}") }))
                            .await
                    }
                    1 => post(&app, "/v1/me/check-ins", &token, json!({ "place_code": place, "scan_id": format!("p{n}") })).await,
                    _ => post(&app, "/v1/me/check-ins", &bob_token, json!({ "place_code": place, "scan_id": format!("b{n}") })).await,
                };
                (n, status, body)
            }));
            if n == 20 {
                let app = app.clone();
                let token = alice.token.clone();
                tasks.push(tokio::spawn(async move {
                    let (status, body) = app
                        .call(
                            Method::DELETE,
                            "/v1/me",
                            Some(&token),
                            Some(json!({ "password": PASSWORD })),
                        )
                        .await;
                    (usize::MAX, status, body)
                }));
            }
        }
        let mut bobs = 0;
        for task in tasks {
            let (n, status, body) = task.await.expect("task");
            match n {
                usize::MAX => assert_eq!(status, StatusCode::NO_CONTENT, "the deletion: {body}"),
                n if n % 3 == 2 => {
                    assert_eq!(status, StatusCode::CREATED, "Bob's check-in: {body}");
                    bobs += 1;
                }
                // Her one code records one check-in: the checker's other
                // scans of it are refused.
                _ => assert!(
                    [
                        StatusCode::CREATED,
                        StatusCode::GONE,
                        StatusCode::UNAUTHORIZED,
                        StatusCode::CONFLICT
                    ]
                    .contains(&status),
                    "Alice's check-in {n}: {status} {body}"
                ),
            }
        }
        assert_eq!(
            app.rows_naming(&alice.person_id).await,
            Vec::<(String, i64)>::new(),
            "{backend:?}"
        );
        let bob_rows = app.rows_naming(&bob.person_id).await;
        assert!(
            bob_rows.contains(&("check_ins".to_owned(), bobs)),
            "{bob_rows:?}"
        );
        let app = Arc::try_unwrap(app).ok().expect("no other owner");
        app.cleanup().await;
    }
}
