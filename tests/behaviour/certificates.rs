//! International certificates end to end, on every backend: a citizen's
//! vaccination and PCR result come back as EU DCCs that verify against the
//! trust list's DSC and as SMART Health Cards that verify against the published
//! JWKS; people without facts get empty lists; only citizens may ask; and the
//! issuer keys survive a restart.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use healthcode_core::AppState;
use healthcode_core::clock::ManualClock;
use healthcode_core::config::ServerConfig;
use healthcode_core::realname::LocalVerifier;
use healthcode_core::secrets::MasterKey;
use healthcode_dcc::DscStore;
use healthcode_domain::identity::make_resident_id;
use healthcode_domain::role::Role;
use healthcode_shc::IssuerDirectory;
use healthcode_tests::{T0, TestApp, backends};
use jiff::civil::date;
use serde_json::{Value, json};

const PASSWORD: &str = "a-good-password";
const DCC: &str = "/v1/me/certificates/dcc";
const SHC: &str = "/v1/me/certificates/shc";

/// Registers a citizen (王小明, resident ID born 1990-03-07) and logs them in;
/// returns (person id, token).
async fn citizen(app: &TestApp, i: u16) -> (String, String) {
    let id = make_resident_id("350102", date(1990, 3, 7), 400 + i).expect("id");
    let phone = format!("1350000{i:04}");
    app.register("王小明", "resident_id", &id, &phone, PASSWORD)
        .await;
    login(app, &phone).await
}

async fn login(app: &TestApp, phone: &str) -> (String, String) {
    let token = app
        .login(json!({ "phone": phone, "password": PASSWORD }))
        .await;
    (app.person_of(&token).await, token)
}

/// Records a vaccination the way an import from the vaccination registry does
/// (there is no API route for vaccinations).
async fn vaccinate(app: &TestApp, person_id: &str, id: &str, product: &str) {
    app.import_vaccination(person_id, id, product, (2, 2), date(2021, 6, 1))
        .await;
}

/// A collector takes an individual swab, the laboratory reports `outcome` for it.
async fn pcr(app: &TestApp, person_id: &str, tube: &str, outcome: &str, sample_at: i64) {
    let collector = app
        .staff(&format!("collector-{tube}"), Role::Collector)
        .await;
    let lab = app.staff(&format!("lab-{tube}"), Role::Lab).await;
    let (status, body) = app
        .call(
            Method::POST,
            "/v1/tubes",
            Some(&collector),
            Some(json!({ "tube_id": tube, "capacity": 1 })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.add_sample(tube, person_id, sample_at).await;
    let sample = jiff::Timestamp::from_second(sample_at)
        .expect("time")
        .to_string();
    let (status, body) = app
        .call(
            Method::POST,
            "/v1/results",
            Some(&lab),
            Some(json!({ "tube_id": tube, "kind": "pcr", "outcome": outcome,
                "laboratory": "Fuzhou CDC Lab 2", "sample_at": sample })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn trust_store(app: &TestApp) -> DscStore {
    let (status, list) = app.call(Method::GET, "/v1/trust-list", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let signers = list["dcc_signers"].as_array().expect("dcc_signers");
    assert_eq!(signers.len(), 1, "{list}");
    DscStore::from_base64(signers[0].as_str().expect("base64")).expect("DSC")
}

async fn issuer_directory(app: &TestApp) -> IssuerDirectory {
    let (status, jwks) = app
        .call(Method::GET, "/.well-known/jwks.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut directory = IssuerDirectory::new();
    directory
        .add_jwks_json("https://localhost", &jwks.to_string())
        .expect("JWKS");
    directory
}

#[tokio::test]
async fn a_citizen_gets_a_dcc_per_fact_that_verifies_against_the_trust_list() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let (person, token) = citizen(&app, 1).await;
        vaccinate(&app, &person, "vacc-1", "BBIBP-CorV").await;
        app.clock.advance(3600);
        let sample_at = app.state.now() - 1800;
        pcr(&app, &person, "T-0001", "negative", sample_at).await;

        let (status, body) = app.call(Method::GET, DCC, Some(&token), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let certs = body["certificates"].as_array().expect("certificates");
        assert_eq!(certs.len(), 2, "{body}");
        let trust = trust_store(&app).await;
        let now = app.state.now();

        let vacc = certs
            .iter()
            .find(|c| c["kind"] == "vaccination")
            .expect("vaccination DCC");
        assert_eq!(vacc["fact_id"], "vacc-1");
        assert!(vacc["svg"].as_str().expect("svg").contains("<svg"));
        let payload = vacc["payload"].as_str().expect("payload");
        assert!(payload.starts_with("HC1:"));
        let verified = healthcode_dcc::verify(payload, &trust, now).expect("vaccination verifies");
        let hcert = &verified.dcc.hcert;
        assert_eq!(hcert["nam"]["fn"], "王", "{hcert}");
        assert_eq!(hcert["nam"]["fnt"], "WANG");
        assert_eq!(hcert["nam"]["gn"], "小明");
        assert_eq!(hcert["nam"]["gnt"], "XIAOMING");
        assert_eq!(hcert["dob"], "1990-03-07");
        let v = &hcert["v"][0];
        assert_eq!(
            (
                &v["vp"], &v["mp"], &v["ma"], &v["dn"], &v["sd"], &v["dt"], &v["co"]
            ),
            (
                &json!("J07BX03"),
                &json!("BBIBP-CorV"),
                &json!("ORG-100020693"),
                &json!(2),
                &json!(2),
                &json!("2021-06-01"),
                &json!("CN")
            )
        );
        assert!(healthcode_dcc::uvci_checksum_ok(
            v["ci"].as_str().expect("ci")
        ));
        assert_eq!(verified.dcc.exp, Some(now + 365 * 86_400));
        assert_eq!(
            vacc["expires_at"],
            jiff::Timestamp::from_second(now + 365 * 86_400)
                .expect("time")
                .to_string()
        );

        let test = certs
            .iter()
            .find(|c| c["kind"] == "test")
            .expect("test DCC");
        let verified =
            healthcode_dcc::verify(test["payload"].as_str().expect("payload"), &trust, now)
                .expect("test verifies");
        let t = &verified.dcc.hcert["t"][0];
        assert_eq!(t["tt"], healthcode_dcc::TEST_NAAT);
        assert_eq!(t["tr"], healthcode_dcc::RESULT_NOT_DETECTED);
        assert_eq!(t["tc"], "Fuzhou CDC Lab 2");
        assert_eq!(verified.dcc.exp, Some(sample_at + 72 * 3600));

        // The same fact keeps its UVCI across downloads.
        let (_, again) = app.call(Method::GET, DCC, Some(&token), None).await;
        let ci = |body: &Value, kind: &str| {
            let cert = body["certificates"]
                .as_array()
                .expect("certificates")
                .iter()
                .find(|c| c["kind"] == kind)
                .expect("kind")
                .clone();
            let text = cert["payload"].as_str().expect("payload").to_owned();
            healthcode_dcc::decode(&text).expect("decode").hcert["v"][0]["ci"].clone()
        };
        assert_eq!(ci(&body, "vaccination"), ci(&again, "vaccination"));

        // Past 72 hours after the sample the test certificate is no longer issued.
        app.clock.advance(72 * 3600);
        let (_, token) = login(&app, "13500000001").await;
        let (status, later) = app.call(Method::GET, DCC, Some(&token), None).await;
        assert_eq!(status, StatusCode::OK, "{later}");
        let kinds: Vec<&Value> = later["certificates"]
            .as_array()
            .expect("certificates")
            .iter()
            .map(|c| &c["kind"])
            .collect();
        assert_eq!(kinds, vec![&json!("vaccination")], "{backend:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_citizen_gets_smart_health_cards_that_verify_against_the_published_jwks() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let (person, token) = citizen(&app, 2).await;
        vaccinate(&app, &person, "vacc-1", "CoronaVac").await;
        vaccinate(&app, &person, "vacc-2", "Some Unknown Vaccine").await;
        app.clock.advance(3600);
        pcr(&app, &person, "T-0002", "positive", app.state.now() - 600).await;

        let (status, body) = app.call(Method::GET, SHC, Some(&token), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let cards = body["cards"].as_array().expect("cards");
        assert_eq!(cards.len(), 2, "{body}");
        let directory = issuer_directory(&app).await;
        let now = app.state.now();

        let immunization = cards
            .iter()
            .find(|c| c["kind"] == "immunization")
            .expect("immunization card");
        let qr = immunization["shc"].as_str().expect("shc");
        assert!(qr.starts_with("shc:/"));
        assert!(immunization["svg"].as_str().expect("svg").contains("<svg"));
        let verified = healthcode_shc::verify(qr, &directory, now).expect("card verifies");
        assert_eq!(verified.issuer, "https://localhost");
        let bundle = verified.fhir_bundle.to_string();
        assert!(bundle.contains(r#""code":"511""#), "{bundle}");
        assert!(bundle.contains(r#""code":"213""#), "{bundle}");
        assert!(bundle.contains(r#""birthDate":"1990-03-07""#), "{bundle}");
        assert!(
            bundle.contains(r#""name":[{"family":"王","given":["小明"]}]"#),
            "{bundle}"
        );
        // The file form verifies too.
        let file = immunization["file"].to_string();
        healthcode_shc::verify(&file, &directory, now).expect("file verifies");

        let lab = cards
            .iter()
            .find(|c| c["kind"] == "laboratory")
            .expect("laboratory card");
        let verified = healthcode_shc::verify(lab["shc"].as_str().expect("shc"), &directory, now)
            .expect("lab card verifies");
        let bundle = verified.fhir_bundle.to_string();
        assert!(bundle.contains(r#""code":"94500-6""#), "{bundle}");
        assert!(bundle.contains(r#""code":"260373001""#), "{bundle}");
        assert!(bundle.contains("Fuzhou CDC Lab 2"), "{bundle}");

        // The trust list names the same issuer and keys.
        let (_, list) = app.call(Method::GET, "/v1/trust-list", None, None).await;
        let (_, jwks) = app
            .call(Method::GET, "/.well-known/jwks.json", None, None)
            .await;
        assert_eq!(
            list["shc_issuer"],
            json!({ "iss": "https://localhost", "jwks": jwks })
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn people_without_facts_get_empty_lists_and_without_birth_date_no_cards() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let (_, token) = citizen(&app, 3).await;
        let (status, body) = app.call(Method::GET, DCC, Some(&token), None).await;
        assert_eq!(
            (status, body),
            (
                StatusCode::OK,
                json!({ "certificates": [], "not_issued": [] })
            )
        );
        let (status, body) = app.call(Method::GET, SHC, Some(&token), None).await;
        assert_eq!((status, body), (StatusCode::OK, json!({ "cards": [] })));

        // A passport holder: the DCC carries the empty dob the schema allows;
        // SMART Health Cards need a birth date and say so.
        app.register(
            "Anna Schmidt",
            "passport",
            "C01X00T47",
            "13500009999",
            PASSWORD,
        )
        .await;
        let (person, token) = login(&app, "13500009999").await;
        vaccinate(&app, &person, "vacc-p", "Comirnaty").await;
        let (status, body) = app.call(Method::GET, DCC, Some(&token), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let payload = body["certificates"][0]["payload"]
            .as_str()
            .expect("payload");
        let verified = healthcode_dcc::verify(payload, &trust_store(&app).await, app.state.now())
            .expect("verifies");
        let hcert = &verified.dcc.hcert;
        assert_eq!(hcert["dob"], "");
        // Proposed as most passports from abroad print it: the last word is the surname.
        assert_eq!(hcert["nam"]["fnt"], "SCHMIDT");
        assert_eq!(hcert["nam"]["gnt"], "ANNA");
        assert_eq!(hcert["v"][0]["mp"], "EU/1/20/1528");
        assert_eq!(hcert["v"][0]["vp"], "1119349007");
        let (status, body) = app.call(Method::GET, SHC, Some(&token), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["code"], "shc.birth_date_unknown");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn only_citizens_may_ask_for_certificates_and_the_jwks_is_public() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let (_, citizen_token) = citizen(&app, 4).await;
        for path in [DCC, SHC] {
            let (status, _) = app.call(Method::GET, path, None, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path} without a token");
            let (status, _) = app.call(Method::GET, path, Some("not-a-token"), None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path} with a bad token");
            let (status, _) = app
                .call(Method::GET, path, Some(&citizen_token), None)
                .await;
            assert_eq!(status, StatusCode::OK, "{path} as a citizen");
        }
        for role in Role::ALL.into_iter().filter(|r| *r != Role::Citizen) {
            let token = app.staff(&format!("staff-{role:?}"), role).await;
            for path in [DCC, SHC] {
                let (status, body) = app.call(Method::GET, path, Some(&token), None).await;
                assert_eq!(status, StatusCode::FORBIDDEN, "{path} as {role:?}: {body}");
            }
        }
        let response = tower::ServiceExt::oneshot(
            app.router.clone(),
            axum::http::Request::get("/.well-known/jwks.json")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[axum::http::header::CACHE_CONTROL],
            "max-age=3600"
        );
        // Documented in the API description.
        let (_, doc) = app.call(Method::GET, "/openapi.json", None, None).await;
        for path in [DCC, SHC, "/.well-known/jwks.json"] {
            assert!(doc["paths"].get(path).is_some(), "{path} not documented");
        }
        app.cleanup().await;
    }
}

#[tokio::test]
async fn issuer_keys_survive_a_restart_over_the_same_store() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let first = app.state.credentials();
        let master = MasterKey::load(&app.db.dir.join("master.key")).expect("master key");
        let restarted = AppState::new(
            app.db.store.clone(),
            &master,
            ServerConfig::default(),
            Arc::new(ManualClock::at(T0 + 86_400)),
            Arc::new(LocalVerifier),
        )
        .await
        .expect("restarted state");
        let second = restarted.credentials();
        assert_eq!(first.dcc.kid(), second.dcc.kid());
        assert_eq!(first.dcc.certificate_der(), second.dcc.certificate_der());
        assert_eq!(first.shc.kid(), second.shc.kid());
        assert_eq!(first.shc.jwks(), second.shc.jwks());
        // Stored sealed: the database never holds the private key in clear.
        let record = app
            .db
            .store
            .credential_key("dcc")
            .await
            .expect("load")
            .expect("stored");
        assert_ne!(record.secret_sealed, first.dcc.pkcs8_der());
        assert!(
            !record
                .secret_sealed
                .windows(first.dcc.pkcs8_der().len())
                .any(|w| w == first.dcc.pkcs8_der())
        );
        // Inserting again does not replace the key.
        let mut unit = app.unit().await;
        assert!(!unit.insert_credential_key(&record).await.expect("insert"));
        unit.commit().await.expect("commit");
        app.cleanup().await;
    }
}

#[test]
fn the_public_url_must_be_an_https_origin_without_a_trailing_slash() {
    let with = |url: &str| ServerConfig {
        public_url: url.to_owned(),
        ..ServerConfig::default()
    };
    assert!(ServerConfig::default().validate().is_ok());
    assert!(with("https://code.fujian.example").validate().is_ok());
    for bad in [
        "http://code.fujian.example",
        "https://code.fujian.example/",
        "https://",
        "code.fujian.example",
    ] {
        assert!(with(bad).validate().is_err(), "{bad}");
    }
}

#[tokio::test]
async fn the_certificates_page_shows_each_certificate_as_a_qr_code() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let (person, token) = citizen(&app, 7).await;
        let (status, page) = app
            .call(Method::GET, "/me/certificates", Some(&token), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        let html = page.as_str().expect("html");
        assert!(html.contains("暂无可导出"), "nothing yet: {html}");
        assert!(!html.contains("class=\"certificate"), "{html}");

        vaccinate(&app, &person, "vacc-1", "CoronaVac").await;
        app.clock.advance(3600);
        pcr(&app, &person, "T-0007", "negative", app.state.now() - 600).await;
        let (status, page) = app
            .call(Method::GET, "/me/certificates", Some(&token), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        let html = page.as_str().expect("html");
        assert_eq!(
            html.matches("class=\"certificate dcc\"").count(),
            2,
            "{html}"
        );
        assert_eq!(
            html.matches("class=\"certificate shc\"").count(),
            2,
            "{html}"
        );
        assert_eq!(html.matches("<svg").count(), 4, "one QR code each");
        assert!(
            !html.contains("王小明"),
            "the page shows QR codes, not the name in clear"
        );

        // Staff have no certificates page; without a session it leads to login.
        let checker = app.staff("checker-7", Role::Checker).await;
        let (status, _) = app
            .call(Method::GET, "/me/certificates", Some(&checker), None)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app.call(Method::GET, "/me/certificates", None, None).await;
        assert!(status.is_redirection(), "{status}");
        app.cleanup().await;
    }
}

/// A vaccine the EU code lists do not name gets no DCC (one naming it by a made-up code
/// would be refused by every verifier); the API lists it with the reason, and the page
/// says so in the page's language. The SMART Health Card still carries it (CVX 213).
#[tokio::test]
async fn a_vaccine_without_an_eu_code_gets_no_dcc_and_is_told_why() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let (person, token) = citizen(&app, 9).await;
        vaccinate(&app, &person, "vacc-zf", "智飞龙科马").await;
        vaccinate(&app, &person, "vacc-cv", "CoronaVac").await;
        let (status, body) = app.call(Method::GET, DCC, Some(&token), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let issued = body["certificates"].as_array().expect("certificates");
        assert_eq!(issued.len(), 1, "{body}");
        assert_eq!(issued[0]["fact_id"], "vacc-cv");
        assert_eq!(
            body["not_issued"],
            json!([{ "kind": "vaccination", "fact_id": "vacc-zf", "product": "智飞龙科马",
                     "reason": "certificate.product_not_coded" }])
        );
        // What is issued verifies with the bundled EU value sets, nothing read past.
        let trust = trust_store(&app).await;
        let verified = healthcode_dcc::verify(
            issued[0]["payload"].as_str().expect("payload"),
            &trust,
            app.state.now(),
        )
        .expect("verifies");
        assert!(verified.tolerated.is_empty(), "{:?}", verified.tolerated);
        let (_, cards) = app.call(Method::GET, SHC, Some(&token), None).await;
        assert_eq!(cards["cards"].as_array().map(Vec::len), Some(1), "{cards}");

        for (cookie, says) in [
            ("hc_lang=zh", "该疫苗在编码表中没有代码"),
            ("hc_lang=en", "so it has no EU certificate"),
        ] {
            let request = axum::http::Request::builder()
                .uri("/me/certificates")
                .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
                .header(axum::http::header::COOKIE, cookie)
                .body(axum::body::Body::empty())
                .expect("request");
            let response = tower::ServiceExt::oneshot(app.router.clone(), request)
                .await
                .expect("response");
            assert_eq!(response.status(), StatusCode::OK);
            let html = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .expect("body");
            let html = String::from_utf8_lossy(&html);
            let section = html
                .split("class=\"certificate dcc not-issued\"")
                .nth(1)
                .unwrap_or_default();
            assert!(section.contains(says), "{cookie}: {html}");
            assert!(
                section.contains("certificate.product_not_coded") && section.contains("智飞龙科马"),
                "{cookie}: {section}"
            );
        }
        app.cleanup().await;
    }
}

/// Rotating an issuer key keeps what the old key signed verifiable through the
/// trust list, signs new certificates with the new key, and withdrawing the old
/// key ends the old certificates at once.
#[tokio::test]
async fn rotated_issuer_keys_stay_published_until_withdrawn() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let (person, token) = citizen(&app, 8).await;
        vaccinate(&app, &person, "vacc-1", "CoronaVac").await;
        let (_, before) = app.call(Method::GET, DCC, Some(&token), None).await;
        let old_dcc = before["certificates"][0]["payload"]
            .as_str()
            .expect("a DCC")
            .to_owned();
        let (_, cards) = app.call(Method::GET, SHC, Some(&token), None).await;
        let old_card = cards["cards"][0]["shc"]
            .as_str()
            .expect("a card")
            .to_owned();

        let now = app.state.now();
        let config = ServerConfig::default();
        let old_dcc_kid = healthcode_core::certificates::rotate(
            &app.db.store,
            app.state.secrets(),
            &config,
            "dcc",
            now,
        )
        .await
        .expect("rotate dcc");
        let old_shc_kid = healthcode_core::certificates::rotate(
            &app.db.store,
            app.state.secrets(),
            &config,
            "shc",
            now,
        )
        .await
        .expect("rotate shc");
        assert!(
            healthcode_core::certificates::rotate(
                &app.db.store,
                app.state.secrets(),
                &config,
                "xyz",
                now
            )
            .await
            .is_err()
        );
        app.state.reload_credentials().await.expect("reload");

        let (_, list) = app.call(Method::GET, "/v1/trust-list", None, None).await;
        assert_eq!(
            list["dcc_signers"].as_array().map(Vec::len),
            Some(2),
            "{list}"
        );
        let (_, jwks) = app
            .call(Method::GET, "/.well-known/jwks.json", None, None)
            .await;
        assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(2), "{jwks}");
        let signers = |list: &Value| {
            let mut store = DscStore::new();
            for der in list["dcc_signers"].as_array().expect("signers") {
                store
                    .add_base64(der.as_str().expect("base64"))
                    .expect("DSC");
            }
            store
        };
        let directory = |jwks: &Value| {
            let mut directory = IssuerDirectory::new();
            directory
                .add_jwks_json(app.state.credentials().shc.iss(), &jwks.to_string())
                .expect("jwks");
            directory
        };
        let verify_at = app.state.now() + 5;
        healthcode_dcc::verify(&old_dcc, &signers(&list), verify_at).expect("old DCC still valid");
        healthcode_shc::verify(&old_card, &directory(&jwks), verify_at)
            .expect("old card still valid");
        let (_, after) = app.call(Method::GET, DCC, Some(&token), None).await;
        let new_dcc = after["certificates"][0]["payload"].as_str().expect("a DCC");
        assert_ne!(
            healthcode_dcc::decode(new_dcc).expect("decode").kid,
            healthcode_dcc::decode(&old_dcc).expect("decode").kid,
            "new certificates are signed with the new key"
        );
        healthcode_dcc::verify(new_dcc, &signers(&list), verify_at).expect("new DCC");

        // A compromised old key is withdrawn: its certificates stop verifying.
        assert!(
            healthcode_core::certificates::withdraw(
                &app.db.store,
                "dcc",
                &old_dcc_kid,
                app.state.now()
            )
            .await
            .expect("withdraw")
        );
        assert!(
            healthcode_core::certificates::withdraw(
                &app.db.store,
                "shc",
                &old_shc_kid,
                app.state.now()
            )
            .await
            .expect("withdraw")
        );
        assert!(
            !healthcode_core::certificates::withdraw(
                &app.db.store,
                "dcc",
                &old_dcc_kid,
                app.state.now()
            )
            .await
            .expect("again")
        );
        app.state.reload_credentials().await.expect("reload");
        let (_, list) = app.call(Method::GET, "/v1/trust-list", None, None).await;
        let (_, jwks) = app
            .call(Method::GET, "/.well-known/jwks.json", None, None)
            .await;
        assert_eq!(list["dcc_signers"].as_array().map(Vec::len), Some(1));
        assert!(healthcode_dcc::verify(&old_dcc, &signers(&list), verify_at).is_err());
        assert!(healthcode_shc::verify(&old_card, &directory(&jwks), verify_at).is_err());
        healthcode_dcc::verify(new_dcc, &signers(&list), verify_at).expect("new DCC");
        app.cleanup().await;
    }
}

/// Decodes certificates with `scripts/interop/decode_certificates.py`: CBOR,
/// base45, zlib and ECDSA from Python's `cbor2`, `base45` and `cryptography`,
/// not from this workspace. `None` when that Python is not installed here
/// (under CI, that fails the test); `scripts/test` installs it.
fn decode_independently(request: &Value) -> Option<Value> {
    use std::io::Write;
    let python = std::env::var("INTEROP_PYTHON").unwrap_or_else(|_| {
        let venv = "/var/tmp/healthcode-pyinterop/bin/python";
        if std::path::Path::new(venv).exists() {
            venv.to_owned()
        } else {
            "python3".to_owned()
        }
    });
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scripts/interop/decode_certificates.py"
    );
    let ready = std::process::Command::new(&python)
        .args(["-c", "import base45, cbor2, cryptography"])
        .status()
        .is_ok_and(|s| s.success());
    if !ready {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs {python} with scripts/interop/requirements.txt installed"
        );
        eprintln!(
            "no Python with cbor2, base45 and cryptography: the independent decoding did not run"
        );
        return None;
    }
    let mut child = std::process::Command::new(&python)
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(request.to_string().as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("python ran");
    assert!(
        output.status.success(),
        "independent decoding failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_slice(&output.stdout).expect("JSON"))
}

/// A DCC and a SMART Health Card name the holder as the passport prints
/// them: the surname and the given name apart, each in Hanyu Pinyin as one
/// word, whether the split was proposed (a resident ID holds one string; a
/// compound surname is recognised), confirmed by the person, or given at
/// registration by a passport holder. An implementation that is not ours
/// decodes them the same.
#[tokio::test]
async fn certificates_name_the_holder_as_the_passport_prints_the_name() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let (_, signers) = app.call(Method::GET, "/v1/trust-list", None, None).await;
        let dsc = signers["dcc_signers"][0].clone();
        let (_, jwks) = app
            .call(Method::GET, "/.well-known/jwks.json", None, None)
            .await;
        let trust = trust_store(&app).await;
        let directory = issuer_directory(&app).await;
        for (i, name, surname, given, fnt, gnt) in [
            (11u16, "刘建华", "刘", "建华", "LIU", "JIANHUA"),
            (12, "欧阳娜娜", "欧阳", "娜娜", "OUYANG", "NANA"),
        ] {
            let document = make_resident_id("350102", date(1988, 8, 8), 600 + i).expect("id");
            let phone = format!("1360000{i:04}");
            app.register(name, "resident_id", &document, &phone, PASSWORD)
                .await;
            let (person, token) = login(&app, &phone).await;
            // Proposed from the name, not yet confirmed.
            let (status, split) = app
                .call(Method::GET, "/v1/me/name-parts", Some(&token), None)
                .await;
            assert_eq!(status, StatusCode::OK, "{split}");
            assert_eq!(
                split,
                json!({ "surname": surname, "given_name": given, "confirmed": false })
            );
            vaccinate(&app, &person, &format!("vacc-{i}"), "CoronaVac").await;
            let (_, dccs) = app.call(Method::GET, DCC, Some(&token), None).await;
            let dcc = dccs["certificates"][0]["payload"]
                .as_str()
                .expect("DCC")
                .to_owned();
            let verified = healthcode_dcc::verify(&dcc, &trust, app.state.now()).expect("verifies");
            assert_eq!(
                verified.dcc.hcert["nam"],
                json!({ "fn": surname, "fnt": fnt, "gn": given, "gnt": gnt }),
                "{name}"
            );
            let (_, cards) = app.call(Method::GET, SHC, Some(&token), None).await;
            let shc = cards["cards"][0]["shc"].as_str().expect("SHC").to_owned();
            let card = healthcode_shc::verify(&shc, &directory, app.state.now()).expect("verifies");
            let patient = card.fhir_bundle.to_string();
            assert!(
                patient.contains(&json!({ "family": surname, "given": [given] }).to_string()),
                "{patient}"
            );
            if let Some(decoded) =
                decode_independently(&json!({ "dcc": dcc, "dsc": dsc, "shc": shc, "jwks": jwks }))
            {
                assert_eq!(
                    decoded,
                    json!({
                        "dcc": { "fn": surname, "fnt": fnt, "gn": given, "gnt": gnt },
                        "shc": { "family": surname, "given": [given] },
                    }),
                    "{name}"
                );
            }
            // The person confirms the split; a split that is not their name is refused.
            let (status, body) = app
                .call(
                    Method::PUT,
                    "/v1/me/name-parts",
                    Some(&token),
                    Some(json!({ "surname": surname, "given_name": "小明" })),
                )
                .await;
            assert_eq!(
                (status, body["error"]["code"].clone()),
                (StatusCode::UNPROCESSABLE_ENTITY, json!("name.parts"))
            );
            let (status, body) = app
                .call(
                    Method::PUT,
                    "/v1/me/name-parts",
                    Some(&token),
                    Some(json!({ "surname": surname, "given_name": given })),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(body["confirmed"], true);
            let (_, export) = app
                .call(Method::GET, "/v1/me/export", Some(&token), None)
                .await;
            assert_eq!(export["profile"]["name_parts"]["surname"], surname);
        }

        // A passport holder gives both at registration; a split that is not
        // the name is refused there too.
        let register = |surname: &str, given: &str| {
            json!({ "name": "Maria Guadalupe Hernandez Rodriguez", "document_type": "passport",
                    "document_number": "G23456789", "phone": "+5215512345670", "password": PASSWORD,
                    "surname": surname, "given_name": given })
        };
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/citizens",
                None,
                Some(register("Hernandez", "Maria")),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!("name.parts"))
        );
        let (status, body) = app
            .call(
                Method::POST,
                "/v1/citizens",
                None,
                Some(register("Hernandez Rodriguez", "Maria Guadalupe")),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (person, token) = login(&app, "+5215512345670").await;
        vaccinate(&app, &person, "vacc-maria", "Comirnaty").await;
        let (_, dccs) = app.call(Method::GET, DCC, Some(&token), None).await;
        let dcc = dccs["certificates"][0]["payload"].as_str().expect("DCC");
        let verified = healthcode_dcc::verify(dcc, &trust, app.state.now()).expect("verifies");
        assert_eq!(
            verified.dcc.hcert["nam"],
            json!({ "fn": "Hernandez Rodriguez", "fnt": "HERNANDEZ<RODRIGUEZ",
                    "gn": "Maria Guadalupe", "gnt": "MARIA<GUADALUPE" })
        );
        app.cleanup().await;
    }
}
