//! PostgreSQL restarts under load: while it is away, the service answers
//! every request, each either as usual or with a clean 503 carrying
//! `Retry-After` and the error shape (never a 500, never a dropped
//! connection), and once it is back the service recovers by itself.
//!
//! Restarting the machine's PostgreSQL takes root (`pg_ctlcluster`), which CI
//! has; this file holds this one test, so no other test of its binary runs
//! while the database is down (cargo runs test binaries one after another).

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use healthcode_store::Backend;
use serde_json::{Value, json};

mod common;
use common::{Deployment, HttpClient, http_client, try_call};

const PASSWORD: &str = "a-good-password";

/// One answer seen during the load.
#[derive(Debug)]
struct Seen {
    at: Instant,
    what: &'static str,
    /// Status, `Retry-After`, error code; `None` when the connection broke.
    answer: Option<(u16, Option<String>, Option<String>)>,
}

/// Like [`try_call`], keeping the `Retry-After` header.
async fn observe(
    client: &HttpClient,
    method: &str,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> Option<(u16, Option<String>, Option<String>)> {
    use http_body_util::{BodyExt as _, Full};
    use hyper::body::Bytes;
    let request = hyper::Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::from(
            body.map(|b| b.to_string()).unwrap_or_default(),
        )))
        .ok()?;
    let response = tokio::time::timeout(Duration::from_secs(30), client.request(request))
        .await
        .ok()?
        .ok()?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = response.into_body().collect().await.ok()?.to_bytes();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let code = body["error"]["code"].as_str().map(str::to_owned);
    Some((status, retry_after, code))
}

/// Stops the machine's PostgreSQL, waits `away`, and starts it again: a
/// restart slow enough that requests cannot simply wait it out.
fn restart_postgres(away: Duration) -> bool {
    let Some(version) = std::fs::read_dir("/etc/postgresql")
        .ok()
        .and_then(|mut d| d.next())
        .and_then(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
    else {
        return false;
    };
    let cluster = |action: &str| {
        Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", &version, "main", action])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !cluster("stop") {
        return false;
    }
    std::thread::sleep(away);
    cluster("start")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_is_answered_with_503_and_recovered_from() {
    let Ok(url) = std::env::var("HEALTHCODE_TEST_DATABASE_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs HEALTHCODE_TEST_DATABASE_URL"
        );
        eprintln!("no PostgreSQL: the restart test did not run");
        return;
    };
    if !url.contains("127.0.0.1") && !url.contains("localhost") {
        eprintln!("PostgreSQL is not this machine's: the restart test did not run");
        return;
    }
    let service = Deployment::new(Backend::Postgres);
    let client = http_client();
    let base = service.base.clone();
    let server = service.start(&client).await;
    let owner = {
        let out = service.healthcode(
            &[
                "admin",
                "create-user",
                "--role",
                "venue",
                "--username",
                "restart-venue",
                "--password-stdin",
            ],
            Some(PASSWORD),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        login(
            &client,
            &base,
            json!({"username": "restart-venue", "password": PASSWORD}),
        )
        .await
    };
    let register = json!({
        "name": "黄小明", "document_type": "resident_id",
        "document_number": healthcode_domain::identity::make_resident_id(
            "350102", jiff::civil::date(1991, 3, 4), 55).expect("id"),
        "phone": "13500000055", "password": PASSWORD,
    });
    let (status, body) = try_call(
        &client,
        "POST",
        &format!("{base}/v1/citizens"),
        None,
        Some(register),
    )
    .await
    .expect("registered");
    assert_eq!(status, 201, "{body}");
    let citizen = login(
        &client,
        &base,
        json!({"phone": "13500000055", "password": PASSWORD}),
    )
    .await;
    let (_, venue) = try_call(
        &client,
        "POST",
        &format!("{base}/v1/venues"),
        Some(&owner),
        Some(json!({ "name": "五一广场", "address": "鼓楼区五一路", "division": "350102" })),
    )
    .await
    .expect("venue");
    let venue_id = venue["id"].as_str().expect("venue id").to_owned();
    let (_, place) = try_call(
        &client,
        "GET",
        &format!("{base}/v1/venues/{venue_id}/place-code"),
        Some(&owner),
        None,
    )
    .await
    .expect("place code");
    let place_code = place["payload"].as_str().expect("payload").to_owned();

    // Load: reads and writes of every kind, until told to stop.
    let seen = Arc::new(Mutex::new(Vec::<Seen>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for worker in 0..4usize {
        let (client, base, seen, stop, token, place_code) = (
            client.clone(),
            base.clone(),
            seen.clone(),
            stop.clone(),
            citizen.clone(),
            place_code.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut i = 0usize;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                i += 1;
                let (what, method, path, body) = match (worker + i) % 4 {
                    0 => ("profile", "GET", "/v1/me".to_owned(), None),
                    1 => (
                        "check-in",
                        "POST",
                        "/v1/me/check-ins".to_owned(),
                        Some(json!({ "place_code": place_code, "scan_id": format!("w{worker}-{i}") })),
                    ),
                    2 => (
                        "appeal",
                        "POST",
                        "/v1/me/appeals".to_owned(),
                        Some(json!({ "text": format!("请复核，第 {worker}-{i} 次") })),
                    ),
                    _ => ("itinerary", "GET", "/v1/me/check-ins".to_owned(), None),
                };
                let answer = observe(&client, method, &format!("{base}{path}"), &token, body).await;
                seen.lock().expect("seen").push(Seen {
                    at: Instant::now(),
                    what,
                    answer,
                });
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let restarting = Instant::now();
    // Longer than the service waits for a connection (5 s), so some requests
    // must be refused.
    let restarted = tokio::task::spawn_blocking(|| restart_postgres(Duration::from_secs(8)))
        .await
        .expect("restart ran");
    if !restarted {
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(
            std::env::var_os("CI").is_none(),
            "cannot restart PostgreSQL here (needs root and pg_ctlcluster)"
        );
        eprintln!("cannot restart PostgreSQL here: the restart test did not run");
        return;
    }
    let back = Instant::now();
    println!("PostgreSQL restarted in {:?}", back - restarting);
    // Recovery: within 20 s of PostgreSQL's return, everything answers as usual.
    tokio::time::sleep(Duration::from_secs(20)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for task in tasks {
        let _ = task.await;
    }
    drop(server);

    let seen = std::mem::take(&mut *seen.lock().expect("seen"));
    let refused = seen
        .iter()
        .filter(|s| matches!(s.answer, Some((503, _, _))))
        .count();
    println!(
        "{} answers during the load, {refused} of them 503",
        seen.len()
    );
    assert!(
        refused > 0,
        "PostgreSQL was away 8 s and nothing was refused"
    );
    for s in &seen {
        match &s.answer {
            None => panic!("{}: the connection broke instead of an answer", s.what),
            Some((200 | 201, _, _)) => {}
            Some((503, retry_after, code)) => {
                assert!(retry_after.is_some(), "{}: 503 without Retry-After", s.what);
                assert!(
                    matches!(
                        code.as_deref(),
                        Some("store.unavailable" | "check_in.unavailable" | "check_in.busy")
                    ),
                    "{}: 503 {code:?}",
                    s.what
                );
            }
            Some(other) => panic!("{}: {other:?} while PostgreSQL restarted", s.what),
        }
    }
    let recovered_by = back + Duration::from_secs(10);
    let late: Vec<&Seen> = seen.iter().filter(|s| s.at > recovered_by).collect();
    assert!(late.len() > 20, "too few answers after the restart");
    for s in late {
        assert!(
            matches!(s.answer, Some((200 | 201, _, _))),
            "{} still failing 10 s after PostgreSQL came back: {:?}",
            s.what,
            s.answer
        );
    }
}

async fn login(client: &HttpClient, base: &str, credentials: Value) -> String {
    let (status, session) = try_call(
        client,
        "POST",
        &format!("{base}/v1/sessions"),
        None,
        Some(credentials),
    )
    .await
    .expect("an answer");
    assert_eq!(status, 201, "{session}");
    session["token"].as_str().expect("token").to_owned()
}
