//! A minimal HTTP CONNECT proxy on loopback that tunnels to one port and counts CONNECTs.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Proxy {
    pub url: String,
    pub connects: Arc<AtomicUsize>,
    pub targets: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Proxy {
    /// Tunnels every CONNECT to 127.0.0.1:`upstream`, marking the stream so the fake auth
    /// service can tell it came through the proxy.
    pub fn start(upstream: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let connects = Arc::new(AtomicUsize::new(0));
        let targets = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (c, t) = (connects.clone(), targets.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (c, t) = (c.clone(), t.clone());
                std::thread::spawn(move || {
                    let _ = tunnel(client, upstream, &c, &t);
                });
            }
        });
        Proxy {
            url,
            connects,
            targets,
        }
    }

    pub fn count(&self) -> usize {
        self.connects.load(Ordering::SeqCst)
    }
}

fn tunnel(
    client: TcpStream,
    upstream: u16,
    c: &AtomicUsize,
    t: &std::sync::Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
    }
    let mut client = client;
    if !line.starts_with("CONNECT ") {
        client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")?;
        return Ok(());
    }
    c.fetch_add(1, Ordering::SeqCst);
    t.lock()
        .unwrap()
        .push(line.split_whitespace().nth(1).unwrap_or("").to_owned());
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    up.write_all(b"P")?;
    client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    let (mut c2, mut u2) = (client.try_clone()?, up.try_clone()?);
    let a = std::thread::spawn(move || std::io::copy(&mut c2, &mut u2));
    let _ = std::io::copy(&mut up, &mut client);
    let _ = a.join();
    Ok(())
}
