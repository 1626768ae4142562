//! The few Windows calls `oci-token` needs, behind a safe API: the current user's SID, a
//! file's owner and DACL, a private DACL (the current user only, not inherited), console
//! echo, and swallowing console Ctrl-C/Ctrl-Break while a child runs.
//!
//! This is the only `unsafe` code of the project: `oci-token` itself forbids `unsafe`.
//! Every block makes one call and says why it is sound. The decisions (which SIDs are
//! trusted, which rights count as writing) are not made here but in `oci-token`'s
//! `sys::os::acl`, in plain Rust over the types below, unit-tested on every platform. On
//! other platforms only the types exist.

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

/// A security identifier, as its binary form (which is canonical: equal SIDs, equal bytes).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Sid(pub Vec<u8>);

impl Sid {
    /// `Everyone` (`S-1-1-0`).
    #[must_use]
    pub fn everyone() -> Sid {
        Sid(vec![1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0])
    }

    /// Revision 1, at most 15 sub-authorities, and exactly as long as its count says.
    #[must_use]
    pub fn is_well_formed(&self) -> bool {
        let b = &self.0;
        b.len() >= 8 && b[0] == 1 && b[1] <= 15 && b.len() == 8 + 4 * usize::from(b[1])
    }
}

/// One entry of a DACL.
#[derive(Clone, Debug)]
pub enum Ace {
    /// `ACCESS_ALLOWED_ACE`: `sid` is granted `mask`.
    Allow {
        /// Who.
        sid: Sid,
        /// The rights.
        mask: u32,
        /// Applies only to children (an inheritable entry of a directory), not the object.
        inherit_only: bool,
    },
    /// `ACCESS_DENIED_ACE`.
    Deny {
        /// Who.
        sid: Sid,
        /// The rights.
        mask: u32,
    },
    /// Any other entry type (object, callback, audit, ...), by its type number.
    Other(u8),
}

/// A file's owner and DACL.
#[derive(Clone, Debug)]
pub struct Security {
    /// The owner; `None` when the descriptor has none.
    pub owner: Option<Sid>,
    /// The DACL; `None` for a NULL DACL, which grants everyone everything.
    pub dacl: Option<Vec<Ace>>,
}
