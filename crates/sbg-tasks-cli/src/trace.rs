//! A transport wrapper that traces each exchange (for `--verbose`, the demo, and line:column
//! of lenient repairs).

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sbg_tasks_proto::http::{Request, Response};
use sbg_tasks_proto::transport::HttpTransport;

/// One exchange as the tracing transport saw it.
#[derive(Debug, Clone)]
pub(crate) struct Exchange {
    /// `GET`, `POST`, ...
    pub(crate) method: String,
    /// Path and query (never headers).
    pub(crate) path: String,
    /// The answer's status, or the transport error's kind.
    pub(crate) outcome: Result<u16, String>,
    /// When it started, since the trace was made.
    pub(crate) at: Duration,
    /// How long it took.
    pub(crate) elapsed: Duration,
}

/// What the tracing transport records: each exchange (method, path, status — never headers),
/// and the body of the last answer (for the line:column of lenient repairs).
#[derive(Debug)]
pub(crate) struct Trace {
    verbose: bool,
    origin: Instant,
    state: Mutex<TraceState>,
}

#[derive(Debug, Default)]
struct TraceState {
    exchanges: Vec<Exchange>,
    last_body: Vec<u8>,
}

impl Trace {
    /// A trace; with `verbose`, each exchange is also printed to stderr as it ends.
    pub(crate) fn new(verbose: bool) -> Arc<Self> {
        Arc::new(Self {
            verbose,
            origin: Instant::now(),
            state: Mutex::default(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, TraceState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The body of the last answer.
    pub(crate) fn last_body(&self) -> Vec<u8> {
        self.lock().last_body.clone()
    }

    /// Every exchange so far.
    pub(crate) fn exchanges(&self) -> Vec<Exchange> {
        self.lock().exchanges.clone()
    }

    /// Forgets the exchanges so far.
    pub(crate) fn clear(&self) {
        self.lock().exchanges.clear();
    }

    fn record<E: std::fmt::Display>(
        &self,
        method: String,
        path: String,
        started: Instant,
        result: &Result<Response<Vec<u8>>, E>,
    ) {
        let elapsed = started.elapsed();
        let outcome = match result {
            Ok(r) => Ok(r.status().as_u16()),
            Err(e) => Err(e.to_string()),
        };
        if self.verbose {
            match &outcome {
                Ok(status) => {
                    let rl = result
                        .as_ref()
                        .ok()
                        .and_then(|r| sbg_tasks_proto::meta::RateLimit::from_headers(r.headers()))
                        .map(|rl| format!(", rate limit {}/{} left", rl.remaining, rl.limit))
                        .unwrap_or_default();
                    eprintln!(
                        "[verbose] {method} {path} -> {status} in {} ms{rl}",
                        elapsed.as_millis()
                    );
                }
                Err(e) => eprintln!(
                    "[verbose] {method} {path} -> transport error after {} ms: {e}",
                    elapsed.as_millis()
                ),
            }
        }
        let mut st = self.lock();
        if let Ok(r) = result {
            st.last_body.clear();
            st.last_body.extend_from_slice(r.body());
        }
        st.exchanges.push(Exchange {
            method,
            path,
            outcome,
            at: started.saturating_duration_since(self.origin),
            elapsed,
        });
    }
}

/// Method and path-and-query of a request: what may be shown. The URL holds no secret (the
/// token travels in a header; user info in a base URL is refused).
fn describe(req: &Request<Vec<u8>>) -> (String, String) {
    let uri = req.uri();
    let path = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
    (req.method().as_str().to_owned(), path)
}

/// A transport that records every exchange in a [`Trace`] and passes it on unchanged.
#[derive(Debug)]
pub(crate) struct Traced<T> {
    /// The transport that sends.
    pub(crate) inner: T,
    /// Where each exchange is recorded.
    pub(crate) trace: Arc<Trace>,
}

impl<T: HttpTransport> HttpTransport for Traced<T> {
    type Error = T::Error;

    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, T::Error> {
        let (method, path) = describe(&request);
        let started = Instant::now();
        let result = self.inner.send(request);
        self.trace.record(method, path, started, &result);
        result
    }
}
