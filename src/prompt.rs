//! `oci-token prompt` and `oci-token env`: the session for shell prompts.
//!
//! `prompt` is read-only and cheap: the config and the token's claims, no key, no lock, no
//! network. It never fails: on any problem it prints nothing and exits 0.

use jiff::Timestamp;

use crate::cli::EnvShell;
use crate::config::Profile;
use crate::session::{self, Ctx};
use crate::token::Claims;

/// The default segment: `oci:PROFILE 42m`.
pub const DEFAULT_FORMAT: &str = "oci:{profile} {remaining}";

/// `42m`, `1h05m`, `30s`, or `expired`.
#[must_use]
pub fn remaining(now: Timestamp, c: &Claims) -> String {
    let left = c.exp.as_second() - now.as_second();
    if left <= 0 || c.sess_exp.is_some_and(|s| now >= s) {
        return "expired".to_owned();
    }
    match left {
        l if l >= 3600 => format!("{}h{:02}m", l / 3600, (l % 3600) / 60),
        l if l >= 60 => format!("{}m", l / 60),
        l => format!("{l}s"),
    }
}

/// Fills `{profile}`, `{region}`, `{remaining}` and `{expires_at}` in `format`.
#[must_use]
pub fn render(format: &str, p: &Profile, c: &Claims, now: Timestamp) -> String {
    format
        .replace("{profile}", &p.name)
        .replace("{region}", p.region.as_deref().unwrap_or(""))
        .replace("{remaining}", &remaining(now, c))
        .replace("{expires_at}", &c.exp.to_string())
}

/// The segment, or an empty string when there is no session or anything is wrong.
#[must_use]
pub fn segment(ctx: &Ctx<'_>, format: &str) -> String {
    let Ok(p) = ctx.profile() else {
        return String::new();
    };
    let Some(path) = p.security_token_file.as_deref() else {
        return String::new();
    };
    let Ok((_, claims)) = session::read_token(path, &p.name) else {
        return String::new();
    };
    render(format, &p, &claims, ctx.env.now())
}

/// Quotes `v` for `shell`.
fn quote(shell: EnvShell, v: &str) -> String {
    match shell {
        EnvShell::Sh | EnvShell::Bash | EnvShell::Zsh => format!("'{}'", v.replace('\'', r"'\''")),
        EnvShell::Fish => format!("'{}'", v.replace('\\', r"\\").replace('\'', r"\'")),
        EnvShell::Pwsh => format!("'{}'", v.replace('\'', "''")),
    }
}

fn set(shell: EnvShell, name: &str, value: &str) -> String {
    let v = quote(shell, value);
    match shell {
        EnvShell::Sh | EnvShell::Bash | EnvShell::Zsh => format!("export {name}={v}\n"),
        EnvShell::Fish => format!("set -gx {name} {v};\n"),
        EnvShell::Pwsh => format!("$Env:{name} = {v}\n"),
    }
}

fn unset(shell: EnvShell, name: &str) -> String {
    match shell {
        EnvShell::Sh | EnvShell::Bash | EnvShell::Zsh => format!("unset {name}\n"),
        EnvShell::Fish => format!("set -e {name};\n"),
        EnvShell::Pwsh => format!("Remove-Item Env:{name} -ErrorAction SilentlyContinue\n"),
    }
}

/// The `env` lines: `OCI_CLI_PROFILE`, `OCI_CLI_AUTH`, `OCI_CLI_CONFIG_FILE`,
/// `OCI_TOKEN_EXPIRES_AT` (RFC 3339) and `OCI_TOKEN_EXPIRES_EPOCH` (seconds, for prompts
/// that compute the remaining time without running anything).
#[must_use]
pub fn env_lines(shell: EnvShell, p: &Profile, expires: Option<Timestamp>) -> String {
    let mut out = set(shell, "OCI_CLI_PROFILE", &p.name);
    out.push_str(&set(shell, "OCI_CLI_AUTH", p.auth()));
    match &p.config_file {
        Some(c) => out.push_str(&set(shell, "OCI_CLI_CONFIG_FILE", &c.display().to_string())),
        None => out.push_str(&unset(shell, "OCI_CLI_CONFIG_FILE")),
    }
    if let Some(e) = expires {
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

/// The shell named by `$SHELL`, else POSIX sh.
#[must_use]
pub fn default_shell(shell_var: Option<&str>) -> EnvShell {
    match shell_var.and_then(|s| s.rsplit('/').next()) {
        Some("bash") => EnvShell::Bash,
        Some("zsh") => EnvShell::Zsh,
        Some("fish") => EnvShell::Fish,
        Some("pwsh" | "pwsh.exe" | "powershell" | "powershell.exe") => EnvShell::Pwsh,
        _ => EnvShell::Sh,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64, sess: Option<i64>) -> Claims {
        Claims {
            exp: Timestamp::from_second(exp).unwrap(),
            iat: None,
            sub: None,
            tenant: None,
            sess_exp: sess.map(|s| Timestamp::from_second(s).unwrap()),
            jwk: None,
        }
    }

    #[test]
    fn remaining_text() {
        let now = Timestamp::from_second(1_000_000).unwrap();
        let at = |d: i64| remaining(now, &claims(1_000_000 + d, None));
        assert_eq!(at(42 * 60 + 5), "42m");
        assert_eq!(at(3600 + 5 * 60), "1h05m");
        assert_eq!(at(30), "30s");
        assert_eq!(at(0), "expired");
        assert_eq!(at(-5), "expired");
        assert_eq!(remaining(now, &claims(1_000_100, Some(999_999))), "expired");
    }

    #[test]
    fn quoting_per_shell() {
        assert_eq!(quote(EnvShell::Bash, "it's"), r"'it'\''s'");
        assert_eq!(quote(EnvShell::Fish, r"it's\x"), r"'it\'s\\x'");
        assert_eq!(quote(EnvShell::Pwsh, "it's"), "'it''s'");
    }

    #[test]
    fn shells_from_env() {
        assert_eq!(default_shell(Some("/usr/bin/zsh")), EnvShell::Zsh);
        assert_eq!(default_shell(Some("/bin/dash")), EnvShell::Sh);
        assert_eq!(default_shell(None), EnvShell::Sh);
    }
}
