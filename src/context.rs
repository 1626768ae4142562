//! The context every command runs in, resolved once from the command line and the
//! environment: which config and profile, TLS trust and the auth endpoint. Plain values;
//! the credential kinds and the commands take it, and it depends on neither.

use std::path::PathBuf;

use crate::config::{self, Profile};
use crate::error::Result;
use crate::sys::env::Env;
use crate::{region, services::http};

/// What every command needs: the environment, which config and profile, and how to reach
/// the auth service.
pub(crate) struct Context<'a> {
    pub env: &'a dyn Env,
    /// `--config-file`, `--profile`, `--region`, `--cli-rc-file`.
    pub config: config::Options,
    /// `--cert-bundle` (the environment's bundles are read by [`http::Settings::from_env`]).
    pub cert_bundle: Option<PathBuf>,
    /// `--auth-endpoint`, else `OCI_TOKEN_AUTH_ENDPOINT`.
    pub auth_endpoint: Option<String>,
    /// The `--auth` name: from the command line (checked by clap against `Auth::ALL`), or
    /// recorded for a registry by `docker install` (checked when used). A name, not an
    /// `Auth`: the context sits below the credential layer; [`crate::credential::auth`]
    /// resolves it with `OCI_CLI_AUTH` and the `oci_cli_rc` default.
    pub auth: Option<String>,
}

impl<'a> Context<'a> {
    /// A context: `auth_endpoint` from the flag, else `OCI_TOKEN_AUTH_ENDPOINT`.
    #[must_use]
    pub(crate) fn new(
        env: &'a dyn Env,
        config: config::Options,
        cert_bundle: Option<PathBuf>,
        auth_endpoint: Option<String>,
    ) -> Self {
        let auth_endpoint = auth_endpoint.or_else(|| env.var("OCI_TOKEN_AUTH_ENDPOINT"));
        Context {
            env,
            config,
            cert_bundle,
            auth_endpoint,
            auth: None,
        }
    }

    /// The same context for another profile, config file or region (Terraform's query).
    #[must_use]
    pub(crate) fn with_config(&self, config: config::Options) -> Context<'a> {
        Context {
            env: self.env,
            config,
            cert_bundle: self.cert_bundle.clone(),
            auth_endpoint: self.auth_endpoint.clone(),
            auth: self.auth.clone(),
        }
    }

    /// The active profile, as the oci CLI resolves it.
    pub(crate) fn profile(&self) -> Result<Profile> {
        config::resolve(&self.config, self.env)
    }

    /// TLS trust and proxy for outgoing requests.
    #[must_use]
    pub(crate) fn http(&self) -> http::Settings {
        http::Settings::from_env(self.cert_bundle.clone(), self.env)
    }

    /// The auth service's base URL: the override, else `https://auth.<region>.<domain>`
    /// for the profile's region (an error only when it is needed and missing).
    pub(crate) fn auth_base(&self, p: &Profile) -> Result<String> {
        if let Some(b) = &self.auth_endpoint {
            return Ok(b.clone());
        }
        let r = p.require_region()?;
        let sources = region::sources(self.env);
        if !region::plausible(&region::region_id(r, &sources), &sources) {
            return Err(region::unknown(r, &sources));
        }
        Ok(region::endpoint("auth", "", r, &sources))
    }

    /// Where the config goes: `--config-location`, else `--config-file` /
    /// `OCI_CLI_CONFIG_FILE`, else `~/.oci/config`.
    #[must_use]
    pub(crate) fn config_location(&self, flag: Option<&std::path::Path>) -> PathBuf {
        if let Some(p) = flag {
            return config::expand_user(&p.to_string_lossy(), self.env);
        }
        self.config
            .config_file
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned())
            .or_else(|| self.env.var("OCI_CLI_CONFIG_FILE"))
            .map_or_else(
                || crate::sys::env::home_path(self.env, ".oci/config"),
                |p| config::expand_user(&p, self.env),
            )
    }

    /// The sessions directory: `--token-location`, else `~/.oci/sessions`.
    #[must_use]
    pub(crate) fn token_location(&self, flag: Option<&std::path::Path>) -> PathBuf {
        flag.map_or_else(
            || crate::sys::env::home_path(self.env, ".oci/sessions"),
            |p| config::expand_user(&p.to_string_lossy(), self.env),
        )
    }
}
