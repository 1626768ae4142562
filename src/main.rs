use std::process::ExitCode;

use clap::Parser as _;
use oci_token::cli::Cli;
use oci_token::env::RealEnv;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // `prompt` runs before every shell prompt: skip building the whole clap definition.
    let cli = oci_token::fast::prompt_cli(&args).unwrap_or_else(|| Cli::parse_from(args)); // usage errors: clap prints and exits 2
    match oci_token::run(&cli, &RealEnv) {
        Ok(code) => code,
        Err(err) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("oci-token: {err}"); // one line, no secrets
            }
            ExitCode::from(err.exit_code())
        }
    }
}
