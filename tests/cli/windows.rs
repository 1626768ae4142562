//! What only Windows has: paths as the oci CLI resolves them there (`%USERPROFILE%`, `~\`,
//! `C:/`), Git Bash's MSYS `HOME`, `exec` with a Windows child, and the docker helper as a
//! hard-linked `.exe`. Run under Wine in CI (`.ci/run`).

use crate::support::*;

/// The test home as Git Bash writes it in `HOME`: `/c/users/...`.
fn msys(p: &std::path::Path) -> String {
    let s = p.display().to_string().replace('\\', "/");
    let (drive, rest) = s.split_once(':').unwrap();
    format!("/{}{rest}", drive.to_ascii_lowercase())
}

#[test]
fn exec_passes_the_environment_and_exit_code() {
    let t = TestEnv::new();
    t.session(&SessionSpec::new("p", 3600));
    let o = t.run(&[
        "exec",
        "--profile",
        "p",
        "--",
        "cmd",
        "/c",
        "echo",
        "%OCI_CLI_PROFILE%:%OCI_CLI_AUTH%",
        "&",
        "exit",
        "7",
    ]);
    assert_eq!(code(&o), 7, "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "p:security_token");
    let o = t.run(&["exec", "--profile", "p", "--", "no-such-program-here"]);
    assert_fails(&o, 127, "command not found");
}

#[test]
fn config_paths_with_tilde_backslash_and_forward_slashes_resolve() {
    let t = TestEnv::new();
    let token = t.session(&SessionSpec::new("p", 3600));
    let fp = std::fs::read_to_string(data("keys/fingerprint.txt")).unwrap();
    let home_fwd = t.home.path().display().to_string().replace('\\', "/");
    t.append_config(&format!(
        "[tilde]\nfingerprint={fp}\nkey_file=~\\.oci\\sessions\\p\\oci_api_key.pem\ntenancy=ocid1.tenancy.oc1..t\nregion=us-ashburn-1\nsecurity_token_file=~/.oci/sessions/p/token\n\n\
         [slashes]\nfingerprint={fp}\nkey_file={home_fwd}/.oci/sessions/p/oci_api_key.pem\ntenancy=ocid1.tenancy.oc1..t\nregion=us-ashburn-1\nsecurity_token_file={home_fwd}/.oci/sessions/p/token\n",
        fp = fp.trim()
    ));
    for profile in ["tilde", "slashes"] {
        let o = t.run(&["get", "--profile", profile]);
        assert_eq!(code(&o), 0, "{profile}: {}", stderr(&o));
        assert_eq!(json(&o)["token"], token.as_str(), "{profile}");
    }
}

#[test]
fn git_bash_home_is_not_mistaken_for_a_windows_path() {
    let t = TestEnv::new();
    let token = t.session(&SessionSpec::new("p", 3600));
    // Git Bash sets both: USERPROFILE wins and the MSYS HOME is never used as a path.
    let o = t
        .cmd()
        .env("HOME", "/c/nonexistent/home")
        .args(["get", "--profile", "p"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&o)["token"], token.as_str());
    // HOME alone, in its MSYS form: turned into the Windows path.
    let o = t
        .cmd()
        .env_remove("USERPROFILE")
        .env("HOME", msys(t.home.path()))
        .args(["get", "--profile", "p"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&o)["token"], token.as_str());
}

#[test]
fn docker_install_makes_a_helper_exe_that_answers() {
    let t = TestEnv::new();
    t.session(&SessionSpec::new("p", 3600));
    let cfg = t.path("docker/config.json");
    let install = |dir: &std::path::Path| {
        t.run(&[
            "docker",
            "install",
            "--registry",
            "iad.ocir.io",
            "--dir",
            dir.to_str().unwrap(),
            "--docker-config",
            cfg.to_str().unwrap(),
            "--profile",
            "p",
        ])
    };
    let dir = t.path("bin");
    let o = install(&dir);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let exe = dir.join("docker-credential-oci-token.exe");
    let o = t.std_cmd_of(&exe).arg("version").output().unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("docker-credential-oci-token (oci-token) "),
        "{}",
        stdout(&o)
    );
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(text.contains("\"iad.ocir.io\": \"oci-token\""), "{text}");
    // Again: the helper is already there.
    let o = install(&dir);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // Something else in its place is never read whole nor replaced: a 1 GiB file, a directory.
    // (In another directory: the helper above is a hard link of the binary that other tests
    // are running, and Windows does not delete a running image.)
    let other = t.path("other");
    std::fs::create_dir_all(&other).unwrap();
    let exe = other.join("docker-credential-oci-token.exe");
    std::fs::File::create(&exe)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let started = std::time::Instant::now();
    assert_fails(&install(&other), 3, "is not a link to oci-token");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(std::fs::metadata(&exe).unwrap().len(), 1 << 30);
    std::fs::remove_file(&exe).unwrap();
    std::fs::create_dir(&exe).unwrap();
    assert_fails(&install(&other), 3, "is not a link to oci-token");
    assert!(exe.is_dir());
}

#[test]
fn prompt_and_pwsh_env_work_as_on_unix() {
    let t = TestEnv::new();
    t.session(&SessionSpec::new("p", 45 * 60 + 30));
    let o = t.run(&["prompt", "--profile", "p"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "oci:p 45m");
    let o = t.run(&["env", "--profile", "p", "--shell", "pwsh"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("$Env:OCI_CLI_PROFILE = 'p'"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn device_names_are_refused_as_profile_names() {
    let t = TestEnv::new();
    for name in ["nul", "COM1", "con.json", "trailing."] {
        let o = t.run(&[
            "setup-key",
            "--user",
            jwt::USER,
            "--tenancy",
            jwt::TENANCY,
            "--region",
            "phx",
            "--profile-name",
            name,
        ]);
        assert_eq!(code(&o), 3, "{name}: {}", stderr(&o));
        assert!(!t.config_path().exists(), "{name}: nothing written");
    }
}

#[test]
fn principal_tokens_are_cached_under_localappdata_and_private() {
    use crate::support::fake_auth::FakeAuth;
    use crate::support::fake_imds::{FakeImds, make_leaf};
    let tenancy = "ocid1.tenancy.oc1..aaaaaaaaleafleafleaf";
    let leaf = make_leaf(&other_key_pem(), tenancy, true);
    let auth = FakeAuth::start();
    auth.register_leaf(&leaf.cert_der, &leaf.key_pem, tenancy);
    let imds = FakeImds::start(leaf, "iad");
    let lad = TestEnv::new();
    let t = TestEnv::new()
        .use_auth(&auth)
        .env("OCI_METADATA_BASE_URL", &imds.base)
        .env("LOCALAPPDATA", lad.home.path());
    let o = t.run(&["get", "--auth", "instance_principal"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let root = lad.home.path().join("oci-token");
    let entries: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(mode(&entries[0]), 0o700);
    assert_eq!(mode(&entries[0].join("token")), 0o600);
    assert!(!t.cache_root().exists(), "nothing under the home's default");
    // Warm: served from the cache, no second federation.
    let o = t.run(&["get", "--auth", "instance_principal"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(auth.count_of("/v1/x509"), 1);
    auth.assert_all_verified();
}

/// Names cmd finds through `PATHEXT` (`az.cmd`, `gcloud.cmd`, npm's shims) are found, and
/// an argument with `&` reaches the script as an argument, not as a second command.
#[test]
fn exec_finds_cmd_and_bat_through_pathext_and_keeps_metacharacters_in_arguments() {
    let t = TestEnv::new();
    t.session(&SessionSpec::new("p", 3600));
    let bin = tempfile::TempDir::new().unwrap();
    std::fs::write(
        bin.path().join("mytool.cmd"),
        "@echo off\r\necho PROFILE=%OCI_CLI_PROFILE%\r\necho ARG=%1\r\nexit /b 5\r\n",
    )
    .unwrap();
    std::fs::write(bin.path().join("other.bat"), "@exit /b 3\r\n").unwrap();
    let path = format!(
        "{};{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |args: &[&str], pathext: Option<&str>| {
        let mut c = t.cmd();
        c.env("PATH", &path);
        if let Some(e) = pathext {
            c.env("PATHEXT", e);
        }
        c.args(["exec", "--profile", "p", "--"])
            .args(args)
            .output()
            .unwrap()
    };
    let o = run(&["mytool", "a&echo INJECTED"], None);
    assert_eq!(code(&o), 5, "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().map(str::trim).collect();
    assert!(lines.contains(&"PROFILE=p"), "{out}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("ARG=") && l.contains("a&echo INJECTED")),
        "{out}"
    );
    assert!(!lines.contains(&"INJECTED"), "the & ran a command: {out}");
    assert_eq!(code(&run(&["other"], Some(".COM;.EXE;.BAT;.CMD"))), 3);
    assert_eq!(code(&run(&["other.bat"], None)), 3);
    // Not in PATHEXT: not found, as in cmd.
    assert_fails(&run(&["other"], Some(".EXE")), 127, "command not found");
}

/// `env` speaks PowerShell on Windows unless Git Bash's `SHELL` says otherwise; `--shell
/// powershell` and `--shell cmd` are accepted, and what cmd reads back is the value, even
/// with cmd's own metacharacters in it.
#[test]
fn env_defaults_to_powershell_and_cmd_reads_its_lines_back() {
    let t = TestEnv::new();
    // `|`, `<`, `>` and `"` cannot stand in a Windows file name (the session directory).
    let profile = "q&echo INJECTED^x(y)";
    t.session(&SessionSpec::new(profile, 3600));
    let o = t.run(&["env", "--profile", profile]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("$Env:OCI_CLI_AUTH = 'security_token'"),
        "{}",
        stdout(&o)
    );
    let o = t
        .cmd()
        .env("SHELL", "/usr/bin/bash")
        .args(["env", "--profile", profile])
        .output()
        .unwrap();
    assert!(
        stdout(&o).contains("export OCI_CLI_AUTH='security_token'"),
        "{}",
        stdout(&o)
    );
    let o = t.run(&["env", "--profile", profile, "--shell", "powershell"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = t.run(&["env", "--profile", profile, "--shell", "cmd"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let lines = stdout(&o);
    assert!(
        lines.contains("set \"OCI_CLI_PROFILE=q&echo INJECTED^x(y)\""),
        "{lines}"
    );
    let dir = tempfile::TempDir::new().unwrap();
    std::fs::write(dir.path().join("env.cmd"), lines.replace('\n', "\r\n")).unwrap();
    std::fs::write(
        dir.path().join("check.cmd"),
        "@echo off\r\ncall \"%~dp0env.cmd\"\r\nset OCI_CLI_\r\n",
    )
    .unwrap();
    let o = std::process::Command::new("cmd")
        .arg("/c")
        .arg(dir.path().join("check.cmd"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = out.lines().map(str::trim).collect();
    assert!(
        lines.contains(&"OCI_CLI_PROFILE=q&echo INJECTED^x(y)"),
        "{out}"
    );
    assert!(lines.contains(&"OCI_CLI_AUTH=security_token"), "{out}");
    assert!(!lines.contains(&"INJECTED"), "{out}");
    // A value cmd cannot carry is refused, with the way out.
    let t = TestEnv::new();
    t.session(&SessionSpec::new("100%", 3600));
    assert_fails(
        &t.run(&["env", "--profile", "100%", "--shell", "cmd"]),
        3,
        "--shell pwsh",
    );
}

/// Every command's help names Windows things: no `~/`, file modes, `$SHELL`, `XDG_` or
/// `cargo install` (the same rewrite is unit-tested on every platform).
#[test]
fn help_names_windows_paths() {
    fn commands(help: &str) -> Vec<String> {
        help.lines()
            .skip_while(|l| !l.starts_with("Commands:"))
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
            .filter(|c| c != "help")
            .collect()
    }
    let t = TestEnv::new();
    let mut pending = vec![Vec::<String>::new()];
    let mut seen = 0;
    while let Some(path) = pending.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let o = t.run(&args);
        assert_eq!(code(&o), 0, "{args:?}");
        let help = stdout(&o);
        for unix in ["~/", "0600", "$SHELL", "XDG_", "cargo install", "chmod"] {
            assert!(
                !help.contains(unix),
                "`{}` says {unix}:\n{help}",
                args.join(" ")
            );
        }
        for c in commands(&help) {
            let mut p = path.clone();
            p.push(c);
            pending.push(p);
        }
        seen += 1;
    }
    assert!(seen > 15, "only {seen} help pages");
}
