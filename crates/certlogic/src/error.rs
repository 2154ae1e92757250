//! Errors, each with a stable code so callers (the CLI, the HTTP API) can report them uniformly.

use serde::Serialize;
use serde_json::Value;

/// Stable, machine-readable error codes, for callers that map errors to exit codes or API bodies.
pub mod codes {
    /// The expression is not valid CertLogic (found before evaluating anything).
    pub const INVALID_EXPRESSION: &str = "certlogic.invalid_expression";
    /// A valid expression failed on the given data (a type mismatch, an unparseable date, …).
    pub const EVALUATION: &str = "certlogic.evaluation";
}

/// One problem found by [`validate`](crate::validate): the offending (sub-)expression and what is
/// wrong with it, in the reference validator's words, so rule authors can find and fix it.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[error("{message} (in {expr})")]
pub struct ValidationError {
    /// The (sub-)expression the problem is in.
    pub expr: Value,
    /// What is wrong with it.
    pub message: String,
}

/// Why an expression could not be compiled: it is not valid CertLogic. Holds every problem found.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid CertLogic expression: {}", summarize(.issues))]
pub struct CompileError {
    issues: Vec<ValidationError>,
}

fn summarize(issues: &[ValidationError]) -> String {
    match issues {
        [] => "no details".to_owned(),
        [only] => only.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
    }
}

impl CompileError {
    pub(crate) fn new(issues: Vec<ValidationError>) -> Self {
        Self { issues }
    }

    /// Every problem found, in the order the reference validator reports them.
    pub fn issues(&self) -> &[ValidationError] {
        &self.issues
    }

    /// Always [`codes::INVALID_EXPRESSION`], so callers can report it without matching on types.
    pub fn code(&self) -> &'static str {
        codes::INVALID_EXPRESSION
    }
}

/// Why an evaluation failed: the expression is invalid, or it met data it cannot handle.
/// The CertLogic specification advises treating either as a failed rule.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// The expression is not valid CertLogic; nothing was evaluated.
    #[error(transparent)]
    InvalidExpression(#[from] CompileError),
    /// Evaluation met a value an operation cannot take (message as in the reference evaluator).
    #[error("CertLogic evaluation failed: {message}")]
    Evaluation {
        /// What went wrong.
        message: String,
    },
}

impl EvalError {
    pub(crate) fn eval(message: impl Into<String>) -> Self {
        Self::Evaluation {
            message: message.into(),
        }
    }

    /// The stable code: [`codes::INVALID_EXPRESSION`] or [`codes::EVALUATION`].
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidExpression(_) => codes::INVALID_EXPRESSION,
            Self::Evaluation { .. } => codes::EVALUATION,
        }
    }
}

impl From<crate::datetime::DateTimeError> for EvalError {
    fn from(e: crate::datetime::DateTimeError) -> Self {
        Self::eval(e.to_string())
    }
}
