//! The values an evaluation passes around: JSON borrowed from the data or the expression where
//! possible (no copying on `var`), plus the two kinds JSON cannot hold: date-times and the
//! `{ accumulator, current }` context of a `reduce` lambda.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

use crate::datetime::DateTime;

/// An intermediate evaluation result.
#[derive(Clone, Debug)]
pub(crate) enum Val<'a> {
    /// `null`, from a missing `var` or `extractFromUVCI`.
    Null,
    /// A boolean computed by an operation.
    Bool(bool),
    /// An integer computed by `+`.
    Int(i64),
    /// A sum too large for `i64` (JavaScript numbers are doubles anyway).
    Float(f64),
    /// A string slice of the data or the expression (literals, `extractFromUVCI` fragments).
    Str(&'a str),
    /// Any JSON borrowed from the data or the expression.
    Json(&'a Value),
    /// An array built by evaluating an array expression.
    Array(Vec<Val<'a>>),
    /// A date-time made by `plusTime` or `dccDateOfBirth`.
    DateTime(DateTime),
    /// The data context of a `reduce` lambda, when a lambda reads it whole (`{"var": ""}`).
    Frame(Box<Frame<'a>>),
}

/// The data context a `reduce` lambda sees.
#[derive(Clone, Debug)]
pub(crate) struct Frame<'a> {
    pub accumulator: Val<'a>,
    pub current: Val<'a>,
}

/// A JSON scalar, to compare scalars of either representation alike.
#[derive(Clone, Copy)]
enum Scalar<'s> {
    Null,
    Bool(bool),
    Num(Num),
    Str(&'s str),
}

/// A number as CertLogic sees it: exact when integral and in range, else a double.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Num {
    Int(i128),
    Float(f64),
}

impl Num {
    pub(crate) fn of(n: &Number) -> Self {
        if let Some(i) = n.as_i64() {
            Self::Int(i.into())
        } else if let Some(u) = n.as_u64() {
            Self::Int(u.into())
        } else {
            Self::Float(n.as_f64().unwrap_or(f64::NAN))
        }
    }

    /// JavaScript's `Number.isInteger`: doubles with no fraction count too (`42.0` is `42`).
    pub(crate) fn is_integer(self) -> bool {
        match self {
            Self::Int(_) => true,
            Self::Float(f) => f.is_finite() && f.fract() == 0.0,
        }
    }

    pub(crate) fn is_zero(self) -> bool {
        match self {
            Self::Int(i) => i == 0,
            Self::Float(f) => f == 0.0,
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            // Lossy only beyond 2^53, where JavaScript is lossy too.
            Self::Int(i) => i as f64,
            Self::Float(f) => f,
        }
    }

    /// Numeric comparison (exact for integers, IEEE otherwise); `None` only for NaN.
    pub(crate) fn cmp(self, other: Self) -> Option<Ordering> {
        match (self, other) {
            (Self::Int(a), Self::Int(b)) => Some(a.cmp(&b)),
            (a, b) => a.as_f64().partial_cmp(&b.as_f64()),
        }
    }
}

impl<'a> Val<'a> {
    /// This value as a number, if it is one.
    pub(crate) fn num(&self) -> Option<Num> {
        match self {
            Val::Int(i) => Some(Num::Int((*i).into())),
            Val::Float(f) => Some(Num::Float(*f)),
            Val::Json(Value::Number(n)) => Some(Num::of(n)),
            _ => None,
        }
    }

    /// This value as a string, if it is one; borrowed for as long as the data or expression.
    pub(crate) fn str(&self) -> Option<&'a str> {
        match self {
            Val::Str(s) => Some(s),
            Val::Json(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Val::Null | Val::Json(Value::Null))
    }

    fn scalar(&self) -> Option<Scalar<'_>> {
        Some(match self {
            Val::Null | Val::Json(Value::Null) => Scalar::Null,
            Val::Bool(b) | Val::Json(Value::Bool(b)) => Scalar::Bool(*b),
            Val::Int(_) | Val::Float(_) | Val::Json(Value::Number(_)) => Scalar::Num(self.num()?),
            Val::Str(s) => Scalar::Str(s),
            Val::Json(Value::String(s)) => Scalar::Str(s),
            _ => return None,
        })
    }

    /// CertLogic's truthiness ("boolsiness"): `Some(true)` truthy, `Some(false)` falsy, `None`
    /// neither (date-times are neither).
    pub(crate) fn truthiness(&self) -> Option<bool> {
        match self {
            Val::Null => Some(false),
            Val::Bool(b) => Some(*b),
            Val::Int(i) => Some(*i != 0),
            Val::Float(f) => Some(*f != 0.0),
            Val::Str(s) => Some(!s.is_empty()),
            Val::Json(v) => crate::truthiness(v),
            Val::Array(items) => Some(!items.is_empty()),
            Val::DateTime(_) => None,
            Val::Frame(_) => Some(true),
        }
    }

    /// Converts to the JSON the public API returns. Date-times become their ISO string (what
    /// `JSON.stringify` makes of a JavaScript `Date`).
    pub(crate) fn into_json(self) -> Value {
        match self {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(b),
            Val::Int(i) => Value::from(i),
            Val::Float(f) => float_to_json(f),
            Val::Str(s) => Value::String(s.to_owned()),
            Val::Json(v) => v.clone(),
            Val::Array(items) => Value::Array(items.into_iter().map(Val::into_json).collect()),
            Val::DateTime(dt) => Value::String(dt.to_iso_string()),
            Val::Frame(frame) => {
                let Frame {
                    accumulator,
                    current,
                } = *frame;
                let mut map = Map::new();
                map.insert("accumulator".to_owned(), accumulator.into_json());
                map.insert("current".to_owned(), current.into_json());
                Value::Object(map)
            }
        }
    }

    /// `===`: strings, numbers (numerically: `1` equals `1.0`), booleans and `null` by value;
    /// arrays and objects structurally; date-times by instant; different kinds never.
    pub(crate) fn strict_eq(&self, other: &Val<'_>) -> bool {
        match (self, other) {
            (Val::Json(a), Val::Json(b)) => json_eq(a, b),
            (Val::DateTime(a), Val::DateTime(b)) => a == b,
            (Val::DateTime(_), _) | (_, Val::DateTime(_)) => false,
            (Val::Frame(a), Val::Frame(b)) => {
                a.accumulator.strict_eq(&b.accumulator) && a.current.strict_eq(&b.current)
            }
            (Val::Frame(f), Val::Json(Value::Object(m)))
            | (Val::Json(Value::Object(m)), Val::Frame(f)) => {
                m.len() == 2
                    && m.get("accumulator")
                        .is_some_and(|v| f.accumulator.strict_eq(&Val::Json(v)))
                    && m.get("current")
                        .is_some_and(|v| f.current.strict_eq(&Val::Json(v)))
            }
            (Val::Array(a), Val::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.strict_eq(y))
            }
            (Val::Array(a), Val::Json(Value::Array(b)))
            | (Val::Json(Value::Array(b)), Val::Array(a)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.strict_eq(&Val::Json(y)))
            }
            _ => match (self.scalar(), other.scalar()) {
                (Some(a), Some(b)) => scalar_eq(a, b),
                _ => false,
            },
        }
    }

    /// How JavaScript's `${value}` renders this value, for error messages like the reference's.
    pub(crate) fn js_display(&self) -> String {
        match self {
            Val::Null => "null".to_owned(),
            Val::Bool(b) => b.to_string(),
            Val::Int(i) => i.to_string(),
            Val::Float(f) => js_number(*f),
            Val::Str(s) => (*s).to_owned(),
            Val::Json(v) => js_string(v),
            Val::Array(items) => items
                .iter()
                .map(|item| {
                    if item.is_null() {
                        String::new()
                    } else {
                        item.js_display()
                    }
                })
                .collect::<Vec<_>>()
                .join(","),
            Val::DateTime(dt) => dt.to_iso_string(),
            Val::Frame(_) => "[object Object]".to_owned(),
        }
    }
}

fn scalar_eq(a: Scalar<'_>, b: Scalar<'_>) -> bool {
    match (a, b) {
        (Scalar::Null, Scalar::Null) => true,
        (Scalar::Bool(x), Scalar::Bool(y)) => x == y,
        (Scalar::Num(x), Scalar::Num(y)) => x.cmp(y) == Some(Ordering::Equal),
        (Scalar::Str(x), Scalar::Str(y)) => x == y,
        _ => false,
    }
}

/// Structural JSON equality in which numbers compare numerically (`1` equals `1.0`).
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => Num::of(x).cmp(Num::of(y)) == Some(Ordering::Equal),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// A sum as JSON: integral values as integers (JavaScript does not tell `3` from `3.0`).
fn float_to_json(f: f64) -> Value {
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if f.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&f) {
        // In range and integral, so the cast is exact.
        Value::from(f as i64)
    } else {
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

/// JavaScript's `String(value)` of a JSON value, for messages like the reference's.
pub(crate) fn js_string(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match Num::of(n) {
            Num::Int(i) => i.to_string(),
            Num::Float(f) => js_number(f),
        },
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|item| {
                if item.is_null() {
                    String::new()
                } else {
                    js_string(item)
                }
            })
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => "[object Object]".to_owned(),
    }
}

/// JavaScript's `Number.prototype.toString()` of a double (shortest round-trip digits, with
/// JavaScript's choice between positional and exponent notation).
pub(crate) fn js_number(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if f == 0.0 {
        return "0".to_owned();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "d[.ddd]e[-]x".
    let formatted = format!("{:e}", f.abs());
    let (mantissa, exponent) = formatted.split_once('e').unwrap_or((&formatted, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let k = digits.len() as i64;
    let n = exponent + 1;
    let sign = if f < 0.0 { "-" } else { "" };
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let e_sign = if e < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        if rest.is_empty() {
            format!("{first}e{e_sign}{}", e.abs())
        } else {
            format!("{first}.{rest}e{e_sign}{}", e.abs())
        }
    };
    format!("{sign}{body}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formats_numbers_like_javascript() {
        assert_eq!(js_number(2.75), "2.75");
        assert_eq!(js_number(42.0), "42");
        assert_eq!(js_number(-0.5), "-0.5");
        assert_eq!(js_number(1e21), "1e+21");
        assert_eq!(js_number(1e20), "100000000000000000000");
        assert_eq!(js_number(1.5e-7), "1.5e-7");
        assert_eq!(js_number(0.000001), "0.000001");
        assert_eq!(js_number(123456.789), "123456.789");
        assert_eq!(js_number(-0.0), "0");
    }

    #[test]
    fn renders_values_like_javascript_template_strings() {
        assert_eq!(js_string(&json!(null)), "null");
        assert_eq!(js_string(&json!([1, null, "a", [2, 3]])), "1,,a,2,3");
        assert_eq!(js_string(&json!({"a": 1})), "[object Object]");
        assert_eq!(js_string(&json!(2.5)), "2.5");
    }

    #[test]
    fn compares_numbers_numerically() {
        let one = json!(1);
        let one_f = json!(1.0);
        assert!(Val::Json(&one).strict_eq(&Val::Json(&one_f)));
        assert!(Val::Int(1).strict_eq(&Val::Json(&one_f)));
        assert!(!Val::Int(1).strict_eq(&Val::Str("1")));
        let a = json!([1, {"x": [2.0]}]);
        let b = json!([1.0, {"x": [2]}]);
        assert!(json_eq(&a, &b));
    }

    #[test]
    fn emits_integral_sums_as_integers() {
        assert_eq!(float_to_json(3.0), json!(3));
        assert_eq!(float_to_json(1e19), json!(1e19));
        assert_eq!(float_to_json(0.5), json!(0.5));
    }
}
