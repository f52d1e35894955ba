//! Everything a request needs besides the call itself: where, who, and how to present.

use crate::{AuthToken, BaseUrl};

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

/// Connection settings shared by every call: base URL, token, auth header, user agent.
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
        }
    }

    /// Sends the token with `scheme` instead.
    pub fn with_auth_scheme(mut self, scheme: AuthScheme) -> Self {
        self.auth_scheme = scheme;
        self.auth = make_auth_header(scheme, &self.token);
        self
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
        Ok(self)
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
            .finish()
    }
}
