//! Finds the external programs some integration tests drive (kubectl, the oci CLI, shells,
//! node, Chromium, python3) and sets `have_<tool>` cfgs, so a test whose program is missing
//! is marked ignored with its reason and shows in the test summary ("N ignored") instead of
//! passing silently. The library and the binary do not use these cfgs.
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

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
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
    for (name, found, dirs) in tools {
        println!("cargo::rustc-check-cfg=cfg(have_{name})");
        match found {
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
