//! Where the token and the endpoint come from, as the official clients do it: explicit values
//! (flags, keyword arguments), then `SB_AUTH_TOKEN` / `SB_API_ENDPOINT`, then a profile of
//! `~/.sevenbridges/credentials`.
//!
//! One implementation for every front end of the workspace: the `sbg-tasks` CLI and the
//! `sbg_tasks` Python package resolve a profile the same way.
//!
//! # Example
//! ```
//! use sbg_tasks_credentials::{resolve, Overrides, Source};
//!
//! // Any `Fn(&str) -> Option<String>` is an environment (the process's is `ProcessEnv`).
//! let env = |name: &str| (name == "SB_AUTH_TOKEN").then(|| "from-env".to_owned());
//! let resolved = resolve(&Overrides::new(), &env)?;
//! assert_eq!(resolved.config.token().expose_secret(), "from-env");
//! assert_eq!(resolved.token_source, Source::Env("SB_AUTH_TOKEN"));
//! assert_eq!(resolved.config.base_url().to_string(), "https://api.sbgenomics.com/v2");
//! # Ok::<(), sbg_tasks_credentials::CredentialsError>(())
//! ```

use std::path::{Path, PathBuf};

use sbg_tasks_proto::config::AllowHttp;
use sbg_tasks_proto::{AuthToken, BaseUrl, Config, Platform};

/// Environment variable holding the token.
pub const ENV_TOKEN: &str = "SB_AUTH_TOKEN";
/// Environment variable holding the endpoint.
pub const ENV_ENDPOINT: &str = "SB_API_ENDPOINT";
/// Environment variable naming the credentials file (for tests and unusual setups).
pub const ENV_CREDENTIALS_FILE: &str = "SB_CREDENTIALS_FILE";
/// The profile used when none is named.
pub const DEFAULT_PROFILE: &str = "default";

/// Where a setting came from (never the value of a token).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// An explicit value, named as the front end calls it (`--token`, `token=`).
    Explicit(&'static str),
    /// An environment variable.
    Env(&'static str),
    /// A profile of the credentials file.
    Profile {
        /// The profile's name.
        name: String,
        /// The file.
        file: PathBuf,
    },
    /// The built-in default.
    Default,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // A command-line name (`--token`) reads "flag --token"; a keyword (`token=`) as is.
            Source::Explicit(name) if name.starts_with('-') => write!(f, "flag {name}"),
            Source::Explicit(name) => write!(f, "{name}"),
            Source::Env(var) => write!(f, "${var}"),
            Source::Profile { name, file } => write!(f, "profile [{name}] of {}", file.display()),
            Source::Default => f.write_str("the default"),
        }
    }
}

/// What the caller gives explicitly; each is used before the environment and the profile.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Overrides {
    /// The token.
    pub token: Option<String>,
    /// The endpoint, a base URL (`https://cgc-api.sbgenomics.com/v2`).
    pub endpoint: Option<String>,
    /// A platform by name (used when `endpoint` is not given).
    pub platform: Option<Platform>,
    /// The profile of the credentials file (`default` unless named; a named one must exist).
    pub profile: String,
    /// The credentials file, instead of `$SB_CREDENTIALS_FILE` or
    /// `~/.sevenbridges/credentials`.
    pub credentials_file: Option<PathBuf>,
    /// Accept `http://` endpoints on a loopback host (a local mock).
    pub allow_http_loopback: bool,
    /// What the front end calls the token and the endpoint, for [`Source::Explicit`] and
    /// error messages (`--token`, `--endpoint`, `--platform`; or `token=`, `url=`, ...).
    pub names: Names,
}

/// What a front end calls its explicit settings (see [`Overrides::names`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Names {
    /// The token's (`--token`).
    pub token: &'static str,
    /// The endpoint's (`--endpoint`).
    pub endpoint: &'static str,
    /// The platform's (`--platform`).
    pub platform: &'static str,
    /// How to allow http on loopback (`--allow-http-loopback`).
    pub allow_http: &'static str,
}

impl Names {
    /// The CLI's flags.
    pub const FLAGS: Names = Names {
        token: "--token",
        endpoint: "--endpoint",
        platform: "--platform",
        allow_http: "--allow-http-loopback",
    };

    /// Names as given: `token`, `endpoint`, `platform`, `allow_http`.
    pub const fn new(
        token: &'static str,
        endpoint: &'static str,
        platform: &'static str,
        allow_http: &'static str,
    ) -> Self {
        Names {
            token,
            endpoint,
            platform,
            allow_http,
        }
    }
}

impl Default for Overrides {
    fn default() -> Self {
        Overrides {
            token: None,
            endpoint: None,
            platform: None,
            profile: DEFAULT_PROFILE.to_owned(),
            credentials_file: None,
            allow_http_loopback: false,
            names: Names::FLAGS,
        }
    }
}

impl Overrides {
    /// Nothing explicit: the environment, then profile `default`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the token.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Sets the endpoint.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Sets the platform.
    pub fn platform(mut self, platform: Platform) -> Self {
        self.platform = Some(platform);
        self
    }

    /// Names the profile.
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.profile = name.into();
        self
    }

    /// Names the credentials file.
    pub fn credentials_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.credentials_file = Some(path.into());
        self
    }

    /// Accepts `http://` endpoints on a loopback host.
    pub fn allow_http_loopback(mut self, yes: bool) -> Self {
        self.allow_http_loopback = yes;
        self
    }

    /// Sets what the front end calls its explicit settings.
    pub fn names(mut self, names: Names) -> Self {
        self.names = names;
        self
    }
}

/// The resolved connection settings.
#[derive(Debug)]
#[non_exhaustive]
pub struct Resolved {
    /// The base URL and the token.
    pub config: Config,
    /// Where the token came from.
    pub token_source: Source,
    /// Where the endpoint came from.
    pub endpoint_source: Source,
}

/// Why the settings could not be resolved. No variant holds a token's bytes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The credentials file exists but could not be read.
    #[error("cannot read the credentials file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The credentials file is not INI (the position only: the line may hold a token).
    #[error("the credentials file {} is not a valid INI file: syntax error at line {line}, column {column}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// A profile named explicitly is not in the file (or there is no file).
    #[error("profile [{profile}] not found in {}", file.as_ref().map_or_else(|| "(no home directory)".to_owned(), |p| p.display().to_string()))]
    NoProfile {
        /// The profile.
        profile: String,
        /// The file looked in.
        file: Option<PathBuf>,
    },
    /// No token anywhere.
    #[error("no auth token: give {explicit}, set ${ENV_TOKEN}, or add `auth_token` to profile [{profile}] of ~/.sevenbridges/credentials")]
    NoToken {
        /// The profile looked in.
        profile: String,
        /// What the front end calls the explicit token.
        explicit: &'static str,
    },
    /// The token found is not usable (why, never its bytes).
    #[error("the auth token from {source_name} is invalid: {error}")]
    BadToken {
        /// Where it came from.
        source_name: Source,
        /// Why.
        error: sbg_tasks_proto::config::TokenError,
    },
    /// The endpoint is not a usable base URL.
    #[error("{error}{hint}")]
    BadEndpoint {
        /// Why.
        error: sbg_tasks_proto::config::BaseUrlError,
        /// How to allow a local `http://` mock, when that is what was refused.
        hint: String,
    },
}

/// What the process sees: environment variables (and so the home directory). A trait so that
/// tests need not touch the real environment; closures `Fn(&str) -> Option<String>` are one.
pub trait Env {
    /// The variable's value; `None` when unset (or empty).
    fn var(&self, name: &str) -> Option<String>;
}

impl<F: Fn(&str) -> Option<String>> Env for F {
    fn var(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// The real environment (empty variables count as unset).
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

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

/// The credentials file's path: explicit, `$SB_CREDENTIALS_FILE`,
/// `$HOME/.sevenbridges/credentials` (`%USERPROFILE%` without `HOME`).
pub fn credentials_path(overrides: &Overrides, env: &dyn Env) -> Option<PathBuf> {
    if let Some(p) = &overrides.credentials_file {
        return Some(p.clone());
    }
    if let Some(p) = env.var(ENV_CREDENTIALS_FILE) {
        return Some(PathBuf::from(p));
    }
    let home = env.var("HOME").or_else(|| env.var("USERPROFILE"))?;
    Some(Path::new(&home).join(".sevenbridges").join("credentials"))
}

/// Reads profile `name` of the INI file at `path`. A missing file or section is `Ok(None)`.
fn read_profile(path: &Path, name: &str) -> Result<Option<Profile>, CredentialsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(CredentialsError::Read {
                path: path.to_owned(),
                source,
            })
        }
    };
    // The INI crate's parse error may quote the line: keep only the position.
    let ini = ini::Ini::load_from_str_noescape(&text).map_err(|e| CredentialsError::Syntax {
        path: path.to_owned(),
        line: e.line,
        column: e.col,
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

/// Resolves the connection settings: each of the token and the endpoint from `overrides`,
/// else the environment, else the profile; the endpoint defaults to the Seven Bridges
/// platform's.
pub fn resolve(overrides: &Overrides, env: &dyn Env) -> Result<Resolved, CredentialsError> {
    let names = overrides.names;
    let allow = if overrides.allow_http_loopback {
        AllowHttp::Loopback
    } else {
        AllowHttp::Never
    };
    let explicit_profile = overrides.profile != DEFAULT_PROFILE;

    // Explicit values, then the environment.
    let mut token: Option<(String, Source)> = overrides
        .token
        .clone()
        .map(|t| (t, Source::Explicit(names.token)))
        .or_else(|| env.var(ENV_TOKEN).map(|t| (t, Source::Env(ENV_TOKEN))));
    let mut endpoint: Option<(BaseUrl, Source)> = if let Some(url) = &overrides.endpoint {
        Some((
            parse_url(url, allow, names)?,
            Source::Explicit(names.endpoint),
        ))
    } else if let Some(p) = &overrides.platform {
        Some((p.base_url(), Source::Explicit(names.platform)))
    } else if let Some(url) = env.var(ENV_ENDPOINT) {
        Some((parse_url(&url, allow, names)?, Source::Env(ENV_ENDPOINT)))
    } else {
        None
    };

    // Then the profile, for whatever is still missing (or when one was named explicitly, so a
    // misspelt profile is reported rather than silently ignored).
    if token.is_none() || endpoint.is_none() || explicit_profile {
        let path = credentials_path(overrides, env);
        let profile = match &path {
            Some(p) => read_profile(p, &overrides.profile)?,
            None => None,
        };
        match (profile, path) {
            (Some(profile), Some(file)) => {
                let source = Source::Profile {
                    name: overrides.profile.clone(),
                    file,
                };
                if token.is_none() {
                    token = profile.auth_token.map(|t| (t, source.clone()));
                }
                if endpoint.is_none() {
                    if let Some(url) = profile.api_endpoint {
                        endpoint = Some((parse_url(&url, allow, names)?, source));
                    }
                }
            }
            (None, file) if explicit_profile => {
                return Err(CredentialsError::NoProfile {
                    profile: overrides.profile.clone(),
                    file,
                })
            }
            _ => {}
        }
    }

    let (token, token_source) = token.ok_or_else(|| CredentialsError::NoToken {
        profile: overrides.profile.clone(),
        explicit: names.token,
    })?;
    let token =
        AuthToken::new(token.trim().to_owned()).map_err(|error| CredentialsError::BadToken {
            source_name: token_source.clone(),
            error,
        })?;
    let (base_url, endpoint_source) =
        endpoint.unwrap_or_else(|| (Platform::SevenBridges.base_url(), Source::Default));
    Ok(Resolved {
        config: Config::new(base_url, token),
        token_source,
        endpoint_source,
    })
}

fn parse_url(url: &str, allow: AllowHttp, names: Names) -> Result<BaseUrl, CredentialsError> {
    BaseUrl::parse_with(url.trim(), allow).map_err(|error| {
        let hint = if url.trim_start().starts_with("http://") && allow == AllowHttp::Never {
            format!(" (for a local mock, add {})", names.allow_http)
        } else {
            String::new()
        };
        CredentialsError::BadEndpoint { error, hint }
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    struct MapEnv(HashMap<&'static str, String>);
    impl Env for MapEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).cloned()
        }
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
    fn profile_fills_what_explicit_values_and_env_leave() {
        let (_d, env) = home_with(FILE);
        let r = resolve(&Overrides::new(), &env).unwrap();
        assert_eq!(r.config.token().expose_secret(), "fromfile");
        assert_eq!(
            r.config.base_url().to_string(),
            "https://cgc-api.sbgenomics.com/v2"
        );
        assert!(matches!(r.token_source, Source::Profile { .. }));

        let r = resolve(&Overrides::new().profile("eu"), &env).unwrap();
        assert_eq!(r.config.token().expose_secret(), "eutoken");
        assert_eq!(r.config.base_url().authority(), "eu-api.sbgenomics.com");
    }

    #[test]
    fn the_credentials_file_variable_and_an_explicit_file_beat_home() {
        let (_d, mut env) = home_with(FILE);
        let other = tempfile::tempdir().unwrap();
        let path = other.path().join("creds");
        std::fs::write(&path, "[default]\nauth_token = elsewhere\n").unwrap();
        env.0
            .insert(ENV_CREDENTIALS_FILE, path.to_string_lossy().into_owned());
        let r = resolve(&Overrides::new(), &env).unwrap();
        assert_eq!(r.config.token().expose_secret(), "elsewhere");
        assert_eq!(r.endpoint_source, Source::Default);

        let third = other.path().join("third");
        std::fs::write(&third, "[default]\nauth_token = third\n").unwrap();
        let r = resolve(&Overrides::new().credentials_file(&third), &env).unwrap();
        assert_eq!(r.config.token().expose_secret(), "third");
    }

    #[test]
    fn env_beats_profile_and_explicit_beats_env() {
        let (_d, mut env) = home_with(FILE);
        env.0.insert(ENV_TOKEN, "fromenv".into());
        env.0.insert(
            ENV_ENDPOINT,
            "https://cavatica-api.sbgenomics.com/v2".into(),
        );
        let r = resolve(&Overrides::new(), &env).unwrap();
        assert_eq!(r.config.token().expose_secret(), "fromenv");
        assert_eq!(
            r.config.base_url().authority(),
            "cavatica-api.sbgenomics.com"
        );
        assert_eq!(r.token_source, Source::Env(ENV_TOKEN));

        let r = resolve(
            &Overrides::new()
                .token("explicit")
                .platform(Platform::BioDataCatalyst),
            &env,
        )
        .unwrap();
        assert_eq!(r.config.token().expose_secret(), "explicit");
        assert_eq!(
            r.config.base_url().authority(),
            "api.sb.biodatacatalyst.nhlbi.nih.gov"
        );
        assert_eq!(r.endpoint_source, Source::Explicit("--platform"));
        assert_eq!(r.token_source, Source::Explicit("--token"));
        assert_eq!(r.token_source.to_string(), "flag --token");
        assert_eq!(Source::Explicit("token=").to_string(), "token=");
    }

    #[test]
    fn default_endpoint_is_sbg_and_a_missing_token_is_an_error() {
        let env = MapEnv(HashMap::from([(ENV_TOKEN, "t".to_owned())]));
        let r = resolve(&Overrides::new(), &env).unwrap();
        assert_eq!(
            r.config.base_url().to_string(),
            "https://api.sbgenomics.com/v2"
        );
        assert_eq!(r.endpoint_source, Source::Default);

        let env = MapEnv(HashMap::new());
        let names = Names::new("token=", "url=", "platform=", "allow_http=True");
        let e = resolve(&Overrides::new().names(names), &env).unwrap_err();
        assert!(matches!(e, CredentialsError::NoToken { .. }), "{e}");
        assert!(e.to_string().contains("give token="), "{e}");
    }

    #[test]
    fn a_named_profile_that_is_missing_is_an_error() {
        let (_d, env) = home_with(FILE);
        let e = resolve(&Overrides::new().profile("nope").token("x"), &env).unwrap_err();
        assert!(e.to_string().contains("profile [nope] not found"), "{e}");
    }

    #[test]
    fn a_file_that_is_not_ini_is_reported_by_position_only() {
        let (_d, env) = home_with("[default\nauth_token = s3cr3t-value\n");
        let e = resolve(&Overrides::new(), &env).unwrap_err().to_string();
        assert!(
            e.contains("not a valid INI file: syntax error at line"),
            "{e}"
        );
        assert!(!e.contains("s3cr3t"), "{e}");
    }

    #[test]
    fn http_needs_the_loopback_permission_and_a_loopback_host() {
        let env = MapEnv(HashMap::from([(ENV_TOKEN, "t".to_owned())]));
        let e = resolve(&Overrides::new().endpoint("http://127.0.0.1:9/v2"), &env).unwrap_err();
        assert!(e.to_string().contains("--allow-http-loopback"), "{e}");
        let r = resolve(
            &Overrides::new()
                .endpoint("http://127.0.0.1:9/v2")
                .allow_http_loopback(true),
            &env,
        )
        .unwrap();
        assert!(r.config.base_url().is_http());
        let e = resolve(
            &Overrides::new()
                .endpoint("http://example.com/v2")
                .allow_http_loopback(true),
            &env,
        )
        .unwrap_err();
        assert!(e.to_string().contains("loopback"), "{e}");
    }

    #[test]
    fn a_bad_token_is_reported_without_its_bytes() {
        let env = MapEnv(HashMap::from([(ENV_TOKEN, "sec ret".to_owned())]));
        let e = resolve(&Overrides::new(), &env).unwrap_err().to_string();
        assert!(e.contains("$SB_AUTH_TOKEN") && e.contains("space"), "{e}");
        assert!(!e.contains("sec"), "{e}");
    }
}
