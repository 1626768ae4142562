//! `oci-token kube` and `oci-token kubeconfig`, end to end with the real kubectl against a
//! stand-in API server that verifies every OKE token's signature.

use assert_fs::TempDir;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::fake_k8s::FakeK8s;
use crate::support::*;

const CLUSTER: &str = "ocid1.cluster.oc1.iad.aaaaaaaaexample";

fn kubectl() -> Option<std::path::PathBuf> {
    let found = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"]
        .into_iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "kubectl is missing under CI: .ci/run must install it"
        );
        eprintln!("skipped: kubectl is not installed");
    }
    found
}

/// Runs kubectl with the test's HOME and a PATH on which `oci-token` is found.
fn run_kubectl(t: &TestEnv, kubeconfig: &std::path::Path, args: &[&str]) -> Output {
    let bin = kubectl().unwrap();
    let path = format!(
        "{}:{}",
        crate::support::fake_k8s::path_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut c = Command::new(bin);
    c.env_clear()
        .env("HOME", t.home.path())
        .env("PATH", path)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args);
    for (k, v) in &t.vars {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn exec_block(api: &str, command: &str, extra: &str) -> String {
    format!(
        "      apiVersion: client.authentication.k8s.io/{api}\n      command: {command}\n      args:\n      - kube\n      - --cluster-id\n      - {CLUSTER}\n      - --region\n      - us-ashburn-1\n      - --profile\n      - p\n{extra}"
    )
}

#[test]
fn kube_prints_a_v1beta1_exec_credential_by_default_and_v1_when_asked() {
    let t = TestEnv::new();
    let token = t.session(&SessionSpec::new("p", 3600));
    let o = t.run(&["kube", "--profile", "p", "--cluster-id", CLUSTER]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["apiVersion"], "client.authentication.k8s.io/v1beta1");
    assert_eq!(v["kind"], "ExecCredential");
    let bearer = v["status"]["token"].as_str().unwrap();
    crate::support::fake_k8s::verify_token(bearer, CLUSTER, "us-ashburn-1").unwrap();
    assert!(
        crate::support::fake_k8s::verify_token(
            bearer,
            "ocid1.cluster.oc1.iad.other",
            "us-ashburn-1"
        )
        .is_err(),
        "the verifier must reject another cluster"
    );
    // The session token is inside, as keyId ST$<token>.
    let url = String::from_utf8(
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE, bearer).unwrap(),
    )
    .unwrap();
    assert!(url.contains(&oci_token::encoding::quote_plus(&format!("ST${token}"))));
    let exp: jiff::Timestamp = v["status"]["expirationTimestamp"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let left = exp.as_second() - now();
    assert!((230..=240).contains(&left), "about 4 minutes: {left}");

    let t = t.env(
        "KUBERNETES_EXEC_INFO",
        r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}"#,
    );
    let o = t.run(&[
        "kube",
        "--profile",
        "p",
        "--cluster-id",
        CLUSTER,
        "--region",
        "IAD",
    ]);
    assert_eq!(json(&o)["apiVersion"], "client.authentication.k8s.io/v1");
    crate::support::fake_k8s::verify_token(
        json(&o)["status"]["token"].as_str().unwrap(),
        CLUSTER,
        "us-ashburn-1",
    )
    .unwrap();
}

#[test]
fn kube_expiry_never_outlives_the_session_token() {
    let t = TestEnv::new();
    t.session(&SessionSpec::new("p", 120));
    let o = t.run(&[
        "kube",
        "--profile",
        "p",
        "--cluster-id",
        CLUSTER,
        "--refresh-window",
        "1m",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let exp: jiff::Timestamp = json(&o)["status"]["expirationTimestamp"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let left = exp.as_second() - now();
    assert!((110..=120).contains(&left), "capped by the session: {left}");
}

#[test]
fn kube_fails_with_one_line_and_nothing_on_stdout() {
    let t = TestEnv::new();
    let mut spec = SessionSpec::new("p", -7200);
    spec.sess_exp_in = Some(-60);
    t.session(&spec);
    assert_fails(
        &t.run(&["kube", "--profile", "p", "--cluster-id", CLUSTER]),
        4,
        "profile 'p'",
    );
    assert_fails(
        &t.run(&["kube", "--profile", "p", "--cluster-id", "../etc"]),
        3,
        "not a cluster OCID",
    );
    let t = t.env(
        "KUBERNETES_EXEC_INFO",
        r#"{"apiVersion":"client.authentication.k8s.io/v1alpha1"}"#,
    );
    assert_fails(
        &t.run(&["kube", "--profile", "q", "--cluster-id", CLUSTER]),
        3,
        "v1alpha1",
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Linux-only: needs kubectl (the Windows build runs under Wine)"
)]
#[cfg_attr(
    all(unix, not(have_kubectl)),
    ignore = "kubectl is not installed (apt-get install kubernetes-client)"
)]
fn kubectl_accepts_v1_and_v1beta1_kubeconfigs() {
    if kubectl().is_none() {
        return;
    }
    let k8s = FakeK8s::start(CLUSTER, "us-ashburn-1");
    let t = TestEnv::new();
    t.session(&SessionSpec::new("p", 3600));
    for (api, extra) in [("v1", "      interactiveMode: Never\n"), ("v1beta1", "")] {
        let cfg = t.path(&format!("kubeconfig-{api}"));
        std::fs::write(&cfg, k8s.kubeconfig(&exec_block(api, "oci-token", extra))).unwrap();
        let o = run_kubectl(&t, &cfg, &["get", "--raw", "/api/v1/namespaces"]);
        assert_eq!(code(&o), 0, "{api}: {}{}", stdout(&o), stderr(&o));
        assert!(
            stdout(&o).contains(&format!("verified-{CLUSTER}")),
            "{api}: {}",
            stdout(&o)
        );
    }
    assert!(k8s.rejected().is_empty(), "rejected: {:?}", k8s.rejected());
    assert!(
        k8s.verified() >= 2,
        "every kubectl request carried a verified token"
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Linux-only: needs kubectl (the Windows build runs under Wine)"
)]
#[cfg_attr(
    all(unix, not(have_kubectl)),
    ignore = "kubectl is not installed (apt-get install kubernetes-client)"
)]
fn kubectl_with_a_kubeconfig_converted_by_oci_token() {
    if kubectl().is_none() {
        return;
    }
    let k8s = FakeK8s::start(CLUSTER, "us-ashburn-1");
    let t = TestEnv::new();
    t.session(&SessionSpec::new("p", 3600));
    // What `oci ce cluster create-kubeconfig --with-auth-context` writes for a session user.
    let original = k8s.kubeconfig(&format!(
        "      apiVersion: client.authentication.k8s.io/v1beta1\n      args:\n      - ce\n      - cluster\n      - generate-token\n      - --cluster-id\n      - {CLUSTER}\n      - --region\n      - us-ashburn-1\n      - --auth\n      - security_token\n      - --profile\n      - p\n      command: oci\n      env: []\n"
    ));
    let cfg = t.path(".kube/config");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::write(&cfg, &original).unwrap();

    let o = t.run(&["kubeconfig", "--dry-run"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("command: oci-token"));
    assert_eq!(
        std::fs::read_to_string(&cfg).unwrap(),
        original,
        "--dry-run writes nothing"
    );

    let o = t.run(&["kubeconfig", "--command", BIN]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("1 user(s)"), "{}", stderr(&o));
    let converted = std::fs::read_to_string(&cfg).unwrap();
    let (before, after) = (
        original.split("    exec:\n").next().unwrap(),
        converted.split("    exec:\n").next().unwrap(),
    );
    assert_eq!(
        before, after,
        "everything before the exec block is byte-identical"
    );

    let view = run_kubectl(
        &t,
        &cfg,
        &[
            "config",
            "view",
            "-o",
            "jsonpath={.users[0].user.exec.interactiveMode} {.users[0].user.exec.apiVersion} {.users[0].user.exec.args}",
        ],
    );
    assert_eq!(
        stdout(&view),
        format!(
            "Never client.authentication.k8s.io/v1 [\"kube\",\"--cluster-id\",\"{CLUSTER}\",\"--region\",\"us-ashburn-1\",\"--profile\",\"p\",\"--auth\",\"security_token\"]"
        )
    );
    let o = run_kubectl(&t, &cfg, &["get", "--raw", "/api/v1/namespaces"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(k8s.rejected().is_empty(), "rejected: {:?}", k8s.rejected());
    assert!(k8s.verified() >= 1);

    // A second run finds nothing to convert and leaves the file alone.
    let o = t.run(&["kubeconfig"]);
    assert!(stderr(&o).contains("nothing changed"));
    assert_eq!(std::fs::read_to_string(&cfg).unwrap(), converted);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Linux-only: needs kubectl (the Windows build runs under Wine)"
)]
#[cfg_attr(
    all(unix, not(have_kubectl)),
    ignore = "kubectl is not installed (apt-get install kubernetes-client)"
)]
fn kubectl_is_refused_for_another_cluster() {
    if kubectl().is_none() {
        return;
    }
    let k8s = FakeK8s::start("ocid1.cluster.oc1.iad.theotherone", "us-ashburn-1");
    let t = TestEnv::new();
    t.session(&SessionSpec::new("p", 3600));
    let cfg = t.path("kubeconfig");
    std::fs::write(
        &cfg,
        k8s.kubeconfig(&exec_block(
            "v1",
            "oci-token",
            "      interactiveMode: Never\n",
        )),
    )
    .unwrap();
    let o = run_kubectl(&t, &cfg, &["get", "--raw", "/api/v1/namespaces"]);
    assert_ne!(code(&o), 0);
    assert_eq!(k8s.verified(), 0);
    assert!(!k8s.rejected().is_empty());
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Linux-only: needs kubectl (the Windows build runs under Wine)"
)]
#[cfg_attr(
    all(unix, not(have_kubectl)),
    ignore = "kubectl is not installed (apt-get install kubernetes-client)"
)]
fn an_ended_session_fails_fast_even_on_a_terminal() {
    if kubectl().is_none() {
        return;
    }
    let k8s = FakeK8s::start(CLUSTER, "us-ashburn-1");
    let t = TestEnv::new();
    let mut spec = SessionSpec::new("p", -7200);
    spec.sess_exp_in = Some(-60);
    t.session(&spec);
    // v1beta1 without interactiveMode: kubectl hands the terminal to the plugin (IfAvailable).
    let cfg = t.path("kubeconfig");
    std::fs::write(
        &cfg,
        k8s.kubeconfig(&exec_block("v1beta1", "oci-token", "")),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        crate::support::fake_k8s::path_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let inner = format!(
        "{} --kubeconfig {} get --raw /api/v1/namespaces",
        kubectl().unwrap().display(),
        cfg.display()
    );
    let start = Instant::now();
    // `script` runs kubectl on a pseudo-terminal; stdin stays open and is never written.
    let mut child = Command::new("script")
        .args(["-qec", &inner, "/dev/null"])
        .env_clear()
        .env("HOME", t.home.path())
        .env("PATH", path)
        .env("TERM", "dumb")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn_retrying();
    let _stdin = child.stdin.take();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("kubectl hung on the terminal");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let o = child.finish();
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert_ne!(code(&o), 0, "{all}");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
    assert!(
        all.contains("oci-token: profile 'p': the session ended"),
        "{all}"
    );
    assert!(
        all.contains("oci session authenticate --profile-name p"),
        "{all}"
    );
    assert_eq!(
        k8s.seen.lock().unwrap().len(),
        0,
        "no request reached the API server"
    );
}

/// The `kube-*` entries under `root`, each with the bytes of its token file.
fn kube_entries(root: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
    let mut out: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("kube-")
        })
        .map(|p| {
            let token = std::fs::read_to_string(p.join("token")).unwrap();
            (p, token)
        })
        .collect();
    out.sort();
    out
}

fn kube_token(t: &TestEnv, cluster: &str) -> String {
    let o = t.run(&["kube", "--profile", "p", "--cluster-id", cluster]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let token = json(&o)["status"]["token"].as_str().unwrap().to_owned();
    crate::support::fake_k8s::verify_token(&token, cluster, "us-ashburn-1").unwrap();
    token
}

/// kubectl execs `kube` for every command. A token is signed once and then served from the
/// one cache while it has a minute left; one entry per cluster and profile; a refreshed or
/// new session (another signing identity) never gets the old token; a token with under a
/// minute left, or garbled, is signed again.
#[test]
fn kube_serves_a_cached_token_only_to_the_identity_that_signed_it() {
    let root = TempDir::new().unwrap();
    let t = TestEnv::new().env("OCI_TOKEN_CACHE_DIR", root.path());
    t.session(&SessionSpec::new("p", 3600));
    let first = kube_token(&t, CLUSTER);
    // The token names the time it was signed (seconds): a second later a new signature
    // would differ.
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(kube_token(&t, CLUSTER), first, "served from the cache");
    let entries = kube_entries(root.path());
    assert_eq!(entries.len(), 1);
    assert!(entries[0].1.contains(&first));
    #[cfg(unix)]
    assert_eq!(mode(&entries[0].0.join("token")) & 0o777, 0o600);

    let other = "ocid1.cluster.oc1.iad.bbbbbbbbother";
    let second = kube_token(&t, other);
    assert_ne!(second, first);
    assert_eq!(kube_entries(root.path()).len(), 2, "one entry per cluster");

    // A new login into the same profile: another session token, so another signer.
    let n = now();
    let new_session = crate::support::jwt::mint(&crate::support::jwt::Claims::for_key(
        &key_pem(),
        n - 60,
        n + 3000,
        None,
    ));
    std::fs::write(t.path(".oci/sessions/p/token"), &new_session).unwrap();
    let third = kube_token(&t, CLUSTER);
    assert_ne!(
        third, first,
        "the old session's token is not served to the new one"
    );
    let url = String::from_utf8(
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE, &third).unwrap(),
    )
    .unwrap();
    assert!(url.contains(&oci_token::encoding::quote_plus(&format!(
        "ST${new_session}"
    ))));
    assert_eq!(
        kube_entries(root.path()).len(),
        2,
        "replaced in place: entries do not pile up as sessions change"
    );

    // Under a minute left: signed again. Garbled: signed again, without an error.
    let entry = kube_entries(root.path())
        .into_iter()
        .find(|(_, text)| text.contains(&third))
        .unwrap();
    let mut cached: serde_json::Value = serde_json::from_str(&entry.1).unwrap();
    cached["expires_at"] = (now() + 30).into();
    std::fs::write(entry.0.join("token"), cached.to_string()).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let fourth = kube_token(&t, CLUSTER);
    assert_ne!(fourth, third, "30 s left is too little for kubectl");
    std::fs::write(entry.0.join("token"), "{not json").unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let fifth = kube_token(&t, CLUSTER);
    assert_ne!(fifth, fourth);
    assert!(
        std::fs::read_to_string(entry.0.join("token"))
            .unwrap()
            .contains(&fifth)
    );
}

/// `kube` never fails for want of a cache: a cache root that cannot be made (its parent is
/// a file), or one another user could write, is left alone; the token is signed for the
/// call and a warning says why.
#[test]
fn kube_signs_without_a_cache_it_cannot_use() {
    let holder = TempDir::new().unwrap();
    std::fs::write(holder.path().join("a-file"), "x").unwrap();
    let under_a_file = holder.path().join("a-file").join("cache");
    #[cfg(unix)]
    let roots = {
        let open = holder.path().join("open");
        std::fs::create_dir(&open).unwrap();
        chmod(&open, 0o777);
        vec![under_a_file, open]
    };
    #[cfg(not(unix))]
    let roots = vec![under_a_file];
    for root in roots {
        let t = TestEnv::new().env("OCI_TOKEN_CACHE_DIR", &root);
        t.session(&SessionSpec::new("p", 3600));
        let o = t.run(&["kube", "--profile", "p", "--cluster-id", CLUSTER]);
        assert_eq!(code(&o), 0, "{}: {}", root.display(), stderr(&o));
        let token = json(&o)["status"]["token"].as_str().unwrap().to_owned();
        crate::support::fake_k8s::verify_token(&token, CLUSTER, "us-ashburn-1").unwrap();
        assert!(
            stderr(&o).contains("the OKE token is not cached"),
            "{}",
            stderr(&o)
        );
        if root.is_dir() {
            assert_eq!(
                std::fs::read_dir(&root).unwrap().count(),
                0,
                "nothing written into a cache root others can write"
            );
        }
    }
}
