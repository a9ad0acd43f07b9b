/*
 * XSETBV through the hypervisor: #UD without CR4.OSXSAVE; valid XCR0 values are taken and read
 * back; invalid ones (no x87, AVX without SSE, reserved or unoffered bits, XCR other than 0)
 * raise #GP and leave XCR0 unchanged; CPUID leaf 0xD follows what the guest enabled.
 */
#include "guest.h"
#include "trap.h"
#include "x86.h"

const char guest_name[] = "xsetbv";

#define XCR0_X87 (1ULL << 0)
#define XCR0_SSE (1ULL << 1)
#define XCR0_AVX (1ULL << 2)
#define XCR0_RESERVED_63 (1ULL << 63)
#define CPUID_XSAVE 0xd
#define XSAVE_LEGACY_SIZE 576 /* FXSAVE area (512) + XSAVE header (64), SDM vol. 1, 13.4 */

static uint64_t offered; /* CPUID.(0xD,0) EDX:EAX: the XCR0 bits the CPU lets us set */

/* XSETBV expected to succeed: then XGETBV returns the value. */
static void check_good(uint64_t value, const char *what)
{
	uint64_t back = 0;
	int v = xsetbv_safe(0, value);
	int g = xgetbv_safe(0, &back);

	ok(v == NO_FAULT && g == NO_FAULT && back == value,
	   "XSETBV XCR0=0x%llx (%s) works and XGETBV reads 0x%llx (vectors %d, %d)", value, what, back, v, g);
}

/* XSETBV expected to raise #GP(0) and leave XCR0 alone. */
static void check_bad(uint32_t xcr, uint64_t value, const char *what)
{
	uint64_t before = 0, after = 0;
	int v;

	xgetbv_safe(0, &before);
	v = xsetbv_safe(xcr, value);
	xgetbv_safe(0, &after);
	ok(v == X86_GP && last_trap.error_code == 0 && after == before,
	   "XSETBV XCR%u=0x%llx (%s) raises #GP(0) (vector %d, error code 0x%x), XCR0 stays 0x%llx (0x%llx)",
	   xcr, value, what, v, v == NO_FAULT ? 0 : last_trap.error_code, before, after);
}

/* EBX is the XSAVE area size for the components enabled in XCR0 now (SDM vol. 1, 13.2). */
static void check_xsave_size(uint64_t xcr0, uint32_t expect)
{
	uint32_t ebx = cpuid_count(CPUID_XSAVE, 0).ebx;

	ok(ebx == expect, "CPUID.(0xD,0).EBX (XSAVE size for the enabled XCR0 0x%llx) is %u, expected %u",
	   xcr0, ebx, expect);
}

static void check_unoffered_bit(void)
{
	for (unsigned int bit = 2; bit < 63; bit++) {
		uint64_t b = 1ULL << bit;

		if (offered & b)
			continue;
		check_bad(0, XCR0_X87 | XCR0_SSE | b, "a component the CPU does not offer");
		return;
	}
	skip("every XCR0 bit offered", "XSETBV with an unoffered component raises #GP");
}

void guest_main(void)
{
	struct cpuid_regs r = cpuid(1);
	uint32_t cr4 = read_cr4();
	uint64_t value = 0;
	int v;

	if (!(r.ecx & CPUID_1_ECX_XSAVE)) {
		skip("CPUID 1 ECX[26] (XSAVE) clear", "XSETBV tests");
		return;
	}
	r = cpuid_count(CPUID_XSAVE, 0);
	offered = ((uint64_t)r.edx << 32) | r.eax;
	printf("# CPUID.(0xD,0): XCR0 offered 0x%llx, size for all %u\n", offered, r.ecx);
	ok((offered & (XCR0_X87 | XCR0_SSE)) == (XCR0_X87 | XCR0_SSE),
	   "CPUID.(0xD,0) offers x87 and SSE (0x%llx)", offered);
	if (cpuid(1).ecx & CPUID_1_ECX_AVX)
		ok(offered & XCR0_AVX, "CPUID 1 ECX[28] (AVX) set only with the AVX component offered (0x%llx)",
		   offered);

	write_cr4(cr4 & ~CR4_OSXSAVE);
	v = xsetbv_safe(0, XCR0_X87 | XCR0_SSE);
	ok(v == X86_UD, "XSETBV with CR4.OSXSAVE clear raises #UD (vector %d)", v);
	v = xgetbv_safe(0, &value);
	ok(v == X86_UD, "XGETBV with CR4.OSXSAVE clear raises #UD (vector %d)", v);

	write_cr4(cr4 | CR4_OSXSAVE);
	v = xgetbv_safe(0, &value);
	ok(v == NO_FAULT && (value & XCR0_X87), "XGETBV with CR4.OSXSAVE set reads 0x%llx, x87 set (vector %d)",
	   value, v);

	check_good(XCR0_X87 | XCR0_SSE, "x87 and SSE");
	check_xsave_size(XCR0_X87 | XCR0_SSE, XSAVE_LEGACY_SIZE);
	if (offered & XCR0_AVX) {
		/* Subleaf 2: EAX = size, EBX = offset of the AVX state. */
		struct cpuid_regs avx = cpuid_count(CPUID_XSAVE, 2);

		check_good(XCR0_X87 | XCR0_SSE | XCR0_AVX, "x87, SSE and AVX");
		check_xsave_size(XCR0_X87 | XCR0_SSE | XCR0_AVX, avx.ebx + avx.eax);
	} else {
		skip("AVX not offered", "XSETBV with AVX works");
	}

	check_bad(0, XCR0_SSE, "x87 clear");
	check_bad(0, XCR0_X87 | XCR0_AVX, "AVX without SSE");
	check_bad(0, XCR0_X87 | XCR0_SSE | XCR0_RESERVED_63, "reserved bit 63");
	check_unoffered_bit();
	check_bad(1, XCR0_X87 | XCR0_SSE, "XCR1 is not writable");

	/* Leave the guest as it began: x87 and SSE, OSXSAVE as found. */
	xsetbv_safe(0, XCR0_X87 | XCR0_SSE);
	write_cr4(cr4);
}
