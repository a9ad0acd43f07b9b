/*
 * Host tests for the MSR exits (vmm/msr.c): what each MSR the bitmap sends here reads and writes,
 * and that everything the guest may not have is refused with #GP and leaves RIP alone, as a CPU
 * without the MSR does.
 *
 * The hardware is a fake: RDMSR/WRMSR and RDTSC are replaced (after their headers are read) by a
 * table of MSRs and a settable TSC, and msr_forward_access() by a fixed list. MSR numbers are
 * written out here from the manuals, not taken from the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "x86/cpu.h"
#include "x86/safe_insn.h"

static uint64_t fake_tsc;
static int fake_rdmsr_safe(uint32_t msr, uint64_t *value);
static int fake_wrmsr_safe(uint32_t msr, uint64_t value);
#define rdtsc() fake_tsc
#define rdmsr_safe fake_rdmsr_safe
#define wrmsr_safe fake_wrmsr_safe

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "../../lib/string.c"
#include "../../vmm/cr.c"
#include "../../vmm/msr_bitmap.c"
#include "../../vmm/msr.c"
#pragma GCC diagnostic pop

#define T_MSR_TSC 0x10
#define T_MSR_APIC_BASE 0x1B
#define T_MSR_FEATURE_CONTROL 0x3A
#define T_MSR_TSC_ADJUST 0x3B
#define T_MSR_MTRRCAP 0xFE
#define T_MSR_MISC_ENABLE 0x1A0
#define T_MSR_PAT 0x277
#define T_MSR_VMX_BASIC 0x480
#define T_MSR_TSC_DEADLINE 0x6E0
#define T_MSR_X2APIC_TPR 0x808
#define T_MSR_X2APIC_ICR 0x830
#define T_MSR_EFER 0xC0000080
#define T_MSR_VM_CR 0xC0010114
#define T_MSR_VM_HSAVE_PA 0xC0010117
#define T_EFER_SCE (1ULL << 0)
#define T_EFER_LME (1ULL << 8)
#define T_EFER_LMA (1ULL << 10)
#define T_EFER_NXE (1ULL << 11)
#define T_EFER_SVME (1ULL << 12)
#define T_MISC_ENABLE_XD_DISABLE (1ULL << 34)
#define T_CR0_PE (1ULL << 0)
#define T_CR0_PG (1ULL << 31)

#define INSN_LEN 2 /* RDMSR and WRMSR are 0F 32 and 0F 30 */
#define GUEST_RIP 0x1000

/* ---- the fake hardware ---- */

static struct {
	uint32_t msr;
	uint64_t value;
} hw[16];
static unsigned int nr_hw, hw_writes;

static uint64_t *hw_msr(uint32_t msr)
{
	for (unsigned int i = 0; i < nr_hw; i++)
		if (hw[i].msr == msr)
			return &hw[i].value;
	return NULL;
}

static void hw_set(uint32_t msr, uint64_t value)
{
	uint64_t *p = hw_msr(msr);

	if (!p) {
		assert_true(nr_hw < 16);
		hw[nr_hw].msr = msr;
		p = &hw[nr_hw++].value;
	}
	*p = value;
}

static int fake_rdmsr_safe(uint32_t msr, uint64_t *value)
{
	uint64_t *p = hw_msr(msr);

	if (!p)
		return -E_FAULT;
	*value = *p;
	return 0;
}

static int fake_wrmsr_safe(uint32_t msr, uint64_t value)
{
	uint64_t *p = hw_msr(msr);

	if (!p)
		return -E_FAULT;
	*p = value;
	hw_writes++;
	return 0;
}

/*
 * What the CPUID the guest sees makes exist: MTRRCAP readable, PAT and MISC_ENABLE both ways. The
 * write of VMX_BASIC is a policy mistake on purpose: msr.c refuses VMX capability writes itself.
 */
unsigned int msr_forward_access(uint32_t msr, const struct msr_features *f)
{
	(void)f;
	if (msr == T_MSR_MTRRCAP)
		return MSR_R;
	if (msr == T_MSR_VMX_BASIC)
		return MSR_W;
	if (msr == T_MSR_PAT || msr == T_MSR_MISC_ENABLE)
		return MSR_RW;
	return 0;
}

/* ---- the rest of the hypervisor ---- */

static struct partition part;
static struct vcpu vcpu;
static uint64_t guest_efer, guest_cr0;
static bool guest_x2apic, icr_filtered;
static int gp_count, apic_base_writes;

void printk(int level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
}

void panic(const char *fmt, ...)
{
	fail_msg("panic: %s", fmt);
	abort();
}

void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error_code, uint32_t error_code)
{
	(void)v;
	assert_int_equal(vector, 13);
	assert_true(has_error_code);
	assert_int_equal(error_code, 0);
	gp_count++;
}

void vcpu_single_step_trap(struct vcpu *v)
{
	(void)v;
	fail_msg("no test single-steps");
}

void vcpu_cr_state(struct vcpu *v, struct cr_state *s)
{
	(void)v;
	*s = (struct cr_state){ .cr0 = guest_cr0, .efer = guest_efer };
}

bool lapic_guest_x2apic(const struct vcpu *v)
{
	(void)v;
	return guest_x2apic;
}

bool lapic_icr_filtered(struct vcpu *v, uint32_t icr_low, uint32_t dest)
{
	(void)v;
	(void)icr_low;
	(void)dest;
	return icr_filtered;
}

int lapic_base_write(struct vcpu *v, uint64_t value)
{
	apic_base_writes++;
	if (value & 0xFF)
		return -E_INVAL; /* reserved bits 0-7: enough of a refusal to see it turned into #GP */
	v->apic_base = value;
	return 0;
}

static uint64_t fake_read_reg(struct vcpu *v, enum vcpu_reg reg)
{
	(void)v;
	assert_int_equal(reg, VCPU_EFER);
	return guest_efer;
}

static uint64_t tsc_offset_written;

static void fake_write_reg(struct vcpu *v, enum vcpu_reg reg, uint64_t value)
{
	(void)v;
	if (reg == VCPU_EFER)
		guest_efer = value;
	else if (reg == VCPU_TSC_OFFSET)
		tsc_offset_written = value;
	else
		fail_msg("unexpected register %d written", reg);
}

static const struct vcpu_ops fake_ops = {
	.name = "fake",
	.read_reg = fake_read_reg,
	.write_reg = fake_write_reg,
	.msr_bitmap_layout = MSR_BITMAP_VMX,
};
const struct vcpu_ops *vcpu_ops = &fake_ops;

static uint8_t bitmap[MSR_BITMAP_VMX_SIZE];

static int setup(void **state)
{
	(void)state;
	memset(&part, 0, sizeof(part));
	memset(&vcpu, 0, sizeof(vcpu));
	vcpu.part = &part;
	vcpu.rip = GUEST_RIP;
	vcpu.exit.insn_len = INSN_LEN;
	vcpu.msr_bitmap = bitmap;
	msr_bitmap_init(MSR_BITMAP_VMX, bitmap);
	nr_hw = hw_writes = 0;
	gp_count = apic_base_writes = 0;
	guest_efer = T_EFER_SCE | T_EFER_LME | T_EFER_LMA | T_EFER_NXE | T_EFER_SVME;
	guest_cr0 = T_CR0_PE | T_CR0_PG;
	guest_x2apic = icr_filtered = false;
	fake_tsc = 1000000;
	tsc_offset_written = 0;
	return 0;
}

/* ---- helpers: one RDMSR or WRMSR exit ---- */

static uint64_t read_ok(uint32_t msr)
{
	vcpu.rip = GUEST_RIP;
	vcpu.regs.rcx = msr;
	vcpu.regs.rax = vcpu.regs.rdx = 0xFFFFFFFFFFFFFFFFULL;
	assert_int_equal(handle_msr_read(&vcpu), EXIT_RESUME);
	if (gp_count)
		fail_msg("RDMSR %#x raised #GP", msr);
	assert_int_equal(vcpu.rip, GUEST_RIP + INSN_LEN);
	/* RDMSR writes EDX:EAX and clears the upper halves of RAX and RDX. */
	assert_int_equal(vcpu.regs.rax >> 32, 0);
	assert_int_equal(vcpu.regs.rdx >> 32, 0);
	return vcpu.regs.rdx << 32 | vcpu.regs.rax;
}

static void write_ok(uint32_t msr, uint64_t value)
{
	vcpu.rip = GUEST_RIP;
	vcpu.regs.rcx = msr;
	vcpu.regs.rax = (uint32_t)value | 0xABCD000000000000ULL; /* upper halves are ignored */
	vcpu.regs.rdx = value >> 32 | 0xABCD000000000000ULL;
	assert_int_equal(handle_msr_write(&vcpu), EXIT_RESUME);
	if (gp_count)
		fail_msg("WRMSR %#x of %#llx raised #GP", msr, (unsigned long long)value);
	assert_int_equal(vcpu.rip, GUEST_RIP + INSN_LEN);
}

static void expect_gp(enum exit_verdict verdict, const char *what)
{
	assert_int_equal(verdict, EXIT_RESUME);
	if (gp_count != 1)
		fail_msg("%s: %d #GP injected, expected one", what, gp_count);
	assert_int_equal(vcpu.rip, GUEST_RIP); /* a faulting instruction does not complete */
	gp_count = 0;
}

static void read_refused(uint32_t msr)
{
	vcpu.rip = GUEST_RIP;
	vcpu.regs.rcx = msr;
	vcpu.regs.rax = vcpu.regs.rdx = 0x5A5A;
	expect_gp(handle_msr_read(&vcpu), "RDMSR");
	assert_int_equal(vcpu.regs.rax, 0x5A5A); /* nothing written */
	assert_int_equal(vcpu.regs.rdx, 0x5A5A);
}

static void write_refused(uint32_t msr, uint64_t value)
{
	unsigned int writes = hw_writes;

	vcpu.rip = GUEST_RIP;
	vcpu.regs.rcx = msr;
	vcpu.regs.rax = (uint32_t)value;
	vcpu.regs.rdx = value >> 32;
	expect_gp(handle_msr_write(&vcpu), "WRMSR");
	assert_int_equal(hw_writes, writes);
}

/* ---- tests ---- */

static void test_emulated_reads(void **state __unused)
{
	vcpu.apic_base = 0xFEE00900;
	assert_int_equal(read_ok(T_MSR_EFER), T_EFER_SCE | T_EFER_LME | T_EFER_LMA | T_EFER_NXE); /* no SVME */
	assert_int_equal(read_ok(T_MSR_FEATURE_CONTROL), 1);   /* locked, VMX off */
	assert_int_equal(read_ok(T_MSR_VM_CR), 0x18);          /* LOCK and SVMDIS */
	assert_int_equal(read_ok(T_MSR_APIC_BASE), 0xFEE00900);
}

static void test_virtualization_msrs_refused(void **state __unused)
{
	hw_set(T_MSR_VM_HSAVE_PA, 0x1234000);
	hw_set(T_MSR_VMX_BASIC, 0xDA040000000012ULL);
	read_refused(T_MSR_VM_HSAVE_PA);
	write_refused(T_MSR_VM_HSAVE_PA, 0);
	read_refused(T_MSR_VMX_BASIC);
	write_refused(T_MSR_VMX_BASIC, 0);
	read_refused(0x12345678); /* unknown */
	write_refused(0x12345678, 0);
}

static void test_forwarded(void **state __unused)
{
	hw_set(T_MSR_MTRRCAP, 0x0000000100000D0AULL);
	hw_set(T_MSR_PAT, 0x0007040600070406ULL);
	assert_int_equal(read_ok(T_MSR_MTRRCAP), 0x0000000100000D0AULL);
	write_refused(T_MSR_MTRRCAP, 0); /* readable only */
	write_ok(T_MSR_PAT, 0x0000000600000006ULL);
	assert_int_equal(*hw_msr(T_MSR_PAT), 0x0000000600000006ULL);
	assert_int_equal(read_ok(T_MSR_PAT), 0x0000000600000006ULL);
}

static void test_forwarded_but_absent_faults(void **state __unused)
{
	/* The policy lets PAT through, but this CPU has none: the guest sees the CPU's #GP. */
	read_refused(T_MSR_PAT);
	write_refused(T_MSR_PAT, 6);
}

static void test_efer_write(void **state __unused)
{
	write_ok(T_MSR_EFER, T_EFER_SCE | T_EFER_LME | T_EFER_LMA); /* NXE cleared */
	assert_int_equal(guest_efer, T_EFER_SCE | T_EFER_LME | T_EFER_LMA);
	write_refused(T_MSR_EFER, T_EFER_SCE | T_EFER_LME | T_EFER_LMA | T_EFER_SVME); /* SVM is not offered */
	write_refused(T_MSR_EFER, T_EFER_SCE | T_EFER_LMA);                            /* LME off, paging on */
	write_refused(T_MSR_EFER, T_EFER_SCE | T_EFER_LME | T_EFER_LMA | (1ULL << 20)); /* reserved */
	assert_int_equal(guest_efer, T_EFER_SCE | T_EFER_LME | T_EFER_LMA);
}

static void test_apic_base_write(void **state __unused)
{
	write_ok(T_MSR_APIC_BASE, 0xFEE00800);
	assert_int_equal(vcpu.apic_base, 0xFEE00800);
	write_refused(T_MSR_APIC_BASE, 0xFEE00801);
	assert_int_equal(apic_base_writes, 2);
}

static void test_misc_enable_xd_disable_stays(void **state __unused)
{
	hw_set(T_MSR_MISC_ENABLE, 0x850089);
	write_ok(T_MSR_MISC_ENABLE, 0x850088); /* other bits: forwarded */
	assert_int_equal(*hw_msr(T_MSR_MISC_ENABLE), 0x850088);
	write_refused(T_MSR_MISC_ENABLE, 0x850088 | T_MISC_ENABLE_XD_DISABLE);
	assert_int_equal(*hw_msr(T_MSR_MISC_ENABLE), 0x850088);
}

static void test_x2apic_range(void **state __unused)
{
	hw_set(T_MSR_X2APIC_TPR, 0x20);
	hw_set(T_MSR_X2APIC_ICR, 0);
	read_refused(T_MSR_X2APIC_TPR); /* xAPIC mode: the range does not exist */
	write_refused(T_MSR_X2APIC_TPR, 0x30);
	guest_x2apic = true;
	assert_int_equal(read_ok(T_MSR_X2APIC_TPR), 0x20);
	write_ok(T_MSR_X2APIC_TPR, 0x30);
	assert_int_equal(*hw_msr(T_MSR_X2APIC_TPR), 0x30);
	/* An ICR write the hypervisor filters completes without reaching the APIC. */
	icr_filtered = true;
	write_ok(T_MSR_X2APIC_ICR, 0x0000000300000500ULL);
	assert_int_equal(*hw_msr(T_MSR_X2APIC_ICR), 0);
	icr_filtered = false;
	write_ok(T_MSR_X2APIC_ICR, 0x00000003000000F1ULL);
	assert_int_equal(*hw_msr(T_MSR_X2APIC_ICR), 0x00000003000000F1ULL);
}

static void test_tsc(void **state __unused)
{
	fake_tsc = 5000;
	assert_int_equal(read_ok(T_MSR_TSC), 5000);
	write_ok(T_MSR_TSC, 12000); /* the guest's TSC jumps; the host's does not */
	assert_int_equal(vcpu.tsc_offset, 7000);
	assert_int_equal(tsc_offset_written, 7000);
	fake_tsc = 6000;
	assert_int_equal(read_ok(T_MSR_TSC), 13000);
	write_ok(T_MSR_TSC, 1000); /* backwards: the offset wraps */
	assert_int_equal(vcpu.tsc_offset, (uint64_t)1000 - 6000);
}

static void test_tsc_adjust(void **state __unused)
{
	read_refused(T_MSR_TSC_ADJUST); /* not in the guest's CPUID */
	write_refused(T_MSR_TSC_ADJUST, 5);
	part.msr_features.tsc_adjust = true;
	vcpu.host_tsc_adjust = 100;
	assert_int_equal(read_ok(T_MSR_TSC_ADJUST), 100);
	write_ok(T_MSR_TSC_ADJUST, 400); /* the guest's TSC moves by the same 300 */
	assert_int_equal(vcpu.tsc_offset, 300);
	assert_int_equal(read_ok(T_MSR_TSC_ADJUST), 400);
	fake_tsc = 1000;
	assert_int_equal(read_ok(T_MSR_TSC), 1300);
}

static void test_tsc_deadline(void **state __unused)
{
	hw_set(T_MSR_TSC_DEADLINE, 0);
	read_refused(T_MSR_TSC_DEADLINE); /* not in the guest's CPUID */
	write_refused(T_MSR_TSC_DEADLINE, 1);
	part.msr_features.tsc_deadline = true;
	vcpu.tsc_offset = 500;
	fake_tsc = 1000;
	write_ok(T_MSR_TSC_DEADLINE, 9500); /* guest time: host 9000 */
	assert_int_equal(*hw_msr(T_MSR_TSC_DEADLINE), 9000);
	assert_int_equal(read_ok(T_MSR_TSC_DEADLINE), 9500);
	write_ok(T_MSR_TSC_DEADLINE, 1200); /* already passed in guest time (now 1500): fires at once */
	assert_int_equal(*hw_msr(T_MSR_TSC_DEADLINE), 1);
	write_ok(T_MSR_TSC_DEADLINE, 0); /* disarmed in either time base */
	assert_int_equal(*hw_msr(T_MSR_TSC_DEADLINE), 0);
	assert_int_equal(read_ok(T_MSR_TSC_DEADLINE), 0);
}

/* A TSC write keeps an armed deadline where it was in guest time, and the deadline MSR passes
 * through only while the guest's TSC is the host's. */
static void test_tsc_write_moves_armed_deadline(void **state __unused)
{
	hw_set(T_MSR_TSC_DEADLINE, 0);
	part.msr_features.tsc_deadline = true;
	msr_vcpu_init(&vcpu);
	assert_false(msr_bitmap_intercepts(MSR_BITMAP_VMX, bitmap, T_MSR_TSC_DEADLINE, MSR_RW));
	fake_tsc = 1000;
	write_ok(T_MSR_TSC_DEADLINE, 50000); /* offset 0: host and guest time agree */
	write_ok(T_MSR_TSC, 11000);          /* offset 10000 */
	assert_int_equal(*hw_msr(T_MSR_TSC_DEADLINE), 40000);
	assert_true(msr_bitmap_intercepts(MSR_BITMAP_VMX, bitmap, T_MSR_TSC_DEADLINE, MSR_RW));
	write_ok(T_MSR_TSC, 1000); /* back to offset 0 */
	assert_int_equal(*hw_msr(T_MSR_TSC_DEADLINE), 50000);
	assert_false(msr_bitmap_intercepts(MSR_BITMAP_VMX, bitmap, T_MSR_TSC_DEADLINE, MSR_RW));
}

static void test_vcpu_init_reads_host_tsc_adjust(void **state __unused)
{
	hw_set(T_MSR_TSC_ADJUST, 777);
	vcpu.host_tsc_adjust = 5;
	msr_vcpu_init(&vcpu);
	assert_int_equal(vcpu.host_tsc_adjust, 0); /* the guest has no TSC_ADJUST */
	part.msr_features.tsc_adjust = true;
	msr_vcpu_init(&vcpu);
	assert_int_equal(vcpu.host_tsc_adjust, 777);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
	const struct CMUnitTest tests[] = {
		T(test_emulated_reads),
		T(test_virtualization_msrs_refused),
		T(test_forwarded),
		T(test_forwarded_but_absent_faults),
		T(test_efer_write),
		T(test_apic_base_write),
		T(test_misc_enable_xd_disable_stays),
		T(test_x2apic_range),
		T(test_tsc),
		T(test_tsc_adjust),
		T(test_tsc_deadline),
		T(test_tsc_write_moves_armed_deadline),
		T(test_vcpu_init_reads_host_tsc_adjust),
	};
#undef T

	return cmocka_run_group_tests_name("msr", tests, NULL, NULL);
}
