//! `GET /v2/rate_limit`: the caller's request rate and instance limits.

use http::Method;

use crate::decode::{DecodeError, Decoded, Decoding};
use crate::endpoint::{CallKind, Endpoint};
use crate::model::RateLimitInfo;
use crate::target::Target;

/// Get the caller's rate limit and instance limit ([`RateLimitInfo`]).
///
/// The platform does not count this call against the rate limit, so a client may ask it while
/// waiting out a 429.
///
/// ```
/// use sbg_tasks_proto::{AuthToken, Config, Endpoint, GetRateLimit, Platform};
/// let cfg = Config::new(Platform::Cgc, AuthToken::new("token").unwrap());
/// let req = GetRateLimit::new().prepare_request(&cfg).unwrap();
/// assert_eq!(req.uri(), "https://cgc-api.sbgenomics.com/v2/rate_limit");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GetRateLimit;

impl GetRateLimit {
    /// The call.
    pub fn new() -> Self {
        Self
    }
}

impl Endpoint for GetRateLimit {
    type Output = RateLimitInfo;

    fn kind(&self) -> CallKind {
        CallKind::Read
    }

    fn method(&self) -> Method {
        Method::GET
    }

    /// The platform does not count it against the rate limit.
    fn lane(&self) -> crate::endpoint::Lane {
        crate::endpoint::Lane::Free
    }

    fn write_target(&self, target: &mut Target<'_>) {
        target.literal("/rate_limit");
    }

    fn decode(
        &self,
        body: &[u8],
        decoding: &Decoding,
    ) -> Result<Decoded<RateLimitInfo>, DecodeError> {
        crate::decode::decode(body, decoding)
    }
}
