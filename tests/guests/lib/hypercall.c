/* The hypercall instruction, chosen by vendor and protected by the exception table. */
#include "guest.h"
#include "hypercall.h"
#include "lib/string.h"
#include "trap.h"

const char *hypercall_insn(void)
{
	return cpu_vendor() == VENDOR_INTEL ? "vmcall" : "vmmcall";
}

/*
 * VMCALL is 0f 01 c1 (Intel SDM vol. 2), VMMCALL 0f 01 d9 (AMD APM vol. 3): one body, the
 * instruction spelled into it, since an asm string cannot be chosen at run time.
 */
#define DEFINE_HYPERCALL_INSN(name)                                                               \
	static int32_t name(struct hc_regs *r)                                                    \
	{                                                                                         \
		uint32_t a = (uint32_t)r->eax, b = r->ebx, c = r->ecx, d = r->edx;                \
                                                                                                  \
		trap_arm();                                                                       \
		asm volatile goto("1: " #name "\n\t" ASM_TRY("1b", "%l[fault]")                   \
				  : "+a"(a), "+b"(b), "+c"(c), "+d"(d)                            \
				  :                                                               \
				  : "memory"                                                      \
				  : fault);                                                       \
		r->eax = (int32_t)a;                                                              \
		r->ebx = b;                                                                       \
		r->ecx = c;                                                                       \
		r->edx = d;                                                                       \
		r->fault = NO_FAULT;                                                              \
		return r->eax;                                                                    \
	fault:                                                                                    \
		r->fault = last_trap.vector;                                                      \
		return HC_FAULTED;                                                                \
	}

DEFINE_HYPERCALL_INSN(vmcall)
DEFINE_HYPERCALL_INSN(vmmcall)

int32_t hypercall(uint32_t fn, uint32_t ebx, uint32_t ecx, uint32_t edx, struct hc_regs *regs)
{
	struct hc_regs local;
	struct hc_regs *r = regs ? regs : &local;

	r->eax = (int32_t)fn;
	r->ebx = ebx;
	r->ecx = ecx;
	r->edx = edx;
	return cpu_vendor() == VENDOR_INTEL ? vmcall(r) : vmmcall(r);
}

bool hv_signature_present(void)
{
	struct cpuid_regs r;
	char sig[13];

	if (!(cpuid(1).ecx & CPUID_1_ECX_HYPERVISOR))
		return false;
	r = cpuid(0x40000000);
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	sig[12] = '\0';
	return !strcmp(sig, "MicroHVisor ");
}

bool hypervisor_alive(void)
{
	struct hc_regs r;

	return hypercall(HC_VERSION, 0, 0, 0, &r) >= 0 && r.ebx == HC_MAGIC;
}

bool hypervisor_intact(void)
{
	struct hc_regs r;
	int32_t ret;

	if (!hypervisor_alive()) {
		printf("# HC_VERSION not answered\n");
		return false;
	}
	ret = hypercall(HC_SELF_CHECK, 0, 0, 0, &r);
	if (ret != 0)
		printf("# HC_SELF_CHECK returned %d (checksum %08x%08x)\n", ret, r.ecx, r.ebx);
	return ret == 0;
}

bool hv_range(uint64_t *base, uint64_t *end)
{
	struct hc_regs r;
	int32_t ret = hypercall(HC_HV_RANGE, 0, 0, 0, &r);

	*base = *end = 0;
	if (ret != 0) {
		if (ret == HC_FAULTED)
			printf("# HC_HV_RANGE: %s raised vector %d\n", hypercall_insn(), r.fault);
		else
			printf("# HC_HV_RANGE returned %d\n", ret);
		return false;
	}
	*base = ((uint64_t)r.edx << 32) | r.ebx;
	*end = ((uint64_t)r.edx << 32) | r.ecx;
	if (*end < *base)
		*end += 1ULL << 32; /* the end crossed a 4 GiB boundary the high bits do not show */
	return *end > *base;
}
