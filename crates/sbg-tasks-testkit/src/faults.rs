//! Setup and checks of the fault scenarios ([`scenarios`](mod@crate::scenarios): every
//! operation end to end, faults that are retried and faults that are not, rate limits, a
//! closure transport) and of the tests each transport keeps (`tests/transport.rs`: TLS roots,
//! the body cap, timeouts, redirects).

use std::fmt::Debug;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use sbg_tasks_mock::{examples, Fault, MockBuilder, MockControl, Route, Scope};
use sbg_tasks_proto::fields::Fields;
use sbg_tasks_proto::transport::TransportErrorKind;
use sbg_tasks_proto::{ClientError, GetTask, RerunTask, RunTask, Task, TaskId};

use crate::TOKEN;

/// A get of the documentation's example task.
pub fn get_example() -> GetTask {
    GetTask::new(examples::GET_TASK_ID.parse().unwrap())
}

/// The faults a read is retried through (each injected twice before a success).
pub fn read_faults() -> [Fault; 7] {
    [
        Fault::Maintenance,
        Fault::ProxyHtml(502),
        Fault::ProxyHtml(504),
        Fault::RateLimited,
        Fault::DropBeforeRead,
        Fault::DropAfterRead,
        Fault::TruncatedBody,
    ]
}

/// Clears the journal and makes the next two gets of a task meet `fault`.
pub fn inject_twice_on_get(m: &MockControl, fault: &Fault) {
    m.clear_journal();
    m.inject(fault.clone(), Scope::RouteNext(Route::GetTask, 2));
}

/// A get that met `fault` twice ([`inject_twice_on_get`]) succeeded on the third request.
pub fn check_read_retried<T: Debug>(m: &MockControl, fault: &Fault, got: &Result<T, ClientError>) {
    assert!(got.is_ok(), "{fault:?}: {got:?}");
    assert_eq!(
        m.requests_to(Route::GetTask),
        3,
        "{fault:?}: two faults, one success"
    );
}

/// A run of `id` with its options (`batch`, no interruptible instances).
pub fn run_with_options(id: &TaskId) -> RunTask {
    RunTask::new(id.clone())
        .batch(true)
        .use_interruptible_instances(false)
}

/// A rerun of `id` with every option: run, batch, interruptible instances, all fields.
pub fn rerun_with_every_option(id: &TaskId) -> RerunTask {
    RerunTask::new(id.clone())
        .run(true)
        .batch(true)
        .use_interruptible_instances(true)
        .fields(Fields::All)
}

/// The journal after every operation: the rerun ([`rerun_with_every_option`]) carried every
/// option in its query, and every request carried the token in the documented header.
pub fn check_every_operation_journal(m: &MockControl) {
    let clone = m
        .journal()
        .into_iter()
        .find(|e| e.route == Route::CloneTask)
        .unwrap();
    assert_eq!(
        clone.query.as_deref(),
        Some("action=run&batch=true&use_interruptible_instances=true&fields=_all")
    );
    assert!(m.journal().iter().all(|e| e.authorized));
}

/// A request refused before anything was sent (`kind`: TLS, plain http): a transport error
/// that says so, and nothing reached the mock.
pub fn check_refused_before_sending(m: &MockControl, e: &ClientError, kind: TransportErrorKind) {
    assert_eq!(e.transport_kind(), Some(kind), "{e}");
    assert!(
        matches!(e, ClientError::Transport(f) if !f.request_sent()),
        "{e}"
    );
    assert_eq!(m.request_count(), 0);
}

/// Makes the next request meet an API error: HTTP `status` with `code`.
pub fn inject_api_error_once(m: &MockControl, status: u16, code: u32) {
    m.inject(Fault::Status { status, code }, Scope::Next(1));
}

/// An API error with `code` for a get, not retried.
pub fn check_api_error_not_retried(m: &MockControl, e: &ClientError, code: i64) {
    assert_eq!(e.api().and_then(|a| a.code).map(|c| c.as_i64()), Some(code));
    assert_eq!(m.requests_to(Route::GetTask), 1);
}

/// Clears the journal and makes the next rerun meet `fault`; the task count before it.
pub fn inject_once_on_rerun(m: &MockControl, fault: &Fault) -> usize {
    m.clear_journal();
    m.inject(fault.clone(), Scope::RouteNext(Route::CloneTask, 1));
    m.task_count()
}

/// A rerun that met `fault`, where the platform may have acted ([`inject_once_on_rerun`],
/// which counted `before` tasks): a typed error after one attempt, and a copy only if the
/// platform made one (the answer was lost after it acted).
pub fn check_rerun_sent_once(m: &MockControl, fault: &Fault, before: usize, e: &ClientError) {
    assert!(
        !matches!(e, ClientError::RetriesExhausted { .. }),
        "{fault:?}: {e}"
    );
    assert_eq!(m.requests_to(Route::CloneTask), 1, "{fault:?}: sent once");
    let expected = usize::from(*fault == Fault::DropAfterRead);
    assert_eq!(m.task_count() - before, expected, "{fault:?}: copies made");
}

/// A run of task `id` whose first answer was lost (`ran`): the running task, from a run, a
/// second run refused because the task no longer is a draft, and a get.
pub fn check_run_then_fetched(m: &MockControl, id: &TaskId, ran: &Task) {
    assert_eq!(ran.id.as_deref(), Some(id.as_str()));
    assert!(
        ran.status.as_ref().is_some_and(|s| s.is_active()),
        "{ran:?}"
    );
    let routes: Vec<(Route, Option<u16>)> =
        m.journal().iter().map(|e| (e.route, e.status)).collect();
    assert_eq!(
        routes,
        [
            (Route::RunTask, None),
            (Route::RunTask, Some(400)),
            (Route::GetTask, Some(200))
        ]
    );
}

/// A mock (with the examples) allowing two requests per 1.5 s window.
pub fn rate_limited_mock() -> MockBuilder {
    MockBuilder::new()
        .token(TOKEN)
        .seed_examples(true)
        .rate_limit(2, Duration::from_millis(1500))
}

/// After three gets on a [`rate_limited_mock`]: the client's budget knew from the second
/// answer's headers that the window was spent, so the third waited for the window's reset
/// (1.5 s from the first request) instead of meeting a 429, and went through.
pub fn check_waited_for_reset(m: &MockControl) {
    let journal = m.journal();
    let statuses: Vec<Option<u16>> = journal.iter().map(|e| e.status).collect();
    assert_eq!(statuses, [Some(200), Some(200), Some(200)]);
    assert!(journal[2].at - journal[0].at >= Duration::from_millis(1500));
}

/// Inserts a COMPLETED task whose answer is about 300 kB; its id.
pub fn insert_big_task(m: &MockControl) -> TaskId {
    m.insert_task(serde_json::json!({
        "name": "big",
        "status": "COMPLETED",
        "description": "x".repeat(300_000),
    }))
    .unwrap()
    .parse()
    .unwrap()
}

/// A get of an answer over the cap: a typed error, not retried.
pub fn check_body_too_large(m: &MockControl, e: &ClientError) {
    assert_eq!(
        e.transport_kind(),
        Some(TransportErrorKind::BodyTooLarge),
        "{e}"
    );
    assert_eq!(m.requests_to(Route::GetTask), 1, "not retried");
}

/// Makes every get of a task wait 3 s before its answer.
pub fn slow_gets(m: &MockControl) {
    m.inject(
        Fault::Delay(Duration::from_secs(3)),
        Scope::Route(Route::GetTask),
    );
}

/// A get that timed out twice and was given up.
pub fn check_timed_out_twice(e: &ClientError) {
    match e {
        ClientError::RetriesExhausted {
            attempts: 2, last, ..
        } => assert_eq!(
            last.transport_kind(),
            Some(TransportErrorKind::Timeout),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
}

/// A loopback server that answers its first request with a redirect to "another host" (a
/// second loopback listener that records whether anything connected to it).
#[derive(Debug)]
pub struct Redirector {
    base_url: String,
    status: u16,
    other: TcpListener,
    other_addr: SocketAddr,
    seen: JoinHandle<String>,
}

impl Redirector {
    /// Starts one answering `status` (`"302 Found"`, `"307 Temporary Redirect"`).
    pub fn start(status: &'static str) -> Self {
        let other = TcpListener::bind("127.0.0.1:0").unwrap();
        other.set_nonblocking(true).unwrap();
        let other_addr = other.local_addr().unwrap();
        let redirector = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}/v2", redirector.local_addr().unwrap());
        let seen = std::thread::spawn(move || {
            let (mut s, _) = redirector.accept().unwrap();
            let mut buf = vec![0u8; 8192];
            let n = s.read(&mut buf).unwrap();
            let answer = format!(
                "HTTP/1.1 {status}\r\nLocation: http://{other_addr}/v2/tasks/stolen\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            s.write_all(answer.as_bytes()).unwrap();
            String::from_utf8_lossy(&buf[..n]).into_owned()
        });
        let status = status[..3].parse().unwrap();
        Self {
            base_url,
            status,
            other,
            other_addr,
            seen,
        }
    }

    /// The base URL to call.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The call's error `e`: the redirect, not followed. The redirector got the token in one
    /// request with one Host header, the other host was never contacted, and the error does
    /// not hold the token.
    pub fn check(self, e: &ClientError) {
        match e {
            ClientError::Redirect { status, location } => {
                assert_eq!(*status, self.status);
                assert!(location.contains(&self.other_addr.to_string()));
            }
            other => panic!("{other:?}"),
        }
        let head = self.seen.join().unwrap();
        assert!(
            head.to_ascii_lowercase().contains("x-sbg-auth-token"),
            "{head}"
        );
        assert_eq!(
            head.to_ascii_lowercase().matches("\r\nhost:").count(),
            1,
            "one Host header: {head}"
        );
        match self.other.accept() {
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock),
            Ok((mut s, _)) => {
                let mut got = String::new();
                let _ = s.read_to_string(&mut got);
                panic!("the other host was contacted: {got}");
            }
        }
        assert!(!e.to_string().contains(TOKEN));
    }
}

/// A rerun of `original` over a closure transport whose first attempt could not connect:
/// two attempts (`calls`), one copy (`before` tasks before), one clone request.
pub fn check_closure_rerun(
    m: &MockControl,
    calls: &AtomicU32,
    before: usize,
    original: &TaskId,
    copy: &Task,
) {
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(m.task_count(), before + 1);
    assert_eq!(m.requests_to(Route::CloneTask), 1);
    assert_ne!(copy.id.as_deref(), Some(original.as_str()));
}
