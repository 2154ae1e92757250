//! CertLogic: the JsonLogic dialect the EU Digital COVID Certificate business rules are written
//! in, which health-code policies use to compute a code's colour. Pure: no I/O, no clock, no
//! time-zone database (every CertLogic date-time carries its own offset).
//!
//! Implements specification 1.3.3 (`shared/testdata/certlogic/README.md`) and passes its test
//! suites; where the specification leaves room, it follows the reference implementation
//! certlogic-js. The crate's README-level decisions:
//!
//! * **Validity first.** [`evaluate`] and [`Program::compile`] validate the whole expression
//!   before evaluating anything (as the specification says the evaluator does), so an invalid
//!   expression is always an [`EvalError::InvalidExpression`] / [`CompileError`], whatever the data.
//!   The checks are those of certlogic-js's validator ([`validate`]), plus `dccDateOfBirth`.
//! * **Evaluation errors** ([`EvalError::Evaluation`]) are type mismatches that only show on data:
//!   comparing a non-integer, a guard that is neither truthy nor falsy, an unparseable date, `in`
//!   on a non-array. The specification advises treating them as a failed rule.
//! * **Truthiness** is CertLogic's, not JavaScript's: see [`truthiness`].
//! * **`and`** evaluates lazily and returns the first falsy operand or the last one; every
//!   operand it evaluates, the last included, must be truthy or falsy (the specification's rule;
//!   certlogic-js does not check the last operand).
//! * **`===`** compares strings, numbers (numerically), booleans and `null` by value, arrays and
//!   objects structurally (as certlogic-kotlin does; certlogic-js compares them by reference),
//!   date-times by instant.
//! * **Date-times** are JavaScript-`Date`-like instants in milliseconds; see [`DateTime`] for the
//!   accepted formats and the `plusTime` arithmetic (`setUTC…` semantics, so month ends overflow:
//!   2021-01-31 + 1 month = 2021-03-03, 2020-02-29 + 1 year = 2021-03-01). A date-time result is
//!   returned as its ISO string (what `JSON.stringify` makes of it).
//! * **`reduce`** gives its lambda `{ "accumulator": …, "current": … }` only (no `data`: that
//!   "patched" variant is optional in the specification and not in the reference).

mod datetime;
mod error;
mod interp;
mod ops;
mod program;
mod validate;
mod value;

use serde_json::Value;

pub use datetime::{DateTime, DateTimeError, TIME_UNITS, TimeUnit};
pub use error::{CompileError, EvalError, ValidationError, codes};
pub use interp::evaluate;
pub use program::Program;
pub use validate::validate;

/// The version of the CertLogic specification implemented, for callers that report it.
pub const SPECIFICATION_VERSION: &str = "1.3.3";

/// CertLogic truthiness ("boolsiness") of a JSON value: `Some(true)` for truthy (`true`, non-empty
/// strings, non-zero numbers, non-empty arrays and objects), `Some(false)` for falsy (`false`,
/// `null`, `""`, `0`, `[]`, `{}`). Exposed so callers decide whether a rule's result passes the
/// same way the evaluator decides guards. (Only date-times are neither, and JSON holds none.)
pub fn truthiness(value: &Value) -> Option<bool> {
    Some(match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => !value::Num::of(n).is_zero(),
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    })
}

/// The CertLogic expression in a document that is either an EU DCC business rule (an object
/// with the expression under `Logic`) or a bare expression, so the CLI accepts both.
pub fn parse_rule_or_expression(doc: &Value) -> &Value {
    match doc {
        Value::Object(map) => map.get("Logic").unwrap_or(doc),
        _ => doc,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Evaluates with both engines, insists they agree, and returns the shared result.
    fn both(expr: Value, data: Value) -> Result<Value, EvalError> {
        let interpreted = evaluate(&expr, &data);
        let compiled = Program::compile(&expr)
            .map_err(EvalError::from)
            .and_then(|program| program.evaluate(&data));
        assert_eq!(
            interpreted, compiled,
            "engines disagree on {expr} with {data}"
        );
        interpreted
    }

    fn ok(expr: Value, data: Value) -> Value {
        match both(expr.clone(), data.clone()) {
            Ok(value) => value,
            Err(e) => panic!("{expr} on {data} failed: {e}"),
        }
    }

    fn err(expr: Value, data: Value) -> EvalError {
        match both(expr.clone(), data.clone()) {
            Ok(value) => panic!("{expr} on {data} gave {value}, expected an error"),
            Err(e) => e,
        }
    }

    #[test]
    fn truthiness_table() {
        let cases = [
            (json!(null), Some(false)),
            (json!(false), Some(false)),
            (json!(true), Some(true)),
            (json!(""), Some(false)),
            (json!("0"), Some(true)),
            (json!("false"), Some(true)),
            (json!(0), Some(false)),
            (json!(0.0), Some(false)),
            (json!(-1), Some(true)),
            (json!(0.5), Some(true)),
            (json!([]), Some(false)),
            (json!([0]), Some(true)),
            (json!([null]), Some(true)),
            (json!({}), Some(false)),
            (json!({"a": null}), Some(true)),
        ];
        for (value, expected) in cases {
            assert_eq!(truthiness(&value), expected, "{value}");
            // The evaluator agrees: `!` negates truthiness, `if` branches on it.
            let negated = ok(json!({"!": [{"var": ""}]}), value.clone());
            assert_eq!(negated, json!(!expected.unwrap()), "{value}");
            let branch = ok(json!({"if": [{"var": ""}, "T", "F"]}), value.clone());
            assert_eq!(branch, json!(if expected.unwrap() { "T" } else { "F" }));
        }
        // Date-times are neither truthy nor falsy: guards, `!` and `and` refuse them.
        let date = json!({"plusTime": ["2021-01-01", 0, "day"]});
        for expr in [
            json!({"if": [date.clone(), 1, 2]}),
            json!({"!": [date.clone()]}),
            json!({"and": [date.clone(), true]}),
            json!({"and": [true, date.clone()]}),
        ] {
            assert_eq!(err(expr, json!({})).code(), codes::EVALUATION);
        }
    }

    #[test]
    fn and_is_lazy_and_returns_operands() {
        assert_eq!(ok(json!({"and": [1, "x", [1]]}), json!({})), json!([1]));
        assert_eq!(
            ok(json!({"and": [1, [], {"var": "boom"}]}), json!({})),
            json!([])
        );
        // The second operand would fail on "", but is never evaluated.
        let guarded = json!({"and": [{"var": "d"}, {"before": [{"plusTime": [{"var": "d"}, 0, "day"]}, {"plusTime": ["2030-01-01", 0, "day"]}]}]});
        assert_eq!(ok(guarded.clone(), json!({"d": ""})), json!(""));
        assert_eq!(ok(guarded.clone(), json!({"d": "2021-01-01"})), json!(true));
        assert_eq!(
            err(guarded, json!({"d": "garbage"})).code(),
            codes::EVALUATION
        );
    }

    #[test]
    fn if_evaluates_only_the_branch_taken() {
        let expr = json!({"if": [{"var": "x"}, {"plusTime": [{"var": "x"}, 1, "day"]}, "none"]});
        assert_eq!(ok(expr.clone(), json!({"x": ""})), json!("none"));
        assert_eq!(
            ok(expr, json!({"x": "2021-01-01"})),
            json!("2021-01-02T00:00:00.000Z")
        );
    }

    #[test]
    fn reduce_folds_with_accumulator_and_current() {
        let sum = json!({"reduce": [{"var": "xs"}, {"+": [{"var": "accumulator"}, {"var": "current"}]}, 0]});
        assert_eq!(ok(sum.clone(), json!({"xs": [1, 2, 3, 4]})), json!(10));
        assert_eq!(ok(sum.clone(), json!({"xs": []})), json!(0));
        assert_eq!(ok(sum.clone(), json!({"xs": null})), json!(0));
        assert_eq!(ok(sum.clone(), json!({})), json!(0));
        assert_eq!(
            err(sum.clone(), json!({"xs": "abc"})).code(),
            codes::EVALUATION
        );
        assert_eq!(err(sum, json!({"xs": [1, "2"]})).code(), codes::EVALUATION);
        // Counting matches, the typical DCC use (e.g. how many vaccinations of a product).
        let count = json!({"reduce": [
            {"var": "v"},
            {"+": [{"var": "accumulator"}, {"if": [{"in": [{"var": "current.mp"}, ["EU/1/20/1528", "EU/1/20/1507"]]}, 1, 0]}]},
            0
        ]});
        let data =
            json!({"v": [{"mp": "EU/1/20/1528"}, {"mp": "EU/1/21/1529"}, {"mp": "EU/1/20/1507"}]});
        assert_eq!(ok(count, data), json!(2));
        // The lambda sees only accumulator and current (no `data`, as in the reference).
        let peek = json!({"reduce": [[1], {"var": "data"}, 0]});
        assert_eq!(ok(peek, json!({"data": 5})), json!(null));
        // A literal array, an evaluated array, and the whole frame.
        let frames = json!({"reduce": [[1, {"var": "y"}], {"var": ""}, 0]});
        assert_eq!(
            ok(frames, json!({"y": 2})),
            json!({"accumulator": {"accumulator": 0, "current": 1}, "current": 2})
        );
        // Date-times can be accumulated (the latest of several dates).
        let latest = json!({"reduce": [
            {"var": "dates"},
            {"if": [
                {"after": [{"plusTime": [{"var": "current"}, 0, "day"]}, {"var": "accumulator"}]},
                {"plusTime": [{"var": "current"}, 0, "day"]},
                {"var": "accumulator"}
            ]},
            {"plusTime": ["1970-01-01", 0, "day"]}
        ]});
        assert_eq!(
            ok(
                latest,
                json!({"dates": ["2021-03-01", "2021-06-01T12:00:00+02:00", "2021-05-01"]})
            ),
            json!("2021-06-01T10:00:00.000Z")
        );
    }

    #[test]
    fn equality_and_membership() {
        assert_eq!(ok(json!({"===": [1, 1.0]}), json!({})), json!(true));
        assert_eq!(ok(json!({"===": [1, "1"]}), json!({})), json!(false));
        assert_eq!(
            ok(json!({"===": [{"var": "a"}, {"var": "b"}]}), json!({})),
            json!(true)
        );
        assert_eq!(
            ok(json!({"===": [{"var": "a"}, [1]]}), json!({"a": [1]})),
            json!(true)
        );
        let same_instant = json!({"===": [
            {"plusTime": ["2021-01-01T01:00:00+01:00", 0, "day"]},
            {"plusTime": ["2021-01-01", 0, "day"]}
        ]});
        assert_eq!(ok(same_instant, json!({})), json!(true));
        assert_eq!(
            ok(json!({"in": [{"var": "x"}, [{"var": "x"}]]}), json!({})),
            json!(true)
        );
        assert_eq!(
            ok(
                json!({"in": [{"var": "x"}, {"var": "y"}]}),
                json!({"x": 2, "y": [1, 2.0]})
            ),
            json!(true)
        );
        assert_eq!(
            err(json!({"in": ["a", {"var": "y"}]}), json!({})).code(),
            codes::EVALUATION
        );
        assert_eq!(
            err(json!({"in": ["a", "abc"]}), json!({})).code(),
            codes::EVALUATION
        );
    }

    #[test]
    fn comparisons_need_integers_and_date_times() {
        assert_eq!(ok(json!({"<": [1, 2, 3]}), json!({})), json!(true));
        assert_eq!(
            ok(json!({">=": [{"var": "age"}, 18]}), json!({"age": 18.0})),
            json!(true)
        );
        assert_eq!(
            err(json!({"<": [{"var": "age"}, 18]}), json!({})).code(),
            codes::EVALUATION
        );
        assert_eq!(
            err(json!({"<": [1.5, 2]}), json!({})).code(),
            codes::INVALID_EXPRESSION
        );
        assert_eq!(
            err(json!({"<": [{"var": "x"}, 2]}), json!({"x": 1.5})).code(),
            codes::EVALUATION
        );
        assert_eq!(
            err(json!({"before": ["2021-01-01", "2021-01-02"]}), json!({})).code(),
            codes::EVALUATION
        );
        let window = json!({"not-after": [
            {"plusTime": ["2021-05-01", 14, "day"]},
            {"plusTime": [{"var": "now"}, 0, "day"]},
            {"plusTime": ["2021-05-01", 365, "day"]}
        ]});
        assert_eq!(
            ok(window.clone(), json!({"now": "2021-05-15T00:00:00Z"})),
            json!(true)
        );
        assert_eq!(
            ok(window, json!({"now": "2021-05-14T23:59:59.999Z"})),
            json!(false)
        );
    }

    #[test]
    fn plus_time_and_date_of_birth() {
        let expr = json!({"plusTime": [{"var": "d"}, -18, "year"]});
        assert_eq!(
            ok(expr.clone(), json!({"d": "2022-02-28T13:37:00.042+01:00"})),
            json!("2004-02-28T12:37:00.042Z")
        );
        assert_eq!(
            err(expr.clone(), json!({"d": null})).code(),
            codes::EVALUATION
        );
        assert_eq!(err(expr, json!({"d": 20220228})).code(), codes::EVALUATION);
        let dob = json!({"dccDateOfBirth": [{"var": "dob"}]});
        assert_eq!(
            ok(dob.clone(), json!({"dob": "1964"})),
            json!("1964-12-31T00:00:00.000Z")
        );
        assert_eq!(
            ok(dob.clone(), json!({"dob": "1964-02"})),
            json!("1964-02-29T00:00:00.000Z")
        );
        assert_eq!(
            err(dob.clone(), json!({"dob": ""})).code(),
            codes::EVALUATION
        );
        assert_eq!(err(dob, json!({"dob": null})).code(), codes::EVALUATION);
        // Literal strings are folded at compile time, errors included (raised only when reached).
        let lazy = json!({"if": [{"var": "x"}, {"plusTime": ["not a date", 0, "day"]}, 0]});
        assert_eq!(ok(lazy.clone(), json!({"x": false})), json!(0));
        assert_eq!(
            err(lazy, json!({"x": true})),
            EvalError::Evaluation {
                message: "not an allowed date or date-time format: not a date".to_owned()
            }
        );
    }

    #[test]
    fn invalid_expressions_are_refused_before_evaluation() {
        // The invalid `else` branch is never reached, yet the expression is refused.
        let e = err(json!({"if": [true, 1, {"foo": []}]}), json!({}));
        assert_eq!(e.code(), codes::INVALID_EXPRESSION);
        let EvalError::InvalidExpression(compile) = e else {
            panic!("wrong kind")
        };
        assert_eq!(
            compile.issues()[0].message,
            "unrecognised operator: \"foo\""
        );
        assert_eq!(compile.code(), codes::INVALID_EXPRESSION);
        for expr in [
            json!(null),
            json!({}),
            json!({"var": "x."}),
            json!({"if": [true, 1]}),
            json!({"!": []}),
        ] {
            assert_eq!(err(expr, json!({})).code(), codes::INVALID_EXPRESSION);
        }
    }

    #[test]
    fn arrays_and_plus() {
        assert_eq!(
            ok(json!([1, {"var": "x"}, [{"+": [1, 2]}]]), json!({"x": "a"})),
            json!([1, "a", [3]])
        );
        assert_eq!(
            ok(json!({"+": [{"var": "a"}, -5]}), json!({"a": 2})),
            json!(-3)
        );
    }

    #[test]
    fn finds_the_logic_of_a_rule() {
        let rule =
            json!({"Identifier": "TR-EU-0002", "Logic": {"var": "x"}, "Engine": "CERTLOGIC"});
        assert_eq!(parse_rule_or_expression(&rule), &json!({"var": "x"}));
        let bare = json!({"var": "x"});
        assert_eq!(parse_rule_or_expression(&bare), &bare);
        assert_eq!(parse_rule_or_expression(&json!(true)), &json!(true));
    }

    #[test]
    fn errors_have_stable_codes_and_messages() {
        let e = err(json!({"+": [1, "x"]}), json!({}));
        assert_eq!(e.code(), "certlogic.evaluation");
        assert_eq!(
            e.to_string(),
            "CertLogic evaluation failed: operands of this operation must both be integers"
        );
        let c = Program::compile(&json!({"all": []}))
            .map(|_| ())
            .unwrap_err();
        assert_eq!(c.code(), "certlogic.invalid_expression");
        assert_eq!(
            c.to_string(),
            "invalid CertLogic expression: unrecognised operator: \"all\" (in {\"all\":[]})"
        );
    }

    #[test]
    fn programs_are_shareable() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Program>();
    }
}
