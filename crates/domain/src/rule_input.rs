//! The rule input: the JSON object that a policy's CertLogic rules read with `var`.
//!
//! This is the public contract between the platform and policy authors (also
//! described in `crates/domain/policies/README.md`). Fields are only ever added.
//!
//! CertLogic cannot iterate with access to the current time (the lambda of `reduce`
//! sees only `accumulator` and `current`) and has no prefix matching, so the input
//! does the mechanical work a rule could not: it picks the decisive fact of each
//! kind ("the latest negative PCR test") and matches check-ins against risk areas.
//! It never interprets a fact against a threshold: that is what rules are for.
//!
//! Every fact passed in is used, whatever its time: pass the facts known at `now`.
//! "Latest" means greatest event time (ties broken by id, so the choice is stable).
//!
//! # Shape
//!
//! Date-times are RFC 3339 strings in China Standard Time (`2022-05-03T12:00:00+08:00`),
//! which CertLogic's `plusTime` reads; compare them as
//! `{"before": [{"plusTime": [{"var": "now"}, 0, "hour"]}, {"plusTime": [{"var": "x.at"}, 7, "day"]}]}`.
//! Absent facts are `null`. Every object built from facts has `refs`, the
//! `[{"kind", "id"}]` of those facts, which explanations report.
//!
//! ```text
//! {
//!   "now": date-time,
//!   "params": { ...the policy's parameters... },
//!   "designations": {
//!     "confirmed_case": Designation | null,   // latest by `since`
//!     "close_contact":  Designation | null
//!   },
//!   "pending_retest": PendingRetest | null,   // latest by `since`
//!   "latest_test": Test | null,               // latest personal result by sample time:
//!                                             // individual results, and pooled negatives
//!   "latest_individual_test": Test | null,    // latest non-pooled result
//!   "latest_negative_pcr": Test | null,       // latest negative PCR, pooled or not
//!   "latest_self_test": SelfTest | null,
//!   "latest_positive_self_test": SelfTest | null,
//!   "latest_declaration": Declaration | null,
//!   "vaccination": { "doses_received": int, "complete": bool, "latest": Vaccination | null },
//!   "risk_visit": { "high": Visit | null, "medium": Visit | null, "low": Visit | null },
//!   "risk_visits": [Visit, ...]
//! }
//! Designation   = { "id", "kind": "confirmed_case"|"close_contact", "since", "until": date-time|null, "refs" }
//! PendingRetest = { "id", "pool_id", "since", "refs" }
//! Test          = { "id", "kind": "pcr"|"antigen", "sample_at", "result_at",
//!                   "outcome": "positive"|"negative", "laboratory", "pooled": bool, "refs" }
//! SelfTest      = { "id", "at", "positive": bool, "refs" }
//! Declaration   = { "id", "at", "symptoms": [string], "temperature_tenths_c": int|null,
//!                   "travel": [division code], "refs" }
//! Vaccination   = { "id", "product", "dose": int, "of": int, "date": "YYYY-MM-DD", "refs" }
//! Visit         = { "check_in_id", "venue_id", "venue", "division", "division_name": string|null,
//!                   "at", "area_id", "area_name", "level": "high"|"medium"|"low",
//!                   "area_from", "area_until": date-time|null, "refs" }
//! ```
//!
//! A visit is a check-in inside a risk area's place and window ([`RiskArea::covers`]).
//! `risk_visits` lists them all, those whose window ends last first (an area not
//! yet lifted ends last of all), then by latest check-in; `risk_visit.<level>` is
//! the first of that level, the one that keeps a person affected longest when the
//! policy's tail after the window is the same for the whole level.

use jiff::Timestamp;
use jiff::tz::Offset;
use serde_json::{Map, Value, json};

use crate::divisions;
use crate::facts::{
    CheckIn, Declaration, Designation, DesignationKind, FactKind, PendingRetest, PersonFacts,
    RiskArea, RiskLevel, RiskScope, SelfTest, TestKind, TestOutcome, TestResult, Vaccination,
};

/// China Standard Time, UTC+8 all year: the offset the input's date-times carry.
pub const CHINA_OFFSET: Offset = Offset::constant(8);

/// The top-level keys of the rule input, so policies can be checked for typos in
/// the paths their templates and fact lists name.
pub const INPUT_KEYS: [&str; 13] = [
    "now",
    "params",
    "designations",
    "pending_retest",
    "latest_test",
    "latest_individual_test",
    "latest_negative_pcr",
    "latest_self_test",
    "latest_positive_self_test",
    "latest_declaration",
    "vaccination",
    "risk_visit",
    "risk_visits",
];

/// A date-time as the rule input writes it: RFC 3339 at UTC+8, e.g.
/// `2022-05-03T12:00:00+08:00`, readable by CertLogic and by people in China.
pub fn input_time(ts: Timestamp) -> String {
    ts.display_with_offset(CHINA_OFFSET).to_string()
}

/// Builds the documented input object (see the module documentation) that a
/// policy's rules are evaluated against, for one person at `now`.
pub fn rule_input(
    facts: &PersonFacts,
    risk_areas: &[RiskArea],
    now: Timestamp,
    params: &Value,
) -> Value {
    let latest_test = facts
        .tests
        .iter()
        .filter(|t| !(t.pooled && t.outcome == TestOutcome::Positive))
        .max_by(test_order);
    let latest_individual_test = facts.tests.iter().filter(|t| !t.pooled).max_by(test_order);
    let latest_negative_pcr = facts
        .tests
        .iter()
        .filter(|t| t.kind == TestKind::Pcr && t.outcome == TestOutcome::Negative)
        .max_by(test_order);
    let latest_self_test = facts.self_tests.iter().max_by(self_test_order);
    let latest_positive_self_test = facts
        .self_tests
        .iter()
        .filter(|s| s.positive)
        .max_by(self_test_order);
    let latest_declaration = facts
        .declarations
        .iter()
        .max_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    let designation = |kind: DesignationKind| {
        facts
            .designations
            .iter()
            .filter(|d| d.kind == kind)
            .max_by(|a, b| (a.since, &a.id).cmp(&(b.since, &b.id)))
            .map_or(Value::Null, designation_json)
    };
    let pending_retest = facts
        .pending_retests
        .iter()
        .max_by(|a, b| (a.since, &a.id).cmp(&(b.since, &b.id)));
    let latest_vaccination = facts
        .vaccinations
        .iter()
        .max_by(|a, b| (a.date, a.dose, &a.id).cmp(&(b.date, b.dose, &b.id)));

    let visits = risk_visits(&facts.check_ins, risk_areas);
    let first_of = |level: RiskLevel| {
        visits
            .iter()
            .find(|(_, area)| area.level == level)
            .map_or(Value::Null, |(c, a)| visit_json(c, a))
    };

    json!({
        "now": input_time(now),
        "params": params,
        "designations": {
            "confirmed_case": designation(DesignationKind::ConfirmedCase),
            "close_contact": designation(DesignationKind::CloseContact),
        },
        "pending_retest": pending_retest.map_or(Value::Null, pending_retest_json),
        "latest_test": latest_test.map_or(Value::Null, test_json),
        "latest_individual_test": latest_individual_test.map_or(Value::Null, test_json),
        "latest_negative_pcr": latest_negative_pcr.map_or(Value::Null, test_json),
        "latest_self_test": latest_self_test.map_or(Value::Null, self_test_json),
        "latest_positive_self_test": latest_positive_self_test.map_or(Value::Null, self_test_json),
        "latest_declaration": latest_declaration.map_or(Value::Null, declaration_json),
        "vaccination": {
            "doses_received": facts.vaccinations.len(),
            "complete": facts.vaccinations.iter().any(|v| v.of > 0 && v.dose >= v.of),
            "latest": latest_vaccination.map_or(Value::Null, vaccination_json),
        },
        "risk_visit": {
            "high": first_of(RiskLevel::High),
            "medium": first_of(RiskLevel::Medium),
            "low": first_of(RiskLevel::Low),
        },
        "risk_visits": visits.iter().map(|(c, a)| visit_json(c, a)).collect::<Vec<_>>(),
    })
}

/// Every (check-in, risk area) pair where the area covers the check-in, the
/// longest-lasting first: latest window end (open windows last of all), then
/// latest check-in, then ids for a stable order.
fn risk_visits<'a>(
    check_ins: &'a [CheckIn],
    areas: &'a [RiskArea],
) -> Vec<(&'a CheckIn, &'a RiskArea)> {
    let mut visits: Vec<_> = areas
        .iter()
        .flat_map(|area| {
            check_ins
                .iter()
                .filter(|c| area.covers(c))
                .map(move |c| (c, area))
        })
        .collect();
    // `None` (not lifted) sorts after every `Some`, so reversing puts it first.
    visits.sort_by(|(c1, a1), (c2, a2)| {
        let end = |a: &RiskArea| (a.until.is_none(), a.until);
        (end(a2), c2.at, &a2.id, &c2.id).cmp(&(end(a1), c1.at, &a1.id, &c1.id))
    });
    visits
}

fn test_order(a: &&TestResult, b: &&TestResult) -> std::cmp::Ordering {
    (a.sample_at, a.result_at, &a.id).cmp(&(b.sample_at, b.result_at, &b.id))
}

fn self_test_order(a: &&SelfTest, b: &&SelfTest) -> std::cmp::Ordering {
    (a.at, &a.id).cmp(&(b.at, &b.id))
}

fn refs(items: &[(FactKind, &str)]) -> Value {
    Value::Array(
        items
            .iter()
            .map(|(kind, id)| json!({"kind": kind.as_str(), "id": id}))
            .collect(),
    )
}

fn optional_time(ts: Option<Timestamp>) -> Value {
    ts.map_or(Value::Null, |t| Value::String(input_time(t)))
}

fn designation_json(d: &Designation) -> Value {
    json!({
        "id": d.id,
        "kind": d.kind.as_str(),
        "since": input_time(d.since),
        "until": optional_time(d.until),
        "refs": refs(&[(FactKind::Designation, &d.id)]),
    })
}

fn pending_retest_json(p: &PendingRetest) -> Value {
    json!({
        "id": p.id,
        "pool_id": p.pool_id,
        "since": input_time(p.since),
        "refs": refs(&[(FactKind::PendingRetest, &p.id)]),
    })
}

fn test_json(t: &TestResult) -> Value {
    json!({
        "id": t.id,
        "kind": t.kind.as_str(),
        "sample_at": input_time(t.sample_at),
        "result_at": input_time(t.result_at),
        "outcome": t.outcome.as_str(),
        "laboratory": t.laboratory,
        "pooled": t.pooled,
        "refs": refs(&[(FactKind::Test, &t.id)]),
    })
}

fn self_test_json(s: &SelfTest) -> Value {
    json!({
        "id": s.id,
        "at": input_time(s.at),
        "positive": s.positive,
        "refs": refs(&[(FactKind::SelfTest, &s.id)]),
    })
}

fn declaration_json(d: &Declaration) -> Value {
    json!({
        "id": d.id,
        "at": input_time(d.at),
        "symptoms": d.symptoms,
        "temperature_tenths_c": d.temperature_tenths_c,
        "travel": d.travel,
        "refs": refs(&[(FactKind::Declaration, &d.id)]),
    })
}

fn vaccination_json(v: &Vaccination) -> Value {
    json!({
        "id": v.id,
        "product": v.product,
        "dose": v.dose,
        "of": v.of,
        "date": v.date.to_string(),
        "refs": refs(&[(FactKind::Vaccination, &v.id)]),
    })
}

fn visit_json(c: &CheckIn, a: &RiskArea) -> Value {
    let area_name = match (&a.name, &a.scope) {
        (Some(name), _) => name.clone(),
        (None, RiskScope::Division(code)) => {
            divisions::full_name(code).unwrap_or_else(|| code.clone())
        }
        (None, RiskScope::Venue(_)) => c.venue_name.clone(),
    };
    let mut map = Map::new();
    map.insert("check_in_id".into(), json!(c.id));
    map.insert("venue_id".into(), json!(c.venue_id));
    map.insert("venue".into(), json!(c.venue_name));
    map.insert("division".into(), json!(c.division));
    map.insert(
        "division_name".into(),
        divisions::full_name(&c.division).map_or(Value::Null, Value::String),
    );
    map.insert("at".into(), json!(input_time(c.at)));
    map.insert("area_id".into(), json!(a.id));
    map.insert("area_name".into(), json!(area_name));
    map.insert("level".into(), json!(a.level.as_str()));
    map.insert("area_from".into(), json!(input_time(a.from)));
    map.insert("area_until".into(), optional_time(a.until));
    map.insert(
        "refs".into(),
        refs(&[(FactKind::CheckIn, &c.id), (FactKind::RiskArea, &a.id)]),
    );
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{Provenance, SourceKind};

    fn at(s: &str) -> Timestamp {
        s.parse().expect("valid test timestamp")
    }

    fn prov() -> Provenance {
        Provenance::epidemic(SourceKind::Laboratory, "lab", at("2022-05-01T00:00:00Z"))
    }

    fn test(id: &str, sample: &str, outcome: TestOutcome, pooled: bool) -> TestResult {
        TestResult {
            id: id.into(),
            kind: TestKind::Pcr,
            sample_at: at(sample),
            result_at: at(sample),
            outcome,
            laboratory: "Lab".into(),
            pooled,
            provenance: prov(),
        }
    }

    #[test]
    fn empty_facts_give_nulls_and_the_clock() {
        let input = rule_input(
            &PersonFacts::default(),
            &[],
            at("2022-05-01T02:00:00Z"),
            &json!({"x": 1}),
        );
        assert_eq!(input["now"], json!("2022-05-01T10:00:00+08:00"));
        assert_eq!(input["params"], json!({"x": 1}));
        assert_eq!(input["latest_test"], Value::Null);
        assert_eq!(input["designations"]["close_contact"], Value::Null);
        assert_eq!(input["risk_visit"]["high"], Value::Null);
        assert_eq!(input["risk_visits"], json!([]));
        assert_eq!(input["vaccination"]["doses_received"], json!(0));
        let mut keys: Vec<&str> = input
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        keys.sort_unstable();
        let mut documented = INPUT_KEYS.to_vec();
        documented.sort_unstable();
        assert_eq!(keys, documented);
    }

    #[test]
    fn pooled_positives_are_not_personal_results() {
        let facts = PersonFacts {
            tests: vec![
                test(
                    "old-neg",
                    "2022-05-01T08:00:00+08:00",
                    TestOutcome::Negative,
                    false,
                ),
                test(
                    "pool-neg",
                    "2022-05-02T08:00:00+08:00",
                    TestOutcome::Negative,
                    true,
                ),
                test(
                    "pool-pos",
                    "2022-05-03T08:00:00+08:00",
                    TestOutcome::Positive,
                    true,
                ),
            ],
            ..PersonFacts::default()
        };
        let input = rule_input(&facts, &[], at("2022-05-04T00:00:00Z"), &json!({}));
        assert_eq!(input["latest_test"]["id"], json!("pool-neg"));
        assert_eq!(input["latest_individual_test"]["id"], json!("old-neg"));
        assert_eq!(input["latest_negative_pcr"]["id"], json!("pool-neg"));
        assert_eq!(
            input["latest_test"]["refs"],
            json!([{"kind": "test", "id": "pool-neg"}])
        );
    }

    #[test]
    fn visits_are_ordered_by_window_end_and_picked_per_level() {
        let check_in = |id: &str, division: &str, when: &str| CheckIn {
            id: id.into(),
            venue_id: format!("venue-{id}"),
            venue_name: format!("Venue {id}"),
            division: division.into(),
            at: at(when),
            provenance: prov(),
        };
        let area = |id: &str, code: &str, level, until: Option<&str>| RiskArea {
            id: id.into(),
            scope: RiskScope::Division(code.into()),
            level,
            name: None,
            from: at("2022-05-01T00:00:00+08:00"),
            until: until.map(at),
            provenance: prov(),
        };
        let facts = PersonFacts {
            check_ins: vec![
                check_in("c1", "350102", "2022-05-02T09:00:00+08:00"),
                check_in("c2", "350203", "2022-05-03T09:00:00+08:00"),
                check_in("c3", "440305", "2022-05-03T09:00:00+08:00"),
            ],
            ..PersonFacts::default()
        };
        let areas = [
            area(
                "a-fz",
                "350100",
                RiskLevel::High,
                Some("2022-05-05T00:00:00+08:00"),
            ),
            area(
                "a-xm",
                "350200",
                RiskLevel::High,
                Some("2022-05-09T00:00:00+08:00"),
            ),
            area("a-fj", "350000", RiskLevel::Medium, None),
        ];
        let input = rule_input(&facts, &areas, at("2022-05-04T00:00:00Z"), &json!({}));
        let order: Vec<(String, String)> = input["risk_visits"]
            .as_array()
            .map(|vs| {
                vs.iter()
                    .map(|v| (v["area_id"].to_string(), v["check_in_id"].to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let expect = |a: &str, c: &str| (format!("\"{a}\""), format!("\"{c}\""));
        assert_eq!(
            order,
            vec![
                expect("a-fj", "c2"),
                expect("a-fj", "c1"),
                expect("a-xm", "c2"),
                expect("a-fz", "c1"),
            ]
        );
        let high = &input["risk_visit"]["high"];
        assert_eq!(high["area_id"], json!("a-xm"));
        assert_eq!(high["venue"], json!("Venue c2"));
        assert_eq!(high["area_until"], json!("2022-05-09T00:00:00+08:00"));
        assert_eq!(high["area_name"], json!("福建省 厦门市"));
        assert_eq!(
            high["refs"],
            json!([{"kind": "check_in", "id": "c2"}, {"kind": "risk_area", "id": "a-xm"}])
        );
        assert_eq!(input["risk_visit"]["medium"]["area_until"], Value::Null);
        assert_eq!(input["risk_visit"]["low"], Value::Null);
    }
}
