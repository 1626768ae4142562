//! `terraform`: the flat map of strings Terraform's `external` data source reads.

use std::collections::BTreeMap;

/// One line of JSON, keys sorted (a `BTreeMap`), every value a string.
#[must_use]
pub(crate) fn render(map: &BTreeMap<&str, String>) -> String {
    let mut s = serde_json::to_string(map).unwrap_or_else(|_| "{}".to_owned());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_exact() {
        let mut m = BTreeMap::new();
        m.insert("region", "us-ashburn-1".to_owned());
        m.insert("auth", "security_token".to_owned());
        m.insert("tenancy", String::new());
        assert_eq!(
            render(&m),
            "{\"auth\":\"security_token\",\"region\":\"us-ashburn-1\",\"tenancy\":\"\"}\n"
        );
    }
}
