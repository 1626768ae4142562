//! `export`, `import` and `terminate`: moving a session between machines in the zip format
//! of `oci session export`, and removing one. Imports read only the entries they need, by
//! exact name, into memory, and write nothing unless every check passed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use crate::config::edit::check_profile_name;
use crate::config::{self, edit, ini};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::output;

/// `export`'s options.
#[derive(Debug, Clone)]
pub(crate) struct ExportRequest {
    /// The archive to write; `.zip` is appended, as the oci CLI does.
    pub output_file: PathBuf,
    pub force: bool,
    pub include_passphrase: bool,
}

/// `import`'s options.
#[derive(Debug, Clone)]
pub(crate) struct ImportRequest {
    pub session_archive: PathBuf,
    pub profile_name: Option<String>,
    pub force: bool,
}

/// Largest archive and largest member `import` reads.
const MAX_ARCHIVE: u64 = 16 << 20;
const MAX_MEMBER: u64 = 1 << 20;

/// Keys whose values are files carried in the archive.
fn is_file_key(k: &str) -> bool {
    k.ends_with("_file") || k.ends_with("_token")
}

fn basename(v: &str) -> String {
    v.rsplit(['/', '\\']).next().unwrap_or(v).to_owned()
}

/// Builds the archive: `config` with one section (file values as basenames, `key = value`
/// lines as configparser writes them) and a copy of every referenced file.
pub(crate) fn build(
    profile: &str,
    items: &[(&str, &str)],
    env: &dyn crate::sys::env::Env,
) -> Result<Vec<u8>> {
    let mut config_text = format!("[{profile}]\n");
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (k, v) in items {
        if is_file_key(k) {
            let path = config::expand_user(v, env);
            let name = basename(v);
            let bytes = std::fs::read(&path).map_err(|e| {
                Error::Config(format!(
                    "cannot read {} ({k} of profile '{profile}'): {e}",
                    path.display()
                ))
            })?;
            if files.insert(name.clone(), bytes).is_some() || name == "config" {
                return Err(Error::Config(format!(
                    "two files of profile '{profile}' would both be named '{name}' in the archive"
                )));
            }
            let _ = writeln!(config_text, "{k} = {name}");
        } else {
            let _ = writeln!(config_text, "{k} = {v}");
        }
    }
    config_text.push('\n');
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o600);
    let zerr = |e: zip::result::ZipError| Error::Other(format!("cannot build the archive: {e}"));
    zip.start_file("config", opts).map_err(zerr)?;
    zip.write_all(config_text.as_bytes())
        .map_err(|e| Error::Other(e.to_string()))?;
    for (name, bytes) in &files {
        zip.start_file(name.as_str(), opts).map_err(zerr)?;
        zip.write_all(bytes)
            .map_err(|e| Error::Other(e.to_string()))?;
    }
    Ok(zip.finish().map_err(zerr)?.into_inner())
}

/// `oci-token export --output-file F`: writes `F.zip` (the oci CLI's naming).
pub(crate) fn export(ctx: &Context<'_>, args: &ExportRequest) -> Result<()> {
    let p = ctx.profile()?;
    check_profile_name(&p.name)?;
    if p.security_token_file.is_none() {
        return Err(Error::Config(format!(
            "profile '{}' is not a session profile (no security_token_file); pick one with --profile",
            p.name
        )));
    }
    let config_path = p
        .config_file
        .clone()
        .ok_or_else(|| Error::Config("export needs a config file".into()))?;
    let parsed = config::profile::read_config(&config_path)?;
    let items: Vec<(&str, &str)> = parsed
        .items(&p.name)
        .into_iter()
        .filter(|(k, _)| args.include_passphrase || *k != "pass_phrase")
        .collect();
    let mut out =
        config::expand_user(&args.output_file.to_string_lossy(), ctx.env).into_os_string();
    out.push(".zip");
    let out = PathBuf::from(out);
    if out.exists() && !args.force {
        return Err(Error::Config(format!(
            "{} already exists; pass --force to overwrite it",
            out.display()
        )));
    }
    output::note(&format!(
        "Exporting profile: {} from config file: {}",
        p.name,
        config_path.display()
    ));
    let bytes = build(&p.name, &items, ctx.env)?;
    crate::sys::store::write_atomic(&out, &bytes).map_err(|e| Error::write(&out, &e))?;
    output::note(&format!("Export file written to: {}", out.display()));
    Ok(())
}

/// What a checked archive holds.
#[derive(Debug)]
pub struct Archive {
    pub profile: String,
    pub items: Vec<(String, String)>,
    pub files: BTreeMap<String, Vec<u8>>,
}

fn refuse(path: &Path, why: &str) -> Error {
    Error::Config(format!(
        "refusing session archive {}: {why}; nothing was written",
        path.display()
    ))
}

/// The entry names, after checking that every entry is a plain file with a plain name:
/// anything else marks a crafted archive.
fn checked_names(
    zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>,
    path: &Path,
) -> Result<Vec<String>> {
    let mut names = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(|e| refuse(path, &e.to_string()))?;
        let name = entry
            .name()
            .map_err(|e| refuse(path, &e.to_string()))?
            .into_owned();
        let plain = !name.is_empty()
            && name != "."
            && name != ".."
            && !name.contains(['/', '\\', '\0'])
            && !(name.len() >= 2 && name.as_bytes()[1] == b':');
        if !plain {
            return Err(refuse(
                path,
                &format!(
                    "entry '{}' has a path, not a plain file name",
                    name.escape_debug()
                ),
            ));
        }
        if entry.is_symlink() || entry.is_dir() {
            return Err(refuse(
                path,
                &format!("entry '{name}' is not a regular file"),
            ));
        }
        if entry.size() > MAX_MEMBER {
            return Err(refuse(
                path,
                &format!("entry '{name}' is larger than 1 MiB"),
            ));
        }
        if !seen.insert(name.clone()) {
            return Err(refuse(path, &format!("entry '{name}' appears twice")));
        }
        names.push(name);
    }
    Ok(names)
}

/// Reads and checks an archive (from either tool) without writing anything.
pub(crate) fn read_archive(path: &Path) -> Result<Archive> {
    let bytes = crate::sys::store::read_regular(path, MAX_ARCHIVE).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::Config(format!("File {} does not exist.", path.display()))
        } else {
            refuse(path, &e.to_string())
        }
    })?;
    read_archive_bytes(path, bytes)
}

/// [`read_archive`] of bytes in memory (`path` names them in messages).
pub fn read_archive_bytes(path: &Path, bytes: Vec<u8>) -> Result<Archive> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| refuse(path, &format!("not a zip archive ({e})")))?;
    let names = checked_names(&mut zip, path)?;
    let names: std::collections::HashSet<String> = names.into_iter().collect();
    let mut read = |name: &str| -> Result<Vec<u8>> {
        let entry = zip
            .by_name(name)
            .map_err(|_| refuse(path, &format!("it has no '{name}'")))?;
        let mut buf = Vec::new();
        entry
            .take(MAX_MEMBER + 1)
            .read_to_end(&mut buf)
            .map_err(|e| refuse(path, &format!("'{name}': {e}")))?;
        if buf.len() as u64 > MAX_MEMBER {
            return Err(refuse(
                path,
                &format!("entry '{name}' is larger than 1 MiB"),
            ));
        }
        Ok(buf)
    };
    let config_bytes = read("config")?;
    let text =
        String::from_utf8(config_bytes).map_err(|_| refuse(path, "its config is not UTF-8"))?;
    let parsed =
        ini::parse(&text).map_err(|e| refuse(path, &format!("its config does not parse ({e})")))?;
    let profile = match parsed.sections.as_slice() {
        [] => ini::DEFAULT_SECTION.to_owned(),
        [one] => one.name.clone(),
        _ => {
            return Err(refuse(
                path,
                "its config has several profiles (an export has one)",
            ));
        }
    };
    let items: Vec<(String, String)> = parsed
        .items(&profile)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    if !items.iter().any(|(k, _)| k == "security_token_file") {
        return Err(refuse(
            path,
            "its profile has no security_token_file (not a session)",
        ));
    }
    let mut files = BTreeMap::new();
    for (k, v) in &items {
        if is_file_key(k) {
            let name = basename(v);
            if name != *v || !names.contains(&name) {
                return Err(refuse(
                    path,
                    &format!("{k} names '{v}', which is not an entry of the archive"),
                ));
            }
            files.insert(name.clone(), read(&name)?);
        }
    }
    Ok(Archive {
        profile,
        items,
        files,
    })
}

/// `oci-token import --session-archive F [--profile-name N] [--force]`.
pub(crate) fn import(ctx: &Context<'_>, args: &ImportRequest) -> Result<()> {
    let path = config::expand_user(&args.session_archive.to_string_lossy(), ctx.env);
    let a = read_archive(&path)?;
    let name = args
        .profile_name
        .clone()
        .unwrap_or_else(|| a.profile.clone());
    check_profile_name(&name)?;
    for (k, v) in &a.items {
        if v.contains(['\n', '\r']) || v.chars().any(char::is_control) {
            return Err(refuse(
                &path,
                &format!("the value of {k} spans several lines or holds control characters"),
            ));
        }
    }
    let config_path = ctx.config_location(None);
    let exists = config_path.exists()
        && config::profile::read_config(&config_path)?
            .sections
            .iter()
            .any(|s| s.name == name);
    if exists && !args.force {
        return Err(Error::Config(format!(
            "{} already has a profile '{name}'; pass --force to replace it, or --profile-name to import under another name",
            config_path.display()
        )));
    }
    let dir = ctx.token_location(None).join(&name);
    if std::fs::symlink_metadata(&dir).is_ok_and(|m| !m.is_dir()) {
        return Err(refuse(
            &path,
            &format!(
                "{} exists and is not a directory (a symlink?)",
                dir.display()
            ),
        ));
    }
    let mut undo = crate::sys::store::Rollback::default();
    undo.will_create_dir(&dir);
    crate::sys::store::create_private_dir(&dir)?;
    for (file, bytes) in &a.files {
        let target = dir.join(file);
        undo.will_create_file(&target);
        crate::sys::store::write_atomic(&target, bytes).map_err(|e| Error::write(&target, &e))?;
    }
    let get = |k: &str| a.items.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let abs = |k: &str| get(k).map(|v| dir.join(basename(&v)).display().to_string());
    let mut entries: Vec<(&str, String)> = Vec::new();
    for (k, v) in [
        ("fingerprint", get("fingerprint")),
        ("key_file", abs("key_file")),
        ("tenancy", get("tenancy")),
        ("region", get("region")),
        ("pass_phrase", get("pass_phrase")),
        ("security_token_file", abs("security_token_file")),
    ] {
        if let Some(v) = v {
            entries.push((k, v));
        }
    }
    edit::upsert_profile(&config_path, &name, &entries, args.force)?;
    undo.commit();
    output::note(&format!(
        "Imported profile {name} written to: {}",
        config_path.display()
    ));
    output::note(&format!("Try it: oci-token get --profile {name}"));
    Ok(())
}

/// `oci-token terminate`: removes the profile (the rest of the config is kept) and its
/// session directory `~/.oci/sessions/<profile>`. There is no server-side revocation.
/// Nothing outside `<sessions>/<profile>` is ever removed: the name must pass the profile
/// rule (no `..`, no `/`), and a symlink there is refused rather than followed.
pub(crate) fn terminate(ctx: &Context<'_>) -> Result<()> {
    let p = ctx.profile()?;
    check_profile_name(&p.name)?;
    if p.name == ini::DEFAULT_SECTION {
        return Err(Error::Config(
            "refusing to terminate the DEFAULT profile".into(),
        ));
    }
    if p.security_token_file.is_none() {
        return Err(Error::Config(format!(
            "profile '{}' has no security_token_file: it is not a session to terminate",
            p.name
        )));
    }
    let config_path = p
        .config_file
        .clone()
        .ok_or_else(|| Error::Config("terminate needs a config file".into()))?;
    let dir = ctx.token_location(None).join(&p.name);
    let dir_kind = std::fs::symlink_metadata(&dir).map(|m| m.file_type());
    if let Ok(ft) = &dir_kind
        && !ft.is_dir()
    {
        return Err(Error::Config(format!(
            "refusing to terminate profile '{}': {} is not a directory (a symlink?); nothing was removed",
            p.name,
            dir.display()
        )));
    }
    edit::delete_profile(&config_path, &p.name)?;
    if dir_kind.is_ok() {
        std::fs::remove_dir_all(&dir)
            .map_err(|e| Error::Other(format!("cannot remove {}: {e}", dir.display())))?;
    }
    output::note(&format!(
        "Removed profile {} from {} and deleted {}",
        p.name,
        config_path.display(),
        dir.display()
    ));
    Ok(())
}
