//! Shared by the tests: a scripted closure transport, a fake environment, answers, configs.
#![allow(dead_code, unused_imports, unreachable_pub)]

pub mod platform;

pub use std::collections::VecDeque;
pub use std::future::Future;
pub use std::sync::Mutex;
pub use std::time::Duration;

pub use sbg_tasks_proto::config::AllowHttp;
pub use sbg_tasks_proto::env::FakeEnv;
pub use sbg_tasks_proto::http::{Request, Response};
pub use sbg_tasks_proto::machine::retry::RetryPolicy;
pub use sbg_tasks_proto::machine::wait::WaitPolicy;
pub use sbg_tasks_proto::model::TaskStatus;
pub use sbg_tasks_proto::transport::{TransportErrorKind, TransportFailure};
pub use sbg_tasks_proto::{AsyncClient, BlockingClient};
pub use sbg_tasks_proto::{
    AuthToken, BaseUrl, ClientError, Config, Decoding, GetTask, RerunTask, ResponseError, RunTask,
    TaskId,
};

pub const TOKEN: &str = "0123456789abcdef0123456789abcdef";
pub const ID: &str = "08c5ce64-1551-4b7d-b054-63a1517bc7bb";
pub const UNIX0: u64 = 1_700_000_000;

pub type Outcome = Result<Response<Vec<u8>>, TransportFailure>;

/// A scripted transport: answers in order, records (method, path and query, token present).
#[derive(Default)]
pub struct Script {
    answers: Mutex<VecDeque<Outcome>>,
    seen: Mutex<Vec<(String, String, bool)>>,
    requests: Mutex<Vec<Request<Vec<u8>>>>,
}

impl Script {
    pub fn new(answers: Vec<Outcome>) -> Self {
        Self {
            answers: Mutex::new(answers.into()),
            seen: Mutex::default(),
            requests: Mutex::default(),
        }
    }

    pub fn send(&self, req: Request<Vec<u8>>) -> Outcome {
        let token = req
            .headers()
            .get("x-sbg-auth-token")
            .is_some_and(|v| v.as_bytes() == TOKEN.as_bytes());
        self.seen.lock().unwrap().push((
            req.method().to_string(),
            req.uri().path_and_query().unwrap().to_string(),
            token,
        ));
        self.requests.lock().unwrap().push(req);
        self.answers
            .lock()
            .unwrap()
            .pop_front()
            .expect("the client sent more requests than scripted")
    }

    pub fn seen(&self) -> Vec<(String, String)> {
        let seen = self.seen.lock().unwrap();
        assert!(seen.iter().all(|s| s.2), "every request carries the token");
        seen.iter()
            .map(|(m, p, _)| (m.clone(), p.clone()))
            .collect()
    }

    /// Every request sent, whole (headers and body), in order.
    pub fn requests(&self) -> Vec<Request<Vec<u8>>> {
        self.requests.lock().unwrap().clone()
    }

    /// The body of every request sent, as text, in order.
    pub fn bodies(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|r| String::from_utf8(r.body().clone()).unwrap())
            .collect()
    }

    pub fn left(&self) -> usize {
        self.answers.lock().unwrap().len()
    }
}

pub fn answer(status: u16, headers: &[(&str, String)], body: &str) -> Outcome {
    let mut b = Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, v.as_str());
    }
    Ok(b.body(body.as_bytes().to_vec()).unwrap())
}

pub fn task(status: &str) -> Outcome {
    answer(200, &[], &format!(r#"{{"id":"{ID}","status":"{status}"}}"#))
}

pub fn error(status: u16, code: u32) -> Outcome {
    answer(
        status,
        &[],
        &format!(r#"{{"status":{status},"code":{code},"message":"scripted"}}"#),
    )
}

pub fn failure(kind: TransportErrorKind) -> Outcome {
    Err(TransportFailure::new(kind, "scripted failure"))
}

pub fn config() -> Config {
    let base = BaseUrl::parse_with("http://127.0.0.1:9/v2", AllowHttp::Loopback).unwrap();
    Config::new(base, AuthToken::new(TOKEN).unwrap())
}

pub fn id() -> TaskId {
    ID.parse().unwrap()
}

pub fn env() -> FakeEnv {
    FakeEnv::new(Duration::from_secs(UNIX0))
}

pub fn client<'s>(
    script: &'s Script,
    env: &'s FakeEnv,
) -> BlockingClient<impl Fn(Request<Vec<u8>>) -> Outcome + 's, &'s FakeEnv> {
    BlockingClient::with_env(config(), move |r| script.send(r), env)
        .with_retry(RetryPolicy::default().with_jitter(0.0))
}

pub const GET: (&str, &str) = ("GET", "/v2/tasks/08c5ce64-1551-4b7d-b054-63a1517bc7bb");

pub fn get() -> (String, String) {
    (GET.0.into(), GET.1.into())
}

pub fn post(action: &str) -> (String, String) {
    ("POST".into(), format!("{}/actions/{action}", GET.1))
}

pub fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

pub fn assert_send<T: Send>(t: T) -> T {
    t
}

/// A config for the Seven Bridges platform (its public base URL) with [`TOKEN`].
pub fn platform_config() -> Config {
    Config::new(
        sbg_tasks_proto::Platform::SevenBridges,
        AuthToken::new(TOKEN).unwrap(),
    )
}

pub fn project() -> sbg_tasks_proto::ProjectId {
    "rfranklin/my-project".parse().unwrap()
}

pub fn app() -> sbg_tasks_proto::AppId {
    "rfranklin/my-project/bwa-mem/3".parse().unwrap()
}

/// A 200 answer with `body`.
pub fn ok(body: &[u8]) -> Response<Vec<u8>> {
    Response::builder().status(200).body(body.to_vec()).unwrap()
}

/// A request's body as JSON.
pub fn body_json<B: AsRef<[u8]>>(req: &Request<B>) -> serde_json::Value {
    serde_json::from_slice(req.body().as_ref()).unwrap()
}
