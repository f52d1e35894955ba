//! Everything a request needs besides the call itself: where, who, and how to present.

use crate::platform::BaseUrl;
use crate::token::AuthToken;

/// The header that carries the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AuthScheme {
    /// `X-SBG-Auth-Token: <token>` — the platform's documented header (the default).
    #[default]
    XSbgAuthToken,
    /// `Authorization: Bearer <token>` — also accepted by the platform (OAuth tokens).
    Bearer,
}

/// The `User-Agent` this crate sends unless told otherwise: `sbg-tasks/<version>`.
pub const DEFAULT_USER_AGENT: &str = concat!("sbg-tasks/", env!("CARGO_PKG_VERSION"));

/// What every request says: base URL, token, auth header, user agent, extra headers.
///
/// The first of three configuration layers, with [`Settings`](crate::Settings) (how a client
/// retries, waits, decodes, spends its budget) and
/// [`TransportOptions`](crate::transport::TransportOptions) (how a transport moves the bytes):
/// see [the crate docs](crate#configuration-config-settings-transportoptions).
///
/// `Debug` never shows the token.
#[derive(Clone)]
pub struct Config {
    base_url: BaseUrl,
    token: AuthToken,
    auth_scheme: AuthScheme,
    user_agent: http::HeaderValue,
    host: http::HeaderValue,
    auth: (http::HeaderName, http::HeaderValue),
    scheme: http::uri::Scheme,
    authority: http::uri::Authority,
    /// `Host`, auth, `Accept` and `User-Agent`, ready to be cloned into each request.
    headers: http::HeaderMap,
    /// The same and `Content-Length: 0`, for the calls that send an empty body (run, rerun,
    /// abort): cloning it is cheaper than growing a clone of `headers`.
    headers_empty_body: http::HeaderMap,
    /// Headers the caller added ([`Config::with_header`], [`Config::with_advance_access`]).
    extra: Vec<(http::HeaderName, http::HeaderValue)>,
}

/// The header that opts a call into features in advance access.
pub const ADVANCE_ACCESS_HEADER: &str = "x-sbg-advance-access";

/// Why a header cannot be added to every request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// The header is one this crate sets itself (the auth headers, `Host`, `Accept`,
    /// `User-Agent`, `Content-*`, or one a transport owns): it can never be replaced.
    #[error("the {name} header is set by sbg-tasks itself and cannot be replaced")]
    Reserved {
        /// The header's name, lower case.
        name: String,
    },
    /// Not a valid header name.
    #[error("{0:?} is not a valid header name")]
    InvalidName(String),
    /// Not a valid header value (the value itself is not repeated: it may be a secret).
    #[error("the value given for the {name} header is not a valid header value")]
    InvalidValue {
        /// The header's name.
        name: String,
    },
}

/// Header names only this crate or the transport may set.
const RESERVED: &[&str] = &[
    "host",
    "authorization",
    "proxy-authorization",
    "x-sbg-auth-token",
    "accept",
    "accept-encoding",
    "user-agent",
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "expect",
    "cookie",
];

fn is_reserved(name: &http::HeaderName) -> bool {
    let n = name.as_str();
    RESERVED.contains(&n) || n.starts_with("content-") || n.starts_with("proxy-")
}

impl Config {
    /// Settings for `base_url` with `token`, sent as `X-SBG-Auth-Token`.
    pub fn new(base_url: impl Into<BaseUrl>, token: AuthToken) -> Self {
        let base_url = base_url.into();
        let host = http::HeaderValue::from_str(base_url.authority())
            .unwrap_or_else(|_| http::HeaderValue::from_static("invalid"));
        let auth = make_auth_header(AuthScheme::default(), &token);
        let scheme = if base_url.is_http() {
            http::uri::Scheme::HTTP
        } else {
            http::uri::Scheme::HTTPS
        };
        // A BaseUrl's authority was parsed by `http` when it was validated.
        let authority = http::uri::Authority::try_from(base_url.authority())
            .unwrap_or_else(|_| http::uri::Authority::from_static("invalid.invalid"));
        Self {
            base_url,
            token,
            auth_scheme: AuthScheme::default(),
            user_agent: http::HeaderValue::from_static(DEFAULT_USER_AGENT),
            host,
            auth,
            scheme,
            authority,
            headers: http::HeaderMap::new(),
            headers_empty_body: http::HeaderMap::new(),
            extra: Vec::new(),
        }
        .with_headers()
    }

    /// Fills the headers every request starts with from the fields (after any change to them).
    fn with_headers(mut self) -> Self {
        let mut h = http::HeaderMap::with_capacity(4);
        h.insert(http::header::HOST, self.host.clone());
        h.insert(self.auth.0.clone(), self.auth.1.clone());
        h.insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static("application/json"),
        );
        h.insert(http::header::USER_AGENT, self.user_agent.clone());
        for (name, value) in &self.extra {
            h.append(name.clone(), value.clone());
        }
        let mut with_len = h.clone();
        with_len.insert(
            http::header::CONTENT_LENGTH,
            http::HeaderValue::from_static("0"),
        );
        self.headers = h;
        self.headers_empty_body = with_len;
        self
    }

    /// The headers every request carries: `Host`, the auth header (marked sensitive),
    /// `Accept: application/json`, `User-Agent`, and any added with [`Config::with_header`]
    /// or [`Config::with_advance_access`].
    pub fn headers(&self) -> &http::HeaderMap {
        &self.headers
    }

    /// [`Config::headers`] and `Content-Length: 0`, for a request with a method that has a
    /// body (POST) and an empty one.
    pub(crate) fn headers_empty_body(&self) -> &http::HeaderMap {
        &self.headers_empty_body
    }

    /// Adds a header to every request (e.g. a tracing id for a proxy of your own). The
    /// headers this crate or a transport set — the auth headers, `Host`, `Accept`,
    /// `User-Agent`, `Content-*`, `Transfer-Encoding`, `Connection`, `Proxy-*`, … — can never
    /// be replaced: [`HeaderError::Reserved`]. Added twice, a header is sent twice.
    ///
    /// ```
    /// use sbg_tasks_proto::config::HeaderError;
    /// use sbg_tasks_proto::{AuthToken, Config, Platform};
    /// let config = Config::new(Platform::Cgc, AuthToken::new("token")?)
    ///     .with_header("X-Request-Origin", "nightly-pipeline")?;
    /// assert_eq!(config.headers()["x-request-origin"], "nightly-pipeline");
    /// let refused = config.with_header("X-SBG-Auth-Token", "someone-elses");
    /// assert!(matches!(refused, Err(HeaderError::Reserved { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_header(mut self, name: &str, value: &str) -> Result<Self, HeaderError> {
        let name = http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| HeaderError::InvalidName(name.to_owned()))?;
        if is_reserved(&name) {
            return Err(HeaderError::Reserved {
                name: name.as_str().to_owned(),
            });
        }
        let value = http::HeaderValue::from_str(value).map_err(|_| HeaderError::InvalidValue {
            name: name.as_str().to_owned(),
        })?;
        self.extra.push((name, value));
        Ok(self.with_headers())
    }

    /// Opts every call into features in advance access (`X-Sbg-Advance-Access: Advance`), as
    /// the official clients' setting does; `false` takes it out again.
    pub fn with_advance_access(mut self, on: bool) -> Self {
        let name = http::HeaderName::from_static(ADVANCE_ACCESS_HEADER);
        self.extra.retain(|(n, _)| *n != name);
        if on {
            self.extra
                .push((name, http::HeaderValue::from_static("Advance")));
        }
        self.with_headers()
    }

    /// Whether calls opt into advance access.
    pub fn advance_access(&self) -> bool {
        self.extra
            .iter()
            .any(|(n, _)| n.as_str() == ADVANCE_ACCESS_HEADER)
    }

    /// Sends the token with `scheme` instead.
    pub fn with_auth_scheme(mut self, scheme: AuthScheme) -> Self {
        self.auth_scheme = scheme;
        self.auth = make_auth_header(scheme, &self.token);
        self.with_headers()
    }

    /// The base URL's scheme, parsed once.
    pub fn scheme(&self) -> &http::uri::Scheme {
        &self.scheme
    }

    /// The base URL's authority (`host[:port]`), parsed once.
    pub fn authority(&self) -> &http::uri::Authority {
        &self.authority
    }

    /// The `Host` header value (the base URL's authority).
    pub fn host_header(&self) -> &http::HeaderValue {
        &self.host
    }

    /// Prepends `product` (e.g. `my-runtime/1.2`) to the default user agent. Fails on bytes
    /// that cannot be in a header.
    pub fn with_user_agent_prefix(
        mut self,
        product: &str,
    ) -> Result<Self, http::header::InvalidHeaderValue> {
        self.user_agent = http::HeaderValue::from_str(&format!("{product} {DEFAULT_USER_AGENT}"))?;
        Ok(self.with_headers())
    }

    /// The base URL.
    pub fn base_url(&self) -> &BaseUrl {
        &self.base_url
    }

    /// The token.
    pub fn token(&self) -> &AuthToken {
        &self.token
    }

    /// How the token is sent.
    pub fn auth_scheme(&self) -> AuthScheme {
        self.auth_scheme
    }

    /// The `User-Agent` value.
    pub fn user_agent(&self) -> &http::HeaderValue {
        &self.user_agent
    }

    /// The auth header for this config, marked sensitive so that `http`'s own `Debug` and
    /// well-behaved middlewares hide it.
    pub fn auth_header(&self) -> (http::HeaderName, http::HeaderValue) {
        self.auth.clone()
    }
}

fn make_auth_header(
    scheme: AuthScheme,
    token: &AuthToken,
) -> (http::HeaderName, http::HeaderValue) {
    let (name, value) = match scheme {
        AuthScheme::XSbgAuthToken => (
            http::HeaderName::from_static("x-sbg-auth-token"),
            http::HeaderValue::from_str(token.expose_secret()),
        ),
        AuthScheme::Bearer => (
            http::header::AUTHORIZATION,
            http::HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())),
        ),
    };
    // AuthToken only holds visible ASCII, which is always a valid header value.
    let mut value = value.unwrap_or_else(|_| http::HeaderValue::from_static(""));
    value.set_sensitive(true);
    (name, value)
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("base_url", &self.base_url.to_string())
            .field("token", &self.token)
            .field("auth_scheme", &self.auth_scheme)
            .field("user_agent", &self.user_agent)
            .field(
                "extra_headers",
                &self
                    .extra
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}
