//! The services people use, and their schedule: an authority can suspend or
//! retire any of them from a given time, with a notice in Chinese and English.
//!
//! Before the time the service works and its pages announce what is coming;
//! from the time it refuses, showing the notice instead. Closing a service
//! never deletes data: that is disposal's job.

use serde::{Deserialize, Serialize};

/// A service that can be suspended or retired on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Service {
    /// Registering a citizen.
    Registration,
    /// A citizen's own code (API and code page).
    CodeDisplay,
    /// Reporting a self-test.
    SelfTests,
    /// Health declarations.
    Declarations,
    /// Check-ins at venues: scanning a place code, registering venues and
    /// showing their place codes.
    CheckIns,
    /// A checker scanning a person's code.
    AssistedChecks,
    /// The sampling workbench: tubes and samples.
    Workbench,
    /// Laboratories uploading results.
    LaboratoryUploads,
    /// EU Digital COVID Certificates and SMART Health Cards.
    Certificates,
}

impl Service {
    /// Every service, in a stable order.
    pub const ALL: [Service; 9] = [
        Service::Registration,
        Service::CodeDisplay,
        Service::SelfTests,
        Service::Declarations,
        Service::CheckIns,
        Service::AssistedChecks,
        Service::Workbench,
        Service::LaboratoryUploads,
        Service::Certificates,
    ];

    /// The stable name, in the API, the command line and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Registration => "registration",
            Service::CodeDisplay => "code-display",
            Service::SelfTests => "self-tests",
            Service::Declarations => "declarations",
            Service::CheckIns => "check-ins",
            Service::AssistedChecks => "assisted-checks",
            Service::Workbench => "workbench",
            Service::LaboratoryUploads => "laboratory-uploads",
            Service::Certificates => "certificates",
        }
    }

    /// The service with this stable name.
    pub fn parse(name: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// How a service closes: a suspension may be lifted, a retirement is meant to
/// be for good (both can be cancelled by an authority; the difference is what
/// people are told).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Closure {
    Suspended,
    Retired,
}

impl Closure {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Closure::Suspended => "suspended",
            Closure::Retired => "retired",
        }
    }

    /// The closure with this stable name.
    pub fn parse(name: &str) -> Option<Closure> {
        [Closure::Suspended, Closure::Retired]
            .into_iter()
            .find(|c| c.as_str() == name)
    }
}

/// The longest notice, in characters, in each language.
pub const NOTICE_MAX_CHARS: usize = 500;

/// What people are told, in both languages the pages speak.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub zh: String,
    pub en: String,
}

/// Why a closure cannot be scheduled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error(
        "the notice must be 1 to {NOTICE_MAX_CHARS} characters in each of Chinese and English, without control characters"
    )]
    Notice,
    #[error("a closure takes effect now or later, never in the past")]
    Past,
}

impl Notice {
    /// A notice with both texts trimmed; refused if either is empty, too long
    /// or holds control characters (line breaks apart).
    pub fn new(zh: &str, en: &str) -> Result<Notice, ScheduleError> {
        let check = |text: &str| {
            let text = text.trim();
            let chars = text.chars().count();
            let clean = text.chars().all(|c| c == '\n' || !c.is_control());
            if (1..=NOTICE_MAX_CHARS).contains(&chars) && clean {
                Ok(text.to_owned())
            } else {
                Err(ScheduleError::Notice)
            }
        };
        Ok(Notice {
            zh: check(zh)?,
            en: check(en)?,
        })
    }
}

/// A closure of one service from a time on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledClosure {
    pub service: Service,
    pub closure: Closure,
    /// From when, in Unix seconds.
    pub from: i64,
    pub notice: Notice,
}

impl ScheduledClosure {
    /// A closure to schedule at `now`: its time may not be in the past.
    pub fn new(
        service: Service,
        closure: Closure,
        from: i64,
        notice: Notice,
        now: i64,
    ) -> Result<ScheduledClosure, ScheduleError> {
        if from < now {
            return Err(ScheduleError::Past);
        }
        Ok(ScheduledClosure {
            service,
            closure,
            from,
            notice,
        })
    }
}

/// Whether a service can be used at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability<'a> {
    /// Open, with nothing scheduled.
    Open,
    /// Open, with a closure announced.
    Announced(&'a ScheduledClosure),
    /// Closed since the closure's time.
    Closed(&'a ScheduledClosure),
}

impl Availability<'_> {
    /// The stable name of the state, for the public schedule.
    pub fn as_str(&self) -> &'static str {
        match self {
            Availability::Open => "open",
            Availability::Announced(_) => "announced",
            Availability::Closed(c) => c.closure.as_str(),
        }
    }
}

/// The closures in force: at most one per service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceSchedule {
    closures: Vec<ScheduledClosure>,
}

impl ServiceSchedule {
    /// The schedule of these closures; of two for one service the later
    /// listed wins, as a new scheduling replaces the one before.
    pub fn new(closures: impl IntoIterator<Item = ScheduledClosure>) -> ServiceSchedule {
        let mut kept: Vec<ScheduledClosure> = Vec::new();
        for closure in closures {
            kept.retain(|c| c.service != closure.service);
            kept.push(closure);
        }
        kept.sort_by_key(|c| c.service);
        ServiceSchedule { closures: kept }
    }

    /// Whether `service` can be used at `now` (Unix seconds): closed from the
    /// closure's second on, announced before it.
    pub fn availability(&self, service: Service, now: i64) -> Availability<'_> {
        match self.closures.iter().find(|c| c.service == service) {
            None => Availability::Open,
            Some(c) if now >= c.from => Availability::Closed(c),
            Some(c) => Availability::Announced(c),
        }
    }

    /// Whether any service is closed or announced: the pages show nothing otherwise.
    pub fn is_empty(&self) -> bool {
        self.closures.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice() -> Notice {
        Notice::new("本服务将暂停。", "This service will be suspended.").expect("notice")
    }

    #[test]
    fn names_round_trip() {
        for s in Service::ALL {
            assert_eq!(Service::parse(s.as_str()), Some(s));
        }
        assert_eq!(Service::parse("everything"), None);
        assert_eq!(Closure::parse("retired"), Some(Closure::Retired));
        assert_eq!(Closure::parse("closed"), None);
    }

    #[test]
    fn a_service_closes_at_its_second() {
        let closure = ScheduledClosure::new(
            Service::CodeDisplay,
            Closure::Suspended,
            1_676_516_400,
            notice(),
            1_676_000_000,
        )
        .expect("closure");
        let schedule = ServiceSchedule::new([closure.clone()]);
        assert_eq!(
            schedule.availability(Service::CodeDisplay, 1_676_516_399),
            Availability::Announced(&closure)
        );
        assert_eq!(
            schedule.availability(Service::CodeDisplay, 1_676_516_400),
            Availability::Closed(&closure)
        );
        assert_eq!(
            schedule.availability(Service::CheckIns, 1_676_516_400),
            Availability::Open
        );
        assert_eq!(
            schedule
                .availability(Service::CodeDisplay, 1_676_516_400)
                .as_str(),
            "suspended"
        );
    }

    #[test]
    fn a_later_scheduling_replaces_the_one_before() {
        let first = ScheduledClosure::new(Service::Workbench, Closure::Suspended, 100, notice(), 0)
            .expect("first");
        let second = ScheduledClosure::new(Service::Workbench, Closure::Retired, 200, notice(), 0)
            .expect("second");
        let schedule = ServiceSchedule::new([first, second.clone()]);
        assert_eq!(
            schedule.availability(Service::Workbench, 150),
            Availability::Announced(&second)
        );
    }

    #[test]
    fn notices_and_times_are_checked() {
        assert_eq!(Notice::new(" ", "text"), Err(ScheduleError::Notice));
        assert_eq!(
            Notice::new("文本", "bad\u{7}bell"),
            Err(ScheduleError::Notice)
        );
        let long = "长".repeat(NOTICE_MAX_CHARS + 1);
        assert_eq!(Notice::new(&long, "text"), Err(ScheduleError::Notice));
        assert!(Notice::new(&"长".repeat(NOTICE_MAX_CHARS), "two\nlines").is_ok());
        assert_eq!(
            ScheduledClosure::new(Service::Registration, Closure::Retired, 9, notice(), 10),
            Err(ScheduleError::Past)
        );
        assert!(
            ScheduledClosure::new(Service::Registration, Closure::Retired, 10, notice(), 10)
                .is_ok()
        );
    }
}
