#!/bin/sh
# kexec inside a PV guest (dom0 here; the xl path is in xl.t): jump into a new
# minipv from any vCPU, every vCPU comes back under it, the whole machine
# checks out in every generation; bad input is named and changes nothing.
. "$(dirname "$0")/lib.sh"

# The README's crashkernel=auto table (issue 19 item 5), "| VCPUS | S MiB |": its rows, and one's size.
readme_rows() { sed -n 's/^| \([0-9][0-9]*\) | [0-9][0-9]* MiB |$/\1/p' README.md; }
readme_region() { sed -n "s/^| $1 | \\([0-9][0-9]*\\) MiB |\$/\\1/p" README.md; }
ROWS_SEEN=" "
# region_as_readme NAME VCPUS: the region this boot took is the README's row for VCPUS, if it has one.
region_as_readme() {
    want=$(readme_region "$2")
    [ -n "$want" ] || return 0
    got=$(sed -n 's/.*kexec: region pfn 0x[0-9a-f]*-0x[0-9a-f]* (\([0-9]*\) MiB).*/\1/p' "$LOG" | head -n 1)
    [ "$got" = "$want" ]
    ok $? "kexec $1: crashkernel=auto took the README's $want MiB at $2 vCPUs" "it took ${got:-nothing} MiB"
    case "$ROWS_SEEN" in *" $2 "*) ;; *) ROWS_SEEN="$ROWS_SEEN$2 " ;; esac
}

# kexec_ok NAME VCPUS JUMP_VCPU ARGS...: one jump from JUMP_VCPU; N of N back on it.
kexec_ok() {
    name=$1 n=$2 v=$3 kvcpus=$2     # n: expect_count reuses the name
    shift 3
    boot "kexec-$name" "$n" test=kexec kexec_vcpu="$v" "$@"
    expect_outcome "kexec $name" 0
    ktap "kexec $name"
    expect_line "kexec $name: armed at boot, one line" 'kexec: region pfn 0x[0-9a-f]+-0x[0-9a-f]+ \([0-9]+ MiB\), image self'
    expect_line "kexec $name: jumped from vcpu $v" "kexec: jump from cpu [0-9]+ \\(vcpu $v\\) into generation 1"
    expect_line "kexec $name: generation 1 on vcpu $v, all back" \
        "kexec: generation 1 on vcpu $v: ([0-9]+) of \\1 vCPUs back online in [0-9]+ us"
    expect_count "kexec $name: one result line" '^Test result: ' 1
    case " $* " in *" crashkernel="*) ;; *) region_as_readme "$name" "$kvcpus" ;; esac
}

kexec_ok 1-from-0 1 0
kexec_ok 2-from-1 2 1
kexec_ok 8-from-0 8 0
kexec_ok 8-from-last 8 7
kexec_ok 33-from-32 33 32
kexec_ok 64-from-1 64 1
kexec_ok 64-from-63 64 63
expect_line "kexec 64-from-63: 64 of 64" 'kexec: generation 1 on vcpu 63: 64 of 64 vCPUs back online'
# 255 from the last: the stacks the new kernel hands the cpus coming over are
# counted once in its memory check (counted twice, the region fell 2 MiB short).
kexec_ok 255-from-254 255 254
expect_line "kexec 255-from-254: 255 of 255" 'kexec: generation 1 on vcpu 254: 255 of 255 vCPUs back online'
expect_no_line "kexec 255-from-254: the new kernel's memory suffices" 'too little for 255 cpus'

# cpu_order on both sides of the jump (the new kernel reads the same command line).
kexec_ok 8-reverse 8 5 cpu_order=reverse
expect_line "kexec 8-reverse: new kernel numbers the APs in reverse" 'topology:   1    7    7 '
kexec_ok 8-interleave 8 2 cpu_order=interleave
expect_line "kexec 8-interleave: new kernel's cpu 1 is the lowest other vcpu" 'topology:   1    0    0 '

# cpu 0 offline and back right before the jump; two vCPUs offline across it.
kexec_ok cpu0-drill 4 2 kexec_drill=cpu0
expect_line "kexec cpu0-drill: cpu 0 went down and came back first" 'kexec: drill cpu0: down 0, up 0'
kexec_ok offline2 8 3 kexec_drill=offline2
expect_count "kexec offline2: two stay offline under the new kernel" 'was offline at the jump: stays offline \(OFFLINE\)' 2
expect_line "kexec offline2: 6 of 6 online at the jump are back" 'generation 1 on vcpu 3: 6 of 6 vCPUs back online'
expect_line "kexec offline2: then both come up" 'vCPUs offline at the jump stay offline and come up later: ok -- 2 offline at the jump, 2 stayed offline, 2 came up after'
# NMIs sent to offline vCPUs (issue 19 items 1 and 2), nmi=kdump: the one brought up at
# once ignores it and says so; the one offline across the jump takes it in the old kernel,
# which must not crash over the new one; the new kernel says it came over carrying it.
kexec_ok nmi-offline 4 1 kexec_drill=nmi_offline nmi=kdump
expect_line "kexec nmi-offline: both offline, both NMIs sent" 'kexec: drill nmi_offline: cpu 2 \(vcpu 2\) offline: 0, NMI sent: 0'
expect_line "kexec nmi-offline: taken at bring-up, ignored, said" 'cpu 3 \(vcpu 3\): NMI received while offline, taken at bring-up: ignored'
expect_line "kexec nmi-offline: the new kernel says vCPU 2 came over carrying it" \
    'kexec: cpu 2 \(vcpu 2\) came over carrying 1 NMI\(s\), sent to it before the jump and taken in the old kernel: ignored'
expect_no_line "kexec nmi-offline: no crash" 'kdump: crash on|NMI received on cpu [0-9]+ \(vcpu [0-9]+\): nmi=kdump'
expect_count "kexec nmi-offline: one jump into generation 1" 'kexec: jump from cpu [0-9]+ \(vcpu [0-9]+\) into generation 1' 1

# 20 generations in one boot, each jump from another vCPU; pages do not leak.
boot kexec-20gens 8 test=kexec kexec_vcpu=1 gens=20
expect_outcome "kexec 20 generations" 0
ktap "kexec 20 generations"
expect_count "kexec 20 generations: 20 jumps, all 8 back each time" \
    'kexec: generation [0-9]+ on vcpu [0-7]: 8 of 8 vCPUs back online' 20
prev="" same=0
for v in $(sed -n 's/.*kexec: jump from cpu [0-9]* (vcpu \([0-9]*\)) into generation.*/\1/p' "$LOG"); do
    [ "$v" = "$prev" ] && same=$((same + 1))
    prev=$v
done
ok $same "kexec 20 generations: no two jumps in a row from the same vCPU" "$same repeats"
expect_count "kexec 20 generations: every check of every generation passed" 'kexec-check: generation [0-9]+: .*: ok' 160
expect_line "kexec 20 generations: free pages within 16 of generation 1" 'ok [0-9]+ free pages within the bound of generation 1'
expect_line "kexec 20 generations: a second kexec meanwhile is refused" 'kexec: a jump is already under way: refused'

rows=$(readme_rows | tr '\n' ' ')
missing=""
for r in $rows; do case "$ROWS_SEEN" in *" $r "*) ;; *) missing="$missing $r" ;; esac; done
[ -n "$rows" ] && [ -z "$missing" ]
ok $? "every row of the README's crashkernel=auto table was checked by a boot" \
    "rows '${rows}', not booted:${missing:- (no table found)}"

# A boot module is the image: a minipv is taken; garbage, a minipv without the
# handoff note, or one speaking another handoff version, is named and kexec is off.
mkdir -p build/kexec-images
boot_mod() {    # NAME MODULE ARGS...
    name=$1 mod=$2
    shift 2
    LOG=$LOGS/$name.log
    sh scripts/run-dom0.sh --vcpus 2 --module "$mod" --timeout "${BOOT_TIMEOUT:-240}" --log "$LOG" -- "$@" \
        >/dev/null 2>&1
    OUTCOME=$?
}
boot_mod kexec-module build/minipv.stripped test=kexec kexec_vcpu=1
expect_outcome "kexec module" 0
expect_line "kexec module: the module is the image" 'kexec: region .* image module \([0-9]+ KiB'
expect_line "kexec module: jumped into it" 'kexec: generation 1 on vcpu 1: 2 of 2 vCPUs back online'
head -c 8192 /dev/urandom >build/kexec-images/garbage
printf '\177ELF' | dd of=build/kexec-images/garbage conv=notrunc 2>/dev/null
# minipv's note (arch/x86/head.S): namesz 7, descsz 4, type 1, "minipv\0" padded, version 1.
note='\x07\x00\x00\x00\x04\x00\x00\x00\x01\x00\x00\x00minipv\x00\x00'
perl -0777 -pe "s/${note}\\x01/\\x07\\x00\\x00\\x00\\x04\\x00\\x00\\x00\\x01\\x00\\x00\\x00minipw\\x00\\x00\\x01/" \
    build/minipv.stripped >build/kexec-images/no-note
perl -0777 -pe "s/(${note})\\x01/\${1}\\x02/" build/minipv.stripped >build/kexec-images/v2.elf
for c in "garbage|image: class [0-9]+ data [0-9]+, want ELF64|not ELF" \
         "no-note|no minipv handoff note" "v2.elf|speaks handoff version 2, this kernel 1"; do
    f=${c%%|*} re=${c#*|}
    boot_mod "kexec-bad-$f" "build/kexec-images/$f" test=boot
    expect_outcome "kexec bad module $f: boots anyway" 0
    expect_line "kexec bad module $f: named, kexec off" "kexec: off: boot module refused: .*($re)"
done

# crashkernel=: off, too small, too large, malformed -- one line each, kexec off, the boot goes on.
for c in "0|kexec: off \\(crashkernel=0\\)" "1|crashkernel=1 MiB is too small: [0-9]+ MiB needed for 2 vCPUs" \
         "200|a 200 MiB region is too large for a 256 MiB domain"; do
    v=${c%%|*} re=${c#*|}
    boot "kexec-ck-$v" 2 test=boot crashkernel="$v"
    expect_outcome "crashkernel=$v: boots" 0
    expect_line "crashkernel=$v: named" "$re"
    expect_no_line "crashkernel=$v: not armed" 'kexec: region pfn'
done
# crashkernel= as Linux admins write it (issue 19 item 4): a size with a suffix is taken, and
# kexec works from it; a bad value (12x was "not a size": kexec off) is named and auto kept.
kexec_ok ck16M 2 1 crashkernel=16M
expect_line "crashkernel=16M: a 16 MiB region" 'kexec: region pfn 0x[0-9a-f]+-0x[0-9a-f]+ \(16 MiB\), image self'
boot kexec-ck-bad 2 test=boot crashkernel=12x crashkernel=-1 crashkernel=banana
expect_outcome "crashkernel= bad values: boots" 0
for v in 12x -1 banana; do
    expect_line "crashkernel=$v: named with what it takes" \
        "cmdline: bad value '$v' for crashkernel= \\(expected auto\\|0\\.\\.1T; suffix K, M, G or T; no suffix: M\\); ignored"
done
expect_line "crashkernel= bad values: auto kept, armed" 'kexec: region pfn 0x[0-9a-f]+-0x[0-9a-f]+ \([0-9]+ MiB\), image self'
boot kexec-notarmed 2 test=kexec kexec_vcpu=1 crashkernel=0
expect_outcome "kexec without a region: ERROR, no jump" 2
expect_line "kexec without a region: says so" 'test: kexec: not armed'

# kexec_vcpu= beyond the vCPUs; gens= out of range.
boot kexec-badvcpu 4 test=kexec kexec_vcpu=9
expect_outcome "kexec_vcpu=9 on 4 vCPUs: ERROR, no jump" 2
expect_line "kexec_vcpu=9: named" 'kexec: kexec_vcpu=9: not an online vCPU of this kernel \(the domain has 4 vCPUs'
expect_no_line "kexec_vcpu=9: no jump" 'kexec: jump from'
for g in 0 101; do
    boot kexec-gens-$g 2 test=boot gens=$g
    expect_line "gens=$g: refused with its range" "cmdline: bad value '$g' for gens= \\(expected 1\\.\\.100\\); ignored"
done

done_testing
