//! The client's operations on a runtime that is neither tokio nor a blocking thread: smol,
//! with hyper's HTTP/1 connection over smol's sockets (`smol-hyper`), and ONE driver loop of
//! its own ([`Driver::drive`]) — no `BlockingClient`, no `AsyncClient`. It gets a task, runs
//! a draft and waits for it with progress, reruns it, and watches the copy, against the mock
//! platform on loopback (its documentation's example tasks):
//!
//! ```sh
//! cargo run -p sbg-tasks-mock -- --seed-examples --token demo-token-0123456789abcdef0123 &
//! cargo run -p sbg-tasks-proto --example smol_runtime -- http://127.0.0.1:8080/v2 demo-token-0123456789abcdef0123
//! ```
//!
//! (`tests/smol_runtime.rs` runs it against a mock of its own.)

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt as _, Full};
use sbg_tasks_proto::config::AllowHttp;
use sbg_tasks_proto::http::{Request, Response};
use sbg_tasks_proto::machine::{Call, Now, Operation, Run, Settings, Shared, Step, Wait, Watch};
use sbg_tasks_proto::transport::{TransportErrorKind, TransportFailure};
use sbg_tasks_proto::{AuthToken, BaseUrl, Config, GetTask, RerunTask, RunTask};
use sbg_tasks_proto::{TaskId, WaitPolicy, WatchEvent};

/// What a runtime needs to drive the operations: the state they share, a clock, and a way to
/// send a request.
pub(crate) struct Driver {
    settings: Settings,
    shared: Mutex<Shared>,
    origin: Instant,
}

impl Driver {
    /// A driver with `settings`.
    pub(crate) fn new(settings: Settings) -> Self {
        let shared = Mutex::new(Shared::new(settings.budget.clone()));
        Self {
            settings,
            shared,
            origin: Instant::now(),
        }
    }

    /// The settings the operations borrow.
    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    fn now(&self) -> Now {
        let unix = SystemTime::now().duration_since(UNIX_EPOCH);
        Now {
            mono: self.origin.elapsed(),
            unix: unix.unwrap_or_default(),
            random: fastrand::u64(..),
        }
    }

    /// The driver loop: step, send or sleep, hand out events, until the operation is done.
    /// `Shared` is locked only around a step, never across a request or a sleep.
    pub(crate) async fn drive<O: Operation>(
        &self,
        mut op: O,
        mut on_event: impl FnMut(O::Event),
    ) -> O::Output {
        loop {
            let now = self.now();
            let step = op.step(now, &mut self.shared.lock().unwrap());
            match step {
                Step::Send(request) => {
                    let answer = send(request).await;
                    op.on_answer(answer, self.now(), &mut self.shared.lock().unwrap());
                }
                Step::SleepUntil(at) => {
                    smol::Timer::at(self.origin + at).await;
                }
                Step::Event(event) => on_event(event),
                Step::Done(output) => return output,
                // A step this loop does not know: step again.
                _ => {}
            }
        }
    }
}

/// Sends one request with hyper's HTTP/1 client over a smol socket: plain HTTP, for the mock
/// on loopback (a real deployment adds TLS, timeouts and a body cap, as the transports do).
async fn send(request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportFailure> {
    let failed = |kind, e: &dyn std::fmt::Display| TransportFailure::new(kind, e.to_string());
    let uri = request.uri();
    if uri.scheme_str() != Some("http") {
        return Err(TransportFailure::new(
            TransportErrorKind::InsecureScheme,
            "this example speaks plain HTTP to loopback only",
        ));
    }
    let host = uri.host().unwrap_or_default().to_owned();
    let port = uri.port_u16().unwrap_or(80);
    let stream = smol::net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| failed(TransportErrorKind::Connect, &e).with_request_sent(false))?;
    let io = smol_hyper::rt::FuturesIo::new(stream);
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| failed(TransportErrorKind::Connect, &e).with_request_sent(false))?;
    smol::spawn(connection).detach();
    let answer = sender
        .send_request(request.map(|body| Full::new(bytes::Bytes::from(body))))
        .await
        .map_err(|e| failed(TransportErrorKind::Io, &e))?;
    let (parts, body) = answer.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| failed(TransportErrorKind::Io, &e))?;
    Ok(Response::from_parts(parts, body.to_bytes().to_vec()))
}

/// What the tour saw.
#[derive(Debug)]
pub(crate) struct Tour {
    /// The status of the task got.
    pub(crate) got: Option<String>,
    /// The statuses of the waited-for task, one per poll.
    pub(crate) polls: Vec<String>,
    /// The status it ended with.
    pub(crate) waited: Option<String>,
    /// The id of the copy the rerun made.
    pub(crate) copy: String,
    /// The watch's events about the copy, as `Status`/`Ended`.
    pub(crate) watched: Vec<String>,
}

/// Gets `get`, runs the draft `draft` and waits for it, reruns it and watches the copy.
pub(crate) async fn tour(
    driver: &Driver,
    get: TaskId,
    draft: TaskId,
) -> Result<Tour, Box<dyn std::error::Error>> {
    let settings = driver.settings();
    let task = driver
        .drive(Call::new(settings, &GetTask::new(get)), |_| {})
        .await?;
    let got = task.value.status.map(|s| s.as_str().to_owned());

    let run = RunTask::new(draft.clone());
    driver.drive(Run::new(settings, &run), |_| {}).await?;
    let policy = WaitPolicy::default().with_interval(Duration::from_millis(100));
    let mut polls = Vec::new();
    let wait = Wait::new(settings, draft.clone(), policy);
    let ended = driver
        .drive(wait, |p| {
            polls.push(p.status().map_or("?".into(), |s| s.as_str().to_owned()))
        })
        .await?;

    let rerun = RerunTask::new(draft).run(true);
    let copy = driver.drive(Call::new(settings, &rerun), |_| {}).await?;
    let copy = copy.value.id.ok_or("the copy has an id")?;
    let mut watched = Vec::new();
    let watch = Watch::new(settings, [copy.parse()?]);
    driver
        .drive(watch, |event| match event {
            Ok(WatchEvent::Status { task, .. }) => {
                watched.push(format!(
                    "Status {}",
                    task.status.map_or("?".into(), |s| s.as_str().to_owned())
                ));
            }
            Ok(WatchEvent::Ended { task, .. }) => {
                watched.push(format!(
                    "Ended {}",
                    task.status.map_or("?".into(), |s| s.as_str().to_owned())
                ));
            }
            Ok(_) => {}
            Err(e) => watched.push(format!("error {e}")),
        })
        .await;
    Ok(Tour {
        got,
        polls,
        waited: ended.status.map(|s| s.as_str().to_owned()),
        copy,
        watched,
    })
}

/// Settings for the mock at `base` with `token`: a watcher that looks every 100 ms.
pub(crate) fn settings(base: &str, token: &str) -> Result<Settings, Box<dyn std::error::Error>> {
    let base = BaseUrl::parse_with(base, AllowHttp::Loopback)?;
    let mut settings = Settings::new(Config::new(base, AuthToken::new(token)?));
    settings.watcher = settings
        .watcher
        .with_min_interval(Duration::from_millis(100));
    Ok(settings)
}

/// The documentation's example task that has ended, and its example DRAFT.
pub(crate) const GET_TASK_ID: &str = "f586a3fb-c9e4-4415-b22b-648a66969a37";
pub(crate) const DRAFT_ID: &str = "b0bbeda6-153b-4801-92ad-82bc0e58bdb6";

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let base = args.next().unwrap_or("http://127.0.0.1:8080/v2".into());
    let token = args
        .next()
        .unwrap_or("demo-token-0123456789abcdef0123".into());
    let driver = Driver::new(settings(&base, &token)?);
    let tour = smol::block_on(tour(&driver, GET_TASK_ID.parse()?, DRAFT_ID.parse()?))?;
    println!("get: {:?}", tour.got);
    println!("wait: polls {:?}, ended {:?}", tour.polls, tour.waited);
    println!("rerun: copy {}; watch: {:?}", tour.copy, tour.watched);
    Ok(())
}
