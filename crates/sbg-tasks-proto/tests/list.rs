//! Listing tasks: the list request built exactly from its filters, its parameters validated,
//! and a list page decoded without loss.

mod support;
use support::*;

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use sbg_tasks_proto::decode::DecodeError;
use sbg_tasks_proto::endpoints::{CallKind, ListParamError, PageLimit, SortOrder, TimeBound};
use sbg_tasks_proto::fields::{FieldName, Fields};
use sbg_tasks_proto::model::{LinkRel, TaskPage, Timestamp};
use sbg_tasks_proto::{http, Endpoint, ListTasks, ResponseError};

const LIST_BODY: &[u8] = include_bytes!("data/list-tasks-page.json");

fn dt(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap()
}

#[test]
fn list_request_with_every_filter_is_exact() {
    let call = ListTasks::new()
        .fields(Fields::only(["id", "name", "status"]).unwrap())
        .limit(PageLimit::new(100).unwrap())
        .offset(200)
        .order(SortOrder::Desc)
        .order_by(FieldName::new("created_time").unwrap())
        .ended_to(dt("2024-03-01T00:00:00Z"))
        .ended_from(dt("2024-02-01T00:00:00.5Z"))
        .started_to(dt("2024-01-31T23:59:59+02:00"))
        .started_from(TimeBound::try_from(Timestamp::new("2024-01-01T00:00:00Z")).unwrap())
        .created_to(dt("2024-01-15T12:00:00-05:30"))
        .created_from(dt("2023-12-01T00:00:00Z"))
        .status(TaskStatus::Completed)
        .parent(id())
        .project(project());
    assert_eq!(call.kind(), CallKind::Read);
    let req = call.prepare_request(&platform_config()).unwrap();
    assert_eq!(req.method(), http::Method::GET);
    assert!(req.body().is_empty());
    assert_eq!(req.uri().path(), "/v2/tasks");
    assert_eq!(
        req.uri().query().unwrap(),
        concat!(
            "project=rfranklin%2Fmy-project",
            "&parent=08c5ce64-1551-4b7d-b054-63a1517bc7bb",
            "&status=COMPLETED",
            "&created_from=2023-12-01T00:00:00Z",
            "&created_to=2024-01-15T17:30:00Z",
            "&started_from=2024-01-01T00:00:00Z",
            "&started_to=2024-01-31T21:59:59Z",
            "&ended_from=2024-02-01T00:00:00.5Z",
            "&ended_to=2024-03-01T00:00:00Z",
            "&order_by=created_time",
            "&order=desc",
            "&offset=200",
            "&limit=100",
            "&fields=id,name,status",
        )
    );
}

#[test]
fn list_defaults_send_no_query_and_batch_children_send_parent() {
    let req = ListTasks::new()
        .prepare_request(&platform_config())
        .unwrap();
    assert_eq!(req.uri(), "https://api.sbgenomics.com/v2/tasks");
    let req = ListTasks::children_of(id())
        .order(SortOrder::Asc)
        .prepare_request(&platform_config())
        .unwrap();
    assert_eq!(
        req.uri(),
        "https://api.sbgenomics.com/v2/tasks?parent=08c5ce64-1551-4b7d-b054-63a1517bc7bb&order=asc"
    );
    // An unknown status word is sent as given, percent-encoded.
    let req = ListTasks::new()
        .status(TaskStatus::Unknown("Active now".into()))
        .prepare_request(&platform_config())
        .unwrap();
    assert_eq!(req.uri().query(), Some("status=Active%20now"));
}

#[test]
fn list_limit_is_validated() {
    for bad in [0u64, 101, 1000, u64::from(u32::MAX) + 1, u64::MAX] {
        assert_eq!(
            PageLimit::new(bad),
            Err(ListParamError::Limit { value: bad }),
            "{bad}"
        );
        assert!(PageLimit::try_from(bad).is_err());
    }
    for good in [1u64, 50, 99, 100] {
        assert_eq!(u64::from(PageLimit::new(good).unwrap().get()), good);
    }
    assert_eq!(PageLimit::MAX.get(), 100);
    assert_eq!(PageLimit::DEFAULT.get(), 50);
    let err = PageLimit::new(101).unwrap_err();
    assert!(err.to_string().contains("101"));
}

#[test]
fn unparsed_timestamps_cannot_be_time_filters() {
    let ts = Timestamp::new("yesterday");
    assert_eq!(
        TimeBound::try_from(&ts),
        Err(ListParamError::Timestamp {
            text: "yesterday".into()
        })
    );
    let ts = Timestamp::new("2024-01-01T10:00:00+01:00");
    assert_eq!(
        TimeBound::try_from(&ts).unwrap().to_rfc3339(),
        "2024-01-01T09:00:00Z"
    );
}

#[test]
fn list_page_decodes_without_loss_and_exposes_the_total() {
    let call = ListTasks::new();
    let resp = http::Response::builder()
        .status(200)
        .header("X-Total-Matching-Query", "5")
        .body(LIST_BODY.to_vec())
        .unwrap();
    let answer = call.parse_response(&resp, &Decoding::Strict).unwrap();
    assert_eq!(answer.total(), Some(5));
    assert_eq!(answer.meta.total_matching, Some(5));
    let page: &TaskPage = &answer.value;
    assert_eq!(page.items().len(), 2);
    assert_eq!(
        page.items()[0].id.as_deref(),
        Some("0f9c3a44-5f5e-4ac8-9d4c-6b0a0e8f1a21")
    );
    assert_eq!(page.items()[0].extra["gpu_hours_used"], 0);
    assert_eq!(
        page.items()[1].parent.as_deref(),
        Some("5e9a3b02-11c4-4d7f-9a3e-0c8e2b4f6d10")
    );
    assert_eq!(
        page.items()[1].extra["future_member"],
        json!({"nested": [1, 2, 3]})
    );
    let next = page.next_link().unwrap();
    assert_eq!(next.rel, Some(LinkRel::Next));
    assert_eq!(next.method.as_deref(), Some("GET"));
    assert!(next.href.as_deref().unwrap().contains("offset=4"));
    assert_eq!(next.extra["title"], "next page");
    assert!(page
        .prev_link()
        .unwrap()
        .href
        .as_deref()
        .unwrap()
        .contains("offset=0"));
    assert_eq!(page.extra["search_id"], "ab12");
    assert!(!page.items_unusable());

    let original: Value = serde_json::from_slice(LIST_BODY).unwrap();
    assert_eq!(serde_json::to_value(page).unwrap(), original);

    // Without the header there is no total.
    let answer = call
        .parse_response(&ok(LIST_BODY), &Decoding::Strict)
        .unwrap();
    assert_eq!(answer.total(), None);
}

#[test]
fn an_empty_list_body_decodes_to_an_empty_page() {
    let answer = ListTasks::new()
        .parse_response(&ok(b"{}"), &Decoding::Strict)
        .unwrap();
    assert!(answer.value.items().is_empty());
    assert!(answer.value.links().is_empty());
    assert!(answer.value.next_link().is_none());
}

#[test]
fn a_list_body_that_is_not_an_object_is_an_error() {
    let err = ListTasks::new()
        .parse_response(&ok(b"[1, 2]"), &Decoding::default())
        .unwrap_err();
    assert!(matches!(
        err,
        ResponseError::Decode {
            error: DecodeError::WrongType { .. },
            ..
        }
    ));
}
