/*
 * Hypercalls to the microhypervisor: VMMCALL on AMD, VMCALL on Intel (picked from the CPUID
 * vendor). EAX = function, arguments in EBX, ECX, EDX; result in EAX (>= 0 success, negative
 * errno). The numbers are written out here rather than taken from the hypervisor's headers, so
 * a change on either side shows up as a failed check instead of silently moving both.
 */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#include "types.h"

#define HC_VERSION 0       /* -> EAX = (major << 16) | minor, EBX = HC_MAGIC */
#define HC_CONSOLE_WRITE 1 /* EBX = guest-physical string, ECX = length 1..HC_CONSOLE_MAX */
#define HC_HV_RANGE 2      /* -> EBX/ECX = low 32 bits of base/end (exclusive), EDX = high of base */
#define HC_EXIT_COUNT 3    /* -> EBX/ECX = low/high 32 bits of this vCPU's exits, this call included */
#define HC_EXIT_STATS 4    /* the hypervisor prints this vCPU's exits by reason */
#define HC_SELF_CHECK 5    /* -> 0 when the hypervisor's code and read-only data are as at boot */
#define HC_EXIT_TABLE 6    /* the hypervisor prints every vCPU's exit statistics table */

#define HC_API_MAJOR 1
#define HC_MAGIC 0x6876486d /* "mHvh" */
#define HC_CONSOLE_MAX 256

#define HC_E_INVAL (-1)
#define HC_E_FAULT (-4)
#define HC_E_NOSUPP (-6)

/* EAX..EDX after the call; fault is the vector when the instruction itself faulted, else NO_FAULT. */
struct hc_regs {
	int32_t eax;
	uint32_t ebx, ecx, edx;
	int fault;
};

/* Returns EAX as a signed number; when the instruction faulted, HC_FAULTED (and regs->fault). */
#define HC_FAULTED INT32_MIN
int32_t hypercall(uint32_t fn, uint32_t ebx, uint32_t ecx, uint32_t edx, struct hc_regs *regs);

/* The mnemonic used for this CPU: "vmmcall" or "vmcall". */
const char *hypercall_insn(void);

/* HC_VERSION answered with the magic: the hypervisor is there and still serving. */
bool hypervisor_alive(void);
/* CPUID's hypervisor bit and this hypervisor's signature ("MicroHVisor ") at leaf 0x40000000. */
bool hv_signature_present(void);

/* HC_VERSION answered and HC_SELF_CHECK returned 0: the hypervisor serves and is unchanged. */
bool hypervisor_intact(void);

/* HC_HV_RANGE: false when the call fails or the range is empty. */
bool hv_range(uint64_t *base, uint64_t *end);

#endif
