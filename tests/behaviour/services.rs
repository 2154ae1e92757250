//! Services on a schedule, on every backend: a closure answers normally one
//! second before its time and 410 with its notice one second after, on the
//! API and on the page; the schedule is public, only authorities change it,
//! every change is in the audit log, a cancelled closure opens the service
//! again, and closing a service deletes nothing.

use axum::body::Body;
use axum::http::{Method, StatusCode, header};
use healthcode_core::clock::rfc3339;
use healthcode_domain::role::Role;
use healthcode_tests::{TestApp, backends};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::lifecycle::citizen;

const NOTICE_ZH: &str = "健康码服务将于 2 月 16 日 11:00 起暂停。";
const NOTICE_EN: &str = "The health code service is suspended from 16 February, 11:00.";

/// A page through the whole router, with a session cookie and a language.
async fn page(app: &TestApp, path: &str, token: &str, lang: &str) -> (StatusCode, String) {
    let request = axum::http::Request::get(path)
        .header(
            header::COOKIE,
            format!("hc_session={token}; hc_lang={lang}"),
        )
        .body(Body::empty())
        .expect("request");
    let response = app.router.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn closure(service: &str, from: i64) -> Value {
    json!({
        "service": service, "closure": "suspended", "from": rfc3339(from),
        "notice_zh": NOTICE_ZH, "notice_en": NOTICE_EN,
    })
}

async fn state_of(app: &TestApp, service: &str) -> Value {
    let (status, list) = app.call(Method::GET, "/v1/services", None, None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array()
        .expect("a list")
        .iter()
        .find(|s| s["service"] == service)
        .cloned()
        .unwrap_or_else(|| panic!("{service} is not in the schedule: {list}"))
}

#[tokio::test]
async fn a_service_closes_at_its_second_on_the_api_and_the_page() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let alice = citizen(&app, 1).await;
        let authority = app.staff("official-1", Role::Authority).await;
        let regulator = app.staff("regulator-1", Role::Regulator).await;
        assert_eq!(state_of(&app, "code-display").await["state"], "open");

        // Only an authority schedules, and bad closures are refused with their code.
        let at = app.state.now() + 3600;
        for token in [&alice.token, &regulator] {
            let (status, body) = app
                .call(
                    Method::POST,
                    "/v1/services/closures",
                    Some(token),
                    Some(closure("code-display", at)),
                )
                .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        }
        let mut unknown = closure("everything", at);
        let mut past = closure("code-display", app.state.now() - 1);
        let mut silent = closure("code-display", at);
        silent["notice_en"] = json!("  ");
        for (body, code) in [
            (&mut unknown, "service.unknown"),
            (&mut past, "service.time"),
            (&mut silent, "service.notice"),
        ] {
            let (status, answer) = app
                .call(
                    Method::POST,
                    "/v1/services/closures",
                    Some(&authority),
                    Some(body.clone()),
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
            assert_eq!(answer["error"]["code"], code);
        }

        let (status, scheduled) = app
            .call(
                Method::POST,
                "/v1/services/closures",
                Some(&authority),
                Some(closure("code-display", at)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{scheduled}");
        let public = state_of(&app, "code-display").await;
        assert_eq!(public["state"], "announced");
        assert_eq!(public["from"], rfc3339(at));
        assert_eq!(public["notice"]["en"], NOTICE_EN);

        // One second before: the code and its page, with the notice announced.
        app.clock.advance(at - 1 - app.state.now());
        let (status, body) = app
            .call(Method::GET, "/v1/me/code", Some(&alice.token), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, html) = page(&app, "/me", &alice.token, "zh").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("id=\"code\""), "the code is shown");
        assert!(html.contains(NOTICE_ZH), "the coming notice is shown");

        // One second after: 410 with the notice and since when, on both.
        app.clock.advance(2);
        let (status, body) = app
            .call(Method::GET, "/v1/me/code", Some(&alice.token), None)
            .await;
        assert_eq!(status, StatusCode::GONE, "{body}");
        assert_eq!(body["error"]["code"], "service.suspended");
        assert_eq!(body["error"]["notice"]["zh"], NOTICE_ZH);
        assert_eq!(body["error"]["notice"]["en"], NOTICE_EN);
        assert_eq!(body["error"]["since"], rfc3339(at));
        assert!(body["error"]["message"].is_string());
        for (lang, notice, heading) in [
            ("zh", NOTICE_ZH, "此服务已暂停"),
            ("en", NOTICE_EN, "This service is suspended"),
        ] {
            let (status, html) = page(&app, "/me", &alice.token, lang).await;
            assert_eq!(status, StatusCode::GONE);
            assert!(html.contains(notice) && html.contains(heading), "{html}");
            assert!(!html.contains("id=\"code\""), "no code once suspended");
        }
        let (_, home) = page(&app, "/", "", "en").await;
        assert!(home.contains(NOTICE_EN), "the home page lists the closure");
        assert_eq!(state_of(&app, "code-display").await["state"], "suspended");

        // The other services go on, and nothing was deleted.
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/me/declarations",
                Some(&alice.token),
                Some(json!({ "symptoms": [], "temperature_c": 36.6, "travel": [] })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, export) = app
            .call(Method::GET, "/v1/me/export", Some(&alice.token), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{export}");
        assert_eq!(export["profile"]["name"], "林小华");

        // Registration retired now: the API and the form answer 410.
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/services/closures",
                Some(&authority),
                Some(json!({
                    "service": "registration", "closure": "retired",
                    "from": rfc3339(app.state.now()),
                    "notice_zh": "注册已停止。", "notice_en": "Registration is closed.",
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["state"], "retired");
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/citizens",
                None,
                Some(json!({
                    "name": "王芳", "document_type": "passport", "document_number": "E12345678",
                    "phone": "13900001111", "password": "a-good-password",
                })),
            )
            .await;
        assert_eq!(status, StatusCode::GONE, "{body}");
        assert_eq!(body["error"]["code"], "service.suspended");
        let (status, html) = page(&app, "/register", "", "en").await;
        assert_eq!(status, StatusCode::GONE);
        assert!(html.contains("Registration is closed.") && html.contains("retired"));

        // Cancelled, the code is back; cancelling twice is refused.
        let (status, body) = app
            .call(
                Method::DELETE,
                "/v1/services/code-display/closure",
                Some(&regulator),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let (status, body) = app
            .call(
                Method::DELETE,
                "/v1/services/code-display/closure",
                Some(&authority),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        let (status, body) = app
            .call(Method::GET, "/v1/me/code", Some(&alice.token), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = app
            .call(
                Method::DELETE,
                "/v1/services/code-display/closure",
                Some(&authority),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body["error"]["code"], "service.not_scheduled");

        // The regulator reads the history; a citizen does not.
        let (status, history) = app
            .call(Method::GET, "/v1/services/history", Some(&regulator), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{history}");
        let history = history.as_array().expect("history");
        assert_eq!(history.len(), 2);
        assert!(history.iter().any(|c| c["service"] == "code-display"
            && c["ended_at"].is_string()
            && c["notice"]["zh"] == NOTICE_ZH));
        let (status, _) = app
            .call(
                Method::GET,
                "/v1/services/history",
                Some(&alice.token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Every change is an audited act of the authority.
        let (status, found) = app
            .call(
                Method::GET,
                "/v1/audit/search?act=service.scheduled",
                Some(&regulator),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{found}");
        assert_eq!(
            found["entries"].as_array().map(Vec::len),
            Some(2),
            "{found}"
        );
        let (_, found) = app
            .call(
                Method::GET,
                "/v1/audit/search?act=service.cancelled",
                Some(&regulator),
                None,
            )
            .await;
        assert_eq!(
            found["entries"].as_array().map(Vec::len),
            Some(1),
            "{found}"
        );
        app.cleanup().await;
    }
}
