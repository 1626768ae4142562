//! The real OpenID Provider (npm `oidc-provider`, pinned in tests/op/package-lock.json and
//! installed by `.ci/run` with `npm ci`) on loopback HTTPS, and the approval of a device
//! login through its own pages (tests/op/approve.mjs).

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub struct Op {
    pub issuer: String,
    pub ca: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

fn op_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/op")
}

impl Op {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (ca, cert, key) = super::tls::pem_files(dir.path(), "test OP CA");
        let mut child = Command::new("node")
            .arg(op_dir().join("op.mjs"))
            .arg(&cert)
            .arg(&key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        out.read_line(&mut line).unwrap();
        // Keep reading: a closed pipe would kill the OP at its next write.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let v: serde_json::Value = serde_json::from_str(&line).expect("the OP printed its issuer");
        Op {
            issuer: v["issuer"].as_str().unwrap().to_owned(),
            ca,
            child,
            _dir: dir,
        }
    }

    /// Approves (or denies) a device login through the OP's pages, as a person would.
    pub fn approve(&self, verification_uri_complete: &str, deny: bool) -> String {
        let mut c = Command::new("node");
        c.arg(op_dir().join("approve.mjs"))
            .arg(verification_uri_complete)
            .arg("alice")
            .arg("wonderland")
            .env("NODE_EXTRA_CA_CERTS", &self.ca);
        if deny {
            c.arg("deny");
        }
        let o = c.output().unwrap();
        assert!(
            o.status.success(),
            "approve.mjs: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }
}

impl Drop for Op {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
