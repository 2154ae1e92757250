//! Every name registration accepts gets a code: long transliterated names,
//! long Chinese names and names under many combining marks are masked to fit
//! the signed code, on the API and on the code page.

use axum::http::{Method, StatusCode};
use healthcode_credentials::code;
use healthcode_domain::mask::MAX_MASKED_NAME_LEN;
use healthcode_tests::{PASSWORD, TestApp, backends};
use jiff::civil::date;
use serde_json::json;

/// Registers `name` with a passport and logs in; returns the token.
async fn passport_holder(app: &TestApp, name: &str, number: &str, phone: &str) -> String {
    app.register(name, "passport", number, phone, PASSWORD)
        .await;
    app.login(json!({ "phone": phone, "password": PASSWORD }))
        .await
}

#[tokio::test]
async fn the_longest_names_registration_accepts_get_a_code() {
    // 64 characters, the most a name may have; a CJK extension B character
    // takes four bytes.
    let chinese = format!("欧阳{}𠀋娜", "娜".repeat(60));
    assert_eq!(chinese.chars().count(), 64);
    let marks = "\u{301}\u{302}\u{303}\u{304}\u{306}\u{307}\u{308}\u{30a}\u{30b}\u{30c}";
    let stacked = format!("Z{marks}{marks}o{marks} Ab{marks}c{marks}");
    assert!(stacked.chars().count() <= 64);
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let maria = passport_holder(
            &app,
            "Maria Guadalupe Hernandez Rodriguez",
            "G12345678",
            "+5215512345678",
        )
        .await;
        let zoe = passport_holder(&app, &stacked, "E98765432", "+33612345678").await;
        let ouyang = app
            .citizen(&chinese, "350102", date(1990, 1, 1), 401, "13700000401")
            .await
            .token;
        let cases = [
            (&maria, "M*** G*** H*** R***"),
            (&zoe, "** A**"),
            (&ouyang, "欧***娜"),
        ];
        for (token, masked) in cases {
            let (status, body) = app
                .call(Method::GET, "/v1/me/code", Some(token), None)
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(body["masked_name"], masked);
            let payload = body["payload"].as_str().expect("payload");
            let verified = code::verify(payload, &app.state.trust_list(), app.state.now(), 30)
                .expect("the code verifies offline");
            assert_eq!(verified.claims.masked_name, masked);
            assert!(masked.len() <= MAX_MASKED_NAME_LEN);

            let (status, page) = app.call(Method::GET, "/me", Some(token), None).await;
            assert_eq!(status, StatusCode::OK, "the code page: {page}");
            assert!(
                page.as_str().is_some_and(|html| html.contains(masked)),
                "the page shows {masked}"
            );
        }
        app.cleanup().await;
    }
}
