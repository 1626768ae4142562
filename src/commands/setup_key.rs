//! `oci-token setup-key`: the non-interactive counterpart of `oci setup config`.

use std::path::PathBuf;

use crate::config::edit::check_profile_name;
use crate::config::{self, edit};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::output::setup_key::{self, SetupKeyView};
use crate::{crypto::key, crypto::keygen, output};

/// `setup-key`'s options, as plain values.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub user: String,
    pub tenancy: String,
    pub profile_name: String,
    pub key_dir: Option<PathBuf>,
    pub key_name: String,
    pub passphrase_file: Option<PathBuf>,
    pub config_location: Option<PathBuf>,
    pub force: bool,
}

/// The Python SDK's OCID pattern: `^([0-9a-zA-Z-_]+[.:])([0-9a-zA-Z-_]*[.:]){3,}([0-9a-zA-Z-_]+)$`.
#[must_use]
pub(crate) fn is_ocid(s: &str) -> bool {
    let parts: Vec<&str> = s.split(['.', ':']).collect();
    let word = |p: &str| {
        p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    parts.len() >= 5
        && parts.iter().all(|p| word(p))
        && !parts[0].is_empty()
        && !parts[parts.len() - 1].is_empty()
}

/// Generates the key pair, writes the profile, prints what to upload.
pub(crate) fn run(ctx: &Context<'_>, args: &Request) -> Result<()> {
    for (flag, v) in [("--user", &args.user), ("--tenancy", &args.tenancy)] {
        if !is_ocid(v) {
            return Err(Error::Config(format!("{flag} '{v}' is not an OCID")));
        }
    }
    check_profile_name(&args.profile_name)?;
    check_profile_name(&args.key_name).map_err(|_| {
        Error::Config(format!(
            "--key-name '{}' must be a plain file name (ASCII letters, digits, '.', '_', '-', '@')",
            args.key_name.escape_debug()
        ))
    })?;
    let region = config::profile::region_override(ctx.config.region.as_deref(), ctx.env)
        .ok_or_else(|| {
            Error::Usage(
                "setup-key needs --region REGION (e.g. --region us-ashburn-1); see `oci-token setup-key --help`".into(),
            )
        })?;
    let region = crate::region::known(&region, ctx.env)?;
    let config_path = ctx.config_location(args.config_location.as_deref());
    let dir = match &args.key_dir {
        Some(d) => config::expand_user(&d.to_string_lossy(), ctx.env),
        None => crate::sys::env::home_path(ctx.env, ".oci"),
    };
    let private = dir.join(format!("{}.pem", args.key_name));
    // Read (and so check) the config before anything is written.
    let existing = if config_path.exists() {
        Some(config::profile::read_config(&config_path)?)
    } else {
        None
    };
    let users = key_users(existing.as_ref(), &args.profile_name, &private, ctx);
    if !users.is_empty() && private.exists() {
        return Err(Error::Config(format!(
            "{} is the key of profile {}; --force would leave that profile with a key that no longer matches its fingerprint: pass --key-name NAME for a key of its own",
            private.display(),
            users.join(", ")
        )));
    }
    if private.exists() && !args.force {
        return Err(Error::Config(format!(
            "{} already exists; pass --key-name NAME for another key (or --force to replace this one)",
            private.display()
        )));
    }
    if !args.force
        && existing
            .as_ref()
            .is_some_and(|c| c.sections.iter().any(|s| s.name == args.profile_name))
    {
        return Err(Error::Config(format!(
            "{} already has a profile '{}'; pass --force to replace it",
            config_path.display(),
            args.profile_name
        )));
    }
    let passphrase = args
        .passphrase_file
        .as_deref()
        .map(|f| crate::secret::from_file(f, "passphrase"))
        .transpose()?;
    let k = keygen::generate(passphrase.as_ref())?;
    let mut undo = crate::sys::store::Rollback::default();
    undo.will_create_dir(&dir);
    undo.will_create_file(&private);
    undo.will_create_file(&dir.join(format!("{}_public.pem", args.key_name)));
    let (private, public) = keygen::write_pair(&dir, &args.key_name, &k)?;
    let fingerprint = key::fingerprint(&k.key);
    let entries = [
        ("user", args.user.clone()),
        ("fingerprint", fingerprint.clone()),
        ("key_file", private.display().to_string()),
        ("tenancy", args.tenancy.clone()),
        ("region", region),
    ];
    edit::upsert_profile(&config_path, &args.profile_name, &entries, args.force)?;
    undo.commit();
    output::note(&format!(
        "Upload {} in the OCI console (your user > API keys > Add API key); its fingerprint is {fingerprint}.{}",
        public.display(),
        if passphrase.is_some() {
            " The key is encrypted: set OCI_CLI_PASSPHRASE (or pass_phrase) to use it."
        } else {
            ""
        }
    ));
    output::print(&setup_key::render(&SetupKeyView {
        profile: &args.profile_name,
        config_file: config_path.display().to_string(),
        key_file: private.display().to_string(),
        public_key_file: public.display().to_string(),
        fingerprint: &fingerprint,
    }))
}

/// The profiles other than `profile` whose `key_file` is `key`, quoted for messages.
fn key_users(
    config: Option<&crate::config::ini::Ini>,
    profile: &str,
    key: &std::path::Path,
    ctx: &Context<'_>,
) -> Vec<String> {
    let Some(c) = config else { return Vec::new() };
    c.sections
        .iter()
        .filter(|s| s.name != profile)
        .filter(|s| {
            s.get("key_file")
                .or_else(|| c.defaults.get("key_file"))
                .is_some_and(|k| same_file(&config::expand_user(k, ctx.env), key))
        })
        .map(|s| format!("'{}'", s.name))
        .collect()
}

/// Whether two paths name the same file: equal as written, or after resolving both.
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    a == b
        || matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(x), Ok(y)) if x == y
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ocids() {
        assert!(is_ocid(
            "ocid1.user.oc1..aaaaaaaavqu4w62svfoampvidrd7htmokzg2dzkl6acnhw5r4svfk6pj3bsa"
        ));
        assert!(is_ocid("ocid1.tenancy.oc1..aaaa"));
        assert!(!is_ocid("user"));
        assert!(!is_ocid("ocid1.user.oc1..a b"));
    }
}
