//! The architecture, checked: the layers of README's Layout section may only depend inwards.

use std::path::{Path, PathBuf};

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(sources(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

/// The non-test part of a source file.
fn code(p: &Path) -> String {
    let t = std::fs::read_to_string(p).unwrap();
    t.split("#[cfg(test)]").next().unwrap_or("").to_owned()
}

#[test]
fn only_the_command_layer_knows_clap() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for p in sources(&src) {
        let rel = p.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
        if rel.starts_with("cli/") {
            continue;
        }
        let c = code(&p);
        assert!(
            !c.contains("clap::") && !c.contains("use clap"),
            "{rel} uses clap: only src/cli/ may"
        );
    }
}

#[test]
fn inner_layers_do_not_reach_outwards() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    // (files under this prefix, what they must not use)
    let rules: [(&str, &[&str]); 6] = [
        (
            "credential/",
            &["crate::commands", "crate::cli", "crate::app"],
        ),
        (
            "context.rs",
            &[
                "crate::commands",
                "crate::cli",
                "crate::app",
                "crate::credential",
            ],
        ),
        (
            "auth.rs",
            &[
                "crate::commands",
                "crate::cli",
                "crate::app",
                "crate::credential",
                "crate::context",
            ],
        ),
        (
            "output/",
            &[
                "crate::commands",
                "crate::cli",
                "crate::app",
                "crate::credential",
            ],
        ),
        (
            "config/",
            &[
                "crate::commands",
                "crate::cli",
                "crate::app",
                "crate::credential",
            ],
        ),
        ("commands/", &["crate::cli", "crate::app"]),
    ];
    for p in sources(&src) {
        let rel = p.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
        let c = code(&p);
        for (prefix, banned) in rules {
            if rel.starts_with(prefix) {
                for b in banned {
                    assert!(!c.contains(b), "{rel} uses {b}");
                }
            }
        }
    }
}
