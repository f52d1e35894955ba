//! What the gzip tests of both transports share: a one-answer loopback server, a gzip
//! encoder, plain-http options with a body cap, and a large compressible body.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread::{self, JoinHandle};

use flate2::write::GzEncoder;
use flate2::Compression;
use sbg_tasks_proto::transport::{Proxy, TransportOptions};

/// A server that answers one request on loopback with `status 200`, the `headers` given
/// (whole lines, each ending in CRLF), a `Content-Length` and `body`, then closes. The thread
/// returns the request's head, lower-cased.
pub fn serve_once(headers: &str, body: Vec<u8>) -> (String, JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let headers = headers.to_owned();
    let handle = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
            head.push(byte[0]);
        }
        let answer = format!(
            "HTTP/1.1 200 OK\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        // The client may stop reading early (a body it refuses): write errors are fine.
        let _ = stream
            .write_all(answer.as_bytes())
            .and_then(|()| stream.write_all(&body));
        String::from_utf8_lossy(&head).to_ascii_lowercase()
    });
    (base, handle)
}

/// `bytes` gzipped at the default level.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// Plain http to loopback, no proxy, the given body cap.
pub fn options(cap: u64) -> TransportOptions {
    TransportOptions::default()
        .allow_http(true)
        .proxy(Proxy::Off)
        .max_body_size(cap)
}

/// A JSON body of about 100 KB that compresses well, as a bulk answer does.
pub fn bulk_json() -> Vec<u8> {
    let items: Vec<String> = (0..400)
        .map(|i| format!(r#"{{"resource": {{"id": "task-{i:04}", "status": "COMPLETED"}}}}"#))
        .collect();
    format!(r#"{{"items": [{}]}}"#, items.join(", ")).into_bytes()
}
