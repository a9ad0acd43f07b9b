/*
 * The hypercall ABI (VMMCALL on AMD, VMCALL on Intel), for guests and tests:
 * EAX/RAX = function; arguments in RBX, RCX, RDX; result in RAX (>= 0 success, negative errno).
 *
 *   HC_VERSION        -> RAX = HV_API_VERSION ((major << 16) | minor), RBX = HV_HYPERCALL_MAGIC
 *   HC_CONSOLE_WRITE  RBX = guest-physical address, RCX = length (1..HC_CONSOLE_MAX)
 *                     -> prints "guest: <text>"; RAX = length, -E_INVAL, or -E_FAULT (not guest RAM)
 *   HC_HV_RANGE       -> RBX/RCX = low 32 bits of the hypervisor's physical base/end (exclusive),
 *                        RDX = high 32 bits of the base, RAX = 0 (for tests of the isolation)
 *   HC_EXIT_COUNT     -> RBX/RCX = low/high 32 bits of the calling vCPU's exits so far (this call
 *                        included), RAX = 0 (for the bench guest: exits per round trip)
 *   HC_EXIT_STATS     -> prints the calling vCPU's exit counters by reason ("exit-stats: ..."),
 *                        RAX = 0 (Linux's /init calls it before power-off)
 *   HC_SELF_CHECK     -> RAX = 0 when the hypervisor's code and read-only data still have the
 *                        checksum taken at boot, -E_RANGE when not (and a log line);
 *                        RBX/RCX = low/high 32 bits of the checksum now (vmm/selfcheck.c)
 *   HC_EXIT_TABLE     -> prints the exit statistics table of every vCPU, as the `e` debug key does
 *                        ("stats: cpu reason count avg-cycles max-cycles" rows), RAX = 0
 * Unknown functions return -E_NOSUPP.
 */
#ifndef HV_VMM_HYPERCALL_H
#define HV_VMM_HYPERCALL_H

#define HV_API_VERSION 0x00010000
#define HV_HYPERCALL_MAGIC 0x6876486D /* "mHvh" */
#define HV_CPUID_SIGNATURE "MicroHVisor " /* CPUID 0x40000000 EBX, ECX, EDX */

#define HC_VERSION 0
#define HC_CONSOLE_WRITE 1
#define HC_HV_RANGE 2
#define HC_EXIT_COUNT 3
#define HC_EXIT_STATS 4
#define HC_SELF_CHECK 5
#define HC_EXIT_TABLE 6
#define HC_CONSOLE_MAX 256

/*
 * Prints v's exit counters by reason on one line ("exit-stats: vcpuN total T, cpuid C, ..."): for
 * HC_EXIT_STATS, and for every vCPU when the guest powers the machine off (vmm/sleep.c).
 */
struct vcpu;
void vcpu_print_exit_stats(const struct vcpu *v);

#endif
