//! Getting a session: `login` (browser), `login --no-browser` (`GenerateUpst`), device code
//! and token exchange; what they share (the request, the files and profile every login
//! writes, laid out as `oci session authenticate` leaves them) is in [`session`].
//!
//! These are the only commands that talk to a person, and only when asked to log in.

pub mod browser;
pub(crate) mod exchange;
pub(crate) mod no_browser;
pub(crate) mod session;

pub(crate) use session::Request;

use crate::context::Context;
use crate::error::Result;

/// `oci-token login [--no-browser]`.
pub(crate) fn run(ctx: &Context<'_>, args: &Request) -> Result<()> {
    if args.device_code || args.token_exchange {
        return exchange::run(ctx, args);
    }
    if args.no_browser {
        no_browser::run(ctx, args)
    } else {
        browser::run(ctx, args)
    }
}
