//! A mutation fuzzer on stable Rust (no nightly, no cargo-fuzz here): every parser that reads
//! outside input gets seeds, thousands of deterministic mutations of them, and must neither
//! panic nor take long. A bounded run is part of `cargo test`; a longer campaign is
//! `FUZZ_CASES=200000 cargo test --release --test cli fuzz -- --nocapture` (RELIABILITY.md).
//! Any input that ever failed is kept as a regression case in `REGRESSIONS`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::*;

/// A small deterministic PRNG (xorshift64*): the same seed gives the same campaign.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    #[allow(clippy::cast_possible_truncation)] // n fits, so the remainder does
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const INTERESTING: &[u8] = b"\0\n\r\t []=:.;#\"'{}\\-_,/~\x7f\xff\xc3\xa9=+AZaz09";

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>], input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..=rng.below(4) {
        let len = v.len();
        match rng.below(8) {
            0 if len > 0 => {
                let i = rng.below(len);
                v[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                v[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(8);
                for _ in 0..n {
                    v.insert(i, INTERESTING[rng.below(INTERESTING.len())]);
                }
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                v.drain(i..i + n);
            }
            4 if len > 0 => {
                // Duplicate a run (repeated sections, keys, dots).
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                let run: Vec<u8> = v[i..i + n].to_vec();
                let at = rng.below(len + 1);
                v.splice(
                    at..at,
                    run.iter().copied().cycle().take(n * (1 + rng.below(4))),
                );
            }
            5 => {
                // Splice in part of another seed.
                let other = &seeds[rng.below(seeds.len())];
                if !other.is_empty() {
                    let i = rng.below(other.len());
                    let n = 1 + rng.below((other.len() - i).min(256));
                    let at = rng.below(len + 1);
                    v.splice(at..at, other[i..i + n].iter().copied());
                }
            }
            6 if len > 0 => v.truncate(rng.below(len)),
            _ => {
                let i = rng.below(len + 1);
                v.insert(i, (rng.next() & 0xff) as u8);
            }
        }
    }
    v.truncate(1 << 20);
    v
}

fn cases(default: usize) -> usize {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `target` on the seeds and on `n` mutations; fails on any panic or slow case.
fn fuzz(name: &str, seeds: &[Vec<u8>], n: usize, target: &dyn Fn(&[u8])) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ name.len() as u64 ^ n as u64);
    let slow = Duration::from_secs(2);
    let (mut panics, mut slowest) = (Vec::new(), Duration::ZERO);
    let prev_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut corpus: Vec<Vec<u8>> = seeds.to_vec();
    for i in 0..(seeds.len() + n) {
        let input = if i < seeds.len() {
            seeds[i].clone()
        } else {
            let base = corpus[rng.below(corpus.len())].clone();
            mutate(&mut rng, seeds, &base)
        };
        let start = Instant::now();
        let r = catch_unwind(AssertUnwindSafe(|| target(&input)));
        let took = start.elapsed();
        slowest = slowest.max(took);
        if r.is_err() || took > slow {
            panics.push((String::from_utf8_lossy(&input).into_owned(), took));
        }
        // Keep some mutants as new bases, so mutations stack.
        if i >= seeds.len() && rng.below(16) == 0 && corpus.len() < 512 {
            corpus.push(input);
        }
    }
    std::panic::set_hook(prev_hook);
    eprintln!(
        "fuzz {name}: {} cases, {} failures, slowest {slowest:?}",
        seeds.len() + n,
        panics.len()
    );
    assert!(
        panics.is_empty(),
        "{name}: {} inputs panicked or took over {slow:?}; first: {:?}",
        panics.len(),
        panics.first()
    );
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn files_in(dir: &Path, ext: &str) -> Vec<Vec<u8>> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v.into_iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// Inputs that once broke something, run on every `cargo test`.
const REGRESSIONS: &[(&str, &[u8])] = &[
    ("token", b"a.b.c.d"),
    ("token", b"..."),
    ("token", b"e30.e30.e30"),
    ("ini", b"[a]\n k\n"),
    ("ini", b"[]]\n"),
    ("exec_info", b"{\"apiVersion\":null}"),
    ("query", b"{\"min_valid\":\"9223372036854775807\"}"),
];

#[test]
fn regressions_stay_fixed() {
    for (target, input) in REGRESSIONS {
        let r = catch_unwind(|| match *target {
            "token" => {
                let _ = oci_token::token::decode(&text(input));
                let _ = oci_token::token::decode_issued(&text(input));
            }
            "ini" => {
                let _ = oci_token::config::ini::parse(&text(input));
            }
            "exec_info" => {
                let _ = oci_token::output::exec_credential::requested_version(Some(&text(input)));
            }
            "query" => {
                let _ = oci_token::commands::terraform::parse_query(&text(input));
            }
            other => panic!("unknown target {other}"),
        });
        assert!(r.is_ok(), "{target}: {:?}", text(input));
    }
}

#[test]
fn fuzz_ini_parser_and_config_edits() {
    let mut seeds = files_in(&data("ini"), "ini");
    seeds.push(b"[DEFAULT]\nregion=r\n[p]\nkey_file=~/k\n  cont\n\n[q]\nx:y\n".to_vec());
    fuzz("ini", &seeds, cases(4000), &|b| {
        let t = text(b);
        let full = oci_token::config::ini::parse(&t);
        // Reading one profile must agree with reading them all: same error, same values.
        let name = full
            .as_ref()
            .ok()
            .and_then(|i| i.sections.last().map(|s| s.name.clone()))
            .unwrap_or_else(|| "p".to_owned());
        let one = oci_token::config::ini::parse_only(&t, Some(&name));
        match (&full, &one) {
            (Ok(f), Ok(o)) => assert_eq!(f.items(&name), o.items(&name)),
            (Err(a), Err(b)) => assert_eq!(a, b),
            _ => panic!("parse and parse_only disagree"),
        }
        if let Ok(ini) = full {
            for s in &ini.sections {
                let _ = ini.items(&s.name);
            }
            let _ = oci_token::config::edit::remove_section(&t, "p");
            let _ = oci_token::config::edit::append_section(&t, "p", &[("k", "v".into())]);
        }
    });
}

#[test]
fn fuzz_jwt_decoder() {
    let n = now();
    let seeds: Vec<Vec<u8>> = vec![
        jwt::mint(&jwt::Claims::for_key(
            &key_pem(),
            n,
            n + 3600,
            Some(n + 7200),
        ))
        .into_bytes(),
        jwt::mint(&jwt::Claims::for_key(&key_pem(), n, n + 60, None)).into_bytes(),
        b"eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjEsImp3ayI6eyJuIjoiQVFBQiIsImUiOiJBUUFCIn19.c2ln".to_vec(),
    ];
    fuzz("jwt", &seeds, cases(4000), &|b| {
        let t = text(b);
        if let Ok(c) = oci_token::token::decode(&t) {
            let _ = oci_token::token::decode_issued(&t);
            let now = jiff::Timestamp::from_second(n).unwrap();
            let w = jiff::SignedDuration::from_mins(15);
            let _ = oci_token::token::decide(now, &c, w, jiff::SignedDuration::from_secs(60));
            let _ = oci_token::commands::exec::next_wait(now, Some(&c), w, 3);
        }
    });
}

#[test]
fn fuzz_pem_key_loader() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut seeds = files_in(&data("keys"), "pem");
    seeds.retain(|s| !s.windows(7).any(|w| w == b"2000000"));
    // The DER inside each PEM too, so mutations reach the ASN.1 and key parsers.
    let ders: Vec<Vec<u8>> = seeds
        .iter()
        .filter_map(|pem| {
            let t = String::from_utf8_lossy(pem);
            let body: String = t
                .lines()
                .skip_while(|l| !l.starts_with("-----BEGIN"))
                .skip(1)
                .take_while(|l| !l.starts_with("-----END"))
                .filter(|l| !l.contains(':') && !l.is_empty())
                .collect();
            b64.decode(body).ok()
        })
        .collect();
    seeds.extend(ders);
    let pass = oci_token::secret::Secret::new("test-pass".to_owned());
    fuzz("pem", &seeds, cases(600), &|b| {
        let _ = oci_token::crypto::key::load_bytes(b, Some(&pass));
        if b.first() == Some(&0x30) {
            for label in ["PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY"] {
                let pem = format!(
                    "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
                    b64.encode(b)
                );
                let _ = oci_token::crypto::key::load(&pem, Some(&pass));
            }
        }
    });
}

#[test]
fn fuzz_session_archive_import() {
    use std::io::Write as _;
    let token = jwt::mint(&jwt::Claims::for_key(&key_pem(), now(), now() + 3600, None));
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default();
    for (name, bytes) in [
        (
            "config",
            &b"[x]\nkey_file = oci_api_key.pem\nsecurity_token_file = token\nregion = us-ashburn-1\n"[..],
        ),
        ("token", token.as_bytes()),
        ("oci_api_key.pem", key_pem().as_bytes()),
    ] {
        z.start_file(name, o).unwrap();
        z.write_all(bytes).unwrap();
    }
    let seed = z.finish().unwrap().into_inner();
    fuzz("zip", &[seed], cases(1500), &|b| {
        let _ = oci_token::commands::archive::read_archive_bytes(Path::new("fuzz.zip"), b.to_vec());
    });
}

#[test]
fn fuzz_kubeconfig_converter() {
    let seeds = vec![
        b"apiVersion: v1\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      args:\n      - ce\n      - cluster\n      - generate-token\n      - --cluster-id\n      - ocid1.cluster.oc1.iad.aaaa\n      - --region\n      - us-ashburn-1\n      command: oci\n      env: []\n".to_vec(),
        b"users:\n- name: u\n  user:\n    exec: # c\n      command: /usr/bin/oci\n      args: [\"ce\", cluster, 'generate-token', \"--cluster-id=x\", --auth, instance_principal]\n      env:\n      - name: OCI_CLI_PROFILE\n        value: sess\r\n".to_vec(),
    ];
    fuzz("kubeconfig", &seeds, cases(4000), &|b| {
        let c = oci_token::commands::kubeconfig::convert(&text(b), "oci-token");
        assert!(c.text.len() < b.len() * 4 + 8192, "bounded growth");
    });
}

#[test]
fn fuzz_exec_info_and_terraform_query() {
    let seeds = vec![
        br#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}"#.to_vec(),
        br#"{"apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"cluster":{"server":"https://x"}}}"#.to_vec(),
        br#"{"profile":"p","region":"iad","min_valid":"5m","config_file":"~/.oci/config"}"#.to_vec(),
        b"{}".to_vec(),
    ];
    fuzz("exec_info+query", &seeds, cases(4000), &|b| {
        let t = text(b);
        let _ = oci_token::output::exec_credential::requested_version(Some(&t));
        let _ = oci_token::commands::terraform::parse_query(&t);
    });
}

#[test]
fn fuzz_x509_reader() {
    let leaf = crate::support::fake_imds::make_leaf(&other_key_pem(), "ocid1.tenancy.oc1..t", true);
    let seeds = vec![
        leaf.cert_der.clone(),
        leaf.cert_pem.clone().into_bytes(),
        leaf.intermediate_pem.clone().into_bytes(),
    ];
    assert_eq!(
        oci_token::crypto::x509::tenancy(&leaf.cert_der).as_deref(),
        Some("ocid1.tenancy.oc1..t")
    );
    fuzz("x509", &seeds, cases(4000), &|b| {
        let _ = oci_token::crypto::x509::subject_values(b);
        let _ = oci_token::crypto::x509::tenancy(b);
        for der in oci_token::crypto::x509::certificates(&text(b)) {
            let _ = oci_token::crypto::x509::tenancy(&der);
        }
    });
}

#[test]
fn fuzz_registry_inputs() {
    let seeds = vec![
        b"iad.ocir.io".to_vec(),
        b"https://ocir.us-ashburn-1.oci.oraclecloud.com/v2/".to_vec(),
        b"{\n\t\"auths\": {},\n\t\"credHelpers\": {\n\t\t\"gcr.io\": \"gcloud\"\n\t}\n}".to_vec(),
        br#"{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"iad.ocir.io/ns/app:1"}"#.to_vec(),
    ];
    fuzz("registry", &seeds, cases(4000), &|b| {
        let t = text(b);
        if let Some(h) = oci_token::credential::ocir::normalize(&t) {
            assert!(!h.contains(['/', ' ']), "{h}");
        }
        if let Some(out) = oci_token::commands::docker::add_cred_helper(&t, "iad.ocir.io") {
            let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
            assert_eq!(v["credHelpers"]["iad.ocir.io"], "oci-token");
        }
    });
}
