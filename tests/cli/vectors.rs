//! Every vector of `shared/vectors/signing.json`, byte for byte.

use oci_token::crypto::sign;
use serde_json::Value;

use crate::support::data;

fn vectors() -> Value {
    let ours = std::fs::read_to_string(data("signing.json")).unwrap();
    // When the shared folder is beside the repository, our copy must be identical to it.
    let shared =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors/signing.json");
    if let Ok(theirs) = std::fs::read_to_string(&shared) {
        assert_eq!(
            ours,
            theirs,
            "tests/data/signing.json differs from {}",
            shared.display()
        );
    }
    serde_json::from_str(&ours).unwrap()
}

#[test]
fn every_signing_vector_byte_exact() {
    let v = vectors();
    let pkcs1 =
        oci_token::crypto::key::load(v["key"]["private_key_pkcs1_pem"].as_str().unwrap(), None)
            .unwrap();
    let pkcs8 =
        oci_token::crypto::key::load(v["key"]["private_key_pkcs8_pem"].as_str().unwrap(), None)
            .unwrap();
    assert_eq!(
        oci_token::crypto::key::fingerprint(&pkcs1),
        v["key"]["fingerprint_real"].as_str().unwrap()
    );
    assert_eq!(
        oci_token::crypto::key::fingerprint(&pkcs8),
        v["key"]["fingerprint_real"].as_str().unwrap()
    );
    let date = v["date"].as_str().unwrap();
    let list = v["vectors"].as_array().unwrap();
    assert_eq!(list.len(), 6);
    for t in list {
        let id = t["id"].as_str().unwrap();
        let url = t["url"].as_str().unwrap();
        let (host, target) = sign::split_url(url).unwrap();
        let body = t["body"]
            .as_str()
            .map(|b| (b.as_bytes(), t["content_type"].as_str().unwrap()));
        if let Some(len) = t["body_length"].as_u64() {
            assert_eq!(body.unwrap().0.len() as u64, len, "{id}: body length");
        }
        let req = sign::Request {
            method: t["method"].as_str().unwrap(),
            target,
            host,
            date,
            body,
        };
        let (_, list, signing_string) = sign::signing_string(&req);
        assert_eq!(
            signing_string,
            t["signing_string"].as_str().unwrap(),
            "{id}: signing string"
        );
        assert_eq!(
            list,
            t["signed_headers"].as_str().unwrap(),
            "{id}: header list"
        );
        for key in [&pkcs1, &pkcs8] {
            let signed = sign::sign(key, t["key_id"].as_str().unwrap(), &req).unwrap();
            let auth = signed.header("authorization").unwrap();
            let python = t
                .get("authorization_python_sdk_order")
                .or_else(|| t.get("expected_authorization"))
                .and_then(Value::as_str)
                .unwrap();
            assert!(
                python.starts_with("Signature algorithm="),
                "{id}: python order reference"
            );
            assert_eq!(auth, python, "{id}: authorization");
            assert!(
                auth.contains(t["signature"].as_str().unwrap()),
                "{id}: signature"
            );
            for (name, value) in t["header_values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p[0].as_str().unwrap(), p[1].as_str().unwrap()))
            {
                assert_eq!(signed.header(name), Some(value), "{id}: header {name}");
            }
        }
    }
}

#[test]
fn empty_body_digest() {
    assert_eq!(sign::body_sha256(b""), sign::EMPTY_BODY_SHA256);
}

#[test]
fn oke_tokens_byte_exact() {
    let v = vectors();
    let key =
        oci_token::crypto::key::load(v["key"]["private_key_pkcs8_pem"].as_str().unwrap(), None)
            .unwrap();
    let date = v["date"].as_str().unwrap();
    let mut seen = 0;
    for t in v["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t.get("token_url").is_some())
    {
        let id = t["id"].as_str().unwrap();
        let url = oci_token::services::oke::cluster_url(
            t["region"].as_str().unwrap(),
            t["cluster_id"].as_str().unwrap(),
        );
        assert_eq!(url, t["url"].as_str().unwrap(), "{id}");
        let key_id = t["key_id"].as_str().unwrap();
        assert_eq!(
            oci_token::services::oke::token_url(&key, key_id, &url, date).unwrap(),
            t["token_url"].as_str().unwrap(),
            "{id}"
        );
        let token = oci_token::services::oke::token(&key, key_id, &url, date).unwrap();
        assert_eq!(token, t["token"].as_str().unwrap(), "{id}");
        assert_eq!(
            token.len() as u64,
            t["token_length"].as_u64().unwrap(),
            "{id}"
        );
        seen += 1;
    }
    assert_eq!(seen, 2, "OKE and OKE-ST");
}
