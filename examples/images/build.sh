#!/usr/bin/env bash
# Builds the example image `localhost/archy-busybox:1` from Debian's busybox-static alone (nothing
# is pulled) as a deterministic OCI image layout tar that `podman load` reads, and copies it to the
# example apps. Same busybox, same bytes: fixed mtimes, sorted entries, numeric owner 0.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=$here/out
image_name=localhost/archy-busybox:1
targets=("$repo/examples/apps/hello-web/image.tar" "$repo/examples/apps/notes/image.tar")

busybox=/bin/busybox
if [[ ! -x $busybox ]] || ! "$busybox" --list >/dev/null 2>&1; then
  echo "build.sh: $busybox is missing: install Debian's busybox-static (apt-get install busybox-static)" >&2
  exit 1
fi
for tool in tar sha256sum; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool is required" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 022

# Deterministic tar: ustar entries sorted by name, mtime 0, owner 0:0 by number only.
pack() {
  local dir=$1 file=$2
  shift 2
  tar --create --file "$file" --directory "$dir" --format=ustar --sort=name --mtime=@0 \
    --owner=0 --group=0 --numeric-owner "$@"
}

# The root file system: busybox and one symlink per applet in /bin, a few files in /etc.
root=$work/rootfs
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/var/www" "$root/root" "$root/home"
install -m 755 "$busybox" "$root/bin/busybox"
while read -r applet; do
  [[ -n $applet && $applet != busybox && ! -e $root/bin/$applet ]] || continue
  ln -s busybox "$root/bin/$applet"
done < <("$busybox" --list | LC_ALL=C sort)
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' \
  >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
chmod 1777 "$root/tmp"
chmod 700 "$root/root"
pack "$root" "$work/layer.tar" .

# OCI blobs: the layer (uncompressed, so its digest is also its diff id), the config, the manifest.
blobs=$work/image/blobs/sha256
mkdir -p "$blobs"
store_blob() {
  local file=$1 digest
  digest=$(sha256sum "$file" | cut -d' ' -f1)
  cp "$file" "$blobs/$digest"
  printf '%s %s\n' "$digest" "$(stat -c %s "$file")"
}
read -r layer_digest layer_size < <(store_blob "$work/layer.tar")

printf '%s' '{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z",'\
'"config":{"Env":["PATH=/bin"],"Cmd":["/bin/sh"],"WorkingDir":"/"},'\
'"rootfs":{"type":"layers","diff_ids":["sha256:'"$layer_digest"'"]},'\
'"history":[{"created":"1970-01-01T00:00:00Z","created_by":"examples/images/build.sh"}]}' \
  >"$work/config.json"
read -r config_digest config_size < <(store_blob "$work/config.json")

printf '%s' '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'\
'"config":{"mediaType":"application/vnd.oci.image.config.v1+json",'\
'"digest":"sha256:'"$config_digest"'","size":'"$config_size"'},'\
'"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar",'\
'"digest":"sha256:'"$layer_digest"'","size":'"$layer_size"'}]}' >"$work/manifest.json"
read -r manifest_digest manifest_size < <(store_blob "$work/manifest.json")

# The layout: oci-layout, index.json naming the image, and the blobs.
printf '%s' '{"imageLayoutVersion":"1.0.0"}' >"$work/image/oci-layout"
printf '%s' '{"schemaVersion":2,"manifests":[{'\
'"mediaType":"application/vnd.oci.image.manifest.v1+json",'\
'"digest":"sha256:'"$manifest_digest"'","size":'"$manifest_size"','\
'"annotations":{"org.opencontainers.image.ref.name":"'"$image_name"'"}}]}' >"$work/image/index.json"
chmod -R a+rX "$work/image"
pack "$work/image" "$work/busybox.tar" oci-layout index.json blobs

# Replace an output only when its bytes differ, so a re-run changes nothing.
place() {
  local source=$1 target=$2
  mkdir -p "$(dirname "$target")"
  if cmp -s "$source" "$target"; then
    echo "unchanged $target"
  else
    install -m 644 "$source" "$target"
    echo "wrote     $target"
  fi
}
place "$work/busybox.tar" "$out/busybox.tar"
for target in "${targets[@]}"; do place "$work/busybox.tar" "$target"; done
printf 'sha256:%s\n' "$config_digest" >"$work/image-id"
place "$work/image-id" "$out/image-id"
echo "image $image_name id sha256:$config_digest"
