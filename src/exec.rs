//! `oci-token exec -- <command>`: run a command with a fresh session and keep the token
//! file fresh in the background while it runs (the Terraform OCI provider re-reads the token
//! file on every request, so a long `terraform apply` outlives the one-hour token).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use jiff::SignedDuration;
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use signal_hook::iterator::SignalsInfo;
use signal_hook::iterator::exfiltrator::WithOrigin;

use crate::cli::ExecArgs;
use crate::config::Profile;
use crate::error::{Error, Result};
use crate::output;
use crate::session::{self, Ctx, Mode, Warning};

/// Retry delays after a failed background refresh, or an unreadable token file (then the
/// last one, repeated).
const BACKOFF: [u64; 4] = [15, 30, 60, 120];

/// Runs the command; returns its exit code (128 + N when a signal N ended it).
pub fn run(ctx: &Ctx<'_>, args: &ExecArgs) -> Result<u8> {
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| Error::Config("exec needs a command after `--`".into()))?;
    let p = ctx.profile()?;
    let g = &args.refresh;
    let mode = Mode::IfNeeded {
        window: g.refresh_window,
        min_valid: g.min_valid,
    };
    let mut env: Vec<(&str, String)> = vec![
        ("OCI_CLI_PROFILE", p.name.clone()),
        ("OCI_CLI_AUTH", p.auth().to_owned()),
    ];
    if let Some(c) = &p.config_file {
        env.push(("OCI_CLI_CONFIG_FILE", c.display().to_string()));
    }
    let session_exp = if p.security_token_file.is_some() {
        let s = session::ensure_fresh(ctx, &p, g)?;
        env.push(("OCI_TOKEN_EXPIRES_AT", s.claims.exp.to_string()));
        Some(s.claims.exp)
    } else {
        session::check_api_key_profile(&p)?;
        None
    };

    let mut signals = SignalsInfo::<WithOrigin>::new([SIGINT, SIGTERM, SIGHUP, SIGQUIT])
        .map_err(|e| Error::Other(format!("cannot install signal handlers: {e}")))?;
    let mut child = crate::spawn::child(program, rest, &env).map_err(|e| {
        let name = program.to_string_lossy();
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::Spawn(127, format!("{name}: command not found"))
        } else {
            Error::Spawn(126, format!("{name}: cannot be run: {e}"))
        }
    })?;
    let pid = rustix::process::Pid::from_child(&child);
    let handle = signals.handle();
    let done = AtomicBool::new(false);
    let (stop_tx, stop_rx) = mpsc::channel::<()>();

    let status = std::thread::scope(|scope| {
        // Forward signals. A terminal's Ctrl-C / Ctrl-\\ / hang-up already reaches the child
        // (same process group); forwarding those too would deliver them twice (a second
        // Ctrl-C makes Terraform abort), so only signals sent by a process are forwarded.
        scope.spawn(|| {
            for info in signals.forever() {
                let from_terminal = info.process.is_none() && info.signal != SIGTERM;
                if from_terminal {
                    continue;
                }
                if let Some(sig) = to_rustix(info.signal) {
                    let _ = rustix::process::kill_process(pid, sig);
                }
            }
        });
        if session_exp.is_some() {
            let (p, done) = (&p, &done);
            scope.spawn(move || refresher(ctx, p, mode, g.lock.lock_timeout, &stop_rx, done));
        }
        let status = child.wait();
        done.store(true, Ordering::SeqCst);
        let _ = stop_tx.send(());
        handle.close();
        status
    });
    let status = status
        .map_err(|e| Error::Other(format!("waiting for {}: {e}", program.to_string_lossy())))?;
    Ok(exit_code(status))
}

fn to_rustix(sig: i32) -> Option<rustix::process::Signal> {
    use rustix::process::Signal;
    match sig {
        SIGINT => Some(Signal::INT),
        SIGTERM => Some(Signal::TERM),
        SIGHUP => Some(Signal::HUP),
        SIGQUIT => Some(Signal::QUIT),
        _ => None,
    }
}

/// The child's exit code; 128 + N for a death by signal N, as shells report it.
fn exit_code(status: std::process::ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt as _;
    match (status.code(), status.signal()) {
        (Some(c), _) => u8::try_from(c.rem_euclid(256)).unwrap_or(1),
        (None, Some(s)) => u8::try_from(128 + s).unwrap_or(255),
        (None, None) => 1,
    }
}

/// Keeps the token file fresh until `stop` fires: wakes `window` before each expiry and
/// refreshes (locked, atomic, via `ensure`). Stops, warning once, when the session reaches
/// its limit or cannot be extended.
fn refresher(
    ctx: &Ctx<'_>,
    p: &Profile,
    mode: Mode,
    lock_timeout: SignedDuration,
    stop: &mpsc::Receiver<()>,
    done: &AtomicBool,
) {
    let Mode::IfNeeded { window, .. } = mode else {
        return;
    };
    let mut failures = 0usize;
    let mut last_warning = String::new();
    loop {
        let wait = match session::token_path(p).and_then(|path| session::read_token(path, &p.name))
        {
            Ok((_, c)) if failures == 0 => c.exp.duration_since(ctx.env.now()) - window,
            Ok(_) | Err(_) => SignedDuration::from_secs(
                i64::try_from(BACKOFF[failures.clamp(1, BACKOFF.len()) - 1]).unwrap_or(120),
            ),
        };
        let wait = Duration::from_millis(
            u64::try_from(wait.as_millis().max(0))
                .unwrap_or(u64::MAX)
                .max(200),
        );
        if stop.recv_timeout(wait) != Err(mpsc::RecvTimeoutError::Timeout)
            || done.load(Ordering::SeqCst)
        {
            return;
        }
        match session::ensure(ctx, p, mode, lock_timeout) {
            Ok(s) => match s.warning {
                None => failures = 0,
                Some(Warning::NotExtended(w)) => {
                    output::warn(&format!(
                        "{w}; the command keeps running, but OCI requests fail after that"
                    ));
                    return;
                }
                Some(Warning::RefreshFailed(w)) => {
                    failures += 1;
                    if w != last_warning {
                        output::warn(&w);
                        last_warning = w;
                    }
                }
            },
            Err(e @ Error::NeedsLogin(_)) => {
                output::warn(&format!(
                    "{e}; the command keeps running, but OCI requests will fail"
                ));
                return;
            }
            Err(e) => {
                failures += 1;
                let w = e.to_string();
                if w != last_warning {
                    output::warn(&w);
                    last_warning = w;
                }
            }
        }
    }
}
