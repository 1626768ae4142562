//! Instance principal, resource principal and OKE workload identity, end to end: a metadata
//! stand-in (plain HTTP, `Bearer Oracle` checked), the auth stand-in's `/v1/x509` (signature
//! verified with the leaf certificate's key, body checked) and OKE proxymux (service-account
//! token checked), and no config file at all.

use std::time::{Duration, Instant};

use crate::support::fake_auth::{FakeAuth, Reply};
use crate::support::fake_imds::{FakeImds, Mode, make_leaf};
use crate::support::*;

const LEAF_TENANCY: &str = "ocid1.tenancy.oc1..aaaaaaaaleafleafleaf";
const CLUSTER: &str = "ocid1.cluster.oc1.iad.aaaaaaaaexample";

struct Instance {
    imds: FakeImds,
    auth: FakeAuth,
    t: TestEnv,
}

/// An instance: metadata stand-in (region `iad`), federation at the auth stand-in.
fn instance() -> Instance {
    let leaf = make_leaf(&other_key_pem(), LEAF_TENANCY, true);
    let auth = FakeAuth::start();
    auth.ttl(1200);
    auth.register_leaf(&leaf.cert_der, &leaf.key_pem, LEAF_TENANCY);
    let imds = FakeImds::start(leaf, "iad");
    let t = TestEnv::new()
        .use_auth(&auth)
        .env("OCI_METADATA_BASE_URL", &imds.base);
    Instance { imds, auth, t }
}

fn cache_files(t: &TestEnv) -> Vec<std::path::PathBuf> {
    let root = t.cache_root();
    let Ok(dirs) = std::fs::read_dir(&root) else {
        return vec![];
    };
    let mut out = vec![];
    for d in dirs {
        let d = d.unwrap().path();
        for f in std::fs::read_dir(&d).unwrap() {
            out.push(f.unwrap().path());
        }
    }
    out.sort();
    out
}

use crate::support::mode;

#[test]
fn instance_principal_cold_then_warm() {
    let Instance { imds, auth, t } = instance();
    assert!(!t.config_path().exists(), "no config file at all");
    let o = t.run(&["get", "--auth", "instance_principal"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["version"], 1);
    assert_eq!(v["auth"], "instance_principal");
    assert_eq!(v["profile"], serde_json::Value::Null);
    assert_eq!(v["region"], "us-ashburn-1", "iad from the metadata service");
    assert_eq!(v["tenancy"], LEAF_TENANCY);
    assert_eq!(v["refreshed"], true);
    let token = v["token"].as_str().unwrap();
    let token_file = std::path::PathBuf::from(v["token_file"].as_str().unwrap());
    let key_file = std::path::PathBuf::from(v["key_file"].as_str().unwrap());
    assert_eq!(std::fs::read_to_string(&token_file).unwrap(), token);
    // The token is bound to the cached session key.
    let k =
        oci_token::crypto::key::load(&std::fs::read_to_string(&key_file).unwrap(), None).unwrap();
    let jwk: serde_json::Value =
        serde_json::from_str(jwt::claims(token)["jwk"].as_str().unwrap()).unwrap();
    assert!(oci_token::crypto::key::matches_jwk(
        &k,
        jwk["n"].as_str().unwrap(),
        jwk["e"].as_str().unwrap()
    ));
    assert_eq!(mode(token_file.parent().unwrap()), 0o700);
    for f in cache_files(&t) {
        if !f.ends_with("token.lock") {
            assert_eq!(mode(&f), 0o600, "{}", f.display());
        }
    }
    assert_eq!(auth.count_of("/v1/x509"), 1);
    auth.assert_all_verified();
    let cold_hits = imds.hits();
    assert_eq!(cold_hits, 4, "region, certificate, key, intermediate");
    assert_eq!(imds.unauthorized(), 0, "every call said Bearer Oracle");

    // Warm: the cache only. No metadata call, no federation, no key generation.
    let key_before = std::fs::read(&key_file).unwrap();
    for _ in 0..3 {
        let o = t.run(&["get", "--auth", "instance_principal"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert_eq!(json(&o)["token"], token);
        assert_eq!(json(&o)["refreshed"], false);
        assert_eq!(json(&o)["region"], "us-ashburn-1", "region from the cache");
    }
    assert_eq!(imds.hits(), cold_hits);
    assert_eq!(auth.count_of("/v1/x509"), 1);

    // OCI_CLI_AUTH says the same; a forced refresh federates again with the same key.
    let o = t
        .cmd()
        .env("OCI_CLI_AUTH", "instance_principal")
        .args(["refresh"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_ne!(json(&o)["token"], token);
    assert_eq!(
        std::fs::read(&key_file).unwrap(),
        key_before,
        "the session key stays"
    );
    assert_eq!(auth.count_of("/v1/x509"), 2);
    auth.assert_all_verified();
    // A bad OCI_CLI_AUTH is a usage error, as in the oci CLI.
    let o = t
        .cmd()
        .env("OCI_CLI_AUTH", "magic")
        .args(["get"])
        .output()
        .unwrap();
    assert_fails(&o, 2, "OCI_CLI_AUTH");
}

#[test]
fn fifty_cold_instance_principal_gets_make_one_federation() {
    let Instance { auth, t, .. } = instance();
    auth.delay(Duration::from_millis(1500));
    let children: Vec<_> = (0..50)
        .map(|_| {
            child::start(|| {
                let mut c = t.std_cmd();
                c.args(["get", "--auth", "instance_principal"])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped());
                c
            })
        })
        .collect();
    let mut tokens = std::collections::HashSet::new();
    for c in children {
        let o = c.finish();
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        tokens.insert(json(&o)["token"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        auth.count_of("/v1/x509"),
        1,
        "one federation for fifty callers"
    );
    assert_eq!(tokens.len(), 1);
}

#[test]
fn a_401_fetches_the_certificates_again_once() {
    let Instance { imds, auth, t } = instance();
    auth.then(Reply::Status(
        401,
        r#"{"code":"NotAuthenticated","message":"rotated"}"#.into(),
    ));
    let o = t.run(&["get", "--auth", "instance_principal"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(auth.count_of("/v1/x509"), 2);
    assert_eq!(
        imds.hits(),
        7,
        "region once, the three certificate files twice"
    );
    // Refused twice: log in is not possible; the principal lacks a policy. Exit 4.
    let u = instance();
    u.auth.always(Reply::Status(
        401,
        r#"{"code":"NotAuthenticated","message":"no"}"#.into(),
    ));
    let o = u.t.run(&["get", "--auth", "instance_principal"]);
    assert_fails(&o, 4, "was refused");
    assert!(
        cache_files(&u.t).iter().all(|f| !f.ends_with("token")),
        "nothing cached"
    );
}

#[test]
fn kube_env_prompt_and_as_profile_use_the_instance_principal() {
    let Instance { auth, t, .. } = instance();
    let o = t.run(&[
        "kube",
        "--auth",
        "instance_principal",
        "--cluster-id",
        CLUSTER,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let bearer = v["status"]["token"].as_str().unwrap();
    crate::support::fake_k8s::verify_token(bearer, CLUSTER, "us-ashburn-1").unwrap();

    let o = t.run(&["env", "--auth", "instance_principal", "--shell", "bash"]);
    let out = stdout(&o);
    assert!(
        out.contains("export OCI_CLI_AUTH='instance_principal'"),
        "{out}"
    );
    assert!(out.contains("unset OCI_CLI_PROFILE"), "{out}");

    let o = t.run(&["prompt", "--auth", "instance_principal"]);
    let seg = stdout(&o);
    assert!(
        seg.starts_with("oci:instance ") && seg.ends_with('m'),
        "{seg}"
    );

    // --as-profile: a session profile that anything reading session profiles can use.
    let o = t.run(&["get", "--auth", "instance_principal", "--as-profile", "ip"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let cfg = std::fs::read_to_string(t.config_path()).unwrap();
    assert!(cfg.contains("[ip]\n"), "{cfg}");
    let o = t.run(&["get", "--profile", "ip"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&o)["auth"], "security_token");
    assert_eq!(json(&o)["tenancy"], LEAF_TENANCY);
    if let Some(oci) = crate::interop::oci() {
        let o = crate::interop::oci_validate_local(&oci, &t, "ip");
        assert!(
            o.status.success(),
            "oci session validate --local: {}",
            stderr(&o)
        );
    }
    auth.assert_all_verified();
}

#[test]
fn metadata_and_federation_faults_are_one_line_and_leave_nothing_half_written() {
    // Nothing listens at the metadata address.
    let u = instance();
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let o =
        u.t.cmd()
            .env(
                "OCI_METADATA_BASE_URL",
                format!("http://127.0.0.1:{port}/opc/v2"),
            )
            .args(["get", "--auth", "instance_principal"])
            .output()
            .unwrap();
    assert_fails(&o, 5, "only on OCI compute instances");
    // Off OCI, no session key is left behind (key.pem was, for nothing).
    assert!(
        cache_files(&u.t).iter().all(|f| !f.ends_with("key.pem")),
        "{:?}",
        cache_files(&u.t)
    );
    for (m, needle) in [(Mode::NotFound, "404"), (Mode::Garbage, "region")] {
        let u = instance();
        u.imds.set_mode(m);
        assert_fails(
            &u.t.run(&["get", "--auth", "instance_principal"]),
            5,
            needle,
        );
        assert!(cache_files(&u.t).iter().all(|f| !f.ends_with("token")));
        assert!(cache_files(&u.t).iter().all(|f| !f.ends_with("key.pem")));
    }
    // Slow: bounded by the metadata deadline (10 s, or OCI_TOKEN_HTTP_TIMEOUT when shorter).
    let u = instance();
    u.imds.set_mode(Mode::Slow(Duration::from_secs(30)));
    let start = Instant::now();
    assert_fails(
        &u.t.cmd()
            .env("OCI_TOKEN_HTTP_TIMEOUT", "2s")
            .args(["get", "--auth", "instance_principal"])
            .output()
            .unwrap(),
        5,
        "metadata",
    );
    assert!(
        start.elapsed() < Duration::from_secs(6),
        "{:?}",
        start.elapsed()
    );

    // A certificate that names no tenancy.
    let leaf = make_leaf(&other_key_pem(), LEAF_TENANCY, false);
    let auth = FakeAuth::start();
    let imds = FakeImds::start(leaf, "iad");
    let t = TestEnv::new()
        .use_auth(&auth)
        .env("OCI_METADATA_BASE_URL", &imds.base);
    assert_fails(
        &t.run(&["get", "--auth", "instance_principal"]),
        5,
        "opc-tenant",
    );
    assert_eq!(auth.count(), 0, "nothing sent");

    // Federation: 500s, garbage, a token for another key.
    for (reply, code_, needle) in [
        (Reply::Status(500, "{}".into()), 5, "500"),
        (Reply::Garbage, 5, "no token"),
        (Reply::Raw("not a jwt".into()), 5, "unusable"),
    ] {
        let u = instance();
        u.auth.always(reply);
        assert_fails(
            &u.t.run(&["get", "--auth", "instance_principal"]),
            code_,
            needle,
        );
        assert!(cache_files(&u.t).iter().all(|f| !f.ends_with("token")));
    }
}

#[test]
#[cfg_attr(windows, ignore = "Unix: FIFOs and chown")]
fn a_cache_that_is_corrupt_a_fifo_or_not_private_is_never_served() {
    #[cfg(unix)]
    {
        let Instance { auth, t, .. } = instance();
        let o = t.run(&["get", "--auth", "instance_principal"]);
        let token_file = std::path::PathBuf::from(json(&o)["token_file"].as_str().unwrap());
        // Corrupt: fetched again.
        std::fs::write(&token_file, "garbage").unwrap();
        let o = t.run(&["get", "--auth", "instance_principal"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert_eq!(auth.count_of("/v1/x509"), 2);
        // A FIFO: refused, without hanging.
        std::fs::remove_file(&token_file).unwrap();
        mkfifo(&token_file);
        assert_fails(&t.run(&["get", "--auth", "instance_principal"]), 3, "FIFO");
        std::fs::remove_file(&token_file).unwrap();
        // A cache directory others can write, or owned by another user: refused.
        let dir = token_file.parent().unwrap();
        chmod(dir, 0o777);
        assert_fails(
            &t.run(&["get", "--auth", "instance_principal"]),
            3,
            "group or others",
        );
        chmod(dir, 0o700);
        std::os::unix::fs::chown(dir, Some(65534), None).unwrap();
        assert_fails(
            &t.run(&["get", "--auth", "instance_principal"]),
            3,
            "another user",
        );
    }
}

#[test]
fn the_cache_is_per_identity_source() {
    let a = instance();
    let o = a.t.run(&["get", "--auth", "instance_principal"]);
    let first = json(&o)["token"].as_str().unwrap().to_owned();
    // Another metadata service (another instance) in the same home: not served A's token.
    let leaf = make_leaf(&key_pem(), "ocid1.tenancy.oc1..bbbbbbbbother", true);
    a.auth.register_leaf(
        &leaf.cert_der,
        &leaf.key_pem,
        "ocid1.tenancy.oc1..bbbbbbbbother",
    );
    let imds_b = FakeImds::start(leaf, "phx");
    let o =
        a.t.cmd()
            .env("OCI_METADATA_BASE_URL", &imds_b.base)
            .args(["get", "--auth", "instance_principal"])
            .output()
            .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_ne!(json(&o)["token"], first.as_str());
    assert_eq!(json(&o)["tenancy"], "ocid1.tenancy.oc1..bbbbbbbbother");
    assert_eq!(json(&o)["region"], "us-phoenix-1");
}

#[test]
fn resource_principal_v2_2_from_paths_and_values() {
    let t = TestEnv::new();
    let n = now();
    let claims = jwt::Claims::for_key(&key_pem(), n, n + 1200, None);
    let rpst = jwt::mint_principal(&claims.n, &claims.e, n, n + 1200, jwt::TENANCY, "resource");
    let dir = t.path("rp");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("rpst"), &rpst).unwrap();
    std::fs::write(dir.join("key.pem"), key_pem()).unwrap();
    let rp = |t: &TestEnv| {
        let mut c = t.cmd();
        c.env("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2")
            .env("OCI_RESOURCE_PRINCIPAL_REGION", "phx");
        c
    };
    let o = rp(&t)
        .env("OCI_RESOURCE_PRINCIPAL_RPST", dir.join("rpst"))
        .env("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", dir.join("key.pem"))
        .args(["get", "--auth", "resource_principal"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["auth"], "resource_principal");
    assert_eq!(v["token"], rpst.as_str());
    assert_eq!(v["region"], "us-phoenix-1");
    assert_eq!(v["key_file"], dir.join("key.pem").display().to_string());
    // Values instead of paths; kube signs with the key.
    let o = rp(&t)
        .env("OCI_RESOURCE_PRINCIPAL_RPST", &rpst)
        .env("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", key_pem())
        .args([
            "kube",
            "--auth",
            "resource_principal",
            "--cluster-id",
            CLUSTER,
        ])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    crate::support::fake_k8s::verify_token(
        v["status"]["token"].as_str().unwrap(),
        CLUSTER,
        "us-phoenix-1",
    )
    .unwrap();
    // Versions and inputs it does not serve.
    let o = rp(&t)
        .env("OCI_RESOURCE_PRINCIPAL_VERSION", "1.1")
        .args(["get", "--auth", "resource_principal"])
        .output()
        .unwrap();
    assert_fails(&o, 3, "version 2.2");
    let o = rp(&t)
        .args(["get", "--auth", "resource_principal"])
        .output()
        .unwrap();
    assert_fails(&o, 3, "OCI_RESOURCE_PRINCIPAL_RPST is not set");
    let o = rp(&t)
        .env("OCI_RESOURCE_PRINCIPAL_RPST", dir.join("missing"))
        .env("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", dir.join("key.pem"))
        .args(["get", "--auth", "resource_principal"])
        .output()
        .unwrap();
    assert_fails(&o, 3, "cannot read OCI_RESOURCE_PRINCIPAL_RPST");
    let old = jwt::mint_principal(
        &claims.n,
        &claims.e,
        n - 2400,
        n - 1200,
        jwt::TENANCY,
        "resource",
    );
    let o = rp(&t)
        .env("OCI_RESOURCE_PRINCIPAL_RPST", &old)
        .env("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", key_pem())
        .args(["get", "--auth", "resource_principal"])
        .output()
        .unwrap();
    assert_fails(&o, 4, "RPST expires");
    // The platform's region is one line of a key, an identifier or a domain; anything else
    // is refused before it reaches an output, a URL or a shell.
    let long = "a".repeat(65);
    for bad in [
        "us-ashburn-1\nexport X=1",
        "us-ashburn-1; rm -rf ~",
        long.as_str(),
    ] {
        let o = rp(&t)
            .env("OCI_RESOURCE_PRINCIPAL_REGION", bad)
            .env("OCI_RESOURCE_PRINCIPAL_RPST", &rpst)
            .env("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", key_pem())
            .args(["get", "--auth", "resource_principal"])
            .output()
            .unwrap();
        assert_fails(&o, 3, "OCI_RESOURCE_PRINCIPAL_REGION is not a region name");
    }
}

#[test]
fn oke_workload_identity_exchanges_the_service_account_token_once() {
    let auth = FakeAuth::start();
    auth.ttl(1200);
    auth.accept_service_account("sa-token-123");
    let t = TestEnv::new();
    std::fs::write(t.path("sa-token"), "sa-token-123\n").unwrap();
    let wi = |t: &TestEnv| {
        let mut c = t.cmd();
        c.env("OCI_TOKEN_OKE_PROXYMUX_URL", &auth.url)
            .env(
                "OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH",
                t.path("sa-token"),
            )
            .env("OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH", &auth.ca_path)
            .env("OCI_RESOURCE_PRINCIPAL_REGION", "us-ashburn-1");
        c
    };
    let o = wi(&t)
        .args(["get", "--auth", "oke_workload_identity"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["auth"], "oke_workload_identity");
    assert_eq!(v["refreshed"], true);
    let o = wi(&t)
        .args(["get", "--auth", "oke_workload_identity"])
        .output()
        .unwrap();
    assert_eq!(json(&o)["refreshed"], false);
    assert_eq!(
        auth.count_of("/resourcePrincipalSessionTokens"),
        1,
        "cached"
    );
    auth.assert_all_verified();
    // The wrong service-account token: refused, exit 4, nothing cached for it.
    let u = TestEnv::new();
    std::fs::write(u.path("sa-token"), "someone-else").unwrap();
    let o = wi(&u)
        .args(["get", "--auth", "oke_workload_identity"])
        .output()
        .unwrap();
    assert_fails(&o, 4, "refused");
    // Not in a pod at all.
    let o = u.run(&["get", "--auth", "oke_workload_identity"]);
    assert_fails(&o, 3, "KUBERNETES_SERVICE_HOST");
}

/// The real oci CLI, pointed at the same stand-ins (`OCI_METADATA_BASE_URL` and its
/// federation endpoint override), federates the same leaf: the stand-ins speak the protocol
/// the oci CLI speaks (its SHA-1 `fed-x509` keyId and our `fed-x509-sha256` one are both
/// verified), and its OKE token verifies like ours.
#[test]
#[cfg_attr(
    windows,
    ignore = "Linux-only: needs the oci CLI (the Windows build runs under Wine)"
)]
#[cfg_attr(
    all(unix, not(have_oci)),
    ignore = "the oci CLI is not installed (pip install oci-cli, or set OCI_CLI_BIN)"
)]
fn the_oci_cli_federates_against_the_same_stand_ins() {
    let Some(oci) = crate::interop::oci() else {
        return;
    };
    let Instance { imds, auth, t } = instance();
    let o = crate::interop::oci_cmd(&oci, &t)
        .env("OCI_METADATA_BASE_URL", &imds.base)
        .env(
            "OCI_CLI_FEDERATION_ENDPOINT",
            format!("{}/v1/x509", auth.url),
        )
        .env("REQUESTS_CA_BUNDLE", &auth.ca_path)
        .env("OCI_CLI_CERT_BUNDLE", &auth.ca_path)
        .args([
            "ce",
            "cluster",
            "generate-token",
            "--auth",
            "instance_principal",
            "--cluster-id",
            CLUSTER,
            "--region",
            "us-ashburn-1",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "oci: {}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let bearer = v["status"]["token"].as_str().unwrap();
    crate::support::fake_k8s::verify_token(bearer, CLUSTER, "us-ashburn-1").unwrap();
    assert_eq!(auth.count_of("/v1/x509"), 1);
    auth.assert_all_verified();
    let keys: Vec<String> = auth
        .records()
        .iter()
        .filter_map(|r| r.header("authorization").map(str::to_owned))
        .collect();
    assert!(
        keys[0].contains("/fed-x509/"),
        "the oci CLI's SHA-1 form: {}",
        keys[0]
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "the child is a POSIX sh script (Windows: windows::exec_passes_the_environment_and_exit_code)"
)]
fn exec_runs_a_command_on_a_principal_through_a_session_profile() {
    let Instance { auth, t, .. } = instance();
    let o = t.run(&[
        "exec",
        "--auth",
        "instance_principal",
        "--as-profile",
        "ip",
        "--",
        "sh",
        "-c",
        "printf '%s|%s|%s' \"$OCI_CLI_PROFILE\" \"$OCI_CLI_AUTH\" \"$OCI_CLI_CONFIG_FILE\"",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!("ip|security_token|{}", t.config_path().display())
    );
    let o = t.run(&["validate", "--profile", "ip"]);
    assert_eq!(
        code(&o),
        0,
        "the profile points at a valid token and its key: {}",
        stderr(&o)
    );
    // --as-profile is for principals only.
    t.session(&SessionSpec::new("s", 3600));
    let o = t.run(&["get", "--profile", "s", "--as-profile", "x"]);
    assert_fails(&o, 2, "--as-profile is for principals");
    auth.assert_all_verified();
}

#[test]
fn validate_reads_a_principal_token_without_fetching() {
    let Instance { imds, auth, t } = instance();
    let o = t.run(&["validate", "--auth", "instance_principal"]);
    assert_fails(&o, 4, "no token yet");
    t.run(&["get", "--auth", "instance_principal"]);
    let (hits, feds) = (imds.hits(), auth.count());
    let o = t.run(&[
        "validate",
        "--auth",
        "instance_principal",
        "--output",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&o)["valid"], true);
    assert_eq!(json(&o)["auth"], "instance_principal");
    assert_eq!((imds.hits(), auth.count()), (hits, feds), "no network");
}

/// A federation refused (401) after a while, and then the metadata service failing the
/// re-read of the certificates: reported as the refusal (exit 4), not as the metadata
/// service (exit 5).
#[test]
fn a_refusal_is_reported_even_when_the_metadata_reread_fails() {
    let Instance { imds, auth, t } = instance();
    auth.always(Reply::Status(
        401,
        r#"{"code":"NotAuthenticated","message":"no policy"}"#.into(),
    ));
    auth.delay(Duration::from_millis(800));
    let child = t
        .std_cmd()
        .args(["get", "--auth", "instance_principal"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn_retrying();
    let start = Instant::now();
    while auth.count_of("/v1/x509") == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no federation came"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    imds.set_mode(Mode::NotFound);
    let o = child.finish();
    assert_fails(&o, 4, "refused");
    assert_eq!(auth.count_of("/v1/x509"), 1);
}

/// A resource principal whose key comes as a value: written once (0600, private cache) so
/// `key_file` names it; the instance principal's session key carries the oci CLI's label.
#[test]
fn keys_given_as_values_get_a_path_and_session_keys_a_label() {
    let t = TestEnv::new();
    let n = now();
    let claims = jwt::Claims::for_key(&key_pem(), n, n + 1200, None);
    let rpst = jwt::mint_principal(&claims.n, &claims.e, n, n + 1200, jwt::TENANCY, "resource");
    let get = || {
        t.cmd()
            .env("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2")
            .env("OCI_RESOURCE_PRINCIPAL_REGION", "phx")
            .env("OCI_RESOURCE_PRINCIPAL_RPST", &rpst)
            .env("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", key_pem())
            .args(["get", "--auth", "resource_principal"])
            .output()
            .unwrap()
    };
    let o = get();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let key_file = std::path::PathBuf::from(json(&o)["key_file"].as_str().unwrap());
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap().trim(),
        key_pem().trim()
    );
    assert_eq!(mode(&key_file), 0o600);
    assert_eq!(mode(key_file.parent().unwrap()), 0o700);
    assert!(key_file.starts_with(t.cache_root()));
    let o = get();
    assert_eq!(json(&o)["key_file"], key_file.display().to_string(), "once");

    let inst = instance();
    let o = inst.t.run(&["get", "--auth", "instance_principal"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let key = std::fs::read_to_string(json(&o)["key_file"].as_str().unwrap()).unwrap();
    assert!(
        key.ends_with("-----END PRIVATE KEY-----\nOCI_API_KEY"),
        "{key}"
    );
}
