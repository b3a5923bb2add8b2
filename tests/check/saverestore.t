#!/bin/sh
# saverestore: xl save, xl save -c and xl restore of minipv under the real
# toolstack (scripts/xl/scenarios/saverestore.sh: 1, 40 of 48 and 4 of 8
# vCPUs; 10 cold migrations in a row with the whole-machine check after
# each; saves under hotplug load, with vCPU 0 offline, two at once, a
# hand-written suspend; kexec after the restores; a crash on vCPU 3 after a
# migration, whose vmcore gdb reads here).  One dom0 boot, about 4 minutes.
. "$(dirname "$0")/lib.sh"

run_scenario saverestore 900 config/xl-service.cfg config/xl-save1.cfg config/xl-save40.cfg
# The crash kernel's vmcore came out on the console after the last migration.
vmcore_gdb "after a migration" "$LOG" "$LOGS/xl-saverestore.core" 8 4

done_testing
