/* Host unit tests for vmm/msr_bitmap.c: both layouts, bit by bit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/string.c"
#include "../../vmm/msr_bitmap.c"

static uint8_t vmx_buf[MSR_BITMAP_VMX_SIZE];
static uint8_t svm_buf[MSR_BITMAP_SVM_SIZE];

static uint8_t *buf_of(enum msr_bitmap_layout layout)
{
	return layout == MSR_BITMAP_VMX ? vmx_buf : svm_buf;
}

/*
 * Expected positions, worked out by hand from the manuals rather than from the code's tables:
 * byte offset and bit of the read intercept, and of the write intercept.
 */
struct bit_pos {
	uint32_t msr;
	uint32_t rbyte, rbit, wbyte, wbit;
};

/* VMX: read-low 0x000, read-high 0x400, write-low 0x800, write-high 0xC00, one bit per MSR. */
static const struct bit_pos vmx_pos[] = {
	{ 0x00000000, 0x000, 0, 0x800, 0 },
	{ 0x00000010, 0x002, 0, 0x802, 0 },          /* TSC */
	{ 0x0000001B, 0x003, 3, 0x803, 3 },          /* APIC_BASE */
	{ 0x00000048, 0x009, 0, 0x809, 0 },          /* SPEC_CTRL */
	{ 0x00000049, 0x009, 1, 0x809, 1 },          /* PRED_CMD */
	{ 0x00000176, 0x02E, 6, 0x82E, 6 },          /* SYSENTER_EIP */
	{ 0x00000277, 0x04E, 7, 0x84E, 7 },          /* PAT */
	{ 0x00000830, 0x106, 0, 0x906, 0 },          /* x2APIC ICR */
	{ 0x00001FFF, 0x3FF, 7, 0xBFF, 7 },          /* last low */
	{ 0xC0000000, 0x400, 0, 0xC00, 0 },          /* first high */
	{ 0xC0000080, 0x410, 0, 0xC10, 0 },          /* EFER */
	{ 0xC0000082, 0x410, 2, 0xC10, 2 },          /* LSTAR */
	{ 0xC0000103, 0x420, 3, 0xC20, 3 },          /* TSC_AUX */
	{ 0xC0001FFF, 0x7FF, 7, 0xFFF, 7 },          /* last high */
};

/* SVM: vectors at 0x0000, 0x0800, 0x1000; MSR n of a vector at bits 2n (read) and 2n + 1. */
static const struct bit_pos svm_pos[] = {
	{ 0x00000000, 0x0000, 0, 0x0000, 1 },
	{ 0x00000001, 0x0000, 2, 0x0000, 3 },
	{ 0x00000003, 0x0000, 6, 0x0000, 7 },
	{ 0x00000004, 0x0001, 0, 0x0001, 1 },
	{ 0x0000001B, 0x0006, 6, 0x0006, 7 },        /* APIC_BASE: 0x36 bits */
	{ 0x00000048, 0x0012, 0, 0x0012, 1 },        /* SPEC_CTRL */
	{ 0x00000049, 0x0012, 2, 0x0012, 3 },        /* PRED_CMD */
	{ 0x00000277, 0x009D, 6, 0x009D, 7 },        /* PAT: 0x4EE bits */
	{ 0x00000830, 0x020C, 0, 0x020C, 1 },        /* x2APIC ICR */
	{ 0x00001FFF, 0x07FF, 6, 0x07FF, 7 },        /* last of vector 0 */
	{ 0xC0000000, 0x0800, 0, 0x0800, 1 },
	{ 0xC0000080, 0x0820, 0, 0x0820, 1 },        /* EFER */
	{ 0xC0000082, 0x0820, 4, 0x0820, 5 },        /* LSTAR */
	{ 0xC0000103, 0x0840, 6, 0x0840, 7 },        /* TSC_AUX: 0x206 bits */
	{ 0xC0001FFF, 0x0FFF, 6, 0x0FFF, 7 },        /* last of vector 1 */
	{ 0xC0010000, 0x1000, 0, 0x1000, 1 },
	{ 0xC0010114, 0x1045, 0, 0x1045, 1 },        /* VM_CR: 0x228 bits */
	{ 0xC0010117, 0x1045, 6, 0x1045, 7 },        /* VM_HSAVE_PA: 0x22E bits */
	{ 0xC0011FFF, 0x17FF, 6, 0x17FF, 7 },        /* last of vector 2 */
};

/* MSRs each layout cannot pass through. */
static const uint32_t vmx_outside[] = {
	0x00002000, 0x40000000, 0xBFFFFFFF, 0xC0002000, 0xC0010000, 0xC0010117, 0xC0011FFF,
	0xFFFFFFFF,
};
static const uint32_t svm_outside[] = {
	0x00002000, 0x40000000, 0xBFFFFFFF, 0xC0002000, 0xC000FFFF, 0xC0012000, 0xFFFFFFFF,
};

/* Number of bits that differ between a and b. */
static unsigned int bits_differ(const uint8_t *a, const uint8_t *b, size_t n)
{
	unsigned int count = 0;

	for (size_t i = 0; i < n; i++)
		count += (unsigned int)__builtin_popcount((unsigned int)(a[i] ^ b[i]));
	return count;
}

static void test_size_and_init(void **state __unused)
{
	assert_int_equal(msr_bitmap_size(MSR_BITMAP_VMX), 4096);
	assert_int_equal(msr_bitmap_size(MSR_BITMAP_SVM), 8192);
	assert_int_equal(msr_bitmap_size((enum msr_bitmap_layout)7), 0);

	memset(vmx_buf, 0, sizeof(vmx_buf));
	memset(svm_buf, 0, sizeof(svm_buf));
	msr_bitmap_init(MSR_BITMAP_VMX, vmx_buf);
	msr_bitmap_init(MSR_BITMAP_SVM, svm_buf);
	for (size_t i = 0; i < sizeof(vmx_buf); i++)
		assert_int_equal(vmx_buf[i], 0xff);
	for (size_t i = 0; i < sizeof(svm_buf); i++)
		assert_int_equal(svm_buf[i], 0xff);
}

/* Clearing one access of one MSR clears exactly the expected bit, and setting it restores it. */
static void check_positions(enum msr_bitmap_layout layout, const struct bit_pos *pos, size_t n)
{
	size_t size = msr_bitmap_size(layout);
	uint8_t *buf = buf_of(layout);
	uint8_t ref[MSR_BITMAP_SVM_SIZE];

	msr_bitmap_init(layout, ref);
	for (size_t i = 0; i < n; i++) {
		const struct bit_pos *p = &pos[i];

		msr_bitmap_init(layout, buf);
		assert_int_equal(msr_bitmap_set(layout, buf, p->msr, MSR_R, false), 0);
		assert_int_equal(bits_differ(buf, ref, size), 1);
		assert_int_equal(buf[p->rbyte], (uint8_t)~(1u << p->rbit));
		assert_false(msr_bitmap_intercepts(layout, buf, p->msr, MSR_R));
		assert_true(msr_bitmap_intercepts(layout, buf, p->msr, MSR_W));
		assert_true(msr_bitmap_intercepts(layout, buf, p->msr, MSR_RW));

		assert_int_equal(msr_bitmap_set(layout, buf, p->msr, MSR_R, true), 0);
		assert_memory_equal(buf, ref, size);

		assert_int_equal(msr_bitmap_set(layout, buf, p->msr, MSR_W, false), 0);
		assert_int_equal(bits_differ(buf, ref, size), 1);
		assert_int_equal(buf[p->wbyte], (uint8_t)~(1u << p->wbit));
		assert_true(msr_bitmap_intercepts(layout, buf, p->msr, MSR_R));
		assert_false(msr_bitmap_intercepts(layout, buf, p->msr, MSR_W));
		assert_true(msr_bitmap_intercepts(layout, buf, p->msr, MSR_RW));

		/* Both at once: exactly the two bits; then back. */
		assert_int_equal(msr_bitmap_set(layout, buf, p->msr, MSR_RW, false), 0);
		assert_int_equal(bits_differ(buf, ref, size), 2);
		assert_false(msr_bitmap_intercepts(layout, buf, p->msr, MSR_RW));
		assert_int_equal(buf[p->rbyte] & (1u << p->rbit), 0);
		assert_int_equal(buf[p->wbyte] & (1u << p->wbit), 0);
		assert_int_equal(msr_bitmap_set(layout, buf, p->msr, MSR_RW, true), 0);
		assert_memory_equal(buf, ref, size);
	}
}

static void test_vmx_positions(void **state __unused)
{
	check_positions(MSR_BITMAP_VMX, vmx_pos, ARRAY_SIZE(vmx_pos));
}

static void test_svm_positions(void **state __unused)
{
	check_positions(MSR_BITMAP_SVM, svm_pos, ARRAY_SIZE(svm_pos));
}

/* From an all-clear bitmap, intercepting one access sets exactly the expected bit. */
static void check_positions_from_clear(enum msr_bitmap_layout layout, const struct bit_pos *pos,
				       size_t n)
{
	size_t size = msr_bitmap_size(layout);
	uint8_t *buf = buf_of(layout);
	uint8_t zero[MSR_BITMAP_SVM_SIZE] = { 0 };

	for (size_t i = 0; i < n; i++) {
		memset(buf, 0, size);
		assert_false(msr_bitmap_intercepts(layout, buf, pos[i].msr, MSR_RW));
		assert_int_equal(msr_bitmap_set(layout, buf, pos[i].msr, MSR_W, true), 0);
		assert_int_equal(bits_differ(buf, zero, size), 1);
		assert_int_equal(buf[pos[i].wbyte], 1u << pos[i].wbit);
		assert_false(msr_bitmap_intercepts(layout, buf, pos[i].msr, MSR_R));
		assert_true(msr_bitmap_intercepts(layout, buf, pos[i].msr, MSR_W));
		assert_true(msr_bitmap_intercepts(layout, buf, pos[i].msr, MSR_RW));
	}
}

static void test_positions_from_clear(void **state __unused)
{
	check_positions_from_clear(MSR_BITMAP_VMX, vmx_pos, ARRAY_SIZE(vmx_pos));
	check_positions_from_clear(MSR_BITMAP_SVM, svm_pos, ARRAY_SIZE(svm_pos));
}

static void check_outside(enum msr_bitmap_layout layout, const uint32_t *msrs, size_t n)
{
	size_t size = msr_bitmap_size(layout);
	uint8_t *buf = buf_of(layout);
	uint8_t ref[MSR_BITMAP_SVM_SIZE];

	for (size_t i = 0; i < n; i++) {
		/* Refused even on a bitmap that passes everything else through. */
		memset(buf, 0, size);
		memcpy(ref, buf, size);
		assert_true(msr_bitmap_intercepts(layout, buf, msrs[i], MSR_R));
		assert_true(msr_bitmap_intercepts(layout, buf, msrs[i], MSR_W));
		assert_true(msr_bitmap_intercepts(layout, buf, msrs[i], MSR_RW));
		assert_int_equal(msr_bitmap_set(layout, buf, msrs[i], MSR_R, false), -E_RANGE);
		assert_int_equal(msr_bitmap_set(layout, buf, msrs[i], MSR_W, false), -E_RANGE);
		assert_int_equal(msr_bitmap_set(layout, buf, msrs[i], MSR_RW, false), -E_RANGE);
		/* Intercepting is a no-op success. */
		assert_int_equal(msr_bitmap_set(layout, buf, msrs[i], MSR_RW, true), 0);
		assert_int_equal(msr_bitmap_set(layout, buf, msrs[i], MSR_R, true), 0);
		assert_memory_equal(buf, ref, size);

		msr_bitmap_init(layout, buf);
		memcpy(ref, buf, size);
		assert_int_equal(msr_bitmap_set(layout, buf, msrs[i], MSR_RW, false), -E_RANGE);
		assert_true(msr_bitmap_intercepts(layout, buf, msrs[i], MSR_RW));
		assert_memory_equal(buf, ref, size);
	}
}

static void test_outside_ranges(void **state __unused)
{
	check_outside(MSR_BITMAP_VMX, vmx_outside, ARRAY_SIZE(vmx_outside));
	check_outside(MSR_BITMAP_SVM, svm_outside, ARRAY_SIZE(svm_outside));
}

/*
 * Walk every MSR of every range, passing reads through first and then writes: each access must
 * still be intercepted before its own clear (no two accesses share a bit) and not after. At the end
 * every bit of the ranges is clear, and SVM's reserved last 2 KiB is untouched.
 */
static void check_sweep(enum msr_bitmap_layout layout, const uint32_t *firsts, size_t nr,
			size_t used)
{
	size_t size = msr_bitmap_size(layout);
	uint8_t *buf = buf_of(layout);

	msr_bitmap_init(layout, buf);
	for (unsigned int access = MSR_R; access <= MSR_W; access <<= 1) {
		for (size_t r = 0; r < nr; r++) {
			for (uint32_t msr = firsts[r]; msr < firsts[r] + 0x2000; msr++) {
				assert_true(msr_bitmap_intercepts(layout, buf, msr, access));
				assert_int_equal(msr_bitmap_set(layout, buf, msr, access, false), 0);
				assert_false(msr_bitmap_intercepts(layout, buf, msr, access));
			}
		}
	}
	for (size_t i = 0; i < used; i++)
		assert_int_equal(buf[i], 0);
	for (size_t i = used; i < size; i++)
		assert_int_equal(buf[i], 0xff);
}

static void test_sweep(void **state __unused)
{
	static const uint32_t vmx_firsts[] = { 0x00000000, 0xC0000000 };
	static const uint32_t svm_firsts[] = { 0x00000000, 0xC0000000, 0xC0010000 };

	check_sweep(MSR_BITMAP_VMX, vmx_firsts, ARRAY_SIZE(vmx_firsts), 0x1000);
	check_sweep(MSR_BITMAP_SVM, svm_firsts, ARRAY_SIZE(svm_firsts), 0x1800);
}

/* Read and write bits of neighbouring MSRs do not disturb one another. */
static void test_read_write_independent(void **state __unused)
{
	static const enum msr_bitmap_layout layouts[] = { MSR_BITMAP_VMX, MSR_BITMAP_SVM };
	const uint32_t lstar = 0xC0000082, cstar = 0xC0000083;

	for (size_t i = 0; i < ARRAY_SIZE(layouts); i++) {
		enum msr_bitmap_layout l = layouts[i];
		uint8_t *buf = buf_of(l);

		msr_bitmap_init(l, buf);
		assert_int_equal(msr_bitmap_set(l, buf, lstar, MSR_R, false), 0);
		assert_int_equal(msr_bitmap_set(l, buf, cstar, MSR_W, false), 0);
		assert_false(msr_bitmap_intercepts(l, buf, lstar, MSR_R));
		assert_true(msr_bitmap_intercepts(l, buf, lstar, MSR_W));
		assert_true(msr_bitmap_intercepts(l, buf, cstar, MSR_R));
		assert_false(msr_bitmap_intercepts(l, buf, cstar, MSR_W));
		assert_true(msr_bitmap_intercepts(l, buf, lstar - 1, MSR_RW));

		/* Re-intercepting the write of LSTAR leaves its read passed through. */
		assert_int_equal(msr_bitmap_set(l, buf, lstar, MSR_W, true), 0);
		assert_false(msr_bitmap_intercepts(l, buf, lstar, MSR_R));
		/* Intercepting the read of CSTAR leaves its write passed through. */
		assert_int_equal(msr_bitmap_set(l, buf, cstar, MSR_R, true), 0);
		assert_false(msr_bitmap_intercepts(l, buf, cstar, MSR_W));
		/* Idempotent. */
		assert_int_equal(msr_bitmap_set(l, buf, cstar, MSR_W, false), 0);
		assert_false(msr_bitmap_intercepts(l, buf, cstar, MSR_W));
		assert_true(msr_bitmap_intercepts(l, buf, cstar, MSR_R));
	}
}

static void test_bad_arguments(void **state __unused)
{
	const enum msr_bitmap_layout bad = (enum msr_bitmap_layout)2;
	uint8_t ref[MSR_BITMAP_VMX_SIZE];

	msr_bitmap_init(MSR_BITMAP_VMX, vmx_buf);
	memcpy(ref, vmx_buf, sizeof(ref));
	assert_int_equal(msr_bitmap_set(MSR_BITMAP_VMX, vmx_buf, 0xC0000080, 0, false), -E_INVAL);
	assert_int_equal(msr_bitmap_set(MSR_BITMAP_VMX, vmx_buf, 0xC0000080, 4, false), -E_INVAL);
	assert_int_equal(msr_bitmap_set(MSR_BITMAP_VMX, vmx_buf, 0xC0000080, MSR_RW | 8, false),
			 -E_INVAL);
	assert_int_equal(msr_bitmap_set(bad, vmx_buf, 0xC0000080, MSR_R, false), -E_INVAL);
	assert_memory_equal(vmx_buf, ref, sizeof(ref));

	memset(vmx_buf, 0, sizeof(vmx_buf));
	assert_false(msr_bitmap_intercepts(MSR_BITMAP_VMX, vmx_buf, 0xC0000080, 0));
	assert_true(msr_bitmap_intercepts(MSR_BITMAP_VMX, vmx_buf, 0xC0000080, 4));
	assert_true(msr_bitmap_intercepts(bad, vmx_buf, 0xC0000080, MSR_R));

	/* init of an unknown layout writes nothing. */
	msr_bitmap_init(bad, vmx_buf);
	for (size_t i = 0; i < sizeof(vmx_buf); i++)
		assert_int_equal(vmx_buf[i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_and_init),
		cmocka_unit_test(test_vmx_positions),
		cmocka_unit_test(test_svm_positions),
		cmocka_unit_test(test_positions_from_clear),
		cmocka_unit_test(test_outside_ranges),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_read_write_independent),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests_name("msr_bitmap", tests, NULL, NULL);
}
