//! Writes the seed corpora (`corpus/<target>/`) and the fixtures they are signed for
//! (`fixtures/`), from the shared test vectors and from codes and cards issued here:
//!
//! ```sh
//! cargo run --manifest-path fuzz/Cargo.toml --example make_seeds -- ../shared/testdata
//! ```
//!
//! Every run replaces the seed folders' files. The health and place codes are signed
//! by the fixed fixture keys (`src/lib.rs`) and come out the same every time; the HC1
//! and SHC seeds made here are signed by fresh keys, whose public halves go to
//! `fixtures/`. See `README.md` for where each seed comes from and its licence.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use healthcode_credentials::code::{self, HealthCodeClaims};
use healthcode_credentials::federation::{NationalTrustList, TrustAnchor};
use healthcode_credentials::keys::SigningKey;
use healthcode_credentials::place::{self, PlaceClaims};
use healthcode_credentials::revocation::{RevocationId, RevocationList};
use healthcode_dcc::{
    DISEASE_COVID19, DccIssuer, HealthCertificate, IssuerParams, Name, RESULT_NOT_DETECTED,
    TEST_NAAT, TestEntry, VaccinationEntry, format_timestamp, uvci,
};
use healthcode_domain::colour::Colour;
use healthcode_domain::identity::make_resident_id;
use healthcode_fuzz::{
    ISSUER, NOW, SHC_FUZZ_ISSUER, SHC_NOW, revoked_key, rotated_key, signing_key, trust_list,
};
use healthcode_shc::{ImmunizationInput, LabResultInput, Person, ShcIssuer, numeric};
use serde_json::{Value, json};

type Error = Box<dyn std::error::Error>;

/// The DCC vectors used: the first of each country, and these cross-country
/// negative cases (one per defect family).
const DCC_COMMON: [&str; 14] = [
    "common-B1",
    "common-CBO1",
    "common-CBO2",
    "common-CO1",
    "common-CO5",
    "common-CO10",
    "common-CO20",
    "common-DGC1",
    "common-DGC3",
    "common-DGC5",
    "common-H1",
    "common-H3",
    "common-Q1",
    "common-Z1",
];

/// Most CertLogic seeds taken from the specification's test suites.
const MAX_CERTLOGIC_SEEDS: usize = 40;

struct Corpus {
    root: PathBuf,
    written: BTreeMap<String, usize>,
}

impl Corpus {
    fn new(root: PathBuf) -> Corpus {
        Corpus {
            root,
            written: BTreeMap::new(),
        }
    }

    /// Empties a target's seed folder.
    fn reset(&mut self, target: &str) -> Result<(), Error> {
        let dir = self.root.join(target);
        if dir.exists() {
            fs::remove_dir_all(&dir)?;
        }
        fs::create_dir_all(&dir)?;
        self.written.insert(target.to_owned(), 0);
        Ok(())
    }

    fn put(&mut self, target: &str, name: &str, bytes: impl AsRef<[u8]>) -> Result<(), Error> {
        let path = self.root.join(target).join(name);
        fs::write(&path, bytes)?;
        *self.written.entry(target.to_owned()).or_default() += 1;
        Ok(())
    }
}

fn main() -> Result<(), Error> {
    let testdata = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/testdata"));
    let fuzz = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut corpus = Corpus::new(fuzz.join("corpus"));
    for target in [
        "health_code",
        "trust_lists",
        "hc1",
        "hc1_cose",
        "shc_qr",
        "shc_jws",
        "shc_jwks",
        "identity",
        "csv_import",
        "certlogic",
        "json_requests",
    ] {
        corpus.reset(target)?;
    }

    let codes = health_codes(&mut corpus)?;
    let dscs = hc1(&mut corpus, &testdata.join("dcc"), &fuzz)?;
    trust_lists(&mut corpus, &dscs)?;
    shc(&mut corpus, &testdata.join("shc"), &fuzz)?;
    identity(&mut corpus)?;
    csv_import(&mut corpus)?;
    certlogic(&mut corpus, &testdata.join("certlogic"))?;
    json_requests(&mut corpus, &codes)?;

    for (target, n) in &corpus.written {
        println!("{target}: {n} seeds");
    }
    Ok(())
}

/// Health and place codes signed by the fixture keys; returns a personal and a
/// place code for the request bodies.
fn health_codes(corpus: &mut Corpus) -> Result<(String, String), Error> {
    let claims = |colour, masked_name: &str, issued_at, expires_at| HealthCodeClaims {
        issuer: ISSUER.to_owned(),
        subject: [0x5a; 16],
        colour,
        issued_at,
        expires_at,
        masked_name: masked_name.to_owned(),
        policy_version: "2022-dynamic-zero".to_owned(),
    };
    let key = signing_key();
    let green = code::issue(&claims(Colour::Green, "张*明", NOW - 60, NOW + 240), key)?;
    let cases: Vec<(&str, HealthCodeClaims, &SigningKey)> = vec![
        (
            "yellow",
            claims(Colour::Yellow, "欧**娜", NOW - 60, NOW + 240),
            key,
        ),
        (
            "red-latin",
            claims(Colour::Red, "J*** S****", NOW - 60, NOW + 240),
            key,
        ),
        (
            "long-name",
            claims(Colour::Green, "M** G** H** R***…", NOW - 60, NOW + 240),
            key,
        ),
        (
            "expired",
            claims(Colour::Green, "张*", NOW - 1000, NOW - 600),
            key,
        ),
        (
            "future",
            claims(Colour::Green, "张*", NOW + 3600, NOW + 3900),
            key,
        ),
        (
            "revoked-key",
            claims(Colour::Green, "张*明", NOW - 60, NOW + 240),
            revoked_key(),
        ),
        (
            "rotated-key-after-signs-until",
            claims(Colour::Green, "张*明", NOW - 60, NOW + 240),
            rotated_key(),
        ),
        (
            "rotated-key-before-signs-until",
            claims(Colour::Green, "张*明", NOW - 90_000, NOW - 89_700),
            rotated_key(),
        ),
        (
            "other-issuer",
            HealthCodeClaims {
                issuer: "110000".to_owned(),
                ..claims(Colour::Green, "张*明", NOW - 60, NOW + 240)
            },
            key,
        ),
    ];
    corpus.put("health_code", "personal-green", &green)?;
    for (name, claims, key) in cases {
        corpus.put(
            "health_code",
            &format!("personal-{name}"),
            code::issue(&claims, key)?,
        )?;
    }

    let venue = |venue_id: &str, venue_name: &str, expires_at| PlaceClaims {
        issuer: ISSUER.to_owned(),
        venue_id: venue_id.to_owned(),
        venue_name: venue_name.to_owned(),
        division: "350102".to_owned(),
        issued_at: NOW - 86_400,
        expires_at,
    };
    let place = place::issue_place(&venue("v-AbC123", "鼓楼区图书馆", None), key)?;
    corpus.put("health_code", "place-open-ended", &place)?;
    corpus.put(
        "health_code",
        "place-expiring",
        place::issue_place(
            &venue("KCgMpsTn2XBf1h7x0WkRPw", "Café Ümlaut", Some(NOW + 86_400)),
            key,
        )?,
    )?;
    corpus.put(
        "health_code",
        "place-rotated-key",
        place::issue_place(&venue("old-poster", "福州站", None), rotated_key())?,
    )?;
    // Near misses: the prefixes alone, the other prefix, and lower-case base45.
    corpus.put("health_code", "prefix-only", "HCP1:")?;
    corpus.put(
        "health_code",
        "swapped-prefix",
        format!("HCV1:{}", &green[5..]),
    )?;
    corpus.put("health_code", "lower-case", green.to_lowercase())?;
    Ok((green, place))
}

/// HC1 texts and COSE bytes from the EU test vectors, and two certificates issued
/// here; writes the signer certificates to `fixtures/dcc-signers.json` and returns
/// them (base64 DER).
fn hc1(corpus: &mut Corpus, dir: &Path, fuzz: &Path) -> Result<Vec<String>, Error> {
    let mut names: Vec<String> = fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".json").map(str::to_owned))
        .collect();
    names.sort();
    let mut countries = BTreeSet::new();
    let mut chosen = Vec::new();
    for name in &names {
        if name.starts_with("common-") {
            continue;
        }
        let country = name.rsplit_once('-').map_or(name.as_str(), |(c, _)| c);
        if countries.insert(country.to_owned()) {
            chosen.push(name.clone());
        }
    }
    chosen.extend(DCC_COMMON.iter().map(|n| (*n).to_owned()));

    let mut dscs = BTreeSet::new();
    for name in &chosen {
        let case: Value =
            serde_json::from_str(&fs::read_to_string(dir.join(format!("{name}.json")))?)?;
        if let Some(prefix) = case.get("PREFIX").and_then(Value::as_str) {
            corpus.put("hc1", name, prefix)?;
        }
        if let Some(cose) = case.get("COSE").and_then(Value::as_str)
            && let Ok(bytes) = hex::decode(cose)
        {
            corpus.put("hc1_cose", name, bytes)?;
        }
        if let Some(cert) = case.pointer("/TESTCTX/CERTIFICATE").and_then(Value::as_str) {
            dscs.insert(cert.split_whitespace().collect::<String>());
        }
    }

    let issuer = DccIssuer::generate(&IssuerParams {
        country: "CN".into(),
        common_name: "healthcode fuzz seeds".into(),
        not_before: NOW - 365 * 86_400,
        not_after: NOW + 365 * 86_400,
        kinds: vec![],
    })?;
    let test = HealthCertificate::test(
        Name::latin("Müller-Lüdenscheidt", "Anna Maria"),
        "1990",
        TestEntry {
            tg: DISEASE_COVID19.into(),
            tt: TEST_NAAT.into(),
            nm: Some("PCR".into()),
            ma: None,
            sc: format_timestamp(NOW - 3600),
            tr: RESULT_NOT_DETECTED.into(),
            tc: Some("Fuzhou lab 1".into()),
            co: "CN".into(),
            issuer: "Fujian Health Commission".into(),
            ci: uvci("CN", "FJ/2025/0000042")?,
        },
    );
    let vaccination = HealthCertificate::vaccination(
        Name::transliterated("张", "三", "ZHANG", "SAN"),
        "1980-05-01",
        VaccinationEntry {
            tg: DISEASE_COVID19.into(),
            vp: "1119349007".into(),
            mp: "EU/1/20/1528".into(),
            ma: "ORG-100030215".into(),
            dn: 2,
            sd: 2,
            dt: "2025-03-01".into(),
            co: "CN".into(),
            issuer: "Fujian Health Commission".into(),
            ci: uvci("CN", "FJ/2025/0000043")?,
        },
    );
    for (name, cert) in [
        ("healthcode-test", &test),
        ("healthcode-vaccination", &vaccination),
    ] {
        let text = issuer.issue(cert, NOW - 3600, NOW + 30 * 86_400)?;
        let cose = healthcode_dcc::text_to_cose(&text)?;
        corpus.put("hc1", name, &text)?;
        corpus.put("hc1_cose", name, cose)?;
    }
    dscs.insert(base64::engine::general_purpose::STANDARD.encode(issuer.certificate_der()));

    let dscs: Vec<String> = dscs.into_iter().collect();
    fs::write(
        fuzz.join("fixtures/dcc-signers.json"),
        serde_json::to_string_pretty(&dscs)? + "\n",
    )?;
    Ok(dscs)
}

/// Trust lists, the national list signed by the fixture anchor, revocation ids and
/// DCC signer lists.
fn trust_lists(corpus: &mut Corpus, dscs: &[String]) -> Result<(), Error> {
    let list = trust_list();
    corpus.put(
        "trust_lists",
        "trust-list.json",
        serde_json::to_string_pretty(list)?,
    )?;
    let id = RevocationId::of_signature(&[1, 2, 3]);
    let mut revoked = RevocationList::default();
    revoked.insert(id);
    let national = NationalTrustList {
        sequence: 7,
        generated_at: NOW - 60,
        expires_at: NOW + 86_400,
        provinces: vec![list.clone()],
        revoked,
    };
    corpus.put(
        "trust_lists",
        "national-list.json",
        serde_json::to_string(&national)?,
    )?;
    corpus.put(
        "trust_lists",
        "national-list-signed.json",
        serde_json::to_string(&national.sign(signing_key())?)?,
    )?;
    corpus.put(
        "trust_lists",
        "anchor.json",
        serde_json::to_string(&TrustAnchor::of(signing_key()))?,
    )?;
    corpus.put("trust_lists", "revocation-id", id.to_string())?;
    corpus.put(
        "trust_lists",
        "revocation-list.json",
        serde_json::to_string(&national.revoked)?,
    )?;
    let few: Vec<&String> = dscs.iter().take(3).collect();
    corpus.put(
        "trust_lists",
        "dcc-signers.json",
        serde_json::to_string(&few)?,
    )?;
    corpus.put(
        "trust_lists",
        "dcc-signers-gateway.json",
        serde_json::to_string(&json!({
            "certificates": few.iter().map(|c| json!({ "rawData": c })).collect::<Vec<_>>()
        }))?,
    )?;
    if let Some(first) = dscs.first() {
        let wrapped: Vec<String> = first
            .as_bytes()
            .chunks(64)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        corpus.put(
            "trust_lists",
            "dcc-signer.pem",
            format!(
                "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                wrapped.join("\n")
            ),
        )?;
        corpus.put("trust_lists", "dcc-signer.b64", first)?;
    }
    Ok(())
}

/// SMART Health Cards: the validator's test data, and cards issued here.
fn shc(corpus: &mut Corpus, dir: &Path, fuzz: &Path) -> Result<(), Error> {
    let mut names: Vec<String> = fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    let read = |name: &str| fs::read(dir.join(name));

    // QR numeric texts; the chunks of one card (`-value-N-` differing only in N) go
    // into one seed, a chunk per line.
    let mut groups: BTreeMap<String, Vec<(u32, String)>> = BTreeMap::new();
    for name in names
        .iter()
        .filter(|n| n.contains("qr-code-numeric") || n.contains("qrnumeric"))
    {
        let key_and_index = name.split_once("-value-").and_then(|(head, tail)| {
            let (index, rest) = tail.split_once('-')?;
            Some((format!("{head}-{rest}"), index.parse::<u32>().ok()?))
        });
        match key_and_index {
            Some((key, index)) => groups.entry(key).or_default().push((index, name.clone())),
            None => groups
                .entry(name.clone())
                .or_default()
                .push((0, name.clone())),
        }
    }
    for (key, mut members) in groups {
        members.sort();
        let mut lines = Vec::new();
        for (_, name) in &members {
            lines.push(String::from_utf8(read(name)?)?.trim_end().to_owned());
        }
        corpus.put("shc_qr", key.trim_end_matches(".txt"), lines.join("\n"))?;
    }

    for name in &names {
        let jws_like = name.starts_with("00-d-jws-")
            || name.ends_with(".smart-health-card")
            || name.starts_with("00-fhirhealthcard")
            || name.starts_with("00-b-jws-payload-expanded-")
            || name.starts_with("00-a-");
        if jws_like {
            corpus.put("shc_jws", name, read(name)?)?;
        }
        let jwks_like = name.ends_with("_key.json")
            || name.ends_with("_keys.json")
            || name.ends_with(".public.json")
            || name.contains("key_with_x5c")
            || name == "issuer.jwks.public.not.smart.json"
            || name == "test-issuers.json";
        if jwks_like {
            corpus.put("shc_jwks", name, read(name)?)?;
        }
    }
    corpus.put(
        "shc_jwks",
        "spec-example-issuer.jwks.json",
        healthcode_shc::testdata::SPEC_EXAMPLE_JWKS,
    )?;

    let issuer = ShcIssuer::from_pkcs8(SHC_FUZZ_ISSUER, &ShcIssuer::generate_pkcs8()?)?;
    let jwks = serde_json::to_string_pretty(&issuer.jwks())?;
    fs::write(
        fuzz.join("fixtures/shc-issuer.jwks.json"),
        jwks.clone() + "\n",
    )?;
    corpus.put("shc_jwks", "healthcode-issuer.jwks.json", &jwks)?;

    let person = Person {
        family: "Anyperson".into(),
        given: vec!["John".into(), "B.".into()],
        birth_date: "1951-01-20".into(),
    };
    let vaccinated = issuer.issue_immunizations(
        &person,
        &[
            ImmunizationInput {
                cvx: "207".into(),
                date: "2021-01-01".into(),
                lot: Some("0000001".into()),
                performer: "ABC General Hospital".into(),
            },
            ImmunizationInput {
                cvx: "207".into(),
                date: "2021-01-29".into(),
                lot: None,
                performer: "ABC General Hospital".into(),
            },
        ],
        SHC_NOW - 86_400,
    )?;
    let tested = issuer.issue_lab_results(
        &person,
        &[LabResultInput {
            loinc: "94558-4".into(),
            result_snomed: "260385009".into(),
            effective: "2023-11-13".into(),
            performer: "Fuzhou lab 1".into(),
        }],
        SHC_NOW - 86_400,
    )?;
    corpus.put("shc_qr", "healthcode-vaccination", vaccinated.qr_text())?;
    corpus.put("shc_qr", "healthcode-lab", tested.qr_text())?;
    // The deprecated chunked form of the same card, in two balanced chunks.
    let half = vaccinated.jws.len().div_ceil(2);
    let (a, b) = vaccinated.jws.split_at(half);
    let chunk = |i: usize, part: &str| format!("shc:/{i}/2/{}", &numeric::encode(part)[5..]);
    corpus.put(
        "shc_qr",
        "healthcode-vaccination-chunked",
        format!("{}\n{}", chunk(2, b), chunk(1, a)),
    )?;
    corpus.put("shc_jws", "healthcode-vaccination.jws", &vaccinated.jws)?;
    corpus.put("shc_jws", "healthcode-lab.jws", &tested.jws)?;
    corpus.put(
        "shc_jws",
        "healthcode-two-cards.smart-health-card",
        json!({ "verifiableCredential": [vaccinated.jws, tested.jws] }).to_string(),
    )?;
    corpus.put(
        "shc_jws",
        "healthcode-parameters.json",
        json!({
            "resourceType": "Parameters",
            "parameter": [{ "name": "verifiableCredential", "valueString": tested.jws }]
        })
        .to_string(),
    )?;
    Ok(())
}

/// What people type into registration and login forms.
fn identity(corpus: &mut Corpus) -> Result<(), Error> {
    let birth = jiff::civil::date(1990, 9, 9);
    let resident = make_resident_id("350102", birth, 501).ok_or("resident id")?;
    let woman = make_resident_id("110101", jiff::civil::date(1949, 10, 1), 2).ok_or("id")?;
    let retired_region = make_resident_id("110103", birth, 17).ok_or("id")?;
    let x_check = (0..1000)
        .filter_map(|seq| make_resident_id("440305", birth, seq))
        .find(|id| id.ends_with('X'))
        .ok_or("id ending in X")?;
    let fullwidth: String = resident
        .chars()
        .map(|c| char::from_u32(u32::from(c) + 0xFEE0).unwrap_or(c))
        .collect();
    let mut bad_check = resident.clone();
    bad_check.pop();
    bad_check.push(if resident.ends_with('0') { '1' } else { '0' });
    let spaced = format!(
        "{} {} {}",
        &resident[..6],
        &resident[6..14],
        &resident[14..]
    );
    let seeds: Vec<(&str, String)> = vec![
        ("resident-id", resident.clone()),
        ("resident-id-woman-1949", woman),
        ("resident-id-retired-region", retired_region),
        ("resident-id-x", x_check.clone()),
        ("resident-id-lower-x", x_check.to_lowercase()),
        ("resident-id-fullwidth", fullwidth),
        ("resident-id-spaced", spaced),
        ("resident-id-dashed", resident.replace("1990", "-1990-")),
        ("resident-id-bad-check", bad_check),
        ("resident-id-future", "350102203001010011".to_owned()),
        ("passport", "E12345678".to_owned()),
        ("passport-long", "P<CHNZHANG<<SAN<<<<".to_owned()),
        ("hk-permit", "H12345678".to_owned()),
        ("macao-permit-booklet", "M1234567890".to_owned()),
        ("taiwan-permit", "12345678".to_owned()),
        ("foreign-residence-2017", "USA350102900101".to_owned()),
        ("foreign-residence-2023", "935010219900909501".to_owned()),
        ("name-chinese", "张三明".to_owned()),
        ("name-compound", "欧阳娜娜".to_owned()),
        ("name-transliterated", "买买提·艾力".to_owned()),
        ("name-bullet", "买买提•艾力".to_owned()),
        ("name-latin", "John Smith".to_owned()),
        (
            "name-long",
            "Maria Guadalupe Hernandez Rodriguez".to_owned(),
        ),
        ("name-vietnamese", "Nguyễn Văn An".to_owned()),
        ("name-combining", "Jose\u{301} O'Brien-Smith".to_owned()),
        ("name-fullwidth", "ＪＯＨＮ　ＳＭＩＴＨ".to_owned()),
        ("name-extension-b", "𠀀𠀁".to_owned()),
        ("phone-mainland", "13812345678".to_owned()),
        ("phone-plus86", "+86 138-1234-5678".to_owned()),
        ("phone-0086", "0086 (138) 1234 5678".to_owned()),
        ("phone-fullwidth", "１３８１２３４５６７８".to_owned()),
        ("phone-international", "+44 20 7946 0958".to_owned()),
        ("password", "correct horse battery staple".to_owned()),
        ("password-common", "Password1".to_owned()),
        ("division", "350102".to_owned()),
        ("split-chinese", "欧阳娜娜\n欧阳\n娜娜".to_owned()),
        ("split-latin-reversed", "John Smith\nSmith\nJohn".to_owned()),
        (
            "split-no-given-name",
            "买买提·艾力\n买买提·艾力\n".to_owned(),
        ),
    ];
    for (name, value) in seeds {
        corpus.put("identity", name, value)?;
    }
    Ok(())
}

/// Results files as laboratories send them, and as they go wrong.
fn csv_import(corpus: &mut Corpus) -> Result<(), Error> {
    let header = "tube_id,kind,outcome,laboratory,sample_at,result_at";
    let sample = "2025-06-15T06:00:00Z";
    let seeds: Vec<(&str, String)> = vec![
        (
            "results",
            format!(
                "{header}\nPOOL-1,pcr,negative,Lab A,{sample},\n\
                 SOLO-1,pcr,positive,Lab A,{sample},2025-06-15T12:00:00+08:00\n"
            ),
        ),
        (
            "bad-rows",
            format!(
                "{header}\nNOPE-9,pcr,negative,Lab A,{sample},\n\
                 POOL-1,blood,negative,Lab A,{sample},\nSOLO-1,pcr,negative\n"
            ),
        ),
        (
            "reordered-columns",
            format!(
                "sample_at,laboratory,outcome,kind,tube_id\n{sample},福州实验室,negative,antigen,T_2\n"
            ),
        ),
        (
            "quoted-crlf",
            format!(
                "{header}\r\n\"T-3\",\"pcr\",\"negative\",\"Lab, \"\"B\"\"\",\"{sample}\",\"\"\r\n"
            ),
        ),
        (
            "spaces",
            format!("{header}\n  T-4 , pcr , negative , Lab C , {sample} ,  \n"),
        ),
        (
            "extra-column",
            format!("{header},note\nT-5,pcr,negative,Lab A,{sample},,re-run\n"),
        ),
        (
            "missing-column",
            "tube_id,kind,outcome,laboratory\nT-6,pcr,negative,Lab A\n".to_owned(),
        ),
        (
            "bom",
            format!("\u{feff}{header}\nT-7,pcr,negative,Lab A,{sample},\n"),
        ),
        ("header-only", format!("{header}\n")),
    ];
    for (name, value) in seeds {
        corpus.put("csv_import", &format!("{name}.csv"), value)?;
    }
    Ok(())
}

/// `[expression, data]` pairs from the CertLogic specification's test suite, taken
/// round-robin over its files, and expressions from its validation suite.
fn certlogic(corpus: &mut Corpus, dir: &Path) -> Result<(), Error> {
    let mut per_file: Vec<(String, Vec<Value>)> = Vec::new();
    for suite in ["testSuite", "validation-testSuite"] {
        let mut files: Vec<PathBuf> = fs::read_dir(dir.join(suite))?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for file in files {
            let stem = file
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("suite")
                .to_owned();
            let doc: Value = serde_json::from_str(&fs::read_to_string(&file)?)?;
            let mut seeds = Vec::new();
            for case in doc
                .get("cases")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(expr) = case.get("certLogicExpression") else {
                    continue;
                };
                let data = case
                    .pointer("/assertions/0/data")
                    .cloned()
                    .unwrap_or_else(|| json!({}));
                seeds.push(json!([expr, data]));
            }
            per_file.push((stem, seeds));
        }
    }
    let mut taken = 0;
    let mut round = 0;
    while taken < MAX_CERTLOGIC_SEEDS {
        let mut any = false;
        for (stem, seeds) in &per_file {
            if let Some(seed) = seeds.get(round)
                && taken < MAX_CERTLOGIC_SEEDS
            {
                corpus.put(
                    "certlogic",
                    &format!("{stem}-{round}.json"),
                    seed.to_string(),
                )?;
                taken += 1;
                any = true;
            }
        }
        if !any {
            break;
        }
        round += 1;
    }
    Ok(())
}

/// A body for every JSON request of the API, and the shipped policies and
/// retention schedule.
fn json_requests(corpus: &mut Corpus, (personal, place): &(String, String)) -> Result<(), Error> {
    let resident = make_resident_id("350102", jiff::civil::date(1990, 9, 9), 501).ok_or("id")?;
    let bodies: Vec<(&str, Value)> = vec![
        (
            "register",
            json!({ "name": "张三明", "document_type": "resident_id", "document_number": resident,
                    "phone": "13812345678", "password": "correct horse battery", "address": "福州市鼓楼区 1 号" }),
        ),
        (
            "register-passport",
            json!({ "name": "John Smith", "document_type": "passport", "document_number": "E12345678",
                    "phone": "+44 20 7946 0958", "password": "correct horse battery" }),
        ),
        (
            "login-document",
            json!({ "document_number": resident, "password": "correct horse battery" }),
        ),
        (
            "login-phone",
            json!({ "phone": "+86 138 1234 5678", "password": "correct horse battery" }),
        ),
        (
            "login-staff",
            json!({ "username": "checker-1", "password": "correct horse battery" }),
        ),
        (
            "override",
            json!({ "document_type": "resident_id", "document_number": resident, "colour": "red",
                    "justification": "close contact of a confirmed case", "expires_at": "2025-06-20T00:00:00Z" }),
        ),
        (
            "appeal",
            json!({ "text": "I was not at this venue on that day." }),
        ),
        (
            "resolution",
            json!({ "decision": "upheld", "note": "The check-in was recorded in error." }),
        ),
        (
            "risk-area-division",
            json!({ "scope_kind": "division", "scope": "350102", "level": "high", "name": "鼓楼区",
                    "from": "2025-06-14T00:00:00+08:00", "until": "2025-06-16T00:00:00+08:00" }),
        ),
        (
            "risk-area-venue",
            json!({ "scope_kind": "venue", "scope": "v-AbC123", "level": "medium", "from": "2025-06-14T08:00:00Z" }),
        ),
        (
            "self-test",
            json!({ "positive": false, "taken_at": "2025-06-15T07:00:00Z" }),
        ),
        ("self-test-now", json!({ "positive": true })),
        (
            "declaration",
            json!({ "symptoms": ["fever", "dry_cough"], "temperature_c": 37.6, "travel": ["350102", "110101"] }),
        ),
        ("declaration-empty", json!({})),
        (
            "place-scan",
            json!({ "place_code": place, "scan_id": "scan-0001" }),
        ),
        (
            "code-scan",
            json!({ "personal_code": personal, "venue_id": "v-AbC123", "scan_id": "a:b.c_d-1" }),
        ),
        ("sample-scan", json!({ "personal_code": personal })),
        ("open-tube", json!({ "tube_id": "POOL-1", "capacity": 10 })),
        (
            "result",
            json!({ "tube_id": "POOL-1", "kind": "pcr", "outcome": "negative", "laboratory": "Lab A",
                    "sample_at": "2025-06-15T06:00:00Z", "result_at": "2025-06-15T12:00:00+08:00" }),
        ),
        ("keep-account", json!({ "keep": true })),
        (
            "name-parts",
            json!({ "surname": "欧阳", "given_name": "娜娜" }),
        ),
        ("name-parts-no-given-name", json!({ "surname": "Smith" })),
        (
            "delete-account",
            json!({ "password": "correct horse battery" }),
        ),
        (
            "erasure",
            json!({ "document_type": "resident_id", "document_number": resident, "reference": "FJ/2025/0042" }),
        ),
        (
            "disposal",
            json!({ "purpose": "epidemic-prevention", "threshold": 10 }),
        ),
        (
            "venue",
            json!({ "name": "鼓楼区图书馆", "address": "福州市鼓楼区 1 号", "division": "350102" }),
        ),
        (
            "closure",
            json!({ "service": "check-ins", "closure": "suspended", "from": "2025-06-16T00:00:00+08:00",
                    "notice_zh": "场所码扫码暂停。", "notice_en": "Check-ins are suspended." }),
        ),
    ];
    for (name, body) in bodies {
        corpus.put("json_requests", &format!("{name}.json"), body.to_string())?;
    }
    for (name, text) in [
        (
            "policy-2022-dynamic-zero.json",
            include_str!("../../crates/domain/policies/2022-dynamic-zero.json"),
        ),
        (
            "policy-2022-12-all-green.json",
            include_str!("../../crates/domain/policies/2022-12-all-green.json"),
        ),
        (
            "retention-2026-default.json",
            healthcode_domain::retention::SHIPPED_SCHEDULE,
        ),
    ] {
        corpus.put("json_requests", name, text)?;
    }
    Ok(())
}
