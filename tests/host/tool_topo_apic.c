/* SPDX-License-Identifier: MIT */
/*
 * Host-side computation of the layout minipv picks (kernel/cpu/topology.c
 * does the same with the same pure code, kernel/lib/topo_layout.c), for
 * scripts/matrix to check the guest's report against.
 *
 *   tool_topo_apic NR_VCPUS [TOPOLOGY [HINT_DIES HINT_CORES HINT_THREADS]]
 *
 * TOPOLOGY is the topology= value as minipv took it ("" or "-": none given
 * or refused); the hint is what the guest reported for the PV CPUID
 * ("topology: PV (forced emulation) CPUID: ... D dies, C cores, T threads"),
 * "-" if it reported none.  Prints
 *   layout NAME SOURCE
 *   vcpu V apic A            (for every vCPU the domain has)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../kernel/lib/topo_layout.c"
#include "../../kernel/lib/topo_parse.c"

static const char *const src_names[] = { "default", "cmdline", "CPUID", "adjusted" };

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s NR_VCPUS [TOPOLOGY [DIES CORES THREADS]]\n", argv[0]);
        return 2;
    }
    uint32_t nr = (uint32_t)strtoul(argv[1], NULL, 10);
    const char *topo = argc > 2 ? argv[2] : "";
    struct topo_request req = { 0 }, hint = { 0 };
    bool have_req = false, have_hint = false;
    char msg[256];

    if (*topo && strcmp(topo, "-"))
        have_req = !topo_parse(topo, &req, msg, sizeof(msg));
    if (!have_req && argc > 5 && strcmp(argv[3], "-")) {
        hint.dies = (uint32_t)strtoul(argv[3], NULL, 10);
        hint.cores = (uint32_t)strtoul(argv[4], NULL, 10);
        hint.threads = (uint32_t)strtoul(argv[5], NULL, 10);
        struct topo_layout l;
        /* Used only if it describes exactly the vCPU count, as the kernel does. */
        have_hint = !topo_fit(nr, NULL, &hint, &l, msg, sizeof(msg));
    }
    struct topo_layout l;
    topo_fit(nr, have_req ? &req : NULL, have_hint ? &hint : NULL, &l, msg, sizeof(msg));
    char name[48];
    topo_format(&l, name, sizeof(name));
    printf("layout %s %s\n", name, src_names[l.source]);
    for (uint32_t v = 0; v < l.nr_cpus; v++) {
        struct topo_ids ids;
        if (!topo_ids(&l, v, &ids))
            return 1;
        printf("vcpu %u apic %u\n", v, ids.apic_id);
    }
    return 0;
}
