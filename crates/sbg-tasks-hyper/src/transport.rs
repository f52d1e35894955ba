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
use sbg_tasks_proto::transport::{announces_more_than, AsyncHttpTransport, TransportOptions};

use crate::error::{BuildError, HyperError};
use crate::proxy::{ProxyChoice, ProxyConnector};

type Pool = Client<HttpsConnector<ProxyConnector>, Full<Bytes>>;

/// An async transport on hyper-util's pooled client: HTTP/1.1 keep-alive and HTTP/2 (ALPN),
/// rustls (ring), web PKI roots (or the roots you give), timeouts, a body cap, no redirects,
/// https only unless told, the proxy from the environment (or the one you give).
///
/// Cloning is cheap: every clone shares one connection pool.
#[derive(Clone)]
pub struct HyperTransport {
    pool: Pool,
    timeout: Option<Duration>,
    max_body: u64,
    allow_http: bool,
}

impl std::fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperTransport")
            .field("timeout", &self.timeout)
            .field("max_body", &self.max_body)
            .field("allow_http", &self.allow_http)
            .finish_non_exhaustive()
    }
}

impl HyperTransport {
    /// A transport with the defaults (see [`HyperTransportBuilder`]).
    pub fn new() -> Result<Self, BuildError> {
        Self::builder().build()
    }

    /// A builder with the defaults.
    pub fn builder() -> HyperTransportBuilder {
        HyperTransportBuilder::default()
    }

    /// The body cap in bytes.
    pub fn max_body_size(&self) -> u64 {
        self.max_body
    }

    async fn exchange(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, HyperError> {
        let request = request.map(|b| Full::new(Bytes::from(b)));
        let response = self
            .pool
            .request(request)
            .await
            .map_err(HyperError::from_client)?;
        let (parts, body) = response.into_parts();
        let limit = self.max_body;
        if announces_more_than(&parts.headers, limit) {
            return Err(HyperError::body_too_large(limit));
        }
        let cap = usize::try_from(limit).unwrap_or(usize::MAX);
        let bytes = Limited::new(body, cap)
            .collect()
            .await
            .map_err(|e| HyperError::from_body(e, limit))?
            .to_bytes();
        Ok(Response::from_parts(parts, Vec::from(bytes)))
    }
}

impl AsyncHttpTransport for HyperTransport {
    type Error = HyperError;

    async fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, HyperError> {
        if let Some(scheme) = request.uri().scheme_str() {
            if !scheme.eq_ignore_ascii_case("https") && !self.allow_http {
                return Err(HyperError::insecure(scheme));
            }
        }
        match self.timeout {
            Some(t) => tokio::time::timeout(t, self.exchange(request))
                .await
                .unwrap_or_else(|_| Err(HyperError::timeout(t))),
            None => self.exchange(request).await,
        }
    }
}

/// Settings of a [`HyperTransport`]: the [`TransportOptions`] every transport has, HTTP/2 and
/// the pool's idle timeout.
///
/// Defaults: connect timeout 10 s (opening the TCP connection), per-call timeout 60 s (the
/// whole exchange, body included), body cap [`DEFAULT_MAX_BODY_SIZE`](crate::DEFAULT_MAX_BODY_SIZE),
/// the web PKI roots, https only, HTTP/1.1 and HTTP/2, idle pooled connections closed after
/// 90 s, the proxy named by the environment.
#[derive(Clone)]
pub struct HyperTransportBuilder {
    options: TransportOptions,
    /// Parsed from `options.root_certificates_pem`.
    roots: Option<Vec<CertificateDer<'static>>>,
    http2: bool,
    pool_idle_timeout: Duration,
    proxy: ProxyChoice,
}

impl Default for HyperTransportBuilder {
    fn default() -> Self {
        Self {
            options: TransportOptions::default(),
            roots: None,
            http2: true,
            pool_idle_timeout: Duration::from_secs(90),
            proxy: ProxyChoice::default(),
        }
    }
}

impl std::fmt::Debug for HyperTransportBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperTransportBuilder")
            .field("options", &self.options)
            .field("custom_roots", &self.roots.as_ref().map(Vec::len))
            .field("http2", &self.http2)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("proxy", &self.proxy)
            .finish()
    }
}

/// The certificates in `pem`: at least one.
fn parse_roots(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, BuildError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| BuildError::Pem(e.to_string()))?;
    if certs.is_empty() {
        return Err(BuildError::NoCertificate);
    }
    Ok(certs)
}

impl HyperTransportBuilder {
    sbg_tasks_proto::transport_builder_common!(error = BuildError, parse = parse_roots);

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

    /// Whether to use the proxy the environment names, by curl's rules: `HTTPS_PROXY` (for
    /// https), `HTTP_PROXY` (for http), `ALL_PROXY`, `NO_PROXY` (upper or lower case), read
    /// when the transport is built. On by default, as in `sbg-tasks-ureq`; `false` connects
    /// straight to the server (and drops a proxy set with [`proxy`](Self::proxy)).
    ///
    /// Connections go through the proxy as CONNECT tunnels with TLS inside, end to end with
    /// the server: the proxy sees the host and port, never a request or the token. Only
    /// `http://` proxies are supported; a destination the rules send to another kind of
    /// proxy fails to connect with an error that says so.
    pub fn proxy_from_env(mut self, yes: bool) -> Self {
        self.proxy = if yes {
            ProxyChoice::FromEnv
        } else {
            ProxyChoice::Off
        };
        self
    }

    /// Sends every connection through this proxy (`http://[user:password@]host:port`,
    /// the credentials sent as `Proxy-Authorization: Basic` on the CONNECT request), whatever
    /// the environment says. Checked by [`build`](Self::build); never shown by `Debug`.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = ProxyChoice::Url(url.into());
        self
    }

    /// Builds the transport. No runtime is needed to build it; sending needs tokio.
    pub fn build(self) -> Result<HyperTransport, BuildError> {
        let mut roots = RootCertStore::empty();
        match self.roots {
            Some(certs) => {
                let (added, _ignored) = roots.add_parsable_certificates(certs);
                if added == 0 {
                    return Err(BuildError::NoCertificate);
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
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
        let tcp = ProxyConnector::new(http, self.proxy.matcher()?);
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
        })
    }
}
