//! One deployment, several provinces: `healthcode serve --province A --province B`
//! runs every province from one process, each with its own keys, store, listener
//! and public URL (on SQLite, or on one PostgreSQL server with a schema each), and
//! a national list built from their served trust lists accepts the codes of both.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use healthcode_domain::identity::make_resident_id;
use healthcode_store::Backend;
use healthcode_tests::backends;
use serde_json::{Value, json};

mod common;
use common::{
    HttpClient, Server, call, free_ports, healthcode, http_client, path_str, stdout, temp_dir,
    verify_national, wait_healthy,
};

const PASSWORD: &str = "a-good-password";

/// One province of the deployment: its configuration file, and where its data lives.
struct Province {
    config: PathBuf,
    /// The PostgreSQL store, when it is not SQLite in its data folder.
    postgres: Option<healthcode_store::StoreConfig>,
}

/// Writes a province's configuration: its own issuer, data folder, port and public
/// URL; on PostgreSQL, its own schema of the shared server.
fn province(root: &Path, name: &str, issuer: &str, port: u16, backend: Backend) -> Province {
    let data = root.join(name);
    std::fs::create_dir_all(&data).expect("mkdir");
    let postgres = (backend == Backend::Postgres).then(|| {
        let url = std::env::var("HEALTHCODE_TEST_DATABASE_URL").expect("PostgreSQL URL");
        healthcode_store::StoreConfig::postgres(&url, &healthcode_tests::unique(name))
    });
    let store = match &postgres {
        Some(healthcode_store::StoreConfig::Postgres { url, schema, .. }) => {
            format!("database_url = {url:?}\ndatabase_schema = {schema:?}\n")
        }
        _ => String::new(),
    };
    let config = data.join("healthcode.toml");
    std::fs::write(
        &config,
        format!(
            "data = {data:?}\n{store}[server]\nissuer = \"{issuer}\"\nissuer_name = \"{name}\"\n\
             listen = \"127.0.0.1:{port}\"\npublic_url = \"https://{name}.example\"\n"
        ),
    )
    .expect("write config");
    Province { config, postgres }
}

/// Registers a citizen born in `region` at the province at `base`, logs in, and
/// returns their current code.
async fn citizen_code(client: &HttpClient, base: &str, region: &str, phone: &str) -> String {
    let id = make_resident_id(region, jiff::civil::date(1980, 3, 1), 17).expect("id");
    let citizen = json!({
        "name": "林一", "document_type": "resident_id", "document_number": id,
        "phone": phone, "password": PASSWORD
    });
    let url = format!("{base}/v1/citizens");
    let (status, body) = call(client, "POST", &url, None, Some(citizen)).await;
    assert_eq!(status, 201, "registration at {base}: {body}");
    let login = json!({ "phone": phone, "password": PASSWORD });
    let url = format!("{base}/v1/sessions");
    let (status, session) = call(client, "POST", &url, None, Some(login)).await;
    assert_eq!(status, 201, "login at {base}: {session}");
    let token = session["token"].as_str().expect("token");
    let url = format!("{base}/v1/me/code");
    let (status, code) = call(client, "GET", &url, Some(token), None).await;
    assert_eq!(status, 200, "{code}");
    code["payload"].as_str().expect("payload").to_owned()
}

#[tokio::test]
async fn one_process_serves_two_provinces_with_their_own_keys() {
    for backend in backends() {
        two_provinces_in_one_process(backend).await;
    }
}

async fn two_provinces_in_one_process(backend: Backend) {
    let dir = temp_dir();
    let [fj_port, zj_port, busy_port] = free_ports();
    let fj_province = province(&dir, "fujian", "350000", fj_port, backend);
    let zj_province = province(&dir, "zhejiang", "330000", zj_port, backend);
    let (fujian, zhejiang) = (&fj_province.config, &zj_province.config);

    // Provinces that would share something are refused before anything is served.
    let twice = healthcode(&[
        "serve",
        "--province",
        path_str(fujian),
        "--province",
        path_str(fujian),
    ]);
    assert_eq!(twice.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&twice.stderr).contains("two provinces share"),
        "{}",
        String::from_utf8_lossy(&twice.stderr)
    );

    let with_data = healthcode(&[
        "--data",
        path_str(&dir),
        "serve",
        "--province",
        path_str(fujian),
    ]);
    assert_eq!(with_data.status.code(), Some(2), "--data names no province");
    assert!(
        String::from_utf8_lossy(&with_data.stderr).contains("do not apply with --province"),
        "{}",
        String::from_utf8_lossy(&with_data.stderr)
    );
    // A province that cannot bind: nothing is served, and the error names it.
    let busy = province(&dir, "busy", "330000", busy_port, backend);
    let holder = std::net::TcpListener::bind(("127.0.0.1", busy_port)).expect("hold the port");
    let refused = healthcode(&[
        "serve",
        "--province",
        path_str(fujian),
        "--province",
        path_str(&busy.config),
    ]);
    drop(holder);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("province 330000") && stderr.contains("cannot listen"),
        "{stderr}"
    );
    assert!(!stderr.contains("healthcode is serving"), "{stderr}");

    let log = dir.join("serve.log");
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_healthcode"))
            .args([
                "serve",
                "--province",
                path_str(fujian),
                "--province",
                path_str(zhejiang),
            ])
            .env_remove("HEALTHCODE_TEST_DATABASE_URL")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("start healthcode serve"),
    );
    let client = http_client();
    let (fj, zj) = (
        format!("http://127.0.0.1:{fj_port}"),
        format!("http://127.0.0.1:{zj_port}"),
    );
    wait_healthy(&client, &fj, &mut server).await;
    wait_healthy(&client, &zj, &mut server).await;

    // Each province publishes its own issuer and keys.
    let (_, fj_list) = call(&client, "GET", &format!("{fj}/v1/trust-list"), None, None).await;
    let (_, zj_list) = call(&client, "GET", &format!("{zj}/v1/trust-list"), None, None).await;
    assert_eq!(fj_list["issuer"], "350000", "{fj_list}");
    assert_eq!(zj_list["issuer"], "330000", "{zj_list}");
    let kids = |list: &Value| -> Vec<String> {
        list["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .map(|k| k["kid"].as_str().expect("kid").to_owned())
            .collect()
    };
    assert!(!kids(&fj_list).is_empty());
    assert!(
        kids(&fj_list).iter().all(|k| !kids(&zj_list).contains(k)),
        "no key is shared"
    );
    let (_, fj_jwks) = call(
        &client,
        "GET",
        &format!("{fj}/.well-known/jwks.json"),
        None,
        None,
    )
    .await;
    let (_, zj_jwks) = call(
        &client,
        "GET",
        &format!("{zj}/.well-known/jwks.json"),
        None,
        None,
    )
    .await;
    assert_ne!(
        fj_jwks["keys"], zj_jwks["keys"],
        "each province signs its own cards"
    );

    // One national anchor over both provinces of the one process accepts both codes.
    let fj_code = citizen_code(&client, &fj, "350102", "13700000001").await;
    let zj_code = citizen_code(&client, &zj, "330102", "13700000002").await;
    let anchor_key = dir.join("anchor.key");
    assert!(
        healthcode(&["trust", "anchor", "--out", path_str(&anchor_key)])
            .status
            .success()
    );
    let national = dir.join("national.json");
    let built = healthcode(&[
        "trust",
        "build",
        "--anchor-key",
        path_str(&anchor_key),
        "--sequence",
        "1",
        "--province",
        &format!("{fj}/v1/trust-list"),
        "--province",
        &format!("{zj}/v1/trust-list"),
        "--out",
        path_str(&national),
    ]);
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let anchor = dir.join("anchor.key.pub.json");
    for code in [&fj_code, &zj_code] {
        let out = verify_national(
            code,
            &national,
            &anchor,
            healthcode_core::clock::Clock::now(&healthcode_core::clock::SystemClock).as_second(),
        );
        assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    }
    // A code of one province does not verify against the other's list alone.
    let zj_file = dir.join("zhejiang-list.json");
    std::fs::write(&zj_file, zj_list.to_string()).expect("write");
    let crossed = healthcode(&["verify", &fj_code, "--trust", path_str(&zj_file)]);
    assert_eq!(crossed.status.code(), Some(1));

    // SIGTERM stops both provinces gracefully; their log lines name the province.
    let pid = server.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success()
    );
    let status = server.0.wait().expect("wait");
    assert!(status.success(), "graceful stop: {status:?}");
    let text = std::fs::read_to_string(&log).expect("log");
    let on = match backend {
        Backend::Postgres => "PostgreSQL",
        _ => "SQLite",
    };
    for issuer in ["350000", "330000"] {
        assert!(
            text.lines().any(|l| l.contains("healthcode is serving")
                && l.contains(issuer)
                && l.contains(on)),
            "{text}"
        );
    }
    for store in [fj_province.postgres, zj_province.postgres, busy.postgres]
        .into_iter()
        .flatten()
    {
        let opened = healthcode_store::Store::open(&store).await.expect("open");
        opened.drop_postgres_schemas(&store).await.expect("cleanup");
    }
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
