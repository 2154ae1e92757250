//! The service's edge, tried as an attacker would: malformed and oversized
//! requests, slow headers, cross-site form posts, open redirects, the metrics
//! and the rate limits on logins and registrations. Requests go over real
//! TCP where the listener matters.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use healthcode_core::config::{Rate, RateLimits, ServerConfig};
use healthcode_domain::identity::make_resident_id;
use healthcode_store::Backend;
use healthcode_tests::{METRICS_TOKEN, PASSWORD, TestApp};
use jiff::civil::date;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::ServiceExt;

/// An answer as read off the wire.
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// Sends `request` as raw bytes on a new connection and reads the answer to
/// the end of the connection (requests say `Connection: close`).
async fn raw(base: &str, request: &[u8]) -> Raw {
    let address = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream.write_all(request).await.expect("write");
    let mut bytes = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut bytes)).await;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    // Bodies here are small and sent whole; chunked ones carry one chunk.
    let body = if text.contains("Transfer-Encoding: chunked")
        || text.contains("transfer-encoding: chunked")
    {
        body.split("\r\n").nth(1).unwrap_or_default().to_owned()
    } else {
        body.to_owned()
    };
    Raw {
        status,
        headers,
        body,
    }
}

fn get(path: &str, extra: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{extra}\r\n").into_bytes()
}

/// Every error, whichever layer makes it, is `{ "error": { "code", "message" } }`
/// with a stable code, and a page's is a page in the reader's language.
#[tokio::test]
async fn every_error_has_the_documented_shape() {
    let app = TestApp::with_config(
        Backend::Sqlite,
        ServerConfig {
            request_timeout: 1,
            ..ServerConfig::default()
        },
    )
    .await;
    let base = app.spawn_http().await;
    let limit = app.state.config().max_body_bytes;
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "a declared body over the limit",
            format!(
                "POST /v1/citizens HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{{",
                limit + 1
            )
            .into_bytes(),
            413,
            "request.too_large",
        ),
        (
            "a method the route does not take",
            b"PATCH /v1/citizens HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 0\r\n\r\n".to_vec(),
            405,
            "request.method_not_allowed",
        ),
        (
            "a body that never finishes",
            b"POST /v1/sessions HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"pho".to_vec(),
            408,
            "request.timeout",
        ),
        (
            "a very long address",
            get(&format!("/v1/ping?{}", "a".repeat(9000)), ""),
            414,
            "request.uri_too_long",
        ),
        (
            "very large headers",
            get("/v1/ping", &format!("X-Padding: {}\r\n", "a".repeat(40_000))),
            431,
            "request.headers_too_large",
        ),
        (
            "a path that is not UTF-8",
            get("/v1/disposals/%FF%FE/certificate", ""),
            400,
            "request.invalid",
        ),
        (
            "duplicate query keys",
            get("/v1/audit/entries?start=0&start=1&end=2", ""),
            400,
            "request.invalid_query",
        ),
        (
            "an unknown route",
            get("/v1/nothing-here", ""),
            404,
            "not_found",
        ),
    ];
    for (what, request, status, code) in cases {
        let answer = raw(&base, &request).await;
        assert_eq!(answer.status, status, "{what}: {}", answer.body);
        assert_eq!(
            answer.json()["error"]["code"],
            code,
            "{what}: {}",
            answer.body
        );
        assert!(
            answer.json()["error"]["message"].is_string(),
            "{what}: {}",
            answer.body
        );
        assert!(
            answer
                .header("content-type")
                .is_some_and(|t| t.starts_with("application/json")),
            "{what}"
        );
    }
    let answer = raw(
        &base,
        b"PATCH /v1/citizens HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    )
    .await;
    assert!(
        answer.header("allow").is_some_and(|a| a.contains("POST")),
        "405 names what is allowed: {:?}",
        answer.headers
    );

    // The pages answer the same refusals with a page in the reader's language.
    let page_cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "a form that is not a form",
            b"POST /register HTTP/1.1\r\nHost: t\r\nConnection: close\r\nCookie: hc_lang=en\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nab".to_vec(),
            403,
            "request.cross_site",
        ),
        (
            "a malformed query",
            get("/?registered=yes", "Cookie: hc_lang=en\r\n"),
            400,
            "request.invalid",
        ),
        (
            "a method the page does not take",
            get("/logout", "Cookie: hc_lang=zh\r\n"),
            405,
            "request.method_not_allowed",
        ),
    ];
    for (what, request, status, code) in page_cases {
        let answer = raw(&base, &request).await;
        assert_eq!(answer.status, status, "{what}: {}", answer.body);
        assert!(
            answer
                .header("content-type")
                .is_some_and(|t| t.starts_with("text/html")),
            "{what}: {:?}",
            answer.headers
        );
        assert!(
            answer.body.contains(&format!("({code})")),
            "{what}: {}",
            answer.body
        );
    }
    let zh = raw(&base, &get("/logout", "Cookie: hc_lang=zh\r\n")).await;
    assert!(zh.body.contains("此页面不接受这种请求"), "{}", zh.body);
    app.cleanup().await;
}

/// Connections that trickle partial headers are closed after
/// `header_timeout`, and at most `max_connections` are served at once.
#[tokio::test]
async fn slow_header_connections_are_closed_and_bounded() {
    let app = TestApp::with_config(
        Backend::Sqlite,
        ServerConfig {
            header_timeout: 1,
            max_connections: 50,
            ..ServerConfig::default()
        },
    )
    .await;
    let base = app.spawn_http().await;
    let address = base.trim_start_matches("http://").to_owned();
    let mut slow = Vec::new();
    for _ in 0..50 {
        let mut stream = TcpStream::connect(&address).await.expect("connect");
        stream
            .write_all(b"GET /v1/ping HTTP/1.1\r\nHost: t\r\nX-Slow: ")
            .await
            .expect("write");
        slow.push(stream);
    }
    // Every slot is taken: a well-behaved request waits.
    let waiting = tokio::spawn({
        let base = base.clone();
        async move {
            let started = Instant::now();
            let answer = raw(&base, &get("/v1/ping", "")).await;
            (answer.status, started.elapsed())
        }
    });
    let started = Instant::now();
    for mut stream in slow {
        let mut buf = [0u8; 64];
        // The server closes the connection: read ends (with a 408 or nothing).
        let read = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => continue,
                }
            }
        })
        .await;
        assert!(read.is_ok(), "a slow connection was left open");
    }
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "closed after {:?}",
        started.elapsed()
    );
    let (status, waited) = waiting.await.expect("request");
    assert_eq!(status, 200, "served once the slots were freed");
    assert!(
        waited >= Duration::from_millis(500),
        "the 51st connection was served at once ({waited:?}): the bound did not hold"
    );
    app.cleanup().await;
}

/// `GET /prefs?back=` returns only to a page of this site, whatever a
/// browser would make of the address.
#[tokio::test]
async fn prefs_does_not_redirect_to_another_site() {
    let app = TestApp::new(Backend::Sqlite).await;
    let here = url::Url::parse("http://healthcode.test/").expect("url");
    for back in [
        "/%5Cevil.example/",
        "/%09/evil.example/",
        "/%255Cevil.example/",
        "/%2509/evil.example/",
        "//evil.example/",
        "/%0A/evil.example/",
        "/%0D/evil.example/",
        "/./%5Cevil.example",
        "https://evil.example/",
        "/.//evil.example/",
        "%2F%2Fevil.example",
    ] {
        let request = Request::get(format!("/prefs?lang=en&back={back}"))
            .body(Body::empty())
            .expect("request");
        let response = app.router.clone().oneshot(request).await.expect("answer");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{back}");
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .expect("a location");
        let target = here.join(location).expect("resolvable");
        assert_eq!(
            target.origin(),
            here.origin(),
            "{back} led to {location}, another site"
        );
        assert!(!location.starts_with("//"), "{back} -> {location}");
    }
    let request = Request::get("/prefs?lang=en&back=/me/data")
        .body(Body::empty())
        .expect("request");
    let response = app.router.clone().oneshot(request).await.expect("answer");
    assert_eq!(response.headers()[header::LOCATION], "/me/data");
    app.cleanup().await;
}

/// A form of these pages, fetched as a browser would: its token and cookies.
async fn form_token(app: &TestApp, path: &str) -> (String, String) {
    let request = Request::get(path).body(Body::empty()).expect("request");
    let response = app.router.clone().oneshot(request).await.expect("answer");
    let cookie = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find_map(|c| c.split(';').next()?.strip_prefix("hc_csrf="))
        .expect("a token cookie")
        .to_owned();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("page");
    let page = String::from_utf8_lossy(&bytes);
    let field = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a token field")
        .to_owned();
    assert_eq!(field, cookie, "the form carries the cookie's token");
    (cookie, field)
}

async fn post_form(
    app: &TestApp,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> (StatusCode, HeaderMap, String) {
    let mut request =
        Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let request = request.body(Body::from(body.to_owned())).expect("request");
    let response = app.router.clone().oneshot(request).await.expect("answer");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// Another site's page cannot log a browser in or out, or register, and the
/// session cookie is `Secure` whenever the service is served over https.
#[tokio::test]
async fn forms_of_other_sites_are_refused() {
    let app = TestApp::new(Backend::Sqlite).await;
    let (cookie, token) = form_token(&app, "/").await;
    let login = format!("login=13800000000&password=wrong-password&csrf={token}");
    let with_cookie = ("cookie", format!("hc_csrf={cookie}; hc_lang=en"));
    for path in [
        "/login",
        "/logout",
        "/register",
        "/staff",
        "/me/delete",
        "/me/keep-account",
    ] {
        for refused in [
            vec![
                with_cookie.clone(),
                ("origin", "http://evil.example".to_owned()),
            ],
            vec![
                with_cookie.clone(),
                ("sec-fetch-site", "cross-site".to_owned()),
            ],
            vec![with_cookie.clone(), ("origin", "null".to_owned())],
            // No token: a browser that sends neither header is still refused.
            vec![("cookie", "hc_lang=en".to_owned())],
            vec![("cookie", format!("hc_csrf={}; hc_lang=en", "0".repeat(32)))],
        ] {
            let (status, _, page) = post_form(&app, path, &refused, &login).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path} {refused:?}: {page}");
            assert!(page.contains("(request.cross_site)"), "{path}: {page}");
        }
    }
    // The same form from this site passes the check (and is judged on its merits).
    let (status, _, page) = post_form(
        &app,
        "/login",
        &[
            with_cookie.clone(),
            ("origin", "https://localhost".to_owned()),
            ("sec-fetch-site", "same-origin".to_owned()),
        ],
        &login,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{page}");
    assert!(
        page.contains("13800000000"),
        "the form keeps what was typed"
    );

    // The API with a token, which no browser form can send, is not affected.
    let (status, _) = app
        .call(
            Method::POST,
            "/v1/sessions",
            None,
            Some(json!({"phone": "13800000000", "password": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Served over https (the default public_url), the session cookie is Secure.
    let document = make_resident_id("350102", date(1990, 1, 1), 7).expect("id");
    app.register("王五", "resident_id", &document, "13800000007", PASSWORD)
        .await;
    let (status, headers, _) = post_form(
        &app,
        "/login",
        &[with_cookie],
        &format!("login=13800000007&password={PASSWORD}&csrf={token}"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let session = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find(|c| c.starts_with("hc_session="))
        .expect("a session cookie")
        .to_owned();
    assert!(session.contains("; Secure"), "{session}");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"));
    app.cleanup().await;

    // secure_cookies = false with an https public_url is refused at start.
    let refused = ServerConfig {
        secure_cookies: Some(false),
        ..ServerConfig::default()
    };
    assert!(
        refused
            .validate()
            .is_err_and(|e| e.contains("secure_cookies"))
    );
    let local = ServerConfig {
        secure_cookies: Some(false),
        public_url: "http://127.0.0.1:8080".to_owned(),
        ..ServerConfig::default()
    };
    assert_eq!(local.validate(), Ok(()));
    assert!(!local.secure_cookies());
    let remote = ServerConfig {
        public_url: "http://code.example".to_owned(),
        ..ServerConfig::default()
    };
    assert!(remote.validate().is_err(), "plain http only on loopback");
}

/// `/metrics` is for the scraper holding the token.
#[tokio::test]
async fn metrics_need_their_token() {
    let app = TestApp::new(Backend::Sqlite).await;
    let (status, _) = app.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .call(
            Method::GET,
            "/metrics",
            Some("not-the-metrics-token-at-all"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, text) = app
        .call(Method::GET, "/metrics", Some(METRICS_TOKEN), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.as_str()
            .is_some_and(|t| t.contains("healthcode_http_requests_total"))
    );
    app.cleanup().await;

    // Without a configured token there is no metrics route at all.
    let app = TestApp::with_config(Backend::Sqlite, ServerConfig::default()).await;
    let (status, body) = app
        .call(Method::GET, "/metrics", Some(METRICS_TOKEN), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    app.cleanup().await;
}

fn limits(account: Rate, address: Rate, register: Rate) -> ServerConfig {
    ServerConfig {
        rate_limits: RateLimits {
            login_account: account,
            login_address: address,
            register_address: register,
        },
        ..ServerConfig::default()
    }
}

/// Sends a JSON request as if from `from`.
async fn call_from(
    app: &TestApp,
    from: &str,
    path: &str,
    body: Value,
) -> (StatusCode, HeaderMap, Value) {
    let mut request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let ip: std::net::IpAddr = from.parse().expect("address");
    let peer = SocketAddr::new(ip, 40000);
    request.extensions_mut().insert(ConnectInfo(peer));
    let response = app.router.clone().oneshot(request).await.expect("answer");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Password guessing slows down to a trickle: per account (known or not,
/// alike) and per address, with 429 and `Retry-After`; the owner gets in once
/// the wait is over, never locked out.
#[tokio::test]
async fn password_guessing_is_rate_limited() {
    let app = TestApp::with_config(
        Backend::Sqlite,
        limits(
            Rate { burst: 5, every: 2 },
            Rate {
                burst: 1000,
                every: 1,
            },
            Rate {
                burst: 1000,
                every: 1,
            },
        ),
    )
    .await;
    let document = make_resident_id("350102", date(1990, 1, 1), 8).expect("id");
    app.register("赵六", "resident_id", &document, "13800000008", PASSWORD)
        .await;
    let mut answers = Vec::new();
    for phone in ["13800000008", "13800000009"] {
        let mut refused = None;
        for attempt in 0..199 {
            let (status, headers, body) = call_from(
                &app,
                &format!("10.0.0.{}", attempt % 200 + 1),
                "/v1/sessions",
                json!({"phone": phone, "password": "wrong-guess-123"}),
            )
            .await;
            if status == StatusCode::TOO_MANY_REQUESTS {
                assert_eq!(body["error"]["code"], "request.rate_limited");
                let wait: u64 = headers[header::RETRY_AFTER]
                    .to_str()
                    .expect("text")
                    .parse()
                    .expect("seconds");
                assert!((1..=2).contains(&wait), "{wait}");
                refused.get_or_insert(attempt);
            } else {
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
                assert!(refused.is_none(), "a guess passed after the limit");
            }
        }
        answers.push(refused.expect("the guesses were limited"));
        // The right password, right away, is refused too: no free guess.
        let (status, _, _) = call_from(
            &app,
            "10.0.1.1",
            "/v1/sessions",
            json!({"phone": phone, "password": PASSWORD}),
        )
        .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    }
    assert_eq!(
        answers[0], answers[1],
        "a known and an unknown account are limited alike"
    );
    assert_eq!(answers[0], 5);
    // After the wait, the owner logs in.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, _, body) = call_from(
        &app,
        "10.0.1.1",
        "/v1/sessions",
        json!({"phone": "13800000008", "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.cleanup().await;

    // Per address: many accounts from one address.
    let app = TestApp::with_config(
        Backend::Sqlite,
        limits(
            Rate {
                burst: 1000,
                every: 1,
            },
            Rate {
                burst: 3,
                every: 60,
            },
            Rate {
                burst: 1000,
                every: 1,
            },
        ),
    )
    .await;
    for (i, expected) in [(0, 401), (1, 401), (2, 401), (3, 429), (4, 429)] {
        let (status, _, _) = call_from(
            &app,
            "2001:db8::1",
            "/v1/sessions",
            json!({"phone": format!("1380000010{i}"), "password": "wrong-guess-123"}),
        )
        .await;
        assert_eq!(status.as_u16(), expected, "attempt {i}");
    }
    // Another subscriber's /64 is not affected.
    let (status, _, _) = call_from(
        &app,
        "2001:db8:0:1::1",
        "/v1/sessions",
        json!({"phone": "13800000100", "password": "wrong-guess-123"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.cleanup().await;
}

/// Registration does not say which of document and phone is taken, and
/// cannot be used to probe at length from one address.
#[tokio::test]
async fn registration_is_not_an_oracle() {
    let app = TestApp::with_config(
        Backend::Sqlite,
        limits(
            Rate {
                burst: 1000,
                every: 1,
            },
            Rate {
                burst: 1000,
                every: 1,
            },
            Rate {
                burst: 4,
                every: 60,
            },
        ),
    )
    .await;
    let document = make_resident_id("350102", date(1990, 1, 1), 11).expect("id");
    let other = make_resident_id("350102", date(1990, 1, 1), 12).expect("id");
    let register = |number: &str, phone: &str| {
        json!({"name": "钱七", "document_type": "resident_id", "document_number": number,
               "phone": phone, "password": PASSWORD})
    };
    let (status, _, _) = call_from(
        &app,
        "10.1.1.1",
        "/v1/citizens",
        register(&document, "13800000011"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, _, same_document) = call_from(
        &app,
        "10.1.1.1",
        "/v1/citizens",
        register(&document, "13800000012"),
    )
    .await;
    let (_, _, same_phone) = call_from(
        &app,
        "10.1.1.1",
        "/v1/citizens",
        register(&other, "13800000011"),
    )
    .await;
    assert_eq!(same_document, same_phone, "the two refusals are one answer");
    assert_eq!(same_document["error"]["code"], "registration.duplicate");
    let (status, headers, body) = call_from(
        &app,
        "10.1.1.1",
        "/v1/citizens",
        register(&other, "13800000013"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, headers2, body) = call_from(
        &app,
        "10.1.1.1",
        "/v1/citizens",
        register(&other, "13800000014"),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(headers2.contains_key(header::RETRY_AFTER));
    assert!(!headers.contains_key(header::RETRY_AFTER));
    // Another address may still register.
    let third = make_resident_id("350102", date(1990, 1, 1), 13).expect("id");
    let (status, _, body) = call_from(
        &app,
        "10.1.1.2",
        "/v1/citizens",
        register(&third, "13800000015"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.cleanup().await;
}
