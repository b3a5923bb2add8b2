#!/bin/sh
# /init of the dom0 initramfs (busybox sh, PID 1).  Brings up the minimum a
# toolstack needs (xenfs, xenstored, xen-init-dom0, xenconsoled), runs
# /scenario.sh, prints XL-SCENARIO-EXIT=<n> and powers the whole box off.
# Every wait is bounded: nothing here may hang QEMU until the host timeout.

export PATH=/usr/lib/xen-4.17/bin:/usr/sbin:/usr/bin:/sbin:/bin
# No ld.so.cache in the initramfs: tell ld.so where Debian's libs live.
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu
export HOME=/root TERM=dumb

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
# In case the kernel could not open /dev/console before devtmpfs existed.
[ -t 1 ] || exec </dev/console >/dev/console 2>&1

up() { cut -d' ' -f1 /proc/uptime; }
say() { echo "xl-init: $*"; }
die() {
    say "FATAL: $*"
    echo "XL-SCENARIO-EXIT=99"
    poweroff_now
}
poweroff_now() {
    sync
    echo o >/proc/sysrq-trigger
    sleep 30
    # Should not get here; returning from PID 1 panics (panic=-1 reboots, and
    # QEMU's -no-reboot turns that into an exit).
    exit 1
}

# xenconsole takes a lock in /var/lock (-> /run/lock): without the directory
# `xl create -c` / `xl console` hang.
mkdir -p /run/lock /run/xen /run/xenstored /run/xenconsole /var/lib/xen \
         /var/log/xen /var/lib/xen/dump

# shellcheck source=/dev/null
[ -f /guest/env ] && . /guest/env
: "${XL_SCENARIO_TIMEOUT:=120}"

say "dom0 up at $(up)s"

# privcmd before xenfs (xenfs uses privcmd's symbols).
for m in xen-evtchn xen-privcmd xenfs xen-gntdev xen-gntalloc; do
    insmod /lib/modules/xen/$m.ko || die "insmod $m failed"
done
mount -t xenfs xenfs /proc/xen || die "mount xenfs failed"
# run-xl.sh --disk: QEMU's virtio disks (/dev/vda, vdb, ...: host files) and
# blkback to serve them to a domU; blkback must be there before `xl create`,
# or the vbd never reaches InitWait and xl gives up after 10 s.
if [ -n "${XL_DISKS:-}" ]; then
    for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci \
             virtio_blk xen-blkback; do
        insmod /lib/modules/blk/$m.ko || die "insmod $m failed"
    done
    i=0
    until [ "$(ls -d /sys/block/vd* 2>/dev/null | wc -l)" -ge "$XL_DISKS" ]; do
        i=$((i + 1))
        [ $i -le 100 ] || die "fewer than $XL_DISKS virtio disks 10s after virtio_blk"
        sleep 0.1
    done
    for d in /sys/block/vd*; do say "dump disk /dev/${d##*/}: $(cat "$d/size") sectors"; done
fi

# C xenstored; its tdb goes under /run (no /var/lib/xenstored on ramfs).
export XENSTORED_ROOTDIR=/run/xenstored
xenstored --pid-file=/run/xenstored.pid || die "xenstored failed to start"
i=0
until xenstore-exists / 2>/dev/null; do
    i=$((i + 1))
    [ $i -le 100 ] || die "xenstored not answering after 10s"
    sleep 0.1
done

timeout 30 xen-init-dom0 || die "xen-init-dom0 failed"

# --log=guest writes each guest's console to /run/xenconsole/guest-<name>.log,
# which is what scenarios grep (more robust than scraping `xl console`).
xenconsoled --pid-file=/run/xenconsoled.pid --log=guest \
    --log-dir=/run/xenconsole || die "xenconsoled failed to start"

[ -f /scenario.sh ] || die "no /scenario.sh in the initramfs"
echo "XL-DOM0-READY uptime=$(up)"
timeout "$XL_SCENARIO_TIMEOUT" sh /scenario.sh
rc=$?
if [ $rc -eq 143 ]; then
    say "scenario killed after ${XL_SCENARIO_TIMEOUT}s; still running:"
    ps -o pid,stat,time,args 2>/dev/null | sed 's/^/xl-init:   /'
fi
# A user-space fault in dom0 makes every result suspect: show each one the
# kernel logged (loglevel=4 keeps them off the console).
dmesg | grep -E 'segfault at|traps:|general protection|invalid opcode' |
    sed 's/^/xl-init: dom0 fault: /'
echo "XL-SCENARIO-EXIT=$rc uptime=$(up)"
poweroff_now
