//! The command lines of the hot commands, read without clap: `get` (and no command at all),
//! `refresh`, `kube`, `oidc token` and `prompt` run on every kubectl call, prompt or credential lookup,
//! and building the full clap definition (every subcommand and option) is most of their
//! cost. Only plain `--flag value` / `--flag=value` forms of the options these commands take
//! are read here, each at most once and with the same value parsers; anything else
//! (`--help`, `--version`, a typo, another command, a repeated option, a value that looks
//! like an option, a value clap would reject) goes to clap, so errors and help are
//! unchanged. `agrees_with_clap` checks both give the same `Cli` for a table of lines.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::PathBuf;

use super::args::{
    Cli, Command, Format, GetArgs, GetCmd, Global, KubeArgs, LockArgs, OidcCmd, OidcExecToken,
    OidcOutput, OidcTokenArgs, PromptArgs, RefreshCmd,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Get,
    Refresh,
    Kube,
    OidcToken,
    Prompt,
}

/// What the line said so far.
struct Line {
    global: Global,
    top_output: Option<Format>,
    which: Option<Which>,
    get: GetArgs,
    as_profile: Option<String>,
    output: Option<Format>,
    cluster_id: Option<String>,
    name: String,
    oidc_output: OidcOutput,
    exec_token: OidcExecToken,
    format: String,
}

fn format(v: &str) -> Option<Format> {
    match v {
        "json" => Some(Format::Json),
        "text" => Some(Format::Text),
        _ => None,
    }
}

impl Line {
    fn new() -> Self {
        Line {
            global: Global {
                config_file: None,
                profile: None,
                region: None,
                cli_rc_file: None,
                cert_bundle: None,
                auth_endpoint: None,
                auth: None,
            },
            top_output: None,
            which: None,
            get: GetArgs::default(),
            as_profile: None,
            output: None,
            cluster_id: None,
            name: "default".to_owned(),
            oidc_output: OidcOutput::Json,
            exec_token: OidcExecToken::Id,
            format: crate::output::prompt::DEFAULT_FORMAT.to_owned(),
        }
    }

    /// Takes `--flag value`; `None` when the flag is not one this command takes here, or
    /// the value is one clap would reject.
    fn set(&mut self, flag: &str, v: String) -> Option<()> {
        let which = self.which;
        let get_like = matches!(which, Some(Which::Get | Which::Kube | Which::OidcToken));
        match flag {
            "--profile" => self.global.profile = Some(v),
            "--config-file" => self.global.config_file = Some(PathBuf::from(v)),
            "--cli-rc-file" => self.global.cli_rc_file = Some(PathBuf::from(v)),
            "--region" => self.global.region = Some(v),
            "--cert-bundle" => self.global.cert_bundle = Some(PathBuf::from(v)),
            "--auth-endpoint" => self.global.auth_endpoint = Some(v),
            "--auth" => self.global.auth = Some(crate::credential::Auth::parse(&v)?),
            "--output" if which.is_none() => self.top_output = Some(format(&v)?),
            "--output" if matches!(which, Some(Which::Get | Which::Refresh)) => {
                self.output = Some(format(&v)?);
            }
            "--output" if which == Some(Which::OidcToken) => {
                self.oidc_output = match v.as_str() {
                    "json" => OidcOutput::Json,
                    "bearer" => OidcOutput::Bearer,
                    "env" => OidcOutput::Env,
                    "exec-credential" => OidcOutput::ExecCredential,
                    _ => return None,
                };
            }
            "--refresh-window" if get_like => {
                self.get.refresh_window = super::args::parse_duration(&v).ok()?;
            }
            "--min-valid" if get_like => {
                self.get.min_valid = crate::duration::parse_min_valid(&v).ok()?;
            }
            "--lock-timeout" if get_like || which == Some(Which::Refresh) => {
                self.get.lock = LockArgs {
                    lock_timeout: super::args::parse_duration(&v).ok()?,
                };
            }
            "--as-profile" if which == Some(Which::Get) => self.as_profile = Some(v),
            "--cluster-id" if which == Some(Which::Kube) => self.cluster_id = Some(v),
            "--name" if which == Some(Which::OidcToken) => self.name = v,
            "--exec-token" if which == Some(Which::OidcToken) => {
                self.exec_token = match v.as_str() {
                    "id" => OidcExecToken::Id,
                    "access" => OidcExecToken::Access,
                    _ => return None,
                };
            }
            "--format" if which == Some(Which::Prompt) => self.format = v,
            _ => return None,
        }
        Some(())
    }

    fn into_cli(self) -> Option<Cli> {
        // `oidc token` takes no config, profile, region or auth: clap refuses those
        // (`args::refuse_inert`), so a line with one goes there.
        let g = &self.global;
        if self.which == Some(Which::OidcToken)
            && (g.profile.is_some()
                || g.config_file.is_some()
                || g.cli_rc_file.is_some()
                || g.region.is_some()
                || g.auth_endpoint.is_some()
                || g.auth.is_some())
        {
            return None;
        }
        let command = match self.which {
            None => None,
            Some(Which::Get) => Some(Command::Get(GetCmd {
                refresh: self.get,
                as_profile: self.as_profile,
                output: self.output,
            })),
            Some(Which::Refresh) => Some(Command::Refresh(RefreshCmd {
                lock: self.get.lock,
                output: self.output,
            })),
            Some(Which::Kube) => Some(Command::Kube(KubeArgs {
                cluster_id: self.cluster_id?,
                refresh: self.get,
            })),
            Some(Which::OidcToken) => Some(Command::Oidc {
                what: OidcCmd::Token(OidcTokenArgs {
                    name: self.name,
                    output: self.oidc_output,
                    exec_token: self.exec_token,
                    refresh: self.get,
                }),
            }),
            Some(Which::Prompt) => Some(Command::Prompt(PromptArgs {
                format: self.format,
            })),
        };
        Some(Cli {
            global: self.global,
            output: self.top_output,
            command,
        })
    }
}

/// A `Cli` for a hot command, or `None` to let clap parse the line.
#[must_use]
pub(crate) fn hot_cli(args: &[OsString]) -> Option<Cli> {
    let mut l = Line::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut it = args.iter().skip(1).map(|a| a.to_str());
    let mut oidc = false;
    while let Some(arg) = it.next() {
        let arg = arg?;
        if l.which.is_none() && !arg.starts_with('-') {
            l.which = Some(match (oidc, arg) {
                (false, "get") => Which::Get,
                (false, "refresh") => Which::Refresh,
                (false, "kube") => Which::Kube,
                (false, "prompt") => Which::Prompt,
                (false, "oidc") => {
                    oidc = true;
                    continue;
                }
                (true, "token") => Which::OidcToken,
                _ => return None,
            });
            continue;
        }
        if oidc && l.which.is_none() {
            return None;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (arg, None),
        };
        if !flag.starts_with("--") || !seen.insert(flag.to_owned()) {
            return None;
        }
        let value = match inline {
            Some(v) => v,
            None => it
                .next()
                .flatten()
                .filter(|v| !v.starts_with('-') || *v == "-")?
                .to_owned(),
        };
        l.set(flag, value)?;
    }
    if oidc && l.which.is_none() {
        return None;
    }
    l.into_cli()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(words: &[&str]) -> Vec<OsString> {
        std::iter::once("oci-token")
            .chain(words.iter().copied())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn agrees_with_clap() {
        use clap::FromArgMatches as _;
        let lines: &[&[&str]] = &[
            &[],
            &["--profile", "p"],
            &["--output", "text"],
            &["get"],
            &[
                "get",
                "--profile=p",
                "--min-valid",
                "5m",
                "--refresh-window=2m",
            ],
            &[
                "--profile",
                "p",
                "get",
                "--output",
                "text",
                "--lock-timeout",
                "3s",
            ],
            &["get", "--auth", "instance_principal", "--as-profile", "ip"],
            &[
                "get",
                "--cert-bundle",
                "/ca",
                "--auth-endpoint",
                "https://a",
            ],
            &[
                "kube",
                "--cluster-id",
                "ocid1.cluster.oc1..x",
                "--region",
                "iad",
            ],
            &["kube", "--cluster-id=c", "--auth=oke_workload_identity"],
            &["prompt"],
            &["prompt", "--format={profile}", "--config-file", "/c"],
            &["--profile", "p", "prompt", "--region", "r"],
            &["oidc", "token"],
            &[
                "oidc",
                "token",
                "--name",
                "ci",
                "--output",
                "exec-credential",
            ],
            &[
                "oidc",
                "token",
                "--output=bearer",
                "--exec-token",
                "access",
                "--min-valid=1m",
            ],
        ];
        for words in lines {
            let args = line(words);
            let ours = hot_cli(&args).unwrap_or_else(|| panic!("not fast: {words:?}"));
            let m = super::super::command().get_matches_from(args);
            let clap = Cli::from_arg_matches(&m).unwrap();
            assert_eq!(format!("{ours:?}"), format!("{clap:?}"), "{words:?}");
        }
    }

    #[test]
    fn everything_else_goes_to_clap() {
        let lines: &[&[&str]] = &[
            &["--help"],
            &["-h"],
            &["--version"],
            &["get", "--help"],
            &["get", "--profile"],
            &["get", "--profile", "--region"],
            &["get", "--profile", "a", "--profile", "b"],
            &["get", "--min-valid", "soon"],
            &["get", "--auth", "magic"],
            &["get", "--output", "yaml"],
            &["get", "--cluster-id", "x"],
            &["get", "extra"],
            &["kube"],
            &["kube", "--format", "x"],
            &["prompt", "prompt"],
            &["prompt", "-p", "x"],
            &["refresh", "--min-valid", "5m"],
            &["validate"],
            &["oidc"],
            &["oidc", "login"],
            &["oidc", "--name", "x"],
            &["oidc", "token", "--exec-token", "refresh"],
            &["docker", "install"],
        ];
        for words in lines {
            assert!(hot_cli(&line(words)).is_none(), "{words:?}");
        }
    }
}
