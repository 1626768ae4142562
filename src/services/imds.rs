//! The instance metadata service (IMDS v2): `GET <base>/<path>` with
//! `Authorization: Bearer Oracle`, plain HTTP to a link-local address, bounded in time.
//! `OCI_METADATA_BASE_URL` replaces the base, as in the SDKs.

use std::time::Duration;

use crate::services::http::{Client, Deadline};
use crate::sys::env::Env;

/// The SDKs' default base.
pub(crate) const DEFAULT_BASE: &str = "http://169.254.169.254/opc/v2";
/// All metadata calls of one command together, retries included.
const TOTAL: Duration = Duration::from_secs(10);
/// Attempts per path (the first included).
const ATTEMPTS: u32 = 3;
/// Largest answer read (a certificate chain is a few KiB).
const MAX_REPLY: usize = 64 << 10;

/// `OCI_METADATA_BASE_URL` (trimmed; white space only counts as unset), else the default.
#[must_use]
pub(crate) fn base_url(env: &dyn Env) -> String {
    env.var("OCI_METADATA_BASE_URL")
        .map(|v| v.trim().trim_end_matches('/').to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| DEFAULT_BASE.to_owned())
}

/// A metadata client for one command: one deadline across every call.
pub(crate) struct Imds {
    base: String,
    deadline: Deadline,
}

impl Imds {
    /// A client whose calls together take at most 10 s, or `total` when shorter
    /// (`OCI_TOKEN_HTTP_TIMEOUT`).
    #[must_use]
    pub(crate) fn new(base: String, total: Duration) -> Self {
        Imds {
            base,
            deadline: Deadline::after(TOTAL.min(total)),
        }
    }

    /// The text at `path` (e.g. `/identity/cert.pem`). Connection errors, 404, 429 and 5xx
    /// are retried a few times within the deadline; the error says what went wrong and
    /// never carries the answer.
    pub(crate) fn get(&self, path: &str) -> Result<String, String> {
        let url = format!("{}{path}", self.base);
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                let pause = Duration::from_millis(200 * 2u64.pow(attempt));
                if self.deadline.remaining() <= pause {
                    break;
                }
                std::thread::sleep(pause);
            }
            let remaining = self.deadline.remaining();
            if remaining.is_zero() {
                break;
            }
            let client = Client::metadata(remaining);
            match client.get(&url, &[("authorization", "Bearer Oracle".to_owned())]) {
                Ok(r) if r.status == 200 => {
                    if r.body.len() > MAX_REPLY {
                        return Err(format!("{url} answered more than 64 KiB"));
                    }
                    return Ok(r.body);
                }
                Ok(r) if r.status == 404 || r.status == 429 || r.status >= 500 => {
                    last = format!("{url} answered {}", r.status);
                }
                Ok(r) => return Err(format!("{url} answered {}", r.status)),
                Err(e) => last = format!("{url}: {e}"),
            }
        }
        Err(if last.is_empty() {
            format!("{url}: no answer in time")
        } else {
            last
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::env::FakeEnv;

    #[test]
    fn base_override() {
        let env = FakeEnv::new("/h", jiff::Timestamp::UNIX_EPOCH);
        assert_eq!(base_url(&env), DEFAULT_BASE);
        let env = env.with("OCI_METADATA_BASE_URL", " http://127.0.0.1:9/opc/v2/ ");
        assert_eq!(base_url(&env), "http://127.0.0.1:9/opc/v2");
        let env =
            FakeEnv::new("/h", jiff::Timestamp::UNIX_EPOCH).with("OCI_METADATA_BASE_URL", "  ");
        assert_eq!(base_url(&env), DEFAULT_BASE);
    }
}
