//! `kill -9` at random moments while people register, check in, laboratories
//! send results and citizens appeal, on SQLite and PostgreSQL, with the real
//! binary: after each restart every acknowledged write is there exactly once,
//! retries of the writes that were cut off do not duplicate anything, and the
//! stores are intact (SQLite's integrity check, the audit log's verification).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use healthcode_domain::identity::make_resident_id;
use healthcode_store::Backend;
use healthcode_tests::backends;
use jiff::civil::date;
use serde_json::{Value, json};

mod common;
use common::{Deployment, HttpClient, http_client, try_call};

const PASSWORD: &str = "a-good-password";
/// Citizens seeded before the load.
const CITIZENS: usize = 8;
/// Sealed tubes per citizen, each holding one sample of theirs, waiting for a result.
const TUBES_EACH: usize = 3;
const ROUNDS: usize = 3;

/// A small random source for the moments of the kills; the seed is printed
/// so that a failing run can be repeated.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

async fn expect(
    client: &HttpClient,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
    status: u16,
) -> Value {
    let (got, answer) = try_call(client, method, url, token, body)
        .await
        .unwrap_or_else(|| panic!("{method} {url}: no answer"));
    assert_eq!(got, status, "{method} {url}: {answer}");
    answer
}

struct Citizen {
    token: String,
}

/// Everything the load tried, and what was acknowledged.
#[derive(Default)]
struct Ledger {
    /// (document, phone, acknowledged)
    registrations: Vec<(String, String, bool)>,
    /// (citizen, scan id, check-in id if acknowledged)
    check_ins: Vec<(usize, String, Option<String>)>,
    /// (tube, acknowledged)
    results: Vec<(String, bool)>,
    /// (citizen, appeal id if acknowledged)
    appeals: Vec<(usize, Option<String>)>,
}

fn registration(n: u32) -> (String, String, Value) {
    // Up to 1,000 serial numbers a day of birth, so many days for many people.
    let born = date(1950, 1, 1)
        .checked_add(jiff::Span::new().days(i64::from(n / 1000)))
        .expect("a birth date");
    let document = make_resident_id("350203", born, (n % 1000) as u16).expect("id");
    let phone = format!("137{n:08}");
    let body = json!({
        "name": "陈小春", "document_type": "resident_id", "document_number": document,
        "phone": phone, "password": PASSWORD,
    });
    (document, phone, body)
}

// A laboratory outside the service stamps its results with its own clock.
#[allow(clippy::disallowed_methods)]
fn result(tube: &str) -> Value {
    json!({ "tube_id": tube, "kind": "pcr", "outcome": "negative",
            "laboratory": "福州检测中心", "sample_at": jiff::Timestamp::now().to_string() })
}

/// What the load's clients share: where to send, whom as, and the ledger.
#[derive(Clone)]
struct Load {
    client: HttpClient,
    base: String,
    citizens: Arc<Vec<Citizen>>,
    place_code: String,
    tubes: Arc<Mutex<Vec<String>>>,
    ledger: Arc<Mutex<Ledger>>,
    lab: Arc<String>,
}

/// The load: registrations, check-ins, results and appeals, two clients each,
/// until the server stops answering.
async fn load(load: Load, round: usize) {
    let mut tasks = Vec::new();
    for worker in 0..2u32 {
        let l = load.clone();
        tasks.push(tokio::spawn(register_until_down(
            l.client,
            l.base,
            l.ledger,
            (round as u32) * 100_000 + worker * 50_000,
        )));
        let l = load.clone();
        tasks.push(tokio::spawn(check_in_until_down(
            l.client,
            l.base,
            l.ledger,
            l.citizens,
            l.place_code,
            format!("r{round}-w{worker}"),
        )));
        let l = load.clone();
        tasks.push(tokio::spawn(appeal_until_down(
            l.client,
            l.base,
            l.ledger,
            l.citizens,
            format!("{round}-{worker}"),
        )));
        let l = load.clone();
        tasks.push(tokio::spawn(send_results_until_down(
            l.client, l.base, l.ledger, l.tubes, l.lab,
        )));
    }
    for task in tasks {
        let _ = task.await;
    }
}

async fn register_until_down(
    client: HttpClient,
    base: String,
    ledger: Arc<Mutex<Ledger>>,
    from: u32,
) {
    for n in from.. {
        let (document, phone, body) = registration(n);
        let answer = try_call(
            &client,
            "POST",
            &format!("{base}/v1/citizens"),
            None,
            Some(body),
        )
        .await;
        let acked = matches!(answer, Some((201, _)));
        ledger
            .lock()
            .expect("ledger")
            .registrations
            .push((document, phone, acked));
        if answer.is_none() {
            return;
        }
    }
}

async fn check_in_until_down(
    client: HttpClient,
    base: String,
    ledger: Arc<Mutex<Ledger>>,
    citizens: Arc<Vec<Citizen>>,
    place_code: String,
    prefix: String,
) {
    for i in 0usize.. {
        let who = i % citizens.len();
        let scan_id = format!("{prefix}-{i}");
        let answer = try_call(
            &client,
            "POST",
            &format!("{base}/v1/me/check-ins"),
            Some(&citizens[who].token),
            Some(json!({ "place_code": place_code, "scan_id": scan_id })),
        )
        .await;
        let id = match &answer {
            Some((201 | 200, body)) => body["check_in_id"].as_str().map(str::to_owned),
            _ => None,
        };
        ledger
            .lock()
            .expect("ledger")
            .check_ins
            .push((who, scan_id, id));
        if answer.is_none() {
            return;
        }
    }
}

async fn appeal_until_down(
    client: HttpClient,
    base: String,
    ledger: Arc<Mutex<Ledger>>,
    citizens: Arc<Vec<Citizen>>,
    prefix: String,
) {
    for i in 0usize.. {
        let who = (i * 3) % citizens.len();
        let answer = try_call(
            &client,
            "POST",
            &format!("{base}/v1/me/appeals"),
            Some(&citizens[who].token),
            Some(json!({ "text": format!("请复核我的健康码，第 {prefix}-{i} 次") })),
        )
        .await;
        let id = match &answer {
            Some((201, body)) => body["id"].as_str().map(str::to_owned),
            _ => None,
        };
        ledger.lock().expect("ledger").appeals.push((who, id));
        if answer.is_none() {
            return;
        }
    }
}

async fn send_results_until_down(
    client: HttpClient,
    base: String,
    ledger: Arc<Mutex<Ledger>>,
    tubes: Arc<Mutex<Vec<String>>>,
    lab: Arc<String>,
) {
    loop {
        let Some(tube) = tubes.lock().expect("tubes").pop() else {
            return;
        };
        let answer = try_call(
            &client,
            "POST",
            &format!("{base}/v1/results"),
            Some(lab.as_str()),
            Some(result(&tube)),
        )
        .await;
        let acked = matches!(answer, Some((200 | 201, _)));
        ledger.lock().expect("ledger").results.push((tube, acked));
        if answer.is_none() {
            return;
        }
        // Results trickle in, so that every round has some in flight.
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn login(client: &HttpClient, base: &str, credentials: Value) -> String {
    let session = expect(
        client,
        "POST",
        &format!("{base}/v1/sessions"),
        None,
        Some(credentials),
        201,
    )
    .await;
    session["token"].as_str().expect("token").to_owned()
}

/// SQLite's own check of a database file: every page, index and constraint.
async fn integrity_check(path: &Path) {
    let mut conn =
        healthcode_tests::raw_connect(&format!("sqlite://{}?mode=ro", path.display()), None).await;
    let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .expect("integrity check");
    assert_eq!(verdict, "ok", "{}", path.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9_and_retries_duplicate_nothing() {
    for backend in backends() {
        crash_story(backend).await;
    }
}

// The kill moments come from the wall clock, so that each run tries others.
#[allow(clippy::disallowed_methods)]
async fn crash_story(backend: Backend) {
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    println!("{backend:?}: kill moments from seed {seed}");
    let mut random = Lcg(seed);
    let service = Deployment::new(backend);
    let client = http_client();
    let base = service.base.clone();
    let mut server = service.start(&client).await;

    // Staff, citizens, a venue and its place code, and one sealed tube per citizen.
    for (role, name) in [
        ("venue", "crash-venue"),
        ("collector", "crash-collector"),
        ("lab", "crash-lab"),
    ] {
        let out = service.healthcode(
            &[
                "admin",
                "create-user",
                "--role",
                role,
                "--username",
                name,
                "--password-stdin",
            ],
            Some(PASSWORD),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let owner = login(
        &client,
        &base,
        json!({"username": "crash-venue", "password": PASSWORD}),
    )
    .await;
    let collector = login(
        &client,
        &base,
        json!({"username": "crash-collector", "password": PASSWORD}),
    )
    .await;
    let lab = login(
        &client,
        &base,
        json!({"username": "crash-lab", "password": PASSWORD}),
    )
    .await;
    let lab = Arc::new(lab);
    let venue = expect(
        &client,
        "POST",
        &format!("{base}/v1/venues"),
        Some(&owner),
        Some(json!({ "name": "东街口地铁站", "address": "鼓楼区东街 1 号", "division": "350102" })),
        201,
    )
    .await;
    let venue_id = venue["id"].as_str().expect("venue id");
    let place = expect(
        &client,
        "GET",
        &format!("{base}/v1/venues/{venue_id}/place-code"),
        Some(&owner),
        None,
        200,
    )
    .await;
    let place_code = place["payload"].as_str().expect("place code").to_owned();
    let mut citizens = Vec::new();
    let mut tubes = Vec::new();
    let mut owners = std::collections::BTreeMap::new();
    for i in 0..CITIZENS {
        let (_, phone, body) = registration(90_000 + i as u32);
        expect(
            &client,
            "POST",
            &format!("{base}/v1/citizens"),
            None,
            Some(body),
            201,
        )
        .await;
        let token = login(
            &client,
            &base,
            json!({"phone": phone, "password": PASSWORD}),
        )
        .await;
        for t in 0..TUBES_EACH {
            let tube = format!("CRASH{i:02}{t}");
            expect(
                &client,
                "POST",
                &format!("{base}/v1/tubes"),
                Some(&collector),
                Some(json!({"tube_id": tube, "capacity": 1})),
                201,
            )
            .await;
            let code = expect(
                &client,
                "GET",
                &format!("{base}/v1/me/code"),
                Some(&token),
                None,
                200,
            )
            .await;
            expect(
                &client,
                "POST",
                &format!("{base}/v1/tubes/{tube}/samples"),
                Some(&collector),
                Some(json!({"personal_code": code["payload"]})),
                201,
            )
            .await;
            expect(
                &client,
                "POST",
                &format!("{base}/v1/tubes/{tube}/seal"),
                Some(&collector),
                None,
                204,
            )
            .await;
            tubes.push(tube);
            owners.insert(format!("CRASH{i:02}{t}"), i);
        }
        citizens.push(Citizen { token });
    }
    let citizens = Arc::new(citizens);
    let tubes = Arc::new(Mutex::new(tubes));
    let ledger = Arc::new(Mutex::new(Ledger::default()));

    for round in 0..ROUNDS {
        let running = tokio::spawn(load(
            Load {
                client: client.clone(),
                base: base.clone(),
                citizens: citizens.clone(),
                place_code: place_code.clone(),
                tubes: tubes.clone(),
                ledger: ledger.clone(),
                lab: lab.clone(),
            },
            round,
        ));
        let moment = Duration::from_millis(300 + random.next(1200));
        tokio::time::sleep(moment).await;
        server.0.kill().expect("kill -9");
        let _ = server.0.wait();
        let started = Instant::now();
        let _ = tokio::time::timeout(Duration::from_secs(30), running).await;
        println!(
            "round {round}: killed after {moment:?}, load stopped in {:?}",
            started.elapsed()
        );
        server = service.start(&client).await;
    }

    // Retry what was cut off, as a client would; then everything is there once.
    let ledger = std::mem::take(&mut *ledger.lock().expect("ledger"));
    let acked = |v: &[bool]| v.iter().filter(|a| **a).count();
    println!(
        "{backend:?}: acknowledged {} of {} registrations, {} of {} check-ins, {} of {} results, {} of {} appeals",
        acked(&ledger.registrations.iter().map(|r| r.2).collect::<Vec<_>>()),
        ledger.registrations.len(),
        ledger.check_ins.iter().filter(|c| c.2.is_some()).count(),
        ledger.check_ins.len(),
        acked(&ledger.results.iter().map(|r| r.1).collect::<Vec<_>>()),
        ledger.results.len(),
        ledger.appeals.iter().filter(|a| a.1.is_some()).count(),
        ledger.appeals.len(),
    );
    assert!(
        ledger.registrations.iter().any(|r| r.2),
        "no registration was acknowledged"
    );
    assert!(
        ledger.check_ins.iter().any(|c| c.2.is_some()),
        "no check-in was acknowledged"
    );

    // Registrations: an acknowledged one is refused when sent again (it is
    // there, once); a cut-off one is taken or refused as a duplicate; every
    // one of them logs in.
    for (n, (document, phone, was_acked)) in ledger.registrations.iter().enumerate() {
        let body = json!({
            "name": "陈小春", "document_type": "resident_id", "document_number": document,
            "phone": phone, "password": PASSWORD,
        });
        let (status, answer) = try_call(
            &client,
            "POST",
            &format!("{base}/v1/citizens"),
            None,
            Some(body),
        )
        .await
        .expect("an answer");
        if *was_acked {
            assert_eq!(
                status, 409,
                "acknowledged registration {n} is not there: {answer}"
            );
        } else {
            assert!(
                status == 201 || status == 409,
                "retry of registration {n}: {status} {answer}"
            );
        }
        login(
            &client,
            &base,
            json!({"phone": phone, "password": PASSWORD}),
        )
        .await;
    }

    // Check-ins: cut-off scans retried with their scan id; each citizen's
    // itinerary then holds every scan exactly once, acknowledged ids included.
    let mut expected = vec![std::collections::BTreeSet::new(); CITIZENS];
    for (who, scan_id, id) in &ledger.check_ins {
        let body = json!({ "place_code": place_code, "scan_id": scan_id });
        let (status, answer) = try_call(
            &client,
            "POST",
            &format!("{base}/v1/me/check-ins"),
            Some(&citizens[*who].token),
            Some(body),
        )
        .await
        .expect("an answer");
        // 201 stored now, 200 stored before (a repeat).
        assert!(matches!(status, 200 | 201), "{status} {answer}");
        let stored = answer["check_in_id"].as_str().expect("id").to_owned();
        if let Some(acknowledged) = id {
            assert_eq!(&stored, acknowledged, "a retried scan got a new id");
            assert_eq!(
                answer["repeat"], true,
                "an acknowledged scan was not stored"
            );
        }
        expected[*who].insert(stored);
    }
    for (who, citizen) in citizens.iter().enumerate() {
        let itinerary = expect(
            &client,
            "GET",
            &format!("{base}/v1/me/check-ins"),
            Some(&citizen.token),
            None,
            200,
        )
        .await;
        let ids: Vec<String> = itinerary["check_ins"]
            .as_array()
            .expect("check-ins")
            .iter()
            .filter_map(|c| c["check_in_id"].as_str().map(str::to_owned))
            .collect();
        let distinct: std::collections::BTreeSet<String> = ids.iter().cloned().collect();
        assert_eq!(
            distinct.len(),
            ids.len(),
            "citizen {who}: a check-in is stored twice"
        );
        assert_eq!(
            distinct, expected[who],
            "citizen {who}: check-ins lost or invented"
        );
    }

    // Results: a cut-off upload sent again is taken or recognised; each
    // citizen then has exactly one result.
    for (tube, _) in &ledger.results {
        let (status, answer) = try_call(
            &client,
            "POST",
            &format!("{base}/v1/results"),
            Some(lab.as_str()),
            Some(result(tube)),
        )
        .await
        .expect("an answer");
        assert!(
            matches!(status, 200 | 201),
            "retry of {tube}: {status} {answer}"
        );
    }
    let sent: std::collections::BTreeSet<&String> = ledger.results.iter().map(|r| &r.0).collect();
    for (i, citizen) in citizens.iter().enumerate() {
        let export = expect(
            &client,
            "GET",
            &format!("{base}/v1/me/export"),
            Some(&citizen.token),
            None,
            200,
        )
        .await;
        let results = export["facts"].as_array().map_or(0, |facts| {
            facts.iter().filter(|f| f["source"] == "laboratory").count()
        });
        let expected = sent.iter().filter(|tube| owners[**tube] == i).count();
        assert_eq!(
            results, expected,
            "citizen {i}: results {}",
            export["facts"]
        );
    }

    // Appeals: every acknowledged appeal is there exactly once.
    for (who, citizen) in citizens.iter().enumerate() {
        let mine = expect(
            &client,
            "GET",
            &format!("{base}/v1/me/appeals"),
            Some(&citizen.token),
            None,
            200,
        )
        .await;
        let ids: Vec<&str> = mine
            .as_array()
            .expect("appeals")
            .iter()
            .filter_map(|a| a["id"].as_str())
            .collect();
        let tried = ledger.appeals.iter().filter(|a| a.0 == who).count();
        assert!(
            ids.len() <= tried,
            "citizen {who}: more appeals than were sent"
        );
        for (_, id) in ledger.appeals.iter().filter(|a| a.0 == who) {
            if let Some(id) = id {
                assert_eq!(
                    ids.iter().filter(|i| *i == id).count(),
                    1,
                    "appeal {id} lost or doubled"
                );
            }
        }
    }

    // The stores are intact.
    drop(server);
    let verify = match &service.database {
        None => {
            integrity_check(&service.data().join("healthcode.db")).await;
            integrity_check(&service.data().join("keystore.db")).await;
            service.healthcode(&["audit", "verify"], None)
        }
        Some(_) => service.healthcode(&["audit", "verify"], None),
    };
    assert!(
        verify.status.success(),
        "audit verify: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    let _ = std::fs::remove_dir_all(&service.dir);
}
