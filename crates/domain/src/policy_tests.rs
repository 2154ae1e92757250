//! Tests of the policy engine and of every rule of the shipped policies, with
//! explicit `now`s for the time-based transitions.

use super::*;
use crate::facts::{
    CheckIn, Declaration, Designation, DesignationKind, PendingRetest, Provenance, RiskLevel,
    RiskScope, SelfTest, SourceKind, TestKind, TestOutcome, TestResult,
};
use serde_json::json;

fn t(s: &str) -> Timestamp {
    s.parse().expect("valid test timestamp")
}

/// China time on a day of May 2022: `may(3, 12)` is 2022-05-03 12:00 +08:00.
fn may(day: u8, hour: u8) -> Timestamp {
    t(&format!("2022-05-{day:02}T{hour:02}:00:00+08:00"))
}

fn prov(source: SourceKind) -> Provenance {
    Provenance::epidemic(source, "test", t("2022-01-01T00:00:00Z"))
}

fn pcr(id: &str, sample_at: Timestamp, outcome: TestOutcome, pooled: bool) -> TestResult {
    TestResult {
        id: id.into(),
        kind: TestKind::Pcr,
        sample_at,
        result_at: sample_at,
        outcome,
        laboratory: "Fuzhou Lab 1".into(),
        pooled,
        provenance: prov(SourceKind::Laboratory),
    }
}

fn designation(kind: DesignationKind, since: Timestamp, until: Option<Timestamp>) -> Designation {
    Designation {
        id: "d1".into(),
        kind,
        since,
        until,
        provenance: prov(SourceKind::Authority),
    }
}

fn self_test(id: &str, at: Timestamp, positive: bool) -> SelfTest {
    SelfTest {
        id: id.into(),
        at,
        positive,
        provenance: prov(SourceKind::Citizen),
    }
}

fn declaration(id: &str, at: Timestamp, temp: Option<i32>, symptoms: &[&str]) -> Declaration {
    Declaration {
        id: id.into(),
        at,
        symptoms: symptoms.iter().map(|s| (*s).to_owned()).collect(),
        temperature_tenths_c: temp,
        travel: Vec::new(),
        provenance: prov(SourceKind::Citizen),
    }
}

fn check_in(id: &str, venue: &str, division: &str, at: Timestamp) -> CheckIn {
    CheckIn {
        id: id.into(),
        venue_id: format!("venue-{id}"),
        venue_name: venue.into(),
        division: division.into(),
        at,
        provenance: prov(SourceKind::Citizen),
    }
}

fn area(
    id: &str,
    scope: RiskScope,
    level: RiskLevel,
    from: Timestamp,
    until: Option<Timestamp>,
) -> RiskArea {
    RiskArea {
        id: id.into(),
        scope,
        level,
        name: None,
        from,
        until,
        provenance: prov(SourceKind::Authority),
    }
}

fn shipped_doc(name: &str) -> PolicyDocument {
    let (_, text) = SHIPPED_POLICIES
        .iter()
        .find(|(file, _)| *file == name)
        .expect("shipped policy exists");
    PolicyDocument::from_json(text).expect("shipped policy parses")
}

/// The 2022 policy with some parameters changed.
fn zero_with(params: Value) -> CompiledPolicy {
    let mut doc = shipped_doc("2022-dynamic-zero.json");
    if let (Value::Object(base), Value::Object(changes)) = (&mut doc.params, params) {
        base.extend(changes);
    }
    CompiledPolicy::compile(doc).expect("shipped policy compiles")
}

fn zero() -> CompiledPolicy {
    zero_with(json!({}))
}

fn eval(policy: &CompiledPolicy, facts: &PersonFacts, now: Timestamp) -> Evaluation {
    let e = policy.evaluate(facts, &[], &[], now);
    assert_eq!(e.failures, [], "no rule may fail");
    e
}

fn codes(e: &Evaluation) -> Vec<&str> {
    e.explanations.iter().map(|x| x.code.as_str()).collect()
}

// --- The shipped policies --------------------------------------------------

#[test]
fn every_shipped_policy_validates_and_compiles() {
    for (name, text) in SHIPPED_POLICIES {
        let doc = PolicyDocument::from_json(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Every rule's expressions are valid CertLogic once parameters are bound,
        // with optional rules switched on by giving their parameters a value.
        let mut params = doc.params.clone();
        if let Value::Object(map) = &mut params {
            for value in map.values_mut().filter(|v| v.is_null()) {
                *value = json!(72);
            }
        }
        for rule in &doc.rules {
            for expr in [
                Some(&rule.logic),
                rule.until.as_ref(),
                rule.next_start.as_ref(),
            ]
            .into_iter()
            .flatten()
            {
                let issues = healthcode_certlogic::validate(&bind_params(expr, &params));
                assert_eq!(issues, [], "{name}: rule {}", rule.id);
            }
        }
        let policy = CompiledPolicy::compile(doc.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(format!("{}.json", policy.version()), name);
        for key in doc.params.as_object().into_iter().flatten().map(|(k, _)| k) {
            assert!(
                doc.param_docs.contains_key(key),
                "{name}: {key} undocumented"
            );
        }
        let with_all = CompiledPolicy::compile(PolicyDocument { params, ..doc })
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(with_all.enabled_rules().count(), with_all.doc.rules.len());
    }
    let set = PolicySet::shipped().expect("shipped set");
    let versions: Vec<&str> = set.policies().iter().map(CompiledPolicy::version).collect();
    assert_eq!(versions, ["2022-dynamic-zero", "2022-12-all-green"]);
    assert_eq!(
        set.policies()[1].effective_from(),
        t("2022-12-14T00:00:00+08:00")
    );
}

#[test]
fn every_rule_of_every_shipped_policy_has_a_scenario_here() {
    // Keep in step with the scenarios below: a new rule needs its own tests.
    let tested = [
        "confirmed-case",
        "close-contact",
        "positive-test",
        "pending-retest",
        "positive-self-test",
        "fever",
        "risk-area-high",
        "risk-area-medium",
        "missing-required-test",
        "all-green",
    ];
    for (name, text) in SHIPPED_POLICIES {
        let doc = PolicyDocument::from_json(text).expect("parses");
        for rule in doc.rules {
            assert!(tested.contains(&rule.id.as_str()), "{name}: {}", rule.id);
        }
    }
}

#[test]
fn no_facts_is_green_by_default_without_end() {
    let e = eval(&zero(), &PersonFacts::default(), may(1, 0));
    assert_eq!(e.colour, Colour::Green);
    assert_eq!(codes(&e), ["policy.default"]);
    assert_eq!(e.valid_until, None);
    assert_eq!(e.green_at, None);
    assert_eq!(e.policy_version, "2022-dynamic-zero");
}

#[test]
fn confirmed_case_is_red_from_designation_to_its_end() {
    let facts = PersonFacts {
        designations: vec![designation(
            DesignationKind::ConfirmedCase,
            may(3, 0),
            Some(may(20, 0)),
        )],
        ..PersonFacts::default()
    };
    let p = zero();
    // Designated for the future: green, but recompute when it starts.
    let before = eval(&p, &facts, may(2, 0));
    assert_eq!(before.colour, Colour::Green);
    assert_eq!(before.valid_until, Some(may(3, 0)));

    let during = eval(&p, &facts, may(3, 0));
    assert_eq!(during.colour, Colour::Red);
    assert_eq!(codes(&during), ["rule.confirmed-case"]);
    assert_eq!(during.valid_until, Some(may(20, 0)));
    assert_eq!(during.green_at, Some(may(20, 0)));
    let x = &during.explanations[0];
    assert_eq!(x.until, Some(may(20, 0)));
    assert_eq!(
        x.facts,
        [FactRef {
            kind: FactKind::Designation,
            id: "d1".into()
        }]
    );
    assert!(x.message_en.contains("confirmed case on 2022-05-03 00:00"));
    assert!(x.advice_en.contains("2022-05-20 00:00"), "{}", x.advice_en);
    assert!(x.message_zh.contains("确诊病例"));

    assert_eq!(eval(&p, &facts, may(20, 0)).colour, Colour::Green);
}

#[test]
fn close_contact_is_red_while_the_designation_is_open() {
    let facts = PersonFacts {
        designations: vec![designation(DesignationKind::CloseContact, may(3, 0), None)],
        ..PersonFacts::default()
    };
    let e = eval(&zero(), &facts, may(25, 0));
    assert_eq!(e.colour, Colour::Red);
    assert_eq!(codes(&e), ["rule.close-contact"]);
    assert_eq!(
        e.valid_until, None,
        "an open designation ends by a new fact"
    );
    assert_eq!(e.green_at, None);
    assert!(e.explanations[0].message_en.contains("designation ends: —"));
}

#[test]
fn positive_test_is_red_until_a_later_negative() {
    let mut facts = PersonFacts {
        tests: vec![pcr("t1", may(3, 9), TestOutcome::Positive, false)],
        ..PersonFacts::default()
    };
    let p = zero();
    let e = eval(&p, &facts, may(4, 0));
    assert_eq!(e.colour, Colour::Red);
    assert_eq!(codes(&e), ["rule.positive-test"]);
    assert!(
        e.explanations[0].message_en.contains(
            "test sampled at 2022-05-03 09:00 was positive (pcr, laboratory: Fuzhou Lab 1)"
        )
    );
    facts
        .tests
        .push(pcr("t2", may(10, 9), TestOutcome::Negative, false));
    assert_eq!(eval(&p, &facts, may(11, 0)).colour, Colour::Green);
}

#[test]
fn pending_retest_is_yellow_until_an_individual_result() {
    let mut facts = PersonFacts {
        tests: vec![pcr("pool", may(3, 9), TestOutcome::Positive, true)],
        pending_retests: vec![PendingRetest {
            id: "r1".into(),
            pool_id: "T-0042".into(),
            since: may(3, 20),
            provenance: prov(SourceKind::Laboratory),
        }],
        ..PersonFacts::default()
    };
    let p = zero();
    let e = eval(&p, &facts, may(4, 0));
    assert_eq!(e.colour, Colour::Yellow);
    assert_eq!(codes(&e), ["rule.pending-retest"]);
    assert!(e.explanations[0].message_en.contains("tube T-0042"));
    assert_eq!(e.valid_until, None);

    // Another pooled negative is not the individual retest.
    facts
        .tests
        .push(pcr("pool2", may(4, 9), TestOutcome::Negative, true));
    assert_eq!(eval(&p, &facts, may(5, 0)).colour, Colour::Yellow);

    // An individual positive retest turns it red, a negative one green.
    let mut positive = facts.clone();
    positive
        .tests
        .push(pcr("retest", may(4, 10), TestOutcome::Positive, false));
    let e = eval(&p, &positive, may(5, 0));
    assert_eq!(e.colour, Colour::Red);
    assert_eq!(codes(&e), ["rule.positive-test"]);
    facts
        .tests
        .push(pcr("retest", may(4, 10), TestOutcome::Negative, false));
    assert_eq!(eval(&p, &facts, may(5, 0)).colour, Colour::Green);
}

#[test]
fn positive_self_test_is_yellow_until_a_negative_pcr_after_it() {
    let mut facts = PersonFacts {
        tests: vec![pcr("before", may(2, 9), TestOutcome::Negative, false)],
        self_tests: vec![self_test("s1", may(3, 8), true)],
        ..PersonFacts::default()
    };
    let p = zero();
    let e = eval(&p, &facts, may(3, 9));
    assert_eq!(
        e.colour,
        Colour::Yellow,
        "a negative test before does not count"
    );
    assert_eq!(codes(&e), ["rule.positive-self-test"]);
    assert!(e.explanations[0].message_en.contains("2022-05-03 08:00"));

    facts.self_tests.push(self_test("s2", may(3, 20), false));
    assert_eq!(
        eval(&p, &facts, may(4, 0)).colour,
        Colour::Yellow,
        "a negative self-test does not clear a positive one"
    );
    facts
        .tests
        .push(pcr("after", may(4, 9), TestOutcome::Negative, true));
    assert_eq!(eval(&p, &facts, may(4, 20)).colour, Colour::Green);
}

#[test]
fn fever_is_yellow_for_its_period() {
    let p = zero();
    let fever = PersonFacts {
        declarations: vec![declaration("h1", may(3, 8), Some(373), &[])],
        ..PersonFacts::default()
    };
    let e = eval(&p, &fever, may(3, 9));
    assert_eq!(e.colour, Colour::Yellow);
    assert_eq!(codes(&e), ["rule.fever"]);
    assert_eq!(e.valid_until, Some(may(6, 8)), "72 hours");
    assert_eq!(e.green_at, Some(may(6, 8)));
    let x = &e.explanations[0];
    assert!(
        x.message_en.contains("temperature: 37.3 °C; symptoms: —"),
        "{}",
        x.message_en
    );
    assert!(x.message_zh.contains("体温：37.3℃"));
    assert!(x.advice_en.contains("2022-05-06 08:00"));
    assert_eq!(eval(&p, &fever, may(6, 7)).colour, Colour::Yellow);
    assert_eq!(eval(&p, &fever, may(6, 8)).colour, Colour::Green);

    // Below the threshold: no fever.
    let mild = PersonFacts {
        declarations: vec![declaration("h1", may(3, 8), Some(372), &["dry_cough"])],
        ..PersonFacts::default()
    };
    assert_eq!(eval(&p, &mild, may(3, 9)).colour, Colour::Green);

    // The symptom alone counts.
    let symptom = PersonFacts {
        declarations: vec![declaration("h1", may(3, 8), None, &["dry_cough", "fever"])],
        ..PersonFacts::default()
    };
    let e = eval(&p, &symptom, may(3, 9));
    assert_eq!(e.colour, Colour::Yellow);
    assert!(
        e.explanations[0]
            .message_en
            .contains("symptoms: dry_cough, fever")
    );

    // A negative PCR sampled after it, or a new declaration without fever, ends it early.
    let mut tested = fever.clone();
    tested
        .tests
        .push(pcr("t1", may(3, 10), TestOutcome::Negative, false));
    assert_eq!(eval(&p, &tested, may(3, 20)).colour, Colour::Green);
    let mut recovered = fever.clone();
    recovered
        .declarations
        .push(declaration("h2", may(4, 8), Some(365), &[]));
    assert_eq!(eval(&p, &recovered, may(4, 9)).colour, Colour::Green);

    // The threshold and the period are parameters.
    let strict = zero_with(json!({"fever_threshold_tenths_c": 372, "fever_yellow_hours": 24}));
    let e = eval(&strict, &mild, may(3, 9));
    assert_eq!(e.colour, Colour::Yellow);
    assert_eq!(e.valid_until, Some(may(4, 8)));
}

/// The issue's acceptance story: a visit to a venue in a county declared a risk
/// area turns yellow, the explanation names the venue and the window, and the code
/// turns green when the window plus its tail has passed.
#[test]
fn visit_to_a_risk_county_is_yellow_until_window_plus_tail() {
    let p = zero();
    let facts = PersonFacts {
        check_ins: vec![
            check_in("c0", "Early Tea House", "350102", may(1, 8)),
            check_in("c1", "Dongjie Market", "350102", may(3, 10)),
        ],
        ..PersonFacts::default()
    };
    let county = area(
        "a1",
        RiskScope::Division("350102".into()),
        RiskLevel::High,
        may(2, 0),
        Some(may(5, 0)),
    );
    let areas = [county];
    let e = p.evaluate(&facts, &areas, &[], may(4, 0));
    assert_eq!(e.failures, []);
    assert_eq!(e.colour, Colour::Yellow);
    assert_eq!(codes(&e), ["rule.risk-area-high"]);
    let x = &e.explanations[0];
    assert_eq!(
        x.message_en,
        "You checked in at Dongjie Market (福建省 福州市 鼓楼区) at 2022-05-03 10:00, inside \
         the high-risk area 福建省 福州市 鼓楼区 during its risk window 2022-05-02 00:00 – \
         2022-05-05 00:00."
    );
    assert!(x.message_zh.contains("Dongjie Market"));
    assert!(x.message_zh.contains("2022-05-02 00:00至2022-05-05 00:00"));
    assert!(
        x.advice_en
            .contains("turns green at 2022-05-12 00:00, 7 days after")
    );
    assert_eq!(
        x.facts,
        [
            FactRef {
                kind: FactKind::CheckIn,
                id: "c1".into()
            },
            FactRef {
                kind: FactKind::RiskArea,
                id: "a1".into()
            }
        ]
    );
    assert_eq!(e.valid_until, Some(may(12, 0)));
    assert_eq!(e.green_at, Some(may(12, 0)));
    // Still yellow after the window while the tail lasts, green once it is over.
    assert_eq!(
        p.evaluate(&facts, &areas, &[], may(11, 23)).colour,
        Colour::Yellow
    );
    let after = p.evaluate(&facts, &areas, &[], may(12, 0));
    assert_eq!(after.colour, Colour::Green);
    assert_eq!(after.valid_until, None);

    // The stored assessment carries the same explanation.
    let a = p.assess(&facts, &areas, &[], may(4, 0));
    assert_eq!(a.reasons[0].code, "rule.risk-area-high");
    assert!(a.reasons[0].message.contains("Dongjie Market"));
    assert!(
        a.reasons[0]
            .message
            .contains("2022-05-02 00:00 – 2022-05-05 00:00")
    );
    assert_eq!(a.valid_until, Some(may(12, 0)));

    // A province- or prefecture-level area covers the county too; the tail is a parameter.
    let prefecture = [area(
        "a2",
        RiskScope::Division("350100".into()),
        RiskLevel::High,
        may(2, 0),
        Some(may(5, 0)),
    )];
    let longer = zero_with(json!({"high_risk_tail_days": 14}));
    let e = longer.evaluate(&facts, &prefecture, &[], may(4, 0));
    assert_eq!(e.colour, Colour::Yellow);
    assert_eq!(e.valid_until, Some(may(19, 0)));

    // Outside the window, elsewhere, or a low-risk area: no effect.
    for other in [
        area(
            "x",
            RiskScope::Division("350102".into()),
            RiskLevel::High,
            may(4, 0),
            None,
        ),
        area(
            "x",
            RiskScope::Division("350200".into()),
            RiskLevel::High,
            may(1, 0),
            None,
        ),
        area(
            "x",
            RiskScope::Division("350102".into()),
            RiskLevel::Low,
            may(1, 0),
            None,
        ),
    ] {
        let e = p.evaluate(&facts, &[other], &[], may(4, 0));
        assert_eq!(e.colour, Colour::Green);
    }
}

#[test]
fn medium_risk_venue_area_open_until_lifted() {
    let p = zero();
    let facts = PersonFacts {
        check_ins: vec![check_in("c1", "Sanfang Qixiang Mall", "350102", may(3, 10))],
        ..PersonFacts::default()
    };
    let mut venue = area(
        "a1",
        RiskScope::Venue("venue-c1".into()),
        RiskLevel::Medium,
        may(3, 0),
        None,
    );
    let e = p.evaluate(&facts, std::slice::from_ref(&venue), &[], may(20, 0));
    assert_eq!(e.colour, Colour::Yellow);
    assert_eq!(codes(&e), ["rule.risk-area-medium"]);
    assert_eq!(e.valid_until, None, "not lifted: re-evaluated when it is");
    assert!(
        e.explanations[0]
            .message_en
            .contains("medium-risk area Sanfang Qixiang Mall")
    );
    assert!(
        e.explanations[0]
            .message_en
            .contains("2022-05-03 00:00 – —")
    );

    venue.until = Some(may(21, 0));
    let e = p.evaluate(&facts, std::slice::from_ref(&venue), &[], may(22, 0));
    assert_eq!(e.colour, Colour::Yellow);
    assert_eq!(e.valid_until, Some(may(28, 0)));
    assert_eq!(
        p.evaluate(&facts, &[venue], &[], may(28, 0)).colour,
        Colour::Green
    );
}

#[test]
fn missing_required_test_is_off_by_default_and_turns_yellow_by_time() {
    let off = zero();
    assert!(off.enabled_rules().all(|r| r.id != "missing-required-test"));
    assert_eq!(
        eval(&off, &PersonFacts::default(), may(1, 0)).colour,
        Colour::Green
    );

    let p = zero_with(json!({"require_test_within_hours": 72}));
    let none = eval(&p, &PersonFacts::default(), may(1, 0));
    assert_eq!(none.colour, Colour::Yellow);
    assert_eq!(codes(&none), ["rule.missing-required-test"]);
    assert!(
        none.explanations[0]
            .message_en
            .contains("last 72 hours (latest: —)")
    );

    let tested = PersonFacts {
        tests: vec![pcr("t1", may(3, 9), TestOutcome::Negative, true)],
        ..PersonFacts::default()
    };
    let green = eval(&p, &tested, may(4, 0));
    assert_eq!(green.colour, Colour::Green);
    assert_eq!(
        green.valid_until,
        Some(may(6, 9)),
        "the test expires by time alone, without any event"
    );
    let expired = eval(&p, &tested, may(6, 9));
    assert_eq!(expired.colour, Colour::Yellow);
    assert_eq!(expired.valid_until, None);
}

#[test]
fn the_most_restrictive_rule_wins_and_all_reasons_are_listed() {
    let facts = PersonFacts {
        designations: vec![designation(
            DesignationKind::CloseContact,
            may(3, 0),
            Some(may(10, 0)),
        )],
        declarations: vec![declaration("h1", may(3, 8), Some(380), &[])],
        ..PersonFacts::default()
    };
    let e = eval(&zero(), &facts, may(4, 0));
    assert_eq!(e.colour, Colour::Red);
    assert_eq!(codes(&e), ["rule.close-contact", "rule.fever"]);
    assert_eq!(e.valid_until, Some(may(6, 8)), "the fever ends first");
    assert_eq!(
        e.green_at,
        Some(may(10, 0)),
        "green when the last reason ends"
    );
    let a = Evaluation::assessment(&e, Language::Zh);
    assert!(a.reasons[0].message.contains("密切接触者"));
}

#[test]
fn overrides_take_precedence_and_expire() {
    let p = zero();
    let facts = PersonFacts {
        designations: vec![designation(DesignationKind::CloseContact, may(3, 0), None)],
        ..PersonFacts::default()
    };
    let cleared = Override {
        colour: Colour::Green,
        justification: "appeal upheld: wrong person".into(),
        expires_at: may(8, 0),
    };
    let e = p.evaluate(&facts, &[], std::slice::from_ref(&cleared), may(4, 0));
    assert_eq!(
        e.colour,
        Colour::Green,
        "an override beats a more restrictive rule"
    );
    assert_eq!(codes(&e), ["override.active", "rule.close-contact"]);
    assert!(!e.explanations[0].superseded);
    assert!(e.explanations[1].superseded);
    assert_eq!(e.valid_until, Some(may(8, 0)));
    let a = e.assessment(Language::En);
    assert!(
        a.reasons[0]
            .message
            .contains("until 2022-05-08 00:00: appeal upheld")
    );
    assert!(a.reasons[1].message.starts_with("(Superseded"));

    let after = p.evaluate(&facts, &[], &[cleared], may(8, 0));
    assert_eq!(after.colour, Colour::Red);
    assert_eq!(codes(&after), ["rule.close-contact"]);

    // A red override on a green person, with a yellow one outlasting it.
    let overrides = [
        Override {
            colour: Colour::Red,
            justification: "case investigation".into(),
            expires_at: may(5, 0),
        },
        Override {
            colour: Colour::Yellow,
            justification: "monitoring".into(),
            expires_at: may(7, 0),
        },
    ];
    let none = PersonFacts::default();
    let e = p.evaluate(&none, &[], &overrides, may(4, 0));
    assert_eq!(e.colour, Colour::Red);
    assert_eq!(e.valid_until, Some(may(5, 0)));
    assert_eq!(e.green_at, Some(may(7, 0)));
    assert_eq!(
        p.evaluate(&none, &[], &overrides, may(5, 0)).colour,
        Colour::Yellow
    );
    assert_eq!(
        p.evaluate(&none, &[], &overrides, may(7, 0)).colour,
        Colour::Green
    );
}

#[test]
fn switching_policy_recolours_everyone_from_its_effective_time() {
    let set = PolicySet::shipped().expect("shipped set");
    let switch = t("2022-12-14T00:00:00+08:00");
    let facts = PersonFacts {
        designations: vec![designation(
            DesignationKind::CloseContact,
            t("2022-12-10T00:00:00+08:00"),
            None,
        )],
        ..PersonFacts::default()
    };
    let before = set.evaluate(&facts, &[], &[], t("2022-12-13T23:59:59+08:00"));
    assert_eq!(before.colour, Colour::Red);
    assert_eq!(before.policy_version, "2022-dynamic-zero");
    assert_eq!(before.valid_until, Some(switch), "capped at the switch");
    assert_eq!(
        before.green_at,
        Some(switch),
        "the next policy is all green"
    );

    let after = set.evaluate(&facts, &[], &[], switch);
    assert_eq!(after.colour, Colour::Green);
    assert_eq!(after.policy_version, "2022-12-all-green");
    assert_eq!(codes(&after), ["rule.all-green"]);
    assert_eq!(after.valid_until, None);
    assert_eq!(after.failures, []);
    assert_eq!(
        set.assess(&facts, &[], &[], switch).reasons[0].message,
        "The dynamic-zero policy has ended: every health code shows green. No action is needed."
    );

    // Under the all-green policy only an override can change the colour.
    let o = Override {
        colour: Colour::Yellow,
        justification: "manual".into(),
        expires_at: t("2022-12-20T00:00:00+08:00"),
    };
    let e = set.evaluate(&facts, &[], &[o], switch);
    assert_eq!(e.colour, Colour::Yellow);
    assert_eq!(codes(&e), ["override.active", "rule.all-green"]);

    // Before any policy: green, recomputed when the first takes effect.
    let early = set.evaluate(&facts, &[], &[], t("2021-06-01T00:00:00+08:00"));
    assert_eq!(early.colour, Colour::Green);
    assert_eq!(codes(&early), ["policy.none"]);
    assert_eq!(early.policy_version, "none");
    assert_eq!(early.valid_until, Some(t("2022-01-01T00:00:00+08:00")));
    assert!(set.active_at(t("2021-06-01T00:00:00Z")).is_none());
}

// --- The engine ------------------------------------------------------------

fn doc(rules: Value, params: Value) -> Result<CompiledPolicy, PolicyError> {
    let text = json!({
        "version": "test-1",
        "effective_from": "2022-01-01T00:00:00+08:00",
        "description_en": "", "description_zh": "",
        "params": params,
        "rules": rules,
    });
    CompiledPolicy::from_json(&text.to_string())
}

fn rule(id: &str, logic: Value) -> Value {
    json!({
        "id": id, "colour": "yellow",
        "description_en": "d", "description_zh": "d", "advice_en": "", "advice_zh": "",
        "logic": logic,
    })
}

#[test]
fn bad_policies_are_refused_with_stable_codes() {
    let cases = [
        (
            json!([rule("a", json!({"nope": [1]}))]),
            json!({}),
            "policy.invalid_rule",
        ),
        (
            json!([rule("a", json!(true)), rule("a", json!(true))]),
            json!({}),
            "policy.invalid_document",
        ),
        (
            json!([rule("A b", json!(true))]),
            json!({}),
            "policy.invalid_document",
        ),
        (
            json!([rule(
                "a",
                json!({"plusTime": ["2022-01-01", {"var": "params.n"}, "day"]})
            )]),
            json!({"n": null}),
            "policy.invalid_rule",
        ),
        (
            json!([rule("a", json!(true))]),
            json!([1]),
            "policy.invalid_document",
        ),
    ];
    for (rules, params, code) in cases {
        let err = doc(rules.clone(), params).err().map(|e| e.code());
        assert_eq!(err, Some(code), "{rules}");
    }
    let mut r = rule("a", json!(true));
    r["requires"] = json!(["missing"]);
    assert_eq!(
        doc(json!([r]), json!({})).err().map(|e| e.code()),
        Some("policy.invalid_document")
    );
    let mut r = rule("a", json!(true));
    r["facts"] = json!(["latest_tset"]);
    assert_eq!(
        doc(json!([r]), json!({})).err().map(|e| e.code()),
        Some("policy.invalid_document")
    );
    for bad in ["{latest_tset.id}", "{now|shout}", "open {now"] {
        let mut r = rule("a", json!(true));
        r["advice_en"] = json!(bad);
        let err = doc(json!([r]), json!({})).err();
        assert_eq!(
            err.map(|e| e.code()),
            Some("policy.invalid_template"),
            "{bad}"
        );
    }
    let typo = r#"{"version": "x", "effective_from": "2022-01-01T00:00:00Z",
        "description_en": "", "description_zh": "", "rules": [], "colour": "red"}"#;
    assert_eq!(
        CompiledPolicy::from_json(typo).err().map(|e| e.code()),
        Some("policy.parse")
    );
    let empty = r#"{"version": " ", "effective_from": "2022-01-01T00:00:00Z",
        "description_en": "", "description_zh": "", "rules": []}"#;
    assert_eq!(
        CompiledPolicy::from_json(empty).err().map(|e| e.code()),
        Some("policy.invalid_document")
    );
}

#[test]
fn policy_sets_refuse_ambiguity() {
    let a = doc(json!([]), json!({})).expect("valid");
    let dup = PolicySet::new(vec![a.clone(), a.clone()]).err();
    assert_eq!(dup.map(|e| e.code()), Some("policy.duplicate_version"));
    let mut other = a.doc.clone();
    other.version = "test-2".into();
    let b = CompiledPolicy::compile(other).expect("valid");
    let same = PolicySet::new(vec![a, b]).err();
    assert_eq!(same.map(|e| e.code()), Some("policy.same_effective_from"));
    let empty = PolicySet::new(Vec::new()).expect("an empty set is allowed");
    assert_eq!(
        empty
            .evaluate(&PersonFacts::default(), &[], &[], may(1, 0))
            .valid_until,
        None
    );
}

#[test]
fn parameters_are_bound_as_literals_even_inside_reduce() {
    let p = doc(
        json!([rule(
            "a",
            json!({"reduce": [
                {"var": "latest_declaration.symptoms"},
                {"if": [{"in": [{"var": "current"}, {"var": "params.bad"}]}, true, {"var": "accumulator"}]},
                false
            ]})
        )]),
        json!({"bad": ["cough"]}),
    )
    .expect("valid");
    let facts = |symptoms: &[&str]| PersonFacts {
        declarations: vec![declaration("h", may(1, 0), None, symptoms)],
        ..PersonFacts::default()
    };
    assert_eq!(
        eval(&p, &facts(&["cough"]), may(2, 0)).colour,
        Colour::Yellow
    );
    assert_eq!(
        eval(&p, &facts(&["fever"]), may(2, 0)).colour,
        Colour::Green
    );
    assert_eq!(
        bind_params(&json!({"var": "params.bad"}), &json!({"bad": {"x": 1}})),
        json!({"var": "params.bad"}),
        "objects are not CertLogic literals and stay data accesses"
    );
}

#[test]
fn failing_rules_are_reported_and_do_not_apply() {
    let p = doc(
        json!([
            rule("broken", json!({"<": [{"var": "now"}, 1]})),
            rule("fine", json!({"var": "latest_declaration"})),
        ]),
        json!({}),
    )
    .expect("valid");
    let e = p.evaluate(&PersonFacts::default(), &[], &[], may(1, 0));
    assert_eq!(e.colour, Colour::Green);
    assert_eq!(e.failures.len(), 1);
    assert_eq!(e.failures[0].rule_id, "broken");
    assert_eq!(e.failures[0].part, "logic");
    assert_eq!(e.failures[0].code(), "policy.rule_failed");
}

#[test]
fn templates_render_paths_filters_and_braces() {
    let template = Template::parse("{{x}} {a.b} {a.t|time} {a.n|tenths} {a.m|tenths} {a.l} {a.z}")
        .map_err(|e| e.to_string());
    // `a` is not an input key: templates only see the rule input.
    assert!(template.is_err());
    let template =
        Template::parse("{{x}} {now|time} {params.n|tenths} {params.m|tenths} {params.l} {params.z} {risk_visits.0.venue}")
            .expect("valid template");
    let context = json!({
        "now": "2022-05-03T02:00:00Z",
        "params": {"n": 373, "m": -5, "l": ["a", "b"]},
        "risk_visits": [{"venue": "V"}],
    });
    assert_eq!(
        template.render(&context),
        "{x} 2022-05-03 10:00 37.3 -0.5 a, b — V"
    );
}
