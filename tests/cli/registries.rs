//! `docker-credential-oci-token`, `docker install` and the kubelet credential provider,
//! against a loopback OCIR stand-in that verifies every signed token request; the real
//! skopeo pulls a manifest through it with nothing but the session.

use std::io::Write as _;
#[cfg_attr(windows, allow(unused_imports))] // the Unix link check uses it
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::support::fake_ocir::{FakeOcir, TokenMode};
use crate::support::*;

fn registry_env(ocir: &FakeOcir) -> TestEnv {
    let t = TestEnv::new()
        .env("OCI_CLI_CERT_BUNDLE", &ocir.ca_path)
        .env("OCI_TOKEN_OCIR_HOSTS", format!("{}=iad", ocir.host))
        .env("OCI_CLI_PROFILE", "p");
    t.session(&SessionSpec::new("p", 3600));
    t
}

fn assert_protocol_error(o: &Output, line: &str) {
    assert_eq!(code(o), 1, "{}", stdout(o));
    assert_eq!(stdout(o).trim_end(), line);
    assert!(o.stderr.is_empty(), "nothing on stderr: {}", stderr(o));
}

#[test]
fn get_answers_with_a_cached_registry_token() {
    let ocir = FakeOcir::start();
    let t = registry_env(&ocir);
    let o = helper(&t, "get", &format!("{}\n", ocir.host));
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    assert_eq!(v["ServerURL"], ocir.host.as_str());
    assert_eq!(v["Username"], "BEARER_TOKEN");
    let secret = v["Secret"].as_str().unwrap();
    assert!(ocir.issued(secret));
    assert_eq!(ocir.signed_requests(), 1);
    assert_eq!(ocir.failed_verifications(), 0);
    // Warm: the cache, no request; forms of the same host share it.
    for form in [
        ocir.host.clone(),
        format!("https://{}/v2/", ocir.host.to_uppercase()),
    ] {
        let o = helper(&t, "get", &form);
        assert_eq!(code(&o), 0, "{}", stdout(&o));
        assert_eq!(json(&o)["Secret"], secret);
    }
    assert_eq!(ocir.signed_requests(), 1);
    let cache = std::fs::read_dir(t.cache_root())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("ocir-")
        })
        .unwrap();
    assert_eq!(crate::support::mode(&cache), 0o700);
    assert_eq!(crate::support::mode(&cache.join("token")), 0o600);
    // erase drops it; the next get asks again.
    assert_eq!(code(&helper(&t, "erase", &ocir.host)), 0);
    let o = helper(&t, "get", &ocir.host);
    assert_ne!(json(&o)["Secret"], secret);
    assert_eq!(ocir.signed_requests(), 2);
}

#[test]
fn the_protocol_says_not_found_and_fails_on_stdout() {
    let ocir = FakeOcir::start();
    let t = registry_env(&ocir);
    assert_protocol_error(
        &helper(&t, "get", "docker.io"),
        "credentials not found in native keychain",
    );
    assert_protocol_error(
        &helper(&t, "get", "localhost:1"),
        "credentials not found in native keychain",
    );
    assert_protocol_error(
        &helper(&t, "get", "\u{1}\u{2} garbage"),
        "credentials not found in native keychain",
    );
    assert_protocol_error(&helper(&t, "get", ""), "no credentials server URL");
    assert_protocol_error(
        &helper(&t, "frob", ""),
        "Usage: docker-credential-oci-token <store|get|erase|list|version>",
    );
    assert_eq!(
        ocir.signed_requests(),
        0,
        "nothing sent for hosts it does not serve"
    );
    // store is a no-op that checks its input; list and version answer.
    assert_eq!(
        code(&helper(
            &t,
            "store",
            r#"{"ServerURL":"x","Username":"u","Secret":"s"}"#
        )),
        0
    );
    assert_protocol_error(
        &helper(&t, "store", "not json"),
        "the credentials to store are not JSON",
    );
    assert_eq!(stdout(&helper(&t, "list", "unused")), "{}\n");
    assert!(
        stdout(&helper(&t, "version", "")).starts_with("docker-credential-oci-token (oci-token) ")
    );
    // --help is help: exit 0, what each action does and how to set it up (it was the usage
    // line with exit 1).
    for h in ["--help", "-h", "help"] {
        let o = helper(&t, h, "");
        assert_eq!(code(&o), 0, "{h}: {}", stdout(&o));
        assert!(
            stdout(&o).contains("oci-token docker install --registry"),
            "{h}"
        );
        assert!(stdout(&o).contains("  get "), "{h}");
    }
    // The token endpoint failing: one line on stdout, exit 1, no token anywhere, nothing cached.
    for (m, needle) in [
        (TokenMode::Status(500), "500"),
        (TokenMode::Garbage, "not JSON"),
        (TokenMode::Status(401), "refused"),
    ] {
        ocir.set_mode(m);
        let o = helper(&t, "get", &ocir.host);
        assert_eq!(code(&o), 1);
        assert!(stdout(&o).contains(needle), "{}", stdout(&o));
        assert_eq!(stdout(&o).lines().count(), 1);
        assert!(!stdout(&o).contains("eyJ") && !stdout(&o).contains("ocir-registry-token"));
    }
    ocir.set_mode(TokenMode::Ok);
    let o = helper(&t, "get", &ocir.host);
    assert_eq!(code(&o), 0, "recovers: {}", stdout(&o));
}

#[test]
fn fifty_concurrent_gets_make_one_token_request() {
    let ocir = FakeOcir::start();
    ocir.set_mode(TokenMode::Slow(std::time::Duration::from_millis(800)));
    let t = registry_env(&ocir);
    let link = helper_dir(&t).join("docker-credential-oci-token");
    let children: Vec<_> = (0..50)
        .map(|_| {
            let mut child = child::start(|| {
                let mut c = Command::new(&link);
                c.env_clear().env("HOME", t.home.path());
                for (k, v) in &t.vars {
                    c.env(k, v);
                }
                c.arg("get")
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped());
                c
            });
            child.feed(ocir.host.as_bytes());
            child
        })
        .collect();
    for c in children {
        let o = c.finish();
        assert_eq!(code(&o), 0, "{}", stdout(&o));
    }
    assert_eq!(ocir.signed_requests(), 1);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Linux-only: needs skopeo (the Windows build runs under Wine)"
)]
#[cfg_attr(
    all(unix, not(have_skopeo)),
    ignore = "skopeo is not installed (apt-get install skopeo)"
)]
fn skopeo_pulls_a_manifest_with_the_session_and_no_password() {
    let ocir = FakeOcir::start();
    let t = registry_env(&ocir);
    let authfile = t.path("auth.json");
    std::fs::write(
        &authfile,
        serde_json::json!({"credHelpers": {ocir.host.clone(): "oci-token"}}).to_string(),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        helper_dir(&t).display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut c = Command::new("skopeo");
    c.env_clear().env("HOME", t.home.path()).env("PATH", path);
    for (k, v) in &t.vars {
        c.env(k, v);
    }
    let o = c
        .args(["inspect", "--raw", "--authfile"])
        .arg(&authfile)
        .arg("--cert-dir")
        .arg(&ocir.cert_dir)
        .arg(format!("docker://{}/ns/app:1.0", ocir.host))
        .output()
        .unwrap();
    assert!(o.status.success(), "skopeo: {}", stderr(&o));
    assert_eq!(stdout(&o).trim(), crate::support::fake_ocir::MANIFEST);
    assert_eq!(ocir.manifests_served(), 1);
    assert_eq!(ocir.signed_requests(), 1);
    assert_eq!(ocir.failed_verifications(), 0);
}

#[test]
fn docker_install_links_the_helper_and_edits_the_docker_config() {
    let ocir = FakeOcir::start();
    let t = registry_env(&ocir);
    let dir = t.path("helpers");
    let cfg = t.path(".docker/config.json");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::write(&cfg, "{\n\t\"auths\": {\n\t\t\"docker.io\": {}\n\t}\n}\n").unwrap();
    let o = t.run(&[
        "docker",
        "install",
        "--registry",
        &ocir.host,
        "--registry",
        "fra.ocir.io",
        "--dir",
        dir.to_str().unwrap(),
        "--profile",
        "p",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    #[cfg(unix)]
    assert_eq!(
        std::fs::read_link(dir.join("docker-credential-oci-token")).unwrap(),
        Path::new(BIN)
    );
    // Windows: a hard link (or a copy) of the binary, named with `.exe`.
    #[cfg(windows)]
    assert_eq!(
        std::fs::read(dir.join(helper_name())).unwrap(),
        std::fs::read(BIN).unwrap()
    );
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(text.starts_with("{\n\t\"credHelpers\": {"), "{text}");
    assert!(
        text.contains("\t\"auths\": {\n\t\t\"docker.io\": {}\n\t}\n}"),
        "kept: {text}"
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["credHelpers"]["fra.ocir.io"], "oci-token");
    assert_eq!(v["credHelpers"][ocir.host.as_str()], "oci-token");
    let podman: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(podman["credHelpers"]["fra.ocir.io"], "oci-token");
    let reg: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(t.path(".oci/oci-token-registries.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(reg["fra.ocir.io"]["profile"], "p");
    // Not a registry: refused.
    let o = t.run(&[
        "docker",
        "install",
        "--registry",
        "docker.io",
        "--dir",
        dir.to_str().unwrap(),
    ]);
    assert_fails(&o, 2, "not an OCIR host");
    // Something else at the link's place: never replaced.
    let other = t.path("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join(helper_name()), "#!/bin/sh\n").unwrap();
    let o = t.run(&[
        "docker",
        "install",
        "--registry",
        "fra.ocir.io",
        "--dir",
        other.to_str().unwrap(),
    ]);
    assert_fails(&o, 3, "is not a link to oci-token");
}

#[test]
fn the_kubelet_credential_provider_answers_for_ocir_images() {
    let ocir = FakeOcir::start();
    let t = registry_env(&ocir);
    let req = serde_json::json!({
        "apiVersion": "credentialprovider.kubelet.k8s.io/v1",
        "kind": "CredentialProviderRequest",
        "image": format!("{}/ns/app:1.0", ocir.host),
    });
    let mut child = t
        .std_cmd()
        .arg("kubelet-credential-provider")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn_retrying();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(req.to_string().as_bytes())
        .unwrap();
    let o = child.finish();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["kind"], "CredentialProviderResponse");
    assert_eq!(v["cacheKeyType"], "Registry");
    let secs: i64 = v["cacheDuration"]
        .as_str()
        .unwrap()
        .trim_end_matches('s')
        .parse()
        .unwrap();
    assert!((3000..=3300).contains(&secs), "{secs}");
    let auth = &v["auth"][ocir.host.as_str()];
    assert_eq!(auth["username"], "BEARER_TOKEN");
    assert!(ocir.issued(auth["password"].as_str().unwrap()));
}

/// Twenty `docker install`s at once, each for its own registry: every entry lands (the
/// edits are serialised by a lock); duplicate keys are reported and, as docker does, their
/// last value is the one that counts.
#[test]
fn parallel_installs_keep_every_registry() {
    let ocir = FakeOcir::start();
    let hosts: Vec<String> = (0..20).map(|i| format!("reg{i}.example")).collect();
    let extra: Vec<String> = hosts.iter().map(|h| format!("{h}=iad")).collect();
    let mut t = registry_env(&ocir);
    t.set_env("OCI_TOKEN_OCIR_HOSTS", extra.join(","));
    let dir = t.path("helpers");
    let cfg = t.path(".docker/config.json");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::write(&cfg, r#"{"auths":{},"credHelpers":{"a":"x","a":"y"}}"#).unwrap();
    let children: Vec<_> = hosts
        .iter()
        .map(|h| {
            let (t, dir) = (&t, &dir);
            child::start(move || {
                let mut c = t.std_cmd();
                c.args(["docker", "install", "--registry", h, "--profile", "p"])
                    .arg("--dir")
                    .arg(dir)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped());
                c
            })
        })
        .collect();
    let mut warned = 0;
    for c in children {
        let o = c.finish();
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        warned += usize::from(stderr(&o).contains("repeats the key(s) credHelpers.a"));
    }
    assert_eq!(
        warned, 20,
        "each edit keeps the user's bytes and reports the duplicate"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cfg).unwrap()).unwrap();
    let reg: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(t.path(".oci/oci-token-registries.json")).unwrap(),
    )
    .unwrap();
    for h in &hosts {
        assert_eq!(v["credHelpers"][h.as_str()], "oci-token", "{h}");
        assert_eq!(reg[h.as_str()]["profile"], "p", "{h}");
    }
    assert_eq!(
        v["credHelpers"]["a"], "y",
        "docker's choice: the last value"
    );
    // An unknown profile is refused before anything is written.
    let o = t.run(&[
        "docker",
        "install",
        "--registry",
        &hosts[0],
        "--profile",
        "nope",
    ]);
    assert_fails(&o, 3, "nope");
}

/// A registries record that is not a JSON object (a trailing comma, an array) is refused
/// before anything changes: the record, the docker config and the helper place stay as they
/// were (it used to be replaced by a one-entry file, exit 0).
/// `docker install --registry fra.ocir.io --dir <dir>` and `extra`.
fn docker_install(t: &TestEnv, dir: &Path, extra: &[&str]) -> Output {
    t.cmd()
        .args(["docker", "install", "--registry", "fra.ocir.io", "--dir"])
        .arg(dir)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn a_broken_registries_record_is_refused_and_left_as_it_is() {
    let ocir = FakeOcir::start();
    let t = registry_env(&ocir);
    let dir = t.path("helpers");
    let cfg = t.path(".docker/config.json");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::write(&cfg, "{}\n").unwrap();
    let reg = t.path(".oci/oci-token-registries.json");
    for broken in [
        "{\n  \"iad.ocir.io\": {\"profile\": \"a\"},\n}\n",
        "[{\"iad.ocir.io\": {}}]\n",
        "{\"iad.ocir.io\": ",
    ] {
        std::fs::write(&reg, broken).unwrap();
        let o = docker_install(&t, &dir, &["--profile", "p"]);
        assert_fails(&o, 3, "oci-token-registries.json");
        assert!(stderr(&o).contains("nothing was changed"), "{}", stderr(&o));
        assert_eq!(std::fs::read_to_string(&reg).unwrap(), broken);
        assert_eq!(std::fs::read_to_string(&cfg).unwrap(), "{}\n");
        assert!(!dir.exists(), "the helper was linked anyway");
    }
    // An empty record is an empty object.
    std::fs::write(&reg, "").unwrap();
    let o = docker_install(&t, &dir, &["--profile", "p"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&reg).unwrap()).unwrap();
    assert_eq!(v["fra.ocir.io"]["profile"], "p");
}

/// A docker config that is a dangling link, or a link to a device, is named as what it is
/// (they were reported as "replaced by a symlink" and as a lock-file permission error), and
/// nothing is made beside the device.
#[test]
#[cfg_attr(windows, ignore = "Unix: symlinks and /dev/zero")]
fn a_docker_config_that_is_a_dangling_link_or_a_device_is_named() {
    #[cfg(unix)]
    {
        let ocir = FakeOcir::start();
        let t = registry_env(&ocir);
        let dir = t.path("helpers");
        let cfg = t.path(".docker/config.json");
        std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
        let install = |t: &TestEnv| docker_install(t, &dir, &[]);
        std::os::unix::fs::symlink(t.path("nowhere.json"), &cfg).unwrap();
        let o = install(&t);
        assert_fails(&o, 3, "which does not exist");
        assert!(
            std::fs::symlink_metadata(&cfg)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        std::fs::remove_file(&cfg).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &cfg).unwrap();
        let o = install(&t);
        assert_fails(&o, 3, "is a device, not a regular file");
        assert!(!Path::new("/dev/zero.lock").exists());
    }
}

/// Two `credHelpers` objects in one docker config: docker's decoder merges them, and so
/// does `docker install` (it kept only the second, dropping the first one's helpers), and
/// its warning says so.
#[test]
fn repeated_cred_helpers_objects_are_merged_as_docker_does() {
    let ocir = FakeOcir::start();
    let t = registry_env(&ocir);
    let dir = t.path("helpers");
    let cfg = t.path(".docker/config.json");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::write(
        &cfg,
        r#"{"credHelpers":{"gcr.io":"gcloud","x.io":"old"},"auths":{},"credHelpers":{"x.io":"new","ecr.io":"ecr-login"}}"#,
    )
    .unwrap();
    let o = docker_install(&t, &dir, &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("docker merges a repeated top-level object"),
        "{}",
        stderr(&o)
    );
    let merged =
        oci_token::commands::docker::parse_docker_config(&std::fs::read_to_string(&cfg).unwrap())
            .unwrap();
    let helpers = &merged["credHelpers"];
    assert_eq!(
        helpers["gcr.io"], "gcloud",
        "the first object's helper is kept"
    );
    assert_eq!(helpers["ecr.io"], "ecr-login");
    assert_eq!(
        helpers["x.io"], "new",
        "a key in both takes the later value"
    );
    assert_eq!(helpers["fra.ocir.io"], "oci-token");
}

/// A docker config of 15 MiB (tens of thousands of registries) is edited in a few seconds
/// even by the debug build, keeping every entry; one over the 16 MiB cap is refused at once
/// and left byte-identical (the attack run's "20 MB takes 14 s").
#[test]
fn a_huge_docker_config_is_edited_quickly_or_refused_at_once() {
    let t = TestEnv::new();
    let dir = t.path("helpers");
    let cfg = t.path(".docker/config.json");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    let config = |n: usize| {
        let auths: serde_json::Map<String, serde_json::Value> = (0..n)
            .map(|i| {
                (
                    format!("reg{i}.example.com"),
                    serde_json::json!({ "auth": "x".repeat(200) }),
                )
            })
            .collect();
        serde_json::json!({ "auths": auths }).to_string()
    };
    let big = config(65_000);
    assert!((14 << 20..16 << 20).contains(&big.len()), "{}", big.len());
    std::fs::write(&cfg, &big).unwrap();
    let started = std::time::Instant::now();
    let o = docker_install(&t, &dir, &[]);
    let took = started.elapsed();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        took < std::time::Duration::from_secs(10 * u64::from(time_scale())),
        "{took:?}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cfg).unwrap()).unwrap();
    assert_eq!(v["credHelpers"]["fra.ocir.io"], "oci-token");
    assert_eq!(v["auths"].as_object().unwrap().len(), 65_000);

    let huge = config(80_000);
    assert!(huge.len() > 16 << 20);
    std::fs::write(&cfg, &huge).unwrap();
    let started = std::time::Instant::now();
    let o = docker_install(&t, &dir, &[]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert!(stderr(&o).contains("larger than 16 MiB"), "{}", stderr(&o));
    assert!(started.elapsed() < std::time::Duration::from_secs(5 * u64::from(time_scale())));
    assert_eq!(
        std::fs::read_to_string(&cfg).unwrap(),
        huge,
        "left as it was"
    );
}
