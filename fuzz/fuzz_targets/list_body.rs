//! A walk over `GET /v2/tasks` pages: arbitrary answers (status, `X-Total-Matching-Query`,
//! body) decoded by `ListTasks::parse_response` and fed to a `Pager`.
//!
//! The bodies are mostly structure-aware pages (ids from a small set, so pages repeat and
//! overlap; tasks without ids; `items` of the wrong shape; `next` links to the same origin, a
//! relative path, another host or another path, with any offset and limit), sometimes raw
//! bytes. Properties: no panic; the pager never hands out an id twice and counts what it
//! handed out; every request it asks for goes to the configured host and path with the first
//! call's filters, at an offset not before the first one; after a pager error the walk is over.
#![no_main]

use std::collections::HashSet;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sbg_tasks_fuzz::ArbJson;
use sbg_tasks_proto::http::Response;
use sbg_tasks_proto::model::TaskStatus;
use sbg_tasks_proto::machine::pager::Pager;
use sbg_tasks_proto::{AuthToken, Config, Decoding, Endpoint, ListTasks, Platform, ResponseError};
use sbg_tasks_proto::endpoints::PageLimit;

#[derive(Debug, Arbitrary)]
struct Input {
    strict: bool,
    limit: Option<u8>,
    offset: Option<u8>,
    answers: Vec<PageAnswer>,
}

#[derive(Debug, Arbitrary)]
struct PageAnswer {
    status: u16,
    total: Total,
    body: Body,
}

#[derive(Debug, Arbitrary)]
enum Total {
    Absent,
    Count(u8),
    Raw(String),
}

#[derive(Debug, Arbitrary)]
enum Body {
    Raw(Vec<u8>),
    Page {
        items: Vec<Item>,
        next: Option<Next>,
        /// 0: `items` as a list; 1: absent; 2: `null`; 3: an object.
        items_shape: u8,
    },
}

#[derive(Debug, Arbitrary)]
enum Item {
    Id(u8),
    NoId,
    Other(ArbJson),
}

#[derive(Debug, Arbitrary)]
struct Next {
    /// 0: same origin; 1: relative; 2: another host; 3: another path.
    target: u8,
    offset: Option<u16>,
    limit: Option<u8>,
}

impl Next {
    fn href(&self) -> String {
        let base = match self.target % 4 {
            0 => "https://api.sbgenomics.com/v2/tasks",
            1 => "/v2/tasks",
            2 => "https://evil.example/v2/tasks",
            _ => "https://api.sbgenomics.com/v2/apps",
        };
        let mut q = vec!["project=rfranklin%2Fp".to_owned()];
        q.extend(self.offset.map(|o| format!("offset={o}")));
        q.extend(self.limit.map(|l| format!("limit={l}")));
        format!("{base}?{}", q.join("&"))
    }
}

impl Body {
    fn bytes(&self) -> Vec<u8> {
        let (items, next, shape) = match self {
            Body::Raw(b) => return b.clone(),
            Body::Page {
                items,
                next,
                items_shape,
            } => (items, next, items_shape),
        };
        let items: Vec<_> = items
            .iter()
            .map(|i| match i {
                Item::Id(n) => serde_json::json!({"id": format!("t{}", n % 32), "name": "x"}),
                Item::NoId => serde_json::json!({"name": "no id"}),
                Item::Other(v) => v.0.clone(),
            })
            .collect();
        let mut page = serde_json::Map::new();
        match shape % 4 {
            0 => page.insert("items".into(), items.into()),
            1 => None,
            2 => page.insert("items".into(), serde_json::Value::Null),
            _ => page.insert("items".into(), serde_json::json!({"id": "t0"})),
        };
        if let Some(n) = next {
            let link = serde_json::json!({"href": n.href(), "rel": "next", "method": "GET"});
            page.insert("links".into(), serde_json::json!([link]));
        }
        serde_json::to_vec(&page).unwrap()
    }
}

fuzz_target!(|input: Input| {
    let config = Config::new(Platform::SevenBridges, AuthToken::new("token").unwrap());
    let decoding = if input.strict {
        Decoding::Strict
    } else {
        Decoding::default()
    };
    let mut first = ListTasks::new()
        .project("rfranklin/p".parse().unwrap())
        .status(TaskStatus::Running);
    if let Some(l) = input.limit.and_then(|l| PageLimit::new(u64::from(l)).ok()) {
        first = first.limit(l);
    }
    let start = u64::from(input.offset.unwrap_or(0));
    if input.offset.is_some() {
        first = first.offset(start);
    }
    let mut pager = Pager::new(first);
    let mut seen = HashSet::new();
    let mut handed_out = 0u64;
    for answer in input.answers.iter().take(32) {
        let Some(call) = pager.next_request(&config) else {
            break;
        };
        let request = call
            .prepare_request(&config)
            .expect("the pager's call builds");
        assert_eq!(request.uri().host(), Some("api.sbgenomics.com"));
        assert_eq!(request.uri().path(), "/v2/tasks");
        let query = request.uri().query().unwrap_or_default();
        assert!(
            query.starts_with("project=rfranklin%2Fp&status=RUNNING"),
            "filters lost: {query}"
        );
        assert!(
            call.offset.unwrap_or(0) >= start,
            "stepped before the start: {query}"
        );

        let mut response = Response::builder().status(answer.status % 1000);
        match &answer.total {
            Total::Absent => {}
            Total::Count(n) => response = response.header("X-Total-Matching-Query", u64::from(*n)),
            Total::Raw(s) => response = response.header("X-Total-Matching-Query", s.as_str()),
        }
        let Ok(response) = response.body(answer.body.bytes()) else {
            continue; // not a valid status or header value: no answer to give
        };
        let page = match call.parse_response(&response, &decoding) {
            Ok(page) => page,
            Err(ResponseError::Api(e)) => {
                assert!(!response.status().is_success());
                assert_eq!(e.status, response.status().as_u16());
                break;
            }
            Err(e) => {
                let _ = e.to_string();
                break;
            }
        };
        match pager.on_page(page) {
            Ok(tasks) => {
                for task in tasks {
                    handed_out += 1;
                    if let Some(id) = task.id {
                        assert!(seen.insert(id.clone()), "id {id} handed out twice");
                    }
                }
            }
            Err(e) => {
                let _ = e.to_string();
                assert!(pager.is_done(), "the walk goes on after {e}");
                assert!(pager.next_request(&config).is_none());
                break;
            }
        }
        assert_eq!(pager.yielded(), handed_out);
    }
    let _ = pager.ignored_links();
});
