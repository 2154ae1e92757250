//! Retention by purpose, on every backend: the published schedule, every
//! category deleted after its period by whole days by the retention job (on
//! PostgreSQL whole day partitions dropped), and new schedules published by
//! authorities for the future.

use axum::http::{Method, StatusCode};
use healthcode_core::config::ServerConfig;
use healthcode_core::jobs;
use healthcode_domain::identity::make_resident_id;
use healthcode_domain::role::Role;
use healthcode_store::Backend;
use healthcode_tests::{METRICS_TOKEN, TestApp, backends};
use jiff::civil::date;
use serde_json::{Value, json};

const PASSWORD: &str = "a-good-password";
const DAY: i64 = 86_400;

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::POST, path, Some(token), Some(body)).await
}

/// How many facts of each kind the person has, by stored kind.
async fn fact_kinds(app: &TestApp, person_id: &str) -> Vec<String> {
    let mut kinds: Vec<String> = app
        .state
        .store()
        .facts_of(person_id)
        .await
        .expect("facts")
        .into_iter()
        .map(|f| f.kind)
        .collect();
    kinds.sort();
    kinds
}

/// The check-in day partitions of a PostgreSQL store.
async fn check_in_partitions(app: &TestApp) -> Vec<String> {
    use sqlx::Connection;
    let (url, setup, _) = app.db.raw_connections().remove(0);
    let mut conn = sqlx::AnyConnection::connect(&url).await.expect("connect");
    if let Some(setup) = setup {
        sqlx::Executor::execute(&mut conn, setup.as_str())
            .await
            .expect("setup");
    }
    let mut names: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace \
         WHERE p.relname = 'check_ins' AND n.nspname = current_schema()",
    )
    .fetch_all(&mut conn)
    .await
    .expect("partitions");
    conn.close().await.expect("close");
    names.sort();
    names
}

#[tokio::test]
async fn every_category_is_deleted_after_its_period_by_whole_days() {
    for backend in backends() {
        let config = ServerConfig {
            session_lifetime: 60 * DAY,
            metrics_token: Some(METRICS_TOKEN.to_owned()),
            ..ServerConfig::default()
        };
        let app = TestApp::with_config(backend, config).await;
        let document = make_resident_id("350203", date(1980, 3, 3), 900).expect("id");
        app.register("郑小东", "resident_id", &document, "13300000900", PASSWORD)
            .await;
        let token = app
            .login(json!({ "phone": "13300000900", "password": PASSWORD }))
            .await;
        let person = app.person_of(&token).await;
        let checker = app.staff("gate", Role::Checker).await;
        let owner = app.staff("library", Role::Venue).await;
        let lab = app.staff("lab", Role::Lab).await;
        let collector = app.staff("swab", Role::Collector).await;
        let (_, venue) = post(
            &app,
            "/v1/venues",
            &owner,
            json!({ "name": "思明区图书馆", "address": "湖滨南路 1 号", "division": "350203" }),
        )
        .await;
        let venue_id = venue["id"].as_str().expect("venue").to_owned();
        app.bind_checker(&owner, &venue_id, "gate").await;
        let (_, code) = app
            .call(Method::GET, "/v1/me/code", Some(&token), None)
            .await;
        let code = code["payload"].as_str().expect("code").to_owned();

        // Day 0: a check-in by a checker (and its access record), a
        // self-test, a declaration, a laboratory result, a vaccination.
        let (status, _) = post(
            &app,
            "/v1/check-ins",
            &checker,
            json!({ "personal_code": code, "venue_id": venue_id }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        post(
            &app,
            "/v1/me/self-tests",
            &token,
            json!({ "positive": false }),
        )
        .await;
        post(
            &app,
            "/v1/me/declarations",
            &token,
            json!({ "symptoms": [] }),
        )
        .await;
        post(
            &app,
            "/v1/tubes",
            &collector,
            json!({ "tube_id": "R-1", "capacity": 1 }),
        )
        .await;
        app.add_sample("R-1", &person, app.state.now()).await;
        let sample_at = jiff::Timestamp::from_second(app.state.now() - 60)
            .expect("t")
            .to_string();
        let (status, body) = post(
            &app,
            "/v1/results",
            &lab,
            json!({ "tube_id": "R-1", "kind": "pcr",
            "outcome": "negative", "laboratory": "Xiamen CDC", "sample_at": sample_at }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        app.import_vaccination(&person, "v1", "CoronaVac", (1, 2), date(2021, 5, 1))
            .await;
        assert_eq!(
            fact_kinds(&app, &person).await,
            ["declaration", "self_test", "test_result", "vaccination"]
        );
        let access = || app.state.store().count_access_records();
        let accessed = access().await.expect("count");
        assert!(accessed >= 3, "check-in, sampling, result: {accessed}");

        // 14 days later nothing has gone yet: the day is kept whole.
        app.clock.advance(14 * DAY + 3600);
        jobs::run_job(&app.state, "retention")
            .await
            .expect("retention");
        assert_eq!(app.state.store().count_check_ins().await.expect("count"), 1);
        // A day later the check-in, the self-test and the declaration go.
        app.clock.advance(DAY);
        let deleted = jobs::run_job(&app.state, "retention")
            .await
            .expect("retention");
        assert_eq!(deleted, 3, "check-in, self-test, declaration");
        assert_eq!(app.state.store().count_check_ins().await.expect("count"), 0);
        assert_eq!(
            fact_kinds(&app, &person).await,
            ["test_result", "vaccination"]
        );
        // After 30 days, the laboratory result; the vaccination and the
        // access log stay (730 and 365 days), and so does the person.
        app.clock.advance(16 * DAY);
        assert_eq!(
            jobs::run_job(&app.state, "retention")
                .await
                .expect("retention"),
            1
        );
        assert_eq!(fact_kinds(&app, &person).await, ["vaccination"]);
        assert_eq!(access().await.expect("count"), accessed);
        let (status, _) = app.call(Method::GET, "/v1/me", Some(&token), None).await;
        assert_eq!(status, StatusCode::OK);
        // After a year, the access log.
        app.clock.advance(335 * DAY);
        jobs::run_job(&app.state, "retention")
            .await
            .expect("retention");
        assert_eq!(access().await.expect("count"), 0);
        assert_eq!(fact_kinds(&app, &person).await, ["vaccination"]);

        // The job is measured.
        let (_, metrics) = app
            .call(Method::GET, "/metrics", Some(METRICS_TOKEN), None)
            .await;
        let text = metrics.as_str().expect("text");
        assert!(
            text.contains("healthcode_job_runs_total{job=\"retention\",outcome=\"ok\"} 4"),
            "{text}"
        );
        assert!(
            text.contains("healthcode_job_rows_total{job=\"retention\"}"),
            "{text}"
        );
        app.cleanup().await;
    }
}

/// On PostgreSQL check-ins live in day partitions, and a day out of retention
/// is dropped whole.
#[tokio::test]
async fn postgres_drops_whole_days_of_check_ins() {
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let app = TestApp::new(Backend::Postgres).await;
    let today = app.state.now().div_euclid(DAY);
    let partitions = check_in_partitions(&app).await;
    assert!(
        partitions.contains(&format!("check_ins_d{today}")),
        "{partitions:?}"
    );
    assert!(partitions.contains(&"check_ins_default".to_owned()));
    let document = make_resident_id("350203", date(1980, 3, 3), 901).expect("id");
    app.register("郑小东", "resident_id", &document, "13300000901", PASSWORD)
        .await;
    let token = app
        .login(json!({ "phone": "13300000901", "password": PASSWORD }))
        .await;
    let owner = app.staff("library", Role::Venue).await;
    let (_, venue) = post(
        &app,
        "/v1/venues",
        &owner,
        json!({ "name": "思明区图书馆", "address": "湖滨南路 1 号", "division": "350203" }),
    )
    .await;
    let place = venue["place_code"].as_str().expect("place code");
    for n in 0..5 {
        let (status, _) = post(
            &app,
            "/v1/me/check-ins",
            &token,
            json!({ "place_code": place, "scan_id": format!("s{n}") }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    app.clock.advance(16 * DAY);
    jobs::run_job(&app.state, "retention")
        .await
        .expect("retention");
    assert_eq!(app.state.store().count_check_ins().await.expect("count"), 0);
    let partitions = check_in_partitions(&app).await;
    assert!(
        !partitions.contains(&format!("check_ins_d{today}")),
        "{partitions:?}"
    );
    // The coming week is prepared.
    jobs::run_job(&app.state, "partitions")
        .await
        .expect("partitions");
    let later = today + 16;
    assert!(
        check_in_partitions(&app)
            .await
            .contains(&format!("check_ins_d{}", later + 7))
    );
    app.cleanup().await;
}

#[tokio::test]
async fn retention_schedules_are_published_data_and_versioned() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let (status, published) = app.call(Method::GET, "/v1/retention", None, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(published["active"], "2026-default");
        assert_eq!(published["schedules"][0]["periods_days"]["check_ins"], 14);
        assert_eq!(published["schedules"][0]["periods_days"]["access_log"], 365);

        let official = app.staff("official", Role::Authority).await;
        let checker = app.staff("gate", Role::Checker).await;
        let mut schedule: Value =
            serde_json::from_str(healthcode_domain::retention::SHIPPED_SCHEDULE).expect("json");
        schedule["version"] = json!("2027-shorter");
        schedule["effective_from"] = json!(
            jiff::Timestamp::from_second(app.state.now() + DAY)
                .expect("t")
                .to_string()
        );
        schedule["periods_days"]["check_ins"] = json!(7);
        let (status, _) = post(&app, "/v1/retention", &checker, schedule.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        for (change, code) in [
            (
                json!({ "effective_from": "2020-02-01T00:00:00Z" }),
                "retention.retroactive",
            ),
            (
                json!({ "periods_days": { "check_ins": 400 } }),
                "retention.period",
            ),
            (json!({ "cookies": 1 }), "retention.parse"),
        ] {
            let mut bad = schedule.clone();
            for (k, v) in change.as_object().expect("change") {
                if let Some(inner) = v.as_object().filter(|_| k == "periods_days") {
                    for (c, d) in inner {
                        bad["periods_days"][c] = d.clone();
                    }
                } else {
                    bad[k] = v.clone();
                }
            }
            let (status, body) = post(&app, "/v1/retention", &official, bad).await;
            assert_eq!(
                (status, body["error"]["code"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(code))
            );
        }
        let (status, body) = post(&app, "/v1/retention", &official, schedule.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = post(&app, "/v1/retention", &official, schedule).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("retention.duplicate"))
        );
        let (_, published) = app.call(Method::GET, "/v1/retention", None, None).await;
        assert_eq!(published["active"], "2026-default");
        app.clock.advance(DAY);
        let (_, published) = app.call(Method::GET, "/v1/retention", None, None).await;
        assert_eq!(published["active"], "2027-shorter", "{published}");
        app.cleanup().await;
    }
}
