//! The architecture, checked: every `use` tree and every `crate::`/`super::` path in the
//! non-test code of `src/` is parsed and resolved to the module it names, and the layers of
//! `docs/architecture.md` may only depend inwards. Commands do not import each other.

use std::collections::BTreeSet;
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
    out.sort();
    out
}

/// The code of a file without comments, string and char literals, and without the items
/// marked `#[cfg(test)]` (a test module or a test-only function: tests may reach anywhere).
/// Everything else is read, after a test module too.
fn code(text: &str) -> String {
    drop_test_items(&strip_literals(text))
}

/// The end (exclusive) of the bracketed group that opens at `open` (`{`, `(` or `[`).
fn group_end(b: &[u8], open: usize) -> usize {
    let (o, c) = match b[open] {
        b'{' => (b'{', b'}'),
        b'(' => (b'(', b')'),
        _ => (b'[', b']'),
    };
    let mut depth = 0usize;
    for (i, &x) in b.iter().enumerate().skip(open) {
        if x == o {
            depth += 1;
        } else if x == c {
            depth -= 1;
            if depth == 0 {
                return i + 1;
            }
        }
    }
    b.len()
}

/// `code` without each item after a `#[cfg(test)]`: further attributes, then the item up to
/// its `;` or through its `{ … }` body.
fn drop_test_items(code: &str) -> String {
    const MARK: &str = "#[cfg(test)]";
    let b = code.as_bytes();
    let mut out = String::with_capacity(code.len());
    let mut from = 0;
    while let Some(i) = code[from..].find(MARK) {
        let at = from + i;
        out.push_str(&code[from..at]);
        let mut j = at + MARK.len();
        loop {
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            if b.get(j) == Some(&b'#') && b.get(j + 1) == Some(&b'[') {
                j = group_end(b, j + 1);
            } else {
                break;
            }
        }
        while j < b.len() && b[j] != b'{' && b[j] != b';' {
            j += 1;
        }
        from = if b.get(j) == Some(&b'{') {
            group_end(b, j)
        } else {
            (j + 1).min(b.len())
        };
    }
    out.push_str(&code[from..]);
    out
}

/// `text` without comments, and with string and char literals emptied.
fn strip_literals(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1).copied()) {
            ('/', Some('/')) => {
                while i < b.len() && b[i] != '\n' {
                    i += 1;
                }
            }
            ('/', Some('*')) => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == '*' && b[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
            }
            ('r', Some('#' | '"'))
                if i == 0 || !(b[i - 1].is_alphanumeric() || b[i - 1] == '_') =>
            {
                // A raw string: r"..." or r#"..."#.
                let mut j = i + 1;
                let mut hashes = 0;
                while j < b.len() && b[j] == '#' {
                    hashes += 1;
                    j += 1;
                }
                if j < b.len() && b[j] == '"' {
                    j += 1;
                    loop {
                        if j >= b.len() {
                            break;
                        }
                        if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                            j += 1 + hashes;
                            break;
                        }
                        j += 1;
                    }
                    out.push_str("\"\"");
                    i = j;
                } else {
                    out.push(b[i]);
                    i += 1;
                }
            }
            ('"', _) => {
                i += 1;
                while i < b.len() && b[i] != '"' {
                    if b[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                out.push_str("\"\"");
            }
            ('\'', _) if b.get(i + 2) == Some(&'\'') || (b.get(i + 1) == Some(&'\\')) => {
                // A char literal ('a' or '\n'), not a lifetime.
                i += 1;
                while i < b.len() && b[i] != '\'' {
                    if b[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                out.push_str("' '");
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Expands a `use` tree (`a::{b, c::{self, d as e}}`) into its paths.
fn expand(tree: &str) -> Vec<Vec<String>> {
    fn go(prefix: &[String], t: &str, out: &mut Vec<Vec<String>>) {
        let t = t.trim();
        if t.is_empty() {
            return;
        }
        if let Some(open) = t.find('{') {
            let head: Vec<String> = t[..open]
                .split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            let inner = &t[open + 1..t.rfind('}').unwrap()];
            let mut depth = 0;
            let mut start = 0;
            let mut p = prefix.to_vec();
            p.extend(head);
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        go(&p, &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            go(&p, &inner[start..], out);
        } else {
            let t = t.split(" as ").next().unwrap().trim();
            let mut p = prefix.to_vec();
            for seg in t.split("::").map(str::trim) {
                if seg != "self" || p.is_empty() {
                    p.push(seg.to_owned());
                }
            }
            out.push(p);
        }
    }
    let mut out = Vec::new();
    go(&[], tree, &mut out);
    out
}

/// The module path of a source file: `src/a/b.rs` and `src/a/b/mod.rs` are `[a, b]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut m: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if m.last()
        .is_some_and(|l| l == "mod" || l == "lib" || l == "main")
    {
        m.pop();
    }
    m
}

/// The modules a file declares (`mod a;`, `pub mod b;`, `pub(crate) mod c;`).
fn declared_modules(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in code.lines() {
        let l = line.trim();
        let l = l
            .strip_prefix("pub(crate) ")
            .or_else(|| l.strip_prefix("pub "))
            .unwrap_or(l);
        if let Some(name) = l.strip_prefix("mod ").and_then(|r| r.strip_suffix(';')) {
            out.push(name.trim().to_owned());
        }
    }
    out
}

/// Every path the file's code names, resolved to absolute module paths in this crate
/// (`None` entries for other crates are dropped; `clap` is kept as `["::clap"]`).
fn references(src: &Path, file: &Path) -> BTreeSet<Vec<String>> {
    let module = module_of(src, file);
    let c = code(&std::fs::read_to_string(file).unwrap());
    let mut paths = Vec::new();
    // `use` declarations (`pub use`, `pub(crate) use` included).
    let mut rest = c.as_str();
    while let Some(i) = rest.find("use ") {
        let before_ok = i == 0 || !rest.as_bytes()[i - 1].is_ascii_alphanumeric();
        let tail = &rest[i + 4..];
        let end = tail.find(';').unwrap_or(tail.len());
        if before_ok {
            paths.extend(expand(&tail[..end]));
        }
        rest = &tail[end.min(tail.len())..];
    }
    // Qualified paths in code: `crate::a::b`, `super::a`, and `clap::`.
    let bytes = c.as_bytes();
    for start in ["crate::", "super::", "clap::"] {
        let mut from = 0;
        while let Some(i) = c[from..].find(start) {
            let at = from + i;
            from = at + start.len();
            if at > 0
                && (bytes[at - 1].is_ascii_alphanumeric()
                    || bytes[at - 1] == b'_'
                    || bytes[at - 1] == b':')
            {
                continue;
            }
            let mut end = at;
            while end < bytes.len()
                && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_' || bytes[end] == b':')
            {
                end += 1;
            }
            if bytes.get(end) == Some(&b'{') {
                continue; // `a::{b, c}`: a use tree, expanded above
            }
            paths.push(
                c[at..end]
                    .trim_end_matches(':')
                    .split("::")
                    .map(str::to_owned)
                    .collect(),
            );
        }
    }
    // A parent's paths into the modules it declares (`mod session;` … `session::ensure`).
    for child in declared_modules(&c) {
        let pat = format!("{child}::");
        let mut from = 0;
        while let Some(i) = c[from..].find(&pat) {
            let at = from + i;
            from = at + pat.len();
            if at == 0
                || !(bytes[at - 1].is_ascii_alphanumeric()
                    || bytes[at - 1] == b'_'
                    || bytes[at - 1] == b':')
            {
                paths.push(vec!["self".to_owned(), child.clone()]);
            }
        }
    }
    let mut out = BTreeSet::new();
    for p in paths {
        let Some(first) = p.first() else { continue };
        let resolved: Vec<String> = match first.as_str() {
            "crate" => p[1..].to_vec(),
            "super" | "self" => {
                let mut base = module.clone();
                let mut segs = p.as_slice();
                while let Some(s) = segs.first() {
                    match s.as_str() {
                        "super" => {
                            base.pop();
                        }
                        "self" => {}
                        _ => break,
                    }
                    segs = &segs[1..];
                }
                base.extend(segs.iter().cloned());
                base
            }
            "clap" | "clap_complete" | "clap_mangen" => vec!["::clap".to_owned()],
            _ => continue,
        };
        if !resolved.is_empty() {
            out.insert(resolved);
        }
    }
    out
}

/// The layers, inside out: a module may use its own layer and those before it.
const LAYERS: &[&[&str]] = &[
    &[
        "error", "secret", "duration", "encoding", "suggest", "sys", "token", "data",
    ],
    &["crypto", "region", "output"],
    &["config"],
    &["services"],
    &["context"],
    &["credential"],
    &["commands"],
    &["app", "cli"],
];

fn layer(top: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&top))
}

/// A file of `src/`: its path below `src/` (with `/`), its module path and its full path.
struct Source {
    rel: String,
    module: Vec<String>,
    path: PathBuf,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn source_files() -> Vec<Source> {
    let src = src_dir();
    sources(&src)
        .into_iter()
        .map(|path| Source {
            rel: path
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/"),
            module: module_of(&src, &path),
            path,
        })
        .collect()
}

fn all_references() -> Vec<(String, Vec<String>, Vec<String>)> {
    let src = src_dir();
    let mut out = Vec::new();
    for f in source_files() {
        for r in references(&src, &f.path) {
            out.push((f.rel.clone(), f.module.clone(), r));
        }
    }
    out
}

#[test]
fn use_trees_are_parsed() {
    assert_eq!(
        expand("crate::{a, b::{self, c as d}, e::f}"),
        [
            vec!["crate", "a"],
            vec!["crate", "b"],
            vec!["crate", "b", "c"],
            vec!["crate", "e", "f"]
        ]
    );
    assert_eq!(
        code("let s = \"crate::cli\"; // crate::app\nuse x; /* crate::commands */ 'a'"),
        "let s = \"\"; \nuse x;  ' '"
    );
    let layers: Vec<_> = all_references();
    assert!(
        layers
            .iter()
            .any(|(f, _, r)| f == "commands/kube.rs" && r[0] == "credential"),
        "the parser sees commands using credentials"
    );
}

#[test]
fn only_the_command_line_layer_knows_clap() {
    for (file, module, r) in all_references() {
        if r[0] == "::clap" {
            assert!(
                module.first().is_some_and(|m| m == "cli"),
                "{file} uses clap: only src/cli/ may"
            );
        }
    }
}

#[test]
fn inner_layers_do_not_reach_outwards() {
    let mut bad = Vec::new();
    for (file, module, r) in all_references() {
        let (Some(from), Some(to)) = (module.first().and_then(|m| layer(m)), layer(&r[0])) else {
            continue;
        };
        if to > from {
            bad.push(format!("{file} uses crate::{}", r.join("::")));
        }
    }
    assert!(
        bad.is_empty(),
        "inner layers reach outwards:\n{}",
        bad.join("\n")
    );
    // Every top-level module has a layer.
    for f in source_files() {
        if let Some(top) = f.module.first() {
            assert!(layer(top).is_some(), "src/{} has no layer in LAYERS", f.rel);
        }
    }
}

#[test]
fn commands_do_not_import_each_other() {
    let mut bad = Vec::new();
    for (file, module, r) in all_references() {
        if module.first().is_some_and(|m| m == "commands")
            && module.len() >= 2
            && r.first().is_some_and(|t| t == "commands")
            && r.len() >= 2
            && r[1] != module[1]
        {
            bad.push(format!("{file} uses crate::{}", r.join("::")));
        }
    }
    assert!(
        bad.is_empty(),
        "commands import each other:\n{}",
        bad.join("\n")
    );
}

/// The module graph: each file's module → the modules (files) its code names.
fn module_graph() -> std::collections::BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let modules: BTreeSet<Vec<String>> = source_files().into_iter().map(|f| f.module).collect();
    let mut graph: std::collections::BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = modules
        .iter()
        .map(|m| (m.clone(), BTreeSet::new()))
        .collect();
    for (_, from, r) in all_references() {
        // The longest prefix of the path that is a module of its own file.
        let to = (1..=r.len())
            .rev()
            .map(|n| r[..n].to_vec())
            .find(|p| modules.contains(p));
        if let Some(to) = to
            && to != from
            && !from.is_empty()
        {
            graph.get_mut(&from).unwrap().insert(to);
        }
    }
    graph
}

/// The strongly connected components of more than one module (Tarjan).
fn cycles(
    graph: &std::collections::BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a std::collections::BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: std::collections::HashMap<&'a Vec<String>, usize>,
        low: std::collections::HashMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on: BTreeSet<&'a Vec<String>>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a Vec<String>) {
        let n = t.index.len();
        t.index.insert(v, n);
        t.low.insert(v, n);
        t.stack.push(v);
        t.on.insert(v);
        for w in &t.g[v] {
            if !t.index.contains_key(w) {
                visit(t, w);
                let l = t.low[v].min(t.low[w]);
                t.low.insert(v, l);
            } else if t.on.contains(w) {
                let l = t.low[v].min(t.index[w]);
                t.low.insert(v, l);
            }
        }
        if t.low[v] == t.index[v] {
            let mut scc = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                scc.push(w.join("::"));
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 {
                scc.sort();
                t.out.push(scc);
            }
        }
    }
    let mut t = T {
        g: graph,
        index: std::collections::HashMap::default(),
        low: std::collections::HashMap::default(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    t.out
}

/// No import cycles at all, parents and children included: what the children of a module
/// share lives in a module of its own (`credential/kind.rs`, `credential/auth.rs`,
/// `config/path.rs`, `crypto/key/error.rs`, `commands/login/session.rs`,
/// `sys/os/exposure.rs`), never in the parent that also uses them.
#[test]
fn no_import_cycles() {
    let found = cycles(&module_graph());
    let text: Vec<String> = found.iter().map(|c| c.join(" <-> ")).collect();
    assert!(found.is_empty(), "import cycles:\n{}", text.join("\n"));
}

#[test]
fn the_reader_sees_past_test_items_and_finds_cycles() {
    let c = code(
        "#[cfg(test)]\n#[must_use]\npub fn at() { crate::cli::x() }\nuse crate::app;\n#[cfg(test)]\nmod tests { use crate::commands; }\nfn f() { crate::config::y() }",
    );
    assert!(
        c.contains("crate::app") && c.contains("crate::config"),
        "{c}"
    );
    assert!(
        !c.contains("crate::cli") && !c.contains("crate::commands"),
        "{c}"
    );
    assert_eq!(
        declared_modules("pub mod a;\nmod b;\npub(crate) mod c;\nmod d {"),
        ["a", "b", "c"]
    );
    let m = |s: &str| s.split("::").map(str::to_owned).collect::<Vec<_>>();
    let g: std::collections::BTreeMap<_, _> = [
        (m("a"), [m("b")].into_iter().collect()),
        (m("b"), [m("c")].into_iter().collect()),
        (m("c"), [m("a")].into_iter().collect()),
        (m("d"), [m("a")].into_iter().collect()),
    ]
    .into_iter()
    .collect();
    assert_eq!(cycles(&g), [vec!["a", "b", "c"]]);
}

/// Whether `code` holds a platform condition: `cfg(windows)`, `cfg!(unix)`,
/// `cfg_attr(target_os = …)`, `not(windows)` inside any of them.
fn platform_conditions(code: &str) -> Vec<String> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = code[from..].find("cfg") {
        let at = from + i;
        from = at + 3;
        let mut j = from;
        if code[j..].starts_with("_attr") {
            j += 5;
        }
        if b.get(j) == Some(&b'!') {
            j += 1;
        }
        if b.get(j) != Some(&b'(') {
            continue;
        }
        let cond = &code[at..group_end(b, j)];
        if [
            "windows",
            "unix",
            "target_os",
            "target_family",
            "target_vendor",
        ]
        .iter()
        .any(|w| cond.contains(w))
        {
            out.push(cond.to_owned());
        }
    }
    out
}

/// What differs between platforms is decided in `src/sys/os/` only; everywhere else asks
/// it (`os::WINDOWS`, `os::text`, the functions both platform files offer). Test items may
/// be platform-specific (a test of a Unix mode bit).
#[test]
fn platform_conditions_live_in_sys_os_only() {
    assert_eq!(
        platform_conditions(
            "#[cfg(windows)] fn a() {} #[cfg(test)] fn b() {} let x = cfg!(target_os = \"macos\"); #[cfg_attr(not(unix), allow(x))]"
        ),
        [
            "cfg(windows)",
            "cfg!(target_os = \"macos\")",
            "cfg_attr(not(unix), allow(x))"
        ]
    );
    let mut bad = Vec::new();
    for f in source_files() {
        if f.rel.starts_with("sys/os/") {
            continue;
        }
        for c in platform_conditions(&code(&std::fs::read_to_string(&f.path).unwrap())) {
            bad.push(format!("{}: {c}", f.rel));
        }
    }
    assert!(
        bad.is_empty(),
        "platform conditions outside src/sys/os/:\n{}",
        bad.join("\n")
    );
}

/// `docs/architecture.md` shows the smallest kind as the recipe for a new one: its listing
/// is the code of `src/credential/api_key.rs` from the type to the end of its `Kind` impl,
/// word for word (white space aside), and the `KINDS` row is the one in `mod.rs`.
#[test]
fn the_recipe_for_a_kind_is_the_code_of_the_smallest_one() {
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = std::fs::read_to_string(root.join("src/credential/api_key.rs")).unwrap();
    let start = src
        .find("/// An API-key profile as a credential kind.")
        .unwrap();
    let impl_at = src[start..].find("impl Kind for ApiKey {").unwrap() + start;
    let end = group_end(src.as_bytes(), impl_at + src[impl_at..].find('{').unwrap());
    let doc = std::fs::read_to_string(root.join("docs/architecture.md")).unwrap();
    assert!(
        words(&doc).contains(&words(&src[start..end])),
        "docs/architecture.md no longer shows api_key.rs as it is:\n{}",
        &src[start..end]
    );
    let modrs = std::fs::read_to_string(root.join("src/credential/mod.rs")).unwrap();
    assert!(modrs.contains("(Auth::ApiKey, api_key::make),"));
    assert!(doc.contains("(Auth::ApiKey, api_key::make),"));
}
