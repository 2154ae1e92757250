//! End-of-epidemic disposal on every backend: two different authorities,
//! a run that dies half-way and resumes with exact counts, nothing of the
//! epidemic left in any table (nor, on SQLite, in the database's files),
//! keys destroyed but for the person who kept their account, statistics
//! with no cell under the threshold, and a certificate that verifies and
//! fails after one changed byte.

use axum::http::{Method, StatusCode};
use healthcode_core::check_ins::check_in_id;
use healthcode_core::disposal::{self, SignedCertificate};
use healthcode_core::jobs;
use healthcode_domain::role::Role;
use healthcode_store::{Backend, CHECK_IN_PURPOSE, CheckInSource, CommitSync, NewCheckIn};
use healthcode_tests::{PASSWORD, TestApp, backends, table_counts};
use serde_json::json;

use crate::lifecycle::{citizen, others_look};

/// Check-ins of one person the day before, at the first venue: one cell of
/// the statistics above the default threshold.
const BOBS_CHECK_INS: i64 = 12;

async fn check_ins_yesterday(app: &TestApp, person_id: &str) {
    let mut conn = app.db.raw_data().await;
    let (venue_id, division): (String, String) =
        sqlx::query_as("SELECT id, division FROM venues LIMIT 1")
            .fetch_one(&mut conn)
            .await
            .expect("a venue");
    let at = app.state.now() - 86_400;
    let rows: Vec<NewCheckIn> = (0..BOBS_CHECK_INS)
        .map(|k| NewCheckIn {
            id: check_in_id(
                &app.state,
                person_id,
                &venue_id,
                Some(&format!("s{k}")),
                at + k,
            ),
            person_id: person_id.to_owned(),
            venue_id: venue_id.clone(),
            division: division.clone(),
            at: at + k,
            source: CheckInSource::PlaceCode,
            recorded_by: None,
            purpose: CHECK_IN_PURPOSE.to_owned(),
            code: None,
            access: None,
            audit: None,
        })
        .collect();
    let mut writer = app.state.store().check_in_writer(CommitSync::Normal);
    writer.insert(&rows).await.expect("check-ins");
}

/// The ids of every check-in: keyed digests, in clear in the database, that
/// nothing but the check-in's row holds.
async fn check_in_ids(app: &TestApp) -> Vec<String> {
    let mut conn = app.db.raw_data().await;
    sqlx::query_scalar("SELECT id FROM check_ins")
        .fetch_all(&mut conn)
        .await
        .expect("check-ins")
}

/// The indexes that disposal sets aside on SQLite while it deletes
/// check-ins and colours.
const SET_ASIDE: [&str; 2] = ["check_ins_venue_at", "code_status_valid_until"];

/// How many of [`SET_ASIDE`] are there.
async fn set_aside_indexes(app: &TestApp, backend: Backend) -> i64 {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN ($1, $2)"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) FROM pg_indexes WHERE indexname IN ($1, $2) \
             AND schemaname = current_schema()"
        }
    };
    let mut conn = app.db.raw_data().await;
    sqlx::query_scalar(sql)
        .bind(SET_ASIDE[0])
        .bind(SET_ASIDE[1])
        .fetch_one(&mut conn)
        .await
        .expect("indexes")
}

/// Every byte of the SQLite data folder's files (databases, write-ahead
/// logs and their indexes).
fn folder_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            all.extend(std::fs::read(&path).expect("read"));
        }
    }
    all
}

/// A public answer's exact bytes, as text.
async fn raw_get(app: &TestApp, path: &str) -> String {
    use tower::ServiceExt;
    let request = axum::http::Request::get(path)
        .body(axum::body::Body::empty())
        .expect("request");
    let response = app.router.clone().oneshot(request).await.expect("response");
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
        .await
        .expect("body");
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

#[tokio::test]
async fn disposal_leaves_nothing_of_the_epidemic_and_certifies_it() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let alice = citizen(&app, 1).await;
        let bob = citizen(&app, 2).await;
        others_look(&app, &alice).await;
        check_ins_yesterday(&app, &bob.person_id).await;

        // Alice keeps her account for other services; Bob does not choose to.
        let (status, body) = app
            .call(
                Method::PUT,
                "/v1/me/keep-account",
                Some(&alice.token),
                Some(json!({ "keep": true })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (_, me) = app
            .call(Method::GET, "/v1/me", Some(&alice.token), None)
            .await;
        assert_eq!(me["keep_account"], true);

        let first = app
            .login(json!({ "username": "official-1", "password": PASSWORD }))
            .await;
        let second = app.staff("official-2", Role::Authority).await;
        let regulator = app.staff("regulator-1", Role::Regulator).await;
        let request = |body| app.call(Method::POST, "/v1/disposals", Some(&first), Some(body));
        let (status, _) = app
            .call(
                Method::POST,
                "/v1/disposals",
                Some(&regulator),
                Some(json!({ "purpose": "epidemic-prevention" })),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        for (body, code) in [
            (json!({ "purpose": "everything" }), "disposal.purpose"),
            (
                json!({ "purpose": "epidemic-prevention", "threshold": 0 }),
                "disposal.threshold",
            ),
        ] {
            let (status, answer) = request(body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
            assert_eq!(answer["error"]["code"], code);
        }
        let (status, requested) = request(json!({ "purpose": "epidemic-prevention" })).await;
        assert_eq!(status, StatusCode::CREATED, "{requested}");
        assert_eq!(requested["stage"], "requested");
        let (status, again) = request(json!({ "purpose": "epidemic-prevention" })).await;
        assert_eq!(status, StatusCode::CONFLICT, "{again}");
        assert_eq!(again["error"]["code"], "disposal.in_progress");
        let id = requested["id"].as_str().expect("id").to_owned();
        let approve = format!("/v1/disposals/{id}/approve");
        let certificate_path = format!("/v1/disposals/{id}/certificate");

        // The job does nothing before a second authority approves.
        jobs::run_job(&app.state, "disposal").await.expect("job");
        let (status, answer) = app.call(Method::POST, &approve, Some(&first), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
        assert_eq!(answer["error"]["code"], "disposal.same_official");
        let (status, approved) = app.call(Method::POST, &approve, Some(&second), None).await;
        assert_eq!(status, StatusCode::OK, "{approved}");
        assert_eq!(approved["stage"], "approved");
        let (status, answer) = app.call(Method::POST, &approve, Some(&second), None).await;
        assert_eq!(status, StatusCode::CONFLICT, "{answer}");
        let (status, answer) = app.call(Method::GET, &certificate_path, None, None).await;
        assert_eq!(status, StatusCode::CONFLICT, "{answer}");
        assert_eq!(answer["error"]["code"], "disposal.not_complete");

        let disposed_check_ins = check_in_ids(&app).await;
        assert_eq!(disposed_check_ins.len(), BOBS_CHECK_INS as usize + 1);
        assert_eq!(set_aside_indexes(&app, backend).await, 2);

        // The process dies after its first batch: what it deleted is counted,
        // and no certificate exists.
        let state = app.state.clone();
        let running = id.clone();
        let died = tokio::spawn(async move {
            disposal::run(&state, &running, &mut |_| panic!("the process dies")).await
        })
        .await;
        assert!(died.is_err(), "the run died");
        let (status, list) = app
            .call(Method::GET, "/v1/disposals", Some(&regulator), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(list[0]["stage"], "counted", "{list}");
        // The first batch deleted check-ins (all of them, or on PostgreSQL
        // one day's partition), and its count is exactly what is gone.
        let counted = list[0]["progress"]["check_ins"].as_i64().expect("counted");
        let left = check_in_ids(&app).await.len() as i64;
        assert!(counted > 0, "{list}");
        assert_eq!(counted + left, BOBS_CHECK_INS + 1, "{list}");
        let (status, _) = app.call(Method::GET, &certificate_path, None, None).await;
        assert_eq!(status, StatusCode::CONFLICT);

        // Started again (the job), it resumes and completes.
        assert_eq!(jobs::run_job(&app.state, "disposal").await.expect("job"), 1);
        let text = raw_get(&app, &certificate_path).await;
        let signed = SignedCertificate::parse(&text).expect("the certificate as issued");
        let trust = app.state.trust_list();
        let head = signed
            .verify(&trust)
            .expect("the certificate verifies")
            .clone();
        let c = &signed.certificate;
        assert_eq!(c.purpose, "epidemic-prevention");
        assert_eq!(
            c.records["check_ins"],
            BOBS_CHECK_INS as u64 + 1,
            "exact across the crash"
        );
        assert_eq!(
            c.records["scanned_codes"], 1,
            "Alice's code, scanned to check in"
        );
        assert_eq!(c.records["overrides"], 1);
        assert_eq!(c.records["samples"], 1);
        assert_eq!(c.records["tubes"], 1);
        assert!(c.records["facts"] >= 1);
        assert_eq!(c.keys_destroyed, 1, "Bob's key; Alice kept her account");
        assert_eq!(c.accounts_kept, 1);
        assert_ne!(c.requested_by, c.approved_by);
        assert!(c.policy_version.is_some());
        assert_eq!(c.statistics.threshold, 10);
        assert!(c.statistics.cells.iter().all(|cell| cell.count >= 10));
        assert_eq!(
            c.statistics
                .cells
                .iter()
                .map(|cell| cell.count)
                .sum::<u64>(),
            BOBS_CHECK_INS as u64
        );
        assert!(c.statistics.suppressed_cells >= 1, "Alice's lone check-in");
        let root = app
            .state
            .store()
            .audit_root(head.tree_size)
            .await
            .expect("root");
        assert_eq!(Some(root), head.root(), "the head is the log's");

        // One changed byte, anywhere, and it fails.
        let forged = text.replacen("\"keys_destroyed\": 1", "\"keys_destroyed\": 2", 1);
        assert_ne!(forged, text);
        let forged = SignedCertificate::parse(&forged).expect("well formed");
        assert!(forged.verify(&trust).is_err(), "a changed count is caught");
        let spaced = text.replacen("\"purpose\": ", "\"purpose\":  ", 1);
        assert!(
            SignedCertificate::parse(&spaced).is_err(),
            "a changed space is caught"
        );

        // What is left in every table.
        let (counts, tagged) = table_counts(app.db.raw_connections(), "epidemic-prevention").await;
        // No row of the purpose is left, but the disposal's own record.
        for (table, n) in &tagged {
            let expected = i64::from(table == "disposals");
            assert_eq!(*n, expected, "{table} holds rows of the purpose");
        }
        assert!(tagged.contains_key("check_ins") && tagged.contains_key("facts"));
        for table in [
            "check_ins",
            "scanned_codes",
            "facts",
            "code_status",
            "overrides",
            "appeals",
            "tube_members",
            "tubes",
            "risk_areas",
            "access_log",
        ] {
            assert_eq!(counts.get(table), Some(&0), "{table}: {counts:?}");
        }
        assert_eq!(counts.get("people"), Some(&1), "{counts:?}");
        assert_eq!(counts.get("data_keys"), Some(&1), "{counts:?}");
        let store = app.state.store();
        assert!(
            store
                .wrapped_key(&bob.person_id)
                .await
                .expect("key")
                .is_none()
        );
        assert!(
            store
                .wrapped_key(&alice.person_id)
                .await
                .expect("key")
                .is_some()
        );
        let mut conn = app.db.raw_data().await;
        let smallest: Option<i64> =
            sqlx::query_scalar("SELECT MIN(count) FROM disposal_statistics")
                .fetch_one(&mut conn)
                .await
                .expect("statistics");
        assert_eq!(smallest, Some(BOBS_CHECK_INS));

        // The indexes set aside while check-ins and colours were deleted are
        // back; on SQLite
        // no file holds a disposed check-in any more, not even in free pages
        // or the write-ahead log.
        assert_eq!(set_aside_indexes(&app, backend).await, 2);
        if backend == Backend::Sqlite {
            let all = folder_bytes(&app.db.dir);
            for id in &disposed_check_ins {
                assert!(
                    !all.windows(id.len()).any(|w| w == id.as_bytes()),
                    "the disposed check-in {id} lingers in the database files"
                );
            }
        }

        // Alice keeps her account, with nothing of the epidemic; Bob is gone.
        let (status, export) = app
            .call(Method::GET, "/v1/me/export", Some(&alice.token), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{export}");
        assert_eq!(export["facts"], json!([]));
        assert_eq!(export["check_ins"], json!([]));
        assert_eq!(export["samples"], json!([]));
        let (status, _) = app
            .call(
                Method::POST,
                "/v1/sessions",
                None,
                Some(json!({ "phone": bob.phone, "password": PASSWORD })),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        // Every step is in the audit log.
        for act in [
            "disposal.requested",
            "disposal.approved",
            "disposal.completed",
        ] {
            let (_, found) = app
                .call(
                    Method::GET,
                    &format!("/v1/audit/search?act={act}"),
                    Some(&regulator),
                    None,
                )
                .await;
            assert_eq!(
                found["entries"].as_array().map(Vec::len),
                Some(1),
                "{act}: {found}"
            );
        }
        app.cleanup().await;
    }
}
