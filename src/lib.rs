#![cfg_attr(test, allow(clippy::unwrap_used, clippy::disallowed_methods))]
//! `oci-token`: a fast, non-interactive credential helper for OCI CLI sessions.
//!
//! The binary is a thin shell over [`run`]; everything else is testable in-process.

pub mod archive;
pub mod cli;
pub mod config;
pub mod duration;
pub mod env;
pub mod error;
pub mod exec;
pub mod fast;
pub mod http;
pub mod key;
pub mod keygen;
pub mod kube;
pub mod kubeconfig;
pub mod login;
pub mod oke;
pub mod output;
pub mod prompt;
pub mod refresh;
pub mod region;
pub mod secret;
pub mod session;
pub mod setup_key;
pub mod sign;
pub mod spawn;
pub mod store;
pub mod terraform;
pub mod token;

use std::process::ExitCode;

use cli::{Cli, Command, Generate, GetArgs};
use env::Env;
use error::{Error, Result};
use session::{Ctx, Mode};

/// Runs one command line.
pub fn run(cli: &Cli, env: &dyn Env) -> Result<ExitCode> {
    let ctx = Ctx {
        global: &cli.global,
        env,
    };
    // `--output` before the command only for the commands that print a session.
    if cli.output.is_some()
        && !matches!(
            cli.command,
            None | Some(Command::Get(_) | Command::Refresh(_) | Command::Validate(_))
        )
    {
        return Err(Error::Usage(
            "--output applies only to get, refresh and validate".into(),
        ));
    }
    match &cli.command {
        None => get(&ctx, &GetArgs::default(), cli.output)?,
        Some(Command::Get(args)) => get(&ctx, &args.refresh, args.output.or(cli.output))?,
        Some(Command::Refresh(args)) => session::get(
            &ctx,
            Mode::Force {
                min_valid: GetArgs::default().min_valid,
            },
            args.lock.lock_timeout,
            args.output.or(cli.output),
        )?,
        Some(Command::Validate(args)) => session::validate(&ctx, args.output.or(cli.output))?,
        Some(Command::Kube(args)) => kube::kube(&ctx, args)?,
        Some(Command::Prompt(args)) => {
            // Prompts must not break: whatever happens, exit 0.
            let _ = output::emit(&prompt::segment(&ctx, &args.format));
        }
        Some(Command::Env(args)) => env_cmd(&ctx, args)?,
        Some(Command::Terraform(args)) => terraform::run(&ctx, args)?,
        Some(Command::Login(args)) => login::run(&ctx, args)?,
        Some(Command::SetupKey(args)) => setup_key::run(&ctx, args)?,
        Some(Command::Export(args)) => archive::export(&ctx, args)?,
        Some(Command::Import(args)) => archive::import(&ctx, args)?,
        Some(Command::Terminate(args)) => archive::terminate(&ctx, args)?,
        Some(Command::Exec(args)) => return exec::run(&ctx, args).map(ExitCode::from),
        Some(Command::Kubeconfig(a)) => {
            kubeconfig::run(a.file.clone(), a.dry_run, &a.command, env)?;
        }
        Some(Command::Generate { what }) => generate(what)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn get(ctx: &Ctx<'_>, args: &GetArgs, format: Option<cli::Format>) -> Result<()> {
    let mode = Mode::IfNeeded {
        window: args.refresh_window,
        min_valid: args.min_valid,
    };
    session::get(ctx, mode, args.lock.lock_timeout, format)
}

fn env_cmd(ctx: &Ctx<'_>, args: &cli::EnvArgs) -> Result<()> {
    let p = ctx.profile()?;
    let shell = args
        .shell
        .unwrap_or_else(|| prompt::default_shell(ctx.env.var("SHELL").as_deref()));
    let expires = if p.security_token_file.is_some() {
        Some(session::ensure_fresh(ctx, &p, &args.refresh)?.claims.exp)
    } else {
        session::check_api_key_profile(&p)?;
        None
    };
    session::emit(&prompt::env_lines(shell, &p, expires))
}

fn generate(what: &Generate) -> Result<()> {
    let mut buf: Vec<u8> = Vec::new();
    match what {
        Generate::Man => man_page(&mut buf)?,
        Generate::Completions { shell } => {
            clap_complete::generate(*shell, &mut cli::command(), "oci-token", &mut buf);
        }
    }
    output::emit(&String::from_utf8_lossy(&buf))
        .map_err(|e| Error::Other(format!("cannot write to stdout: {e}")))
}

/// The man page, rendered from the clap definition.
pub fn man_page(buf: &mut Vec<u8>) -> Result<()> {
    let cmd = cli::command();
    let man = clap_mangen::Man::new(cmd.clone());
    let io = |e: std::io::Error| Error::Other(e.to_string());
    man.render_title(buf).map_err(io)?;
    man.render_name_section(buf).map_err(io)?;
    man.render_synopsis_section(buf).map_err(io)?;
    man.render_description_section(buf).map_err(io)?;
    man.render_options_section(buf).map_err(io)?;
    // Not clap_mangen's subcommand list: it points at oci-token-get(1) and the like, pages
    // that do not exist. Each command has its own section here instead.
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        buf.extend_from_slice(
            format!(".SH \"OCI-TOKEN {}\"\n", sub.get_name().to_uppercase()).as_bytes(),
        );
        if let Some(about) = sub.get_about() {
            buf.extend_from_slice(format!("{}\n", roff_escape(&about.to_string())).as_bytes());
        }
        let sub_man =
            clap_mangen::Man::new(sub.clone().name(format!("oci-token {}", sub.get_name())));
        sub_man.render_synopsis_section(buf).map_err(io)?;
        sub_man.render_options_section(buf).map_err(io)?;
    }
    buf.extend_from_slice(MAN_EXTRA.as_bytes());
    man.render_version_section(buf).map_err(io)?;
    Ok(())
}

/// Text for a roff paragraph: backslashes and leading dots or quotes neutralised.
fn roff_escape(s: &str) -> String {
    let s = s.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with(['.', '\'']) {
        format!("\\&{s}")
    } else {
        s
    }
}

const MAN_EXTRA: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
Success; the payload is on stdout. Also a failed proactive refresh while the token is still valid for \-\-min\-valid (with a warning on stderr).
.TP
\fB1\fR
Other error: an unexpected I/O failure (disk full) or a bug.
.TP
\fB2\fR
Usage error: the command line was rejected.
.TP
\fB3\fR
Configuration or key error: config file or profile missing or unparsable, no region, token file missing or not a JWT, key unreadable or unsupported, passphrase missing or wrong, the token issued for another key, an unreadable CA bundle.
.TP
\fB4\fR
The session cannot be refreshed and needs a new login: past sess_exp, a 401 from the auth service, or a session that cannot be extended no longer satisfying \-\-min\-valid.
.TP
\fB5\fR
Service, network or lock\-timeout failure: DNS, connect, TLS, proxy, timeout, 5xx, an unusable reply, the lock not taken in time.
.TP
\fBexec\fR, \fBprompt\fR, \fBvalidate\fR
exec exits with its command's status (128+N for a signal N; 127 not found; 126 not runnable); prompt always exits 0; validate exits 4 when the session is not valid.
.SH ENVIRONMENT
.TP
\fBOCI_CLI_CONFIG_FILE\fR, \fBOCI_CONFIG_FILE\fR
Config file (the second only when ~/.oci/config does not exist).
.TP
\fBOCI_CLI_PROFILE\fR, \fBOCI_CLI_RC_FILE\fR
Profile; oci_cli_rc file holding default_profile.
.TP
\fBOCI_CLI_REGION\fR, \fBOCI_CLI_KEY_FILE\fR, \fBOCI_CLI_SECURITY_TOKEN_FILE\fR, \fBOCI_CLI_PASSPHRASE\fR, \fBOCI_CLI_USER\fR, \fBOCI_CLI_TENANCY\fR, \fBOCI_CLI_FINGERPRINT\fR
Override the profile's keys, as in the oci CLI.
.TP
\fBOCI_REGION_METADATA\fR, \fBOCI_DEFAULT_REALM\fR
Extra region definition; domain of unknown regions.
.TP
\fBOCI_TOKEN_AUTH_ENDPOINT\fR
Base URL of the auth service.
.TP
\fBOCI_TOKEN_HTTP_TIMEOUT\fR
Total time of a refresh, all attempts (default and maximum 30s).
.TP
\fBKUBERNETES_EXEC_INFO\fR
Set by kubectl for kube: the ExecCredential apiVersion to answer in.
.TP
\fBKUBECONFIG\fR
The kubeconfig kubeconfig edits (first entry), else ~/.kube/config.
.TP
\fBOCI_CLI_CERT_BUNDLE\fR, \fBREQUESTS_CA_BUNDLE\fR
CA bundle replacing the built\-in roots.
.TP
\fBHTTPS_PROXY\fR, \fBALL_PROXY\fR, \fBNO_PROXY\fR
Proxy for the auth service (HTTP_PROXY is never used for https).
.SH FILES
.TP
\fI~/.oci/config\fR
Profiles, read as the oci CLI reads them.
.TP
\fI~/.oci/sessions/<PROFILE>/token\fR
The session token; replaced atomically (temp file, fsync, rename) with mode 0600.
.TP
\fI~/.oci/sessions/<PROFILE>/token.lock\fR
Sidecar lock taken only while refreshing.
.TP
\fI~/.oci/regions-config.json\fR
Extra regions.
"#;
