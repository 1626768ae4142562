//! The session token (UPST): claims decoded without verification, and the refresh policy.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

/// The public key a token is bound to (`n`, `e` base64url).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Jwk {
    pub n: String,
    pub e: String,
    #[serde(default)]
    pub kid: Option<String>,
}

/// The claims `oci-token` reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub exp: Timestamp,
    pub iat: Option<Timestamp>,
    pub sub: Option<String>,
    pub tenant: Option<String>,
    /// A resource principal's tenancy (RPST `res_tenant`).
    pub res_tenant: Option<String>,
    pub sess_exp: Option<Timestamp>,
    pub jwk: Option<Jwk>,
}

/// A number or a date string (`sess_exp` comes both ways). Decoded by hand: serde's
/// untagged enums buffer every value first, which was a quarter of `get`'s cost.
enum NumOrString {
    Num(f64),
    Str(String),
}

impl<'de> Deserialize<'de> for NumOrString {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = NumOrString;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number or a string")
            }
            fn visit_f64<E>(self, v: f64) -> Result<NumOrString, E> {
                Ok(NumOrString::Num(v))
            }
            #[allow(clippy::cast_precision_loss)] // seconds since 1970 fit in 2^53
            fn visit_i64<E>(self, v: i64) -> Result<NumOrString, E> {
                Ok(NumOrString::Num(v as f64))
            }
            #[allow(clippy::cast_precision_loss)] // as above
            fn visit_u64<E>(self, v: u64) -> Result<NumOrString, E> {
                Ok(NumOrString::Num(v as f64))
            }
            fn visit_str<E>(self, v: &str) -> Result<NumOrString, E> {
                Ok(NumOrString::Str(v.to_owned()))
            }
        }
        d.deserialize_any(V)
    }
}

/// The `jwk` claim: a JSON string holding the key, or the key object itself.
enum JwkField {
    Str(String),
    Obj(Jwk),
}

impl<'de> Deserialize<'de> for JwkField {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = JwkField;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JWK object or a string holding one")
            }
            fn visit_str<E>(self, v: &str) -> Result<JwkField, E> {
                Ok(JwkField::Str(v.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, m: A) -> Result<JwkField, A::Error> {
                Jwk::deserialize(serde::de::value::MapAccessDeserializer::new(m)).map(JwkField::Obj)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct RawClaims {
    exp: Option<NumOrString>,
    iat: Option<NumOrString>,
    sub: Option<String>,
    tenant: Option<String>,
    res_tenant: Option<String>,
    sess_exp: Option<NumOrString>,
    jwk: Option<JwkField>,
}

impl Claims {
    /// The claims of an item that only expires (an OCIR or OKE token, an OIDC login): `exp`
    /// and, when known, when it was issued.
    #[must_use]
    pub(crate) fn expiring(exp: Timestamp, iat: Option<Timestamp>) -> Claims {
        Claims {
            exp,
            iat,
            sub: None,
            tenant: None,
            res_tenant: None,
            sess_exp: None,
            jwk: None,
        }
    }

    /// Claims with only the times set (epoch seconds), for tables in tests.
    #[cfg(test)]
    #[must_use]
    pub(crate) fn at(iat: Option<i64>, exp: i64, sess_exp: Option<i64>) -> Claims {
        let t = |s: i64| Timestamp::from_second(s).unwrap();
        Claims {
            sess_exp: sess_exp.map(t),
            ..Claims::expiring(t(exp), iat.map(t))
        }
    }
}

/// Why a token file is not a usable token. Never carries the token itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is empty")]
    Empty,
    /// Bytes no JWT has (NUL, control characters, non-ASCII): a binary or garbled file.
    #[error(
        "the token holds binary data or control characters, not a JWT (was a key or another file written there?)"
    )]
    Binary,
    /// Text that is not three base64url parts (white space, junk after the token, …).
    #[error("the token is not a JWT (three base64url parts with nothing before or after)")]
    NotJwt,
    #[error("the token's claims are not valid JSON")]
    BadPayload,
    #[error("the token has no valid 'exp' claim")]
    NoExp,
    /// The header is not a JSON object with an `alg`, or the signature part is empty.
    #[error("the token's header is not a JSON object with 'alg', or its signature is empty")]
    BadHeaderOrSignature,
    /// No `jwk` claim: the token is not bound to a key.
    #[error("the token carries no 'jwk' (it is not bound to a key)")]
    NoJwk,
}

/// The token text as the token file holds it, without a trailing newline (tolerated on read).
#[must_use]
pub(crate) fn trim_file(text: &str) -> &str {
    text.trim_end_matches(['\n', '\r'])
}

/// A JWT's `iss` and `sub` (unverified), for telling identities apart: `None` when the
/// text is not a JWT with both.
#[must_use]
pub fn issuer_subject(token: &str) -> Option<(String, String)> {
    #[derive(Deserialize)]
    struct IssSub {
        iss: String,
        sub: String,
    }
    let payload = token.trim().split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let v: IssSub = serde_json::from_slice(&bytes).ok()?;
    Some((v.iss, v.sub))
}

/// Decodes the claims of a JWT without verifying it (nothing can be verified: OCI does not
/// publish the issuer key). Base64url padding is optional.
pub fn decode(token: &str) -> Result<Claims, TokenError> {
    if token.trim().is_empty() {
        return Err(TokenError::Empty);
    }
    if token
        .bytes()
        .any(|b| !b.is_ascii() || (b.is_ascii_control() && !b" \t\r\n".contains(&b)))
    {
        return Err(TokenError::Binary);
    }
    if !token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'='))
    {
        return Err(TokenError::NotJwt);
    }
    let mut parts = token.split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::NotJwt);
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| TokenError::NotJwt)?;
    let raw: RawClaims = serde_json::from_slice(&bytes).map_err(|_| TokenError::BadPayload)?;
    let exp = raw
        .exp
        .as_ref()
        .and_then(to_timestamp)
        .ok_or(TokenError::NoExp)?;
    let jwk = match raw.jwk {
        Some(JwkField::Obj(j)) => Some(j),
        Some(JwkField::Str(s)) => serde_json::from_str(&s).ok(),
        None => None,
    };
    Ok(Claims {
        exp,
        iat: raw.iat.as_ref().and_then(to_timestamp),
        sub: raw.sub,
        tenant: raw.tenant,
        res_tenant: raw.res_tenant,
        sess_exp: raw.sess_exp.as_ref().and_then(to_timestamp),
        jwk,
    })
}

/// Decodes a token a service returned, before it may replace the one on disk: everything
/// [`decode`] checks, plus a JSON header with `alg`, a non-empty base64url signature and a
/// `jwk` (which the caller compares with the session key).
pub fn decode_issued(token: &str) -> Result<Claims, TokenError> {
    let claims = decode(token)?;
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(TokenError::NotJwt);
    };
    let header_ok = URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .is_some_and(|v| v.get("alg").is_some_and(serde_json::Value::is_string));
    let sig_ok = !sig.is_empty()
        && URL_SAFE_NO_PAD
            .decode(sig.trim_end_matches('='))
            .is_ok_and(|b| !b.is_empty());
    if !header_ok || !sig_ok {
        return Err(TokenError::BadHeaderOrSignature);
    }
    if claims.jwk.is_none() {
        return Err(TokenError::NoJwk);
    }
    Ok(claims)
}

/// The token's lifetime (`exp - iat`), when it says when it was issued.
#[must_use]
pub(crate) fn lifetime(c: &Claims) -> Option<SignedDuration> {
    let life = c.exp.duration_since(c.iat?);
    life.is_positive().then_some(life)
}

/// The refresh window actually used: `window`, but at most half the token's lifetime, so a
/// token shorter than the window (90 s against 15 min) is refreshed about once per
/// half-life instead of on every call.
#[must_use]
pub(crate) fn effective_window(c: &Claims, window: SignedDuration) -> SignedDuration {
    match lifetime(c) {
        Some(life) => window.min(life / 2),
        None => window,
    }
}

/// Whether a refresh failed to extend the session: `exp` did not move (`GenerateUpst`
/// sessions). Two refreshes within one second give the same `iat` and `exp`; that is a
/// session extended twice, not one that cannot be.
#[must_use]
pub(crate) fn not_extended(old: &Claims, new: &Claims) -> bool {
    let same_second = new.iat.is_some() && new.iat == old.iat && new.exp == old.exp;
    new.exp <= old.exp && !same_second
}

#[allow(clippy::cast_possible_truncation)]
fn to_timestamp(v: &NumOrString) -> Option<Timestamp> {
    match v {
        NumOrString::Num(n) if n.is_finite() => Timestamp::from_second(n.floor() as i64).ok(),
        NumOrString::Num(_) => None,
        NumOrString::Str(s) => parse_date(s),
    }
}

/// Parses a date claim: epoch seconds as text, RFC 3339, or an RFC 1123-style date such as
/// `Wed, 25 Nov 2026 03:17:22 UTC` (also `GMT`, `Z`, `+0000`, with or without the weekday).
#[must_use]
pub fn parse_date(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>() {
        return Timestamp::from_second(n).ok();
    }
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    let s = s.split_once(", ").map_or(s, |(_, rest)| rest);
    let mut it = s.split_whitespace();
    let day: i8 = it.next()?.parse().ok()?;
    let month = match it.next()?.to_ascii_lowercase().as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    let year: i16 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':');
    let h: i8 = hms.next()?.parse().ok()?;
    let m: i8 = hms.next()?.parse().ok()?;
    let sec: i8 = hms.next().unwrap_or("0").parse().ok()?;
    match it.next() {
        None | Some("UTC" | "GMT" | "UT" | "Z" | "+0000" | "-0000") => {}
        Some(_) => return None,
    }
    let dt = jiff::civil::DateTime::new(year, month, day, h, m, sec, 0).ok()?;
    jiff::tz::TimeZone::UTC.to_timestamp(dt).ok()
}

/// What `get` does with a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Outside the refresh window: print it, no lock, no network, no write.
    Fresh,
    /// Inside the window but still valid for `min_valid`: refresh; on failure warn and print.
    RefreshOptional,
    /// Less than `min_valid` left (possibly already past `exp`): refresh or fail.
    RefreshRequired,
    /// `sess_exp` has passed: no refresh can help (exit 4, no request).
    NeedsLogin,
}

/// The refresh policy, in order: `NeedsLogin` once `sess_exp` has passed; `RefreshRequired`
/// if less than `min_valid` is left before `exp` (an `exp` already passed included: the
/// service decides); `RefreshOptional` inside the window (at most half the token's life,
/// see [`effective_window`]); otherwise `Fresh`.
#[must_use]
pub fn decide(
    now: Timestamp,
    c: &Claims,
    window: SignedDuration,
    min_valid: SignedDuration,
) -> Decision {
    if c.sess_exp.is_some_and(|s| now >= s) {
        return Decision::NeedsLogin;
    }
    let left = c.exp.duration_since(now);
    let window = effective_window(c, window);
    if left < min_valid {
        Decision::RefreshRequired
    } else if left < window {
        Decision::RefreshOptional
    } else {
        Decision::Fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE;

    fn jwt(claims: &str, padded: bool) -> String {
        let enc = |s: &str| {
            if padded {
                URL_SAFE.encode(s)
            } else {
                URL_SAFE_NO_PAD.encode(s)
            }
        };
        format!("{}.{}.sig", enc(r#"{"alg":"RS256"}"#), enc(claims))
    }

    #[test]
    fn decodes_reference_shape() {
        let t = jwt(
            r#"{"sub":"u","tenant":"t","exp":1795493842,"iat":1795490242,"sess_exp":"Wed, 25 Nov 2026 03:17:22 UTC","jwk":"{\"kid\":\"k\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"kty\":\"RSA\"}"}"#,
            false,
        );
        let c = decode(&t).unwrap();
        assert_eq!(c.exp.as_second(), 1_795_493_842);
        assert_eq!(c.iat.unwrap().as_second(), 1_795_490_242);
        assert_eq!(c.sess_exp.unwrap().to_string(), "2026-11-25T03:17:22Z");
        assert_eq!(c.jwk.unwrap().kid.as_deref(), Some("k"));
        assert_eq!(c.tenant.as_deref(), Some("t"));
    }

    #[test]
    fn padding_numbers_and_objects() {
        let t = jwt(
            r#"{"exp":100,"sess_exp":200,"jwk":{"n":"x","e":"AQAB"}}"#,
            true,
        );
        let c = decode(&t).unwrap();
        assert_eq!(c.sess_exp.unwrap().as_second(), 200);
        assert_eq!(c.jwk.unwrap().n, "x");
    }

    #[test]
    fn rejects() {
        assert_eq!(decode(""), Err(TokenError::Empty));
        assert_eq!(decode("abc"), Err(TokenError::NotJwt));
        assert_eq!(decode("a.!!!.c"), Err(TokenError::NotJwt));
        assert_eq!(decode(&jwt("[1]", false)), Err(TokenError::BadPayload));
        assert_eq!(
            decode(&jwt(r#"{"sub":"x"}"#, false)),
            Err(TokenError::NoExp)
        );
    }

    #[test]
    fn dates() {
        assert_eq!(
            parse_date("Sat, 08 Nov 2025 17:19:55 UTC")
                .unwrap()
                .to_string(),
            "2025-11-08T17:19:55Z"
        );
        assert_eq!(
            parse_date("08 Nov 2025 17:19:55 GMT").unwrap().to_string(),
            "2025-11-08T17:19:55Z"
        );
        assert_eq!(
            parse_date("2025-11-08T17:19:55Z").unwrap().as_second(),
            1_762_622_395
        );
        assert!(parse_date("Sat, 08 Nov 2025 17:19:55 PST").is_none());
        assert!(parse_date("nonsense").is_none());
    }

    #[test]
    fn policy_table() {
        let now = Timestamp::from_second(1_000_000).unwrap();
        let w = SignedDuration::from_mins(15);
        let m = SignedDuration::from_secs(60);
        let c = |exp: i64, sess: Option<i64>| {
            Claims::at(None, 1_000_000 + exp, sess.map(|s| 1_000_000 + s))
        };
        let cases = [
            (3600, None, Decision::Fresh),
            (900, None, Decision::Fresh),
            (899, None, Decision::RefreshOptional),
            (60, None, Decision::RefreshOptional),
            (59, None, Decision::RefreshRequired),
            (-10, None, Decision::RefreshRequired),
            (-10, Some(100), Decision::RefreshRequired),
            (3600, Some(0), Decision::NeedsLogin),
            (3600, Some(-1), Decision::NeedsLogin),
            (3600, Some(1), Decision::Fresh),
        ];
        for (exp, sess, want) in cases {
            assert_eq!(
                decide(now, &c(exp, sess), w, m),
                want,
                "exp {exp} sess {sess:?}"
            );
        }
    }

    #[test]
    fn strict_text() {
        let good = jwt(r#"{"exp":100}"#, false);
        assert!(decode(&good).is_ok());
        assert_eq!(decode(&format!(" {good}")), Err(TokenError::NotJwt));
        assert_eq!(
            decode(&format!("{good}\nx-header: 1")),
            Err(TokenError::NotJwt)
        );
        assert_eq!(decode(&format!("{good}\0")), Err(TokenError::Binary));
        assert_eq!(decode("\u{1}\u{2}binary"), Err(TokenError::Binary));
        assert_eq!(decode(&format!("{good}é")), Err(TokenError::Binary));
    }

    #[test]
    fn issued_tokens_need_header_signature_and_jwk() {
        let claims = r#"{"exp":100,"jwk":{"n":"x","e":"AQAB"}}"#;
        let ok = jwt(claims, false);
        assert!(decode_issued(&ok).is_ok());
        let payload = ok.split('.').nth(1).unwrap();
        assert_eq!(
            decode_issued(&format!(
                "{}.{payload}.",
                URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#)
            )),
            Err(TokenError::BadHeaderOrSignature)
        );
        assert_eq!(
            decode_issued(&format!("{}.{payload}.c2ln", URL_SAFE_NO_PAD.encode("[1]"))),
            Err(TokenError::BadHeaderOrSignature)
        );
        assert_eq!(
            decode_issued(&jwt(r#"{"exp":100}"#, false)),
            Err(TokenError::NoJwk)
        );
    }

    fn claims_at(iat: i64, exp: i64) -> Claims {
        Claims::at(Some(iat), exp, None)
    }

    #[test]
    fn short_tokens_get_a_window_of_half_their_life() {
        let w = SignedDuration::from_mins(15);
        let m = SignedDuration::from_secs(60);
        // A 90-second token: the window shrinks to 45 s, so it is fresh right after issue.
        let c = claims_at(1000, 1090);
        assert_eq!(effective_window(&c, w), SignedDuration::from_secs(45));
        let at = |s: i64| Timestamp::from_second(s).unwrap();
        assert_eq!(
            decide(at(1000), &c, w, SignedDuration::from_secs(30)),
            Decision::Fresh
        );
        assert_eq!(
            decide(at(1050), &c, w, SignedDuration::from_secs(30)),
            Decision::RefreshOptional
        );
        assert_eq!(decide(at(1031), &c, w, m), Decision::RefreshRequired);
        // An hour-long token keeps the whole window.
        let c = claims_at(0, 3600);
        assert_eq!(effective_window(&c, w), w);
        assert_eq!(decide(at(2699), &c, w, m), Decision::Fresh);
        assert_eq!(decide(at(2701), &c, w, m), Decision::RefreshOptional);
    }

    #[test]
    fn extension_is_judged_by_exp_and_iat() {
        let old = claims_at(1000, 4600);
        assert!(!not_extended(&old, &claims_at(1500, 5100)));
        assert!(
            not_extended(&old, &claims_at(1500, 4600)),
            "exp did not move"
        );
        assert!(!not_extended(&old, &claims_at(1000, 4600)), "same second");
    }
}
