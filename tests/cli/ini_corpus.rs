//! The golden INI corpus: each tests/data/ini/<case>.ini parsed by our parser must give
//! exactly what Python's configparser recorded in <case>.json (tests/data/ini/generate.py).

use oci_token::config::ini;
use serde_json::{Map, Value, json};

use crate::support::data;

fn ours(text: &str) -> Value {
    match ini::parse(text) {
        Err(e) => json!({"ok": false, "error": e.python_name()}),
        Ok(parsed) => {
            let map = |items: Vec<(&str, &str)>| {
                Value::Object(
                    items
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
                        .collect::<Map<_, _>>(),
                )
            };
            json!({
                "ok": true,
                "defaults": map(parsed.items(ini::DEFAULT_SECTION)),
                "sections": parsed.sections.iter().map(|s| json!({"name": s.name, "items": map(parsed.items(&s.name))})).collect::<Vec<_>>(),
            })
        }
    }
}

#[test]
fn matches_python_configparser() {
    let dir = data("ini");
    let mut cases = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("ini") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let want: Value =
            serde_json::from_str(&std::fs::read_to_string(path.with_extension("json")).unwrap())
                .unwrap();
        assert_eq!(ours(&text), want, "{}", path.display());
        cases += 1;
    }
    assert!(cases >= 25, "the corpus has only {cases} cases");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Linux-only: needs python3 (the Windows build runs under Wine)"
)]
#[cfg_attr(
    all(unix, not(have_python3)),
    ignore = "python3 is not installed: the INI corpus cannot be re-recorded"
)]
fn corpus_was_recorded_by_python_when_python_is_here() {
    // Re-run the generator into a temp copy and compare, so the committed JSON cannot drift
    // from what configparser really does. Skipped (with a reason) when python3 is missing.
    let Ok(out) = std::process::Command::new("python3")
        .arg("--version")
        .output()
    else {
        eprintln!("skipped: python3 not found, cannot re-record the INI corpus");
        return;
    };
    assert!(out.status.success());
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(data("ini")).unwrap() {
        let p = entry.unwrap().path();
        if matches!(p.extension().and_then(|e| e.to_str()), Some("ini" | "py")) {
            std::fs::copy(&p, tmp.path().join(p.file_name().unwrap())).unwrap();
        }
    }
    let st = std::process::Command::new("python3")
        .arg(tmp.path().join("generate.py"))
        .status()
        .unwrap();
    assert!(st.success());
    for entry in std::fs::read_dir(tmp.path()).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().and_then(|e| e.to_str()) == Some("json") {
            let committed =
                std::fs::read_to_string(data("ini").join(p.file_name().unwrap())).unwrap();
            assert_eq!(
                std::fs::read_to_string(&p).unwrap(),
                committed,
                "{}",
                p.display()
            );
        }
    }
}
