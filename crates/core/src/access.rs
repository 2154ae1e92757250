//! Who looked at my data: every opening of a person's data by anyone but the
//! person is recorded in their access log, in the same unit of work as the act,
//! and the person can read it.

use healthcode_domain::actor::Actor;
use healthcode_domain::audit::{Act, Draft, Pending};
use healthcode_store::{AccessRecord, Unit};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::actor::Caller;
use crate::app::AppState;
use crate::clock::rfc3339;
use crate::error::{Error, ErrorCode};
use crate::ids::random_id;

/// Why someone other than the person opened their data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A checker or venue scanned the person's code at an entrance.
    CheckIn,
    /// A collector scanned the person's code into a sample tube.
    Sampling,
    /// A laboratory's result was recorded for the person.
    TestResult,
    /// The person's colour was recomputed for someone else's act (a risk area
    /// declared) or by the service's own schedule.
    Recompute,
    /// An authority handled the person's case: an override, an appeal.
    CaseHandling,
    /// An operator imported a fact from another system.
    Import,
}

impl Purpose {
    /// The stable name shown to the person.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::CheckIn => "check_in",
            Purpose::Sampling => "sampling",
            Purpose::TestResult => "test_result",
            Purpose::Recompute => "recompute",
            Purpose::CaseHandling => "case_handling",
            Purpose::Import => "import",
        }
    }
}

/// Which of a person's data was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datum {
    Name,
    MaskedName,
    Document,
    Colour,
    Facts,
    CheckIns,
    Overrides,
    Appeals,
    Samples,
}

impl Datum {
    /// The stable name shown to the person.
    pub fn as_str(self) -> &'static str {
        match self {
            Datum::Name => "name",
            Datum::MaskedName => "masked_name",
            Datum::Document => "document",
            Datum::Colour => "colour",
            Datum::Facts => "facts",
            Datum::CheckIns => "check_ins",
            Datum::Overrides => "overrides",
            Datum::Appeals => "appeals",
            Datum::Samples => "samples",
        }
    }
}

/// What a recomputation opens.
pub const RECOMPUTED: &[Datum] = &[
    Datum::Facts,
    Datum::CheckIns,
    Datum::Overrides,
    Datum::Colour,
];

/// The access record of `actor` opening `person_id`'s data at `at`, or `None`
/// when the actor is the person themself: their own reads are not listed.
pub(crate) fn access_record(
    actor: &Actor,
    person_id: &str,
    at: i64,
    purpose: Purpose,
    data: &[Datum],
) -> Result<Option<AccessRecord>, Error> {
    if actor.is_person(person_id) {
        return Ok(None);
    }
    let actor_role = match actor {
        Actor::Job { name } => Some(name.clone()),
        other => other.role().map(|r| r.as_str().to_owned()),
    };
    Ok(Some(AccessRecord {
        person_id: person_id.to_owned(),
        at,
        id: random_id()?,
        actor_kind: actor.kind().to_owned(),
        actor_role,
        actor_account: actor.account_id().map(str::to_owned),
        purpose: purpose.as_str().to_owned(),
        fields: data
            .iter()
            .map(|d| d.as_str())
            .collect::<Vec<_>>()
            .join(","),
    }))
}

/// The audit log's entry for an access record: the act of opening, its
/// purpose and fields, and the person by their pseudonym only.
pub(crate) fn audit_entry(state: &AppState, actor: &Actor, record: &AccessRecord) -> Pending {
    Pending {
        at: record.at,
        actor: actor.into(),
        draft: Draft::new(Act::DataOpened)
            .purpose(record.purpose.clone())
            .subject(state.people().audit_subject(&record.person_id))
            .detail("fields", &record.fields),
    }
}

/// Records in `unit` that its actor opened `person_id`'s data for `purpose`,
/// unless the actor is the person: in the person's access log and in the
/// audit log.
pub(crate) async fn note(
    state: &AppState,
    unit: &mut Unit,
    person_id: &str,
    purpose: Purpose,
    data: &[Datum],
) -> Result<(), Error> {
    if let Some(record) = access_record(unit.actor(), person_id, unit.now(), purpose, data)? {
        unit.record_access(&record).await?;
        let entry = audit_entry(state, unit.actor(), &record);
        unit.audit(entry.draft);
    }
    Ok(())
}

/// Opens `person_id`'s data in `unit` for a write: locks the person for the
/// unit (refusing one erased meanwhile, so nothing is written as an orphan)
/// and records the opening in their access log.
pub(crate) async fn open_for_write(
    state: &AppState,
    unit: &mut Unit,
    person_id: &str,
    purpose: Purpose,
    data: &[Datum],
) -> Result<(), Error> {
    if !unit.lock_person(person_id).await? {
        return Err(crate::people::erased());
    }
    note(state, unit, person_id, purpose, data).await
}

/// Query of `GET /v1/me/access-log`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AccessLogQuery {
    /// The `next` of the previous page, to read older entries.
    pub before: Option<String>,
    /// Entries per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
}

/// One opening of the person's data by someone else.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessEntry {
    /// When (RFC 3339).
    pub at: String,
    /// `staff`, `job` or `operator`.
    pub actor_kind: String,
    /// The staff account's role, or the job's name.
    pub actor_role: Option<String>,
    /// The staff account's opaque id (never a name); to quote in a complaint.
    pub actor_account: Option<String>,
    /// `check_in`, `sampling`, `test_result`, `recompute`, `case_handling` or `import`.
    pub purpose: String,
    /// Which of the person's data: `name`, `masked_name`, `colour`, `facts`…
    pub fields: Vec<String>,
}

/// A page of the access log, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessLog {
    pub entries: Vec<AccessEntry>,
    /// Pass as `before` to read the next (older) page; absent on the last page.
    pub next: Option<String>,
}

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 200;

/// The calling citizen's access log, a page at a time.
pub async fn my_access_log(
    state: &AppState,
    caller: &Caller,
    query: &AccessLogQuery,
) -> Result<AccessLog, Error> {
    let person_id = caller.citizen()?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Error::new(
            ErrorCode::RequestInvalidQuery,
            format!("limit must be 1 to {MAX_PAGE}"),
        ));
    }
    let before = match query.before.as_deref() {
        Some(cursor) => Some(parse_cursor(cursor)?),
        None => None,
    };
    let rows = state
        .store()
        .access_log(
            person_id,
            before.as_ref().map(|(at, id)| (*at, id.as_str())),
            limit,
        )
        .await?;
    let next = if i64::try_from(rows.len()).is_ok_and(|n| n == limit) {
        rows.last().map(|r| format!("{}.{}", r.at, r.id))
    } else {
        None
    };
    Ok(AccessLog {
        entries: rows.into_iter().map(entry).collect(),
        next,
    })
}

/// Every access record of a person, for their export.
pub(crate) async fn everything(
    state: &AppState,
    person_id: &str,
) -> Result<Vec<AccessEntry>, Error> {
    let mut out = Vec::new();
    let mut before: Option<(i64, String)> = None;
    loop {
        let rows = state
            .store()
            .access_log(
                person_id,
                before.as_ref().map(|(at, id)| (*at, id.as_str())),
                1000,
            )
            .await?;
        let last = rows.last().map(|r| (r.at, r.id.clone()));
        let full = rows.len() == 1000;
        out.extend(rows.into_iter().map(entry));
        match last {
            Some(last) if full => before = Some(last),
            _ => return Ok(out),
        }
    }
}

fn entry(r: AccessRecord) -> AccessEntry {
    AccessEntry {
        at: rfc3339(r.at),
        actor_kind: r.actor_kind,
        actor_role: r.actor_role,
        actor_account: r.actor_account,
        purpose: r.purpose,
        fields: r
            .fields
            .split(',')
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect(),
    }
}

/// A page cursor: `{at}.{id}` of the last entry of the previous page.
fn parse_cursor(cursor: &str) -> Result<(i64, String), Error> {
    let bad = || {
        Error::new(
            ErrorCode::RequestInvalidQuery,
            "before is not a page cursor",
        )
    };
    let (at, id) = cursor.split_once('.').ok_or_else(bad)?;
    let at = at.parse().map_err(|_| bad())?;
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    Ok((at, id.to_owned()))
}

#[cfg(test)]
mod tests {
    use healthcode_domain::role::Role;

    use super::*;

    #[test]
    fn own_reads_are_not_listed_and_others_are_named_by_role_and_account() {
        let me = Actor::Citizen {
            account_id: "a".into(),
            person_id: "p".into(),
        };
        assert!(
            access_record(&me, "p", 1, Purpose::CheckIn, &[Datum::Colour])
                .expect("record")
                .is_none()
        );
        let lab = Actor::Staff {
            account_id: "lab-1".into(),
            role: Role::Lab,
        };
        let record = access_record(
            &lab,
            "p",
            7,
            Purpose::TestResult,
            &[Datum::Facts, Datum::Colour],
        )
        .expect("record")
        .expect("listed");
        assert_eq!(
            (
                record.actor_kind.as_str(),
                record.actor_role.as_deref(),
                record.actor_account.as_deref()
            ),
            ("staff", Some("lab"), Some("lab-1"))
        );
        assert_eq!(
            (record.purpose.as_str(), record.fields.as_str()),
            ("test_result", "facts,colour")
        );
        let sweep = access_record(
            &Actor::Job {
                name: "sweep".into(),
            },
            "p",
            7,
            Purpose::Recompute,
            RECOMPUTED,
        )
        .expect("record")
        .expect("listed");
        assert_eq!(
            (sweep.actor_kind.as_str(), sweep.actor_role.as_deref()),
            ("job", Some("sweep"))
        );
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        assert_eq!(
            parse_cursor("17.ab12").expect("cursor"),
            (17, "ab12".to_owned())
        );
        for bad in ["", "17", "x.ab", "17.", "17.zz", "17.a'b"] {
            assert!(parse_cursor(bad).is_err(), "{bad}");
        }
    }
}
