//! Setup and checks of the scenarios ([`scenarios`](mod@crate::scenarios)) of the calls that
//! change or gather tasks: modify, delete, inputs, bulk get, the list filters `batch` and
//! `origin_id`, create without batching, and the extra headers a configuration adds.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread::JoinHandle;

use sbg_tasks_mock::{examples, MockControl, Route};
use sbg_tasks_proto::endpoints::{BulkItemError, BulkTasks, RequestBuildError, TaskUpdate};
use sbg_tasks_proto::model::{ExecutionSettings, FileRef, IssueKind, PortMap, PortValue};
use sbg_tasks_proto::{ClientError, Task, TaskId, UpdateTask};

use crate::TOKEN;

/// An id the mock has never heard of (a well-formed UUID).
pub const UNKNOWN_ID: &str = "00000000-0000-4000-8000-000000000000";
/// An id that is not a UUID (the mock answers 7005 for it).
pub const MALFORMED_ID: &str = "not-a-uuid";

/// The inputs a modify sets: an array of files, a file, a number and a null.
pub fn draft_inputs() -> PortMap {
    let mut inputs = PortMap::new();
    inputs.insert(
        "reads".into(),
        vec![FileRef::file("f0"), FileRef::file("f1")].into(),
    );
    inputs.insert("reference".into(), FileRef::file("known").into());
    inputs.insert("threads".into(), 3.into());
    inputs.insert("unused".into(), PortValue::Null);
    inputs
}

/// The execution settings a modify sets (every member).
pub fn draft_settings() -> ExecutionSettings {
    ExecutionSettings::default()
        .with_instance_type("c5.2xlarge;ebs-gp2;1024")
        .with_max_parallel_instances(2)
        .with_use_memoization(true)
        .with_use_elastic_disk(false)
}

/// Where outputs go, as a modify sets it.
pub fn output_location() -> serde_json::Value {
    serde_json::json!({"type": "volume", "volume": "me/out", "prefix": "runs/"})
}

/// A modify of `id` with every member but batching.
pub fn full_update(id: &TaskId) -> UpdateTask {
    UpdateTask::new(id.clone())
        .name("renamed draft")
        .description("what it is for")
        .inputs(draft_inputs())
        .execution_settings(draft_settings())
        .use_interruptible_instances(true)
        .output_location(output_location())
}

/// A task as [`full_update`] left it (`answered` by the modify, then `read` back by a get):
/// every member set, valid (the files are known), not a batch.
pub fn check_fully_updated(answered: &Task, read: &Task) {
    for t in [answered, read] {
        assert_eq!(t.name.as_deref(), Some("renamed draft"));
        assert_eq!(t.description.as_deref(), Some("what it is for"));
        assert_eq!(t.inputs.as_ref(), Some(&draft_inputs()), "{t:?}");
        assert_eq!(t.execution_settings.as_ref(), Some(&draft_settings()));
        assert_eq!(t.use_interruptible_instances, Some(true));
        assert_eq!(t.output_location.as_ref(), Some(&output_location()));
        assert_eq!(t.errors.as_deref().map(<[_]>::len), Some(0), "{t:?}");
        assert_ne!(t.batch, Some(true));
    }
}

/// An update with `batch_input` but no `batch_by`: refused by the client (a build error), so
/// no request reached the mock.
pub fn half_batch(id: &TaskId) -> UpdateTask {
    let mut body = TaskUpdate::default();
    body.batch_input = Some("reads".into());
    UpdateTask::with_body(id.clone(), body)
}

/// The result of [`half_batch`]: a build error, and no request at all.
pub fn check_never_sent(m: &MockControl, got: Result<impl std::fmt::Debug, ClientError>) {
    assert!(
        matches!(
            got,
            Err(ClientError::Build(RequestBuildError::Invalid { .. }))
        ),
        "{got:?}"
    );
    assert_eq!(m.journal(), [], "nothing reached the mock");
}

/// An API error with HTTP `status` and platform `code`.
pub fn check_api_error<T: std::fmt::Debug>(got: Result<T, ClientError>, status: u16, code: i64) {
    let e = got.expect_err("an API error");
    let api = e.api().unwrap_or_else(|| panic!("an API error, got {e:?}"));
    assert_eq!(
        (api.status, api.code.map(|c| c.as_i64())),
        (status, Some(code)),
        "{e}"
    );
}

/// The statuses the mock answered on `route`, in order (`None`: the connection was dropped).
pub fn statuses(m: &MockControl, route: Route) -> Vec<Option<u16>> {
    m.journal()
        .into_iter()
        .filter(|e| e.route == route)
        .map(|e| e.status)
        .collect()
}

/// The validation errors of `task` as (kind, input) pairs.
pub fn issues(task: &Task) -> Vec<(Option<IssueKind>, Option<String>)> {
    task.errors
        .iter()
        .flatten()
        .map(|i| (i.kind.clone(), i.input_id.clone()))
        .collect()
}

/// What a bulk get of the [`bulk_ids`] pattern must answer at place `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// The task with this id.
    Task,
    /// An item error with this HTTP status and code.
    Error(u16, i64),
}

/// `n` ids cycling through: `draft`, the documentation's COMPLETED example, an unknown id, a
/// malformed one, and `draft` again (a repeat within the same request). Each with what its
/// item must be.
pub fn bulk_ids(draft: &TaskId, n: usize) -> Vec<(TaskId, Expected)> {
    let cycle = [
        (draft.clone(), Expected::Task),
        (examples::GET_TASK_ID.parse().unwrap(), Expected::Task),
        (UNKNOWN_ID.parse().unwrap(), Expected::Error(404, 7002)),
        (MALFORMED_ID.parse().unwrap(), Expected::Error(400, 7005)),
        (draft.clone(), Expected::Task),
    ];
    cycle.into_iter().cycle().take(n).collect()
}

/// A bulk answer for `asked`: one item per id, in order, each the task asked for or the error
/// expected; one page per 100 ids, each with its own 200 answer.
pub fn check_bulk(got: &BulkTasks, asked: &[(TaskId, Expected)]) {
    assert_eq!(got.items.len(), asked.len());
    assert_eq!(got.pages.len(), asked.len().div_ceil(100));
    assert!(got.pages.iter().all(|p| p.meta.status == 200));
    for (i, (item, (id, expected))) in got.items.iter().zip(asked).enumerate() {
        check_item(i, item, id, *expected);
    }
    let found = asked.iter().filter(|(_, e)| *e == Expected::Task).count();
    assert_eq!(got.tasks().count(), found);
}

fn check_item(i: usize, item: &Result<Task, BulkItemError>, id: &TaskId, expected: Expected) {
    match (item, expected) {
        (Ok(task), Expected::Task) => assert_eq!(task.id.as_deref(), Some(id.as_str()), "#{i}"),
        (Err(e), Expected::Error(status, code)) => {
            let api = e.api().unwrap_or_else(|| panic!("#{i}: {e:?}"));
            assert_eq!(
                (api.status, api.code.map(|c| c.as_i64())),
                (status, Some(code)),
                "#{i} ({id})"
            );
            assert_eq!(api.meta.status, 200, "#{i}: the bulk answer's metadata");
        }
        (got, want) => panic!("#{i} ({id}): wanted {want:?}, got {got:?}"),
    }
}

/// A loopback server that answers one request with a COMPLETED task and keeps the request's
/// head: the mock does not record headers, so this is where the headers a configuration adds
/// can be seen on the wire.
#[derive(Debug)]
pub struct HeaderCapture {
    base_url: String,
    seen: JoinHandle<String>,
}

impl HeaderCapture {
    /// The id of the task it answers with.
    pub const TASK_ID: &'static str = examples::GET_TASK_ID;

    /// Starts one.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}/v2", listener.local_addr().unwrap());
        let seen = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut head = Vec::new();
            let mut buf = [0u8; 4096];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = s.read(&mut buf).unwrap();
                assert!(n > 0, "the client closed before its head ended");
                head.extend_from_slice(&buf[..n]);
            }
            let body = format!(r#"{{"id":"{}","status":"COMPLETED"}}"#, Self::TASK_ID);
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            s.write_all(answer.as_bytes()).unwrap();
            String::from_utf8_lossy(&head).into_owned()
        });
        Self { base_url, seen }
    }

    /// The base URL to call.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The head of the request it got, header names lowercased, one line each.
    pub fn head(self) -> Vec<String> {
        let head = self.seen.join().unwrap();
        head.split("\r\n")
            .map(|l| match l.split_once(':') {
                Some((name, value)) => format!("{}:{value}", name.to_ascii_lowercase()),
                None => l.to_owned(),
            })
            .collect()
    }
}

/// The head of a request sent with advance access and the extra header `x-request-origin:
/// nightly`: each once, beside the token.
pub fn check_extra_headers(head: &[String]) {
    let count = |line: &str| head.iter().filter(|l| l.as_str() == line).count();
    assert_eq!(count("x-sbg-advance-access: Advance"), 1, "{head:?}");
    assert_eq!(count("x-request-origin: nightly"), 1, "{head:?}");
    assert_eq!(count(&format!("x-sbg-auth-token: {TOKEN}")), 1, "{head:?}");
}

/// The mock's journal holds no token anywhere (paths, queries, faults: everything but the
/// scheme and whether it was accepted), and every request was accepted.
pub fn check_token_not_journaled(m: &MockControl) {
    let journal = m.journal();
    assert!(!journal.is_empty());
    assert!(journal.iter().all(|e| e.authorized), "{journal:?}");
    assert!(!format!("{journal:?}").contains(TOKEN));
}
