//! `get`, `refresh` and `validate`: the active credential, kept fresh, as JSON or text.

use crate::context::Context;
use crate::credential::{Credential, Freshness, session};
use crate::error::{Error, Result};
use crate::output::{self, Format};

fn render(format: Format, cred: &Credential, now: jiff::Timestamp) -> String {
    let v = cred.view(now);
    match format {
        Format::Text => output::text::render(&v, None),
        Format::Json => output::json::render(&v),
    }
}

/// Writes (or replaces) a session profile `name` in the config that points at the
/// credential's token and key files, so that anything reading session profiles (the oci
/// CLI with `--auth security_token`, Terraform's `SecurityToken`, the SDKs) uses it.
/// Returns the config path and whether it changed.
pub fn write_as_profile(
    ctx: &Context<'_>,
    cred: &Credential,
    name: &str,
) -> Result<(std::path::PathBuf, bool)> {
    crate::config::edit::check_profile_name(name)?;
    let Credential::Principal(p) = cred else {
        return Err(Error::Usage(
            "--as-profile is for principals (--auth instance_principal, resource_principal or oke_workload_identity): a profile credential has a profile already".into(),
        ));
    };
    let (Some(token_file), Some(key_file)) = p.files() else {
        return Err(Error::Config(
            "--as-profile needs the token and key in files: give OCI_RESOURCE_PRINCIPAL_RPST and _PRIVATE_PEM as absolute paths".into(),
        ));
    };
    let key = p.key()?;
    let v = cred.view(ctx.env.now());
    let entries = [
        ("fingerprint", crate::key::fingerprint(&key)),
        ("key_file", key_file.display().to_string()),
        ("tenancy", v.tenancy.unwrap_or_default().to_owned()),
        ("region", cred.region().unwrap_or_default().to_owned()),
        ("security_token_file", token_file.display().to_string()),
    ];
    let path = super::login::config_location(None, ctx);
    let before = std::fs::read(&path).ok();
    crate::config::edit::upsert_profile(&path, name, &entries, true)?;
    let changed = before != std::fs::read(&path).ok();
    Ok((path, changed))
}

/// `oci-token get` (and `refresh` when `force`); with `as_profile`, also the session
/// profile of that name.
pub fn get(
    ctx: &Context<'_>,
    fresh: &Freshness,
    force: bool,
    format: Format,
    as_profile: Option<&str>,
) -> Result<()> {
    let mut cred = Credential::active(ctx, None)?;
    if force
        && let Some(p) = cred
            .profile()
            .filter(|_| matches!(cred, Credential::ApiKey { .. }))
    {
        // `refresh` on an API-key profile: there is no session to refresh.
        session::token_path(p)?;
    }
    if let Some(w) = cred.ensure(ctx, &fresh.policy(force), fresh.lock_timeout)? {
        w.print();
    }
    if force && let Some(s) = cred.session() {
        let note = if s.refreshed {
            format!(
                "oci-token: refreshed {}; valid until {}",
                cred.describe(),
                s.claims.exp
            )
        } else {
            format!(
                "oci-token: {} was just refreshed by another oci-token; valid until {}",
                cred.describe(),
                s.claims.exp
            )
        };
        output::note(&note);
    }
    if let Some(name) = as_profile {
        let (path, changed) = write_as_profile(ctx, &cred, name)?;
        if changed {
            output::note(&format!(
                "oci-token: profile '{name}' in {} now uses the {} token (oci ... --profile {name} --auth security_token)",
                path.display(),
                cred.auth().name()
            ));
        }
    }
    crate::output::print(&render(format, &cred, ctx.env.now()))
}

/// `oci-token validate`: no network, no lock, no writes. Exit 0 when valid, 4 when not.
pub fn validate(ctx: &Context<'_>, format: Option<Format>) -> Result<()> {
    let p = ctx.profile()?;
    let path = session::token_path(&p)?.to_owned();
    let (token, claims) = session::read_token(&path, &p.name)?;
    crate::credential::load_key(&p, claims.jwk.as_ref())?;
    let now = ctx.env.now();
    let session_over = claims.sess_exp.is_some_and(|s| now >= s);
    let valid = session::is_valid(&claims, now);
    let cred = Credential::Session {
        profile: p,
        session: Some(Box::new(session::Session {
            token_path: path,
            token,
            claims,
            refreshed: false,
        })),
    };
    let v = cred.view(now);
    match format {
        Some(Format::Json) => crate::output::print(&output::json::render_validate(&v, valid))?,
        Some(Format::Text) => crate::output::print(&output::text::render(&v, Some(valid)))?,
        None => {}
    }
    let (name, c) = (cred.name(), &cred.session().map(|s| &s.claims));
    let Some(c) = c else {
        return Err(Error::Other("internal: no session".into()));
    };
    if valid {
        output::note(&format!(
            "Session is valid until {}",
            c.exp.strftime("%Y-%m-%d %H:%M:%S UTC")
        ));
        return Ok(());
    }
    let why = if session_over {
        format!(
            "the session ended at {}",
            c.sess_exp.map(|t| t.to_string()).unwrap_or_default()
        )
    } else {
        format!(
            "the session token expired at {} (`oci-token refresh` may still revive it)",
            c.exp
        )
    };
    Err(Error::needs_login(name, &why))
}
