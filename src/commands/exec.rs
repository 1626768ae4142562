//! `oci-token exec -- <command>`: run a command with a fresh session and keep the token
//! file fresh in the background while it runs (the Terraform OCI provider re-reads the token
//! file on every request, so a long `terraform apply` outlives the one-hour token).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::context::Context;
use crate::credential::{Credential, Freshness, Warning};
use crate::error::{Error, Result};
use crate::output;
use crate::token::{self, Claims};

/// Retry delays in seconds after failed background refreshes (then the last one, repeated).
const BACKOFF: [i64; 4] = [15, 30, 60, 120];

/// Runs the command; returns its exit code (128 + N when a signal N ended it).
pub(crate) fn run(
    ctx: &Context<'_>,
    fresh: &Freshness,
    as_profile: Option<&str>,
    command: &[std::ffi::OsString],
) -> Result<u8> {
    let (program, rest) = command
        .split_first()
        .ok_or_else(|| Error::Config("exec needs a command after `--`".into()))?;
    let mut cred = Credential::active(ctx, None)?;
    // The start-up warning is remembered, so the background refresher does not repeat it.
    let first_warning = cred.ensure(ctx, &fresh.policy(false), fresh.lock_timeout)?;
    if let Some(w) = &first_warning {
        w.print();
    }
    let first_warning = first_warning.map(|w| match w {
        Warning::RefreshFailed(t) | Warning::NotExtended(t) => warning_key(&t),
    });
    let mut env: Vec<(&str, String)> = vec![("OCI_CLI_AUTH", cred.auth().name().to_owned())];
    if let Some(p) = cred.profile() {
        env.push(("OCI_CLI_PROFILE", p.name.clone()));
        if let Some(c) = &p.config_file {
            env.push(("OCI_CLI_CONFIG_FILE", c.display().to_string()));
        }
    }
    if let Some(name) = as_profile {
        // The child's oci CLI, SDKs and Terraform use the principal through a session profile.
        let (path, _) = cred.write_as_profile(ctx, name)?;
        env.retain(|(k, _)| *k == "OCI_TOKEN_EXPIRES_AT");
        env.push(("OCI_CLI_AUTH", "security_token".to_owned()));
        env.push(("OCI_CLI_PROFILE", name.to_owned()));
        env.push(("OCI_CLI_CONFIG_FILE", path.display().to_string()));
    }
    let expires = cred.expires_at();
    if let Some(exp) = expires {
        env.push(("OCI_TOKEN_EXPIRES_AT", exp.to_string()));
    }

    let interrupts = crate::sys::os::Interrupts::catch()
        .map_err(|e| Error::Other(format!("cannot install signal handlers: {e}")))?;
    let mut child = crate::sys::spawn::child(ctx.env, program, rest, &env).map_err(|e| {
        let name = program.to_string_lossy();
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::Spawn(127, format!("{name}: command not found"))
        } else {
            Error::Spawn(126, format!("{name}: cannot be run: {e}"))
        }
    })?;
    let done = AtomicBool::new(false);
    let (stop_tx, stop_rx) = mpsc::channel::<()>();

    let status = std::thread::scope(|scope| {
        // Signals sent by another process are passed on; a terminal's reach the child
        // directly (see `os::Interrupts`).
        let forwarding = interrupts.forward(scope, &child);
        if expires.is_some() {
            let done = &done;
            scope.spawn(move || refresher(ctx, cred, fresh, first_warning, &stop_rx, done));
        }
        let status = child.wait();
        done.store(true, Ordering::SeqCst);
        let _ = stop_tx.send(());
        forwarding.close();
        status
    });
    let status = status
        .map_err(|e| Error::Other(format!("waiting for {}: {e}", program.to_string_lossy())))?;
    Ok(exit_code(status))
}

use crate::sys::os::exit_code;

/// How long the refresher sleeps before its next look: until the token enters its refresh
/// window (at most half its life, see [`token::effective_window`]); after failures, the
/// backoff, but never longer than half the time the token has left, and 2 s once it has
/// expired, so a recovered service is noticed within seconds.
#[must_use]
pub fn next_wait(
    now: Timestamp,
    claims: Option<&Claims>,
    window: SignedDuration,
    failures: usize,
) -> Duration {
    let secs = |s: i64| SignedDuration::from_secs(s);
    let wait = match (claims, failures) {
        (Some(c), 0) => c.exp.duration_since(now) - token::effective_window(c, window),
        (None, 0) => secs(BACKOFF[0]),
        (c, n) => {
            let backoff = secs(BACKOFF[n.min(BACKOFF.len()) - 1]);
            match c {
                Some(c) => backoff.min((c.exp.duration_since(now) / 2).max(secs(2))),
                None => backoff,
            }
        }
    };
    let ms = u64::try_from(wait.as_millis().max(0)).unwrap_or(u64::MAX);
    Duration::from_millis(ms.max(1000))
}

/// A warning without its `opc-request-id`, so one outage warns once, not once per retry.
fn warning_key(w: &str) -> String {
    match w.find(" (opc-request-id ") {
        Some(i) => {
            let rest = &w[i + 1..];
            let end = rest.find(')').map_or(w.len(), |j| i + 1 + j + 1);
            format!("{}{}", &w[..i], &w[end..])
        }
        None => w.to_owned(),
    }
}

/// Keeps the token file fresh until `stop` fires: wakes before each expiry and refreshes
/// (locked, atomic, via `ensure`). A failed refresh, a 401 included (the service may come
/// back, or the user may log in again meanwhile), is retried with backoff; it stops, warning
/// once, only when the session reaches its 24-hour limit or cannot be extended (a session
/// made by token exchange is renewed instead, and retried while that fails).
fn refresher(
    ctx: &Context<'_>,
    mut cred: Credential,
    fresh: &Freshness,
    first_warning: Option<String>,
    stop: &mpsc::Receiver<()>,
    done: &AtomicBool,
) {
    let policy = fresh.policy(false);
    let name = cred.describe();
    let mut failures = usize::from(first_warning.is_some());
    let mut last_warning = first_warning.unwrap_or_default();
    let warn_once = |last: &mut String, w: &str| {
        let key = warning_key(w);
        if key != *last {
            output::warn(w);
            *last = key;
        }
    };
    loop {
        let claims = cred.peek().ok().flatten();
        let wait = next_wait(ctx.env.now(), claims.as_ref(), fresh.window, failures);
        if stop.recv_timeout(wait) != Err(mpsc::RecvTimeoutError::Timeout)
            || done.load(Ordering::SeqCst)
        {
            return;
        }
        match cred.ensure(ctx, &policy, fresh.lock_timeout) {
            Ok(None) => {
                if failures > 0
                    && let Some(exp) = cred.expires_at()
                {
                    output::note(&format!(
                        "oci-token: {name} refreshed again; valid until {exp}"
                    ));
                }
                failures = 0;
                last_warning.clear();
            }
            Ok(Some(Warning::NotExtended(w))) => {
                output::warn(&format!(
                    "{w}; the command keeps running, but OCI requests fail after that"
                ));
                return;
            }
            Ok(Some(Warning::RefreshFailed(w))) => {
                failures += 1;
                warn_once(&mut last_warning, &w);
            }
            Err(e @ Error::NeedsLogin(_)) => {
                // Ended, or at its limit already (the token expires at `sess_exp`, so no
                // refresh can extend it): stop, with this one warning.
                let ended =
                    cred.peek().ok().flatten().is_some_and(|c| {
                        c.sess_exp.is_some_and(|s| ctx.env.now() >= s || c.exp >= s)
                    });
                // A session made by exchange may be renewed later (a CI platform that
                // writes a fresh JWT): keep trying, with backoff.
                if ended && !cred.renewable() {
                    output::warn(&format!(
                        "{e}; the command keeps running, but OCI requests will fail"
                    ));
                    return;
                }
                failures += 1;
                warn_once(&mut last_warning, &format!("{e}; retrying"));
            }
            Err(e) => {
                failures += 1;
                warn_once(&mut last_warning, &e.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(iat: i64, exp: i64) -> Claims {
        Claims::at(Some(iat), exp, None)
    }

    #[test]
    fn waits() {
        let now = Timestamp::from_second(1000).unwrap();
        let w = SignedDuration::from_mins(15);
        // An hour-long token issued now: wake 15 minutes before it expires.
        assert_eq!(
            next_wait(now, Some(&claims(1000, 4600)), w, 0).as_secs(),
            2700
        );
        // A 90-second token: wake at half its life.
        assert_eq!(
            next_wait(now, Some(&claims(1000, 1090)), w, 0).as_secs(),
            45
        );
        // Never a busy loop.
        assert_eq!(next_wait(now, Some(&claims(0, 900)), w, 0).as_secs(), 1);
        // After failures: the backoff, but sooner as expiry nears; 2 s once expired.
        assert_eq!(next_wait(now, Some(&claims(0, 3600)), w, 1).as_secs(), 15);
        assert_eq!(next_wait(now, Some(&claims(0, 3600)), w, 9).as_secs(), 120);
        assert_eq!(next_wait(now, Some(&claims(0, 1020)), w, 3).as_secs(), 10);
        assert_eq!(next_wait(now, Some(&claims(0, 990)), w, 3).as_secs(), 2);
        assert_eq!(next_wait(now, None, w, 2).as_secs(), 30);
    }

    #[test]
    fn warnings_compare_without_request_ids() {
        assert_eq!(
            warning_key("refresh failed: 500 (opc-request-id ABC) try again"),
            "refresh failed: 500 try again"
        );
        assert_eq!(
            warning_key("a (opc-request-id X)"),
            warning_key("a (opc-request-id Y)")
        );
        assert_eq!(warning_key("plain"), "plain");
    }
}
