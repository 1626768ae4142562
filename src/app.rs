//! The commands as plain values, and the dispatch to their modules. Nothing here knows
//! clap: `cli` builds these (and the [`Context`]), tests and other front ends can too.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

pub(crate) use crate::context::Context;

use crate::commands;
use crate::credential::Freshness;
use crate::error::Result;
use crate::output::Format;
use crate::output::env::Shell;

/// A command, with every option resolved to a plain value.
#[derive(Debug, Clone)]
pub(crate) enum Command {
    Get {
        fresh: Freshness,
        format: Format,
        /// Also write a session profile of this name for the credential (principals).
        as_profile: Option<String>,
    },
    Refresh {
        fresh: Freshness,
        format: Format,
    },
    Validate {
        format: Option<Format>,
    },
    Kube {
        cluster_id: String,
        fresh: Freshness,
    },
    Prompt {
        format: String,
    },
    Env {
        shell: Option<Shell>,
        fresh: Freshness,
    },
    Terraform {
        fresh: Freshness,
    },
    Exec {
        fresh: Freshness,
        as_profile: Option<String>,
        command: Vec<OsString>,
    },
    Login(Box<commands::login::Request>),
    SetupKey(commands::setup_key::Request),
    Export(commands::archive::ExportRequest),
    Import(commands::archive::ImportRequest),
    Terminate,
    Kubeconfig {
        file: Option<PathBuf>,
        dry_run: bool,
        command: String,
    },
    DockerInstall(commands::docker::InstallRequest),
    KubeletCredentialProvider,
    AuthToken(commands::auth_token::Request),
    OidcLogin(commands::oidc::LoginRequest),
    OidcToken(commands::oidc::TokenRequest),
    OidcLogout {
        name: String,
    },
}

/// Runs one command. The exit code is 0 unless the command says otherwise (`exec`).
pub(crate) fn run(ctx: &Context<'_>, command: &Command) -> Result<ExitCode> {
    match command {
        Command::Get {
            fresh,
            format,
            as_profile,
        } => commands::get::get(ctx, fresh, false, *format, as_profile.as_deref())?,
        Command::Refresh { fresh, format } => commands::get::get(ctx, fresh, true, *format, None)?,
        Command::Validate { format } => commands::get::validate(ctx, *format)?,
        Command::Kube { cluster_id, fresh } => commands::kube::kube(ctx, cluster_id, fresh)?,
        Command::Prompt { format } => {
            // Prompts must not break: whatever happens, exit 0.
            let _ = crate::output::emit(&commands::prompt::segment(ctx, format));
        }
        Command::Env { shell, fresh } => commands::prompt::env(ctx, *shell, fresh)?,
        Command::Terraform { fresh } => commands::terraform::run(ctx, fresh)?,
        Command::Exec {
            fresh,
            as_profile,
            command,
        } => {
            return commands::exec::run(ctx, fresh, as_profile.as_deref(), command)
                .map(ExitCode::from);
        }
        Command::Login(r) => commands::login::run(ctx, r)?,
        Command::SetupKey(r) => commands::setup_key::run(ctx, r)?,
        Command::Export(r) => commands::archive::export(ctx, r)?,
        Command::Import(r) => commands::archive::import(ctx, r)?,
        Command::Terminate => commands::archive::terminate(ctx)?,
        Command::Kubeconfig {
            file,
            dry_run,
            command,
        } => commands::kubeconfig::run(file.clone(), *dry_run, command, ctx.env)?,
        Command::DockerInstall(r) => commands::docker::install(ctx, r)?,
        Command::KubeletCredentialProvider => commands::docker::kubelet(ctx)?,
        Command::AuthToken(r) => commands::auth_token::run(ctx, r)?,
        Command::OidcLogin(r) => commands::oidc::login(ctx, r)?,
        Command::OidcToken(r) => commands::oidc::token_cmd(ctx, r)?,
        Command::OidcLogout { name } => commands::oidc::logout(ctx, name)?,
    }
    Ok(ExitCode::SUCCESS)
}
