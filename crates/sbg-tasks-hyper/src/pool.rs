//! [`HyperTransport`]: an async transport on hyper-util's pooled client.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;
use sbg_tasks_proto::http::{Request, Response};
use sbg_tasks_proto::transport::{
    announces_more_than, ask_for_gzip, decode_body, AsyncHttpTransport, TransportBuildError,
    TransportFailure, TransportOptions,
};

use crate::error::{from_body, from_client, insecure, timeout};
use crate::proxy::{matcher, ProxyConnector};

type Pool = Client<HttpsConnector<ProxyConnector>, Full<Bytes>>;

/// An async transport on hyper-util's pooled client: HTTP/1.1 keep-alive and HTTP/2 (ALPN),
/// rustls (ring), web PKI roots (or the roots you give), timeouts, a body cap, no redirects,
/// https only unless told, the proxy from the environment (or the one you give), gzip asked for
/// and decoded (by `sbg-tasks-proto`'s [`decode_body`], the cap applying to the decoded size).
///
/// Cloning is cheap: every clone shares one connection pool.
#[derive(Clone)]
pub struct HyperTransport {
    pool: Pool,
    timeout: Option<Duration>,
    max_body: u64,
    allow_http: bool,
    accept_gzip: bool,
}

impl std::fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperTransport")
            .field("timeout", &self.timeout)
            .field("max_body", &self.max_body)
            .field("allow_http", &self.allow_http)
            .field("accept_gzip", &self.accept_gzip)
            .finish_non_exhaustive()
    }
}

impl HyperTransport {
    /// A transport with `options` and the defaults of [`HyperTransportBuilder`] otherwise.
    pub fn new(options: TransportOptions) -> Result<Self, TransportBuildError> {
        Self::builder().options(options).build()
    }

    /// A builder with the defaults.
    pub fn builder() -> HyperTransportBuilder {
        HyperTransportBuilder::default()
    }

    /// The body cap in bytes.
    pub fn max_body_size(&self) -> u64 {
        self.max_body
    }

    async fn exchange(
        &self,
        mut request: Request<Vec<u8>>,
    ) -> Result<Response<Vec<u8>>, TransportFailure> {
        if self.accept_gzip {
            ask_for_gzip(request.headers_mut());
        }
        let request = request.map(|b| Full::new(Bytes::from(b)));
        let response = self.pool.request(request).await.map_err(from_client)?;
        let (mut parts, body) = response.into_parts();
        let limit = self.max_body;
        if announces_more_than(&parts.headers, limit) {
            return Err(TransportFailure::body_too_large(limit));
        }
        let cap = usize::try_from(limit).unwrap_or(usize::MAX);
        let bytes = Limited::new(body, cap)
            .collect()
            .await
            .map_err(|e| from_body(e, limit))?
            .to_bytes();
        let bytes = decode_body(&mut parts.headers, Vec::from(bytes), limit)?;
        Ok(Response::from_parts(parts, bytes))
    }
}

impl AsyncHttpTransport for HyperTransport {
    type Error = TransportFailure;

    async fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportFailure> {
        if let Some(scheme) = request.uri().scheme_str() {
            if !scheme.eq_ignore_ascii_case("https") && !self.allow_http {
                return Err(insecure(scheme));
            }
        }
        match self.timeout {
            Some(t) => tokio::time::timeout(t, self.exchange(request))
                .await
                .unwrap_or_else(|_| Err(timeout(t))),
            None => self.exchange(request).await,
        }
    }
}

/// Builds a [`HyperTransport`] from the [`TransportOptions`] every transport has, HTTP/2 and
/// the pool's idle timeout.
///
/// What the options mean here: the connect timeout covers opening the TCP connection; the
/// per-call timeout the whole exchange, body included; the proxy (from the environment by
/// curl's rules — `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY` — none, or one given)
/// is used through CONNECT tunnels with TLS inside, end to end with the server, so the proxy
/// sees the host and port, never a request or the token; only `http://` proxies are
/// supported; `accept_gzip` sends `Accept-Encoding: gzip`, and the body cap applies to the body
/// as received and again once decoded (decoding runs within the per-call timeout). Defaults:
/// [`TransportOptions::default`], HTTP/1.1 and HTTP/2, idle pooled connections closed after
/// 90 s.
#[derive(Debug, Clone)]
pub struct HyperTransportBuilder {
    options: TransportOptions,
    http2: bool,
    pool_idle_timeout: Duration,
}

impl Default for HyperTransportBuilder {
    fn default() -> Self {
        Self {
            options: TransportOptions::default(),
            http2: true,
            pool_idle_timeout: Duration::from_secs(90),
        }
    }
}

/// The certificates in `pem`: at least one.
fn parse_roots(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TransportBuildError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TransportBuildError::Pem(e.to_string()))?;
    if certs.is_empty() {
        return Err(TransportBuildError::NoCertificate);
    }
    Ok(certs)
}

impl HyperTransportBuilder {
    /// Replaces the options.
    pub fn options(self, options: TransportOptions) -> Self {
        Self { options, ..self }
    }

    /// The options set so far.
    pub fn current_options(&self) -> &TransportOptions {
        &self.options
    }

    /// Whether to offer HTTP/2 over TLS (ALPN). On by default.
    pub fn http2(mut self, yes: bool) -> Self {
        self.http2 = yes;
        self
    }

    /// How long an idle pooled connection is kept.
    pub fn pool_idle_timeout(mut self, idle: Duration) -> Self {
        self.pool_idle_timeout = idle;
        self
    }

    /// Builds the transport: reads the root certificates' PEM and the proxy. No runtime is
    /// needed to build it; sending needs tokio.
    pub fn build(self) -> Result<HyperTransport, TransportBuildError> {
        let mut roots = RootCertStore::empty();
        match &self.options.root_certificates_pem {
            Some(pem) => {
                let (added, _ignored) = roots.add_parsable_certificates(parse_roots(pem)?);
                if added == 0 {
                    return Err(TransportBuildError::NoCertificate);
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TransportBuildError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(self.options.connect_timeout);
        let https = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1();
        let tcp = ProxyConnector::new(http, matcher(&self.options.proxy)?);
        let https = if self.http2 {
            https.enable_http2().wrap_connector(tcp)
        } else {
            https.wrap_connector(tcp)
        };
        let pool = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(self.pool_idle_timeout)
            .build(https);
        Ok(HyperTransport {
            pool,
            timeout: self.options.timeout,
            max_body: self.options.max_body_size,
            allow_http: self.options.allow_http,
            accept_gzip: self.options.accept_gzip,
        })
    }
}
