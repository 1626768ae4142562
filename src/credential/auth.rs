//! The oci CLI's `--auth` names, and which one a command line, the environment and
//! `oci_cli_rc` ask for.

use crate::config::Profile;
use crate::context::Context;
use crate::error::{Error, Result};

/// The `--auth` names of the oci CLI that oci-token serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    ApiKey,
    SecurityToken,
    InstancePrincipal,
    ResourcePrincipal,
    OkeWorkloadIdentity,
}

impl Auth {
    pub(crate) const ALL: [Auth; 5] = [
        Auth::ApiKey,
        Auth::SecurityToken,
        Auth::InstancePrincipal,
        Auth::ResourcePrincipal,
        Auth::OkeWorkloadIdentity,
    ];

    /// The oci CLI's name, as `OCI_CLI_AUTH` and the JSON `auth` field spell it.
    #[must_use]
    pub(crate) fn name(self) -> &'static str {
        match self {
            Auth::ApiKey => "api_key",
            Auth::SecurityToken => "security_token",
            Auth::InstancePrincipal => "instance_principal",
            Auth::ResourcePrincipal => "resource_principal",
            Auth::OkeWorkloadIdentity => "oke_workload_identity",
        }
    }

    /// The name as the oci CLI spells it, or `None`.
    #[must_use]
    pub(crate) fn parse(name: &str) -> Option<Auth> {
        Auth::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Whether this is a principal (no profile, no config file).
    #[must_use]
    pub(crate) fn is_principal(self) -> bool {
        !matches!(self, Auth::ApiKey | Auth::SecurityToken)
    }

    /// What a profile holds when no `--auth` says: a session when it names a
    /// `security_token_file`, else an API key.
    #[must_use]
    pub(crate) fn of_profile(p: &Profile) -> Auth {
        if p.security_token_file.is_some() {
            Auth::SecurityToken
        } else {
            Auth::ApiKey
        }
    }
}

/// The auth mode the oci CLI would use: `--auth`, else `OCI_CLI_AUTH`, else the `auth`
/// default of the profile's section of `oci_cli_rc`; `None` leaves it to the profile. An
/// unknown name is a usage error (exit 2), as it is for the oci CLI.
pub(crate) fn requested_auth(ctx: &Context<'_>) -> Result<Option<Auth>> {
    let (name, from) = if let Some(a) = &ctx.auth {
        (Some(a.clone()), "--auth")
    } else if let Some(a) = ctx.env.var("OCI_CLI_AUTH") {
        (Some(a), "OCI_CLI_AUTH")
    } else {
        let profile = crate::config::profile::profile_name(&ctx.config, ctx.env)?;
        let rc = crate::config::rc::profile_default(
            ctx.config.cli_rc_file.as_deref(),
            ctx.env,
            &profile,
            "auth",
        )?;
        (rc, "the oci_cli_rc auth default")
    };
    match name {
        None => Ok(None),
        Some(n) => Auth::parse(&n).map(Some).ok_or_else(|| {
            let names: Vec<&str> = Auth::ALL.iter().map(|a| a.name()).collect();
            Error::Usage(format!(
                "{from} is '{}': oci-token serves {}",
                n.escape_debug(),
                names.join(", ")
            ))
        }),
    }
}
