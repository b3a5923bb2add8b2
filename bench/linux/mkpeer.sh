#!/bin/sh
# Build the Linux PV peer for the xl bench scenario:
#   build/bench/linux/vmlinux.gz  Debian's kernel (the xl bed's dom0 kernel,
#                                 build/xl/vmlinuz, a plain 66 MB ELF), packed by
#                                 pack-elf.pl to ~35 MB and gzipped (~12 MB).
#     dom0 has 192M: the plain ELF does not fit its initramfs (twice: archive
#     and unpacked), and xl's gunzip copy of the unpacked 66 MB ELF gets xl
#     OOM-killed; the packed one (35 MB anonymous while xl builds) fits.
#   build/bench/linux/initrd.gz   busybox-static + bench/linux/init
# Needs scripts/xl/mkdom0.sh to have run (run-xl.sh does; so does this).
set -eu
cd "$(dirname "$0")/../.."
OUT=build/bench/linux
# mkdom0.sh fetches the deps on a fresh checkout, so busybox is looked for after it.
scripts/xl/mkdom0.sh >/dev/null 2>&1 || { echo "mkpeer: scripts/xl/mkdom0.sh failed" >&2; exit 1; }
BB=${XL_DEPS:-build/deps/xl}/root/bin/busybox
case $BB in /*) ;; *) BB=$PWD/$BB ;; esac
[ -f build/xl/vmlinuz ] || { echo "mkpeer: build/xl/vmlinuz missing" >&2; exit 1; }
[ -x "$BB" ] || { echo "mkpeer: busybox '$BB' missing (scripts/xl/fetch-deps.sh)" >&2; exit 1; }
mkdir -p "$OUT"
if [ ! -f "$OUT/vmlinux.gz" ] || [ build/xl/vmlinuz -nt "$OUT/vmlinux.gz" ] ||
   [ bench/linux/pack-elf.pl -nt "$OUT/vmlinux.gz" ]; then
    perl bench/linux/pack-elf.pl build/xl/vmlinuz "$OUT/vmlinux" >/dev/null
    gzip -9 -c "$OUT/vmlinux" >"$OUT/vmlinux.gz.tmp"
    mv "$OUT/vmlinux.gz.tmp" "$OUT/vmlinux.gz"
    rm -f "$OUT/vmlinux"
fi
R=$(mktemp -d "$OUT/root.XXXXXX")
trap 'rm -rf "$R"' EXIT
mkdir -p "$R/bin" "$R/proc" "$R/sys" "$R/dev" "$R/tmp"
cp "$BB" "$R/bin/busybox"
for a in $("$BB" --list); do [ "$a" = busybox ] || ln -s busybox "$R/bin/$a"; done
install -m 755 bench/linux/init "$R/init"
mknod -m 600 "$R/dev/console" c 5 1 2>/dev/null || true
(cd "$R" && find . -mindepth 1 | LC_ALL=C sort | "$BB" cpio -o -H newc -R 0:0 2>/dev/null) |
    gzip -9 >"$OUT/initrd.gz.tmp"
mv "$OUT/initrd.gz.tmp" "$OUT/initrd.gz"
echo "mkpeer: $OUT/vmlinux.gz $(wc -c <"$OUT/vmlinux.gz") bytes, $OUT/initrd.gz $(wc -c <"$OUT/initrd.gz") bytes"
