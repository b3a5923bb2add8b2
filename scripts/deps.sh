#!/bin/sh
# Install what minipv's build and tests need (Debian 12), and fetch the Xen
# hypervisor into build/deps with apt-get download + dpkg -x: never installed on the host.
set -eu
cd "$(dirname "$0")/.."
DEPS=build/deps
PKGS="gcc make binutils libc6-dev libxen-dev qemu-system-x86 perl clang libclang-rt-14-dev gnuplot-nox cpio xz-utils gdb"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "deps: missing packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
        exit 1
    fi
    echo "deps: installing$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

XEN="$DEPS/xen-4.17"
if [ ! -f "$XEN" ]; then
    mkdir -p "$DEPS/dl"
    # apt-get download needs package lists; a fresh machine may have none yet.
    (cd "$DEPS/dl" && { ls xen-hypervisor-4.17-amd64_*.deb >/dev/null 2>&1 ||
        apt-get download xen-hypervisor-4.17-amd64 >/dev/null 2>&1 ||
        { apt-get update -qq && apt-get download xen-hypervisor-4.17-amd64; }; } 2>&1 |
        grep -v "^W: Download is performed unsandboxed" || true)
    deb=$(ls "$DEPS"/dl/xen-hypervisor-4.17-amd64_*.deb 2>/dev/null | head -n 1)
    [ -n "$deb" ] || { echo "deps: could not download xen-hypervisor-4.17-amd64" >&2; exit 1; }
    rm -rf "$DEPS/xen-root"
    dpkg -x "$deb" "$DEPS/xen-root"
    # QEMU's multiboot loader wants the hypervisor uncompressed.
    gunzip -c "$DEPS"/xen-root/boot/xen-4.17-amd64.gz > "$XEN.tmp"
    mv "$XEN.tmp" "$XEN"
    echo "deps: Xen hypervisor at $XEN ($(basename "$deb"))"
fi
