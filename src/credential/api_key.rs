//! An API-key credential: `user`, `tenancy`, `fingerprint` and `key_file` sign requests
//! directly (keyId `tenancy/user/fingerprint`); nothing expires or is refreshed.

use std::path::Path;

use super::auth::Auth;
use super::kind::{Kind, login_hint};
use crate::config::Profile;
use crate::context::Context;
use crate::crypto::key::{self, SigningKey};
use crate::error::{Error, Result};
use crate::output;
use crate::secret::Secret;
use crate::sys::os::Exposure;
use crate::sys::store;
use crate::token::Jwk;

/// An API-key profile needs what the Python SDK requires of one, and its key file must
/// exist.
pub(crate) fn check(p: &Profile) -> Result<()> {
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
    require_key_file(p).map(|_| ())
}

/// `tenancy/user/fingerprint`: the keyId of API-key signing.
#[must_use]
pub(crate) fn key_id(p: &Profile) -> String {
    format!(
        "{}/{}/{}",
        p.tenancy.as_deref().unwrap_or_default(),
        p.user.as_deref().unwrap_or_default(),
        p.fingerprint.as_deref().unwrap_or_default()
    )
}

/// The key file must exist (as the Python SDK checks at load time).
pub(crate) fn require_key_file(p: &Profile) -> Result<&Path> {
    let path = p.key_file.as_deref().ok_or_else(|| {
        Error::Config(format!(
            "profile '{}' in {} has no key_file",
            p.name,
            p.config_display()
        ))
    })?;
    if !path.exists() {
        let n = &p.name;
        let next = if p.security_token_file.is_some() {
            format!("log in again to make a new session key: `oci-token login --profile-name {n}`")
        } else {
            format!(
                "point key_file in {} at the private key, or make a new key pair with `oci-token setup-key --profile-name {n} --force` (then upload its public key)",
                p.config_display()
            )
        };
        return Err(Error::Config(format!(
            "key_file {} of profile '{n}' does not exist; {next}",
            path.display()
        )));
    }
    Ok(path)
}

/// Loads the profile's private key (never prompting) and, given a token's `jwk`, checks
/// that the token belongs to this key. A key that another user owns or that group or
/// others can write is refused; one they can read is used with a warning (as the oci CLI
/// warns; ssh would refuse).
pub(crate) fn load_key(p: &Profile, jwk: Option<&Jwk>) -> Result<SigningKey> {
    let path = require_key_file(p)?;
    let fix = || crate::sys::os::fix_hint(path, false);
    match crate::sys::os::exposure_at(path) {
        Some(Exposure::Writable(why)) => {
            return Err(Error::Config(format!(
                "key_file {} of profile '{}' is unsafe: {why}; run {}",
                path.display(),
                p.name,
                fix()
            )));
        }
        Some(Exposure::Readable(_)) => output::warn(&format!(
            "key_file {} of profile '{}' can be read by other users; run {}",
            path.display(),
            p.name,
            fix()
        )),
        Some(Exposure::Unknown(why)) => output::warn(&format!(
            "key_file {} of profile '{}': cannot tell who else may read or change it ({why}); make sure only you can",
            path.display(),
            p.name
        )),
        None => {}
    }
    let bytes = store::read_regular(path, store::MAX_KEY)
        .map_err(|e| Error::Config(format!("cannot read key_file {}: {e}", path.display())))?;
    let k = key::load_bytes(&bytes, p.pass_phrase.as_ref()).map_err(|e| {
        Error::Config(format!(
            "key_file {} of profile '{}': {e}",
            path.display(),
            p.name
        ))
    })?;
    if let Some(jwk) = jwk
        && !key::matches_jwk(&k, &jwk.n, &jwk.e)
    {
        return Err(Error::Config(format!(
            "the session token of profile '{}' was issued for a different key than key_file {}; the two come from different logins: log in again with {}",
            p.name,
            path.display(),
            login_hint(&p.name)
        )));
    }
    Ok(k)
}

/// An API-key profile as a credential kind.
#[derive(Debug)]
pub(crate) struct ApiKey {
    profile: Profile,
}

/// The API key `profile` (or the active profile) holds.
pub(crate) fn make(ctx: &Context<'_>, profile: Option<Profile>) -> Result<Box<dyn Kind>> {
    let profile = match profile {
        Some(p) => p,
        None => ctx.profile()?,
    };
    check(&profile)?;
    Ok(Box::new(ApiKey { profile }))
}

impl Kind for ApiKey {
    fn auth(&self) -> Auth {
        Auth::ApiKey
    }

    fn profile(&self) -> Option<&Profile> {
        Some(&self.profile)
    }

    fn key(&self) -> Result<SigningKey> {
        load_key(&self.profile, None)
    }

    fn key_id(&self) -> Result<Secret<String>> {
        Ok(Secret::new(key_id(&self.profile)))
    }
}
