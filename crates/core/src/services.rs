//! Services on a schedule: the public schedule, an authority's scheduling and
//! cancelling of closures (audited acts), and the check every service makes
//! before it does anything.
//!
//! The check reads the schedule snapshot the state keeps (reloaded after a
//! change on this server and by the `reload` job on the others), so it costs
//! no database round trip on the code-display path. The public schedule reads
//! the store, so it shows a change at once.

use healthcode_domain::actor::Actor;
use healthcode_domain::audit::{Act, Draft};
use healthcode_domain::role::Role;
use healthcode_domain::services::{Availability, Closure, Notice, ScheduledClosure, Service};
use healthcode_store::ServiceClosureRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actor::authority;
use crate::app::AppState;
use crate::clock::rfc3339;
use crate::error::{Error, ErrorCode, Suspension};
use crate::ids::random_id;

/// Refuses with `service.suspended` (and the notice) once `service` is closed.
pub fn ensure_open(state: &AppState, service: Service) -> Result<(), Error> {
    match state.services().availability(service, state.now()) {
        Availability::Closed(c) => Err(Error::suspended(suspension(c))),
        Availability::Open | Availability::Announced(_) => Ok(()),
    }
}

/// The closure of `service` scheduled or in force, and whether it is in
/// force now (`true`: the service is closed), for the pages.
pub fn closure(state: &AppState, service: Service) -> Option<(Suspension, bool)> {
    match state.services().availability(service, state.now()) {
        Availability::Open => None,
        Availability::Announced(c) => Some((suspension(c), false)),
        Availability::Closed(c) => Some((suspension(c), true)),
    }
}

fn suspension(c: &ScheduledClosure) -> Suspension {
    Suspension {
        service: c.service,
        closure: c.closure,
        notice: c.notice.clone(),
        since: c.from,
    }
}

/// A notice in both languages.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NoticeText {
    pub zh: String,
    pub en: String,
}

impl From<&Notice> for NoticeText {
    fn from(n: &Notice) -> Self {
        NoticeText {
            zh: n.zh.clone(),
            en: n.en.clone(),
        }
    }
}

/// One service in the public schedule.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceState {
    /// The service's stable name, e.g. `code-display`.
    pub service: String,
    /// `open`, `announced` (a closure is scheduled), `suspended` or `retired`.
    pub state: String,
    /// `suspended` or `retired`, when a closure is scheduled or in force.
    pub closure: Option<String>,
    /// From when (RFC 3339).
    pub from: Option<String>,
    pub notice: Option<NoticeText>,
}

fn service_state(service: Service, availability: Availability<'_>) -> ServiceState {
    let closure = match availability {
        Availability::Open => None,
        Availability::Announced(c) | Availability::Closed(c) => Some(c),
    };
    ServiceState {
        service: service.as_str().to_owned(),
        state: availability.as_str().to_owned(),
        closure: closure.map(|c| c.closure.as_str().to_owned()),
        from: closure.map(|c| rfc3339(c.from)),
        notice: closure.map(|c| NoticeText::from(&c.notice)),
    }
}

/// Every service and whether it is open now, as stored (public).
pub async fn schedule(state: &AppState) -> Result<Vec<ServiceState>, Error> {
    let stored = crate::rules::load_service_schedule(state.store())
        .await
        .map_err(Error::internal)?;
    let now = state.now();
    Ok(Service::ALL
        .into_iter()
        .map(|s| service_state(s, stored.availability(s, now)))
        .collect())
}

/// A closure to schedule.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"service": "declarations", "closure": "retired", "from": "2099-01-01T00:00:00+08:00", "notice_zh": "健康申报服务已停止。", "notice_en": "Health declarations have ended."}))]
pub struct ClosureRequest {
    #[schema(schema_with = crate::schema::service)]
    pub service: String,
    #[schema(schema_with = crate::schema::closure)]
    pub closure: String,
    /// From when (RFC 3339), now or later.
    #[schema(format = DateTime)]
    pub from: String,
    pub notice_zh: String,
    pub notice_en: String,
}

fn parse_service(name: &str) -> Result<Service, Error> {
    Service::parse(name).ok_or_else(|| {
        let names: Vec<&str> = Service::ALL.iter().map(|s| s.as_str()).collect();
        Error::new(
            ErrorCode::ServiceUnknown,
            format!("no service {name:?}; the services are {}", names.join(", ")),
        )
    })
}

/// An authority schedules a service's closure, replacing the one scheduled
/// before; audited in the same unit of work.
pub async fn schedule_closure(
    state: &AppState,
    by: Actor,
    request: &ClosureRequest,
) -> Result<ServiceState, Error> {
    let account = authority(&by)?.to_owned();
    let service = parse_service(&request.service)?;
    let closure = Closure::parse(&request.closure).ok_or_else(|| {
        Error::new(
            ErrorCode::ServiceUnknown,
            "the closure is `suspended` or `retired`",
        )
    })?;
    let from: jiff::Timestamp = request.from.parse().map_err(|_| {
        Error::new(
            ErrorCode::ServiceTime,
            "`from` is an RFC 3339 time such as 2023-02-16T03:00:00Z",
        )
    })?;
    let notice = Notice::new(&request.notice_zh, &request.notice_en)?;
    let now = state.now();
    let scheduled = ScheduledClosure::new(service, closure, from.as_second(), notice, now)?;
    let record = ServiceClosureRecord {
        id: random_id()?,
        service: service.as_str().to_owned(),
        closure: closure.as_str().to_owned(),
        effective_from: scheduled.from,
        notice_zh: scheduled.notice.zh.clone(),
        notice_en: scheduled.notice.en.clone(),
        scheduled_by: account,
        scheduled_at: now,
        ended_by: None,
        ended_at: None,
    };
    let mut unit = state.begin(by).await?;
    let replaced = unit.end_service_closure(service.as_str()).await?;
    unit.insert_service_closure(&record).await?;
    unit.audit(
        Draft::new(Act::ServiceScheduled)
            .detail("service", service.as_str())
            .detail("closure", closure.as_str())
            .detail("from", rfc3339(scheduled.from))
            .detail("replaced", replaced),
    );
    unit.commit().await?;
    state.reload_rules().await.map_err(Error::internal)?;
    tracing::info!(service = service.as_str(), closure = closure.as_str(), from = %rfc3339(scheduled.from), "service closure scheduled");
    let availability = if now >= scheduled.from {
        Availability::Closed(&scheduled)
    } else {
        Availability::Announced(&scheduled)
    };
    Ok(service_state(service, availability))
}

/// An authority cancels a service's closure (before or after its time: a
/// suspended service opens again); audited.
pub async fn cancel_closure(state: &AppState, by: Actor, service: &str) -> Result<(), Error> {
    authority(&by)?;
    let service = parse_service(service)?;
    let mut unit = state.begin(by).await?;
    if !unit.end_service_closure(service.as_str()).await? {
        return Err(Error::new(
            ErrorCode::ServiceNotScheduled,
            format!("no closure of {} is scheduled", service.as_str()),
        ));
    }
    unit.audit(Draft::new(Act::ServiceCancelled).detail("service", service.as_str()));
    unit.commit().await?;
    state.reload_rules().await.map_err(Error::internal)?;
    tracing::info!(service = service.as_str(), "service closure cancelled");
    Ok(())
}

/// A closure as the history shows it: nothing personal, the accounts opaque.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClosureHistoryEntry {
    pub id: String,
    pub service: String,
    pub closure: String,
    pub from: String,
    pub notice: NoticeText,
    pub scheduled_by: String,
    pub scheduled_at: String,
    /// When it was cancelled or replaced, and by whom.
    pub ended_by: Option<String>,
    pub ended_at: Option<String>,
}

/// Every closure ever scheduled, the latest first (authorities and the regulator).
pub async fn history(
    state: &AppState,
    caller: &crate::Caller,
) -> Result<Vec<ClosureHistoryEntry>, Error> {
    caller.require(&[Role::Authority, Role::Regulator])?;
    let records = state.store().service_closure_history().await?;
    Ok(records
        .into_iter()
        .map(|r| ClosureHistoryEntry {
            from: rfc3339(r.effective_from),
            scheduled_at: rfc3339(r.scheduled_at),
            ended_at: r.ended_at.map(rfc3339),
            notice: NoticeText {
                zh: r.notice_zh,
                en: r.notice_en,
            },
            id: r.id,
            service: r.service,
            closure: r.closure,
            scheduled_by: r.scheduled_by,
            ended_by: r.ended_by,
        })
        .collect())
}
