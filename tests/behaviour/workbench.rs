//! Pooled sampling and laboratory results: a positive pool puts every member in
//! "pending retest" until each has an individual result.

use axum::http::{Method, StatusCode};
use healthcode_domain::identity::{DocumentType, make_resident_id};
use healthcode_domain::role::Role;
use healthcode_store::AddSample;
use healthcode_tests::{TestApp, backends};
use jiff::civil::date;
use serde_json::{Value, json};

const PASSWORD: &str = "a-good-password";

/// Registers `n` citizens; returns (person id, token) for each.
async fn citizens(app: &TestApp, n: u16) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for i in 0..n {
        let id = make_resident_id("350102", date(1985, 5, 5), 200 + i).expect("id");
        let phone = format!("1360000{i:04}");
        app.register("吴小明", "resident_id", &id, &phone, PASSWORD)
            .await;
        let token = app
            .login(json!({ "phone": phone, "password": PASSWORD }))
            .await;
        let (_, _) = app
            .call(Method::GET, "/v1/me/code", Some(&token), None)
            .await;
        let person = app
            .state
            .people()
            .find_by_document(app.state.store(), DocumentType::ResidentId, &id)
            .await
            .expect("lookup")
            .expect("registered");
        out.push((person, token));
    }
    out
}

fn at(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .expect("time")
        .to_string()
}

async fn colour(app: &TestApp, token: &str) -> String {
    let (_, body) = app
        .call(Method::GET, "/v1/me/code", Some(token), None)
        .await;
    body["colour"].as_str().expect("colour").to_owned()
}

fn result(tube: &str, outcome: &str, sample_at: i64) -> Value {
    json!({ "tube_id": tube, "kind": "pcr", "outcome": outcome, "laboratory": "Fuzhou CDC Lab 2", "sample_at": at(sample_at) })
}

#[tokio::test]
async fn a_positive_pool_puts_every_member_in_pending_retest_until_an_individual_result() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let people = citizens(&app, 3).await;
        let authority = app.staff("cdc", Role::Authority).await;
        app.activate_dynamic_zero(&authority).await;
        let collector = app.staff("collector", Role::Collector).await;
        let lab = app.staff("lab", Role::Lab).await;

        let (status, tube) = app
            .call(
                Method::POST,
                "/v1/tubes",
                Some(&collector),
                Some(json!({ "tube_id": "P-0001", "capacity": 10 })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{tube}");
        let now = app.state.now();
        for (person, _) in &people {
            assert_eq!(
                app.add_sample("P-0001", person, now).await,
                AddSample::Added
            );
        }
        assert_eq!(
            app.add_sample("P-0001", &people[0].0, now).await,
            AddSample::AlreadyIn
        );
        let (_, view) = app
            .call(Method::GET, "/v1/tubes/P-0001", Some(&lab), None)
            .await;
        assert_eq!(view["samples"], 3);
        assert!(
            !view.to_string().contains(&people[0].0),
            "tubes show counts, not people"
        );

        app.clock.advance(3600);
        let (status, applied) = upload_result(&app, &lab, result("P-0001", "positive", now)).await;
        assert_eq!(status, StatusCode::OK, "{applied}");
        assert_eq!(applied, json!({ "status": "new", "members": 3 }));
        for (_, token) in &people {
            assert_eq!(colour(&app, token).await, "yellow", "{backend:?}");
            let (_, why) = app
                .call(Method::GET, "/v1/me/explanation?lang=en", Some(token), None)
                .await;
            assert_eq!(why["reasons"][0]["rule_id"], "pending-retest", "{why}");
        }
        // The same upload again changes nothing; a different result for it is refused.
        let (_, again) = upload_result(&app, &lab, result("P-0001", "positive", now)).await;
        assert_eq!(again["status"], "repeat");
        let (status, body) = upload_result(&app, &lab, result("P-0001", "negative", now)).await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (StatusCode::CONFLICT, json!("tube.result_conflict"))
        );
        assert_eq!(
            app.state
                .store()
                .facts_of(&people[0].0)
                .await
                .expect("facts")
                .len(),
            2,
            "one result and one pending retest"
        );

        // An individual negative sampled after the pool clears one member only.
        app.clock.advance(600);
        let (status, _) = app
            .call(
                Method::POST,
                "/v1/tubes",
                Some(&collector),
                Some(json!({ "tube_id": "S-0001", "capacity": 1 })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let later = app.state.now();
        app.add_sample("S-0001", &people[0].0, later).await;
        assert_eq!(
            app.add_sample("S-0001", &people[1].0, later).await,
            AddSample::Full
        );
        app.clock.advance(1800);
        let (status, _) = upload_result(&app, &lab, result("S-0001", "negative", later)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(colour(&app, &people[0].1).await, "green");
        assert_eq!(colour(&app, &people[1].1).await, "yellow");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_negative_pool_is_negative_for_everyone_and_roles_are_checked() {
    let app = TestApp::new(healthcode_store::Backend::Sqlite).await;
    let people = citizens(&app, 2).await;
    let collector = app.staff("collector", Role::Collector).await;
    let lab = app.staff("lab", Role::Lab).await;
    let checker = app.staff("checker", Role::Checker).await;
    for (token, path, body) in [
        (
            &lab,
            "/v1/tubes",
            json!({ "tube_id": "P-1", "capacity": 10 }),
        ),
        (
            &checker,
            "/v1/tubes",
            json!({ "tube_id": "P-1", "capacity": 10 }),
        ),
        (
            &people[0].1,
            "/v1/tubes",
            json!({ "tube_id": "P-1", "capacity": 10 }),
        ),
        (
            &collector,
            "/v1/results",
            result("P-1", "negative", app.state.now()),
        ),
        (
            &people[0].1,
            "/v1/results",
            result("P-1", "negative", app.state.now()),
        ),
    ] {
        let (status, _) = app.call(Method::POST, path, Some(token), Some(body)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    for (body, code) in [
        (json!({ "tube_id": "P-1", "capacity": 21 }), "tube.capacity"),
        (json!({ "tube_id": "P 1", "capacity": 10 }), "tube.id"),
    ] {
        let (status, answer) = app
            .call(Method::POST, "/v1/tubes", Some(&collector), Some(body))
            .await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code))
        );
    }
    app.call(
        Method::POST,
        "/v1/tubes",
        Some(&collector),
        Some(json!({ "tube_id": "P-1", "capacity": 20 })),
    )
    .await;
    let (status, _) = app
        .call(
            Method::POST,
            "/v1/tubes",
            Some(&collector),
            Some(json!({ "tube_id": "P-1", "capacity": 20 })),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let now = app.state.now();
    let (status, body) = upload_result(&app, &lab, result("P-1", "negative", now)).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::CONFLICT, json!("tube.empty"))
    );
    for (person, _) in &people {
        app.add_sample("P-1", person, now).await;
    }
    let (status, _) = app
        .call(Method::POST, "/v1/tubes/P-1/seal", Some(&collector), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.add_sample("P-1", "someone", now).await,
        AddSample::Sealed
    );
    for (body, code) in [
        (result("P-1", "unclear", now), "result.outcome"),
        (
            json!({ "tube_id": "P-1", "kind": "pcr", "outcome": "negative", "laboratory": "L", "sample_at": at(now + 86_400) }),
            "result.time",
        ),
        (
            json!({ "tube_id": "P-1", "kind": "blood", "outcome": "negative", "laboratory": "L", "sample_at": at(now) }),
            "result.kind",
        ),
    ] {
        let (status, answer) = upload_result(&app, &lab, body).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code))
        );
    }
    let (status, applied) = upload_result(&app, &lab, result("P-1", "negative", now)).await;
    assert_eq!(
        (status, applied["members"].clone()),
        (StatusCode::OK, json!(2))
    );
    for (person, token) in &people {
        assert_eq!(colour(&app, token).await, "green");
        assert_eq!(
            app.state
                .store()
                .facts_of(person)
                .await
                .expect("facts")
                .len(),
            1
        );
    }
    app.cleanup().await;
}

/// A laboratory (or anyone, to test the refusal) reports a tube's result.
async fn upload_result(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::POST, "/v1/results", Some(token), Some(body))
        .await
}

/// A collector (or anyone, to test the refusal) scans a personal code into a tube.
async fn scan_into(app: &TestApp, tube: &str, token: &str, code: &str) -> (StatusCode, Value) {
    app.call(
        Method::POST,
        &format!("/v1/tubes/{tube}/samples"),
        Some(token),
        Some(json!({ "personal_code": code })),
    )
    .await
}

#[tokio::test]
async fn collectors_scan_personal_codes_into_tubes() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let people = citizens(&app, 3).await;
        let collector = app.staff("collector", Role::Collector).await;
        let checker = app.staff("checker", Role::Checker).await;
        app.call(
            Method::POST,
            "/v1/tubes",
            Some(&collector),
            Some(json!({ "tube_id": "P-9", "capacity": 2 })),
        )
        .await;
        let mut codes = Vec::new();
        for (_, token) in &people {
            let (_, code) = app
                .call(Method::GET, "/v1/me/code", Some(token), None)
                .await;
            codes.push(code["payload"].as_str().expect("payload").to_owned());
        }
        let (status, _) = scan_into(&app, "P-9", &checker, &codes[0]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, added) = scan_into(&app, "P-9", &collector, &codes[0]).await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
        assert_eq!(added["masked_name"], "吴*明");
        assert_eq!(added["samples"], 1);
        let (status, again) = scan_into(&app, "P-9", &collector, &codes[0]).await;
        assert_eq!(
            (status, again["repeat"].clone()),
            (StatusCode::OK, json!(true))
        );
        let (status, _) = scan_into(&app, "P-9", &collector, &codes[1]).await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, full) = scan_into(&app, "P-9", &collector, &codes[2]).await;
        assert_eq!(
            (status, full["error"]["code"].clone()),
            (StatusCode::CONFLICT, json!("tube.full"))
        );
        let (status, missing) = scan_into(&app, "NONE", &collector, &codes[2]).await;
        assert_eq!(
            (status, missing["error"]["code"].clone()),
            (StatusCode::NOT_FOUND, json!("tube.not_found"))
        );
        let mut forged: Vec<char> = codes[2].chars().collect();
        let i = forged.len() - 5;
        forged[i] = if forged[i] == 'A' { 'B' } else { 'A' };
        let forged: String = forged.into_iter().collect();
        let (status, _) = scan_into(&app, "P-9", &collector, &forged).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let tube = app
            .state
            .store()
            .tube("P-9")
            .await
            .expect("tube")
            .expect("exists");
        assert_eq!(tube.members.len(), 2);
        assert!(tube.members.contains(&people[0].0) && tube.members.contains(&people[1].0));
        app.cleanup().await;
    }
}
