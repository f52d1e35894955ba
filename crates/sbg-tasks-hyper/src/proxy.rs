//! Connecting through an HTTP proxy: a CONNECT tunnel where the proxy rules say so, a direct
//! TCP connection elsewhere. TLS runs on top of either, end to end with the server, so a proxy
//! sees the host and port it is asked to connect to and nothing of the requests (nor the token).

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use sbg_tasks_proto::http::Uri;
use tokio::net::TcpStream;
use tower_service::Service;

use sbg_tasks_proto::transport::{Proxy, TransportBuildError};

type BoxError = Box<dyn StdError + Send + Sync>;

/// The proxy rules for `proxy`, or `None` when no connection goes through a proxy.
pub(crate) fn matcher(proxy: &Proxy) -> Result<Option<Matcher>, TransportBuildError> {
    match proxy {
        Proxy::Off => Ok(None),
        Proxy::FromEnv => Ok(Some(Matcher::from_env())),
        Proxy::Url(url) => {
            let uri: Uri = url.parse().map_err(|_| TransportBuildError::Proxy {
                reason: "the proxy is not a valid URL".into(),
            })?;
            if uri.scheme_str() != Some("http") || uri.host().is_none() {
                return Err(TransportBuildError::Proxy {
                    reason: "only an http:// proxy with a host is supported (CONNECT tunnels)"
                        .into(),
                });
            }
            Ok(Some(Matcher::builder().all(url.clone()).build()))
        }
        _ => Err(TransportBuildError::Proxy {
            reason: "this proxy setting is not supported by the hyper transport".into(),
        }),
    }
}

/// Opens the TCP connection for a request: through the proxy's CONNECT tunnel when the rules
/// intercept the destination, else directly.
#[derive(Clone)]
pub(crate) struct ProxyConnector {
    http: HttpConnector,
    rules: Option<Arc<Matcher>>,
}

impl ProxyConnector {
    pub(crate) fn new(http: HttpConnector, rules: Option<Matcher>) -> Self {
        Self {
            http,
            rules: rules.map(Arc::new),
        }
    }
}

impl Service<Uri> for ProxyConnector {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let intercept = self.rules.as_ref().and_then(|rules| rules.intercept(&dst));
        let Some(intercept) = intercept else {
            let connecting = self.http.call(dst);
            return Box::pin(async move { connecting.await.map_err(Into::into) });
        };
        // The environment may name an https:// or socks proxy: say so rather than speak
        // CONNECT in clear to a port that expects something else.
        if intercept.uri().scheme_str() != Some("http") {
            let scheme = intercept.uri().scheme_str().unwrap_or("").to_owned();
            return Box::pin(async move {
                Err(format!(
                    "the proxy for this destination is {scheme}://; only http:// proxies \
                     (CONNECT tunnels) are supported"
                )
                .into())
            });
        }
        let mut tunnel = Tunnel::new(intercept.uri().clone(), self.http.clone());
        if let Some(auth) = intercept.basic_auth() {
            tunnel = tunnel.with_auth(auth.clone());
        }
        Box::pin(async move {
            std::future::poll_fn(|cx| tunnel.poll_ready(cx)).await?;
            Ok(tunnel.call(dst).await?)
        })
    }
}
