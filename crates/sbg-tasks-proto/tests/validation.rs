//! Validated inputs say what is wrong: task ids, tokens, project and app names, base URLs.

use sbg_tasks_proto::config::{AllowHttp, BaseUrlError, TokenError};
use sbg_tasks_proto::endpoints::{NameError, TaskIdError};
use sbg_tasks_proto::{AppId, AuthToken, BaseUrl, Platform, ProjectId, TaskId};

#[test]
fn ids_and_tokens_say_what_is_wrong() {
    assert_eq!(TaskId::new(""), Err(TaskIdError::Empty));
    assert_eq!(TaskId::new(".."), Err(TaskIdError::DotSegment("..".into())));
    assert_eq!(
        TaskId::new("ab/cd"),
        Err(TaskIdError::InvalidChar {
            ch: '/',
            position: 2
        })
    );
    assert!(matches!(
        TaskId::new("a".repeat(129)),
        Err(TaskIdError::TooLong { len: 129, .. })
    ));
    assert!(TaskId::new("a".repeat(128)).is_ok());
    assert!(TaskId::new("not-a-uuid_but.safe~").is_ok_and(|id| !id.is_uuid()));
    let msg = TaskId::new("x?y").unwrap_err().to_string();
    assert!(msg.contains("'?'") && msg.contains("byte 1"), "{msg}");

    assert_eq!(AuthToken::new(""), Err(TokenError::Empty));
    let e = AuthToken::new("secret\r\nX: y").unwrap_err();
    assert_eq!(
        e,
        TokenError::InvalidByte {
            position: 6,
            class: "control character"
        }
    );
    assert!(!e.to_string().contains("secret"));
    assert!(matches!(
        AuthToken::new("a b"),
        Err(TokenError::InvalidByte { class: "space", .. })
    ));
    assert!(matches!(
        AuthToken::new("é"),
        Err(TokenError::InvalidByte {
            class: "non-ASCII byte",
            ..
        })
    ));
}

#[test]
fn names_are_validated() {
    assert!(matches!(
        "".parse::<ProjectId>(),
        Err(NameError::Empty { what: "project" })
    ));
    assert!(matches!(
        "justname".parse::<ProjectId>(),
        Err(NameError::Shape { .. })
    ));
    assert!(matches!(
        "a/b/c".parse::<ProjectId>(),
        Err(NameError::Shape { .. })
    ));
    assert!(matches!(
        "a/".parse::<ProjectId>(),
        Err(NameError::Shape { .. })
    ));
    assert!(matches!(
        "a b/c".parse::<ProjectId>(),
        Err(NameError::InvalidChar {
            ch: ' ',
            position: 1,
            ..
        })
    ));
    assert!(matches!(
        "a/b\n".parse::<ProjectId>(),
        Err(NameError::InvalidChar { ch: '\n', .. })
    ));
    assert!(matches!(
        ProjectId::new(format!("a/{}", "b".repeat(600))),
        Err(NameError::TooLong { len: 602, .. })
    ));
    assert!("a/b/c".parse::<AppId>().is_ok());
    assert!("a/b/c/7".parse::<AppId>().is_ok());
    assert!(matches!(
        "a/b".parse::<AppId>(),
        Err(NameError::Shape { .. })
    ));
    assert!(matches!(
        "a/b/c/7/8".parse::<AppId>(),
        Err(NameError::Shape { .. })
    ));
    assert!(matches!(
        "a//c".parse::<AppId>(),
        Err(NameError::Shape { .. })
    ));
}

#[test]
fn base_urls_are_validated() {
    for p in Platform::ALL {
        let b = BaseUrl::parse(p.url()).unwrap();
        assert_eq!(b, p.base_url());
        assert_eq!(b.to_string(), p.url());
        assert_eq!(p.name().parse::<Platform>().unwrap(), p);
    }
    assert_eq!(
        BaseUrl::parse("https://API.example.com/v2/")
            .unwrap()
            .to_string(),
        "https://api.example.com/v2"
    );
    assert!(matches!(
        BaseUrl::parse("http://127.0.0.1:8080/v2"),
        Err(BaseUrlError::Scheme { .. })
    ));
    let local = BaseUrl::parse_with("http://127.0.0.1:8080/v2", AllowHttp::Loopback).unwrap();
    assert!(local.is_http());
    assert_eq!(local.host(), "127.0.0.1");
    assert!(BaseUrl::parse_with("http://[::1]:9/v2", AllowHttp::Loopback).is_ok());
    assert!(BaseUrl::parse_with("http://localhost/v2", AllowHttp::Loopback).is_ok());
    assert!(BaseUrl::parse_with("http://example.com/v2", AllowHttp::Loopback).is_err());
    assert!(BaseUrl::parse_with("http://example.com/v2", AllowHttp::Always).is_ok());
    assert!(matches!(
        BaseUrl::parse("https://h/v2?x=1"),
        Err(BaseUrlError::QueryOrFragment { .. })
    ));
    assert!(matches!(
        BaseUrl::parse("https://h/v2#f"),
        Err(BaseUrlError::QueryOrFragment { .. })
    ));
    assert!(matches!(
        BaseUrl::parse("https://u:p@h/v2"),
        Err(BaseUrlError::UserInfo)
    ));
    assert!(matches!(
        BaseUrl::parse("/v2"),
        Err(BaseUrlError::NotAbsolute { .. })
    ));
    assert!(matches!(
        BaseUrl::parse("ftp://h/v2"),
        Err(BaseUrlError::Scheme { .. })
    ));
    assert!(BaseUrl::parse("https://h:99999999/v2").is_err());
    let b = Platform::Cgc.base_url();
    assert!(b.same_origin(
        &"https://cgc-api.sbgenomics.com/v2/tasks?offset=50"
            .parse()
            .unwrap()
    ));
    assert!(!b.same_origin(&"https://evil.example/v2/tasks".parse().unwrap()));
    assert!(!b.same_origin(&"http://cgc-api.sbgenomics.com/v2/tasks".parse().unwrap()));
    assert!("nope".parse::<Platform>().is_err());
}

#[test]
fn a_base_url_is_exactly_scheme_host_port_and_path() {
    // `http` alone would read this authority's host as 127.0.0.180 while we would send
    // `127.0.0.180:[::1]localhost:988` as Host (found by the request_inputs fuzz target).
    for bad in [
        "http://127.0.0.180:[::1]localhost:988/v2",
        "https://exa mple.com/v2",
        "https://[::1/v2",
        "https://[nope]:80/v2",
        "https://h!st/v2",
    ] {
        assert!(
            BaseUrl::parse_with(bad, AllowHttp::Always).is_err(),
            "{bad} was accepted"
        );
    }
    for good in [
        "https://api.sbgenomics.com/v2",
        "http://[::1]:8080/v2",
        "http://127.0.0.1:1/v2",
        "https://my_host.internal/v2",
    ] {
        assert!(
            BaseUrl::parse_with(good, AllowHttp::Always).is_ok(),
            "{good}"
        );
    }
}
