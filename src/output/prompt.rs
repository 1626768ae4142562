//! `prompt`: a short segment such as `oci:PROFILE 42m`.

use jiff::Timestamp;

use crate::token::Claims;

/// The default segment.
pub(crate) const DEFAULT_FORMAT: &str = "oci:{profile} {remaining}";

/// `42m`, `1h05m`, `30s`, or `expired`.
#[must_use]
pub(crate) fn remaining(now: Timestamp, c: &Claims) -> String {
    let left = c.exp.as_second() - now.as_second();
    if left <= 0 || c.sess_exp.is_some_and(|s| now >= s) {
        return "expired".to_owned();
    }
    match left {
        l if l >= 3600 => format!("{}h{:02}m", l / 3600, (l % 3600) / 60),
        l if l >= 60 => format!("{}m", l / 60),
        l => format!("{l}s"),
    }
}

/// Fills `{profile}`, `{region}`, `{remaining}` and `{expires_at}` in `format`.
#[must_use]
pub(crate) fn render(
    format: &str,
    profile: &str,
    region: Option<&str>,
    c: &Claims,
    now: Timestamp,
) -> String {
    format
        .replace("{profile}", profile)
        .replace("{region}", region.unwrap_or(""))
        .replace("{remaining}", &remaining(now, c))
        .replace("{expires_at}", &c.exp.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64, sess: Option<i64>) -> Claims {
        Claims::at(None, exp, sess)
    }

    #[test]
    fn remaining_text() {
        let now = Timestamp::from_second(1_000_000).unwrap();
        let at = |d: i64| remaining(now, &claims(1_000_000 + d, None));
        assert_eq!(at(42 * 60 + 5), "42m");
        assert_eq!(at(3600 + 5 * 60), "1h05m");
        assert_eq!(at(30), "30s");
        assert_eq!(at(0), "expired");
        assert_eq!(at(-5), "expired");
        assert_eq!(remaining(now, &claims(1_000_100, Some(999_999))), "expired");
    }

    #[test]
    fn byte_exact() {
        let now = Timestamp::from_second(1_000_000).unwrap();
        let c = claims(1_000_000 + 42 * 60, None);
        assert_eq!(render(DEFAULT_FORMAT, "dev", None, &c, now), "oci:dev 42m");
        assert_eq!(
            render(
                "[{region}|{expires_at}]",
                "dev",
                Some("us-ashburn-1"),
                &c,
                now
            ),
            "[us-ashburn-1|1970-01-12T14:28:40Z]"
        );
    }
}
