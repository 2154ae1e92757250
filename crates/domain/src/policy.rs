//! Code policies: versioned sets of CertLogic rules that turn a person's facts into
//! a colour, with explanations and the time until which the result holds.
//!
//! A policy is data ([`PolicyDocument`], a JSON file), not code: authorities publish
//! a new version with an effective-from time, and switching policy at that time
//! recolours everyone from then on ([`PolicySet`]). Each rule names the colour it
//! imposes when its CertLogic `logic` is truthy on the rule input
//! ([`crate::rule_input`]); the most restrictive matching colour wins, and an
//! unexpired override by officials takes precedence over every rule.
//!
//! Rules also say when they stop applying (`until`) and, for rules that can start
//! applying by the mere passing of time, when they next would (`next_start`), so an
//! assessment carries `valid_until`: the caller re-evaluates then even if no new
//! fact arrives. Descriptions and advice are templates over the rule input, so an
//! explanation can name the venue, the window and the time the code turns green.
//!
//! Policy parameters (`params`) are constants of a policy version. Besides being
//! readable at `params` in the input, every `{"var": "params.NAME"}` whose value is
//! a string, boolean, integer or array of these is replaced by that literal before
//! the rule is validated and compiled, so parameters can be used where CertLogic
//! wants literals (the amount of `plusTime`) and inside `reduce` lambdas (which see
//! no data). A rule listing a parameter in `requires` is switched off while that
//! parameter is `null`.
//!
//! The two shipped policies live in `crates/domain/policies/` ([`SHIPPED_POLICIES`]).

use std::collections::{BTreeMap, HashSet};

use healthcode_certlogic::{Program, truthiness};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::colour::{Assessment, Colour, Override, Reason};
use crate::facts::{FactKind, FactRef, PersonFacts, RiskArea};
use crate::rule_input::{CHINA_OFFSET, INPUT_KEYS, input_time, rule_input};

/// The policies shipped with the platform, as `(file name, JSON text)`: the
/// 2022-style dynamic-zero policy and the December 2022 all-green policy.
pub const SHIPPED_POLICIES: [(&str, &str); 2] = [
    (
        "2022-dynamic-zero.json",
        include_str!("../policies/2022-dynamic-zero.json"),
    ),
    (
        "2022-12-all-green.json",
        include_str!("../policies/2022-12-all-green.json"),
    ),
];

/// The language of an explanation's text; policies carry English and Chinese.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    En,
    Zh,
}

/// A policy as published: a version, the time it takes effect, its parameters and
/// its rules. Deserialised from JSON; unknown fields are refused so that a typo in
/// a published policy is an error rather than a silently ignored setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    /// Unique name of this version, reported with every assessment made under it.
    pub version: String,
    /// From this instant on, this policy is the one in force (until a later one).
    pub effective_from: Timestamp,
    pub description_en: String,
    pub description_zh: String,
    /// Named constants the rules read (thresholds, durations); a JSON object.
    #[serde(default = "empty_object")]
    pub params: Value,
    /// What each parameter means, for people reading the published policy.
    #[serde(default)]
    pub param_docs: BTreeMap<String, String>,
    pub rules: Vec<RuleDef>,
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

/// One rule: the colour it imposes while its CertLogic `logic` is truthy, and the
/// words that explain it.
///
/// `description_*` say why (which facts), `advice_*` what the person can do and
/// when the code turns green. Both are templates: `{path}` inserts the value at
/// that path of the rule input (or `{until}`, this rule's end), `{path|time}`
/// formats a date-time as `YYYY-MM-DD HH:MM` China time, `{path|tenths}` writes
/// tenths as a decimal (`373` → `37.3`); a missing value reads `—`, `{{` and `}}`
/// are literal braces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// Stable id (`a-z`, `0-9`, `-`); reasons carry it as `rule.<id>`.
    pub id: String,
    /// The colour this rule imposes while it applies. A green rule imposes nothing
    /// but still explains itself (the all-green policy has one).
    pub colour: Colour,
    pub description_en: String,
    pub description_zh: String,
    pub advice_en: String,
    pub advice_zh: String,
    /// Rule-input paths of the facts this rule reads (e.g. `risk_visit.high`); the
    /// `refs` found there are the facts an explanation names.
    #[serde(default)]
    pub facts: Vec<String>,
    /// Parameters that must be non-null for the rule to be in force.
    #[serde(default)]
    pub requires: Vec<String>,
    /// CertLogic over the rule input: the rule applies when the result is truthy.
    pub logic: Value,
    /// CertLogic giving the date-time at which the rule stops applying if no new
    /// fact arrives (evaluated while it applies); falsy for "not known".
    #[serde(default)]
    pub until: Option<Value>,
    /// CertLogic giving the date-time at which the rule would start applying by
    /// the passing of time alone (evaluated while it does not apply); falsy for
    /// "never by time". Results not after `now` are ignored.
    #[serde(default)]
    pub next_start: Option<Value>,
}

/// Why a policy could not be loaded or a set of policies assembled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The text is not a policy document.
    #[error("not a policy document: {0}")]
    Parse(String),
    /// The document is well-formed JSON but inconsistent (empty version, bad rule
    /// id, duplicate rule, unknown parameter or input path…).
    #[error("invalid policy document: {0}")]
    InvalidDocument(String),
    /// A rule's expression is not valid CertLogic (every issue listed).
    #[error("rule {rule}: {part} is not valid CertLogic: {}", issues.join("; "))]
    InvalidRule {
        rule: String,
        part: &'static str,
        issues: Vec<String>,
    },
    /// A rule's description or advice is not a valid template.
    #[error("rule {rule}: {field}: {message}")]
    InvalidTemplate {
        rule: String,
        field: &'static str,
        message: String,
    },
    /// Two policies in a set share a version name.
    #[error("policy version {0} appears twice")]
    DuplicateVersion(String),
    /// Two policies in a set take effect at the same instant, so neither wins.
    #[error("policies {0} and {1} take effect at the same time")]
    SameEffectiveFrom(String, String),
}

impl PolicyError {
    /// A stable machine-readable code for APIs and the CLI.
    pub fn code(&self) -> &'static str {
        match self {
            PolicyError::Parse(_) => "policy.parse",
            PolicyError::InvalidDocument(_) => "policy.invalid_document",
            PolicyError::InvalidRule { .. } => "policy.invalid_rule",
            PolicyError::InvalidTemplate { .. } => "policy.invalid_template",
            PolicyError::DuplicateVersion(_) => "policy.duplicate_version",
            PolicyError::SameEffectiveFrom(..) => "policy.same_effective_from",
        }
    }
}

/// A rule that failed on this person's data. The CertLogic specification advises
/// treating a failing rule as not applying; the failure is reported so that the
/// caller can log and alert, since a shipped rule should never fail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("rule {rule_id}: {part} failed: {message}")]
pub struct RuleFailure {
    pub rule_id: String,
    /// `logic`, `until` or `next_start`.
    pub part: String,
    pub message: String,
}

impl RuleFailure {
    /// A stable machine-readable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        "policy.rule_failed"
    }
}

impl PolicyDocument {
    /// Parses a policy document from its published JSON.
    pub fn from_json(text: &str) -> Result<PolicyDocument, PolicyError> {
        serde_json::from_str(text).map_err(|e| PolicyError::Parse(e.to_string()))
    }
}

/// A part of a template: literal text or a value from the rule input.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Text(String),
    Value { path: Vec<String>, filter: Filter },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filter {
    None,
    Time,
    Tenths,
}

/// A parsed description or advice template.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Template(Vec<Segment>);

impl Template {
    fn parse(text: &str) -> Result<Template, String> {
        let mut segments = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut inner = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => inner.push(c),
                            None => return Err(format!("unclosed placeholder {{{inner}")),
                        }
                    }
                    if !literal.is_empty() {
                        segments.push(Segment::Text(std::mem::take(&mut literal)));
                    }
                    segments.push(placeholder(&inner)?);
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            segments.push(Segment::Text(literal));
        }
        Ok(Template(segments))
    }

    fn render(&self, context: &Value) -> String {
        let mut out = String::new();
        for segment in &self.0 {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Value { path, filter } => {
                    out.push_str(&render_value(lookup(context, path), *filter));
                }
            }
        }
        out
    }
}

fn placeholder(inner: &str) -> Result<Segment, String> {
    let (path, filter) = match inner.split_once('|') {
        None => (inner, Filter::None),
        Some((path, "time")) => (path, Filter::Time),
        Some((path, "tenths")) => (path, Filter::Tenths),
        Some((_, other)) => return Err(format!("unknown filter |{other} in {{{inner}}}")),
    };
    let path = check_path(path.trim(), &["until"])?;
    Ok(Segment::Value { path, filter })
}

/// Splits a dotted rule-input path, checking its first step is a documented key
/// (or one of `extra`), so typos in published policies are caught at load time.
fn check_path(path: &str, extra: &[&str]) -> Result<Vec<String>, String> {
    let steps: Vec<String> = path.split('.').map(str::to_owned).collect();
    if steps.iter().any(String::is_empty) {
        return Err(format!("malformed path {path:?}"));
    }
    match steps.first() {
        Some(root) if INPUT_KEYS.contains(&root.as_str()) || extra.contains(&root.as_str()) => {
            Ok(steps)
        }
        _ => Err(format!("{path:?} is not a rule-input path")),
    }
}

fn lookup<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, step| match v {
        Value::Object(map) => map.get(step),
        Value::Array(items) => step.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

const MISSING: &str = "—";

fn render_value(value: Option<&Value>, filter: Filter) -> String {
    match (value, filter) {
        (None | Some(Value::Null), _) => MISSING.to_owned(),
        (Some(Value::String(s)), Filter::Time) => s
            .parse::<Timestamp>()
            .map_or_else(|_| s.clone(), human_time),
        (Some(Value::Number(n)), Filter::Tenths) => match n.as_i64() {
            Some(t) => format!(
                "{}{}.{}",
                if t < 0 { "-" } else { "" },
                (t / 10).abs(),
                (t % 10).abs()
            ),
            None => n.to_string(),
        },
        (Some(Value::String(s)), _) => s.clone(),
        (Some(Value::Array(items)), _) if items.is_empty() => MISSING.to_owned(),
        (Some(Value::Array(items)), _) => items
            .iter()
            .map(|item| render_value(Some(item), filter))
            .collect::<Vec<_>>()
            .join(", "),
        (Some(Value::Object(_)), _) => MISSING.to_owned(),
        (Some(other), _) => other.to_string(),
    }
}

/// A date-time as people read it in explanations: `2022-05-03 12:00`, China time.
pub fn human_time(ts: Timestamp) -> String {
    let dt = CHINA_OFFSET.to_datetime(ts);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute()
    )
}

/// Replaces `{"var": "params.…"}` by the parameter's value where that value is a
/// CertLogic literal (see the module documentation).
fn bind_params(expr: &Value, params: &Value) -> Value {
    match expr {
        Value::Object(map) => {
            if let (1, Some(Value::String(path))) = (map.len(), map.get("var"))
                && let Some(rest) = path.strip_prefix("params.")
            {
                let steps: Vec<String> = rest.split('.').map(str::to_owned).collect();
                if let Some(value) = lookup(params, &steps).filter(|v| is_literal(v)) {
                    return value.clone();
                }
                return expr.clone();
            }
            Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), bind_params(v, params)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| bind_params(v, params)).collect()),
        other => other.clone(),
    }
}

fn is_literal(value: &Value) -> bool {
    match value {
        Value::String(_) | Value::Bool(_) => true,
        Value::Number(n) => n.is_i64() || n.is_u64(),
        Value::Array(items) => items.iter().all(is_literal),
        Value::Null | Value::Object(_) => false,
    }
}

/// The compiled, ready-to-run parts of an enabled rule.
#[derive(Debug, Clone)]
struct Compiled {
    logic: Program,
    until: Option<Program>,
    next_start: Option<Program>,
}

#[derive(Debug, Clone)]
struct CompiledRule {
    def: RuleDef,
    /// `None` when a required parameter is null: the rule is switched off.
    compiled: Option<Compiled>,
    description_en: Template,
    description_zh: Template,
    advice_en: Template,
    advice_zh: Template,
    facts: Vec<Vec<String>>,
}

/// A policy checked and compiled once, evaluated for every person.
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    doc: PolicyDocument,
    rules: Vec<CompiledRule>,
}

fn compile_part(
    rule: &str,
    part: &'static str,
    expr: &Value,
    params: &Value,
) -> Result<Program, PolicyError> {
    Program::compile(&bind_params(expr, params)).map_err(|e| PolicyError::InvalidRule {
        rule: rule.to_owned(),
        part,
        issues: e.issues().iter().map(ToString::to_string).collect(),
    })
}

fn template(rule: &str, field: &'static str, text: &str) -> Result<Template, PolicyError> {
    Template::parse(text).map_err(|message| PolicyError::InvalidTemplate {
        rule: rule.to_owned(),
        field,
        message,
    })
}

fn valid_rule_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl CompiledPolicy {
    /// Checks a policy document (ids, parameters, paths, templates) and validates
    /// and compiles every rule's CertLogic, so a bad policy is refused when it is
    /// published rather than discovered while colouring people.
    pub fn compile(doc: PolicyDocument) -> Result<CompiledPolicy, PolicyError> {
        let invalid = |message: String| Err(PolicyError::InvalidDocument(message));
        if doc.version.trim().is_empty() {
            return invalid("the version is empty".to_owned());
        }
        let Value::Object(params) = &doc.params else {
            return invalid("params must be a JSON object".to_owned());
        };
        let mut ids = HashSet::new();
        let mut rules = Vec::with_capacity(doc.rules.len());
        for def in &doc.rules {
            let id = def.id.as_str();
            if !valid_rule_id(id) {
                return invalid(format!("rule id {id:?} is not made of a-z, 0-9 and -"));
            }
            if !ids.insert(id) {
                return invalid(format!("rule id {id} appears twice"));
            }
            let mut enabled = true;
            for name in &def.requires {
                match params.get(name) {
                    None => return invalid(format!("rule {id} requires unknown parameter {name}")),
                    Some(Value::Null) => enabled = false,
                    Some(_) => {}
                }
            }
            let facts = def
                .facts
                .iter()
                .map(|path| check_path(path, &[]))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| PolicyError::InvalidDocument(format!("rule {id}: facts: {e}")))?;
            let compiled = if enabled {
                let optional = |part, expr: &Option<Value>| {
                    expr.as_ref()
                        .map(|e| compile_part(id, part, e, &doc.params))
                        .transpose()
                };
                Some(Compiled {
                    logic: compile_part(id, "logic", &def.logic, &doc.params)?,
                    until: optional("until", &def.until)?,
                    next_start: optional("next_start", &def.next_start)?,
                })
            } else {
                None
            };
            rules.push(CompiledRule {
                compiled,
                description_en: template(id, "description_en", &def.description_en)?,
                description_zh: template(id, "description_zh", &def.description_zh)?,
                advice_en: template(id, "advice_en", &def.advice_en)?,
                advice_zh: template(id, "advice_zh", &def.advice_zh)?,
                facts,
                def: def.clone(),
            });
        }
        Ok(CompiledPolicy { doc, rules })
    }

    /// Parses and compiles a published policy in one step.
    pub fn from_json(text: &str) -> Result<CompiledPolicy, PolicyError> {
        CompiledPolicy::compile(PolicyDocument::from_json(text)?)
    }

    /// The document this policy was compiled from, for publishing and display.
    pub fn document(&self) -> &PolicyDocument {
        &self.doc
    }

    /// The version name reported with every assessment.
    pub fn version(&self) -> &str {
        &self.doc.version
    }

    /// When this policy takes effect.
    pub fn effective_from(&self) -> Timestamp {
        self.doc.effective_from
    }

    /// The rules in force (those whose required parameters are set), in order.
    pub fn enabled_rules(&self) -> impl Iterator<Item = &RuleDef> {
        self.rules
            .iter()
            .filter(|r| r.compiled.is_some())
            .map(|r| &r.def)
    }

    /// Evaluates the policy for one person at `now`: colour, explanations,
    /// `valid_until` and any rule failures. See [`Evaluation`].
    pub fn evaluate(
        &self,
        facts: &PersonFacts,
        risk_areas: &[RiskArea],
        overrides: &[Override],
        now: Timestamp,
    ) -> Evaluation {
        evaluate_with(Some(self), facts, risk_areas, overrides, now)
    }

    /// [`evaluate`](Self::evaluate) reduced to the stored [`Assessment`], with
    /// English reasons.
    pub fn assess(
        &self,
        facts: &PersonFacts,
        risk_areas: &[RiskArea],
        overrides: &[Override],
        now: Timestamp,
    ) -> Assessment {
        self.evaluate(facts, risk_areas, overrides, now)
            .assessment(Language::En)
    }
}

/// One reason for a colour, in both languages, with the facts behind it and when
/// it stops applying: what a person sees when they ask "why is my code yellow?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// `rule.<id>`, `override.active`, `policy.default` or `policy.none`.
    pub code: String,
    /// The rule that gave this reason, if any.
    pub rule_id: Option<String>,
    /// The colour this reason calls for.
    pub colour: Colour,
    pub message_en: String,
    pub message_zh: String,
    /// What the person can do, and when the code will turn green.
    pub advice_en: String,
    pub advice_zh: String,
    /// The facts this reason rests on.
    pub facts: Vec<FactRef>,
    /// When this reason stops applying if nothing new happens; `None` if unknown.
    pub until: Option<Timestamp>,
    /// True when an override decides the colour instead of this rule.
    pub superseded: bool,
}

impl Explanation {
    /// The stored, single-language form of this explanation.
    pub fn reason(&self, language: Language) -> Reason {
        let (message, advice, prefix) = match language {
            Language::En => (
                &self.message_en,
                &self.advice_en,
                "(Superseded by an authority's override) ",
            ),
            Language::Zh => (
                &self.message_zh,
                &self.advice_zh,
                "（已被主管部门的人工设定取代）",
            ),
        };
        let mut text = String::new();
        if self.superseded {
            text.push_str(prefix);
        }
        text.push_str(message);
        if !advice.is_empty() {
            if language == Language::En {
                text.push(' ');
            }
            text.push_str(advice);
        }
        Reason {
            code: self.code.clone(),
            message: text,
        }
    }
}

/// The full result of evaluating a policy for one person: richer than the stored
/// [`Assessment`] (both languages, facts, per-reason ends, failures).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub colour: Colour,
    /// The deciding override first (if any), then matching rules from most to
    /// least restrictive in policy order; `policy.default` when nothing matched.
    pub explanations: Vec<Explanation>,
    pub policy_version: String,
    /// Re-evaluate at this time even if no fact changes: the earliest of a
    /// matching rule's `until`, a non-matching rule's `next_start`, an active
    /// override's expiry and the next policy's effective time.
    pub valid_until: Option<Timestamp>,
    /// When the code turns green if no new fact arrives and no rule starts
    /// applying by time; `None` when it is green already or no end is known.
    pub green_at: Option<Timestamp>,
    /// Rules that failed on this person's data (treated as not applying).
    pub failures: Vec<RuleFailure>,
}

impl Evaluation {
    /// The stored form, with reasons in `language`.
    pub fn assessment(&self, language: Language) -> Assessment {
        Assessment {
            colour: self.colour,
            reasons: self
                .explanations
                .iter()
                .map(|e| e.reason(language))
                .collect(),
            policy_version: self.policy_version.clone(),
            valid_until: self.valid_until,
        }
    }
}

/// Evaluates a date-time-valued part of a rule: `Ok(None)` for a falsy result.
fn eval_time(program: &Program, input: &Value) -> Result<Option<Timestamp>, String> {
    let value = program.evaluate(input).map_err(|e| e.to_string())?;
    match value {
        Value::String(s) if !s.is_empty() => s
            .parse::<Timestamp>()
            .map(Some)
            .map_err(|_| format!("{s:?} is not a date-time")),
        other if truthiness(&other) == Some(false) => Ok(None),
        other => Err(format!("{other} is not a date-time")),
    }
}

fn collect_refs(value: Option<&Value>, out: &mut Vec<FactRef>) {
    match value {
        Some(Value::Array(items)) => {
            for item in items {
                collect_refs(Some(item), out);
            }
        }
        Some(Value::Object(map)) => {
            for r in map
                .get("refs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let kind = r
                    .get("kind")
                    .and_then(Value::as_str)
                    .and_then(FactKind::parse);
                let id = r.get("id").and_then(Value::as_str);
                if let (Some(kind), Some(id)) = (kind, id) {
                    let fact = FactRef {
                        kind,
                        id: id.to_owned(),
                    };
                    if !out.contains(&fact) {
                        out.push(fact);
                    }
                }
            }
        }
        _ => {}
    }
}

struct Matched<'a> {
    rule: &'a CompiledRule,
    until: Option<Timestamp>,
}

fn evaluate_with(
    policy: Option<&CompiledPolicy>,
    facts: &PersonFacts,
    risk_areas: &[RiskArea],
    overrides: &[Override],
    now: Timestamp,
) -> Evaluation {
    let params = policy.map_or_else(empty_object, |p| p.doc.params.clone());
    let input = rule_input(facts, risk_areas, now, &params);
    let mut failures = Vec::new();
    let mut transitions = Vec::new();
    let mut matched = Vec::new();
    let fail = |failures: &mut Vec<RuleFailure>, rule: &CompiledRule, part: &str, message| {
        failures.push(RuleFailure {
            rule_id: rule.def.id.clone(),
            part: part.to_owned(),
            message,
        });
    };
    for rule in policy.map_or(&[][..], |p| &p.rules) {
        let Some(compiled) = &rule.compiled else {
            continue;
        };
        let applies = match compiled.logic.evaluate(&input) {
            Ok(value) => truthiness(&value) == Some(true),
            Err(e) => {
                fail(&mut failures, rule, "logic", e.to_string());
                continue;
            }
        };
        if applies {
            let until = match compiled.until.as_ref().map(|p| eval_time(p, &input)) {
                None | Some(Ok(None)) => None,
                Some(Ok(Some(t))) if t > now => Some(t),
                Some(Ok(Some(t))) => {
                    let message = format!("the rule applies but says it ended at {t}");
                    fail(&mut failures, rule, "until", message);
                    None
                }
                Some(Err(message)) => {
                    fail(&mut failures, rule, "until", message);
                    None
                }
            };
            transitions.extend(until);
            matched.push(Matched { rule, until });
        } else if let Some(program) = &compiled.next_start {
            match eval_time(program, &input) {
                Ok(Some(t)) if t > now => transitions.push(t),
                Ok(_) => {}
                Err(message) => fail(&mut failures, rule, "next_start", message),
            }
        }
    }
    // Most restrictive first; the sort is stable, so policy order breaks ties.
    matched.sort_by_key(|m| std::cmp::Reverse(m.rule.def.colour));
    let rule_colour = matched.first().map_or(Colour::Green, |m| m.rule.def.colour);

    let active: Vec<&Override> = overrides.iter().filter(|o| o.expires_at > now).collect();
    transitions.extend(active.iter().map(|o| o.expires_at));
    let winner = active
        .iter()
        .copied()
        .max_by_key(|o| (o.colour, o.expires_at));

    let mut explanations = Vec::new();
    if let Some(o) = winner {
        let until = human_time(o.expires_at);
        explanations.push(Explanation {
            code: "override.active".to_owned(),
            rule_id: None,
            colour: o.colour,
            message_en: format!(
                "An authority set this colour until {until}: {}",
                o.justification
            ),
            message_zh: format!("主管部门将此颜色设定至{until}：{}", o.justification),
            advice_en: "You can see who set it and appeal against it.".to_owned(),
            advice_zh: "您可以查看设定人并提出申诉。".to_owned(),
            facts: Vec::new(),
            until: Some(o.expires_at),
            superseded: false,
        });
    }
    let mut context = input;
    for m in &matched {
        if let Value::Object(map) = &mut context {
            let until = m
                .until
                .map_or(Value::Null, |t| Value::String(input_time(t)));
            map.insert("until".to_owned(), until);
        }
        let mut refs = Vec::new();
        for path in &m.rule.facts {
            collect_refs(lookup(&context, path), &mut refs);
        }
        explanations.push(Explanation {
            code: format!("rule.{}", m.rule.def.id),
            rule_id: Some(m.rule.def.id.clone()),
            colour: m.rule.def.colour,
            message_en: m.rule.description_en.render(&context),
            message_zh: m.rule.description_zh.render(&context),
            advice_en: m.rule.advice_en.render(&context),
            advice_zh: m.rule.advice_zh.render(&context),
            facts: refs,
            until: m.until,
            superseded: winner.is_some(),
        });
    }
    let version = policy.map_or("none", |p| p.version());
    if explanations.is_empty() {
        explanations.push(match policy {
            Some(_) => Explanation {
                code: "policy.default".to_owned(),
                rule_id: None,
                colour: Colour::Green,
                message_en: format!("No fact under policy {version} calls for another colour."),
                message_zh: format!("按照政策 {version}，没有需要改变颜色的情况。"),
                advice_en: String::new(),
                advice_zh: String::new(),
                facts: Vec::new(),
                until: None,
                superseded: false,
            },
            None => Explanation {
                code: "policy.none".to_owned(),
                rule_id: None,
                colour: Colour::Green,
                message_en: "No code policy is in force yet.".to_owned(),
                message_zh: "目前没有生效的健康码政策。".to_owned(),
                advice_en: String::new(),
                advice_zh: String::new(),
                facts: Vec::new(),
                until: None,
                superseded: false,
            },
        });
    }

    let colour = winner.map_or(rule_colour, |o| o.colour);
    let green_at = if colour == Colour::Green {
        None
    } else {
        green_at(&matched, &active, &transitions)
    };
    Evaluation {
        colour,
        explanations,
        policy_version: version.to_owned(),
        valid_until: transitions.iter().copied().min(),
        green_at,
        failures,
    }
}

/// The first known transition at which, with no new facts and no rule starting,
/// the colour would be green.
fn green_at(
    matched: &[Matched<'_>],
    active: &[&Override],
    transitions: &[Timestamp],
) -> Option<Timestamp> {
    let mut times = transitions.to_vec();
    times.sort_unstable();
    times.dedup();
    times.into_iter().find(|&t| {
        let overriding = active
            .iter()
            .filter(|o| o.expires_at > t)
            .max_by_key(|o| (o.colour, o.expires_at));
        let colour = match overriding {
            Some(o) => o.colour,
            None => matched
                .iter()
                .filter(|m| m.until.is_none_or(|u| u > t))
                .map(|m| m.rule.def.colour)
                .max()
                .unwrap_or(Colour::Green),
        };
        colour == Colour::Green
    })
}

/// Every published policy version, so the one in force at any instant can be
/// found: switching policy at a given time recolours everyone from then on.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    /// Sorted by effective time.
    policies: Vec<CompiledPolicy>,
}

impl PolicySet {
    /// Assembles a set, refusing duplicate versions and two policies taking
    /// effect at the same instant (neither would be "the" policy then).
    pub fn new(mut policies: Vec<CompiledPolicy>) -> Result<PolicySet, PolicyError> {
        policies.sort_by_key(CompiledPolicy::effective_from);
        let mut versions = HashSet::new();
        for p in &policies {
            if !versions.insert(p.version()) {
                return Err(PolicyError::DuplicateVersion(p.version().to_owned()));
            }
        }
        if let Some(pair) = policies
            .windows(2)
            .find(|w| w[0].effective_from() == w[1].effective_from())
        {
            return Err(PolicyError::SameEffectiveFrom(
                pair[0].version().to_owned(),
                pair[1].version().to_owned(),
            ));
        }
        Ok(PolicySet { policies })
    }

    /// The policies shipped in `crates/domain/policies/` ([`SHIPPED_POLICIES`]).
    pub fn shipped() -> Result<PolicySet, PolicyError> {
        let policies = SHIPPED_POLICIES
            .iter()
            .map(|(_, text)| CompiledPolicy::from_json(text))
            .collect::<Result<Vec<_>, _>>()?;
        PolicySet::new(policies)
    }

    /// Every policy, by effective time.
    pub fn policies(&self) -> &[CompiledPolicy] {
        &self.policies
    }

    /// The policy in force at `now`: the latest to have taken effect; `None`
    /// before the first.
    pub fn active_at(&self, now: Timestamp) -> Option<&CompiledPolicy> {
        self.policies
            .iter()
            .rev()
            .find(|p| p.effective_from() <= now)
    }

    /// When the next policy takes effect after `now`, if one is scheduled.
    pub fn next_switch_after(&self, now: Timestamp) -> Option<Timestamp> {
        self.policies
            .iter()
            .map(CompiledPolicy::effective_from)
            .find(|&t| t > now)
    }

    /// Evaluates under the policy in force at `now`, with `valid_until` capped at
    /// the next policy's effective time. Before any policy is in force the code
    /// is green (`policy.none`) unless an override says otherwise.
    pub fn evaluate(
        &self,
        facts: &PersonFacts,
        risk_areas: &[RiskArea],
        overrides: &[Override],
        now: Timestamp,
    ) -> Evaluation {
        let mut evaluation = evaluate_with(self.active_at(now), facts, risk_areas, overrides, now);
        if let Some(switch) = self.next_switch_after(now) {
            evaluation.valid_until = Some(evaluation.valid_until.map_or(switch, |t| t.min(switch)));
            if evaluation.colour != Colour::Green && evaluation.green_at.is_none_or(|t| t > switch)
            {
                // The next policy decides from its effective time on.
                let next = self.evaluate(facts, risk_areas, overrides, switch);
                evaluation.green_at = if next.colour == Colour::Green {
                    Some(switch)
                } else {
                    next.green_at
                };
            }
        }
        evaluation
    }

    /// [`evaluate`](Self::evaluate) reduced to the stored [`Assessment`], with
    /// English reasons.
    pub fn assess(
        &self,
        facts: &PersonFacts,
        risk_areas: &[RiskArea],
        overrides: &[Override],
        now: Timestamp,
    ) -> Assessment {
        self.evaluate(facts, risk_areas, overrides, now)
            .assessment(Language::En)
    }
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
