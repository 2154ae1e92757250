//! End-of-epidemic disposal: an authority requests disposal of every datum of
//! a purpose, a second, different authority approves, and it runs (the
//! `disposal` job, or `healthcode dispose`), resumably:
//!
//! 1. `approved` → `counted`: the statistics (check-ins by China-time day,
//!    division and colour, every cell under the threshold left out) are kept,
//!    in one unit of work with the stage.
//! 2. `counted` → `records`: every kind of record of the purpose is deleted in
//!    batches, each batch in a unit that also records the progress; then the
//!    people who did not choose to keep their account lose their data key
//!    (in the key store) and then their rows.
//! 3. `records` → `certifying`: the `disposal.completed` act is appended to the
//!    audit log, in a unit with the stage.
//! 4. `certifying` → `completed`: a tree head is signed (it holds the
//!    completion), and the certificate naming it is signed with the audit key
//!    and stored with the stage.
//!
//! A disposal that stops resumes at its stage, and its counts stay exact: a
//! batch and its count commit together. The certificate exists only once
//! everything is deleted.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use healthcode_credentials::trust::TrustList;
use healthcode_domain::actor::Actor;
use healthcode_domain::audit::{Act, Draft};
use healthcode_domain::disposal::{Cell, DEFAULT_THRESHOLD, MAX_THRESHOLD, Statistics, day_text};
use healthcode_domain::facts::Purpose;
use healthcode_domain::role::Role;
use healthcode_store::{DISPOSED_KINDS, DisposalRecord, StatisticsCell, Unit};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actor::{Caller, authority, job};
use crate::app::AppState;
use crate::audit::{SignedTreeHead, sign_head};
use crate::clock::{rfc3339, timestamp};
use crate::error::{Error, ErrorCode};
use crate::ids::random_id;

/// The certificate's format name, also the prefix of its signed bytes.
pub const CERTIFICATE_FORMAT: &str = "healthcode-disposal/1";

/// Records deleted per unit of work. Disposal runs once the services are
/// closed, so its batches are larger than retention's.
const BATCH: i64 = 5_000;

/// People whose keys are destroyed and rows deleted per unit of work. Their
/// rows sit in indexes in no common order (the key, the document's and the
/// phone's blind indexes, the account's), so each batch writes about one
/// page per index entry it removes until batches are large enough to remove
/// several entries from most pages: 20,000 took a quarter of the time 500
/// did on SQLite.
const PEOPLE_BATCH: i64 = 20_000;

/// The kind under which disposed people are counted in the progress.
pub const PEOPLE: &str = "people";

/// A disposal to request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"purpose": "epidemic-prevention", "threshold": 10}))]
pub struct DisposalRequest {
    #[schema(schema_with = crate::schema::purpose)]
    pub purpose: String,
    /// Cells of the statistics counting fewer are left out (default 10): 1 to 1000.
    #[schema(minimum = 1, maximum = 1000)]
    pub threshold: Option<u64>,
}

/// A disposal as authorities and the regulator see it: nothing personal.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisposalView {
    pub id: String,
    pub purpose: String,
    /// `requested`, `approved`, `counted`, `records`, `certifying` or `completed`.
    pub stage: String,
    pub requested_by: String,
    pub requested_at: String,
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
    pub threshold: u64,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    /// Records deleted so far, by kind (`people`: people whose key was destroyed).
    pub progress: BTreeMap<String, u64>,
}

fn progress_of(record: &DisposalRecord) -> Result<BTreeMap<String, u64>, Error> {
    serde_json::from_str(&record.progress).map_err(Error::internal)
}

fn view(record: &DisposalRecord) -> Result<DisposalView, Error> {
    Ok(DisposalView {
        id: record.id.clone(),
        purpose: record.purpose.clone(),
        stage: record.stage.clone(),
        requested_by: record.requested_by.clone(),
        requested_at: rfc3339(record.requested_at),
        approved_by: record.approved_by.clone(),
        approved_at: record.approved_at.map(rfc3339),
        threshold: u64::try_from(record.threshold).unwrap_or(DEFAULT_THRESHOLD),
        started_at: record.started_at.map(rfc3339),
        completed_at: record.completed_at.map(rfc3339),
        progress: progress_of(record)?,
    })
}

/// An authority requests disposal of every datum of a purpose; audited.
pub async fn request(
    state: &AppState,
    by: Actor,
    request: &DisposalRequest,
) -> Result<DisposalView, Error> {
    let account = authority(&by)?.to_owned();
    if request.purpose != Purpose::EpidemicPrevention.as_str() {
        return Err(Error::new(
            ErrorCode::DisposalPurpose,
            "the purpose to dispose of is `epidemic-prevention`",
        ));
    }
    let threshold = request.threshold.unwrap_or(DEFAULT_THRESHOLD);
    if !(1..=MAX_THRESHOLD).contains(&threshold) {
        return Err(Error::new(
            ErrorCode::DisposalThreshold,
            format!("the threshold is 1 to {MAX_THRESHOLD}"),
        ));
    }
    let open = state
        .store()
        .disposals()
        .await?
        .into_iter()
        .any(|d| d.purpose == request.purpose && d.stage != "completed");
    if open {
        return Err(Error::of(ErrorCode::DisposalInProgress));
    }
    let record = DisposalRecord {
        id: random_id()?,
        purpose: request.purpose.clone(),
        requested_by: account,
        requested_at: state.now(),
        approved_by: None,
        approved_at: None,
        threshold: i64::try_from(threshold).unwrap_or(10),
        stage: "requested".to_owned(),
        started_at: None,
        progress: "{}".to_owned(),
        completed_at: None,
        certificate: None,
    };
    let mut unit = state.begin(by).await?;
    unit.insert_disposal(&record).await?;
    unit.audit(
        Draft::new(Act::DisposalRequested)
            .purpose(&record.purpose)
            .detail("disposal", &record.id)
            .detail("threshold", threshold),
    );
    unit.commit().await?;
    tracing::info!(purpose = %record.purpose, "disposal requested");
    view(&record)
}

/// A second, different authority approves a requested disposal; audited. The
/// `disposal` job runs it from then on.
pub async fn approve(state: &AppState, by: Actor, id: &str) -> Result<DisposalView, Error> {
    let account = authority(&by)?.to_owned();
    let record = state
        .store()
        .disposal(id)
        .await?
        .ok_or_else(Error::not_found)?;
    if record.requested_by == account {
        return Err(Error::of(ErrorCode::DisposalSameOfficial));
    }
    let mut unit = state.begin(by).await?;
    if !unit.approve_disposal(id, &account).await? {
        return Err(Error::of(ErrorCode::DisposalNotPending));
    }
    unit.audit(
        Draft::new(Act::DisposalApproved)
            .purpose(&record.purpose)
            .detail("disposal", id),
    );
    unit.commit().await?;
    tracing::info!(purpose = %record.purpose, "disposal approved");
    let record = state
        .store()
        .disposal(id)
        .await?
        .ok_or_else(Error::not_found)?;
    view(&record)
}

/// Every disposal, the latest first (authorities and the regulator).
pub async fn list(state: &AppState, caller: &Caller) -> Result<Vec<DisposalView>, Error> {
    caller.require(&[Role::Authority, Role::Regulator])?;
    state.store().disposals().await?.iter().map(view).collect()
}

/// A completed disposal's signed certificate, as issued (public: anyone may
/// verify it).
pub async fn certificate(state: &AppState, id: &str) -> Result<String, Error> {
    let record = state
        .store()
        .disposal(id)
        .await?
        .ok_or_else(Error::not_found)?;
    record
        .certificate
        .ok_or_else(|| Error::of(ErrorCode::DisposalNotComplete))
}

/// How far a running disposal is, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The kind of record being deleted (`people` for keys and accounts).
    pub kind: String,
    /// Deleted so far, of that kind (by this run and any before it).
    pub done: u64,
    /// Deleted by this run, every kind: what a progress bar counts against
    /// [`remaining`].
    pub deleted: u64,
}

/// How many records of each kind (and people, under [`PEOPLE`]) a disposal of
/// `purpose` has left to delete: the totals of a progress bar.
pub async fn remaining(state: &AppState, purpose: &str) -> Result<BTreeMap<String, u64>, Error> {
    let mut left = BTreeMap::new();
    for kind in DISPOSED_KINDS {
        let n = state.store().count_disposable(kind, purpose).await?;
        left.insert(kind.to_owned(), u64::try_from(n).unwrap_or(0));
    }
    let people = state.store().count_people_not_kept().await?;
    left.insert(PEOPLE.to_owned(), u64::try_from(people).unwrap_or(0));
    Ok(left)
}

/// Runs (or resumes) an approved disposal to its end; returns its signed
/// certificate. `report` hears of every batch.
pub async fn run(
    state: &AppState,
    id: &str,
    report: &mut (dyn FnMut(&Progress) + Send),
) -> Result<String, Error> {
    let actor = job("disposal");
    loop {
        let record = state
            .store()
            .disposal(id)
            .await?
            .ok_or_else(Error::not_found)?;
        match record.stage.as_str() {
            "requested" => {
                return Err(Error::new(
                    ErrorCode::DisposalNotPending,
                    "the disposal awaits a second authority's approval",
                ));
            }
            "approved" => keep_statistics(state, &actor, &record).await?,
            "counted" => delete_records(state, &actor, &record, report).await?,
            "records" => {
                let progress = progress_of(&record)?;
                let mut unit = state.begin(actor.clone()).await?;
                let mut draft = Draft::new(Act::DisposalCompleted)
                    .purpose(&record.purpose)
                    .detail("disposal", &record.id);
                for (kind, n) in &progress {
                    draft = draft.detail(kind, n);
                }
                unit.audit(draft);
                unit.advance_disposal(id, "certifying", &record.progress)
                    .await?;
                unit.commit().await?;
            }
            "certifying" => certify(state, &actor, &record).await?,
            "completed" => {
                return record
                    .certificate
                    .ok_or_else(|| Error::internal("a completed disposal has no certificate"));
            }
            other => return Err(Error::internal(format!("unknown disposal stage {other}"))),
        }
    }
}

/// Resumes every approved disposal not yet complete (the `disposal` job);
/// returns how many were completed.
pub async fn run_pending(state: &AppState) -> Result<u64, Error> {
    let mut completed = 0;
    for d in state.store().disposals().await? {
        if matches!(d.stage.as_str(), "requested" | "completed") {
            continue;
        }
        run(state, &d.id, &mut |_| {}).await?;
        completed += 1;
    }
    Ok(completed)
}

async fn keep_statistics(
    state: &AppState,
    actor: &Actor,
    record: &DisposalRecord,
) -> Result<(), Error> {
    let raw = state.store().check_in_cells(&record.purpose).await?;
    let cells = raw.into_iter().map(|(day, division, colour, count)| Cell {
        day: day_text(day),
        division,
        colour,
        count: u64::try_from(count).unwrap_or(0),
    });
    let threshold = u64::try_from(record.threshold).unwrap_or(DEFAULT_THRESHOLD);
    let statistics = Statistics::suppress(cells, threshold);
    let stored: Vec<StatisticsCell> = statistics
        .cells
        .iter()
        .map(|c| StatisticsCell {
            day: c.day.clone(),
            division: c.division.clone(),
            colour: c.colour.clone(),
            count: i64::try_from(c.count).unwrap_or(i64::MAX),
        })
        .collect();
    let mut progress = progress_of(record)?;
    progress.insert("suppressed_cells".to_owned(), statistics.suppressed_cells);
    let mut unit = state.begin(actor.clone()).await?;
    unit.insert_disposal_statistics(&record.id, &stored).await?;
    unit.advance_disposal(&record.id, "counted", &json(&progress)?)
        .await?;
    unit.commit().await?;
    Ok(())
}

fn json(progress: &BTreeMap<String, u64>) -> Result<String, Error> {
    serde_json::to_string(progress).map_err(Error::internal)
}

/// Deletes every record of the purpose, kind by kind, then the people who
/// hold nothing else, and moves the disposal to `records`.
async fn delete_records(
    state: &AppState,
    actor: &Actor,
    record: &DisposalRecord,
    report: &mut (dyn FnMut(&Progress) + Send),
) -> Result<(), Error> {
    let mut deletion = Deletion {
        state,
        actor,
        record,
        progress: progress_of(record)?,
        deleted: 0,
        report,
    };
    for kind in DISPOSED_KINDS {
        delete_kind(&mut deletion, kind).await?;
    }
    delete_people(&mut deletion).await?;
    state.store().checkpoint_after_disposal().await?;
    let mut unit = state.begin(actor.clone()).await?;
    unit.advance_disposal(&record.id, "records", &json(&deletion.progress)?)
        .await?;
    unit.commit().await?;
    Ok(())
}

/// The deleting stage of a disposal under way: what it deleted so far, which
/// every batch records in its own unit of work.
struct Deletion<'a> {
    state: &'a AppState,
    actor: &'a Actor,
    record: &'a DisposalRecord,
    /// Deleted so far, by kind, by this run and any before it.
    progress: BTreeMap<String, u64>,
    /// Deleted by this run, every kind.
    deleted: u64,
    report: &'a mut (dyn FnMut(&Progress) + Send),
}

impl<'a> Deletion<'a> {
    /// Opens a unit of work for the disposal (borrowing only the state, so
    /// that the future stays `Send`).
    fn begin(&self) -> impl Future<Output = Result<Unit, Error>> + Send + 'a {
        self.state.begin(self.actor.clone())
    }

    /// Commits `unit`, which deleted `n` records of `kind`, with the progress
    /// that makes, so that the count and the deletes stand or fall together;
    /// then reports it, if it deleted any.
    async fn commit(&mut self, mut unit: Unit, kind: &str, n: u64) -> Result<(), Error> {
        let done = self.progress.entry(kind.to_owned()).or_insert(0);
        *done += n;
        let done = *done;
        unit.advance_disposal(&self.record.id, "counted", &json(&self.progress)?)
            .await?;
        unit.commit().await?;
        if n > 0 {
            self.deleted += n;
            (self.report)(&Progress {
                kind: kind.to_owned(),
                done,
                deleted: self.deleted,
            });
        }
        Ok(())
    }
}

/// Deletes every record of `kind` of the purpose: first, on PostgreSQL, the
/// tables and day partitions that hold nothing else, whole (see the store's
/// `empty_disposable`); then the rest in batches. On SQLite an index that the deletes would update entry by entry
/// is dropped meanwhile and built again after (see the store's
/// `set_index_aside`).
async fn delete_kind(deletion: &mut Deletion<'_>, kind: &str) -> Result<(), Error> {
    let store = deletion.state.store();
    let purpose = &deletion.record.purpose;
    store.set_index_aside(kind).await?;
    for table in store.tables_to_empty(kind).await? {
        let mut unit = deletion.begin().await?;
        match unit.empty_disposable(&table, kind, purpose).await? {
            Some(n) => deletion.commit(unit, kind, n).await?,
            // It holds rows of other purposes: left to the batches.
            None => drop(unit),
        }
    }
    loop {
        let mut unit = deletion.begin().await?;
        let n = unit.dispose_batch(kind, purpose, BATCH).await?;
        deletion.commit(unit, kind, n).await?;
        if n < u64::try_from(BATCH).unwrap_or(u64::MAX) {
            break;
        }
    }
    store.restore_index(kind).await?;
    Ok(())
}

/// People who hold nothing else now lose their key first, so that nothing
/// of theirs can be read from any copy, then their rows; in key order, each
/// batch starting after the last.
async fn delete_people(deletion: &mut Deletion<'_>) -> Result<(), Error> {
    let store = deletion.state.store();
    let mut after = String::new();
    loop {
        let ids = store.people_not_kept_after(&after, PEOPLE_BATCH).await?;
        let Some(last) = ids.last() else {
            return Ok(());
        };
        after.clone_from(last);
        store.destroy_data_keys(&ids).await?;
        let mut unit = deletion.begin().await?;
        let n = unit.dispose_people(&ids).await?;
        for id in &ids {
            deletion.state.forget_code(id);
        }
        deletion.commit(unit, PEOPLE, n).await?;
    }
}

/// What a disposal certificate says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    /// [`CERTIFICATE_FORMAT`].
    pub format: String,
    /// The province whose data it was.
    pub issuer: String,
    pub disposal: String,
    pub purpose: String,
    /// The authorities' opaque account ids and when they acted.
    pub requested_by: String,
    pub requested_at: String,
    pub approved_by: String,
    pub approved_at: String,
    pub started_at: String,
    pub completed_at: String,
    /// Records deleted, by kind.
    pub records: BTreeMap<String, u64>,
    /// People whose data key was destroyed (with every row of theirs).
    pub keys_destroyed: u64,
    /// People who chose to keep their account, with no data of the purpose.
    pub accounts_kept: u64,
    /// The code policy and retention schedule in force when it completed.
    pub policy_version: Option<String>,
    pub retention_version: String,
    /// What is kept: counts that identify nobody.
    pub statistics: Statistics,
    /// The audit log's signed tree head after the disposal.
    pub audit_head: SignedTreeHead,
}

impl Certificate {
    fn signed_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut bytes = format!("{CERTIFICATE_FORMAT}\n").into_bytes();
        bytes.extend(serde_json::to_vec(self)?);
        Ok(bytes)
    }
}

/// A certificate with the issuer's signature (Ed25519, its audit key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedCertificate {
    pub certificate: Certificate,
    /// The audit key (in the trust list's `audit_keys`) that signed it.
    pub kid: String,
    /// Over `healthcode-disposal/1\n` and the certificate's compact JSON, base64.
    pub signature: String,
}

impl SignedCertificate {
    /// The file: pretty JSON and a final line break, the only form that verifies.
    pub fn to_text(&self) -> Result<String, Error> {
        let mut text = serde_json::to_string_pretty(self).map_err(Error::internal)?;
        text.push('\n');
        Ok(text)
    }

    /// Reads a certificate file, refusing anything but its exact form, so that
    /// any changed byte fails.
    pub fn parse(text: &str) -> Result<SignedCertificate, String> {
        let parsed: SignedCertificate =
            serde_json::from_str(text).map_err(|e| format!("not a disposal certificate: {e}"))?;
        let canonical = parsed.to_text().map_err(|e| e.to_string())?;
        if canonical != text {
            return Err("the file is not the certificate as issued (its bytes differ)".to_owned());
        }
        Ok(parsed)
    }

    /// Checks the signature and the tree head's against the audit keys of
    /// `trust`; returns the head, to be proved consistent with the log.
    pub fn verify(&self, trust: &TrustList) -> Result<&SignedTreeHead, String> {
        let c = &self.certificate;
        if c.format != CERTIFICATE_FORMAT {
            return Err(format!("unknown certificate format {}", c.format));
        }
        if c.issuer != trust.issuer {
            return Err(format!(
                "the certificate is of issuer {}, the trust list of {}",
                c.issuer, trust.issuer
            ));
        }
        let signature = STANDARD
            .decode(&self.signature)
            .map_err(|_| "the signature is not base64".to_owned())?;
        let bytes = c.signed_bytes().map_err(|e| e.to_string())?;
        trust
            .verify_audit_signature(&self.kid, &bytes, &signature)
            .map_err(|e| format!("the certificate's signature does not verify: {e}"))?;
        c.audit_head
            .verify(trust)
            .map_err(|why| format!("the certificate's tree head does not verify: {why}"))?;
        Ok(&c.audit_head)
    }
}

async fn certify(state: &AppState, actor: &Actor, record: &DisposalRecord) -> Result<(), Error> {
    let progress = progress_of(record)?;
    let cells = state.store().disposal_statistics(&record.id).await?;
    let threshold = u64::try_from(record.threshold).unwrap_or(DEFAULT_THRESHOLD);
    let statistics = Statistics {
        threshold,
        suppressed_cells: progress.get("suppressed_cells").copied().unwrap_or(0),
        cells: cells
            .into_iter()
            .map(|c| Cell {
                day: c.day,
                division: c.division,
                colour: c.colour,
                count: u64::try_from(c.count).unwrap_or(0),
            })
            .collect(),
    };
    let records: BTreeMap<String, u64> = DISPOSED_KINDS
        .iter()
        .map(|k| ((*k).to_owned(), progress.get(*k).copied().unwrap_or(0)))
        .collect();
    let now = state.now();
    let head = sign_head(state).await?;
    let certificate = Certificate {
        format: CERTIFICATE_FORMAT.to_owned(),
        issuer: state.issuer().code.clone(),
        disposal: record.id.clone(),
        purpose: record.purpose.clone(),
        requested_by: record.requested_by.clone(),
        requested_at: rfc3339(record.requested_at),
        approved_by: record.approved_by.clone().unwrap_or_default(),
        approved_at: record.approved_at.map(rfc3339).unwrap_or_default(),
        started_at: record.started_at.map(rfc3339).unwrap_or_default(),
        completed_at: rfc3339(now),
        records,
        keys_destroyed: progress.get(PEOPLE).copied().unwrap_or(0),
        accounts_kept: u64::try_from(state.store().count_kept_accounts().await?).unwrap_or(0),
        policy_version: state
            .policies()
            .active_at(timestamp(now))
            .map(|p| p.version().to_owned()),
        retention_version: state.retention().active_at(timestamp(now)).version,
        statistics,
        audit_head: head,
    };
    let credentials = state.credentials();
    let bytes = certificate.signed_bytes().map_err(Error::internal)?;
    let signed = SignedCertificate {
        kid: credentials.audit.kid().to_owned(),
        signature: STANDARD.encode(credentials.audit.sign(&bytes)),
        certificate,
    };
    let text = signed.to_text()?;
    let mut unit = state.begin(actor.clone()).await?;
    unit.complete_disposal(&record.id, &text).await?;
    unit.commit().await?;
    tracing::info!(purpose = %record.purpose, "disposal completed");
    Ok(())
}
