/* Host unit tests for the VMX capability logic (arch/x86/vmx/vmx_caps.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../arch/x86/vmx/vmx_caps.c"

/* Capability MSR values in the shape a Skylake server reports (SDM vol. 3D appendix A). */
#define BASIC (4ULL | (0x1000ULL << 32) | (6ULL << 50) | VMX_BASIC_INOUT_INFO | VMX_BASIC_TRUE_CTLS)
#define PIN 0x0000007f00000016ULL
#define TRUE_PIN 0x0000007f00000016ULL
#define PROC 0xfff9fffe0401e172ULL      /* CR3-load/store exiting are default1 here ... */
#define TRUE_PROC 0xfff9fffe04006172ULL /* ... and may be 0 here */
#define EXIT_CTLS 0x01ffffff00036dffULL
#define TRUE_EXIT 0x01ffffff00036dfbULL
#define ENTRY_CTLS 0x0003ffff000011ffULL
#define TRUE_ENTRY 0x0003ffff000011fbULL
#define PROC2 ((uint64_t)(VMX_PROC2_VIRTUALIZE_APIC_ACCESSES | VMX_PROC2_ENABLE_EPT | VMX_PROC2_ENABLE_RDTSCP | \
			  VMX_PROC2_ENABLE_VPID | VMX_PROC2_UNRESTRICTED_GUEST | VMX_PROC2_ENABLE_INVPCID |       \
			  VMX_PROC2_ENABLE_XSAVES) << 32)
#define EPT_VPID 0x00000f0106734141ULL
#define MISC 0x000000007004c1e7ULL
#define CR0_FIXED0 0x80000021ULL
#define CR0_FIXED1 0xffffffffULL
#define CR4_FIXED0 0x2000ULL
#define CR4_FIXED1 0x3767ffULL

static struct vmx_caps skylake(void)
{
	return (struct vmx_caps){
		.basic = BASIC, .pin = TRUE_PIN, .proc = TRUE_PROC, .exit = TRUE_EXIT, .entry = TRUE_ENTRY,
		.proc2 = PROC2, .ept_vpid = EPT_VPID, .misc = MISC,
		.cr0_fixed0 = CR0_FIXED0, .cr0_fixed1 = CR0_FIXED1,
		.cr4_fixed0 = CR4_FIXED0, .cr4_fixed1 = CR4_FIXED1,
	};
}

static void test_adjust_controls(void **state __unused)
{
	uint32_t out = 0, missing = 0xdead;

	/* Must-be-1 bits are added, may-not-be-1 bits dropped, required bits kept. */
	assert_int_equal(vmx_adjust_controls(0x000000ff00000016ULL, 0x1109, 0x8, &out, &missing), 0);
	assert_int_equal(out, 0x16 | 0x09);
	assert_int_equal(missing, 0);

	/* A required bit that may not be 1: -E_NOSUPP, and which. */
	assert_int_equal(vmx_adjust_controls(0x000000ff00000016ULL, 0, 0x300, &out, &missing), -E_NOSUPP);
	assert_int_equal(missing, 0x300);
	assert_int_equal(out, 0x16);
	assert_int_equal(vmx_adjust_controls(0x000000ff00000016ULL, 0, 0x300, &out, NULL), -E_NOSUPP);

	/* Real MSRs: the TRUE proc controls let CR3-load/store exiting be 0, the plain ones do not. */
	uint32_t want = VMX_PROC_USE_MSR_BITMAPS | VMX_PROC_USE_IO_BITMAPS | VMX_PROC_SECONDARY_CONTROLS;
	assert_int_equal(vmx_adjust_controls(TRUE_PROC, want, want, &out, &missing), 0);
	assert_int_equal(out & (VMX_PROC_CR3_LOAD_EXITING | VMX_PROC_CR3_STORE_EXITING), 0);
	assert_int_equal(out & want, want);
	assert_int_equal(vmx_adjust_controls(PROC, want, want, &out, &missing), 0);
	assert_int_equal(out & (VMX_PROC_CR3_LOAD_EXITING | VMX_PROC_CR3_STORE_EXITING),
			 VMX_PROC_CR3_LOAD_EXITING | VMX_PROC_CR3_STORE_EXITING);
	/* CR3-store exiting may be 1 on it; tertiary controls (bit 17) may not. */
	assert_int_equal(vmx_adjust_controls(TRUE_PROC, VMX_PROC_CR3_STORE_EXITING, 0, &out, NULL), 0);
	assert_int_equal(out & VMX_PROC_CR3_STORE_EXITING, VMX_PROC_CR3_STORE_EXITING);
	assert_int_equal(vmx_adjust_controls(TRUE_PROC, 0, VMX_PROC_TERTIARY_CONTROLS, &out, &missing),
			 -E_NOSUPP);
	assert_int_equal(missing, VMX_PROC_TERTIARY_CONTROLS);

	/* An MSR that demands a bit it does not allow is nonsense. */
	assert_int_equal(vmx_adjust_controls(0x0000000f00000010ULL, 0, 0, &out, &missing), -E_INVAL);
	/* Nothing allowed, nothing wanted: 0. */
	assert_int_equal(vmx_adjust_controls(0, 0, 0, &out, &missing), 0);
	assert_int_equal(out, 0);
}

static void test_apply_fixed(void **state __unused)
{
	/* GRUB may leave CR0.NE clear: FIXED0 sets it. */
	uint64_t cr0 = CR0_PE | CR0_ET | CR0_PG;
	assert_int_equal(vmx_apply_fixed(cr0, CR0_FIXED0, CR0_FIXED1), cr0 | CR0_NE);
	/* CR4 gains VMXE, and bits clear in FIXED1 go. */
	assert_int_equal(vmx_apply_fixed(CR4_PAE | (1ULL << 23), CR4_FIXED0, CR4_FIXED1), CR4_PAE | CR4_VMXE);
	assert_int_equal(vmx_apply_fixed(0, 0, ~0ULL), 0);
}

static void test_ctls_msr(void **state __unused)
{
	assert_int_equal(vmx_ctls_msr(BASIC, VMX_CTLS_PIN), MSR_IA32_VMX_TRUE_PINBASED_CTLS);
	assert_int_equal(vmx_ctls_msr(BASIC, VMX_CTLS_PROC), MSR_IA32_VMX_TRUE_PROCBASED_CTLS);
	assert_int_equal(vmx_ctls_msr(BASIC, VMX_CTLS_EXIT), MSR_IA32_VMX_TRUE_EXIT_CTLS);
	assert_int_equal(vmx_ctls_msr(BASIC, VMX_CTLS_ENTRY), MSR_IA32_VMX_TRUE_ENTRY_CTLS);
	uint64_t old = BASIC & ~VMX_BASIC_TRUE_CTLS;
	assert_int_equal(vmx_ctls_msr(old, VMX_CTLS_PIN), MSR_IA32_VMX_PINBASED_CTLS);
	assert_int_equal(vmx_ctls_msr(old, VMX_CTLS_PROC), MSR_IA32_VMX_PROCBASED_CTLS);
	assert_int_equal(vmx_ctls_msr(old, VMX_CTLS_EXIT), MSR_IA32_VMX_EXIT_CTLS);
	assert_int_equal(vmx_ctls_msr(old, VMX_CTLS_ENTRY), MSR_IA32_VMX_ENTRY_CTLS);
	assert_int_equal(vmx_ctls_msr(BASIC, (enum vmx_ctls)4), 0);
}

/* A fake MSR file: values by number, a set of MSRs that fault, and a log of what was read. */
static struct {
	uint64_t value[0x20];
	uint32_t faulting;  /* bit (msr - 0x480) set: #GP */
	uint32_t read;      /* bit (msr - 0x480) set: was read */
} msrs;

static int fake_rdmsr(uint32_t msr, uint64_t *value)
{
	assert_true(msr >= 0x480 && msr < 0x4A0);
	msrs.read |= 1U << (msr - 0x480);
	if (msrs.faulting & (1U << (msr - 0x480)))
		return -E_FAULT;
	*value = msrs.value[msr - 0x480];
	return 0;
}

#define BIT(msr) (1U << ((msr) - 0x480))

static void fake_skylake(void)
{
	memset(&msrs, 0, sizeof(msrs));
	msrs.value[0x0] = BASIC;
	msrs.value[0x1] = PIN;
	msrs.value[0x2] = PROC;
	msrs.value[0x3] = EXIT_CTLS;
	msrs.value[0x4] = ENTRY_CTLS;
	msrs.value[0x5] = MISC;
	msrs.value[0x6] = CR0_FIXED0;
	msrs.value[0x7] = CR0_FIXED1;
	msrs.value[0x8] = CR4_FIXED0;
	msrs.value[0x9] = CR4_FIXED1;
	msrs.value[0xB] = PROC2;
	msrs.value[0xC] = EPT_VPID;
	msrs.value[0xD] = TRUE_PIN;
	msrs.value[0xE] = TRUE_PROC;
	msrs.value[0xF] = TRUE_EXIT;
	msrs.value[0x10] = TRUE_ENTRY;
}

static void test_caps_read(void **state __unused)
{
	struct vmx_caps c;
	struct vmx_caps expect = skylake();

	fake_skylake();
	assert_int_equal(vmx_caps_read(&c, fake_rdmsr), 0);
	assert_memory_equal(&c, &expect, sizeof(c));
	assert_int_equal(msrs.read & (BIT(MSR_IA32_VMX_PINBASED_CTLS) | BIT(MSR_IA32_VMX_PROCBASED_CTLS) |
				      BIT(MSR_IA32_VMX_EXIT_CTLS) | BIT(MSR_IA32_VMX_ENTRY_CTLS)),
			 0);

	/* Without TRUE controls the original MSRs are read. */
	fake_skylake();
	msrs.value[0] = BASIC & ~VMX_BASIC_TRUE_CTLS;
	assert_int_equal(vmx_caps_read(&c, fake_rdmsr), 0);
	assert_int_equal(c.pin, PIN);
	assert_int_equal(c.proc, PROC);
	assert_int_equal(c.exit, EXIT_CTLS);
	assert_int_equal(c.entry, ENTRY_CTLS);
	assert_int_equal(msrs.read & BIT(MSR_IA32_VMX_TRUE_PROCBASED_CTLS), 0);

	/* No secondary controls: neither 0x48B nor 0x48C is touched. */
	fake_skylake();
	msrs.value[0xE] = TRUE_PROC & ~((uint64_t)VMX_PROC_SECONDARY_CONTROLS << 32);
	assert_int_equal(vmx_caps_read(&c, fake_rdmsr), 0);
	assert_int_equal(c.proc2, 0);
	assert_int_equal(c.ept_vpid, 0);
	assert_int_equal(msrs.read & (BIT(MSR_IA32_VMX_PROCBASED_CTLS2) | BIT(MSR_IA32_VMX_EPT_VPID_CAP)), 0);

	/* Neither EPT nor VPID: 0x48C would fault, so it is not read. */
	fake_skylake();
	msrs.value[0xB] = (uint64_t)VMX_PROC2_ENABLE_RDTSCP << 32;
	msrs.faulting = BIT(MSR_IA32_VMX_EPT_VPID_CAP);
	assert_int_equal(vmx_caps_read(&c, fake_rdmsr), 0);
	assert_int_equal(c.ept_vpid, 0);
	assert_int_equal(msrs.read & BIT(MSR_IA32_VMX_EPT_VPID_CAP), 0);

	/* An optional MSR that faults although it should exist reads as "nothing". */
	fake_skylake();
	msrs.faulting = BIT(MSR_IA32_VMX_EPT_VPID_CAP);
	assert_int_equal(vmx_caps_read(&c, fake_rdmsr), 0);
	assert_int_equal(c.ept_vpid, 0);
	assert_int_equal(c.proc2, PROC2);

	/* A mandatory one that faults is an error. */
	fake_skylake();
	msrs.faulting = BIT(MSR_IA32_VMX_BASIC);
	assert_int_equal(vmx_caps_read(&c, fake_rdmsr), -E_FAULT);
	fake_skylake();
	msrs.faulting = BIT(MSR_IA32_VMX_CR4_FIXED1);
	assert_int_equal(vmx_caps_read(&c, fake_rdmsr), -E_FAULT);
}

static void test_check_skylake(void **state __unused)
{
	struct vmx_caps c = skylake();
	struct vmx_features f;
	char why[128];

	memset(why, 'x', sizeof(why));
	assert_int_equal(vmx_caps_check(&c, &f, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(f.revision_id, 4);
	assert_int_equal(f.vmcs_size, 4096);
	assert_int_equal(f.vmcs_memtype, VMX_MEMTYPE_WB);
	assert_false(f.phys_32bit);
	assert_true(f.true_ctls);
	assert_true(f.secondary && f.msr_bitmaps && f.io_bitmaps);
	assert_true(f.ept && f.ept_2m && f.ept_1g && f.ept_ad && f.ept_exec_only);
	assert_true(f.invept && f.invept_single && f.invept_global);
	assert_true(f.unrestricted_guest);
	assert_true(f.vpid && f.invvpid_addr && f.invvpid_single && f.invvpid_all && f.invvpid_single_globals);
	assert_true(f.extint_exiting && f.nmi_exiting && f.virtual_nmis && f.preemption_timer);
	assert_true(f.intr_window && f.nmi_window);
	assert_true(f.ack_intr_on_exit && f.host_64bit && f.ia32e_guest);
	assert_true(f.save_efer && f.load_host_efer && f.load_guest_efer);
	assert_true(f.save_pat && f.load_host_pat && f.load_guest_pat);
	assert_true(f.act_hlt && f.act_shutdown && f.act_wait_sipi);
	assert_true(f.store_lma);
	assert_int_equal(f.cr3_targets, 4);
	assert_int_equal(f.max_msr_list, 512);
	/* Unrestricted guest: the guest may run with PE and PG clear, but NE stays. */
	assert_int_equal(f.guest_cr0_fixed0, CR0_NE);

	/* why may be absent. */
	assert_int_equal(vmx_caps_check(&c, &f, NULL, 0), 0);
}

static void test_check_optional_features(void **state __unused)
{
	struct vmx_caps c = skylake();
	struct vmx_features f;
	char why[128];

	/* Sandy Bridge: no 1 GiB EPT pages, still fine. */
	c.ept_vpid &= ~VMX_EPT_1G;
	assert_int_equal(vmx_caps_check(&c, &f, why, sizeof(why)), 0);
	assert_true(f.ept && f.ept_2m);
	assert_false(f.ept_1g);

	/* VPID without any usable INVVPID type is not offered. */
	c = skylake();
	c.ept_vpid &= ~(VMX_VPID_INVVPID_SINGLE | VMX_VPID_INVVPID_ALL);
	assert_int_equal(vmx_caps_check(&c, &f, why, sizeof(why)), 0);
	assert_false(f.vpid);
	assert_true(f.invvpid_addr);
	c.ept_vpid = EPT_VPID & ~VMX_VPID_INVVPID;
	assert_int_equal(vmx_caps_check(&c, &f, why, sizeof(why)), 0);
	assert_false(f.vpid || f.invvpid_addr || f.invvpid_single || f.invvpid_all);
	c = skylake();
	c.proc2 &= ~((uint64_t)VMX_PROC2_ENABLE_VPID << 32);
	assert_int_equal(vmx_caps_check(&c, &f, why, sizeof(why)), 0);
	assert_false(f.vpid);

	/* No INVEPT: reported, the backend decides. */
	c = skylake();
	c.ept_vpid &= ~VMX_EPT_INVEPT;
	assert_int_equal(vmx_caps_check(&c, &f, why, sizeof(why)), 0);
	assert_false(f.invept || f.invept_single || f.invept_global);

	/* Wait-for-SIPI comes from IA32_VMX_MISC bit 8; the MSR-list size from bits 27:25. */
	c = skylake();
	c.misc &= ~VMX_MISC_ACT_WAIT_SIPI;
	c.misc |= 3ULL << VMX_MISC_MSR_LIST_SHIFT;
	assert_int_equal(vmx_caps_check(&c, &f, why, sizeof(why)), 0);
	assert_false(f.act_wait_sipi);
	assert_true(f.act_hlt);
	assert_int_equal(f.max_msr_list, 2048);

	/* EFER/PAT switching and acknowledge-on-exit are reported one by one. */
	c = skylake();
	c.exit &= ~((uint64_t)(VMX_EXIT_CTL_SAVE_EFER | VMX_EXIT_CTL_ACK_INTR_ON_EXIT) << 32);
	c.entry &= ~((uint64_t)VMX_ENTRY_CTL_LOAD_PAT << 32);
	assert_int_equal(vmx_caps_check(&c, &f, why, sizeof(why)), 0);
	assert_false(f.save_efer || f.ack_intr_on_exit || f.load_guest_pat);
	assert_true(f.load_host_efer && f.load_guest_efer && f.load_host_pat);

	/* Addresses limited to 32 bits, and an old CPU without TRUE controls. */
	c = skylake();
	c.basic = (c.basic | VMX_BASIC_PHYS32) & ~VMX_BASIC_TRUE_CTLS;
	assert_int_equal(vmx_caps_check(&c, &f, why, sizeof(why)), 0);
	assert_true(f.phys_32bit);
	assert_false(f.true_ctls);
}

/* Each requirement, removed alone, is refused with a message that names it. */
static void test_check_refusals(void **state __unused)
{
	static const struct {
		int field;   /* 0 basic, 1 proc, 2 proc2, 3 ept_vpid, 4 exit, 5 entry */
		uint64_t clear;
		const char *word;
	} cases[] = {
		{ 0, VMX_BASIC_SIZE_MASK << VMX_BASIC_SIZE_SHIFT, "region size" },
		{ 4, (uint64_t)VMX_EXIT_CTL_HOST_ADDR_SPACE_SIZE << 32, "64-bit host" },
		{ 5, (uint64_t)VMX_ENTRY_CTL_IA32E_MODE_GUEST << 32, "64-bit guests" },
		{ 1, (uint64_t)VMX_PROC_USE_MSR_BITMAPS << 32, "MSR bitmaps" },
		{ 1, (uint64_t)VMX_PROC_USE_IO_BITMAPS << 32, "I/O bitmaps" },
		{ 1, (uint64_t)VMX_PROC_SECONDARY_CONTROLS << 32, "secondary" },
		{ 2, (uint64_t)VMX_PROC2_ENABLE_EPT << 32, "no EPT" },
		{ 3, VMX_EPT_WALK_4, "4-level" },
		{ 3, VMX_EPT_WB, "write-back" },
		{ 2, (uint64_t)VMX_PROC2_UNRESTRICTED_GUEST << 32, "unrestricted guest" },
		{ 3, ~0ULL, "4-level" }, /* the CPU has VPID but 0x48C read as 0 */
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vmx_caps c = skylake();
		uint64_t *fields[] = { &c.basic, &c.proc, &c.proc2, &c.ept_vpid, &c.exit, &c.entry };
		struct vmx_features f;
		char why[128] = "stale";

		*fields[cases[i].field] &= ~cases[i].clear;
		assert_int_equal(vmx_caps_check(&c, &f, why, sizeof(why)), -E_NOSUPP);
		assert_non_null(strstr(why, cases[i].word));
		assert_int_equal(strncmp(why, "VMX: ", 5), 0);
	}

	/* A region larger than a page is refused too. */
	struct vmx_caps c = skylake();
	struct vmx_features f;
	char why[128];
	c.basic = (c.basic & ~(VMX_BASIC_SIZE_MASK << VMX_BASIC_SIZE_SHIFT)) | (0x1001ULL << VMX_BASIC_SIZE_SHIFT);
	assert_int_equal(vmx_caps_check(&c, &f, why, sizeof(why)), -E_NOSUPP);
	assert_non_null(strstr(why, "region size"));

	/* Without secondary controls the proc2 value is not trusted, even if set. */
	c = skylake();
	c.proc &= ~((uint64_t)VMX_PROC_SECONDARY_CONTROLS << 32);
	assert_int_equal(vmx_caps_check(&c, &f, why, sizeof(why)), -E_NOSUPP);
	assert_false(f.ept || f.unrestricted_guest || f.vpid);

	/* The message is cut to fit, NUL-terminated; a NULL buffer is fine. */
	c = skylake();
	c.proc2 = 0;
	memset(why, 'x', sizeof(why));
	assert_int_equal(vmx_caps_check(&c, &f, why, 8), -E_NOSUPP);
	assert_string_equal(why, "VMX: no");
	assert_int_equal(why[8], 'x');
	assert_int_equal(vmx_caps_check(&c, &f, why, 1), -E_NOSUPP);
	assert_string_equal(why, "");
	assert_int_equal(vmx_caps_check(&c, &f, NULL, 0), -E_NOSUPP);
	/* The features are still filled for the report. */
	assert_int_equal(f.vmcs_size, 4096);
	assert_true(f.msr_bitmaps);
	assert_false(f.ept);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adjust_controls),
		cmocka_unit_test(test_apply_fixed),
		cmocka_unit_test(test_ctls_msr),
		cmocka_unit_test(test_caps_read),
		cmocka_unit_test(test_check_skylake),
		cmocka_unit_test(test_check_optional_features),
		cmocka_unit_test(test_check_refusals),
	};

	return cmocka_run_group_tests_name("vmx_caps", tests, NULL, NULL);
}
