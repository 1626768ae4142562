//! The kubectl `ExecCredential` (client.authentication.k8s.io v1 or v1beta1).

use serde::Serialize;

use crate::secret::Secret;

pub(crate) const V1: &str = "client.authentication.k8s.io/v1";
pub(crate) const V1BETA1: &str = "client.authentication.k8s.io/v1beta1";

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
pub(crate) fn render(
    api_version: &str,
    token: &Secret<String>,
    expires: jiff::Timestamp,
) -> crate::error::Result<String> {
    let whole = jiff::Timestamp::from_second(expires.as_second()).unwrap_or(expires);
    let v = ExecCredential {
        api_version,
        kind: "ExecCredential",
        status: Status {
            token: token.expose(),
            expiration_timestamp: whole.to_string(),
        },
    };
    super::json_line(&v, false)
}

/// The apiVersion kubectl asked for in `KUBERNETES_EXEC_INFO`; v1beta1 when it is absent.
pub fn requested_version(info: Option<&str>) -> crate::error::Result<&'static str> {
    let Some(info) = info else { return Ok(V1BETA1) };
    let v: serde_json::Value = serde_json::from_str(info).map_err(|_| {
        crate::error::Error::Config("KUBERNETES_EXEC_INFO is not valid JSON".into())
    })?;
    match v.get("apiVersion").and_then(serde_json::Value::as_str) {
        Some(V1) => Ok(V1),
        Some(V1BETA1) | None => Ok(V1BETA1),
        Some(other) => Err(crate::error::Error::Config(format!(
            "kubectl asked for ExecCredential apiVersion {other}; oci-token answers {V1} and {V1BETA1}: set one of them in the kubeconfig"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes() {
        let t = Secret::new("dG9r".to_owned());
        let at: jiff::Timestamp = "2026-11-24T03:21:42.248030Z".parse().unwrap();
        assert_eq!(
            render(V1, &t, at).unwrap(),
            "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"dG9r\",\"expirationTimestamp\":\"2026-11-24T03:21:42Z\"}}\n"
        );
    }
    #[test]
    fn versions() {
        assert_eq!(requested_version(None).unwrap(), V1BETA1);
        let v1 = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}"#;
        assert_eq!(requested_version(Some(v1)).unwrap(), V1);
        let b = r#"{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","spec":{}}"#;
        assert_eq!(requested_version(Some(b)).unwrap(), V1BETA1);
        assert_eq!(
            requested_version(Some(
                r#"{"apiVersion":"client.authentication.k8s.io/v1alpha1"}"#
            ))
            .unwrap_err()
            .exit_code(),
            3
        );
        assert!(requested_version(Some("nope")).is_err());
    }
}
