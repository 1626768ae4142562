//! Windows path rules, as plain functions (tested on every platform): the home directory
//! as Python's `os.path.expanduser` (and so the oci CLI) finds it on Windows, and MSYS
//! paths (`/c/Users/me`, what Git Bash puts in `HOME`) turned into Windows paths.

use std::ffi::OsString;
use std::path::PathBuf;

/// Git Bash's `/c/Users/me` (or `/c`) as `C:\Users\me`; `None` for anything else (a POSIX
/// path under the MSYS root such as `/home/me` has no Windows meaning without MSYS).
#[must_use]
pub(crate) fn msys_to_windows(p: &str) -> Option<String> {
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
pub(crate) fn home(
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
pub(crate) fn other_user_home(current_home: &std::path::Path, user: &str) -> Option<PathBuf> {
    current_home.parent().map(|p| p.join(user))
}

/// Whether `name` is reserved on Windows: a DOS device name (`CON`, `PRN`, `AUX`, `NUL`,
/// `COM0`-`COM9`, `LPT0`-`LPT9`, any case, also before an extension, as `nul.json`), or a
/// name ending in `.` or a space (Windows strips those, so two names would be one file).
#[must_use]
pub(crate) fn reserved(name: &str) -> bool {
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

/// The extensions cmd tries when `PATHEXT` is not set.
pub(crate) const DEFAULT_PATHEXT: &str = ".COM;.EXE;.BAT;.CMD";

/// The program cmd would start for `name`, as `exec` looks it up on Windows (Rust's
/// `Command` alone tries only `.exe`, so `az.cmd`, `gcloud.cmd` and npm's `.cmd` shims would
/// be "not found"). For each directory of `path` (`;`-separated, quotes removed, empty
/// entries skipped; a `name` with a directory part is looked up there alone): `name` itself
/// when its extension is one of `pathext`, then `name` with each of them in turn. The
/// current directory is not searched, unlike cmd and as PowerShell: a file dropped in the
/// working directory cannot stand in for a program. `None`: nothing matched (std's own
/// lookup then reports it as not found).
#[must_use]
pub(crate) fn find_program(
    name: &str,
    path: Option<&str>,
    pathext: Option<&str>,
    is_file: &dyn Fn(&str) -> bool,
) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    let exts: Vec<&str> = pathext
        .filter(|e| !e.trim().is_empty())
        .unwrap_or(DEFAULT_PATHEXT)
        .split(';')
        .map(str::trim)
        .filter(|e| e.starts_with('.') && e.len() > 1)
        .collect();
    let file_name = name.rsplit(['\\', '/']).next().unwrap_or(name);
    // Its own extension counts only when cmd would run such a file (`tool.v2` is
    // `tool.v2.exe`; a `.ps1` or `.txt` would be opened by its file association).
    let runnable = file_name
        .rfind('.')
        .filter(|&i| i > 0)
        .is_some_and(|i| exts.iter().any(|e| e.eq_ignore_ascii_case(&file_name[i..])));
    let candidates = |base: String| {
        let exact = runnable.then(|| base.clone());
        exact
            .into_iter()
            .chain(exts.iter().map(move |e| format!("{base}{e}")))
    };
    if name.contains(['\\', '/', ':']) {
        return candidates(name.to_owned()).find(|c| is_file(c));
    }
    path.unwrap_or_default()
        .split(';')
        .map(|d| d.trim().trim_matches('"'))
        .filter(|d| !d.is_empty())
        .find_map(|d| {
            let sep = if d.ends_with(['\\', '/']) { "" } else { "\\" };
            candidates(format!("{d}{sep}{name}")).find(|c| is_file(c))
        })
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

    #[test]
    fn programs_are_found_as_cmd_finds_them() {
        let files = [
            r"C:\npm\mytool.cmd",
            r"C:\npm\mytool.ps1",
            r"C:\bin\mytool.exe",
            r"C:\bin\az.bat",
            r"C:\Program Files\x\gcloud.cmd",
            r"C:\bin\tool.v2.exe",
            r"C:\tools\deploy.cmd",
        ];
        let is_file = |p: &str| files.iter().any(|f| f.eq_ignore_ascii_case(p));
        let path = Some(r#"C:\npm;;"C:\Program Files\x";C:\bin\"#);
        // Windows file names ignore case: compared in lower case.
        let find = |n: &str, ext: Option<&str>| {
            find_program(n, path, ext, &is_file).map(|p| p.to_lowercase())
        };
        // PATH order first, then PATHEXT order within a directory.
        assert_eq!(find("mytool", None).as_deref(), Some(r"c:\npm\mytool.cmd"));
        assert_eq!(
            find("mytool", Some(".EXE;.CMD")).as_deref(),
            Some(r"c:\npm\mytool.cmd")
        );
        assert_eq!(
            find("gcloud", None).as_deref(),
            Some(r"c:\program files\x\gcloud.cmd")
        );
        assert_eq!(find("az", None).as_deref(), Some(r"c:\bin\az.bat"));
        // A name with an extension is tried as given.
        assert_eq!(
            find("mytool.exe", None).as_deref(),
            Some(r"c:\bin\mytool.exe")
        );
        assert_eq!(
            find("MYTOOL.EXE", None).as_deref(),
            Some(r"c:\bin\mytool.exe")
        );
        assert_eq!(
            find("tool.v2", None).as_deref(),
            Some(r"c:\bin\tool.v2.exe")
        );
        // A .ps1 is not in PATHEXT: cmd would hand it to its file association; not run.
        assert_eq!(find("mytool.ps1", None), None);
        assert_eq!(find("nothing", None), None);
        // A directory part: looked up there alone.
        assert_eq!(
            find(r"C:\tools\deploy", None).as_deref(),
            Some(r"c:\tools\deploy.cmd")
        );
        assert_eq!(find(r".\deploy", None), None);
        // An empty or odd PATHEXT falls back to the default set.
        assert_eq!(find("az", Some("")).as_deref(), Some(r"c:\bin\az.bat"));
        assert_eq!(find("", None), None);
    }
}
