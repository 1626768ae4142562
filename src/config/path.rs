//! Paths in the config, as Python expands them.

use std::path::PathBuf;

use crate::sys::env::Env;

/// Python's `os.path.expanduser`: `~` and `~/…` (and `~\…` on Windows) use the home
/// directory, `~name/…` the home of `name` (from the passwd file; on Windows, beside ours);
/// anything else is returned unchanged.
#[must_use]
pub(crate) fn expand_user(path: &str, env: &dyn Env) -> PathBuf {
    let Some(rest) = path.strip_prefix('~') else {
        return PathBuf::from(path);
    };
    let (user, tail) = match rest.find(['/', std::path::MAIN_SEPARATOR]) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    let home = if user.is_empty() {
        env.home()
    } else {
        crate::sys::os::other_user_home(env, user)
    };
    match home {
        Some(h) if tail.is_empty() => h,
        Some(h) => h.join(tail),
        None => PathBuf::from(path),
    }
}
