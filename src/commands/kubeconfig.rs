//! `oci-token kubeconfig`: switch the users of a kubeconfig made by
//! `oci ce cluster create-kubeconfig` from `oci ce cluster generate-token` to `oci-token kube`.
//!
//! The file is edited as text: only the `exec:` blocks being converted are replaced, every
//! other byte (comments, order, quoting, other users) stays as it was. The blocks are read
//! in the block style `create-kubeconfig` (`PyYAML`) and kubectl write; flow-style `args`
//! lists are read too.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::output;
use crate::sys::env::Env;

/// What an `oci ce cluster generate-token` exec entry says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct OciEntry {
    pub cluster_id: String,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub config_file: Option<String>,
    /// `--auth` when the user gave one (kept: principals stay principals).
    pub auth: Option<String>,
}

/// The result of converting a kubeconfig text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    pub text: String,
    /// Line numbers (1-based) of the converted `exec:` keys.
    pub converted: Vec<usize>,
    /// Entries left as they are: (line, why), e.g. no `--cluster-id`, or an `--auth` mode
    /// (instance or resource principal) that `oci-token kube` does not serve.
    pub skipped: Vec<(usize, String)>,
}

pub(crate) const INSTALL_HINT: &str = crate::sys::os::text(
    "oci-token is not installed or not on PATH. Install it (cargo install --locked --path <oci-token checkout>), or put this user back on `oci ce cluster generate-token`.",
    "oci-token is not installed or not on Path. Unzip the oci-token Windows archive into a folder on your user Path (or `scoop install oci-token`), or put this user back on `oci ce cluster generate-token`.",
);

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// Unquotes a YAML scalar as written by `PyYAML` or kubectl (plain, '…' or "…").
fn scalar(raw: &str) -> String {
    let t = raw.trim();
    let t = match t.find(" #") {
        Some(i) if !t.starts_with(['\'', '"']) => t[..i].trim_end(),
        _ => t,
    };
    if let Some(inner) = t.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return inner.replace("''", "'");
    }
    if let Some(inner) = t.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        return serde_json::from_str::<String>(&format!("\"{inner}\""))
            .unwrap_or_else(|_| inner.to_owned());
    }
    t.to_owned()
}

/// A scalar that YAML reads back as the same string.
fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-' | b':' | b'@')
        })
        && !s.starts_with(':')
        && !s.ends_with(':')
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~"
        )
        && s.parse::<f64>().is_err();
    if plain {
        s.to_owned()
    } else {
        serde_json::Value::String(s.to_owned()).to_string()
    }
}

/// Splits a flow sequence `[a, 'b', "c"]` into scalars.
fn flow_list(raw: &str) -> Option<Vec<String>> {
    let inner = raw.trim().strip_prefix('[')?.strip_suffix(']')?;
    let mut items = Vec::new();
    let (mut cur, mut quote_char) = (String::new(), None::<char>);
    for c in inner.chars() {
        match (quote_char, c) {
            (None, '\'' | '"') => {
                quote_char = Some(c);
                cur.push(c);
            }
            (Some(q), c) if c == q => {
                quote_char = None;
                cur.push(c);
            }
            (None, ',') => {
                items.push(scalar(&cur));
                cur.clear();
            }
            _ => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        items.push(scalar(&cur));
    }
    Some(items)
}

/// The parsed children of an `exec:` block that matter here.
#[derive(Default)]
struct ExecBlock {
    command: Option<String>,
    args: Vec<String>,
    /// The `env:` key line and its nested lines, verbatim.
    env_lines: Vec<String>,
}

fn parse_block(lines: &[&str]) -> ExecBlock {
    let mut b = ExecBlock::default();
    let Some(child) = lines
        .iter()
        .find(|l| !is_blank_or_comment(l))
        .map(|l| indent_of(l))
    else {
        return b;
    };
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if is_blank_or_comment(line)
            || indent_of(line) != child
            || line.trim_start().starts_with('-')
        {
            continue;
        }
        let Some((key, value)) = line.trim().split_once(':') else {
            continue;
        };
        // The nested lines of this key: deeper, or `- ` items at the same indent.
        let start = i;
        while i < lines.len()
            && (is_blank_or_comment(lines[i])
                || indent_of(lines[i]) > child
                || (indent_of(lines[i]) == child && lines[i].trim_start().starts_with("- ")))
        {
            i += 1;
        }
        let nested = &lines[start..i];
        match key.trim() {
            "command" => b.command = Some(scalar(value)),
            "args" => {
                b.args = if value.trim().is_empty() {
                    nested
                        .iter()
                        .filter(|l| !is_blank_or_comment(l))
                        .filter_map(|l| l.trim_start().strip_prefix('-').map(scalar))
                        .collect()
                } else {
                    flow_list(value).unwrap_or_default()
                };
            }
            "env" => {
                b.env_lines = std::iter::once(line)
                    .chain(nested.iter().copied())
                    .map(str::to_owned)
                    .collect();
                while b.env_lines.last().is_some_and(|l| l.trim().is_empty()) {
                    b.env_lines.pop();
                }
            }
            _ => {}
        }
    }
    b
}

/// Whether an exec entry runs `oci ce cluster generate-token`, and what it names; `Err`
/// says why such an entry must stay as it is.
fn oci_entry(b: &ExecBlock) -> Option<Result<OciEntry, String>> {
    let cmd = b.command.as_deref()?;
    let base = cmd.rsplit(['/', '\\']).next().unwrap_or(cmd);
    if !matches!(base, "oci" | "oci.exe") {
        return None;
    }
    let words: Vec<&str> = b
        .args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .take(3)
        .collect();
    if words != ["ce", "cluster", "generate-token"] {
        return None;
    }
    let mut e = OciEntry::default();
    let mut auth: Option<String> = None;
    let mut it = b.args.iter().peekable();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (a.as_str(), None),
        };
        let mut value = || inline.clone().or_else(|| it.next().cloned());
        match flag {
            "--cluster-id" => e.cluster_id = value().unwrap_or_default(),
            "--region" => e.region = value(),
            "--profile" => e.profile = value(),
            "--config-file" => e.config_file = value(),
            "--auth" => auth = value(),
            _ => {}
        }
    }
    if let Some(a) = auth
        .as_deref()
        .filter(|a| crate::credential::Auth::parse(a).is_none())
    {
        return Some(Err(format!(
            "uses `--auth {a}`, which oci-token kube does not serve"
        )));
    }
    e.auth = auth;
    Some(if e.cluster_id.is_empty() {
        Err("has no --cluster-id".to_owned())
    } else {
        Ok(e)
    })
}

fn render_block(
    e: &OciEntry,
    env_lines: &[String],
    child: usize,
    command: &str,
    nl: &str,
) -> String {
    let pad = " ".repeat(child);
    let mut args = vec![
        "kube".to_owned(),
        "--cluster-id".to_owned(),
        e.cluster_id.clone(),
    ];
    for (flag, v) in [
        ("--region", &e.region),
        ("--profile", &e.profile),
        ("--config-file", &e.config_file),
        ("--auth", &e.auth),
    ] {
        if let Some(v) = v {
            args.push(flag.to_owned());
            args.push(v.clone());
        }
    }
    let mut out = format!("{pad}apiVersion: client.authentication.k8s.io/v1{nl}{pad}args:{nl}");
    for a in &args {
        let _ = write!(out, "{pad}- {}{nl}", quote(a));
    }
    let _ = write!(out, "{pad}command: {}{nl}", quote(command));
    if env_lines.is_empty() {
        let _ = write!(out, "{pad}env: []{nl}");
    } else {
        for l in env_lines {
            out.push_str(l.trim_end_matches(['\r', '\n']));
            out.push_str(nl);
        }
    }
    let _ = write!(out, "{pad}installHint: {}{nl}", quote(INSTALL_HINT));
    let _ = write!(
        out,
        "{pad}interactiveMode: Never{nl}{pad}provideClusterInfo: false{nl}"
    );
    out
}

/// Converts every `oci ce cluster generate-token` exec entry of `text`.
#[must_use]
pub fn convert(text: &str, command: &str) -> Converted {
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let bare: Vec<&str> = lines
        .iter()
        .map(|l| l.trim_end_matches(['\r', '\n']))
        .collect();
    let mut out = String::with_capacity(text.len() + 512);
    let (mut converted, mut skipped) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < lines.len() {
        let line = bare[i];
        let t = line.trim();
        let is_exec = t == "exec:"
            || (t.starts_with("exec:") && t["exec:".len()..].trim_start().starts_with('#'));
        if !is_exec {
            out.push_str(lines[i]);
            i += 1;
            continue;
        }
        let ind = indent_of(line);
        let mut end = i + 1;
        while end < lines.len() && (bare[end].trim().is_empty() || indent_of(bare[end]) > ind) {
            end += 1;
        }
        while end > i + 1 && bare[end - 1].trim().is_empty() {
            end -= 1;
        }
        let block = parse_block(&bare[i + 1..end]);
        let child = bare[i + 1..end]
            .iter()
            .find(|l| !is_blank_or_comment(l))
            .map_or(ind + 2, |l| indent_of(l));
        match oci_entry(&block) {
            Some(Ok(entry)) => {
                out.push_str(lines[i]);
                out.push_str(&render_block(&entry, &block.env_lines, child, command, nl));
                converted.push(i + 1);
            }
            Some(Err(why)) => {
                skipped.push((i + 1, why));
                lines[i..end].iter().for_each(|l| out.push_str(l));
            }
            None => lines[i..end].iter().for_each(|l| out.push_str(l)),
        }
        i = end;
    }
    Converted {
        text: out,
        converted,
        skipped,
    }
}

/// The kubeconfig to edit: `--file`, else the first `KUBECONFIG` entry, else `~/.kube/config`.
#[must_use]
pub(crate) fn path(flag: Option<PathBuf>, env: &dyn Env) -> PathBuf {
    flag.or_else(|| {
        env.var("KUBECONFIG")
            .and_then(|v| std::env::split_paths(&v).find(|p| !p.as_os_str().is_empty()))
    })
    .unwrap_or_else(|| crate::sys::env::home_path(env, ".kube/config"))
}

/// `oci-token kubeconfig [--file F] [--dry-run] [--command C]`.
pub(crate) fn run(
    file: Option<PathBuf>,
    dry_run: bool,
    command: &str,
    env: &dyn Env,
) -> Result<()> {
    let path = path(file, env);
    let text = crate::sys::store::read_text(&path, crate::sys::store::MAX_CONFIG).map_err(|e| {
        Error::Config(format!(
            "cannot read kubeconfig {}: {e}; pass --file or set KUBECONFIG",
            path.display()
        ))
    })?;
    let c = convert(&text, command);
    for (line, why) in &c.skipped {
        output::warn(&format!(
            "{}:{line}: an `oci ce cluster generate-token` user {why}; it was left as it is",
            path.display()
        ));
    }
    if dry_run {
        return output::emit(&c.text)
            .map_err(|e| Error::Other(format!("cannot write to stdout: {e}")));
    }
    if c.converted.is_empty() {
        output::note(&format!(
            "oci-token: no `oci ce cluster generate-token` users in {}; nothing changed",
            path.display()
        ));
        return Ok(());
    }
    crate::sys::store::write_atomic(&path, c.text.as_bytes()).map_err(|e| {
        Error::Other(format!(
            "cannot write kubeconfig {} (it is unchanged): {e}",
            path.display()
        ))
    })?;
    output::note(&format!(
        "oci-token: {} now uses `{command} kube` for {} user(s)",
        path.display(),
        c.converted.len()
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OKE: &str = "apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0t
    server: https://10.0.0.1:6443
  name: cluster-c1
contexts:
- context:
    cluster: cluster-c1
    user: user-c1
  name: context-c1
current-context: context-c1
kind: ''
preferences: {}
users:
- name: user-c1
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - ce
      - cluster
      - generate-token
      - --cluster-id
      - ocid1.cluster.oc1.iad.aaaa
      - --region
      - us-ashburn-1
      - --auth
      - security_token
      - --profile
      - my-session
      command: oci
      env: []
- name: other
  user:
    token: abc
";

    #[test]
    fn converts_only_the_exec_block() {
        let c = convert(OKE, "oci-token");
        assert_eq!(c.converted, vec![18]);
        let want = OKE.replace(
            "      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - ce
      - cluster
      - generate-token
      - --cluster-id
      - ocid1.cluster.oc1.iad.aaaa
      - --region
      - us-ashburn-1
      - --auth
      - security_token
      - --profile
      - my-session
      command: oci
      env: []
",
            &format!(
                "      apiVersion: client.authentication.k8s.io/v1
      args:
      - kube
      - --cluster-id
      - ocid1.cluster.oc1.iad.aaaa
      - --region
      - us-ashburn-1
      - --profile
      - my-session
      - --auth
      - security_token
      command: oci-token
      env: []
      installHint: {}
      interactiveMode: Never
      provideClusterInfo: false
",
                quote(INSTALL_HINT)
            ),
        );
        assert_eq!(c.text, want);
        // Idempotent: nothing left to convert.
        let again = convert(&c.text, "oci-token");
        assert!(again.converted.is_empty());
        assert_eq!(again.text, c.text);
    }

    #[test]
    fn flow_args_env_and_equals_forms() {
        let text = "users:\n- name: u\n  user:\n    exec: # from the console\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: /usr/local/bin/oci\n      args: [\"ce\", cluster, 'generate-token', \"--cluster-id=ocid1.cluster.oc1.phx.b\"]\n      env:\n      - name: OCI_CLI_PROFILE\n        value: sess\n";
        let c = convert(text, "/opt/bin/oci-token");
        assert_eq!(c.converted.len(), 1);
        assert!(
            c.text.contains("    exec: # from the console\n"),
            "{}",
            c.text
        );
        assert!(
            c.text
                .contains("      - --cluster-id\n      - ocid1.cluster.oc1.phx.b\n"),
            "{}",
            c.text
        );
        assert!(
            c.text.contains("      command: /opt/bin/oci-token\n"),
            "{}",
            c.text
        );
        assert!(
            c.text
                .contains("      env:\n      - name: OCI_CLI_PROFILE\n        value: sess\n"),
            "{}",
            c.text
        );
        assert!(!c.text.contains("--region"), "{}", c.text);
    }

    #[test]
    fn leaves_other_exec_users_and_missing_cluster_ids() {
        let text = "users:\n- name: a\n  user:\n    exec:\n      command: aws\n      args: [eks, get-token]\n- name: b\n  user:\n    exec:\n      command: oci\n      args: [ce, cluster, generate-token]\n";
        let c = convert(text, "oci-token");
        assert!(c.converted.is_empty());
        assert_eq!(c.skipped, vec![(9, "has no --cluster-id".to_owned())]);
        assert_eq!(c.text, text);
    }

    #[test]
    fn crlf_files_stay_crlf() {
        let text = OKE.replace('\n', "\r\n");
        let c = convert(&text, "oci-token");
        assert_eq!(c.converted.len(), 1);
        assert!(
            !c.text.replace("\r\n", "").contains('\n'),
            "mixed line endings"
        );
    }

    #[test]
    fn quoting_round_trips() {
        for s in [
            "plain",
            "true",
            "1.5",
            "a b",
            "x: y",
            "",
            "'q'",
            "ocid1.cluster.oc1.iad.a",
        ] {
            assert_eq!(scalar(&quote(s)), s, "{s}");
        }
    }

    #[test]
    fn auth_modes_are_kept_and_unserved_ones_left_alone() {
        let text = "users:\n- name: ip\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: oci\n      args: [ce, cluster, generate-token, --cluster-id, ocid1.cluster.oc1.iad.x, --auth, instance_principal]\n- name: obo\n  user:\n    exec:\n      command: oci\n      args:\n      - ce\n      - cluster\n      - generate-token\n      - --cluster-id=ocid1.cluster.oc1.iad.y\n      - --auth=instance_obo_user\n- name: st\n  user:\n    exec:\n      command: oci\n      args: [ce, cluster, generate-token, --cluster-id, ocid1.cluster.oc1.iad.z, --auth, security_token]\n";
        let c = convert(text, "oci-token");
        assert_eq!(
            c.converted.len(),
            2,
            "instance_principal and security_token users"
        );
        assert_eq!(c.skipped.len(), 1);
        assert!(
            c.skipped[0].1.contains("instance_obo_user"),
            "{:?}",
            c.skipped
        );
        assert!(
            c.text.contains("- --auth=instance_obo_user"),
            "left as it was"
        );
        assert!(
            c.text
                .contains("      - --auth\n      - instance_principal\n"),
            "the mode is kept: {}",
            c.text
        );
    }
}
