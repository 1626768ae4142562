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
use std::fmt;

/// What Python would raise, with the 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IniError {
    MissingSectionHeader {
        line: usize,
    },
    DuplicateSection {
        line: usize,
        section: String,
    },
    DuplicateOption {
        line: usize,
        section: String,
        key: String,
    },
    Parsing {
        line: usize,
    },
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

impl fmt::Display for IniError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IniError::MissingSectionHeader { line } => {
                write!(f, "line {line}: text before the first [section] header")
            }
            IniError::DuplicateSection { line, section } => {
                write!(f, "line {line}: section [{section}] appears twice")
            }
            IniError::DuplicateOption { line, section, key } => {
                write!(
                    f,
                    "line {line}: key '{key}' appears twice in section [{section}]"
                )
            }
            IniError::Parsing { line } => {
                write!(
                    f,
                    "line {line}: neither a section header, a 'key = value' line nor a comment"
                )
            }
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
    pub fn get(&self, key: &str) -> Option<&str> {
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
    /// Every section header as (0-based line number, name), in file order (`[DEFAULT]` too).
    pub headers: Vec<(usize, String)>,
    /// Section name → index in `sections`: lookups stay O(1) with 10,000 profiles.
    index: HashMap<String, usize>,
}

pub const DEFAULT_SECTION: &str = "DEFAULT";

impl Ini {
    /// Whether `name` is a profile, as Python's `name in parser` (DEFAULT always is).
    #[must_use]
    pub fn has_section(&self, name: &str) -> bool {
        name == DEFAULT_SECTION || self.index.contains_key(name)
    }

    /// The value of `key` in `section`, falling back to `[DEFAULT]`.
    #[must_use]
    pub fn get(&self, section: &str, key: &str) -> Option<&str> {
        if section != DEFAULT_SECTION
            && let Some(v) = self.section(section).and_then(|s| s.get(key))
        {
            return Some(v);
        }
        self.defaults.get(key)
    }

    #[must_use]
    pub fn section(&self, name: &str) -> Option<&Section> {
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
fn universal_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        if let Some(i) = rest.find(['\r', '\n']) {
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
    s.trim()
}

/// Parses `text` as configparser does, in one pass (linear in the size of the file).
#[allow(clippy::too_many_lines)] // one state machine, as configparser's _read
pub fn parse(text: &str) -> Result<Ini, IniError> {
    // Where the current option lives: (section index or None for DEFAULT, entry index).
    type Slot = (Option<usize>, usize);
    let mut ini = Ini {
        defaults: Section {
            name: DEFAULT_SECTION.into(),
            entries: Vec::new(),
        },
        sections: Vec::new(),
        headers: Vec::new(),
        index: HashMap::new(),
    };
    // Keys seen per section (DEFAULT first), for the duplicate check in O(1).
    let mut default_keys: HashSet<String> = HashSet::new();
    let mut section_keys: Vec<HashSet<String>> = Vec::new();
    // Raw value lines per slot, joined at the end.
    let mut default_lines: Vec<Vec<String>> = Vec::new();
    let mut section_lines: Vec<Vec<Vec<String>>> = Vec::new();
    let mut cur: Option<Option<usize>> = None; // None: no section yet; Some(None): DEFAULT
    let mut opt: Option<Slot> = None;
    let mut indent_level = 0usize;
    let mut first_error: Option<IniError> = None;

    for (idx, line) in universal_lines(text).enumerate() {
        let lineno = idx + 1;
        let stripped = py_strip(line);
        if stripped.starts_with('#') || stripped.starts_with(';') {
            continue; // a comment neither adds to nor ends a value
        }
        if stripped.is_empty() {
            if let Some((sec, i)) = opt {
                lines_of(&mut default_lines, &mut section_lines, sec, i).push(String::new());
            }
            continue;
        }
        let cur_indent = line.chars().take_while(|c| c.is_whitespace()).count();
        if let (Some(_), Some((sec, i))) = (cur, opt)
            && cur_indent > indent_level
        {
            lines_of(&mut default_lines, &mut section_lines, sec, i).push(stripped.to_owned());
            continue;
        }
        indent_level = cur_indent;
        if let Some(name) = section_header(stripped) {
            opt = None;
            ini.headers.push((idx, name.to_owned()));
            if name == DEFAULT_SECTION {
                cur = Some(None);
            } else if ini.index.contains_key(name) {
                return Err(IniError::DuplicateSection {
                    line: lineno,
                    section: name.to_owned(),
                });
            } else {
                ini.index.insert(name.to_owned(), ini.sections.len());
                ini.sections.push(Section {
                    name: name.to_owned(),
                    entries: Vec::new(),
                });
                section_lines.push(Vec::new());
                section_keys.push(HashSet::new());
                cur = Some(Some(ini.sections.len() - 1));
            }
            continue;
        }
        let Some(sec) = cur else {
            return Err(IniError::MissingSectionHeader { line: lineno });
        };
        let Some((key, value)) = option_line(stripped) else {
            first_error.get_or_insert(IniError::Parsing { line: lineno });
            continue;
        };
        if key.is_empty() {
            first_error.get_or_insert(IniError::Parsing { line: lineno });
        }
        let key = key.to_lowercase();
        let (section, keys) = match sec {
            None => (&mut ini.defaults, &mut default_keys),
            Some(i) => (&mut ini.sections[i], &mut section_keys[i]),
        };
        if !keys.insert(key.clone()) {
            return Err(IniError::DuplicateOption {
                line: lineno,
                section: section.name.clone(),
                key,
            });
        }
        section.entries.push((key, String::new()));
        let i = section.entries.len() - 1;
        match sec {
            None => default_lines.push(vec![value.to_owned()]),
            Some(s) => section_lines[s].push(vec![value.to_owned()]),
        }
        opt = Some((sec, i));
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    for (entry, lines) in ini.defaults.entries.iter_mut().zip(default_lines) {
        lines.join("\n").trim_end().clone_into(&mut entry.1);
    }
    for (section, lines) in ini.sections.iter_mut().zip(section_lines) {
        for (entry, l) in section.entries.iter_mut().zip(lines) {
            l.join("\n").trim_end().clone_into(&mut entry.1);
        }
    }
    Ok(ini)
}

fn lines_of<'a>(
    defaults: &'a mut [Vec<String>],
    sections: &'a mut [Vec<Vec<String>>],
    sec: Option<usize>,
    i: usize,
) -> &'a mut Vec<String> {
    match sec {
        None => &mut defaults[i],
        Some(s) => &mut sections[s][i],
    }
}

/// `\[(?P<header>.+)\]` matched at the start: the header runs to the last `]`.
fn section_header(stripped: &str) -> Option<&str> {
    let rest = stripped.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    (end > 0).then(|| &rest[..end])
}

/// `(?P<option>.*?)\s*(?P<vi>=|:)\s*(?P<value>.*)$`: split at the first delimiter.
fn option_line(stripped: &str) -> Option<(&str, &str)> {
    let at = stripped.find(['=', ':'])?;
    Some((stripped[..at].trim_end(), stripped[at + 1..].trim_start()))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
