//! `--output text`: `field: value` lines for people. Never includes the token.

use super::View;

#[must_use]
pub(crate) fn render(v: &View<'_>, valid: Option<bool>) -> String {
    let opt = |o: Option<&str>| o.unwrap_or("-").to_owned();
    let ts = |t: Option<jiff::Timestamp>| t.map_or_else(|| "-".to_owned(), |t| t.to_string());
    let mut rows: Vec<(&str, String)> = vec![
        ("profile", opt(v.profile)),
        ("auth", v.auth.to_owned()),
        ("config_file", opt(v.config_file.as_deref())),
        ("region", opt(v.region)),
        ("tenancy", opt(v.tenancy)),
        ("user", opt(v.user)),
        ("fingerprint", opt(v.fingerprint)),
        ("key_file", opt(v.key_file.as_deref())),
        ("token_file", opt(v.token_file.as_deref())),
        ("issued_at", ts(v.issued_at)),
        ("expires_at", ts(v.expires_at)),
        ("session_expires_at", ts(v.session_expires_at)),
        (
            "expires_in_seconds",
            v.expires_in_seconds()
                .map_or_else(|| "-".to_owned(), |s| s.to_string()),
        ),
        ("refreshed", v.refreshed.to_string()),
    ];
    if let Some(valid) = valid {
        rows.push(("valid", valid.to_string()));
    }
    rows.iter().fold(String::new(), |mut s, (k, val)| {
        s.push_str(k);
        s.push_str(": ");
        push_escaped(&mut s, val);
        s.push('\n');
        s
    })
}

/// Appends `v` with line breaks and other control characters escaped (`\n`, `\u{1b}`), so
/// a value from the config can never start a line of its own.
fn push_escaped(out: &mut String, v: &str) {
    for c in v.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_cannot_forge_lines() {
        let mut s = String::new();
        push_escaped(&mut s, "C:\\oci\nvalid: true\u{1b}[31m");
        assert_eq!(s, "C:\\oci\\nvalid: true\\u{1b}[31m");
        assert_eq!(s.lines().count(), 1);
    }
}
