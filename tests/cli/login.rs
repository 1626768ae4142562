//! `login` end to end: a real headless Chromium, a stand-in login service, oci-token's
//! loopback listener; and `login --no-browser` against the verifying fake auth service.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::support::fake_auth::FakeAuth;
use crate::support::fake_login::FakeLogin;
use crate::support::*;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

use crate::support::mode;

/// `$BROWSER` for most tests: tests/data/fake_browser.py, which follows the redirect and
/// posts the fragment back as the hand-back page's script does, quickly and with a log.
/// `browser_login_in_headless_chromium` does the same with the real browser.
struct Browser {
    command: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Browser {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("browser.log");
        Browser {
            command: format!("python3 {}", data("fake_browser.py").display()),
            log,
            _dir: dir,
        }
    }

    fn wait_log(&self, lines: usize) -> String {
        let start = Instant::now();
        loop {
            let text = std::fs::read_to_string(&self.log).unwrap_or_default();
            if text.lines().count() >= lines || start.elapsed() > Duration::from_secs(10) {
                return text;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// `oci-token login --profile-name web` against the stand-in login service.
fn login_web(
    t: &TestEnv,
    login_url: &str,
    region: &str,
    port: u16,
    timeout: &str,
) -> std::process::Output {
    t.cmd()
        .args([
            "login",
            "--profile-name",
            "web",
            "--region",
            region,
            "--login-endpoint",
            login_url,
        ])
        .args(["--port", &port.to_string(), "--timeout", timeout])
        .output()
        .unwrap()
}

const EXISTING: &str = "# my settings, kept byte for byte\n[DEFAULT]\nregion = eu-frankfurt-1 ; not a comment\n\n[work]\nuser=ocid1.user.oc1..w\n  continued\n";

#[test]
#[cfg_attr(windows, ignore = "the stand-in browser is a POSIX sh script")]
fn browser_login_end_to_end() {
    let login = FakeLogin::start(None);
    let browser = Browser::new();
    let t = TestEnv::new()
        .env("BROWSER", &browser.command)
        .env("FAKE_BROWSER_LOG", &browser.log);
    std::fs::write(t.config_path(), EXISTING).unwrap();
    let port = free_port();
    let o = login_web(&t, &login.url, "iad", port, "60s");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    assert_eq!(
        browser.wait_log(2),
        "page True\ntoken 200\n",
        "the hand-back page was served and answered"
    );
    // The login request carried the oci CLI's parameters in its order.
    let reqs = login.requests.lock().unwrap().clone();
    assert_eq!(reqs.len(), 1);
    let names: Vec<&str> = reqs[0].iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "action",
            "client_id",
            "response_type",
            "nonce",
            "scope",
            "public_key",
            "redirect_uri"
        ]
    );
    assert_eq!(reqs[0][2].1, "token id_token");
    assert_eq!(reqs[0][6].1, format!("http://localhost:{port}"));
    // The listener accepted the token once and is gone.
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "no second callback"
    );
    // Files as the oci CLI lays them out.
    let dir = t.path(".oci/sessions/web");
    assert_eq!(mode(&dir), 0o700);
    for f in ["oci_api_key.pem", "oci_api_key_public.pem", "token"] {
        assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
    }
    let key = std::fs::read_to_string(dir.join("oci_api_key.pem")).unwrap();
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----") && key.ends_with("-----\nOCI_API_KEY"));
    assert!(
        !std::fs::read_to_string(dir.join("token"))
            .unwrap()
            .ends_with('\n')
    );
    let config = std::fs::read_to_string(t.config_path()).unwrap();
    assert!(
        config.starts_with(EXISTING),
        "every other byte is kept:\n{config}"
    );
    assert!(config.contains("\n[web]\nfingerprint="), "{config}");
    assert!(config.contains(&format!(
        "region=us-ashburn-1\nsecurity_token_file={}\n",
        dir.join("token").display()
    )));
    // The session works with oci-token …
    let o = t.run(&["get", "--profile", "web"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        json(&o)["token"].as_str().unwrap(),
        std::fs::read_to_string(dir.join("token")).unwrap()
    );
    assert_eq!(
        code(&t.run(&["validate", "--profile", "web"])),
        0,
        "the token's jwk is the new key"
    );
    // … and with the real oci CLI.
    if let Some(oci) = crate::interop::oci() {
        let o = crate::interop::oci_validate_local(&oci, &t, "web");
        assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    }
}

#[test]
#[cfg_attr(windows, ignore = "the stand-in browser is a POSIX sh script")]
fn a_token_for_another_key_writes_nothing() {
    let login = FakeLogin::start(Some(other_key_pem()));
    let browser = Browser::new();
    let t = TestEnv::new()
        .env("BROWSER", &browser.command)
        .env("FAKE_BROWSER_LOG", &browser.log);
    std::fs::write(t.config_path(), EXISTING).unwrap();
    let port = free_port();
    let o = login_web(&t, &login.url, "us-ashburn-1", port, "60s");
    assert_eq!(code(&o), 5, "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let last = stderr(&o).lines().last().unwrap_or_default().to_owned();
    assert!(
        last.starts_with("oci-token: ") && last.contains("different key"),
        "{last}"
    );
    assert!(!t.path(".oci/sessions/web").exists());
    assert_eq!(std::fs::read_to_string(t.config_path()).unwrap(), EXISTING);
}

#[test]
fn port_in_use_and_timeout() {
    let t = TestEnv::new();
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let o = t.run(&[
        "login",
        "--no-open",
        "--profile-name",
        "x",
        "--region",
        "iad",
        "--port",
        &port,
    ]);
    assert_fails(&o, 5, "already in use");
    drop(busy);
    let start = Instant::now();
    let o = t.run(&[
        "login",
        "--no-open",
        "--profile-name",
        "x",
        "--region",
        "iad",
        "--port",
        &port,
        "--timeout",
        "2s",
    ]);
    assert!(start.elapsed() < Duration::from_secs(10));
    assert!(
        stderr(&o).contains("/v1/oauth2/authorize?action=login&client_id=iaas_console"),
        "{}",
        stderr(&o)
    );
    assert_eq!(code(&o), 4, "{}", stderr(&o));
    assert!(stderr(&o).contains("no login came back within 2s"));
    assert!(!t.config_path().exists() && !t.path(".oci/sessions").exists());
    assert_fails(
        &t.run(&["login", "--no-open", "--profile-name", "x"]),
        3,
        "--region",
    );
    assert_fails(
        &t.run(&[
            "login",
            "--no-open",
            "--profile-name",
            "../x",
            "--region",
            "iad",
        ]),
        3,
        "not a valid profile name",
    );
    assert_fails(
        &t.run(&[
            "login",
            "--no-open",
            "--profile-name",
            "x",
            "--region",
            "mars-1",
        ]),
        3,
        "is not an OCI region",
    );
}

#[test]
fn the_listener_is_loopback_only_and_takes_one_callback() {
    let t = TestEnv::new();
    let port = free_port();
    let child = spawn_login(&t, port);
    // Not reachable from a non-loopback address of this machine.
    let host_ips = std::process::Command::new("hostname")
        .arg("-I")
        .output()
        .map(|o| stdout(&o))
        .unwrap_or_default();
    match host_ips
        .split_whitespace()
        .find(|ip| !ip.starts_with("127.") && !ip.contains(':'))
    {
        Some(ip) => assert!(TcpStream::connect((ip, port)).is_err(), "listening on {ip}"),
        None => eprintln!(
            "note: no non-loopback IPv4 address here; only the loopback binding was checked"
        ),
    }
    // The hand-back page is served; a bogus token ends the login; nothing is written.
    let page = http_get(port, "/");
    assert!(
        page.contains("200 OK") && page.contains("XMLHttpRequest"),
        "{page}"
    );
    let answer = http_get(
        port,
        "/token?security_token=not-a-jwt&token_type=security_token",
    );
    assert!(answer.contains("200 OK"));
    let o = child.finish();
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(stderr(&o).contains("no usable token"), "{}", stderr(&o));
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "no second callback"
    );
    assert!(!t.config_path().exists());
}

/// Starts `login --no-open` on `port` and waits until its listener answers.
fn spawn_login(t: &TestEnv, port: u16) -> std::process::Child {
    let child = t
        .std_cmd()
        .args([
            "login",
            "--no-open",
            "--profile-name",
            "x",
            "--region",
            "iad",
            "--port",
            &port.to_string(),
            "--timeout",
            "20s",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn_retrying();
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the listener never came up"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read as _, Write as _};
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

fn api_key_profile(t: &TestEnv, auth: &FakeAuth) {
    let key = data("keys/pkcs8.pem");
    let fp = std::fs::read_to_string(data("keys/fingerprint.txt")).unwrap();
    t.append_config(&format!(
        "[api]\nuser={u}\nfingerprint={fp}\nkey_file={k}\ntenancy={ten}\nregion=us-ashburn-1\n\n",
        u = jwt::USER,
        fp = fp.trim(),
        k = key.display(),
        ten = jwt::TENANCY
    ));
    auth.register_api_key(
        &format!("{}/{}/{}", jwt::TENANCY, jwt::USER, fp.trim()),
        &key_pem(),
    );
}

#[test]
fn no_browser_login_with_an_api_key() {
    let auth = FakeAuth::start();
    let t = TestEnv::new().use_auth(&auth);
    api_key_profile(&t, &auth);
    let o = t.run(&[
        "login",
        "--no-browser",
        "--profile",
        "api",
        "--profile-name",
        "nb",
        "--session-expiration-in-minutes",
        "30",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    auth.assert_all_verified();
    let r = &auth.records()[0];
    assert_eq!(r.target, "/v1/token/upst/actions/GenerateUpst");
    assert!(r.header("authorization").unwrap().contains(&format!(
        "keyId=\"{}/{}/",
        jwt::TENANCY,
        jwt::USER
    )));
    assert!(
        r.body
            .starts_with("{\"publicKey\": \"-----BEGIN PUBLIC KEY-----\\n"),
        "{}",
        r.body
    );
    assert!(
        r.body
            .ends_with("-----END PUBLIC KEY-----\\n\", \"sessionExpirationInMinutes\": \"30\"}"),
        "{}",
        r.body
    );
    let o = t.run(&["get", "--profile", "nb"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let left = json(&o)["expires_in_seconds"].as_i64().unwrap();
    assert!((1700..=1800).contains(&left), "{left}");
    assert_eq!(code(&t.run(&["validate", "--profile", "nb"])), 0);
    // Bounds, with the oci CLI's texts.
    let o = t.run(&[
        "login",
        "--no-browser",
        "--profile",
        "api",
        "--profile-name",
        "x",
        "--session-expiration-in-minutes",
        "61",
    ]);
    assert_fails(&o, 2, "Session expiration cannot be longer than 60 minutes");
    let o = t.run(&[
        "login",
        "--no-browser",
        "--profile",
        "api",
        "--profile-name",
        "x",
        "--session-expiration-in-minutes",
        "4",
    ]);
    assert_fails(&o, 2, "Session expiration cannot be shorter than 5 minutes");
}

#[test]
fn no_browser_login_signed_by_a_session_and_with_the_users_public_key() {
    let auth = FakeAuth::start();
    let t = TestEnv::new().use_auth(&auth);
    t.session(&SessionSpec::new("p", 3600));
    let o = t.run(&[
        "login",
        "--no-browser",
        "--auth",
        "security_token",
        "--profile",
        "p",
        "--profile-name",
        "nb2",
        "--public-key-file-path",
        data("keys/public.pem").to_str().unwrap(),
        "--private-key-file-path",
        data("keys/pkcs8.pem").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    auth.assert_all_verified();
    assert!(
        auth.records()[0]
            .header("authorization")
            .unwrap()
            .contains("keyId=\"ST$")
    );
    let cfg = std::fs::read_to_string(t.config_path()).unwrap();
    assert!(
        cfg.contains(&format!("key_file={}\n", data("keys/pkcs8.pem").display())),
        "{cfg}"
    );
    let fp = std::fs::read_to_string(data("keys/fingerprint.txt")).unwrap();
    assert!(
        cfg.contains(&format!("[nb2]\nfingerprint={}\n", fp.trim())),
        "{cfg}"
    );
    assert!(
        !t.path(".oci/sessions/nb2/oci_api_key.pem").exists(),
        "the private key stays the user's"
    );
    assert_eq!(code(&t.run(&["validate", "--profile", "nb2"])), 0);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Linux-only: needs node (the Windows build runs under Wine)"
)]
#[cfg_attr(
    all(unix, not(have_node)),
    ignore = "node is not installed (apt-get install nodejs)"
)]
fn the_hand_back_page_script_delivers_the_fragment() {
    // The page's own JavaScript, run by node, against the real listener.
    let node = ["/usr/bin/node", "/usr/local/bin/node"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    let Some(node) = node else {
        assert!(
            std::env::var_os("CI").is_none(),
            "node is missing under CI: .ci/run must install it"
        );
        eprintln!("skipped: node is not installed");
        return;
    };
    let t = TestEnv::new();
    let port = free_port();
    let child = spawn_login(&t, port);
    // A well-formed token for another key: it must arrive intact to be recognised as such.
    let token = jwt::mint(&jwt::Claims::for_key(
        &other_key_pem(),
        now(),
        now() + 3600,
        None,
    ));
    let o = std::process::Command::new(node)
        .arg(data("run_hand_back_page.js"))
        .arg(port.to_string())
        .arg(format!("security_token={token}&token_type=security_token"))
        .output()
        .unwrap();
    assert_eq!(
        stdout(&o),
        "Login complete. You can close this window.\n",
        "{}",
        stderr(&o)
    );
    let o = child.finish();
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(stderr(&o).contains("different key"), "{}", stderr(&o));
    assert!(!t.config_path().exists());
}

/// Headless Chromium, if installed.
fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Linux-only: needs Chromium (the Windows build runs under Wine)"
)]
#[cfg_attr(
    all(unix, not(have_chromium)),
    ignore = "chromium is not installed (apt-get install chromium)"
)]
fn browser_login_in_headless_chromium() {
    // Chromium runs inside a private network namespace (only loopback), with the stand-in
    // login service and oci-token: it can reach nothing outside this test.
    let Some(_) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is missing under CI: .ci/run must install it"
        );
        eprintln!("skipped: chromium is not installed");
        return;
    };
    let netns = std::process::Command::new("unshare")
        .args(["--net", "true"])
        .status();
    if !netns.is_ok_and(|s| s.success()) {
        assert!(
            std::env::var_os("CI").is_none(),
            "unshare --net is not available under CI"
        );
        eprintln!("skipped: cannot create a network namespace (unshare --net) to run Chromium in");
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let o = std::process::Command::new("unshare")
        .args(["--net", "sh", "-c", "ip link set lo up && exec \"$0\" --exact login::chromium_inside_a_network_namespace --ignored --nocapture"])
        .arg(&exe)
        .output()
        .unwrap();
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(o.status.success(), "{all}");
    assert!(
        all.contains("test login::chromium_inside_a_network_namespace ... ok"),
        "{all}"
    );
}

#[test]
#[ignore = "run by browser_login_in_headless_chromium inside a private network namespace"]
fn chromium_inside_a_network_namespace() {
    let chromium = chromium().unwrap();
    let login = FakeLogin::start(None);
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("browser.sh");
    let pidfile = dir.path().join("pid");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho $$ > {pid}\nexec {chromium} --headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync --disable-breakpad --disable-crash-reporter --host-resolver-rules='MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1' --user-data-dir={dir}/profile \"$1\" >{dir}/chromium.log 2>&1\n",
            pid = pidfile.display(),
            chromium = chromium.display(),
            dir = dir.path().display()
        ),
    )
    .unwrap();
    crate::support::chmod(&script, 0o755);
    let t = TestEnv::new().env("BROWSER", &script);
    let port = free_port();
    let o = login_web(&t, &login.url, "iad", port, "25s");
    // Stop Chromium and wait for it before its profile directory goes away.
    if let Ok(pid) = std::fs::read_to_string(&pidfile) {
        let pid = pid.trim().to_owned();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        let start = Instant::now();
        while std::path::Path::new(&format!("/proc/{pid}")).exists()
            && start.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let chromium_log: String = std::fs::read_to_string(dir.path().join("chromium.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.contains("dbus"))
        .collect::<Vec<_>>()
        .join("\n");
    let seen = login.requests.lock().unwrap().len();
    assert_eq!(
        code(&o),
        0,
        "{}\nlogin requests: {seen}\nchromium:\n{chromium_log}",
        stderr(&o)
    );
    assert_eq!(login.requests.lock().unwrap().len(), 1);
    let token = std::fs::read_to_string(t.path(".oci/sessions/web/token")).unwrap();
    assert_eq!(
        json(&t.run(&["get", "--profile", "web"]))["token"]
            .as_str()
            .unwrap(),
        token
    );
    assert_eq!(code(&t.run(&["validate", "--profile", "web"])), 0);
    if let Some(oci) = crate::interop::oci() {
        let o = crate::interop::oci_validate_local(&oci, &t, "web");
        assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    }
}
