//! What differs between Unix and Windows, behind one interface: opening files and
//! directories without following links, private files and directories (mode 0600/0700, or
//! a DACL for the current user only), who owns a file and who else may write or read it,
//! atomic replacement, terminal echo, interrupts while a child runs, exit statuses and the
//! docker helper's link. `sys::store` and the commands call these; no `cfg` elsewhere.
//!
//! Both implementations offer the same functions; [`acl`] is the Windows policy (which
//! owners and access entries are safe), kept free of system calls so it is tested on
//! every platform.

// The Windows rules, tested on every platform and used by the Windows build.
#[cfg_attr(not(windows), allow(dead_code))]
pub(crate) mod acl;
mod exposure;
#[cfg_attr(not(windows), allow(dead_code))]
pub(crate) mod winpath;

pub use exposure::Exposure;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

/// Whether this is a Windows build: for texts that name platform things (paths, modes,
/// shells), and for defaults such as PowerShell syntax.
pub(crate) const WINDOWS: bool = cfg!(windows);

/// Whether this is a macOS build (see `docs/macos.md` for what differs there).
pub(crate) const MACOS: bool = cfg!(target_os = "macos");

/// `env` and `oidc token --output env` write PowerShell syntax when no `SHELL` names a shell.
pub(crate) const POWERSHELL_BY_DEFAULT: bool = WINDOWS;

/// `unix` in a Unix build, `windows` in a Windows build: a message that names platform
/// things.
#[must_use]
pub(crate) const fn text(unix: &'static str, windows: &'static str) -> &'static str {
    if WINDOWS { windows } else { unix }
}

/// The real process environment (the home directory by this platform's rules).
pub struct RealEnv;

#[allow(clippy::disallowed_methods)] // the only place that reads the process environment
impl crate::sys::env::Env for RealEnv {
    fn var_os(&self, name: &str) -> Option<std::ffi::OsString> {
        std::env::var_os(name)
    }
    fn home(&self) -> Option<std::path::PathBuf> {
        home_dir(self)
    }
    fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::now()
    }
}
