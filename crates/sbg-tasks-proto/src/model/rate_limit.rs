//! The answer of `GET /v2/rate_limit`: request rate and instance limits of the caller.

model_struct! {
    /// The request-rate window: how many calls are allowed, left, and when the window resets.
    pub struct RateWindow {
        /// Requests allowed per window (1000 per 5 minutes on the public platforms).
        limit: u64 = "limit",
        /// Requests left in this window.
        remaining: u64 = "remaining",
        /// When the window resets, in Unix seconds.
        reset: u64 = "reset",
    }
}

model_struct! {
    /// How many compute instances the caller may use in parallel.
    ///
    /// Signed: the platform does not document the values as non-negative, and a negative limit
    /// must decode rather than fail.
    pub struct InstanceLimit {
        /// Instances allowed.
        limit: i64 = "limit",
        /// Instances still available.
        remaining: i64 = "remaining",
    }
}

model_struct! {
    /// `GET /v2/rate_limit`: `{rate: {limit, remaining, reset}, instance_limit: {limit,
    /// remaining}}` plus whatever the platform adds.
    pub struct RateLimitInfo {
        /// The request-rate window.
        rate: RateWindow = "rate",
        /// The instance limit.
        instance_limit: InstanceLimit = "instance_limit",
    }
}

impl RateLimitInfo {
    /// The request-rate window as the same [`RateLimit`](crate::meta::RateLimit) value the
    /// `X-RateLimit-*` headers give, when all three members are present.
    pub fn rate_limit(&self) -> Option<crate::meta::RateLimit> {
        let r = self.rate.as_ref()?;
        Some(crate::meta::RateLimit {
            limit: r.limit?,
            remaining: r.remaining?,
            reset: r.reset?,
        })
    }
}
