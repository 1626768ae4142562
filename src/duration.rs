//! Durations as people write them on command lines, in queries and in the environment.

use jiff::SignedDuration;

/// The longest duration any option takes: a session lives at most 24 hours, so anything
/// longer is a typo (and a value such as 9223372036854775807 seconds would overflow clocks).
pub(crate) const MAX: SignedDuration = SignedDuration::from_hours(7 * 24);

/// Parses `90`, `90s`, `15m`, `1h`, `1h30m` (jiff's friendly format); plain numbers are
/// seconds. Negative values and values over a week are refused.
pub(crate) fn parse(s: &str) -> Result<SignedDuration, String> {
    let d = if let Ok(secs) = s.trim().parse::<i64>() {
        SignedDuration::from_secs(secs)
    } else {
        s.parse::<SignedDuration>()
            .map_err(|_| format!("'{s}' is not a duration (e.g. 90s, 15m, 1h)"))?
    };
    if d.is_negative() {
        return Err(format!("'{s}' is negative"));
    }
    if d > MAX {
        return Err(format!("'{s}' is too long (at most 168h)"));
    }
    Ok(d)
}

/// [`parse`], refusing zero: for timeouts that must leave some time.
pub(crate) fn parse_positive(s: &str) -> Result<SignedDuration, String> {
    let d = parse(s)?;
    if d.is_zero() {
        return Err(format!(
            "'{s}' leaves no time at all; give a positive duration"
        ));
    }
    Ok(d)
}

/// The default `--min-valid`.
pub(crate) const DEFAULT_MIN_VALID: SignedDuration = SignedDuration::from_secs(60);

/// `--min-valid`: less than an hour, the longest any OCI session token lives.
pub(crate) fn parse_min_valid(s: &str) -> Result<SignedDuration, String> {
    let d = parse(s)?;
    if d >= SignedDuration::from_hours(1) {
        return Err(format!(
            "'{s}' cannot be met: OCI session tokens live one hour at most"
        ));
    }
    Ok(d)
}

/// `90s`, `15m`, `1m30s`, `1h`, `1h30m`.
#[must_use]
pub(crate) fn text(d: SignedDuration) -> String {
    let s = d.as_secs();
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, sec) => format!("{m}m{sec}s"),
        (h, 0, 0) => format!("{h}h"),
        (h, m, _) => format!("{h}h{m}m"),
    }
}

/// A `std` duration for timeouts; negative becomes zero.
#[must_use]
pub(crate) fn to_std(d: SignedDuration) -> std::time::Duration {
    std::time::Duration::try_from(d.max(SignedDuration::ZERO)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        assert_eq!(parse("90").unwrap().as_secs(), 90);
        assert_eq!(parse("15m").unwrap().as_secs(), 900);
        assert_eq!(parse("1h30m").unwrap().as_secs(), 5400);
        assert_eq!(parse("168h").unwrap(), MAX);
        assert!(parse("soon").is_err());
        assert!(parse("-5s").is_err());
        for huge in [
            "9223372036854775807",
            "169h",
            "9223372036854775807s",
            "100000000h",
        ] {
            let e = parse(huge).unwrap_err();
            assert!(
                e.contains("too long") || e.contains("not a duration"),
                "{huge}: {e}"
            );
        }
        assert!(parse_positive("0s").is_err());
        assert!(parse_positive("0").is_err());
        assert_eq!(parse_positive("1s").unwrap().as_secs(), 1);
    }

    #[test]
    fn texts() {
        let t = |s| text(SignedDuration::from_secs(s));
        assert_eq!(t(45), "45s");
        assert_eq!(t(900), "15m");
        assert_eq!(t(90), "1m30s");
        assert_eq!(t(3600), "1h");
        assert_eq!(t(5400), "1h30m");
    }
}
