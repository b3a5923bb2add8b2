# The cases of tests/check/xl-lib.t (run by it, in a shell of its own): the
# console-log waits of scripts/xl/scenarios/lib.sh against a log file this
# script writes, in pieces, as xenconsoled would.  Prints one
# "case ok|not-ok NAME -- DETAIL" line per case.  $1: a scratch directory.
# shellcheck source=scripts/xl/scenarios/lib.sh
. scripts/xl/scenarios/lib.sh
D=$1
console_log() { echo "$D/guest-$1.log"; }
F=$D/guest-g.log
is() { if [ "$1" = "$2" ]; then echo "case ok $3 -- $1"; else echo "case not-ok $3 -- got $1, want $2"; fi; }

printf 'a\nservice: ready\nb\n' >"$F"
m=$(mark g)
is "$m" 3 "mark counts the lines so far"
wait_after g "$m" 1 "service: ready"
is $? 4 "a line before the mark is not seen (timeout)"
wait_after g 1 1 "service: ready"
is $? 0 "a line after the mark is seen"

# a line written in two pieces: the first look sees half of it
( sleep 0.3; printf 'cpus: onl' >>"$F"; sleep 0.3; printf 'ine 4 [0 1 2 3]\n' >>"$F" ) &
wait_after g "$m" 5 "cpus: online 4 [0 1 2 3]"
is $? 0 "a line written in two pieces is found whole"
wait

# megabytes before the line, in many writes (a vmcore stream)
m=$(mark g)
( sleep 0.2; i=0
  while [ $i -lt 30 ]; do head -c 300000 /dev/zero | tr '\0' 'x' | fold -w 100 >>"$F"; i=$((i + 1)); done
  echo "kexec: generation 2 on vcpu 3" >>"$F" ) &
wait_after g "$m" 60 "kexec: generation 2 on vcpu" "kdump: a second crash"
is $? 0 "a line after 9 MB of stream is found"
wait

m=$(mark g)
echo "kdump: a second crash" >>"$F"
wait_after g "$m" 2 "service: ready" "kdump: a second crash"
is $? 1 "the FAIL string ends the wait with 1"
m=$(mark g)
printf 'kdump: a second crash\nservice: ready\n' >>"$F"
wait_after g "$m" 2 "service: ready" "kdump: a second crash"
is $? 0 "OK and FAIL in one look: OK wins (as before)"

# a line longer than one look's chunk
m=$(mark g)
LOG_CHUNK=1000
{ head -c 5000 /dev/zero | tr '\0' 'y'; echo " END-OF-LONG"; } >>"$F"
wait_after g "$m" 2 "END-OF-LONG"
is $? 0 "a line longer than a chunk is read"
LOG_CHUNK=1048576

# strings are fixed, not patterns
m=$(mark g)
echo "cpus: online 4 [0 1 2 3] (boot)" >>"$F"
wait_after g "$m" 1 "online 4 [0-3]"
is $? 4 "brackets are not a pattern"

# wait_console: the log appears late; a domain that shut down
dom_state() { echo "-b----"; }
( sleep 0.5; echo "Test result: SUCCESS" >"$D/guest-h.log" ) &
wait_console 1 h "Test result: SUCCESS" "Test result: FAIL" 5
is $? 0 "wait_console: a log that appears late"
wait
dom_state() { echo "--ps--"; }
echo "nothing" >"$D/guest-k.log"
wait_console 1 k "Test result: SUCCESS" "" 5
is $? 3 "wait_console: the domain shut down without the line"
