//! What differs between Unix and Windows, behind one interface: opening files and
//! directories without following links, private files and directories (mode 0600/0700, or
//! a DACL for the current user only), who owns a file and who else may write or read it,
//! atomic replacement, terminal echo, interrupts while a child runs, exit statuses and the
//! docker helper's link. `sys::store` and the commands call these; no `cfg` elsewhere.
//!
//! Both implementations offer the same functions; [`acl`] is the Windows policy (which
//! owners and access entries are safe), kept free of system calls so it is tested on
//! every platform.

pub mod acl;
pub mod winpath;

/// Who besides the user may get at a file that holds a credential.
#[derive(Debug, PartialEq, Eq)]
pub enum Exposure {
    /// Unsafe: another user owns it, or others may write it (why).
    Writable(String),
    /// Others may read it (who).
    Readable(String),
}

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;
