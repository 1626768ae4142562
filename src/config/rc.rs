//! The `oci_cli_rc` file: only `[OCI_CLI_SETTINGS] default_profile` matters here.

use std::path::{Path, PathBuf};

use super::ini;
use super::path::expand_user;
use crate::error::{Error, Result};
use crate::sys::env::Env;
use crate::sys::env::home_path;

/// The rc file the oci CLI would read: `--cli-rc-file` if it exists, else
/// `OCI_CLI_RC_FILE`, else `~/.oci/oci_cli_rc`, else `~/.oci/cli-defaults`.
#[must_use]
pub(crate) fn locate(flag: Option<&Path>, env: &dyn Env) -> Option<PathBuf> {
    if let Some(p) = flag {
        let p = expand_user(&p.to_string_lossy(), env);
        if p.exists() {
            return Some(p);
        }
    }
    if let Some(p) = env.var("OCI_CLI_RC_FILE") {
        let p = expand_user(&p, env);
        if p.exists() {
            return Some(p);
        }
    }
    ["oci_cli_rc", "cli-defaults"]
        .into_iter()
        .map(|n| home_path(env, &format!(".oci/{n}")))
        .find(|p| p.exists())
}

/// `default_profile` from the rc file, if any.
pub(crate) fn default_profile(flag: Option<&Path>, env: &dyn Env) -> Result<Option<String>> {
    value(flag, env, "OCI_CLI_SETTINGS", "default_profile")
}

/// A default option value of `profile`'s section of the rc file (with its `[DEFAULT]`), such
/// as `auth`: what the oci CLI applies when neither the flag nor the environment says.
pub(crate) fn profile_default(
    flag: Option<&Path>,
    env: &dyn Env,
    profile: &str,
    key: &str,
) -> Result<Option<String>> {
    value(flag, env, profile, key)
}

fn value(flag: Option<&Path>, env: &dyn Env, section: &str, key: &str) -> Result<Option<String>> {
    let Some(path) = locate(flag, env) else {
        return Ok(None);
    };
    let text = crate::sys::store::read_text(&path, crate::sys::store::MAX_CONFIG).map_err(|e| {
        Error::Config(format!(
            "cannot read the oci_cli_rc file {}: {e}",
            path.display()
        ))
    })?;
    let parsed = ini::parse(&text).map_err(|e| {
        Error::Config(format!(
            "cannot parse the oci_cli_rc file {}: {e}",
            path.display()
        ))
    })?;
    Ok(parsed
        .get(section, key)
        .filter(|v| !v.is_empty())
        .map(str::to_owned))
}
