//! The rules as stored: published policies, declared risk areas, retention
//! schedules and the services' schedule, loaded into the forms the service uses (snapshots the state
//! keeps and reloads).

use healthcode_domain::actor::Actor;
use healthcode_domain::facts::{Provenance, RiskArea, RiskLevel, RiskScope, SourceKind};
use healthcode_domain::policy::{PolicyDocument, PolicySet};
use healthcode_domain::retention::{SHIPPED_SCHEDULE, Schedule, ScheduleError, ScheduleSet};
use healthcode_domain::services::{Closure, Notice, ScheduledClosure, Service, ServiceSchedule};
use healthcode_store::{PolicyRecord, RetentionScheduleRecord, RiskAreaRecord, Store, StoreError};

/// The published policies, with the shipped ones published on first start.
pub async fn load_policies(store: &Store, now: i64) -> Result<PolicySet, LoadError> {
    let mut records = store.policies().await?;
    if records.is_empty() {
        // The operator starting the service publishes the shipped policies.
        let mut unit = store.begin(Actor::Operator, now).await?;
        for (_, text) in healthcode_domain::policy::SHIPPED_POLICIES {
            let document = PolicyDocument::from_json(text)?;
            unit.insert_policy(&PolicyRecord {
                version: document.version.clone(),
                effective_from: document.effective_from.as_second(),
                document: text.to_owned(),
                published_by: None,
                published_at: now,
                proposed_by: None,
            })
            .await?;
        }
        unit.commit().await?;
        records = store.policies().await?;
    }
    let compiled = records
        .iter()
        .map(|r| healthcode_domain::policy::CompiledPolicy::from_json(&r.document))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PolicySet::new(compiled)?)
}

/// The published retention schedules, with the shipped one published on
/// first start.
pub async fn load_schedules(store: &Store, now: i64) -> Result<ScheduleSet, LoadError> {
    let mut records = store.retention_schedules().await?;
    if records.is_empty() {
        let shipped = Schedule::from_json(SHIPPED_SCHEDULE)?;
        let mut unit = store.begin(Actor::Operator, now).await?;
        unit.insert_retention_schedule(&RetentionScheduleRecord {
            version: shipped.version.clone(),
            effective_from: shipped.effective_from.as_second(),
            document: SHIPPED_SCHEDULE.to_owned(),
            published_by: None,
            published_at: now,
        })
        .await?;
        unit.commit().await?;
        records = store.retention_schedules().await?;
    }
    let schedules = records
        .iter()
        .map(|r| Schedule::from_json(&r.document))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ScheduleSet::new(schedules))
}

/// The standing closures of services, as the schedule the services check.
pub async fn load_service_schedule(store: &Store) -> Result<ServiceSchedule, LoadError> {
    let records = store.service_closures().await?;
    let closures = records
        .iter()
        .map(|r| {
            let invalid = || LoadError::Service(r.id.clone());
            Ok(ScheduledClosure {
                service: Service::parse(&r.service).ok_or_else(invalid)?,
                closure: Closure::parse(&r.closure).ok_or_else(invalid)?,
                from: r.effective_from,
                notice: Notice {
                    zh: r.notice_zh.clone(),
                    en: r.notice_en.clone(),
                },
            })
        })
        .collect::<Result<Vec<_>, LoadError>>()?;
    Ok(ServiceSchedule::new(closures))
}

/// Why policies or risk areas could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a stored policy is invalid ({code}): {source}", code = .source.code())]
    Policy {
        #[from]
        source: healthcode_domain::policy::PolicyError,
    },
    #[error("a stored risk area is invalid: {0}")]
    RiskArea(String),
    #[error("a stored retention schedule is invalid: {0}")]
    Schedule(#[from] ScheduleError),
    #[error("the stored service closure {0} names an unknown service or closure")]
    Service(String),
}

/// The declared risk areas, as the policy sees them.
pub async fn load_risk_areas(store: &Store) -> Result<Vec<RiskArea>, LoadError> {
    store
        .risk_areas()
        .await?
        .into_iter()
        .map(risk_area)
        .collect()
}

fn risk_area(r: RiskAreaRecord) -> Result<RiskArea, LoadError> {
    let bad = |what: &str| LoadError::RiskArea(format!("{}: {what}", r.id));
    let scope = match r.scope_kind.as_str() {
        "division" => RiskScope::Division(r.scope.clone()),
        "venue" => RiskScope::Venue(r.scope.clone()),
        _ => return Err(bad("unknown scope kind")),
    };
    let level = match r.level.as_str() {
        "high" => RiskLevel::High,
        "medium" => RiskLevel::Medium,
        "low" => RiskLevel::Low,
        _ => return Err(bad("unknown level")),
    };
    let time = |s: i64| jiff::Timestamp::from_second(s).map_err(|_| bad("time out of range"));
    Ok(RiskArea {
        id: r.id.clone(),
        scope,
        level,
        name: r.name.clone(),
        from: time(r.from_at)?,
        until: r.until_at.map(time).transpose()?,
        provenance: Provenance::epidemic(
            SourceKind::Authority,
            r.declared_by.clone(),
            time(r.declared_at)?,
        ),
    })
}
