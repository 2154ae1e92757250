//! The operations' semantics, shared by the interpreter and the compiled evaluator so the two
//! cannot drift apart: data access, comparisons, `+`, `in`, `plusTime`, `dccDateOfBirth`,
//! `extractFromUVCI`. Error messages follow certlogic-js's evaluator.

use std::borrow::Cow;

use serde_json::Value;

use crate::datetime::{DateTime, TimeUnit};
use crate::error::EvalError;
use crate::value::{Frame, Num, Val};

/// The data context an expression is evaluated against: the caller's data, or inside a
/// `reduce` lambda the `{ "accumulator": …, "current": … }` object.
#[derive(Clone, Copy)]
pub(crate) enum Ctx<'a, 'f> {
    Data(&'a Value),
    Frame(&'f Val<'a>, &'f Val<'a>),
}

/// How JavaScript's `parseInt(fragment, 10)` reads a path fragment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JsInt {
    /// Not a number: the fragment is a property name.
    NaN,
    /// An integer: an array index, or (on objects) the property named by its decimal form.
    Int(i64),
    /// An integer too large to index anything (nor to name a property reliably).
    Huge,
}

/// `parseInt(s, 10)`: optional leading whitespace and sign, then the longest run of digits.
pub(crate) fn js_parse_int(s: &str) -> JsInt {
    let t = s.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let len = digits.bytes().take_while(u8::is_ascii_digit).count();
    if len == 0 {
        return JsInt::NaN;
    }
    let significant = digits[..len].trim_start_matches('0');
    if significant.len() > 15 {
        return JsInt::Huge;
    }
    let value = significant
        .bytes()
        .fold(0_i64, |acc, d| acc * 10 + i64::from(d - b'0'));
    JsInt::Int(if negative { -value } else { value })
}

/// One step of a `var` path: the property key JavaScript would look up, and its index reading.
#[derive(Clone, Debug)]
pub(crate) struct Step<'k> {
    /// For a non-numeric fragment the fragment itself; for a numeric one its canonical decimal
    /// form (`"01"` looks up `"1"`, as `obj[parseInt("01")]` does).
    pub key: Cow<'k, str>,
    pub index: JsInt,
}

impl<'k> Step<'k> {
    pub(crate) fn new(fragment: &'k str) -> Self {
        let index = js_parse_int(fragment);
        let key = match index {
            JsInt::Int(i) => {
                let canonical = i.to_string();
                if canonical == fragment {
                    Cow::Borrowed(fragment)
                } else {
                    Cow::Owned(canonical)
                }
            }
            JsInt::NaN | JsInt::Huge => Cow::Borrowed(fragment),
        };
        Self { key, index }
    }
}

impl Step<'_> {
    /// A copy that owns its key, for compiled programs.
    pub(crate) fn into_owned(self) -> Step<'static> {
        Step {
            key: Cow::Owned(self.key.into_owned()),
            index: self.index,
        }
    }
}

/// One step into JSON: objects by key, arrays by non-negative index, anything else has nothing.
#[inline]
pub(crate) fn step_json<'a>(v: &'a Value, step: &Step<'_>) -> Option<&'a Value> {
    match (v, step.index) {
        (_, JsInt::Huge) => None,
        (Value::Object(map), _) => map.get(step.key.as_ref()),
        (Value::Array(items), JsInt::Int(i)) => usize::try_from(i).ok().and_then(|i| items.get(i)),
        _ => None,
    }
}

/// One step into an evaluated value (consumed, so nothing is cloned).
fn step_val<'a>(v: Val<'a>, step: &Step<'_>) -> Val<'a> {
    match v {
        Val::Json(json) => step_json(json, step).map_or(Val::Null, Val::Json),
        Val::Array(items) => match step.index {
            JsInt::Int(i) => usize::try_from(i)
                .ok()
                .and_then(|i| items.into_iter().nth(i))
                .unwrap_or(Val::Null),
            JsInt::NaN | JsInt::Huge => Val::Null,
        },
        Val::Frame(frame) => match step.key.as_ref() {
            "accumulator" => frame.accumulator,
            "current" => frame.current,
            _ => Val::Null,
        },
        // Strings, numbers, booleans and date-times have no properties CertLogic can reach.
        _ => Val::Null,
    }
}

/// `var`: walks `steps` from the context; anything missing on the way is `null`.
/// An empty path (no steps) is the whole context.
pub(crate) fn access<'a, 's, 'k: 's, I>(ctx: Ctx<'a, '_>, mut steps: I) -> Val<'a>
where
    I: Iterator<Item = &'s Step<'k>>,
{
    match ctx {
        Ctx::Data(data) => {
            let mut current = data;
            for step in steps {
                match step_json(current, step) {
                    Some(next) => current = next,
                    None => return Val::Null,
                }
            }
            Val::Json(current)
        }
        Ctx::Frame(accumulator, current) => {
            let Some(first) = steps.next() else {
                return Val::Frame(Box::new(Frame {
                    accumulator: accumulator.clone(),
                    current: current.clone(),
                }));
            };
            let mut value = match first.key.as_ref() {
                "accumulator" => accumulator.clone(),
                "current" => current.clone(),
                _ => return Val::Null,
            };
            for step in steps {
                value = step_val(value, step);
                if value.is_null() {
                    return Val::Null;
                }
            }
            value
        }
    }
}

/// A guard/operand's truthiness, or the error the reference raises for values that are neither.
pub(crate) fn truthy(v: &Val<'_>, what: &str) -> Result<bool, EvalError> {
    v.truthiness().ok_or_else(|| {
        EvalError::eval(format!(
            "{what} evaluates to something neither truthy, nor falsy: {}",
            v.js_display()
        ))
    })
}

/// The comparison operators, for integers (`<` …) and date-times (`before` …) alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Lt,
    Gt,
    Le,
    Ge,
}

impl CmpOp {
    pub(crate) fn integer(op: &str) -> Option<Self> {
        Some(match op {
            "<" => Self::Lt,
            ">" => Self::Gt,
            "<=" => Self::Le,
            ">=" => Self::Ge,
            _ => return None,
        })
    }

    pub(crate) fn date_time(op: &str) -> Option<Self> {
        Some(match op {
            "before" => Self::Lt,
            "after" => Self::Gt,
            "not-after" => Self::Le,
            "not-before" => Self::Ge,
            _ => return None,
        })
    }

    #[inline]
    fn holds(self, ordering: Option<std::cmp::Ordering>) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        matches!(
            (self, ordering),
            (Self::Lt, Some(Less))
                | (Self::Gt, Some(Greater))
                | (Self::Le, Some(Less | Equal))
                | (Self::Ge, Some(Greater | Equal))
        )
    }
}

/// `<`, `>`, `<=`, `>=` on 2 or 3 evaluated operands (the ternary form is `a op b && b op c`).
pub(crate) fn compare_integers(op: CmpOp, operands: &[Val<'_>]) -> Result<bool, EvalError> {
    let mut nums = [Num::Int(0); 3];
    for (slot, operand) in nums.iter_mut().zip(operands) {
        *slot = operand.num().filter(|n| n.is_integer()).ok_or_else(|| {
            EvalError::eval("all operands of a comparison operation must be of integer type")
        })?;
    }
    let nums = &nums[..operands.len()];
    Ok(nums.windows(2).all(|pair| op.holds(pair[0].cmp(pair[1]))))
}

/// `before`, `after`, `not-after`, `not-before` on 2 or 3 evaluated operands.
pub(crate) fn compare_date_times(op: CmpOp, operands: &[Val<'_>]) -> Result<bool, EvalError> {
    let mut instants = [0_i64; 3];
    for (slot, operand) in instants.iter_mut().zip(operands) {
        let Val::DateTime(dt) = operand else {
            return Err(EvalError::eval(
                "all operands of a date-time comparison must be date-times",
            ));
        };
        *slot = dt.unix_millis();
    }
    let instants = &instants[..operands.len()];
    Ok(instants
        .windows(2)
        .all(|pair| op.holds(Some(pair[0].cmp(&pair[1])))))
}

/// `in`: membership (by `===`) in an array.
pub(crate) fn is_in(needle: &Val<'_>, haystack: &Val<'_>) -> Result<bool, EvalError> {
    match haystack {
        Val::Json(Value::Array(items)) => {
            Ok(items.iter().any(|item| needle.strict_eq(&Val::Json(item))))
        }
        Val::Array(items) => Ok(items.iter().any(|item| needle.strict_eq(item))),
        _ => Err(EvalError::eval(
            "right-hand side of an \"in\" operation must be an array",
        )),
    }
}

/// `+` on two integers.
pub(crate) fn add<'a>(left: &Val<'_>, right: &Val<'_>) -> Result<Val<'a>, EvalError> {
    let (Some(l), Some(r)) = (left.num(), right.num()) else {
        return Err(add_error());
    };
    if !l.is_integer() || !r.is_integer() {
        return Err(add_error());
    }
    if let (Num::Int(a), Num::Int(b)) = (l, r)
        && let Ok(sum) = i64::try_from(a + b)
    {
        return Ok(Val::Int(sum));
    }
    let as_f64 = |n: Num| match n {
        Num::Int(i) => i as f64,
        Num::Float(f) => f,
    };
    Ok(Val::Float(as_f64(l) + as_f64(r)))
}

fn add_error() -> EvalError {
    EvalError::eval("operands of this operation must both be integers")
}

/// The `amount` of `plusTime` or the `index` of `extractFromUVCI` (validated to be an integer)
/// as `i64`, saturating: anything beyond is out of every range anyway.
pub(crate) fn literal_int(v: &Value) -> i64 {
    match v {
        Value::Number(n) => n.as_i64().unwrap_or_else(|| {
            if n.as_u64().is_some() {
                i64::MAX
            } else {
                // Saturating float-to-int conversion.
                n.as_f64().map_or(0, |f| f as i64)
            }
        }),
        _ => 0,
    }
}

/// `plusTime` on an evaluated date operand.
pub(crate) fn plus_time(
    operand: &Val<'_>,
    amount: i64,
    unit: TimeUnit,
) -> Result<DateTime, EvalError> {
    let text = operand
        .str()
        .ok_or_else(|| EvalError::eval("date argument of \"plusTime\" must be a string"))?;
    plus_time_str(text, amount, unit)
}

/// `plusTime` on a date string (also used to fold literal strings at compile time).
pub(crate) fn plus_time_str(
    text: &str,
    amount: i64,
    unit: TimeUnit,
) -> Result<DateTime, EvalError> {
    Ok(DateTime::parse(text)?.plus(amount, unit)?)
}

/// `dccDateOfBirth` on an evaluated operand.
pub(crate) fn date_of_birth(operand: &Val<'_>) -> Result<DateTime, EvalError> {
    let text = operand
        .str()
        .ok_or_else(|| EvalError::eval("operand of \"dccDateOfBirth\" must be a string"))?;
    Ok(DateTime::parse_date_of_birth(text)?)
}

/// `extractFromUVCI`: the `index`th fragment of the UCI split on `/`, `#` and `:`, after an
/// optional `URN:UVCI:` prefix; `null` for a `null` operand or a fragment that isn't there.
pub(crate) fn extract_from_uvci<'a>(operand: &Val<'a>, index: i64) -> Result<Val<'a>, EvalError> {
    if operand.is_null() {
        return Ok(Val::Null);
    }
    let uvci = operand.str().ok_or_else(|| {
        EvalError::eval(
            "\"UVCI\" argument (#1) of \"extractFromUVCI\" must be either a string or null",
        )
    })?;
    let Ok(index) = usize::try_from(index) else {
        return Ok(Val::Null);
    };
    let uvci = uvci.strip_prefix("URN:UVCI:").unwrap_or(uvci);
    Ok(uvci
        .split(['/', '#', ':'])
        .nth(index)
        .map_or(Val::Null, Val::Str))
}

/// The error for a `reduce` over something that is neither an array nor `null`.
pub(crate) fn reduce_error() -> EvalError {
    EvalError::eval("operand of reduce evaluated to a non-null non-array")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn get(data: &Value, path: &str) -> Value {
        let steps: Vec<Step<'_>> = if path.is_empty() {
            Vec::new()
        } else {
            path.split('.').map(Step::new).collect()
        };
        access(Ctx::Data(data), steps.iter()).into_json()
    }

    #[test]
    fn reads_fragments_like_parse_int() {
        assert_eq!(js_parse_int("0"), JsInt::Int(0));
        assert_eq!(js_parse_int("12"), JsInt::Int(12));
        assert_eq!(js_parse_int("-1"), JsInt::Int(-1));
        assert_eq!(js_parse_int("-0"), JsInt::Int(0));
        assert_eq!(js_parse_int("+3"), JsInt::Int(3));
        assert_eq!(js_parse_int(" 7"), JsInt::Int(7));
        assert_eq!(js_parse_int("1abc"), JsInt::Int(1));
        assert_eq!(js_parse_int("007"), JsInt::Int(7));
        assert_eq!(js_parse_int("abc"), JsInt::NaN);
        assert_eq!(js_parse_int(""), JsInt::NaN);
        assert_eq!(js_parse_int("-"), JsInt::NaN);
        assert_eq!(js_parse_int("12345678901234567890"), JsInt::Huge);
    }

    #[test]
    fn accesses_data_like_the_reference() {
        let data = json!({"x": [{"z": "foo"}], "1": "one", "o": {"a": null}});
        assert_eq!(get(&data, ""), data);
        assert_eq!(get(&data, "x.0.z"), json!("foo"));
        assert_eq!(get(&data, "x.1"), json!(null));
        assert_eq!(get(&data, "x.-1"), json!(null));
        assert_eq!(get(&data, "x.z"), json!(null));
        // A numeric fragment names its canonical property on objects: obj[parseInt("01")].
        assert_eq!(get(&data, "1"), json!("one"));
        assert_eq!(get(&data, "01"), json!("one"));
        assert_eq!(get(&data, "o.a"), json!(null));
        assert_eq!(get(&data, "o.a.b"), json!(null));
        assert_eq!(get(&json!(null), "x.0.z"), json!(null));
        assert_eq!(get(&json!("foo"), "x"), json!(null));
        assert_eq!(get(&json!(42), "x"), json!(null));
        assert_eq!(get(&json!([0, 1, 1, 2, 3, 5]), "5"), json!(5));
        assert_eq!(get(&json!([0, 1, 1, 2, 3, 5]), "42"), json!(null));
    }

    #[test]
    fn accesses_reduce_frames() {
        let item = json!({"qty": 3});
        let acc = Val::Int(4);
        let cur = Val::Json(&item);
        let steps = [Step::new("current"), Step::new("qty")];
        assert_eq!(
            access(Ctx::Frame(&acc, &cur), steps.iter()).into_json(),
            json!(3)
        );
        let steps = [Step::new("accumulator")];
        assert_eq!(
            access(Ctx::Frame(&acc, &cur), steps.iter()).into_json(),
            json!(4)
        );
        let steps = [Step::new("data")];
        assert_eq!(
            access(Ctx::Frame(&acc, &cur), steps.iter()).into_json(),
            json!(null)
        );
        assert_eq!(
            access(Ctx::Frame(&acc, &cur), [].iter()).into_json(),
            json!({"accumulator": 4, "current": {"qty": 3}})
        );
    }

    #[test]
    fn extracts_uci_fragments() {
        let uvci = "URN:UVCI:01:NL:187/37512422923";
        let at = |i| extract_from_uvci(&Val::Str(uvci), i).map(Val::into_json);
        assert_eq!(at(0), Ok(json!("01")));
        assert_eq!(at(3), Ok(json!("37512422923")));
        assert_eq!(at(4), Ok(json!(null)));
        assert_eq!(at(-1), Ok(json!(null)));
        let each = |i| extract_from_uvci(&Val::Str("a::c/#/f"), i).map(Val::into_json);
        assert_eq!(
            (0..7).map(each).collect::<Result<Vec<_>, _>>(),
            Ok(vec![
                json!("a"),
                json!(""),
                json!("c"),
                json!(""),
                json!(""),
                json!("f"),
                json!(null)
            ])
        );
        assert!(extract_from_uvci(&Val::Int(1), 0).is_err());
        assert_eq!(
            extract_from_uvci(&Val::Null, 0).map(Val::into_json),
            Ok(json!(null))
        );
    }

    #[test]
    fn adds_integers_only() {
        assert_eq!(
            add(&Val::Int(1), &Val::Int(2)).map(Val::into_json),
            Ok(json!(3))
        );
        let f = json!(2.0);
        assert_eq!(
            add(&Val::Int(1), &Val::Json(&f)).map(Val::into_json),
            Ok(json!(3))
        );
        let half = json!(0.5);
        assert!(add(&Val::Int(1), &Val::Json(&half)).is_err());
        assert!(add(&Val::Int(1), &Val::Str("2")).is_err());
        assert!(add(&Val::Null, &Val::Int(2)).is_err());
        assert_eq!(
            add(&Val::Int(i64::MAX), &Val::Int(1)).map(Val::into_json),
            Ok(json!(9.223372036854776e18))
        );
    }

    #[test]
    fn compares_two_or_three_operands() {
        let ints = |xs: &[i64]| xs.iter().map(|&x| Val::Int(x)).collect::<Vec<_>>();
        assert_eq!(compare_integers(CmpOp::Lt, &ints(&[1, 2, 3])), Ok(true));
        assert_eq!(compare_integers(CmpOp::Lt, &ints(&[1, 1, 3])), Ok(false));
        assert_eq!(compare_integers(CmpOp::Le, &ints(&[1, 1, 3])), Ok(true));
        assert_eq!(compare_integers(CmpOp::Ge, &ints(&[3, 1])), Ok(true));
        assert!(compare_integers(CmpOp::Lt, &[Val::Int(1), Val::Null]).is_err());
        assert!(compare_integers(CmpOp::Lt, &[Val::Int(1), Val::Str("2")]).is_err());
        assert!(compare_date_times(CmpOp::Lt, &[Val::Int(1), Val::Int(2)]).is_err());
    }
}
