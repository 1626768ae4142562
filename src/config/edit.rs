//! Byte-preserving edits of `~/.oci/config`: remove one profile section, append one.
//! Unlike the oci CLI, which re-serialises the whole file through configparser (losing
//! comments and spacing), every other byte stays as it was.

use std::path::Path;

use super::ini;
use crate::error::{Error, Result};

/// Splits as the parser does (`\r\n`, `\r`, `\n`), keeping each line's terminator.
fn lines_with_ends(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let end = match rest.find(['\r', '\n']) {
            Some(i) if rest[i..].starts_with("\r\n") => i + 2,
            Some(i) => i + 1,
            None => rest.len(),
        };
        out.push(&rest[..end]);
        rest = &rest[end..];
    }
    out
}

/// `text` without the section `name` (its header through the line before the next header).
/// Returns the text unchanged and `false` when there is no such section.
pub fn remove_section(text: &str, name: &str) -> Result<(String, bool), ini::IniError> {
    let parsed = ini::parse(text)?;
    let Some(pos) = parsed.headers.iter().position(|(_, n)| n == name) else {
        return Ok((text.to_owned(), false));
    };
    let start = parsed.headers[pos].0;
    let end = parsed.headers.get(pos + 1).map_or(usize::MAX, |h| h.0);
    let out: String = lines_with_ends(text)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| *i < start || *i >= end)
        .map(|(_, l)| l)
        .collect();
    Ok((out, true))
}

/// The one profile-name rule of every command that creates, imports, exports or removes a
/// profile (the oci CLI's `^[A-Za-z0-9._\-@]+$`, not `.` or `..`). The name becomes a
/// directory under the sessions directory, so nothing else may pass: no `/`, no `..`.
pub(crate) fn check_profile_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'));
    // Profile names become directory and file names (`sessions/<name>`).
    if ok && crate::sys::os::reserved_file_name(name) {
        return Err(Error::Config(format!(
            "'{name}' cannot be a profile name here: Windows reserves it as a file name (a device such as CON or NUL, or a name ending in '.')"
        )));
    }
    if ok {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "'{}' is not a valid profile name: use ASCII letters, digits, '.', '_', '-' and '@' only (not '.' or '..')",
            name.escape_debug()
        )))
    }
}

/// A value `oci-token` may write into the config: one line, no control characters, so no
/// value (from an archive, a service reply or the command line) can add lines of its own.
fn check_entry(profile: &str, key: &str, value: &str) -> Result<()> {
    let key_ok = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    let value_ok = !value
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
        && value.trim() == value;
    if key_ok && value_ok {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "refusing to write {} of profile '{profile}': it holds a line break, a control character or surrounding white space; nothing was written",
            key.escape_debug()
        )))
    }
}

/// `text` with `[name]` and `key=value` lines appended (after a blank line). Refuses a
/// name or value that could add lines of its own.
pub fn append_section(text: &str, name: &str, entries: &[(&str, String)]) -> Result<String> {
    check_profile_name(name)?;
    for (k, v) in entries {
        check_entry(name, k, v)?;
    }
    let mut out = text.to_owned();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push('[');
    out.push_str(name);
    out.push_str("]\n");
    for (k, v) in entries {
        out.push_str(k);
        out.push('=');
        out.push_str(v);
        out.push('\n');
    }
    Ok(out)
}

/// Reads `path` (an absent file is empty), replaces or adds the profile, writes atomically
/// with mode 0600. With `replace` false an existing profile is an error.
pub(crate) fn upsert_profile(
    path: &Path,
    name: &str,
    entries: &[(&str, String)],
    replace: bool,
) -> Result<()> {
    let text = match crate::sys::store::read_text(path, crate::sys::store::MAX_CONFIG) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(Error::Config(format!(
                "cannot read config file {}: {e}",
                path.display()
            )));
        }
    };
    let (rest, existed) = remove_section(&text, name).map_err(|e| {
        Error::Config(format!(
            "cannot parse config file {} (left unchanged): {e}",
            path.display()
        ))
    })?;
    if existed && !replace {
        return Err(Error::Config(format!(
            "profile '{name}' already exists in {}; pass --force to replace it, or choose another --profile-name",
            path.display()
        )));
    }
    let new = append_section(&rest, name, entries)?;
    write_config(path, &new)
}

/// Removes the profile; `false` when it was not there.
pub(crate) fn delete_profile(path: &Path, name: &str) -> Result<bool> {
    let text = crate::sys::store::read_text(path, crate::sys::store::MAX_CONFIG)
        .map_err(|e| Error::Config(format!("cannot read config file {}: {e}", path.display())))?;
    let (rest, existed) = remove_section(&text, name).map_err(|e| {
        Error::Config(format!(
            "cannot parse config file {} (left unchanged): {e}",
            path.display()
        ))
    })?;
    if existed {
        write_config(path, &rest)?;
    }
    Ok(existed)
}

fn write_config(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::sys::store::create_private_dir(dir)?;
    }
    crate::sys::store::write_atomic(path, text.as_bytes()).map_err(|e| {
        Error::Other(format!(
            "cannot write config file {} (it is unchanged): {e}",
            path.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# my config\n[DEFAULT]\nregion=r\n\n[a]\nuser=1 ; kept\n  continued [b]\n\n# about b\n[b]\nk = v\n[c]\nx:y";

    #[test]
    fn removes_only_the_section() {
        let (out, found) = remove_section(TEXT, "a").unwrap();
        assert!(found);
        assert_eq!(
            out,
            "# my config\n[DEFAULT]\nregion=r\n\n[b]\nk = v\n[c]\nx:y"
        );
        let (out, _) = remove_section(TEXT, "c").unwrap();
        assert_eq!(out, TEXT.strip_suffix("[c]\nx:y").unwrap());
        let (same, found) = remove_section(TEXT, "zz").unwrap();
        assert!(!found);
        assert_eq!(same, TEXT);
    }

    #[test]
    fn appends_after_a_blank_line() {
        let out = append_section("[a]\nk=v", "p", &[("region", "r".into())]).unwrap();
        assert_eq!(out, "[a]\nk=v\n\n[p]\nregion=r\n");
        assert_eq!(append_section("", "p", &[]).unwrap(), "[p]\n");
        let parsed =
            ini::parse(&append_section(TEXT, "new", &[("key_file", "/k".into())]).unwrap())
                .unwrap();
        assert_eq!(parsed.get("new", "key_file"), Some("/k"));
        assert_eq!(parsed.get("c", "x"), Some("y"));
    }

    #[test]
    fn values_cannot_forge_lines() {
        for bad in [
            "x\n[DEFAULT]\nsecurity_token_file=/tmp/t",
            "x\rsecurity_token_file=/t",
            "a\u{0}b",
            "a\u{85}b",
            "a\u{2028}b",
            " leading",
        ] {
            let e = append_section("", "p", &[("region", bad.into())]).unwrap_err();
            assert_eq!(e.exit_code(), 3, "{bad:?}");
        }
        for bad_name in ["..", "a]b", "x\n[DEFAULT", "/tmp/x", ""] {
            assert!(append_section("", bad_name, &[]).is_err(), "{bad_name:?}");
        }
        assert!(append_section("", "p", &[("Bad-Key", "v".into())]).is_err());
    }

    #[test]
    fn profile_names() {
        for ok in ["DEFAULT", "my-session", "a.b_c@d"] {
            assert!(check_profile_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", ".", "..", "a/b", "a b", "../x", "é", "../../x", "/tmp/x",
        ] {
            let e = check_profile_name(bad).unwrap_err();
            assert!(e.to_string().contains("ASCII"), "{e}");
        }
    }
}
