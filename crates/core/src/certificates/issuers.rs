//! The issuers of the international formats (EU DCC, SMART Health Cards): their
//! keys, and how a person's facts map onto each format.
//!
//! Each format has one issuer key, generated on first start and kept (sealed under a
//! key derived from the master key) in the `credential_keys` table, so every app server signs under the
//! same DSC and JWKS key and a restart changes nothing a verifier has cached.
//! The audit log's tree-head key lives there too, made and sealed the same way.
//!
//! Mapping choices, which verifiers abroad will see:
//!
//! - **Names.** As the holder's passport prints them: the surname in the DCC's
//!   `fn` (SMART Health Card `family`), the given name in `gn` (SHC `given`), as
//!   the person gave or confirmed them, else as proposed from the registered name
//!   ([`NameParts::propose`]: 刘建华 → 刘 / 建华, 欧阳娜娜 → 欧阳 / 娜娜). Their ICAO
//!   9303 forms go into `fnt` and `gnt`: Chinese characters in Hanyu Pinyin
//!   without tones, each name one word as Chinese passports print it (刘 → `LIU`,
//!   建华 → `JIANHUA`, 欧阳 → `OUYANG`), `ü` as `YU` (吕 → `LYU`), words of Latin
//!   names joined by `<`. A character with several readings gets its most
//!   common one, which may differ from the holder's passport for a few surnames
//!   (单 Shan, 曾 Zeng…); correcting that needs the Pinyin from the person.
//! - **Birth date.** Taken from the resident ID number; for other documents it is
//!   unknown, and the DCC carries the empty `dob` its schema allows. SMART Health
//!   Cards require a birth date, so such holders get no SHC (`shc.birth_date_unknown`).
//! - **Vaccines.** Known products map to EU value-set codes and CVX codes
//!   ([`VaccineCodes::for_product`]). A product the EU value sets have no code for
//!   (智飞 ZF2001, for one) gets no DCC: a DCC must name its product and its
//!   manufacturer by code, and one that does not is refused by every verifier. Such
//!   a vaccination is listed as not issued, with the reason; its SMART Health Card
//!   entry is CVX 213 (unspecified formulation).
//! - **Tests.** PCR is NAAT (`LP6464-4`, LOINC 94500-6), antigen is RAT
//!   (`LP217198-3`, LOINC 94558-4). A pooled positive says only that someone in
//!   the pool is positive, so it is never exported; pooled negatives are.
//!   A test certificate expires 72 hours after the sample, so tests older than
//!   that are not issued; a vaccination certificate is valid 365 days from issue.

use aws_lc_rs::digest;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use healthcode_credentials::keys::SigningKey;
use healthcode_dcc::{
    CertType, DISEASE_COVID19, DccIssuer, HealthCertificate, IssuerParams, Name, RESULT_DETECTED,
    RESULT_NOT_DETECTED, TEST_NAAT, TEST_RAT, TestEntry, VaccinationEntry,
};
use healthcode_domain::actor::Actor;
use healthcode_domain::audit::{Act, Draft};
use healthcode_domain::facts::{PersonFacts, TestKind, TestOutcome, TestResult, Vaccination};
use healthcode_domain::identity::{Document, DocumentType};
use healthcode_domain::name_parts::NameParts;
use healthcode_shc::{ImmunizationInput, LabResultInput, Person, ShcError, ShcIssuer};
use healthcode_store::{
    CredentialKeyRecord, PersonRecord, RetiredCredentialKey, Store, StoreError,
};
use jiff::civil::Date;
use pinyin::ToPinyin as _;

use crate::clock::{china_date, rfc3339, timestamp};
use crate::config::ServerConfig;
use crate::people::OpenedPerson;
use crate::secrets::Secrets;

/// The country every certificate names (DSC subject, CWT issuer, `co`).
pub const COUNTRY: &str = "CN";
/// Most certificates of each kind issued in one answer: the latest ones.
pub const MAX_PER_KIND: usize = 10;
/// How long a test certificate is valid after the sample was taken.
pub const TEST_VALIDITY: i64 = 72 * 3600;
/// How long a vaccination certificate is valid after it is issued.
pub const VACCINATION_VALIDITY: i64 = 365 * 86_400;
/// How long a newly generated DSC is valid.
const DSC_VALIDITY: i64 = 2 * 365 * 86_400;

const FORMAT_DCC: &str = "dcc";
const FORMAT_SHC: &str = "shc";
/// The audit log's tree-head key, stored beside the issuer keys.
const FORMAT_AUDIT: &str = "audit";

/// Why the issuer keys of the international formats could not be loaded or made.
#[derive(Debug, thiserror::Error)]
pub enum CredentialKeyError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The sealed key or its certificate is unusable (wrong master key, tampering).
    #[error("the {format} issuer key could not be opened: {reason}")]
    Unseal {
        format: &'static str,
        reason: String,
    },
    /// Not `dcc` or `shc`.
    #[error("unknown certificate format {0:?}: dcc or shc")]
    UnknownFormat(String),
    /// The key could not be sealed.
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
    /// Key or certificate generation failed.
    #[error("the {format} issuer key could not be generated: {reason}")]
    Generate {
        format: &'static str,
        reason: String,
    },
}

/// The issuers of the international formats, as last loaded (servers reload
/// them with the signing keys, so a rotation reaches every server).
pub struct CredentialIssuers {
    /// EU DCC: ES256 key and its self-signed DSC.
    pub dcc: DccIssuer,
    /// SMART Health Cards: ES256 key, `iss` = the configured public URL.
    pub shc: ShcIssuer,
    /// Rotated-out keys whose public part is still published.
    pub retired: Vec<RetiredCredentialKey>,
    /// The key that signs the audit log's tree heads (Ed25519), and when it
    /// was made; kept with the issuer keys, sealed the same way.
    pub audit: SigningKey,
    pub audit_since: i64,
}

impl CredentialIssuers {
    /// Every DSC verifiers should trust, base64 of DER: the signing one first,
    /// then the retired ones still within their `verify_until`.
    pub fn dcc_signers(&self) -> Vec<String> {
        let encode = |der: &[u8]| base64::engine::general_purpose::STANDARD.encode(der);
        std::iter::once(encode(self.dcc.certificate_der()))
            .chain(
                self.retired
                    .iter()
                    .filter(|k| k.format == FORMAT_DCC)
                    .map(|k| encode(&k.public_part)),
            )
            .collect()
    }

    /// The audit keys rotated out: the heads they signed still verify.
    pub fn retired_audit_keys(&self) -> impl Iterator<Item = &RetiredCredentialKey> {
        self.retired.iter().filter(|k| k.format == FORMAT_AUDIT)
    }

    /// The SMART Health Cards JWKS: the signing key and the retired ones still
    /// published.
    pub fn shc_jwks(&self) -> serde_json::Value {
        let mut jwks = self.shc.jwks();
        if let Some(keys) = jwks["keys"].as_array_mut() {
            keys.extend(
                self.retired
                    .iter()
                    .filter(|k| k.format == FORMAT_SHC)
                    .filter_map(|k| serde_json::from_slice(&k.public_part).ok()),
            );
        }
        jwks
    }
}

/// How long a retired SMART Health Cards key stays in the JWKS: cards carry no
/// expiry, so it is kept long; withdraw it sooner if it is compromised.
const SHC_KEY_RETENTION: i64 = 10 * 365 * 86_400;

/// How long a retired audit key stays in the trust list: the log's heads are
/// checked for as long as the log is kept, so a century.
const AUDIT_KEY_RETENTION: i64 = 100 * 365 * 86_400;

/// Replaces the key of `format` (`dcc`, `shc` or `audit`) with a new one and keeps
/// the old public part published until what it signed has expired; returns the
/// retired key's kid. Servers pick the new key up at their next key reload.
pub async fn rotate(
    store: &Store,
    secrets: &Secrets,
    config: &ServerConfig,
    format: &str,
    now: i64,
) -> Result<String, CredentialKeyError> {
    let current = CredentialIssuers::load_or_generate(store, secrets, config, now).await?;
    let (new, retired) = match format {
        FORMAT_DCC => (
            new_dcc_record(secrets, config, now)?,
            RetiredCredentialKey {
                format: FORMAT_DCC.to_owned(),
                kid: URL_SAFE_NO_PAD.encode(current.dcc.kid()),
                public_part: current.dcc.certificate_der().to_vec(),
                retired_at: now,
                verify_until: now + VACCINATION_VALIDITY,
            },
        ),
        FORMAT_SHC => {
            let jwk = current.shc.jwks()["keys"][0].clone();
            (
                new_shc_record(secrets, now)?,
                RetiredCredentialKey {
                    format: FORMAT_SHC.to_owned(),
                    kid: current.shc.kid().to_owned(),
                    public_part: serde_json::to_vec(&jwk).map_err(|e| {
                        CredentialKeyError::Generate {
                            format: FORMAT_SHC,
                            reason: e.to_string(),
                        }
                    })?,
                    retired_at: now,
                    verify_until: now + SHC_KEY_RETENTION,
                },
            )
        }
        FORMAT_AUDIT => (
            new_audit_record(secrets, now)?,
            RetiredCredentialKey {
                format: FORMAT_AUDIT.to_owned(),
                kid: current.audit.kid().to_owned(),
                public_part: current.audit.public_key().to_vec(),
                retired_at: now,
                verify_until: now + AUDIT_KEY_RETENTION,
            },
        ),
        _ => return Err(CredentialKeyError::UnknownFormat(format.to_owned())),
    };
    let mut unit = store.begin(Actor::Operator, now).await?;
    unit.rotate_credential_key(&new, &retired).await?;
    unit.audit(
        Draft::new(Act::KeyRotated)
            .detail("key", format)
            .detail("retired_kid", &retired.kid),
    );
    unit.commit().await?;
    Ok(retired.kid)
}

/// Withdraws a retired issuer key of `format` at once (compromised): what it
/// signed stops verifying once servers reload. Returns whether there was one.
pub async fn withdraw(
    store: &Store,
    format: &str,
    kid: &str,
    now: i64,
) -> Result<bool, CredentialKeyError> {
    if ![FORMAT_DCC, FORMAT_SHC, FORMAT_AUDIT].contains(&format) {
        return Err(CredentialKeyError::UnknownFormat(format.to_owned()));
    }
    let mut unit = store.begin(Actor::Operator, now).await?;
    let withdrawn = unit.withdraw_credential_key(format, kid).await?;
    if withdrawn {
        unit.audit(
            Draft::new(Act::KeyRevoked)
                .detail("key", format)
                .detail("kid", kid),
        );
    }
    unit.commit().await?;
    Ok(withdrawn)
}

impl std::fmt::Debug for CredentialIssuers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialIssuers")
            .field("dcc", &self.dcc)
            .field("shc_kid", &self.shc.kid())
            .finish()
    }
}

/// The sealing label for a format's sealed key (binds the secret to its row).
fn seal_label(format: &str) -> String {
    format!("credential-key:{format}")
}

impl CredentialIssuers {
    /// Loads both issuers, generating (and storing) a key the first time a format
    /// is used. Safe when servers start together: the store keeps the first key
    /// inserted and everyone loads that one.
    pub async fn load_or_generate(
        store: &Store,
        secrets: &Secrets,
        config: &ServerConfig,
        now: i64,
    ) -> Result<CredentialIssuers, CredentialKeyError> {
        let dcc = match store.credential_key(FORMAT_DCC).await? {
            Some(record) => record,
            None => {
                generate_dcc(store, secrets, config, now).await?;
                store
                    .credential_key(FORMAT_DCC)
                    .await?
                    .ok_or(StoreError::NotFound)?
            }
        };
        let shc = match store.credential_key(FORMAT_SHC).await? {
            Some(record) => record,
            None => {
                generate_shc(store, secrets, now).await?;
                store
                    .credential_key(FORMAT_SHC)
                    .await?
                    .ok_or(StoreError::NotFound)?
            }
        };
        let audit = match store.credential_key(FORMAT_AUDIT).await? {
            Some(record) => record,
            None => {
                insert_key(store, &new_audit_record(secrets, now)?, now).await?;
                store
                    .credential_key(FORMAT_AUDIT)
                    .await?
                    .ok_or(StoreError::NotFound)?
            }
        };
        let audit_since = audit.created_at;
        let audit =
            SigningKey::from_pkcs8(&unseal(secrets, FORMAT_AUDIT, &audit)?).map_err(|e| {
                CredentialKeyError::Unseal {
                    format: FORMAT_AUDIT,
                    reason: e.to_string(),
                }
            })?;
        Ok(CredentialIssuers {
            audit,
            audit_since,
            dcc: open_dcc(secrets, &dcc)?,
            shc: open_shc(secrets, &shc, &config.public_url)?,
            retired: store.retired_credential_keys(now).await?,
        })
    }
}

/// A new audit key, sealed for storage.
fn new_audit_record(
    secrets: &Secrets,
    now: i64,
) -> Result<CredentialKeyRecord, CredentialKeyError> {
    let (_, secret) = SigningKey::generate().map_err(|e| CredentialKeyError::Generate {
        format: FORMAT_AUDIT,
        reason: e.to_string(),
    })?;
    Ok(CredentialKeyRecord {
        format: FORMAT_AUDIT.to_owned(),
        secret_sealed: secrets.seal_secret(&seal_label(FORMAT_AUDIT), secret.as_bytes())?,
        certificate: None,
        created_at: now,
    })
}

async fn generate_dcc(
    store: &Store,
    secrets: &Secrets,
    config: &ServerConfig,
    now: i64,
) -> Result<bool, CredentialKeyError> {
    insert_key(store, &new_dcc_record(secrets, config, now)?, now).await
}

/// Stores a new issuer key unless its format has one (the operator's act of
/// starting the service on a store without keys).
async fn insert_key(
    store: &Store,
    record: &CredentialKeyRecord,
    now: i64,
) -> Result<bool, CredentialKeyError> {
    let mut unit = store.begin(Actor::Operator, now).await?;
    let stored = unit.insert_credential_key(record).await?;
    unit.commit().await?;
    Ok(stored)
}

/// A fresh DCC key and self-signed DSC, sealed, ready to store.
fn new_dcc_record(
    secrets: &Secrets,
    config: &ServerConfig,
    now: i64,
) -> Result<CredentialKeyRecord, CredentialKeyError> {
    let fail = |reason: String| CredentialKeyError::Generate {
        format: FORMAT_DCC,
        reason,
    };
    let issuer = DccIssuer::generate(&IssuerParams {
        country: COUNTRY.to_owned(),
        common_name: truncate(&format!("{} DCC", config.issuer_name), 64),
        not_before: now,
        not_after: now + DSC_VALIDITY,
        kinds: vec![CertType::Vaccination, CertType::Test],
    })
    .map_err(|e| fail(e.to_string()))?;
    let sealed = secrets.seal_secret(&seal_label(FORMAT_DCC), issuer.pkcs8_der())?;
    Ok(CredentialKeyRecord {
        format: FORMAT_DCC.to_owned(),
        secret_sealed: sealed,
        certificate: Some(issuer.certificate_der().to_vec()),
        created_at: now,
    })
}

async fn generate_shc(
    store: &Store,
    secrets: &Secrets,
    now: i64,
) -> Result<bool, CredentialKeyError> {
    insert_key(store, &new_shc_record(secrets, now)?, now).await
}

/// A fresh SMART Health Cards key, sealed, ready to store.
fn new_shc_record(secrets: &Secrets, now: i64) -> Result<CredentialKeyRecord, CredentialKeyError> {
    let pkcs8 = ShcIssuer::generate_pkcs8().map_err(|e| CredentialKeyError::Generate {
        format: FORMAT_SHC,
        reason: e.to_string(),
    })?;
    let sealed = secrets.seal_secret(&seal_label(FORMAT_SHC), &pkcs8)?;
    Ok(CredentialKeyRecord {
        format: FORMAT_SHC.to_owned(),
        secret_sealed: sealed,
        certificate: None,
        created_at: now,
    })
}

fn open_dcc(
    secrets: &Secrets,
    record: &CredentialKeyRecord,
) -> Result<DccIssuer, CredentialKeyError> {
    let fail = |reason: String| CredentialKeyError::Unseal {
        format: FORMAT_DCC,
        reason,
    };
    let pkcs8 = unseal(secrets, FORMAT_DCC, record)?;
    let cert = record
        .certificate
        .as_deref()
        .ok_or_else(|| fail("no DSC certificate stored".to_owned()))?;
    DccIssuer::from_parts(&pkcs8, cert, COUNTRY).map_err(|e| fail(e.to_string()))
}

fn open_shc(
    secrets: &Secrets,
    record: &CredentialKeyRecord,
    iss: &str,
) -> Result<ShcIssuer, CredentialKeyError> {
    let pkcs8 = unseal(secrets, FORMAT_SHC, record)?;
    ShcIssuer::from_pkcs8(iss, &pkcs8).map_err(|e| CredentialKeyError::Unseal {
        format: FORMAT_SHC,
        reason: e.to_string(),
    })
}

/// A stored key's PKCS#8, opened with the secrets key (wiped from memory when dropped).
fn unseal(
    secrets: &Secrets,
    format: &'static str,
    record: &CredentialKeyRecord,
) -> Result<impl std::ops::Deref<Target = Vec<u8>>, CredentialKeyError> {
    secrets
        .open_secret(&seal_label(format), &record.secret_sealed)
        .map_err(|e| CredentialKeyError::Unseal {
            format,
            reason: e.to_string(),
        })
}

fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

/// A surname or given name in ICAO 9303 form via Hanyu Pinyin, as Chinese
/// passports print it: a run of Chinese characters is one word (建华 →
/// `JIANHUA`), Latin letters are kept (upper-cased), spaces, hyphens and the
/// middle dot of minority names separate words with `<`, anything else is
/// dropped. At most 80 characters, the DCC schema's limit.
pub fn icao_transliteration(name: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut latin = String::new();
    let flush = |latin: &mut String, parts: &mut Vec<String>| {
        if !latin.is_empty() {
            parts.push(std::mem::take(latin));
        }
    };
    for c in name.chars() {
        if c.is_ascii_alphabetic() {
            latin.push(c.to_ascii_uppercase());
        } else if let Some(p) = c.to_pinyin() {
            // Syllables of one run of characters make one word, as `latin` does.
            let syllable: String = p
                .plain()
                .chars()
                .flat_map(|ch| match ch {
                    'ü' | 'Ü' | 'v' | 'V' => vec!['Y', 'U'],
                    ch if ch.is_ascii_alphabetic() => vec![ch.to_ascii_uppercase()],
                    _ => Vec::new(),
                })
                .collect();
            latin.push_str(&syllable);
        } else {
            flush(&mut latin, &mut parts);
        }
    }
    flush(&mut latin, &mut parts);
    truncate(&parts.join("<"), 80)
}

/// The codes a vaccine product is exported under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaccineCodes {
    /// The EU value-set codes of a DCC; `None` when the EU value sets have none
    /// for the product, which then gets no DCC.
    pub dcc: Option<DccProductCodes>,
    /// CVX code for SMART Health Cards.
    pub cvx: &'static str,
}

/// A vaccine product as a DCC names it, every field a code of the EU value sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DccProductCodes {
    /// `vp` (vaccine or prophylaxis).
    pub vp: String,
    /// `mp` (medicinal product).
    pub mp: String,
    /// `ma` (marketing authorisation holder or manufacturer).
    pub ma: String,
}

/// One name of each product [`VaccineCodes::for_product`] maps to EU codes: what
/// the tests issue, so that a product added there is checked everywhere.
pub const EU_CODED_PRODUCTS: [&str; 6] = [
    "BBIBP-CorV",
    "WIBP-CorV",
    "CoronaVac",
    "Convidecia",
    "SCTV01C",
    "Comirnaty",
];

/// CVX "SARS-COV-2 (COVID-19) vaccine, unspecified formulation".
const CVX_UNSPECIFIED: &str = "213";

impl VaccineCodes {
    /// Maps a recorded product name (English or Chinese, any case) to its codes.
    /// The products are those given in China that the EU value sets name; any
    /// other has no DCC codes and CVX 213.
    pub fn for_product(product: &str) -> VaccineCodes {
        let p = product.trim().to_lowercase();
        let has = |keys: &[&str]| keys.iter().any(|k| p.contains(k));
        let known = |vp: &str, mp: &str, ma: &str, cvx| VaccineCodes {
            dcc: Some(DccProductCodes {
                vp: vp.to_owned(),
                mp: mp.to_owned(),
                ma: ma.to_owned(),
            }),
            cvx,
        };
        // Wuhan's Sinopharm vaccine before the Beijing one: both say "sinopharm".
        if has(&["wibp", "武汉生物"]) {
            known("J07BX03", "WIBP-CorV", "Sinopharm-WIBP", CVX_UNSPECIFIED)
        } else if has(&["bbibp", "sinopharm", "国药", "北京生物"]) {
            known("J07BX03", "BBIBP-CorV", "ORG-100020693", "510")
        } else if has(&["coronavac", "sinovac", "科兴"]) {
            known("J07BX03", "CoronaVac", "ORG-100032020", "511")
        } else if has(&["convidecia", "cansino", "康希诺", "克威莎"]) {
            known("J07BX03", "Convidecia", "ORG-100013793", CVX_UNSPECIFIED)
        } else if has(&["sctv01c", "sinocelltech", "神州细胞"]) {
            known("J07BX03", "SCTV01C", "ORG-100026614", CVX_UNSPECIFIED)
        } else if has(&["comirnaty", "eu/1/20/1528", "biontech", "pfizer", "复必泰"]) {
            known("1119349007", "EU/1/20/1528", "ORG-100030215", "208")
        } else {
            VaccineCodes {
                dcc: None,
                cvx: CVX_UNSPECIFIED,
            }
        }
    }
}

/// The holder as certificates name them; decrypted for the request only.
#[derive(Clone)]
pub struct Holder {
    /// The surname and given name as the holder's travel document prints them.
    pub name: NameParts,
    /// From the resident ID number; `None` for other documents.
    pub birth_date: Option<Date>,
}

/// Decrypts the holder's name and, for resident IDs, derives the birth date.
pub fn holder(
    opened: &OpenedPerson<'_>,
    person: &PersonRecord,
    now: i64,
) -> Result<Holder, crate::Error> {
    let (name, _) = opened.name_parts(person)?;
    let birth_date = match DocumentType::parse(&person.document_type) {
        Some(DocumentType::ResidentId) => {
            let number = opened.document(&person.document_enc)?;
            Document::parse(
                DocumentType::ResidentId,
                &number,
                china_date(timestamp(now)),
            )
            .ok()
            .and_then(|d| d.resident)
            .map(|r| r.birth_date)
        }
        _ => None,
    };
    Ok(Holder { name, birth_date })
}

/// Which facts are exported: the latest [`MAX_PER_KIND`] vaccinations (by date)
/// and personal test results (by sample time, pooled positives left out).
pub fn exportable(facts: &PersonFacts) -> (Vec<Vaccination>, Vec<TestResult>) {
    let mut vaccinations = facts.vaccinations.clone();
    vaccinations.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| b.dose.cmp(&a.dose)));
    vaccinations.truncate(MAX_PER_KIND);
    let mut tests: Vec<TestResult> = facts
        .tests
        .iter()
        .filter(|t| !(t.pooled && t.outcome == TestOutcome::Positive))
        .cloned()
        .collect();
    tests.sort_by_key(|t| std::cmp::Reverse(t.sample_at));
    tests.truncate(MAX_PER_KIND);
    (vaccinations, tests)
}

/// One issued DCC.
#[derive(Debug, Clone)]
pub struct IssuedDcc {
    /// `vaccination` or `test`.
    pub kind: &'static str,
    /// The fact it certifies, so the citizen can tell certificates apart.
    pub fact_id: String,
    /// The `HC1:` text.
    pub payload: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// The DCCs issued for a citizen, and what could not be.
#[derive(Default)]
pub struct IssuedDccs {
    /// One per exported vaccination and unexpired test.
    pub issued: Vec<IssuedDcc>,
    /// Vaccinations whose product has no EU code, each with its reason.
    pub not_issued: Vec<super::DccNotIssued>,
}

/// Why a certificate could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The DCC library refused the certificate (schema, key usage, signing).
    #[error("DCC: {0}")]
    Dcc(#[from] healthcode_dcc::DccError),
    /// The SMART Health Cards library refused the card.
    #[error("SHC: {0}")]
    Shc(#[from] ShcError),
    /// The UVCI could not be built.
    #[error("UVCI: {0}")]
    Uvci(String),
}

impl IssueError {
    /// The underlying stable code, safe to log: unlike the message, it can never
    /// echo a name or a date from the certificate.
    pub fn code(&self) -> &'static str {
        match self {
            IssueError::Dcc(e) => e.code(),
            IssueError::Shc(e) => e.code(),
            IssueError::Uvci(_) => "uvci",
        }
    }
}

/// A UVCI that stays the same for the same fact, so re-downloading a certificate
/// does not mint a new identifier (and one fact's certificates can be revoked
/// together): `URN:UVCI:01:CN:{issuer}/{20 base32 of SHA-256(fact id)}#{check}`.
pub fn fact_uvci(issuer_code: &str, fact_id: &str) -> Result<String, IssueError> {
    const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let hash = digest::digest(
        &digest::SHA256,
        format!("healthcode-uvci:{fact_id}").as_bytes(),
    );
    let tail: String = hash
        .as_ref()
        .iter()
        .take(20)
        .map(|b| char::from(B32[usize::from(b & 31)]))
        .collect();
    let code: String = issuer_code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    healthcode_dcc::uvci(COUNTRY, &format!("{code}/{tail}"))
        .map_err(|e| IssueError::Uvci(e.to_string()))
}

/// What issuing needs to know about the issuer, besides the keys.
#[derive(Debug, Clone)]
pub struct IssuerInfo {
    /// GB/T 2260 code, used in UVCIs.
    pub code: String,
    /// Display name, the DCC `is` and the SHC performer of vaccinations.
    pub name: String,
}

/// Issues one DCC per exported vaccination and per unexpired test, at `now`;
/// a vaccination whose product has no EU code is listed as not issued.
pub fn issue_dccs(
    issuer: &DccIssuer,
    info: &IssuerInfo,
    holder: &Holder,
    vaccinations: &[Vaccination],
    tests: &[TestResult],
    now: i64,
) -> Result<IssuedDccs, IssueError> {
    let (surname, given) = (holder.name.surname(), holder.name.given());
    let name = Name::transliterated(
        &truncate(surname, 80),
        &truncate(given, 80),
        &icao_transliteration(surname),
        &icao_transliteration(given),
    );
    let dob = holder.birth_date.map(|d| d.to_string()).unwrap_or_default();
    let is = truncate(&info.name, 80);
    let mut out = IssuedDccs::default();
    for v in vaccinations {
        let Some(codes) = VaccineCodes::for_product(&v.product).dcc else {
            out.not_issued.push(super::DccNotIssued {
                kind: "vaccination".to_owned(),
                fact_id: v.id.clone(),
                product: v.product.clone(),
                reason: super::PRODUCT_NOT_CODED.to_owned(),
            });
            continue;
        };
        let entry = VaccinationEntry {
            tg: DISEASE_COVID19.to_owned(),
            vp: codes.vp,
            mp: codes.mp,
            ma: codes.ma,
            dn: u32::from(v.dose.max(1)),
            sd: u32::from(v.of.max(1)),
            dt: v.date.to_string(),
            co: COUNTRY.to_owned(),
            issuer: is.clone(),
            ci: fact_uvci(&info.code, &v.id)?,
        };
        let exp = now + VACCINATION_VALIDITY;
        let cert = HealthCertificate::vaccination(name.clone(), &dob, entry);
        out.issued.push(IssuedDcc {
            kind: "vaccination",
            fact_id: v.id.clone(),
            payload: issuer.issue(&cert, now, exp)?,
            expires_at: exp,
        });
    }
    for t in tests {
        let exp = t.sample_at.as_second() + TEST_VALIDITY;
        if exp <= now {
            continue;
        }
        let entry = TestEntry {
            tg: DISEASE_COVID19.to_owned(),
            tt: match t.kind {
                TestKind::Pcr => TEST_NAAT,
                TestKind::Antigen => TEST_RAT,
            }
            .to_owned(),
            nm: None,
            ma: None,
            sc: healthcode_dcc::format_timestamp(t.sample_at.as_second()),
            tr: match t.outcome {
                TestOutcome::Positive => RESULT_DETECTED,
                TestOutcome::Negative => RESULT_NOT_DETECTED,
            }
            .to_owned(),
            tc: Some(truncate(&t.laboratory, 80)).filter(|l| !l.is_empty()),
            co: COUNTRY.to_owned(),
            issuer: is.clone(),
            ci: fact_uvci(&info.code, &t.id)?,
        };
        let cert = HealthCertificate::test(name.clone(), &dob, entry);
        out.issued.push(IssuedDcc {
            kind: "test",
            fact_id: t.id.clone(),
            payload: issuer.issue(&cert, now, exp)?,
            expires_at: exp,
        });
    }
    Ok(out)
}

/// One issued SMART Health Card.
#[derive(Debug, Clone)]
pub struct IssuedShc {
    /// `immunization` or `laboratory`.
    pub kind: &'static str,
    /// The signed card (JWS) and its QR, file forms.
    pub card: healthcode_shc::IssuedCard,
    /// How many facts it carries (fewer than exported if the QR would overflow).
    pub entries: usize,
}

/// Issues up to two cards: the immunizations and the laboratory results. When a
/// card would not fit one QR code, the oldest entries are dropped until it does.
pub fn issue_shcs(
    issuer: &ShcIssuer,
    info: &IssuerInfo,
    holder: &Holder,
    vaccinations: &[Vaccination],
    tests: &[TestResult],
    now: i64,
) -> Result<Vec<IssuedShc>, IssueError> {
    let Some(birth) = holder.birth_date else {
        return Ok(Vec::new());
    };
    let person = Person {
        family: holder.name.surname().to_owned(),
        given: match holder.name.given() {
            "" => Vec::new(),
            given => vec![given.to_owned()],
        },
        birth_date: birth.to_string(),
    };
    // Oldest first inside a card, as a vaccination record reads.
    let mut shots: Vec<ImmunizationInput> = vaccinations
        .iter()
        .map(|v| ImmunizationInput {
            cvx: VaccineCodes::for_product(&v.product).cvx.to_owned(),
            date: v.date.to_string(),
            lot: None,
            performer: info.name.clone(),
        })
        .collect();
    shots.reverse();
    let mut labs: Vec<LabResultInput> = tests
        .iter()
        .map(|t| LabResultInput {
            loinc: match t.kind {
                TestKind::Pcr => "94500-6",
                TestKind::Antigen => "94558-4",
            }
            .to_owned(),
            result_snomed: match t.outcome {
                TestOutcome::Positive => RESULT_DETECTED,
                TestOutcome::Negative => RESULT_NOT_DETECTED,
            }
            .to_owned(),
            effective: rfc3339(t.sample_at.as_second()),
            performer: if t.laboratory.trim().is_empty() {
                info.name.clone()
            } else {
                t.laboratory.clone()
            },
        })
        .collect();
    labs.reverse();
    let mut out = Vec::new();
    if let Some((card, entries)) = fitting(&shots, |s| issuer.issue_immunizations(&person, s, now))?
    {
        out.push(IssuedShc {
            kind: "immunization",
            card,
            entries,
        });
    }
    if let Some((card, entries)) = fitting(&labs, |l| issuer.issue_lab_results(&person, l, now))? {
        out.push(IssuedShc {
            kind: "laboratory",
            card,
            entries,
        });
    }
    Ok(out)
}

/// Issues the longest suffix (latest entries) of `items` that fits one QR code.
fn fitting<T>(
    items: &[T],
    issue: impl Fn(&[T]) -> Result<healthcode_shc::IssuedCard, ShcError>,
) -> Result<Option<(healthcode_shc::IssuedCard, usize)>, IssueError> {
    for skip in 0..items.len() {
        match issue(&items[skip..]) {
            Ok(card) => return Ok(Some((card, items.len() - skip))),
            Err(ShcError::IssueTooLarge(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(None)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn chinese_names_become_pinyin_one_word_each() {
        assert_eq!(icao_transliteration("刘"), "LIU");
        assert_eq!(icao_transliteration("建华"), "JIANHUA");
        assert_eq!(icao_transliteration("欧阳"), "OUYANG");
        assert_eq!(icao_transliteration("娜娜"), "NANA");
        assert_eq!(icao_transliteration("吕方"), "LYUFANG");
        assert_eq!(icao_transliteration("阿依古丽·买买提"), "AYIGULI<MAIMAITI");
        assert_eq!(icao_transliteration("John Smith-Lee"), "JOHN<SMITH<LEE");
        assert_eq!(icao_transliteration("Maria Guadalupe"), "MARIA<GUADALUPE");
    }

    #[test]
    fn vaccine_products_map_to_codes() {
        let dcc = |product: &str| {
            let codes = VaccineCodes::for_product(product);
            codes.dcc.map(|d| (d.vp, d.mp, d.ma, codes.cvx))
        };
        let owned = |vp: &str, mp: &str, ma: &str, cvx| {
            Some((vp.to_owned(), mp.to_owned(), ma.to_owned(), cvx))
        };
        assert_eq!(
            dcc("Sinopharm BBIBP-CorV"),
            owned("J07BX03", "BBIBP-CorV", "ORG-100020693", "510")
        );
        assert_eq!(
            dcc("国药集团武汉生物"),
            owned("J07BX03", "WIBP-CorV", "Sinopharm-WIBP", "213")
        );
        assert_eq!(VaccineCodes::for_product("CoronaVac").cvx, "511");
        assert_eq!(
            dcc("克威莎 (康希诺)"),
            owned("J07BX03", "Convidecia", "ORG-100013793", "213")
        );
        assert_eq!(dcc("Comirnaty").map(|d| d.0), Some("1119349007".to_owned()));
        let unknown = VaccineCodes::for_product("智飞龙科马");
        assert_eq!((unknown.dcc, unknown.cvx), (None, "213"));
    }

    /// Every code a product maps to is in the bundled EU value sets, so what is
    /// issued verifies with them.
    #[test]
    fn mapped_products_are_in_the_eu_value_sets() {
        let sets = healthcode_dcc::schema::Schemas::bundled();
        for product in EU_CODED_PRODUCTS {
            let codes = VaccineCodes::for_product(product).dcc.expect(product);
            let cert = serde_json::json!({
                "ver": healthcode_dcc::SCHEMA_VERSION, "nam": {"fnt": "WANG"}, "dob": "1990-01-01",
                "v": [{"tg": DISEASE_COVID19, "vp": codes.vp, "mp": codes.mp, "ma": codes.ma,
                       "dn": 1, "sd": 2, "dt": "2021-06-01", "co": "CN", "is": "X",
                       "ci": "URN:UVCI:01:CN:X#A"}]
            });
            let read = sets.validate(&cert).expect(product);
            assert!(read.is_empty(), "{product}: {read:?}");
        }
    }

    #[test]
    fn uvcis_are_stable_per_fact_and_checksummed() {
        let a = fact_uvci("350000", "fact-1").unwrap();
        assert_eq!(a, fact_uvci("350000", "fact-1").unwrap());
        assert_ne!(a, fact_uvci("350000", "fact-2").unwrap());
        assert!(a.starts_with("URN:UVCI:01:CN:350000/"));
        assert!(healthcode_dcc::uvci_checksum_ok(&a));
    }
}
