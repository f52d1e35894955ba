//! Where the token and the endpoint come from, as the official clients do it:
//! flags, then `SB_AUTH_TOKEN` / `SB_API_ENDPOINT`, then a profile of
//! `~/.sevenbridges/credentials`.

use std::path::{Path, PathBuf};

use sbg_tasks_proto::config::AllowHttp;
use sbg_tasks_proto::{AuthToken, BaseUrl, Config, Platform};

use crate::cli::NetArgs;
use crate::error::CliError;

/// Environment variable holding the token.
pub(crate) const ENV_TOKEN: &str = "SB_AUTH_TOKEN";
/// Environment variable holding the endpoint.
pub(crate) const ENV_ENDPOINT: &str = "SB_API_ENDPOINT";
/// Environment variable naming the credentials file (for tests and unusual setups).
pub(crate) const ENV_CREDENTIALS_FILE: &str = "SB_CREDENTIALS_FILE";

/// Where a setting came from (shown by `--verbose`; never the value of a token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// A command-line flag.
    Flag(&'static str),
    /// An environment variable.
    Env(&'static str),
    /// A profile of the credentials file.
    Profile { name: String, file: PathBuf },
    /// The built-in default.
    Default,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "flag {flag}"),
            Source::Env(var) => write!(f, "${var}"),
            Source::Profile { name, file } => write!(f, "profile [{name}] of {}", file.display()),
            Source::Default => f.write_str("the default"),
        }
    }
}

/// The resolved connection settings.
#[derive(Debug)]
pub(crate) struct Resolved {
    /// The proto config (base URL and token).
    pub(crate) config: Config,
    /// Where the token came from.
    pub(crate) token_source: Source,
    /// Where the endpoint came from.
    pub(crate) endpoint_source: Source,
}

/// What the process sees: environment variables and the home directory. A trait object so that
/// unit tests need not touch the real environment.
pub(crate) trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The real environment.
pub(crate) struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

/// One profile of the credentials file.
#[derive(Debug, Default)]
struct Profile {
    api_endpoint: Option<String>,
    auth_token: Option<String>,
}

/// The credentials file's path: flag, `$SB_CREDENTIALS_FILE`, `$HOME/.sevenbridges/credentials`.
fn credentials_path(args: &NetArgs, env: &dyn Env) -> Option<PathBuf> {
    if let Some(p) = &args.credentials_file {
        return Some(p.clone());
    }
    if let Some(p) = env.var(ENV_CREDENTIALS_FILE) {
        return Some(PathBuf::from(p));
    }
    let home = env.var("HOME").or_else(|| env.var("USERPROFILE"))?;
    Some(Path::new(&home).join(".sevenbridges").join("credentials"))
}

/// Reads profile `name` of the INI file at `path`. A missing file or section is `Ok(None)`.
fn read_profile(path: &Path, name: &str) -> Result<Option<Profile>, CliError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(CliError::Usage(format!(
                "cannot read the credentials file {}: {e}",
                path.display()
            )))
        }
    };
    // Parse errors from the INI crate carry line numbers only, never values.
    let ini = ini::Ini::load_from_str_noescape(&text).map_err(|e| {
        CliError::Usage(format!(
            "the credentials file {} is not a valid INI file: {}",
            path.display(),
            redact_ini_error(&e)
        ))
    })?;
    let Some(section) = ini.section(Some(name)) else {
        return Ok(None);
    };
    let get = |key: &str| {
        section
            .get(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    Ok(Some(Profile {
        api_endpoint: get("api_endpoint"),
        auth_token: get("auth_token"),
    }))
}

/// The INI crate's parse error says where, and may quote the line; keep only the position.
fn redact_ini_error(e: &ini::ParseError) -> String {
    format!("syntax error at line {}, column {}", e.line, e.col)
}

/// Resolves the connection settings of a network command.
pub(crate) fn resolve(args: &NetArgs, env: &dyn Env) -> Result<Resolved, CliError> {
    let allow = if args.allow_http_loopback {
        AllowHttp::Loopback
    } else {
        AllowHttp::Never
    };
    let explicit_profile = args.profile != "default";

    // Flags, then the environment.
    let mut token: Option<(String, Source)> = args
        .token
        .clone()
        .map(|t| (t, Source::Flag("--token")))
        .or_else(|| env.var(ENV_TOKEN).map(|t| (t, Source::Env(ENV_TOKEN))));
    let mut endpoint: Option<(BaseUrl, Source)> = if let Some(url) = &args.endpoint {
        Some((parse_url(url, allow)?, Source::Flag("--endpoint")))
    } else if let Some(p) = args.platform {
        Some((p.0.base_url(), Source::Flag("--platform")))
    } else if let Some(url) = env.var(ENV_ENDPOINT) {
        Some((parse_url(&url, allow)?, Source::Env(ENV_ENDPOINT)))
    } else {
        None
    };

    // Then the profile, for whatever is still missing (or when one was named explicitly, so a
    // misspelt profile is reported rather than silently ignored).
    if token.is_none() || endpoint.is_none() || explicit_profile {
        let path = credentials_path(args, env);
        let profile = match &path {
            Some(p) => read_profile(p, &args.profile)?,
            None => None,
        };
        match (profile, path) {
            (Some(profile), Some(file)) => {
                let source = Source::Profile {
                    name: args.profile.clone(),
                    file,
                };
                if token.is_none() {
                    token = profile.auth_token.map(|t| (t, source.clone()));
                }
                if endpoint.is_none() {
                    if let Some(url) = profile.api_endpoint {
                        endpoint = Some((parse_url(&url, allow)?, source));
                    }
                }
            }
            (None, path) if explicit_profile => {
                return Err(CliError::Usage(format!(
                    "profile [{}] not found in {}",
                    args.profile,
                    path.map_or_else(
                        || "(no home directory)".to_owned(),
                        |p| p.display().to_string()
                    )
                )))
            }
            _ => {}
        }
    }

    let (token, token_source) = token.ok_or_else(|| {
        CliError::Usage(format!(
            "no auth token: give --token, set ${ENV_TOKEN}, or add `auth_token` to profile [{}] \
             of ~/.sevenbridges/credentials",
            args.profile
        ))
    })?;
    let token = AuthToken::new(token.trim().to_owned()).map_err(|e| {
        CliError::Usage(format!(
            "the auth token from {token_source} is invalid: {e}"
        ))
    })?;
    let (base_url, endpoint_source) =
        endpoint.unwrap_or_else(|| (Platform::SevenBridges.base_url(), Source::Default));
    Ok(Resolved {
        config: Config::new(base_url, token),
        token_source,
        endpoint_source,
    })
}

fn parse_url(url: &str, allow: AllowHttp) -> Result<BaseUrl, CliError> {
    BaseUrl::parse_with(url.trim(), allow).map_err(|e| {
        let hint = if url.trim_start().starts_with("http://") && allow == AllowHttp::Never {
            " (for a local mock, add --allow-http-loopback)"
        } else {
            ""
        };
        CliError::Usage(format!("{e}{hint}"))
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use clap::Parser;

    use super::*;

    struct MapEnv(HashMap<&'static str, String>);
    impl Env for MapEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).cloned()
        }
    }

    fn net(args: &[&str]) -> NetArgs {
        #[derive(Parser)]
        struct T {
            #[command(flatten)]
            net: NetArgs,
        }
        T::parse_from(std::iter::once("t").chain(args.iter().copied())).net
    }

    fn home_with(profiles: &str) -> (tempfile::TempDir, MapEnv) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".sevenbridges")).unwrap();
        std::fs::write(dir.path().join(".sevenbridges/credentials"), profiles).unwrap();
        let env = MapEnv(HashMap::from([(
            "HOME",
            dir.path().to_string_lossy().into_owned(),
        )]));
        (dir, env)
    }

    const FILE: &str = "[default]\napi_endpoint = https://cgc-api.sbgenomics.com/v2\nauth_token = fromfile\n\n[eu]\napi_endpoint=https://eu-api.sbgenomics.com/v2\nauth_token=eutoken\n";

    #[test]
    fn profile_fills_what_flags_and_env_leave() {
        let (_d, env) = home_with(FILE);
        let r = resolve(&net(&[]), &env).unwrap();
        assert_eq!(r.config.token().expose_secret(), "fromfile");
        assert_eq!(
            r.config.base_url().to_string(),
            "https://cgc-api.sbgenomics.com/v2"
        );
        assert!(matches!(r.token_source, Source::Profile { .. }));

        let r = resolve(&net(&["--profile", "eu"]), &env).unwrap();
        assert_eq!(r.config.token().expose_secret(), "eutoken");
        assert_eq!(r.config.base_url().authority(), "eu-api.sbgenomics.com");
    }

    #[test]
    fn env_beats_profile_and_flags_beat_env() {
        let (_d, mut env) = home_with(FILE);
        env.0.insert(ENV_TOKEN, "fromenv".into());
        env.0.insert(
            ENV_ENDPOINT,
            "https://cavatica-api.sbgenomics.com/v2".into(),
        );
        let r = resolve(&net(&[]), &env).unwrap();
        assert_eq!(r.config.token().expose_secret(), "fromenv");
        assert_eq!(
            r.config.base_url().authority(),
            "cavatica-api.sbgenomics.com"
        );
        assert_eq!(r.token_source, Source::Env(ENV_TOKEN));

        let r = resolve(&net(&["--token", "fromflag", "--platform", "bdc"]), &env).unwrap();
        assert_eq!(r.config.token().expose_secret(), "fromflag");
        assert_eq!(
            r.config.base_url().authority(),
            "api.sb.biodatacatalyst.nhlbi.nih.gov"
        );
        assert_eq!(r.endpoint_source, Source::Flag("--platform"));
    }

    #[test]
    fn default_endpoint_is_sbg_and_missing_token_is_usage() {
        let env = MapEnv(HashMap::from([(ENV_TOKEN, "t".to_owned())]));
        let r = resolve(&net(&[]), &env).unwrap();
        assert_eq!(
            r.config.base_url().to_string(),
            "https://api.sbgenomics.com/v2"
        );
        assert_eq!(r.endpoint_source, Source::Default);

        let env = MapEnv(HashMap::new());
        let e = resolve(&net(&[]), &env).unwrap_err();
        assert!(
            matches!(e, CliError::Usage(ref m) if m.contains("no auth token")),
            "{e}"
        );
    }

    #[test]
    fn named_profile_that_is_missing_is_an_error() {
        let (_d, env) = home_with(FILE);
        let e = resolve(&net(&["--profile", "nope", "--token", "x"]), &env).unwrap_err();
        assert!(e.to_string().contains("profile [nope] not found"), "{e}");
    }

    #[test]
    fn http_needs_the_loopback_flag_and_a_loopback_host() {
        let env = MapEnv(HashMap::from([(ENV_TOKEN, "t".to_owned())]));
        let e = resolve(&net(&["--endpoint", "http://127.0.0.1:9/v2"]), &env).unwrap_err();
        assert!(e.to_string().contains("--allow-http-loopback"), "{e}");
        let r = resolve(
            &net(&[
                "--endpoint",
                "http://127.0.0.1:9/v2",
                "--allow-http-loopback",
            ]),
            &env,
        )
        .unwrap();
        assert!(r.config.base_url().is_http());
        let e = resolve(
            &net(&[
                "--endpoint",
                "http://example.com/v2",
                "--allow-http-loopback",
            ]),
            &env,
        )
        .unwrap_err();
        assert!(e.to_string().contains("loopback"), "{e}");
    }

    #[test]
    fn a_bad_token_is_reported_without_its_bytes() {
        let env = MapEnv(HashMap::from([(ENV_TOKEN, "sec ret".to_owned())]));
        let e = resolve(&net(&[]), &env).unwrap_err().to_string();
        assert!(e.contains("$SB_AUTH_TOKEN") && e.contains("space"), "{e}");
        assert!(!e.contains("sec"), "{e}");
    }
}
