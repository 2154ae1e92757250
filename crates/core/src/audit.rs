//! The audit log as the service serves it: signed tree heads, entries and
//! proofs for anyone who monitors the log (the routes and answers of RFC 6962
//! §4), the regulator's search, and the check of a stored log against its
//! signed heads that `healthcode audit verify` runs.
//!
//! Entries are appended by the units of work of the acts they record (see
//! `healthcode_store::Unit::audit`); this module only reads them and signs
//! heads.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use healthcode_credentials::trust::TrustList;
use healthcode_domain::audit::merkle::{self, Frontier, Hash, ProofError};
use healthcode_domain::audit::{Entry, TreeHead};
use healthcode_store::{AuditEntryRecord, AuditFilter, AuditHeadRecord, Store};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::actor::Caller;
use crate::app::AppState;
use crate::clock::rfc3339;
use crate::error::{Error, ErrorCode};

/// Most entries one request reads.
pub const MAX_ENTRIES: u64 = 1000;

/// A tree head signed by the issuer's audit key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SignedTreeHead {
    /// The issuer (province) code whose log this is.
    pub log: String,
    /// How many entries the tree holds.
    pub tree_size: u64,
    /// When it was signed, Unix seconds.
    pub timestamp: i64,
    /// The Merkle tree hash (RFC 6962 §2.1), base64.
    pub sha256_root_hash: String,
    /// The audit key (in the trust list's `audit_keys`) that signed it.
    pub kid: String,
    /// Ed25519 over the head's signed bytes (see `TreeHead::signed_bytes`), base64.
    pub tree_head_signature: String,
}

impl SignedTreeHead {
    fn from_record(log: &str, r: &AuditHeadRecord) -> SignedTreeHead {
        SignedTreeHead {
            log: log.to_owned(),
            tree_size: r.size,
            timestamp: r.at,
            sha256_root_hash: STANDARD.encode(r.root),
            kid: r.kid.clone(),
            tree_head_signature: STANDARD.encode(&r.signature),
        }
    }

    /// The root hash's bytes, if well formed.
    pub fn root(&self) -> Option<Hash> {
        STANDARD
            .decode(&self.sha256_root_hash)
            .ok()?
            .try_into()
            .ok()
    }

    /// Checks the signature with the audit keys of `trust`, and that the head
    /// is `trust`'s issuer's.
    pub fn verify(&self, trust: &TrustList) -> Result<Hash, String> {
        if self.log != trust.issuer {
            return Err(format!(
                "the head is of log {}, the trust list of issuer {}",
                self.log, trust.issuer
            ));
        }
        let root = self
            .root()
            .ok_or_else(|| "the root hash is not 32 bytes of base64".to_owned())?;
        let signature = STANDARD
            .decode(&self.tree_head_signature)
            .map_err(|_| "the signature is not base64".to_owned())?;
        let head = TreeHead {
            log: self.log.clone(),
            size: self.tree_size,
            root,
            at: self.timestamp,
        };
        trust
            .verify_audit_signature(&self.kid, &head.signed_bytes(), &signature)
            .map_err(|e| e.to_string())?;
        Ok(root)
    }
}

/// Signs a head of the log as it is now, stores it and returns it.
pub async fn sign_head(state: &AppState) -> Result<SignedTreeHead, Error> {
    let store = state.store();
    let size = store.audit_size().await?;
    let root = store.audit_root(size).await?;
    let credentials = state.credentials();
    let head = TreeHead {
        log: state.issuer().code.clone(),
        size,
        root,
        at: state.now(),
    };
    let record = AuditHeadRecord {
        size,
        at: head.at,
        root,
        kid: credentials.audit.kid().to_owned(),
        signature: credentials.audit.sign(&head.signed_bytes()).to_vec(),
    };
    store.insert_audit_head(&record).await?;
    Ok(SignedTreeHead::from_record(&head.log, &record))
}

/// The scheduled signing: a new head when the log has grown since the last
/// one, or when the last is a day old. Returns whether one was signed.
pub async fn sign_if_due(state: &AppState) -> Result<bool, Error> {
    let size = state.store().audit_size().await?;
    let due = match state.store().latest_audit_head().await? {
        None => true,
        Some(last) => last.size != size || state.now() - last.at >= 86_400,
    };
    if due {
        sign_head(state).await?;
    }
    Ok(due)
}

/// The newest signed head (one is signed if none was yet).
pub async fn latest_head(state: &AppState) -> Result<SignedTreeHead, Error> {
    match state.store().latest_audit_head().await? {
        Some(r) => Ok(SignedTreeHead::from_record(&state.issuer().code, &r)),
        None => sign_head(state).await,
    }
}

/// Query of `GET /v1/audit/heads`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HeadsQuery {
    /// Heads signed at or after this time (Unix seconds; default 0).
    pub since: Option<i64>,
}

/// Signed heads, oldest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Heads {
    pub heads: Vec<SignedTreeHead>,
}

/// Signed heads since a time, oldest first, at most [`MAX_ENTRIES`].
pub async fn heads(state: &AppState, query: &HeadsQuery) -> Result<Heads, Error> {
    let records = state
        .store()
        .audit_heads(query.since.unwrap_or(0), MAX_ENTRIES as i64)
        .await?;
    let log = &state.issuer().code;
    Ok(Heads {
        heads: records
            .iter()
            .map(|r| SignedTreeHead::from_record(log, r))
            .collect(),
    })
}

/// Query of `GET /v1/audit/entries`, as RFC 6962's `get-entries`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EntriesQuery {
    /// The first entry, from 0.
    pub start: u64,
    /// The last entry, inclusive; at most 1000 entries per request.
    pub end: u64,
}

/// One entry as served: the exact bytes hashed, and what they say.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServedEntry {
    pub index: u64,
    /// The entry's bytes (canonical JSON), base64: the leaf input.
    pub leaf_input: String,
    /// The entry, decoded.
    #[schema(value_type = Object)]
    pub entry: serde_json::Value,
}

impl From<AuditEntryRecord> for ServedEntry {
    fn from(r: AuditEntryRecord) -> ServedEntry {
        ServedEntry {
            index: r.seq,
            entry: serde_json::from_slice(&r.entry).unwrap_or(serde_json::Value::Null),
            leaf_input: STANDARD.encode(&r.entry),
        }
    }
}

/// Entries of the log.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Entries {
    pub entries: Vec<ServedEntry>,
}

/// Entries `start..=end` (cut at the log's end and at [`MAX_ENTRIES`]).
pub async fn entries(state: &AppState, query: &EntriesQuery) -> Result<Entries, Error> {
    let size = state.store().audit_size().await?;
    if query.start > query.end || query.start >= size {
        return Err(range(format!(
            "start must be at most end and below the log's size ({size})"
        )));
    }
    let end = query.end.min(query.start + MAX_ENTRIES - 1).min(size - 1);
    let rows = state.store().audit_entries(query.start, end + 1).await?;
    Ok(Entries {
        entries: rows.into_iter().map(ServedEntry::from).collect(),
    })
}

/// Query of `GET /v1/audit/proof`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InclusionQuery {
    /// The entry's index.
    pub index: u64,
    /// The size of the tree (a signed head's) to prove inclusion in.
    pub tree_size: u64,
}

/// An inclusion proof (audit path), as RFC 6962's `get-proof-by-hash` answers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InclusionProof {
    pub leaf_index: u64,
    pub tree_size: u64,
    /// Base64 hashes, from the leaf's sibling up.
    pub audit_path: Vec<String>,
}

/// The inclusion proof of entry `index` in the tree of `tree_size`.
pub async fn inclusion_proof(
    state: &AppState,
    query: &InclusionQuery,
) -> Result<InclusionProof, Error> {
    let proof = prove_inclusion(state.store(), query.index, query.tree_size).await?;
    Ok(InclusionProof {
        leaf_index: query.index,
        tree_size: query.tree_size,
        audit_path: proof.iter().map(|h| STANDARD.encode(h)).collect(),
    })
}

/// The hashes of entry `index`'s inclusion proof in the tree of `size`.
pub async fn prove_inclusion(store: &Store, index: u64, size: u64) -> Result<Vec<Hash>, Error> {
    if size > store.audit_size().await? {
        return Err(range("tree_size is larger than the log"));
    }
    let plan = merkle::inclusion_plan(size, index).map_err(proof_error)?;
    let nodes = store.audit_nodes(&plan.needs()).await?;
    plan.build(&nodes).map_err(proof_error)
}

/// Query of `GET /v1/audit/consistency`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// The older tree's size.
    pub first: u64,
    /// The newer tree's size.
    pub second: u64,
}

/// A consistency proof, as RFC 6962's `get-sth-consistency` answers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsistencyProof {
    pub first: u64,
    pub second: u64,
    /// Base64 hashes.
    pub consistency: Vec<String>,
}

/// The proof that the tree of `first` entries is a prefix of that of `second`.
pub async fn consistency_proof(
    state: &AppState,
    query: &ConsistencyQuery,
) -> Result<ConsistencyProof, Error> {
    let proof = prove_consistency(state.store(), query.first, query.second).await?;
    Ok(ConsistencyProof {
        first: query.first,
        second: query.second,
        consistency: proof.iter().map(|h| STANDARD.encode(h)).collect(),
    })
}

/// The hashes of the consistency proof between the trees of `first` and
/// `second` entries.
pub async fn prove_consistency(store: &Store, first: u64, second: u64) -> Result<Vec<Hash>, Error> {
    if second > store.audit_size().await? {
        return Err(range("second is larger than the log"));
    }
    let plan = merkle::consistency_plan(first, second).map_err(proof_error)?;
    let nodes = store.audit_nodes(&plan.needs()).await?;
    plan.build(&nodes).map_err(proof_error)
}

fn range(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::AuditRange, message)
}

fn proof_error(e: ProofError) -> Error {
    match e {
        ProofError::MissingNode(_) | ProofError::Invalid => Error::internal(e),
        other => range(other.to_string()),
    }
}

/// Query of the regulator's `GET /v1/audit/search`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Only this act (`policy.published`, `data.opened`…).
    pub act: Option<String>,
    /// Only this kind of actor: `staff`, `job`, `operator` or `citizen`.
    pub actor_kind: Option<String>,
    /// Only this staff account (its opaque id).
    pub actor_account: Option<String>,
    /// From this time (RFC 3339, inclusive).
    pub from: Option<String>,
    /// Until this time (RFC 3339, exclusive).
    pub until: Option<String>,
    /// The `next` of the previous page.
    pub before: Option<u64>,
    /// Entries per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
}

/// A page of entries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchPage {
    pub entries: Vec<ServedEntry>,
    /// Pass as `before` for the next (older) page; absent on the last one.
    pub next: Option<u64>,
}

/// The regulator's (and authorities') search of the log.
pub async fn search(
    state: &AppState,
    caller: &Caller,
    query: &SearchQuery,
) -> Result<SearchPage, Error> {
    caller.require(&[
        healthcode_domain::role::Role::Regulator,
        healthcode_domain::role::Role::Authority,
    ])?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(Error::new(
            ErrorCode::RequestInvalidQuery,
            "limit must be 1 to 200",
        ));
    }
    if let Some(act) = &query.act
        && healthcode_domain::audit::Act::parse(act).is_none()
    {
        return Err(Error::new(
            ErrorCode::RequestInvalidQuery,
            format!("unknown act {act:?}"),
        ));
    }
    let time = |t: &Option<String>| -> Result<Option<i64>, Error> {
        t.as_deref()
            .map(|t| {
                t.parse::<jiff::Timestamp>()
                    .map(|t| t.as_second())
                    .map_err(|_| {
                        Error::new(
                            ErrorCode::RequestInvalidQuery,
                            "from and until must be RFC 3339",
                        )
                    })
            })
            .transpose()
    };
    let filter = AuditFilter {
        act: query.act.clone(),
        actor_kind: query.actor_kind.clone(),
        actor_account: query.actor_account.clone(),
        from: time(&query.from)?,
        until: time(&query.until)?,
        before_seq: query.before,
    };
    let rows = state.store().audit_search(&filter, limit).await?;
    let next = if rows.len() as i64 == limit {
        rows.last().map(|r| r.seq)
    } else {
        None
    };
    Ok(SearchPage {
        entries: rows.into_iter().map(ServedEntry::from).collect(),
        next,
    })
}

/// What a check of the stored log found wrong first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    #[error("entry {index} is missing")]
    MissingEntry { index: u64 },
    #[error("entry {index} cannot be read as an audit entry")]
    Unreadable { index: u64 },
    #[error("entry {index} says it is entry {claimed}: entries were removed or reordered")]
    OutOfPlace { index: u64, claimed: u64 },
    #[error("entry {index} does not match its leaf hash in the tree")]
    LeafHash { index: u64 },
    #[error("the stored tree's root for {size} entries does not match the entries")]
    Nodes { size: u64 },
    #[error("the head of {size} entries signed at {at} names more entries than the log holds")]
    HeadBeyondLog { size: u64, at: String },
    #[error("the head of {size} entries signed at {at} does not match the entries: {why}")]
    Head { size: u64, at: String, why: String },
}

/// What a check of the stored log covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreCheck {
    pub entries: u64,
    pub heads: usize,
    /// Entries by act.
    pub acts: BTreeMap<String, u64>,
}

/// Recomputes the tree from the stored entries and checks every signed head
/// against it and against `trust`'s audit keys; names the first entry or
/// head that does not match.
pub async fn check_store(
    store: &Store,
    trust: &TrustList,
) -> Result<Result<StoreCheck, Mismatch>, Error> {
    let size = store.audit_size().await?;
    let mut heads = store.audit_heads(0, i64::MAX).await?;
    heads.sort_by_key(|h| (h.size, h.at));
    let mut acts: BTreeMap<String, u64> = BTreeMap::new();
    let mut frontier = Frontier::default();
    let mut next_head = 0usize;
    let check_heads_at = |frontier: &Frontier, next_head: &mut usize| -> Result<(), Mismatch> {
        while let Some(head) = heads.get(*next_head) {
            if head.size != frontier.size() {
                break;
            }
            *next_head += 1;
            let signed = SignedTreeHead::from_record(&trust.issuer, head);
            let at = rfc3339(head.at);
            let root = signed.verify(trust).map_err(|why| Mismatch::Head {
                size: head.size,
                at: at.clone(),
                why,
            })?;
            if root != frontier.root() {
                return Err(Mismatch::Head {
                    size: head.size,
                    at,
                    why: "its root is not the root of the stored entries".to_owned(),
                });
            }
        }
        Ok(())
    };
    if let Err(m) = check_heads_at(&frontier, &mut next_head) {
        return Ok(Err(m));
    }
    let page = 10_000u64;
    let mut start = 0u64;
    while start < size {
        let end = (start + page).min(size);
        let rows = store.audit_entries(start, end).await?;
        let leaves = store.audit_leaf_hashes(start, end).await?;
        for offset in 0..(end - start) {
            let index = start + offset;
            let Some(row) = rows.get(offset as usize) else {
                return Ok(Err(Mismatch::MissingEntry { index }));
            };
            if row.seq != index {
                return Ok(Err(Mismatch::MissingEntry { index }));
            }
            let Ok(entry) = Entry::from_bytes(&row.entry) else {
                return Ok(Err(Mismatch::Unreadable { index }));
            };
            if entry.seq != index {
                return Ok(Err(Mismatch::OutOfPlace {
                    index,
                    claimed: entry.seq,
                }));
            }
            let leaf = merkle::leaf_hash(&row.entry);
            if leaves.get(offset as usize) != Some(&leaf) {
                return Ok(Err(Mismatch::LeafHash { index }));
            }
            *acts.entry(entry.act.as_str().to_owned()).or_default() += 1;
            frontier.push(leaf);
            if let Err(m) = check_heads_at(&frontier, &mut next_head) {
                return Ok(Err(m));
            }
        }
        start = end;
    }
    if let Some(head) = heads.get(next_head) {
        return Ok(Err(Mismatch::HeadBeyondLog {
            size: head.size,
            at: rfc3339(head.at),
        }));
    }
    match store.audit_root(size).await {
        Ok(root) if root == frontier.root() => {}
        _ => return Ok(Err(Mismatch::Nodes { size })),
    }
    Ok(Ok(StoreCheck {
        entries: size,
        heads: heads.len(),
        acts,
    }))
}
