//! Test harness: a temporary OCI home, session minting, the real binary, a fake auth service.

pub mod child;
pub mod fake_auth;
pub mod fake_domain;
pub mod fake_imds;
pub mod fake_k8s;
pub mod fake_login;
pub mod fake_ocir;
pub mod fake_oidc;
pub mod http1;
pub mod jwt;
pub mod op;
pub mod proxy;
pub mod tls;

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_fs::TempDir;
pub use child::{Finish, Spawn};

pub const BIN: &str = env!("CARGO_BIN_EXE_oci-token");

/// The session key fixture (PKCS#8) and another, unrelated key.
/// Makes a FIFO at `path` with mkfifo(1) (rustix has no `mknodat` on macOS).
#[cfg(unix)]
pub fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

/// How much slower than native this run is: `OCI_TOKEN_TEST_TIME_SCALE` (`.ci/run` sets 5
/// for the arm64 suite under qemu-user), else 1. Wall-time bounds that tell a linear from a
/// quadratic algorithm, and windows that assume how fast processes start, are multiplied by
/// it; bounds that only catch a hang are not.
pub fn time_scale() -> u32 {
    std::env::var("OCI_TOKEN_TEST_TIME_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|s| (1..=100).contains(s))
        .unwrap_or(1)
}

pub fn key_pem() -> String {
    std::fs::read_to_string(data("keys/pkcs8.pem")).unwrap()
}
pub fn other_key_pem() -> String {
    std::fs::read_to_string(data("keys/other.pem")).unwrap()
}

pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// What a test session looks like.
#[derive(Clone, Debug)]
pub struct SessionSpec {
    pub profile: String,
    /// Seconds from now.
    pub exp_in: i64,
    pub sess_exp_in: Option<i64>,
    pub region: String,
    /// Append `OCI_API_KEY` after the PEM, as the oci CLI does.
    pub key_label: bool,
}

impl SessionSpec {
    pub fn new(profile: &str, exp_in: i64) -> Self {
        SessionSpec {
            profile: profile.into(),
            exp_in,
            sess_exp_in: Some(20 * 3600),
            region: "us-ashburn-1".into(),
            key_label: true,
        }
    }
}

/// A temporary home with `~/.oci`, and a way to run the binary in it with a clean environment.
pub struct TestEnv {
    pub home: TempDir,
    pub vars: Vec<(String, String)>,
}

impl TestEnv {
    pub fn new() -> Self {
        // Every child a test starts is watched for a fork that never reaches its exec.
        child::watch();
        let home = TempDir::new().unwrap();
        std::fs::create_dir_all(home.path().join(".oci")).unwrap();
        TestEnv {
            home,
            vars: Vec::new(),
        }
    }

    /// `rel` (with `/`) under the home, joined component by component (so a Windows path
    /// has `\\` throughout, as the binary prints it).
    pub fn path(&self, rel: &str) -> PathBuf {
        rel.split('/')
            .fold(self.home.path().to_owned(), |p, c| p.join(c))
    }

    pub fn config_path(&self) -> PathBuf {
        self.path(".oci/config")
    }

    pub fn env(mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) -> Self {
        self.vars
            .push((k.into(), v.as_ref().to_string_lossy().into_owned()));
        self
    }

    pub fn set_env(&mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) {
        self.vars
            .push((k.into(), v.as_ref().to_string_lossy().into_owned()));
    }

    /// Appends raw text to `~/.oci/config`.
    pub fn append_config(&self, text: &str) {
        use std::io::Write as _;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.config_path())
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    /// Writes a session laid out as `oci session authenticate` leaves it; returns the token.
    pub fn session(&self, spec: &SessionSpec) -> String {
        self.session_with_key(spec, &key_pem())
    }

    pub fn session_with_key(&self, spec: &SessionSpec, key: &str) -> String {
        let dir = self.path(&format!(".oci/sessions/{}", spec.profile));
        std::fs::create_dir_all(&dir).unwrap();
        let key_path = dir.join("oci_api_key.pem");
        let mut key_text = key.to_owned();
        if spec.key_label {
            key_text.push_str("OCI_API_KEY");
        }
        std::fs::write(&key_path, key_text).unwrap();
        chmod(&key_path, 0o600);
        let n = now();
        // Like a real UPST: issued an hour before it expires (so `exp_in` is what is left).
        let token = jwt::mint(&jwt::Claims::for_key(
            key,
            n + spec.exp_in - 3600,
            n + spec.exp_in,
            spec.sess_exp_in.map(|s| n + s),
        ));
        std::fs::write(dir.join("token"), &token).unwrap();
        let fp = std::fs::read_to_string(data("keys/fingerprint.txt")).unwrap();
        self.append_config(&format!(
            "[{p}]\nfingerprint={fp}\nkey_file={k}\ntenancy={t}\nregion={r}\nsecurity_token_file={tf}\n\n",
            p = spec.profile,
            fp = fp.trim(),
            k = key_path.display(),
            t = jwt::TENANCY,
            r = spec.region,
            tf = dir.join("token").display(),
        ));
        token
    }

    pub fn token_path(&self, profile: &str) -> PathBuf {
        self.path(&format!(".oci/sessions/{profile}/token"))
    }

    pub fn read_token(&self, profile: &str) -> String {
        std::fs::read_to_string(self.token_path(profile)).unwrap()
    }

    /// The real binary with an empty environment but HOME, PATH and the test's variables.
    pub fn cmd(&self) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::new(BIN);
        c.env_clear();
        for (k, v) in self.base_env() {
            c.env(k, v);
        }
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c.timeout(std::time::Duration::from_secs(60));
        c
    }

    /// The same, as a std Command (for spawning many at once).
    pub fn std_cmd(&self) -> std::process::Command {
        self.std_cmd_of(Path::new(BIN))
    }

    /// `program` (the binary, or the docker helper) in the test's clean environment.
    pub fn std_cmd_of(&self, program: &Path) -> std::process::Command {
        let mut c = std::process::Command::new(program);
        c.env_clear();
        for (k, v) in self.base_env() {
            c.env(k, v);
        }
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c
    }

    /// HOME and PATH; on Windows also USERPROFILE (the home there) and what every Windows
    /// program needs (SystemRoot, for Winsock and the certificate store).
    fn base_env(&self) -> Vec<(&'static str, std::ffi::OsString)> {
        let mut env = vec![
            ("HOME", self.home.path().as_os_str().to_owned()),
            ("PATH", std::env::var_os("PATH").unwrap_or_default()),
        ];
        if cfg!(windows) {
            env.push(("USERPROFILE", self.home.path().as_os_str().to_owned()));
            for k in ["SystemRoot", "SYSTEMDRIVE", "TEMP", "TMP", "WINEPREFIX"] {
                if let Some(v) = std::env::var_os(k) {
                    env.push((k, v));
                }
            }
        }
        env
    }

    /// `rel` in the OIDC state directory: `~/.oci/oidc`; on Windows
    /// `<home>\\AppData\\Local\\oci-token\\oidc`. `""` is the directory itself.
    pub fn oidc_path(&self, rel: &str) -> PathBuf {
        let dir = if cfg!(windows) {
            self.cache_root().join("oidc")
        } else {
            self.path(".oci/oidc")
        };
        if rel.is_empty() { dir } else { dir.join(rel) }
    }

    /// The default cache root in this home: `~/.cache/oci-token`; on Windows
    /// `<home>\AppData\Local\oci-token` (LOCALAPPDATA is not set in tests).
    pub fn cache_root(&self) -> PathBuf {
        if cfg!(windows) {
            self.path("AppData/Local/oci-token")
        } else if cfg!(target_os = "macos") {
            self.path("Library/Caches/oci-token")
        } else {
            self.path(".cache/oci-token")
        }
    }

    /// Runs the binary with `args` (stdin empty) and waits for it with the bounds and the
    /// restart of [`child`].
    pub fn run(&self, args: &[&str]) -> Output {
        use std::process::Stdio;
        child::start(|| {
            let mut c = self.std_cmd();
            c.args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            c
        })
        .finish()
    }

    /// Points refreshes at `auth` and trusts its CA.
    pub fn use_auth(mut self, auth: &fake_auth::FakeAuth) -> Self {
        self.set_env("OCI_TOKEN_AUTH_ENDPOINT", &auth.url);
        self.set_env("OCI_CLI_CERT_BUNDLE", &auth.ca_path);
        self
    }
}

/// Sets a Unix mode. On Windows, the DACL that means the same: full control for the user,
/// and for Everyone read (group or other `r`) and write (group or other `w`), protected.
pub fn chmod(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt as _;
        use std::os::windows::io::AsHandle as _;
        let dir = path.is_dir();
        let inherit = if dir { 0x1 | 0x2 } else { 0 }; // object and container inherit
        let f = std::fs::OpenOptions::new()
            .access_mode(0x0002_0000 | 0x0004_0000) // READ_CONTROL | WRITE_DAC
            .custom_flags(if dir { 0x0200_0000 } else { 0 }) // FILE_FLAG_BACKUP_SEMANTICS
            .open(path)
            .unwrap();
        let me = oci_token_win::current_user().unwrap();
        let everyone = oci_token_win::Sid::everyone();
        let others = (mode | (mode >> 3)) & 0o7;
        let mut mask = 0;
        if others & 0o4 != 0 {
            mask |= 0x0012_00a9; // read and execute
        }
        if others & 0o2 != 0 {
            mask |= 0x0012_0116 | 0x0001_0000 | 0x40; // write, delete, delete children
        }
        let mut entries = vec![(&me, 0x001f_01ff, inherit)];
        if mask != 0 {
            entries.push((&everyone, mask, inherit));
        }
        oci_token_win::set_dacl(f.as_handle(), &entries).unwrap();
    }
}

/// A file's permission bits. On Windows, what its DACL amounts to: 0o600 (0o700 for a
/// directory) when only the user (and SYSTEM, Administrators) may read or write it, else
/// 0o644 (0o755) when others may read it, else 0o666 (0o777).
pub fn mode(path: &Path) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }
    #[cfg(windows)]
    {
        use oci_token::sys::os::{Exposure, exposure_at};
        let dir = path.is_dir();
        let bits = match exposure_at(path) {
            Some(Exposure::Writable(_)) => 0o666,
            Some(Exposure::Readable(_)) => 0o644,
            Some(Exposure::Unknown(why)) => panic!("{}: {why}", path.display()),
            None => 0o600,
        };
        if dir {
            bits | ((bits & 0o444) >> 2)
        } else {
            bits
        }
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            stdout(o),
            stderr(o)
        )
    })
}
pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// Asserts the exit code, one stderr line mentioning `needle`, and nothing on stdout.
pub fn assert_fails(o: &Output, exit: i32, needle: &str) {
    let err = stderr(o);
    assert_eq!(code(o), exit, "exit code; stderr: {err}");
    assert!(
        o.stdout.is_empty(),
        "stdout must be empty on failure: {}",
        stdout(o)
    );
    assert!(
        err.contains(needle),
        "stderr should mention {needle:?}: {err}"
    );
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line on stderr: {err}"
    );
    assert!(err.starts_with("oci-token: "), "prefixed: {err}");
    assert!(!err.contains("eyJ"), "no token in errors: {err}");
}

/// A directory with `docker-credential-oci-token` linked to the binary under test.
pub fn helper_dir(t: &TestEnv) -> PathBuf {
    let dir = t.path("bin");
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join(helper_name());
    if !link.exists() {
        #[cfg(unix)]
        std::os::unix::fs::symlink(BIN, &link).unwrap();
        // As `docker install` does on Windows: a hard link (or a copy).
        #[cfg(windows)]
        std::fs::hard_link(BIN, &link)
            .or_else(|_| std::fs::copy(BIN, &link).map(drop))
            .unwrap();
    }
    dir
}

/// The docker helper's file name (`.exe` on Windows).
pub fn helper_name() -> String {
    format!(
        "docker-credential-oci-token{}",
        std::env::consts::EXE_SUFFIX
    )
}

/// Runs `docker-credential-oci-token action` with `input` on stdin, in `t`'s environment.
pub fn helper(t: &TestEnv, action: &str, input: &str) -> Output {
    use std::process::Stdio;
    let program = helper_dir(t).join(helper_name());
    let mut child = child::start(|| {
        let mut c = t.std_cmd_of(&program);
        c.arg(action)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    });
    child.feed(input.as_bytes());
    child.finish()
}
