//! `setup-key`, `export`, `import` and `terminate`, with the real oci CLI on the other side.

use std::io::Write as _;
use std::path::Path;

use crate::support::*;

const OTHER: &str =
    "# keep me\n[DEFAULT]\nregion = eu-frankfurt-1\n\n[work]\nuser = ocid1.user.oc1..w\n";

/// Archive entries: (name, bytes).
type Entries<'a> = Vec<(&'a str, &'a [u8])>;

fn zip_with(path: &Path, entries: &[(&str, &[u8])]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let o = zip::write::SimpleFileOptions::default();
    for (name, bytes) in entries {
        z.start_file(*name, o).unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap();
}

fn entry_names(path: &Path) -> Vec<String> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..z.len())
        .map(|i| z.by_index(i).unwrap().name().unwrap().into_owned())
        .collect()
}

#[test]
fn setup_key_writes_a_working_api_key_profile() {
    let t = TestEnv::new();
    std::fs::write(t.config_path(), OTHER).unwrap();
    let args = [
        "setup-key",
        "--user",
        jwt::USER,
        "--tenancy",
        jwt::TENANCY,
        "--region",
        "phx",
        "--profile-name",
        "api",
    ];
    let o = t.run(&args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    let key_file = t.path(".oci/oci_api_key.pem");
    assert_eq!(v["key_file"], key_file.display().to_string());
    assert_eq!(
        v["public_key_file"],
        t.path(".oci/oci_api_key_public.pem").display().to_string()
    );
    let k =
        oci_token::crypto::key::load(&std::fs::read_to_string(&key_file).unwrap(), None).unwrap();
    assert_eq!(v["fingerprint"], oci_token::crypto::key::fingerprint(&k));
    let cfg = std::fs::read_to_string(t.config_path()).unwrap();
    assert!(cfg.starts_with(OTHER));
    assert!(cfg.ends_with(&format!(
        "[api]\nuser={}\nfingerprint={}\nkey_file={}\ntenancy={}\nregion=us-phoenix-1\n",
        jwt::USER,
        v["fingerprint"].as_str().unwrap(),
        key_file.display(),
        jwt::TENANCY
    )));
    let g = json(&t.run(&["get", "--profile", "api"]));
    assert_eq!(g["auth"], "api_key");
    assert_eq!(g["fingerprint"], v["fingerprint"]);
    // No overwrite without --force.
    assert_fails(&t.run(&args), 3, "already exists");
    let o = t.run(&[&args[..], &["--force"]].concat());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_ne!(json(&o)["fingerprint"], v["fingerprint"], "a new key");
    assert_fails(
        &t.run(&[
            "setup-key",
            "--user",
            "me",
            "--tenancy",
            jwt::TENANCY,
            "--region",
            "phx",
        ]),
        3,
        "not an OCID",
    );
}

/// A second profile meets the first one's key file: told to pass --key-name; --force
/// never replaces a key another profile signs with (its fingerprint would no longer match).
#[test]
fn setup_key_for_a_second_profile_keeps_the_first_ones_key() {
    let t = TestEnv::new();
    let base = [
        "setup-key",
        "--user",
        jwt::USER,
        "--tenancy",
        jwt::TENANCY,
        "--region",
        "phx",
    ];
    let first = t.run(&[&base[..], &["--profile-name", "one"]].concat());
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    let key = std::fs::read(t.path(".oci/oci_api_key.pem")).unwrap();
    let second = [&base[..], &["--profile-name", "two"]].concat();
    assert_fails(&t.run(&second), 3, "--key-name");
    let o = t.run(&[&second[..], &["--force"]].concat());
    assert_fails(&o, 3, "profile 'one'");
    assert_eq!(std::fs::read(t.path(".oci/oci_api_key.pem")).unwrap(), key);
    let o = t.run(&[&second[..], &["--key-name", "two_key"]].concat());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    for p in ["one", "two"] {
        let o = t.run(&["get", "--profile", p]);
        assert_eq!(code(&o), 0, "{p}: {}", stderr(&o));
    }
    // The profile's own key may be replaced with --force.
    let o = t.run(&[&base[..], &["--profile-name", "one", "--force"]].concat());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // No region: a usage error naming --region.
    let o = t.run(&["setup-key", "--user", jwt::USER, "--tenancy", jwt::TENANCY]);
    assert_fails(&o, 2, "--region");
}

#[test]
fn setup_key_with_a_passphrase_file() {
    let t = TestEnv::new();
    let pass = t.path("pass.txt");
    std::fs::write(&pass, "s3cret\n").unwrap();
    let o = t.run(&[
        "setup-key",
        "--user",
        jwt::USER,
        "--tenancy",
        jwt::TENANCY,
        "--region",
        "iad",
        "--key-dir",
        t.path("keys").to_str().unwrap(),
        "--key-name",
        "k",
        "--passphrase-file",
        pass.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!stdout(&o).contains("s3cret") && !stderr(&o).contains("s3cret"));
    let pem = std::fs::read_to_string(t.path("keys/k.pem")).unwrap();
    assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    assert!(oci_token::crypto::key::load(&pem, None).is_err());
    assert!(
        oci_token::crypto::key::load(&pem, Some(&oci_token::secret::Secret::new("s3cret".into())))
            .is_ok()
    );
    assert!(
        !std::fs::read_to_string(t.config_path())
            .unwrap()
            .contains("s3cret"),
        "not stored in the config"
    );
}

#[test]
fn export_import_round_trip_and_terminate() {
    let a = TestEnv::new();
    let token = a.session(&SessionSpec::new("p", 3600));
    let out = a.path("moved");
    let o = a.run(&[
        "export",
        "--profile",
        "p",
        "--output-file",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let zip = a.path("moved.zip");
    let mut names = entry_names(&zip);
    names.sort();
    assert_eq!(names, ["config", "oci_api_key.pem", "token"]);
    let mut z = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let mut cfg = String::new();
    std::io::Read::read_to_string(&mut z.by_name("config").unwrap(), &mut cfg).unwrap();
    assert!(
        cfg.starts_with("[p]\n")
            && cfg.contains("key_file = oci_api_key.pem\n")
            && cfg.contains("security_token_file = token\n"),
        "{cfg}"
    );
    assert_fails(
        &a.run(&[
            "export",
            "--profile",
            "p",
            "--output-file",
            out.to_str().unwrap(),
        ]),
        3,
        "already exists",
    );

    let b = TestEnv::new();
    std::fs::write(b.config_path(), OTHER).unwrap();
    let o = b.run(&["import", "--session-archive", zip.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&b.run(&["get", "--profile", "p"]));
    assert_eq!(v["token"], token);
    assert_eq!(
        v["key_file"],
        b.path(".oci/sessions/p/oci_api_key.pem")
            .display()
            .to_string()
    );
    assert!(
        std::fs::read_to_string(b.config_path())
            .unwrap()
            .starts_with(OTHER)
    );
    assert_fails(
        &b.run(&["import", "--session-archive", zip.to_str().unwrap()]),
        3,
        "--force",
    );
    assert_eq!(
        code(&b.run(&[
            "import",
            "--session-archive",
            zip.to_str().unwrap(),
            "--force"
        ])),
        0
    );
    assert_eq!(
        code(&b.run(&[
            "import",
            "--session-archive",
            zip.to_str().unwrap(),
            "--profile-name",
            "copy"
        ])),
        0
    );
    assert_eq!(json(&b.run(&["get", "--profile", "copy"]))["token"], token);
    assert_fails(
        &b.run(&[
            "import",
            "--session-archive",
            zip.to_str().unwrap(),
            "--profile-name",
            "..",
        ]),
        3,
        "not a valid profile name",
    );

    let o = b.run(&["terminate", "--profile", "p"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!b.path(".oci/sessions/p").exists());
    let cfg = std::fs::read_to_string(b.config_path()).unwrap();
    assert!(
        cfg.starts_with(OTHER) && !cfg.contains("[p]") && cfg.contains("[copy]"),
        "{cfg}"
    );
    assert_fails(&b.run(&["terminate", "--profile", "DEFAULT"]), 3, "DEFAULT");
    assert_fails(
        &b.run(&["terminate", "--profile", "work"]),
        3,
        "not a session",
    );
}

#[test]
fn malicious_archives_are_refused_and_nothing_is_written() {
    let t = TestEnv::new();
    std::fs::write(t.config_path(), OTHER).unwrap();
    let token = jwt::mint(&jwt::Claims::for_key(&key_pem(), now(), now() + 3600, None));
    let good_cfg =
        b"[x]\nkey_file = oci_api_key.pem\nsecurity_token_file = token\nregion = us-ashburn-1\n";
    let key = key_pem();
    let big = vec![b'A'; (1 << 20) + 1];
    let cases: Vec<(&str, Entries<'_>, &str)> = vec![
        (
            "slip",
            vec![
                ("config", good_cfg),
                ("token", token.as_bytes()),
                ("oci_api_key.pem", key.as_bytes()),
                ("../evil", b"x"),
            ],
            "has a path",
        ),
        (
            "abs",
            vec![("/etc/evil", b"x"), ("config", good_cfg)],
            "has a path",
        ),
        (
            "nested",
            vec![("config", good_cfg), ("dir/token", b"x")],
            "has a path",
        ),
        (
            "huge",
            vec![
                ("config", good_cfg),
                ("token", &big),
                ("oci_api_key.pem", key.as_bytes()),
            ],
            "larger than 1 MiB",
        ),
        ("noconfig", vec![("token", token.as_bytes())], "no 'config'"),
        (
            "several",
            vec![
                (
                    "config",
                    b"[a]\nsecurity_token_file = token\n[b]\nsecurity_token_file = token\n",
                ),
                ("token", token.as_bytes()),
            ],
            "several profiles",
        ),
        (
            "missing",
            vec![("config", good_cfg), ("token", token.as_bytes())],
            "not an entry",
        ),
        (
            "pathvalue",
            vec![
                ("config", b"[x]\nsecurity_token_file = ../../token\n"),
                ("token", token.as_bytes()),
            ],
            "not an entry",
        ),
        (
            "notsession",
            vec![("config", b"[x]\nuser = u\n")],
            "no security_token_file",
        ),
    ];
    for (name, entries, why) in cases {
        let path = t.path(&format!("{name}.zip"));
        zip_with(&path, &entries);
        let o = t.run(&["import", "--session-archive", path.to_str().unwrap()]);
        assert_fails(&o, 3, why);
        assert_eq!(
            std::fs::read_to_string(t.config_path()).unwrap(),
            OTHER,
            "{name}"
        );
        assert!(!t.path(".oci/sessions").exists(), "{name}: nothing written");
    }
    // A symlink entry.
    let path = t.path("link.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    z.start_file("config", zip::write::SimpleFileOptions::default())
        .unwrap();
    z.write_all(good_cfg).unwrap();
    z.add_symlink(
        "token",
        "/etc/passwd",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    z.finish().unwrap();
    assert_fails(
        &t.run(&["import", "--session-archive", path.to_str().unwrap()]),
        3,
        "not a regular file",
    );
    assert_fails(
        &t.run(&["import", "--session-archive", "/nonexistent.zip"]),
        3,
        "does not exist",
    );
    std::fs::write(t.path("junk.zip"), "not a zip").unwrap();
    assert_fails(
        &t.run(&[
            "import",
            "--session-archive",
            t.path("junk.zip").to_str().unwrap(),
        ]),
        3,
        "not a zip",
    );
    assert!(!t.path(".oci/sessions").exists());
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
fn oci_cli_export_imports_into_oci_token_and_back() {
    let Some(bin) = crate::interop::oci() else {
        return;
    };
    // oci session export -> oci-token import -> oci-token get
    let a = TestEnv::new();
    let token = a.session(&SessionSpec::new("p", 3600));
    let out = a.path("from-oci");
    let o = crate::interop::oci_cmd(&bin, &a)
        .args(["session", "export", "--profile", "p", "--output-file"])
        .arg(&out)
        .arg("--config-file")
        .arg(a.config_path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let b = TestEnv::new();
    let o = b.run(&[
        "import",
        "--session-archive",
        a.path("from-oci.zip").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&b.run(&["get", "--profile", "p"]))["token"], token);

    // oci-token export -> oci session import -> oci session validate --local
    let o = b.run(&[
        "export",
        "--profile",
        "p",
        "--output-file",
        b.path("from-oci-token").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let c = TestEnv::new();
    let o = crate::interop::oci_cmd(&bin, &c)
        .args(["session", "import", "--session-archive"])
        .arg(b.path("from-oci-token.zip"))
        .arg("--config-file")
        .arg(c.config_path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let o = crate::interop::oci_validate_local(&bin, &c, "p");
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}
