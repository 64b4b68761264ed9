#!/usr/bin/env bash
# Fetches the Quadlet generator (/usr/libexec/podman/quadlet) from Debian trixie's podman package,
# so render tests can run the real `quadlet -dryrun` on hosts whose own Podman is older than 4.4.
# The host's apt state is left alone: a private sources list, lists and cache live in a temp dir.
#
# Usage: deploy/fetch-quadlet.sh [--force]
#   ARCHY_QUADLET_BIN     where to install it (default /opt/archy/quadlet/quadlet)
#   ARCHY_DEBIAN_MIRROR   Debian mirror URL (default: the host's own Debian mirror, else deb.debian.org)
#   ARCHY_DEBIAN_SUITE    suite to take podman from (default trixie)
set -euo pipefail

dest=${ARCHY_QUADLET_BIN:-/opt/archy/quadlet/quadlet}
suite=${ARCHY_DEBIAN_SUITE:-trixie}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

# Idempotent: a working binary already in place is kept unless --force is given.
if [[ "${1:-}" != "--force" && -x "$dest" ]] && "$dest" -version >/dev/null 2>&1; then
  echo "quadlet already installed: $dest ($("$dest" -version 2>&1 | head -n 1))"
  exit 0
fi

# Reuse the mirror host the machine already uses for Debian (deb822 .sources or one-line lists).
find_host_mirror() {
  local files=(/etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list)
  local file uri
  for file in "${files[@]}"; do
    [[ -r "$file" ]] || continue
    uri=$(grep -hoE '(^URIs:[[:space:]]*|^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)https?://[^[:space:]]+/debian/?([[:space:]]|$)' "$file" \
      | grep -oE 'https?://[^[:space:]]+' | head -n 1 || true)
    if [[ -n "$uri" ]]; then
      echo "${uri%/}"
      return
    fi
  done
  echo "http://deb.debian.org/debian"
}
mirror=${ARCHY_DEBIAN_MIRROR:-$(find_host_mirror)}

for tool in apt-get dpkg-deb tar install; do
  command -v "$tool" >/dev/null || { echo "fetch-quadlet: $tool is required" >&2; exit 1; }
done
[[ -r "$keyring" ]] || { echo "fetch-quadlet: $keyring is missing (debian-archive-keyring)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/deb" "$work/root"
# apt downloads as the unprivileged _apt user when it can; let it write into the temp dir.
chmod 0755 "$work"
if [[ $(id -u) -eq 0 ]] && id _apt >/dev/null 2>&1; then
  chown _apt "$work/lists/partial" "$work/cache/archives/partial" "$work/deb"
fi
: >"$work/status"
echo "deb [signed-by=$keyring] $mirror $suite main" >"$work/sources.list"

# A private apt: its own sources, lists, cache and an empty dpkg status.
apt_opts=(
  -o "Dir::Etc::sourcelist=$work/sources.list"
  -o "Dir::Etc::sourceparts=-"
  -o "Dir::State::Lists=$work/lists"
  -o "Dir::State::status=$work/status"
  -o "Dir::Cache=$work/cache"
  -o "APT::Get::List-Cleanup=0"
)

echo "fetch-quadlet: podman from $mirror $suite"
apt-get "${apt_opts[@]}" -qq update
(cd "$work/deb" && apt-get "${apt_opts[@]}" -qq download podman)

deb=$(ls "$work"/deb/podman_*.deb)
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/root" ./usr/libexec/podman/quadlet
install -D -m 0755 "$work/root/usr/libexec/podman/quadlet" "$dest"

echo "installed $(basename "$deb") quadlet at $dest: $("$dest" -version 2>&1 | head -n 1)"
