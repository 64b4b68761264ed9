#!/usr/bin/env bash
# Builds, once, the Debian trixie system that the reboot suite (test/reboot/) boots with
# systemd-nspawn: systemd, rootless Podman 5 with Quadlet, Node 20, and a user for the agent.
# The suite boots a copy, so this tree stays as built; it is rebuilt when this script changes.
# Usage (as root): test/support/trixie-rootfs.sh [DIR]   (default /var/cache/archy/rb-trixie)
set -euo pipefail

dir=${1:-/var/cache/archy/rb-trixie}
script=$(readlink -f "${BASH_SOURCE[0]}")
stamp=$(sha256sum "$script" | cut -d' ' -f1)
mirror=${ARCHY_DEBIAN_MIRROR:-$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources \
  2>/dev/null | head -1)}
mirror=${mirror:-http://deb.debian.org/debian}
# The guest's agent user: a uid and subordinate ids no host user has, since the machine shares
# the host's uid space (deploy/setup-host.sh gives archy-test 100000-165535).
user=rb-agent
uid=28190
subids=200000:65536
packages=(systemd systemd-sysv dbus dbus-user-session libpam-systemd podman crun uidmap passt
  slirp4netns catatonit netavark aardvark-dns nftables nodejs ca-certificates iproute2 procps)

say() { printf 'trixie-rootfs: %s\n' "$*"; }

if [[ $(id -u) -ne 0 ]]; then
  echo 'trixie-rootfs: must run as root' >&2
  exit 1
fi
if [[ -f $dir/.archy-rootfs && $(cat "$dir/.archy-rootfs") == "$stamp" ]]; then
  say "$dir is up to date"
  exit 0
fi
for tool in debootstrap systemd-nspawn; do
  command -v "$tool" >/dev/null || { echo "trixie-rootfs: $tool is missing" >&2; exit 1; }
done

# Built beside the target and renamed into place, so a failed build never looks finished.
work=$dir.building
rm -rf "$work"
mkdir -p "$(dirname "$dir")"
started=$(date +%s)
say "debootstrap trixie from $mirror into $work"
packages_csv=$(IFS=,; echo "${packages[*]}")
if ! debootstrap --variant=minbase --include="$packages_csv" trixie "$work" "$mirror" \
  >"$work.log" 2>&1; then
  tail -20 "$work.log" >&2
  echo "trixie-rootfs: debootstrap failed (full log: $work.log)" >&2
  exit 1
fi
say "debootstrap took $(($(date +%s) - started)) s"

echo rb-trixie >"$work/etc/hostname"
chroot "$work" useradd --create-home --shell /bin/bash --uid "$uid" "$user"
printf '%s:%s\n' "$user" "$subids" >"$work/etc/subuid"
printf '%s:%s\n' "$user" "$subids" >"$work/etc/subgid"

# Quadlet's units wait for network-online.target, which nothing on a minimal system pulls in:
# without this every boot waits the 90 s of podman-user-wait-network-online.service.
ln -sf /usr/lib/systemd/system/network-online.target \
  "$work/etc/systemd/system/multi-user.target.wants/network-online.target"

# The machine shares the host's network namespace and is booted with /proc/sys/net writable
# (netavark sets sysctls in Podman's rootless network namespace): the guest's sysctl.d files must
# not land on the host's network settings.
ln -sf /dev/null "$work/etc/systemd/system/systemd-sysctl.service"

# Two facts of the host, not of the guest: its cgroup v2 tree has no controllers (pids, memory
# and cpu are bound to v1), and nspawn mounts /proc/sys read-only outside /proc/sys/net.
install -d "$work/etc/containers/containers.conf.d"
cat >"$work/etc/containers/containers.conf.d/50-nspawn-host.conf" <<'CONF'
[containers]
pids_limit = 0
default_sysctls = []
CONF

# The project is bound read-only at ~/archipelago-registry, where deploy/archy-agent.service
# looks for it; `archy` on PATH runs it.
install -d -o "$uid" -g "$uid" "$work/home/$user/archipelago-registry"
cat >"$work/usr/local/bin/archy" <<SH
#!/bin/sh
exec /usr/bin/node /home/$user/archipelago-registry/bin/archy.js "\$@"
SH
chmod 755 "$work/usr/local/bin/archy"

echo "$stamp" >"$work/.archy-rootfs"
rm -rf "$dir" "$work.log"
mv "$work" "$dir"
say "built $dir in $(($(date +%s) - started)) s"
