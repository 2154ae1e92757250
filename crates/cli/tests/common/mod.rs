//! Helpers shared by the binary's test files: running `healthcode` as people do,
//! and scratch folders.
// Each test file uses its own part of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use axum::http::Method;
use healthcode_domain::role::Role;
use healthcode_store::Backend;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use jiff::civil::date;
use serde_json::{Value, json};

/// Runs the built `healthcode` binary with `args`, outside the test harness's database.
pub fn healthcode(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_healthcode"))
        .args(args)
        .env_remove("HEALTHCODE_TEST_DATABASE_URL")
        .output()
        .expect("run healthcode")
}

/// What a run printed on stdout.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A new empty folder under the system's temporary folder.
pub fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(healthcode_tests::unique("hc_cli"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A path as a command-line argument.
pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `healthcode verify` against a signed national list opened with `anchor`, at `at`.
pub fn verify_national(payload: &str, national: &Path, anchor: &Path, at: i64) -> Output {
    healthcode(&[
        "verify",
        payload,
        "--trust",
        path_str(national),
        "--anchor",
        path_str(anchor),
        "--at",
        &at.to_string(),
    ])
}

/// Loopback ports nobody listens on right now, all different.
pub fn free_ports<const N: usize>() -> [u16; N] {
    let held: Vec<std::net::TcpListener> = (0..N)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("a free port"))
        .collect();
    std::array::from_fn(|i| held[i].local_addr().expect("addr").port())
}

/// Stops the server with SIGTERM when the test ends, however it ends.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        if !matches!(self.0.try_wait(), Ok(None)) {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

/// An HTTP client for a server the test started.
pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// A client for plain HTTP on loopback.
pub fn http_client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

pub async fn call(
    client: &HttpClient,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let response = client
        .request(request.body(Full::new(Bytes::from(body))).expect("request"))
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Waits until the server answers `/healthz`.
pub async fn wait_healthy(client: &HttpClient, base: &str, server: &mut Server) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let uri: hyper::Uri = format!("{base}/healthz").parse().expect("uri");
        let request = hyper::Request::get(uri)
            .body(Full::new(Bytes::new()))
            .expect("request");
        if let Ok(Ok(r)) =
            tokio::time::timeout(Duration::from_secs(2), client.request(request)).await
            && r.status().is_success()
        {
            return;
        }
        assert!(
            server.0.try_wait().expect("poll").is_none(),
            "the server exited before {base} answered"
        );
        assert!(Instant::now() < deadline, "{base} never became healthy");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Some acts to log: staff accounts, a citizen, a checkpoint's scan.
pub async fn acts(app: &healthcode_tests::TestApp, n: u16) {
    let checker = app.staff(&format!("gate-{n}"), Role::Checker).await;
    let owner = app.staff(&format!("venue-{n}"), Role::Venue).await;
    let person = app
        .citizen(
            "林小华",
            "350203",
            date(1985, 5, 20),
            700 + n,
            &format!("1370000{n:04}"),
        )
        .await;
    let (_, venue) = app
        .call(
            Method::POST,
            "/v1/venues",
            Some(&owner),
            Some(json!({ "name": "图书馆", "address": "湖滨南路 1 号", "division": "350203" })),
        )
        .await;
    let venue_id = venue["id"].as_str().expect("venue id");
    app.bind_checker(&owner, venue_id, &format!("gate-{n}"))
        .await;
    let (_, code) = app
        .call(Method::GET, "/v1/me/code", Some(&person.token), None)
        .await;
    app.clock.advance(1);
    let (status, body) = app
        .call(
            Method::POST,
            "/v1/check-ins",
            Some(&checker),
            Some(json!({ "personal_code": code["payload"], "venue_id": venue["id"] })),
        )
        .await;
    assert_eq!(status, axum::http::StatusCode::CREATED, "{body}");
    healthcode_core::audit::sign_head(&app.state)
        .await
        .expect("head");
}

/// Runs `healthcode` off the runtime, so the served app keeps answering.
pub async fn run(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        healthcode(&args)
    })
    .await
    .expect("ran")
}

/// A service run as operators run it: a configuration file (SQLite in a
/// data folder, or a fresh PostgreSQL schema) and the binary started on it,
/// with the limits on logins and registrations raised for load from one address.
pub struct Deployment {
    pub dir: PathBuf,
    pub config: PathBuf,
    pub base: String,
    /// The PostgreSQL URL, when not on SQLite.
    pub database: Option<String>,
}

impl Deployment {
    pub fn new(backend: Backend) -> Deployment {
        let dir = temp_dir();
        let data = dir.join("data");
        std::fs::create_dir_all(&data).expect("data folder");
        let [port] = free_ports::<1>();
        let (lines, database) = match backend {
            Backend::Sqlite => (String::new(), None),
            Backend::Postgres => {
                let url = std::env::var("HEALTHCODE_TEST_DATABASE_URL").expect("PostgreSQL URL");
                let schema = healthcode_tests::unique("crash");
                (
                    format!("database_url = {url:?}\ndatabase_schema = {schema:?}\n"),
                    Some(url),
                )
            }
        };
        let config = dir.join("healthcode.toml");
        // Every request here comes from one address: the limits on logins and
        // registrations are raised so that they do not stand in for crashes.
        std::fs::write(
            &config,
            format!(
                "data = {data:?}\n{lines}[server]\nlisten = \"127.0.0.1:{port}\"\n\
                 [server.rate_limits]\nlogin_account = {{ burst = 100000, every = 1 }}\n\
                 login_address = {{ burst = 100000, every = 1 }}\n\
                 register_address = {{ burst = 100000, every = 1 }}\n"
            ),
        )
        .expect("config");
        Deployment {
            dir,
            config,
            base: format!("http://127.0.0.1:{port}"),
            database,
        }
    }

    pub async fn start(&self, client: &HttpClient) -> Server {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("server.log"))
            .expect("log");
        let mut server = Server(
            Command::new(env!("CARGO_BIN_EXE_healthcode"))
                .args(["--config", path_str(&self.config), "serve"])
                .env_remove("HEALTHCODE_TEST_DATABASE_URL")
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("start healthcode serve"),
        );
        wait_healthy(client, &self.base, &mut server).await;
        server
    }

    pub fn healthcode(&self, args: &[&str], stdin: Option<&str>) -> std::process::Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_healthcode"))
            .args(["--config", path_str(&self.config)])
            .args(args)
            .env_remove("HEALTHCODE_TEST_DATABASE_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run healthcode");
        if let Some(text) = stdin {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(text.as_bytes())
                .expect("write stdin");
        }
        child.wait_with_output().expect("healthcode ran")
    }

    pub fn data(&self) -> PathBuf {
        self.dir.join("data")
    }
}

/// One request's fate: the answer, or `None` when the connection broke.
pub async fn try_call(
    client: &HttpClient,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Option<(u16, Value)> {
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = request.body(Full::new(Bytes::from(body))).ok()?;
    let response = tokio::time::timeout(Duration::from_secs(20), client.request(request))
        .await
        .ok()?
        .ok()?;
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.ok()?.to_bytes();
    Some((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}
