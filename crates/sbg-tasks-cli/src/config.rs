//! Where the token and the endpoint come from, as the official clients do it: flags, then
//! `SB_AUTH_TOKEN` / `SB_API_ENDPOINT`, then a profile of `~/.sevenbridges/credentials`.
//! The resolution itself is `sbg-tasks-credentials` (the Python package uses it too); this
//! module hands it the flags.

pub(crate) use sbg_tasks_credentials::{Env, ProcessEnv, Resolved};
use sbg_tasks_credentials::{Names, Overrides};

use crate::cli::NetArgs;
use crate::error::CliError;

/// Resolves the connection settings of a network command.
pub(crate) fn resolve(args: &NetArgs, env: &dyn Env) -> Result<Resolved, CliError> {
    let mut overrides = Overrides::new()
        .profile(args.profile.clone())
        .allow_http_loopback(args.allow_http_loopback)
        .names(Names::FLAGS);
    overrides.token = args.token.clone();
    overrides.endpoint = args.endpoint.clone();
    overrides.platform = args.platform.map(|p| p.0);
    overrides.credentials_file = args.credentials_file.clone();
    sbg_tasks_credentials::resolve(&overrides, env).map_err(|e| CliError::Usage(e.to_string()))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use clap::Parser;

    use super::*;

    fn net(args: &[&str]) -> NetArgs {
        #[derive(Parser)]
        struct T {
            #[command(flatten)]
            net: NetArgs,
        }
        T::parse_from(std::iter::once("t").chain(args.iter().copied())).net
    }

    #[test]
    fn every_flag_reaches_the_resolution() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("creds");
        std::fs::write(&file, "[eu]\nauth_token = eutoken\n").unwrap();
        let env = |_: &str| -> Option<String> { None };
        let file_arg = file.to_string_lossy().into_owned();
        let r = resolve(
            &net(&["--credentials-file", &file_arg, "--profile", "eu"]),
            &env,
        )
        .unwrap();
        assert_eq!(r.config.token().expose_secret(), "eutoken");

        let r = resolve(&net(&["--token", "t", "--platform", "cgc"]), &env).unwrap();
        assert_eq!(r.config.base_url().authority(), "cgc-api.sbgenomics.com");
        let r = resolve(
            &net(&[
                "--token",
                "t",
                "--endpoint",
                "http://127.0.0.1:9/v2",
                "--allow-http-loopback",
            ]),
            &env,
        )
        .unwrap();
        assert!(r.config.base_url().is_http());

        let e = resolve(&net(&["--endpoint", "http://127.0.0.1:9/v2"]), &env).unwrap_err();
        assert!(matches!(e, CliError::Usage(ref m) if m.contains("--allow-http-loopback")));
        let env = HashMap::from([("SB_AUTH_TOKEN", "sec ret".to_owned())]);
        let env = |k: &str| env.get(k).cloned();
        let e = resolve(&net(&[]), &env).unwrap_err().to_string();
        assert!(!e.contains("sec"), "{e}");
    }
}
