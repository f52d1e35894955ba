//! Rate limits, faults, the journal, TLS, the blocking handle and the command line.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::*;
use sbg_tasks_mock::cli::MockArgs;
use sbg_tasks_mock::{examples, AuthScheme, Fault, FaultSpec, Malformed, MockServer, Route, Scope};
use serde_json::Value;

async fn server() -> MockServer {
    MockServer::builder()
        .token(TOKEN)
        .token("OTHER")
        .seed_examples(true)
        .start()
        .await
        .expect("start")
}

fn task_path() -> String {
    format!("/v2/tasks/{}", examples::GET_TASK_ID)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

#[tokio::test]
async fn rate_limit_counts_down_refuses_and_resets() {
    // Long enough that the six requests below fit in one window on a loaded CI machine.
    let window = Duration::from_millis(1500);
    let s = MockServer::builder()
        .token(TOKEN)
        .token("OTHER")
        .seed_examples(true)
        .rate_limit(3, window)
        .start()
        .await
        .expect("start");
    let a = s.addr();
    let before = unix_now();
    let mut resets = Vec::new();
    for expected in [2u64, 1, 0] {
        let r = get(a, &task_path()).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header_u64("x-ratelimit-limit"), 3);
        assert_eq!(r.header_u64("x-ratelimit-remaining"), expected);
        resets.push(r.header_u64("x-ratelimit-reset"));
    }
    // One window: one reset time, at most the window (rounded up to a second) away from the
    // current whole second, plus the fraction of a second already gone.
    assert!(resets.iter().all(|r| *r == resets[0]));
    let window_secs = window.as_secs() + u64::from(window.subsec_nanos() > 0);
    assert!(
        resets[0] >= before && resets[0] <= unix_now() + window_secs + 1,
        "{resets:?}"
    );
    // /rate_limit does not count, and tells the same.
    let rl = get(a, "/v2/rate_limit").await.json();
    assert_eq!(rl["rate"]["remaining"], 0);
    assert_eq!(rl["rate"]["reset"], resets[0]);
    // Past the budget: 429/1000 with the headers; errors (401) carry them too.
    let r = get(a, &task_path()).await;
    r.assert_error(429, 1000);
    assert_eq!(r.header_u64("x-ratelimit-remaining"), 0);
    assert_eq!(r.header_u64("x-ratelimit-reset"), resets[0]);
    // Another token has its own budget.
    let r = try_send(a, "GET", &task_path(), Auth::X("OTHER"), None)
        .await
        .expect("answer");
    assert_eq!((r.status, r.header_u64("x-ratelimit-remaining")), (200, 2));
    let r = try_send(a, "GET", &task_path(), Auth::X("nope"), None)
        .await
        .expect("answer");
    r.assert_error(401, 90001);
    assert_eq!(r.header_u64("x-ratelimit-remaining"), 2);
    // The window passes (it closes at the advertised reset, a whole second): a fresh budget.
    while SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64()
        < resets[0] as f64
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = get(a, &task_path()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header_u64("x-ratelimit-remaining"), 2);
    assert!(r.header_u64("x-ratelimit-reset") >= resets[0]);
    // And by API.
    get(a, &task_path()).await;
    s.reset_rate_limits();
    assert_eq!(
        get(a, &task_path())
            .await
            .header_u64("x-ratelimit-remaining"),
        2
    );
}

#[tokio::test]
async fn counted_faults_fire_exactly_n_times() {
    let s = server().await;
    let a = s.addr();
    s.inject(Fault::Maintenance, Scope::Next(2));
    for _ in 0..2 {
        let r = get(a, &task_path()).await;
        r.assert_error(503, 0);
        assert!(r.header("x-ratelimit-limit").is_none());
    }
    assert_eq!(get(a, &task_path()).await.status, 200);
    assert!(s.faults().is_empty());

    // Route-scoped: only GETs of a task, twice; other routes pass.
    s.inject(Fault::ProxyHtml(502), Scope::RouteNext(Route::GetTask, 2));
    assert_eq!(get(a, "/v2/rate_limit").await.status, 200);
    for _ in 0..2 {
        let r = get(a, &task_path()).await;
        assert_eq!(r.status, 502);
        assert_eq!(r.header("content-type").as_deref(), Some("text/html"));
        assert!(String::from_utf8_lossy(&r.body).contains("502 Bad Gateway"));
    }
    assert_eq!(get(a, &task_path()).await.status, 200);

    s.inject(Fault::ProxyHtml(504), Scope::Next(1));
    assert_eq!(get(a, &task_path()).await.status, 504);
    s.inject(Fault::RateLimited, Scope::Next(1));
    get(a, &task_path()).await.assert_error(429, 1000);
    s.inject(
        Fault::Status {
            status: 500,
            code: 7000,
        },
        Scope::Next(1),
    );
    get(a, &task_path()).await.assert_error(500, 7000);
    assert_eq!(get(a, &task_path()).await.status, 200);

    // Always on a route, until cleared.
    s.inject(Fault::Maintenance, Scope::Route(Route::RunTask));
    for _ in 0..3 {
        post(
            a,
            &format!("/v2/tasks/{}/actions/run", examples::RUN_TASK_REQUEST_ID),
        )
        .await
        .assert_error(503, 0);
    }
    assert_eq!(get(a, &task_path()).await.status, 200);
    s.clear_faults();
    assert_eq!(
        post(
            a,
            &format!("/v2/tasks/{}/actions/run", examples::RUN_TASK_REQUEST_ID)
        )
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn dropped_connections_before_and_after_the_request() {
    let s = server().await;
    let a = s.addr();
    let clone = format!("/v2/tasks/{}/actions/clone", examples::RUN_TASK_REQUEST_ID);
    let n = s.task_count();
    s.inject(Fault::DropBeforeRead, Scope::RouteNext(Route::CloneTask, 1));
    let r = try_send(a, "POST", &clone, Auth::X(TOKEN), None).await;
    assert!(matches!(r, Err(Failure::Head(_))), "{r:?}");
    assert_eq!(s.task_count(), n, "not acted on");
    s.inject(Fault::DropAfterRead, Scope::RouteNext(Route::CloneTask, 1));
    let r = try_send(a, "POST", &clone, Auth::X(TOKEN), None).await;
    assert!(matches!(r, Err(Failure::Head(_))), "{r:?}");
    assert_eq!(s.task_count(), n + 1, "acted on, answer lost");
    // Next one goes through.
    assert_eq!(post(a, &clone).await.status, 200);
    assert_eq!(s.task_count(), n + 2);
    let j = s.journal();
    let statuses: Vec<Option<u16>> = j.iter().map(|e| e.status).collect();
    assert_eq!(statuses, vec![None, None, Some(200)]);
    assert_eq!(j[0].fault, Some(Fault::DropBeforeRead));
    assert_eq!(s.requests_to(Route::CloneTask), 3);
}

/// The documentation's get answer as mock `m` serves it (its `href` at the mock).
fn doc_get(m: &sbg_tasks_mock::MockControl) -> Vec<u8> {
    examples::at_base(examples::GET_TASK, m.base_url())
}

#[tokio::test]
async fn truncated_delayed_and_malformed_bodies() {
    let s = server().await;
    let a = s.addr();
    s.inject(Fault::TruncatedBody, Scope::Next(1));
    let r = try_send(a, "GET", &task_path(), Auth::X(TOKEN), None).await;
    assert!(matches!(r, Err(Failure::Body(200, _))), "{r:?}");
    assert_eq!(get(a, &task_path()).await.body[..], doc_get(&s));

    s.inject(Fault::Delay(Duration::from_millis(150)), Scope::Next(1));
    let t0 = Instant::now();
    assert_eq!(get(a, &task_path()).await.status, 200);
    assert!(t0.elapsed() >= Duration::from_millis(150));

    for v in [
        Malformed::SingleQuotes,
        Malformed::MissingComma,
        Malformed::TrailingComma,
        Malformed::Snip,
        Malformed::NotJson,
    ] {
        s.inject(Fault::MalformedBody(v), Scope::RouteNext(Route::GetTask, 1));
        let r = get(a, &task_path()).await;
        assert_eq!(r.status, 200);
        assert!(serde_json::from_slice::<Value>(&r.body).is_err(), "{v:?}");
    }
    s.inject(Fault::MalformedBody(Malformed::Empty), Scope::Next(1));
    let r = get(a, &task_path()).await;
    assert_eq!((r.status, r.body.len()), (200, 0));
    s.inject(
        Fault::MalformedBody(Malformed::DocBatchExample),
        Scope::Next(1),
    );
    assert_eq!(
        get(a, &task_path()).await.body[..],
        examples::at_base(examples::GET_TASK_BATCH_MALFORMED, s.base_url())
    );
    assert_eq!(get(a, &task_path()).await.body[..], doc_get(&s));
}

#[tokio::test]
async fn journal_records_what_was_sent() {
    let s = server().await;
    let a = s.addr();
    let _ = try_send(
        a,
        "GET",
        &format!("{}?fields=id,status", task_path()),
        Auth::Bearer(TOKEN),
        None,
    )
    .await;
    let _ = try_send(
        a,
        "POST",
        "/v2/tasks?action=run",
        Auth::X(TOKEN),
        Some(r#"{"app":"u/p/a/1","project":"u/p"}"#),
    )
    .await;
    let _ = try_send(a, "GET", &task_path(), Auth::None, None).await;
    let j = s.journal();
    assert_eq!(j.len(), 3);
    assert_eq!(j[0].method, http::Method::GET);
    assert_eq!(j[0].path, task_path());
    assert_eq!(j[0].query.as_deref(), Some("fields=id,status"));
    assert_eq!(j[0].auth, AuthScheme::Bearer);
    assert!(j[0].authorized);
    assert_eq!(j[0].route, Route::GetTask);
    assert_eq!(j[0].status, Some(200));
    assert_eq!(j[1].route, Route::CreateTask);
    assert_eq!(j[1].auth, AuthScheme::XSbgAuthToken);
    assert_eq!(j[1].status, Some(201));
    assert_eq!(j[1].body_len, 33);
    assert_eq!(j[2].auth, AuthScheme::None);
    assert!(!j[2].authorized);
    assert_eq!(j[2].status, Some(401));
    assert!(j[0].at <= j[1].at && j[1].at <= j[2].at);
    // The token is not recorded anywhere.
    assert!(!format!("{j:?}").contains(TOKEN));
    assert_eq!(s.request_count(), 3);
    s.clear_journal();
    assert!(s.journal().is_empty());
}

#[tokio::test]
async fn keep_alive_connection_serves_many_requests() {
    let s = server().await;
    let tcp = tokio::net::TcpStream::connect(s.addr())
        .await
        .expect("connect");
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp))
            .await
            .expect("handshake");
    tokio::spawn(conn);
    for _ in 0..20 {
        let req = http::Request::get(task_path())
            .header("x-sbg-auth-token", TOKEN)
            .body(http_body_util::Empty::<bytes::Bytes>::new())
            .expect("request");
        let r = sender.send_request(req).await.expect("send");
        assert_eq!(r.status(), 200);
        let b = http_body_util::BodyExt::collect(r.into_body())
            .await
            .expect("body")
            .to_bytes();
        assert_eq!(b[..], doc_get(&s));
    }
}

#[tokio::test]
async fn tls_with_the_exposed_certificate() {
    let s = MockServer::builder()
        .token(TOKEN)
        .seed_examples(true)
        .tls(true)
        .start()
        .await
        .expect("start");
    assert!(s.base_url().starts_with("https://127.0.0.1:"));
    let pem = s.cert_pem().expect("pem");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let connector = tokio_rustls::TlsConnector::from(tls_client(pem));
    for name in ["localhost", "127.0.0.1"] {
        let tcp = tokio::net::TcpStream::connect(s.addr())
            .await
            .expect("connect");
        let server_name = rustls_pki_types::ServerName::try_from(name.to_owned()).expect("name");
        let tls = connector
            .connect(server_name, tcp)
            .await
            .expect("handshake");
        let r = send_on(tls, "GET", &task_path(), Auth::X(TOKEN), None)
            .await
            .expect("answer");
        assert_eq!(r.body[..], doc_get(&s));
    }
    // A client that does not trust the certificate is refused.
    let other = MockServer::builder()
        .tls(true)
        .start()
        .await
        .expect("start");
    let connector = tokio_rustls::TlsConnector::from(tls_client(other.cert_pem().expect("pem")));
    let tcp = tokio::net::TcpStream::connect(s.addr())
        .await
        .expect("connect");
    let server_name = rustls_pki_types::ServerName::try_from("localhost").expect("name");
    assert!(connector.connect(server_name, tcp).await.is_err());
}

/// A blocking HTTP/1.1 exchange on std's TcpStream.
fn blocking_get(addr: std::net::SocketAddr, path: &str) -> std::io::Result<String> {
    let mut s = std::net::TcpStream::connect(addr)?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nX-SBG-Auth-Token: {TOKEN}\r\nConnection: close\r\n\r\n"
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

#[test]
fn blocking_handle_serves_and_stops_on_drop() {
    let h = MockServer::builder()
        .token(TOKEN)
        .seed_examples(true)
        .start_blocking()
        .expect("start");
    let addr = h.addr();
    let out = blocking_get(addr, &task_path()).expect("get");
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.ends_with(std::str::from_utf8(&doc_get(&h)).expect("utf-8")));
    let control = h.control();
    drop(h);
    // Our server no longer answers (the port may already serve another test's server, so the
    // proof is that our journal does not grow).
    let _ = blocking_get(addr, &task_path());
    assert_eq!(control.journal().len(), 1);
}

#[test]
fn fault_specs_parse() {
    let p = |s: &str| s.parse::<FaultSpec>().expect(s);
    assert_eq!(
        p("503*2"),
        FaultSpec {
            fault: Fault::Maintenance,
            scope: Scope::Next(2)
        }
    );
    assert_eq!(
        p("proxy504@get*1"),
        FaultSpec {
            fault: Fault::ProxyHtml(504),
            scope: Scope::RouteNext(Route::GetTask, 1)
        }
    );
    assert_eq!(
        p("delay:250@POST /v2/tasks/{id}/actions/clone"),
        FaultSpec {
            fault: Fault::Delay(Duration::from_millis(250)),
            scope: Scope::Route(Route::CloneTask)
        }
    );
    assert_eq!(p("drop-after").scope, Scope::Always);
    assert_eq!(
        p("malformed:snip@get").fault,
        Fault::MalformedBody(Malformed::Snip)
    );
    assert_eq!(
        p("error:500:7000*1").fault,
        Fault::Status {
            status: 500,
            code: 7000
        }
    );
    for bad in [
        "",
        "explode",
        "503*x",
        "delay",
        "proxy:5",
        "malformed:weird",
        "503@nowhere",
    ] {
        assert!(bad.parse::<FaultSpec>().is_err(), "{bad}");
    }
}

#[test]
fn cli_args_build_the_server_and_hide_the_token() {
    use clap::Parser;
    let args = MockArgs::try_parse_from([
        "sbg-tasks-mock",
        "--listen",
        "127.0.0.1:0",
        "--token",
        "SECRET-T",
        "--seed-examples",
        "--fault",
        "503*1",
        "--schedule",
        "polls:5",
        "--rate-limit",
        "10/60",
    ])
    .expect("args");
    assert!(!format!("{args:?}").contains("SECRET-T"));
    let cfg = format!("{:?}", args.builder().config());
    assert!(!cfg.contains("SECRET-T"));
    assert!(cfg.contains("Polls(5)"));
    assert!(MockArgs::try_parse_from(["x", "--schedule", "soon"]).is_err());
    assert!(MockArgs::try_parse_from(["x", "--rate-limit", "lots"]).is_err());
    assert!(MockArgs::try_parse_from(["x", "--fault", "boom"]).is_err());
}

#[tokio::test]
async fn cli_serve_until_prints_the_url_and_writes_the_cert() {
    use clap::Parser;
    let dir = std::env::temp_dir().join(format!("sbg-mock-cert-{}", std::process::id()));
    let cert = dir.with_extension("pem");
    let args = MockArgs::try_parse_from([
        "sbg-tasks-mock",
        "--listen",
        "127.0.0.1:0",
        "--token",
        TOKEN,
        "--tls-cert-out",
        cert.to_str().expect("path"),
    ])
    .expect("args");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (out_tx, mut out_rx) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
    struct Out(tokio::sync::mpsc::UnboundedSender<Vec<u8>>);
    impl Write for Out {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            let _ = self.0.send(b.to_vec());
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let task = tokio::spawn(async move {
        sbg_tasks_mock::cli::serve_until(&args, Out(out_tx), async {
            let _ = rx.await;
        })
        .await
    });
    let mut line = Vec::new();
    while !line.ends_with(b"\n") {
        line.extend(out_rx.recv().await.expect("output"));
    }
    let url = String::from_utf8(line).expect("utf-8");
    assert!(
        url.starts_with("https://127.0.0.1:") && url.trim_end().ends_with("/v2"),
        "{url}"
    );
    let pem = std::fs::read_to_string(&cert).expect("cert written");
    assert!(pem.contains("BEGIN CERTIFICATE"));
    let _ = std::fs::remove_file(&cert);
    tx.send(()).expect("stop");
    task.await.expect("join").expect("serve");
}

#[test]
fn binary_prints_the_url_serves_and_stops_on_ctrl_c() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sbg-tasks-mock"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--token",
            TOKEN,
            "--seed-examples",
            "--fault",
            "503@get*1",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("first line");
    let url = line.trim();
    let addr: std::net::SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches("/v2")
        .parse()
        .expect("address in URL");
    let first = blocking_get(addr, &task_path()).expect("get");
    assert!(first.starts_with("HTTP/1.1 503"), "{first}");
    let second = blocking_get(addr, &task_path()).expect("get");
    assert!(second.starts_with("HTTP/1.1 200"), "{second}");
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let code = child.wait().expect("wait");
    assert!(code.success(), "{code:?}");
}
