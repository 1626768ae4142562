//! The one token cache (`credential/cache.rs`) under attack: whose token an entry holds, and
//! a cache root in a directory another user can write (a shared `XDG_CACHE_HOME` or
//! `OCI_TOKEN_CACHE_DIR`). Every test here failed before the cache was unified.

// Some helpers serve only the Unix-only tests.
#![cfg_attr(windows, allow(unused_imports, dead_code))]

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::fake_auth::FakeAuth;
use crate::support::fake_ocir::FakeOcir;
use crate::support::*;

/// A service-account token as Kubernetes projects it: a JWT naming its issuer and subject.
fn sa_token(name: &str) -> String {
    use base64::Engine as _;
    let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let claims = serde_json::json!({
        "iss": "https://kubernetes.default.svc.cluster.local",
        "sub": format!("system:serviceaccount:apps:{name}"),
        "aud": ["https://kubernetes.default.svc.cluster.local"],
        "exp": now() + 3600,
    });
    format!(
        "{}.{}.c2lnbmF0dXJl",
        e(r#"{"alg":"RS256","kid":"k"}"#),
        e(&claims.to_string())
    )
}

fn workload(t: &TestEnv, auth: &FakeAuth, sa: &str) -> Output {
    t.cmd()
        .env("OCI_TOKEN_OKE_PROXYMUX_URL", &auth.url)
        .env("OCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_STRING", sa)
        .env("OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH", &auth.ca_path)
        .env("OCI_RESOURCE_PRINCIPAL_REGION", "us-ashburn-1")
        .args(["get", "--auth", "oke_workload_identity"])
        .output()
        .unwrap()
}

/// Two pods with different service accounts, one cache: each is served its own token.
#[test]
fn workload_tokens_are_cached_per_service_account() {
    let auth = FakeAuth::start();
    auth.ttl(1200);
    let (a, b) = (sa_token("frontend"), sa_token("billing"));
    auth.accept_service_account(&a);
    auth.accept_service_account(&b);
    let t = TestEnv::new();
    let first = workload(&t, &auth, &a);
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    let second = workload(&t, &auth, &b);
    assert_eq!(code(&second), 0, "{}", stderr(&second));
    assert_ne!(
        json(&first)["token"],
        json(&second)["token"],
        "service account B is not served A's token"
    );
    assert_eq!(json(&second)["refreshed"], true);
    assert_eq!(auth.count_of("/resourcePrincipalSessionTokens"), 2);
    // Each stays cached for its own account.
    let again = workload(&t, &auth, &a);
    assert_eq!(json(&again)["token"], json(&first)["token"]);
    assert_eq!(auth.count_of("/resourcePrincipalSessionTokens"), 2);
    auth.assert_all_verified();
}

/// A cache root that others can write, or that another user owns, is refused before
/// anything in it is read or written.
#[test]
fn a_cache_root_others_can_write_or_own_is_refused() {
    let auth = FakeAuth::start();
    auth.ttl(1200);
    let sa = sa_token("frontend");
    auth.accept_service_account(&sa);
    let shared = TestEnv::new();
    let root = shared.path("shared/oci-token");
    std::fs::create_dir_all(&root).unwrap();
    chmod(&root, 0o777);
    let t = TestEnv::new().env("OCI_TOKEN_CACHE_DIR", &root);
    // Unix: "group or others can write it"; Windows: "Everyone (S-1-1-0) can write it".
    assert_fails(&workload(&t, &auth, &sa), 3, "can write it");
    assert_eq!(auth.count_of("/resourcePrincipalSessionTokens"), 0);
    // Another owner and planted links (chown and symlinks: Unix only here).
    #[cfg(unix)]
    {
        chmod(&root, 0o755);
        std::os::unix::fs::chown(&root, Some(65534), None).unwrap();
        let o = workload(&t, &auth, &sa);
        assert_fails(&o, 3, "another user");
        // The way out is chown or a root of one's own: chmod is not this user's to run.
        assert!(stderr(&o).contains("sudo chown"), "{}", stderr(&o));
        assert!(!stderr(&o).contains("chmod"), "{}", stderr(&o));
        // XDG_CACHE_HOME in a shared directory: the same checks.
        let t = TestEnv::new().env("XDG_CACHE_HOME", shared.path("shared"));
        assert_fails(&workload(&t, &auth, &sa), 3, "another user");
        assert_eq!(auth.count_of("/resourcePrincipalSessionTokens"), 0);
        // A symlink another user planted as the root is not followed.
        let victim = TestEnv::new();
        victim.session(&SessionSpec::new("p", 3600));
        let planted = shared.path("planted");
        std::os::unix::fs::symlink(victim.path(".oci/sessions"), &planted).unwrap();
        rustix::fs::chownat(
            rustix::fs::CWD,
            &planted,
            Some(rustix::fs::Uid::from_raw(65534)),
            None,
            rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
        )
        .unwrap();
        let t = TestEnv::new().env("OCI_TOKEN_CACHE_DIR", &planted);
        assert_fails(&workload(&t, &auth, &sa), 3, "symlink made by another user");
        // The same link higher up the path: not followed either (it was: only the last
        // component was looked at).
        let t = TestEnv::new().env("XDG_CACHE_HOME", planted.join("sub"));
        assert_fails(&workload(&t, &auth, &sa), 3, "symlink made by another user");
        assert!(
            !victim.path(".oci/sessions/sub").exists(),
            "nothing was made through the link"
        );
        assert_eq!(auth.count_of("/resourcePrincipalSessionTokens"), 0);
    }
}

/// Another user swaps their `oci-token` entry in a shared (1777) `XDG_CACHE_HOME` between a
/// directory and a symlink to this user's `~/.oci/sessions` as fast as they can
/// (`renameat2(RENAME_EXCHANGE)`), while this user runs workload `get`s there. A check by
/// path followed by an open by path let one of them write an entry into
/// `~/.oci/sessions`; opening without following links and checking the opened directory
/// leaves nothing there, whatever the timing.
#[test]
#[cfg_attr(windows, ignore = "Unix: chown, symlinks and renameat2")]
fn a_root_swapped_for_a_symlink_mid_open_never_writes_through_it() {
    #[cfg(unix)]
    {
        use std::sync::atomic::{AtomicBool, Ordering};
        let auth = FakeAuth::start();
        auth.ttl(1200);
        let sa = sa_token("frontend");
        auth.accept_service_account(&sa);
        let victim = TestEnv::new();
        victim.session(&SessionSpec::new("p", 3600));
        let sessions = victim.path(".oci/sessions");
        let before: Vec<_> = std::fs::read_dir(&sessions)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        let shared = tempfile::TempDir::new().unwrap();
        chmod(shared.path(), 0o1777);
        let other = rustix::fs::Uid::from_raw(65534);
        // The attacker's two entries: a directory owned by the victim would be refused as
        // foreign, so the directory is the victim's own earlier cache root.
        let real = shared.path().join("oci-token");
        std::fs::create_dir(&real).unwrap();
        chmod(&real, 0o700);
        let link = shared.path().join("swap");
        std::os::unix::fs::symlink(&sessions, &link).unwrap();
        rustix::fs::chownat(
            rustix::fs::CWD,
            &link,
            Some(other),
            None,
            rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
        )
        .unwrap();
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let _ = rustix::fs::renameat_with(
                        rustix::fs::CWD,
                        &real,
                        rustix::fs::CWD,
                        &link,
                        rustix::fs::RenameFlags::EXCHANGE,
                    );
                }
            });
            let t = TestEnv::new().env("XDG_CACHE_HOME", shared.path());
            for _ in 0..40 {
                let o = workload(&t, &auth, &sa);
                assert!(matches!(code(&o), 0 | 3), "{}", stderr(&o));
            }
            stop.store(true, Ordering::Relaxed);
        });
        let after: Vec<_> = std::fs::read_dir(&sessions)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(after, before, "an entry was written into ~/.oci/sessions");
    }
}

/// An entry replaced by a symlink to this user's session directory: never read as a
/// principal token, never written through.
#[test]
#[cfg_attr(windows, ignore = "Unix: symlinks need a privilege on Windows")]
fn a_symlinked_entry_is_refused_not_followed() {
    #[cfg(unix)]
    {
        let auth = FakeAuth::start();
        auth.ttl(1200);
        let sa = sa_token("frontend");
        auth.accept_service_account(&sa);
        let t = TestEnv::new();
        t.session(&SessionSpec::new("p", 7200));
        let session_token = t.read_token("p");
        let o = workload(&t, &auth, &sa);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let entry = PathBuf::from(json(&o)["token_file"].as_str().unwrap())
            .parent()
            .unwrap()
            .to_owned();
        std::fs::remove_dir_all(&entry).unwrap();
        std::os::unix::fs::symlink(t.path(".oci/sessions/p"), &entry).unwrap();
        let o = workload(&t, &auth, &sa);
        assert_fails(&o, 3, "not a directory");
        assert!(!stdout(&o).contains(&session_token));
        assert_eq!(t.read_token("p"), session_token, "the session is untouched");
    }
}

/// The name of the OCIR cache entry the helper made under `root`.
fn ocir_entry(root: &Path) -> String {
    std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .find(|n| n.starts_with("ocir-"))
        .unwrap()
}

/// A registry token planted in a shared cache root is never served to docker, and `erase`
/// never follows a planted link to delete the victim's session token.
#[test]
#[cfg_attr(windows, ignore = "Unix: chown and symlinks")]
fn planted_registry_tokens_are_not_served_and_erase_follows_no_link() {
    #[cfg(unix)]
    {
        let ocir = FakeOcir::start();
        let mut victim = TestEnv::new()
            .env("OCI_CLI_CERT_BUNDLE", &ocir.ca_path)
            .env("OCI_TOKEN_OCIR_HOSTS", format!("{}=iad", ocir.host))
            .env("OCI_CLI_PROFILE", "p");
        victim.session(&SessionSpec::new("p", 3600));
        // Learn the entry name the victim's identity maps to (it does not depend on the root).
        let o = helper(&victim, "get", &ocir.host);
        assert_eq!(code(&o), 0, "{}", stdout(&o));
        let name = ocir_entry(&victim.cache_root());
        // The attacker's root, with a token planted under that name.
        let shared = TestEnv::new();
        let root = shared.path("oci-token");
        std::fs::create_dir_all(root.join(&name)).unwrap();
        let planted = format!(
            "{{\"token\":\"planted-by-mallory\",\"expires_at\":{}}}",
            now() + 3000
        );
        std::fs::write(root.join(&name).join("token"), planted).unwrap();
        for p in [
            root.clone(),
            root.join(&name),
            root.join(&name).join("token"),
        ] {
            std::os::unix::fs::chown(&p, Some(65534), None).unwrap();
        }
        victim.set_env("OCI_TOKEN_CACHE_DIR", &root);
        let o = helper(&victim, "get", &ocir.host);
        assert!(
            !stdout(&o).contains("planted-by-mallory"),
            "served a planted token: {}",
            stdout(&o)
        );
        assert_eq!(code(&o), 1, "{}", stdout(&o));
        assert!(stdout(&o).contains("another user"), "{}", stdout(&o));
        // erase with a planted link from the entry to the victim's session directory.
        std::fs::remove_dir_all(root.join(&name)).unwrap();
        std::os::unix::fs::chown(&root, Some(0), None).unwrap();
        chmod(&root, 0o777);
        std::os::unix::fs::symlink(victim.path(".oci/sessions/p"), root.join(&name)).unwrap();
        let before = victim.read_token("p");
        let o = helper(&victim, "erase", &ocir.host);
        assert_eq!(victim.read_token("p"), before, "the session token survives");
        assert_eq!(code(&o), 1, "refused: {}", stdout(&o));
        // The user's own, private cache works as before.
        victim.set_env("OCI_TOKEN_CACHE_DIR", victim.path(".cache/own"));
        let o = helper(&victim, "get", &ocir.host);
        assert_eq!(code(&o), 0, "{}", stdout(&o));
        assert!(ocir.issued(json(&o)["Secret"].as_str().unwrap()));
        assert_eq!(code(&helper(&victim, "erase", &ocir.host)), 0);
    }
}
