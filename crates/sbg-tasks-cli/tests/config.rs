//! Where the token and endpoint come from, end to end: flags > SB_AUTH_TOKEN / SB_API_ENDPOINT >
//! a profile of ~/.sevenbridges/credentials.

mod common;

use common::*;
use sbg_tasks_mock::MockHandle;

fn profile(name: &str, mock: &MockHandle, token: &str) -> String {
    format!(
        "[{name}]\napi_endpoint = {}\nauth_token = {token}\n\n",
        mock.base_url()
    )
}

#[test]
fn the_default_profile_of_the_home_credentials_file_is_used() {
    let mock = mock(3);
    let home = Home::new();
    home.credentials(&profile("default", &mock, TOKEN));
    for t in TRANSPORTS {
        let o = sbg(
            &home,
            &[
                "get",
                GET_TASK_ID,
                "--allow-http-loopback",
                "--transport",
                t,
                "--verbose",
            ],
        );
        assert_code(&o, 0);
        assert!(stdout(&o).contains("COMPLETED"), "{}", stdout(&o));
        assert!(
            stderr(&o).contains("token from profile [default]"),
            "{}",
            stderr(&o)
        );
        assert_no_token(&o);
    }
}

#[test]
fn a_named_profile_is_chosen_with_profile_and_a_missing_one_is_usage() {
    let mock = mock(3);
    let home = Home::new();
    home.credentials(&format!(
        "{}{}",
        profile("default", &mock, "not-the-token"),
        profile("work", &mock, TOKEN)
    ));
    let o = sbg(&home, &["get", GET_TASK_ID, "--allow-http-loopback"]);
    assert_code(&o, 3); // the default profile's token is refused: 401
    let o = sbg(
        &home,
        &[
            "get",
            GET_TASK_ID,
            "--allow-http-loopback",
            "--profile",
            "work",
        ],
    );
    assert_code(&o, 0);
    let o = sbg(
        &home,
        &[
            "get",
            GET_TASK_ID,
            "--allow-http-loopback",
            "--profile",
            "nope",
        ],
    );
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("profile [nope] not found"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn environment_beats_the_profile_and_flags_beat_the_environment() {
    let mock = mock(3);
    let other = self::mock(3);
    let home = Home::new();
    // The profile points at `other` with a wrong token.
    home.credentials(&profile("default", &other, "profile-token"));

    // SB_AUTH_TOKEN and SB_API_ENDPOINT win over the profile.
    let env = [
        ("SB_AUTH_TOKEN", TOKEN),
        ("SB_API_ENDPOINT", mock.base_url()),
    ];
    let before = (mock.request_count(), other.request_count());
    let o = sbg_env(&home, &["get", GET_TASK_ID, "--allow-http-loopback"], &env);
    assert_code(&o, 0);
    assert_eq!(mock.request_count(), before.0 + 1);
    assert_eq!(other.request_count(), before.1);
    assert_no_token(&o);

    // A wrong token in the environment is overridden by --token.
    let env = [
        ("SB_AUTH_TOKEN", "env-token"),
        ("SB_API_ENDPOINT", mock.base_url()),
    ];
    let o = sbg_env(&home, &["get", GET_TASK_ID, "--allow-http-loopback"], &env);
    assert_code(&o, 3);
    let o = sbg_env(
        &home,
        &[
            "get",
            GET_TASK_ID,
            "--allow-http-loopback",
            "--token",
            TOKEN,
        ],
        &env,
    );
    assert_code(&o, 0);

    // --endpoint beats SB_API_ENDPOINT.
    let env = [
        ("SB_AUTH_TOKEN", TOKEN),
        ("SB_API_ENDPOINT", other.base_url()),
    ];
    let before = (mock.request_count(), other.request_count());
    let o = sbg_env(
        &home,
        &[
            "get",
            GET_TASK_ID,
            "--allow-http-loopback",
            "--endpoint",
            mock.base_url(),
        ],
        &env,
    );
    assert_code(&o, 0);
    assert_eq!(mock.request_count(), before.0 + 1);
    assert_eq!(other.request_count(), before.1);
}

#[test]
fn the_credentials_file_can_be_named_by_flag_or_environment() {
    let mock = mock(3);
    let home = Home::new();
    let file = home.path().join("elsewhere.ini");
    std::fs::write(&file, profile("default", &mock, TOKEN)).unwrap();
    let f = file.to_str().unwrap();
    let o = sbg(
        &home,
        &[
            "get",
            GET_TASK_ID,
            "--allow-http-loopback",
            "--credentials-file",
            f,
        ],
    );
    assert_code(&o, 0);
    let o = sbg_env(
        &home,
        &["get", GET_TASK_ID, "--allow-http-loopback"],
        &[("SB_CREDENTIALS_FILE", f)],
    );
    assert_code(&o, 0);
}

#[test]
fn no_token_anywhere_is_usage_and_platform_names_pick_hosts() {
    let home = Home::new();
    let o = sbg(&home, &["get", GET_TASK_ID]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("no auth token"), "{}", stderr(&o));

    // A token with a control character is refused without echoing it.
    let o = sbg_env(
        &home,
        &["get", GET_TASK_ID],
        &[("SB_AUTH_TOKEN", "abc\u{7}SECRET")],
    );
    assert_code(&o, 2);
    assert!(stderr(&o).contains("$SB_AUTH_TOKEN"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("SECRET"), "{}", stderr(&o));

    // A platform name that does not exist is bad usage; --endpoint and --platform conflict.
    let o = sbg(
        &home,
        &["get", GET_TASK_ID, "--platform", "mars", "--token", "t"],
    );
    assert_code(&o, 2);
    assert!(stderr(&o).contains("cavatica"), "{}", stderr(&o));
    let o = sbg(
        &home,
        &[
            "get",
            GET_TASK_ID,
            "--platform",
            "cgc",
            "--endpoint",
            "https://x/v2",
            "--token",
            "t",
        ],
    );
    assert_code(&o, 2);
}

#[test]
fn a_broken_credentials_file_is_reported_without_its_contents() {
    let home = Home::new();
    home.credentials("[default\nauth_token = SECRET-in-a-broken-file\n");
    let o = sbg(&home, &["get", GET_TASK_ID]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("credentials file"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("SECRET"), "{}", stderr(&o));
}
