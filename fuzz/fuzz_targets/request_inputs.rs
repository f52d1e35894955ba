//! Validation of task ids, tokens, base URLs and `fields`, and request building, from
//! arbitrary strings.
//!
//! Properties: no panic; an accepted id never changes the request path (the path is exactly
//! the base prefix, `/tasks/`, the id and the action, with no dot segment, separator or
//! escape from the id); validated parts always build a request; the token only appears in
//! its auth header (never in Debug/Display of the token, the config or the request's other
//! parts); the Host header and URI authority are the base URL's; `fields` survives
//! Display → parse and the query carries exactly it; base URLs survive Display → parse.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sbg_tasks_proto::http::Method;
use sbg_tasks_proto::{AuthToken, BaseUrl, Config, Endpoint, GetTask, Platform, RerunTask, RunTask, TaskId};
use sbg_tasks_proto::config::{AllowHttp, AuthScheme};
use sbg_tasks_proto::endpoints::MAX_TASK_ID_LEN;
use sbg_tasks_proto::fields::Fields;

struct Input<'a> {
    id: &'a str,
    token: &'a str,
    base: Base<'a>,
    allow_http: u8,
    fields: Option<&'a str>,
    bearer: bool,
    flags: u8,
    agent: Option<&'a str>,
}

enum Base<'a> {
    Platform(u8),
    PlatformName(&'a str),
    Url(&'a str),
}

/// Input layout (easy to write seeds by hand): three bytes — flags, options (bit 0 bearer,
/// bits 1-2 http permission, bit 3 fields given, bit 4 agent given), base kind (0 platform
/// number, 1 platform name, else URL) — then NUL-separated text: id, token, base, fields,
/// user-agent prefix.
fn parse(data: &[u8]) -> Option<Input<'_>> {
    let [flags, opts, kind, rest @ ..] = data else {
        return None;
    };
    let text = std::str::from_utf8(rest).ok()?;
    let mut parts = text.split('\0');
    let id = parts.next().unwrap_or("");
    let token = parts.next().unwrap_or("");
    let base_text = parts.next().unwrap_or("");
    let fields = parts.next().filter(|_| opts & 8 != 0);
    let agent = parts.next().filter(|_| opts & 16 != 0);
    let base = match kind {
        0 => Base::Platform(base_text.bytes().next().unwrap_or(0)),
        1 => Base::PlatformName(base_text),
        _ => Base::Url(base_text),
    };
    Some(Input {
        id,
        token,
        base,
        allow_http: (opts >> 1) & 3,
        fields,
        bearer: opts & 1 != 0,
        flags: *flags,
        agent,
    })
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = parse(data) else {
        return;
    };
    // Task id.
    let id = match TaskId::new(input.id) {
        Ok(id) => {
            let s = id.as_str();
            assert_eq!(s, input.id);
            assert!(!s.is_empty() && s.len() <= MAX_TASK_ID_LEN);
            assert!(s != "." && s != "..", "dot segment accepted");
            assert!(
                s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)),
                "id {s:?} has a byte that is not unreserved"
            );
            assert_eq!(s.parse::<TaskId>().as_ref(), Ok(&id));
            Some(id)
        }
        Err(e) => {
            let _ = e.to_string();
            None
        }
    };

    // Token: never shows itself (what it prints does not depend on it).
    let dummy = AuthToken::new("x").unwrap();
    let token = match AuthToken::new(input.token) {
        Ok(t) => {
            assert_eq!(t.expose_secret(), input.token);
            assert_eq!(format!("{t:?}"), format!("{dummy:?}"), "token in its Debug");
            assert_eq!(format!("{t}"), format!("{dummy}"), "token in its Display");
            Some(t)
        }
        Err(e) => {
            // The error depends on where the first bad byte is and what kind it is, never on
            // the token's other characters: a token with every visible ASCII character
            // replaced gives the same error. (Checking that the message does not contain the
            // token gave false alarms: a fuzzer-made token can spell the message itself.)
            let masked: String = input
                .token
                .chars()
                .map(|c| if c.is_ascii_graphic() { 'x' } else { c })
                .collect();
            let e2 = AuthToken::new(masked.as_str()).expect_err("the same bad byte");
            assert_eq!(
                format!("{e} {e:?}"),
                format!("{e2} {e2:?}"),
                "the token's error depends on its characters"
            );
            None
        }
    };

    // Base URL.
    let allow = match input.allow_http % 3 {
        0 => AllowHttp::Never,
        1 => AllowHttp::Loopback,
        _ => AllowHttp::Always,
    };
    let base: Option<BaseUrl> = match input.base {
        Base::Platform(i) => Some(Platform::ALL[usize::from(i) % Platform::ALL.len()].into()),
        Base::PlatformName(s) => s.parse::<Platform>().ok().map(BaseUrl::from),
        Base::Url(s) => match BaseUrl::parse_with(s, allow) {
            Ok(b) => {
                assert!(b.scheme() == "https" || b.scheme() == "http");
                if b.is_http() {
                    assert!(
                        allow != AllowHttp::Never,
                        "http accepted without permission"
                    );
                    if allow == AllowHttp::Loopback {
                        assert!(
                            sbg_tasks_proto::config::is_loopback_host(b.host()),
                            "http allowed for {:?}, whose host {:?} is not loopback",
                            b.authority(),
                            b.host()
                        );
                    }
                }
                assert!(!b.authority().contains('@'), "user info accepted");
                assert!(!b.path_prefix().contains(['?', '#']));
                assert!(!b.path_prefix().ends_with('/'));
                let again = BaseUrl::parse_with(&b.to_string(), AllowHttp::Always)
                    .expect("a base URL's Display does not parse again");
                assert_eq!(again, b, "base URL changed through Display");
                Some(b)
            }
            Err(e) => {
                let _ = e.to_string();
                None
            }
        },
    };

    // Fields.
    let fields = input.fields.and_then(|f| match f.parse::<Fields>() {
        Ok(fields) => {
            let shown = fields.to_string();
            assert_eq!(
                shown.parse::<Fields>().as_ref(),
                Ok(&fields),
                "fields round trip"
            );
            assert!(shown
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-,".contains(&b)));
            Some(fields)
        }
        Err(e) => {
            let _ = e.to_string();
            None
        }
    });

    let (Some(id), Some(token), Some(base)) = (id, token, base) else {
        return;
    };
    let secret = token.expose_secret().to_owned();
    let mut config = Config::new(base.clone(), token);
    if input.bearer {
        config = config.with_auth_scheme(AuthScheme::Bearer);
    }
    if let Some(agent) = input.agent {
        if let Ok(c) = config.clone().with_user_agent_prefix(agent) {
            config = c;
        }
    }
    // Config's Debug does not depend on the token.
    let mut twin = Config::new(base.clone(), dummy);
    if input.bearer {
        twin = twin.with_auth_scheme(AuthScheme::Bearer);
    }
    if let Some(agent) = input.agent {
        if let Ok(c) = twin.clone().with_user_agent_prefix(agent) {
            twin = c;
        }
    }
    assert_eq!(
        format!("{config:?}"),
        format!("{twin:?}"),
        "token in Config's Debug"
    );

    let b = |x: u8| x & 1 != 0;
    let flags = input.flags;
    for call in 0..3 {
        let (built, method, action) = match call {
            0 => {
                let mut c = GetTask::new(id.clone());
                if let Some(f) = &fields {
                    c = c.fields(f.clone());
                }
                (c.prepare_request(&config), Method::GET, None)
            }
            1 => {
                let mut c = RunTask::new(id.clone())
                    .batch(b(flags))
                    .use_interruptible_instances(b(flags >> 1));
                if let Some(f) = &fields {
                    c = c.fields(f.clone());
                }
                (c.prepare_request(&config), Method::POST, Some("run"))
            }
            _ => {
                let mut c = RerunTask::new(id.clone()).run(b(flags >> 2));
                if b(flags >> 3) {
                    c = c.batch(b(flags >> 4));
                }
                if b(flags >> 5) {
                    c = c.use_interruptible_instances(b(flags >> 6));
                }
                if let Some(f) = &fields {
                    c = c.fields(f.clone());
                }
                (c.prepare_request(&config), Method::POST, Some("clone"))
            }
        };
        let req = built.expect("validated parts did not build a request");
        assert_eq!(req.method(), method);
        let uri = req.uri();
        assert_eq!(uri.scheme_str(), Some(base.scheme()));
        assert_eq!(
            uri.authority().map(|a| a.as_str().to_ascii_lowercase()),
            Some(base.authority().to_owned())
        );
        // The path: exactly prefix + /tasks/ + id (+ /actions/ + action).
        let mut expected = format!("{}/tasks/{}", base.path_prefix(), id.as_str());
        if let Some(a) = action {
            expected.push_str("/actions/");
            expected.push_str(a);
        }
        assert_eq!(uri.path(), expected, "the id changed the path");
        let tail = &uri.path()[base.path_prefix().len()..];
        let segments: Vec<&str> = tail.split('/').collect();
        assert_eq!(segments[1], "tasks");
        assert_eq!(segments[2], id.as_str(), "the id is not one whole segment");
        assert!(segments.iter().all(|s| *s != "." && *s != ".."));
        // The query: only known keys; fields exactly as given.
        let query = uri.query().unwrap_or("");
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').expect("query pair without =");
            match k {
                "fields" => {
                    let f = fields.as_ref().expect("fields sent but not set");
                    assert_eq!(v, f.to_string());
                }
                "batch" | "use_interruptible_instances" => assert!(v == "true" || v == "false"),
                "action" => assert_eq!(v, "run"),
                other => panic!("unexpected query key {other:?}"),
            }
        }
        // Headers: host, auth with the token, nothing else carries it.
        let h = req.headers();
        assert_eq!(
            h.get("host").map(|v| v.as_bytes()),
            Some(base.authority().as_bytes())
        );
        let (auth_name, auth_value) = config.auth_header();
        assert!(auth_value.is_sensitive());
        assert_eq!(h.get(&auth_name), Some(&auth_value));
        let expect_auth = if input.bearer {
            format!("Bearer {secret}")
        } else {
            secret.clone()
        };
        assert_eq!(auth_value.as_bytes(), expect_auth.as_bytes());
        // Exactly the expected headers: the token can only be in the auth header.
        let mut names: Vec<&str> = h.keys().map(|n| n.as_str()).collect();
        names.sort_unstable();
        let mut want = vec!["accept", "host", "user-agent", auth_name.as_str()];
        if method != Method::GET {
            want.push("content-length");
        }
        want.sort_unstable();
        assert_eq!(names, want, "unexpected headers");
        assert_eq!(h.len(), want.len(), "a header sent twice");
        assert_eq!(h.get("user-agent"), Some(config.user_agent()));
        if method == Method::GET {
            assert!(req.body().is_empty());
        }
    }
});
