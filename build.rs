//! Finds the external programs some integration tests drive (kubectl, the oci CLI, shells,
//! node, Chromium, python3) and sets `have_<tool>` cfgs, so a test whose program is missing
//! is marked ignored with its reason and shows in the test summary ("N ignored") instead of
//! passing silently. The library and the binary do not use these cfgs. It also records the
//! commit and target that `--version` names.
#![allow(clippy::disallowed_methods)] // a build script reads its environment directly

use std::path::{Path, PathBuf};

fn on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn first(paths: &[&str]) -> Option<PathBuf> {
    paths.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// The commit being built: `OCI_TOKEN_COMMIT` (set by packagers building from a tarball),
/// else `.git/HEAD` resolved by hand (no git needed), else "unknown".
fn commit() -> String {
    println!("cargo::rerun-if-env-changed=OCI_TOKEN_COMMIT");
    if let Some(c) = std::env::var("OCI_TOKEN_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
    {
        return c;
    }
    let git = Path::new(env!("CARGO_MANIFEST_DIR")).join(".git");
    let head = git.join("HEAD");
    println!("cargo::rerun-if-changed={}", head.display());
    let Ok(text) = std::fs::read_to_string(&head) else {
        return "unknown".into();
    };
    let text = text.trim();
    let id = if let Some(r) = text.strip_prefix("ref: ") {
        let file = git.join(r);
        println!("cargo::rerun-if-changed={}", file.display());
        std::fs::read_to_string(&file).ok().or_else(|| {
            // A packed ref.
            std::fs::read_to_string(git.join("packed-refs"))
                .ok()?
                .lines()
                .find(|l| l.ends_with(r))
                .map(|l| l.split(' ').next().unwrap_or_default().to_owned())
        })
    } else {
        Some(text.to_owned())
    };
    id.map(|i| i.trim().chars().take(12).collect::<String>())
        .filter(|i| i.len() == 12 && i.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(|| "unknown".into())
}

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    // `--version` names the commit and the target.
    println!("cargo::rustc-env=OCI_TOKEN_COMMIT={}", commit());
    println!(
        "cargo::rustc-env=OCI_TOKEN_TARGET={}",
        std::env::var("TARGET").unwrap_or_default()
    );
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-env-changed=OCI_CLI_BIN");
    let oci = std::env::var_os("OCI_CLI_BIN")
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .or_else(|| on_path("oci"));
    let op = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/op/node_modules/oidc-provider/package.json");
    let tools: [(&str, Option<PathBuf>, &[&str]); 10] = [
        (
            "kubectl",
            first(&["/usr/bin/kubectl", "/usr/local/bin/kubectl"]),
            &["/usr/bin", "/usr/local/bin"],
        ),
        ("oci", oci, &[]),
        (
            "bash",
            first(&["/usr/bin/bash", "/bin/bash", "/usr/local/bin/bash"]),
            &["/usr/bin", "/bin"],
        ),
        (
            "zsh",
            first(&["/usr/bin/zsh", "/bin/zsh", "/usr/local/bin/zsh"]),
            &["/usr/bin", "/bin"],
        ),
        (
            "fish",
            first(&["/usr/bin/fish", "/bin/fish", "/usr/local/bin/fish"]),
            &["/usr/bin", "/bin"],
        ),
        (
            "node",
            first(&["/usr/bin/node", "/usr/local/bin/node"]),
            &["/usr/bin", "/usr/local/bin"],
        ),
        (
            "chromium",
            first(&["/usr/bin/chromium", "/usr/bin/chromium-browser"]),
            &["/usr/bin"],
        ),
        ("python3", on_path("python3"), &[]),
        (
            "skopeo",
            first(&["/usr/bin/skopeo", "/usr/local/bin/skopeo"]),
            &["/usr/bin"],
        ),
        ("oidc_provider", op.is_file().then(|| op.clone()), &[]),
    ];
    println!("cargo::rerun-if-changed=tests/op/package-lock.json");
    // The static (musl) build the chroot test runs, when .ci/run has made it.
    println!("cargo::rerun-if-env-changed=OCI_TOKEN_STATIC_BIN");
    println!("cargo::rustc-check-cfg=cfg(have_static_bin)");
    if let Some(p) = std::env::var_os("OCI_TOKEN_STATIC_BIN").map(PathBuf::from)
        && p.is_file()
        && std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows")
    {
        println!("cargo::rustc-cfg=have_static_bin");
        println!("cargo::rerun-if-changed={}", p.display());
    }
    // The tools are Linux programs: a Windows build's tests (run under Wine) cannot drive
    // them, so there they are all missing and their tests are listed as ignored.
    let windows = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows");
    for (name, found, dirs) in tools {
        println!("cargo::rustc-check-cfg=cfg(have_{name})");
        match found.filter(|_| !windows) {
            Some(p) => {
                println!("cargo::rustc-cfg=have_{name}");
                println!("cargo::rerun-if-changed={}", p.display());
            }
            // Look again when the directory it would be installed in changes.
            None => {
                for d in dirs.iter().map(Path::new).filter(|d| d.is_dir()) {
                    println!("cargo::rerun-if-changed={}", d.display());
                }
            }
        }
    }
}
