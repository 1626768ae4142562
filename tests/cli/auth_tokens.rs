//! `auth-token create|list|delete` against an Identity stand-in that verifies every
//! signature; the real `oci iam auth-token create` sends the same request body.

use crate::support::fake_auth::FakeAuth;
use crate::support::*;

fn identity_env(auth: &FakeAuth) -> TestEnv {
    let t = TestEnv::new()
        .use_auth(auth)
        .env("OCI_TOKEN_IDENTITY_ENDPOINT", &auth.url)
        .env("OCI_TOKEN_OBJECTSTORAGE_ENDPOINT", &auth.url)
        .env("OCI_CLI_PROFILE", "p");
    t.session(&SessionSpec::new("p", 3600));
    t
}

fn create_bodies(auth: &FakeAuth) -> Vec<String> {
    auth.records()
        .into_iter()
        .filter(|r| r.method == "POST" && r.target.ends_with("/authTokens"))
        .map(|r| r.body)
        .collect()
}

#[test]
fn create_list_delete_with_a_session() {
    let auth = FakeAuth::start();
    let t = identity_env(&auth);
    let o = t.run(&["auth-token", "create", "--description", "ci \"pushes\""]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    let data = &v["data"];
    assert_eq!(data["user-id"], jwt::USER, "the session token's subject");
    assert_eq!(data["description"], "ci \"pushes\"");
    assert_eq!(data["lifecycle-state"], "ACTIVE");
    assert!(data["token"].as_str().unwrap().starts_with("S3cr3t"));
    let id = data["id"].as_str().unwrap().to_owned();
    assert_eq!(
        create_bodies(&auth),
        [r#"{"description": "ci \"pushes\""}"#]
    );
    assert!(o.stderr.is_empty() || !stderr(&o).contains("S3cr3t"));

    let o = t.run(&["auth-token", "list"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let list = json(&o)["data"].as_array().unwrap().clone();
    assert_eq!(list.len(), 1);
    assert_eq!(
        list[0]["token"],
        serde_json::Value::Null,
        "list never shows tokens"
    );

    // A second one is fine; a third meets the limit of two.
    assert_eq!(
        code(&t.run(&["auth-token", "create", "--description", "b"])),
        0
    );
    let o = t.run(&["auth-token", "create", "--description", "c"]);
    assert_fails(&o, 3, "as many auth tokens as allowed");

    let o = t.run(&["auth-token", "delete", "--auth-token-id", &id]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = t.run(&["auth-token", "list"]);
    assert_eq!(json(&o)["data"].as_array().unwrap().len(), 1);
    let o = t.run(&["auth-token", "delete", "--auth-token-id", &id]);
    assert_fails(&o, 3, "404");
    let o = t.run(&["auth-token", "delete", "--auth-token-id", "../../x"]);
    assert_fails(&o, 2, "not an OCID");
    auth.assert_all_verified();
}

#[test]
fn the_token_goes_to_a_private_file_or_to_docker_login_only() {
    let auth = FakeAuth::start();
    let t = identity_env(&auth);
    let file = t.path("token.txt");
    let o = t.run(&[
        "auth-token",
        "create",
        "--description",
        "f",
        "--output-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&o)["data"]["token"], serde_json::Value::Null);
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .starts_with("S3cr3t")
    );
    assert_eq!(crate::support::mode(&file), 0o600);
    // Never over an existing file.
    let o = t.run(&[
        "auth-token",
        "create",
        "--description",
        "g",
        "--output-file",
        file.to_str().unwrap(),
    ]);
    assert_fails(&o, 3, "exists");
    let o = t.run(&[
        "auth-token",
        "create",
        "--description",
        "d",
        "--docker-login",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).trim().starts_with("S3cr3t") && stdout(&o).lines().count() == 1);
    assert!(
        stderr(&o).contains("docker username: ocitokentest/jdoe@example.com"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("S3cr3t"));
    auth.assert_all_verified();
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Linux-only: needs the oci CLI (the Windows build runs under Wine)"
)]
#[cfg_attr(
    all(unix, not(have_oci)),
    ignore = "the oci CLI is not installed (pip install oci-cli, or set OCI_CLI_BIN)"
)]
fn the_oci_cli_sends_the_same_create_body() {
    let Some(oci) = crate::interop::oci() else {
        return;
    };
    let auth = FakeAuth::start();
    let t = identity_env(&auth);
    let o = crate::interop::oci_cmd(&oci, &t)
        .env("REQUESTS_CA_BUNDLE", &auth.ca_path)
        .args([
            "iam",
            "auth-token",
            "create",
            "--user-id",
            jwt::USER,
            "--description",
            "ci \"pushes\"",
            "--endpoint",
            &auth.url,
            "--auth",
            "security_token",
            "--profile",
            "p",
            "--cert-bundle",
        ])
        .arg(&auth.ca_path)
        .output()
        .unwrap();
    assert!(o.status.success(), "oci: {}", stderr(&o));
    let o2 = t.run(&["auth-token", "create", "--description", "ci \"pushes\""]);
    assert_eq!(code(&o2), 0, "{}", stderr(&o2));
    let bodies = create_bodies(&auth);
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0], bodies[1], "oci CLI vs oci-token");
    // The oci CLI prints the same shape (the token masked here).
    let mask = |mut v: serde_json::Value| {
        v["data"]["token"] = "…".into();
        v["data"]["id"] = "…".into();
        v.as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(",")
            + &v["data"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(",")
    };
    let theirs: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(mask(theirs), mask(json(&o2)));
    auth.assert_all_verified();
}

/// A destination that cannot be written, or a closed stdout, fails before the token exists:
/// a never-expiring token is never created only to be lost.
#[test]
fn nothing_is_created_when_the_token_could_not_be_kept() {
    let auth = FakeAuth::start();
    let t = identity_env(&auth);
    let nowhere = t.path("no-such-dir/token.txt");
    let o = t.run(&[
        "auth-token",
        "create",
        "--description",
        "ci",
        "--output-file",
        nowhere.to_str().unwrap(),
    ]);
    assert_fails(&o, 3, "nothing was created");
    assert!(create_bodies(&auth).is_empty(), "no token on the server");
    // Stdout closed (`>&-`): refused up front. (Windows has no closed stdout; `> NUL` is the
    // same loss, and refused the same way.)
    #[cfg(unix)]
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" auth-token create --description ci >&-")
        .arg(BIN)
        .env_clear()
        .env("HOME", t.home.path())
        .envs(t.vars.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    #[cfg(windows)]
    let o = t
        .std_cmd()
        .args(["auth-token", "create", "--description", "ci"])
        .stdout(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("stdout is closed"), "{}", stderr(&o));
    assert!(create_bodies(&auth).is_empty(), "no token on the server");
    // A failed call (the limit of two tokens) leaves no empty file behind.
    for d in ["a", "b"] {
        assert_eq!(
            code(&t.run(&["auth-token", "create", "--description", d])),
            0
        );
    }
    let file = t.path("token.txt");
    let o = t.run(&[
        "auth-token",
        "create",
        "--description",
        "ci",
        "--output-file",
        file.to_str().unwrap(),
    ]);
    assert_fails(&o, 3, "as many auth tokens as allowed");
    assert!(!file.exists(), "the reserved file is removed again");
}

/// `create` is not idempotent: a repeat after a lost reply carries the same
/// `opc-retry-token`, so the service answers it with the token it made the first time
/// instead of making a second (the user may have only two). Without a retry token it was
/// sent up to three times, making three tokens and showing none.
#[test]
fn a_lost_create_reply_is_retried_with_one_retry_token_and_makes_one_token() {
    let auth = FakeAuth::start();
    let t = identity_env(&auth);
    auth.create_then_fail(1);
    let o = t.run(&["auth-token", "create", "--description", "ci"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let token = json(&o)["data"]["token"].as_str().unwrap().to_owned();
    let posts: Vec<_> = auth
        .records()
        .into_iter()
        .filter(|r| r.method == "POST" && r.target.ends_with("/authTokens"))
        .collect();
    assert_eq!(posts.len(), 2, "one repeat");
    let tokens: Vec<_> = posts.iter().map(|r| r.header("opc-retry-token")).collect();
    assert!(tokens[0].is_some_and(|t| t.len() >= 16), "{tokens:?}");
    assert_eq!(tokens[0], tokens[1], "the same retry token on the repeat");
    let o = t.run(&["auth-token", "list"]);
    let list = json(&o)["data"].as_array().unwrap().clone();
    assert_eq!(list.len(), 1, "one token made: {list:?}");
    assert!(token.starts_with("S3cr3t"));
    // Every attempt lost: the error says a token may exist and how to find it.
    auth.create_then_fail(10);
    let o = t.run(&["auth-token", "create", "--description", "ci2"]);
    assert_fails(&o, 5, "may have been created all the same");
    assert!(
        stderr(&o).contains("oci-token auth-token list"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("S3cr3t"), "no token in the error");
    auth.assert_all_verified();
}
