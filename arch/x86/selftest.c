/*
 * `selftest=` faults. Recoverable checks (msr: the exception table) run and report; then the first fatal fault named
 * is raised on purpose, and the exception dump plus the panic path must take over.
 */
#include "cmdline.h"
#include "console.h"
#include "errno.h"
#include "selftest.h"
#include "x86/msr.h"
#include "x86/safe_insn.h"
#include "x86/percpu.h"
#include "x86/traps.h"

#define MSR_UNKNOWN 0x4FFFFFFF /* in no architectural or vendor range */
#define NON_CANONICAL_ADDRESS 0x8000000000000000ULL

static void report(bool ok, const char *what)
{
	printk(ok ? LOG_INFO : LOG_ERR, "selftest: %s: %s", what, ok ? "ok" : "FAILED");
}

/* A load that may fault, for proving the exception table on an instruction that faults everywhere. */
static int load_safe(uint64_t address, uint64_t *value)
{
	asm volatile goto("1: movq (%1), %0\n\t" EXTABLE_ENTRY("1b", "%l[fault]")
		 : "=r"(*value)
		 : "r"(address)
		 : "memory"
		 : fault);
	return 0;
fault:
	return -E_FAULT;
}

static void selftest_exception_table(void)
{
	uint64_t value = 0;
	int rc;

	this_cpu()->fixup_vector = -1;
	rc = load_safe(NON_CANONICAL_ADDRESS, &value);
	report(rc == -E_FAULT && this_cpu()->fixup_vector == EXC_GP, "non-canonical load recovered from #GP");

	/*
	 * Unknown MSRs #GP on hardware and in Bochs (ignore_bad_msrs=0); QEMU TCG reads them as 0 and
	 * ignores writes, so there the probe can only say that nothing faulted.
	 */
	this_cpu()->fixup_vector = -1;
	rc = rdmsr_safe(MSR_UNKNOWN, &value);
	if (rc == 0)
		pr_info("selftest: rdmsr of unknown MSR %#x did not fault on this CPU model (read %#llx)", MSR_UNKNOWN,
			(unsigned long long)value);
	else
		report(this_cpu()->fixup_vector == EXC_GP, "rdmsr of an unknown MSR recovered from #GP");
	this_cpu()->fixup_vector = -1;
	rc = wrmsr_safe(MSR_UNKNOWN, 0);
	if (rc == 0)
		pr_info("selftest: wrmsr of unknown MSR %#x did not fault on this CPU model", MSR_UNKNOWN);
	else
		report(this_cpu()->fixup_vector == EXC_GP, "wrmsr of an unknown MSR recovered from #GP");

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
		selftest_exception_table();
	for (unsigned int bit = 0; bit < 32; bit++) {
		/* msr ran above; panic, leavefault and hcpanic belong to the reboot path, later on. */
		if (bit == SELFTEST_MSR || bit == SELFTEST_PANIC || bit == SELFTEST_LEAVEFAULT || bit == SELFTEST_HCPANIC ||
		    !(mask & (1U << bit)))
			continue;
		pr_info("selftest: raising %s on purpose", cmdline_selftest_name(bit));
		raise_fault(bit);
		pr_err("selftest: %s did not fault", cmdline_selftest_name(bit));
	}
	pr_info("selftest: done");
}
