//! The fully static build (`x86_64-` or `aarch64-unknown-linux-musl`) runs with no libc: a
//! directory holding only the binary, a CA bundle, `/etc/hosts` and the session is the whole
//! root (`chroot`), and `get` (with a refresh), `refresh` and `kube` work against the
//! loopback stand-in, which verifies every signature. `.ci/run` builds the binary and sets
//! `OCI_TOKEN_STATIC_BIN`; `chroot` needs root, as CI has.

use crate::support::fake_auth::FakeAuth;
use crate::support::*;

#[test]
#[cfg_attr(
    windows,
    ignore = "Linux-only: needs the static Linux binary (the Windows build runs under Wine)"
)]
#[cfg_attr(
    all(unix, not(have_static_bin)),
    ignore = "no static binary: build --target x86_64-unknown-linux-musl and set OCI_TOKEN_STATIC_BIN (.ci/run does)"
)]
fn the_static_binary_runs_with_no_libc() {
    let bin = std::env::var("OCI_TOKEN_STATIC_BIN").expect("OCI_TOKEN_STATIC_BIN");
    let auth = FakeAuth::start();
    auth.ttl(3600);
    // The root: the TestEnv's home, holding nothing but what is copied in below.
    let t = TestEnv::new();
    let root = t.home.path().to_owned();
    t.session(&SessionSpec::new("p", 300)); // inside the refresh window
    // Paths as seen inside the root.
    let config = std::fs::read_to_string(t.config_path())
        .unwrap()
        .replace(&format!("{}/", root.display()), "/");
    std::fs::write(t.config_path(), config).unwrap();
    std::fs::copy(&bin, root.join("oci-token")).unwrap();
    std::fs::copy(&auth.ca_path, root.join("ca.pem")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/hosts"), "127.0.0.1 localhost\n").unwrap();
    let mut files: Vec<String> = walk(&root)
        .iter()
        .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    files.sort();
    assert!(
        files
            .iter()
            .all(|f| !f.contains("lib") && !f.ends_with(".so")),
        "no libc, no loader: {files:?}"
    );
    let run = |args: &[&str]| {
        std::process::Command::new(chroot())
            .arg(&root)
            .arg("/oci-token")
            .args(args)
            .env_clear()
            .env("HOME", "/")
            .env("OCI_TOKEN_AUTH_ENDPOINT", &auth.url)
            .env("OCI_CLI_CERT_BUNDLE", "/ca.pem")
            .output()
            .unwrap()
    };
    let o = run(&["--version"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // The static binary of the architecture these tests run on (x86_64, or aarch64 under
    // qemu-user in `.ci/run`'s arm64 section).
    let target = format!("{}-unknown-linux-musl", std::env::consts::ARCH);
    assert!(stdout(&o).contains(&target), "{}", stdout(&o));
    let before = t.read_token("p");
    let o = run(&["get", "--profile", "p"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&o)["refreshed"], true, "refreshed inside the window");
    assert_ne!(t.read_token("p"), before);
    let o = run(&["refresh", "--profile", "p"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let cluster = "ocid1.cluster.oc1.iad.aaaaaaaastatic";
    let o = run(&["kube", "--profile", "p", "--cluster-id", cluster]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let bearer = json(&o)["status"]["token"].as_str().unwrap().to_owned();
    crate::support::fake_k8s::verify_token(&bearer, cluster, "us-ashburn-1").unwrap();
    assert_eq!(auth.count(), 2, "get and refresh each sent one request");
    auth.assert_all_verified();
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// `chroot` by absolute path: the child's environment is cleared, PATH included.
fn chroot() -> &'static str {
    ["/usr/sbin/chroot", "/sbin/chroot", "/usr/bin/chroot"]
        .into_iter()
        .find(|p| std::path::Path::new(p).is_file())
        .expect("chroot (coreutils) is installed")
}
