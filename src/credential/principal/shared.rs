//! What the principal kinds share: values from the environment, the region, and how a
//! refused or failed call is reported.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::services::auth::AuthError;
use crate::sys::env::Env;
use crate::sys::store;

/// A value from the environment: the text itself, or an absolute path to a file holding
/// it (re-read on every use).
#[derive(Debug)]
pub(crate) enum Value {
    Path(PathBuf),
    Literal(Secret<String>),
}

impl Value {
    pub(crate) fn from_env(env: &dyn Env, name: &str) -> Option<Value> {
        let v = env.var(name)?;
        Some(
            if v.starts_with('/') || std::path::Path::new(&v).is_absolute() {
                Value::Path(PathBuf::from(v))
            } else {
                Value::Literal(Secret::new(v))
            },
        )
    }

    /// The text (a file is read now: regular, at most `max` bytes, trailing newline off).
    pub(crate) fn read(&self, what: &str, max: u64) -> Result<Secret<String>> {
        match self {
            Value::Literal(s) => Ok(Secret::new(s.expose().trim().to_owned())),
            Value::Path(p) => store::read_text(p, max)
                .map(|t| Secret::new(t.trim_end_matches(['\n', '\r']).to_owned()))
                .map_err(|e| Error::Config(format!("cannot read {what} {}: {e}", p.display()))),
        }
    }

    pub(crate) fn path(&self) -> Option<&Path> {
        match self {
            Value::Path(p) => Some(p),
            Value::Literal(_) => None,
        }
    }
}

/// A region as the platform gives a principal one (the metadata service's reply,
/// `OCI_RESOURCE_PRINCIPAL_REGION`): a key, an identifier or a domain, so ASCII letters,
/// digits, `-` and `.` on one line, at most 64 bytes.
pub(crate) fn region_name_ok(r: &str) -> bool {
    !r.is_empty()
        && r.len() <= 64
        && r.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// A principal's call failed: a 401 means the principal's policies do not allow it.
#[allow(clippy::needless_pass_by_value)] // called with errors just made
pub(crate) fn auth_error(what: &str, url: &str, e: AuthError) -> Error {
    e.to_error(what, url, |d| {
        Error::NeedsLogin(format!(
            "{what} at {url} was refused (the auth service answered {d}); check the dynamic group and policies of this principal"
        ))
    })
}
