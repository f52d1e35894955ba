//! Which platform to talk to: the named deployments and validated custom base URLs.

use std::fmt;

/// A deployment of the Seven Bridges platform, each with its own API host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Platform {
    /// Seven Bridges, US (the default): `https://api.sbgenomics.com/v2`.
    SevenBridges,
    /// Seven Bridges EU: `https://eu-api.sbgenomics.com/v2`.
    SevenBridgesEu,
    /// Seven Bridges on Google Cloud: `https://gcp-api.sbgenomics.com/v2`.
    SevenBridgesGcp,
    /// Cancer Genomics Cloud: `https://cgc-api.sbgenomics.com/v2`.
    Cgc,
    /// Cavatica: `https://cavatica-api.sbgenomics.com/v2`.
    Cavatica,
    /// BioData Catalyst: `https://api.sb.biodatacatalyst.nhlbi.nih.gov/v2`.
    BioDataCatalyst,
    /// Seven Bridges China: `https://api.sevenbridges.cn/v2`.
    SevenBridgesChina,
}

impl Platform {
    /// Every named platform.
    pub const ALL: [Platform; 7] = [
        Platform::SevenBridges,
        Platform::SevenBridgesEu,
        Platform::SevenBridgesGcp,
        Platform::Cgc,
        Platform::Cavatica,
        Platform::BioDataCatalyst,
        Platform::SevenBridgesChina,
    ];

    /// The platform's API base URL, with the `/v2` prefix.
    pub fn url(self) -> &'static str {
        match self {
            Platform::SevenBridges => "https://api.sbgenomics.com/v2",
            Platform::SevenBridgesEu => "https://eu-api.sbgenomics.com/v2",
            Platform::SevenBridgesGcp => "https://gcp-api.sbgenomics.com/v2",
            Platform::Cgc => "https://cgc-api.sbgenomics.com/v2",
            Platform::Cavatica => "https://cavatica-api.sbgenomics.com/v2",
            Platform::BioDataCatalyst => "https://api.sb.biodatacatalyst.nhlbi.nih.gov/v2",
            Platform::SevenBridgesChina => "https://api.sevenbridges.cn/v2",
        }
    }

    /// The short name used on command lines: `sbg`, `sbg-eu`, `sbg-gcp`, `cgc`, `cavatica`,
    /// `bdc`, `sbg-cn`.
    pub fn name(self) -> &'static str {
        match self {
            Platform::SevenBridges => "sbg",
            Platform::SevenBridgesEu => "sbg-eu",
            Platform::SevenBridgesGcp => "sbg-gcp",
            Platform::Cgc => "cgc",
            Platform::Cavatica => "cavatica",
            Platform::BioDataCatalyst => "bdc",
            Platform::SevenBridgesChina => "sbg-cn",
        }
    }

    /// The base URL as a validated value.
    pub fn base_url(self) -> BaseUrl {
        BaseUrl {
            scheme: "https",
            authority: self.url()["https://".len()..]
                .split('/')
                .next()
                .unwrap_or_default()
                .to_owned(),
            prefix: "/v2".to_owned(),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A platform name that is not one of [`Platform::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown platform {0:?}; expected one of sbg, sbg-eu, sbg-gcp, cgc, cavatica, bdc, sbg-cn")]
pub struct UnknownPlatform(pub String);

impl std::str::FromStr for Platform {
    type Err = UnknownPlatform;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownPlatform(s.to_owned()))
    }
}

/// When plain `http://` is acceptable for a base URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AllowHttp {
    /// Only `https://` (the default: a token must never travel in clear text).
    #[default]
    Never,
    /// `http://` to a loopback host (`localhost`, `127.0.0.0/8`, `[::1]`) only — for a local mock.
    Loopback,
    /// `http://` to any host. For tests behind a trusted proxy only.
    Always,
}

/// A validated API base URL such as `https://api.sbgenomics.com/v2`.
///
/// Absolute, `https` (unless [`AllowHttp`] says otherwise), with a host, without user info, query
/// or fragment. A trailing `/` is dropped. Request paths are appended to it: base
/// `https://h/v2` + call `tasks/ID` gives `https://h/v2/tasks/ID`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl {
    scheme: &'static str,
    authority: String,
    prefix: String,
}

/// Why a base URL was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BaseUrlError {
    /// Not an absolute URL with a scheme and a host.
    #[error("base URL {url:?} is not an absolute URL with a host ({reason})")]
    NotAbsolute {
        /// The URL given.
        url: String,
        /// What is missing or wrong.
        reason: String,
    },
    /// A scheme other than https (or http where allowed).
    #[error("base URL {url:?} uses scheme {scheme:?}; only https is allowed{hint}")]
    Scheme {
        /// The URL given.
        url: String,
        /// Its scheme.
        scheme: String,
        /// A hint on how to allow http.
        hint: &'static str,
    },
    /// A query (`?`) or fragment (`#`).
    #[error("base URL {url:?} has a query or fragment; give only scheme, host and path")]
    QueryOrFragment {
        /// The URL given.
        url: String,
    },
    /// User info (`user:password@`) in the URL; credentials go in the token, never the URL.
    #[error("base URL has user info before the host; credentials never go in a URL")]
    UserInfo,
}

impl BaseUrl {
    /// Parses an https base URL.
    pub fn parse(url: &str) -> Result<Self, BaseUrlError> {
        Self::parse_with(url, AllowHttp::Never)
    }

    /// Parses a base URL, allowing plain http as `allow` says.
    pub fn parse_with(url: &str, allow: AllowHttp) -> Result<Self, BaseUrlError> {
        let not_abs = |reason: &str| BaseUrlError::NotAbsolute {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        if url.contains(['?', '#']) {
            return Err(BaseUrlError::QueryOrFragment {
                url: url.to_owned(),
            });
        }
        let uri: http::Uri = url
            .parse()
            .map_err(|e: http::uri::InvalidUri| not_abs(&e.to_string()))?;
        let scheme = uri.scheme_str().ok_or_else(|| not_abs("no scheme"))?;
        let authority = uri.authority().ok_or_else(|| not_abs("no host"))?;
        if authority.as_str().contains('@') {
            return Err(BaseUrlError::UserInfo);
        }
        if authority.host().is_empty() {
            return Err(not_abs("empty host"));
        }
        if host_of(authority.as_str()) != authority.as_str() && authority.port_u16().is_none() {
            return Err(not_abs("the port is not a number from 0 to 65535"));
        }
        // `http` reads authorities liberally (`h:[::1]x:1` parses); a base URL must be exactly
        // `host[:port]` with a valid host, so what we send as `Host` is what we connect to.
        if !is_valid_host(host_of(authority.as_str())) {
            return Err(not_abs(
                "the host is not a DNS name, an IPv4 address or a bracketed IPv6 address",
            ));
        }
        let scheme = if scheme.eq_ignore_ascii_case("https") {
            "https"
        } else if scheme.eq_ignore_ascii_case("http") {
            let ok = match allow {
                AllowHttp::Never => false,
                AllowHttp::Loopback => is_loopback_host(authority.host()),
                AllowHttp::Always => true,
            };
            if !ok {
                return Err(BaseUrlError::Scheme {
                    url: url.to_owned(),
                    scheme: scheme.to_owned(),
                    hint: match allow {
                        AllowHttp::Loopback => " (http is allowed for loopback hosts only)",
                        _ => " (allow http explicitly for a local mock)",
                    },
                });
            }
            "http"
        } else {
            return Err(BaseUrlError::Scheme {
                url: url.to_owned(),
                scheme: scheme.to_owned(),
                hint: "",
            });
        };
        let prefix = uri.path().trim_end_matches('/').to_owned();
        Ok(Self {
            scheme,
            authority: authority.as_str().to_ascii_lowercase(),
            prefix,
        })
    }

    /// `https` or `http`.
    pub fn scheme(&self) -> &str {
        self.scheme
    }

    /// `host[:port]`, lower-cased.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The host without a port (brackets kept for IPv6).
    pub fn host(&self) -> &str {
        host_of(&self.authority)
    }

    /// The path prefix without a trailing slash, e.g. `/v2` (may be empty).
    pub fn path_prefix(&self) -> &str {
        &self.prefix
    }

    /// Whether this base URL is plain http.
    pub fn is_http(&self) -> bool {
        self.scheme == "http"
    }

    /// Whether `uri` points at the same scheme, host and port as this base URL — the check that
    /// keeps the token from going to another host (e.g. on a redirect or a `links` URL).
    pub fn same_origin(&self, uri: &http::Uri) -> bool {
        uri.scheme_str()
            .is_some_and(|s| s.eq_ignore_ascii_case(self.scheme))
            && uri
                .authority()
                .is_some_and(|a| a.as_str().eq_ignore_ascii_case(&self.authority))
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority, self.prefix)
    }
}

impl std::str::FromStr for BaseUrl {
    type Err = BaseUrlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<Platform> for BaseUrl {
    fn from(p: Platform) -> Self {
        p.base_url()
    }
}

fn host_of(authority: &str) -> &str {
    if authority.starts_with('[') {
        match authority.find(']') {
            Some(end) => &authority[..=end],
            None => authority,
        }
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    }
}

/// A DNS name (letters, digits, `-`, `_`, `.`), an IPv4 address, or an IPv6 address in brackets.
fn is_valid_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<std::net::Ipv6Addr>().is_ok();
    }
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Whether a host names the loopback interface: `localhost`, `127.0.0.0/8` or `[::1]`.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") {
        return true;
    }
    h.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}
