//! `oci-token login`: the browser flow of `oci session authenticate`, with a listener bound to
//! loopback only that accepts the token once, and a bounded wait.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use crate::context::Context;
use crate::crypto::keygen;
use crate::encoding::quote_plus;
use crate::error::{Error, Result};
use crate::output;
use crate::secret::Secret;
use crate::{region, sys::spawn};

use super::session::{NewSession, Request, login_region, persist, profile_name, report};

/// The page the login service redirects to: it sends the URL fragment back as a query.
const HAND_BACK_PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>oci-token login</title></head>
<body><p id="m">Completing the login…</p>
<script>
var h = window.location.hash.replace(/^#/, '');
var x = new XMLHttpRequest();
x.open('GET', '/token?' + h);
x.onload = function () {
  document.getElementById('m').textContent = x.status === 200
    ? 'Login complete. You can close this window.' : 'Login failed: ' + x.responseText;
};
x.send();
</script></body></html>
"#;

/// A random UUID version 4; an error when the system has no randomness to give (never an
/// all-zero nonce).
fn uuid4() -> Result<String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b)
        .map_err(|e| Error::Other(format!("cannot get random bytes for the login nonce: {e}")))?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = crate::encoding::hex(&b, false);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

/// The login URL with the oci CLI's parameters, in its order, encoded as Python's `urlencode`.
#[must_use]
pub(crate) fn login_url(
    base: &str,
    public_key: &str,
    nonce: &str,
    port: u16,
    tenant: Option<&str>,
    provider: Option<&str>,
) -> String {
    let redirect = format!("http://localhost:{port}");
    let mut params: Vec<(&str, &str)> = vec![
        ("action", "login"),
        ("client_id", "iaas_console"),
        ("response_type", "token id_token"),
        ("nonce", nonce),
        ("scope", "openid"),
        ("public_key", public_key),
        ("redirect_uri", &redirect),
    ];
    if let Some(t) = tenant {
        params.push(("tenant", t));
    }
    if let Some(p) = provider {
        params.push(("provider", p));
    }
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", quote_plus(v)))
        .collect();
    format!(
        "{}/v1/oauth2/authorize?{}",
        base.trim_end_matches('/'),
        query.join("&")
    )
}

/// `application/x-www-form-urlencoded` decoding.
#[must_use]
pub fn form_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 3 <= b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
                {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn respond(stream: &mut TcpStream, status: &str, ctype: &str, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

/// Serves one request; returns the token if this was the hand-back.
fn serve(mut stream: TcpStream) -> Option<Secret<String>> {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 || h.trim().is_empty() {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?, parts.next()?);
    if method != "GET" {
        respond(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            "GET only\n",
        );
        return None;
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path == "/" && query.is_empty() {
        respond(
            &mut stream,
            "200 OK",
            "text/html; charset=utf-8",
            HAND_BACK_PAGE,
        );
        return None;
    }
    let token = query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (form_decode(k) == "security_token").then(|| form_decode(v))
    });
    match token {
        Some(t) if !t.is_empty() => {
            respond(
                &mut stream,
                "200 OK",
                "text/plain; charset=utf-8",
                "Login complete. You can close this window.\n",
            );
            Some(Secret::new(t))
        }
        _ => {
            respond(
                &mut stream,
                "400 Bad Request",
                "text/plain",
                "no security_token\n",
            );
            None
        }
    }
}

/// Waits for the hand-back on `listener` until `deadline`; only loopback peers are served.
fn wait_for_token(
    listener: &TcpListener,
    deadline: Instant,
    timeout: Duration,
) -> Result<Secret<String>> {
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::Other(format!("listener: {e}")))?;
    loop {
        match listener.accept() {
            Ok((stream, peer)) => {
                if !peer.ip().is_loopback() {
                    continue; // dropped unanswered
                }
                let _ = stream.set_nonblocking(false);
                if let Some(t) = serve(stream) {
                    return Ok(t);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err(Error::NeedsLogin(format!(
                        "no login came back within {}s; nothing was written. Run `oci-token login` again (--timeout to wait longer)",
                        timeout.as_secs()
                    )));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => return Err(Error::Other(format!("listener: {e}"))),
        }
    }
}

/// Opens `url` with `$BROWSER` (first entry of the list, `:`-separated, `;` on Windows; `%s`
/// is replaced, else the URL is appended) or the platform opener (`xdg-open`, `open`, or on
/// Windows the URL protocol handler). Returns false if nothing could be started.
fn open_browser(browser: Option<&str>, url: &str) -> bool {
    let command: Vec<String> = match browser.and_then(|b| {
        b.split(crate::sys::os::LIST_SEPARATOR)
            .find(|s| !s.trim().is_empty())
    }) {
        Some(b) if b.contains("%s") => b.split_whitespace().map(|w| w.replace("%s", url)).collect(),
        Some(b) => b
            .split_whitespace()
            .map(str::to_owned)
            .chain(std::iter::once(url.to_owned()))
            .collect(),
        None => crate::sys::os::url_opener(url),
    };
    let Some((program, args)) = command.split_first() else {
        return false;
    };
    spawn::detached(program, args).is_ok()
}

/// `oci-token login`.
pub(crate) fn run(ctx: &Context<'_>, args: &Request) -> Result<()> {
    let config_path = ctx.config_location(args.config_location.as_deref());
    let profile = profile_name(args, &config_path)?;
    let region = login_region(ctx, &config_path, &profile)?;
    let token_dir = ctx.token_location(args.token_location.as_deref());
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, args.port)).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            Error::Service(format!(
                "port {} on localhost is already in use (another login running?); stop it, or pass --port",
                args.port
            ))
        } else {
            Error::Other(format!("cannot listen on localhost:{}: {e}", args.port))
        }
    })?;
    // With --port 0 the system picks a free port: advertise that one, not 0.
    let port = listener
        .local_addr()
        .map_err(|e| Error::Other(format!("cannot listen on localhost: {e}")))?
        .port();
    let key = keygen::generate(None)?;
    let base = match &args.login_endpoint {
        Some(b) => b.clone(),
        None => region::endpoint("login", "", &region, &region::sources(ctx.env)),
    };
    let url = login_url(
        &base,
        &keygen::jwk_param(&key.key),
        &uuid4()?,
        port,
        args.tenancy_name.as_deref(),
        args.identity_provider_name.as_deref(),
    );
    let timeout = crate::duration::to_std(args.timeout).max(Duration::from_secs(1));
    let deadline = crate::sys::store::deadline_after(timeout);
    output::note(&format!(
        "Open this URL in a browser to log in (waiting up to {}s):\n{url}",
        timeout.as_secs()
    ));
    if !args.no_open && !open_browser(ctx.env.var("BROWSER").as_deref(), &url) {
        output::note("Could not start a browser: open the URL above yourself.");
    }
    let token = wait_for_token(&listener, deadline, timeout)?;
    drop(listener); // no second hand-back
    persist(
        &NewSession {
            profile: &profile,
            region: &region,
            token: token.expose(),
            key: Some(&key),
            key_file: None,
            fingerprint: None,
        },
        &config_path,
        &token_dir,
    )?;
    output::note("Completed browser authentication.");
    report(&config_path, &profile);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_matches_the_oci_cli_order_and_encoding() {
        let u = login_url(
            "https://login.us-ashburn-1.oraclecloud.com",
            "eyJr",
            "n-1",
            8181,
            None,
            None,
        );
        assert_eq!(
            u,
            "https://login.us-ashburn-1.oraclecloud.com/v1/oauth2/authorize?action=login&client_id=iaas_console&response_type=token+id_token&nonce=n-1&scope=openid&public_key=eyJr&redirect_uri=http%3A%2F%2Flocalhost%3A8181"
        );
        let u = login_url("https://x/", "k", "n", 9, Some("my tenancy"), Some("Okta"));
        assert!(u.ends_with("&tenant=my+tenancy&provider=Okta"), "{u}");
    }

    #[test]
    fn uuids_and_decoding() {
        let u = uuid4().unwrap();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_eq!(form_decode("a+b%3D%zz%2"), "a b=%zz%2");
    }
}
