//! [`UreqTransport`]: a blocking transport on a ureq 3 `Agent`.

use std::sync::Arc;

use sbg_tasks_proto::http::{Request, Response};
use sbg_tasks_proto::transport::{announces_more_than, HttpTransport, TransportOptions};
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig, TlsProvider};
use ureq::unversioned::transport::DefaultConnector;

use crate::error::{BuildError, UreqError};
use crate::resolver::InlineResolver;

/// A blocking transport on a ureq `Agent`: keep-alive connection pool, rustls (ring), web PKI
/// roots (or the roots you give), timeouts, a body cap, no redirects, https only unless told.
/// Host names are resolved by an [`InlineResolver`]: no thread per call, no lookup for an IP
/// literal.
///
/// Cloning is cheap and shares the pool.
#[derive(Clone)]
pub struct UreqTransport {
    agent: ureq::Agent,
    max_body: u64,
}

impl std::fmt::Debug for UreqTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UreqTransport")
            .field("max_body", &self.max_body)
            .finish_non_exhaustive()
    }
}

impl Default for UreqTransport {
    fn default() -> Self {
        Self::builder().build()
    }
}

impl UreqTransport {
    /// A transport with the defaults (see [`UreqTransportBuilder`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder with the defaults.
    pub fn builder() -> UreqTransportBuilder {
        UreqTransportBuilder::default()
    }

    /// The body cap in bytes.
    pub fn max_body_size(&self) -> u64 {
        self.max_body
    }
}

impl HttpTransport for UreqTransport {
    type Error = UreqError;

    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, UreqError> {
        let limit = self.max_body;
        let response = self
            .agent
            .run(request)
            .map_err(|e| UreqError::from_ureq(e, limit, false))?;
        let (parts, mut body) = response.into_parts();
        if announces_more_than(&parts.headers, limit) {
            return Err(UreqError::body_too_large(limit));
        }
        let bytes = body
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| UreqError::from_ureq(e, limit, true))?;
        Ok(Response::from_parts(parts, bytes))
    }
}

/// Settings of a [`UreqTransport`]: the [`TransportOptions`] every transport has, and the
/// proxy.
///
/// Defaults: connect timeout 10 s (DNS, TCP and TLS), per-call timeout 60 s (the whole
/// exchange, body included), body cap [`DEFAULT_MAX_BODY_SIZE`](crate::DEFAULT_MAX_BODY_SIZE),
/// the web PKI roots, https only, the proxy from the environment.
#[derive(Clone)]
pub struct UreqTransportBuilder {
    options: TransportOptions,
    /// Parsed from `options.root_certificates_pem`.
    roots: Option<Arc<Vec<Certificate<'static>>>>,
    proxy_from_env: bool,
}

impl Default for UreqTransportBuilder {
    fn default() -> Self {
        Self {
            options: TransportOptions::default(),
            roots: None,
            proxy_from_env: true,
        }
    }
}

impl std::fmt::Debug for UreqTransportBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UreqTransportBuilder")
            .field("options", &self.options)
            .field("custom_roots", &self.roots.as_ref().map(|r| r.len()))
            .field("proxy_from_env", &self.proxy_from_env)
            .finish()
    }
}

/// The certificates in `pem`: at least one.
fn parse_roots(pem: &[u8]) -> Result<Arc<Vec<Certificate<'static>>>, BuildError> {
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(pem) {
        if let PemItem::Certificate(c) = item.map_err(|e| BuildError::Pem(e.to_string()))? {
            certs.push(c);
        }
    }
    if certs.is_empty() {
        return Err(BuildError::NoCertificate);
    }
    Ok(Arc::new(certs))
}

impl UreqTransportBuilder {
    sbg_tasks_proto::transport_builder_common!(error = BuildError, parse = parse_roots);

    /// Whether to use the proxy named by the environment (`HTTPS_PROXY`, `ALL_PROXY`, ...,
    /// honouring `NO_PROXY`), as ureq reads it. On by default.
    pub fn proxy_from_env(mut self, yes: bool) -> Self {
        self.proxy_from_env = yes;
        self
    }

    /// Builds the transport.
    pub fn build(self) -> UreqTransport {
        let roots = match self.roots {
            Some(certs) => RootCerts::Specific(certs),
            None => RootCerts::WebPki,
        };
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(roots)
            .build();
        let options = self.options;
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .save_redirect_history(false)
            .https_only(!options.allow_http)
            .tls_config(tls)
            .timeout_connect(options.connect_timeout)
            .timeout_global(options.timeout);
        if !self.proxy_from_env {
            config = config.proxy(None);
        }
        // Our resolver: ureq's default one starts a thread per call once a timeout is set.
        let agent = ureq::Agent::with_parts(
            config.build(),
            DefaultConnector::new(),
            InlineResolver::new(),
        );
        UreqTransport {
            agent,
            max_body: options.max_body_size,
        }
    }
}
