#!/usr/bin/env bash
# fetch-deps.sh — download + unpack (never install) the Debian 12 packages the
# xl test bed needs into build/deps/xl/.  Idempotent: one stamp per package.
#
# Layout:
#   build/deps/xl/debs/      the downloaded .deb files
#   build/deps/xl/root/      every package dpkg -x'ed on top of each other
#   build/deps/xl/stamps/    <pkg>.done  (content: the .deb file name)
#   build/deps/xl/kernel-pkg the resolved linux-image-* package name
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${XL_DEPS:-$REPO/build/deps/xl}

die() { echo "fetch-deps: error: $*" >&2; exit 1; }

# --refresh: forget the stamps and re-download everything (picks up Debian
# security updates and a renamed kernel package).
refresh=0
case ${1:-} in
--refresh) refresh=1 ;;
"") ;;
*) die "usage: fetch-deps.sh [--refresh]" ;;
esac

for t in apt-get apt-cache dpkg; do
    command -v "$t" >/dev/null || die "'$t' not found (need a Debian host)"
done

mkdir -p "$CACHE"
# Serialize concurrent callers.
exec 8>"$CACHE/.lock"
flock 8

# Userland for dom0 + the hypervisor.  Found by readelf -d on xl, xenstored,
# xenconsoled, xen-init-dom0, xenstore-* (see README.md).
PKGS=(
    xen-hypervisor-4.17-amd64
    xen-utils-4.17 xen-utils-common xenstore-utils
    libxenmisc4.17 libxenstore4 libxencall1 libxenevtchn1
    libxenforeignmemory1 libxengnttab1 libxendevicemodel1 libxentoolcore1
    libxentoollog1 libxenhypfs1
    libyajl2 libc6 libgcc-s1 libuuid1 zlib1g liblzma5 libzstd1
    busybox-static
)

# Debian renames the kernel package on every ABI bump: resolve it through
# linux-image-amd64 the first time (or with --refresh), then stick to the one
# we unpacked (apt-cache costs ~1 s and the old package stays usable).
resolve_kernel() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        awk '/Depends: linux-image-[0-9]/ {print $2; exit}'
}
kpkg=
if [[ $refresh == 0 && -s $CACHE/kernel-pkg ]]; then
    kpkg=$(cat "$CACHE/kernel-pkg")
else
    kpkg=$(resolve_kernel) || true
    if [[ -z $kpkg && $(id -u) == 0 ]]; then
        # A fresh machine may have empty apt lists.
        echo "fetch-deps: apt-cache knows no linux-image-amd64; running apt-get update" >&2
        apt-get update -qq >&2 || true
        kpkg=$(resolve_kernel) || true
    fi
    if [[ -z $kpkg && -s $CACHE/kernel-pkg ]]; then
        kpkg=$(cat "$CACHE/kernel-pkg")
        echo "fetch-deps: apt-cache gave no kernel; reusing cached $kpkg" >&2
    fi
fi
[[ -n "$kpkg" ]] || die "cannot resolve linux-image-amd64's kernel package; run 'apt-get update' first"
PKGS+=("$kpkg")

((refresh)) && rm -rf "$CACHE/stamps" "$CACHE/root" "$CACHE/debs"
mkdir -p "$CACHE/debs" "$CACHE/root" "$CACHE/stamps"

# Of the kernel package only the image and these modules: the full package
# unpacks to ~450 MB of modules nobody boots.  The block ones are the dump
# disk's bed: xen-blkback, and virtio-blk so a host file reaches dom0.
KMODS=('*/modules/*/kernel/drivers/xen/*'
       '*/modules/*/kernel/drivers/block/xen-blkback/*'
       '*/modules/*/kernel/drivers/block/virtio_blk.ko*'
       '*/modules/*/kernel/drivers/virtio/virtio.ko*'
       '*/modules/*/kernel/drivers/virtio/virtio_ring.ko*'
       '*/modules/*/kernel/drivers/virtio/virtio_pci*.ko*')
unpack_kernel() {
    local deb=$1; shift
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$CACHE/root" --wildcards "$@" ||
        die "unpacking $deb failed"
}

missing=()
for p in "${PKGS[@]}"; do
    [[ -f $CACHE/stamps/$p.done ]] || missing+=("$p")
done

if ((${#missing[@]})); then
    echo "fetch-deps: downloading ${#missing[@]} package(s): ${missing[*]}"
    # apt-get download writes to the cwd.  The "_apt sandbox" warning (root
    # downloading into a dir _apt cannot write) is harmless.
    download() { (cd "$CACHE/debs" && apt-get download -q "${missing[@]}"); }
    if ! download; then
        # Stale or empty apt lists are the usual cause: refresh once (root only).
        [[ $(id -u) == 0 ]] || die "apt-get download failed (run 'apt-get update'; packages: ${missing[*]})"
        echo "fetch-deps: download failed; running apt-get update and retrying" >&2
        apt-get update -qq >&2 || true
        download || die "apt-get download failed (packages: ${missing[*]})"
    fi
    for p in "${missing[@]}"; do
        # pick the newest .deb of that exact package name (name_version_arch.deb)
        deb=$(ls -t "$CACHE/debs/${p}_"*.deb 2>/dev/null | head -n1) || true
        [[ -n "$deb" ]] || die "no .deb for $p after download"
        if [[ $p == "$kpkg" ]]; then
            unpack_kernel "$deb" './boot/*' "${KMODS[@]}"
        else
            dpkg -x "$deb" "$CACHE/root" || die "dpkg -x $deb failed"
        fi
        basename "$deb" >"$CACHE/stamps/$p.done"
    done
else
    echo "fetch-deps: all ${#PKGS[@]} packages already unpacked in $CACHE"
fi
echo "$kpkg" >"$CACHE/kernel-pkg"

# A cache unpacked before the block modules were wanted: add just those.
if ! ls "$CACHE"/root/lib/modules/*/kernel/drivers/block/xen-blkback/xen-blkback.ko* >/dev/null 2>&1; then
    deb=$(ls -t "$CACHE/debs/${kpkg}_"*.deb 2>/dev/null | head -n1) || true
    [[ -n $deb ]] || die "no .deb for $kpkg to take the block modules from (run with --refresh)"
    echo "fetch-deps: adding the block modules from $(basename "$deb")" >&2
    unpack_kernel "$deb" "${KMODS[@]:1}"
fi

# Sanity: the things mkdom0.sh relies on must be there.
for f in boot/xen-4.17-amd64.gz usr/sbin/xl bin/busybox \
         usr/lib/xen-4.17/bin/xen-init-dom0; do
    [[ -e $CACHE/root/$f ]] || die "expected $f in $CACHE/root (package layout changed?)"
done
