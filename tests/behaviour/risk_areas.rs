//! A person who visited a venue in a county declared a risk area turns yellow,
//! with an explanation naming the venue and the window, and turns green when the
//! window plus its tail has passed — on every backend.

use axum::http::{Method, StatusCode};
use healthcode_core::recompute;
use healthcode_domain::identity::make_resident_id;
use healthcode_domain::role::Role;
use healthcode_tests::{TestApp, backends};
use jiff::civil::date;
use serde_json::json;

fn at(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .expect("time")
        .to_string()
}

#[tokio::test]
async fn a_visit_to_a_declared_risk_area_turns_yellow_then_green_after_the_tail() {
    for backend in backends() {
        let config = healthcode_core::config::ServerConfig {
            session_lifetime: 30 * 86_400,
            ..Default::default()
        };
        let app = TestApp::with_config(backend, config).await;
        let authority = app.staff("cdc", Role::Authority).await;
        app.activate_dynamic_zero(&authority).await;
        let owner = app.staff("market", Role::Venue).await;
        let (status, venue) = app
            .call(Method::POST, "/v1/venues", Some(&owner), Some(json!({ "name": "东街口农贸市场", "address": "鼓楼区东街 1 号", "division": "350102" })))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{venue}");

        let visitor_id = make_resident_id("350103", date(1975, 1, 1), 11).expect("id");
        app.register(
            "何小平",
            "resident_id",
            &visitor_id,
            "13300000011",
            "a-good-password",
        )
        .await;
        let visitor = app
            .login(json!({ "phone": "13300000011", "password": "a-good-password" }))
            .await;
        let stayer_id = make_resident_id("350103", date(1975, 1, 1), 13).expect("id");
        app.register(
            "何小安",
            "resident_id",
            &stayer_id,
            "13300000013",
            "a-good-password",
        )
        .await;
        let stayer = app
            .login(json!({ "phone": "13300000013", "password": "a-good-password" }))
            .await;

        let visit = app.state.now();
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/me/check-ins",
                Some(&visitor),
                Some(json!({ "place_code": venue["place_code"] })),
            )
            .await;
        assert!(status.is_success(), "{body}");
        app.clock.advance(86_400);

        // The county (鼓楼区) is declared a high-risk area for the day of the visit.
        let area = json!({ "scope_kind": "division", "scope": "350102", "level": "high", "name": "鼓楼区",
                           "from": at(visit - 3600), "until": at(visit + 3600) });
        let (status, _) = app
            .call(
                Method::POST,
                "/v1/risk-areas",
                Some(&owner),
                Some(area.clone()),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "only authorities declare risk areas"
        );
        let (status, declared) = app
            .call(Method::POST, "/v1/risk-areas", Some(&authority), Some(area))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{declared}");
        assert_eq!(
            declared["recomputed"], 1,
            "found through the check-in index: only the visitor"
        );

        let (_, code) = app
            .call(Method::GET, "/v1/me/code", Some(&visitor), None)
            .await;
        assert_eq!(code["colour"], "yellow", "{backend:?}");
        let (_, code) = app
            .call(Method::GET, "/v1/me/code", Some(&stayer), None)
            .await;
        assert_eq!(code["colour"], "green");
        let (_, why) = app
            .call(
                Method::GET,
                "/v1/me/explanation?lang=en",
                Some(&visitor),
                None,
            )
            .await;
        assert_eq!(why["reasons"][0]["rule_id"], "risk-area-high", "{why}");
        let message = why["reasons"][0]["message"].as_str().expect("message");
        assert!(
            message.contains("东街口农贸市场"),
            "the explanation names the venue: {message}"
        );
        let green_at: jiff::Timestamp = why["green_at"]
            .as_str()
            .expect("green_at")
            .parse()
            .expect("time");
        assert_eq!(
            green_at.as_second(),
            visit + 3600 + 7 * 86_400,
            "window end plus the 7-day tail"
        );

        // Nothing happens until the tail has passed; then the sweeper turns it green.
        app.clock
            .advance(green_at.as_second() - app.state.now() - 1);
        recompute::sweep_due(&app.state).await.expect("sweep");
        let (_, code) = app
            .call(Method::GET, "/v1/me/code", Some(&visitor), None)
            .await;
        assert_eq!(code["colour"], "yellow");
        app.clock.advance(1);
        assert!(recompute::sweep_due(&app.state).await.expect("sweep") >= 1);
        let (_, code) = app
            .call(Method::GET, "/v1/me/code", Some(&visitor), None)
            .await;
        assert_eq!(code["colour"], "green");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn risk_areas_are_validated() {
    let app = TestApp::new(healthcode_store::Backend::Sqlite).await;
    let authority = app.staff("cdc", Role::Authority).await;
    let now = app.state.now();
    for (body, code) in [
        (
            json!({ "scope_kind": "division", "scope": "999999", "level": "high", "from": at(now) }),
            "risk_area.division",
        ),
        (
            json!({ "scope_kind": "street", "scope": "x", "level": "high", "from": at(now) }),
            "risk_area.scope",
        ),
        (
            json!({ "scope_kind": "division", "scope": "350102", "level": "extreme", "from": at(now) }),
            "risk_area.level",
        ),
        (
            json!({ "scope_kind": "division", "scope": "350102", "level": "high", "from": "today" }),
            "risk_area.time",
        ),
        (
            json!({ "scope_kind": "division", "scope": "350102", "level": "high", "from": at(now), "until": at(now - 1) }),
            "risk_area.time",
        ),
    ] {
        let (status, answer) = app
            .call(
                Method::POST,
                "/v1/risk-areas",
                Some(&authority),
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code)),
            "{body}"
        );
    }
    app.cleanup().await;
}

/// A batch recomputation (a risk area's, the sweeper's) that read a person's
/// facts before a new fact arrived must not overwrite the status that fact's
/// own recomputation wrote.
#[tokio::test]
async fn a_slow_batch_never_overwrites_a_fresher_status() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let id = make_resident_id("350102", date(1991, 2, 3), 77).expect("id");
        app.register(
            "林小红",
            "resident_id",
            &id,
            "13500007777",
            "a-good-password",
        )
        .await;
        let token = app
            .login(json!({ "phone": "13500007777", "password": "a-good-password" }))
            .await;
        let person_id = app.person_of(&token).await;
        let colour = || async {
            app.state
                .store()
                .code_inputs(&person_id)
                .await
                .expect("read")
                .and_then(|i| i.status)
                .map(|s| s.colour)
        };
        assert_eq!(colour().await.as_deref(), Some("green"));
        // A fact stored (sealed, as `record_fact` stores it) whose own
        // recomputation has not run yet.
        let now = app.state.now();
        let fact = app.registry_vaccination("fact-1", "CoronaVac", (1, 2), date(2021, 4, 1));
        let person = app
            .state
            .people()
            .open(app.state.store(), &person_id)
            .await
            .expect("open");
        let record = person.seal_fact(&fact, None).expect("seal");
        let mut unit = app.unit().await;
        unit.insert_fact(&record).await.expect("fact");
        unit.commit().await.expect("commit");
        let stale = healthcode_store::CodeStatus {
            person_id: person_id.clone(),
            colour: "yellow".to_owned(),
            reasons_enc: None,
            policy_version: "test".to_owned(),
            computed_at: now,
            valid_until: None,
        };
        // Read at `now`: the fact recorded at `now` may be newer than the read.
        let mut unit = app.unit().await;
        unit.set_code_statuses(std::slice::from_ref(&stale), now)
            .await
            .expect("batch");
        unit.commit().await.expect("commit");
        assert_eq!(colour().await.as_deref(), Some("green"), "kept");
        // Read after the fact: the batch knew it, and writes.
        let mut unit = app.unit().await;
        unit.set_code_statuses(std::slice::from_ref(&stale), now + 1)
            .await
            .expect("batch");
        unit.commit().await.expect("commit");
        assert_eq!(colour().await.as_deref(), Some("yellow"), "written");

        // A person due for a time-based recomputation whose newer fact is
        // still being recomputed is left for the next sweep: the sweep ends.
        let mut unit = app.unit().await;
        unit.set_code_status(&healthcode_store::CodeStatus {
            valid_until: Some(now - 1),
            ..stale
        })
        .await
        .expect("due");
        unit.commit().await.expect("commit");
        tokio::time::timeout(
            std::time::Duration::from_secs(10),
            recompute::sweep_due(&app.state),
        )
        .await
        .expect("the sweep ends")
        .expect("sweep");
        app.cleanup().await;
    }
}
