//! What a newcomer meets first: messages that say what to do, help that shows what acts.

use crate::support::*;

#[test]
fn a_config_without_default_names_the_profiles_it_has() {
    let t = TestEnv::new();
    std::fs::write(t.config_path(), "[work]\nregion=us-ashburn-1\n").unwrap();
    let o = t.run(&["get"]);
    assert_fails(&o, 3, "profile 'DEFAULT' not found");
    assert!(stderr(&o).contains("(it has: work)"), "{}", stderr(&o));
}

/// An empty config says how to make a profile (it said "(it has: no profiles)"); a typo of
/// a profile name gets the near name.
#[test]
fn a_missing_profile_gets_the_next_step_or_the_near_name() {
    let t = TestEnv::new();
    std::fs::write(t.config_path(), "# nothing yet\n").unwrap();
    let o = t.run(&["get", "--profile", "work"]);
    assert_fails(&o, 3, "has no profiles yet");
    assert!(
        stderr(&o).contains("oci-token login --profile-name work"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("oci-token setup-key"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("(it has:"), "{}", stderr(&o));
    t.session(&SessionSpec::new("my-session", 3600));
    let o = t.run(&["get", "--profile", "my-sesion"]);
    assert_fails(&o, 3, "did you mean 'my-session'?");
    let o = t.run(&["get", "--profile", "staging"]);
    assert_fails(&o, 3, "(it has: my-session)");
    assert!(!stderr(&o).contains("did you mean"), "{}", stderr(&o));
}

/// A region typo is named as one, with the near region, before any network is tried (it
/// was reported as a network failure at `auth.nowhere.oraclecloud.com`, exit 5).
#[test]
fn a_region_typo_is_a_region_error_not_a_network_one() {
    let t = TestEnv::new();
    t.session(&SessionSpec::new("p", 300)); // inside the refresh window
    let before = t.read_token("p");
    let o = t.run(&["refresh", "--profile", "p", "--region", "nowhere"]);
    assert_fails(&o, 3, "'nowhere' is not an OCI region");
    let o = t.run(&["refresh", "--profile", "p", "--region", "us-ashburn"]);
    assert_fails(&o, 3, "did you mean 'us-ashburn-1'?");
    let o = t.run(&["refresh", "--profile", "p", "--region", "fraa"]);
    assert_fails(&o, 3, "did you mean 'fra'?");
    assert_eq!(t.read_token("p"), before);
    // Setting up a key checks the region the same way.
    let o = t.run(&[
        "setup-key",
        "--user",
        "ocid1.user.oc1..u",
        "--tenancy",
        "ocid1.tenancy.oc1..t",
        "--profile-name",
        "k",
        "--region",
        "eu-frankfrut",
    ]);
    assert_fails(&o, 3, "did you mean 'eu-frankfurt-1'?");
}

/// A global option given to a command where it does nothing is a usage error (they were
/// accepted and ignored: `terminate --region fra --cert-bundle /nonexistent` exited 0).
/// From the environment they stay fine: they are meant for every command.
#[test]
fn options_that_do_nothing_are_refused() {
    let t = TestEnv::new();
    t.session(&SessionSpec::new("p", 3600));
    for (args, flag) in [
        (
            &["terminate", "--profile", "p", "--region", "fra"][..],
            "--region",
        ),
        (
            &[
                "terminate",
                "--profile",
                "p",
                "--cert-bundle",
                "/nonexistent",
            ][..],
            "--cert-bundle",
        ),
        (
            &[
                "export",
                "--profile",
                "p",
                "--output-file",
                "x.zip",
                "--auth",
                "instance_principal",
            ][..],
            "--auth",
        ),
        (
            &["import", "--region", "fra", "--session-archive", "x.zip"][..],
            "--region",
        ),
        (
            &["oidc", "token", "--name", "x", "--region", "fra"][..],
            "--region",
        ),
        (
            &["--profile", "p", "oidc", "token", "--name", "x"][..],
            "--profile",
        ),
        (
            &[
                "setup-key",
                "--profile",
                "p",
                "--user",
                "u",
                "--tenancy",
                "t",
                "--region",
                "iad",
            ][..],
            "--profile",
        ),
    ] {
        let o = t.run(args);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!("{flag} does nothing in")),
            "{}",
            stderr(&o)
        );
    }
    assert!(
        t.path(".oci/sessions/p/token").exists(),
        "terminate did not run"
    );
    let o = t
        .cmd()
        .env("OCI_CLI_REGION", "eu-frankfurt-1")
        .args(["export", "--profile", "p", "--output-file"])
        .arg(t.path("p.zip"))
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn login_no_browser_without_a_config_says_how_to_make_one() {
    let t = TestEnv::new();
    let o = t.run(&["login", "--no-browser", "--region", "iad"]);
    assert_fails(&o, 3, "setup-key");
    assert!(
        !stderr(&o).contains("log in with"),
        "no circular advice: {}",
        stderr(&o)
    );
}

#[test]
fn help_shows_only_the_options_that_act() {
    let t = TestEnv::new();
    let help = stdout(&t.run(&["oidc", "logout", "--help"]));
    assert!(help.contains("--name"), "{help}");
    for absent in ["--profile", "--config-file", "--auth-endpoint", "--region"] {
        assert!(!help.contains(absent), "{absent} in: {help}");
    }
    let help = stdout(&t.run(&["setup-key", "--help"]));
    assert!(
        help.contains("--region") && !help.contains("--auth-endpoint"),
        "{help}"
    );
    // Hidden, and refused when given: they would do nothing (`options_that_do_nothing_are_refused`).
    let o = t.run(&["oidc", "logout", "--name", "none", "--profile", "x"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let o = t.run(&["oidc", "logout", "--name", "none"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let help = stdout(&t.run(&["get", "--help"]));
    assert!(
        help.contains("--profile") && help.contains("--auth-endpoint"),
        "{help}"
    );
    // --auth's login-only meaning is said on login only; setup-key's --region is required,
    // not an override; every option of auth-token delete says what it is.
    assert!(!help.contains("no-browser"), "{help}");
    let login = stdout(&t.run(&["login", "--help"]));
    assert!(login.contains("With --no-browser: what signs"), "{login}");
    let setup = stdout(&t.run(&["setup-key", "--help"]));
    assert!(
        setup.contains("Region of the profile to write (required)"),
        "{setup}"
    );
    assert!(!setup.contains("overriding the profile"), "{setup}");
    let delete = stdout(&t.run(&["auth-token", "delete", "--help"]));
    let line = delete
        .lines()
        .find(|l| l.contains("--auth-token-id"))
        .unwrap();
    assert!(
        line.contains("OCID") && line.trim().len() > "--auth-token-id <OCID>".len(),
        "{delete}"
    );
}

#[test]
fn the_man_page_lists_every_option_of_the_command_groups() {
    let man = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man/oci-token.1"),
    )
    .unwrap();
    for (section, option) in [
        ("OCI-TOKEN DOCKER INSTALL", "registry"),
        ("OCI-TOKEN OIDC LOGIN", "client\\-secret\\-file"),
        ("OCI-TOKEN OIDC TOKEN", "exec\\-token"),
        ("OCI-TOKEN AUTH-TOKEN CREATE", "output\\-file"),
        ("OCI-TOKEN AUTH-TOKEN DELETE", "auth\\-token\\-id"),
    ] {
        let at = man
            .find(&format!(".SH \"{section}\""))
            .unwrap_or_else(|| panic!("no section {section}"));
        let end = man[at + 4..]
            .find(".SH \"OCI-TOKEN")
            .map_or(man.len(), |e| at + 4 + e);
        assert!(
            man[at..end].contains(option),
            "{section} does not list --{option}"
        );
    }
}

/// A mistyped command is never answered with the one destructive command (`temrinate` got
/// "did you mean 'terminate'"); a near command is suggested, and a word near a profile name
/// gets `--profile`.
#[test]
fn a_typo_is_never_steered_to_terminate() {
    let t = TestEnv::new();
    t.session(&SessionSpec::new("my-session", 3600));
    for typo in ["temrinate", "termnate", "terminat"] {
        let o = t.run(&[typo]);
        assert_eq!(code(&o), 2);
        assert!(!stderr(&o).contains("terminate"), "{typo}: {}", stderr(&o));
    }
    let o = t.run(&["gte"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("a similar command exists: 'get'"),
        "{}",
        stderr(&o)
    );
    let o = t.run(&["my-sesion"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("--profile my-session"),
        "{}",
        stderr(&o)
    );
    assert!(t.token_path("my-session").exists());
}

/// A missing API key file says what to do next (it said only "does not exist").
#[test]
fn a_missing_api_key_says_what_to_do() {
    let t = TestEnv::new();
    t.append_config(
        "[k]\nuser=ocid1.user.oc1..u\nfingerprint=aa:bb\nkey_file=~/.oci/gone.pem\ntenancy=ocid1.tenancy.oc1..t\nregion=us-ashburn-1\n",
    );
    let o = t.run(&["get", "--profile", "k"]);
    assert_fails(&o, 3, "does not exist; point key_file in");
    assert!(
        stderr(&o).contains("oci-token setup-key --profile-name k --force"),
        "{}",
        stderr(&o)
    );
}
