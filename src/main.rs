use std::process::ExitCode;

use oci_token::env::RealEnv;

fn main() -> ExitCode {
    let cli = oci_token::cli::parse(std::env::args_os().collect());
    match oci_token::cli::run(&cli, &RealEnv) {
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
