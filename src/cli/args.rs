//! The clap definition of the command line. `command()` also drives the man page and the
//! completions.
#![allow(clippy::doc_markdown)] // doc comments here are --help text, not rustdoc

use std::path::PathBuf;

use clap::{Args, CommandFactory as _, Parser, Subcommand, ValueEnum};

use crate::credential::Auth;

/// Fast, non-interactive credential helper for OCI: sessions, API keys, principals, OCIR.
///
/// Prints the credential of an `~/.oci/config` profile (or of an instance, resource or OKE
/// workload principal) as JSON, refreshing it first when it is about to expire, under a
/// lock, with atomic writes. Never prompts.
#[derive(Debug, Parser)]
#[command(name = "oci-token", version = crate::VERSION, after_help = crate::error::exit_codes_help(), max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    /// Output format of the implicit `get` [default: json]
    #[arg(long, value_enum)]
    pub output: Option<Format>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options accepted before or after the subcommand.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Config file [default: ~/.oci/config; env OCI_CLI_CONFIG_FILE]
    #[arg(long, global = true, value_name = "FILE")]
    pub config_file: Option<PathBuf>,
    /// Profile [default: env OCI_CLI_PROFILE, else default_profile in oci_cli_rc, else DEFAULT]
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Region, overriding the profile's [env OCI_CLI_REGION]
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// The oci_cli_rc file [default: env OCI_CLI_RC_FILE, else ~/.oci/oci_cli_rc]
    #[arg(long, global = true, value_name = "FILE")]
    pub cli_rc_file: Option<PathBuf>,
    /// CA bundle that replaces the built-in roots [env OCI_CLI_CERT_BUNDLE, REQUESTS_CA_BUNDLE]
    #[arg(long, global = true, value_name = "FILE")]
    pub cert_bundle: Option<PathBuf>,
    /// Base URL of the auth service, replacing https://auth.<region>.<domain> [env OCI_TOKEN_AUTH_ENDPOINT]
    #[arg(long, global = true, value_name = "URL")]
    pub auth_endpoint: Option<String>,
    /// The credential [default: env OCI_CLI_AUTH, else the profile's auth in oci_cli_rc, else what the profile holds]; principals need no config file
    #[arg(long, global = true, value_name = "AUTH", value_parser = auth_parser())]
    pub auth: Option<Auth>,
}

/// `--auth`: one of [`Auth::ALL`]'s names (clap lists them in `--help`, the man page and
/// completions, and refuses anything else with exit 2), parsed into an [`Auth`].
fn auth_parser() -> impl clap::builder::TypedValueParser<Value = Auth> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(Auth::ALL.map(Auth::name)).try_map(|name| {
        Auth::parse(&name).ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidValue))
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object (the stable schema, version 1)
    Json,
    /// `field: value` lines for people (never includes the token)
    Text,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the session credential as JSON, refreshing it first if it expires soon (the default)
    Get(GetCmd),
    /// Say whether the session is valid and until when; no network, no writes
    Validate(ValidateCmd),
    /// Refresh the session now, whatever the remaining time, and print it as `get` does
    Refresh(RefreshCmd),
    /// kubectl exec credential plugin: print an ExecCredential with an OKE token signed locally
    Kube(KubeArgs),
    /// A short prompt segment such as `oci:PROFILE 42m`; read-only, never fails
    Prompt(PromptArgs),
    /// Export lines (OCI_CLI_PROFILE, OCI_CLI_AUTH, OCI_CLI_CONFIG_FILE, OCI_TOKEN_EXPIRES_AT) for eval
    Env(EnvArgs),
    /// Program for Terraform's `external` data source: query JSON on stdin, flat map of strings out
    Terraform(TerraformArgs),
    /// Run a command with a fresh session, refreshing the token file in the background while it runs
    Exec(ExecArgs),
    /// Log in: a browser login (or --no-browser: GenerateUpst) that writes a session profile
    Login(Box<LoginArgs>),
    /// Generate an API signing key pair and write an API-key profile (oci setup config, non-interactive)
    SetupKey(SetupKeyArgs),
    /// Export the session of the active profile as a zip (the format of oci session export)
    Export(ExportArgs),
    /// Import a session archive (from oci-token or oci session export)
    Import(ImportArgs),
    /// Remove the active session profile and its session directory
    Terminate(TerminateArgs),
    /// Switch the users of a kubeconfig from `oci ce cluster generate-token` to `oci-token kube`
    Kubeconfig(KubeconfigArgs),
    /// Container registries: set up docker-credential-oci-token (OCIR tokens from the active credential)
    Docker {
        #[command(subcommand)]
        what: DockerCmd,
    },
    /// kubelet image credential provider: CredentialProviderRequest on stdin, OCIR credentials out
    KubeletCredentialProvider,
    /// Tokens of any OpenID Connect issuer: login (device or password flow), token, logout
    Oidc {
        #[command(subcommand)]
        what: OidcCmd,
    },
    /// Auth tokens (OCIR passwords): create, list, delete with the Identity API
    AuthToken {
        #[command(subcommand)]
        what: AuthTokenCmd,
    },
    /// Generate the man page or shell completions on stdout
    Generate {
        #[command(subcommand)]
        what: Generate,
    },
}

#[derive(Debug, Clone, Args)]
pub struct GetCmd {
    #[command(flatten)]
    pub refresh: GetArgs,
    /// Also write (or update) a session profile NAME in the config that points at a principal's cached token and key
    #[arg(long, value_name = "NAME")]
    pub as_profile: Option<String>,
    /// Output format [default: json]
    #[arg(long, value_enum)]
    pub output: Option<Format>,
}

#[derive(Debug, Clone, Args)]
pub struct RefreshCmd {
    #[command(flatten)]
    pub lock: LockArgs,
    /// Output format [default: json]
    #[arg(long, value_enum)]
    pub output: Option<Format>,
}

#[derive(Debug, Clone, Args)]
pub struct ValidateCmd {
    /// Also print the session [default: only a line on stderr]
    #[arg(long, value_enum)]
    pub output: Option<Format>,
}

#[derive(Debug, Clone, Args)]
pub struct GetArgs {
    /// Refresh when less than this is left before the token expires
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_duration)]
    pub refresh_window: jiff::SignedDuration,
    /// The printed token is valid for at least this long, or the command fails
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = crate::duration::parse_min_valid)]
    pub min_valid: jiff::SignedDuration,
    #[command(flatten)]
    pub lock: LockArgs,
}

impl Default for GetArgs {
    fn default() -> Self {
        GetArgs {
            refresh_window: jiff::SignedDuration::from_mins(15),
            min_valid: jiff::SignedDuration::from_secs(60),
            lock: LockArgs::default(),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct KubeArgs {
    /// The OKE cluster OCID
    #[arg(long, value_name = "OCID")]
    pub cluster_id: String,
    #[command(flatten)]
    pub refresh: GetArgs,
}

#[derive(Debug, Clone, Args)]
pub struct KubeconfigArgs {
    /// The kubeconfig [default: first entry of KUBECONFIG, else ~/.kube/config]
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Print the converted kubeconfig instead of writing it
    #[arg(long)]
    pub dry_run: bool,
    /// The command the kubeconfig runs (an absolute path for a kuberc allowlist)
    #[arg(long, value_name = "PATH", default_value = "oci-token")]
    pub command: String,
}

#[derive(Debug, Clone, Args)]
pub struct PromptArgs {
    /// Placeholders: {profile}, {region}, {remaining} (42m, 1h05m, 30s or expired), {expires_at}
    #[arg(long, value_name = "FMT", default_value = crate::output::prompt::DEFAULT_FORMAT)]
    pub format: String,
}

#[derive(Debug, Clone, Args)]
pub struct EnvArgs {
    /// Shell syntax [default: from $SHELL, else sh]
    #[arg(long, value_enum)]
    pub shell: Option<EnvShell>,
    #[command(flatten)]
    pub refresh: GetArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnvShell {
    Sh,
    Bash,
    Zsh,
    Fish,
    /// PowerShell 7 and Windows PowerShell 5.1 (`| Invoke-Expression`)
    #[value(alias = "powershell")]
    Pwsh,
    /// cmd.exe: `set "NAME=value"` lines for a batch file (`call`)
    Cmd,
}

#[derive(Debug, Clone, Args)]
pub struct TerraformArgs {
    #[command(flatten)]
    pub refresh: GetArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub refresh: GetArgs,
    /// Run the command on a session profile NAME that points at a principal's token (kept fresh)
    #[arg(long, value_name = "NAME")]
    pub as_profile: Option<String>,
    /// The command and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Debug, Clone, Args)]
#[allow(clippy::struct_excessive_bools)]
pub struct LoginArgs {
    /// The profile to create or replace [default: DEFAULT if the config does not exist yet]
    #[arg(long, value_name = "NAME")]
    pub profile_name: Option<String>,
    /// Tenancy name, passed to the login page
    #[arg(long, value_name = "NAME")]
    pub tenancy_name: Option<String>,
    /// Identity provider, passed to the login page
    #[arg(long, value_name = "NAME")]
    pub identity_provider_name: Option<String>,
    /// Config file to write [default: --config-file, OCI_CLI_CONFIG_FILE, else ~/.oci/config]
    #[arg(long, value_name = "FILE")]
    pub config_location: Option<PathBuf>,
    /// Directory of the session directories [default: ~/.oci/sessions]
    #[arg(long, value_name = "DIR")]
    pub token_location: Option<PathBuf>,
    /// Loopback port the login page returns to
    #[arg(long, default_value_t = 8181)]
    pub port: u16,
    /// Print the URL only; do not start a browser
    #[arg(long)]
    pub no_open: bool,
    /// How long to wait for the browser
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = crate::duration::parse_positive)]
    pub timeout: jiff::SignedDuration,
    /// Base URL of the login service [default: https://login.<region>.<domain>]
    #[arg(long, value_name = "URL")]
    pub login_endpoint: Option<String>,
    /// No browser: GenerateUpst, signed with the active profile's API key (or session)
    #[arg(long)]
    pub no_browser: bool,
    /// Headless: the device flow at an identity domain (a code to enter in any browser), then a token exchange for a session
    #[arg(long, requires_all = ["domain_url", "client_id"], conflicts_with_all = ["no_browser", "token_exchange"])]
    pub device_code: bool,
    /// Keyless CI: exchange a JWT the identity domain trusts (--subject-token-file or --subject-token-from) for a session
    #[arg(long, requires_all = ["domain_url", "client_id"], conflicts_with = "no_browser")]
    pub token_exchange: bool,
    /// With --device-code or --token-exchange: the identity domain, https://idcs-<guid>.identity.oraclecloud.com
    #[arg(long, value_name = "URL")]
    pub domain_url: Option<String>,
    /// With --device-code or --token-exchange: the domain's OAuth client
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// A file whose first line is the client secret (never stored; the file is named in exchange.json)
    #[arg(long, value_name = "FILE")]
    pub client_secret_file: Option<PathBuf>,
    /// With --device-code: a scope (repeatable) [default: urn:opc:idm:__myscopes__ offline_access]
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    /// With --token-exchange: the JWT file (re-read for every renewal)
    #[arg(long, value_name = "FILE", conflicts_with = "subject_token_from")]
    pub subject_token_file: Option<PathBuf>,
    /// With --token-exchange: fetch the JWT from the CI platform
    #[arg(long, value_name = "PLATFORM", value_parser = ["github-actions"])]
    pub subject_token_from: Option<String>,
    /// With --subject-token-from github-actions: the audience to ask for
    #[arg(long, value_name = "AUD")]
    pub audience: Option<String>,
    /// With --no-browser: the session's length, 5 to 60
    #[arg(
        long,
        value_name = "MINUTES",
        default_value_t = 60,
        allow_negative_numbers = true
    )]
    pub session_expiration_in_minutes: i64,
    /// With --no-browser: send this public key instead of generating a pair
    #[arg(long, value_name = "FILE")]
    pub public_key_file_path: Option<PathBuf>,
    /// With --public-key-file-path: the private key path to record in the profile
    #[arg(long, value_name = "FILE")]
    pub private_key_file_path: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
#[command(
    override_usage = "oci-token setup-key --user <OCID> --tenancy <OCID> --region <REGION> [OPTIONS]"
)]
pub struct SetupKeyArgs {
    /// User OCID
    #[arg(long, value_name = "OCID")]
    pub user: String,
    /// Tenancy OCID
    #[arg(long, value_name = "OCID")]
    pub tenancy: String,
    /// The profile to write
    #[arg(long, value_name = "NAME", default_value = "DEFAULT")]
    pub profile_name: String,
    /// Where the key pair goes [default: ~/.oci]
    #[arg(long, value_name = "DIR")]
    pub key_dir: Option<PathBuf>,
    /// Key file name, without .pem
    #[arg(long, value_name = "NAME", default_value = "oci_api_key")]
    pub key_name: String,
    /// Encrypt the private key with the first line of this file
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Config file to write [default: --config-file, OCI_CLI_CONFIG_FILE, else ~/.oci/config]
    #[arg(long, value_name = "FILE")]
    pub config_location: Option<PathBuf>,
    /// Replace an existing key file or profile
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum OidcCmd {
    /// Sign in at an issuer (device flow, or the deprecated password flow) and store the tokens
    Login(OidcLoginArgs),
    /// Print a fresh access token (refreshed under a lock when needed); never prompts
    Token(OidcTokenArgs),
    /// Revoke the refresh token at the issuer (when it can) and delete what was stored
    Logout {
        /// The name of the login
        #[arg(long, value_name = "NAME", default_value = "default")]
        name: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OidcFlow {
    /// RFC 8628: a code to enter in a browser anywhere
    Device,
    /// Resource-owner password (deprecated; many IAMs disable it)
    Password,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OidcExecToken {
    Id,
    Access,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OidcOutput {
    /// {version, token (the access token), id_token, expires_at, issuer, scope}
    Json,
    /// The access token alone, for `Authorization: Bearer`
    Bearer,
    /// OIDC_ACCESS_TOKEN, OIDC_ID_TOKEN and OIDC_TOKEN_EXPIRES_AT export lines, in the syntax `env` writes by default
    Env,
    /// A client.authentication.k8s.io ExecCredential with the ID token (kubectl OIDC)
    ExecCredential,
}

#[derive(Debug, Clone, Args)]
pub struct OidcLoginArgs {
    /// The issuer URL (discovery at <issuer>/.well-known/openid-configuration)
    #[arg(long, value_name = "URL")]
    pub issuer: String,
    /// The OAuth client registered at the issuer (a public client, or with --client-secret-file)
    #[arg(long, value_name = "ID")]
    pub client_id: String,
    /// A file whose first line is the client secret (confidential clients); never stored
    #[arg(long, value_name = "FILE")]
    pub client_secret_file: Option<PathBuf>,
    /// A scope (repeatable) [default: openid offline_access]
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    /// How to sign in
    #[arg(long, value_enum, default_value_t = OidcFlow::Device)]
    pub flow: OidcFlow,
    /// With --flow password
    #[arg(long, value_name = "USER")]
    pub username: Option<String>,
    /// With --flow password: a file whose first line is the password [default: a prompt on the terminal]
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// A name for this login (several issuers or clients side by side)
    #[arg(long, value_name = "NAME", default_value = "default")]
    pub name: String,
}

#[derive(Debug, Clone, Args)]
pub struct OidcTokenArgs {
    /// The name of the login (`oidc login --name`)
    #[arg(long, value_name = "NAME", default_value = "default")]
    pub name: String,
    /// What to print
    #[arg(long, value_enum, default_value_t = OidcOutput::Json)]
    pub output: OidcOutput,
    /// With --output exec-credential: which token kubectl gets (the ID token, or the access token for clusters that accept JWT access tokens)
    #[arg(long, value_enum, default_value_t = OidcExecToken::Id)]
    pub exec_token: OidcExecToken,
    #[command(flatten)]
    pub refresh: GetArgs,
}

#[derive(Debug, Subcommand)]
pub enum AuthTokenCmd {
    /// Create an auth token; it is shown once (or written to --output-file, mode 0600)
    Create {
        /// What the token is for
        #[arg(long, value_name = "TEXT")]
        description: String,
        /// The user [default: the profile's user, else the session token's subject]
        #[arg(long, value_name = "OCID")]
        user_id: Option<String>,
        /// Write the token to this new file (0600) instead of printing it
        #[arg(long, value_name = "FILE")]
        output_file: Option<PathBuf>,
        /// Print the token alone, for `docker login --password-stdin`, and the docker username (<namespace>/<user>) on stderr
        #[arg(long)]
        docker_login: bool,
    },
    /// List a user's auth tokens (without the tokens)
    List {
        /// The user [default: the profile's user, else the session token's subject]
        #[arg(long, value_name = "OCID")]
        user_id: Option<String>,
    },
    /// Delete an auth token
    Delete {
        /// The auth token's OCID (the `id` that `auth-token list` prints)
        #[arg(long, value_name = "OCID")]
        auth_token_id: String,
        /// The user [default: the profile's user, else the session token's subject]
        #[arg(long, value_name = "OCID")]
        user_id: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DockerCmd {
    /// Link docker-credential-oci-token to this binary, add credHelpers entries to the docker config, and record the profile/--auth each registry uses
    Install(DockerInstallArgs),
}

#[derive(Debug, Clone, Args)]
pub struct DockerInstallArgs {
    /// An OCIR host, e.g. iad.ocir.io or ocir.us-ashburn-1.oci.oraclecloud.com (repeatable)
    #[arg(long = "registry", value_name = "HOST", required = true)]
    pub registries: Vec<String>,
    /// Where the docker-credential-oci-token link goes [default: beside this binary]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The docker config to edit [default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json]
    #[arg(long, value_name = "FILE")]
    pub docker_config: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// The archive to write; `.zip` is appended, as the oci CLI does
    #[arg(long, value_name = "FILE")]
    pub output_file: PathBuf,
    /// Overwrite an existing archive
    #[arg(long)]
    pub force: bool,
    /// Also export pass_phrase (in clear text, as the oci CLI always does)
    #[arg(long)]
    pub include_passphrase: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The archive
    #[arg(long, value_name = "FILE")]
    pub session_archive: PathBuf,
    /// Import under this profile name [default: the archive's]
    #[arg(long, value_name = "NAME")]
    pub profile_name: Option<String>,
    /// Replace an existing profile of that name
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct TerminateArgs {}

#[derive(Debug, Clone, Args)]
pub struct LockArgs {
    /// How long to wait for another oci-token that is refreshing the same session
    #[arg(long, value_name = "DURATION", default_value = "40s", value_parser = parse_duration)]
    pub lock_timeout: jiff::SignedDuration,
}

impl Default for LockArgs {
    fn default() -> Self {
        LockArgs {
            lock_timeout: jiff::SignedDuration::from_secs(40),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Generate {
    /// The man page (roff)
    Man,
    /// Completions for a shell
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Durations for clap: see [`crate::duration::parse`].
pub(crate) fn parse_duration(s: &str) -> Result<jiff::SignedDuration, String> {
    crate::duration::parse(s)
}

/// The clap command, for parsing, `--help` and completions: on Windows with Windows' names
/// for paths, modes and shells ([`for_windows`]).
#[must_use]
pub(crate) fn command() -> clap::Command {
    command_for(crate::sys::os::WINDOWS)
}

/// The clap command with Unix or Windows help texts; the man page (a Unix document, the same
/// from every build) uses the Unix ones.
#[must_use]
pub(crate) fn command_for(windows: bool) -> clap::Command {
    let mut cmd = Cli::command();
    if windows {
        cmd = for_windows(cmd);
    }
    // Where a global option means something else, the command shows its own text.
    for (path, id, help) in OWN_HELP {
        let own: Vec<clap::Arg> = cmd
            .get_arguments()
            .filter(|a| a.get_id() == *id)
            .map(|a| a.clone().help(*help))
            .collect();
        cmd = hide_in(cmd, path, own);
    }
    for (path, ids) in NOT_HERE {
        let hidden: Vec<clap::Arg> = cmd
            .get_arguments()
            .filter(|a| ids.contains(&a.get_id().as_str()))
            .map(|a| a.clone().hide(true))
            .collect();
        cmd = hide_in(cmd, path, hidden);
    }
    cmd
}

/// The help texts with Windows' names for what they name on Unix: `%USERPROFILE%\.oci\config`
/// for `~/.oci/config`, "readable by you only" for mode 0600, PowerShell for `$SHELL`.
fn for_windows(cmd: clap::Command) -> clap::Command {
    let text = |s: Option<&clap::builder::StyledStr>| s.map(|s| windows_text(&s.to_string()));
    let about = text(cmd.get_about());
    let long_about = text(cmd.get_long_about());
    let mut cmd = cmd
        .mut_args(|a| {
            let help = text(a.get_help());
            let long = text(a.get_long_help());
            let a = match help {
                Some(h) => a.help(h),
                None => a,
            };
            match long {
                Some(h) => a.long_help(h),
                None => a,
            }
        })
        .mut_subcommands(for_windows);
    if let Some(a) = about {
        cmd = cmd.about(a);
    }
    if let Some(a) = long_about {
        cmd = cmd.long_about(a);
    }
    cmd
}

/// One help text in Windows' terms (see [`for_windows`]).
#[must_use]
pub(crate) fn windows_text(s: &str) -> String {
    let s = s
        .replace(
            "[default: from $SHELL, else sh]",
            "[default: PowerShell; in Git Bash, from SHELL]",
        )
        .replace(
            "(syntax from $SHELL)",
            "(PowerShell syntax; in Git Bash, from SHELL)",
        )
        .replace("mode 0600", "readable by you only")
        .replace("(0600)", "(readable by you only)")
        .replace(", 0600", ", readable by you only");
    // `~/a/b` -> `%USERPROFILE%\a\b`, up to the end of the path.
    let mut out = String::with_capacity(s.len() + 16);
    let mut rest = s.as_str();
    while let Some(i) = rest.find("~/") {
        out.push_str(&rest[..i]);
        let path = &rest[i + 1..];
        let end = path
            .find(|c: char| c.is_whitespace() || matches!(c, ']' | ')' | ',' | ';' | '`' | '\''))
            .unwrap_or(path.len());
        out.push_str("%USERPROFILE%");
        out.push_str(&path[..end].replace('/', "\\"));
        rest = &path[end..];
    }
    out.push_str(rest);
    out
}

/// Global options whose meaning in one command needs its own help text.
const OWN_HELP: &[(&[&str], &str, &str)] = &[
    (
        &["setup-key"],
        "region",
        "Region of the profile to write (required): an id such as us-ashburn-1 or a key such as iad [env OCI_CLI_REGION]",
    ),
    (
        &["login"],
        "auth",
        "With --no-browser: what signs the new session's key (api_key or security_token) [default: what the signing profile holds]",
    ),
];

const ALL_GLOBAL: &[&str] = &[
    "config_file",
    "profile",
    "region",
    "cli_rc_file",
    "cert_bundle",
    "auth_endpoint",
    "auth",
];

/// The global options that do nothing in a command: left out of its `--help` and man page
/// section, and refused when given there on the command line ([`refuse_inert`]).
const NOT_HERE: &[(&[&str], &[&str])] = &[
    (
        &["setup-key"],
        &[
            "profile",
            "cli_rc_file",
            "cert_bundle",
            "auth_endpoint",
            "auth",
        ],
    ),
    (
        &["docker", "install"],
        &["region", "cli_rc_file", "cert_bundle", "auth_endpoint"],
    ),
    (&["auth-token"], &["auth_endpoint"]),
    (&["oidc", "login"], &ALL_GLOBAL_BUT_TLS),
    (&["oidc", "token"], &ALL_GLOBAL_BUT_TLS),
    (&["oidc", "logout"], &ALL_GLOBAL_BUT_TLS),
    (&["generate"], ALL_GLOBAL),
    // Local file work: no network, no credential kind.
    (
        &["terminate"],
        &["region", "cert_bundle", "auth_endpoint", "auth"],
    ),
    (
        &["export"],
        &["region", "cert_bundle", "auth_endpoint", "auth"],
    ),
    (
        &["import"],
        &[
            "profile",
            "region",
            "cli_rc_file",
            "cert_bundle",
            "auth_endpoint",
            "auth",
        ],
    ),
];

const ALL_GLOBAL_BUT_TLS: [&str; 6] = [
    "config_file",
    "profile",
    "region",
    "cli_rc_file",
    "auth_endpoint",
    "auth",
];

/// Refuses a global option given on the command line to a command where it does nothing
/// ([`NOT_HERE`]): `terminate --region fra` or `export --auth instance_principal` would
/// otherwise be accepted and silently ignored. Values from the environment are not
/// refused: they are meant for every command.
pub(crate) fn refuse_inert(matches: &clap::ArgMatches) -> Result<(), clap::Error> {
    let mut path: Vec<&str> = Vec::new();
    let mut leaf = matches;
    while let Some((name, sub)) = leaf.subcommand() {
        path.push(name);
        leaf = sub;
    }
    for (at, ids) in NOT_HERE {
        if !path.starts_with(at) {
            continue;
        }
        for id in leaf.ids() {
            let id = id.as_str();
            if ids.contains(&id)
                && leaf.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
            {
                return Err(clap::Error::raw(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!(
                        "--{} does nothing in `oci-token {}`; leave it out\n",
                        id.replace('_', "-"),
                        path.join(" ")
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Gives the subcommand at `path` hidden copies of some global options: clap's propagation
/// then leaves those out, so they are accepted but not shown.
fn hide_in(cmd: clap::Command, path: &[&str], hidden: Vec<clap::Arg>) -> clap::Command {
    match path.split_first() {
        None => cmd.args(hidden),
        Some((first, rest)) => cmd.mut_subcommand(*first, |sub| hide_in(sub, rest, hidden)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    fn all_help(cmd: &mut clap::Command, out: &mut String) {
        cmd.build();
        out.push_str(&cmd.render_long_help().to_string());
        for sub in cmd.get_subcommands_mut() {
            all_help(sub, out);
        }
    }

    /// What Windows users read names Windows things: no `~/`, file modes, `$SHELL` or
    /// `XDG_` variables in any command's help (the same test runs under Wine on the real
    /// Windows build, in `tests/cli/windows.rs`).
    #[test]
    fn windows_help_names_windows_things() {
        let mut help = String::new();
        all_help(&mut for_windows(Cli::command()), &mut help);
        for unix in ["~/", "0600", "$SHELL", "XDG_", "cargo install", "chmod"] {
            assert!(!help.contains(unix), "Windows help says {unix}");
        }
        assert!(help.contains(r"%USERPROFILE%\.oci\config"), "{help}");
        assert_eq!(
            windows_text("[default: ~/.oci/sessions]; key (0600) at ~/.oci"),
            r"[default: %USERPROFILE%\.oci\sessions]; key (readable by you only) at %USERPROFILE%\.oci"
        );
        // Unix help is unchanged.
        let mut unix = String::new();
        all_help(&mut Cli::command(), &mut unix);
        assert!(unix.contains("~/.oci/config"));
    }
}
