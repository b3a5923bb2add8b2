#!/bin/sh
# Emit the kernel symbol table (sorted text symbols) as assembly for the second link.
# Usage: mksyms.sh [ELF]   (no ELF: an empty table for the first link)
set -eu
echo '    .section .ksyms, "a"'
echo '    .balign 8'
echo '    .globl ksym_table, ksym_count'
if [ $# -eq 0 ]; then
    echo 'ksym_table:'
    echo 'ksym_count: .quad 0'
    exit 0
fi
nm -n "$1" | awk '
    $2 ~ /^[tTwW]$/ && $3 !~ /^\./ { addr[n] = $1; name[n] = $3; n++ }
    END {
        print "ksym_table:"
        for (i = 0; i < n; i++) printf "    .quad 0x%s, .Lsym%d\n", addr[i], i
        printf "ksym_count: .quad %d\n", n
        for (i = 0; i < n; i++) printf ".Lsym%d: .asciz \"%s\"\n", i, name[i]
    }'
