//! The man page and shell completions, rendered from the clap definition (and the exit
//! codes from the one table in `error`).

use super::args::Generate;
use crate::error::{Error, Result};
use crate::output;

/// `oci-token generate man|completions`.
pub(crate) fn generate(what: &Generate) -> Result<()> {
    let mut buf: Vec<u8> = Vec::new();
    match what {
        Generate::Man => man_page(&mut buf)?,
        Generate::Completions { shell } => {
            clap_complete::generate(*shell, &mut super::args::command(), "oci-token", &mut buf);
        }
    }
    output::emit(&String::from_utf8_lossy(&buf))
        .map_err(|e| Error::Other(format!("cannot write to stdout: {e}")))
}

/// The man page, rendered from the clap definition.
pub fn man_page(buf: &mut Vec<u8>) -> Result<()> {
    // The committed page names the release, not the commit it was generated at.
    let cmd = super::args::command_for(false).version(env!("CARGO_PKG_VERSION"));
    let man = clap_mangen::Man::new(cmd.clone());
    let io = |e: std::io::Error| Error::Other(e.to_string());
    man.render_title(buf).map_err(io)?;
    man.render_name_section(buf).map_err(io)?;
    man.render_synopsis_section(buf).map_err(io)?;
    man.render_description_section(buf).map_err(io)?;
    man.render_options_section(buf).map_err(io)?;
    // Not clap_mangen's subcommand list: it points at oci-token-get(1) and the like, pages
    // that do not exist. Each command, and each command of a group (docker, oidc,
    // auth-token), has its own section here instead, with all of its options.
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        command_section(buf, &format!("oci-token {}", sub.get_name()), sub)?;
    }
    buf.extend_from_slice(crate::error::exit_codes_roff().as_bytes());
    buf.extend_from_slice(MAN_EXTRA.as_bytes());
    man.render_version_section(buf).map_err(io)?;
    Ok(())
}

/// The section of one command (`name`), then those of its own commands.
fn command_section(buf: &mut Vec<u8>, name: &str, sub: &clap::Command) -> Result<()> {
    let io = |e: std::io::Error| Error::Other(e.to_string());
    buf.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
    if let Some(about) = sub.get_about() {
        buf.extend_from_slice(format!("{}\n", roff_escape(&about.to_string())).as_bytes());
    }
    let sub_man = clap_mangen::Man::new(sub.clone().name(name.to_owned()));
    sub_man.render_synopsis_section(buf).map_err(io)?;
    if sub.get_arguments().any(|a| !a.is_hide_set()) {
        sub_man.render_options_section(buf).map_err(io)?;
    }
    for nested in sub.get_subcommands().filter(|s| !s.is_hide_set()) {
        command_section(buf, &format!("{name} {}", nested.get_name()), nested)?;
    }
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

const MAN_EXTRA: &str = r".SH ENVIRONMENT
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
Total time of a refresh, all attempts (default and maximum 30s); also caps the metadata service calls (10s).
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
.TP
\fBOCI_CLI_AUTH\fR
The credential when \-\-auth is not given: api_key, security_token, instance_principal, resource_principal, oke_workload_identity.
.TP
\fBOCI_METADATA_BASE_URL\fR, \fBOCI_CLI_FEDERATION_ENDPOINT\fR
Instance principal: the metadata service and the x509 federation endpoint.
.TP
\fBOCI_RESOURCE_PRINCIPAL_VERSION\fR, \fBOCI_RESOURCE_PRINCIPAL_RPST\fR, \fBOCI_RESOURCE_PRINCIPAL_PRIVATE_PEM\fR, \fBOCI_RESOURCE_PRINCIPAL_REGION\fR
Resource principal (version 2.2): values or absolute paths.
.TP
\fBKUBERNETES_SERVICE_HOST\fR, \fBOCI_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH\fR, \fBOCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH\fR
OKE workload identity.
.TP
\fBOCI_TOKEN_CACHE_DIR\fR, \fBXDG_CACHE_HOME\fR
Where principal tokens are cached (default ~/.cache/oci\-token).
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
\fI~/.cache/oci\-token/<principal>\-<hash>/{token,key.pem,region}\fR
Cached principal tokens and their session key (directory 0700, files 0600).
.TP
\fI~/.oci/regions-config.json\fR
Extra regions.
";
