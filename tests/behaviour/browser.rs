//! The pages in a real headless Chromium, driven over WebDriver: register
//! (a refused form keeps what was typed), log in, see a green code whose QR
//! code — decoded from a screenshot — is a signed code that verifies offline,
//! watch the page fetch a fresh code before the old one expires (and not hammer
//! the server while it cannot), switch language and text size, and log out;
//! then log in again, read everything held (and download it), see who looked
//! at the data in both languages, and delete the account for good.
//!
//! The pages' refusals that a browser would not even send (an unticked box, a
//! password too long for the field) are checked through the router alone, in
//! [`the_pages_refuse_in_the_page_language_and_keep_what_was_typed`].
//!
//! The page counts down with the browser's clock, so the service's clock
//! starts at the real time and follows it ([`follow_real_time`]).
//!
//! Needs Debian's `chromium` and `chromium-driver` packages. Without
//! `/usr/bin/chromedriver` the test is skipped, except under CI (`CI=true`),
//! where a browser test nobody ran is a failure.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use fantoccini::{Client, ClientBuilder, Locator};
use healthcode_core::clock::{Clock as _, ManualClock, SystemClock};
use healthcode_core::config::ServerConfig;
use healthcode_credentials::code::{self, VerifiedCode};
use healthcode_domain::colour::Colour;
use healthcode_domain::identity::make_resident_id;
use healthcode_domain::role::Role;
use healthcode_store::Backend;
use healthcode_tests::{TestApp, unique};
use hyper_util::client::legacy::connect::HttpConnector;
use jiff::civil::date;
use serde_json::{Value, json};
use tower::ServiceExt;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// Where the last look at the code page is saved, for people to check by eye.
const SCREENSHOT: &str = "/tmp/healthcode-code-page.png";

const NAME: &str = "张三明";
const MASKED: &str = "张*明";
const PHONE: &str = "13812345678";
const PASSWORD: &str = "a-good-password";
const ADDRESS: &str = "福州市鼓楼区五四路 1 号";
/// Where a checker scans the citizen's code.
const VENUE: &str = "鼓楼区图书馆";
/// The notice of the code display's suspension.
const SUSPENDED_ZH: &str = "健康码服务自即日起暂停。";
const SUSPENDED_EN: &str = "The health code service is suspended.";
/// Short, so the page has to fetch a new code within seconds.
const LIFETIME: i64 = 30;

/// `--headless=new` Chromium with a throwaway profile and nothing that phones home.
fn chrome_args(profile: &Path) -> Vec<String> {
    let mut args: Vec<String> = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=800,1200",
    ]
    .map(str::to_owned)
    .into();
    args.push(format!("--user-data-dir={}", profile.display()));
    args
}

/// A chromedriver this test started; stops it (and any browser it still runs)
/// and removes the browser profile when dropped, also when the test fails.
struct ChromeDriver {
    child: Child,
    addr: SocketAddr,
    profile: PathBuf,
}

impl ChromeDriver {
    async fn start() -> ChromeDriver {
        let addr = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("find a free port");
            probe.local_addr().expect("probe address")
        };
        let profile = std::env::temp_dir().join(unique("hc_chromium"));
        std::fs::create_dir_all(&profile).expect("browser profile dir");
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={}", addr.port()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let mut driver = ChromeDriver {
            child,
            addr,
            profile,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = driver.child.try_wait().expect("chromedriver status") {
                panic!("chromedriver exited before accepting connections: {status}");
            }
            if tokio::net::TcpStream::connect(driver.addr).await.is_ok() {
                return driver;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {} within 15 s",
                driver.addr
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A Chromium session with the options of [`chrome_args`].
    async fn session(&self) -> Client {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".to_owned(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({ "binary": CHROMIUM, "args": chrome_args(&self.profile) }),
        );
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url())
            .await
            .expect("start a Chromium session")
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // chromedriver's /shutdown quits the browsers of sessions still open, then exits.
        if let Ok(mut stream) = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(3)));
            let request = format!(
                "GET /shutdown HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                self.addr
            );
            if stream.write_all(request.as_bytes()).is_ok() {
                let _ = stream.read_to_end(&mut Vec::new());
            }
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Evaluates `probe` (an expression that may `.await`) every 100 ms until it
/// gives `Some(value)`, and yields the value; panics after `timeout`. A macro
/// rather than a function taking an async closure, so the story stays `Send`.
macro_rules! eventually {
    ($what:expr, $timeout:expr, $probe:expr) => {{
        let timeout: Duration = $timeout;
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(value) = $probe {
                break value;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {timeout:?} waiting for {}",
                $what
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }};
}

/// Counts the page's requests for a new code and can make them fail, as an
/// overloaded server or a lost connection would.
#[derive(Default)]
struct CodeGate {
    failing: AtomicBool,
    requests: AtomicU64,
}

async fn gate(State(gate): State<Arc<CodeGate>>, request: Request, next: Next) -> Response {
    if request.uri().path() == "/v1/me/code" {
        gate.requests.fetch_add(1, Ordering::SeqCst);
        if gate.failing.load(Ordering::SeqCst) {
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    next.run(request).await
}

/// Serves the app behind [`gate`] on a loopback port; returns the base URL.
async fn serve(app: &TestApp, code_gate: Arc<CodeGate>) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = app
        .router
        .clone()
        .layer(axum::middleware::from_fn_with_state(code_gate, gate));
    let limits = healthcode_server::listener::limits_of(app.state.config());
    let server = tokio::spawn(async move {
        let _ =
            healthcode_server::serve_router(listener, router, limits, std::future::pending()).await;
    });
    (format!("http://{addr}"), server)
}

/// Keeps the service's clock on the real time: the page counts down with the
/// browser's clock and asks for a new code when the old one nears its expiry,
/// so the server must sign with the time the browser sees.
fn follow_real_time(clock: ManualClock) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let lag = SystemClock.now().as_second() - clock.now().as_second();
            if lag > 0 {
                clock.advance(lag);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_uses_the_pages_in_a_real_browser() {
    if no_browser() {
        return;
    }
    let started = Instant::now();
    let config = ServerConfig {
        code_lifetime: LIFETIME,
        code_reuse: 0,
        ..ServerConfig::default()
    };
    let app =
        Arc::new(TestApp::build(Backend::Sqlite, config, SystemClock.now().as_second()).await);
    let ticking = follow_real_time(app.clock.clone());
    let code_gate = Arc::new(CodeGate::default());
    let (base, server) = serve(&app, code_gate.clone()).await;
    let driver = ChromeDriver::start().await;
    let browser = driver.session().await;

    // The story runs in its own task so that, pass or fail, the browser is
    // closed and the store removed before the test reports.
    let outcome = tokio::spawn(story(browser.clone(), app.clone(), base, code_gate)).await;

    let _ = browser.close().await;
    drop(driver);
    ticking.abort();
    server.abort();
    let _ = server.await;
    if let Ok(app) = Arc::try_unwrap(app) {
        app.cleanup().await;
    }
    match outcome {
        Ok(()) => eprintln!(
            "browser story passed in {:.1} s",
            started.elapsed().as_secs_f64()
        ),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("browser story did not finish: {e}"),
    }
}

/// The language switch's return address, tried with the known open-redirect
/// bypasses in a real browser: it always stays on this site.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_language_switch_never_leads_a_browser_to_another_site() {
    if no_browser() {
        return;
    }
    let app = Arc::new(TestApp::new(Backend::Sqlite).await);
    let (base, server) = serve(&app, Arc::new(CodeGate::default())).await;
    let driver = ChromeDriver::start().await;
    let browser = driver.session().await;
    let here = url::Url::parse(&base).expect("base url");
    let c = browser.clone();
    let outcome = tokio::spawn(async move {
        for back in [
            "/%5Cevil.example/",
            "/%09/evil.example/",
            "/%255Cevil.example/",
            "/%2509/evil.example/",
            "/\\evil.example/",
            "/%5C%5Cevil.example/",
            "%2F%5Cevil.example/",
            "/%0A/evil.example/",
            "/%E3%80%80/evil.example/",
            "//evil.example/",
        ] {
            c.goto(&format!("{base}/prefs?lang=en&back={back}"))
                .await
                .expect("navigate");
            let landed = c.current_url().await.expect("current url");
            assert_eq!(
                landed.origin(),
                here.origin(),
                "back={back} led the browser to {landed}"
            );
        }
    })
    .await;
    let _ = browser.close().await;
    drop(driver);
    server.abort();
    let _ = server.await;
    if let Ok(app) = Arc::try_unwrap(app) {
        app.cleanup().await;
    }
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Whether the browser is missing, so the test is skipped; under CI
/// (`CI=true`) a missing browser fails the test instead.
fn no_browser() -> bool {
    for program in [CHROMEDRIVER, CHROMIUM] {
        if !Path::new(program).exists() {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "CI=true but {program} is missing: install Debian's chromium and chromium-driver packages"
                );
            }
            eprintln!(
                "{program} is missing: skipping the browser test (apt-get install chromium chromium-driver)"
            );
            return true;
        }
    }
    false
}

/// The regulator, from the home page: the staff login (a wrong password
/// refused in Chinese, the username kept), the supervision page with the
/// newest signed head, the log searched by act, then in English.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regulator_reads_the_log_in_a_real_browser() {
    if no_browser() {
        return;
    }
    let app = Arc::new(TestApp::new(Backend::Sqlite).await);
    let alice = crate::lifecycle::citizen(&app, 1).await;
    crate::lifecycle::others_look(&app, &alice).await;
    app.staff("regulator-1", Role::Regulator).await;
    let (base, server) = serve(&app, Arc::new(CodeGate::default())).await;
    let driver = ChromeDriver::start().await;
    let browser = driver.session().await;
    let outcome = tokio::spawn(regulator_story(browser.clone(), app.clone(), base, alice)).await;
    let _ = browser.close().await;
    drop(driver);
    server.abort();
    let _ = server.await;
    if let Ok(app) = Arc::try_unwrap(app) {
        app.cleanup().await;
    }
    match outcome {
        Ok(()) => {}
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("regulator story did not finish: {e}"),
    }
}

async fn regulator_story(
    c: Client,
    app: Arc<TestApp>,
    base: String,
    alice: healthcode_tests::TestCitizen,
) {
    c.goto(&format!("{base}/"))
        .await
        .expect("open the home page");
    click(&c, "#staff-link").await;
    wait_for_page(&c, "/staff").await;
    type_into(
        &c,
        "form[action='/staff'] input[name=username]",
        "regulator-1",
    )
    .await;
    type_into(
        &c,
        "form[action='/staff'] input[name=password]",
        "not-the-password",
    )
    .await;
    click(&c, "form[action='/staff'] button[type=submit]").await;
    eventually!("the refusal", Duration::from_secs(10), {
        c.find(Locator::Css("p.error")).await.ok()
    });
    assert_eq!(
        text(&c, "p.error").await,
        "账号或密码错误 (auth.invalid_credentials)"
    );
    assert_eq!(
        value(&c, "form[action='/staff'] input[name=username]").await,
        "regulator-1"
    );
    type_into(&c, "form[action='/staff'] input[name=password]", PASSWORD).await;
    click(&c, "form[action='/staff'] button[type=submit]").await;
    wait_for_page(&c, "/regulator").await;
    assert_eq!(text(&c, "h1").await, "监督");
    let size = app.state.store().audit_size().await.expect("size");
    assert_eq!(text(&c, "#tree-size").await, size.to_string());

    c.find(Locator::Css("select[name=act]"))
        .await
        .expect("the act")
        .select_by_value("data.opened")
        .await
        .expect("choose an act");
    click(&c, "form.search button[type=submit]").await;
    eventually!("the search", Duration::from_secs(10), {
        path_and_query(&c)
            .await
            .contains("act=data.opened")
            .then_some(())
    });
    let acts = c.find_all(Locator::Css("tr.entry")).await.expect("entries");
    assert!(!acts.is_empty(), "the openings of Alice's data are listed");
    for row in acts {
        assert_eq!(
            row.attr("data-act").await.expect("act").as_deref(),
            Some("data.opened")
        );
    }
    let html = c.source().await.expect("page source");
    for personal in [
        "林小华",
        alice.document.as_str(),
        alice.person_id.as_str(),
        alice.phone.as_str(),
    ] {
        assert!(
            !html.contains(personal),
            "{personal:?} on the supervision page"
        );
    }
    click_link(&c, "English").await;
    eventually!("the page in English", Duration::from_secs(10), {
        (text(&c, "h1").await == "Supervision").then_some(())
    });
    assert_eq!(text(&c, "#audit-log h2").await, "Audit log");
    let rows = c.find_all(Locator::Css("tr.entry")).await.expect("rows");
    assert!(!rows.is_empty(), "the log, in English");
}

/// What a browser would not send, or what is quicker to check without one:
/// the pages' refusals, in the page's language, keeping what was typed (never
/// a password), and never cached.
#[tokio::test]
async fn the_pages_refuse_in_the_page_language_and_keep_what_was_typed() {
    let app = TestApp::new(Backend::Sqlite).await;
    let number = make_resident_id("350102", date(1988, 8, 8), 321).expect("valid test id");
    let phone = "13912345678";

    // A refused registration keeps every field but the password.
    let typed = form(&[
        ("name", "李四"),
        ("surname", "李"),
        ("given_name", "四"),
        ("document_type", "passport"),
        ("document_number", "X1"),
        ("phone", phone),
        ("password", "secret-never-echoed"),
        ("address", "厦门市思明区 <b>1</b> 号"),
    ]);
    let (status, headers, body) = send(&app, "POST", "/register", None, Some(typed)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("护照号码格式不正确 (id.passport)"), "{body}");
    for kept in [
        r#"value="李四""#,
        r#"name="surname" autocomplete="family-name" maxlength="64" value="李""#,
        r#"name="given_name" autocomplete="given-name" maxlength="64" value="四""#,
        r#"value="X1""#,
        r#"value="13912345678""#,
        r#"value="厦门市思明区 &#60;b&#62;1&#60;/b&#62; 号""#,
        r#"<option value="passport" selected>"#,
    ] {
        assert!(body.contains(kept), "{kept} not kept in {body}");
    }
    assert!(!body.contains("secret-never-echoed"));
    assert!(headers.contains_key(header::CONTENT_SECURITY_POLICY));

    // A refused login keeps the login, in the page's language.
    let (status, _, body) = send(
        &app,
        "POST",
        "/login",
        Some("hc_lang=en"),
        Some(form(&[("login", phone), ("password", "wrong-password")])),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body.contains("Wrong login or password (auth.invalid_credentials)"),
        "{body}"
    );
    assert!(body.contains(r#"value="13912345678""#));
    assert!(!body.contains("wrong-password"));

    app.register("李四", "resident_id", &number, phone, PASSWORD)
        .await;
    let token = app
        .login(json!({ "phone": phone, "password": PASSWORD }))
        .await;
    let session = format!("hc_session={token}");
    let english = format!("hc_session={token}; hc_lang=en");

    // Without a session the pages lead to the login.
    for path in [
        "/me/data",
        "/me/data/export.json",
        "/me/access-log",
        "/me/delete",
    ] {
        let (status, headers, _) = send(&app, "GET", path, None, None).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(headers[header::LOCATION], "/");
    }
    // Nobody has looked yet; a malformed cursor is refused in the page's language.
    let (status, _, body) = send(&app, "GET", "/me/access-log", Some(&session), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("还没有其他人查看过您的数据。"), "{body}");
    let (status, headers, body) = send(
        &app,
        "GET",
        "/me/access-log?before=garbage",
        Some(&session),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("链接中的参数有误 (request.invalid_query)"),
        "{body}"
    );
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    // The language switch returns to an older page of the log, and only ever
    // to a page of this site.
    let (_, headers, _) = send(
        &app,
        "GET",
        "/prefs?lang=en&back=%2Fme%2Faccess-log%3Fbefore%3D17.ab12",
        None,
        None,
    )
    .await;
    assert_eq!(headers[header::LOCATION], "/me/access-log?before=17.ab12");
    for away in ["//evil.example", "/%5Cevil.example", "https://evil.example"] {
        let (_, headers, _) = send(
            &app,
            "GET",
            &format!("/prefs?lang=en&back={away}"),
            None,
            None,
        )
        .await;
        assert_eq!(headers[header::LOCATION], "/", "{away}");
    }

    // Deleting: nothing happens until the box is ticked…
    let (status, headers, body) = send(
        &app,
        "POST",
        "/me/delete",
        Some(&session),
        Some(form(&[("password", PASSWORD)])),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("请勾选“我已了解此操作无法撤销” (request.invalid_field)"),
        "{body}"
    );
    assert!(!body.contains(" checked"), "the box stays unticked");
    assert!(!body.contains(PASSWORD));
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    // …a password too long is refused before it is hashed…
    let long = "x".repeat(2000);
    let (status, _, body) = send(
        &app,
        "POST",
        "/me/delete",
        Some(&session),
        Some(form(&[("password", &long), ("understood", "1")])),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("密码过长 (password.too_long)"), "{body}");
    assert!(body.contains(" checked"), "the box stays ticked");
    assert!(!body.contains(&long));
    // …a wrong password too, in the page's language…
    let (status, _, body) = send(
        &app,
        "POST",
        "/me/delete",
        Some(&english),
        Some(form(&[
            ("password", "not-my-password"),
            ("understood", "1"),
        ])),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body.contains("Wrong login or password (auth.invalid_credentials)"),
        "{body}"
    );
    assert!(body.contains(" checked"));
    assert!(!body.contains("not-my-password"));
    let (status, _) = app
        .call(axum::http::Method::GET, "/v1/me", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "the account is still there");
    // …and the right one, with the box ticked, deletes the account for good.
    let (status, headers, _) = send(
        &app,
        "POST",
        "/me/delete",
        Some(&session),
        Some(form(&[("password", PASSWORD), ("understood", "1")])),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/?deleted=1");
    let cleared = headers[header::SET_COOKIE].to_str().expect("cookie");
    assert!(
        cleared.starts_with("hc_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    let (status, _) = app
        .call(axum::http::Method::GET, "/v1/me", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, _, body) = send(&app, "GET", "/?deleted=1", Some("hc_lang=en"), None).await;
    assert!(
        body.contains("Your account and all your data have been deleted for good."),
        "{body}"
    );
    // The document and phone may register again, as a new identity.
    app.register("李四", "resident_id", &number, phone, PASSWORD)
        .await;
    app.cleanup().await;
}

/// An `application/x-www-form-urlencoded` body.
fn form(fields: &[(&str, &str)]) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                    char::from(b).to_string()
                }
                b' ' => "+".to_owned(),
                other => format!("%{other:02X}"),
            })
            .collect::<String>()
    };
    fields
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Sends a page request through the router with `cookie` (and a form body);
/// returns the status, the headers and the body as text.
async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: Option<String>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    // Forms carry the token of the browser's `hc_csrf` cookie, as the pages' do.
    const FORM_TOKEN: &str = "0123456789abcdef0123456789abcdef";
    let mut request = axum::http::Request::builder().method(method).uri(path);
    let cookie = match (cookie, &body) {
        (Some(cookie), Some(_)) => Some(format!("{cookie}; hc_csrf={FORM_TOKEN}")),
        (None, Some(_)) => Some(format!("hc_csrf={FORM_TOKEN}")),
        (cookie, None) => cookie.map(str::to_owned),
    };
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let request = match body {
        Some(body) => request
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("{body}&csrf={FORM_TOKEN}"))),
        None => request.body(Body::empty()),
    }
    .expect("request");
    let response = app.router.clone().oneshot(request).await.expect("response");
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = axum::body::to_bytes(response.into_body(), 1024 * 1024)
        .await
        .expect("body");
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

async fn story(c: Client, app: Arc<TestApp>, base: String, code_gate: Arc<CodeGate>) {
    // Register with the form.
    c.goto(&format!("{base}/register"))
        .await
        .expect("open /register");
    let number = make_resident_id("350102", date(1990, 1, 1), 123).expect("valid test id");
    type_into(&c, "form[action='/register'] input[name=name]", NAME).await;
    c.find(Locator::Css("select[name=document_type]"))
        .await
        .expect("document type field")
        .select_by_value("resident_id")
        .await
        .expect("choose resident_id");
    type_into(
        &c,
        "form[action='/register'] input[name=document_number]",
        &number,
    )
    .await;
    type_into(&c, "form[action='/register'] input[name=phone]", PHONE).await;
    type_into(&c, "form[action='/register'] input[name=address]", ADDRESS).await;
    // A password too easy to guess is refused in Chinese; what was typed is
    // kept, but never the password.
    type_into(
        &c,
        "form[action='/register'] input[name=password]",
        "12345678",
    )
    .await;
    click(&c, "form[action='/register'] button[type=submit]").await;
    let refusal = eventually!("the refused registration", Duration::from_secs(15), {
        match c.find(Locator::Css("p.error")).await {
            Ok(e) => e.text().await.ok(),
            Err(_) => None,
        }
    });
    assert_eq!(refusal, "密码太短或太容易被猜到 (password.weak)");
    assert_eq!(path_and_query(&c).await, "/register");
    for (field, typed) in [
        ("name", NAME),
        ("document_number", number.as_str()),
        ("phone", PHONE),
        ("address", ADDRESS),
        ("password", ""),
    ] {
        assert_eq!(
            value(&c, &format!("form[action='/register'] input[name={field}]")).await,
            typed,
            "the refused form keeps {field}"
        );
    }
    assert_eq!(value(&c, "select[name=document_type]").await, "resident_id");
    type_into(
        &c,
        "form[action='/register'] input[name=password]",
        PASSWORD,
    )
    .await;
    click(&c, "form[action='/register'] button[type=submit]").await;
    wait_for_page(&c, "/?registered=1").await;
    assert_eq!(text(&c, "p.notice").await, "注册成功，请登录。");

    // Someone guessing passwords for a number is slowed down: after ten
    // attempts the page says to wait, in its language, keeping what was typed.
    let guessed = "13900000999";
    for attempt in 0..11 {
        type_into(&c, "form[action='/login'] input[name=login]", guessed).await;
        type_into(
            &c,
            "form[action='/login'] input[name=password]",
            "not-the-password",
        )
        .await;
        click(&c, "form[action='/login'] button[type=submit]").await;
        let expected = if attempt < 10 {
            "账号或密码错误 (auth.invalid_credentials)"
        } else {
            "尝试次数过多，请稍后再试 (request.rate_limited)"
        };
        // The answer is a new page: its password field is empty again.
        eventually!("the refused login", Duration::from_secs(15), {
            match c
                .find(Locator::Css("form[action='/login'] input[name=password]"))
                .await
            {
                Ok(field) => field
                    .prop("value")
                    .await
                    .ok()
                    .flatten()
                    .filter(String::is_empty),
                Err(_) => None,
            }
        });
        assert_eq!(text(&c, "p.error").await, expected);
    }
    assert_eq!(
        value(&c, "form[action='/login'] input[name=login]").await,
        guessed
    );

    // Log in by phone with the form on the home page.
    type_into(&c, "form[action='/login'] input[name=login]", PHONE).await;
    type_into(&c, "form[action='/login'] input[name=password]", PASSWORD).await;
    click(&c, "form[action='/login'] button[type=submit]").await;
    wait_for_page(&c, "/me").await;

    // A checker scans the citizen's code at a venue's entrance, over the API:
    // someone other than the citizen has opened their data.
    let session = c
        .get_named_cookie("hc_session")
        .await
        .expect("session cookie")
        .value()
        .to_owned();
    checker_scans(&app, &session).await;

    // A green code with the masked name, a QR code and a running countdown.
    assert_eq!(attr(&c, "#code", "class").await, "code green");
    assert_eq!(text(&c, "#colour-label").await, "绿码");
    assert_eq!(text(&c, "#masked-name").await, MASKED);
    assert_eq!(text(&c, "h1").await, "我的健康码");
    assert_eq!(
        text(&c, "#reasons li").await,
        "动态清零政策已结束，所有健康码均显示绿码。 无需任何操作。",
        "reasons are shown in the page's language"
    );
    c.find(Locator::Css("#qr svg"))
        .await
        .expect("the QR code is an inline SVG");
    // The stylesheet loaded despite the CSP: the border is the green of app.css.
    let border = c
        .find(Locator::Css("#code"))
        .await
        .expect("#code")
        .css_value("border-top-color")
        .await
        .expect("border colour");
    assert!(
        ["rgb(26, 127, 55)", "rgba(26, 127, 55, 1)"].contains(&border.as_str()),
        "the code's border is {border}, not the green #1a7f37"
    );
    // The script ran despite the CSP: the countdown shows a number and counts down.
    let first = remaining(&c).await;
    assert!((1..=LIFETIME).contains(&first), "countdown shows {first}");
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let later = remaining(&c).await;
    assert!(
        later < first && later >= first - 4,
        "countdown went from {first} to {later} in 2.2 s"
    );

    // The session cookie is HttpOnly and SameSite=Strict;
    // every page carries the CSP, and the code page is never cached.
    let cookie = c
        .get_named_cookie("hc_session")
        .await
        .expect("session cookie");
    assert_eq!(
        cookie.http_only(),
        Some(true),
        "session cookie must be HttpOnly"
    );
    assert_eq!(
        cookie.same_site().map(|s| s.to_string()).as_deref(),
        Some("Strict")
    );
    let token = cookie.value().to_owned();
    for path in ["/", "/register", "/me"] {
        let headers = page_headers(&app, path, &token).await;
        let csp = headers
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{path} has no Content-Security-Policy"));
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(
                csp.contains(directive),
                "{path}: CSP {csp:?} lacks {directive:?}"
            );
        }
        if path == "/me" {
            assert_eq!(
                headers
                    .get(header::CACHE_CONTROL)
                    .and_then(|v| v.to_str().ok()),
                Some("no-store")
            );
        }
    }

    // What the browser shows is a valid signed code: decode the QR code from
    // a screenshot and verify it offline, like a checker's scanner would.
    let first_svg = qr_markup(&c).await;
    let first_payload = scan(&c).await;
    let verified = verify(&app, &first_payload);
    assert_eq!(verified.claims.colour, Colour::Green);
    assert_eq!(verified.claims.masked_name, MASKED);
    assert_eq!(
        verified.claims.expires_at - verified.claims.issued_at,
        LIFETIME
    );
    assert_qr_is_green(
        &c.find(Locator::Css("#qr svg"))
            .await
            .expect("QR")
            .screenshot()
            .await
            .expect("QR screenshot"),
    );

    // Before the code expires the page fetches a new one by itself. While the
    // server fails, it keeps the code it has and asks again about once a second.
    assert_eq!(
        code_gate.requests.load(Ordering::SeqCst),
        0,
        "the page came with its code"
    );
    code_gate.failing.store(true, Ordering::SeqCst);
    eventually!("the page to ask for a new code", Duration::from_secs(25), {
        (code_gate.requests.load(Ordering::SeqCst) > 0).then_some(())
    });
    let before = code_gate.requests.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let retries = code_gate.requests.load(Ordering::SeqCst) - before;
    eprintln!("{retries} requests for a code in 3 s while the server failed");
    assert!(
        (1..=5).contains(&retries),
        "{retries} requests for a code in 3 s while the server fails"
    );
    assert_eq!(
        qr_markup(&c).await,
        first_svg,
        "the page keeps its code while it cannot get a new one"
    );
    // Once that code has expired, the page says so instead of showing it as valid.
    eventually!("the expired code to be marked", Duration::from_secs(25), {
        attr(&c, "#code", "class")
            .await
            .contains("expired")
            .then_some(())
    });
    assert_eq!(text(&c, "#colour-label").await, "已过期，请联网刷新");
    code_gate.failing.store(false, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(10);
    while qr_markup(&c).await == first_svg {
        assert!(
            Instant::now() < deadline,
            "the page did not fetch a new code within 10 s of the server's recovery"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let second_payload = eventually!("a new QR code on screen", Duration::from_secs(5), {
        let payload = scan(&c).await;
        (payload != first_payload).then_some(payload)
    });
    let renewed = verify(&app, &second_payload);
    assert_eq!(renewed.claims.colour, Colour::Green);
    assert_eq!(renewed.claims.masked_name, MASKED);
    assert!(
        renewed.claims.expires_at > verified.claims.expires_at,
        "the new code must live longer"
    );
    assert_eq!(attr(&c, "#code", "class").await, "code green");
    let left = remaining(&c).await;
    assert!(
        left > LIFETIME - 20 && left <= LIFETIME,
        "after the refresh the countdown shows {left}"
    );

    // English, then large text, stay on the code page.
    c.find(Locator::LinkText("English"))
        .await
        .expect("English link")
        .click()
        .await
        .expect("click English");
    eventually!("the English page", Duration::from_secs(10), {
        (text(&c, "h1").await == "My health code").then_some(())
    });
    assert_eq!(path_and_query(&c).await, "/me");
    assert_eq!(attr(&c, "html", "lang").await, "en");
    assert_eq!(text(&c, "#colour-label").await, "Green");
    c.find(Locator::LinkText("Large text"))
        .await
        .expect("Large text link")
        .click()
        .await
        .expect("click Large text");
    eventually!("large text", Duration::from_secs(10), {
        attr(&c, "body", "class")
            .await
            .split_whitespace()
            .any(|class| class == "large")
            .then_some(())
    });
    assert_eq!(path_and_query(&c).await, "/me");
    let font_size = c
        .find(Locator::Css("body"))
        .await
        .expect("body")
        .css_value("font-size")
        .await
        .expect("font size");
    assert_eq!(font_size, "24px");
    c.find(Locator::LinkText("Normal text"))
        .await
        .expect("the way back to normal text");
    // Still a valid code in the large layout.
    let large_payload = scan(&c).await;
    assert_eq!(verify(&app, &large_payload).claims.masked_name, MASKED);
    let page = c.screenshot().await.expect("page screenshot");
    std::fs::write(SCREENSHOT, &page).expect("save the code page screenshot");
    eprintln!("code page saved to {SCREENSHOT}");

    // The travel certificates page, reached from the code page and back. A vaccine the
    // EU code lists do not name gets no EU certificate, and the page says why.
    let person = app.person_of(&token).await;
    app.import_vaccination(
        &person,
        "vacc-zf2001",
        "智飞龙科马",
        (1, 3),
        date(2021, 6, 1),
    )
    .await;
    click(&c, "#certificates-link").await;
    wait_for_page(&c, "/me/certificates").await;
    assert_eq!(text(&c, "h1").await, "Travel certificates");
    let not_issued = text(&c, "section.not-issued").await;
    assert!(
        not_issued
            .contains("so it has no EU certificate (certificate.product_not_coded): 智飞龙科马"),
        "{not_issued}"
    );
    assert!(
        c.find(Locator::Css("section.dcc .qr")).await.is_err(),
        "no EU QR code"
    );
    assert!(
        c.find(Locator::Css("section.shc .qr")).await.is_ok(),
        "the SMART Health Card carries it"
    );
    c.find(Locator::LinkText("Back"))
        .await
        .expect("the way back")
        .click()
        .await
        .expect("click back");
    wait_for_page(&c, "/me").await;

    service_closes(&c, &app).await;

    // Log out: back home, the session is gone on the server too.
    click(&c, "form[action='/logout'] button[type=submit]").await;
    wait_for_page(&c, "/").await;
    c.goto(&format!("{base}/me")).await.expect("open /me again");
    wait_for_page(&c, "/").await;
    let (status, _) = app
        .call(axum::http::Method::GET, "/v1/me/code", Some(&token), None)
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the session must end with the logout"
    );

    privacy_journey(&c, &app).await;
}

/// On the code page (in English): an authority suspends code display a few
/// seconds ahead; the page announces it, then shows the notice in place of
/// the code, in either language; cancelled, the code is back.
async fn service_closes(c: &Client, app: &TestApp) {
    let authority = app.staff("province-authority", Role::Authority).await;
    let from = app.state.now() + 3;
    let (status, body) = app
        .call(
            axum::http::Method::POST,
            "/v1/services/closures",
            Some(&authority),
            Some(json!({
                "service": "code-display", "closure": "suspended",
                "from": healthcode_core::clock::rfc3339(from),
                "notice_zh": SUSPENDED_ZH, "notice_en": SUSPENDED_EN,
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    c.refresh().await.expect("reload the code page");
    wait_for_page(c, "/me").await;
    assert!(text(c, "#service-announced").await.contains(SUSPENDED_EN));
    assert!(
        !text(c, "#remaining").await.is_empty(),
        "the code is still shown"
    );

    eventually!("the suspension's time", Duration::from_secs(10), {
        (app.state.now() > from).then_some(())
    });
    c.refresh().await.expect("reload the code page");
    assert_eq!(text(c, "#service-notice").await, SUSPENDED_EN);
    assert_eq!(text(c, "h1").await, "This service is suspended");
    assert!(
        c.find(Locator::Css("#code")).await.is_err(),
        "no code once suspended"
    );
    // The language switch comes back to the same address: wait for the words.
    click_link(c, "中文").await;
    eventually!("the notice in Chinese", Duration::from_secs(10), {
        (text(c, "h1").await == "此服务已暂停").then_some(())
    });
    assert_eq!(text(c, "#service-notice").await, SUSPENDED_ZH);
    click_link(c, "English").await;
    eventually!("the notice in English", Duration::from_secs(10), {
        (text(c, "h1").await == "This service is suspended").then_some(())
    });

    let (status, body) = app
        .call(
            axum::http::Method::DELETE,
            "/v1/services/code-display/closure",
            Some(&authority),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    c.refresh().await.expect("reload the code page");
    c.find(Locator::Css("#code"))
        .await
        .expect("the code is back once the suspension is cancelled");
}

/// A venue account registers a venue and a checker scans the citizen's code
/// there, as at an entrance.
async fn checker_scans(app: &TestApp, citizen_token: &str) {
    let checker = app.staff("gate-1", Role::Checker).await;
    let owner = app.staff("library", Role::Venue).await;
    let (status, venue) = app
        .call(
            axum::http::Method::POST,
            "/v1/venues",
            Some(&owner),
            Some(json!({ "name": VENUE, "address": "鼓楼区湖东路 1 号", "division": "350102" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{venue}");
    let venue_id = venue["id"].as_str().expect("venue id");
    app.bind_checker(&owner, venue_id, "gate-1").await;
    let (status, code) = app
        .call(
            axum::http::Method::GET,
            "/v1/me/code",
            Some(citizen_token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{code}");
    let (status, body) = app
        .call(
            axum::http::Method::POST,
            "/v1/check-ins",
            Some(&checker),
            Some(json!({ "personal_code": code["payload"], "venue_id": venue["id"] })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// Logged out, in English and large text as the story left it: log in again,
/// read everything held and download it, see who looked at the data in both
/// languages, and delete the account for good.
async fn privacy_journey(c: &Client, app: &TestApp) {
    type_into(c, "form[action='/login'] input[name=login]", PHONE).await;
    type_into(c, "form[action='/login'] input[name=password]", PASSWORD).await;
    click(c, "form[action='/login'] button[type=submit]").await;
    wait_for_page(c, "/me").await;
    let token = c
        .get_named_cookie("hc_session")
        .await
        .expect("session cookie")
        .value()
        .to_owned();
    // The new pages carry the CSP, and none of them is kept by a cache.
    for path in [
        "/me/data",
        "/me/data/export.json",
        "/me/access-log",
        "/me/delete",
    ] {
        let headers = page_headers(app, path, &token).await;
        let header = |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(
            header(header::CACHE_CONTROL).as_deref(),
            Some("no-store"),
            "{path}"
        );
        if path.ends_with(".json") {
            assert_eq!(
                header(header::CONTENT_DISPOSITION).as_deref(),
                Some("attachment; filename=\"healthcode-export.json\"")
            );
        } else {
            assert!(
                header(header::CONTENT_SECURITY_POLICY)
                    .is_some_and(|csp| csp.contains("default-src 'self'")),
                "{path} has no Content-Security-Policy"
            );
        }
    }

    // My data, from the code page: the registered name, the address, the check-in.
    click(c, "#data-link").await;
    wait_for_page(c, "/me/data").await;
    assert_eq!(text(c, "h1").await, "My data");
    let profile = text(c, "#profile").await;
    assert!(
        profile.contains(NAME) && profile.contains(PHONE) && profile.contains(ADDRESS),
        "{profile}"
    );
    let check_ins = text(c, "#check-ins").await;
    assert!(
        check_ins.contains(VENUE) && check_ins.contains("Staff scanned your code"),
        "{check_ins}"
    );
    // The language switch and the text size stay on this page.
    click_link(c, "中文").await;
    eventually!("the Chinese data page", Duration::from_secs(10), {
        (text(c, "h1").await == "我的数据").then_some(())
    });
    assert_eq!(path_and_query(c).await, "/me/data");
    click_link(c, "标准字号").await;
    eventually!("normal text", Duration::from_secs(10), {
        (!attr(c, "body", "class").await.contains("large")).then_some(())
    });
    assert_eq!(path_and_query(c).await, "/me/data");
    assert_eq!(
        text(c, "#status dd").await,
        "绿码",
        "the colour in the page's language"
    );
    let check_ins = text(c, "#check-ins").await;
    assert!(
        check_ins.contains(VENUE) && check_ins.contains("工作人员扫本人健康码"),
        "{check_ins}"
    );
    assert!(text(c, "#access-log").await.contains("扫码查验人员"));

    // The download link gives the export, the same document as /v1/me/export.
    let href = attr(c, "#download-link", "href").await;
    assert_eq!(href, "/me/data/export.json");
    let fetched = c
        .execute_async(
            r#"const [url, done] = [arguments[0], arguments[arguments.length - 1]];
               fetch(url, { credentials: "same-origin" })
                 .then(r => r.text().then(body => done({
                   status: r.status,
                   type: r.headers.get("content-type"),
                   disposition: r.headers.get("content-disposition"),
                   body,
                 })))
                 .catch(e => done({ error: String(e) }));"#,
            vec![json!(href)],
        )
        .await
        .expect("fetch the download in the page");
    assert_eq!(fetched["status"], 200, "{fetched}");
    assert_eq!(fetched["type"], "application/json");
    assert!(
        fetched["disposition"]
            .as_str()
            .is_some_and(|d| d.starts_with("attachment")),
        "{fetched}"
    );
    let export: Value =
        serde_json::from_str(fetched["body"].as_str().expect("a body")).expect("JSON");
    assert_eq!(export["format"], "healthcode-export/1");
    assert_eq!(export["profile"]["name"], NAME);
    assert_eq!(export["profile"]["address"], ADDRESS);
    assert_eq!(export["check_ins"][0]["venue_name"], VENUE);
    // The checker's scan is there (the registry's import of a vaccination, later, too).
    assert!(
        export["access_log"]
            .as_array()
            .is_some_and(|log| log.iter().any(|e| e["actor_role"] == "checker")),
        "{}",
        export["access_log"]
    );
    let (status, api) = app
        .call(axum::http::Method::GET, "/v1/me/export", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    for part in ["profile", "facts", "check_ins", "access_log"] {
        assert_eq!(export[part], api[part], "the download's {part}");
    }

    // The surname and given name as the passport prints them: proposed from
    // the name; a split that is not the name is refused in Chinese, keeping
    // what was typed; then confirmed.
    assert_eq!(
        text(c, "#name-parts-state").await,
        "这是按您的姓名推荐的拆分，请确认或更正。"
    );
    assert_eq!(
        value(c, "form[action='/me/name-parts'] input[name=surname]").await,
        "张"
    );
    assert_eq!(
        value(c, "form[action='/me/name-parts'] input[name=given_name]").await,
        "三明"
    );
    type_into(
        c,
        "form[action='/me/name-parts'] input[name=given_name]",
        "三",
    )
    .await;
    click(c, "form[action='/me/name-parts'] button[type=submit]").await;
    eventually!("the refused split", Duration::from_secs(10), {
        match c.find(Locator::Css("#name-parts p.error")).await {
            Ok(e) => e.text().await.ok(),
            Err(_) => None,
        }
    });
    assert_eq!(
        text(c, "#name-parts p.error").await,
        "姓和名合起来须与登记的姓名一致 (name.parts)"
    );
    assert_eq!(
        value(c, "form[action='/me/name-parts'] input[name=given_name]").await,
        "三"
    );
    type_into(
        c,
        "form[action='/me/name-parts'] input[name=given_name]",
        "三明",
    )
    .await;
    click(c, "form[action='/me/name-parts'] button[type=submit]").await;
    eventually!("the split confirmed", Duration::from_secs(10), {
        (text(c, "#name-parts-state").await == "已由您确认。").then_some(())
    });

    // Keep the account after the epidemic: the box, then the choice shown.
    assert_eq!(
        text(c, "#keep-state").await,
        "疫情结束后，您的账号将与疫情数据一并删除。"
    );
    click(c, "form[action='/me/keep-account'] input[name=keep]").await;
    click(c, "form[action='/me/keep-account'] button[type=submit]").await;
    eventually!("the choice shown", Duration::from_secs(10), {
        (text(c, "#keep-state").await == "您已选择在疫情结束后保留账号。").then_some(())
    });
    let (_, profile) = app
        .call(axum::http::Method::GET, "/v1/me", Some(&token), None)
        .await;
    assert_eq!(profile["keep_account"], true);

    // Who looked at my data, from the code page: the checker, in Chinese…
    click_link(c, "返回").await;
    wait_for_page(c, "/me").await;
    click(c, "#access-log-link").await;
    wait_for_page(c, "/me/access-log").await;
    assert_eq!(text(c, "h1").await, "谁查看了我的数据");
    let rows = c
        .find_all(Locator::Css("table.access tbody tr"))
        .await
        .expect("rows");
    // The checker's scan, then (newer, above it) the registry's import of the vaccination
    // shown on the certificates page.
    assert_eq!(rows.len(), 2, "two openings by someone else");
    let row = text(c, "table.access tbody tr:last-child").await;
    for words in ["扫码查验人员", "场所扫码登记", "健康码颜色", "场所扫码记录"]
    {
        assert!(row.contains(words), "{words:?} not in {row:?}");
    }
    let account = text(c, "table.access tbody tr:last-child code").await;
    assert!(!account.is_empty(), "the checker's account id");
    assert!(!row.contains("gate-1"), "never the account's name");
    // …and in English, on the same page.
    click_link(c, "English").await;
    eventually!("the English access log", Duration::from_secs(10), {
        (text(c, "h1").await == "Who looked at my data").then_some(())
    });
    assert_eq!(path_and_query(c).await, "/me/access-log");
    let row = text(c, "table.access tbody tr:last-child").await;
    for words in [
        "Checker",
        "Check-in",
        "Code colour",
        "Check-ins",
        account.as_str(),
    ] {
        assert!(row.contains(words), "{words:?} not in {row:?}");
    }

    // Delete my account, from the code page; in Chinese again.
    click_link(c, "Back").await;
    wait_for_page(c, "/me").await;
    click(c, "#delete-link").await;
    wait_for_page(c, "/me/delete").await;
    assert_eq!(text(c, "h1").await, "Delete my account");
    assert!(text(c, "#final").await.contains("This cannot be undone."));
    click_link(c, "中文").await;
    eventually!("the Chinese delete page", Duration::from_secs(10), {
        (text(c, "h1").await == "注销账号").then_some(())
    });
    assert_eq!(path_and_query(c).await, "/me/delete");
    assert!(text(c, "#final").await.contains("此操作无法撤销"));
    assert!(text(c, "#final").await.contains("重新注册"));
    // A wrong password: the error in Chinese, the box still ticked, no password.
    type_into(
        c,
        "form[action='/me/delete'] input[name=password]",
        "not-my-password",
    )
    .await;
    click(c, "form[action='/me/delete'] input[name=understood]").await;
    assert!(understood(c).await, "the box is ticked");
    click(c, "form[action='/me/delete'] button[type=submit]").await;
    let refusal = eventually!("the refused deletion", Duration::from_secs(15), {
        match c.find(Locator::Css("p.error")).await {
            Ok(e) => e.text().await.ok(),
            Err(_) => None,
        }
    });
    assert_eq!(refusal, "账号或密码错误 (auth.invalid_credentials)");
    assert_eq!(path_and_query(c).await, "/me/delete");
    assert!(understood(c).await, "the box stays ticked");
    assert_eq!(
        value(c, "form[action='/me/delete'] input[name=password]").await,
        ""
    );
    let (status, _) = app
        .call(axum::http::Method::GET, "/v1/me", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "nothing is deleted yet");
    // The right password: gone for good, home with the notice.
    type_into(
        c,
        "form[action='/me/delete'] input[name=password]",
        PASSWORD,
    )
    .await;
    click(c, "form[action='/me/delete'] button[type=submit]").await;
    wait_for_page(c, "/?deleted=1").await;
    assert_eq!(text(c, "p.notice").await, "您的账号及全部数据已永久删除。");
    assert!(
        c.get_named_cookie("hc_session").await.is_err(),
        "the session cookie is cleared"
    );
    let (status, _) = app
        .call(axum::http::Method::GET, "/v1/me", Some(&token), None)
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the session ended with the account"
    );
    // Logging in again fails, and the login field keeps what was typed.
    type_into(c, "form[action='/login'] input[name=login]", PHONE).await;
    type_into(c, "form[action='/login'] input[name=password]", PASSWORD).await;
    click(c, "form[action='/login'] button[type=submit]").await;
    wait_for_page(c, "/login").await;
    assert_eq!(
        text(c, "p.error").await,
        "账号或密码错误 (auth.invalid_credentials)"
    );
    assert_eq!(
        value(c, "form[action='/login'] input[name=login]").await,
        PHONE
    );
    assert_eq!(
        value(c, "form[action='/login'] input[name=password]").await,
        ""
    );
}

async fn path_and_query(c: &Client) -> String {
    let url = c.current_url().await.expect("current URL");
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

async fn wait_for_page(c: &Client, expected: &str) {
    eventually!(
        format!("the browser to reach {expected}"),
        Duration::from_secs(15),
        { (path_and_query(c).await == expected).then_some(()) }
    );
}

async fn type_into(c: &Client, css: &str, value: &str) {
    let field = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no field {css}: {e}"));
    field.clear().await.expect("clear field");
    field
        .send_keys(value)
        .await
        .unwrap_or_else(|e| panic!("cannot type into {css}: {e}"));
    assert_eq!(
        field.prop("value").await.expect("field value").as_deref(),
        Some(value),
        "{css} holds what was typed"
    );
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
}

/// The text of the first element `css` selects. An element found just as the page is
/// replaced (after a click, inside `eventually!`) goes stale before its text is read: it
/// is found again, for up to two seconds.
async fn text(c: &Client, css: &str) -> String {
    let mut tries = 0;
    loop {
        let element = c
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"));
        match element.text().await {
            Ok(text) => return text,
            Err(fantoccini::error::CmdError::Standard(e))
                if e.error == fantoccini::error::ErrorStatus::StaleElementReference
                    && tries < 20 =>
            {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("the text of {css}: {e}"),
        }
    }
}

async fn click_link(c: &Client, link_text: &str) {
    c.find(Locator::LinkText(link_text))
        .await
        .unwrap_or_else(|e| panic!("no link {link_text:?}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("cannot click {link_text:?}: {e}"));
}

/// The current value of a form field.
async fn value(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no field {css}: {e}"))
        .prop("value")
        .await
        .expect("field value")
        .unwrap_or_default()
}

/// Whether "I understand this cannot be undone" is ticked.
async fn understood(c: &Client) -> bool {
    c.find(Locator::Css(
        "form[action='/me/delete'] input[name=understood]",
    ))
    .await
    .expect("the box")
    .is_selected()
    .await
    .expect("ticked or not")
}

async fn attr(c: &Client, css: &str, name: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .attr(name)
        .await
        .expect("attribute")
        .unwrap_or_default()
}

/// The countdown in seconds, once the script shows a number (not "refreshing").
async fn remaining(c: &Client) -> i64 {
    eventually!("a number in the countdown", Duration::from_secs(5), {
        text(c, "#remaining").await.trim().parse().ok()
    })
}

async fn qr_markup(c: &Client) -> String {
    c.find(Locator::Css("#qr"))
        .await
        .expect("#qr")
        .html(true)
        .await
        .expect("QR markup")
}

/// Decodes the QR code on screen from a screenshot of it.
async fn scan(c: &Client) -> String {
    let png = c
        .find(Locator::Css("#qr svg"))
        .await
        .expect("QR code")
        .screenshot()
        .await
        .expect("screenshot of the QR code");
    decode_qr(&png)
}

fn decode_qr(png: &[u8]) -> String {
    let picture = image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .expect("the screenshot is a PNG")
        .to_luma8();
    let (width, height) = picture.dimensions();
    // Dark modules are coloured; anything well below white counts as dark.
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(width as usize, height as usize, |x, y| {
            if picture.get_pixel(x as u32, y as u32)[0] < 160 {
                0
            } else {
                255
            }
        });
    let grids = prepared.detect_grids();
    assert_eq!(
        grids.len(),
        1,
        "expected one QR code in the {width}x{height} screenshot"
    );
    let (_meta, content) = grids[0].decode().expect("the QR code on screen decodes");
    content
}

/// The dark modules on screen are drawn in the code's colour, not black.
fn assert_qr_is_green(png: &[u8]) {
    let picture = image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .expect("the screenshot is a PNG")
        .to_rgb8();
    let dark: Vec<_> = picture
        .pixels()
        .filter(|p| p.0.iter().all(|&c| c < 200))
        .collect();
    assert!(!dark.is_empty(), "no dark modules in the QR screenshot");
    let green = dark.iter().filter(|p| p.0 == [26, 127, 55]).count();
    assert!(
        green * 10 >= dark.len() * 9,
        "the QR code should be drawn in green (#1a7f37): {green} of {} dark pixels are; first is {:?}",
        dark.len(),
        dark[0].0
    );
}

fn verify(app: &TestApp, payload: &str) -> VerifiedCode {
    code::verify(payload, &app.state.trust_list(), app.state.now(), 0).unwrap_or_else(|e| {
        panic!(
            "the code on screen does not verify offline: {e} ({})",
            e.code()
        )
    })
}

/// The headers of a page as the router serves it, with the browser's session cookie.
async fn page_headers(app: &TestApp, path: &str, token: &str) -> axum::http::HeaderMap {
    let request = axum::http::Request::get(path)
        .header(header::COOKIE, format!("hc_session={token}"))
        .body(Body::empty())
        .expect("request");
    let response = app.router.clone().oneshot(request).await.expect("response");
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.headers().clone()
}
