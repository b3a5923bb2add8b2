#!/usr/bin/env bash
# mkdom0.sh — build the cached, payload-free part of the xl test bed:
#   build/xl/xen             Xen 4.17 hypervisor, gunzipped (QEMU's multiboot
#                            loader cannot load the .gz)
#   build/xl/vmlinuz         Debian's kernel for dom0 (as a plain ELF)
#   build/xl/dom0-base.cpio  newc initramfs: busybox, xl & daemons + the
#                            shared libs they need, xen modules, /init
# Rebuilt only when an input changes (deb set, this script, dom0-init.sh,
# block-dumpdisk).
# run-xl.sh appends a small per-run cpio (guest, cfgs, scenario) to it.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$REPO/scripts/xl
DEPS=${XL_DEPS:-$REPO/build/deps/xl}
OUT=${XL_OUT:-$REPO/build/xl}
ROOT=$DEPS/root
XENBIN=usr/lib/xen-4.17/bin

die() { echo "mkdom0: error: $*" >&2; exit 1; }

mkdir -p "$OUT"
# One builder at a time (parallel run-xl.sh calls share this cache).
exec 9>"$OUT/.mkdom0.lock"
flock 9
"$HERE/fetch-deps.sh" >&2 || die "fetch-deps.sh failed"

kpkg=$(cat "$DEPS/kernel-pkg")
kver=${kpkg#linux-image-}

# Cache key: exact .deb versions + the scripts that shape the image.
key=$(cat "$DEPS"/stamps/*.done "$0" "$HERE/dom0-init.sh" "$HERE/block-dumpdisk" | sha256sum | cut -c1-16)
if [[ -f $OUT/dom0-base.key && $(cat "$OUT/dom0-base.key") == "$key" &&
      -f $OUT/dom0-base.cpio && -f $OUT/xen && -f $OUT/vmlinuz ]]; then
    echo "mkdom0: $OUT/dom0-base.cpio up to date ($key)" >&2
    exit 0
fi
echo "mkdom0: building dom0 image (kernel $kver, key $key)" >&2

mkdir -p "$OUT"
rm -f "$OUT/dom0-base.key"
STAGE=$OUT/dom0-root
rm -rf "$STAGE"
mkdir -p "$STAGE"

# --- hypervisor + dom0 kernel -------------------------------------------------
gzip -dc "$ROOT/boot/xen-4.17-amd64.gz" >"$OUT/xen.tmp" && mv "$OUT/xen.tmp" "$OUT/xen"
[[ -f $ROOT/boot/vmlinuz-$kver ]] || die "no boot/vmlinuz-$kver in $ROOT"
# Hand Xen the bzImage's payload, the plain ELF vmlinux: otherwise Xen
# xz-decompresses 60+ MB under TCG while building dom0 (~4-6 s per boot).
# bzImage header: setup_sects at 0x1f1, payload_offset/length at 0x248/0x24c.
extract_vmlinux() {
    local bz=$1 sects off len magic
    sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$bz" | tr -d ' ')
    ((sects)) || sects=4
    off=$(od -An -tu4 -j $((0x248)) -N4 "$bz" | tr -d ' ')
    len=$(od -An -tu4 -j $((0x24c)) -N4 "$bz" | tr -d ' ')
    off=$(((sects + 1) * 512 + off))
    magic=$(od -An -tx1 -j "$off" -N4 "$bz" | tr -d ' ')
    local dec
    case $magic in
    fd377a58) dec=(xz -dc --single-stream) ;;
    1f8b*)    dec=(gzip -dc) ;;
    28b52ffd) dec=(zstd -qdc) ;;
    *) return 1 ;;
    esac
    dd if="$bz" iflag=skip_bytes,count_bytes skip="$off" count="$len" bs=1M status=none |
        "${dec[@]}" 2>/dev/null
}
if extract_vmlinux "$ROOT/boot/vmlinuz-$kver" >"$OUT/vmlinuz.tmp" &&
   [[ $(od -An -tx1 -N4 "$OUT/vmlinuz.tmp" | tr -d ' ') == 7f454c46 ]]; then
    mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
else
    echo "mkdom0: warning: cannot unpack the bzImage; booting it as is (slower)" >&2
    cp "$ROOT/boot/vmlinuz-$kver" "$OUT/vmlinuz"; rm -f "$OUT/vmlinuz.tmp"
fi

# --- busybox: applet symlinks made now (no --install at boot) ---------------
mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,lib64,proc,sys,dev,run,tmp,root,guest,etc,var/lib,var/log,lib/modules/xen}
cp "$ROOT/bin/busybox" "$STAGE/bin/busybox"
while read -r app; do
    [[ $app == bin/busybox ]] && continue
    [[ -e $STAGE/$app ]] && continue
    rel=$(realpath -m --relative-to="$STAGE/$(dirname "$app")" "$STAGE/bin/busybox")
    ln -s "$rel" "$STAGE/$app"
done < <("$ROOT/bin/busybox" --list-full)
[[ -e $STAGE/bin/sh ]] || die "busybox has no sh applet?"

# --- Xen userland ---------------------------------------------------------------
# Debian's /usr/sbin/xl etc. are symlinks to a bash wrapper that picks the Xen
# version; point them straight at the 4.17 binaries instead.
BINS=(xl xenstored xenconsoled xenconsole xen-init-dom0 libxl-save-helper
      xenstore-control readnotes lsevtchn xenctx)
mkdir -p "$STAGE/$XENBIN"
for b in "${BINS[@]}"; do
    [[ -f $ROOT/$XENBIN/$b ]] || die "missing $XENBIN/$b"
    cp "$ROOT/$XENBIN/$b" "$STAGE/$XENBIN/$b"
    ln -sfn "../lib/xen-4.17/bin/$b" "$STAGE/usr/sbin/$b"
done
# xenstore-read/-write/-ls/... are symlinks to usr/bin/xenstore.
cp "$ROOT/usr/bin/xenstore" "$STAGE/usr/bin/xenstore"
for f in "$ROOT"/usr/bin/xenstore-*; do
    ln -sfn xenstore "$STAGE/usr/bin/$(basename "$f")"
done
mkdir -p "$STAGE/etc/xen"
cp "$ROOT/etc/xen/xl.conf" "$STAGE/etc/xen/" 2>/dev/null || true

# --- shared libraries: transitive closure of DT_NEEDED -----------------------
LIBDIRS=(lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu)
find_lib() {
    local d
    for d in "${LIBDIRS[@]}"; do
        [[ -e $ROOT/$d/$1 ]] && { echo "$d/$1"; return 0; }
    done
    return 1
}
declare -A seen=()
# libgcc_s is dlopen()ed by pthread_cancel: without it `xl create` aborts
# ("libgcc_s.so.1 must be installed for pthread_cancel to work").
queue=("$(find_lib libgcc_s.so.1)" "$(find_lib ld-linux-x86-64.so.2)")
for b in "${BINS[@]}"; do queue+=("$XENBIN/$b"); done
queue+=(usr/bin/xenstore)
missing=()
while ((${#queue[@]})); do
    f=${queue[0]}; queue=("${queue[@]:1}")
    [[ -n ${seen[$f]:-} ]] && continue
    seen[$f]=1
    case $f in
    lib/*|usr/lib/x86_64-linux-gnu/*)
        mkdir -p "$STAGE/$(dirname "$f")"
        cp -L "$ROOT/$f" "$STAGE/$f" ;;   # soname symlink -> real file
    esac
    while read -r so; do
        if l=$(find_lib "$so"); then queue+=("$l"); else missing+=("$so (by $f)"); fi
    done < <(readelf -d "$ROOT/$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done
((${#missing[@]} == 0)) || die "unresolved libraries: ${missing[*]} — add their package to fetch-deps.sh"
cp -L "$ROOT/lib64/ld-linux-x86-64.so.2" "$STAGE/lib64/ld-linux-x86-64.so.2"

# --- kernel modules (Debian ships them as .ko or .ko.xz; busybox insmod wants
# them plain, so decompress here) -----------------------------------------------
MODDIR=$ROOT/lib/modules/$kver/kernel/drivers/xen
for m in xen-evtchn xen-privcmd xenfs/xenfs xen-gntdev xen-gntalloc; do
    n=$(basename "$m")
    if [[ -f $MODDIR/$m.ko ]]; then
        cp "$MODDIR/$m.ko" "$STAGE/lib/modules/xen/$n.ko"
    elif [[ -f $MODDIR/$m.ko.xz ]]; then
        xz -dc "$MODDIR/$m.ko.xz" >"$STAGE/lib/modules/xen/$n.ko"
    elif [[ -f $MODDIR/$m.ko.zst ]]; then
        zstd -qdc "$MODDIR/$m.ko.zst" >"$STAGE/lib/modules/xen/$n.ko"
    else
        die "module $m not found under $MODDIR"
    fi
done

# The dump disk's bed (dom0-init.sh loads them when a run has --disk):
# xen-blkback serves the vbd, virtio-blk brings QEMU's host file in as /dev/vda.
KDIR=$ROOT/lib/modules/$kver/kernel/drivers
mkdir -p "$STAGE/lib/modules/blk"
for m in virtio/virtio virtio/virtio_ring virtio/virtio_pci_legacy_dev \
         virtio/virtio_pci_modern_dev virtio/virtio_pci block/virtio_blk \
         block/xen-blkback/xen-blkback; do
    n=$(basename "$m")
    if [[ -f $KDIR/$m.ko ]]; then
        cp "$KDIR/$m.ko" "$STAGE/lib/modules/blk/$n.ko"
    elif [[ -f $KDIR/$m.ko.xz ]]; then
        xz -dc "$KDIR/$m.ko.xz" >"$STAGE/lib/modules/blk/$n.ko"
    else
        die "module $m not found under $KDIR (fetch-deps.sh unpacks it)"
    fi
done
# xl runs a hotplug script for every disk; the stock one needs bash,
# losetup and flock.  This one only names the device to blkback.
mkdir -p "$STAGE/etc/xen/scripts"
install -m 755 "$HERE/block-dumpdisk" "$STAGE/etc/xen/scripts/block-dumpdisk"

# --- filesystem skeleton --------------------------------------------------------
ln -s ../run "$STAGE/var/run"
ln -s ../run/lock "$STAGE/var/lock"
echo "root:x:0:0:root:/root:/bin/sh" >"$STAGE/etc/passwd"
echo "root:x:0:" >"$STAGE/etc/group"
echo dom0 >"$STAGE/etc/hostname"
# The kernel opens /dev/console for init before /init can mount devtmpfs.
mknod -m 600 "$STAGE/dev/console" c 5 1 2>/dev/null ||
    echo "mkdom0: warning: cannot mknod dev/console (not root?); /init reopens it" >&2
install -m 755 "$HERE/dom0-init.sh" "$STAGE/init"

# --- pack -----------------------------------------------------------------------
# busybox's cpio (from the cache) so the host needs no cpio package.
(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort |
    "$ROOT/bin/busybox" cpio -o -H newc -R 0:0) >"$OUT/dom0-base.cpio.tmp"
mv "$OUT/dom0-base.cpio.tmp" "$OUT/dom0-base.cpio"
echo "$key" >"$OUT/dom0-base.key"
echo "mkdom0: wrote $OUT/dom0-base.cpio ($(du -h "$OUT/dom0-base.cpio" | cut -f1))" >&2
