/*
 * `selftest=` faults. Recoverable checks (msr) run and report; then the first fatal fault named
 * is raised on purpose, and the exception dump plus the panic path must take over.
 */
#include "cmdline.h"
#include "console.h"
#include "selftest.h"
#include "x86/cpu.h"
#include "x86/msr.h"
#include "x86/msr_safe.h"
#include "x86/percpu.h"
#include "x86/traps.h"

/*
 * An MSR access that must #GP on every CPU and emulator: x2APIC registers while the APIC is in
 * xAPIC mode (SDM vol. 3, 11.12.1). A merely unknown MSR will not do: QEMU TCG reads it as 0.
 */
#define MSR_X2APIC_ID 0x802
#define MSR_UNKNOWN 0x4FFFFFFF
#define APIC_BASE_X2APIC_ENABLE (1ULL << 10)

static void report(bool ok, const char *what)
{
	printk(ok ? LOG_INFO : LOG_ERR, "selftest: %s: %s", what, ok ? "ok" : "FAILED");
}

static void selftest_msr(void)
{
	uint64_t value = 0;
	uint32_t msr = MSR_X2APIC_ID;
	int rc;

	if (rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_X2APIC_ENABLE)
		msr = MSR_UNKNOWN; /* firmware left x2APIC on: fall back to an unknown MSR */
	this_cpu()->fixup_vector = -1;
	rc = rdmsr_safe(msr, &value);
	pr_info("selftest: rdmsr_safe(%#x) returned %d, recovered vector %d", msr, rc, this_cpu()->fixup_vector);
	report(rc < 0 && this_cpu()->fixup_vector == EXC_GP, "rdmsr of a faulting MSR recovered from #GP");

	this_cpu()->fixup_vector = -1;
	rc = wrmsr_safe(msr, 0);
	report(rc < 0 && this_cpu()->fixup_vector == EXC_GP, "wrmsr of a faulting MSR recovered from #GP");

	rc = rdmsr_safe(MSR_EFER, &value);
	report(rc == 0 && (value & EFER_LME), "rdmsr_safe of EFER reads LME");
}

/* Each leaves the CPU through the exception handler; nothing after it runs. */
static void raise_fault(unsigned int which)
{
	switch (which) {
	case SELFTEST_UD:
		asm volatile("ud2");
		break;
	case SELFTEST_GP:
		asm volatile("movq (%0), %%rax" : : "r"(0x8000000000000000ULL) : "rax", "memory");
		break;
	case SELFTEST_PF:
		asm volatile("movq (%0), %%rax" : : "r"(0x10ULL) : "rax", "memory");
		break;
	case SELFTEST_DE:
		asm volatile("xorl %%ecx, %%ecx; divl %%ecx" : : "a"(1), "d"(0) : "rcx");
		break;
	case SELFTEST_BP:
		asm volatile("int3");
		break;
	case SELFTEST_DF:
		/* A #PF that cannot push its frame becomes a #DF, which runs on its own IST stack. */
		asm volatile("movq $0x1000, %%rsp; pushq $0" : : : "memory");
		break;
	}
}

void selftest_run(uint32_t mask)
{
	if (!mask)
		return;
	if (mask & SELFTEST_BIT(SELFTEST_MSR))
		selftest_msr();
	for (unsigned int bit = 0; bit < 32; bit++) {
		if (bit == SELFTEST_MSR || !(mask & (1U << bit)))
			continue;
		pr_info("selftest: raising %s on purpose", cmdline_selftest_name(bit));
		raise_fault(bit);
		pr_err("selftest: %s did not fault", cmdline_selftest_name(bit));
	}
	pr_info("selftest: done");
}
