#!/bin/sh
# Synthetic topology under Xen: the seed case, SDM gaps, requests that do not fit.
. "$(dirname "$0")/lib.sh"

apic_list() {   # the APIC ids of the report table, in vcpu order
    sed -n 's/.*topology: *[0-9]\{1,\} \{1,\}\([0-9]\{1,\}\) \{1,\}\([0-9]\{1,\}\) .*/\1 \2/p' "$LOG" |
        sort -n | awk '{ printf "%s%s", sep, $2; sep = " " } END { print "" }'
}

boot topo-6 6 test=topo topology=1s3c2t
expect_outcome "1s3c2t on 6" 0
ktap "1s3c2t on 6"
expect_line "1s3c2t: threads per core 2, cores per package 3, 6 CPUs" \
    'topology: threads per core 2, cores per package 3, 6 CPUs'
expect_line "1s3c2t: all 6 online" 'smp: 6 of 6 vCPUs online'
got=$(apic_list)
[ "$got" = "0 1 2 3 4 5" ]; ok $? "1s3c2t: APIC IDs 0-5" "got '$got'"
# A first boot from Xen never takes itself for a crash or kexec kernel (Linux 6.9's misfire).
expect_no_line "1s3c2t: no crash-kernel heuristic" 'kdump: crash kernel on|booting \(kexec\)|Limiting to one CPU'

boot topo-12 12 test=topo topology=2s3c2t
expect_outcome "2s3c2t on 12" 0
ktap "2s3c2t on 12"
got=$(apic_list)
[ "$got" = "0 1 2 3 4 5 8 9 10 11 12 13" ]
ok $? "2s3c2t: APIC IDs leave the SDM gap (6, 7)" "got '$got'"
expect_line "2s3c2t: leaf 0xb shifts" 'topology: leaf 0xb: SMT shift 1 CORE shift 3'

# The same vCPUs get the same APIC IDs whatever their logical numbers.
boot topo-12-interleave 12 test=topo topology=2s3c2t cpu_order=interleave
expect_outcome "2s3c2t interleave" 0
ktap "2s3c2t interleave"
got=$(apic_list)
[ "$got" = "0 1 2 3 4 5 8 9 10 11 12 13" ]
ok $? "interleave: APIC IDs follow the vCPU, not the logical number" "got '$got'"

boot topo-misfit 6 test=topo topology=2s2c1t
expect_outcome "2s2c1t on 6 vCPUs" 0
ktap "2s2c1t on 6 vCPUs"
expect_line "misfit: warning names both numbers" \
    'topology: cmdline 2s2c1t gives 4 CPU slots but there are 6 vCPUs; using'
expect_line "misfit: all 6 vCPUs online" 'smp: 6 of 6 vCPUs online'

boot topo-garbage 4 test=topo topology=2sx3c
expect_outcome "garbage topology=" 0
expect_line "garbage: message quotes the input" "topology: bad value 'x3' .*'2sx3c'"
expect_line "garbage: all 4 online" 'smp: 4 of 4 vCPUs online'

boot topo-10 10 test=topo topology=cores=10
expect_outcome "10 cores" 0
ktap "10 cores"
got=$(apic_list)
[ "$got" = "0 1 2 3 4 5 6 7 8 9" ]; ok $? "10 cores: APIC IDs 0-9" "got '$got'"

done_testing
