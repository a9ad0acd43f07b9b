/* Host tests of the IPI destination decoder: every form the SDM lists, hits and misses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../../vmm/ipi_dest.c"

#define SH(n) ((uint32_t)(n) << 18)
#define FLAT 0xFFFFFFFFU
#define CLUSTER 0x0FFFFFFFU

static struct ipi_target target(uint32_t id, uint32_t logical, uint32_t dfr, bool self)
{
	return (struct ipi_target){ .apic_id = id, .ldr = logical << 24, .dfr = dfr, .self = self };
}

static void test_shorthands(void **state)
{
	struct ipi_target me = target(0, 0, FLAT, true), other = target(1, 0, FLAT, false);

	(void)state;
	assert_true(ipi_reaches(SH(1), 7, false, &me));
	assert_false(ipi_reaches(SH(1), 7, false, &other));
	assert_true(ipi_reaches(SH(2), 7, false, &me));
	assert_true(ipi_reaches(SH(2), 7, true, &other));
	assert_false(ipi_reaches(SH(3), 0, false, &me));
	assert_true(ipi_reaches(SH(3), 0, false, &other));
	/* A shorthand ignores the destination field, even in logical mode. */
	assert_true(ipi_reaches(SH(3) | IPI_ICR_LOGICAL, 0, false, &other));
}

static void test_physical(void **state)
{
	struct ipi_target t = target(3, 0, FLAT, false), big = target(0x123, 0, FLAT, false);

	(void)state;
	assert_true(ipi_reaches(0, 3, false, &t));
	assert_false(ipi_reaches(0, 2, false, &t));
	assert_true(ipi_reaches(0, 0xFF, false, &t));       /* xAPIC broadcast */
	assert_true(ipi_reaches(0, 0x123, true, &big));
	assert_false(ipi_reaches(0, 0x23, true, &big));
	assert_false(ipi_reaches(0, 0xFF, true, &big));     /* not a broadcast in x2APIC mode */
	assert_true(ipi_reaches(0, 0xFFFFFFFF, true, &big));
}

static void test_logical_flat(void **state)
{
	struct ipi_target t = target(5, 0x04, FLAT, false), none = target(6, 0, FLAT, false);

	(void)state;
	assert_true(ipi_reaches(IPI_ICR_LOGICAL, 0x04, false, &t));
	assert_true(ipi_reaches(IPI_ICR_LOGICAL, 0x0C, false, &t));
	assert_false(ipi_reaches(IPI_ICR_LOGICAL, 0x08, false, &t));
	assert_true(ipi_reaches(IPI_ICR_LOGICAL, 0xFF, false, &t));
	/* LDR 0 (after INIT) is reached by nothing but the broadcast. */
	assert_false(ipi_reaches(IPI_ICR_LOGICAL, 0x7F, false, &none));
	assert_true(ipi_reaches(IPI_ICR_LOGICAL, 0xFF, false, &none));
}

static void test_logical_cluster(void **state)
{
	struct ipi_target t = target(9, 0x22, CLUSTER, false); /* cluster 2, member bit 1 */

	(void)state;
	assert_true(ipi_reaches(IPI_ICR_LOGICAL, 0x22, false, &t));
	assert_true(ipi_reaches(IPI_ICR_LOGICAL, 0x2F, false, &t));
	assert_false(ipi_reaches(IPI_ICR_LOGICAL, 0x12, false, &t));  /* other cluster */
	assert_false(ipi_reaches(IPI_ICR_LOGICAL, 0x21, false, &t));  /* other member */
	assert_true(ipi_reaches(IPI_ICR_LOGICAL, 0xF2, false, &t));   /* every cluster, member 1 */
	assert_true(ipi_reaches(IPI_ICR_LOGICAL, 0xFF, false, &t));
}

static void test_x2apic_logical(void **state)
{
	struct ipi_target t = target(0x13, 0, FLAT, false); /* cluster 1, bit 3 */

	(void)state;
	assert_int_equal(ipi_x2apic_ldr(0x13), 0x10008);
	assert_true(ipi_reaches(IPI_ICR_LOGICAL, 0x10008, true, &t));
	assert_true(ipi_reaches(IPI_ICR_LOGICAL, 0x1FFFF, true, &t));
	assert_false(ipi_reaches(IPI_ICR_LOGICAL, 0x00008, true, &t));
	assert_false(ipi_reaches(IPI_ICR_LOGICAL, 0x10004, true, &t));
	assert_true(ipi_reaches(IPI_ICR_LOGICAL, 0xFFFFFFFF, true, &t));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shorthands),
		cmocka_unit_test(test_physical),
		cmocka_unit_test(test_logical_flat),
		cmocka_unit_test(test_logical_cluster),
		cmocka_unit_test(test_x2apic_logical),
	};

	return cmocka_run_group_tests_name("ipi_dest", tests, NULL, NULL);
}
