//! The kubectl `ExecCredential` (client.authentication.k8s.io v1 or v1beta1).

use serde::Serialize;

use crate::secret::Secret;

pub const V1: &str = "client.authentication.k8s.io/v1";
pub const V1BETA1: &str = "client.authentication.k8s.io/v1beta1";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExecCredential<'a> {
    api_version: &'a str,
    kind: &'a str,
    status: Status<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Status<'a> {
    token: &'a str,
    expiration_timestamp: String,
}

/// One line of JSON: the token (its contract includes it) and its expiry in whole seconds.
#[must_use]
pub fn render(api_version: &str, token: &Secret<String>, expires: jiff::Timestamp) -> String {
    let whole = jiff::Timestamp::from_second(expires.as_second()).unwrap_or(expires);
    let v = ExecCredential {
        api_version,
        kind: "ExecCredential",
        status: Status {
            token: token.expose(),
            expiration_timestamp: whole.to_string(),
        },
    };
    let mut s = serde_json::to_string(&v).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes() {
        let t = Secret::new("dG9r".to_owned());
        let at: jiff::Timestamp = "2026-11-24T03:21:42.248030Z".parse().unwrap();
        assert_eq!(
            render(V1, &t, at),
            "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"dG9r\",\"expirationTimestamp\":\"2026-11-24T03:21:42Z\"}}\n"
        );
    }
}
