//! The rate limit endpoint: the request, the body decoded without loss, the header form.

mod support;
use support::*;

use serde_json::Value;

use sbg_tasks_proto::endpoints::CallKind;
use sbg_tasks_proto::model::RateLimitInfo;
use sbg_tasks_proto::{http, Endpoint, GetRateLimit};

const RATE_BODY: &[u8] = include_bytes!("data/rate-limit.json");

#[test]
fn rate_limit_request_and_body() {
    let call = GetRateLimit::new();
    assert_eq!(call.kind(), CallKind::Read);
    let req = call.prepare_request(&platform_config()).unwrap();
    assert_eq!(req.method(), http::Method::GET);
    assert_eq!(req.uri(), "https://api.sbgenomics.com/v2/rate_limit");
    let answer = call
        .parse_response(&ok(RATE_BODY), &Decoding::Strict)
        .unwrap();
    let info: RateLimitInfo = answer.value;
    let rate = info.rate.as_ref().unwrap();
    assert_eq!(rate.limit, Some(1000));
    assert_eq!(rate.remaining, Some(994));
    assert_eq!(rate.extra["window_seconds"], 300);
    let header_form = info.rate_limit().unwrap();
    assert_eq!(
        (header_form.limit, header_form.remaining, header_form.reset),
        (1000, 994, 1_496_662_233)
    );
    let inst = info.instance_limit.as_ref().unwrap();
    assert_eq!((inst.limit, inst.remaining), (Some(25), Some(-1)));
    let original: Value = serde_json::from_slice(RATE_BODY).unwrap();
    assert_eq!(serde_json::to_value(&info).unwrap(), original);
    // Missing members: no header form.
    let partial = call
        .parse_response(&ok(br#"{"rate": {"limit": 1000}}"#), &Decoding::Strict)
        .unwrap();
    assert_eq!(partial.value.rate_limit(), None);
}
