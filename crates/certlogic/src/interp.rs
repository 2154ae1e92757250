//! The straightforward interpreter: walks the JSON expression directly. It is the reference the
//! compiled [`Program`](crate::Program) is tested against.

use serde_json::Value;

use crate::datetime::TimeUnit;
use crate::error::{CompileError, EvalError, ValidationError};
use crate::ops::{self, CmpOp, Ctx, Step};
use crate::validate::validate;
use crate::value::Val;

/// Evaluates a CertLogic expression against `data`, interpreting the JSON directly.
///
/// The expression is validated first (as the specification asks) and refused with
/// [`EvalError::InvalidExpression`] if invalid; for repeated evaluation of one expression,
/// [`Program`](crate::Program) does that once and evaluates faster, with identical results.
pub fn evaluate(expr: &Value, data: &Value) -> Result<Value, EvalError> {
    let issues = validate(expr);
    if !issues.is_empty() {
        return Err(CompileError::new(issues).into());
    }
    Ok(eval(expr, Ctx::Data(data))?.into_json())
}

/// Unreachable after validation; kept so a bug is an error, never a panic.
fn invalid(expr: &Value, message: &str) -> EvalError {
    CompileError::new(vec![ValidationError {
        expr: expr.clone(),
        message: message.to_owned(),
    }])
    .into()
}

fn eval<'a>(expr: &'a Value, ctx: Ctx<'a, '_>) -> Result<Val<'a>, EvalError> {
    let map = match expr {
        Value::String(s) => return Ok(Val::Str(s)),
        Value::Bool(_) | Value::Number(_) => return Ok(Val::Json(expr)),
        Value::Array(items) => {
            return items
                .iter()
                .map(|item| eval(item, ctx))
                .collect::<Result<Vec<_>, _>>()
                .map(Val::Array);
        }
        Value::Null => return Err(invalid(expr, "invalid CertLogic expression")),
        Value::Object(map) => map,
    };
    let mut entries = map.iter();
    let (Some((operator, args)), None) = (entries.next(), entries.next()) else {
        return Err(invalid(expr, "unrecognised expression object encountered"));
    };
    if operator == "var" {
        let Value::String(path) = args else {
            return Err(invalid(expr, "not of the form { \"var\": \"<path>\" }"));
        };
        if path.is_empty() {
            return Ok(ops::access(ctx, std::iter::empty::<&Step<'_>>()));
        }
        let steps: Vec<Step<'_>> = path.split('.').map(Step::new).collect();
        return Ok(ops::access(ctx, steps.iter()));
    }
    let Value::Array(args) = args else {
        return Err(invalid(
            expr,
            "operation not of the form { \"<operator>\": [ <values...> ] }",
        ));
    };
    let op = operator.as_str();
    match (op, args.as_slice()) {
        ("if", [guard, then, otherwise]) => {
            let guard = eval(guard, ctx)?;
            if ops::truthy(&guard, "if-guard")? {
                eval(then, ctx)
            } else {
                eval(otherwise, ctx)
            }
        }
        ("===", [a, b]) => {
            let a = eval(a, ctx)?;
            let b = eval(b, ctx)?;
            Ok(Val::Bool(a.strict_eq(&b)))
        }
        ("in", [needle, haystack]) => {
            let needle = eval(needle, ctx)?;
            let haystack = eval(haystack, ctx)?;
            ops::is_in(&needle, &haystack).map(Val::Bool)
        }
        ("+", [a, b]) => {
            let a = eval(a, ctx)?;
            let b = eval(b, ctx)?;
            ops::add(&a, &b)
        }
        ("and", operands) if operands.len() >= 2 => {
            let mut last = Val::Null;
            for operand in operands {
                let value = eval(operand, ctx)?;
                match value.truthiness() {
                    Some(true) => last = value,
                    Some(false) => return Ok(value),
                    None => return Err(and_error()),
                }
            }
            Ok(last)
        }
        (_, operands @ ([_, _] | [_, _, _])) if CmpOp::integer(op).is_some() => {
            let values = operands
                .iter()
                .map(|operand| eval(operand, ctx))
                .collect::<Result<Vec<_>, _>>()?;
            let cmp = CmpOp::integer(op).ok_or_else(|| invalid(expr, "unknown comparison"))?;
            ops::compare_integers(cmp, &values).map(Val::Bool)
        }
        (_, operands @ ([_, _] | [_, _, _])) if CmpOp::date_time(op).is_some() => {
            let values = operands
                .iter()
                .map(|operand| eval(operand, ctx))
                .collect::<Result<Vec<_>, _>>()?;
            let cmp = CmpOp::date_time(op).ok_or_else(|| invalid(expr, "unknown comparison"))?;
            ops::compare_date_times(cmp, &values).map(Val::Bool)
        }
        ("!", [operand]) => {
            let value = eval(operand, ctx)?;
            Ok(Val::Bool(!ops::truthy(&value, "operand of !")?))
        }
        ("plusTime", [date, amount, unit]) => {
            let unit = unit
                .as_str()
                .and_then(TimeUnit::parse)
                .ok_or_else(|| invalid(expr, "invalid time unit"))?;
            let date = eval(date, ctx)?;
            ops::plus_time(&date, ops::literal_int(amount), unit).map(Val::DateTime)
        }
        ("reduce", [operand, lambda, initial]) => {
            let list = eval(operand, ctx)?;
            if list.is_null() {
                return eval(initial, ctx);
            }
            match list {
                Val::Json(Value::Array(items)) => {
                    let mut accumulator = eval(initial, ctx)?;
                    for item in items {
                        let current = Val::Json(item);
                        accumulator = eval(lambda, Ctx::Frame(&accumulator, &current))?;
                    }
                    Ok(accumulator)
                }
                Val::Array(items) => {
                    let mut accumulator = eval(initial, ctx)?;
                    for current in &items {
                        accumulator = eval(lambda, Ctx::Frame(&accumulator, current))?;
                    }
                    Ok(accumulator)
                }
                _ => Err(ops::reduce_error()),
            }
        }
        ("extractFromUVCI", [operand, index]) => {
            let operand = eval(operand, ctx)?;
            ops::extract_from_uvci(&operand, ops::literal_int(index))
        }
        ("dccDateOfBirth", [operand]) => {
            let operand = eval(operand, ctx)?;
            ops::date_of_birth(&operand).map(Val::DateTime)
        }
        _ => Err(invalid(expr, &format!("unrecognised operator: \"{op}\""))),
    }
}

/// The reference's error for an `and` operand that is neither truthy nor falsy.
pub(crate) fn and_error() -> EvalError {
    EvalError::eval("all operands of an \"and\" operation must be either truthy or falsy")
}
