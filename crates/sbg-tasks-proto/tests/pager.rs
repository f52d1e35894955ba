//! The list pager, walked against a simulated platform list: offsets, totals, links (followed
//! only when usable and same-origin), and lists that shift between page fetches.

mod support;
use support::*;

use std::collections::{HashMap, HashSet};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{json, Value};

use sbg_tasks_proto::config::AllowHttp;
use sbg_tasks_proto::endpoints::PageLimit;
use sbg_tasks_proto::fields::Fields;
use sbg_tasks_proto::machine::pager::{IgnoredLinkReason, Pager};
use sbg_tasks_proto::model::TaskPage;
use sbg_tasks_proto::{
    http, Answer, AuthToken, BaseUrl, Config, Decoding, Endpoint, ListTasks, PagerError,
};

/// A simulated platform list: ids newest first, paged like the platform.
struct Server {
    list: Vec<String>,
    /// Send `X-Total-Matching-Query`.
    total: bool,
    /// Send `links` (next/prev), with this base.
    links: Option<String>,
    /// Every call received.
    calls: Vec<ListTasks>,
    fresh: u64,
}

impl Server {
    fn new(n: usize) -> Self {
        Self {
            list: (0..n).map(|i| format!("t{i}")).collect(),
            total: true,
            links: None,
            calls: Vec::new(),
            fresh: 0,
        }
    }

    fn page_json(&self, call: &ListTasks) -> Value {
        let o = call.offset.unwrap_or(0) as usize;
        let l = call.limit.map_or(50, |l| l.get() as usize);
        let items: Vec<Value> = self
            .list
            .iter()
            .skip(o)
            .take(l)
            .map(|id| json!({"id": id, "status": "COMPLETED"}))
            .collect();
        let mut page = json!({"href": "x", "items": items});
        if let Some(base) = &self.links {
            let mut links = Vec::new();
            if o + l < self.list.len() {
                links.push(json!({"href": format!("{base}/tasks?offset={}&limit={l}", o + l), "rel": "next", "method": "GET"}));
            }
            if o > 0 {
                links.push(json!({"href": format!("{base}/tasks?offset={}&limit={l}", o.saturating_sub(l)), "rel": "prev", "method": "GET"}));
            }
            page["links"] = Value::Array(links);
        }
        page
    }

    fn answer_with(&mut self, call: &ListTasks, page: Value) -> Answer<TaskPage> {
        self.calls.push(call.clone());
        let mut resp = http::Response::builder().status(200);
        if self.total {
            resp = resp.header("X-Total-Matching-Query", self.list.len().to_string());
        }
        let resp = resp.body(serde_json::to_vec(&page).unwrap()).unwrap();
        call.parse_response(&resp, &Decoding::Strict).unwrap()
    }

    fn answer(&mut self, call: &ListTasks) -> Answer<TaskPage> {
        let page = self.page_json(call);
        self.answer_with(call, page)
    }

    fn insert_front(&mut self, k: usize) {
        for _ in 0..k {
            self.list.insert(0, format!("new{}", self.fresh));
            self.fresh += 1;
        }
    }
}

/// Walks `pager` against `server`, calling `between` before every fetch but the first.
fn walk(
    pager: &mut Pager,
    server: &mut Server,
    cfg: &Config,
    mut between: impl FnMut(&mut Server, usize),
) -> Result<Vec<String>, PagerError> {
    let mut out = Vec::new();
    let mut fetch = 0;
    while let Some(call) = pager.next_request(cfg) {
        assert!(fetch < 10_000, "the pager does not end");
        // Every request goes to the configured host, whatever the links said.
        let req = call.prepare_request(cfg).unwrap();
        assert_eq!(
            req.uri().authority().unwrap().as_str(),
            cfg.base_url().authority()
        );
        if fetch > 0 {
            between(server, fetch);
        }
        fetch += 1;
        let answer = server.answer(&call);
        for t in pager.on_page(answer)? {
            out.push(t.id.unwrap());
        }
    }
    Ok(out)
}

fn ids(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("t{i}")).collect()
}

fn offsets(server: &Server) -> Vec<Option<u64>> {
    server.calls.iter().map(|c| c.offset).collect()
}

#[test]
fn pager_walks_offsets_and_stops_at_the_total() {
    let cfg = platform_config();
    let mut server = Server::new(7);
    let first = ListTasks::new()
        .project(project())
        .limit(PageLimit::new(3).unwrap());
    let mut pager = Pager::new(first.clone());
    // The first call is exactly the one given; the next ones add the offset.
    assert_eq!(pager.next_request(&cfg), Some(first.clone()));
    assert_eq!(
        pager.next_request(&cfg),
        Some(first.clone()),
        "same call until answered"
    );
    let got = walk(&mut pager, &mut server, &cfg, |_, _| {}).unwrap();
    assert_eq!(got, ids(0..7));
    assert_eq!(offsets(&server), [None, Some(3), Some(6)]);
    assert!(pager.is_done());
    assert_eq!(pager.next_request(&cfg), None);
    assert_eq!(pager.pages(), 3);
    assert_eq!(pager.yielded(), 7);
    assert_eq!(pager.total(), Some(7));
    let second = server.calls[1].prepare_request(&cfg).unwrap();
    assert_eq!(
        second.uri().query(),
        Some("project=rfranklin%2Fmy-project&offset=3&limit=3")
    );
}

#[test]
fn pager_stops_exactly_when_the_total_is_a_multiple_of_the_limit() {
    let cfg = platform_config();
    let mut server = Server::new(6);
    let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(3).unwrap()));
    let got = walk(&mut pager, &mut server, &cfg, |_, _| {}).unwrap();
    assert_eq!(got, ids(0..6));
    assert_eq!(
        offsets(&server),
        [None, Some(3)],
        "no request for an empty third page"
    );
}

#[test]
fn pager_without_total_stops_on_a_short_or_empty_page() {
    let cfg = platform_config();
    let mut server = Server::new(5);
    server.total = false;
    let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(2).unwrap()));
    assert_eq!(
        walk(&mut pager, &mut server, &cfg, |_, _| {}).unwrap(),
        ids(0..5)
    );
    assert_eq!(offsets(&server), [None, Some(2), Some(4)]);

    let mut server = Server::new(4);
    server.total = false;
    let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(2).unwrap()));
    assert_eq!(
        walk(&mut pager, &mut server, &cfg, |_, _| {}).unwrap(),
        ids(0..4)
    );
    assert_eq!(
        offsets(&server),
        [None, Some(2), Some(4)],
        "ends on the empty page"
    );

    // The platform's default page size (50) is assumed when no limit is sent.
    let mut server = Server::new(120);
    server.total = false;
    let mut pager = Pager::new(ListTasks::new());
    assert_eq!(
        walk(&mut pager, &mut server, &cfg, |_, _| {}).unwrap(),
        ids(0..120)
    );
    assert_eq!(offsets(&server), [None, Some(50), Some(100)]);
}

#[test]
fn pager_on_an_empty_list_makes_one_call() {
    let cfg = platform_config();
    let mut server = Server::new(0);
    let mut pager = Pager::new(ListTasks::new());
    assert!(walk(&mut pager, &mut server, &cfg, |_, _| {})
        .unwrap()
        .is_empty());
    assert_eq!(server.calls.len(), 1);
    assert!(pager.is_done());
}

#[test]
fn pager_follows_same_origin_next_links() {
    let cfg = platform_config();
    let mut server = Server::new(9);
    server.total = false;
    server.links = Some("https://api.sbgenomics.com/v2".into());
    let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(2).unwrap()));
    // The first page's link also changes the page size (the pager adopts a valid link limit).
    let call = pager.next_request(&cfg).unwrap();
    let mut page = server.page_json(&call);
    page["links"] = json!([{"href": "https://API.sbgenomics.com/v2/tasks?limit=4&offset=1", "rel": "next", "method": "GET"}]);
    let answer = server.answer_with(&call, page);
    let first: Vec<_> = pager
        .on_page(answer)
        .unwrap()
        .into_iter()
        .map(|t| t.id.unwrap())
        .collect();
    assert_eq!(first, ids(0..2));
    // offset=1 overlaps by one: allowed (never skips), and the repeat is dropped.
    let rest = walk(&mut pager, &mut server, &cfg, |_, _| {}).unwrap();
    assert_eq!(rest, ids(2..9));
    assert_eq!(offsets(&server), [None, Some(1), Some(5)]);
    assert_eq!(server.calls[1].limit, PageLimit::new(4).ok());
    assert_eq!(pager.ignored_links().0, 0);
    // Without a total, the last page (no next link) ends the walk.
    assert!(pager.is_done());
}

#[test]
fn pager_accepts_relative_links() {
    let cfg = platform_config();
    let mut server = Server::new(5);
    server.total = false;
    server.links = Some("/v2".into());
    let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(2).unwrap()));
    assert_eq!(
        walk(&mut pager, &mut server, &cfg, |_, _| {}).unwrap(),
        ids(0..5)
    );
    assert_eq!(pager.ignored_links().0, 0);
    assert_eq!(offsets(&server), [None, Some(2), Some(4)]);
}

#[test]
fn pager_refuses_cross_origin_links() {
    let cfg = platform_config();
    for evil in [
        "https://evil.example.com/v2",
        "http://api.sbgenomics.com/v2",
        "https://api.sbgenomics.com:8443/v2",
    ] {
        let mut server = Server::new(5);
        server.links = Some(evil.into());
        let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(2).unwrap()));
        // `walk` asserts that every request goes to the configured host.
        let got = walk(&mut pager, &mut server, &cfg, |_, _| {}).unwrap();
        assert_eq!(got, ids(0..5), "{evil}");
        let (count, last) = pager.ignored_links();
        assert_eq!(count, 2, "{evil}");
        let last = last.unwrap();
        assert_eq!(last.reason, IgnoredLinkReason::CrossOrigin, "{evil}");
        assert!(last.href.starts_with(evil));
        assert_eq!(offsets(&server), [None, Some(2), Some(4)]);
    }
}

#[test]
fn pager_ignores_links_it_cannot_use() {
    let cfg = platform_config();
    let cases = [
        (
            "https://api.sbgenomics.com/v2/files?offset=2",
            IgnoredLinkReason::NotTheListPath,
        ),
        (
            "https://api.sbgenomics.com/tasks?offset=2",
            IgnoredLinkReason::NotTheListPath,
        ),
        ("not a url at all", IgnoredLinkReason::NotTheListPath),
        (
            "https://api.sbgenomics.com/v2/tasks?cursor=abc",
            IgnoredLinkReason::NoOffset,
        ),
        (
            "https://api.sbgenomics.com/v2/tasks?offset=9",
            IgnoredLinkReason::OffsetOutOfRange { offset: 9 },
        ),
        (
            "https://api.sbgenomics.com/v2/tasks?offset=0",
            IgnoredLinkReason::OffsetOutOfRange { offset: 0 },
        ),
    ];
    for (href, reason) in cases {
        let mut server = Server::new(6);
        let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(2).unwrap()));
        let call = pager.next_request(&cfg).unwrap();
        let mut page = server.page_json(&call);
        page["links"] = json!([{"href": href, "rel": "next"}]);
        let answer = server.answer_with(&call, page);
        assert_eq!(pager.on_page(answer).unwrap().len(), 2);
        let (count, last) = pager.ignored_links();
        assert_eq!(count, 1, "{href}");
        assert_eq!(last.unwrap().reason, reason, "{href}");
        // Offset arithmetic instead.
        assert_eq!(pager.next_request(&cfg).unwrap().offset, Some(2), "{href}");
    }
}

#[test]
fn pager_with_links_but_no_next_and_no_total_ends() {
    let cfg = platform_config();
    let mut server = Server::new(4);
    server.total = false;
    server.links = Some("https://api.sbgenomics.com/v2".into());
    let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(2).unwrap()));
    assert_eq!(
        walk(&mut pager, &mut server, &cfg, |_, _| {}).unwrap(),
        ids(0..4)
    );
    // The second page is full but has no next link: no third request.
    assert_eq!(offsets(&server), [None, Some(2)]);
}

#[test]
fn pager_drops_repeats_when_tasks_are_inserted_at_the_front() {
    let cfg = platform_config();
    let mut server = Server::new(6);
    let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(3).unwrap()));
    let got = walk(&mut pager, &mut server, &cfg, |s, fetch| {
        if fetch == 1 {
            s.insert_front(2);
        }
    })
    .unwrap();
    // Page 2 at offset 3 now holds t1 t2 t3: t1 and t2 are repeats and are dropped.
    assert_eq!(got, ids(0..6));
    assert_eq!(offsets(&server), [None, Some(3), Some(6)]);
}

#[test]
fn pager_steps_back_when_tasks_are_removed() {
    let cfg = platform_config();
    let mut server = Server::new(9);
    let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(3).unwrap()));
    let got = walk(&mut pager, &mut server, &cfg, |s, fetch| {
        if fetch == 1 {
            // t0 and t1 (already read) go away: t3 and t4 move to offsets 1 and 2.
            s.list.drain(0..2);
        }
    })
    .unwrap();
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(sorted, ids(0..9));
    // Offset 3 (t5 t6 t7), total shrank by 2 → back to offset 1 (t3 t4 t5), then 4.
    assert_eq!(offsets(&server), [None, Some(3), Some(1), Some(4)]);
    assert_eq!(got, ["t0", "t1", "t2", "t5", "t6", "t7", "t3", "t4", "t8"]);
}

#[test]
fn pager_never_steps_back_before_the_first_offset() {
    let cfg = platform_config();
    let mut server = Server::new(10);
    let mut pager = Pager::new(ListTasks::new().offset(4).limit(PageLimit::new(3).unwrap()));
    let got = walk(&mut pager, &mut server, &cfg, |s, fetch| {
        if fetch == 1 {
            s.list.drain(0..5);
        }
    })
    .unwrap();
    assert_eq!(offsets(&server), [Some(4), Some(7), Some(4)]);
    assert_eq!(got, ["t4", "t5", "t6", "t9"]);
}

#[test]
fn pager_adds_id_to_a_fields_selector() {
    let cfg = platform_config();
    let mut pager = Pager::new(ListTasks::new().fields(Fields::only(["name"]).unwrap()));
    let call = pager.next_request(&cfg).unwrap();
    assert_eq!(call.fields.as_ref().unwrap().to_string(), "name,id");
    let mut pager = Pager::new(ListTasks::new().fields(Fields::All));
    assert_eq!(
        pager.next_request(&cfg).unwrap().fields.as_ref(),
        Some(&Fields::All)
    );
}

#[test]
fn pager_hands_out_tasks_without_ids() {
    let cfg = platform_config();
    let mut pager = Pager::new(ListTasks::new());
    let call = pager.next_request(&cfg).unwrap();
    let answer = call
        .parse_response(
            &ok(br#"{"items": [{"name": "a"}, {"name": "a"}, {"id": "x"}, {"id": "x"}]}"#),
            &Decoding::Strict,
        )
        .unwrap();
    let got = pager.on_page(answer).unwrap();
    assert_eq!(got.len(), 3);
    assert!(
        pager.is_done(),
        "a short page without total or links ends the walk"
    );
}

#[test]
fn pager_refuses_a_page_without_a_pending_request() {
    let cfg = platform_config();
    let mut pager = Pager::new(ListTasks::new());
    let answer = ListTasks::new()
        .parse_response(&ok(br#"{"items": []}"#), &Decoding::Strict)
        .unwrap();
    assert_eq!(
        pager.on_page(answer.clone()),
        Err(PagerError::NoRequestPending)
    );
    assert!(pager.next_request(&cfg).is_some());
    assert_eq!(pager.on_page(answer.clone()), Ok(vec![]));
    assert_eq!(pager.on_page(answer), Err(PagerError::NoRequestPending));
}

#[test]
fn pager_stops_on_items_that_are_not_tasks() {
    let cfg = platform_config();
    let mut pager = Pager::new(ListTasks::new().offset(10));
    let call = pager.next_request(&cfg).unwrap();
    let answer = call
        .parse_response(&ok(br#"{"items": [{"id": "a"}, 7]}"#), &Decoding::default())
        .unwrap();
    assert!(answer.value.items_unusable());
    assert_eq!(
        pager.on_page(answer),
        Err(PagerError::UnusableItems { offset: 10 })
    );
    assert!(pager.is_done());
    assert_eq!(pager.next_request(&cfg), None);
}

#[test]
fn pager_gives_up_when_pages_bring_nothing_new() {
    let cfg = platform_config();
    let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(2).unwrap()));
    let mut pages = 0u32;
    let err = loop {
        let call = pager.next_request(&cfg).expect("still going");
        // A broken server that always answers the same full page, no total, no links.
        let answer = call
            .parse_response(
                &ok(br#"{"items": [{"id": "a"}, {"id": "b"}]}"#),
                &Decoding::Strict,
            )
            .unwrap();
        pages += 1;
        match pager.on_page(answer) {
            Ok(_) => assert!(pages < 1000),
            Err(e) => break e,
        }
    };
    assert_eq!(
        err,
        PagerError::Stalled {
            pages: sbg_tasks_proto::machine::pager::MAX_STALLED_PAGES,
            offset: 2 * u64::from(sbg_tasks_proto::machine::pager::MAX_STALLED_PAGES),
        }
    );
    assert!(pager.is_done());
}

#[test]
fn pager_works_against_a_loopback_mock_base_url() {
    let base = BaseUrl::parse_with("http://127.0.0.1:8080/v2", AllowHttp::Loopback).unwrap();
    let cfg = Config::new(base, AuthToken::new(TOKEN).unwrap());
    let mut server = Server::new(5);
    server.links = Some("http://127.0.0.1:8080/v2".into());
    let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(2).unwrap()));
    assert_eq!(
        walk(&mut pager, &mut server, &cfg, |_, _| {}).unwrap(),
        ids(0..5)
    );
    assert_eq!(pager.ignored_links().0, 0);
}

// ---------------------------------------------------------------------------------------------
// Properties: a list that changes between page fetches.

#[derive(Debug, Clone)]
struct Change {
    inserts: Vec<Index>,
    deletes: Vec<Index>,
}

fn changes(max_inserts: usize, max_deletes: usize) -> impl Strategy<Value = Vec<Change>> {
    vec(
        (
            vec(any::<Index>(), 0..=max_inserts),
            vec(any::<Index>(), 0..=max_deletes),
        )
            .prop_map(|(inserts, deletes)| Change { inserts, deletes }),
        0..16,
    )
}

#[derive(Debug, Clone, Copy)]
struct Setup {
    front_only: bool,
    total: bool,
    links: bool,
}

/// Runs a walk with `changes` applied between fetches; returns (handed out, ids present
/// throughout, ids that ever existed).
fn simulate(
    initial: usize,
    limit: u64,
    setup: Setup,
    changes: &[Change],
) -> (Vec<String>, HashSet<String>, HashSet<String>) {
    let cfg = platform_config();
    let mut server = Server::new(initial);
    server.total = setup.total;
    if setup.links {
        server.links = Some("https://api.sbgenomics.com/v2".into());
    }
    let mut deleted = HashSet::new();
    let mut ever: HashSet<String> = server.list.iter().cloned().collect();
    let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(limit).unwrap()));
    let got = walk(&mut pager, &mut server, &cfg, |s, fetch| {
        let Some(change) = changes.get(fetch - 1) else {
            return;
        };
        for at in &change.inserts {
            let id = format!("new{}", s.fresh);
            s.fresh += 1;
            let pos = if setup.front_only {
                0
            } else {
                at.index(s.list.len() + 1)
            };
            s.list.insert(pos, id.clone());
            ever.insert(id);
        }
        for at in &change.deletes {
            if !s.list.is_empty() {
                let gone = s.list.remove(at.index(s.list.len()));
                deleted.insert(gone);
            }
        }
    })
    .expect("the walk completes");
    let throughout = ids(0..initial)
        .into_iter()
        .filter(|id| !deleted.contains(id))
        .collect();
    (got, throughout, ever)
}

fn counts(got: &[String]) -> HashMap<&str, usize> {
    let mut m = HashMap::new();
    for id in got {
        *m.entry(id.as_str()).or_insert(0) += 1;
    }
    m
}

fn check_no_repeats(got: &[String], ever: &HashSet<String>) -> Result<(), TestCaseError> {
    for (id, n) in counts(got) {
        prop_assert_eq!(n, 1, "{} handed out {} times", id, n);
        prop_assert!(ever.contains(id), "{} never existed", id);
    }
    Ok(())
}

fn check_every_survivor(got: &[String], throughout: &HashSet<String>) -> Result<(), TestCaseError> {
    let got: HashSet<&str> = got.iter().map(String::as_str).collect();
    for id in throughout {
        prop_assert!(got.contains(id.as_str()), "{} was skipped", id);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Inserts at the front and removals anywhere, total on every page, with or without links:
    /// every task present throughout exactly once, never a repeat.
    #[test]
    fn pager_front_inserts_and_removals(
        initial in 0usize..60,
        limit in 1u64..=10,
        links in any::<bool>(),
        changes in changes(8, 6),
    ) {
        let setup = Setup { front_only: true, total: true, links };
        let (got, throughout, ever) = simulate(initial, limit, setup, &changes);
        check_no_repeats(&got, &ever)?;
        check_every_survivor(&got, &throughout)?;
    }

    /// Inserts anywhere and no removals, with or without the total and links: the same
    /// guarantee.
    #[test]
    fn pager_inserts_anywhere(
        initial in 0usize..60,
        limit in 1u64..=10,
        total in any::<bool>(),
        links in any::<bool>(),
        changes in changes(8, 0),
    ) {
        let setup = Setup { front_only: false, total, links };
        let (got, throughout, ever) = simulate(initial, limit, setup, &changes);
        check_no_repeats(&got, &ever)?;
        check_every_survivor(&got, &throughout)?;
        prop_assert_eq!(throughout.len(), initial);
    }

    /// Inserts anywhere mixed with removals (or no total): skips become possible, repeats
    /// never.
    #[test]
    fn pager_never_repeats(
        initial in 0usize..60,
        limit in 1u64..=10,
        total in any::<bool>(),
        links in any::<bool>(),
        changes in changes(6, 6),
    ) {
        let setup = Setup { front_only: false, total, links };
        let (got, _, ever) = simulate(initial, limit, setup, &changes);
        check_no_repeats(&got, &ever)?;
    }

    /// A stable list is read in order, exactly, in ceil(n / limit) requests (plus one empty
    /// page when the total is not sent and n is a multiple of the limit).
    #[test]
    fn pager_reads_a_stable_list_in_order(
        initial in 0usize..250,
        limit in 1u64..=100,
        total in any::<bool>(),
        links in any::<bool>(),
    ) {
        let cfg = platform_config();
        let mut server = Server::new(initial);
        server.total = total;
        if links {
            server.links = Some("https://api.sbgenomics.com/v2".into());
        }
        let mut pager = Pager::new(ListTasks::new().limit(PageLimit::new(limit).unwrap()));
        let got = walk(&mut pager, &mut server, &cfg, |_, _| {}).unwrap();
        prop_assert_eq!(got, ids(0..initial));
        let l = limit as usize;
        let full = initial.div_ceil(l).max(1);
        let extra = usize::from(!total && !links && initial % l == 0 && initial > 0);
        prop_assert_eq!(server.calls.len(), full + extra);
    }
}
