//! The `healthcode` binary as people run it: offline verification of a code
//! fetched over the API, key management, staff accounts and the demo.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use axum::http::Method;
use healthcode_core::config::ServerConfig;
use healthcode_domain::identity::make_resident_id;
use healthcode_store::Backend;
use healthcode_tests::{TestApp, backends, unique};
use serde_json::{Value, json};

mod common;
use common::{healthcode, path_str, stdout, temp_dir, verify_national};

/// Registers a citizen (born in `region`) on `app`; their code from the API and
/// the trust list as served.
async fn code_and_trust(app: &TestApp, name: &str, region: &str, phone: &str) -> (String, Value) {
    let id = make_resident_id(region, jiff::civil::date(1985, 6, 1), 321).expect("id");
    app.register(name, "resident_id", &id, phone, "a-good-password")
        .await;
    let token = app
        .login(json!({ "document_number": id, "password": "a-good-password" }))
        .await;
    let (_, code) = app
        .call(Method::GET, "/v1/me/code", Some(&token), None)
        .await;
    let (_, trust) = app.call(Method::GET, "/v1/trust-list", None, None).await;
    (code["payload"].as_str().expect("payload").to_owned(), trust)
}

/// A citizen's code from the API, and the trust list as served, written to a file.
async fn fetched_code(app: &TestApp, dir: &Path) -> (String, PathBuf) {
    let (payload, trust) = code_and_trust(app, "王小明", "350102", "13611112222").await;
    let trust_path = dir.join("trust.json");
    std::fs::write(&trust_path, trust.to_string()).expect("write trust list");
    (payload, trust_path)
}

fn verify(payload: &str, trust: &Path, at: i64) -> Output {
    healthcode(&[
        "verify",
        payload,
        "--trust",
        trust.to_str().expect("utf-8"),
        "--at",
        &at.to_string(),
    ])
}

#[tokio::test]
async fn verify_accepts_a_fetched_code_and_names_every_failure() {
    let app = TestApp::new(Backend::Sqlite).await;
    let dir = temp_dir();
    let (payload, trust) = fetched_code(&app, &dir).await;
    let now = app.state.now();

    let ok = verify(&payload, &trust, now + 5);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    let text = stdout(&ok);
    assert!(
        text.contains("VALID") && text.contains("GREEN") && text.contains("王*明"),
        "{text}"
    );
    assert!(text.contains("age:      5 s"), "{text}");
    assert!(text.contains("350000 福建省"), "{text}");

    // One changed character.
    let mut chars: Vec<char> = payload.chars().collect();
    let i = chars.len() - 10;
    chars[i] = if chars[i] == '0' { '1' } else { '0' };
    let tampered: String = chars.into_iter().collect();
    let bad = verify(&tampered, &trust, now);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stdout(&bad).starts_with("INVALID code.bad_signature")
            || stdout(&bad).starts_with("INVALID code.malformed"),
        "{}",
        stdout(&bad)
    );

    let expired = verify(&payload, &trust, now + 180 + 31);
    assert_eq!(expired.status.code(), Some(1));
    assert!(
        stdout(&expired).starts_with("INVALID code.expired"),
        "{}",
        stdout(&expired)
    );

    let early = verify(&payload, &trust, now - 60);
    assert!(
        stdout(&early).starts_with("INVALID code.not_yet_valid"),
        "{}",
        stdout(&early)
    );

    let garbage = verify("HCP1:NOT-A-CODE", &trust, now);
    assert!(
        stdout(&garbage).starts_with("INVALID code.malformed"),
        "{}",
        stdout(&garbage)
    );

    // A trust list that does not hold the key.
    let mut list: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&trust).expect("read")).expect("json");
    let key = list["keys"][0].clone();
    list["keys"] = json!([]);
    let unknown = dir.join("unknown.json");
    std::fs::write(&unknown, list.to_string()).expect("write");
    let out = verify(&payload, &unknown, now);
    assert!(
        stdout(&out).starts_with("INVALID code.unknown_key"),
        "{}",
        stdout(&out)
    );

    // The same key, revoked.
    let mut revoked_key = key;
    revoked_key["status"] = json!("revoked");
    list["keys"] = json!([revoked_key]);
    let revoked = dir.join("revoked.json");
    std::fs::write(&revoked, list.to_string()).expect("write");
    let out = verify(&payload, &revoked, now);
    assert!(
        stdout(&out).starts_with("INVALID code.revoked_key"),
        "{}",
        stdout(&out)
    );

    // Machine-readable output.
    let json_out = healthcode(&[
        "verify",
        &payload,
        "--trust",
        trust.to_str().expect("utf-8"),
        "--at",
        &now.to_string(),
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json_out.stdout).expect("json");
    assert_eq!(v["valid"], true);
    assert_eq!(v["colour"], "green");

    // A missing trust list is a usage error, not a verdict.
    let missing = verify(&payload, &dir.join("nope.json"), now);
    assert_eq!(missing.status.code(), Some(2));

    app.cleanup().await;
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[tokio::test]
async fn verify_reads_the_code_from_a_picture() {
    let app = TestApp::new(Backend::Sqlite).await;
    let dir = temp_dir();
    let (payload, trust) = fetched_code(&app, &dir).await;
    // Draw the QR code as a phone screen would: 6 pixels a module, quiet zone, PNG.
    let qr = qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M)
        .expect("qr");
    let width = qr.width();
    let colors = qr.to_colors();
    let scale = 6;
    let side = u32::try_from((width + 8) * scale).expect("size");
    let picture = image::GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = (
            (x as usize / scale).wrapping_sub(4),
            (y as usize / scale).wrapping_sub(4),
        );
        let dark = mx < width && my < width && colors[my * width + mx] == qrcode::Color::Dark;
        image::Luma([if dark { 0 } else { 255 }])
    });
    let png = dir.join("code.png");
    picture.save(&png).expect("png");
    let out = verify(png.to_str().expect("utf-8"), &trust, app.state.now());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout(&out).contains("王*明"));

    let blank = dir.join("blank.png");
    image::GrayImage::from_pixel(100, 100, image::Luma([255]))
        .save(&blank)
        .expect("png");
    let out = verify(blank.to_str().expect("utf-8"), &trust, app.state.now());
    assert_eq!(
        out.status.code(),
        Some(2),
        "no QR code in the picture is an input error"
    );
    app.cleanup().await;
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn demo_keys_and_admin_work_on_a_data_folder() {
    let dir = temp_dir();
    let data = dir.to_str().expect("utf-8");
    let seeded = healthcode(&["demo", "--data", data, "--seed-only", "--people", "60"]);
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let text = stdout(&seeded);
    assert!(text.contains("60 synthetic citizens"), "{text}");
    assert!(text.contains("13900000000"), "{text}");
    let master = dir.join("master.key");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&master)
            .expect("master key")
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600, "the master key is private");
    assert!(dir.join("keystore.db").exists() && dir.join("healthcode.db").exists());

    // Seeding again adds nobody.
    let again = healthcode(&["demo", "--data", data, "--seed-only", "--people", "60"]);
    assert!(
        stdout(&again).contains("60 synthetic citizens")
            && !stdout(&again).contains("just created")
    );

    let list = healthcode(&["keys", "list", "--data", data]);
    assert_eq!(
        stdout(&list).lines().count(),
        2,
        "one key: {}",
        stdout(&list)
    );
    let rotated = healthcode(&["keys", "rotate", "--data", data]);
    assert!(rotated.status.success());
    let exported = healthcode(&["keys", "export", "--data", data]);
    let trust: serde_json::Value =
        serde_json::from_slice(&exported.stdout).expect("trust list json");
    assert_eq!(trust["keys"].as_array().map(Vec::len), Some(2));
    assert!(
        trust["keys"][0]["signs_until"].is_i64(),
        "the old key stopped signing"
    );
    assert!(
        trust["keys"][1]["signs_until"].is_null(),
        "the new key signs"
    );
    let kid = trust["keys"][0]["kid"].as_str().expect("kid").to_owned();
    assert!(
        healthcode(&["keys", "revoke", &kid, "--data", data])
            .status
            .success()
    );
    let after = healthcode(&["keys", "list", "--data", data]);
    assert!(
        stdout(&after)
            .lines()
            .any(|l| l.starts_with(&kid) && l.contains("revoked")),
        "{}",
        stdout(&after)
    );
    assert!(
        !healthcode(&["keys", "revoke", "no-such-kid", "--data", data])
            .status
            .success()
    );
    // Key ids are base64url and may start with a hyphen.
    let hyphen = healthcode(&["keys", "revoke", "-no-such-kid", "--data", data]);
    assert!(
        String::from_utf8_lossy(&hyphen.stderr).contains("not found"),
        "{hyphen:?}"
    );

    // The DCC issuer key rotates; the old DSC stays in the exported list until
    // withdrawn.
    assert_eq!(trust["dcc_signers"].as_array().map(Vec::len), Some(1));
    let rotated = healthcode(&[
        "keys",
        "rotate-certificate-key",
        "--format",
        "dcc",
        "--data",
        data,
    ]);
    assert!(rotated.status.success(), "{rotated:?}");
    let retired = stdout(&rotated)
        .split('(')
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .expect("the retired kid")
        .to_owned();
    let signers = |data: &str| {
        let exported = healthcode(&["keys", "export", "--data", data]);
        let trust: Value = serde_json::from_slice(&exported.stdout).expect("trust list json");
        trust["dcc_signers"].as_array().map(Vec::len)
    };
    assert_eq!(signers(data), Some(2));
    let withdraw = |kid: &str| {
        healthcode(&[
            "keys",
            "withdraw-certificate-key",
            "--format",
            "dcc",
            kid,
            "--data",
            data,
        ])
    };
    assert!(withdraw(&retired).status.success());
    assert_eq!(signers(data), Some(1));
    assert_eq!(withdraw(&retired).status.code(), Some(2));
    assert_eq!(
        healthcode(&[
            "keys",
            "rotate-certificate-key",
            "--format",
            "xyz",
            "--data",
            data
        ])
        .status
        .code(),
        Some(2)
    );

    let created = healthcode(&[
        "admin",
        "create-user",
        "--role",
        "checker",
        "--username",
        "gate-7",
        "--data",
        data,
    ]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(
        stdout(&created).contains("password: "),
        "a generated password is shown once"
    );
    let duplicate = healthcode(&[
        "admin",
        "create-user",
        "--role",
        "lab",
        "--username",
        "gate-7",
        "--data",
        data,
    ]);
    assert_eq!(duplicate.status.code(), Some(2));
    let citizen = healthcode(&[
        "admin",
        "create-user",
        "--role",
        "citizen",
        "--username",
        "someone",
        "--data",
        data,
    ]);
    assert_eq!(
        citizen.status.code(),
        Some(2),
        "citizens register themselves"
    );
    let users = healthcode(&["admin", "list-users", "--data", data]);
    assert!(stdout(&users).contains("gate-7") && stdout(&users).contains("checker"));
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

/// The binary on PostgreSQL: keys and staff accounts land in the named schemas.
#[tokio::test]
async fn the_binary_runs_on_postgres() {
    if !healthcode_tests::backends().contains(&Backend::Postgres) {
        return;
    }
    let url = std::env::var("HEALTHCODE_TEST_DATABASE_URL").expect("url");
    let schema = unique("cli");
    let dir = temp_dir();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_healthcode"))
            .args(args)
            .args(["--data", dir.to_str().expect("utf-8")])
            .env("HEALTHCODE_DATABASE_URL", &url)
            .env("HEALTHCODE_DATABASE_SCHEMA", &schema)
            .output()
            .expect("run healthcode")
    };
    let generated = run(&["keys", "generate"]);
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    assert!(stdout(&generated).contains("generated signing key"));
    assert!(stdout(&run(&["keys", "generate"])).contains("already exists"));
    assert!(
        run(&[
            "admin",
            "create-user",
            "--role",
            "regulator",
            "--username",
            "auditor"
        ])
        .status
        .success()
    );
    assert!(stdout(&run(&["admin", "list-users"])).contains("auditor"));

    let config = healthcode_store::StoreConfig::postgres(&url, &schema);
    let store = healthcode_store::Store::open(&config).await.expect("open");
    assert_eq!(
        store.signing_keys().await.expect("keys").len(),
        1,
        "the key is in PostgreSQL"
    );
    assert_eq!(
        store.staff_accounts().await.expect("staff")[0].username,
        "auditor"
    );
    store.drop_postgres_schemas(&config).await.expect("cleanup");
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn rules_eval_prints_one_json_line_or_fails_with_status_2() {
    let dir = temp_dir();
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path.to_str().expect("utf-8").to_owned()
    };
    let rule = write(
        "rule.json",
        r#"{"Identifier":"X","Logic":{"not-after":[{"plusTime":[{"var":"t.sc"},72,"hour"]},{"plusTime":[{"var":"now"},0,"day"]}]}}"#,
    );
    let fresh = write(
        "fresh.json",
        r#"{"t":{"sc":"2026-11-26T08:00:00+08:00"},"now":"2026-11-27T08:00:00+08:00"}"#,
    );
    let stale = write(
        "stale.json",
        r#"{"t":{"sc":"2026-11-20T08:00:00+08:00"},"now":"2026-11-27T08:00:00+08:00"}"#,
    );
    let ok = healthcode(&["rules", "eval", &rule, &fresh]);
    assert_eq!(
        (ok.status.code(), stdout(&ok)),
        (Some(0), "false\n".to_owned())
    );
    let ok = healthcode(&["rules", "eval", &rule, &stale]);
    assert_eq!(stdout(&ok), "true\n");
    let var = write("var.json", r#"{"var":"t"}"#);
    assert_eq!(
        stdout(&healthcode(&["rules", "eval", &var, &fresh])),
        "{\"sc\":\"2026-11-26T08:00:00+08:00\"}\n"
    );

    let invalid = write("invalid.json", r#"{"or":[true,false]}"#);
    let out = healthcode(&["rules", "eval", &invalid, &fresh]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid CertLogic expression"));
    let broken = write("broken.json", "{not json");
    let out = healthcode(&["rules", "eval", &rule, &broken]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid JSON"));
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[tokio::test]
async fn import_results_reports_bad_rows_by_line_and_is_idempotent() {
    let app = TestApp::new(Backend::Sqlite).await;
    let mut people = Vec::new();
    for i in 0..3u16 {
        let id = make_resident_id("350102", jiff::civil::date(1990, 9, 9), 500 + i).expect("id");
        app.register(
            "冯小刚",
            "resident_id",
            &id,
            &format!("1350000{i:04}"),
            "a-good-password",
        )
        .await;
        people.push(
            app.state
                .people()
                .find_by_document(
                    app.state.store(),
                    healthcode_domain::identity::DocumentType::ResidentId,
                    &id,
                )
                .await
                .expect("find")
                .expect("person"),
        );
    }
    let now = app.state.now();
    // The collector's workbench, written straight to the store.
    let mut unit = app
        .state
        .store()
        .begin(healthcode_domain::actor::Actor::Operator, now)
        .await
        .expect("unit");
    for (tube, members) in [("POOL-1", &people[..2]), ("SOLO-1", &people[2..])] {
        unit.open_tube(
            tube,
            if members.len() > 1 { 10 } else { 1 },
            "collector",
            now,
        )
        .await
        .expect("tube");
        for person in members {
            unit.add_sample(tube, person, now).await.expect("sample");
        }
    }
    unit.open_tube("EMPTY-1", 10, "collector", now)
        .await
        .expect("tube");
    unit.commit().await.expect("commit");
    // The binary runs on the same data folder, with the real clock: samples from today.
    let sample_at = healthcode_core::clock::Clock::now(&healthcode_core::clock::SystemClock)
        .checked_sub(jiff::SignedDuration::from_hours(2))
        .expect("time");
    let csv = format!(
        "tube_id,kind,outcome,laboratory,sample_at,result_at\n\
         POOL-1,pcr,negative,Lab A,{sample_at},\n\
         SOLO-1,pcr,positive,Lab A,{sample_at},\n\
         NOPE-9,pcr,negative,Lab A,{sample_at},\n\
         EMPTY-1,pcr,negative,Lab A,{sample_at},\n\
         POOL-1,blood,negative,Lab A,{sample_at},\n\
         SOLO-1,pcr,negative\n"
    );
    let file = app.db.dir.join("results.csv");
    std::fs::write(&file, csv).expect("write csv");
    let data = app.db.dir.to_str().expect("utf-8").to_owned();
    let run = || {
        healthcode(&[
            "import",
            "results",
            file.to_str().expect("utf-8"),
            "--data",
            &data,
        ])
    };

    let first = run();
    let text = stdout(&first);
    assert_eq!(
        first.status.code(),
        Some(2),
        "refused rows make the import fail: {text}"
    );
    assert!(
        text.starts_with("2 results applied, 0 repeats, 4 rows refused"),
        "{text}"
    );
    for expected in [
        "line 4: tube.not_found",
        "line 5: tube.empty",
        "line 6: result.kind",
        "line 7: import.row",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    assert_eq!(
        app.state
            .store()
            .facts_of(&people[0])
            .await
            .expect("facts")
            .len(),
        1
    );
    assert_eq!(
        app.state
            .store()
            .facts_of(&people[2])
            .await
            .expect("facts")
            .len(),
        1
    );

    let second = run();
    assert!(
        stdout(&second).starts_with("0 results applied, 2 repeats, 4 rows refused"),
        "{}",
        stdout(&second)
    );
    assert_eq!(
        app.state
            .store()
            .facts_of(&people[0])
            .await
            .expect("facts")
            .len(),
        1,
        "re-import adds nothing"
    );
    app.cleanup().await;
}

/// A province's service with one registered citizen: their code, and the
/// province's trust list as served.
async fn province(issuer: &str, name: &str, phone: &str) -> (TestApp, String, Value) {
    province_on(Backend::Sqlite, issuer, name, phone).await
}

async fn province_on(
    backend: Backend,
    issuer: &str,
    name: &str,
    phone: &str,
) -> (TestApp, String, Value) {
    let config = ServerConfig {
        issuer: issuer.to_owned(),
        issuer_name: name.to_owned(),
        ..ServerConfig::default()
    };
    let app = TestApp::with_config(backend, config).await;
    let region = format!("{}0102", &issuer[..2]);
    let (payload, trust) = code_and_trust(&app, "李四", &region, phone).await;
    (app, payload, trust)
}

// Multi-threaded: the provinces serve HTTP while the test waits on the binary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_national_anchor_federates_provinces_and_drops_a_removed_key() {
    let dir = temp_dir();
    let (fujian, fj_code, fj_trust) = province("350000", "Fujian", "13600000001").await;
    // Zhejiang on the shared PostgreSQL server when there is one (in CI there
    // always is): provinces run apart, on any backend.
    let backend = *backends().last().expect("a backend");
    let (zhejiang, zj_code, zj_trust) =
        province_on(backend, "330000", "Zhejiang", "13600000002").await;
    let now = fujian.state.now();
    // Zhejiang's list is fetched over HTTP, Fujian's read from a file.
    let zj_url = format!("{}/v1/trust-list", zhejiang.spawn_http().await);
    let fj_file = dir.join("fujian.json");
    std::fs::write(&fj_file, fj_trust.to_string()).expect("write");

    let anchor_key = dir.join("anchor.key");
    let out = healthcode(&["trust", "anchor", "--out", path_str(&anchor_key)]);
    assert!(out.status.success(), "{out:?}");
    let anchor = dir.join("anchor.key.pub.json");
    assert!(anchor.exists());
    // Never overwritten.
    let again = healthcode(&["trust", "anchor", "--out", path_str(&anchor_key)]);
    assert_eq!(again.status.code(), Some(2));

    let national = dir.join("national.json");
    let build = |sequence: &str, provinces: &[&str], revoked: Option<&Path>| {
        let mut args = vec![
            "trust",
            "build",
            "--anchor-key",
            path_str(&anchor_key),
            "--sequence",
            sequence,
            "--out",
            path_str(&national),
        ];
        for p in provinces {
            args.extend(["--province", p]);
        }
        if let Some(r) = revoked {
            args.extend(["--revoked", path_str(r)]);
        }
        let out = healthcode(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let verify_national = |payload: &str| verify_national(payload, &national, &anchor, now + 5);

    build("1", &[path_str(&fj_file), &zj_url], None);
    for code in [&fj_code, &zj_code] {
        let out = verify_national(code);
        assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    }
    let inspect = healthcode(&[
        "trust",
        "inspect",
        path_str(&national),
        "--anchor",
        path_str(&anchor),
    ]);
    let text = stdout(&inspect);
    assert!(
        inspect.status.success() && text.contains("350000") && text.contains("330000"),
        "{text}"
    );
    // Without the anchor, a national list is not used at all.
    let no_anchor = healthcode(&["verify", &fj_code, "--trust", path_str(&national)]);
    assert_eq!(no_anchor.status.code(), Some(2));
    // Another anchor does not open it.
    let other = dir.join("other.key");
    assert!(
        healthcode(&["trust", "anchor", "--out", path_str(&other)])
            .status
            .success()
    );
    let wrong = healthcode(&[
        "verify",
        &fj_code,
        "--trust",
        path_str(&national),
        "--anchor",
        path_str(&dir.join("other.key.pub.json")),
    ]);
    assert_eq!(wrong.status.code(), Some(2), "{}", stdout(&wrong));

    // Zhejiang's key is dropped from the list.
    let mut zj_without = zj_trust.clone();
    zj_without["keys"] = json!([]);
    let zj_file = dir.join("zhejiang.json");
    std::fs::write(&zj_file, zj_without.to_string()).expect("write");
    build("2", &[path_str(&fj_file), path_str(&zj_file)], None);
    let dropped = verify_national(&zj_code);
    assert_eq!(dropped.status.code(), Some(1));
    assert!(
        stdout(&dropped).contains("unknown or revoked key"),
        "{}",
        stdout(&dropped)
    );
    assert_eq!(verify_national(&fj_code).status.code(), Some(0));

    // One certificate revoked by hash: it fails, the other province's passes.
    let id = healthcode(&["trust", "revocation-id", &fj_code]);
    assert!(id.status.success());
    let revoked = dir.join("revoked.txt");
    std::fs::write(&revoked, format!("# revoked in error\n{}", stdout(&id))).expect("write");
    build("3", &[path_str(&fj_file), &zj_url], Some(&revoked));
    let out = verify_national(&fj_code);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("code.revoked_certificate"),
        "{}",
        stdout(&out)
    );
    assert_eq!(verify_national(&zj_code).status.code(), Some(0));
    let list = std::fs::read_to_string(&national).expect("read");
    assert!(
        !list.contains(&fj_code[5..40]),
        "the list holds hashes only"
    );

    let fetched = dir.join("fetched.json");
    let out = healthcode(&["trust", "fetch", &zj_url, "--out", path_str(&fetched)]);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).contains("330000"));

    // Checkers fetch the national list; a replayed older list is refused.
    let served = std::sync::Arc::new(std::sync::Mutex::new(
        std::fs::read_to_string(&national).expect("list #3"),
    ));
    let url = serve_text(served.clone()).await;
    let saved = dir.join("saved-national.json");
    let fetch = || {
        healthcode(&[
            "trust",
            "fetch",
            &url,
            "--anchor",
            path_str(&anchor),
            "--out",
            path_str(&saved),
        ])
    };
    let out = fetch();
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).contains("#3"), "{}", stdout(&out));
    build("2", &[path_str(&fj_file), &zj_url], None);
    *served.lock().expect("lock") = std::fs::read_to_string(&national).expect("list #2");
    let out = fetch();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("older"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The saved list is still #3.
    let inspect = healthcode(&[
        "trust",
        "inspect",
        path_str(&saved),
        "--anchor",
        path_str(&anchor),
    ]);
    assert!(stdout(&inspect).contains("#3"), "{}", stdout(&inspect));
    fujian.cleanup().await;
    zhejiang.cleanup().await;
}

/// Serves the text (as it is when asked) at `/list.json` on a loopback port.
async fn serve_text(text: std::sync::Arc<std::sync::Mutex<String>>) -> String {
    let router = axum::Router::new().route(
        "/list.json",
        axum::routing::get(move || {
            let text = text.clone();
            async move { text.lock().map(|t| t.clone()).unwrap_or_default() }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}/list.json")
}

#[test]
fn bench_recompute_recolours_exactly_the_visitors_of_the_county() {
    let dir = temp_dir();
    let data = dir.join("bench");
    let out = healthcode(&[
        "--data",
        path_str(&data),
        "bench",
        "recompute",
        "--people",
        "400",
        "--check-ins",
        "4000",
        "--venues",
        "300",
    ]);
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The command itself fails unless the index found exactly the people the
    // generator sent there; the colours show they turned yellow.
    let recomputed: usize = text
        .split("recomputed ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no figure in {text}"));
    assert!(recomputed > 0, "{text}");
    assert!(text.contains(&format!("yellow {recomputed}")), "{text}");
    // An existing population is refused rather than mixed into the figures.
    let again = healthcode(&[
        "--data",
        path_str(&data),
        "bench",
        "recompute",
        "--people",
        "10",
    ]);
    assert_eq!(again.status.code(), Some(2));
}

/// A province trust list that also vouches for a DCC signer and an SHC issuer.
fn list_with_foreign_formats(
    app_trust: &Value,
    dcc: &healthcode_dcc::DccIssuer,
    shc: &healthcode_shc::ShcIssuer,
) -> Value {
    use base64::Engine as _;
    let mut list = app_trust.clone();
    list["dcc_signers"] =
        json!([base64::engine::general_purpose::STANDARD.encode(dcc.certificate_der())]);
    list["shc_issuer"] = json!({ "iss": shc.iss(), "jwks": shc.jwks() });
    list
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_reads_eu_dccs_and_smart_health_cards_against_the_trust_list() {
    let dir = temp_dir();
    let (app, _code, trust) = province("350000", "Fujian", "13600000003").await;
    let now = app.state.now();
    let dcc = healthcode_dcc::DccIssuer::generate(&healthcode_dcc::IssuerParams {
        country: "CN".to_owned(),
        common_name: "Fujian DCC signer".to_owned(),
        not_before: now - 86_400,
        not_after: now + 365 * 86_400,
        kinds: Vec::new(),
    })
    .expect("dcc issuer");
    let entry = healthcode_dcc::TestEntry {
        tg: healthcode_dcc::DISEASE_COVID19.to_owned(),
        tt: healthcode_dcc::TEST_NAAT.to_owned(),
        nm: None,
        ma: None,
        sc: healthcode_dcc::format_timestamp(now - 3600),
        tr: healthcode_dcc::RESULT_NOT_DETECTED.to_owned(),
        tc: Some("Fuzhou CDC".to_owned()),
        co: "CN".to_owned(),
        issuer: "Fujian Health Commission".to_owned(),
        ci: healthcode_dcc::random_uvci("CN", "FJ").expect("uvci"),
    };
    let certificate = healthcode_dcc::HealthCertificate::test(
        healthcode_dcc::Name::transliterated("王", "小明", "WANG", "XIAOMING"),
        "1985-06-01",
        entry,
    );
    let hc1 = dcc.issue(&certificate, now, now + 72 * 3600).expect("dcc");

    let pkcs8 = healthcode_shc::ShcIssuer::generate_pkcs8().expect("key");
    let shc = healthcode_shc::ShcIssuer::from_pkcs8("https://health.fujian.example", &pkcs8)
        .expect("shc issuer");
    let person = healthcode_shc::Person {
        family: "Wang".to_owned(),
        given: vec!["Xiaoming".to_owned()],
        birth_date: "1985-06-01".to_owned(),
    };
    let card = shc
        .issue_immunizations(
            &person,
            &[healthcode_shc::ImmunizationInput {
                cvx: "511".to_owned(),
                date: "2021-05-01".to_owned(),
                lot: None,
                performer: "Fuzhou CDC".to_owned(),
            }],
            now - 60,
        )
        .expect("card");

    let trust_file = dir.join("trust.json");
    std::fs::write(
        &trust_file,
        list_with_foreign_formats(&trust, &dcc, &shc).to_string(),
    )
    .expect("write");
    let verify_at = |input: &str, trust: &Path| {
        healthcode(&[
            "verify",
            input,
            "--trust",
            path_str(trust),
            "--at",
            &(now + 5).to_string(),
        ])
    };
    let ok = verify_at(&hc1, &trust_file);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("VALID EU DCC") && stdout(&ok).contains("WANG"));
    // With the EU value sets, its codes must be in them.
    let sets = dir.join("valuesets");
    healthcode_tests::write_value_sets(&sets);
    let with_sets = |sets: &Path| {
        healthcode(&[
            "verify",
            &hc1,
            "--trust",
            path_str(&trust_file),
            "--at",
            &(now + 5).to_string(),
            "--dcc-value-sets",
            path_str(sets),
        ])
    };
    let ok = with_sets(&sets);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    let china = sets.join("country-2-codes.json");
    std::fs::write(
        &china,
        r#"{"valueSetId":"country-2-codes","valueSetValues":{"PL":{},"DE":{}}}"#,
    )
    .expect("write");
    let out = with_sets(&sets);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).starts_with("INVALID dcc.schema") && stdout(&out).contains("country-2-codes"),
        "{}",
        stdout(&out)
    );
    let ok = verify_at(&card.qr_text(), &trust_file);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("VALID SMART Health Card") && stdout(&ok).contains("Wang"));
    let file = dir.join("card.smart-health-card");
    std::fs::write(&file, card.file_json()).expect("write");
    assert_eq!(
        verify_at(path_str(&file), &trust_file).status.code(),
        Some(0)
    );

    // Without the foreign keys in the list, both are unknown signers.
    let plain = dir.join("plain.json");
    std::fs::write(&plain, trust.to_string()).expect("write");
    let out = verify_at(&hc1, &plain);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).starts_with("INVALID dcc."), "{}", stdout(&out));
    let out = verify_at(&card.qr_text(), &plain);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).starts_with("INVALID shc."), "{}", stdout(&out));
    let out = verify_at("XYZ1:hello", &trust_file);
    assert!(
        stdout(&out).contains("verify.unknown_format"),
        "{}",
        stdout(&out)
    );

    // Revoked by hash in a national list: the DCC fails, the card passes.
    let anchor_key = dir.join("anchor.key");
    assert!(
        healthcode(&["trust", "anchor", "--out", path_str(&anchor_key)])
            .status
            .success()
    );
    let revoked = dir.join("revoked.txt");
    std::fs::write(&revoked, format!("{hc1}\n")).expect("write");
    let national = dir.join("national.json");
    let out = healthcode(&[
        "trust",
        "build",
        "--anchor-key",
        path_str(&anchor_key),
        "--province",
        path_str(&trust_file),
        "--sequence",
        "1",
        "--revoked",
        path_str(&revoked),
        "--out",
        path_str(&national),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let anchor = dir.join("anchor.key.pub.json");
    let via_national = |input: &str| verify_national(input, &national, &anchor, now + 5);
    let out = via_national(&hc1);
    assert!(
        stdout(&out).contains("code.revoked_certificate"),
        "{}",
        stdout(&out)
    );
    assert_eq!(via_national(&card.qr_text()).status.code(), Some(0));
    app.cleanup().await;
}

#[tokio::test]
async fn certificates_fetched_from_the_api_verify_offline_with_the_served_trust_list() {
    use healthcode_core::facts;
    use healthcode_domain::facts::{Fact, Provenance, SourceKind, Vaccination};

    let dir = temp_dir();
    let (app, _code, trust) = province("350000", "Fujian", "13600000004").await;
    let now = app.state.now();
    let token = app
        .login(json!({ "phone": "13600000004", "password": "a-good-password" }))
        .await;
    let person_id = app.person_of(&token).await;
    let fact = Fact::Vaccination(Vaccination {
        id: "vaccination-1".to_owned(),
        product: "CoronaVac".to_owned(),
        dose: 2,
        of: 2,
        date: jiff::civil::date(2021, 6, 1),
        provenance: Provenance::epidemic(
            SourceKind::Import,
            "registry",
            jiff::Timestamp::from_second(now).expect("time"),
        ),
    });
    facts::import(&app.state, &person_id, &fact, None)
        .await
        .expect("vaccination");
    let trust_file = dir.join("trust.json");
    std::fs::write(&trust_file, trust.to_string()).expect("write");

    let (_, dccs) = app
        .call(Method::GET, "/v1/me/certificates/dcc", Some(&token), None)
        .await;
    let hc1 = dccs["certificates"][0]["payload"].as_str().expect("a DCC");
    let (_, cards) = app
        .call(Method::GET, "/v1/me/certificates/shc", Some(&token), None)
        .await;
    let shc = cards["cards"][0]["shc"].as_str().expect("a card");
    for (payload, format) in [(hc1, "VALID EU DCC"), (shc, "VALID SMART Health Card")] {
        let out = healthcode(&[
            "verify",
            payload,
            "--trust",
            path_str(&trust_file),
            "--at",
            &(now + 5).to_string(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
        assert!(stdout(&out).starts_with(format), "{}", stdout(&out));
    }
    app.cleanup().await;
}
