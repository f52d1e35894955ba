//! [`InlineResolver`]: name resolution on the calling thread, IP literals without any lookup.
//!
//! ureq's own `DefaultResolver` starts a new thread for every call whenever any timeout is set
//! (so always, for our transport), even when the host is an IP literal; on loopback that
//! thread costs more than the whole exchange.

use std::net::SocketAddr;
use std::time::Instant;

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::time::Duration;
use ureq::unversioned::transport::NextTimeout;

/// A ureq resolver that never starts a thread.
///
/// - An IP literal host (`127.0.0.1`, `[::1]`) is the answer at once, with no lookup.
/// - A name is looked up on the calling thread with the system resolver (std
///   [`ToSocketAddrs`](std::net::ToSocketAddrs), through ureq's `DefaultResolver`, so its URI
///   checks, default ports and address cap apply).
///
/// Both honour the agent's [`IpFamily`](ureq::config::IpFamily): an address of the unwanted
/// family is dropped, and none left is ureq's `HostNotFound`.
///
/// The connect and whole-call timeouts stay in force for everything after the lookup, and
/// the lookup's time counts against them. The lookup itself cannot be interrupted: a lookup
/// that outlasts the remaining budget is reported as ureq's timeout error once it returns
/// (how long the system resolver may block is set by its own configuration, e.g.
/// `resolv.conf`'s `timeout` and `attempts`).
#[derive(Debug, Default, Clone, Copy)]
pub struct InlineResolver {
    _private: (),
}

impl InlineResolver {
    /// The resolver.
    pub fn new() -> Self {
        Self::default()
    }
}

/// The socket address of `uri` when its host is an IP literal (port explicit or the scheme's
/// default); `None` for a name or a URI ureq would refuse (left to `DefaultResolver` to say
/// why).
fn ip_literal(uri: &Uri) -> Option<SocketAddr> {
    let host_and_port = DefaultResolver::host_and_port(uri.scheme()?, uri.authority()?)?;
    host_and_port.parse().ok()
}

impl Resolver for InlineResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        if let Some(addr) = ip_literal(uri) {
            let family = config.ip_family();
            let addr = family
                .keep_wanted(std::iter::once(addr))
                .next()
                .ok_or(ureq::Error::HostNotFound)?;
            let mut out = self.empty();
            out.push(addr);
            return Ok(out);
        }
        // With no deadline, `DefaultResolver` looks up on the calling thread.
        let start = Instant::now();
        let inline = NextTimeout {
            after: Duration::NotHappening,
            ..timeout
        };
        let out = DefaultResolver::default().resolve(uri, config, inline)?;
        if start.elapsed() > *timeout.after {
            return Err(ureq::Error::Timeout(timeout.reason));
        }
        Ok(out)
    }
}
