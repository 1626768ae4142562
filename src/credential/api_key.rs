//! An API-key credential: `user`, `tenancy`, `fingerprint` and `key_file` sign requests
//! directly (keyId `tenancy/user/fingerprint`); nothing expires or is refreshed.

use crate::config::Profile;
use crate::error::{Error, Result};

/// An API-key profile needs what the Python SDK requires of one, and its key file must
/// exist.
pub fn check(p: &Profile) -> Result<()> {
    let missing: Vec<&str> = [
        ("user", p.user.is_none()),
        ("tenancy", p.tenancy.is_none()),
        ("fingerprint", p.fingerprint.is_none()),
        ("key_file", p.key_file.is_none()),
        ("region", p.region.is_none()),
    ]
    .into_iter()
    .filter_map(|(k, m)| m.then_some(k))
    .collect();
    if !missing.is_empty() {
        return Err(Error::Config(format!(
            "profile '{}' in {} has neither security_token_file nor a complete API key (missing: {})",
            p.name,
            p.config_display(),
            missing.join(", ")
        )));
    }
    super::require_key_file(p).map(|_| ())
}

/// `tenancy/user/fingerprint`: the keyId of API-key signing.
#[must_use]
pub fn key_id(p: &Profile) -> String {
    format!(
        "{}/{}/{}",
        p.tenancy.as_deref().unwrap_or_default(),
        p.user.as_deref().unwrap_or_default(),
        p.fingerprint.as_deref().unwrap_or_default()
    )
}
