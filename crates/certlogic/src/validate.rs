//! Format validation, following certlogic-js's `validation/format-validator.ts` (messages
//! included, since the validation test suite compares them), plus `dccDateOfBirth` and a nesting
//! limit.

use serde_json::{Map, Value};

use crate::datetime::{TIME_UNITS, TimeUnit};
use crate::error::ValidationError;
use crate::value::js_string;

/// Deeper expressions are rejected rather than risking the stack; real rules nest a dozen levels.
pub(crate) const MAX_DEPTH: usize = 256;

/// The infix operators (`and`, comparisons, date-time comparisons, `===`, `in`, `+`).
pub(crate) const INFIX_OPERATORS: [&str; 12] = [
    "===",
    "and",
    ">",
    "<",
    ">=",
    "<=",
    "in",
    "+",
    "after",
    "before",
    "not-after",
    "not-before",
];

/// Checks that `expr` is a well-formed CertLogic expression and lists every problem found (empty
/// when valid), with the reference validator's messages, so rule authors get all issues at once.
///
/// Evaluation and compilation run this first and refuse invalid expressions, as the
/// specification asks ("checks the validity of the expression first").
pub fn validate(expr: &Value) -> Vec<ValidationError> {
    let mut issues = Vec::new();
    validate_into(expr, 0, &mut issues);
    issues
}

fn issue(issues: &mut Vec<ValidationError>, expr: &Value, message: String) {
    issues.push(ValidationError {
        expr: expr.clone(),
        message,
    });
}

/// Whether a JSON value is an integer in JavaScript's sense (`42.0` is).
pub(crate) fn is_int(v: &Value) -> bool {
    matches!(v, Value::Number(n) if crate::value::Num::of(n).is_integer())
}

/// The reference's data-access path format: empty, or non-empty fragments separated by dots.
pub(crate) fn is_valid_path(path: &str) -> bool {
    path.is_empty() || path.split('.').all(|fragment| !fragment.is_empty())
}

fn validate_into(expr: &Value, depth: usize, issues: &mut Vec<ValidationError>) {
    if depth > MAX_DEPTH {
        issue(
            issues,
            expr,
            format!("expression nested more than {MAX_DEPTH} levels deep"),
        );
        return;
    }
    match expr {
        Value::String(_) | Value::Bool(_) => {}
        Value::Number(_) if is_int(expr) => {}
        Value::Number(_) => issue(
            issues,
            expr,
            format!("{} is a non-integer number", js_string(expr)),
        ),
        Value::Null => issue(issues, expr, "invalid CertLogic expression".to_owned()),
        Value::Array(items) => {
            for item in items {
                validate_into(item, depth + 1, issues);
            }
        }
        Value::Object(map) => validate_operation(expr, map, depth, issues),
    }
}

fn validate_operation(
    expr: &Value,
    map: &Map<String, Value>,
    depth: usize,
    issues: &mut Vec<ValidationError>,
) {
    let mut entries = map.iter();
    let (Some((operator, values)), None) = (entries.next(), entries.next()) else {
        issue(
            issues,
            expr,
            format!(
                "expression object must have exactly one key, but it has {}",
                map.len()
            ),
        );
        return;
    };
    if operator == "var" {
        match values {
            Value::String(path) if is_valid_path(path) => {}
            Value::String(path) => issue(
                issues,
                expr,
                format!("data access path doesn't have a valid format: {path}"),
            ),
            _ => issue(
                issues,
                expr,
                "not of the form { \"var\": \"<path>\" }".to_owned(),
            ),
        }
        return;
    }
    let Value::Array(values) = values else {
        issue(
            issues,
            expr,
            "operation not of the form { \"<operator>\": [ <values...> ] }".to_owned(),
        );
        return;
    };
    let n = values.len();
    let operands = |values: &[Value], issues: &mut Vec<ValidationError>| {
        for value in values {
            validate_into(value, depth + 1, issues);
        }
    };
    match operator.as_str() {
        "if" => {
            if n != 3 {
                issue(
                    issues,
                    expr,
                    format!(
                        "an \"if\"-operation must have exactly 3 values/operands, but it has {n}"
                    ),
                );
            }
            operands(&values[..n.min(3)], issues);
        }
        op if INFIX_OPERATORS.contains(&op) => {
            let max = match op {
                "and" => {
                    if n < 2 {
                        issue(
                            issues,
                            expr,
                            format!(
                                "an \"and\" operation must have at least 2 operands, but it has {n}"
                            ),
                        );
                    }
                    n
                }
                "<" | ">" | "<=" | ">=" | "after" | "before" | "not-after" | "not-before" => {
                    if !(2..=3).contains(&n) {
                        issue(
                            issues,
                            expr,
                            format!(
                                "an operation with operator \"{op}\" must have 2 or 3 operands, but it has {n}"
                            ),
                        );
                    }
                    3
                }
                _ => {
                    if n != 2 {
                        issue(
                            issues,
                            expr,
                            format!(
                                "an operation with operator \"{op}\" must have 2 operands, but it has {n}"
                            ),
                        );
                    }
                    2
                }
            };
            operands(&values[..n.min(max)], issues);
        }
        "!" => {
            if n == 1 {
                operands(values, issues);
            } else {
                issue(
                    issues,
                    expr,
                    format!(
                        "a !-operation (logical not/negation) must have exactly 1 operand, but it has {n}"
                    ),
                );
            }
        }
        "plusTime" => {
            if n != 3 {
                issue(
                    issues,
                    expr,
                    format!(
                        "a \"plusTime\"-operation must have exactly 3 values/operands, but it has {n}"
                    ),
                );
            }
            if let Some(date) = values.first() {
                validate_into(date, depth + 1, issues);
            }
            if let Some(amount) = values.get(1).filter(|amount| !is_int(amount)) {
                issue(
                    issues,
                    expr,
                    format!(
                        "\"amount\" argument (#2) of \"plusTime\" must be an integer, but it is: {}",
                        js_string(amount)
                    ),
                );
            }
            if let Some(unit) = values
                .get(2)
                .filter(|unit| unit.as_str().and_then(TimeUnit::parse).is_none())
            {
                issue(
                    issues,
                    expr,
                    format!(
                        "\"unit\" argument (#3) of \"plusTime\" must be a string equal to one of {}, but it is: {}",
                        TIME_UNITS.join(", "),
                        js_string(unit)
                    ),
                );
            }
        }
        "reduce" => {
            if n != 3 {
                issue(
                    issues,
                    expr,
                    format!(
                        "a \"reduce\"-operation must have exactly 3 values/operands, but it has {n}"
                    ),
                );
            }
            operands(&values[..n.min(3)], issues);
        }
        "extractFromUVCI" => {
            if n != 2 {
                issue(
                    issues,
                    expr,
                    format!(
                        "an \"extractFromUVCI\"-operation must have exactly 2 values/operands, but it has {n}"
                    ),
                );
            }
            if let Some(operand) = values.first() {
                validate_into(operand, depth + 1, issues);
            }
            if let Some(index) = values.get(1).filter(|index| !is_int(index)) {
                issue(
                    issues,
                    expr,
                    format!(
                        "\"index\" argument (#2) of \"extractFromUVCI\" must be an integer, but it is: {}",
                        js_string(index)
                    ),
                );
            }
        }
        "dccDateOfBirth" => {
            if n == 1 {
                operands(values, issues);
            } else {
                issue(
                    issues,
                    expr,
                    format!(
                        "a \"dccDateOfBirth\"-operation must have exactly 1 value/operand, but it has {n}"
                    ),
                );
            }
        }
        _ => issue(
            issues,
            expr,
            format!("unrecognised operator: \"{operator}\""),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(expr: Value) -> Vec<String> {
        validate(&expr).into_iter().map(|i| i.message).collect()
    }

    #[test]
    fn accepts_well_formed_operations() {
        for expr in [
            json!({"if": [true, 1, 2]}),
            json!({"and": [1, 2, 3]}),
            json!({"<": [1, 2, 3]}),
            json!({"not-before": [{"plusTime": ["2021-01-01", 0, "day"]}, {"dccDateOfBirth": ["2004"]}]}),
            json!({"reduce": [{"var": "x"}, {"+": [{"var": "accumulator"}, 1]}, 0]}),
            json!({"extractFromUVCI": [{"var": "v.0.ci"}, 1]}),
            json!({"plusTime": ["2021-01-01", 72.0, "hour"]}),
            json!({"var": ""}),
        ] {
            assert_eq!(messages(expr.clone()), Vec::<String>::new(), "{expr}");
        }
    }

    #[test]
    fn reports_arity_and_argument_problems_like_the_reference() {
        assert_eq!(
            messages(json!({"if": [true, 1]})),
            ["an \"if\"-operation must have exactly 3 values/operands, but it has 2"]
        );
        assert_eq!(
            messages(json!({"and": [true]})),
            ["an \"and\" operation must have at least 2 operands, but it has 1"]
        );
        assert_eq!(
            messages(json!({"<": [1, 2, 3, 4]})),
            ["an operation with operator \"<\" must have 2 or 3 operands, but it has 4"]
        );
        assert_eq!(
            messages(json!({"===": [1]})),
            ["an operation with operator \"===\" must have 2 operands, but it has 1"]
        );
        assert_eq!(
            messages(json!({"!": [1, 2]})),
            ["a !-operation (logical not/negation) must have exactly 1 operand, but it has 2"]
        );
        assert_eq!(
            messages(json!({"plusTime": [null, 1.5, "week"]})),
            [
                "invalid CertLogic expression",
                "\"amount\" argument (#2) of \"plusTime\" must be an integer, but it is: 1.5",
                "\"unit\" argument (#3) of \"plusTime\" must be a string equal to one of year, month, day, hour, but it is: week"
            ]
        );
        assert_eq!(
            messages(json!({"extractFromUVCI": [{"var": "x"}, "1"]})),
            ["\"index\" argument (#2) of \"extractFromUVCI\" must be an integer, but it is: 1"]
        );
        assert_eq!(
            messages(json!({"dccDateOfBirth": []})),
            ["a \"dccDateOfBirth\"-operation must have exactly 1 value/operand, but it has 0"]
        );
    }

    #[test]
    fn reports_nested_problems_in_order() {
        let issues = validate(&json!([{"var": 1}, {"if": [null, {"foo": []}, 3.5]}]));
        let got: Vec<_> = issues
            .iter()
            .map(|i| (i.expr.clone(), i.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (json!({"var": 1}), "not of the form { \"var\": \"<path>\" }"),
                (json!(null), "invalid CertLogic expression"),
                (json!({"foo": []}), "unrecognised operator: \"foo\""),
                (json!(3.5), "3.5 is a non-integer number"),
            ]
        );
    }

    #[test]
    fn validates_var_paths() {
        assert!(is_valid_path(""));
        assert!(is_valid_path("a.0.b"));
        assert!(!is_valid_path("a."));
        assert!(!is_valid_path(".a"));
        assert!(!is_valid_path("a..b"));
        assert!(!is_valid_path("."));
    }

    #[test]
    fn refuses_absurd_nesting() {
        let mut expr = json!(true);
        for _ in 0..300 {
            expr = json!({"!": [expr]});
        }
        let issues = validate(&expr);
        assert_eq!(issues.len(), 1);
        assert!(issues[0].message.starts_with("expression nested more than"));
    }
}
