//! The Windows policy for files that hold credentials, as plain functions over an owner
//! and a DACL (read by `oci_token_win::security`): the equivalent of "owned by this user or
//! root, and not writable (or readable) by group or others".
//!
//! Trusted besides the current user: `SYSTEM`, `Administrators` and `TrustedInstaller`
//! (they can read any file anyway, as root can), and `CREATOR OWNER` in an entry that only
//! children inherit. Deny entries are ignored (ignoring them can only make a verdict
//! stricter). An entry of any other type (object, callback, ...) is not judged: it makes
//! the file unsafe.

use std::fmt::Write as _;

use oci_token_win::{Ace, Security, Sid};

/// Rights that let someone change what a file says or who may use it: write or append
/// data, add or delete children, delete, change the DACL or the owner, generic write, and
/// generic all.
pub(crate) const WRITE_RIGHTS: u32 =
    0x0002 | 0x0004 | 0x0040 | 0x0001_0000 | 0x0004_0000 | 0x0008_0000 | 0x4000_0000 | 0x1000_0000;
/// Rights that let someone read a file's data: read data, generic read, generic all.
pub(crate) const READ_RIGHTS: u32 = 0x0001 | 0x8000_0000 | 0x1000_0000;

/// A SID in its text form (`S-1-5-21-...`), from its binary form.
#[must_use]
pub(crate) fn sid_string(sid: &Sid) -> String {
    let b = &sid.0;
    if b.len() < 8 {
        return "S-?".into();
    }
    let authority = b[2..8]
        .iter()
        .fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
    let mut s = format!("S-{}-{authority}", b[0]);
    for chunk in b[8..].chunks_exact(4).take(usize::from(b[1])) {
        let v = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        let _ = write!(s, "-{v}");
    }
    s
}

/// A well-known SID's name, or its text form.
#[must_use]
pub(crate) fn sid_name(sid: &Sid) -> String {
    let s = sid_string(sid);
    let name = match s.as_str() {
        "S-1-1-0" => "Everyone",
        "S-1-5-11" => "Authenticated Users",
        "S-1-5-32-545" => "Users",
        "S-1-5-32-546" => "Guests",
        "S-1-5-4" => "INTERACTIVE",
        "S-1-5-7" => "ANONYMOUS LOGON",
        _ => return s,
    };
    format!("{name} ({s})")
}

fn trusted(sid: &Sid, me: &Sid) -> bool {
    sid == me
        || matches!(
            sid_string(sid).as_str(),
            "S-1-5-18"
                | "S-1-5-32-544"
                | "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"
        )
}

/// Why an owner is not to be trusted: another user (`None` when fine; a missing owner is
/// judged by the DACL alone).
#[must_use]
pub(crate) fn foreign_owner(owner: Option<&Sid>, me: &Sid) -> Option<String> {
    owner
        .filter(|o| !trusted(o, me))
        .map(|o| format!("another user ({})", sid_name(o)))
}

/// Why a file or directory holding credentials is unsafe: another user owns it, it has no
/// DACL (everyone may do anything), or someone untrusted may write it. `None` when fine.
#[must_use]
pub(crate) fn unsafe_owner_or_writers(sec: &Security, me: &Sid) -> Option<String> {
    if let Some(who) = foreign_owner(sec.owner.as_ref(), me) {
        return Some(format!("it belongs to {who}"));
    }
    let Some(dacl) = &sec.dacl else {
        return Some("everyone can write it (it has no DACL)".into());
    };
    for ace in dacl {
        match ace {
            Ace::Allow {
                sid,
                mask,
                inherit_only: false,
            } if mask & WRITE_RIGHTS != 0 && !trusted(sid, me) => {
                return Some(format!("{} can write it", sid_name(sid)));
            }
            Ace::Other(kind) => {
                return Some(format!(
                    "it has an access entry of type {kind}, which oci-token does not judge"
                ));
            }
            _ => {}
        }
    }
    None
}

/// Who besides the trusted may read the file, if anyone.
#[must_use]
pub(crate) fn other_readers(sec: &Security, me: &Sid) -> Option<String> {
    let Some(dacl) = &sec.dacl else {
        return Some("everyone can read it (it has no DACL)".into());
    };
    dacl.iter().find_map(|ace| match ace {
        Ace::Allow {
            sid,
            mask,
            inherit_only: false,
        } if mask & READ_RIGHTS != 0 && !trusted(sid, me) => {
            Some(format!("{} can read it", sid_name(sid)))
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A SID from its text form (test helper).
    fn sid(s: &str) -> Sid {
        let parts: Vec<u64> = s[2..].split('-').map(|p| p.parse().unwrap()).collect();
        let mut b = vec![
            u8::try_from(parts[0]).unwrap(),
            u8::try_from(parts.len() - 2).unwrap(),
        ];
        b.extend_from_slice(&parts[1].to_be_bytes()[2..]);
        for p in &parts[2..] {
            b.extend_from_slice(&u32::try_from(*p).unwrap().to_le_bytes());
        }
        Sid(b)
    }

    const ME: &str = "S-1-5-21-1004336348-1177238915-682003330-1001";

    fn allow(s: &str, mask: u32) -> Ace {
        Ace::Allow {
            sid: sid(s),
            mask,
            inherit_only: false,
        }
    }

    fn sec(owner: &str, dacl: Vec<Ace>) -> Security {
        Security {
            owner: Some(sid(owner)),
            dacl: Some(dacl),
        }
    }

    #[test]
    fn sid_text_round_trips() {
        for s in [ME, "S-1-5-18", "S-1-1-0", "S-1-5-32-544"] {
            assert_eq!(sid_string(&sid(s)), s);
        }
        assert_eq!(sid_name(&sid("S-1-5-32-545")), "Users (S-1-5-32-545)");
        assert_eq!(sid_string(&Sid(vec![1])), "S-?");
    }

    #[test]
    fn the_private_dacl_is_safe() {
        // What oci-token writes: the user only. What a profile directory has: user,
        // SYSTEM, Administrators.
        let me = sid(ME);
        assert_eq!(
            unsafe_owner_or_writers(&sec(ME, vec![allow(ME, 0x1f_01ff)]), &me),
            None
        );
        let profile = sec(
            ME,
            vec![
                allow(ME, 0x1f_01ff),
                allow("S-1-5-18", 0x1f_01ff),
                allow("S-1-5-32-544", 0x1f_01ff),
            ],
        );
        assert_eq!(unsafe_owner_or_writers(&profile, &me), None);
        assert_eq!(other_readers(&profile, &me), None);
        // Made by an administrator's process: owned by Administrators, fine (as root is).
        assert_eq!(
            unsafe_owner_or_writers(&sec("S-1-5-32-544", vec![]), &me),
            None
        );
    }

    #[test]
    fn others_who_can_write_or_own_make_it_unsafe() {
        let me = sid(ME);
        let other = "S-1-5-21-1004336348-1177238915-682003330-1002";
        let why = unsafe_owner_or_writers(&sec(other, vec![]), &me).unwrap();
        assert!(why.contains("another user") && why.contains(other), "{why}");
        let why = unsafe_owner_or_writers(&sec(ME, vec![allow("S-1-5-32-545", 0x0012_0116)]), &me)
            .unwrap();
        assert_eq!(why, "Users (S-1-5-32-545) can write it");
        // Generic all / generic write / delete / WRITE_DAC each count.
        for mask in [
            0x1000_0000,
            0x4000_0000,
            0x0001_0000,
            0x0004_0000,
            0x0008_0000,
        ] {
            assert!(unsafe_owner_or_writers(&sec(ME, vec![allow("S-1-1-0", mask)]), &me).is_some());
        }
        // Read and execute only: safe to trust, but it can be read.
        let readable = sec(ME, vec![allow("S-1-1-0", 0x0012_00a9)]);
        assert_eq!(unsafe_owner_or_writers(&readable, &me), None);
        assert_eq!(
            other_readers(&readable, &me).unwrap(),
            "Everyone (S-1-1-0) can read it"
        );
        // A NULL DACL grants everything.
        let null = Security {
            owner: Some(sid(ME)),
            dacl: None,
        };
        assert!(
            unsafe_owner_or_writers(&null, &me)
                .unwrap()
                .contains("no DACL")
        );
        // An entry that only children inherit does not apply to the directory itself.
        let inherit_only = sec(
            ME,
            vec![Ace::Allow {
                sid: sid("S-1-3-0"),
                mask: 0x1000_0000,
                inherit_only: true,
            }],
        );
        assert_eq!(unsafe_owner_or_writers(&inherit_only, &me), None);
        // Entries we cannot judge are refused.
        assert!(unsafe_owner_or_writers(&sec(ME, vec![Ace::Other(9)]), &me).is_some());
        // Deny entries do not make a file unsafe.
        let deny = sec(
            ME,
            vec![Ace::Deny {
                sid: sid("S-1-1-0"),
                mask: 0x1f_01ff,
            }],
        );
        assert_eq!(unsafe_owner_or_writers(&deny, &me), None);
    }
}
