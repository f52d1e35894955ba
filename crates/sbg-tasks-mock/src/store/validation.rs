//! Validation of a draft's inputs (its `errors`).

use std::collections::BTreeSet;

use serde_json::{json, Value};

const SCHEMA_MESSAGE: &str = "Value for this input does not match the expected type.";

/// Validation problems of `inputs` (the platform's `errors` entries).
pub(super) fn validate(inputs: Option<&Value>, known: Option<&BTreeSet<String>>) -> Vec<Value> {
    fn walk(
        v: &Value,
        known: Option<&BTreeSet<String>>,
        secondary: bool,
        found: &mut Vec<&'static str>,
    ) {
        match v {
            Value::Array(items) => items.iter().for_each(|i| walk(i, known, secondary, found)),
            Value::Object(o) => {
                let class = o.get("class").and_then(Value::as_str);
                if matches!(class, Some("File" | "Directory")) {
                    match o.get("path").and_then(Value::as_str) {
                        Some(p) if !p.is_empty() => {
                            if known.is_some_and(|k| !k.contains(p)) {
                                found.push(if secondary {
                                    "secondary_files_missing"
                                } else {
                                    "files_missing"
                                });
                            }
                        }
                        _ => found.push("schema"),
                    }
                    if let Some(sf) = o.get("secondaryFiles") {
                        walk(sf, known, true, found);
                    }
                } else if class.is_none() {
                    o.values().for_each(|i| walk(i, known, secondary, found));
                }
            }
            _ => {}
        }
    }
    let Some(Value::Object(inputs)) = inputs else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    for (id, v) in inputs {
        let mut found = Vec::new();
        walk(v, known, false, &mut found);
        let mut seen = Vec::new();
        for kind in found {
            if seen.contains(&kind) {
                continue;
            }
            seen.push(kind);
            let message = match kind {
                "schema" => SCHEMA_MESSAGE,
                "files_missing" => "Some of the files for this input do not exist.",
                _ => "Secondary files for this input are missing.",
            };
            errors.push(json!({
                "type": format!("error/task_validation/input/{kind}"),
                "message": message,
                "input_id": id,
            }));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::examples;

    #[test]
    fn validator_reproduces_the_documented_errors() {
        let inputs = json!({
            "FASTQ": {"class": "File"},
            "SnpEff_Database": {"class": "File"},
            "Reference": {"class": "File"},
        });
        assert_eq!(
            Value::Array(validate(Some(&inputs), None)),
            examples::validation_errors()
        );
        let known: BTreeSet<String> = ["a".to_owned()].into();
        let inputs = json!({"x": [{"class": "File", "path": "a", "secondaryFiles": [{"class": "File", "path": "b"}]}],
                            "y": {"class": "Directory", "path": "zz"}, "n": 3});
        let errs = validate(Some(&inputs), Some(&known));
        let types: Vec<&str> = errs
            .iter()
            .map(|e| e["type"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(
            types,
            vec![
                "error/task_validation/input/secondary_files_missing",
                "error/task_validation/input/files_missing"
            ]
        );
    }
}
