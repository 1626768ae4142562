//! One token cache for every credential kind: where caches live, how they are opened, and
//! the one loop that keeps a cached credential fresh.
//!
//! **Where.** Sessions keep their token where the profile says (`security_token_file`);
//! every other kind (instance and OKE workload principals, OCIR tokens, OIDC logins) keeps
//! it in a directory of its own under a per-user root: `OCI_TOKEN_CACHE_DIR`, else
//! `$XDG_CACHE_HOME/oci-token`, else `~/.cache/oci-token`. The root and each entry are
//! opened once through [`store::Dir`]: a symlink another user made is refused, each must be
//! this user's and not writable by others, and everything inside is reached relative to the
//! opened descriptor, on the fast path too. A root in a shared directory therefore cannot
//! be used to make `oci-token` read, serve, overwrite or delete another file.
//!
//! **Identity.** An entry's name is `<kind>-<16 hex digits of SHA-256>` over everything
//! that says *who* the credential is (see [`entry_name`]): a token is only ever served to
//! the identity it was issued to.
//!
//! **The loop** ([`ensure`]): read without a lock → [`policy::decide`] → lock → read again
//! → decide → fetch ([`Provider::fetch`]) → decide on what was issued → atomic write. Every
//! rule is in [`policy`]; a [`Provider`] only says how its items are read, written and
//! fetched.

use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::kind::Warning;
use super::policy::{self, Input, Policy, Verdict, Why};
use crate::error::{Error, Result};
use crate::sys::env::Env;
use crate::sys::store::{self, Dir, Pinned};
use crate::token::Claims;

/// The per-user cache root's path: `OCI_TOKEN_CACHE_DIR`, else `$XDG_CACHE_HOME/oci-token`
/// (an absolute `XDG_CACHE_HOME` only, as the XDG spec says), else `~/.cache/oci-token`; on
/// Windows `%LOCALAPPDATA%\oci-token`.
pub(crate) fn root_path(env: &dyn Env) -> Result<PathBuf> {
    if let Some(d) = env.var("OCI_TOKEN_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d));
    }
    crate::sys::os::default_cache_root(env).ok_or_else(|| {
        Error::Config("no cache directory: set HOME, XDG_CACHE_HOME or OCI_TOKEN_CACHE_DIR".into())
    })
}

/// The name of a cache entry: `<kind>-<16 hex digits>` of SHA-256 over `kind` and each
/// part of the identity (NUL-separated, so parts cannot run into each other).
#[must_use]
pub(crate) fn entry_name(kind: &str, identity: &[&str]) -> String {
    format!("{kind}-{}", &digest(kind, identity)[..16])
}

/// SHA-256 over `kind` and each part (NUL-separated), as 64 hex digits. ring's assembly: an
/// identity can hold a whole session token (a few KiB), hashed on every cached `kube`.
#[must_use]
pub(crate) fn digest(kind: &str, parts: &[&str]) -> String {
    let mut h = ring::digest::Context::new(&ring::digest::SHA256);
    h.update(kind.as_bytes());
    for part in parts {
        h.update(&[0u8]);
        h.update(part.as_bytes());
    }
    crate::encoding::hex(h.finish().as_ref(), false)
}

/// Opens the entry `name` under the cache root, checked (see the module docs); created
/// (0700) when `create`, else `Ok(None)` when the root or the entry is missing.
pub(crate) fn entry(env: &dyn Env, name: &str, create: bool) -> Result<Option<Dir>> {
    entry_in(&root_path(env)?, name, create)
}

/// [`entry`], made (0700) when missing.
pub(crate) fn made_entry(env: &dyn Env, name: &str) -> Result<Dir> {
    made_entry_in(&root_path(env)?, name)
}

/// [`entry_in`], made (0700) when missing.
pub(crate) fn made_entry_in(root: &Path, name: &str) -> Result<Dir> {
    entry_in(root, name, true)?.ok_or_else(|| Error::internal("the cache entry was not made"))
}

/// [`entry`] under a root already resolved.
pub(crate) fn entry_in(root: &Path, name: &str, create: bool) -> Result<Option<Dir>> {
    let Some(root) = Dir::open_private(root, create)? else {
        return Ok(None);
    };
    root.child(name, create)
}

/// A JWT as cached: the text and its claims.
#[derive(Debug)]
pub(crate) struct Token {
    pub token: crate::secret::Secret<String>,
    pub claims: Claims,
}

impl Token {
    /// The token in a file's bytes (a trailing newline tolerated); `None` when it is not a
    /// JWT with an `exp`.
    #[must_use]
    pub(crate) fn parse(bytes: &[u8]) -> Option<Token> {
        let text = std::str::from_utf8(bytes).ok()?;
        let t = crate::token::trim_file(text);
        let claims = crate::token::decode(t).ok()?;
        Some(Token {
            token: crate::secret::Secret::new(t.to_owned()),
            claims,
        })
    }
}

/// A credential kind's part of [`ensure`]: how its item is read, judged and fetched.
pub(crate) trait Provider {
    /// What is cached: a token and its claims, a registry token and its expiry, …
    type Item;

    /// The item in what was read (`NotFound` included): `Ok(None)` when there is none or
    /// it is unusable and a new one should be fetched, an error when nothing can be done
    /// without the user (a session's token file missing or garbled).
    fn decode(&self, read: std::io::Result<Vec<u8>>) -> Result<Option<Self::Item>>;

    /// The bytes to store.
    fn encode(&self, item: &Self::Item) -> Result<Vec<u8>>;

    /// The validity the policy judges.
    fn claims(&self, item: &Self::Item) -> Claims;

    /// The largest stored item read (a larger file is an error from `decode`).
    fn max_bytes(&self) -> u64 {
        store::MAX_TOKEN
    }

    /// Checks the first item read against the wishes (e.g. a `--min-valid` the item's
    /// lifetime cannot meet).
    fn admit(&self, _item: &Self::Item, _policy: &Policy) -> Result<()> {
        Ok(())
    }

    /// Whether a new item can be fetched once the current one has ended (`sess_exp`).
    fn renews_past_end(&self) -> bool {
        false
    }

    /// The error for an item past its end that cannot be renewed.
    fn ended(&self, item: &Self::Item) -> Error {
        Error::NeedsLogin(format!(
            "the credential ended at {}",
            self.claims(item).sess_exp.unwrap_or(self.claims(item).exp)
        ))
    }

    /// The error when the service answered without extending the item.
    fn not_extended(&self, item: &Self::Item) -> Error {
        Error::NeedsLogin(format!(
            "the service did not extend the credential (it still ends at {})",
            self.claims(item).exp
        ))
    }

    /// Whether what the service issued is written even when it does not extend the current
    /// item (OIDC: the reply may rotate the refresh token, which must never be lost).
    fn keeps_every_issue(&self) -> bool {
        false
    }

    /// The error when what the service just issued (and was written) has already expired.
    fn too_short(&self, item: &Self::Item) -> Error {
        Error::Service(format!(
            "the new credential from the service expired at {} already (is this machine's clock right?); try again",
            self.claims(item).exp
        ))
    }

    /// The error when the slot's directory is not private (checked before locking).
    fn refusing(&self, why: String) -> Error {
        Error::Config(format!("refusing the cache: {why}"))
    }

    /// Fetches a new item; the lock is held. `current` is the item under the lock, and
    /// `ended` says it is past its end (only when [`Provider::renews_past_end`]).
    fn fetch(&mut self, current: Option<&Self::Item>, ended: bool) -> Result<Self::Item>;
}

/// What [`ensure`] returns.
#[derive(Debug)]
pub(crate) struct Outcome<T> {
    pub item: T,
    /// Whether this run fetched and wrote it.
    pub refreshed: bool,
    /// Why the current item is served although a new one was wanted.
    pub warning: Option<Warning>,
}

impl<T> Outcome<T> {
    fn served(item: T) -> Self {
        Outcome {
            item,
            refreshed: false,
            warning: None,
        }
    }
}

/// One read: an empty file is read once more after a moment (the oci CLI rewrites a token
/// in place, truncate then write, and a reader can land in between; our writes are atomic).
fn read(slot: &Pinned, max: u64, again_if_empty: bool) -> (std::io::Result<Vec<u8>>, Vec<u8>) {
    let mut r = slot.read(max);
    if again_if_empty && r.as_ref().is_ok_and(Vec::is_empty) {
        std::thread::sleep(Duration::from_millis(50));
        r = slot.read(max);
    }
    let raw = r.as_ref().map(Clone::clone).unwrap_or_default();
    (r, raw)
}

/// Returns an item that satisfies `policy`, from `slot` or fetched under its sidecar lock,
/// as [`policy::decide`] says. A failure leaves `slot` byte-identical; while the current
/// item still satisfies `min_valid` (and the refresh was not forced) it is served with a
/// warning instead.
pub(crate) fn ensure<P: Provider>(
    slot: &Pinned,
    provider: &mut P,
    policy: &Policy,
    now: &dyn Fn() -> Timestamp,
    lock_timeout: SignedDuration,
) -> Result<Outcome<P::Item>> {
    let (first_read, first_raw) = read(slot, provider.max_bytes(), true);
    let first = match provider.decode(first_read)? {
        Some(item) => {
            provider.admit(&item, policy)?;
            let c = provider.claims(&item);
            let read = Input::Read {
                claims: &c,
                locked: false,
                changed: false,
            };
            match policy::decide(now(), policy, read) {
                Verdict::Serve => return Ok(Outcome::served(item)),
                Verdict::Ended if !provider.renews_past_end() => {
                    return Err(provider.ended(&item));
                }
                _ => Some(item),
            }
        }
        None => None,
    };
    slot.check_private().map_err(|why| provider.refusing(why))?;
    let _lock = match slot.lock(crate::duration::to_std(lock_timeout)) {
        Ok(l) => l,
        Err(e) => return fallback(provider, policy, now, e, first),
    };
    let (again_read, again_raw) = read(slot, provider.max_bytes(), false);
    let mut ended = false;
    // Unchanged while we waited (the usual case): the item decoded before is the item.
    let again = match first {
        Some(item) if again_read.is_ok() && again_raw == first_raw => Some(item),
        _ => provider.decode(again_read)?,
    };
    let current = match again {
        Some(item) => {
            let c = provider.claims(&item);
            let read = Input::Read {
                claims: &c,
                locked: true,
                changed: again_raw != first_raw,
            };
            match policy::decide(now(), policy, read) {
                Verdict::Serve => return Ok(Outcome::served(item)),
                Verdict::Ended if !provider.renews_past_end() => {
                    return Err(provider.ended(&item));
                }
                Verdict::Ended => ended = true,
                _ => {}
            }
            Some(item)
        }
        None => None,
    };
    let new = match provider.fetch(current.as_ref(), ended) {
        Ok(n) => n,
        Err(e) => return fallback(provider, policy, now, e, current),
    };
    let new_claims = provider.claims(&new);
    if let Some(old) = current {
        let old_claims = provider.claims(&old);
        let issued = Input::Issued {
            old: &old_claims,
            new: &new_claims,
        };
        match policy::decide(now(), policy, issued) {
            Verdict::Write => {}
            _ if provider.keeps_every_issue() => {}
            Verdict::ServeWithWarning(Why::NotExtended) => {
                let w = Warning::NotExtended(provider.not_extended(&old).to_string());
                return Ok(Outcome {
                    item: old,
                    refreshed: false,
                    warning: Some(w),
                });
            }
            _ => return Err(provider.not_extended(&old)),
        }
    }
    let bytes = provider.encode(&new)?;
    slot.write_atomic(&bytes).map_err(|e| {
        Error::Other(format!(
            "cannot write {} (it is unchanged): {e}",
            slot.path().display()
        ))
    })?;
    // What the service just issued is served even when shorter than `min_valid` (it is the
    // best there is), but never once it has expired.
    if new_claims.exp <= now() {
        return Err(provider.too_short(&new));
    }
    Ok(Outcome {
        item: new,
        refreshed: true,
        warning: None,
    })
}

/// A failed lock or fetch: serve the current item with a warning when the policy allows.
fn fallback<P: Provider>(
    provider: &P,
    policy: &Policy,
    now: &dyn Fn() -> Timestamp,
    e: Error,
    current: Option<P::Item>,
) -> Result<Outcome<P::Item>> {
    let Some(item) = current else { return Err(e) };
    let c = provider.claims(&item);
    match policy::decide(now(), policy, Input::Failed { claims: &c }) {
        Verdict::ServeWithWarning(_) => {
            let w = format!("{e} (the current token is still valid until {})", c.exp);
            Ok(Outcome {
                item,
                refreshed: false,
                warning: Some(Warning::RefreshFailed(w)),
            })
        }
        _ => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    /// Items are `"<iat> <exp> [sess_exp]"` in seconds; the fake service issues
    /// `issue` (or fails with `fail`).
    struct Fake {
        issue: Option<(i64, i64)>,
        fail: Option<Error>,
        fetched: usize,
        renews: bool,
    }

    fn parse(s: &str) -> Option<Claims> {
        let n: Vec<i64> = s
            .split(' ')
            .map(str::parse)
            .collect::<std::result::Result<_, _>>()
            .ok()?;
        Some(Claims::at(Some(n[0]), n[1], n.get(2).copied()))
    }

    impl Provider for Fake {
        type Item = String;
        fn decode(&self, read: std::io::Result<Vec<u8>>) -> Result<Option<String>> {
            match read {
                Ok(b) => Ok(Some(String::from_utf8(b).unwrap()).filter(|s| parse(s).is_some())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(Error::Config(e.to_string())),
            }
        }
        fn encode(&self, item: &String) -> Result<Vec<u8>> {
            Ok(item.clone().into_bytes())
        }
        fn claims(&self, item: &String) -> Claims {
            parse(item).unwrap()
        }
        fn renews_past_end(&self) -> bool {
            self.renews
        }
        fn fetch(&mut self, _current: Option<&String>, _ended: bool) -> Result<String> {
            self.fetched += 1;
            if let Some(e) = self.fail.take() {
                return Err(e);
            }
            let (iat, exp) = self.issue.unwrap();
            Ok(format!("{iat} {exp}"))
        }
    }

    const NOW: i64 = 1_800_000_000;

    #[derive(Debug, PartialEq)]
    enum Want {
        Served(&'static str),
        Refreshed,
        Warned(&'static str),
        Exit(u8),
    }

    #[test]
    #[allow(clippy::too_many_lines)] // the table is the test
    fn the_loop() {
        let get = Policy::DEFAULT;
        let force = Policy {
            force: true,
            ..Policy::DEFAULT
        };
        let fresh = format!("{} {}", NOW - 60, NOW + 3600);
        let in_window = format!("{} {}", NOW - 3000, NOW + 600);
        let nearly_gone = format!("{} {}", NOW - 3570, NOW + 30);
        let ended = format!("{} {} {}", NOW - 3000, NOW + 600, NOW - 1);
        let later = Some((NOW, NOW + 3660));
        let same_exp = Some((NOW, NOW + 600));
        let expired_issue = Some((NOW - 100, NOW - 10));
        let unavailable = || Some(Error::Service("the service is down".into()));
        let refused = || Some(Error::NeedsLogin("refused".into()));
        // (name, stored, policy, issue, fail, renews, want, fetches)
        #[allow(clippy::type_complexity)]
        let cases: Vec<(
            &str,
            Option<&str>,
            Policy,
            Option<(i64, i64)>,
            Option<Error>,
            bool,
            Want,
            usize,
        )> = vec![
            (
                "fresh: served, nothing fetched",
                Some(&fresh),
                get,
                later,
                None,
                false,
                Want::Served("fresh"),
                0,
            ),
            (
                "missing: fetched and written",
                None,
                get,
                later,
                None,
                false,
                Want::Refreshed,
                1,
            ),
            (
                "garbage: fetched again",
                Some("garbage"),
                get,
                later,
                None,
                false,
                Want::Refreshed,
                1,
            ),
            (
                "in the window: refreshed",
                Some(&in_window),
                get,
                later,
                None,
                false,
                Want::Refreshed,
                1,
            ),
            (
                "in the window, service down: warned",
                Some(&in_window),
                get,
                None,
                unavailable(),
                false,
                Want::Warned("in_window"),
                1,
            ),
            (
                "under min_valid, service down: exit 5",
                Some(&nearly_gone),
                get,
                None,
                unavailable(),
                false,
                Want::Exit(5),
                1,
            ),
            (
                "missing, service down: exit 5",
                None,
                get,
                None,
                unavailable(),
                false,
                Want::Exit(5),
                1,
            ),
            (
                "refused while still valid: warned",
                Some(&in_window),
                get,
                None,
                refused(),
                false,
                Want::Warned("in_window"),
                1,
            ),
            (
                "forced, service down: exit 5",
                Some(&fresh),
                force,
                None,
                unavailable(),
                false,
                Want::Exit(5),
                1,
            ),
            (
                "forced: refreshed",
                Some(&fresh),
                force,
                later,
                None,
                false,
                Want::Refreshed,
                1,
            ),
            (
                "ended: exit 4, nothing sent",
                Some(&ended),
                get,
                later,
                None,
                false,
                Want::Exit(4),
                0,
            ),
            (
                "ended but renewable: fetched",
                Some(&ended),
                get,
                later,
                None,
                true,
                Want::Refreshed,
                1,
            ),
            (
                "not extended, still valid: warned",
                Some(&in_window),
                get,
                same_exp,
                None,
                false,
                Want::Warned("in_window"),
                1,
            ),
            (
                "not extended, too short: exit 4",
                Some(&nearly_gone),
                get,
                Some((NOW, NOW + 30)),
                None,
                false,
                Want::Exit(4),
                1,
            ),
            (
                "issued already expired: exit 5, kept (written)",
                None,
                get,
                expired_issue,
                None,
                false,
                Want::Exit(5),
                1,
            ),
        ];
        for (name, stored, policy, issue, fail, renews, want, fetches) in cases {
            let d = tempfile::tempdir().unwrap();
            let path = d.path().join("token");
            if let Some(s) = stored {
                std::fs::write(&path, s).unwrap();
            }
            let before = std::fs::read(&path).ok();
            let slot = Pinned::new(&path).unwrap();
            let mut fake = Fake {
                issue,
                fail,
                fetched: 0,
                renews,
            };
            let clock = Cell::new(Timestamp::from_second(NOW).unwrap());
            let now = || clock.get();
            let got = ensure(
                &slot,
                &mut fake,
                &policy,
                &now,
                SignedDuration::from_secs(1),
            );
            let after = std::fs::read(&path).ok();
            let label = |item: &str| {
                [("fresh", &fresh), ("in_window", &in_window)]
                    .iter()
                    .find(|(_, v)| v.as_str() == item)
                    .map_or("?", |(k, _)| k)
            };
            let seen = match &got {
                Ok(o) if o.refreshed => {
                    assert_eq!(after.as_deref(), Some(o.item.as_bytes()), "{name}: written");
                    Want::Refreshed
                }
                Ok(o) if o.warning.is_some() => Want::Warned(label(&o.item)),
                Ok(o) => Want::Served(label(&o.item)),
                Err(e) => Want::Exit(e.exit_code()),
            };
            assert_eq!(seen, want, "{name}: {got:?}");
            assert_eq!(fake.fetched, fetches, "{name}: fetches");
            if !matches!(want, Want::Refreshed) && !name.ends_with("(written)") {
                assert_eq!(after, before, "{name}: the file is byte-identical");
            }
            let names: Vec<_> = std::fs::read_dir(d.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .filter(|n| n != "token.lock" && n != "token")
                .collect();
            assert!(names.is_empty(), "{name}: nothing else left: {names:?}");
        }
    }

    #[test]
    fn a_token_written_by_another_process_while_waiting_is_served() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("token");
        std::fs::write(&path, format!("{} {}", NOW - 3000, NOW + 600)).unwrap();
        let slot = Pinned::new(&path).unwrap();
        let held = slot.lock(Duration::from_secs(1)).unwrap();
        let path2 = path.clone();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            std::fs::write(&path2, format!("{} {}", NOW, NOW + 3600)).unwrap();
            drop(held);
        });
        let mut fake = Fake {
            issue: Some((NOW, NOW + 7200)),
            fail: None,
            fetched: 0,
            renews: false,
        };
        let now = || Timestamp::from_second(NOW).unwrap();
        let o = ensure(
            &slot,
            &mut fake,
            &Policy::DEFAULT,
            &now,
            SignedDuration::from_secs(5),
        )
        .unwrap();
        writer.join().unwrap();
        assert_eq!(fake.fetched, 0, "the other process's token is used");
        assert_eq!(o.item, format!("{} {}", NOW, NOW + 3600));
        assert!(!o.refreshed);
    }

    #[test]
    fn entry_names_separate_identities() {
        assert_ne!(
            entry_name("oke", &["a", "bc"]),
            entry_name("oke", &["ab", "c"])
        );
        assert_ne!(entry_name("oke", &["a"]), entry_name("instance", &["a"]));
        assert!(entry_name("ocir", &["x"]).starts_with("ocir-"));
        assert_eq!(entry_name("ocir", &["x"]).len(), "ocir-".len() + 16);
    }

    #[test]
    #[cfg_attr(
        windows,
        ignore = "Unix: modes and symlinks (Windows: sys::os::acl tests)"
    )]
    fn roots_and_entries_are_checked() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let d = tempfile::tempdir().unwrap();
            let env =
                crate::sys::env::FakeEnv::new(d.path().to_str().unwrap(), Timestamp::UNIX_EPOCH)
                    .with("OCI_TOKEN_CACHE_DIR", d.path().join("c").to_str().unwrap());
            assert!(entry(&env, "x-1", false).unwrap().is_none(), "nothing made");
            assert!(!d.path().join("c").exists());
            let e = entry(&env, "x-1", true).unwrap().unwrap();
            assert_eq!(
                std::fs::metadata(e.path()).unwrap().permissions().mode() & 0o777,
                0o700
            );
            // A symlinked entry is refused, not followed.
            let victim = d.path().join("victim");
            std::fs::create_dir(&victim).unwrap();
            std::os::unix::fs::symlink(&victim, d.path().join("c/x-2")).unwrap();
            let err = entry(&env, "x-2", false).unwrap_err();
            assert_eq!(err.exit_code(), 3);
            assert!(err.to_string().contains("not a directory"), "{err}");
            // A root others can write is refused.
            std::fs::set_permissions(d.path().join("c"), std::fs::Permissions::from_mode(0o777))
                .unwrap();
            let err = entry(&env, "x-1", false).unwrap_err();
            assert!(err.to_string().contains("group or others"), "{err}");
        }
    }
}
