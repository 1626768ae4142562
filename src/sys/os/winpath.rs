//! Windows path rules, as plain functions (tested on every platform): the home directory
//! as Python's `os.path.expanduser` (and so the oci CLI) finds it on Windows, and MSYS
//! paths (`/c/Users/me`, what Git Bash puts in `HOME`) turned into Windows paths.

use std::ffi::OsString;
use std::path::PathBuf;

/// Git Bash's `/c/Users/me` (or `/c`) as `C:\Users\me`; `None` for anything else (a POSIX
/// path under the MSYS root such as `/home/me` has no Windows meaning without MSYS).
#[must_use]
pub fn msys_to_windows(p: &str) -> Option<String> {
    let rest = p.strip_prefix('/')?;
    let mut chars = rest.chars();
    let drive = chars.next().filter(char::is_ascii_alphabetic)?;
    let after = chars.as_str();
    if !(after.is_empty() || after.starts_with('/')) {
        return None;
    }
    let tail = after.trim_start_matches('/').replace('/', "\\");
    Some(format!("{}:\\{tail}", drive.to_ascii_uppercase()))
}

/// The home directory on Windows: `USERPROFILE`; else `HOME` (an MSYS `/c/...` value made
/// a Windows path); else `HOMEDRIVE` + `HOMEPATH`. Empty values count as unset.
#[must_use]
pub fn home(
    userprofile: Option<OsString>,
    home: Option<OsString>,
    homedrive: Option<OsString>,
    homepath: Option<OsString>,
) -> Option<PathBuf> {
    let set = |v: Option<OsString>| v.filter(|v| !v.is_empty());
    if let Some(p) = set(userprofile) {
        return Some(PathBuf::from(p));
    }
    if let Some(h) = set(home) {
        return Some(match h.to_str().and_then(msys_to_windows) {
            Some(w) => PathBuf::from(w),
            None => PathBuf::from(h),
        });
    }
    match (set(homedrive), set(homepath)) {
        (Some(d), Some(p)) => {
            let mut s = d;
            s.push(p);
            Some(PathBuf::from(s))
        }
        _ => None,
    }
}

/// Python's `ntpath.expanduser` for `~name`: the user's home beside the current one
/// (`C:\Users\me` → `C:\Users\name`).
#[must_use]
pub fn other_user_home(current_home: &std::path::Path, user: &str) -> Option<PathBuf> {
    current_home.parent().map(|p| p.join(user))
}

/// Whether `name` is reserved on Windows: a DOS device name (`CON`, `PRN`, `AUX`, `NUL`,
/// `COM0`-`COM9`, `LPT0`-`LPT9`, any case, also before an extension, as `nul.json`), or a
/// name ending in `.` or a space (Windows strips those, so two names would be one file).
#[must_use]
pub fn reserved(name: &str) -> bool {
    if name.ends_with(['.', ' ']) {
        return true;
    }
    let stem = name
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (stem.len() == 4
            && (stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.as_bytes()[3].is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::unnecessary_wraps)] // reads as the arguments it stands for
    fn os(s: &str) -> Option<OsString> {
        Some(OsString::from(s))
    }

    #[test]
    fn msys_paths_become_windows_paths() {
        assert_eq!(
            msys_to_windows("/c/Users/me").as_deref(),
            Some("C:\\Users\\me")
        );
        assert_eq!(msys_to_windows("/d").as_deref(), Some("D:\\"));
        assert_eq!(msys_to_windows("/home/me"), None);
        assert_eq!(msys_to_windows("C:\\Users\\me"), None);
        assert_eq!(msys_to_windows("c/Users"), None);
    }

    #[test]
    fn home_prefers_userprofile_then_home_then_homedrive() {
        // Git Bash sets both; USERPROFILE wins, so the MSYS HOME is never used as a path.
        assert_eq!(
            home(os("C:\\Users\\me"), os("/c/Users/me"), None, None),
            Some(PathBuf::from("C:\\Users\\me"))
        );
        assert_eq!(
            home(None, os("/c/Users/me"), None, None),
            Some(PathBuf::from("C:\\Users\\me"))
        );
        assert_eq!(
            home(os(""), os("D:\\home"), None, None),
            Some(PathBuf::from("D:\\home"))
        );
        assert_eq!(
            home(None, None, os("C:"), os("\\Users\\me")),
            Some(PathBuf::from("C:\\Users\\me"))
        );
        assert_eq!(home(None, None, os("C:"), None), None);
    }

    #[test]
    fn device_names_and_trailing_dots_are_reserved() {
        for n in [
            "CON", "con", "nul.json", "Aux", "COM1", "lpt9.pem", "a.", "a ",
        ] {
            assert!(reserved(n), "{n}");
        }
        for n in [
            "console",
            "p",
            "my-session",
            "com",
            "COM10",
            "nul_",
            "a.b",
            ".x",
        ] {
            assert!(!reserved(n), "{n}");
        }
    }

    #[test]
    fn another_users_home_is_beside_ours() {
        assert_eq!(
            other_user_home(std::path::Path::new("/Users/me"), "bob"),
            Some(PathBuf::from("/Users/bob"))
        );
    }
}
