//! An INI parser that reads exactly what Python's `configparser.ConfigParser(interpolation=None)`
//! reads, because that is what the oci CLI and the Python SDK use for `~/.oci/config`.
//!
//! The rules (Python 3.11, default options): universal newlines; whole-line comments start
//! with `#` or `;` after leading white space, there are no inline comments; section headers
//! match `\[(.+)\]` at the start of the stripped line (greedy, case-sensitive, not trimmed);
//! option lines split at the first `=` or `:`, keys are stripped and lower-cased, values
//! stripped; a line indented deeper than its option line continues the value (joined with
//! `\n`, empty lines kept inside, trailing ones dropped); a duplicate section or a duplicate
//! key within one section is an error, `[DEFAULT]` may appear more than once; any other
//! line before the first section header is an error, and so is a line that is neither.

use std::collections::{HashMap, HashSet};

/// What Python would raise, with the 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IniError {
    #[error("line {line}: text before the first [section] header")]
    MissingSectionHeader { line: usize },
    #[error("line {line}: section [{section}] appears twice")]
    DuplicateSection { line: usize, section: String },
    #[error("line {line}: key '{key}' appears twice in section [{section}]")]
    DuplicateOption {
        line: usize,
        section: String,
        key: String,
    },
    #[error("line {line}: neither a section header, a 'key = value' line nor a comment")]
    Parsing { line: usize },
}

impl IniError {
    /// The Python exception class name, for the golden corpus.
    #[must_use]
    pub fn python_name(&self) -> &'static str {
        match self {
            IniError::MissingSectionHeader { .. } => "MissingSectionHeaderError",
            IniError::DuplicateSection { .. } => "DuplicateSectionError",
            IniError::DuplicateOption { .. } => "DuplicateOptionError",
            IniError::Parsing { .. } => "ParsingError",
        }
    }
}

/// One section: its keys in file order, values joined as Python joins them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub entries: Vec<(String, String)>,
}

impl Section {
    #[must_use]
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A parsed file: the `[DEFAULT]` section and the others in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ini {
    pub defaults: Section,
    pub sections: Vec<Section>,
    /// Every section header as (0-based line number, name), in file order (`[DEFAULT]` too);
    /// empty after [`parse_only`] with a section.
    pub headers: Vec<(usize, String)>,
    /// Section name → index in `sections`: lookups stay O(1) with 10,000 profiles.
    index: HashMap<String, usize>,
}

pub const DEFAULT_SECTION: &str = "DEFAULT";

impl Ini {
    /// Whether `name` is a profile, as Python's `name in parser` (DEFAULT always is).
    #[must_use]
    pub(crate) fn has_section(&self, name: &str) -> bool {
        name == DEFAULT_SECTION || self.index.contains_key(name)
    }

    /// The value of `key` in `section`, falling back to `[DEFAULT]`.
    #[must_use]
    pub(crate) fn get(&self, section: &str, key: &str) -> Option<&str> {
        if section != DEFAULT_SECTION
            && let Some(v) = self.section(section).and_then(|s| s.get(key))
        {
            return Some(v);
        }
        self.defaults.get(key)
    }

    #[must_use]
    pub(crate) fn section(&self, name: &str) -> Option<&Section> {
        if name == DEFAULT_SECTION {
            return Some(&self.defaults);
        }
        self.index.get(name).map(|&i| &self.sections[i])
    }

    /// Every key visible in `section` (its own first, then inherited ones), as Python's
    /// `parser[section].items()`.
    #[must_use]
    pub fn items(&self, section: &str) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        if section != DEFAULT_SECTION
            && let Some(s) = self.section(section)
        {
            out.extend(s.entries.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            seen.extend(s.entries.iter().map(|(k, _)| k.as_str()));
        }
        for (k, v) in &self.defaults.entries {
            if seen.insert(k) {
                out.push((k, v));
            }
        }
        out
    }
}

/// Splits as Python's text mode does with `newline=None`: `\r\n`, `\r` and `\n` end lines.
/// A file without `\r` (nearly every one) is split at `\n` alone, which is cheaper per line
/// than looking for two bytes.
fn universal_lines(text: &str) -> impl Iterator<Item = &str> {
    let has_cr = memchr::memchr(b'\r', text.as_bytes()).is_some();
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let found = if has_cr {
            memchr::memchr2(b'\r', b'\n', rest.as_bytes())
        } else {
            memchr::memchr(b'\n', rest.as_bytes())
        };
        if let Some(i) = found {
            let line = &rest[..i];
            let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
            rest = &rest[i + skip..];
            Some(line)
        } else {
            let line = rest;
            rest = "";
            Some(line)
        }
    })
}

/// Python's `str.strip()` white space (Unicode `White_Space` is close enough here).
fn py_strip(s: &str) -> &str {
    // ASCII first (the common case, and cheap); the Unicode trim only when a non-ASCII
    // character is at either end of what is left.
    let t = s.trim_ascii();
    if t.as_bytes().first().is_some_and(|b| !b.is_ascii())
        || t.as_bytes().last().is_some_and(|b| !b.is_ascii())
    {
        t.trim()
    } else {
        t
    }
}

/// The width of a line's leading white space, in characters.
fn indent(line: &str) -> usize {
    let ascii = line
        .bytes()
        .take_while(|b| b.is_ascii_whitespace() || *b == 0x0b)
        .count();
    if line.as_bytes().get(ascii).is_some_and(|b| !b.is_ascii()) {
        line.chars().take_while(|c| c.is_whitespace()).count()
    } else {
        ascii
    }
}

/// A fast, non-cryptographic hasher for section names (the input is the user's own file;
/// nothing is gained by `SipHash`'s flooding resistance, and it is a fifth of the cost of
/// reading a 10,000-profile config).
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxBuild = std::hash::BuildHasherDefault<FxHasher>;

/// A one-word filter over a section's keys: a bit per (length, first letter). Two keys that
/// are the same option once lower-cased set the same bit (ASCII keys; a non-ASCII key sets
/// every bit), so a clear bit proves a key new without comparing it to the others.
fn key_bit(key: &str) -> u64 {
    match key.as_bytes().first() {
        Some(b) if b.is_ascii() && key.is_ascii() => {
            let h = key.len().wrapping_mul(31) + usize::from(b.to_ascii_lowercase());
            1u64 << (h % 64)
        }
        _ => u64::MAX,
    }
}

/// Sections with more keys than this get a hash set for the duplicate-key check; smaller
/// ones (every real profile) are scanned, which is cheaper than hashing.
const SCAN_LIMIT: usize = 32;

/// configparser's `optionxform`: `str.lower()`.
fn lower(key: &str) -> String {
    if key.is_ascii() {
        key.to_ascii_lowercase()
    } else {
        key.to_lowercase()
    }
}

/// Whether two raw keys are the same option once lower-cased.
fn same_key(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        // eq_ignore_ascii_case compares lengths first: most pairs differ there.
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

/// Parses `text` as configparser does, in one pass (linear in the size of the file).
pub fn parse(text: &str) -> Result<Ini, IniError> {
    parse_only(text, None)
}

/// Where the lines of the current option go.
#[derive(Clone, Copy)]
enum Open {
    /// Into the last entry of this section (`None`: DEFAULT).
    Store(Option<usize>),
    /// Nowhere: the section is not materialised, but its continuation lines are consumed.
    Skip,
}

fn section_mut(ini: &mut Ini, sec: Option<usize>) -> &mut Section {
    match sec {
        None => &mut ini.defaults,
        Some(i) => &mut ini.sections[i],
    }
}

/// The value the current option's continuation lines extend, if it is kept.
fn last_value(ini: &mut Ini, open: Option<Open>) -> Option<&mut String> {
    match open? {
        Open::Store(sec) => section_mut(ini, sec).entries.last_mut().map(|e| &mut e.1),
        Open::Skip => None,
    }
}

/// [`parse`], materialising only `[DEFAULT]` and the section `only` (when given). Every
/// other section is still checked exactly as `parse` checks it (the same errors at the same
/// lines) but not kept: `sections`, `get`, `items` and `has_section` know only `only` and
/// DEFAULT. Reading one profile of a 10,000-profile file then allocates nothing for the
/// other profiles.
#[allow(clippy::too_many_lines)] // one state machine, as configparser's _read
pub fn parse_only(text: &str, only: Option<&str>) -> Result<Ini, IniError> {
    let mut ini = Ini {
        defaults: Section {
            name: DEFAULT_SECTION.into(),
            entries: Vec::new(),
        },
        sections: Vec::new(),
        headers: Vec::new(),
        index: HashMap::new(),
    };
    let keep = |name: &str| only.is_none_or(|o| o == name);
    // Sized once from a cheap estimate (a profile takes about 100 bytes), so a file of
    // 10,000 profiles never rehashes.
    let mut seen: HashSet<&str, FxBuild> =
        HashSet::with_capacity_and_hasher(text.len() / 128, FxBuild::default());
    // Raw keys of the current skipped section, and a set once it grows past SCAN_LIMIT.
    let mut skipped_keys: Vec<&str> = Vec::new();
    let mut skipped_bits: u64 = 0;
    let mut skipped_big: Option<HashSet<String>> = None;
    // Keys of stored sections too large to scan: section (None for DEFAULT) → keys.
    let mut big: HashMap<Option<usize>, HashSet<String>> = HashMap::new();
    // The current section: None before the first header; Some(Store(..)) or Some(Skip).
    let mut cur: Option<Open> = None;
    let mut cur_name: &str = "";
    let mut opt: Option<Open> = None;
    let mut indent_level = 0usize;
    let mut first_error: Option<IniError> = None;

    for (idx, line) in universal_lines(text).enumerate() {
        let lineno = idx + 1;
        let stripped = py_strip(line);
        if stripped.starts_with('#') || stripped.starts_with(';') {
            continue; // a comment neither adds to nor ends a value
        }
        if stripped.is_empty() {
            if let Some(v) = last_value(&mut ini, opt) {
                v.push('\n'); // kept inside a value, dropped at its end
            }
            continue;
        }
        let cur_indent = indent(line);
        if cur.is_some() && opt.is_some() && cur_indent > indent_level {
            if let Some(v) = last_value(&mut ini, opt) {
                v.push('\n');
                v.push_str(stripped);
            }
            continue;
        }
        indent_level = cur_indent;
        if let Some(name) = section_header(stripped) {
            opt = None;
            if only.is_none() {
                ini.headers.push((idx, name.to_owned()));
            }
            if name == DEFAULT_SECTION {
                cur = Some(Open::Store(None));
            } else if !seen.insert(name) {
                return Err(IniError::DuplicateSection {
                    line: lineno,
                    section: name.to_owned(),
                });
            } else if keep(name) {
                let i = ini.sections.len();
                ini.sections.push(Section {
                    name: name.to_owned(),
                    entries: Vec::new(),
                });
                ini.index.insert(name.to_owned(), i);
                cur = Some(Open::Store(Some(i)));
            } else {
                skipped_keys.clear();
                skipped_bits = 0;
                skipped_big = None;
                cur = Some(Open::Skip);
            }
            cur_name = name;
            continue;
        }
        let Some(open) = cur else {
            return Err(IniError::MissingSectionHeader { line: lineno });
        };
        let Some((key, value)) = option_line(stripped) else {
            first_error.get_or_insert(IniError::Parsing { line: lineno });
            continue;
        };
        if key.is_empty() {
            first_error.get_or_insert(IniError::Parsing { line: lineno });
        }
        let duplicate = match open {
            Open::Store(sec) => {
                let section = section_mut(&mut ini, sec);
                if section.entries.len() < SCAN_LIMIT {
                    section.entries.iter().any(|(k, _)| same_key(k, key))
                } else {
                    let keys = big.entry(sec).or_insert_with(|| {
                        section.entries.iter().map(|(k, _)| k.clone()).collect()
                    });
                    !keys.insert(lower(key))
                }
            }
            Open::Skip => {
                let bit = key_bit(key);
                let maybe = skipped_bits & bit != 0;
                skipped_bits |= bit;
                if let Some(set) = &mut skipped_big {
                    !set.insert(lower(key))
                } else if maybe && skipped_keys.iter().any(|k| same_key(k, key)) {
                    true
                } else {
                    skipped_keys.push(key);
                    if skipped_keys.len() >= SCAN_LIMIT {
                        skipped_big = Some(skipped_keys.iter().map(|k| lower(k)).collect());
                    }
                    false
                }
            }
        };
        if duplicate {
            return Err(IniError::DuplicateOption {
                line: lineno,
                section: cur_name.to_owned(),
                key: lower(key),
            });
        }
        if let Open::Store(sec) = open {
            section_mut(&mut ini, sec)
                .entries
                .push((lower(key), py_strip(value).to_owned()));
        }
        opt = Some(open);
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    // Python joins the lines and strips the end: trailing blank lines go.
    let trim = |v: &mut String| {
        let keep = v.trim_end().len();
        v.truncate(keep);
    };
    ini.defaults.entries.iter_mut().for_each(|e| trim(&mut e.1));
    for section in &mut ini.sections {
        section.entries.iter_mut().for_each(|e| trim(&mut e.1));
    }
    Ok(ini)
}

/// `\[(?P<header>.+)\]` matched at the start: the header runs to the last `]`.
fn section_header(stripped: &str) -> Option<&str> {
    let rest = stripped.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    (end > 0).then(|| &rest[..end])
}

/// `(?P<option>.*?)\s*(?P<vi>=|:)\s*(?P<value>.*)$`: split at the first delimiter. The
/// value is returned as it stands ([`py_strip`] it): a section that is only checked never
/// needs it.
fn option_line(stripped: &str) -> Option<(&str, &str)> {
    let at = memchr::memchr2(b'=', b':', stripped.as_bytes())?;
    Some((py_strip(&stripped[..at]), &stripped[at + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_in_skipped_sections_are_still_found() {
        for text in [
            "[a]\nKey=1\nkey=2\n[b]\nx=1\n",
            "[a]\nkey=1\n\u{212a}ey=2\n[b]\nx=1\n", // KELVIN SIGN lower-cases to k
            "[a]\n\u{212a}ey=1\nKEY=2\n[b]\nx=1\n",
        ] {
            let full = parse(text).unwrap_err();
            assert_eq!(parse_only(text, Some("b")).unwrap_err(), full, "{text:?}");
            assert!(matches!(full, IniError::DuplicateOption { .. }), "{text:?}");
        }
        assert!(parse_only("[a]\nuser=1\nregion=2\nkey_file=3\n[b]\n", Some("b")).is_ok());
    }

    #[test]
    fn basics() {
        let ini = parse("[DEFAULT]\nregion=r\n[p]\nUSER = u\nk: a=b ; c\n").unwrap();
        assert_eq!(ini.get("p", "user"), Some("u"));
        assert_eq!(ini.get("p", "k"), Some("a=b ; c"));
        assert_eq!(ini.get("p", "region"), Some("r"));
        assert!(ini.has_section("DEFAULT"));
        assert!(!ini.has_section("P"));
    }

    #[test]
    fn continuation_and_comments() {
        let ini = parse("[p]\nk = a\n  # c\n\n  b\n\n").unwrap();
        assert_eq!(ini.get("p", "k"), Some("a\n\nb"));
    }

    #[test]
    fn errors() {
        assert_eq!(
            parse("k=v\n").unwrap_err().python_name(),
            "MissingSectionHeaderError"
        );
        assert_eq!(
            parse("[a]\n[a]\n").unwrap_err().python_name(),
            "DuplicateSectionError"
        );
        assert_eq!(
            parse("[a]\nk=1\nK=2\n").unwrap_err().python_name(),
            "DuplicateOptionError"
        );
        assert_eq!(
            parse("[a]\njunk\n").unwrap_err().python_name(),
            "ParsingError"
        );
        assert!(parse("[DEFAULT]\na=1\n[DEFAULT]\nb=2\n").is_ok());
    }

    #[test]
    fn parse_only_checks_everything_but_keeps_one_section() {
        let text = "[DEFAULT]\nregion=r\n[a]\nk=1\n  more\n[b]\nuser=u\nK2=v\n";
        let ini = parse_only(text, Some("b")).unwrap();
        assert_eq!(ini.get("b", "user"), Some("u"));
        assert_eq!(ini.get("b", "k2"), Some("v"));
        assert_eq!(ini.get("b", "region"), Some("r"));
        assert!(ini.has_section("b") && !ini.has_section("a"));
        assert_eq!(ini.sections.len(), 1, "only the section asked for");
        // The same errors as a full parse, at the same lines, in skipped sections too.
        for bad in [
            "[a]\nk=1\nK=2\n[b]\n",
            "[a]\n[b]\n[a]\n",
            "[a]\njunk\n[b]\nx=1\n",
            "[DEFAULT]\nx=1\n[a]\n[DEFAULT]\nX=2\n[b]\n",
        ] {
            assert_eq!(
                parse_only(bad, Some("b")).unwrap_err(),
                parse(bad).unwrap_err(),
                "{bad:?}"
            );
        }
        let many = (0..100).fold(String::new(), |mut m, i| {
            let _ = std::fmt::Write::write_fmt(&mut m, format_args!("k{i}=v\n"));
            m
        });
        let dup = format!("[a]\n{many}K7=again\n[b]\n");
        assert_eq!(
            parse_only(&dup, Some("b")).unwrap_err(),
            parse(&dup).unwrap_err()
        );
        assert!(matches!(parse(&dup), Err(IniError::DuplicateOption { .. })));
    }
}
