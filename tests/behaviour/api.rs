//! The HTTP API end to end, on every backend: registration, login, codes,
//! offline verification, key rotation, errors and authorization.

use axum::http::{Method, StatusCode};
use healthcode_core::config::ServerConfig;
use healthcode_core::keyring;
use healthcode_credentials::code::{self, VerifyError};
use healthcode_credentials::qr;
use healthcode_domain::identity::{make_resident_id, resident_id_check_char};
use healthcode_store::Backend;
use healthcode_tests::{METRICS_TOKEN, TestApp, backends};
use jiff::civil::date;
use serde_json::{Value, json};

const PASSWORD: &str = "a-good-password";

fn resident_id(seq: u16) -> String {
    make_resident_id("350102", date(1990, 1, 1), seq).expect("valid test id")
}

/// Registers 张三明 and logs in by phone; returns the token.
async fn citizen(app: &TestApp) -> String {
    app.register(
        "张三明",
        "resident_id",
        &resident_id(123),
        "13812345678",
        PASSWORD,
    )
    .await;
    app.login(json!({ "phone": "13812345678", "password": PASSWORD }))
        .await
}

async fn code_of(app: &TestApp, token: &str) -> Value {
    let (status, body) = app
        .call(Method::GET, "/v1/me/code", Some(token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn a_registered_persons_code_verifies_offline() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let token = citizen(&app).await;
        let body = code_of(&app, &token).await;
        assert_eq!(body["colour"], "green");
        assert_eq!(body["masked_name"], "张*明");
        assert!(
            body["svg"].as_str().is_some_and(|s| s.starts_with("<svg")),
            "{backend:?}"
        );
        let payload = body["payload"].as_str().expect("payload");
        assert!(payload.starts_with(code::PREFIX));
        assert!(
            qr::version(payload).expect("qr") <= 10,
            "a code must fit QR version 10 at level M"
        );
        // The document number never appears in the code, not even encoded.
        let (claims, _) = code::peek(payload).expect("decodes");
        assert_ne!(
            claims.subject.to_vec(),
            resident_id(123).as_bytes()[..16].to_vec()
        );

        let trust = app.state.trust_list();
        let now = app.state.now();
        let verified = code::verify(payload, &trust, now, 30).expect("verifies");
        assert_eq!(verified.claims.masked_name, "张*明");
        assert_eq!(verified.claims.issuer, "350000");
        assert_eq!(verified.claims.expires_at - verified.claims.issued_at, 180);

        // One changed character never verifies.
        let mut bytes = payload.as_bytes().to_vec();
        let i = bytes.len() / 2;
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).expect("ascii");
        assert!(matches!(
            code::verify(&tampered, &trust, now, 30),
            Err(VerifyError::BadSignature | VerifyError::Malformed(_))
        ));
        // A screenshot stops working after three minutes (plus skew).
        assert!(matches!(
            code::verify(payload, &trust, now + 180 + 30, 30),
            Err(VerifyError::Expired { .. })
        ));
        assert!(matches!(
            code::verify(payload, &trust, now - 31, 30),
            Err(VerifyError::NotYetValid { .. })
        ));
        // A trust list without the key does not know it.
        let mut empty = (*trust).clone();
        empty.keys.clear();
        assert!(matches!(
            code::verify(payload, &empty, now, 30),
            Err(VerifyError::UnknownKey { .. })
        ));
        app.cleanup().await;
    }
}

#[tokio::test]
async fn codes_are_reused_briefly_then_signed_anew() {
    let app = TestApp::new(Backend::Sqlite).await;
    let token = citizen(&app).await;
    let first = code_of(&app, &token).await["payload"].clone();
    app.clock.advance(14);
    assert_eq!(
        code_of(&app, &token).await["payload"],
        first,
        "within code_reuse the same code is served"
    );
    app.clock.advance(1);
    let second = code_of(&app, &token).await;
    assert_ne!(second["payload"], first);
    let verified = code::verify(
        second["payload"].as_str().expect("payload"),
        &app.state.trust_list(),
        app.state.now(),
        0,
    )
    .expect("verifies");
    assert_eq!(verified.age_seconds, 0);
    app.cleanup().await;
}

#[tokio::test]
async fn rotation_keeps_old_codes_valid_until_they_expire_and_revocation_is_immediate() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let token = citizen(&app).await;
        let old = code_of(&app, &token).await["payload"]
            .as_str()
            .expect("payload")
            .to_owned();
        let (_, old_kid) = code::peek(&old).expect("decodes");

        let now = app.state.now();
        let new_kid = keyring::rotate(app.state.store(), app.state.secrets(), now, 180)
            .await
            .expect("rotate");
        app.state.reload_keys().await.expect("reload");
        app.clock.advance(15);
        let fresh = code_of(&app, &token).await["payload"]
            .as_str()
            .expect("payload")
            .to_owned();
        assert_eq!(
            code::peek(&fresh).expect("decodes").1,
            new_kid,
            "new codes use the new key"
        );

        let trust = app.state.trust_list();
        let t = app.state.now();
        code::verify(&old, &trust, t, 30).expect("old codes keep verifying after rotation");
        code::verify(&fresh, &trust, t, 30).expect("new codes verify");

        // Once the old key's last codes have expired, it retires: the trust
        // list published at the next reload says so.
        let later = now + 181;
        app.clock.advance(later - t);
        app.state.reload_keys().await.expect("reload");
        let trust = app.state.trust_list();
        let status = trust.find(&old_kid).expect("still listed").status;
        assert_eq!(format!("{status:?}"), "Retired");
        assert!(matches!(
            code::verify(&old, &trust, later, 0),
            Err(VerifyError::RetiredKey { .. } | VerifyError::Expired { .. })
        ));
        assert!(matches!(
            code::verify(&old, &trust, now + 10, 30),
            Err(VerifyError::RetiredKey { .. })
        ));

        // Revoking the signing key takes effect in the next trust list.
        keyring::revoke(app.state.store(), &new_kid, app.state.now())
            .await
            .expect("revoke");
        app.state.reload_keys().await.expect("reload");
        let trust = app.state.trust_list();
        assert!(matches!(
            code::verify(&fresh, &trust, app.state.now(), 30),
            Err(VerifyError::RevokedKey { .. })
        ));
        // With no signing key left, the service says so instead of signing.
        app.clock.advance(15);
        let (status, body) = app
            .call(Method::GET, "/v1/me/code", Some(&token), None)
            .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["error"]["code"], "keys.no_signer");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn login_by_document_or_phone_and_logout_revokes() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        app.register(
            "Anna Müller",
            "passport",
            "C01X00T47",
            "+49 170 1234567",
            PASSWORD,
        )
        .await;
        let by_doc = app
            .login(json!({ "document_number": " c01x00t47 ", "password": PASSWORD }))
            .await;
        let by_phone = app
            .login(json!({ "phone": "+491701234567", "password": PASSWORD }))
            .await;
        let (status, me) = app.call(Method::GET, "/v1/me", Some(&by_doc), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["document_type"], "passport");
        assert!(
            !me.to_string().contains("C01X00T47"),
            "the profile is masked: {me}"
        );

        let (status, _) = app
            .call(Method::DELETE, "/v1/sessions", Some(&by_doc), None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, body) = app
            .call(Method::GET, "/v1/me/code", Some(&by_doc), None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"]["code"], "auth.required");
        // The other session is untouched.
        let (status, _) = app
            .call(Method::GET, "/v1/me/code", Some(&by_phone), None)
            .await;
        assert_eq!(status, StatusCode::OK);

        for (credentials, what) in [
            (
                json!({ "phone": "+491701234567", "password": "wrong-password" }),
                "wrong password",
            ),
            (
                json!({ "document_number": "X1234567", "password": PASSWORD }),
                "unknown document",
            ),
            (
                json!({ "username": "nobody", "password": PASSWORD }),
                "unknown user",
            ),
        ] {
            let (status, body) = app
                .call(Method::POST, "/v1/sessions", None, Some(credentials))
                .await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
            assert_eq!(
                body["error"]["code"], "auth.invalid_credentials",
                "{what}: the same answer for both"
            );
        }
        let (status, body) = app
            .call(Method::POST, "/v1/sessions", None, Some(json!({ "phone": "+491701234567", "document_number": "C01X00T47", "password": PASSWORD })))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["code"], "login.identifier");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn sessions_expire() {
    let config = ServerConfig {
        session_lifetime: 3600,
        ..ServerConfig::default()
    };
    let app = TestApp::with_config(Backend::Sqlite, config).await;
    let token = citizen(&app).await;
    code_of(&app, &token).await;
    app.clock.advance(3600);
    let (status, _) = app
        .call(Method::GET, "/v1/me/code", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.cleanup().await;
}

#[tokio::test]
async fn registration_refuses_bad_input_with_stable_codes_and_writes_nothing() {
    let app = TestApp::new(Backend::Sqlite).await;
    let valid = json!({
        "name": "李四", "document_type": "resident_id", "document_number": resident_id(7),
        "phone": "13900000001", "password": PASSWORD
    });
    let with = |field: &str, value: Value| {
        let mut body = valid.clone();
        body[field] = value;
        body
    };
    let first17 = "99990119900101001";
    let unknown_region = format!(
        "{first17}{}",
        resident_id_check_char(first17).expect("digits")
    );
    let mut wrong_check = resident_id(7);
    let last = wrong_check.pop().expect("char");
    wrong_check.push(if last == '0' { '1' } else { '0' });
    let cases = [
        (
            with("document_number", json!(wrong_check)),
            422,
            "id.checksum",
        ),
        (
            with("document_number", json!(unknown_region)),
            422,
            "id.region",
        ),
        (
            with(
                "document_number",
                json!(make_resident_id("350102", date(2099, 1, 1), 1).expect("shape")),
            ),
            422,
            "id.birthdate",
        ),
        (
            with("document_number", json!("35010219900101")),
            422,
            "id.length",
        ),
        (
            with("document_type", json!("driving_licence")),
            422,
            "id.document_type",
        ),
        (
            with("name", json!("Robert'); DROP TABLE people;--")),
            422,
            "name.invalid",
        ),
        (
            with("name", json!("John Smith")),
            422,
            "realname.name_script",
        ),
        (with("phone", json!("12345")), 422, "phone.invalid"),
        (with("password", json!("short")), 422, "password.weak"),
        (with("name", json!(42)), 422, "request.invalid_field"),
        (json!({ "name": "李四" }), 422, "request.invalid_field"),
        (with("extra", json!("field")), 422, "request.invalid_field"),
    ];
    for (body, status, code) in cases {
        let (got, answer) = app
            .call(Method::POST, "/v1/citizens", None, Some(body.clone()))
            .await;
        assert_eq!(got.as_u16(), status, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{body}");
        assert!(
            !answer
                .to_string()
                .contains(valid["document_number"].as_str().expect("str")),
            "errors never echo the document"
        );
    }
    assert_eq!(
        app.state.store().count_people().await.expect("count"),
        0,
        "nothing was written"
    );

    // Duplicates are refused; the person registered first is unaffected.
    app.call(Method::POST, "/v1/citizens", None, Some(valid.clone()))
        .await;
    let (status, body) = app
        .call(
            Method::POST,
            "/v1/citizens",
            None,
            Some(with("phone", json!("13900000002"))),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::CONFLICT, json!("registration.duplicate"))
    );

    let (status, body) = app
        .call(
            Method::POST,
            "/v1/citizens",
            None,
            Some(with("document_number", json!(resident_id(9)))),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::CONFLICT, json!("registration.duplicate"))
    );
    assert_eq!(app.state.store().count_people().await.expect("count"), 1);
    app.cleanup().await;
}

#[tokio::test]
async fn malformed_requests_get_clear_errors() {
    let app = TestApp::new(Backend::Sqlite).await;
    let raw = |method: &str, path: &str, content_type: Option<&str>, body: Vec<u8>| {
        let mut request = axum::http::Request::builder().method(method).uri(path);
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        request.body(axum::body::Body::from(body)).expect("request")
    };
    let send = |request: axum::http::Request<axum::body::Body>| async {
        use tower::ServiceExt;
        let response = app.router.clone().oneshot(request).await.expect("response");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (
            status,
            body["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    };
    assert_eq!(
        send(raw(
            "POST",
            "/v1/citizens",
            Some("application/json"),
            b"{not json".to_vec()
        ))
        .await,
        (StatusCode::BAD_REQUEST, "request.invalid_json".to_owned())
    );
    assert_eq!(
        send(raw("POST", "/v1/citizens", None, b"{}".to_vec())).await,
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "request.content_type".to_owned()
        )
    );
    let huge = format!("{{\"name\":\"{}\"}}", "a".repeat(200_000));
    assert_eq!(
        send(raw(
            "POST",
            "/v1/citizens",
            Some("application/json"),
            huge.into_bytes()
        ))
        .await
        .0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        send(raw("GET", "/v1/nothing-here", None, vec![])).await,
        (StatusCode::NOT_FOUND, "not_found".to_owned())
    );
    assert_eq!(
        send(raw("DELETE", "/v1/citizens", None, vec![])).await.0,
        StatusCode::METHOD_NOT_ALLOWED
    );
    app.cleanup().await;
}

/// Every authenticated route, every role: only a citizen sees citizen data.
#[tokio::test]
async fn every_route_checks_who_is_calling() {
    let app = TestApp::new(Backend::Sqlite).await;
    let citizen_token = citizen(&app).await;
    let mut staff_tokens = Vec::new();
    for role in healthcode_domain::role::Role::ALL
        .into_iter()
        .filter(|r| r.is_staff())
    {
        let username = format!("staff-{}", role.as_str());
        healthcode_core::accounts::create_staff(
            app.state.store(),
            role,
            &username,
            PASSWORD,
            app.state.now(),
        )
        .await
        .expect("staff");
        let token = app
            .login(json!({ "username": username, "password": PASSWORD }))
            .await;
        staff_tokens.push((role, token));
    }
    for path in ["/v1/me", "/v1/me/code"] {
        let (status, _) = app.call(Method::GET, path, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path} without a token");
        let (status, _) = app.call(Method::GET, path, Some("not-a-token"), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path} with garbage");
        let (status, _) = app
            .call(Method::GET, path, Some(&"A".repeat(43)), None)
            .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{path} with a well-formed unknown token"
        );
        for (role, token) in &staff_tokens {
            let (status, body) = app.call(Method::GET, path, Some(token), None).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path} as {role:?}");
            assert_eq!(body["error"]["code"], "auth.forbidden");
        }
        let (status, _) = app
            .call(Method::GET, path, Some(&citizen_token), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{path} as the citizen");
    }
    let (status, _) = app.call(Method::DELETE, "/v1/sessions", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The services' schedule: authorities change it, they and the regulator
    // read its history, anyone reads it.
    use healthcode_domain::role::Role;
    let everyone = staff_tokens
        .iter()
        .map(|(role, token)| (*role, token.as_str()))
        .chain([(Role::Citizen, citizen_token.as_str())]);
    for (role, token) in everyone {
        let (status, body) = app
            .call(Method::GET, "/v1/services/history", Some(token), None)
            .await;
        let reads = matches!(role, Role::Authority | Role::Regulator);
        let expected = if reads {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(status, expected, "history as {role:?}: {body}");
        let (status, body) = app
            .call(
                Method::DELETE,
                "/v1/services/workbench/closure",
                Some(token),
                None,
            )
            .await;
        let expected = if role == Role::Authority {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(status, expected, "cancel as {role:?}: {body}");
    }
    // Disposals: authorities request and approve, they and the regulator
    // follow them; nobody else.
    for (role, token) in &staff_tokens {
        let (status, body) = app
            .call(Method::GET, "/v1/disposals", Some(token), None)
            .await;
        let reads = matches!(role, Role::Authority | Role::Regulator);
        let expected = if reads {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(status, expected, "disposals as {role:?}: {body}");
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/disposals",
                Some(token),
                Some(json!({ "purpose": "nothing" })),
            )
            .await;
        let expected = if *role == Role::Authority {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(status, expected, "a disposal requested as {role:?}: {body}");
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/disposals/none/approve",
                Some(token),
                None,
            )
            .await;
        let expected = if *role == Role::Authority {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(status, expected, "an approval as {role:?}: {body}");
    }
    for (method, path) in [
        (Method::GET, "/v1/disposals"),
        (Method::POST, "/v1/disposals"),
        (Method::PUT, "/v1/me/keep-account"),
        (Method::GET, "/v1/services/history"),
        (Method::POST, "/v1/services/closures"),
        (Method::DELETE, "/v1/services/workbench/closure"),
    ] {
        let (status, _) = app.call(method, path, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path} without a token");
    }
    for path in [
        "/v1/trust-list",
        "/.well-known/healthcode/trust-list.json",
        "/openapi.json",
        "/v1/ping",
        "/healthz",
        "/v1/services",
    ] {
        let (status, _) = app.call(Method::GET, path, None, None).await;
        assert_eq!(status, StatusCode::OK, "{path} is public");
    }
    app.cleanup().await;
}

#[tokio::test]
async fn the_contract_is_published() {
    let app = TestApp::new(Backend::Sqlite).await;
    let (_, doc) = app.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/v1/citizens",
        "/v1/sessions",
        "/v1/me/code",
        "/v1/trust-list",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    let props = &doc["components"]["schemas"]["CodeResponse"]["properties"];
    for field in ["payload", "colour", "expires_at", "svg"] {
        assert!(props[field].is_object(), "CodeResponse.{field}");
    }
    let (_, trust) = app.call(Method::GET, "/v1/trust-list", None, None).await;
    assert_eq!(trust["issuer"], "350000");
    assert_eq!(trust["keys"][0]["alg"], "EdDSA");
    assert_eq!(trust["keys"][0]["status"], "active");
    let token = citizen(&app).await;
    code_of(&app, &token).await;
    let (_, metrics) = app
        .call(Method::GET, "/metrics", Some(METRICS_TOKEN), None)
        .await;
    let text = metrics.as_str().expect("text");
    assert!(
        text.contains(
            "healthcode_http_requests_total{method=\"GET\",route=\"/v1/me/code\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("healthcode_codes_issued_total 1"));
    app.cleanup().await;
}

/// Every stable error code is part of the contract: listed in the OpenAPI
/// document (the `ErrorCode` enum) and in the README's table, with its status.
#[tokio::test]
async fn every_error_code_is_documented() {
    let app = TestApp::new(Backend::Sqlite).await;
    let (_, doc) = app.call(Method::GET, "/openapi.json", None, None).await;
    let listed: Vec<&str> = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .expect("the ErrorCode enum")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    let readme = include_str!("../../README.md");
    for code in healthcode_core::ErrorCode::ALL {
        assert!(
            listed.contains(&code.as_str()),
            "{code} is missing from /openapi.json"
        );
        let status = healthcode_server::status_of(*code).as_u16();
        assert!(
            readme.contains(&format!("| `{code}` | {status} |")),
            "{code} ({status}) is missing from the README's table of error codes"
        );
    }
    assert_eq!(listed.len(), healthcode_core::ErrorCode::ALL.len());
    app.cleanup().await;
}

/// Every operation documents, as `ErrorBody`, the errors any request can meet
/// (malformed, too slow, too large, an internal error), those of a session
/// where it needs one (401, 403; 403 also for any write sent by another
/// site's page) and those of a JSON body where it takes one (415, 422); the
/// routes a closed service refuses document 410. `scripts/api-fuzz.sh` holds
/// the server's answers to the document.
#[tokio::test]
async fn every_operation_documents_its_errors() {
    let app = TestApp::new(Backend::Sqlite).await;
    let (_, doc) = app.call(Method::GET, "/openapi.json", None, None).await;
    let error_body = |op: &Value, status: &str| {
        op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
            == "#/components/schemas/ErrorBody"
    };
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            operations += 1;
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            let mut statuses = vec!["400", "408", "413", "414", "431", "500"];
            if secured {
                statuses.push("401");
            }
            if secured || method != "get" {
                statuses.push("403");
            }
            if op.get("requestBody").is_some() {
                statuses.extend(["415", "422"]);
            }
            for status in statuses {
                assert!(error_body(op, status), "{method} {path} documents {status}");
            }
            for (status, response) in op["responses"].as_object().expect("responses") {
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        !response["description"].as_str().unwrap_or("").is_empty(),
                        "{method} {path} describes its {status}"
                    );
                }
            }
        }
    }
    assert!(operations >= 60, "{operations} operations");
    for (method, path) in [
        ("post", "/v1/citizens"),
        ("get", "/v1/me/code"),
        ("post", "/v1/me/self-tests"),
        ("post", "/v1/me/declarations"),
        ("post", "/v1/me/check-ins"),
        ("post", "/v1/check-ins"),
        ("post", "/v1/venues"),
        ("post", "/v1/tubes"),
        ("post", "/v1/results"),
        ("get", "/v1/me/certificates/dcc"),
    ] {
        let op = &doc["paths"][path][method];
        assert!(error_body(op, "410"), "{method} {path} documents 410");
        let said = op["responses"]["410"]["description"].as_str().unwrap_or("");
        assert!(
            said.contains("service.suspended"),
            "{method} {path}: {said}"
        );
    }
    app.cleanup().await;
}

/// Logs are for operators: whatever a request carries, they never repeat
/// personal data, even at the most verbose level.
#[tokio::test]
async fn logs_never_contain_personal_data() {
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("log buffer").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // Global: a thread-scoped subscriber misses events when callsite interest
    // was cached by tests running in parallel. Only this test installs one.
    tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");

    let app = TestApp::new(Backend::Sqlite).await;
    let id = resident_id(555);
    app.register("司马光明", "resident_id", &id, "13512348765", PASSWORD)
        .await;
    let token = app
        .login(json!({ "document_number": id, "password": PASSWORD }))
        .await;
    code_of(&app, &token).await;
    app.call(Method::GET, "/v1/me", Some(&token), None).await;
    // Failures log too: a duplicate, a bad checksum, a wrong password.
    app.call(Method::POST, "/v1/citizens", None, Some(json!({ "name": "司马光明", "document_type": "resident_id", "document_number": id, "phone": "13512348765", "password": PASSWORD }))).await;
    app.call(
        Method::POST,
        "/v1/sessions",
        None,
        Some(json!({ "phone": "13512348765", "password": "wrong-password-given" })),
    )
    .await;
    app.cleanup().await;

    let logs =
        String::from_utf8(captured.0.lock().expect("log buffer").clone()).expect("utf-8 logs");
    assert!(
        logs.contains("route=\"/v1/citizens\""),
        "the capture works: {logs}"
    );
    for secret in [
        "司马光明",
        "司马",
        id.as_str(),
        "13512348765",
        PASSWORD,
        token.as_str(),
    ] {
        assert!(!logs.contains(secret), "{secret:?} appears in the logs");
    }
}
