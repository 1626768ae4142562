//! `get`, `refresh` and `validate`: the active credential, kept fresh, as JSON or text.

use crate::context::Context;
use crate::credential::{Auth, Credential, Freshness, session};
use crate::error::Result;
use crate::output::{self, Format};

fn render(format: Format, cred: &Credential, now: jiff::Timestamp) -> Result<String> {
    let v = cred.view(now);
    match format {
        Format::Text => Ok(output::text::render(&v, None)),
        Format::Json => output::json::render(&v),
    }
}

/// `oci-token get` (and `refresh` when `force`); with `as_profile`, also the session
/// profile of that name.
pub(crate) fn get(
    ctx: &Context<'_>,
    fresh: &Freshness,
    force: bool,
    format: Format,
    as_profile: Option<&str>,
) -> Result<()> {
    let mut cred = Credential::active(ctx, None)?;
    if force && let Some(p) = cred.profile().filter(|_| cred.auth() == Auth::ApiKey) {
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
        let (path, changed) = cred.write_as_profile(ctx, name)?;
        if changed {
            output::note(&format!(
                "oci-token: profile '{name}' in {} now uses the {} token (oci ... --profile {name} --auth security_token)",
                path.display(),
                cred.auth().name()
            ));
        }
    }
    crate::output::print(&render(format, &cred, ctx.env.now())?)
}

/// `oci-token validate`: no network, no lock, no writes. Exit 0 when valid, 4 when not.
/// A principal is valid while its cached (or, for a resource principal, given) token is.
pub(crate) fn validate(ctx: &Context<'_>, format: Option<Format>) -> Result<()> {
    // A session or a principal; an API key does not expire.
    let auth = match crate::credential::requested_auth(ctx)? {
        Some(a) if a.is_principal() => a,
        _ => Auth::SecurityToken,
    };
    let mut cred = Credential::select(ctx, Some(auth), None)?;
    let now = ctx.env.now();
    let claims = cred.read_stored()?;
    let session_over = claims.sess_exp.is_some_and(|s| now >= s);
    let valid = session::is_valid(&claims, now);
    let v = cred.view(now);
    match format {
        Some(Format::Json) => output::print(&output::json::render_validate(&v, valid)?)?,
        Some(Format::Text) => output::print(&output::text::render(&v, Some(valid)))?,
        None => {}
    }
    if valid {
        output::note(&format!(
            "Session is valid until {}",
            claims.exp.strftime("%Y-%m-%d %H:%M:%S UTC")
        ));
        return Ok(());
    }
    let why = if session_over {
        format!(
            "the session ended at {}",
            claims.sess_exp.map(|t| t.to_string()).unwrap_or_default()
        )
    } else {
        format!(
            "the token expired at {} (`oci-token refresh` may still revive it)",
            claims.exp
        )
    };
    Err(cred.invalid(&why))
}
