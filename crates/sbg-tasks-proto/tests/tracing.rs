//! The client's tracing, in a test binary of its own: tracing caches per-callsite interest
//! process-wide, so a test that installs a scoped subscriber must not share its process with
//! tests that hit the same callsites on other threads at the same time.

mod support;
use support::*;

/// A tracing subscriber that writes every span's and event's fields to a shared log.
struct Capture(std::sync::Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write as _;
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut f = Fields(format!("span {} ", span.metadata().name()));
        span.record(&mut f);
        self.0.lock().unwrap().push(f.0);
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut f = Fields(String::new());
        values.record(&mut f);
        self.0.lock().unwrap().push(f.0);
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut f = Fields(String::new());
        event.record(&mut f);
        self.0.lock().unwrap().push(f.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn each_attempt_is_traced_with_method_path_status_attempt_and_latency_but_never_the_token() {
    let log = std::sync::Arc::new(Mutex::new(Vec::new()));
    let script = Script::new(vec![
        error(503, 0),
        task("RUNNING"),
        failure(TransportErrorKind::Io),
    ]);
    let env = env();
    tracing::subscriber::with_default(Capture(log.clone()), || {
        let c = client(&script, &env);
        c.get(&GetTask::new(id())).unwrap();
        c.rerun(&RerunTask::new(id())).unwrap_err();
    });
    let log = log.lock().unwrap().join("\n");
    assert!(
        log.contains(&format!("span sbg_tasks_call method=GET path={}", GET.1)),
        "{log}"
    );
    assert!(log.contains("attempt=1 status=503 latency_ms=0"), "{log}");
    assert!(log.contains("attempt=2 status=200"), "{log}");
    assert!(
        log.contains("reason=unavailable (HTTP 503) wait_ms=500"),
        "{log}"
    );
    assert!(log.contains("error_kind=io request_sent=true"), "{log}");
    assert!(!log.contains(TOKEN), "{log}");
    assert!(
        !log.to_ascii_lowercase().contains("x-sbg-auth-token"),
        "{log}"
    );
}
