//! Colours from published policies: publication, facts citizens report,
//! explanations, policy switches and time-based transitions, on every backend.

use axum::http::{Method, StatusCode};
use healthcode_core::recompute;
use healthcode_domain::identity::make_resident_id;
use healthcode_domain::role::Role;
use healthcode_store::Backend;
use healthcode_tests::{T0, TestApp, backends, dynamic_zero};
use jiff::civil::date;
use serde_json::json;

const PASSWORD: &str = "a-good-password";

async fn citizen(app: &TestApp, seq: u16, phone: &str) -> String {
    let id = make_resident_id("350102", date(1980, 3, 3), seq).expect("id");
    app.register("林小红", "resident_id", &id, phone, PASSWORD)
        .await;
    app.login(json!({ "phone": phone, "password": PASSWORD }))
        .await
}

async fn authority(app: &TestApp) -> String {
    app.staff(
        "health-commission",
        healthcode_domain::role::Role::Authority,
    )
    .await
}

async fn colour(app: &TestApp, token: &str) -> String {
    let (status, body) = app
        .call(Method::GET, "/v1/me/code", Some(token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["colour"].as_str().expect("colour").to_owned()
}

#[tokio::test]
async fn the_shipped_policies_are_published_and_everyone_is_green_today() {
    let app = TestApp::new(Backend::Sqlite).await;
    let (_, history) = app.call(Method::GET, "/v1/policies", None, None).await;
    let versions: Vec<&str> = history
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|p| p["version"].as_str())
        .collect();
    assert_eq!(versions, ["2022-dynamic-zero", "2022-12-all-green"]);
    let (_, active) = app
        .call(Method::GET, "/v1/policies/active", None, None)
        .await;
    assert_eq!(active["version"], "2022-12-all-green");
    assert_eq!(active["active"], true);
    let token = citizen(&app, 1, "13800000001").await;
    // Even a positive self-test leaves the code green under the all-green policy.
    let (status, body) = app
        .call(
            Method::POST,
            "/v1/me/self-tests",
            Some(&token),
            Some(json!({ "positive": true })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["colour"], "green");
    let (_, why) = app
        .call(
            Method::GET,
            "/v1/me/explanation?lang=en",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(why["policy_version"], "2022-12-all-green");
    app.cleanup().await;
}

#[tokio::test]
async fn a_published_policy_recolours_from_its_effective_time_and_explains_itself() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let token = citizen(&app, 2, "13800000002").await;
        let official = authority(&app).await;
        assert_eq!(colour(&app, &token).await, "green");

        // Only authorities publish, only for the future, only once per version.
        let doc = dynamic_zero("2026-11-strict", T0 + 3600);
        let (status, _) = app
            .call(
                Method::POST,
                "/v1/policies",
                Some(&token),
                Some(doc.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/policies",
                Some(&official),
                Some(dynamic_zero("late", T0 - 1)),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!("policy.retroactive")
            )
        );
        let mut broken = doc.clone();
        broken["rules"][0]["logic"] = json!({ "no-such-operation": [] });
        let (status, body) = app
            .call(Method::POST, "/v1/policies", Some(&official), Some(broken))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        // One authority proposes; nothing changes until a second approves.
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/policies",
                Some(&official),
                Some(doc.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let (status, _) = app
            .call(
                Method::POST,
                "/v1/policies",
                Some(&official),
                Some(doc.clone()),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::CONFLICT,
            "a second proposal of one version"
        );
        let (_, history) = app.call(Method::GET, "/v1/policies", None, None).await;
        assert!(
            !history.to_string().contains("2026-11-strict"),
            "a proposal is not published: {history}"
        );
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/policies/2026-11-strict/approve",
                Some(&official),
                None,
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (StatusCode::FORBIDDEN, json!("policy.same_official"))
        );
        let (status, _) = app
            .call(
                Method::POST,
                "/v1/policies/2026-11-strict/approve",
                Some(&token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a citizen cannot approve");
        let second = app.staff("second-authority", Role::Authority).await;
        let regulator = app.staff("policy-regulator", Role::Regulator).await;
        let (status, _) = app
            .call(
                Method::POST,
                "/v1/policies/2026-11-strict/approve",
                Some(&regulator),
                None,
            )
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "the regulator reads, never approves"
        );
        let (status, waiting) = app
            .call(
                Method::GET,
                "/v1/policies/proposals",
                Some(&regulator),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(waiting[0]["version"], "2026-11-strict", "{waiting}");
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/policies/2026-11-strict/approve",
                Some(&second),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/policies/2026-11-strict/approve",
                Some(&second),
                None,
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (StatusCode::NOT_FOUND, json!("policy.not_proposed"))
        );
        let (status, _) = app
            .call(Method::POST, "/v1/policies", Some(&official), Some(doc))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (_, entries) = app
            .call(
                Method::GET,
                "/v1/audit/search?act=policy.published",
                Some(&regulator),
                None,
            )
            .await;
        assert!(entries.to_string().contains("2026-11-strict"), "{entries}");

        // A positive self-test before the switch: still green.
        let (_, body) = app
            .call(
                Method::POST,
                "/v1/me/self-tests",
                Some(&token),
                Some(json!({ "positive": true })),
            )
            .await;
        assert_eq!(body["colour"], "green");
        let (_, why) = app
            .call(
                Method::GET,
                "/v1/me/explanation?lang=en",
                Some(&token),
                None,
            )
            .await;
        assert_eq!(
            why["valid_until"],
            json!(
                jiff::Timestamp::from_second(T0 + 3600)
                    .expect("t")
                    .to_string()
            ),
            "recomputed at the switch"
        );

        // From the effective time the new policy decides.
        app.clock.advance(3600);
        assert_eq!(colour(&app, &token).await, "yellow", "{backend:?}");
        let (_, why) = app
            .call(
                Method::GET,
                "/v1/me/explanation?lang=en",
                Some(&token),
                None,
            )
            .await;
        assert_eq!(why["policy_version"], "2026-11-strict");
        assert_eq!(why["reasons"][0]["rule_id"], "positive-self-test", "{why}");
        assert!(
            why["reasons"][0]["advice"]
                .as_str()
                .is_some_and(|a| !a.is_empty()),
            "{why}"
        );
        let (_, zh) = app
            .call(Method::GET, "/v1/me/explanation", Some(&token), None)
            .await;
        assert!(
            zh["reasons"][0]["message"]
                .as_str()
                .is_some_and(|m| m.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))),
            "{zh}"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_fever_turns_yellow_and_back_to_green_with_time_alone() {
    // Sessions outlive the three days this test spans.
    let config = healthcode_core::config::ServerConfig {
        session_lifetime: 7 * 86_400,
        ..Default::default()
    };
    let app = TestApp::with_config(Backend::Sqlite, config).await;
    let token = citizen(&app, 3, "13800000003").await;
    let official = authority(&app).await;
    app.publish_policy(&official, dynamic_zero("strict", T0 + 60))
        .await;
    app.clock.advance(60);

    let (status, body) = app
        .call(
            Method::POST,
            "/v1/me/declarations",
            Some(&token),
            Some(json!({ "symptoms": ["dry_cough"], "temperature_c": 38.2 })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["colour"], "yellow");
    let (_, why) = app
        .call(
            Method::GET,
            "/v1/me/explanation?lang=en",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(why["reasons"][0]["rule_id"], "fever");
    let green_at: jiff::Timestamp = why["green_at"]
        .as_str()
        .expect("green_at")
        .parse()
        .expect("time");
    assert_eq!(
        green_at.as_second(),
        T0 + 60 + 72 * 3600,
        "a fever lasts 72 hours"
    );

    // No event: the sweeper applies the transition when it falls due.
    app.clock.advance(72 * 3600 - 1);
    assert_eq!(recompute::sweep_due(&app.state).await.expect("sweep"), 0);
    assert_eq!(colour(&app, &token).await, "yellow");
    app.clock.advance(1);
    assert_eq!(recompute::sweep_due(&app.state).await.expect("sweep"), 1);
    assert_eq!(colour(&app, &token).await, "green");
    app.cleanup().await;
}

#[tokio::test]
async fn reported_facts_are_validated_and_only_citizens_report_them() {
    let app = TestApp::new(Backend::Sqlite).await;
    let token = citizen(&app, 4, "13800000004").await;
    let official = authority(&app).await;
    for (path, body, code) in [
        (
            "/v1/me/self-tests",
            json!({ "positive": true, "taken_at": "yesterday" }),
            "fact.time",
        ),
        (
            "/v1/me/self-tests",
            json!({ "positive": true, "taken_at": "2020-01-01T00:00:00Z" }),
            "fact.time",
        ),
        (
            "/v1/me/self-tests",
            json!({ "positive": "yes" }),
            "request.invalid_field",
        ),
        (
            "/v1/me/declarations",
            json!({ "symptoms": ["sneezing"] }),
            "declaration.symptom",
        ),
        (
            "/v1/me/declarations",
            json!({ "temperature_c": 52.0 }),
            "declaration.temperature",
        ),
        (
            "/v1/me/declarations",
            json!({ "travel": ["999999"] }),
            "declaration.travel",
        ),
    ] {
        let (status, answer) = app
            .call(Method::POST, path, Some(&token), Some(body.clone()))
            .await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code)),
            "{body}"
        );
    }
    assert!(
        app.state
            .store()
            .facts_of("nobody")
            .await
            .expect("facts")
            .is_empty()
    );
    for path in ["/v1/me/self-tests", "/v1/me/declarations"] {
        let (status, _) = app
            .call(Method::POST, path, None, Some(json!({ "positive": true })))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = app
            .call(
                Method::POST,
                path,
                Some(&official),
                Some(json!({ "positive": true })),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _) = app
        .call(Method::GET, "/v1/me/explanation", Some(&official), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .call(Method::POST, "/v1/policies", None, Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.cleanup().await;
}

/// A proposal whose time has passed before a second authority saw it is not
/// published retroactively.
#[tokio::test]
async fn a_proposal_approved_too_late_is_refused() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let first = app.staff("first-authority", Role::Authority).await;
        let second = app.staff("second-authority", Role::Authority).await;
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/policies",
                Some(&first),
                Some(dynamic_zero("too-late", T0 + 60)),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        app.clock.advance(120);
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/policies/too-late/approve",
                Some(&second),
                None,
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!("policy.retroactive")
            )
        );
        // Refused as a whole: the proposal is still there, and nothing was published.
        let (_, waiting) = app
            .call(Method::GET, "/v1/policies/proposals", Some(&second), None)
            .await;
        assert_eq!(waiting[0]["version"], "too-late", "{waiting}");
        let (_, history) = app.call(Method::GET, "/v1/policies", None, None).await;
        assert!(!history.to_string().contains("too-late"));
        app.cleanup().await;
    }
}
