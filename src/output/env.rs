//! `env`: export lines for `eval` (or `Invoke-Expression`, or a cmd batch file), in the
//! syntax of each shell.
//!
//! Every value is quoted so that the shell reads it back byte for byte and nothing in it can
//! end the quoting: `tests::hostile_values_stay_values` holds a table of such values for
//! every shell. PowerShell lines are pure ASCII (other characters are written as `[char]`
//! codes), because Windows PowerShell 5.1 decodes a native command's output in the console's
//! code page and would garble `C:\Users\Zoë`; cmd has no such escape, so a value cmd cannot
//! carry is refused rather than written wrongly.

use jiff::Timestamp;

/// The shells `env` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shell {
    Sh,
    Bash,
    Zsh,
    Fish,
    Pwsh,
    Cmd,
}

impl Shell {
    /// The shell named by `$SHELL` (its last path component, `.exe` or not); without one,
    /// the platform's: POSIX sh on Unix, PowerShell on Windows (where `SHELL` is set only by
    /// Git Bash, MSYS2 and Cygwin, whose shells it then names).
    #[must_use]
    pub(crate) fn from_shell_var(shell_var: Option<&str>, windows: bool) -> Shell {
        let name = shell_var.and_then(|s| s.rsplit(['/', '\\']).next());
        let name = name.map(|n| n.strip_suffix(".exe").unwrap_or(n));
        match name {
            Some("bash") => Shell::Bash,
            Some("zsh") => Shell::Zsh,
            Some("fish") => Shell::Fish,
            Some("pwsh" | "powershell") => Shell::Pwsh,
            Some("cmd") => Shell::Cmd,
            None if windows => Shell::Pwsh,
            Some(_) | None => Shell::Sh,
        }
    }
}

/// A value that cmd cannot carry (see [`quote`]), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unquotable {
    pub name: String,
    pub why: &'static str,
}

impl std::fmt::Display for Unquotable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} cannot be written for cmd: {}; use --shell pwsh (PowerShell quotes any value)",
            self.name, self.why
        )
    }
}

/// What the lines say.
#[derive(Debug, Clone)]
pub(crate) struct EnvView<'a> {
    /// `None` for principals: `OCI_CLI_PROFILE` is unset.
    pub profile: Option<&'a str>,
    pub auth: &'a str,
    pub config_file: Option<String>,
    pub expires_at: Option<Timestamp>,
}

/// Quotes `v` for `shell`.
///
/// - sh, bash, zsh: single quotes, in which nothing is special but `'` itself.
/// - fish: single quotes, in which `\\` and `'` are escaped.
/// - PowerShell: single quotes, in which `'` is doubled; PowerShell also ends a single-quoted
///   string at U+2018..U+201B, and those, like every character outside printable ASCII,
///   are written as `[char]0xNNNN` (`[char]::ConvertFromUtf32(0xNNNNN)` above U+FFFF)
///   joined with `+`, so the line is ASCII and nothing but `'` can close a quote.
/// - cmd: `"NAME=value"` quoting makes `& | < > ^ ( )` literal; `"`, `%`, `!`, control
///   characters and characters outside ASCII (read in the console's code page) cannot be
///   carried and are refused.
fn quote(shell: Shell, v: &str) -> Result<String, &'static str> {
    Ok(match shell {
        Shell::Sh | Shell::Bash | Shell::Zsh => format!("'{}'", v.replace('\'', r"'\''")),
        Shell::Fish => format!("'{}'", v.replace('\\', r"\\").replace('\'', r"\'")),
        Shell::Pwsh => quote_pwsh(v),
        Shell::Cmd => {
            if let Some(why) = v.chars().find_map(cmd_refuses) {
                return Err(why);
            }
            v.to_owned()
        }
    })
}

fn quote_pwsh(v: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("'");
    for c in v.chars() {
        let _ = match c {
            '\'' => out.write_str("''"),
            ' '..='~' => out.write_char(c),
            c if u32::from(c) <= 0xFFFF => write!(out, "' + [char]0x{:04X} + '", u32::from(c)),
            c => write!(
                out,
                "' + [char]::ConvertFromUtf32(0x{:X}) + '",
                u32::from(c)
            ),
        };
    }
    out.push('\'');
    out
}

fn cmd_refuses(c: char) -> Option<&'static str> {
    match c {
        '"' => Some("it holds a double quote"),
        '%' => Some("it holds `%`, which cmd expands"),
        '!' => Some("it holds `!`, which cmd expands when delayed expansion is on"),
        c if c.is_ascii_control() => Some("it holds a control character"),
        c if !c.is_ascii() => {
            Some("it holds characters outside ASCII, which cmd reads in the console's code page")
        }
        _ => None,
    }
}

fn set(shell: Shell, name: &str, value: &str) -> Result<String, Unquotable> {
    let v = quote(shell, value).map_err(|why| Unquotable {
        name: name.to_owned(),
        why,
    })?;
    Ok(match shell {
        Shell::Sh | Shell::Bash | Shell::Zsh => format!("export {name}={v}\n"),
        Shell::Fish => format!("set -gx {name} {v};\n"),
        Shell::Pwsh => format!("$Env:{name} = {v}\n"),
        Shell::Cmd => format!("set \"{name}={v}\"\n"),
    })
}

fn unset(shell: Shell, name: &str) -> String {
    match shell {
        Shell::Sh | Shell::Bash | Shell::Zsh => format!("unset {name}\n"),
        Shell::Fish => format!("set -e {name};\n"),
        Shell::Pwsh => format!("Remove-Item Env:{name} -ErrorAction SilentlyContinue\n"),
        Shell::Cmd => format!("set \"{name}=\"\n"),
    }
}

/// Export lines for `pairs`; a `None` value is unset.
pub(crate) fn render_pairs(
    shell: Shell,
    pairs: &[(&str, Option<&str>)],
) -> Result<String, Unquotable> {
    pairs
        .iter()
        .map(|(k, v)| match v {
            Some(v) => set(shell, k, v),
            None => Ok(unset(shell, k)),
        })
        .collect()
}

/// `OCI_CLI_PROFILE`, `OCI_CLI_AUTH`, `OCI_CLI_CONFIG_FILE`, `OCI_TOKEN_EXPIRES_AT` (RFC
/// 3339) and `OCI_TOKEN_EXPIRES_EPOCH` (seconds, for prompts that compute the remaining
/// time without running anything); what does not apply is unset.
pub(crate) fn render(shell: Shell, v: &EnvView<'_>) -> Result<String, Unquotable> {
    let at = v.expires_at.map(|e| e.to_string());
    let epoch = v.expires_at.map(|e| e.as_second().to_string());
    render_pairs(
        shell,
        &[
            ("OCI_CLI_PROFILE", v.profile),
            ("OCI_CLI_AUTH", Some(v.auth)),
            ("OCI_CLI_CONFIG_FILE", v.config_file.as_deref()),
            ("OCI_TOKEN_EXPIRES_AT", at.as_deref()),
            ("OCI_TOKEN_EXPIRES_EPOCH", epoch.as_deref()),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_per_shell() {
        assert_eq!(quote(Shell::Bash, "it's").unwrap(), r"'it'\''s'");
        assert_eq!(quote(Shell::Fish, r"it's\x").unwrap(), r"'it\'s\\x'");
        assert_eq!(quote(Shell::Pwsh, "it's").unwrap(), "'it''s'");
        assert_eq!(
            quote(Shell::Pwsh, "q\u{2019};calc;\u{2019}").unwrap(),
            "'q' + [char]0x2019 + ';calc;' + [char]0x2019 + ''"
        );
        assert_eq!(
            quote(Shell::Pwsh, "Zo\u{eb} \u{1F600}").unwrap(),
            "'Zo' + [char]0x00EB + ' ' + [char]::ConvertFromUtf32(0x1F600) + ''"
        );
        assert_eq!(quote(Shell::Cmd, "a&b|c^d").unwrap(), "a&b|c^d");
        assert!(quote(Shell::Cmd, "100%").is_err());
    }

    /// Windows PowerShell's reading of what [`quote_pwsh`] writes, as its tokenizer's rules
    /// are written down (`about_Quoting_Rules`; the tokenizer treats U+2018..U+201B like `'`):
    /// a single-quoted string ends at any of the five single quotes unless another follows;
    /// `[char]0xNNNN` and `[char]::ConvertFromUtf32(0xN)` are characters; `+` joins. Anything
    /// else (a `;`, a command) is a parse the value did not survive.
    fn read_pwsh(src: &str) -> Option<String> {
        const QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];
        let mut out = String::new();
        let mut rest = src;
        loop {
            if let Some(r) = rest.strip_prefix('\'') {
                let mut chars = r.char_indices().peekable();
                let end = loop {
                    let (i, c) = chars.next()?;
                    if QUOTES.contains(&c) {
                        match chars.peek() {
                            Some(&(_, n)) if QUOTES.contains(&n) => {
                                out.push(n);
                                chars.next();
                            }
                            _ => break i + c.len_utf8(),
                        }
                    } else {
                        out.push(c);
                    }
                };
                rest = &r[end..];
            } else if let Some(r) = rest.strip_prefix("[char]::ConvertFromUtf32(0x") {
                let (hex, r) = r.split_once(')')?;
                out.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
                rest = r;
            } else if let Some(r) = rest.strip_prefix("[char]0x") {
                let (hex, r) = r.split_at(4);
                out.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
                rest = r;
            } else {
                return None;
            }
            match rest.strip_prefix(" + ") {
                Some(r) => rest = r,
                None => return rest.is_empty().then_some(out),
            }
        }
    }

    /// Values that try to end the quoting, expand something or run a command, in every
    /// shell. The real sh, bash, zsh and fish read these back in `tests/cli/shells.rs`;
    /// PowerShell (not installable here) through [`read_pwsh`]; cmd under Wine in
    /// `tests/cli/windows.rs`.
    const HOSTILE: &[&str] = &[
        "plain",
        "",
        "it's",
        "''",
        "q\u{2019};calc;\u{2019}",
        "\u{2018}\u{2019}\u{201A}\u{201B}",
        "O\u{2019}Brien",
        "$(calc)",
        "`calc`",
        "$env:PATH",
        "a;calc",
        "a & calc",
        "a | calc",
        "a ^& calc",
        "a\\'b",
        "back\\slash\\",
        "new\nline",
        "C:\\Users\\Zo\u{eb}\\.oci\\config",
        "\u{1F600}",
        "tab\there",
        "(calc)",
        "@(calc)",
        "#comment",
        "\"double\"",
        "%PATH%",
        "!PATH!",
    ];

    #[test]
    fn hostile_values_stay_values() {
        for v in HOSTILE {
            let q = quote(Shell::Pwsh, v).unwrap();
            assert!(q.is_ascii(), "PowerShell line not ASCII for {v:?}: {q}");
            assert_eq!(read_pwsh(&q).as_deref(), Some(*v), "PowerShell: {q}");
            let line = set(Shell::Pwsh, "X", v).unwrap();
            assert_eq!(line.matches('\n').count(), 1, "{line}");
            for sh in [Shell::Sh, Shell::Bash, Shell::Zsh, Shell::Fish] {
                let q = quote(sh, v).unwrap();
                assert!(q.starts_with('\'') && q.ends_with('\''), "{sh:?}: {q}");
            }
            match quote(Shell::Cmd, v) {
                Ok(q) => {
                    assert_eq!(q, *v);
                    assert!(!q.contains(['"', '%', '!', '\n', '\r']) && q.is_ascii());
                }
                Err(why) => assert!(!why.is_empty()),
            }
        }
        // What cmd refuses, it refuses by name.
        let e = render_pairs(Shell::Cmd, &[("OCI_CLI_PROFILE", Some("100%"))]).unwrap_err();
        assert_eq!(e.name, "OCI_CLI_PROFILE");
        assert!(e.to_string().contains("--shell pwsh"), "{e}");
        assert_eq!(
            render_pairs(Shell::Cmd, &[("A", Some("x & y")), ("B", None)]).unwrap(),
            "set \"A=x & y\"\nset \"B=\"\n"
        );
    }

    #[test]
    fn shells_from_env() {
        assert_eq!(
            Shell::from_shell_var(Some("/usr/bin/zsh"), false),
            Shell::Zsh
        );
        assert_eq!(Shell::from_shell_var(Some("/bin/dash"), false), Shell::Sh);
        assert_eq!(Shell::from_shell_var(None, false), Shell::Sh);
        // Windows: PowerShell unless Git Bash, MSYS2 or Cygwin set SHELL.
        assert_eq!(Shell::from_shell_var(None, true), Shell::Pwsh);
        assert_eq!(
            Shell::from_shell_var(Some("/usr/bin/bash"), true),
            Shell::Bash
        );
        assert_eq!(
            Shell::from_shell_var(Some(r"C:\Windows\System32\cmd.exe"), true),
            Shell::Cmd
        );
        assert_eq!(Shell::from_shell_var(Some("pwsh.exe"), true), Shell::Pwsh);
    }

    #[test]
    fn byte_exact() {
        let v = EnvView {
            profile: Some("p'x"),
            auth: "security_token",
            config_file: Some("/h/.oci/config".into()),
            expires_at: Some(Timestamp::from_second(1_800_000_000).unwrap()),
        };
        assert_eq!(
            render(Shell::Bash, &v).unwrap(),
            "export OCI_CLI_PROFILE='p'\\''x'\nexport OCI_CLI_AUTH='security_token'\nexport OCI_CLI_CONFIG_FILE='/h/.oci/config'\nexport OCI_TOKEN_EXPIRES_AT='2027-01-15T08:00:00Z'\nexport OCI_TOKEN_EXPIRES_EPOCH='1800000000'\n"
        );
        let api = EnvView {
            profile: Some("k"),
            auth: "api_key",
            config_file: None,
            expires_at: None,
        };
        assert_eq!(
            render(Shell::Fish, &api).unwrap(),
            "set -gx OCI_CLI_PROFILE 'k';\nset -gx OCI_CLI_AUTH 'api_key';\nset -e OCI_CLI_CONFIG_FILE;\nset -e OCI_TOKEN_EXPIRES_AT;\nset -e OCI_TOKEN_EXPIRES_EPOCH;\n"
        );
        assert_eq!(
            render(Shell::Pwsh, &api).unwrap(),
            "$Env:OCI_CLI_PROFILE = 'k'\n$Env:OCI_CLI_AUTH = 'api_key'\nRemove-Item Env:OCI_CLI_CONFIG_FILE -ErrorAction SilentlyContinue\nRemove-Item Env:OCI_TOKEN_EXPIRES_AT -ErrorAction SilentlyContinue\nRemove-Item Env:OCI_TOKEN_EXPIRES_EPOCH -ErrorAction SilentlyContinue\n"
        );
    }
}
