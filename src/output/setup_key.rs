//! `setup-key`: what was written and the fingerprint to check in the console.

use serde::Serialize;

/// The fields, in this order.
#[derive(Debug, Serialize)]
pub(crate) struct SetupKeyView<'a> {
    pub profile: &'a str,
    pub config_file: String,
    pub key_file: String,
    pub public_key_file: String,
    pub fingerprint: &'a str,
}

/// One line of JSON.
#[must_use]
pub(crate) fn render(v: &SetupKeyView<'_>) -> String {
    let mut s = serde_json::to_string(v).unwrap_or_else(|_| "{}".to_owned());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_exact() {
        let v = SetupKeyView {
            profile: "k",
            config_file: "/h/.oci/config".into(),
            key_file: "/h/.oci/oci_api_key.pem".into(),
            public_key_file: "/h/.oci/oci_api_key_public.pem".into(),
            fingerprint: "aa:bb",
        };
        assert_eq!(
            render(&v),
            "{\"profile\":\"k\",\"config_file\":\"/h/.oci/config\",\"key_file\":\"/h/.oci/oci_api_key.pem\",\"public_key_file\":\"/h/.oci/oci_api_key_public.pem\",\"fingerprint\":\"aa:bb\"}\n"
        );
    }
}
