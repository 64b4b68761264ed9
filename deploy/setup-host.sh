#!/usr/bin/env bash
# Prepares a Debian bookworm host for rootless Podman tests, idempotently: packages, a test user
# with subordinate ids, /dev/net/tun, containers.conf, a runtime directory, Quadlet, the example image,
# and the Debian trixie tree the reboot suite boots with systemd-nspawn.
# Usage (as root): deploy/setup-host.sh [USER]   (default user: archy-test)
set -euo pipefail

user=${1:-archy-test}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
image_name=localhost/archy-busybox:1
# iptables: netavark sets up user networks through it and fails with 'Permission denied' without it.
# nginx and openssl: the reverse-proxy test of deploy/registry/nginx.conf (and bench:registry).
# debootstrap and systemd-container: the trixie machine of the reboot suite (test/reboot/).
# sqlite3 and buildah: test/e2e/agent-regressions.test.ts edits an agent store with the sqlite3
# shell and makes a storage-only container with buildah from.
# tini: npm test runs the suites under `tini -s`, a subreaper that reaps Podman's orphaned helpers
# (aardvark-dns) where PID 1 does not (README, Limitations).
packages=(podman runc uidmap slirp4netns fuse-overlayfs netavark aardvark-dns iptables busybox-static
  b3sum chromium nginx openssl debootstrap systemd-container sqlite3 buildah tini)

say() { printf 'setup-host: %s\n' "$*"; }

if [[ $(id -u) -ne 0 ]]; then
  echo "setup-host: must run as root; run: sudo bash deploy/setup-host.sh $user" >&2
  exit 1
fi
if [[ ! $user =~ ^[a-z_][a-z0-9_-]*$ ]]; then
  echo "setup-host: '$user' is not a valid user name" >&2
  exit 1
fi

# Packages: apt-get update and install only when one is missing.
missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ $status == 'install ok installed' ]] || missing+=("$package")
done
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  apt-get update -qq </dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" </dev/null >/dev/null
else
  say "packages present"
fi

# The user, with subordinate ids for its user namespace (useradd usually assigns them itself).
if id -u "$user" >/dev/null 2>&1; then
  say "user $user exists"
else
  useradd --create-home --shell /bin/bash "$user"
  say "created user $user"
fi
next_free_subid() {
  awk -F: 'BEGIN { top = 100000 } { if ($2 + $3 > top) top = $2 + $3 } END { print top }' "$1"
}
for kind in uid gid; do
  file=/etc/sub$kind
  touch "$file"
  if grep -q "^$user:" "$file"; then
    say "sub${kind}s present"
  else
    start=$(next_free_subid "$file")
    usermod "--add-sub${kind}s" "$start-$((start + 65535))" "$user"
    say "added sub${kind}s $start-$((start + 65535))"
  fi
done

# slirp4netns opens /dev/net/tun as the user to publish ports.
if [[ ! -c /dev/net/tun ]]; then
  mkdir -p /dev/net
  mknod -m 666 /dev/net/tun c 10 200
  say "created /dev/net/tun"
elif [[ $(stat -c %a /dev/net/tun) != 666 ]]; then
  chmod 666 /dev/net/tun
  say "opened /dev/net/tun to users"
else
  say "/dev/net/tun ready"
fi

# containers.conf: runc (crun fails on hybrid cgroups), cgroupfs (no systemd user session),
# a nofile limit the kernel accepts, and file-based logs and events.
home=$(getent passwd "$user" | cut -d: -f6)
conf_dir=$home/.config/containers
install -d -o "$user" -g "$user" "$home/.config" "$conf_dir"
wanted_conf='[containers]
default_ulimits = ["nofile=20000:20000"]
log_driver = "k8s-file"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"'
if [[ -f $conf_dir/containers.conf && $(cat "$conf_dir/containers.conf") == "$wanted_conf" ]]; then
  say "containers.conf unchanged"
else
  printf '%s\n' "$wanted_conf" >"$conf_dir/containers.conf"
  chown "$user:$user" "$conf_dir/containers.conf"
  say "wrote $conf_dir/containers.conf"
fi

# No systemd user session here: the user gets a runtime directory of its own.
uid=$(id -u "$user")
runtime_dir=/run/user/$uid
if [[ -d $runtime_dir && $(stat -c '%U %a' "$runtime_dir") == "$user 700" ]]; then
  say "$runtime_dir ready"
else
  install -d -m 700 -o "$user" -g "$user" "$runtime_dir"
  say "made $runtime_dir"
fi
as_user() {
  (cd / && runuser -u "$user" -- env XDG_RUNTIME_DIR="$runtime_dir" HOME="$home" "$@")
}
if ! info_errors=$(as_user podman info 2>&1 >/dev/null); then
  printf '%s\n' "$info_errors" >&2
  echo "setup-host: podman info fails for $user" >&2
  exit 1
fi

# Quadlet from Debian trixie, for render tests (the script is idempotent itself).
if [[ -f $here/fetch-quadlet.sh ]]; then
  bash "$here/fetch-quadlet.sh" </dev/null | sed 's/^/setup-host: /'
fi

# The example image: built here, loaded for the user unless that exact image is there already.
bash "$repo/examples/images/build.sh" | sed 's/^/setup-host: /'
image_id=$(cat "$repo/examples/images/out/image-id")
loaded_id=$(as_user podman image inspect --format '{{.Id}}' "$image_name" 2>/dev/null || true)
if [[ "sha256:$loaded_id" == "$image_id" || $loaded_id == "$image_id" ]]; then
  say "image $image_name loaded"
else
  staging=$(mktemp -d)
  trap 'rm -rf "$staging"' EXIT
  chmod 755 "$staging"
  install -m 644 "$repo/examples/images/out/busybox.tar" "$staging/busybox.tar"
  as_user podman load --quiet --input "$staging/busybox.tar" >/dev/null
  say "loaded $image_name for $user"
fi

# A container on a bridge network, as the agent runs apps: proves netavark works for the user.
if ! smoke_errors=$(as_user podman run --rm --network bridge "$image_name" true 2>&1); then
  printf '%s\n' "$smoke_errors" >&2
  echo "setup-host: a container on a bridge network fails for $user" >&2
  exit 1
fi
say "bridge networking works for $user"

# The reboot suite's machine: built once (about a minute and a half, from the Debian mirror of
# /etc/apt/sources.list.d/debian.sources), rebuilt only when its script changes.
bash "$repo/test/support/trixie-rootfs.sh" </dev/null | sed 's/^/setup-host: /'

say "rootless podman ready for $user: runuser -u $user -- env XDG_RUNTIME_DIR=$runtime_dir podman ..."
