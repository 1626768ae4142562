//! `env`: export lines for `eval`, in the syntax of each shell.

use jiff::Timestamp;

/// The shells `env` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    Sh,
    Bash,
    Zsh,
    Fish,
    Pwsh,
}

impl Shell {
    /// The shell named by `$SHELL`, else POSIX sh.
    #[must_use]
    pub fn from_shell_var(shell_var: Option<&str>) -> Shell {
        match shell_var.and_then(|s| s.rsplit('/').next()) {
            Some("bash") => Shell::Bash,
            Some("zsh") => Shell::Zsh,
            Some("fish") => Shell::Fish,
            Some("pwsh" | "pwsh.exe" | "powershell" | "powershell.exe") => Shell::Pwsh,
            _ => Shell::Sh,
        }
    }
}

/// What the lines say.
#[derive(Debug, Clone)]
pub struct EnvView<'a> {
    /// `None` for principals: `OCI_CLI_PROFILE` is unset.
    pub profile: Option<&'a str>,
    pub auth: &'a str,
    pub config_file: Option<String>,
    pub expires_at: Option<Timestamp>,
}

/// Quotes `v` for `shell`.
fn quote(shell: Shell, v: &str) -> String {
    match shell {
        Shell::Sh | Shell::Bash | Shell::Zsh => format!("'{}'", v.replace('\'', r"'\''")),
        Shell::Fish => format!("'{}'", v.replace('\\', r"\\").replace('\'', r"\'")),
        Shell::Pwsh => format!("'{}'", v.replace('\'', "''")),
    }
}

fn set(shell: Shell, name: &str, value: &str) -> String {
    let v = quote(shell, value);
    match shell {
        Shell::Sh | Shell::Bash | Shell::Zsh => format!("export {name}={v}\n"),
        Shell::Fish => format!("set -gx {name} {v};\n"),
        Shell::Pwsh => format!("$Env:{name} = {v}\n"),
    }
}

fn unset(shell: Shell, name: &str) -> String {
    match shell {
        Shell::Sh | Shell::Bash | Shell::Zsh => format!("unset {name}\n"),
        Shell::Fish => format!("set -e {name};\n"),
        Shell::Pwsh => format!("Remove-Item Env:{name} -ErrorAction SilentlyContinue\n"),
    }
}

/// Export lines for `pairs`; a `None` value is unset.
#[must_use]
pub fn render_pairs(shell: Shell, pairs: &[(&str, Option<&str>)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| match v {
            Some(v) => set(shell, k, v),
            None => unset(shell, k),
        })
        .collect()
}

/// `OCI_CLI_PROFILE`, `OCI_CLI_AUTH`, `OCI_CLI_CONFIG_FILE`, `OCI_TOKEN_EXPIRES_AT` (RFC
/// 3339) and `OCI_TOKEN_EXPIRES_EPOCH` (seconds, for prompts that compute the remaining
/// time without running anything); what does not apply is unset.
#[must_use]
pub fn render(shell: Shell, v: &EnvView<'_>) -> String {
    let mut out = match v.profile {
        Some(p) => set(shell, "OCI_CLI_PROFILE", p),
        None => unset(shell, "OCI_CLI_PROFILE"),
    };
    out.push_str(&set(shell, "OCI_CLI_AUTH", v.auth));
    match &v.config_file {
        Some(c) => out.push_str(&set(shell, "OCI_CLI_CONFIG_FILE", c)),
        None => out.push_str(&unset(shell, "OCI_CLI_CONFIG_FILE")),
    }
    if let Some(e) = v.expires_at {
        out.push_str(&set(shell, "OCI_TOKEN_EXPIRES_AT", &e.to_string()));
        out.push_str(&set(
            shell,
            "OCI_TOKEN_EXPIRES_EPOCH",
            &e.as_second().to_string(),
        ));
    } else {
        out.push_str(&unset(shell, "OCI_TOKEN_EXPIRES_AT"));
        out.push_str(&unset(shell, "OCI_TOKEN_EXPIRES_EPOCH"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_per_shell() {
        assert_eq!(quote(Shell::Bash, "it's"), r"'it'\''s'");
        assert_eq!(quote(Shell::Fish, r"it's\x"), r"'it\'s\\x'");
        assert_eq!(quote(Shell::Pwsh, "it's"), "'it''s'");
    }

    #[test]
    fn shells_from_env() {
        assert_eq!(Shell::from_shell_var(Some("/usr/bin/zsh")), Shell::Zsh);
        assert_eq!(Shell::from_shell_var(Some("/bin/dash")), Shell::Sh);
        assert_eq!(Shell::from_shell_var(None), Shell::Sh);
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
            render(Shell::Bash, &v),
            "export OCI_CLI_PROFILE='p'\\''x'\nexport OCI_CLI_AUTH='security_token'\nexport OCI_CLI_CONFIG_FILE='/h/.oci/config'\nexport OCI_TOKEN_EXPIRES_AT='2027-01-15T08:00:00Z'\nexport OCI_TOKEN_EXPIRES_EPOCH='1800000000'\n"
        );
        let api = EnvView {
            profile: Some("k"),
            auth: "api_key",
            config_file: None,
            expires_at: None,
        };
        assert_eq!(
            render(Shell::Fish, &api),
            "set -gx OCI_CLI_PROFILE 'k';\nset -gx OCI_CLI_AUTH 'api_key';\nset -e OCI_CLI_CONFIG_FILE;\nset -e OCI_TOKEN_EXPIRES_AT;\nset -e OCI_TOKEN_EXPIRES_EPOCH;\n"
        );
        assert_eq!(
            render(Shell::Pwsh, &api),
            "$Env:OCI_CLI_PROFILE = 'k'\n$Env:OCI_CLI_AUTH = 'api_key'\nRemove-Item Env:OCI_CLI_CONFIG_FILE -ErrorAction SilentlyContinue\nRemove-Item Env:OCI_TOKEN_EXPIRES_AT -ErrorAction SilentlyContinue\nRemove-Item Env:OCI_TOKEN_EXPIRES_EPOCH -ErrorAction SilentlyContinue\n"
        );
    }
}
