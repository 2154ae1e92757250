//! The facts a code policy judges: test results, self-tests, health declarations,
//! vaccinations, check-ins, authorities' designations and risk areas.
//!
//! These are plain records, each with where it came from, when it was recorded and
//! why it is kept (its purpose tag), so retention and end-of-epidemic disposal can
//! find every datum by purpose. They carry no judgement: what a fact means for a
//! code's colour is the business of the active policy ([`crate::policy`]), which
//! sees them through the documented rule input ([`crate::rule_input`]).
//!
//! The one piece of interpretation done here is geographic: whether a check-in lies
//! inside a risk area ([`RiskArea::covers`]), because CertLogic has no prefix
//! matching on division codes and the answer does not depend on any policy.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Why a datum is kept. Every fact carries one, so retention rules and the
/// end-of-epidemic disposal can select data by purpose rather than by table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Purpose {
    /// Kept only to prevent and control the epidemic; disposed of when it ends.
    #[serde(rename = "epidemic-prevention")]
    EpidemicPrevention,
}

impl Purpose {
    /// The stable tag used in storage, exports and disposal certificates.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::EpidemicPrevention => "epidemic-prevention",
        }
    }
}

/// Who supplied a fact, so a person can see where each fact about them came from
/// and an appeal can be routed to the party that can correct it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A testing laboratory (API upload or CSV import).
    Laboratory,
    /// The person themself (self-tests, declarations, scanning a place code).
    Citizen,
    /// A venue that scanned the person's code.
    Venue,
    /// A sample collector's workbench.
    Collector,
    /// A health authority (designations, risk areas).
    Authority,
    /// A bulk import from another system (e.g. the national vaccination registry).
    Import,
}

impl SourceKind {
    /// The stable name used in storage and exports.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Laboratory => "laboratory",
            SourceKind::Citizen => "citizen",
            SourceKind::Venue => "venue",
            SourceKind::Collector => "collector",
            SourceKind::Authority => "authority",
            SourceKind::Import => "import",
        }
    }
}

/// Where a fact came from, when it entered the system and why it is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The kind of party that supplied the fact.
    pub source: SourceKind,
    /// That party's identifier (laboratory code, venue id, official's account…).
    pub source_id: String,
    /// When the fact was recorded (not when the event it describes happened).
    pub recorded_at: Timestamp,
    /// Why the fact is kept.
    pub purpose: Purpose,
}

impl Provenance {
    /// Provenance of an epidemic-prevention fact, the purpose of every fact here,
    /// so callers need not repeat the tag.
    pub fn epidemic(
        source: SourceKind,
        source_id: impl Into<String>,
        recorded_at: Timestamp,
    ) -> Provenance {
        Provenance {
            source,
            source_id: source_id.into(),
            recorded_at,
            purpose: Purpose::EpidemicPrevention,
        }
    }
}

/// The kind of a fact, used to point at the facts behind an explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactKind {
    Test,
    SelfTest,
    Declaration,
    Vaccination,
    CheckIn,
    RiskArea,
    Designation,
    PendingRetest,
}

impl FactKind {
    /// The stable snake_case name used in the rule input and in explanations.
    pub fn as_str(self) -> &'static str {
        match self {
            FactKind::Test => "test",
            FactKind::SelfTest => "self_test",
            FactKind::Declaration => "declaration",
            FactKind::Vaccination => "vaccination",
            FactKind::CheckIn => "check_in",
            FactKind::RiskArea => "risk_area",
            FactKind::Designation => "designation",
            FactKind::PendingRetest => "pending_retest",
        }
    }

    /// Parses the stable name; `None` for anything else.
    pub fn parse(name: &str) -> Option<FactKind> {
        [
            FactKind::Test,
            FactKind::SelfTest,
            FactKind::Declaration,
            FactKind::Vaccination,
            FactKind::CheckIn,
            FactKind::RiskArea,
            FactKind::Designation,
            FactKind::PendingRetest,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == name)
    }
}

/// A reference to one stored fact, so an explanation can say which facts made a
/// colour and a person can look at (or appeal against) exactly those.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FactRef {
    pub kind: FactKind,
    pub id: String,
}

/// Which laboratory method produced a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    /// Nucleic-acid (PCR) test.
    Pcr,
    /// Antigen test performed by a laboratory or clinic (self-tests are [`SelfTest`]).
    Antigen,
}

impl TestKind {
    /// The stable name used in the rule input.
    pub fn as_str(self) -> &'static str {
        match self {
            TestKind::Pcr => "pcr",
            TestKind::Antigen => "antigen",
        }
    }

    /// Parses the stable name; `None` for anything else.
    pub fn parse(name: &str) -> Option<TestKind> {
        [TestKind::Pcr, TestKind::Antigen]
            .into_iter()
            .find(|k| k.as_str() == name)
    }
}

/// A laboratory's verdict on a sample. A test exists as a fact once it has a
/// result; a sample still in the laboratory is not a fact about the person yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestOutcome {
    Positive,
    Negative,
}

impl TestOutcome {
    /// The stable name used in the rule input.
    pub fn as_str(self) -> &'static str {
        match self {
            TestOutcome::Positive => "positive",
            TestOutcome::Negative => "negative",
        }
    }

    /// Parses the stable name; `None` for anything else.
    pub fn parse(name: &str) -> Option<TestOutcome> {
        [TestOutcome::Positive, TestOutcome::Negative]
            .into_iter()
            .find(|o| o.as_str() == name)
    }
}

/// A laboratory result for a sample that included this person.
///
/// For a pooled sample (several people's swabs in one tube) a negative result is
/// negative for every member, while a positive one says only that some member is
/// positive: the laboratory upload turns it into a [`PendingRetest`] for each
/// member, and the rule input ignores pooled positives as personal results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestResult {
    pub id: String,
    pub kind: TestKind,
    /// When the swab was taken: what "tested within 72 hours" counts from.
    pub sample_at: Timestamp,
    /// When the laboratory reported the result.
    pub result_at: Timestamp,
    pub outcome: TestOutcome,
    /// The laboratory's name or code, shown in explanations.
    pub laboratory: String,
    /// Whether the sample was a pool of several people.
    pub pooled: bool,
    pub provenance: Provenance,
}

/// An antigen self-test the person reported themself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfTest {
    pub id: String,
    /// When the test was taken.
    pub at: Timestamp,
    pub positive: bool,
    pub provenance: Provenance,
}

/// A health declaration filed by the person: symptoms, temperature and travel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declaration {
    pub id: String,
    /// When the declaration was made.
    pub at: Timestamp,
    /// Symptom codes from the declaration form (`fever`, `dry_cough`, `fatigue`,
    /// `sore_throat`, `loss_of_smell_or_taste`, `diarrhoea`, …).
    pub symptoms: Vec<String>,
    /// Body temperature in tenths of a degree Celsius (`373` is 37.3 °C): CertLogic
    /// compares integers only, so the rule input carries it this way too.
    pub temperature_tenths_c: Option<i32>,
    /// GB/T 2260 codes of the divisions the person declares having travelled through.
    pub travel: Vec<String>,
    pub provenance: Provenance,
}

/// One vaccine dose received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vaccination {
    pub id: String,
    /// The product (e.g. an EU DCC `mp` value or a domestic product name).
    pub product: String,
    /// This dose's number in the series (`dose` of `of`).
    pub dose: u8,
    /// The number of doses in a complete series.
    pub of: u8,
    pub date: Date,
    pub provenance: Provenance,
}

/// The person was at a venue: they scanned its place code, or the venue scanned
/// their personal code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckIn {
    pub id: String,
    pub venue_id: String,
    /// The venue's name, shown in explanations.
    pub venue_name: String,
    /// The GB/T 2260 code of the county-level division the venue is in.
    pub division: String,
    pub at: Timestamp,
    pub provenance: Provenance,
}

/// How dangerous an authority judges a risk area to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    Low,
    Medium,
    High,
}

impl RiskLevel {
    /// The stable name used in the rule input.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Low => "low",
            RiskLevel::Medium => "medium",
            RiskLevel::High => "high",
        }
    }
}

/// What a risk area covers: a whole administrative division at any level, or a
/// single venue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskScope {
    /// A GB/T 2260 code: a province (`350000`) covers every venue in `35xxxx`, a
    /// prefecture (`350100`) every venue in `3501xx`, a county (`350102`) its own.
    Division(String),
    /// One venue, by its id.
    Venue(String),
}

/// An area an authority declared risky for a time window. Not personal data, but
/// kept for epidemic prevention like everything else here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskArea {
    pub id: String,
    pub scope: RiskScope,
    pub level: RiskLevel,
    /// The authority's name for the area (e.g. a compound's name); when absent the
    /// division's full name or the venue's name is used in explanations.
    pub name: Option<String>,
    /// Start of the window: check-ins at or after it count.
    pub from: Timestamp,
    /// End of the window (exclusive); `None` while the area has not been lifted.
    pub until: Option<Timestamp>,
    pub provenance: Provenance,
}

impl RiskArea {
    /// Whether a check-in lies inside this area, in place and in its window.
    ///
    /// A division area covers check-ins in that division or below it (see
    /// [`division_prefix`]); a malformed area code covers nothing.
    pub fn covers(&self, check_in: &CheckIn) -> bool {
        let in_window =
            check_in.at >= self.from && self.until.is_none_or(|until| check_in.at < until);
        in_window
            && match &self.scope {
                RiskScope::Venue(venue_id) => *venue_id == check_in.venue_id,
                RiskScope::Division(code) => division_prefix(code).is_some_and(|prefix| {
                    check_in.division.bytes().all(|b| b.is_ascii_digit())
                        && check_in.division.starts_with(prefix)
                }),
            }
    }
}

/// The significant prefix of a GB/T 2260 code: two digits for a province
/// (`350000` → `35`), four for a prefecture (`350100` → `3501`), all six for a
/// county. Every division inside it starts with that prefix, so stores can also
/// use it to find the check-ins a new risk area affects. `None` unless the code is
/// six ASCII digits with a non-zero province part.
pub fn division_prefix(code: &str) -> Option<&str> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) || code.starts_with("00") {
        return None;
    }
    if code.ends_with("0000") {
        code.get(..2)
    } else if code.ends_with("00") {
        code.get(..4)
    } else {
        Some(code)
    }
}

/// What an authority designated the person as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DesignationKind {
    ConfirmedCase,
    CloseContact,
}

impl DesignationKind {
    /// The stable name used in the rule input.
    pub fn as_str(self) -> &'static str {
        match self {
            DesignationKind::ConfirmedCase => "confirmed_case",
            DesignationKind::CloseContact => "close_contact",
        }
    }
}

/// An authority's finding about the person (a confirmed case, a close contact),
/// in force from `since` until `until` (open while `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Designation {
    pub id: String,
    pub kind: DesignationKind,
    pub since: Timestamp,
    pub until: Option<Timestamp>,
    pub provenance: Provenance,
}

/// The person was in a pooled sample that tested positive and must be retested
/// individually.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRetest {
    pub id: String,
    /// The pool (tube) that tested positive.
    pub pool_id: String,
    /// When the pool's positive result was reported; an individual test sampled
    /// after this is the retest.
    pub since: Timestamp,
    pub provenance: Provenance,
}

/// All the facts about one person that a policy may look at. Risk areas are not
/// here: they are shared by everyone and passed alongside.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonFacts {
    pub tests: Vec<TestResult>,
    pub self_tests: Vec<SelfTest>,
    pub declarations: Vec<Declaration>,
    pub vaccinations: Vec<Vaccination>,
    pub check_ins: Vec<CheckIn>,
    pub designations: Vec<Designation>,
    pub pending_retests: Vec<PendingRetest>,
}

/// One health fact of a person, of any kind: the form a fact is stored in
/// (sealed under the person's data key) and exported in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "fact", rename_all = "snake_case")]
pub enum Fact {
    TestResult(TestResult),
    SelfTest(SelfTest),
    Declaration(Declaration),
    Vaccination(Vaccination),
    Designation(Designation),
    PendingRetest(PendingRetest),
}

impl Fact {
    /// The stable name of its kind, kept in clear beside the sealed fact so
    /// retention can select facts by kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Fact::TestResult(_) => "test_result",
            Fact::SelfTest(_) => "self_test",
            Fact::Declaration(_) => "declaration",
            Fact::Vaccination(_) => "vaccination",
            Fact::Designation(_) => "designation",
            Fact::PendingRetest(_) => "pending_retest",
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Fact::TestResult(f) => &f.id,
            Fact::SelfTest(f) => &f.id,
            Fact::Declaration(f) => &f.id,
            Fact::Vaccination(f) => &f.id,
            Fact::Designation(f) => &f.id,
            Fact::PendingRetest(f) => &f.id,
        }
    }

    pub fn provenance(&self) -> &Provenance {
        match self {
            Fact::TestResult(f) => &f.provenance,
            Fact::SelfTest(f) => &f.provenance,
            Fact::Declaration(f) => &f.provenance,
            Fact::Vaccination(f) => &f.provenance,
            Fact::Designation(f) => &f.provenance,
            Fact::PendingRetest(f) => &f.provenance,
        }
    }

    /// When it happened: what retention counts from.
    pub fn occurred_at(&self) -> i64 {
        match self {
            Fact::TestResult(f) => f.sample_at.as_second(),
            Fact::SelfTest(f) => f.at.as_second(),
            Fact::Declaration(f) => f.at.as_second(),
            Fact::Vaccination(f) => f.provenance.recorded_at.as_second(),
            Fact::Designation(f) => f.since.as_second(),
            Fact::PendingRetest(f) => f.since.as_second(),
        }
    }

    /// Adds the fact to the set a policy judges.
    pub fn add_to(self, facts: &mut PersonFacts) {
        match self {
            Fact::TestResult(f) => facts.tests.push(f),
            Fact::SelfTest(f) => facts.self_tests.push(f),
            Fact::Declaration(f) => facts.declarations.push(f),
            Fact::Vaccination(f) => facts.vaccinations.push(f),
            Fact::Designation(f) => facts.designations.push(f),
            Fact::PendingRetest(f) => facts.pending_retests.push(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("valid test timestamp")
    }

    fn check_in(division: &str, venue: &str, when: &str) -> CheckIn {
        CheckIn {
            id: "c1".into(),
            venue_id: venue.into(),
            venue_name: "Venue".into(),
            division: division.into(),
            at: at(when),
            provenance: Provenance::epidemic(SourceKind::Citizen, "p", at(when)),
        }
    }

    fn area(scope: RiskScope, from: &str, until: Option<&str>) -> RiskArea {
        RiskArea {
            id: "a1".into(),
            scope,
            level: RiskLevel::High,
            name: None,
            from: at(from),
            until: until.map(at),
            provenance: Provenance::epidemic(SourceKind::Authority, "o", at(from)),
        }
    }

    #[test]
    fn division_prefixes_by_level() {
        assert_eq!(division_prefix("350000"), Some("35"));
        assert_eq!(division_prefix("350100"), Some("3501"));
        assert_eq!(division_prefix("350102"), Some("350102"));
        assert_eq!(division_prefix("110000"), Some("11"));
        for bad in ["", "35", "3501020", "35010a", "000000", "００００００"] {
            assert_eq!(division_prefix(bad), None, "{bad}");
        }
    }

    #[test]
    fn division_areas_cover_their_subdivisions_within_the_window() {
        let window = (
            "2022-05-01T00:00:00+08:00",
            Some("2022-05-08T00:00:00+08:00"),
        );
        let inside = "2022-05-03T12:00:00+08:00";
        for (code, covered) in [
            ("350000", true),
            ("350100", true),
            ("350102", true),
            ("350103", false),
            ("350200", false),
            ("440000", false),
        ] {
            let a = area(RiskScope::Division(code.into()), window.0, window.1);
            assert_eq!(
                a.covers(&check_in("350102", "v", inside)),
                covered,
                "{code}"
            );
        }
        let a = area(RiskScope::Division("350100".into()), window.0, window.1);
        assert!(
            a.covers(&check_in("350102", "v", window.0)),
            "start is inclusive"
        );
        assert!(!a.covers(&check_in("350102", "v", "2022-05-08T00:00:00+08:00")));
        assert!(!a.covers(&check_in("350102", "v", "2022-04-30T23:59:59+08:00")));
        let open = area(RiskScope::Division("350100".into()), window.0, None);
        assert!(open.covers(&check_in("350102", "v", "2023-01-01T00:00:00+08:00")));
        let malformed = area(RiskScope::Division("35".into()), window.0, None);
        assert!(!malformed.covers(&check_in("350102", "v", inside)));
    }

    #[test]
    fn venue_areas_cover_only_that_venue() {
        let a = area(
            RiskScope::Venue("venue-7".into()),
            "2022-05-01T00:00:00+08:00",
            None,
        );
        assert!(a.covers(&check_in("350102", "venue-7", "2022-05-02T00:00:00+08:00")));
        assert!(!a.covers(&check_in("350102", "venue-8", "2022-05-02T00:00:00+08:00")));
    }

    #[test]
    fn purpose_and_kinds_have_stable_names() {
        assert_eq!(Purpose::EpidemicPrevention.as_str(), "epidemic-prevention");
        assert_eq!(
            serde_json::to_value(Purpose::EpidemicPrevention).ok(),
            Some(serde_json::json!("epidemic-prevention"))
        );
        for kind in [
            FactKind::Test,
            FactKind::SelfTest,
            FactKind::Declaration,
            FactKind::Vaccination,
            FactKind::CheckIn,
            FactKind::RiskArea,
            FactKind::Designation,
            FactKind::PendingRetest,
        ] {
            assert_eq!(FactKind::parse(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).ok(),
                Some(serde_json::json!(kind.as_str()))
            );
        }
    }
}
