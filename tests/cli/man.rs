//! The committed man page and the completions come from the clap definition.

use crate::support::*;

#[test]
fn man_page_is_current() {
    let mut buf = Vec::new();
    oci_token::man_page(&mut buf).unwrap();
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
