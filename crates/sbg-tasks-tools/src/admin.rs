//! The mock's own endpoints (`/__mock/`), called from another process: the soak's only way
//! to drive its child mock (fleets, faults, task states, statistics).

use std::time::Duration;

use sbg_tasks_ureq::proto::meta::RateLimit;
use serde_json::Value;

use crate::Res;

/// How many times the DRAFT listing is sent while the answer is 429.
const DRAFT_LISTING_TRIES: u32 = 10;

/// How long until the window of `X-RateLimit-Reset` (Unix seconds) is over, plus a little for
/// the 1-second resolution; 1 s when the rate-limit headers are missing or unreadable, 10 s at
/// most.
fn until_reset(headers: &ureq::http::HeaderMap) -> Duration {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    match RateLimit::from_headers(headers) {
        Some(r) => Duration::from_secs(r.reset)
            .saturating_sub(now)
            .saturating_add(Duration::from_millis(100))
            .min(Duration::from_secs(10)),
        None => Duration::from_secs(1),
    }
}

/// A mock in another process, driven over its `/__mock/` endpoints.
pub(crate) struct MockAdmin {
    agent: ureq::Agent,
    /// `http://HOST:PORT`, the API base without `/v2`.
    root: String,
}

impl MockAdmin {
    /// The mock whose API base URL is `base_url` (e.g. `http://127.0.0.1:8080/v2`).
    pub(crate) fn new(base_url: &str) -> Self {
        let root = base_url
            .trim_end_matches('/')
            .trim_end_matches("/v2")
            .to_owned();
        let agent = ureq::Agent::config_builder()
            .proxy(None)
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        MockAdmin { agent, root }
    }

    fn answer(mut r: ureq::http::Response<ureq::Body>, what: &str) -> Res<Value> {
        let status = r.status().as_u16();
        let text = r.body_mut().read_to_string()?;
        if !(200..300).contains(&status) {
            return Err(format!("{what}: {status} {text}").into());
        }
        Ok(serde_json::from_str(&text)?)
    }

    fn get(&self, path: &str) -> Res<Value> {
        let r = self.agent.get(format!("{}{path}", self.root)).call()?;
        Self::answer(r, path)
    }

    fn post(&self, path: &str) -> Res<Value> {
        let r = self
            .agent
            .post(format!("{}{path}", self.root))
            .send_empty()?;
        Self::answer(r, path)
    }

    /// `POST /__mock/fleet`: a fleet of `count` tasks ending within `duration`; its `ids`,
    /// `parent` and `failing`.
    pub(crate) fn spawn_fleet(
        &self,
        count: usize,
        duration: Duration,
        fail_ratio: f64,
        seed: u64,
        batch_parent: bool,
    ) -> Res<Value> {
        self.post(&format!(
            "/__mock/fleet?count={count}&duration_ms={}&fail_ratio={fail_ratio}&seed={seed}&batch_parent={batch_parent}",
            duration.as_millis()
        ))
    }

    /// `POST /__mock/faults`: install a fault in the mock's `--fault` syntax.
    pub(crate) fn inject(&self, spec: &str) -> Res<()> {
        self.post(&format!("/__mock/faults?spec={spec}")).map(drop)
    }

    /// `GET /__mock/faults`: how many faults are still installed (for `route`, waiting for a
    /// request of that route).
    pub(crate) fn pending(&self, route: Option<&str>) -> Res<u64> {
        let path = match route {
            Some(r) => format!("/__mock/faults?route={r}"),
            None => "/__mock/faults".to_owned(),
        };
        self.get(&path)?["pending"]
            .as_u64()
            .ok_or_else(|| "no `pending` in the answer".into())
    }

    /// `GET /__mock/tasks/ID`: the task's status now (`-` when there is no such task).
    pub(crate) fn status(&self, id: &str) -> Res<String> {
        let r = self
            .agent
            .get(format!("{}/__mock/tasks/{id}", self.root))
            .call()?;
        if r.status().as_u16() == 404 {
            return Ok("-".to_owned());
        }
        let task = Self::answer(r, "task")?;
        Ok(task["status"].as_str().unwrap_or("-").to_owned())
    }

    /// `DELETE /__mock/faults`: remove every fault still installed.
    pub(crate) fn clear_faults(&self) -> Res<()> {
        let r = self
            .agent
            .delete(format!("{}/__mock/faults", self.root))
            .call()?;
        let status = r.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(format!("DELETE /__mock/faults: {status}").into());
        }
        Ok(())
    }

    /// `GET /__mock/copies`.
    pub(crate) fn copies(&self) -> Res<Value> {
        self.get("/__mock/copies")
    }

    /// Every entry of `GET /__mock/journal` (paged with `since`).
    pub(crate) fn journal_entries(&self) -> Res<Vec<Value>> {
        let mut all = Vec::new();
        let mut since = 0;
        loop {
            let page = self.get(&format!("/__mock/journal?since={since}"))?;
            let entries = page["entries"].as_array().cloned().unwrap_or_default();
            if entries.is_empty() {
                return Ok(all);
            }
            all.extend(entries);
            since = page["next"]
                .as_u64()
                .ok_or("no `next` in the journal page")?;
        }
    }

    /// How many DRAFTs of `project` the API lists (`X-Total-Matching-Query`), asked with
    /// `token`.
    ///
    /// The check runs right after the CLI, on the same token, so the window may be spent: a
    /// 429 is waited out until `X-RateLimit-Reset` (at most [`DRAFT_LISTING_TRIES`] times), as
    /// any client of the platform must.
    pub(crate) fn list_drafts(&self, token: &str, project: &str) -> Res<u64> {
        let mut tries = 0;
        let mut r = loop {
            let r = self
                .agent
                .get(format!("{}/v2/tasks", self.root))
                .query("project", project)
                .query("status", "DRAFT")
                .query("limit", "100")
                .header("X-SBG-Auth-Token", token)
                .call()?;
            tries += 1;
            if r.status().as_u16() != 429 || tries >= DRAFT_LISTING_TRIES {
                break r;
            }
            std::thread::sleep(until_reset(r.headers()));
        };
        let total = r
            .headers()
            .get("X-Total-Matching-Query")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let body = r.body_mut().read_to_string()?;
        let status = r.status().as_u16();
        if status != 200 {
            return Err(format!("listing the DRAFTs: {status} {body}").into());
        }
        let v: Value = serde_json::from_str(&body)?;
        let items = v["items"].as_array().map_or(0, Vec::len) as u64;
        Ok(total.unwrap_or(items).max(items))
    }

    /// `GET /__mock/stats`.
    pub(crate) fn stats(&self) -> Res<Value> {
        self.get("/__mock/stats")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sbg_tasks_mock::MockBuilder;

    /// The soak's view of a mock over `/__mock/` is the library handle's.
    #[test]
    fn drives_a_mock_over_its_endpoints_as_the_handle_sees_it() {
        let m = MockBuilder::new().token("T").start_blocking().unwrap();
        let admin = MockAdmin::new(m.base_url());
        let fleet = admin
            .spawn_fleet(3, Duration::from_secs(60), 0.0, 5, true)
            .unwrap();
        let ids: Vec<String> = serde_json::from_value(fleet["ids"].clone()).unwrap();
        assert_eq!(ids.len(), 3);
        assert_eq!(m.fleets()[0].ids, ids);
        let parent = fleet["parent"].as_str().unwrap();
        assert_eq!(admin.status(parent).unwrap(), "QUEUED");
        assert_eq!(admin.status(&ids[0]).unwrap(), "QUEUED");
        assert_eq!(
            admin
                .status("00000000-0000-4000-8000-000000000000")
                .unwrap(),
            "-"
        );
        admin.inject("503@bulk_get*2").unwrap();
        admin.inject("delay:5@list*1").unwrap();
        assert_eq!(admin.pending(Some("bulk_get")).unwrap(), 1);
        assert_eq!(admin.pending(None).unwrap(), 2);
        assert_eq!(m.faults().len(), 2);
        assert!(admin.inject("not-a-fault").is_err());
        assert_eq!(
            admin.stats().unwrap()["requests"],
            0,
            "nothing reached the API"
        );
    }

    /// The DRAFT check waits out a spent window instead of failing on its 429 (CI once failed
    /// this way right after the CLI had spent the window).
    #[test]
    fn the_draft_listing_waits_out_a_spent_window() {
        let m = MockBuilder::new()
            .token("T")
            .rate_limit(1, Duration::from_secs(1))
            .start_blocking()
            .unwrap();
        let admin = MockAdmin::new(m.base_url());
        let fleet = admin
            .spawn_fleet(2, Duration::from_secs(60), 0.0, 5, false)
            .unwrap();
        let id = fleet["ids"][0].as_str().unwrap().to_owned();
        let task = m.task(&id).unwrap();
        let project = task["project"].as_str().unwrap().to_owned();
        assert_eq!(admin.list_drafts("T", &project).unwrap(), 0);
        // The window (1 request) is spent: the second listing is refused, then waited for.
        assert_eq!(admin.list_drafts("T", &project).unwrap(), 0);
        let stats = admin.stats().unwrap();
        assert!(
            stats["rate_limited"].as_u64() >= Some(1),
            "the second listing met the spent window: {stats}"
        );
    }
}
