//! `oci-token prompt` and `oci-token env`: the credential for shell prompts.
//!
//! `prompt` is read-only and cheap: the config and the token's claims, no key, no lock, no
//! network. It never fails: on any problem it prints nothing and exits 0.

use crate::context::Context;
use crate::credential::{Credential, Freshness};
use crate::error::Result;
use crate::output::env::{self, EnvView, Shell};

/// The segment, or an empty string when there is no token or anything is wrong.
#[must_use]
pub(crate) fn segment(ctx: &Context<'_>, format: &str) -> String {
    let Ok(cred) = Credential::active(ctx, None) else {
        return String::new();
    };
    let Ok(Some(claims)) = cred.peek() else {
        return String::new();
    };
    crate::output::prompt::render(format, cred.name(), cred.region(), &claims, ctx.env.now())
}

/// `oci-token env`: export lines for `eval`, after making the credential fresh.
pub(crate) fn env(ctx: &Context<'_>, shell: Option<Shell>, fresh: &Freshness) -> Result<()> {
    let mut cred = Credential::active(ctx, None)?;
    cred.ensure_fresh(ctx, fresh)?;
    let shell = shell.unwrap_or_else(|| {
        Shell::from_shell_var(
            ctx.env.var("SHELL").as_deref(),
            crate::sys::os::POWERSHELL_BY_DEFAULT,
        )
    });
    let p = cred.profile();
    let view = EnvView {
        profile: p.map(|p| p.name.as_str()),
        auth: cred.auth().name(),
        config_file: p
            .and_then(|p| p.config_file.as_ref())
            .map(|c| c.display().to_string()),
        expires_at: cred.expires_at(),
    };
    crate::output::print(
        &env::render(shell, &view).map_err(|e| crate::error::Error::Config(e.to_string()))?,
    )
}
