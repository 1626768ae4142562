#!/usr/bin/env bash
# Writes the release artifacts into dist/out/, with SHA-256 sums:
#   oci-token-<version>-x86_64-unknown-linux-musl.tar.gz   the static Linux binary, the
#       docker-credential-oci-token link, the man page, completions, README and licences
#   oci-token_<version>_amd64.deb                           the same, as a Debian package
#   oci-token-<version>-x86_64-pc-windows-gnu.zip           when the Windows exe is built
#   SHA256SUMS
# Usage: dist/build.sh   (builds the static binary when it is missing; needs the musl
# target, musl-tools, dpkg-deb, gzip, tar, zip for the Windows archive).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
musl=x86_64-unknown-linux-musl
bin=target/$musl/release/oci-token
[ -x "$bin" ] || cargo build --release --locked --target "$musl" --bins
out=$root/dist/out
rm -rf "$out"
mkdir -p "$out"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# Shared pieces: completions and the man page from the binary itself.
mkdir -p "$stage/share"
"$bin" generate completions bash >"$stage/share/oci-token.bash"
"$bin" generate completions zsh >"$stage/share/_oci-token"
"$bin" generate completions fish >"$stage/share/oci-token.fish"
"$bin" generate man >"$stage/share/oci-token.1"

# The tarball.
name=oci-token-$version-$musl
t=$stage/$name
mkdir -p "$t/completions"
install -m 0755 "$bin" "$t/oci-token"
ln -s oci-token "$t/docker-credential-oci-token"
install -m 0644 "$stage/share/oci-token.1" "$t/oci-token.1"
install -m 0644 "$stage/share/oci-token.bash" "$stage/share/_oci-token" "$stage/share/oci-token.fish" "$t/completions/"
install -m 0644 README.md "$t/"
tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$out/$name.tar.gz" "$name"

# The .deb.
d=$stage/deb
mkdir -p "$d/DEBIAN" "$d/usr/bin" "$d/usr/share/man/man1" "$d/usr/share/doc/oci-token" \
  "$d/usr/share/bash-completion/completions" "$d/usr/share/zsh/vendor-completions" \
  "$d/usr/share/fish/vendor_completions.d"
install -m 0755 "$bin" "$d/usr/bin/oci-token"
ln -s oci-token "$d/usr/bin/docker-credential-oci-token"
gzip -9n <"$stage/share/oci-token.1" >"$d/usr/share/man/man1/oci-token.1.gz"
install -m 0644 "$stage/share/oci-token.bash" "$d/usr/share/bash-completion/completions/oci-token"
install -m 0644 "$stage/share/_oci-token" "$d/usr/share/zsh/vendor-completions/_oci-token"
install -m 0644 "$stage/share/oci-token.fish" "$d/usr/share/fish/vendor_completions.d/oci-token.fish"
cat >"$d/usr/share/doc/oci-token/copyright" <<COPY
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: oci-token
Files: *
License: MIT or Apache-2.0
COPY
size=$(du -ks "$d/usr" | cut -f1)
cat >"$d/DEBIAN/control" <<CONTROL
Package: oci-token
Version: $version
Architecture: amd64
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
dpkg-deb --root-owner-group -Zxz --build "$d" "$out/oci-token_${version}_amd64.deb" >/dev/null

# The Windows exe, once built (x86_64-pc-windows-gnu).
exe=target/x86_64-pc-windows-gnu/release/oci-token.exe
if [ -f "$exe" ] && command -v zip >/dev/null; then
  w=$stage/oci-token-$version-x86_64-pc-windows-gnu
  mkdir -p "$w"
  cp "$exe" "$w/oci-token.exe"
  cp "$exe" "$w/docker-credential-oci-token.exe"
  cp README.md integrations/shell/oci-token.ps1 "$w/"
  (cd "$stage" && zip -qr "$out/$(basename "$w").zip" "$(basename "$w")")
fi

(cd "$out" && sha256sum -- * >SHA256SUMS)
ls -l "$out"
