//! The commands that change a task or read its inputs: `update`, `delete`, `inputs`.
//!
//! Each builds its call from the flags first (a usage error exits 2 before any
//! configuration is read or any request sent), then runs it on the client.

use sbg_tasks_proto::endpoints::{Deletion, TaskUpdate};
use sbg_tasks_proto::model::{ExecutionSettings, PortMap, PortValue, TaskInputs};
use sbg_tasks_proto::{DeleteTask, GetTaskInputs, UpdateTask, UpdateTaskInputs};

use crate::backend::Client;
use crate::cli::{InputsArgs, OutArgs, UpdateArgs};
use crate::commands::{from_client, task_id, warn_answer};
use crate::error::CliError;
use crate::output::{inputs_summary, out, print_task};

/// A port and its value from `PORT=JSON` (or `PORT=file:ID` for a file) given to `flag`. A
/// value that is not JSON, or not an input value, is a usage error naming the port.
pub(crate) fn port_value(flag: &str, raw: &str) -> Result<(String, PortValue), CliError> {
    let (port, value) = raw
        .split_once('=')
        .ok_or_else(|| CliError::Usage(format!("{flag} {raw:?} is not PORT=JSON")))?;
    if port.is_empty() {
        return Err(CliError::Usage(format!("{flag} {raw:?} has no port name")));
    }
    let json = match value.strip_prefix("file:") {
        Some(file) if !file.is_empty() => serde_json::json!({"class": "File", "path": file}),
        Some(_) => {
            return Err(CliError::Usage(format!(
                "{flag} {port}: `file:` needs a file id"
            )))
        }
        None => serde_json::from_str(value).map_err(|e| {
            CliError::Usage(format!(
                "{flag} {port}: the value {value:?} is not JSON ({e}); a string goes in \
                 double quotes, e.g. {port}='\"text\"'"
            ))
        })?,
    };
    let value = serde_json::from_value(json)
        .map_err(|e| CliError::Usage(format!("{flag} {port}: not an input value: {e}")))?;
    Ok((port.to_owned(), value))
}

/// The inputs of a `--inputs-file`: a JSON object port -> value. An unreadable file is an
/// I/O error (exit 1); one that is not such an object (or names a port twice) a usage error.
fn inputs_file(path: &std::path::Path) -> Result<PortMap, CliError> {
    let body = std::fs::read(path)
        .map_err(|e| CliError::Io(format!("cannot read {}: {e}", path.display())))?;
    let inputs: TaskInputs = serde_json::from_slice(&body).map_err(|e| {
        CliError::Usage(format!(
            "--inputs-file {}: not a JSON object port -> value: {e}",
            path.display()
        ))
    })?;
    Ok(inputs.0)
}

/// A placeholder id for the body of a bulk `update`: the body is built on an `UpdateTask`
/// (whose setters keep its members consistent) and only the body is kept.
const BODY_ONLY: &str = "00000000-0000-0000-0000-000000000000";

/// The change the `update` flags ask for, for a bulk action. Nothing to change is a usage
/// error.
pub(crate) fn update_change(args: &UpdateArgs) -> Result<TaskUpdate, CliError> {
    Ok(update_call(BODY_ONLY, args)?.update().clone())
}

/// The modification of task `id` the `update` flags ask for. Nothing to change is a usage
/// error.
pub(crate) fn update_call(id: &str, args: &UpdateArgs) -> Result<UpdateTask, CliError> {
    let mut call = UpdateTask::new(task_id(id)?);
    if let Some(n) = &args.name {
        call = call.name(n.clone());
    }
    if let Some(d) = &args.description {
        call = call.description(d.clone());
    }
    let mut inputs = match &args.inputs_file {
        Some(path) => inputs_file(path)?,
        None => PortMap::new(),
    };
    for raw in &args.inputs {
        // A port the file named too keeps its place and takes the flag's value.
        let (port, value) = port_value("--input", raw)?;
        inputs.insert(port, value);
    }
    if !inputs.is_empty() {
        call = call.inputs(inputs);
    }
    let mut settings = ExecutionSettings::default();
    if let Some(t) = &args.instance_type {
        settings = settings.with_instance_type(t.clone());
    }
    if let Some(n) = args.max_parallel_instances {
        settings = settings.with_max_parallel_instances(n);
    }
    if let Some(b) = args.memoization {
        settings = settings.with_use_memoization(b);
    }
    if let Some(b) = args.elastic_disk {
        settings = settings.with_use_elastic_disk(b);
    }
    if settings != ExecutionSettings::default() {
        call = call.execution_settings(settings);
    }
    if let Some(b) = args.interruptible {
        call = call.use_interruptible_instances(b);
    }
    if let Some(raw) = &args.output_location {
        let location: serde_json::Value = serde_json::from_str(raw)
            .map_err(|e| CliError::Usage(format!("--output-location {raw:?} is not JSON: {e}")))?;
        call = call.output_location(location);
    }
    if args.no_batch {
        call = call.no_batch();
    }
    if call.update().is_empty() {
        return Err(CliError::Usage(
            "update: nothing to change; give --name, --description, --input, --inputs-file, \
             --instance-type, --max-parallel-instances, --memoization, --elastic-disk, \
             --interruptible, --output-location or --no-batch"
                .to_owned(),
        ));
    }
    Ok(call)
}

/// `update`: sends the modification, prints the task.
pub(crate) fn update(client: &Client, call: &UpdateTask, out: &OutArgs) -> Result<(), CliError> {
    let answer = client.update(call).map_err(from_client)?;
    warn_answer(client, &answer.report);
    print_task(&answer.value, out.json)
}

/// `delete`: "deleted", or "already gone" when a retry found the task deleted by an earlier
/// attempt whose answer was lost.
pub(crate) fn delete(client: &Client, id: &str, out_args: &OutArgs) -> Result<(), CliError> {
    let id = task_id(id)?;
    let answer = client
        .delete(&DeleteTask::new(id.clone()))
        .map_err(from_client)?;
    let (word, text) = match answer.value {
        Deletion::AlreadyGone => (
            "already_gone",
            "already gone (an earlier attempt, whose answer was lost, deleted it)",
        ),
        // `Deleted`, and whatever success the proto names later.
        _ => ("deleted", "deleted"),
    };
    if out_args.json {
        let v = serde_json::json!({"id": id.as_str(), "result": word});
        return out(&format!("{v}\n"));
    }
    out(&format!("task {} {text}\n", id.as_str()))
}

/// The change `inputs --set` asks for, if any (`None`: just show the inputs).
pub(crate) fn inputs_call(args: &InputsArgs) -> Result<Option<UpdateTaskInputs>, CliError> {
    let id = task_id(&args.id)?;
    if args.set.is_empty() {
        return Ok(None);
    }
    let mut call = UpdateTaskInputs::new(id);
    for raw in &args.set {
        let (port, value) = port_value("--set", raw)?;
        call = call.input(port, value);
    }
    Ok(Some(call))
}

/// `inputs`: the inputs map, after the change `change` asks for (`PATCH`) or as it is
/// (`GET`).
pub(crate) fn inputs(
    client: &Client,
    args: &InputsArgs,
    change: Option<&UpdateTaskInputs>,
) -> Result<(), CliError> {
    let id = task_id(&args.id)?;
    let answer = match change {
        Some(call) => client.update_inputs(call),
        None => client.inputs(&GetTaskInputs::new(id.clone())),
    }
    .map_err(from_client)?;
    warn_answer(client, &answer.report);
    if args.out.json {
        let text = serde_json::to_string_pretty(&answer.value)
            .map_err(|e| CliError::Io(format!("cannot encode the inputs as JSON: {e}")))?;
        return out(&format!("{text}\n"));
    }
    out(&inputs_summary(id.as_str(), &answer.value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_values_are_json_or_a_file_and_anything_else_is_a_usage_error() {
        let (p, v) = port_value("--input", "threads=8").unwrap();
        assert_eq!((p.as_str(), v), ("threads", PortValue::from(8)));
        let (p, v) = port_value("--input", "ref=null").unwrap();
        assert_eq!((p.as_str(), v), ("ref", PortValue::Null));
        let (_, v) = port_value("--input", "reads=file:5a1b").unwrap();
        assert_eq!(
            serde_json::to_value(&v).unwrap(),
            serde_json::json!({"class": "File", "path": "5a1b"})
        );
        // `=` inside the value is the value's.
        let (p, v) = port_value("--input", r#"s="a=b""#).unwrap();
        assert_eq!((p.as_str(), v), ("s", PortValue::from("a=b")));
        for (raw, says) in [
            ("threads", "is not PORT=JSON"),
            ("=8", "has no port name"),
            ("name=bare words", "--input name: the value"),
            ("reads=file:", "needs a file id"),
        ] {
            match port_value("--input", raw) {
                Err(CliError::Usage(m)) => assert!(m.contains(says), "{raw}: {m}"),
                other => panic!("{raw}: {other:?}"),
            }
        }
    }
}
