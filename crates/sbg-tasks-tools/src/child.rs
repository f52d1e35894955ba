//! The mock in a child process: this program's `mock` command on a free port, its base URL
//! read from the first line it prints. Killed when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::Res;

/// How many requests the child's journal keeps (its memory stays bounded).
const JOURNAL: &str = "10000";

/// A mock running in a child process.
pub(crate) struct MockChild {
    child: Child,
    base_url: String,
}

impl MockChild {
    /// Start a mock accepting `token` with the rate limit `rate` (the mock's
    /// `--rate-limit`: `N/SECONDS`, `N/Nms` or `off`).
    pub(crate) fn start(token: &str, rate: &str) -> Res<Self> {
        Self::start_with(token, rate, &[])
    }

    /// The same, with more of the `mock` command's flags (e.g. `--listing-lag=30`,
    /// `--clock-skew=-5`).
    pub(crate) fn start_with(token: &str, rate: &str, extra: &[String]) -> Res<Self> {
        let mut child = Command::new(std::env::current_exe()?)
            .args(["mock", "--listen", "127.0.0.1:0", "--token", token])
            .args(["--rate-limit", rate])
            .args(["--journal-capacity", JOURNAL])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("the mock child has no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let base_url = line.trim().to_owned();
        if !base_url.starts_with("http://") {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("the mock child printed {line:?}, not its base URL").into());
        }
        Ok(MockChild { child, base_url })
    }

    /// Its API base URL, e.g. `http://127.0.0.1:41234/v2`.
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Its process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for MockChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `VmRSS` of a `/proc/PID/status` file, in KiB (0 when unreadable).
pub(crate) fn rss_kib(path: &str) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
