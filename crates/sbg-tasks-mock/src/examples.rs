//! The documentation's examples, byte for byte (copied from the spec's `examples/`), and the ids
//! the mock seeds with [`MockBuilder::seed_examples`](crate::MockBuilder::seed_examples).

/// `get-task.json`: the answer of "get details of a task" (a COMPLETED task).
pub const GET_TASK: &[u8] = include_bytes!("../data/get-task.json");
/// `run-task.json`: the answer of "run a task" (a RUNNING task).
pub const RUN_TASK: &[u8] = include_bytes!("../data/run-task.json");
/// `rerun-task.json`: the answer of "rerun a task" (a DRAFT copy; its `href` and `id` differ).
pub const RERUN_TASK: &[u8] = include_bytes!("../data/rerun-task.json");
/// `get-task-batch.malformed.json`: the documentation's batch answer, which is NOT valid JSON.
pub const GET_TASK_BATCH_MALFORMED: &[u8] = include_bytes!("../data/get-task-batch.malformed.json");
/// `task-validation-errors.fragment.json`: an `"errors": [...]` member without its object.
pub const TASK_VALIDATION_ERRORS_FRAGMENT: &[u8] =
    include_bytes!("../data/task-validation-errors.fragment.json");
/// `get-task.request.http`: the documented get request.
pub const GET_TASK_REQUEST: &[u8] = include_bytes!("../data/get-task.request.http");
/// `run-task.request.http`: the documented run request (with the page's stray `"`).
pub const RUN_TASK_REQUEST: &[u8] = include_bytes!("../data/run-task.request.http");
/// `rerun-task.request.http`: the documented rerun request (with the page's stray `"`).
pub const RERUN_TASK_REQUEST: &[u8] = include_bytes!("../data/rerun-task.request.http");

/// Id of [`GET_TASK`]: seeded COMPLETED, served byte for byte.
pub const GET_TASK_ID: &str = "f586a3fb-c9e4-4415-b22b-648a66969a37";
/// Id asked for by [`GET_TASK_REQUEST`]: seeded as [`GET_TASK`] with its id and href rewritten
/// (served byte for byte apart from the id).
pub const GET_TASK_REQUEST_ID: &str = "08c5ce64-1551-4b7d-b054-63a1517bc7bb";
/// Id asked for by [`RUN_TASK_REQUEST`] and [`RERUN_TASK_REQUEST`]: seeded as a DRAFT built from
/// [`RUN_TASK`], so it can be run (once) and cloned (any number of times).
pub const RUN_TASK_REQUEST_ID: &str = "b0bbeda6-153b-4801-92ad-82bc0e58bdb6";
/// Id of [`RUN_TASK`]: seeded RUNNING as a static snapshot, served byte for byte until aborted.
pub const RUN_TASK_ID: &str = "234edb2d-a866-4828-a7c3-0aa757f991e7";
/// The `id` member of [`RERUN_TASK`]: seeded as a DRAFT, served byte for byte until changed.
pub const RERUN_TASK_ID: &str = "79ef6004-4529-3801-a86d-61cef5b4f2e8";
/// Id of [`GET_TASK_BATCH_MALFORMED`]: seeded as an ABORTED batch parent. Served verbatim
/// (malformed) with [`MockBuilder::serve_malformed_examples`](crate::MockBuilder::serve_malformed_examples),
/// otherwise as repaired JSON.
pub const BATCH_TASK_ID: &str = "a547a1c4-45c3-441e-857e-caf2a2df96ad";
/// A seeded DRAFT whose `errors` are [`TASK_VALIDATION_ERRORS_FRAGMENT`]'s: running it answers
/// 400/7024.
pub const INVALID_DRAFT_ID: &str = "c0ffee00-7024-4000-8000-000000007024";

/// The batch example repaired into JSON: single quotes to double quotes, the missing comma
/// added, trailing commas and the `<snip>` line removed. Every member that is there is kept.
pub fn batch_example_repaired() -> serde_json::Value {
    let text = String::from_utf8_lossy(GET_TASK_BATCH_MALFORMED);
    let mut out = String::with_capacity(text.len());
    let lines: Vec<&str> = text.lines().filter(|l| l.trim() != "<snip>").collect();
    for (i, line) in lines.iter().enumerate() {
        let mut l = line.replace('\'', "\"");
        let next = lines.get(i + 1).map(|n| n.trim_start()).unwrap_or_default();
        let closes = next.starts_with('}') || next.starts_with(']');
        if closes && l.ends_with(',') {
            l.pop();
        }
        if !closes
            && next.starts_with('"')
            && !l.ends_with(',')
            && !l.ends_with('{')
            && !l.ends_with('[')
        {
            l.push(',');
        }
        out.push_str(&l);
        out.push('\n');
    }
    serde_json::from_str(&out).unwrap_or(serde_json::Value::Null)
}

/// The validation errors of [`TASK_VALIDATION_ERRORS_FRAGMENT`] as a JSON array.
pub fn validation_errors() -> serde_json::Value {
    let mut text = b"{".to_vec();
    text.extend_from_slice(TASK_VALIDATION_ERRORS_FRAGMENT);
    text.push(b'}');
    serde_json::from_slice::<serde_json::Value>(&text)
        .ok()
        .and_then(|mut v| v.get_mut("errors").map(serde_json::Value::take))
        .unwrap_or(serde_json::Value::Null)
}

/// `example` (one of the bodies above) as a mock at `base_url` (e.g.
/// `http://127.0.0.1:8080/v2`) serves it: every `href` points at the mock, not at the
/// platform the documentation was written against, so a client that follows `href` never
/// leaves the mock (nor takes its token elsewhere). Nothing else changes, byte for byte.
pub fn at_base(example: &[u8], base_url: &str) -> Vec<u8> {
    let base = base_url.trim_end_matches('/');
    let text = String::from_utf8_lossy(example);
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest: &str = &text;
    while let Some(i) = rest.find("\"href\"") {
        let (head, tail) = rest.split_at(i + "\"href\"".len());
        out.push_str(head);
        rest = tail;
        // `: "https://host/v2` up to the end of `/v2`, on the same line.
        let line = &tail[..tail.find('\n').unwrap_or(tail.len())];
        let Some(start) = line.find(['"', '\'']).map(|q| q + 1) else {
            continue;
        };
        let Some(v2) = line[start..].find("://").and_then(|s| {
            line[start + s + 3..]
                .find("/v2")
                .map(|v| start + s + 3 + v + 3)
        }) else {
            continue;
        };
        out.push_str(&tail[..start]);
        out.push_str(base);
        rest = &tail[v2..];
    }
    out.push_str(rest);
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_href_of_every_example_points_at_the_base() {
        let base = "http://127.0.0.1:9/v2";
        for example in [GET_TASK, RUN_TASK, RERUN_TASK, GET_TASK_BATCH_MALFORMED] {
            let text = String::from_utf8(at_base(example, base)).unwrap();
            let hrefs: Vec<&str> = text.lines().filter(|l| l.contains("\"href\"")).collect();
            assert!(!hrefs.is_empty());
            for h in hrefs {
                assert!(h.contains("\"http://127.0.0.1:9/v2/tasks/"), "{h}");
            }
            assert!(!text.contains("sbgenomics.com"), "{text}");
            // Nothing but the hrefs changed.
            let original = String::from_utf8_lossy(example);
            assert_eq!(text.lines().count(), original.lines().count());
            for (a, b) in text.lines().zip(original.lines()) {
                assert!(a == b || a.contains("\"href\""), "{a} / {b}");
            }
        }
        assert_eq!(at_base(b"{\"id\":1}", base), b"{\"id\":1}");
    }
}
