//! The mock's own endpoints (`/__mock/`), called from another process: the soak's only way
//! to drive its child mock (fleets, faults, task states, statistics).

use std::time::Duration;

use serde_json::Value;

use crate::Res;

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

    /// `GET /__mock/stats`.
    pub(crate) fn stats(&self) -> Res<Value> {
        self.get("/__mock/stats")
    }
}
