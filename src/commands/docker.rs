//! Registry credentials: `docker-credential-oci-token` (the docker credential-helper
//! protocol, spoken by docker, podman, skopeo, buildah and helm), `docker install`, and the
//! kubelet image credential provider. The password is a short-lived OCIR token obtained with
//! the session or principal the user already has; nothing long-lived is stored.

use std::ffi::OsString;
use std::io::{IsTerminal as _, Read as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use crate::config;
use crate::context::Context;
use crate::credential::Credential;
use crate::credential::ocir::{self, NOT_FOUND};
use crate::error::{Error, Result};
use crate::output;
use crate::sys::env::Env;

/// The name docker looks for on PATH (`credHelpers` value `oci-token`).
pub const HELPER_NAME: &str = "docker-credential-oci-token";

/// The helper's file name: [`HELPER_NAME`], with `.exe` on Windows.
#[must_use]
pub fn helper_file_name() -> String {
    format!("{HELPER_NAME}{}", std::env::consts::EXE_SUFFIX)
}
/// The `Username` that tells OCIR the `Secret` is a registry token.
pub(crate) const BEARER_USER: &str = "BEARER_TOKEN";

/// Reads what the protocol sends on stdin: at most 64 KiB, within 10 s.
fn read_stdin() -> std::result::Result<String, String> {
    if std::io::stdin().is_terminal() {
        return Ok(String::new());
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let r = std::io::stdin()
            .lock()
            .take(64 << 10)
            .read_to_end(&mut buf)
            .map(|_| buf);
        let _ = tx.send(r);
    });
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(Ok(b)) => String::from_utf8(b).map_err(|_| "the input is not UTF-8 text".to_owned()),
        Ok(Err(e)) => Err(format!("cannot read the input: {e}")),
        Err(_) => Err("no input on stdin after 10s".to_owned()),
    }
}

/// The context for a registry: the credential recorded for it by `docker install`, else
/// the environment (`OCI_CLI_PROFILE`, `OCI_CLI_AUTH`, …), as every command.
fn context_for<'a>(env: &'a dyn Env, host: &str) -> Context<'a> {
    let (profile, auth) = ocir::recorded(&ocir::registries_file(env), host);
    let mut ctx = Context::new(
        env,
        config::Options {
            profile,
            ..config::Options::default()
        },
        None,
        None,
    );
    ctx.auth = auth;
    ctx
}

/// One action of the protocol: the stdout payload, or the error line (also for stdout).
fn action(action: &str, input: &str, env: &dyn Env) -> std::result::Result<String, String> {
    match action {
        "get" => {
            let url = input.trim();
            if url.is_empty() {
                return Err("no credentials server URL".into());
            }
            let host = ocir::normalize(url).ok_or(NOT_FOUND)?;
            if ocir::region_of(&host, env).is_none() {
                return Err(NOT_FOUND.into());
            }
            let ctx = context_for(env, &host);
            let mut cred = Credential::active(&ctx, None).map_err(|e| e.to_string())?;
            let t = ocir::token(&ctx, &mut cred, &host).map_err(|e| e.to_string())?;
            let reply = serde_json::json!({
                "ServerURL": url,
                "Username": BEARER_USER,
                "Secret": t.token.expose(),
            });
            Ok(format!("{reply}\n"))
        }
        "store" => {
            // Nothing is stored: the credential is the session or principal itself.
            let v: serde_json::Value = serde_json::from_str(input)
                .map_err(|_| "the credentials to store are not JSON".to_owned())?;
            if v.get("ServerURL")
                .and_then(|s| s.as_str())
                .is_none_or(str::is_empty)
            {
                return Err("no credentials server URL".into());
            }
            if v.get("Username")
                .and_then(|s| s.as_str())
                .is_none_or(str::is_empty)
            {
                return Err("no credentials username".into());
            }
            Ok(String::new())
        }
        "erase" => {
            let url = input.trim();
            if url.is_empty() {
                return Err("no credentials server URL".into());
            }
            let host = ocir::normalize(url).ok_or(NOT_FOUND)?;
            let ctx = context_for(env, &host);
            if let Ok(cred) = Credential::active(&ctx, None) {
                ocir::erase(&ctx, &cred, &host).map_err(|e| e.to_string())?;
            }
            Ok(String::new())
        }
        "list" => {
            let path = ocir::registries_file(env);
            let hosts: serde_json::Map<String, serde_json::Value> =
                crate::sys::store::read_text(&path, 1 << 20)
                    .ok()
                    .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                    .and_then(|v| v.as_object().cloned())
                    .unwrap_or_default()
                    .keys()
                    .map(|h| (h.clone(), serde_json::Value::from(BEARER_USER)))
                    .collect();
            Ok(format!("{}\n", serde_json::Value::Object(hosts)))
        }
        "version" | "--version" | "-v" => {
            Ok(format!("{HELPER_NAME} (oci-token) {}\n", crate::VERSION))
        }
        _ => Err(usage()),
    }
}

fn usage() -> String {
    format!("Usage: {HELPER_NAME} <store|get|erase|list|version>")
}

/// What `--help` prints (stdout, exit 0, as every helper's `--help`).
fn help() -> String {
    format!(
        "{HELPER_NAME}: the docker credential helper of oci-token, for docker, podman, skopeo,
buildah and helm pulling from and pushing to OCIR. They run it; you rarely do.

Usage: {HELPER_NAME} <store|get|erase|list|version>

  get      read a registry URL on stdin; print {{ServerURL, Username, Secret}} with a fresh
           OCIR token for the credential that `oci-token docker install` recorded for it
  list     print the registries set up for this helper, as JSON
  store    accepted and ignored: nothing is stored, tokens are fetched when asked
  erase    forget the cached token of a registry read on stdin
  version  print the version

Set it up with: oci-token docker install --registry <region-key>.ocir.io
"
    )
}

/// `docker-credential-oci-token <action>`: the protocol. Every error is one line on
/// stdout with exit 1, as docker expects; nothing on stderr, no secret anywhere but in a
/// `get` answer.
#[must_use]
pub fn helper(args: &[OsString], env: &dyn Env) -> ExitCode {
    if let [arg] = args
        && matches!(arg.to_str(), Some("--help" | "-h" | "help"))
    {
        let _ = output::emit(&help());
        return ExitCode::SUCCESS;
    }
    let [arg] = args else {
        let _ = output::emit(&format!("{}\n", usage()));
        return ExitCode::from(1);
    };
    let action_name = arg.to_string_lossy().into_owned();
    let needs_input = matches!(action_name.as_str(), "get" | "store" | "erase");
    let input = if needs_input {
        match read_stdin() {
            Ok(t) => t,
            Err(e) => {
                let _ = output::emit(&format!("{e}\n"));
                return ExitCode::from(1);
            }
        }
    } else {
        String::new()
    };
    match action(&action_name, &input, env) {
        Ok(out) => {
            let _ = output::emit(&out);
            ExitCode::SUCCESS
        }
        Err(e) => {
            let line = e.replace(['\n', '\r'], " ");
            let _ = output::emit(&format!("{line}\n"));
            ExitCode::from(1)
        }
    }
}

/// `docker install`'s options.
#[derive(Debug, Clone)]
pub(crate) struct InstallRequest {
    pub registries: Vec<String>,
    /// Where the helper link goes [default: beside this binary].
    pub dir: Option<PathBuf>,
    /// The docker config to edit [default: `$DOCKER_CONFIG/config.json`, else
    /// `~/.docker/config.json`].
    pub docker_config: Option<PathBuf>,
}

/// A docker config as docker reads it. Its top-level keys are fields of a Go struct, and Go's
/// decoder decodes a repeated field into the value it already holds: two `credHelpers`
/// objects are merged (a key in both: the later wins), where serde would keep only the
/// second. Any other repeated key keeps its last value, as in Go's maps. `None`: not JSON.
#[must_use]
pub fn parse_docker_config(text: &str) -> Option<serde_json::Value> {
    use serde::de::{Deserializer as _, MapAccess, Visitor};
    struct Top;
    impl<'de> Visitor<'de> for Top {
        type Value = serde_json::Value;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(
            self,
            mut map: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            let mut out = serde_json::Map::new();
            while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
                match (out.get_mut(&k), v) {
                    (Some(serde_json::Value::Object(old)), serde_json::Value::Object(new)) => {
                        old.extend(new);
                    }
                    (_, v) => {
                        out.insert(k, v);
                    }
                }
            }
            Ok(serde_json::Value::Object(out))
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let v = (&mut de).deserialize_map(Top).ok()?;
    de.end().ok()?;
    Some(v)
}

/// Adds (or replaces) `"host": "oci-token"` under `credHelpers` in a docker config text,
/// keeping every other byte where it can; `None` when the text is not a JSON object.
#[must_use]
pub fn add_cred_helper(text: &str, host: &str) -> Option<String> {
    let v: serde_json::Value = if text.trim().is_empty() {
        serde_json::json!({})
    } else {
        parse_docker_config(text)?
    };
    let obj = v.as_object()?;
    let key = serde_json::Value::from(host).to_string();
    let already = obj
        .get("credHelpers")
        .and_then(|c| c.get(host))
        .and_then(|h| h.as_str());
    if already == Some("oci-token") {
        return Some(text.to_owned());
    }
    let edited = if already.is_some() || obj.get("credHelpers").is_some_and(|c| !c.is_object()) {
        None
    } else if obj.contains_key("credHelpers") {
        // Insert after the `{` that opens credHelpers.
        let at = text.find("\"credHelpers\"")?;
        let open = at + text[at..].find('{')? + 1;
        let empty = text[open..].trim_start().starts_with('}');
        let entry = if empty {
            format!("\n\t\t{key}: \"oci-token\"\n\t")
        } else {
            format!("\n\t\t{key}: \"oci-token\",")
        };
        Some(format!("{}{entry}{}", &text[..open], &text[open..]))
    } else if obj.is_empty() {
        Some(format!(
            "{{\n\t\"credHelpers\": {{\n\t\t{key}: \"oci-token\"\n\t}}\n}}\n"
        ))
    } else {
        let open = text.find('{')? + 1;
        Some(format!(
            "{}\n\t\"credHelpers\": {{\n\t\t{key}: \"oci-token\"\n\t}},{}",
            &text[..open],
            &text[open..]
        ))
    };
    // The text edit must say exactly what was meant; otherwise write the object anew.
    let check = |t: &str| {
        parse_docker_config(t).is_some_and(|n| {
            n.get("credHelpers")
                .and_then(|c| c.get(host))
                .and_then(|h| h.as_str())
                == Some("oci-token")
        })
    };
    match edited {
        Some(t) if check(&t) => Some(t),
        _ => {
            let mut v = v.clone();
            let helpers = v
                .as_object_mut()?
                .entry("credHelpers")
                .or_insert_with(|| serde_json::json!({}));
            if !helpers.is_object() {
                *helpers = serde_json::json!({});
            }
            helpers
                .as_object_mut()?
                .insert(host.to_owned(), serde_json::Value::from("oci-token"));
            let mut out = serde_json::to_string_pretty(&v).ok()?;
            out.push('\n');
            Some(out)
        }
    }
}

fn docker_config_path(flag: Option<&Path>, env: &dyn Env) -> PathBuf {
    if let Some(p) = flag {
        return config::expand_user(&p.to_string_lossy(), env);
    }
    env.var("DOCKER_CONFIG").map_or_else(
        || crate::sys::env::home_path(env, ".docker/config.json"),
        |d| Path::new(&d).join("config.json"),
    )
}

/// Rewrites the JSON file `path` with `edit` (given its text, empty when missing) under its
/// sidecar lock: read, edit, atomic write, so concurrent editors each see the last one's
/// result. Other bytes are kept as `edit` keeps them.
fn edit_locked(path: &Path, max: u64, mut edit: impl FnMut(&str) -> Result<String>) -> Result<()> {
    // What stands at `path` (links followed) must be a regular file, or nothing: a dangling
    // link or a device would otherwise be reported as a lock or symlink problem (and a lock
    // file made beside a device).
    match (std::fs::symlink_metadata(path), std::fs::metadata(path)) {
        (Ok(l), Err(e))
            if l.file_type().is_symlink() && e.kind() == std::io::ErrorKind::NotFound =>
        {
            let to = std::fs::read_link(path).unwrap_or_default();
            return Err(Error::Config(format!(
                "{} is a symlink to {}, which does not exist; fix or remove the link",
                path.display(),
                to.display()
            )));
        }
        (_, Ok(m)) if !m.is_file() => {
            return Err(Error::Config(format!(
                "{} is {}, not a regular file; nothing was changed",
                path.display(),
                crate::sys::os::kind_of(m.file_type())
            )));
        }
        _ => {}
    }
    let slot = crate::sys::store::Pinned::new(path).map_err(|e| {
        Error::Config(format!(
            "cannot open the directory of {}: {e}",
            path.display()
        ))
    })?;
    let _lock = slot.lock(Duration::from_secs(10))?;
    let read = || match slot.read(max) {
        Ok(b) => String::from_utf8(b)
            .map_err(|_| Error::Config(format!("{} is not UTF-8 text", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(Error::Config(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    };
    let mut text = read()?;
    let mut again = 0;
    loop {
        let new = edit(&text)?;
        if new == text {
            return Ok(());
        }
        // docker writes config.json without a lock: look once more just before the
        // rename, and edit what it wrote meanwhile rather than overwrite it (the window
        // left is the rename itself).
        let now = read()?;
        if now != text && again < 3 {
            text = now;
            again += 1;
            continue;
        }
        return slot
            .write_atomic(new.as_bytes())
            .map_err(|e| Error::write(path, &e));
    }
}

/// The keys that appear more than once in one JSON object of `text` (at any depth), as
/// `a.b` paths; empty for text that is not JSON.
#[must_use]
pub fn duplicate_keys(text: &str) -> Vec<String> {
    use serde::de::{DeserializeSeed, Deserializer as _, MapAccess, SeqAccess, Visitor};
    struct Walk<'a> {
        at: String,
        found: &'a std::cell::RefCell<Vec<String>>,
    }
    impl<'de> DeserializeSeed<'de> for Walk<'_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(
            self,
            d: D,
        ) -> std::result::Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Walk<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> std::result::Result<(), A::Error> {
            let mut seen = std::collections::BTreeSet::new();
            while let Some(k) = m.next_key::<String>()? {
                let at = if self.at.is_empty() {
                    k.clone()
                } else {
                    format!("{}.{k}", self.at)
                };
                if !seen.insert(k) {
                    self.found.borrow_mut().push(at.clone());
                }
                m.next_value_seed(Walk {
                    at,
                    found: self.found,
                })?;
            }
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> std::result::Result<(), A::Error> {
            while s
                .next_element_seed(Walk {
                    at: self.at.clone(),
                    found: self.found,
                })?
                .is_some()
            {}
            Ok(())
        }
        fn visit_bool<E>(self, _: bool) -> std::result::Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> std::result::Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> std::result::Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> std::result::Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> std::result::Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> std::result::Result<(), E> {
            Ok(())
        }
    }
    let found = std::cell::RefCell::new(Vec::new());
    let mut de = serde_json::Deserializer::from_str(text);
    if de
        .deserialize_any(Walk {
            at: String::new(),
            found: &found,
        })
        .is_err()
    {
        return Vec::new();
    }
    found.into_inner()
}

/// The registries record as a JSON object: empty text is an empty one; anything else that is
/// not a JSON object (a trailing comma, an array) is refused, and the file left as it is.
fn registries_object(
    text: &str,
    path: &Path,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    if text.trim().is_empty() {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(m)) => Ok(m),
        Ok(_) => Err(Error::Config(format!(
            "{} is not a JSON object; fix it (or remove it to start afresh); nothing was changed",
            path.display()
        ))),
        Err(e) => Err(Error::Config(format!(
            "{} is not valid JSON ({e}); fix it (or remove it to start afresh); nothing was changed",
            path.display()
        ))),
    }
}

/// `oci-token docker install --registry HOST…`: the helper link, the `credHelpers` entries,
/// the per-registry credential; prints the podman/containers `auth.json` equivalent.
#[allow(clippy::too_many_lines)] // one recipe: check, link, edit, record, report
pub(crate) fn install(ctx: &Context<'_>, req: &InstallRequest) -> Result<()> {
    let mut hosts = Vec::new();
    for r in &req.registries {
        let host = ocir::normalize(r).ok_or_else(|| {
            Error::Usage(format!("--registry '{}' is not a host", r.escape_debug()))
        })?;
        if ocir::region_of(&host, ctx.env).is_none() {
            return Err(Error::Usage(format!(
                "--registry {host} is not an OCIR host (<region-key>.ocir.io or ocir.<region>.oci.<domain>; OCI_TOKEN_OCIR_HOSTS adds others)"
            )));
        }
        hosts.push(host);
    }
    // A profile named for the registries must exist (a typo would fail every pull later).
    if ctx.config.profile.is_some() {
        ctx.profile()?;
    }
    // The record of which credential each registry uses: refused before anything is changed
    // when it is not a JSON object, so a stray comma never costs the other registries.
    let reg_path = ocir::registries_file(ctx.env);
    match crate::sys::store::read_text(&reg_path, 1 << 20) {
        Ok(text) => {
            registries_object(&text, &reg_path)?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(Error::Config(format!(
                "cannot read {}: {e}",
                reg_path.display()
            )));
        }
    }
    // The link: <dir>/docker-credential-oci-token -> this binary.
    let exe = std::env::current_exe()
        .map_err(|e| Error::Other(format!("cannot find this binary: {e}")))?;
    let dir = req.dir.clone().unwrap_or_else(|| {
        exe.parent()
            .map_or_else(|| PathBuf::from("."), Path::to_owned)
    });
    // On Windows, a hard link or a copy named `docker-credential-oci-token.exe`.
    let link = dir.join(helper_file_name());
    if !dir.exists() {
        crate::sys::store::create_private_dir(&dir)?;
    }
    match crate::sys::os::install_helper(&exe, &link) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::Config(format!(
                "{} exists and is not a link to oci-token; remove it or pass --dir",
                link.display()
            )));
        }
        Err(e) => {
            return Err(Error::Other(format!(
                "cannot create {}: {e}",
                link.display()
            )));
        }
    }
    // credHelpers, edited under the config's sidecar lock: parallel installs add up.
    let path = docker_config_path(req.docker_config.as_deref(), ctx.env);
    if let Some(parent) = path.parent() {
        crate::sys::store::create_private_dir(parent)?;
    }
    edit_locked(&path, crate::sys::store::MAX_CONFIG, |text| {
        let dups = duplicate_keys(text);
        if !dups.is_empty() {
            output::warn(&format!(
                "{} repeats the key(s) {}; docker merges a repeated top-level object (credHelpers, auths: a key in both takes the later value) and keeps the last value of any other repeated key, and so does oci-token",
                path.display(),
                dups.join(", ")
            ));
        }
        let mut text = text.to_owned();
        for host in &hosts {
            text = add_cred_helper(&text, host).ok_or_else(|| {
                Error::Config(format!(
                    "{} is not a JSON object; fix it first",
                    path.display()
                ))
            })?;
        }
        Ok(text)
    })?;
    // Which credential each registry uses: the active profile and --auth, when given.
    if let Some(parent) = reg_path.parent() {
        crate::sys::store::create_private_dir(parent)?;
    }
    edit_locked(&reg_path, 1 << 20, |text| {
        let mut reg = serde_json::Value::Object(registries_object(text, &reg_path)?);
        for host in &hosts {
            let mut entry = serde_json::Map::new();
            if let Some(p) = &ctx.config.profile {
                entry.insert("profile".into(), p.clone().into());
            }
            if let Some(a) = &ctx.auth {
                entry.insert("auth".into(), a.clone().into());
            }
            if let Some(obj) = reg.as_object_mut() {
                obj.insert(host.clone(), serde_json::Value::Object(entry));
            }
        }
        output::json_line(&reg, true)
    })?;
    output::note(&format!(
        "{} -> {}; {} now sends {} to oci-token. For podman, skopeo and buildah, add the same to {} (printed below).",
        link.display(),
        exe.display(),
        path.display(),
        hosts.join(", "),
        // containers-auth.json(5): the default auth file of podman, skopeo and buildah.
        crate::sys::os::text(
            if crate::sys::os::MACOS {
                "~/.config/containers/auth.json"
            } else {
                "${XDG_RUNTIME_DIR}/containers/auth.json"
            },
            "%USERPROFILE%\\.config\\containers\\auth.json",
        )
    ));
    let helpers: serde_json::Map<String, serde_json::Value> = hosts
        .iter()
        .map(|h| (h.clone(), serde_json::Value::from("oci-token")))
        .collect();
    let snippet = serde_json::json!({ "credHelpers": helpers });
    output::print(&output::json_line(&snippet, true)?)
}

/// `oci-token kubelet-credential-provider`: the kubelet image credential provider
/// protocol (`CredentialProviderRequest` on stdin, `CredentialProviderResponse` out), for
/// self-managed nodes pulling from OCIR with their instance principal or a profile.
pub(crate) fn kubelet(ctx: &Context<'_>) -> Result<()> {
    let input = read_stdin().map_err(Error::Config)?;
    let req: serde_json::Value = serde_json::from_str(&input)
        .map_err(|_| Error::Config("the input is not a CredentialProviderRequest (JSON)".into()))?;
    let api_version = req
        .get("apiVersion")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("credentialprovider.kubelet.k8s.io/v1");
    if !matches!(
        api_version,
        "credentialprovider.kubelet.k8s.io/v1" | "credentialprovider.kubelet.k8s.io/v1beta1"
    ) {
        return Err(Error::Config(format!(
            "kubelet asked for {api_version}; oci-token answers credentialprovider.kubelet.k8s.io/v1 and v1beta1"
        )));
    }
    let image = req
        .get("image")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| Error::Config("the CredentialProviderRequest has no image".into()))?;
    let host = ocir::normalize(image)
        .filter(|h| ocir::region_of(h, ctx.env).is_some())
        .ok_or_else(|| Error::Config(format!("{} is not an OCIR image", image.escape_debug())))?;
    let mut cred = Credential::active(ctx, None)?;
    let t = ocir::token(ctx, &mut cred, &host)?;
    let cache =
        (t.expires_at.duration_since(ctx.env.now()) - ocir::MARGIN).max(jiff::SignedDuration::ZERO);
    let resp = serde_json::json!({
        "kind": "CredentialProviderResponse",
        "apiVersion": api_version,
        "cacheKeyType": "Registry",
        "cacheDuration": format!("{}s", cache.as_secs()),
        "auth": { host: { "username": BEARER_USER, "password": t.token.expose() } },
    });
    output::print(&format!("{resp}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn helpers_of(t: &str) -> serde_json::Value {
        serde_json::from_str::<serde_json::Value>(t).unwrap()["credHelpers"].clone()
    }

    #[test]
    fn cred_helpers_are_added_keeping_the_rest() {
        let docker = "{\n\t\"auths\": {\n\t\t\"docker.io\": {}\n\t},\n\t\"credHelpers\": {\n\t\t\"gcr.io\": \"gcloud\"\n\t}\n}";
        let out = add_cred_helper(docker, "iad.ocir.io").unwrap();
        assert_eq!(helpers_of(&out)["iad.ocir.io"], "oci-token");
        assert_eq!(helpers_of(&out)["gcr.io"], "gcloud");
        assert!(
            out.starts_with("{\n\t\"auths\": {\n\t\t\"docker.io\": {}\n\t},"),
            "{out}"
        );
        assert_eq!(
            add_cred_helper(&out, "iad.ocir.io").unwrap(),
            out,
            "idempotent"
        );
        let plain = "{\"auths\":{}}";
        let out = add_cred_helper(plain, "fra.ocir.io").unwrap();
        assert_eq!(helpers_of(&out)["fra.ocir.io"], "oci-token");
        assert!(out.ends_with("\"auths\":{}}"), "{out}");
        let out = add_cred_helper("", "fra.ocir.io").unwrap();
        assert_eq!(helpers_of(&out)["fra.ocir.io"], "oci-token");
        let out = add_cred_helper("{\"credHelpers\": {}}", "fra.ocir.io").unwrap();
        assert_eq!(helpers_of(&out)["fra.ocir.io"], "oci-token");
        // Another helper for the host: replaced (the object is written anew).
        let out =
            add_cred_helper("{\"credHelpers\": {\"fra.ocir.io\": \"x\"}}", "fra.ocir.io").unwrap();
        assert_eq!(helpers_of(&out)["fra.ocir.io"], "oci-token");
        assert_eq!(add_cred_helper("[1]", "fra.ocir.io"), None);
        assert_eq!(add_cred_helper("{oops", "fra.ocir.io"), None);
    }

    #[test]
    fn docker_configs_are_read_as_docker_reads_them() {
        let v = parse_docker_config(
            r#"{"credHelpers":{"a":"1","b":"2"},"x":1,"credHelpers":{"b":"3"},"x":2}"#,
        )
        .unwrap();
        assert_eq!(v["credHelpers"], serde_json::json!({"a": "1", "b": "3"}));
        assert_eq!(v["x"], 2);
        assert!(parse_docker_config("[1]").is_none());
        assert!(parse_docker_config("{} trailing").is_none());
        assert!(parse_docker_config("{oops").is_none());
    }

    #[test]
    fn duplicate_keys_are_found_at_any_depth() {
        assert!(duplicate_keys(r#"{"a":1,"b":{"c":[{"d":1}]}}"#).is_empty());
        assert_eq!(
            duplicate_keys(r#"{"credHelpers":{"x":"a","x":"b"},"auths":{},"auths":[]}"#),
            ["credHelpers.x", "auths"]
        );
        assert!(duplicate_keys("{oops").is_empty());
    }

    #[test]
    fn protocol_errors() {
        let env = crate::sys::env::FakeEnv::new("/nonexistent", jiff::Timestamp::UNIX_EPOCH);
        assert_eq!(action("get", "docker.io", &env).unwrap_err(), NOT_FOUND);
        assert_eq!(
            action("get", "  \n", &env).unwrap_err(),
            "no credentials server URL"
        );
        assert_eq!(action("get", "a b c", &env).unwrap_err(), NOT_FOUND);
        assert!(action("store", "{}", &env).is_err());
        assert!(action("store", "garbage", &env).is_err());
        assert!(
            action(
                "store",
                r#"{"ServerURL":"iad.ocir.io","Username":"u","Secret":"s"}"#,
                &env
            )
            .is_ok()
        );
        assert_eq!(action("list", "", &env).unwrap(), "{}\n");
        assert!(
            action("version", "", &env)
                .unwrap()
                .starts_with(HELPER_NAME)
        );
        assert!(
            action("frobnicate", "", &env)
                .unwrap_err()
                .starts_with("Usage")
        );
    }
}
