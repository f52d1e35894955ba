//! Setup and checks of the bulk-action scenario ([`scenarios`](mod@crate::scenarios)): failed
//! tasks in a project of the mock, the rerun of them, and what the mock holds afterwards.

use std::collections::HashSet;

use sbg_tasks_mock::MockControl;
pub use sbg_tasks_proto::client::MemoryJournal;
use sbg_tasks_proto::machine::bulk::{
    Action, BulkReport, BulkSpec, Listing, Scope, Selection, TaskOutcome,
};
use sbg_tasks_proto::model::TaskStatus;
use serde_json::{json, Value};

/// The project of the bulk scenario.
pub const PROJECT: &str = "mock-user/bulk";

/// Inserts `n` FAILED tasks (distinct names and inputs) and a COMPLETED one into
/// [`PROJECT`]; the failed ones' ids.
pub fn failed_tasks(m: &MockControl, n: usize) -> Vec<String> {
    let task = |i: usize, status: &str| {
        json!({
            "name": format!("bulk-{i}"),
            "status": status,
            "project": PROJECT,
            "app": "mock-user/bulk/app/1",
            "inputs": {"reads": {"class": "File", "path": format!("f{i}")}},
        })
    };
    m.insert_task(task(n, "COMPLETED")).unwrap();
    (0..n)
        .map(|i| m.insert_task(task(i, "FAILED")).unwrap())
        .collect()
}

/// Rerun with run the FAILED tasks of [`PROJECT`].
pub fn spec() -> BulkSpec {
    let failed = Listing::new(Scope::Project(PROJECT.parse().unwrap())).status(TaskStatus::Failed);
    BulkSpec::new(Action::Rerun { run: true }, Selection::Listing(failed))
}

/// Each of `failed` has exactly one copy in the mock (same name, another id), no longer a
/// DRAFT, and it is the copy the report names; no other task was made.
pub fn check_one_copy_each(m: &MockControl, failed: &[String], report: &BulkReport) {
    let tasks: Vec<Value> = m.task_ids().iter().filter_map(|id| m.task(id)).collect();
    let name = |t: &Value| t["name"].as_str().unwrap_or_default().to_owned();
    let mut copies_seen = HashSet::new();
    for original in failed {
        let o = m.task(original).unwrap();
        let copies: Vec<&Value> = tasks
            .iter()
            .filter(|t| name(t) == name(&o) && t["id"] != o["id"])
            .collect();
        assert_eq!(copies.len(), 1, "copies of {original}: {copies:?}");
        let copy = copies[0]["id"].as_str().unwrap().to_owned();
        assert_ne!(copies[0]["status"], "DRAFT", "the copy of {original} ran");
        let outcome = report
            .outcomes
            .iter()
            .find(|x| x.original().as_str() == original)
            .unwrap();
        assert!(
            matches!(outcome, TaskOutcome::Done { copy: Some(c), .. } if c.as_str() == copy),
            "{outcome:?}"
        );
        copies_seen.insert(copy);
    }
    // The failed ones, their copies and the completed one: nothing else.
    assert_eq!(tasks.len(), 2 * failed.len() + 1);
    assert_eq!(copies_seen.len(), failed.len());
}
