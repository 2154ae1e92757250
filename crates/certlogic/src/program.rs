//! The compiled form: validated once, turned into a tree with pre-split `var` paths, literal
//! arrays kept as JSON, and `plusTime`/`dccDateOfBirth` over literal strings folded to their
//! date-time (or to their error, raised only if evaluation reaches them, as the interpreter would).

use serde_json::Value;

use crate::datetime::{DateTime, TimeUnit};
use crate::error::{CompileError, EvalError, ValidationError};
use crate::interp::and_error;
use crate::ops::{self, CmpOp, Ctx, Step};
use crate::validate::validate;
use crate::value::Val;

/// A validated CertLogic expression, compiled for fast repeated evaluation (a policy is
/// compiled once and evaluated per request). Gives exactly the results of [`evaluate`](crate::evaluate).
#[derive(Debug, Clone)]
pub struct Program {
    root: Node,
}

#[derive(Debug, Clone)]
enum Node {
    /// A string, boolean or integer literal, or an array of only such literals.
    Literal(Value),
    Array(Vec<Node>),
    Var(Vec<Step<'static>>),
    If(Box<[Node; 3]>),
    Equal(Box<[Node; 2]>),
    In(Box<[Node; 2]>),
    Add(Box<[Node; 2]>),
    And(Vec<Node>),
    CompareIntegers(CmpOp, Vec<Node>),
    CompareDateTimes(CmpOp, Vec<Node>),
    Not(Box<Node>),
    PlusTime {
        date: Box<Node>,
        amount: i64,
        unit: TimeUnit,
    },
    Reduce(Box<[Node; 3]>),
    ExtractFromUvci {
        operand: Box<Node>,
        index: i64,
    },
    DateOfBirth(Box<Node>),
    /// `plusTime` or `dccDateOfBirth` of a literal string, computed at compile time.
    DateTime(Result<DateTime, EvalError>),
}

impl Program {
    /// Validates `expr` (see [`validate`](crate::validate)) and compiles it; the error lists every
    /// problem found.
    pub fn compile(expr: &Value) -> Result<Self, CompileError> {
        let issues = validate(expr);
        if !issues.is_empty() {
            return Err(CompileError::new(issues));
        }
        Ok(Self { root: build(expr)? })
    }

    /// Evaluates the program against `data`. A date-time result is returned as its ISO string.
    pub fn evaluate(&self, data: &Value) -> Result<Value, EvalError> {
        Ok(eval(&self.root, Ctx::Data(data))?.into_json())
    }
}

/// Unreachable after validation; kept so a bug is an error, never a panic.
fn malformed(expr: &Value) -> CompileError {
    CompileError::new(vec![ValidationError {
        expr: expr.clone(),
        message: "malformed operation".to_owned(),
    }])
}

fn is_literal(expr: &Value) -> bool {
    match expr {
        Value::String(_) | Value::Bool(_) | Value::Number(_) => true,
        Value::Array(items) => items.iter().all(is_literal),
        Value::Null | Value::Object(_) => false,
    }
}

fn build_all(exprs: &[Value]) -> Result<Vec<Node>, CompileError> {
    exprs.iter().map(build).collect()
}

fn build_n<const N: usize>(exprs: &[Value], whole: &Value) -> Result<Box<[Node; N]>, CompileError> {
    let nodes: [Node; N] = build_all(exprs)?.try_into().map_err(|_| malformed(whole))?;
    Ok(Box::new(nodes))
}

fn build(expr: &Value) -> Result<Node, CompileError> {
    if is_literal(expr) {
        return Ok(Node::Literal(expr.clone()));
    }
    let map = match expr {
        Value::Array(items) => return Ok(Node::Array(build_all(items)?)),
        Value::Object(map) => map,
        _ => return Err(malformed(expr)),
    };
    let mut entries = map.iter();
    let (Some((operator, args)), None) = (entries.next(), entries.next()) else {
        return Err(malformed(expr));
    };
    if operator == "var" {
        let path = args.as_str().ok_or_else(|| malformed(expr))?;
        let steps = if path.is_empty() {
            Vec::new()
        } else {
            path.split('.')
                .map(|fragment| Step::new(fragment).into_owned())
                .collect()
        };
        return Ok(Node::Var(steps));
    }
    let args = args.as_array().ok_or_else(|| malformed(expr))?;
    let op = operator.as_str();
    Ok(match (op, args.as_slice()) {
        ("if", [_, _, _]) => Node::If(build_n(args, expr)?),
        ("===", [_, _]) => Node::Equal(build_n(args, expr)?),
        ("in", [_, _]) => Node::In(build_n(args, expr)?),
        ("+", [_, _]) => Node::Add(build_n(args, expr)?),
        ("and", operands) if operands.len() >= 2 => Node::And(build_all(operands)?),
        (_, operands @ ([_, _] | [_, _, _])) if CmpOp::integer(op).is_some() => {
            let cmp = CmpOp::integer(op).ok_or_else(|| malformed(expr))?;
            Node::CompareIntegers(cmp, build_all(operands)?)
        }
        (_, operands @ ([_, _] | [_, _, _])) if CmpOp::date_time(op).is_some() => {
            let cmp = CmpOp::date_time(op).ok_or_else(|| malformed(expr))?;
            Node::CompareDateTimes(cmp, build_all(operands)?)
        }
        ("!", [operand]) => Node::Not(Box::new(build(operand)?)),
        ("plusTime", [date, amount, unit]) => {
            let unit = unit
                .as_str()
                .and_then(TimeUnit::parse)
                .ok_or_else(|| malformed(expr))?;
            let amount = ops::literal_int(amount);
            match date {
                Value::String(text) => Node::DateTime(ops::plus_time_str(text, amount, unit)),
                _ => Node::PlusTime {
                    date: Box::new(build(date)?),
                    amount,
                    unit,
                },
            }
        }
        ("reduce", [_, _, _]) => Node::Reduce(build_n(args, expr)?),
        ("extractFromUVCI", [operand, index]) => Node::ExtractFromUvci {
            operand: Box::new(build(operand)?),
            index: ops::literal_int(index),
        },
        ("dccDateOfBirth", [operand]) => match operand {
            Value::String(text) => {
                Node::DateTime(DateTime::parse_date_of_birth(text).map_err(EvalError::from))
            }
            _ => Node::DateOfBirth(Box::new(build(operand)?)),
        },
        _ => return Err(malformed(expr)),
    })
}

/// Evaluates 2 or 3 operands without allocating.
fn eval_operands<'a>(
    nodes: &'a [Node],
    ctx: Ctx<'a, '_>,
) -> Result<([Val<'a>; 3], usize), EvalError> {
    let mut values = [Val::Null, Val::Null, Val::Null];
    for (slot, node) in values.iter_mut().zip(nodes) {
        *slot = eval(node, ctx)?;
    }
    Ok((values, nodes.len().min(3)))
}

fn eval<'a>(node: &'a Node, ctx: Ctx<'a, '_>) -> Result<Val<'a>, EvalError> {
    match node {
        Node::Literal(value) => Ok(Val::Json(value)),
        Node::Array(items) => items
            .iter()
            .map(|item| eval(item, ctx))
            .collect::<Result<Vec<_>, _>>()
            .map(Val::Array),
        Node::Var(steps) => Ok(ops::access(ctx, steps.iter())),
        Node::If(parts) => {
            let [guard, then, otherwise] = parts.as_ref();
            let guard = eval(guard, ctx)?;
            if ops::truthy(&guard, "if-guard")? {
                eval(then, ctx)
            } else {
                eval(otherwise, ctx)
            }
        }
        Node::Equal(parts) => {
            let [a, b] = parts.as_ref();
            let a = eval(a, ctx)?;
            let b = eval(b, ctx)?;
            Ok(Val::Bool(a.strict_eq(&b)))
        }
        Node::In(parts) => {
            let [needle, haystack] = parts.as_ref();
            let needle = eval(needle, ctx)?;
            let haystack = eval(haystack, ctx)?;
            ops::is_in(&needle, &haystack).map(Val::Bool)
        }
        Node::Add(parts) => {
            let [a, b] = parts.as_ref();
            let a = eval(a, ctx)?;
            let b = eval(b, ctx)?;
            ops::add(&a, &b)
        }
        Node::And(operands) => {
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
        Node::CompareIntegers(cmp, operands) => {
            let (values, n) = eval_operands(operands, ctx)?;
            ops::compare_integers(*cmp, &values[..n]).map(Val::Bool)
        }
        Node::CompareDateTimes(cmp, operands) => {
            let (values, n) = eval_operands(operands, ctx)?;
            ops::compare_date_times(*cmp, &values[..n]).map(Val::Bool)
        }
        Node::Not(operand) => {
            let value = eval(operand, ctx)?;
            Ok(Val::Bool(!ops::truthy(&value, "operand of !")?))
        }
        Node::PlusTime { date, amount, unit } => {
            let date = eval(date, ctx)?;
            ops::plus_time(&date, *amount, *unit).map(Val::DateTime)
        }
        Node::DateTime(result) => result.clone().map(Val::DateTime),
        Node::Reduce(parts) => {
            let [operand, lambda, initial] = parts.as_ref();
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
        Node::ExtractFromUvci { operand, index } => {
            let operand = eval(operand, ctx)?;
            ops::extract_from_uvci(&operand, *index)
        }
        Node::DateOfBirth(operand) => {
            let operand = eval(operand, ctx)?;
            ops::date_of_birth(&operand).map(Val::DateTime)
        }
    }
}
