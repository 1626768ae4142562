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

/// `oci-token get` (and `refresh` when `force`).
pub fn get(ctx: &Context<'_>, fresh: &Freshness, force: bool, format: Format) -> Result<()> {
    let mut cred = Credential::active(ctx, None)?;
    if force && !matches!(cred, Credential::Session { .. }) {
        // `refresh` on an API-key profile: there is no session to refresh.
        session::token_path(cred.profile())?;
    }
    if let Some(w) = cred.ensure(ctx, &fresh.policy(force), fresh.lock_timeout)? {
        w.print();
    }
    if force && let Some(s) = cred.session() {
        let note = if s.refreshed {
            format!(
                "oci-token: refreshed profile '{}'; valid until {}",
                cred.profile().name,
                s.claims.exp
            )
        } else {
            format!(
                "oci-token: profile '{}' was just refreshed by another oci-token; valid until {}",
                cred.profile().name,
                s.claims.exp
            )
        };
        output::note(&note);
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
    let (name, c) = (&cred.profile().name, &cred.session().map(|s| &s.claims));
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
