//! The fuzz targets' bodies (`fuzz/src/lib.rs`, one per parser that reads outside input),
//! replayed on stable Rust over their seed corpus (`fuzz/seeds/`, the test data) and every
//! input that ever failed (`fuzz/regressions/`): none may panic or take long. The search for
//! new inputs is coverage-guided, by libFuzzer: `fuzz/run.sh [SECONDS]` with nightly and
//! cargo-fuzz (a bounded run is part of `.ci/run`; campaigns in RELIABILITY.md).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[path = "../../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod targets;

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<_> = rd
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

/// The inputs of `target`: its seeds, its regressions, and the test data it reads.
fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut v = files(&root.join("fuzz/seeds").join(target));
    v.extend(files(&root.join("fuzz/regressions").join(target)));
    match target {
        "ini" => v.extend(files(&root.join("tests/data/ini"))),
        "pem" => v.extend(files(&root.join("tests/data/keys"))),
        _ => {}
    }
    v
}

#[test]
fn every_target_has_a_libfuzzer_binary_and_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("fuzz/Cargo.toml")).unwrap();
    for (name, _) in targets::TARGETS {
        assert!(
            root.join(format!("fuzz/fuzz_targets/{name}.rs")).exists(),
            "{name}: no fuzz_targets/{name}.rs"
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "{name}: not a [[bin]] of fuzz/Cargo.toml"
        );
        assert!(!inputs(name).is_empty(), "{name}: no seeds");
    }
}

#[test]
fn seeds_and_regressions_pass_every_target() {
    let slow = Duration::from_secs(2);
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures = Vec::new();
    let mut count = 0;
    for (name, body) in targets::TARGETS {
        for path in inputs(name) {
            let input = std::fs::read(&path).unwrap();
            let start = Instant::now();
            let r = catch_unwind(AssertUnwindSafe(|| body(&input)));
            count += 1;
            if r.is_err() || start.elapsed() > slow {
                failures.push(format!("{name}: {}", path.display()));
            }
        }
    }
    std::panic::set_hook(prev);
    assert!(failures.is_empty(), "{failures:?}");
    assert!(count >= 60, "only {count} inputs replayed");
}
