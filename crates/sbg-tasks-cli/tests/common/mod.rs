//! Helpers shared by the CLI's end-to-end tests: a mock on loopback and the binary run in a
//! clean environment (no SB_* variables, HOME in a temporary directory, no proxies).

#![allow(dead_code, unused_imports, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub use sbg_tasks_mock::examples::{
    BATCH_TASK_ID, GET_TASK_ID, INVALID_DRAFT_ID, RUN_TASK_ID, RUN_TASK_REQUEST_ID,
};
use sbg_tasks_mock::{MockHandle, MockServer, Schedule};

/// The token the test mocks accept: distinctive, so a leak is easy to find.
pub const TOKEN: &str = "tok3n-SECRET-d0-not-print-7f3a";

/// Both transports, as the `--transport` flag names them.
pub const TRANSPORTS: [&str; 2] = ["blocking", "async"];

/// A mock with the documentation's examples, finishing tasks after `polls` GETs.
pub fn mock(polls: u32) -> MockHandle {
    MockServer::builder()
        .token(TOKEN)
        .seed_examples(true)
        .schedule(Schedule::Polls(polls))
        .start_blocking()
        .expect("the mock starts")
}

/// A temporary HOME with nothing in it.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `~/.sevenbridges/credentials`.
    pub fn credentials(&self, ini: &str) -> PathBuf {
        let dir = self.path().join(".sevenbridges");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("credentials");
        std::fs::write(&file, ini).unwrap();
        file
    }
}

/// Runs the binary with `args` in a clean environment plus `env`.
pub fn sbg_env(home: &Home, args: &[&str], env: &[(&str, &str)]) -> Output {
    sbg_stdin(home, args, env, None)
}

/// Runs the binary with `args`, `env`, and `stdin` as standard input.
pub fn sbg_stdin(home: &Home, args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sbg-tasks"));
    cmd.env_clear()
        .env("HOME", home.path())
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Ok(path) = std::env::var("PATH") {
        cmd.env("PATH", path);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the binary starts");
    if let Some(input) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    child.wait_with_output().expect("the binary ends")
}

/// Runs the binary with `args` in a clean environment.
pub fn sbg(home: &Home, args: &[&str]) -> Output {
    sbg_env(home, args, &[])
}

/// `args` followed by the flags that point at `mock` with the right token over `transport`.
pub fn net<'a>(mock: &'a MockHandle, transport: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut v = args.to_vec();
    v.extend([
        "--endpoint",
        mock.base_url(),
        "--allow-http-loopback",
        "--token",
        TOKEN,
        "--transport",
        transport,
    ]);
    v
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The exit code, with both streams in the message when it is not `code`.
#[track_caller]
pub fn assert_code(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    );
}

/// Neither stream holds the token.
#[track_caller]
pub fn assert_no_token(o: &Output) {
    for (name, text) in [("stdout", stdout(o)), ("stderr", stderr(o))] {
        assert!(!text.contains(TOKEN), "the token leaked on {name}:\n{text}");
        assert!(
            !text.contains("SECRET"),
            "part of the token leaked on {name}:\n{text}"
        );
    }
}

/// The spec's examples, as the proto crate keeps them.
pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sbg-tasks-proto/tests/data")
        .join(name)
}
