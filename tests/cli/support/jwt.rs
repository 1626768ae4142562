//! Minting test session tokens shaped like the reference recordings.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub const TENANCY: &str =
    "ocid1.tenancy.oc1..aaaaaaaatdeygxjtnnr2ghd744rofltlpdlvadoflyu45ildt6vsrv6vzzvj";
pub const USER: &str =
    "ocid1.user.oc1..aaaaaaaavqu4w62svfoampvidrd7htmokzg2dzkl6acnhw5r4svfk6pj3bsa";

#[derive(Clone, Debug)]
pub struct Claims {
    pub iat: i64,
    pub exp: i64,
    pub sess_exp: Option<i64>,
    pub n: String,
    pub e: String,
    pub jti: String,
}

impl Claims {
    pub fn for_key(pem: &str, iat: i64, exp: i64, sess_exp: Option<i64>) -> Self {
        let k = oci_token::crypto::key::load(pem, None).unwrap();
        Claims {
            iat,
            exp,
            sess_exp,
            n: URL_SAFE_NO_PAD.encode(k.n()),
            e: URL_SAFE_NO_PAD.encode(k.e()),
            jti: format!("jti-{iat}-{exp}"),
        }
    }
}

/// `Wed, 25 Nov 2026 03:17:22 UTC`, as in the reference tokens.
pub fn sess_exp_string(t: i64) -> String {
    jiff::Timestamp::from_second(t)
        .unwrap()
        .strftime("%a, %d %b %Y %H:%M:%S UTC")
        .to_string()
}

pub fn mint(c: &Claims) -> String {
    let jwk = serde_json::json!({"kid": "fixture", "n": c.n, "e": c.e, "kty": "RSA", "alg": "RS256", "use": "sig"})
        .to_string();
    let mut claims = serde_json::json!({
        "sub": USER,
        "iss": "authService.oracle.com",
        "ptype": "user",
        "aud": "oci",
        "pstype": "natv",
        "ttype": "login",
        "exp": c.exp,
        "iat": c.iat,
        "jti": c.jti,
        "tenant": TENANCY,
        "jwk": jwk,
    });
    if let Some(s) = c.sess_exp {
        claims["sess_exp"] = serde_json::Value::String(sess_exp_string(s));
    }
    let header = r#"{"alg":"RS256","typ":"JWT","kid":"fixture-issuer"}"#;
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode([7u8; 256])
    )
}

/// A principal's token (instance or workload): bound to the public key `(n, e)` (base64url),
/// for `tenant`; `ptype` (`instance`, `resource`) may carry a `-serial` that makes the
/// token unique.
pub fn mint_principal(n: &str, e: &str, iat: i64, exp: i64, tenant: &str, ptype: &str) -> String {
    let (ptype, serial) = ptype.split_once('-').unwrap_or((ptype, "0"));
    let jwk = serde_json::json!({"kid": "fixture", "n": n, "e": e, "kty": "RSA", "alg": "RS256", "use": "sig"})
        .to_string();
    let claims = serde_json::json!({
        "sub": "ocid1.instance.oc1.iad.aaaaaaaatestinstance",
        "iss": "authService.oracle.com",
        "ptype": ptype,
        "aud": "oci",
        "ttype": "x509",
        "exp": exp,
        "iat": iat,
        "jti": format!("principal-{iat}-{exp}-{serial}-{}", &n[..8.min(n.len())]),
        "tenant": tenant,
        "opc-tenant": tenant,
        "jwk": jwk,
    });
    let header = r#"{"alg":"RS256","typ":"JWT","kid":"fixture-issuer"}"#;
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode([7u8; 256])
    )
}

/// Decodes a token's claims (for assertions).
pub fn claims(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}
