/*
 * MSR policy: safe MSRs pass through, the virtualization MSRs are hidden (EFER.SVME reads 0 and
 * cannot be set, VM_HSAVE_PA faults, FEATURE_CONTROL shows VMX off) and unknown MSRs raise #GP.
 */
#include "guest.h"
#include "trap.h"
#include "x86.h"

const char guest_name[] = "msr";

#define MSR_UNKNOWN 0x4fffffff

/* Write `value`, read it back, restore the old value. */
static void check_passthrough(uint32_t msr, const char *name, uint64_t value)
{
	uint64_t old, back = 0;
	int rd, wr, rd2;

	rd = rdmsr_safe(msr, &old);
	if (!ok(rd == NO_FAULT, "%s (0x%x) reads without a fault (vector %d)", name, msr, rd))
		return;
	wr = wrmsr_safe(msr, value);
	rd2 = rdmsr_safe(msr, &back);
	ok(wr == NO_FAULT && rd2 == NO_FAULT && back == value,
	   "%s (0x%x) written 0x%llx reads back 0x%llx (vectors %d, %d)", name, msr, value, back, wr, rd2);
	wrmsr_safe(msr, old);
}

static void check_efer(void)
{
	uint64_t efer, after = 0;
	int v;

	v = rdmsr_safe(MSR_EFER, &efer);
	if (!ok(v == NO_FAULT, "EFER reads without a fault (vector %d)", v))
		return;
	ok(!(efer & EFER_SVME), "EFER.SVME reads 0 (EFER 0x%llx)", efer);

	v = wrmsr_safe(MSR_EFER, efer | EFER_SVME);
	ok(v == X86_GP, "writing EFER with SVME set raises #GP (vector %d, error code 0x%x)", v,
	   last_trap.error_code);
	if (v == NO_FAULT)
		wrmsr_safe(MSR_EFER, efer); /* bare metal: take it back */

	v = wrmsr_safe(MSR_EFER, efer);
	ok(v == NO_FAULT, "writing EFER back unchanged works (vector %d)", v);
	rdmsr_safe(MSR_EFER, &after);
	ok(after == efer && !(after & EFER_SVME), "EFER reads 0x%llx afterwards, SVME still 0", after);
}

static void check_svm_msrs(void)
{
	uint64_t value = 0;
	int v;

	v = rdmsr_safe(MSR_VM_HSAVE_PA, &value);
	ok(v == X86_GP, "reading VM_HSAVE_PA (0xc0010117) raises #GP (vector %d)", v);
	v = wrmsr_safe(MSR_VM_HSAVE_PA, 0);
	ok(v == X86_GP, "writing VM_HSAVE_PA (0xc0010117) raises #GP (vector %d)", v);

	v = rdmsr_safe(MSR_VM_CR, &value);
	if (v == NO_FAULT)
		ok(true, "reading VM_CR (0xc0010114) is handled: 0x%llx", value);
	else
		ok(v == X86_GP, "reading VM_CR (0xc0010114) raises #GP (vector %d)", v);
}

static void check_feature_control(void)
{
	uint64_t value = 0;
	int v = rdmsr_safe(MSR_FEATURE_CONTROL, &value);

	if (v == NO_FAULT)
		ok(!(value & FEATURE_CONTROL_VMX_OUTSIDE_SMX),
		   "FEATURE_CONTROL (0x3a) shows VMX outside SMX disabled (0x%llx)", value);
	else
		ok(v == X86_GP, "reading FEATURE_CONTROL (0x3a) raises #GP (vector %d)", v);
}

static void check_unknown(void)
{
	uint64_t value = 0;
	int v;

	v = rdmsr_safe(MSR_UNKNOWN, &value);
	ok(v == X86_GP, "reading unknown MSR 0x%x raises #GP (vector %d, value 0x%llx)", MSR_UNKNOWN, v,
	   value);
	v = wrmsr_safe(MSR_UNKNOWN, 0);
	ok(v == X86_GP, "writing unknown MSR 0x%x raises #GP (vector %d)", MSR_UNKNOWN, v);
}

void guest_main(void)
{
	check_passthrough(MSR_LSTAR, "LSTAR", 0xffffffff81234560ULL);
	check_passthrough(MSR_SYSENTER_ESP, "SYSENTER_ESP", 0x12345678);
	check_efer();
	check_svm_msrs();
	check_feature_control();
	check_unknown();
}
