//! The `get` / `refresh` / `validate` JSON object (schema version 1). Every field is always
//! present; `null` where it does not apply. Field order is the struct's.

use serde::Serialize;

use super::View;
use crate::error::Result;

#[derive(Serialize)]
struct Payload<'a> {
    version: u8,
    auth: &'a str,
    profile: Option<&'a str>,
    config_file: Option<&'a str>,
    region: Option<&'a str>,
    tenancy: Option<&'a str>,
    user: Option<&'a str>,
    fingerprint: Option<&'a str>,
    key_file: Option<&'a str>,
    token_file: Option<&'a str>,
    token: Option<&'a str>,
    issued_at: Option<String>,
    expires_at: Option<String>,
    session_expires_at: Option<String>,
    expires_in_seconds: Option<i64>,
    refreshed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid: Option<bool>,
}

fn session<'a>(v: &'a View<'a>, valid: Option<bool>) -> Payload<'a> {
    Payload {
        version: 1,
        auth: v.auth,
        profile: v.profile,
        config_file: v.config_file.as_deref(),
        region: v.region,
        tenancy: v.tenancy,
        user: v.user,
        fingerprint: v.fingerprint,
        key_file: v.key_file.as_deref(),
        token_file: v.token_file.as_deref(),
        // The contract of `get` includes the token.
        token: v.token.map(|t| t.expose().as_str()),
        issued_at: v.issued_at.map(|t| t.to_string()),
        expires_at: v.expires_at.map(|t| t.to_string()),
        session_expires_at: v.session_expires_at.map(|t| t.to_string()),
        expires_in_seconds: v.expires_in_seconds(),
        refreshed: v.refreshed,
        valid,
    }
}

/// `get` and `refresh`: one line of JSON and a newline.
pub(crate) fn render(v: &View<'_>) -> Result<String> {
    super::json_line(&session(v, None), false).map(ascii)
}

/// `validate --output json`: the same fields plus `valid`.
pub(crate) fn render_validate(v: &View<'_>, valid: bool) -> Result<String> {
    super::json_line(&session(v, Some(valid)), false).map(ascii)
}

/// `json` with every character outside ASCII written as a `\uXXXX` escape (a surrogate
/// pair above U+FFFF): the same JSON to every parser, and bytes that survive any code page.
/// Windows PowerShell 5.1 decodes a program's output in the console's code page, so
/// `oci-token get | ConvertFrom-Json` would turn `C:\Users\Zoë` into `C:\Users\ZoÃ«`.
/// Serializer output holds non-ASCII characters only inside strings, where escapes mean
/// the same characters.
#[must_use]
pub(crate) fn ascii(json: String) -> String {
    use std::fmt::Write as _;
    if json.is_ascii() {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{u:04x}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use jiff::Timestamp;

    fn view(token: Option<&Secret<String>>) -> View<'_> {
        let ts = |s: i64| Timestamp::from_second(s).unwrap();
        View {
            auth: "security_token",
            profile: Some("p"),
            config_file: Some("/h/.oci/config".into()),
            region: Some("us-ashburn-1"),
            tenancy: Some("ocid1.tenancy.oc1..t"),
            user: Some("ocid1.user.oc1..u"),
            fingerprint: Some("aa:bb"),
            key_file: Some("/h/k.pem".into()),
            token_file: Some("/h/token".into()),
            token,
            issued_at: Some(ts(1_795_490_242)),
            expires_at: Some(ts(1_795_493_842)),
            session_expires_at: None,
            now: ts(1_795_493_000),
            refreshed: true,
        }
    }

    #[test]
    fn get_bytes() {
        let t = Secret::new("a.b.c".to_owned());
        assert_eq!(
            render(&view(Some(&t))).unwrap(),
            concat!(
                r#"{"version":1,"auth":"security_token","profile":"p","config_file":"/h/.oci/config","region":"us-ashburn-1","#,
                r#""tenancy":"ocid1.tenancy.oc1..t","user":"ocid1.user.oc1..u","fingerprint":"aa:bb","key_file":"/h/k.pem","#,
                r#""token_file":"/h/token","token":"a.b.c","issued_at":"2026-11-24T03:17:22Z","expires_at":"2026-11-24T04:17:22Z","#,
                r#""session_expires_at":null,"expires_in_seconds":842,"refreshed":true}"#,
                "\n"
            )
        );
    }

    #[test]
    fn validate_adds_valid_last() {
        let s = render_validate(&view(None), false).unwrap();
        assert!(s.contains(r#""token":null"#));
        assert!(s.ends_with(",\"refreshed\":true,\"valid\":false}\n"), "{s}");
    }

    #[test]
    fn output_is_ascii_and_means_the_same() {
        let home = "C:\\Users\\Zo\u{eb}\u{1F600}\\k.pem";
        let mut v = view(None);
        v.key_file = Some(home.into());
        let s = render(&v).unwrap();
        assert!(s.is_ascii(), "{s}");
        assert!(s.contains(r"Zo\u00eb\ud83d\ude00"), "{s}");
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["key_file"], home);
    }
}
