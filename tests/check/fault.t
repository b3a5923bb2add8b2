#!/bin/sh
# A deliberate fault gives a register dump, a symbolised backtrace and SHUTDOWN_crash;
# a write into the kernel's text and a call into its data are such faults
# (kdump=off: with kdump on the crash goes to the crash kernel, kdump.t's subject).
. "$(dirname "$0")/lib.sh"

check_fault() {    # KIND VECTOR NAME
    boot fault-$1 2 test=fault fault=$1 kdump=off
    expect_outcome "fault=$1" 4
    expect_line "fault=$1: trap line names vector and cpu" "FATAL TRAP: vector $2 \($3.*\), error 0x[0-9a-f]+, cpu 0 \(vcpu 0\)"
    expect_line "fault=$1: RIP symbolised in fault_trigger" 'RIP: ffffffff[0-9a-f]{8} <fault_trigger\+0x[0-9a-f]+>'
    expect_line "fault=$1: register dump" 'RAX: [0-9a-f]{16} RBX: [0-9a-f]{16} RCX: [0-9a-f]{16}'
    expect_line "fault=$1: register dump R13-R15" 'R13: [0-9a-f]{16} R14: [0-9a-f]{16} R15: [0-9a-f]{16}'
    expect_line "fault=$1: backtrace reaches the suite" '\[<ret\??>\] ffffffff[0-9a-f]{8} <fault_suite\+0x[0-9a-f]+>'
    expect_line "fault=$1: backtrace reaches kernel_start" '\[<ret>\] ffffffff[0-9a-f]{8} <(run_suite|kernel_start)\+0x[0-9a-f]+>'
    expect_line "fault=$1: Xen saw SHUTDOWN_crash" 'Hardware Dom0 crashed'
    expect_no_line "fault=$1: no result line after a crash" '^Test result: '
    expect_no_line "fault=$1: execution did not continue" 'fault raised'
}

check_fault pf 14 '#PF page fault'
expect_line "fault=pf: CR2 from vcpu_info, write to not-present page" \
    'CR2: 000000000dead000 \(not-present write in kernel mode'
check_fault de 0 '#DE divide error'
check_fault ud 6 '#UD invalid opcode'

# The kernel's text is read-only and everything else no-execute (issue 19 item 11): a write
# into text and a call into data each end in a named fatal trap, not in changed code.
boot fault-text 2 test=fault fault=text kdump=off
expect_outcome "fault=text" 4
expect_line "fault=text: a #PF on cpu 0" 'FATAL TRAP: vector 14 \(#PF page fault\), error 0x[0-9a-f]+, cpu 0 \(vcpu 0\)'
expect_line "fault=text: RIP symbolised in fault_trigger" 'RIP: ffffffff[0-9a-f]{8} <fault_trigger\+0x[0-9a-f]+>'
expect_line "fault=text: named: a write into read-only text" \
    'CR2: ffffffff[0-9a-f]{8} \(protection violation write in kernel mode; L1 entry [0-9a-f]+; kernel text: read-only\)'
expect_line "fault=text: Xen saw SHUTDOWN_crash" 'Hardware Dom0 crashed'
expect_no_line "fault=text: execution did not continue" 'fault raised'
boot fault-nx 2 test=fault fault=nx kdump=off
expect_outcome "fault=nx" 4
expect_line "fault=nx: a #PF on cpu 0" 'FATAL TRAP: vector 14 \(#PF page fault\), error 0x[0-9a-f]+, cpu 0 \(vcpu 0\)'
expect_line "fault=nx: named: an instruction fetch from no-execute data" \
    'CR2: ffffffff[0-9a-f]{8} \(protection violation instruction fetch in kernel mode; L1 entry 8[0-9a-f]{15}; kernel data: no-execute\)'
rip=$(sed -n 's/.*RIP: \(ffffffff[0-9a-f]\{8\}\).*/\1/p' "$LOG" | head -n 1)
cr2=$(sed -n 's/.*CR2: \(ffffffff[0-9a-f]\{8\}\) .*/\1/p' "$LOG" | head -n 1)
[ -n "$rip" ] && [ "$rip" = "$cr2" ]
ok $? "fault=nx: it faulted on the fetch itself (RIP = CR2)" "RIP '$rip' CR2 '$cr2'"
expect_line "fault=nx: backtrace reaches the suite" '\[<ret\??>\] ffffffff[0-9a-f]{8} <fault_(trigger|suite)\+0x[0-9a-f]+>'
expect_line "fault=nx: Xen saw SHUTDOWN_crash" 'Hardware Dom0 crashed'
expect_no_line "fault=nx: execution did not continue" 'fault raised'

# Emergency lines print whatever loglevel= says (issue 12, defect 4): the whole dump at loglevel=0.
boot fault-quiet 2 loglevel=0 test=fault fault=de kdump=off
expect_outcome "loglevel=0 fault=de" 4
expect_line "loglevel=0: trap line still printed" 'FATAL TRAP: vector 0 \(#DE divide error\)'
expect_line "loglevel=0: registers still printed" 'RAX: [0-9a-f]{16} RBX: [0-9a-f]{16} RCX: [0-9a-f]{16}'
expect_line "loglevel=0: backtrace still printed" '\[<ret\??>\] ffffffff[0-9a-f]{8} <fault_suite\+0x[0-9a-f]+>'
expect_no_line "loglevel=0: info lines stay quiet" 'smp: [0-9]+ of [0-9]+ vCPUs online'

# The default, kdump on (issue 19 item 3): the crash kernel dumps once, the fresh
# kernel after it faults the same way at the same RIP before it is ready: a crash
# loop, named, no second dump, SHUTDOWN_crash (it made 10 dumps until kdump_max=).
boot fault-loop 4 test=fault fault=pf
expect_outcome "kdump on, fault=pf: a crash loop ends the domain" 4
expect_count "kdump on: one crash kernel, one dump" 'kdump: crash kernel on vcpu' 1
expect_line "kdump on: the loop named, with the reason and the RIP" \
    'kdump: crash loop: generation 2 crashed as its generation 0 did before the dump \(fatal trap: vector 14 \(#PF page fault\) in fault_trigger, RIP 0xffffffff[0-9a-f]{8} <fault_trigger\+0x[0-9a-f]+>\), [0-9]+ ms after its start: no second dump: SHUTDOWN_crash'
expect_line "kdump on: Xen saw SHUTDOWN_crash" 'Hardware Dom0 crashed'
expect_count "kdump on: no result line" '^Test result: ' 0

done_testing
