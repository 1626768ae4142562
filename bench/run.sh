#!/usr/bin/env bash
# Benchmarks of BENCHMARKS.md. Usage: bench/run.sh [--gate]
# Needs: the static binary target/x86_64-unknown-linux-musl/release/oci-token (what users
# install; OCI_TOKEN_BENCH_BIN names another), target/release/examples/fake_auth (cargo build
# --release --locked --bins --examples), valgrind, GNU time; hyperfine and the oci CLI (OCI_CLI_BIN or
# `oci` on PATH) for the wall-time comparison. With --gate, exits 1 when an instruction or
# memory budget is exceeded or a speed-up against the oci CLI (medians of the same run) is
# under its target; the absolute wall times only inform (this is a noisy 2-core host).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${OCI_TOKEN_BENCH_BIN:-$root/target/x86_64-unknown-linux-musl/release/oci-token}
fake=$root/target/release/examples/fake_auth
fake_principal=$root/target/release/examples/fake_principal
gate=${1:-}
work=$(mktemp -d)
cleanup() {
  [ -n "${fake_pid:-}" ] && kill "$fake_pid" 2>/dev/null
  [ -n "${principal_pid:-}" ] && kill "$principal_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

python3 "$root/bench/make-home.py" "$work/home"
# The stand-ins present RSA-2048 chains, as OCI's endpoints do (the tests' use P-256).
export OCI_TOKEN_STANDIN_KEYS=rsa
export HOME=$work/home OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING=True
"$fake" 600 >"$work/fake.txt" 2>"$work/fake.err" &
fake_pid=$!
for _ in $(seq 50); do [ -s "$work/fake.txt" ] && break; sleep 0.1; done
read -r url ca <"$work/fake.txt"
export OCI_TOKEN_AUTH_ENDPOINT=$url OCI_CLI_CERT_BUNDLE=$ca

instr() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : //p'; }
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n1; }

get_ir=$(instr "$bin" get --profile bench)
get_rss=$(rss "$bin" get --profile bench)
# A refresh's count varies by some 10,000 with the TLS handshake's random values: the
# median of three.
refresh_ir=$(for _ in 1 2 3; do instr "$bin" refresh --profile bench; done | sort -n | sed -n 2p)
refresh_rss=$(rss "$bin" refresh --profile bench)
cluster=ocid1.cluster.oc1.iad.aaaaaaaabenchmark
export cluster
# kube, cold: an empty cache, so the OKE token is signed (one RSA-2048 signature) and
# written; warm: the same command again, served from the cache entry the first one wrote.
kube_cold_ir=$(export OCI_TOKEN_CACHE_DIR="$work/kube-cache"; instr "$bin" kube --profile bench --cluster-id "$cluster" --region us-ashburn-1)
kube_warm_ir=$(export OCI_TOKEN_CACHE_DIR="$work/kube-cache"; instr "$bin" kube --profile bench --cluster-id "$cluster" --region us-ashburn-1)
prompt_ir=$(instr "$bin" prompt --profile bench)
big_ir=$(instr "$bin" get --profile bench --config-file "$HOME/.oci/config-10k")

# Instance principal: a metadata stand-in and /v1/x509 at the auth stand-in, as a process.
"$fake_principal" 600 >"$work/principal.txt" 2>"$work/principal.err" &
principal_pid=$!
for _ in $(seq 100); do [ -s "$work/principal.txt" ] && break; sleep 0.1; done
read -r imds_base principal_url principal_ca <"$work/principal.txt"
ip_env=(env OCI_METADATA_BASE_URL="$imds_base" OCI_TOKEN_AUTH_ENDPOINT="$principal_url"
  OCI_CLI_CERT_BUNDLE="$principal_ca" OCI_TOKEN_CACHE_DIR="$work/cache")
"${ip_env[@]}" "$bin" get --auth instance_principal >/dev/null # cold: fills the cache
ip_get_ir=$(export "${ip_env[@]:1}"; instr "$bin" get --auth instance_principal)
"${ip_env[@]}" "$bin" kube --auth instance_principal --cluster-id "$cluster" >/dev/null # signs once
ip_kube_ir=$(export "${ip_env[@]:1}"; instr "$bin" kube --auth instance_principal --cluster-id "$cluster")

# Resource principal v2.2 (as OCI Functions and Data Flow give it): the RPST and its key in
# files, the region a full name; no service is called. kube is warm after one call.
python3 - "$work/rp" <<'PY'
import base64, json, os, sys, time
d = sys.argv[1]
os.makedirs(d, mode=0o700, exist_ok=True)
part = lambda o: base64.urlsafe_b64encode(json.dumps(o).encode()).rstrip(b"=").decode()
now = int(time.time())
claims = {"sub": "ocid1.fnfunc.oc1.iad.aaaabench", "res_tenant": "ocid1.tenancy.oc1..aaaabench",
          "res_type": "fnfunc", "iat": now, "exp": now + 3600}
with open(os.path.join(d, "rpst"), "w") as f:
    f.write(part({"alg": "RS256", "typ": "JWT"}) + "." + part(claims) + ".c2ln")
PY
install -m 600 "$root/tests/data/keys/pkcs8.pem" "$work/rp/key.pem"
rp_env=(OCI_RESOURCE_PRINCIPAL_VERSION=2.2 OCI_RESOURCE_PRINCIPAL_RPST="$work/rp/rpst"
  OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM="$work/rp/key.pem" OCI_RESOURCE_PRINCIPAL_REGION=us-ashburn-1
  OCI_TOKEN_CACHE_DIR="$work/rp/cache")
rp_get_ir=$(export "${rp_env[@]}"; instr "$bin" get --auth resource_principal)
env "${rp_env[@]}" "$bin" kube --auth resource_principal --cluster-id "$cluster" >/dev/null # signs once
rp_kube_ir=$(export "${rp_env[@]}"; instr "$bin" kube --auth resource_principal --cluster-id "$cluster")

# docker-credential-oci-token get, warm: a cached OCIR token for a registry on loopback
# (127.0.0.1:9, named an OCIR host by OCI_TOKEN_OCIR_HOSTS, so a cache miss fails at once
# instead of reaching out) and profile bench
# (the cache entry is named by SHA-256 over "ocir", host and identity, NUL-separated, as
# src/credential/cache.rs entry_name does).
ln -sf "$bin" "$work/docker-credential-oci-token"
python3 - "$work/cache" "$HOME/.oci/config" <<'PY'
import hashlib, json, os, sys, time
cache, config = sys.argv[1], sys.argv[2]
identity = "security_token\0" + config + "\0bench"
h = hashlib.sha256(("ocir\x00127.0.0.1:9\x00" + identity).encode()).hexdigest()[:16]
d = os.path.join(cache, "ocir-" + h)
os.makedirs(d, mode=0o700, exist_ok=True)
os.chmod(cache, 0o700); os.chmod(d, 0o700)
p = os.path.join(d, "token")
with open(p, "w") as f:
    json.dump({"token": "bench-registry-token", "expires_at": int(time.time()) + 3600}, f)
os.chmod(p, 0o600)
PY
helper_ir=$(export OCI_TOKEN_CACHE_DIR="$work/cache" OCI_CLI_PROFILE=bench OCI_TOKEN_OCIR_HOSTS=127.0.0.1:9=iad; \
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$work/docker-credential-oci-token" get \
  <<<"127.0.0.1:9" 2>&1 >"$work/helper.out" | sed -n 's/.*Collected : //p' || true)
grep -q bench-registry-token "$work/helper.out" || helper_ir="(no cached token served)"

# oidc token, warm: a stored access token valid for an hour.
python3 - "$HOME/.oci/oidc" <<'PY'
import json, os, sys, time
d = sys.argv[1]
os.makedirs(d, mode=0o700, exist_ok=True)
os.chmod(d, 0o700)
now = int(time.time())
p = os.path.join(d, "bench.json")
with open(p, "w") as f:
    json.dump({"version": 1, "issuer": "https://op.example", "client_id": "c", "client_secret_file": None,
               "scope": "openid offline_access", "token_endpoint": "https://op.example/token",
               "revocation_endpoint": None, "refresh_token": "rt", "access_token": "bench-access-token",
               "id_token": None, "issued_at": now, "expires_at": now + 3600}, f)
os.chmod(p, 0o600)
PY
oidc_ir=$(instr "$bin" oidc token --name bench)

fail=0
check() { # name value budget unit
  local verdict=ok
  if ! [[ "$2" =~ ^[0-9]+$ ]]; then verdict="NOT MEASURED"; fail=1
  elif [ "$2" -gt "$3" ]; then verdict=OVER; fail=1; fi
  printf '%-34s %12s %-5s budget %12s  %s\n' "$1" "$2" "$4" "$3" "$verdict"
}
echo "== oci-token benchmarks ($(date -u +%FT%TZ), $(nproc) cores)"
check "get, valid token (callgrind)" "$get_ir" 700000 instr
check "refresh vs local fake (callgrind)" "$refresh_ir" 13000000 instr
check "kube, cold (signs; callgrind)" "$kube_cold_ir" 11500000 instr
check "kube, warm (cached token)" "$kube_warm_ir" 500000 instr
check "prompt (callgrind)" "$prompt_ir" 400000 instr
check "get, 10,000 profiles (callgrind)" "$big_ir" 25000000 instr
check "get, instance principal, warm" "$ip_get_ir" 1000000 instr
check "kube, instance principal, warm" "$ip_kube_ir" 1000000 instr
check "get, resource principal" "$rp_get_ir" 500000 instr
check "kube, resource principal, warm" "$rp_kube_ir" 500000 instr
check "docker-credential-oci-token get, warm" "$helper_ir" 500000 instr
check "oidc token, warm" "$oidc_ir" 700000 instr
check "get peak RSS" "$get_rss" 4095 KiB
check "refresh peak RSS" "$refresh_rss" 10240 KiB

oci=${OCI_CLI_BIN:-$(command -v oci || true)}
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 5 --runs 50 --export-json "$work/prompt.json" "$bin prompt --profile bench" >/dev/null 2>&1
  python3 - "$work/prompt.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"{'prompt wall time':34} {r['median']*1e3:9.2f} ms median, {r['mean']*1e3:.2f} ms mean (target < 5 ms)")
PY
fi
if command -v hyperfine >/dev/null && [ -n "$oci" ]; then
  hyperfine -N --warmup 3 --runs 30 --export-json "$work/get.json" \
    "$bin get --profile bench" \
    "$oci session validate --local --auth security_token --profile bench" >/dev/null 2>&1
  # kube as kubectl meets it: the first call signs and caches, the next ones (every
  # kubectl command within three minutes) are served from the cache.
  hyperfine -N --warmup 3 --runs 20 --export-json "$work/kube.json" \
    "$bin kube --profile bench --cluster-id $cluster --region us-ashburn-1" \
    "$oci ce cluster generate-token --cluster-id $cluster --region us-ashburn-1 --auth security_token --profile bench" >/dev/null 2>&1
  # kube signing on every call: a cache root under a regular file cannot be made, so
  # nothing is cached (one warning line per call); this is the signature's cost.
  : >"$work/not-a-dir"
  hyperfine -N --warmup 3 --runs 20 --export-json "$work/kube-cold.json" \
    "env OCI_TOKEN_CACHE_DIR=$work/not-a-dir/cache $bin kube --profile bench --cluster-id $cluster --region us-ashburn-1" \
    "$oci ce cluster generate-token --cluster-id $cluster --region us-ashburn-1 --auth security_token --profile bench" >/dev/null 2>&1
  # The oci CLI federates on every call; oci-token reads its cache.
  hyperfine -N --warmup 2 --runs 10 --export-json "$work/ip.json" \
    "${ip_env[*]} $bin kube --auth instance_principal --cluster-id $cluster" \
    "${ip_env[*]} OCI_CLI_FEDERATION_ENDPOINT=$principal_url/v1/x509 REQUESTS_CA_BUNDLE=$principal_ca $oci ce cluster generate-token --auth instance_principal --cluster-id $cluster --region us-ashburn-1" >/dev/null 2>&1
  if python3 - "$work/get.json" "$work/kube.json" "$work/kube-cold.json" "$work/ip.json" <<'PY'
import json, sys
for path, name, target in ((sys.argv[1], "get vs oci session validate --local", 200),
                           (sys.argv[2], "kube (cached) vs oci ce generate-token", 100),
                           (sys.argv[3], "kube (signing) vs oci ce generate-token", 100),
                           (sys.argv[4], "kube, instance principal, vs oci", 100)):
    r = json.load(open(path))["results"]
    a, b = r[0]["median"], r[1]["median"]
    verdict = "ok" if b / a >= target else "UNDER"
    print(f"{name:34} {a*1e3:9.2f} ms vs {b*1e3:7.1f} ms median: {b/a:6.0f}x faster (target >= {target}x)  {verdict}")
    if verdict != "ok":
        sys.exit(1)
PY
  then :; else ratio_fail=1; fi
else
  echo "wall time vs the oci CLI: skipped (needs hyperfine and the oci CLI)"
fi
if [ "$gate" = "--gate" ] && [ "${ratio_fail:-0}" -ne 0 ]; then
  echo "a speed-up against the oci CLI is under its target" >&2
  exit 1
fi
if [ "$gate" = "--gate" ] && [ "$fail" -ne 0 ]; then
  echo "benchmark budget exceeded" >&2
  exit 1
fi
