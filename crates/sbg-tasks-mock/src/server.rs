//! The HTTP side: accepting connections and serving each request — the mock's own endpoints,
//! the faults, the platform's answer ([`MockPlatform`](crate::MockPlatform)), the journal and
//! the bytes on the wire.

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::header::{HeaderValue, CONTENT_ENCODING, CONTENT_LENGTH, VARY};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::admin;
use crate::api_error::{codes, ApiError};
use crate::body::MockBody;
use crate::fault::Fault;
use crate::journal::{token_fingerprint, JournalEntry};
use crate::platform::{auth_of, classify, Answer, Call, Params};
use crate::query;
use crate::state::Shared;
use crate::wire::{accepts_gzip, gzip, gzip_bomb, header, malform, proxy_page, GZIP_MIN};

/// Largest request body read (create bodies are small).
const MAX_BODY: usize = 8 * 1024 * 1024;

/// Returned by the service to make hyper close the connection without an answer.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault injection")]
pub(crate) struct Dropped;

/// Serve one request.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<MockBody>, Dropped> {
    if admin::is_admin(req.uri().path()) {
        return Ok(admin::handle(&shared, &req));
    }
    let arrival = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let (auth, token) = auth_of(req.headers());
    let wants_gzip = accepts_gzip(req.headers());
    let target = classify(&method, &path);
    let route = target.route();
    let fault = shared.faults.take(route);
    let mut entry = JournalEntry {
        method,
        path,
        query,
        auth,
        authorized: false,
        at: arrival.saturating_duration_since(shared.started),
        route,
        status: None,
        fault: fault.clone(),
        body_len: 0,
        seq: 0,
        token: token
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(token_fingerprint),
        user: None,
        counted: false,
        response_bytes: 0,
        sent_bytes: 0,
        gzip: false,
        copy_of: None,
        copy: None,
    };
    match &fault {
        Some(Fault::DropBeforeRead) => {
            shared.record(entry);
            return Err(Dropped);
        }
        Some(Fault::Delay(d)) => tokio::time::sleep(*d).await,
        _ => {}
    }
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            shared.record(entry);
            return Err(Dropped);
        }
    };
    entry.body_len = body.len();
    let params = Params(query::parse(entry.query.as_deref()));
    let mut answer = match &fault {
        Some(Fault::Maintenance) => Answer::error(&ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            codes::MAINTENANCE,
            "The Platform is currently under maintenance.",
        )),
        Some(Fault::ProxyHtml(s)) => {
            proxy_page(StatusCode::from_u16(*s).unwrap_or(StatusCode::BAD_GATEWAY))
        }
        Some(Fault::Status { status, code }) => {
            let st = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Answer::error(&ApiError::new(
                st,
                *code,
                st.canonical_reason().unwrap_or("Error"),
            ))
        }
        _ => {
            let call = Call {
                target: &target,
                params: &params,
                token: token.as_deref(),
                body: &body,
            };
            let force_429 = fault == Some(Fault::RateLimited);
            let (answer, seen) = shared.platform.answer(&call, force_429, arrival);
            entry.counted = seen.counted;
            entry.authorized = seen.user.is_some();
            entry.user = seen.user;
            if let Some((original, copy)) = seen.copy {
                entry.copy_of = Some(original);
                entry.copy = Some(copy);
            }
            answer
        }
    };
    if let Some(Fault::MalformedBody(v)) = &fault {
        answer.body = malform(*v, &answer.body, shared.platform.base_url());
    }
    if fault == Some(Fault::DropAfterRead) {
        shared.record(entry);
        return Err(Dropped);
    }
    entry.status = Some(answer.status.as_u16());

    // The bytes on the wire: compressed when asked (or bombed).
    let no_body = answer.status == StatusCode::NO_CONTENT;
    entry.response_bytes = answer.body.len();
    let wire = if let Some(Fault::GzipBomb { inflated }) = fault {
        entry.response_bytes = usize::try_from(inflated).unwrap_or(usize::MAX);
        entry.gzip = true;
        tokio::task::spawn_blocking(move || gzip_bomb(inflated))
            .await
            .unwrap_or_default()
    } else if wants_gzip && !no_body && answer.body.len() >= GZIP_MIN {
        entry.gzip = true;
        gzip(&answer.body)
    } else {
        std::mem::take(&mut answer.body)
    };
    let gzipped = entry.gzip;
    let full_len = wire.len();
    let body = if fault == Some(Fault::TruncatedBody) {
        entry.sent_bytes = full_len / 2;
        MockBody::truncated(wire.slice(..full_len / 2))
    } else {
        entry.sent_bytes = full_len;
        MockBody::full(wire)
    };
    shared.record(entry);

    let mut resp = Response::new(body);
    *resp.status_mut() = answer.status;
    let h = resp.headers_mut();
    if gzipped {
        h.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if !no_body {
        h.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    let announced = if fault == Some(Fault::TruncatedBody) {
        full_len.max(1)
    } else {
        full_len
    };
    // A 204 carries neither a body nor a `Content-Length` (RFC 9110, 8.6).
    if !no_body {
        h.insert(CONTENT_LENGTH, header(announced));
    }
    answer.headers(h);
    Ok(resp)
}

/// Accept connections until `stop` turns true, then finish the open ones (5 s at most).
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    tls: Option<TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    loop {
        let accepted = tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            a = listener.accept() => a,
        };
        let stream = match accepted {
            Ok((s, _)) => s,
            Err(_) => {
                // Out of file descriptors and the like: wait a little, go on.
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let tls = tls.clone();
        let watcher = graceful.watcher();
        let builder = builder.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(shared.clone(), req));
            match tls {
                Some(acceptor) => {
                    let Ok(stream) = acceptor.accept(stream).await else {
                        return;
                    };
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    let _ = watcher.watch(conn.into_owned()).await;
                }
                None => {
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    let _ = watcher.watch(conn.into_owned()).await;
                }
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
}
