#!/usr/bin/env bash
# Builds the release binaries and writes the release artifacts into dist/out/:
#   oci-token-<version>-x86_64-unknown-linux-musl.tar.gz   static Linux x86_64 binary, the
#   oci-token-<version>-aarch64-unknown-linux-musl.tar.gz      docker-credential-oci-token link,
#       man page, completions, README, licences (the same layout for each)
#   oci-token_<version>_amd64.deb, oci-token_<version>_arm64.deb   the same, as Debian packages
#   oci-token-<version>-universal-apple-darwin.tar.gz      macOS (arm64 + x86_64 in one binary)
#   oci-token-<version>-x86_64-pc-windows-gnu.zip          Windows: the files at the top level,
#       so unzipping into a folder on Path is the install
#   oci-token.rb                                           Homebrew formula (for a tap)
#   oci-token.json                                         Scoop manifest (for a bucket)
#   SHA256SUMS                                             sums of everything above
#
# Usage: dist/build.sh [TARGET...]  (default: all four targets; every archive named for a
# target is written, or the script fails). It builds each target itself (cargo is a no-op
# when the build is current) and refuses a binary whose embedded version does not name the
# commit being packaged, so a stale binary is never packed.
#
# Needs: Rust with the targets added; musl-tools (x86_64), gcc-aarch64-linux-gnu (arm64),
# gcc-mingw-w64-x86-64 (Windows), cargo-zigbuild with zig (PyPI ziglang) on PATH (macOS);
# dpkg-deb, gzip, tar, zip. The Homebrew formula and Scoop manifest point at
# $OCI_TOKEN_DOWNLOAD_URL/<archive> (default: a placeholder to replace when publishing).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
# What `--version` embeds (build.rs): the first 12 hex digits of HEAD.
commit=$(git rev-parse HEAD 2>/dev/null | cut -c1-12 || true)
[ -n "$commit" ] || { echo "dist/build.sh: not a git checkout; cannot tell which commit is packaged" >&2; exit 1; }
download=${OCI_TOKEN_DOWNLOAD_URL:-https://downloads.invalid/oci-token/v$version}
all=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl universal2-apple-darwin x86_64-pc-windows-gnu)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all[@]}"); fi

die() { echo "dist/build.sh: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || die "$2"; }

# Builds `$1`; prints the path of its oci-token binary.
build() {
  local t=$1
  case $t in
    x86_64-unknown-linux-musl)
      cargo build --release --locked --target "$t" --bins >&2 ;;
    aarch64-unknown-linux-musl)
      need aarch64-linux-gnu-gcc "the arm64 build needs gcc-aarch64-linux-gnu"
      CC_aarch64_unknown_linux_musl=aarch64-linux-gnu-gcc \
      CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER=aarch64-linux-gnu-gcc \
        cargo build --release --locked --target "$t" --bins >&2 ;;
    universal2-apple-darwin)
      need cargo-zigbuild "the macOS build needs cargo-zigbuild (cargo install cargo-zigbuild) and zig (pip install ziglang)"
      # zig from OCI_TOKEN_ZIG_BIN (a directory with zig or PyPI ziglang's python3), else PATH.
      PATH="${OCI_TOKEN_ZIG_BIN:+$OCI_TOKEN_ZIG_BIN:}$PATH" \
        cargo zigbuild --release --locked --target "$t" --bins >&2 ;;
    x86_64-pc-windows-gnu)
      need x86_64-w64-mingw32-gcc "the Windows build needs gcc-mingw-w64-x86-64"
      cargo build --release --locked --target "$t" --bins >&2 ;;
    *) die "unknown target $t (known: ${all[*]})" ;;
  esac
  local bin=target/$t/release/oci-token
  [ "$t" = x86_64-pc-windows-gnu ] && bin=$bin.exe
  [ -f "$bin" ] || die "$t: $bin was not built"
  # The version string is a literal in the binary: "(commit <12 hex>, <target>)". A universal
  # binary holds one per architecture.
  local want=("$t")
  [ "$t" = universal2-apple-darwin ] && want=(aarch64-apple-darwin x86_64-apple-darwin)
  for w in "${want[@]}"; do
    grep -aq "(commit $commit, $w)" "$bin" || die "$bin does not name commit $commit ($w): stale build"
  done
  echo "$bin"
}

out=$root/dist/out
rm -rf "$out"
mkdir -p "$out"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# Completions and the man page, from the x86_64 Linux binary (always built: it runs here);
# they are the same on every target.
host_bin=$(build x86_64-unknown-linux-musl)
mkdir -p "$stage/share"
"$host_bin" generate completions bash >"$stage/share/oci-token.bash"
"$host_bin" generate completions zsh >"$stage/share/_oci-token"
"$host_bin" generate completions fish >"$stage/share/oci-token.fish"
"$host_bin" generate man >"$stage/share/oci-token.1"

# A Unix tarball: <name>/{oci-token, docker-credential-oci-token -> oci-token, oci-token.1,
# completions/, README.md, LICENSE-MIT, LICENSE-APACHE}.
tarball() {
  local bin=$1 name=$2
  local t=$stage/$name
  mkdir -p "$t/completions"
  install -m 0755 "$bin" "$t/oci-token"
  ln -s oci-token "$t/docker-credential-oci-token"
  install -m 0644 "$stage/share/oci-token.1" "$t/oci-token.1"
  install -m 0644 "$stage/share/oci-token.bash" "$stage/share/_oci-token" "$stage/share/oci-token.fish" "$t/completions/"
  install -m 0644 README.md LICENSE-MIT LICENSE-APACHE "$t/"
  tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$out/$name.tar.gz" "$name"
}

deb() {
  local bin=$1 arch=$2
  local d=$stage/deb-$arch
  mkdir -p "$d/DEBIAN" "$d/usr/bin" "$d/usr/share/man/man1" "$d/usr/share/doc/oci-token" \
    "$d/usr/share/bash-completion/completions" "$d/usr/share/zsh/vendor-completions" \
    "$d/usr/share/fish/vendor_completions.d"
  install -m 0755 "$bin" "$d/usr/bin/oci-token"
  ln -s oci-token "$d/usr/bin/docker-credential-oci-token"
  gzip -9n <"$stage/share/oci-token.1" >"$d/usr/share/man/man1/oci-token.1.gz"
  install -m 0644 "$stage/share/oci-token.bash" "$d/usr/share/bash-completion/completions/oci-token"
  install -m 0644 "$stage/share/_oci-token" "$d/usr/share/zsh/vendor-completions/_oci-token"
  install -m 0644 "$stage/share/oci-token.fish" "$d/usr/share/fish/vendor_completions.d/oci-token.fish"
  # Debian's machine-readable copyright, with both licence texts.
  {
    printf '%s\n' "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/" \
      "Upstream-Name: oci-token" "" "Files: *" "Copyright: 2026 the oci-token developers" \
      "License: MIT or Apache-2.0" "" "License: MIT"
    sed 's/^$/./; s/^/ /' LICENSE-MIT
    printf '\n%s\n' "License: Apache-2.0"
    sed 's/^$/./; s/^/ /' LICENSE-APACHE
  } >"$d/usr/share/doc/oci-token/copyright"
  local size
  size=$(du -ks "$d/usr" | cut -f1)
  cat >"$d/DEBIAN/control" <<CONTROL
Package: oci-token
Version: $version
Architecture: $arch
Maintainer: oci-token developers <oci-token@users.noreply.invalid>
Installed-Size: $size
Section: utils
Priority: optional
Description: fast, non-interactive credential helper for Oracle Cloud Infrastructure
 Prints OCI credentials (sessions, API keys, instance/resource principals, OKE
 workload identity, OCIR registry tokens, OpenID Connect tokens) as JSON for the
 programs that exec it: kubectl, Terraform, docker/podman, shell prompts. Refreshes
 under a lock with atomic writes and never prompts. A static binary: no dependencies.
CONTROL
  find "$d" -type d -exec chmod 0755 {} +
  dpkg-deb --root-owner-group -Zxz --build "$d" "$out/oci-token_${version}_${arch}.deb" >/dev/null
}

for t in "${targets[@]}"; do
  case $t in
    x86_64-unknown-linux-musl)
      tarball "$host_bin" "oci-token-$version-$t"
      deb "$host_bin" amd64 ;;
    aarch64-unknown-linux-musl)
      bin=$(build "$t")
      tarball "$bin" "oci-token-$version-$t"
      deb "$bin" arm64 ;;
    universal2-apple-darwin)
      bin=$(build "$t")
      tarball "$bin" "oci-token-$version-universal-apple-darwin" ;;
    x86_64-pc-windows-gnu)
      need zip "the Windows archive needs zip"
      exe=$(build "$t")
      w=$stage/win
      mkdir -p "$w"
      cp "$exe" "$w/oci-token.exe"
      cp "$exe" "$w/docker-credential-oci-token.exe"
      cp README.md LICENSE-MIT LICENSE-APACHE integrations/shell/oci-token.ps1 \
        integrations/shell/oh-my-posh-oci-token.json "$w/"
      (cd "$w" && zip -q -X "$out/oci-token-$version-$t.zip" ./*) ;;
    *) die "unknown target $t (known: ${all[*]})" ;;
  esac
done

sum_of() { sha256sum "$out/$1" | cut -d' ' -f1; }

# The Homebrew formula: macOS (universal) and Linux (x86_64, arm64), when those were built.
mac=oci-token-$version-universal-apple-darwin.tar.gz
lx=oci-token-$version-x86_64-unknown-linux-musl.tar.gz
la=oci-token-$version-aarch64-unknown-linux-musl.tar.gz
if [ -f "$out/$mac" ] && [ -f "$out/$lx" ] && [ -f "$out/$la" ]; then
  cat >"$out/oci-token.rb" <<RUBY
# Homebrew formula for a tap (written by dist/build.sh from the archives' sums).
class OciToken < Formula
  desc "Fast, non-interactive credential helper for Oracle Cloud Infrastructure"
  homepage "$download"
  version "$version"
  license any_of: ["MIT", "Apache-2.0"]

  on_macos do
    url "$download/$mac"
    sha256 "$(sum_of "$mac")"
  end

  on_linux do
    on_intel do
      url "$download/$lx"
      sha256 "$(sum_of "$lx")"
    end
    on_arm do
      url "$download/$la"
      sha256 "$(sum_of "$la")"
    end
  end

  def install
    bin.install "oci-token"
    bin.install_symlink "oci-token" => "docker-credential-oci-token"
    man1.install "oci-token.1"
    bash_completion.install "completions/oci-token.bash" => "oci-token"
    zsh_completion.install "completions/_oci-token"
    fish_completion.install "completions/oci-token.fish"
  end

  test do
    assert_match "oci-token #{version}", shell_output("#{bin}/oci-token --version")
    assert_equal "{}", pipe_output("#{bin}/docker-credential-oci-token list", "").strip
  end
end
RUBY
fi

# The Scoop manifest, when the Windows zip was built.
zipname=oci-token-$version-x86_64-pc-windows-gnu.zip
if [ -f "$out/$zipname" ]; then
  cat >"$out/oci-token.json" <<JSON
{
  "version": "$version",
  "description": "Fast, non-interactive credential helper for Oracle Cloud Infrastructure",
  "homepage": "$download",
  "license": "MIT|Apache-2.0",
  "architecture": {
    "64bit": {
      "url": "$download/$zipname",
      "hash": "$(sum_of "$zipname")"
    }
  },
  "bin": ["oci-token.exe", "docker-credential-oci-token.exe"],
  "notes": "PowerShell prompt segment: . \"\$dir\\\\oci-token.ps1\" in \$PROFILE (see README.md)"
}
JSON
fi

(cd "$out" && sha256sum -- * >SHA256SUMS)
ls -l "$out"
