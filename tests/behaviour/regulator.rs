//! The regulator's view on every backend: every answer the regulator can get
//! (the audit log with its heads, entries, proofs and search, the override
//! history, the services' schedule and its history, the disposals, the
//! published rules and keys) after a scenario that touched a person's data in every way, read
//! whole, holds nothing personal; and the regulator cannot reach a person's
//! data or change anything.

use axum::http::{Method, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use healthcode_core::clock::rfc3339;
use healthcode_domain::role::Role;
use healthcode_tests::backends;
use serde_json::{Value, json};

use crate::lifecycle::{citizen, others_look};

#[tokio::test]
async fn no_answer_the_regulator_gets_holds_personal_data() {
    for backend in backends() {
        let app = healthcode_tests::TestApp::new(backend).await;
        let alice = citizen(&app, 1).await;
        let bob = citizen(&app, 2).await;
        others_look(&app, &alice).await;
        let official = app.staff("official-2", Role::Authority).await;
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/services/closures",
                Some(&official),
                Some(json!({
                    "service": "workbench", "closure": "retired",
                    "from": rfc3339(app.state.now() + 60),
                    "notice_zh": "采样工作台将停止。", "notice_en": "The workbench closes.",
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/disposals",
                Some(&official),
                Some(json!({ "purpose": "epidemic-prevention" })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let bob_id = app.person_of(&bob.token).await;
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/people/erase",
                Some(&official),
                Some(
                    json!({ "document_type": "resident_id", "document_number": bob.document,
                             "reference": "REQ-2026-0001" }),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let regulator = app.staff("regulator-1", Role::Regulator).await;
        let (status, head) = app
            .call(Method::POST, "/v1/audit/heads", Some(&regulator), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{head}");
        let size = head["tree_size"].as_u64().expect("size");
        assert!(size > 5, "the scenario is logged");

        let mut answers = Vec::new();
        for path in [
            "/v1/audit/head".to_owned(),
            "/v1/audit/heads?since=0".to_owned(),
            format!("/v1/audit/entries?start=0&end={}", size - 1),
            format!("/v1/audit/proof?index=0&tree_size={size}"),
            format!("/v1/audit/consistency?first=1&second={size}"),
            "/v1/audit/search?limit=200".to_owned(),
            "/v1/audit/search?act=data.opened".to_owned(),
            "/v1/audit/search?act=erasure.requested".to_owned(),
            "/v1/audit/search?act=override.requested".to_owned(),
            "/v1/overrides".to_owned(),
            "/v1/services".to_owned(),
            "/v1/services/history".to_owned(),
            "/v1/policies".to_owned(),
            "/v1/policies/proposals".to_owned(),
            "/v1/retention".to_owned(),
            "/v1/trust-list".to_owned(),
            "/v1/disposals".to_owned(),
        ] {
            let (status, body) = app.call(Method::GET, &path, Some(&regulator), None).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            answers.push((path, body));
        }
        // The supervision pages, as the regulator reads them in a browser.
        for path in [
            "/regulator",
            "/regulator?act=data.opened",
            "/regulator?act=erasure.requested&actor_kind=staff",
        ] {
            let (status, html) = page(&app, path, &regulator).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert!(html.contains("class=\"entry\""), "{path} lists entries");
            answers.push((path.to_owned(), Value::String(html)));
        }
        // The entries' exact bytes too, as a monitor decodes them.
        let entries = &answers[2].1["entries"];
        let leaves: Vec<String> = entries
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| {
                let bytes = STANDARD
                    .decode(e["leaf_input"].as_str().expect("leaf"))
                    .expect("base64");
                String::from_utf8(bytes).expect("utf-8")
            })
            .collect();
        assert_eq!(leaves.len() as u64, size);

        let alice_id = app.person_of(&alice.token).await;
        let personal = [
            "林小华",
            "林*华",
            alice.document.as_str(),
            bob.document.as_str(),
            alice_id.as_str(),
            bob_id.as_str(),
            alice.phone.as_str(),
            bob.phone.as_str(),
            "contact tracing interview pending",
        ];
        for (path, body) in &answers {
            let text = body.to_string();
            for p in personal {
                assert!(
                    !text.contains(p),
                    "{p:?} in the regulator's answer to {path}"
                );
            }
        }
        for leaf in &leaves {
            for p in personal {
                assert!(!leaf.contains(p), "{p:?} in an audit entry");
            }
        }
        // The override history names the officials, not the person.
        let overrides = &answers[9].1;
        assert!(
            overrides
                .as_array()
                .is_some_and(|o| !o.is_empty() && o.iter().all(no_person_field)),
            "{overrides}"
        );

        // Other staff have no supervision page; without a session, the login.
        let checker = app
            .login(json!({ "username": "gate-1", "password": healthcode_tests::PASSWORD }))
            .await;
        let (status, _) = page(&app, "/regulator", &checker).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = page(&app, "/regulator", "").await;
        assert_eq!(status, StatusCode::SEE_OTHER);

        // Nothing of a person, and nothing to change.
        for (method, path, body) in [
            (Method::GET, "/v1/me", None),
            (Method::GET, "/v1/me/export", None),
            (Method::GET, "/v1/appeals", None),
            (Method::GET, "/v1/venues", None),
            (
                Method::POST,
                "/v1/people/erase",
                Some(
                    json!({ "document_type": "resident_id", "document_number": alice.document,
                             "reference": "REQ-2026-0002" }),
                ),
            ),
            (Method::DELETE, "/v1/services/workbench/closure", None),
            (
                Method::POST,
                "/v1/disposals",
                Some(json!({ "purpose": "epidemic-prevention" })),
            ),
        ] {
            let (status, answer) = app.call(method, path, Some(&regulator), body).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {answer}");
        }
        app.cleanup().await;
    }
}

/// Whether an override as the regulator sees it names no person.
fn no_person_field(o: &Value) -> bool {
    [
        "person_id",
        "name",
        "masked_name",
        "document_number",
        "justification",
    ]
    .iter()
    .all(|field| o.get(field).is_none())
}

/// A page through the whole router with a session cookie.
async fn page(app: &healthcode_tests::TestApp, path: &str, token: &str) -> (StatusCode, String) {
    use tower::ServiceExt;
    let request = axum::http::Request::get(path)
        .header(axum::http::header::COOKIE, format!("hc_session={token}"))
        .body(axum::body::Body::empty())
        .expect("request");
    let response = app.router.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .expect("body");
    (status, String::from_utf8_lossy(&bytes).into_owned())
}
