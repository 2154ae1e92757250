//! Overrides need two officials and expire; appeals are filed and answered.

use axum::http::{Method, StatusCode};
use healthcode_core::recompute;
use healthcode_domain::identity::make_resident_id;
use healthcode_domain::role::Role;
use healthcode_store::Backend;
use healthcode_tests::{T0, TestApp, backends};
use jiff::civil::date;
use serde_json::json;

const PASSWORD: &str = "a-good-password";

fn at(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .expect("time")
        .to_string()
}

#[tokio::test]
async fn an_override_needs_a_second_official_is_visible_and_expires() {
    for backend in backends() {
        let config = healthcode_core::config::ServerConfig {
            session_lifetime: 7 * 86_400,
            ..Default::default()
        };
        let app = TestApp::with_config(backend, config).await;
        let id = make_resident_id("350102", date(1970, 7, 7), 77).expect("id");
        app.register("周大福", "resident_id", &id, "13700000077", PASSWORD)
            .await;
        let citizen = app
            .login(json!({ "phone": "13700000077", "password": PASSWORD }))
            .await;
        let first = app.staff("official-a", Role::Authority).await;
        let second = app.staff("official-b", Role::Authority).await;
        let regulator = app.staff("auditor", Role::Regulator).await;
        let checker = app.staff("gate", Role::Checker).await;

        let request = json!({
            "document_type": "resident_id", "document_number": id, "colour": "red",
            "justification": "Confirmed case reported by the county CDC", "expires_at": at(T0 + 2 * 86_400)
        });
        for (token, status) in [
            (&citizen, StatusCode::FORBIDDEN),
            (&checker, StatusCode::FORBIDDEN),
            (&regulator, StatusCode::FORBIDDEN),
        ] {
            let (got, _) = app
                .call(
                    Method::POST,
                    "/v1/overrides",
                    Some(token),
                    Some(request.clone()),
                )
                .await;
            assert_eq!(got, status);
        }
        let (status, pending) = app
            .call(Method::POST, "/v1/overrides", Some(&first), Some(request))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{pending}");
        assert_eq!(pending["status"], "pending");
        let override_id = pending["id"].as_str().expect("id").to_owned();
        let approve = format!("/v1/overrides/{override_id}/approve");

        // One official alone changes nothing.
        let (status, body) = app.call(Method::POST, &approve, Some(&first), None).await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (StatusCode::FORBIDDEN, json!("override.same_official"))
        );
        let (_, code) = app
            .call(Method::GET, "/v1/me/code", Some(&citizen), None)
            .await;
        assert_eq!(code["colour"], "green");
        let (status, _) = app.call(Method::POST, &approve, Some(&citizen), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // A second official applies it.
        let (status, approved) = app.call(Method::POST, &approve, Some(&second), None).await;
        assert_eq!(status, StatusCode::OK, "{approved}");
        assert_eq!(approved["status"], "approved");
        let (status, _) = app.call(Method::POST, &approve, Some(&second), None).await;
        assert_eq!(status, StatusCode::CONFLICT, "approving twice");
        let (_, code) = app
            .call(Method::GET, "/v1/me/code", Some(&citizen), None)
            .await;
        assert_eq!(code["colour"], "red", "{backend:?}");
        let (_, why) = app
            .call(
                Method::GET,
                "/v1/me/explanation?lang=en",
                Some(&citizen),
                None,
            )
            .await;
        assert_eq!(why["reasons"][0]["code"], "override.active");
        assert!(
            why.to_string()
                .contains("Confirmed case reported by the county CDC"),
            "the person sees the justification: {why}"
        );

        // Supervisors see who did what, and nothing about the person.
        let (status, list) = app
            .call(Method::GET, "/v1/overrides", Some(&regulator), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(list[0]["approved_by"].is_string());
        let text = list.to_string();
        assert!(
            !text.contains(&id) && !text.contains("周") && !text.contains("county CDC"),
            "{text}"
        );
        let (status, _) = app
            .call(Method::GET, "/v1/overrides", Some(&citizen), None)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // It expires by itself.
        app.clock.advance(2 * 86_400);
        assert!(recompute::sweep_due(&app.state).await.expect("sweep") >= 1);
        let (_, code) = app
            .call(Method::GET, "/v1/me/code", Some(&citizen), None)
            .await;
        assert_eq!(code["colour"], "green");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn overrides_are_validated() {
    let app = TestApp::new(Backend::Sqlite).await;
    let official = app.staff("official", Role::Authority).await;
    let id = make_resident_id("350102", date(1970, 7, 7), 78).expect("id");
    app.register("周小福", "resident_id", &id, "13700000078", PASSWORD)
        .await;
    let base = json!({ "document_type": "resident_id", "document_number": id, "colour": "red",
                       "justification": "A good reason", "expires_at": at(T0 + 3600) });
    let with = |field: &str, value: serde_json::Value| {
        let mut b = base.clone();
        b[field] = value;
        b
    };
    for (body, status, code) in [
        (with("colour", json!("purple")), 422, "override.colour"),
        (
            with("justification", json!("no")),
            422,
            "override.justification",
        ),
        (
            with("expires_at", json!(at(T0 - 1))),
            422,
            "override.expires_at",
        ),
        (
            with("expires_at", json!(at(T0 + 31 * 86_400))),
            422,
            "override.expires_at",
        ),
        (
            with(
                "document_number",
                json!(make_resident_id("350102", date(1970, 7, 7), 79).expect("id")),
            ),
            404,
            "person.not_found",
        ),
    ] {
        let (got, answer) = app
            .call(
                Method::POST,
                "/v1/overrides",
                Some(&official),
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            (got.as_u16(), answer["error"]["code"].as_str()),
            (status, Some(code)),
            "{body}"
        );
    }
    app.cleanup().await;
}

#[tokio::test]
async fn appeals_are_filed_answered_and_private() {
    let app = TestApp::new(Backend::Sqlite).await;
    let id = make_resident_id("350102", date(1992, 2, 2), 92).expect("id");
    app.register("郑小雨", "resident_id", &id, "13700000092", PASSWORD)
        .await;
    let citizen = app
        .login(json!({ "phone": "13700000092", "password": PASSWORD }))
        .await;
    let official = app.staff("official", Role::Authority).await;
    let regulator = app.staff("auditor", Role::Regulator).await;

    let (status, body) = app
        .call(
            Method::POST,
            "/v1/me/appeals",
            Some(&citizen),
            Some(json!({ "text": "x" })),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("appeal.text"))
    );
    let (status, filed) = app
        .call(
            Method::POST,
            "/v1/me/appeals",
            Some(&citizen),
            Some(json!({ "text": "I was never at that market." })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    assert_eq!(filed["status"], "open");
    assert_eq!(filed["colour"], "green");

    for token in [&citizen, &regulator] {
        let (status, _) = app
            .call(Method::GET, "/v1/appeals", Some(token), None)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (_, open) = app
        .call(Method::GET, "/v1/appeals", Some(&official), None)
        .await;
    assert_eq!(open[0]["text"], "I was never at that market.");
    assert_eq!(open[0]["masked_name"], "郑*雨");
    assert!(
        !open.to_string().contains(&id),
        "the authority's list carries no document number"
    );

    let resolve = format!("/v1/appeals/{}/resolve", filed["id"].as_str().expect("id"));
    let (status, _) = app
        .call(
            Method::POST,
            &resolve,
            Some(&citizen),
            Some(json!({ "decision": "upheld", "note": "ok then" })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = app
        .call(
            Method::POST,
            &resolve,
            Some(&official),
            Some(json!({ "decision": "maybe", "note": "hmm hmm" })),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("appeal.decision"))
    );
    let (status, resolved) = app
        .call(
            Method::POST,
            &resolve,
            Some(&official),
            Some(json!({ "decision": "rejected", "note": "Your code is green already." })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    let (status, _) = app
        .call(
            Method::POST,
            &resolve,
            Some(&official),
            Some(json!({ "decision": "upheld", "note": "Changed my mind." })),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, mine) = app
        .call(Method::GET, "/v1/me/appeals", Some(&citizen), None)
        .await;
    assert_eq!(mine[0]["status"], "rejected");
    assert_eq!(mine[0]["resolution"], "Your code is green already.");
    app.cleanup().await;
}
