//! The command layer: the only code that knows clap. It parses the command line (`args`,
//! or `fast` for `prompt`), resolves every option once into the plain values of
//! [`crate::app`], and renders the man page and completions.

pub(crate) mod args;
pub(crate) mod fast;
pub mod man;

use std::ffi::OsString;
use std::process::ExitCode;

pub(crate) use args::{Cli, command};

use crate::app::{self, Context};
use crate::commands::{archive, login, setup_key};
use crate::config;
use crate::credential::{Auth, Freshness};
use crate::error::{Error, Result};
use crate::output::Format;
use crate::output::env::Shell;
use crate::sys::env::Env;

/// Parses `args` (`prompt` without building the whole clap definition; usage errors: clap
/// prints them and exits 2).
#[must_use]
pub fn parse(args: &[OsString]) -> Cli {
    use clap::FromArgMatches as _;
    fast::hot_cli(args).unwrap_or_else(|| {
        let matches = match command().try_get_matches_from(args.iter()) {
            Ok(m) => m,
            Err(e) if e.kind() == clap::error::ErrorKind::InvalidSubcommand => {
                unknown_command(&e, &crate::sys::os::RealEnv).exit()
            }
            Err(e) => e.exit(),
        };
        args::refuse_inert(&matches).unwrap_or_else(|e| e.exit());
        Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    })
}

/// Commands that destroy something: never suggested for a typo (`temrinate` would have
/// been answered "did you mean 'terminate'", which deletes the session).
const DESTRUCTIVE: &[&str] = &["terminate"];

/// clap's "unrecognized subcommand", with our suggestions: the nearest command that is not
/// destructive, or, when the word is near a profile of the config file (`oci-token
/// my-sesion`), `--profile <that profile>`.
fn unknown_command(e: &clap::Error, env: &dyn Env) -> clap::Error {
    use clap::error::{ContextKind, ContextValue};
    let Some(ContextValue::String(word)) = e.get(ContextKind::InvalidSubcommand) else {
        return clap::Error::raw(e.kind(), e.to_string());
    };
    let cmd = command();
    let commands: Vec<String> = cmd
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_owned())
        .filter(|n| !DESTRUCTIVE.contains(&n.as_str()) && n != "help")
        .collect();
    let tip = if let Some(c) = crate::suggest::nearest(word, commands.iter().map(String::as_str)) {
        format!("\n\n  tip: a similar command exists: '{c}'")
    } else {
        let path = crate::config::profile::config_path(None, env);
        let profiles = crate::config::profile::read_config(&path).ok();
        let names = profiles.as_ref().map_or_else(Vec::new, |p| {
            p.sections
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
        });
        crate::suggest::nearest(word, names.iter().copied())
            .map(|p| format!("\n\n  tip: a profile? --profile {p}"))
            .unwrap_or_default()
    };
    clap::Error::raw(
        clap::error::ErrorKind::InvalidSubcommand,
        format!(
            "unrecognized subcommand '{}'{tip}\n\nUsage: oci-token [OPTIONS] [COMMAND]\n\nFor more information, try '--help'.\n",
            word.escape_debug()
        ),
    )
}

/// Runs a parsed command line.
pub fn run(cli: &Cli, env: &dyn Env) -> Result<ExitCode> {
    if let Some(args::Command::Generate { what }) = &cli.command {
        man::generate(what)?;
        return Ok(ExitCode::SUCCESS);
    }
    let g = &cli.global;
    let ctx = Context::new(
        env,
        config::Options {
            config_file: g.config_file.clone(),
            profile: g.profile.clone(),
            region: g.region.clone(),
            cli_rc_file: g.cli_rc_file.clone(),
        },
        g.cert_bundle.clone(),
        g.auth_endpoint.clone(),
    );
    let ctx = Context {
        auth: g.auth.map(|a| a.name().to_owned()),
        ..ctx
    };
    app::run(&ctx, &to_command(cli)?)
}

fn format(f: Option<args::Format>) -> Option<Format> {
    f.map(|f| match f {
        args::Format::Json => Format::Json,
        args::Format::Text => Format::Text,
    })
}

fn fresh(a: &args::GetArgs) -> Freshness {
    Freshness {
        window: a.refresh_window,
        min_valid: a.min_valid,
        lock_timeout: a.lock.lock_timeout,
    }
}

/// The command as plain values. `--output` before the command belongs to the commands that
/// print a session.
#[allow(clippy::too_many_lines)] // one arm per command, each a plain mapping
pub(crate) fn to_command(cli: &Cli) -> Result<app::Command> {
    use args::Command as C;
    let top = cli.output;
    if top.is_some()
        && !matches!(
            cli.command,
            None | Some(C::Get(_) | C::Refresh(_) | C::Validate(_))
        )
    {
        return Err(Error::Usage(
            "--output applies only to get, refresh and validate".into(),
        ));
    }
    let out = |f: Option<args::Format>| format(f.or(top)).unwrap_or(Format::Json);
    Ok(match &cli.command {
        None => app::Command::Get {
            fresh: Freshness::default(),
            format: out(None),
            as_profile: None,
        },
        Some(C::Get(a)) => app::Command::Get {
            fresh: fresh(&a.refresh),
            format: out(a.output),
            as_profile: a.as_profile.clone(),
        },
        Some(C::Refresh(a)) => app::Command::Refresh {
            fresh: Freshness {
                lock_timeout: a.lock.lock_timeout,
                ..Freshness::default()
            },
            format: out(a.output),
        },
        Some(C::Validate(a)) => app::Command::Validate {
            format: format(a.output.or(top)),
        },
        Some(C::Kube(a)) => app::Command::Kube {
            cluster_id: a.cluster_id.clone(),
            fresh: fresh(&a.refresh),
        },
        Some(C::Prompt(a)) => app::Command::Prompt {
            format: a.format.clone(),
        },
        Some(C::Env(a)) => app::Command::Env {
            shell: a.shell.map(|s| match s {
                args::EnvShell::Sh => Shell::Sh,
                args::EnvShell::Bash => Shell::Bash,
                args::EnvShell::Zsh => Shell::Zsh,
                args::EnvShell::Fish => Shell::Fish,
                args::EnvShell::Pwsh => Shell::Pwsh,
                args::EnvShell::Cmd => Shell::Cmd,
            }),
            fresh: fresh(&a.refresh),
        },
        Some(C::Terraform(a)) => app::Command::Terraform {
            fresh: fresh(&a.refresh),
        },
        Some(C::Exec(a)) => app::Command::Exec {
            fresh: fresh(&a.refresh),
            as_profile: a.as_profile.clone(),
            command: a.command.clone(),
        },
        Some(C::Login(a)) => app::Command::Login(Box::new(login::Request {
            profile_name: a.profile_name.clone(),
            tenancy_name: a.tenancy_name.clone(),
            identity_provider_name: a.identity_provider_name.clone(),
            config_location: a.config_location.clone(),
            token_location: a.token_location.clone(),
            port: a.port,
            no_open: a.no_open,
            timeout: a.timeout,
            login_endpoint: a.login_endpoint.clone(),
            no_browser: a.no_browser,
            auth: match cli.global.auth {
                None | Some(Auth::ApiKey) => Auth::ApiKey,
                Some(Auth::SecurityToken) => Auth::SecurityToken,
                Some(other) => {
                    return Err(Error::Usage(format!(
                        "login --no-browser signs with --auth api_key or security_token, not {}",
                        other.name()
                    )));
                }
            },
            session_expiration_in_minutes: a.session_expiration_in_minutes,
            public_key_file_path: a.public_key_file_path.clone(),
            private_key_file_path: a.private_key_file_path.clone(),
            device_code: a.device_code,
            token_exchange: a.token_exchange,
            domain_url: a.domain_url.clone(),
            client_id: a.client_id.clone(),
            client_secret_file: a.client_secret_file.clone(),
            scopes: a.scopes.clone(),
            subject_token_file: a.subject_token_file.clone(),
            subject_token_from: a.subject_token_from.clone(),
            audience: a.audience.clone(),
        })),
        Some(C::SetupKey(a)) => app::Command::SetupKey(setup_key::Request {
            user: a.user.clone(),
            tenancy: a.tenancy.clone(),
            profile_name: a.profile_name.clone(),
            key_dir: a.key_dir.clone(),
            key_name: a.key_name.clone(),
            passphrase_file: a.passphrase_file.clone(),
            config_location: a.config_location.clone(),
            force: a.force,
        }),
        Some(C::Export(a)) => app::Command::Export(archive::ExportRequest {
            output_file: a.output_file.clone(),
            force: a.force,
            include_passphrase: a.include_passphrase,
        }),
        Some(C::Import(a)) => app::Command::Import(archive::ImportRequest {
            session_archive: a.session_archive.clone(),
            profile_name: a.profile_name.clone(),
            force: a.force,
        }),
        Some(C::Terminate(_)) => app::Command::Terminate,
        Some(C::Kubeconfig(a)) => app::Command::Kubeconfig {
            file: a.file.clone(),
            dry_run: a.dry_run,
            command: a.command.clone(),
        },
        Some(C::Docker {
            what: args::DockerCmd::Install(a),
        }) => app::Command::DockerInstall(crate::commands::docker::InstallRequest {
            registries: a.registries.clone(),
            dir: a.dir.clone(),
            docker_config: a.docker_config.clone(),
        }),
        Some(C::KubeletCredentialProvider) => app::Command::KubeletCredentialProvider,
        Some(C::Oidc { what }) => oidc_command(what),
        Some(C::AuthToken { what }) => app::Command::AuthToken(match what {
            args::AuthTokenCmd::Create {
                description,
                user_id,
                output_file,
                docker_login,
            } => crate::commands::auth_token::Request::Create {
                description: description.clone(),
                user_id: user_id.clone(),
                output_file: output_file.clone(),
                docker_login: *docker_login,
            },
            args::AuthTokenCmd::List { user_id } => crate::commands::auth_token::Request::List {
                user_id: user_id.clone(),
            },
            args::AuthTokenCmd::Delete {
                auth_token_id,
                user_id,
            } => crate::commands::auth_token::Request::Delete {
                auth_token_id: auth_token_id.clone(),
                user_id: user_id.clone(),
            },
        }),
        Some(C::Generate { .. }) => {
            return Err(Error::internal("generate is handled by cli::run"));
        }
    })
}

fn oidc_command(what: &args::OidcCmd) -> app::Command {
    use crate::commands::oidc;
    match what {
        args::OidcCmd::Login(a) => app::Command::OidcLogin(oidc::LoginRequest {
            issuer: a.issuer.clone(),
            client_id: a.client_id.clone(),
            client_secret_file: a.client_secret_file.clone(),
            scopes: a.scopes.clone(),
            flow: match a.flow {
                args::OidcFlow::Device => oidc::Flow::Device,
                args::OidcFlow::Password => oidc::Flow::Password,
            },
            username: a.username.clone(),
            password_file: a.password_file.clone(),
            name: a.name.clone(),
        }),
        args::OidcCmd::Token(a) => app::Command::OidcToken(oidc::TokenRequest {
            name: a.name.clone(),
            window: a.refresh.refresh_window,
            min_valid: a.refresh.min_valid,
            lock_timeout: a.refresh.lock.lock_timeout,
            output: match a.output {
                args::OidcOutput::Json => oidc::TokenOutput::Json,
                args::OidcOutput::Bearer => oidc::TokenOutput::Bearer,
                args::OidcOutput::Env => oidc::TokenOutput::Env,
                args::OidcOutput::ExecCredential => oidc::TokenOutput::ExecCredential,
            },
            exec_token: match a.exec_token {
                args::OidcExecToken::Id => oidc::ExecToken::Id,
                args::OidcExecToken::Access => oidc::ExecToken::Access,
            },
        }),
        args::OidcCmd::Logout { name } => app::Command::OidcLogout { name: name.clone() },
    }
}
