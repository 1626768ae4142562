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

/// `text` with `[name]` and `key=value` lines appended (after a blank line).
#[must_use]
pub fn append_section(text: &str, name: &str, entries: &[(&str, String)]) -> String {
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
    out
}

/// Reads `path` (an absent file is empty), replaces or adds the profile, writes atomically
/// with mode 0600. With `replace` false an existing profile is an error.
pub fn upsert_profile(
    path: &Path,
    name: &str,
    entries: &[(&str, String)],
    replace: bool,
) -> Result<()> {
    let text = match std::fs::read_to_string(path) {
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
    write_config(path, &append_section(&rest, name, entries))
}

/// Removes the profile; `false` when it was not there.
pub fn delete_profile(path: &Path, name: &str) -> Result<bool> {
    let text = std::fs::read_to_string(path)
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
        crate::store::create_private_dir(dir)?;
    }
    crate::store::write_atomic(path, text.as_bytes()).map_err(|e| {
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
        let out = append_section("[a]\nk=v", "p", &[("region", "r".into())]);
        assert_eq!(out, "[a]\nk=v\n\n[p]\nregion=r\n");
        assert_eq!(append_section("", "p", &[]), "[p]\n");
        let parsed =
            ini::parse(&append_section(TEXT, "new", &[("key_file", "/k".into())])).unwrap();
        assert_eq!(parsed.get("new", "key_file"), Some("/k"));
        assert_eq!(parsed.get("c", "x"), Some("y"));
    }
}
