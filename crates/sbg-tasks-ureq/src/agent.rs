//! [`UreqTransport`]: a blocking transport on a ureq 3 `Agent`.

use std::sync::Arc;

use sbg_tasks_proto::http::{Request, Response};
use sbg_tasks_proto::transport::{
    announces_more_than, ask_for_gzip, decode_body, HttpTransport, Proxy, TransportBuildError,
    TransportFailure, TransportOptions,
};
use ureq::config::AutoHeaderValue;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig, TlsProvider};
use ureq::unversioned::transport::DefaultConnector;

use crate::error::from_ureq;
use crate::resolver::InlineResolver;

/// A blocking transport on a ureq `Agent`: keep-alive connection pool, rustls (ring), web PKI
/// roots (or the roots you give), timeouts, a body cap, no redirects, https only unless told,
/// gzip asked for and decoded (by `sbg-tasks-proto`'s [`decode_body`], the cap applying to the
/// decoded size; ureq's own decoder stays off).
/// Host names are resolved by an [`InlineResolver`]: no thread per call, no lookup for an IP
/// literal.
///
/// Cloning is cheap and shares the pool.
#[derive(Clone)]
pub struct UreqTransport {
    agent: ureq::Agent,
    max_body: u64,
    accept_gzip: bool,
}

impl std::fmt::Debug for UreqTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UreqTransport")
            .field("max_body", &self.max_body)
            .field("accept_gzip", &self.accept_gzip)
            .finish_non_exhaustive()
    }
}

impl UreqTransport {
    /// A transport with `options` (see [`UreqTransportBuilder`] for what they cover here).
    pub fn new(options: TransportOptions) -> Result<Self, TransportBuildError> {
        Self::builder().options(options).build()
    }

    /// A builder with the default options.
    pub fn builder() -> UreqTransportBuilder {
        UreqTransportBuilder::default()
    }

    /// The body cap in bytes.
    pub fn max_body_size(&self) -> u64 {
        self.max_body
    }
}

impl HttpTransport for UreqTransport {
    type Error = TransportFailure;

    fn send(&self, mut request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportFailure> {
        let limit = self.max_body;
        if self.accept_gzip {
            ask_for_gzip(request.headers_mut());
        }
        let response = self
            .agent
            .run(request)
            .map_err(|e| from_ureq(e, limit, false))?;
        let (mut parts, mut body) = response.into_parts();
        if announces_more_than(&parts.headers, limit) {
            return Err(TransportFailure::body_too_large(limit));
        }
        let bytes = body
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| from_ureq(e, limit, true))?;
        // ureq passes encoded bodies through (its `gzip` feature is off): decoded here, once.
        let bytes = decode_body(&mut parts.headers, bytes, limit)?;
        Ok(Response::from_parts(parts, bytes))
    }
}

/// Builds a [`UreqTransport`] from the [`TransportOptions`] every transport has.
///
/// What the options mean here: the connect timeout covers DNS, TCP and TLS; the per-call
/// timeout the whole exchange, body included; the proxy is ureq's reading of the environment
/// (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`, …) unless turned off or given (`http://`,
/// `socks5://`, … as ureq supports them); `accept_gzip` sends `Accept-Encoding: gzip` (ureq
/// itself never adds the header), and the body cap applies to the body as received and again
/// once decoded. Defaults: [`TransportOptions::default`].
#[derive(Debug, Clone, Default)]
pub struct UreqTransportBuilder {
    options: TransportOptions,
}

/// The certificates in `pem`: at least one.
fn parse_roots(pem: &[u8]) -> Result<Arc<Vec<Certificate<'static>>>, TransportBuildError> {
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(pem) {
        let item = item.map_err(|e| TransportBuildError::Pem(e.to_string()))?;
        if let PemItem::Certificate(c) = item {
            certs.push(c);
        }
    }
    if certs.is_empty() {
        return Err(TransportBuildError::NoCertificate);
    }
    Ok(Arc::new(certs))
}

impl UreqTransportBuilder {
    /// Replaces the options.
    pub fn options(self, options: TransportOptions) -> Self {
        Self { options }
    }

    /// The options set so far.
    pub fn current_options(&self) -> &TransportOptions {
        &self.options
    }

    /// Builds the transport: reads the root certificates' PEM and the proxy.
    pub fn build(self) -> Result<UreqTransport, TransportBuildError> {
        let options = self.options;
        let roots = match &options.root_certificates_pem {
            Some(pem) => RootCerts::Specific(parse_roots(pem)?),
            None => RootCerts::WebPki,
        };
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(roots)
            .build();
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .save_redirect_history(false)
            // The header is ours to send (`accept_gzip`); with ureq's `gzip` feature on, ureq
            // would otherwise ask for (and decode) what `decode_body` decodes.
            .accept_encoding(AutoHeaderValue::None)
            .https_only(!options.allow_http)
            .tls_config(tls)
            .timeout_connect(options.connect_timeout)
            .timeout_global(options.timeout);
        match &options.proxy {
            Proxy::FromEnv => {}
            Proxy::Off => config = config.proxy(None),
            Proxy::Url(url) => {
                // ureq's message may quote the URL, which may hold a password: not repeated.
                let proxy = ureq::Proxy::new(url).map_err(|_| TransportBuildError::Proxy {
                    reason: "ureq cannot read the proxy URL".to_owned(),
                })?;
                config = config.proxy(Some(proxy));
            }
            _ => {
                return Err(TransportBuildError::Proxy {
                    reason: "this proxy setting is not supported by the ureq transport".to_owned(),
                })
            }
        }
        // Our resolver: ureq's default one starts a thread per call once a timeout is set.
        let agent = ureq::Agent::with_parts(
            config.build(),
            DefaultConnector::new(),
            InlineResolver::new(),
        );
        Ok(UreqTransport {
            agent,
            max_body: options.max_body_size,
            accept_gzip: options.accept_gzip,
        })
    }
}
