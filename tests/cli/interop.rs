//! Side by side with the real oci CLI (PyPI `oci-cli`, installed by .ci/run): it accepts the
//! sessions `oci-token` writes, and `oci-token` reads the layout the oci CLI writes.

use std::path::PathBuf;
use std::process::Command;

use crate::support::fake_auth::FakeAuth;
use crate::support::*;

/// The `oci` executable: `OCI_CLI_BIN`, else `oci` on PATH. Under CI it must exist. Never
/// on Windows: the tests there run under Wine, and the oci CLI here is a Linux program (an
/// `OCI_CLI_BIN` inherited from the Linux side would resolve through Wine's `Z:` drive).
pub fn oci() -> Option<PathBuf> {
    if cfg!(windows) {
        eprintln!(
            "skipped: the oci CLI here is a Linux program; the Windows build runs under Wine"
        );
        return None;
    }
    let found = std::env::var_os("OCI_CLI_BIN")
        .map(PathBuf::from)
        .filter(|p| p.exists())
        .or_else(|| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join("oci"))
                    .find(|p| p.exists())
            })
        });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the oci CLI is missing under CI: .ci/run must install it"
        );
        eprintln!(
            "skipped: the oci CLI is not installed (pip install oci-cli, or set OCI_CLI_BIN)"
        );
    }
    found
}

pub fn oci_cmd(bin: &PathBuf, t: &TestEnv) -> Command {
    let mut c = Command::new(bin);
    c.env_clear()
        .env("HOME", t.home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LC_ALL", "C.UTF-8")
        .env("OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING", "True")
        .stdin(std::process::Stdio::null());
    c
}

/// `oci session validate --local --auth security_token` for `profile` in `t`'s config.
pub fn oci_validate_local(bin: &PathBuf, t: &TestEnv, profile: &str) -> std::process::Output {
    oci_cmd(bin, t)
        .args([
            "session",
            "validate",
            "--local",
            "--auth",
            "security_token",
            "--profile",
            profile,
            "--config-file",
        ])
        .arg(t.config_path())
        .output()
        .unwrap()
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
fn oci_cli_accepts_a_session_oci_token_refreshed() {
    let Some(bin) = oci() else { return };
    let auth = FakeAuth::start();
    let t = TestEnv::new().use_auth(&auth);
    // Already expired: only our refresh can make `oci session validate --local` pass.
    t.session(&SessionSpec::new("p", -30));
    let before = oci_validate_local(&bin, &t, "p");
    assert_ne!(
        before.status.code(),
        Some(0),
        "the expired session must fail first: {}",
        stderr(&before)
    );
    let o = t.run(&["refresh", "--profile", "p"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let after = oci_validate_local(&bin, &t, "p");
    assert_eq!(
        after.status.code(),
        Some(0),
        "oci rejected our session: {}{}",
        stdout(&after),
        stderr(&after)
    );
    assert!(
        stderr(&after).contains("Session is valid until"),
        "{}",
        stderr(&after)
    );
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
fn oci_token_reads_a_session_the_oci_cli_wrote() {
    let Some(bin) = oci() else { return };
    let auth = FakeAuth::start();
    let t = TestEnv::new().use_auth(&auth);
    // Build a session archive and let the real oci CLI install it (config + sessions dir).
    let archive_dir = tempfile::tempdir().unwrap();
    let n = now();
    // An hour-long token with 200 s left: inside the 15-minute window.
    let token = jwt::mint(&jwt::Claims::for_key(
        &key_pem(),
        n + 200 - 3600,
        n + 200,
        Some(n + 3600),
    ));
    let fp = std::fs::read_to_string(data("keys/fingerprint.txt")).unwrap();
    let script = format!(
        "import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED)\n\
z.writestr('config','[imp]\\nfingerprint = {fp}\\nkey_file = oci_api_key.pem\\ntenancy = {ten}\\nregion = us-ashburn-1\\nsecurity_token_file = token\\n\\n')\n\
z.writestr('token',sys.argv[2])\nz.writestr('oci_api_key.pem',open(sys.argv[3]).read()+'OCI_API_KEY')\nz.close()\n",
        fp = fp.trim(),
        ten = jwt::TENANCY
    );
    let zip = archive_dir.path().join("s.zip");
    let st = Command::new("python3")
        .args(["-c", &script])
        .arg(&zip)
        .arg(&token)
        .arg(data("keys/pkcs8.pem"))
        .status()
        .unwrap();
    assert!(st.success());
    let o = oci_cmd(&bin, &t)
        .args(["session", "import", "--session-archive"])
        .arg(&zip)
        .arg("--config-file")
        .arg(t.config_path())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "oci session import failed: {}{}",
        stdout(&o),
        stderr(&o)
    );
    // The oci CLI wrote config (no final newline), key with label, token, all 0600.
    let o = t.run(&["get", "--profile", "imp", "--refresh-window", "1m"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["token"], token);
    assert_eq!(v["fingerprint"], fp.trim());
    assert_eq!(
        v["key_file"],
        t.path(".oci/sessions/imp/oci_api_key.pem")
            .display()
            .to_string()
    );
    // And refreshing that layout works and keeps the oci CLI happy.
    let o = t.run(&["get", "--profile", "imp"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&o)["refreshed"], true);
    let o = oci_validate_local(&bin, &t, "imp");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    auth.assert_all_verified();
}
