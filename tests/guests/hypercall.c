/*
 * The hypercall ABI: version and magic, console output with its length limits, refusal of
 * strings in hypervisor memory, unknown functions, and registers outside the ABI preserved.
 */
#include "guest.h"
#include "hypercall.h"
#include "lib/string.h"
#include "trap.h"

const char guest_name[] = "hypercall";

/* The boot case expects the hypervisor to print this line; the guest never prints it itself. */
static const char console_text[] = "hypercall console check 4711";
static char long_text[HC_CONSOLE_MAX + 1];

static void check_version(void)
{
	struct hc_regs r;
	int32_t ret = hypercall(HC_VERSION, 0, 0, 0, &r);

	if (!ok(ret != HC_FAULTED, "%s executes (vector %d)", hypercall_insn(), r.fault))
		abort_test("no hypercalls: the guest is not running under the microhypervisor");
	ok(ret >= 0 && (ret >> 16) == HC_API_MAJOR, "HC_VERSION returns version 0x%x, major %d", ret,
	   HC_API_MAJOR);
	ok(r.ebx == HC_MAGIC, "HC_VERSION returns the magic 0x%x in EBX (0x%x)", HC_MAGIC, r.ebx);
}

static void check_console(void)
{
	int32_t ret;

	ret = hypercall(HC_CONSOLE_WRITE, (uint32_t)(uintptr_t)console_text, sizeof(console_text) - 1, 0, NULL);
	ok(ret == (int32_t)sizeof(console_text) - 1, "HC_CONSOLE_WRITE of %u bytes returns their count (%d)",
	   (unsigned int)sizeof(console_text) - 1, ret);

	memset(long_text, 'x', HC_CONSOLE_MAX);
	memcpy(long_text, "max-length:", 11);
	ret = hypercall(HC_CONSOLE_WRITE, (uint32_t)(uintptr_t)long_text, HC_CONSOLE_MAX, 0, NULL);
	ok(ret == HC_CONSOLE_MAX, "HC_CONSOLE_WRITE of %u bytes (the maximum) returns %d", HC_CONSOLE_MAX, ret);
	ret = hypercall(HC_CONSOLE_WRITE, (uint32_t)(uintptr_t)long_text, HC_CONSOLE_MAX + 1, 0, NULL);
	ok(ret == HC_E_INVAL, "HC_CONSOLE_WRITE of %u bytes returns E_INVAL (%d)", HC_CONSOLE_MAX + 1, ret);
	ret = hypercall(HC_CONSOLE_WRITE, (uint32_t)(uintptr_t)long_text, 0, 0, NULL);
	ok(ret == HC_E_INVAL, "HC_CONSOLE_WRITE of 0 bytes returns E_INVAL (%d)", ret);
	ret = hypercall(HC_CONSOLE_WRITE, (uint32_t)(uintptr_t)long_text, 0xffffffffu, 0, NULL);
	ok(ret == HC_E_INVAL, "HC_CONSOLE_WRITE of 0xffffffff bytes returns E_INVAL (%d)", ret);
}

static void check_console_fault(void)
{
	uint64_t base, end;
	bool have_range = hv_range(&base, &end);
	int32_t ret;

	if (!ok(have_range, "HC_HV_RANGE returns a range (0x%llx-0x%llx)", base, end))
		return;
	if (end > (1ULL << 32)) {
		skip("hypervisor above 4 GiB", "HC_CONSOLE_WRITE from hypervisor memory returns E_FAULT");
		return;
	}
	ret = hypercall(HC_CONSOLE_WRITE, (uint32_t)base, 16, 0, NULL);
	ok(ret == HC_E_FAULT, "HC_CONSOLE_WRITE of a string at the hypervisor's base 0x%llx returns E_FAULT (%d)",
	   base, ret);
	ret = hypercall(HC_CONSOLE_WRITE, (uint32_t)(end - 8), 8, 0, NULL);
	ok(ret == HC_E_FAULT, "HC_CONSOLE_WRITE of its last 8 bytes returns E_FAULT (%d)", ret);
	ret = hypercall(HC_CONSOLE_WRITE, (uint32_t)(base - 8), 16, 0, NULL);
	ok(ret == HC_E_FAULT, "HC_CONSOLE_WRITE of a string running into it returns E_FAULT (%d)", ret);
}

static void check_self_check(void)
{
	struct hc_regs r;
	int32_t first = hypercall(HC_SELF_CHECK, 0, 0, 0, &r);
	uint32_t lo = r.ebx, hi = r.ecx;

	ok(first == 0, "HC_SELF_CHECK: the hypervisor's code and read-only data are as at boot (%d)", first);
	ok(hypercall(HC_SELF_CHECK, 0, 0, 0, &r) == 0 && r.ebx == lo && r.ecx == hi && (lo | hi),
	   "HC_SELF_CHECK again: the same checksum %08x%08x", hi, lo);
}

static void check_unknown(void)
{
	static const uint32_t fns[] = { 7, 0x100, 0x7fffffff, 0xffffffff };

	for (unsigned int i = 0; i < ARRAY_SIZE(fns); i++) {
		int32_t ret = hypercall(fns[i], 0, 0, 0, NULL);

		ok(ret == HC_E_NOSUPP, "unknown hypercall 0x%x returns E_NOSUPP (%d)", fns[i], ret);
	}
}

/* ESI, EDI and EBP are not part of the ABI: a hypercall must leave them as they were. */
static void check_preserved(void)
{
	uint32_t a = HC_VERSION, b = 0, c = 0, d = 0, si = 0x51515151, di = 0xd1d1d1d1;

	trap_arm();
	if (cpu_vendor() == VENDOR_INTEL)
		asm volatile goto("1: vmcall\n\t" ASM_TRY("1b", "%l[fault]")
				  : "+a"(a), "+b"(b), "+c"(c), "+d"(d), "+S"(si), "+D"(di)
				  :
				  : "memory"
				  : fault);
	else
		asm volatile goto("1: vmmcall\n\t" ASM_TRY("1b", "%l[fault]")
				  : "+a"(a), "+b"(b), "+c"(c), "+d"(d), "+S"(si), "+D"(di)
				  :
				  : "memory"
				  : fault);
	ok(si == 0x51515151 && di == 0xd1d1d1d1, "a hypercall preserves ESI and EDI (0x%x, 0x%x)", si, di);
	return;
fault:
	ok(false, "a hypercall preserves ESI and EDI: it faulted (vector %d)", last_trap.vector);
}

void guest_main(void)
{
	check_version();
	check_console();
	check_console_fault();
	check_self_check();
	check_unknown();
	check_preserved();
	ok(hypervisor_alive(), "the hypervisor still answers HC_VERSION");
}
