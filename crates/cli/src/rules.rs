//! `healthcode rules`: work with CertLogic rules offline.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use healthcode_certlogic::{Program, parse_rule_or_expression};
use serde_json::Value;

#[derive(Subcommand)]
pub enum RulesCommand {
    /// Evaluate one CertLogic expression (bare, or a rule object holding it under
    /// `Logic`) over one JSON data document; prints the result as one line of JSON.
    Eval {
        /// The expression or rule (JSON file).
        expression: PathBuf,
        /// The data document (JSON file).
        data: PathBuf,
    },
}

/// Runs a rules command. Any failure (unreadable file, invalid JSON, invalid
/// expression, evaluation error) is an error, which `main` reports with exit status 2.
pub fn run(command: &RulesCommand) -> anyhow::Result<()> {
    match command {
        RulesCommand::Eval { expression, data } => {
            let document = read_json(expression, "expression")?;
            let data = read_json(data, "data document")?;
            let result = eval(&document, &data)?;
            println!("{result}");
            Ok(())
        }
    }
}

/// Compiles (validating) and evaluates; the error says what is wrong.
fn eval(document: &Value, data: &Value) -> anyhow::Result<Value> {
    let program = Program::compile(parse_rule_or_expression(document))
        .map_err(|e| anyhow::anyhow!("invalid CertLogic expression ({}): {e}", e.code()))?;
    program
        .evaluate(data)
        .map_err(|e| anyhow::anyhow!("evaluation failed ({}): {e}", e.code()))
}

fn read_json(path: &Path, what: &str) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the {what} {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("the {what} {} is not valid JSON", path.display()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn evaluates_bare_expressions_and_rules() {
        let data = json!({ "payload": { "t": [{ "tt": "LP6464-4" }] } });
        let bare = json!({ "var": "payload.t.0.tt" });
        assert_eq!(eval(&bare, &data).expect("eval"), json!("LP6464-4"));
        let rule = json!({ "Identifier": "TR-XX-0001", "Logic": { "in": [{ "var": "payload.t.0.tt" }, ["LP6464-4", "LP217198-3"]] } });
        assert_eq!(eval(&rule, &data).expect("eval"), json!(true));
    }

    #[test]
    fn invalid_expressions_are_errors_not_results() {
        let err = eval(&json!({ "no-such-op": [1] }), &json!({})).expect_err("invalid");
        assert!(
            err.to_string().contains("certlogic.invalid_expression"),
            "{err}"
        );
        let err = eval(&json!({ "if": [true, 1] }), &json!({})).expect_err("invalid");
        assert!(
            err.to_string().contains("invalid CertLogic expression"),
            "{err}"
        );
    }
}
