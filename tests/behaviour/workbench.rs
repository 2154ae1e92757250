//! Pooled sampling and laboratory results: a positive pool puts every member in
//! "pending retest" until each has an individual result.

use std::sync::Arc;

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
            .call(Method::GET, "/v1/tubes/P-0001", Some(&collector), None)
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

/// A collector opens a tube for `capacity` samples; panics unless it is created.
async fn open_tube(app: &TestApp, collector: &str, tube: &str, capacity: i64) {
    let (status, body) = app
        .call(
            Method::POST,
            "/v1/tubes",
            Some(collector),
            Some(json!({ "tube_id": tube, "capacity": capacity })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// The current personal code of each citizen.
async fn personal_codes(app: &TestApp, people: &[(String, String)]) -> Vec<String> {
    let mut codes = Vec::new();
    for (_, token) in people {
        let (_, code) = app
            .call(Method::GET, "/v1/me/code", Some(token), None)
            .await;
        codes.push(code["payload"].as_str().expect("payload").to_owned());
    }
    codes
}

/// The facts of a citizen's export whose fact matches `wanted`.
async fn exported_facts(app: &TestApp, token: &str, wanted: impl Fn(&Value) -> bool) -> Vec<Value> {
    let (status, export) = app
        .call(Method::GET, "/v1/me/export", Some(token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{export}");
    export["facts"]
        .as_array()
        .expect("facts")
        .iter()
        .filter(|f| wanted(f))
        .cloned()
        .collect()
}

/// Two laboratories send contradictory results for one tube at the same
/// moment, thirty times over: each time exactly one is applied, to every
/// member, and the other is refused as it is when sent after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contradictory_results_sent_at_once_apply_exactly_one() {
    for backend in backends() {
        let app = Arc::new(TestApp::new(backend).await);
        let people = citizens(&app, 2).await;
        let collector = app.staff("collector", Role::Collector).await;
        let labs = [
            app.staff("lab-a", Role::Lab).await,
            app.staff("lab-b", Role::Lab).await,
        ];
        let mut winners = Vec::new();
        for round in 0..30 {
            let tube = format!("R-{round}");
            open_tube(&app, &collector, &tube, 2).await;
            let sampled = app.state.now();
            for (person, _) in &people {
                assert_eq!(
                    app.add_sample(&tube, person, sampled).await,
                    AddSample::Added
                );
            }
            let (status, _) = app
                .call(
                    Method::POST,
                    &format!("/v1/tubes/{tube}/seal"),
                    Some(&collector),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::NO_CONTENT);
            app.clock.advance(60);
            let tasks: Vec<_> = [("positive", &labs[0]), ("negative", &labs[1])]
                .into_iter()
                .map(|(outcome, lab)| {
                    let (app, lab) = (app.clone(), lab.clone());
                    let mut body = result(&tube, outcome, sampled);
                    body["laboratory"] = json!(format!("Lab {outcome} #{round}"));
                    tokio::spawn(async move { (outcome, upload_result(&app, &lab, body).await) })
                })
                .collect();
            let (mut applied, mut refused) = (Vec::new(), 0);
            for task in tasks {
                let (outcome, (status, body)) = task.await.expect("task");
                match status {
                    StatusCode::OK => {
                        assert_eq!(body, json!({ "status": "new", "members": 2 }));
                        applied.push(outcome);
                    }
                    StatusCode::CONFLICT => {
                        assert_eq!(body["error"]["code"], "tube.result_conflict", "{body}");
                        refused += 1;
                    }
                    other => panic!("{backend:?} round {round}: {other} {body}"),
                }
            }
            assert_eq!(
                (applied.len(), refused),
                (1, 1),
                "{backend:?} round {round}: {applied:?}"
            );
            let stored = app.state.store().tube(&tube).await.expect("tube");
            assert_eq!(stored.expect("exists").outcome.as_deref(), Some(applied[0]));
            winners.push(applied[0]);
        }
        // Every member holds exactly the winning result of each round, and a
        // pending retest exactly for the tubes that were positive.
        for (_, token) in &people {
            for (round, winner) in winners.iter().enumerate() {
                let suffix = format!(" #{round}");
                let results = exported_facts(&app, token, |f| {
                    f["kind"] == "test_result"
                        && f["fact"]["fact"]["laboratory"]
                            .as_str()
                            .is_some_and(|l| l.ends_with(&suffix))
                })
                .await;
                assert_eq!(results.len(), 1, "{backend:?} round {round}: {results:?}");
                assert_eq!(results[0]["fact"]["fact"]["outcome"], **winner);
                let retests = exported_facts(&app, token, |f| {
                    f["fact"]["fact"]["pool_id"] == format!("R-{round}")
                })
                .await;
                assert_eq!(retests.len(), usize::from(*winner == "positive"));
            }
        }
        let app = Arc::try_unwrap(app).ok().expect("no other owner");
        app.cleanup().await;
    }
}

/// Twenty scans into one tube of ten at once: ten are added, ten refused as
/// full, none fails, and the tube holds exactly ten, on every store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn samples_scanned_into_one_tube_at_once_fill_it_exactly() {
    for backend in backends() {
        let app = Arc::new(TestApp::new(backend).await);
        let people = citizens(&app, 20).await;
        let collector = app.staff("collector", Role::Collector).await;
        open_tube(&app, &collector, "P-20", 10).await;
        let codes = personal_codes(&app, &people).await;
        let tasks: Vec<_> = codes
            .into_iter()
            .map(|code| {
                let (app, collector) = (app.clone(), collector.clone());
                tokio::spawn(async move { scan_into(&app, "P-20", &collector, &code).await })
            })
            .collect();
        let (mut added, mut full) = (0, 0);
        for task in tasks {
            let (status, body) = task.await.expect("task");
            match (status, body["error"]["code"].as_str()) {
                (StatusCode::CREATED, _) => added += 1,
                (StatusCode::CONFLICT, Some("tube.full")) => full += 1,
                _ => panic!("{backend:?}: {status} {body}"),
            }
        }
        assert_eq!((added, full), (10, 10), "{backend:?}");
        let tube = app.state.store().tube("P-20").await.expect("tube");
        assert_eq!(tube.expect("exists").members.len(), 10, "{backend:?}");
        let app = Arc::try_unwrap(app).ok().expect("no other owner");
        app.cleanup().await;
    }
}

/// A result uploaded while samples are still being scanned into its tube:
/// every sample is either in before the result, and gets it, or refused
/// because the tube has been sealed by it. None is left without a result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sample_racing_the_result_gets_it_or_is_refused() {
    for backend in backends() {
        let app = Arc::new(TestApp::new(backend).await);
        let people = citizens(&app, 8).await;
        let collector = app.staff("collector", Role::Collector).await;
        let lab = app.staff("lab", Role::Lab).await;
        for round in 0..5 {
            let codes = personal_codes(&app, &people).await;
            let tube = format!("Q-{round}");
            open_tube(&app, &collector, &tube, 10).await;
            let sampled = app.state.now();
            app.add_sample(&tube, &people[0].0, sampled).await;
            app.clock.advance(60);
            let mut tasks = Vec::new();
            for code in codes.iter().skip(1) {
                let (app, collector, tube, code) =
                    (app.clone(), collector.clone(), tube.clone(), code.clone());
                tasks.push(tokio::spawn(async move {
                    scan_into(&app, &tube, &collector, &code).await
                }));
            }
            let body = result(&tube, "negative", sampled);
            let upload = {
                let (app, lab) = (app.clone(), lab.clone());
                tokio::spawn(async move { upload_result(&app, &lab, body).await })
            };
            for task in tasks {
                let (status, body) = task.await.expect("task");
                assert!(
                    status == StatusCode::CREATED
                        || (status == StatusCode::CONFLICT
                            && body["error"]["code"] == "tube.sealed"),
                    "{backend:?}: {status} {body}"
                );
            }
            let (status, applied) = upload.await.expect("task");
            assert_eq!(status, StatusCode::OK, "{applied}");
            let members = app
                .state
                .store()
                .tube(&tube)
                .await
                .expect("tube")
                .expect("exists")
                .members;
            assert_eq!(
                applied["members"],
                members.len(),
                "{backend:?} round {round}"
            );
            for person in &members {
                let key = format!("tube:{tube}:{person}:result");
                let facts = app.state.store().facts_of(person).await.expect("facts");
                assert!(
                    facts.iter().any(|f| f.dedup_key.as_deref() == Some(&key)),
                    "{backend:?} round {round}: a member without the tube's result"
                );
            }
        }
        let app = Arc::try_unwrap(app).ok().expect("no other owner");
        app.cleanup().await;
    }
}

/// Tubes belong to the collector who opened them: another collector finds no
/// such tube (the same answer as for a tube that does not exist, so other
/// sites' tube ids are not revealed) and can neither read, fill nor seal it;
/// a laboratory cannot read who or how many are in a tube, only upload its
/// result.
#[tokio::test]
async fn a_tube_is_only_seen_filled_and_sealed_by_its_collector() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let people = citizens(&app, 2).await;
        let codes = personal_codes(&app, &people).await;
        let owner = app.staff("collector-a", Role::Collector).await;
        let other = app.staff("collector-b", Role::Collector).await;
        let lab = app.staff("lab", Role::Lab).await;
        open_tube(&app, &owner, "A-1", 5).await;

        let not_found = (StatusCode::NOT_FOUND, Some("tube.not_found"));
        let answer = |(status, body): (StatusCode, Value)| {
            (status, body["error"]["code"].as_str().map(str::to_owned))
        };
        for tube in ["A-1", "NONE"] {
            let read = app
                .call(
                    Method::GET,
                    &format!("/v1/tubes/{tube}"),
                    Some(&other),
                    None,
                )
                .await;
            let fill = scan_into(&app, tube, &other, &codes[0]).await;
            let seal = app
                .call(
                    Method::POST,
                    &format!("/v1/tubes/{tube}/seal"),
                    Some(&other),
                    None,
                )
                .await;
            for (what, got) in [("read", read), ("fill", fill), ("seal", seal)] {
                let got = answer(got);
                assert_eq!(
                    (got.0, got.1.as_deref()),
                    not_found,
                    "{backend:?}: {what} {tube}"
                );
            }
        }
        // No other role reads, fills or seals a tube: not the laboratory,
        // which needs only the tube's id to upload its result.
        let mut others = vec![
            (Role::Lab, lab.clone()),
            (Role::Citizen, people[0].1.clone()),
        ];
        for role in [Role::Checker, Role::Venue, Role::Authority, Role::Regulator] {
            others.push((role, app.staff(role.as_str(), role).await));
        }
        for (role, token) in &others {
            let read = app
                .call(Method::GET, "/v1/tubes/A-1", Some(token), None)
                .await;
            let fill = scan_into(&app, "A-1", token, &codes[0]).await;
            let seal = app
                .call(Method::POST, "/v1/tubes/A-1/seal", Some(token), None)
                .await;
            for (what, got) in [("read", read), ("fill", fill), ("seal", seal)] {
                let got = answer(got);
                assert_eq!(
                    (got.0, got.1.as_deref()),
                    (StatusCode::FORBIDDEN, Some("auth.forbidden")),
                    "{backend:?}: {what} as {role:?}"
                );
            }
        }
        // Nothing the other collector tried reached the tube or the person.
        let tube = app.state.store().tube("A-1").await.expect("tube");
        let tube = tube.expect("exists");
        assert!(tube.members.is_empty() && tube.sealed_at.is_none());
        let (_, log) = app
            .call(Method::GET, "/v1/me/access-log", Some(&people[0].1), None)
            .await;
        assert_eq!(log["entries"], json!([]), "{log}");

        // Its own collector still reads, fills and seals it; the laboratory
        // uploads its result by id.
        let (status, added) = scan_into(&app, "A-1", &owner, &codes[0]).await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
        let (status, view) = app
            .call(Method::GET, "/v1/tubes/A-1", Some(&owner), None)
            .await;
        assert_eq!(
            (status, view["samples"].clone()),
            (StatusCode::OK, json!(1))
        );
        let (status, _) = app
            .call(Method::POST, "/v1/tubes/A-1/seal", Some(&owner), None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, again) = app
            .call(Method::POST, "/v1/tubes/A-1/seal", Some(&owner), None)
            .await;
        assert_eq!(
            (status, again["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("tube.not_open"))
        );
        app.clock.advance(600);
        let (status, applied) =
            upload_result(&app, &lab, result("A-1", "negative", app.state.now() - 300)).await;
        assert_eq!(
            (status, applied["members"].clone()),
            (StatusCode::OK, json!(1))
        );
        app.cleanup().await;
    }
}
