//! Which config file and profile, and what the profile says after env overrides.

use std::path::{Path, PathBuf};

use super::path::expand_user;
use super::{ini, rc};
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::sys::env::Env;
use crate::sys::env::home_path;

/// The literal default the oci CLI compares `--config-file` against.
pub(crate) const DEFAULT_CONFIG: &str = "~/.oci/config";

/// What the command line says about configuration.
#[derive(Debug, Default, Clone)]
pub(crate) struct Options {
    pub config_file: Option<PathBuf>,
    pub profile: Option<String>,
    pub region: Option<String>,
    pub cli_rc_file: Option<PathBuf>,
}

/// A profile as the oci CLI would see it, env overrides applied, paths `~`-expanded.
#[derive(Debug)]
pub(crate) struct Profile {
    pub name: String,
    /// The config file read (`None` when the environment alone defines the profile).
    pub config_file: Option<PathBuf>,
    pub region: Option<String>,
    pub tenancy: Option<String>,
    pub user: Option<String>,
    pub fingerprint: Option<String>,
    pub key_file: Option<PathBuf>,
    pub pass_phrase: Option<Secret<String>>,
    pub security_token_file: Option<PathBuf>,
}

impl Profile {
    /// The config file, for messages.
    #[must_use]
    pub(crate) fn config_display(&self) -> String {
        self.config_file
            .as_ref()
            .map_or_else(|| "(environment)".to_owned(), |p| p.display().to_string())
    }

    /// The region, or a configuration error naming the profile.
    pub(crate) fn require_region(&self) -> Result<&str> {
        self.region.as_deref().ok_or_else(|| {
            Error::Config(format!(
                "profile '{}' in {} has no region; add region=... to the profile, or pass --region / set OCI_CLI_REGION",
                self.name,
                self.config_display()
            ))
        })
    }
}

/// The config file path: `--config-file` unless it is the literal default, else
/// `OCI_CLI_CONFIG_FILE`; then the SDK's fallbacks for the default (`~/.oci/config` if it
/// exists, else `OCI_CONFIG_FILE`, else `~/.oraclebmc/config` if it exists).
#[must_use]
pub(crate) fn config_path(flag: Option<&Path>, env: &dyn Env) -> PathBuf {
    let requested = flag
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| p != DEFAULT_CONFIG)
        .or_else(|| env.var("OCI_CLI_CONFIG_FILE"))
        .unwrap_or_else(|| DEFAULT_CONFIG.to_owned());
    if requested != DEFAULT_CONFIG {
        return expand_user(&requested, env);
    }
    let default = home_path(env, ".oci/config");
    if default.exists() {
        return default;
    }
    if let Some(p) = env.var("OCI_CONFIG_FILE") {
        return expand_user(&p, env);
    }
    let legacy = home_path(env, ".oraclebmc/config");
    if legacy.exists() { legacy } else { default }
}

/// The profile name: `--profile`, `OCI_CLI_PROFILE`, the rc file's `default_profile`, `DEFAULT`.
pub(crate) fn profile_name(opts: &Options, env: &dyn Env) -> Result<String> {
    if let Some(p) = opts.profile.clone().or_else(|| env.var("OCI_CLI_PROFILE")) {
        return Ok(p);
    }
    Ok(rc::default_profile(opts.cli_rc_file.as_deref(), env)?
        .unwrap_or_else(|| ini::DEFAULT_SECTION.to_owned()))
}

/// `--region`, else `OCI_CLI_REGION`: what overrides a profile's region.
#[must_use]
pub(crate) fn region_override(flag: Option<&str>, env: &dyn Env) -> Option<String> {
    flag.map(str::to_owned)
        .or_else(|| env.var("OCI_CLI_REGION"))
}

/// Looks a key up in the active profile's section (with `[DEFAULT]`).
type Lookup = Box<dyn Fn(&str) -> Option<String>>;

/// Resolves the active profile.
pub(crate) fn resolve(opts: &Options, env: &dyn Env) -> Result<Profile> {
    let name = profile_name(opts, env)?;
    let region_override = region_override(opts.region.as_deref(), env);
    let var = |k: &str| env.var(k);
    let path_var = |k: &str| var(k).map(|p| expand_user(&p, env));

    // The oci CLI skips the file entirely when the environment names a whole API-key profile.
    let from_env_only = [
        "OCI_CLI_USER",
        "OCI_CLI_TENANCY",
        "OCI_CLI_FINGERPRINT",
        "OCI_CLI_KEY_FILE",
    ]
    .iter()
    .all(|k| var(k).is_some())
        && region_override.is_some();
    let (config_file, get): (Option<PathBuf>, Lookup) = if from_env_only {
        (None, Box::new(|_| None))
    } else {
        let path = config_path(opts.config_file.as_deref(), env);
        let parsed = read_config_for(&path, Some(&name))?;
        // `[DEFAULT]` always exists for configparser; a file without one (and nothing in
        // it) has no profile DEFAULT for a person, so it is reported as missing.
        let no_default =
            name == crate::config::ini::DEFAULT_SECTION && parsed.defaults.entries.is_empty();
        if no_default || !parsed.has_section(&name) {
            return Err(profile_not_found(&name, &path));
        }
        let n = name.clone();
        (
            Some(path),
            Box::new(move |k| parsed.get(&n, k).map(str::to_owned)),
        )
    };
    let take = |env_key: &str, key: &str| var(env_key).or_else(|| get(key));
    let take_path = |env_key: &str, key: &str| {
        path_var(env_key).or_else(|| get(key).map(|p| expand_user(&p, env)))
    };
    // `iad` means us-ashburn-1: say so in every output (identifiers are left as they are).
    let region = region_override
        .or_else(|| get("region"))
        .or_else(|| var("OCI_REGION"))
        .map(|r| {
            if crate::region::is_short_key(&r) {
                crate::region::region_id(&r, &crate::region::sources(env))
            } else {
                r
            }
        });
    Ok(Profile {
        region,
        tenancy: take("OCI_CLI_TENANCY", "tenancy"),
        user: take("OCI_CLI_USER", "user"),
        fingerprint: take("OCI_CLI_FINGERPRINT", "fingerprint"),
        key_file: take_path("OCI_CLI_KEY_FILE", "key_file"),
        pass_phrase: take("OCI_CLI_PASSPHRASE", "pass_phrase").map(Secret::new),
        security_token_file: take_path("OCI_CLI_SECURITY_TOKEN_FILE", "security_token_file"),
        config_file,
        name,
    })
}

/// The profiles of a config, for "not found" messages: at most 10 names, then a count.
/// The error for a profile the config file lacks, with the next step: log in or set up a
/// key when the file has no profiles; the near name when it looks like a typo of one.
fn profile_not_found(name: &str, path: &Path) -> Error {
    let all = read_config(path).ok();
    let names: Vec<&str> = all.as_ref().map_or_else(Vec::new, |all| {
        let mut names = Vec::new();
        if !all.defaults.entries.is_empty() {
            names.push(ini::DEFAULT_SECTION);
        }
        names.extend(all.sections.iter().map(|s| s.name.as_str()));
        names
    });
    let login = format!(
        "log in with `oci-token login --profile-name {name}` (or `oci session authenticate`), or set up an API key with `oci-token setup-key`"
    );
    if all.is_some() && names.is_empty() {
        return Error::Config(format!(
            "profile '{name}' not found: config file {} has no profiles yet; {login}",
            path.display()
        ));
    }
    let near = crate::suggest::nearest(name, names.iter().copied())
        .map(|n| format!("did you mean '{}'? ", n.escape_debug()))
        .unwrap_or_default();
    Error::Config(format!(
        "profile '{name}' not found in config file {}; {near}(it has: {}); pick one with --profile, or {login}",
        path.display(),
        all.as_ref().map_or_else(|| "?".to_owned(), profile_list)
    ))
}

fn profile_list(parsed: &ini::Ini) -> String {
    let mut names: Vec<&str> = Vec::new();
    if !parsed.defaults.entries.is_empty() {
        names.push(ini::DEFAULT_SECTION);
    }
    names.extend(parsed.sections.iter().map(|s| s.name.as_str()));
    if names.is_empty() {
        return "no profiles".to_owned();
    }
    let shown: Vec<String> = names
        .iter()
        .take(10)
        .map(|n| n.escape_debug().to_string())
        .collect();
    let mut list = shown.join(", ");
    if names.len() > 10 {
        let _ =
            std::fmt::Write::write_fmt(&mut list, format_args!(" and {} more", names.len() - 10));
    }
    list
}

/// Reads and parses a config file, with errors that name it. Regular files of at most
/// 16 MiB only (a FIFO or device is refused without blocking).
pub(crate) fn read_config(path: &Path) -> Result<ini::Ini> {
    read_config_for(path, None)
}

/// [`read_config`], materialising only `profile` and DEFAULT when given (see
/// [`ini::parse_only`]).
pub(crate) fn read_config_for(path: &Path, profile: Option<&str>) -> Result<ini::Ini> {
    let bytes = crate::sys::store::read_regular(path, crate::sys::store::MAX_CONFIG).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::Config(format!(
                "config file {} not found; log in with `oci-token login` (or `oci session authenticate`), or pass --config-file / set OCI_CLI_CONFIG_FILE",
                path.display()
            ))
        } else {
            Error::Config(format!("cannot read config file {}: {e}", path.display()))
        }
    })?;
    if looks_utf16(&bytes) {
        return Err(not_utf8(path, &bytes));
    }
    let text = String::from_utf8(bytes).map_err(|e| not_utf8(path, e.as_bytes()))?;
    ini::parse_only(&text, profile).map_err(|e| {
        if text.starts_with('\u{feff}') {
            Error::Config(format!(
                "cannot parse config file {}: it starts with a byte-order mark (an editor saved it as \"UTF-8 with BOM\"), which the oci CLI cannot read either; save it as plain UTF-8",
                path.display()
            ))
        } else {
            Error::Config(format!("cannot parse config file {}: {e}", path.display()))
        }
    })
}

/// A UTF-16 BOM, or a NUL among the first bytes (no INI text has one; ASCII in UTF-16 is
/// every other byte NUL, and valid UTF-8 all the same).
fn looks_utf16(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xFE])
        || bytes.starts_with(&[0xFE, 0xFF])
        || bytes.iter().take(64).any(|b| *b == 0)
}

/// Why a config file that is not UTF-8 cannot be read, and what to do. UTF-16 (a BOM, or
/// NUL bytes between ASCII letters) is what Windows PowerShell 5.1's `>` and `Out-File`
/// write; the oci CLI cannot read it either.
fn not_utf8(path: &Path, bytes: &[u8]) -> Error {
    if looks_utf16(bytes) {
        Error::Config(format!(
            "config file {} is UTF-16 text (what Windows PowerShell 5.1's `>` and Out-File write), which the oci CLI cannot read either; save it as UTF-8 without a BOM: Notepad's Save As with Encoding UTF-8, or `(Get-Content <file>) | Set-Content -Encoding utf8NoBOM <file>` in PowerShell 7",
            path.display()
        ))
    } else {
        Error::Config(format!(
            "config file {} is not UTF-8 text; save it as UTF-8 (without a BOM)",
            path.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::env::FakeEnv;

    fn env_with(dir: &Path, config: &str) -> FakeEnv {
        std::fs::create_dir_all(dir.join(".oci")).unwrap();
        std::fs::write(dir.join(".oci/config"), config).unwrap();
        FakeEnv::new(dir, jiff::Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn default_inheritance_and_overrides() {
        let d = tempfile::tempdir().unwrap();
        let env = env_with(
            d.path(),
            "[DEFAULT]\nregion=us-ashburn-1\n[p]\nkey_file=~/k.pem\nsecurity_token_file=~/t\n",
        )
        .with("OCI_CLI_PROFILE", "p")
        .with("OCI_CLI_PASSPHRASE", "pw");
        let p = resolve(&Options::default(), &env).unwrap();
        assert_eq!(p.name, "p");
        assert_eq!(p.region.as_deref(), Some("us-ashburn-1"));
        assert!(p.security_token_file.is_some());
        assert_eq!(p.key_file.unwrap(), d.path().join("k.pem"));
        assert_eq!(p.pass_phrase.unwrap().expose(), "pw");

        let opts = Options {
            profile: Some("p".into()),
            region: Some("eu-frankfurt-1".into()),
            ..Default::default()
        };
        let env = env.with("OCI_CLI_REGION", "ignored");
        assert_eq!(
            resolve(&opts, &env).unwrap().region.as_deref(),
            Some("eu-frankfurt-1")
        );
    }

    #[test]
    fn rc_default_profile() {
        let d = tempfile::tempdir().unwrap();
        let env = env_with(d.path(), "[rcp]\nregion=r\n");
        std::fs::write(
            d.path().join(".oci/oci_cli_rc"),
            "[OCI_CLI_SETTINGS]\ndefault_profile = rcp\n",
        )
        .unwrap();
        assert_eq!(resolve(&Options::default(), &env).unwrap().name, "rcp");
    }

    #[test]
    fn config_fallbacks() {
        let d = tempfile::tempdir().unwrap();
        let env =
            FakeEnv::new(d.path(), jiff::Timestamp::UNIX_EPOCH).with("OCI_CONFIG_FILE", "/x/cfg");
        assert_eq!(config_path(None, &env), PathBuf::from("/x/cfg"));
        let env = env.with("OCI_CLI_CONFIG_FILE", "/y/cfg");
        assert_eq!(config_path(None, &env), PathBuf::from("/y/cfg"));
        assert_eq!(
            config_path(Some(Path::new("/z")), &env),
            PathBuf::from("/z")
        );
        assert_eq!(
            config_path(Some(Path::new(DEFAULT_CONFIG)), &env),
            PathBuf::from("/y/cfg")
        );
    }

    #[test]
    fn missing_profile_is_a_config_error() {
        let d = tempfile::tempdir().unwrap();
        let env = env_with(d.path(), "[a]\n");
        let opts = Options {
            profile: Some("A".into()),
            ..Default::default()
        };
        let e = resolve(&opts, &env).unwrap_err();
        assert_eq!(e.exit_code(), 3);
        assert!(e.to_string().contains("profile 'A' not found"), "{e}");
    }
}
