//! When to refresh, when to serve, when to give up: one pure function of the clock, the
//! options and what just happened. `session::ensure` only performs what it says (read,
//! lock, request, write), so every rule lives here and is table-tested.

use jiff::{SignedDuration, Timestamp};

use crate::token::{self, Claims, Decision};

/// The caller's wishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Policy {
    /// Refresh when less than this is left (at most half the token's life is used).
    pub window: SignedDuration,
    /// The served token must be valid for at least this long.
    pub min_valid: SignedDuration,
    /// `refresh`: always refresh, unless another process just did.
    pub force: bool,
}

impl Policy {
    /// `get`'s defaults: a 15-minute window, one minute of validity.
    pub(crate) const DEFAULT: Policy = Policy {
        window: SignedDuration::from_mins(15),
        min_valid: crate::duration::DEFAULT_MIN_VALID,
        force: false,
    };
}

/// What just happened.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Input<'a> {
    /// The token as read: first without the lock, then again under it, `changed` when
    /// another process replaced it while this one waited.
    Read {
        claims: &'a Claims,
        locked: bool,
        changed: bool,
    },
    /// Taking the lock, or the refresh itself, failed.
    Failed { claims: &'a Claims },
    /// The service issued `new` in exchange for `old`.
    Issued { old: &'a Claims, new: &'a Claims },
}

/// Why the current token is served although a new one was wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Why {
    /// The refresh failed; the token is still good for `min_valid`.
    RefreshFailed,
    /// The service answered but did not move `exp` (`GenerateUpst` sessions).
    NotExtended,
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Serve the token as it is: no lock, no request, no write.
    Serve,
    /// Take the lock and read the token again.
    Lock,
    /// Send the refresh (the lock is held).
    Refresh,
    /// Write the new token, then serve it.
    Write,
    /// Serve the current token, with a one-line warning.
    ServeWithWarning(Why),
    /// The session has ended (`sess_exp`): log in again; nothing is sent.
    Ended,
    /// Give up with the error at hand.
    Fail,
    /// The session was not extended and the token no longer satisfies `min_valid`.
    NotExtended,
}

fn valid_for(now: Timestamp, c: &Claims, d: SignedDuration) -> bool {
    c.exp.duration_since(now) >= d
}

/// The rules, in order. Reading: past `sess_exp` → `Ended`; outside the window (see
/// [`token::decide`]) → `Serve`; otherwise `Lock`, and under the lock `Refresh`, except that
/// a forced refresh is satisfied by a token another process just wrote. A failure is served
/// over (with a warning) only when not forced and the token is still good for `min_valid`.
/// A new token is written unless it did not move `exp` (see [`token::not_extended`]).
#[must_use]
pub(crate) fn decide(now: Timestamp, p: &Policy, input: Input<'_>) -> Verdict {
    match input {
        Input::Read {
            claims,
            locked,
            changed,
        } => {
            let d = if p.force {
                match token::decide(now, claims, SignedDuration::ZERO, SignedDuration::ZERO) {
                    Decision::NeedsLogin => Decision::NeedsLogin,
                    _ => Decision::RefreshRequired,
                }
            } else {
                token::decide(now, claims, p.window, p.min_valid)
            };
            match d {
                Decision::Fresh => Verdict::Serve,
                Decision::NeedsLogin => Verdict::Ended,
                Decision::RefreshOptional | Decision::RefreshRequired => {
                    if !locked {
                        Verdict::Lock
                    } else if p.force && changed && valid_for(now, claims, p.min_valid) {
                        Verdict::Serve
                    } else {
                        Verdict::Refresh
                    }
                }
            }
        }
        Input::Failed { claims } => {
            if !p.force && valid_for(now, claims, p.min_valid) {
                Verdict::ServeWithWarning(Why::RefreshFailed)
            } else {
                Verdict::Fail
            }
        }
        Input::Issued { old, new } => {
            if !token::not_extended(old, new) {
                Verdict::Write
            } else if valid_for(now, old, p.min_valid) {
                Verdict::ServeWithWarning(Why::NotExtended)
            } else {
                Verdict::NotExtended
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::env::{Env as _, FakeEnv};

    fn claims(now: Timestamp, iat: i64, exp: i64, sess: Option<i64>) -> Claims {
        let n = now.as_second();
        Claims::at(Some(n + iat), n + exp, sess.map(|s| n + s))
    }

    #[test]
    #[allow(clippy::too_many_lines)] // the table is the test
    fn the_table() {
        use Verdict::{Ended, Fail, Lock, NotExtended, Refresh, Serve, ServeWithWarning, Write};
        let env = FakeEnv::new("/home/t", "2026-11-26T00:00:00Z".parse().unwrap());
        let now = env.now();
        let get = Policy::DEFAULT;
        let force = Policy {
            force: true,
            ..Policy::DEFAULT
        };
        let hour_left = claims(now, 0, 3600, Some(72_000));
        let ten_min_left = claims(now, -3000, 600, Some(72_000));
        let half_min_left = claims(now, -3570, 30, Some(72_000));
        let expired = claims(now, -3700, -100, Some(72_000));
        let ended = claims(now, -3000, 600, Some(-1));
        let short_fresh = claims(now, 0, 90, None); // 90 s token: window 45 s
        let same_exp_later = claims(now, 0, 600, None);
        let short_same_exp = claims(now, 0, 30, None);
        let read = |c, locked, changed| Input::Read {
            claims: c,
            locked,
            changed,
        };
        let cases: Vec<(&str, Policy, Input<'_>, Verdict)> = vec![
            (
                "valid, outside the window",
                get,
                read(&hour_left, false, false),
                Serve,
            ),
            (
                "inside the window: lock first",
                get,
                read(&ten_min_left, false, false),
                Lock,
            ),
            (
                "inside the window, locked",
                get,
                read(&ten_min_left, true, false),
                Refresh,
            ),
            (
                "refreshed by another process",
                get,
                read(&hour_left, true, true),
                Serve,
            ),
            (
                "under min_valid",
                get,
                read(&half_min_left, true, false),
                Refresh,
            ),
            (
                "past exp: the service decides",
                get,
                read(&expired, true, false),
                Refresh,
            ),
            (
                "past sess_exp: no request",
                get,
                read(&ended, false, false),
                Ended,
            ),
            (
                "a short token just issued",
                get,
                read(&short_fresh, false, false),
                Serve,
            ),
            ("forced", force, read(&hour_left, false, false), Lock),
            (
                "forced, locked",
                force,
                read(&hour_left, true, false),
                Refresh,
            ),
            (
                "forced, another process refreshed",
                force,
                read(&hour_left, true, true),
                Serve,
            ),
            (
                "forced, changed but too short",
                force,
                read(&half_min_left, true, true),
                Refresh,
            ),
            ("forced, ended", force, read(&ended, true, false), Ended),
            (
                "failed, still valid: warn",
                get,
                Input::Failed {
                    claims: &ten_min_left,
                },
                ServeWithWarning(Why::RefreshFailed),
            ),
            (
                "failed under min_valid",
                get,
                Input::Failed {
                    claims: &half_min_left,
                },
                Fail,
            ),
            (
                "failed while forced",
                force,
                Input::Failed {
                    claims: &ten_min_left,
                },
                Fail,
            ),
            (
                "issued a later exp",
                get,
                Input::Issued {
                    old: &ten_min_left,
                    new: &hour_left,
                },
                Write,
            ),
            (
                "same exp, later iat: not extended, still valid",
                get,
                Input::Issued {
                    old: &ten_min_left,
                    new: &same_exp_later,
                },
                ServeWithWarning(Why::NotExtended),
            ),
            (
                "not extended and too short",
                get,
                Input::Issued {
                    old: &half_min_left,
                    new: &short_same_exp,
                },
                NotExtended,
            ),
            (
                "same second twice is not 'not extended'",
                force,
                Input::Issued {
                    old: &hour_left,
                    new: &hour_left,
                },
                Write,
            ),
        ];
        for (name, p, input, want) in cases {
            assert_eq!(decide(now, &p, input), want, "{name}");
        }
    }
}
