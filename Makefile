# SPDX-License-Identifier: MIT
# minipv: `make` builds build/minipv; `make run` boots it; `make check` runs every test.

CC      ?= gcc
BUILD   := build
CC_INC  := $(shell $(CC) -print-file-name=include)
XENINC  := $(BUILD)/xeninc

# The kernel: freestanding, top-2GiB code model, no red zone (traps use our stack),
# no SSE state to save, frame pointers for backtraces.
KCFLAGS := -std=gnu11 -O2 -g -ffreestanding -nostdinc -isystem $(CC_INC) \
           -mcmodel=kernel -mno-red-zone -mgeneral-regs-only -fno-pic -fno-pie \
           -fno-stack-protector -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-shrink-wrap \
           -fno-asynchronous-unwind-tables \
           -fno-builtin-printf \
           -Wall -Wextra -Werror -Wno-address-of-packed-member \
           -Iinclude -I$(XENINC) -D__XEN_INTERFACE_VERSION__=0x00040e00
KLDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments
LIBGCC  := $(shell $(CC) -print-libgcc-file-name)

KSRCS := $(wildcard arch/x86/*.S arch/x86/*.c xen/*.c kernel/*.c kernel/*/*.c tests/guest/*.c)
KOBJS := $(patsubst %,$(BUILD)/%.o,$(KSRCS))

.PHONY: all run check check-host deps clean bench bench-dump bench-quick bench-bringup fuzz xl-check torture matrix
all: $(BUILD)/minipv $(BUILD)/minipv.stripped

# Xen's public headers from libxen-dev, reached as <xen/...> without -I/usr/include.
$(XENINC)/xen:
	@test -f /usr/include/xen/xen.h || { echo "missing /usr/include/xen (apt-get install libxen-dev, or run: make deps)"; exit 1; }
	@mkdir -p $(XENINC)
	ln -sfn /usr/include/xen $@

$(BUILD)/%.c.o: %.c Makefile | $(XENINC)/xen
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/%.S.o: %.S Makefile | $(XENINC)/xen
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(KCFLAGS) -D__ASSEMBLY__ -MMD -MP -c $< -o $@

# Two links: the second adds the symbol table after all code, so no address moves.
$(BUILD)/ksyms0.S: scripts/mksyms.sh
	@mkdir -p $(BUILD)
	sh scripts/mksyms.sh > $@
$(BUILD)/minipv.stage1: $(KOBJS) $(BUILD)/ksyms0.S.o arch/x86/minipv.lds
	ld $(KLDFLAGS) -T arch/x86/minipv.lds -o $@ $(KOBJS) $(BUILD)/ksyms0.S.o $(LIBGCC)
$(BUILD)/ksyms.S: $(BUILD)/minipv.stage1 scripts/mksyms.sh
	sh scripts/mksyms.sh $< > $@
$(BUILD)/ksyms0.S.o $(BUILD)/ksyms.S.o: $(BUILD)/%.S.o: $(BUILD)/%.S
	$(CC) $(KCFLAGS) -c $< -o $@
$(BUILD)/minipv: $(KOBJS) $(BUILD)/ksyms.S.o arch/x86/minipv.lds
	ld $(KLDFLAGS) -T arch/x86/minipv.lds -o $@ $(KOBJS) $(BUILD)/ksyms.S.o $(LIBGCC)
	@nm -n $(BUILD)/minipv.stage1 | grep ' [tT] ' > $(BUILD)/syms1.txt
	@nm -n $@ | grep ' [tT] ' > $(BUILD)/syms2.txt
	@cmp -s $(BUILD)/syms1.txt $(BUILD)/syms2.txt || { echo "symbol table moved code"; exit 1; }
$(BUILD)/minipv.stripped: $(BUILD)/minipv
	strip -o $@ $<

-include $(shell find $(BUILD) -path $(BUILD)/deps -prune -o -name '*.d' -type f -print 2>/dev/null)

# ---- host unit tests (ASan + UBSan) ----
HOST_TESTS := $(patsubst tests/host/%.c,$(BUILD)/host/%,$(wildcard tests/host/test_*.c))
HOSTCFLAGS := -std=gnu11 -DMINIPV_HOST -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined \
              -fno-sanitize-recover=all -fno-omit-frame-pointer -Iinclude
$(BUILD)/host/%: tests/host/%.c $(wildcard kernel/*.c kernel/*/*.c xen/*.c include/*/*.h kernel/*/*.h scripts/*.c)
	@mkdir -p $(dir $@)
	$(CC) $(HOSTCFLAGS) $< -o $@

deps:
	sh scripts/deps.sh

run: deps all
	sh scripts/run-dom0.sh --vcpus 4 -- loglevel=7

# make check runs the prove files in two lanes (prove -j2: one per core of the
# 2-core development machine), the longest first so the lanes end together
# (times: README).  What tests share is built first, once: the xl bed's dom0
# image (scripts/xl/mkdom0.sh, also locked), the Linux peer, the host tools;
# so no two tests ever build a cache at the same time.  mttcg.t and scale.t
# run last, one at a time: each gives its two vCPUs a host core each, and
# scale.t's planted check needs both (beside another QEMU the host gave
# x0.98-1.4 of parallelism, so in CI 10 and 11 it was a SKIP, never judged).
CHECK_FIRST := xl host kdump matrix dumpdisk saverestore dumpdisk-drills kexec smp sched fault migrate
CHECK_ALONE := tests/check/mttcg.t tests/check/scale.t
CHECK_LANES := $(wildcard $(CHECK_FIRST:%=tests/check/%.t)) \
               $(filter-out $(CHECK_FIRST:%=tests/check/%.t) $(CHECK_ALONE),$(wildcard tests/check/*.t))
CHECK_JOBS ?= 2
check: deps all $(HOST_TESTS) $(BUILD)/host/tool_topo_apic
	sh bench/linux/mkpeer.sh >/dev/null || echo "make check: the Linux peer did not build (migrate.t says why)"
	@s0=$$(date +%s); \
	prove -v --timer -j$(CHECK_JOBS) $(CHECK_LANES); a=$$?; \
	prove -v --timer $(CHECK_ALONE); b=$$?; \
	echo "make check: $$(( $$(date +%s) - s0 )) s of prove, load average $$(cut -d' ' -f1-3 /proc/loadavg)"; \
	[ $$a -eq 0 ] && [ $$b -eq 0 ]

check-host: $(HOST_TESTS)
	prove -v tests/check/host.t

# The xl suite alone (Debian dom0 + xl in QEMU; scripts/xl/README.md).
xl-check: deps all
	prove -v tests/check/xl.t

# The full hotplug torture: 1000 random steps at 8 and 64 vCPUs, fresh seeds (README: times).
torture: deps all
	TORTURE_CYCLES=1000 TORTURE_RANDOM=1 prove -v tests/check/torture.t

# Every parser's fuzzer, 10^7 runs each (FUZZ_JOBS workers of FUZZ_RUNS/FUZZ_JOBS),
# niced; new inputs land in build/fuzz/TARGET/corpus (scripts/fuzz.sh TARGET --merge
# folds them into tests/fuzz/corpus_TARGET).
FUZZ_TARGETS := xenstore_wire service cmdline topology handoff vmcore_stream
fuzz:
	@jobs=$${FUZZ_JOBS:-2}; runs=$$(( $${FUZZ_RUNS:-10000000} / jobs )); \
	for t in $(FUZZ_TARGETS); do \
	    s0=$$(date +%s); \
	    nice -n 19 sh scripts/fuzz.sh $$t $$runs $$jobs || exit 1; \
	    echo "fuzz $$t: $$jobs x $$runs runs in $$(( $$(date +%s) - s0 )) s"; \
	done

# The randomized boot matrix, 200 boots (MATRIX_SEED=S to replay; prints its seed).
matrix: deps all
	sh scripts/matrix --boots $${MATRIX_BOOTS:-200} $${MATRIX_SEED:+--seed $$MATRIX_SEED}

# Benchmarks (never part of check): bench/README.md.  Their figures mean
# most on a machine that runs nothing else; bench/run reports the load.
bench: deps all
	bench/run
	bench/dumpdisk
# the vmcore's MB/s to the dump disk, the console and xl dump-core (about 10 minutes)
bench-dump: deps all
	bench/dumpdisk
bench-quick: deps all
	bench/run --quick
# minipv alone as dom0, 1 ... 255 vCPUs, flat and tree
bench-bringup: deps all
	bench/bringup

clean:
	rm -rf $(BUILD)
