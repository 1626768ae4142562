#!/usr/bin/env bash
# The coverage-guided fuzzers (libFuzzer via cargo-fuzz, nightly Rust): each target for
# SECONDS (default 10) from its seeds, the test data and the kept regression inputs.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]. A crash leaves its input in fuzz/artifacts/ and
# fails the run; add such an input to fuzz/regressions/<target>/ once it is fixed.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-10}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ini jwt pem zip kubeconfig exec_info query x509 registry oidc_state)
# cargo fuzz has no --locked: check first that the committed Cargo.lock needs no change, so
# a run never rewrites it (a clean clone stays clean).
cargo +nightly metadata --locked --format-version 1 >/dev/null
cargo +nightly fuzz build --release 2>&1 | tail -n 1
for t in "${targets[@]}"; do
  corpus=target/corpus/$t
  mkdir -p "$corpus"
  [ -d "seeds/$t" ] && cp -n seeds/"$t"/* "$corpus"/ 2>/dev/null || true
  [ -d "regressions/$t" ] && cp -n regressions/"$t"/* "$corpus"/ 2>/dev/null || true
  case $t in
    ini) cp -n ../tests/data/ini/*.ini "$corpus"/ ;;
    pem) cp -n ../tests/data/keys/*.pem "$corpus"/ ;;
  esac
  out=$(cargo +nightly fuzz run --release "$t" "$corpus" -- -max_total_time="$seconds" -max_len=65536 -timeout=5 -rss_limit_mb=2048 2>&1) || {
    echo "$out" | tail -n 30
    echo "fuzz $t: FAILED (input in fuzz/artifacts/$t/)" >&2
    exit 1
  }
  echo "$out" | grep -E '^#[0-9]+\s+DONE' | sed "s/^/fuzz $t: /" || echo "fuzz $t: done"
done
