//! Compressed answers through the ureq transport, against a one-answer loopback server: the
//! request asks for gzip (unless told not to), gzip answers come out plain and exact, the body
//! cap holds on the decoded size, and corrupt or unknown encodings are typed failures. Then
//! the same against the mock platform, which compresses when asked and has a gzip bomb.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use sbg_tasks_mock::{Fault, MockBuilder, Route, Scope};
use sbg_tasks_testkit::faults::get_example;
use sbg_tasks_testkit::gzip::{bulk_json, gzip, options, serve_once};
use sbg_tasks_testkit::{fast_settings, mock_builder, transport_options, TOKEN};
use sbg_tasks_ureq::http::{header, Request, Response};
use sbg_tasks_ureq::proto::transport::{
    HttpTransport, TransportErrorKind, TransportFailure, TransportOptions,
};
use sbg_tasks_ureq::{client_with, GetTask, UreqTransport};

fn get(
    options: TransportOptions,
    headers: &str,
    body: Vec<u8>,
) -> (Result<Response<Vec<u8>>, TransportFailure>, String) {
    let (base, server) = serve_once(headers, body);
    let transport = UreqTransport::new(options).unwrap();
    let request = Request::get(format!("{base}/v2/tasks/x"))
        .body(Vec::new())
        .unwrap();
    let answer = transport.send(request);
    (answer, server.join().unwrap())
}

#[test]
fn the_request_asks_for_gzip_and_the_answer_decodes_to_the_exact_bytes() {
    let plain = bulk_json();
    let compressed = gzip(&plain);
    assert!(compressed.len() * 5 < plain.len());
    for name in ["gzip", "x-gzip"] {
        let (answer, head) = get(
            options(1 << 20),
            &format!("Content-Encoding: {name}\r\n"),
            compressed.clone(),
        );
        assert!(head.contains("\r\naccept-encoding: gzip\r\n"), "{head}");
        let answer = answer.unwrap();
        assert!(answer.body() == &plain, "{name}");
        assert!(answer.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(
            answer.headers()[header::CONTENT_LENGTH],
            plain.len().to_string().as_str()
        );
    }
}

#[test]
fn plain_and_identity_answers_pass_as_they_are() {
    for headers in ["", "Content-Encoding: identity\r\n"] {
        let (answer, _) = get(options(1 << 20), headers, b"{\"items\": []}".to_vec());
        assert_eq!(answer.unwrap().body(), b"{\"items\": []}");
    }
}

#[test]
fn a_client_reads_a_gzip_answer_as_plain_json() {
    let task =
        br#"{"id": "08c5ce64-1551-4b7d-b054-63a1517bc7bb", "name": "gz", "status": "COMPLETED"}"#;
    let (base, server) = serve_once("Content-Encoding: gzip\r\n", gzip(task));
    let client = client_with(
        fast_settings(&format!("{base}/v2")),
        options(1 << 20).accept_gzip(true),
    )
    .unwrap();
    let got = client
        .get(&GetTask::new(
            "08c5ce64-1551-4b7d-b054-63a1517bc7bb".parse().unwrap(),
        ))
        .unwrap();
    assert_eq!(got.value.name.as_deref(), Some("gz"));
    assert!(server
        .join()
        .unwrap()
        .contains("\r\naccept-encoding: gzip\r\n"));
}

#[test]
fn a_gzip_bomb_is_refused_as_body_too_large() {
    // 50 MiB of zeros in about 50 KB, under a 1 MiB cap: the compressed body fits, the
    // decoded one does not, and decoding stops at the cap.
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..50 {
        gz.write_all(&zeros).unwrap();
    }
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 100 * 1024, "{}", bomb.len());
    let (answer, _) = get(options(1 << 20), "Content-Encoding: gzip\r\n", bomb);
    let e = answer.unwrap_err();
    assert_eq!(e.kind(), TransportErrorKind::BodyTooLarge, "{e}");
    assert!(e.request_sent());
}

#[test]
fn a_compressed_body_over_the_cap_is_refused_before_decoding() {
    let noise: Vec<u8> = (0..20_000u32)
        .flat_map(|i| i.wrapping_mul(2_654_435_761).to_le_bytes())
        .collect();
    let compressed = gzip(&noise);
    assert!(compressed.len() > 50_000);
    let (answer, _) = get(options(50_000), "Content-Encoding: gzip\r\n", compressed);
    assert_eq!(answer.unwrap_err().kind(), TransportErrorKind::BodyTooLarge);
}

#[test]
fn a_corrupt_gzip_answer_is_an_io_failure() {
    let mut broken = gzip(&bulk_json());
    let middle = broken.len() / 2;
    broken[middle] ^= 0xff;
    let (answer, _) = get(options(1 << 20), "Content-Encoding: gzip\r\n", broken);
    let e = answer.unwrap_err();
    assert_eq!(e.kind(), TransportErrorKind::Io, "{e}");
    assert!(e.request_sent());
    assert!(e.to_string().contains("gzip"), "{e}");
}

#[test]
fn an_unknown_encoding_is_a_typed_failure_naming_it() {
    let (answer, _) = get(
        options(1 << 20),
        "Content-Encoding: br\r\n",
        b"\x1b\x03\x00".to_vec(),
    );
    let e = answer.unwrap_err();
    assert_eq!(e.kind(), TransportErrorKind::Other, "{e}");
    assert!(e.message().contains("`br`"), "{e}");
}

#[test]
fn accept_gzip_off_sends_no_accept_encoding_but_still_decodes() {
    let (answer, head) = get(
        options(1 << 20).accept_gzip(false),
        "Content-Encoding: gzip\r\n",
        gzip(b"{}"),
    );
    assert!(!head.contains("accept-encoding"), "{head}");
    assert_eq!(answer.unwrap().body(), b"{}");
}

#[test]
fn the_mock_answers_in_gzip_when_asked_and_its_bomb_is_refused() {
    let m = mock_builder(MockBuilder::new().seed_examples(true))
        .start_blocking()
        .expect("mock starts");
    let gzipped = || m.token_stats(TOKEN).map_or(0, |s| s.gzip_answers);
    let options = transport_options(&m).max_body_size(1 << 20);
    let c = client_with(fast_settings(m.base_url()), options.clone()).unwrap();
    let task = c.get(&get_example()).unwrap().value;
    assert_eq!(gzipped(), 1);
    let plain = client_with(fast_settings(m.base_url()), options.accept_gzip(false)).unwrap();
    assert_eq!(plain.get(&get_example()).unwrap().value, task);
    assert_eq!(gzipped(), 1, "not asked, not compressed");
    m.inject(
        Fault::GzipBomb { inflated: 4 << 20 },
        Scope::RouteNext(Route::GetTask, 1),
    );
    let e = c.get(&get_example()).unwrap_err();
    assert_eq!(
        e.transport_kind(),
        Some(TransportErrorKind::BodyTooLarge),
        "{e}"
    );
    assert_eq!(m.requests_to(Route::GetTask), 3, "not retried");
}
