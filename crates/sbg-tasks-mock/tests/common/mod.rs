//! A minimal HTTP/1.1 client on hyper's connection API (no project client), plain or TLS.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

pub const TOKEN: &str = "T0KEN";

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap_or_default().to_owned())
    }

    pub fn header_u64(&self, name: &str) -> u64 {
        self.header(name)
            .unwrap_or_else(|| panic!("no header {name}"))
            .parse()
            .unwrap_or_else(|_| panic!("header {name} is not a number"))
    }

    /// Assert a platform error body: `{status, code, message, more_info}` with `status` equal to
    /// the HTTP status.
    pub fn assert_error(&self, status: u16, code: u64) -> Value {
        assert_eq!(
            self.status,
            status,
            "body: {:?}",
            String::from_utf8_lossy(&self.body)
        );
        let v = self.json();
        assert_eq!(v["status"], status, "{v}");
        assert_eq!(v["code"], code, "{v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
        assert!(
            v["more_info"]
                .as_str()
                .is_some_and(|m| m.starts_with("https://")),
            "{v}"
        );
        assert_eq!(v.as_object().map(|o| o.len()), Some(4), "{v}");
        v
    }
}

/// Where a request failed.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// Connection, sending, or reading the head failed (e.g. dropped before an answer).
    Head(String),
    /// The head came but the body was cut short.
    Body(u16, String),
}

pub enum Auth<'a> {
    None,
    X(&'a str),
    Bearer(&'a str),
    Raw(&'a str),
}

pub async fn send_on<S>(
    io: S,
    method: &str,
    path: &str,
    auth: Auth<'_>,
    body: Option<&str>,
) -> Result<Resp, Failure>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| Failure::Head(e.to_string()))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost");
    req = match auth {
        Auth::None => req,
        Auth::X(t) => req.header("x-sbg-auth-token", t),
        Auth::Bearer(t) => req.header("authorization", format!("Bearer {t}")),
        Auth::Raw(v) => req.header("authorization", v),
    };
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let req = req
        .body(Full::new(Bytes::from(body.unwrap_or_default().to_owned())))
        .map_err(|e| Failure::Head(e.to_string()))?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| Failure::Head(e.to_string()))?;
    let (parts, body) = resp.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| Failure::Body(parts.status.as_u16(), e.to_string()))?
        .to_bytes();
    Ok(Resp {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
    })
}

/// One request on a new connection.
pub async fn try_send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    auth: Auth<'_>,
    body: Option<&str>,
) -> Result<Resp, Failure> {
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| Failure::Head(e.to_string()))?;
    send_on(tcp, method, path, auth, body).await
}

/// One authorized request (X-SBG-Auth-Token: TOKEN); panics on a transport failure.
pub async fn send(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> Resp {
    try_send(addr, method, path, Auth::X(TOKEN), body)
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e:?}"))
}

pub async fn get(addr: SocketAddr, path: &str) -> Resp {
    send(addr, "GET", path, None).await
}

pub async fn post(addr: SocketAddr, path: &str) -> Resp {
    send(addr, "POST", path, None).await
}

/// A TLS client config trusting only `pem` (ring provider).
pub fn tls_client(pem: &str) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    let mut reader = std::io::Cursor::new(pem.as_bytes());
    use rustls_pki_types::pem::PemObject;
    for cert in rustls_pki_types::CertificateDer::pem_reader_iter(&mut reader) {
        roots.add(cert.expect("PEM")).expect("add root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(cfg)
}
