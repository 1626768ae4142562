//! What every login shares: the request, the profile it creates, its region, and the files
//! and profile it writes.

use std::path::{Path, PathBuf};

use jiff::SignedDuration;

use crate::config::{self, edit};
use crate::context::Context;
use crate::credential::Auth;
use crate::crypto::keygen::{self, NewKey};
use crate::error::{Error, Result};
use crate::{crypto::key, token};

/// `login`'s options, as plain values.
#[derive(Debug, Clone)]
#[allow(clippy::struct_excessive_bools)]
pub(crate) struct Request {
    /// The profile to create or replace (`DEFAULT` when the config does not exist yet).
    pub profile_name: Option<String>,
    pub tenancy_name: Option<String>,
    pub identity_provider_name: Option<String>,
    pub config_location: Option<PathBuf>,
    pub token_location: Option<PathBuf>,
    /// Loopback port of the hand-back listener (0: any free port).
    pub port: u16,
    pub no_open: bool,
    pub timeout: SignedDuration,
    pub login_endpoint: Option<String>,
    /// `GenerateUpst` instead of a browser.
    pub no_browser: bool,
    /// With `no_browser`: what signs the request.
    pub auth: Auth,
    pub session_expiration_in_minutes: i64,
    pub public_key_file_path: Option<PathBuf>,
    pub private_key_file_path: Option<PathBuf>,
    /// Device flow at an identity domain, then token exchange.
    pub device_code: bool,
    /// Token exchange of a JWT (CI).
    pub token_exchange: bool,
    pub domain_url: Option<String>,
    pub client_id: Option<String>,
    pub client_secret_file: Option<PathBuf>,
    pub scopes: Vec<String>,
    pub subject_token_file: Option<PathBuf>,
    /// `github-actions`.
    pub subject_token_from: Option<String>,
    pub audience: Option<String>,
}

use crate::config::edit::check_profile_name;

/// What a new session consists of.
pub(crate) struct NewSession<'a> {
    pub profile: &'a str,
    pub region: &'a str,
    pub token: &'a str,
    /// The generated pair, or `None` when the user's own public key was sent.
    pub key: Option<&'a NewKey>,
    /// The `key_file` to record when `key` is `None`.
    pub key_file: Option<PathBuf>,
    /// The fingerprint to record when `key` is `None`.
    pub fingerprint: Option<String>,
}

/// Checks the token against the key, writes `<token-location>/<PROFILE>/{oci_api_key.pem,
/// oci_api_key_public.pem, token}` (0600, directory 0700) and the profile (replacing an
/// old one of that name, keeping every other byte of the config). Returns the token path.
pub(crate) fn persist(s: &NewSession<'_>, config_path: &Path, token_dir: &Path) -> Result<PathBuf> {
    let claims = token::decode(s.token).map_err(|e| {
        Error::Service(format!(
            "the login service returned no usable token ({e}); nothing was written"
        ))
    })?;
    if let Some(k) = s.key {
        let matches = claims
            .jwk
            .as_ref()
            .is_some_and(|j| key::matches_jwk(&k.key, &j.n, &j.e));
        if !matches {
            return Err(Error::Service(
                "the login service returned a token for a different key; nothing was written"
                    .into(),
            ));
        }
    }
    check_profile_name(s.profile)?;
    let dir = token_dir.join(s.profile);
    let mut undo = crate::sys::store::Rollback::default();
    undo.will_create_dir(&dir);
    for name in ["oci_api_key.pem", "oci_api_key_public.pem", "token"] {
        undo.will_create_file(&dir.join(name));
    }
    crate::sys::store::create_private_dir(&dir)?;
    let (key_file, fingerprint) = match s.key {
        Some(k) => {
            let (private, _public) = keygen::write_pair(&dir, "oci_api_key", k)?;
            (private, key::fingerprint(&k.key))
        }
        None => (
            s.key_file
                .clone()
                .unwrap_or_else(|| PathBuf::from("Update_private_key_path")),
            s.fingerprint.clone().unwrap_or_default(),
        ),
    };
    let token_path = dir.join("token");
    crate::sys::store::write_atomic(&token_path, s.token.as_bytes())
        .map_err(|e| Error::write(&token_path, &e))?;
    let entries = [
        ("fingerprint", fingerprint),
        ("key_file", key_file.display().to_string()),
        ("tenancy", claims.tenant.clone().unwrap_or_default()),
        ("region", s.region.to_owned()),
        ("security_token_file", token_path.display().to_string()),
    ];
    edit::upsert_profile(config_path, s.profile, &entries, true)?;
    undo.commit();
    Ok(token_path)
}

/// The profile a login creates: `--profile-name`, else `DEFAULT` when the config does not
/// exist yet (as the oci CLI); otherwise it must be named.
pub(crate) fn profile_name(args: &Request, config_path: &Path) -> Result<String> {
    let name = match &args.profile_name {
        Some(n) => n.clone(),
        None if !config_path.exists() => "DEFAULT".to_owned(),
        None => {
            return Err(Error::Config(format!(
                "{} exists: name the profile to create with --profile-name",
                config_path.display()
            )));
        }
    };
    check_profile_name(&name)?;
    Ok(name)
}

/// The region: `--region` / `OCI_CLI_REGION`, else the region the profile already has.
pub(crate) fn login_region(ctx: &Context<'_>, config_path: &Path, profile: &str) -> Result<String> {
    let from_config = || {
        config::profile::read_config(config_path)
            .ok()
            .and_then(|ini| ini.get(profile, "region").map(str::to_owned))
    };
    let r = config::profile::region_override(ctx.config.region.as_deref(), ctx.env)
        .or_else(from_config)
        .ok_or_else(|| {
            Error::Config("no region: pass --region (for example us-ashburn-1 or iad)".into())
        })?;
    crate::region::known(&r, ctx.env)
}

/// Says where things went, on stderr.
pub(crate) fn report(config_path: &Path, profile: &str) {
    crate::output::note(&format!(
        "Config written to: {}\nTry it: oci-token get --profile {profile}    (or: oci iam region list --profile {profile} --auth security_token)",
        config_path.display()
    ));
}
