//! The committed man page and the completions come from the clap definition.

use crate::support::*;

#[test]
fn man_page_is_current() {
    let mut buf = Vec::new();
    oci_token::cli::man::man_page(&mut buf).unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man/oci-token.1");
    if std::env::var_os("UPDATE_MAN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &buf).unwrap();
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == buf,
        "man/oci-token.1 is stale: run `UPDATE_MAN=1 cargo test --test cli man`"
    );
    let text = String::from_utf8(buf).unwrap();
    for needle in [
        "EXIT STATUS",
        "OCI_CLI_PROFILE",
        "refresh",
        "validate",
        "\\-\\-min\\-valid",
    ] {
        assert!(text.contains(needle), "man page lacks {needle}");
    }
}

#[test]
fn generate_prints_man_and_completions() {
    let t = TestEnv::new();
    let o = t.run(&["generate", "man"]);
    assert_eq!(code(&o), 0);
    let committed =
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man/oci-token.1"))
            .unwrap();
    assert_eq!(o.stdout, committed);
    for shell in ["bash", "zsh", "fish"] {
        let o = t.run(&["generate", "completions", shell]);
        assert_eq!(code(&o), 0);
        assert!(stdout(&o).contains("refresh"), "{shell}");
    }
}

/// README's exit-code table is rendered from the same table as `--help` and the man page.
#[test]
fn readme_exit_codes_are_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let (start, end) = ("<!-- exit-codes:", "<!-- /exit-codes -->");
    let a = text.find(start).expect("README has the exit-codes marker");
    let a = a + text[a..].find("-->\n").unwrap() + 4;
    let b = text.find(end).unwrap();
    let want = format!("\n{}", oci_token::error::exit_codes_markdown());
    if std::env::var_os("UPDATE_README").is_some() {
        let new = format!("{}{want}{}", &text[..a], &text[b..]);
        std::fs::write(&path, new).unwrap();
        return;
    }
    assert_eq!(
        &text[a..b],
        want,
        "README's exit codes are stale: run `UPDATE_README=1 cargo test --test cli readme`"
    );
}

/// `--version` names the commit and the target it was built for.
#[test]
fn version_names_commit_and_target() {
    let o = crate::support::TestEnv::new().run(&["--version"]);
    let v = crate::support::stdout(&o);
    assert!(
        v.starts_with(&format!("oci-token {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{v}"
    );
    assert!(v.contains(", x86_64-") || v.contains(", aarch64-"), "{v}");
    let commit = v
        .split("(commit ")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap();
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{v}"
    );
}
