/* Host unit tests for vmm/guest_walk.c: hand-built guest page tables in a fake guest RAM. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/string.c"
#include "../../vmm/guest_walk.c"

/* Guest RAM is [0, RAM_SIZE); everything above is not RAM. */
#define RAM_SIZE (8 * MiB)
#define OUTSIDE_RAM 0x10000000ULL

static uint8_t *ram;
static unsigned int map_calls;

static const void *fake_map(uint64_t gpa, uint64_t len, void *ctx)
{
	assert_ptr_equal(ctx, &ram);
	/* The walker's promise: at most a page, never across a 4 KiB boundary. */
	assert_true(len >= 1 && len <= PAGE_SIZE_4K);
	assert_true((gpa & 0xFFF) + len <= PAGE_SIZE_4K);
	map_calls++;
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return NULL;
	return ram + gpa;
}

static int setup(void **state __unused)
{
	ram = calloc(1, RAM_SIZE);
	map_calls = 0;
	return ram ? 0 : -1;
}

static int teardown(void **state __unused)
{
	free(ram);
	ram = NULL;
	return 0;
}

static void put32(uint64_t gpa, uint32_t v)
{
	memcpy(ram + gpa, &v, sizeof(v));
}

static void put64(uint64_t gpa, uint64_t v)
{
	memcpy(ram + gpa, &v, sizeof(v));
}

/* Entry addresses: table base + index * entry size. */
#define E32(table, i) ((table) + (uint64_t)(i) * 4)
#define E64(table, i) ((table) + (uint64_t)(i) * 8)

#define RW (PTE_P | PTE_W)
#define URW (PTE_P | PTE_W | PTE_U)

static uint64_t xlate(const struct guest_paging *g, uint64_t linear, unsigned access)
{
	uint64_t gpa = 0xdead;
	struct guest_fault f = { 0, 0 };

	assert_int_equal(guest_translate(g, linear, access, fake_map, &ram, &gpa, &f), 0);
	return gpa;
}

/* Expects a #PF at `linear` with error code `err`. */
static void expect_pf(const struct guest_paging *g, uint64_t linear, unsigned access, uint32_t err)
{
	uint64_t gpa = 0xdead;
	struct guest_fault f = { 0, 0xffffffff };

	assert_int_equal(guest_translate(g, linear, access, fake_map, &ram, &gpa, &f), -E_FAULT);
	assert_int_equal(f.addr, linear);
	assert_int_equal(f.error_code, err);
	assert_int_equal(gpa, 0xdead);
	/* The fault report is optional. */
	assert_int_equal(guest_translate(g, linear, access, fake_map, &ram, &gpa, NULL), -E_FAULT);
}

static void test_paging_off(void **state __unused)
{
	struct guest_paging g = { .cr0 = CR0_PE };
	uint8_t buf[4];

	assert_int_equal(xlate(&g, 0x1234, 0), 0x1234);
	assert_int_equal(xlate(&g, 0xfee00300, GUEST_ACCESS_WRITE), 0xfee00300);
	/* Linear addresses wrap at 4 GiB outside long mode (CS.base + EIP can carry). */
	assert_int_equal(xlate(&g, 0x100001234ULL, GUEST_ACCESS_FETCH), 0x1234);
	assert_int_equal(map_calls, 0); /* no tables */

	put32(0x7ffe, 0x44332211);
	assert_int_equal(guest_read_linear(&g, 0x7ffe, buf, 4, GUEST_ACCESS_FETCH, fake_map, &ram, NULL), 0);
	assert_memory_equal(buf, "\x11\x22\x33\x44", 4);
	/* Real mode: PE = 0 too. */
	g.cr0 = 0;
	assert_int_equal(xlate(&g, 0xffff0, GUEST_ACCESS_FETCH), 0xffff0);
	/* The target is not guest RAM: translation works, the read does not. */
	assert_int_equal(guest_read_linear(&g, 0xfee00300, buf, 4, 0, fake_map, &ram, NULL), -E_RANGE);
}

/* 32-bit paging: PD at 0x1000; PT at 0x2000 for linear [0, 4 MiB); 4 MiB pages above. */
static void build_32(struct guest_paging *g)
{
	*g = (struct guest_paging){ .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = 0x1000 | 0x18 /* PWT|PCD */ };
	put32(E32(0x1000, 0), 0x2000 | URW);
	put32(E32(0x2000, 5), 0x7000 | URW);           /* 0x5000 -> 0x7000 */
	put32(E32(0x2000, 6), 0x3000 | PTE_P | PTE_U); /* 0x6000 -> 0x3000, read-only */
	put32(E32(0x1000, 1), 0x400000 | RW | PTE_PS); /* 4 MiB at 0x400000 -> 0x400000 */
	put32(E32(0x1000, 2), 0x400000 | (0x3 << 13) | RW | PTE_PS); /* PSE-36: 0x3_0040_0000 */
	put32(E32(0x1000, 3), 0x400000 | (1U << 21) | RW | PTE_PS);  /* bit 21 is reserved */
	put32(E32(0x1000, 0x3ff), 0x4000 | RW);       /* the top 4 MiB, supervisor */
	put32(E32(0x4000, 0x3ff), 0x5000 | RW);       /* 0xfffff000 -> 0x5000 */
}

static void test_paging_32(void **state __unused)
{
	struct guest_paging g;

	build_32(&g);
	assert_int_equal(xlate(&g, 0x5abc, 0), 0x7abc);
	assert_int_equal(xlate(&g, 0x5abc, GUEST_ACCESS_WRITE | GUEST_ACCESS_USER), 0x7abc);
	assert_int_equal(xlate(&g, 0x6010, GUEST_ACCESS_USER), 0x3010);
	assert_int_equal(xlate(&g, 0xfffff123, 0), 0x5123);
	/* Bits above 31 of the linear address do not exist here. */
	assert_int_equal(xlate(&g, 0x1fffff123ULL, 0), 0x5123);
	/* No NX in 32-bit paging: fetches are always allowed. */
	assert_int_equal(xlate(&g, 0x5000, GUEST_ACCESS_FETCH), 0x7000);

	/* Without CR4.PSE the PS bit is ignored and the PDE points to a page table (0x400000 is zero). */
	expect_pf(&g, 0x412345, 0, 0);
	g.cr4 = CR4_PSE;
	assert_int_equal(xlate(&g, 0x412345, 0), 0x412345);
	assert_int_equal(xlate(&g, 0x8abcde, 0), 0x3004abcdeULL);
	expect_pf(&g, 0xc00000, 0, PF_ERR_P | PF_ERR_RSVD);
	/* With a 36-bit physical width only PDE bits 16:13 carry address bits. */
	g.maxphyaddr = 36;
	assert_int_equal(xlate(&g, 0x8abcde, 0), 0x3004abcdeULL);
	put32(E32(0x1000, 2), 0x400000 | (0x10 << 13) | RW | PTE_PS);
	expect_pf(&g, 0x8abcde, 0, PF_ERR_P | PF_ERR_RSVD);

	/* Not present, at either level. */
	expect_pf(&g, 0x7000, 0, 0);
	expect_pf(&g, 0x7000, GUEST_ACCESS_WRITE, PF_ERR_W);
	expect_pf(&g, 0x1000000, GUEST_ACCESS_USER, PF_ERR_U);
	/* Write to read-only with WP; allowed for the supervisor without WP, never for the user. */
	expect_pf(&g, 0x6000, GUEST_ACCESS_WRITE, PF_ERR_P | PF_ERR_W);
	expect_pf(&g, 0x6000, GUEST_ACCESS_WRITE | GUEST_ACCESS_USER, PF_ERR_P | PF_ERR_W | PF_ERR_U);
	g.cr0 &= ~CR0_WP;
	assert_int_equal(xlate(&g, 0x6000, GUEST_ACCESS_WRITE), 0x3000);
	expect_pf(&g, 0x6000, GUEST_ACCESS_WRITE | GUEST_ACCESS_USER, PF_ERR_P | PF_ERR_W | PF_ERR_U);
	/* User access to a supervisor PDE or a supervisor 4 MiB page. */
	expect_pf(&g, 0xfffff000, GUEST_ACCESS_USER, PF_ERR_P | PF_ERR_U);
	expect_pf(&g, 0x400000, GUEST_ACCESS_USER, PF_ERR_P | PF_ERR_U);
	/* SMEP: the supervisor may not fetch from user pages; I/D is reported with SMEP. */
	g.cr4 |= CR4_SMEP;
	expect_pf(&g, 0x5000, GUEST_ACCESS_FETCH, PF_ERR_P | PF_ERR_ID);
	assert_int_equal(xlate(&g, 0x400000, GUEST_ACCESS_FETCH), 0x400000);
	assert_int_equal(xlate(&g, 0x5000, GUEST_ACCESS_FETCH | GUEST_ACCESS_USER), 0x7000);
}

/* PAE: PDPT at 0x1020 (32-byte aligned), PD at 0x3000 for [0, 1 GiB), PT at 0x4000 for [0, 2 MiB). */
static void build_pae(struct guest_paging *g)
{
	*g = (struct guest_paging){ .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr4 = CR4_PAE, .cr3 = 0x1020 };
	put64(E64(0x1020, 0), 0x3000 | PTE_P);
	put64(E64(0x3000, 0), 0x4000 | URW);
	put64(E64(0x4000, 3), 0x9000 | URW);                       /* 0x3000 -> 0x9000 */
	put64(E64(0x4000, 4), 0xa000 | URW | PTE_NX);              /* 0x4000 -> 0xa000, NX */
	put64(E64(0x3000, 1), 0x600000 | RW | PTE_PS);             /* 2 MiB: 0x200000 -> 0x600000 */
	put64(E64(0x3000, 2), 0x600000 | (1ULL << 13) | RW | PTE_PS); /* misaligned 2 MiB */
	put64(E64(0x1020, 3), 0x5000 | PTE_P);                     /* the top GiB */
	put64(E64(0x5000, 511), 0x6000 | RW);
	put64(E64(0x6000, 511), 0x2000 | RW);                      /* 0xfffff000 -> 0x2000 */
	put64(E64(0x1020, 2), 0x3000 | PTE_P | PTE_W);             /* R/W is reserved in a PDPTE */
}

static void test_paging_pae(void **state __unused)
{
	struct guest_paging g;

	build_pae(&g);
	assert_int_equal(xlate(&g, 0x3123, 0), 0x9123);
	assert_int_equal(xlate(&g, 0x3123, GUEST_ACCESS_WRITE | GUEST_ACCESS_USER), 0x9123);
	assert_int_equal(xlate(&g, 0x2abcde, 0), 0x6abcde);
	assert_int_equal(xlate(&g, 0xfffff008, GUEST_ACCESS_WRITE), 0x2008);
	/* The misaligned 2 MiB page; a PDPTE with a reserved bit; not-present PDPTE and PDE. */
	expect_pf(&g, 0x400000, 0, PF_ERR_P | PF_ERR_RSVD);
	expect_pf(&g, 0x80000000, 0, PF_ERR_P | PF_ERR_RSVD);
	expect_pf(&g, 0x40000000, GUEST_ACCESS_WRITE, PF_ERR_W);
	expect_pf(&g, 0x800000, 0, 0);
	/* User access to the supervisor 2 MiB page. */
	expect_pf(&g, 0x200000, GUEST_ACCESS_USER, PF_ERR_P | PF_ERR_U);

	/* NX is reserved without EFER.NXE; with it, fetches fault and I/D is set. */
	expect_pf(&g, 0x4000, 0, PF_ERR_P | PF_ERR_RSVD);
	expect_pf(&g, 0x4000, GUEST_ACCESS_FETCH, PF_ERR_P | PF_ERR_RSVD);
	g.efer = EFER_NXE;
	assert_int_equal(xlate(&g, 0x4000, 0), 0xa000);
	assert_int_equal(xlate(&g, 0x4000, GUEST_ACCESS_WRITE), 0xa000);
	expect_pf(&g, 0x4000, GUEST_ACCESS_FETCH, PF_ERR_P | PF_ERR_ID);
	assert_int_equal(xlate(&g, 0x3000, GUEST_ACCESS_FETCH), 0x9000);
	expect_pf(&g, 0x800000, GUEST_ACCESS_FETCH, PF_ERR_ID);
	/* NX in a PDPTE stays reserved. */
	put64(E64(0x1020, 0), 0x3000 | PTE_P | PTE_NX);
	expect_pf(&g, 0x3000, 0, PF_ERR_P | PF_ERR_RSVD);

	/* The PDPT itself outside guest RAM. */
	g.cr3 = OUTSIDE_RAM;
	assert_int_equal(guest_translate(&g, 0x3000, 0, fake_map, &ram, &(uint64_t){ 0 }, NULL), -E_RANGE);
}

/*
 * Long mode: PML4 at 0x1000. PML4[0] -> PDPT 0x2000: PDPT[0] -> PD 0x3000 (PD[0] -> PT 0x4000,
 * PD[1] a 2 MiB page at 0x200000), PDPT[1] a 1 GiB page at 0. PML4[511] -> PDPT 0x5000 for the
 * kernel's -2 GiB: PDPT[510] -> PD 0x6000, PD[0] a 2 MiB page at 0x400000.
 */
static void build_long(struct guest_paging *g)
{
	*g = (struct guest_paging){ .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr4 = CR4_PAE | CR4_PSE,
				    .efer = EFER_LME | EFER_LMA | EFER_NXE, .cr3 = 0x1000 };
	put64(E64(0x1000, 0), 0x2000 | URW);
	put64(E64(0x2000, 0), 0x3000 | URW);
	put64(E64(0x3000, 0), 0x4000 | URW);
	put64(E64(0x4000, 7), 0xa000 | URW);                   /* 0x7000 -> 0xa000 */
	put64(E64(0x4000, 8), 0xb000 | PTE_P | PTE_U);         /* 0x8000 -> 0xb000, read-only */
	put64(E64(0x4000, 9), 0xc000 | URW | PTE_NX);          /* 0x9000 -> 0xc000, NX */
	put64(E64(0x4000, 10), 0xd000 | RW);                   /* 0xa000 -> 0xd000, supervisor */
	put64(E64(0x3000, 1), 0x200000 | URW | PTE_PS);        /* 2 MiB identity */
	put64(E64(0x3000, 2), 0x200000 | (1ULL << 20) | URW | PTE_PS); /* misaligned */
	put64(E64(0x3000, 3), 0x11000 | URW | PTE_NX);         /* NX above the leaf */
	put64(E64(0x11000, 0), 0x12000 | URW);                 /* 0x600000 -> 0x12000 */
	put64(E64(0x2000, 1), 0 | URW | PTE_PS);               /* 1 GiB: 0x40000000 -> 0 */
	put64(E64(0x2000, 2), 0x40000000 | (1ULL << 29) | URW | PTE_PS); /* misaligned 1 GiB */
	put64(E64(0x2000, 3), OUTSIDE_RAM | URW);              /* a PD outside RAM */
	put64(E64(0x2000, 4), (1ULL << 40) | 0x3000 | URW);    /* above a 36-bit physical width */
	put64(E64(0x1000, 511), 0x5000 | RW);
	put64(E64(0x5000, 510), 0x6000 | RW);
	put64(E64(0x6000, 0), 0x400000 | RW | PTE_PS);
	put64(E64(0x1000, 1), 0x2000 | URW | PTE_PS);          /* PS is reserved in a PML4E */
}

static void test_paging_long(void **state __unused)
{
	struct guest_paging g;

	build_long(&g);
	assert_int_equal(xlate(&g, 0x7123, 0), 0xa123);
	assert_int_equal(xlate(&g, 0x7123, GUEST_ACCESS_FETCH | GUEST_ACCESS_USER), 0xa123);
	assert_int_equal(xlate(&g, 0x2abcde, GUEST_ACCESS_WRITE), 0x2abcde);
	assert_int_equal(xlate(&g, 0x40005678, 0), 0x5678);
	assert_int_equal(xlate(&g, 0x7fffffff, 0), 0x3fffffff);
	assert_int_equal(xlate(&g, 0xffffffff80012345ULL, GUEST_ACCESS_FETCH), 0x412345);
	/* PCID bits in CR3 are not part of the address. */
	g.cr3 = 0x1000 | 0x123;
	assert_int_equal(xlate(&g, 0x7123, 0), 0xa123);
	g.cr3 = 0x1000;

	/* Not canonical: #GP territory, not #PF. */
	assert_int_equal(guest_translate(&g, 0x0000800000000000ULL, 0, fake_map, &ram, &(uint64_t){ 0 }, NULL),
			 -E_INVAL);
	assert_int_equal(guest_translate(&g, 0xffff7fffffffffffULL, 0, fake_map, &ram, &(uint64_t){ 0 }, NULL),
			 -E_INVAL);
	/* Reserved bits: misaligned large pages, PS in a PML4E, address bits above maxphyaddr. */
	expect_pf(&g, 0x400000, 0, PF_ERR_P | PF_ERR_RSVD);
	expect_pf(&g, 0x80000000, 0, PF_ERR_P | PF_ERR_RSVD);
	expect_pf(&g, 0x8000000000ULL, 0, PF_ERR_P | PF_ERR_RSVD);
	/* With 52 physical bits, bit 40 is an address bit: the PD lies outside guest RAM. */
	assert_int_equal(guest_translate(&g, 0x100007000ULL, 0, fake_map, &ram, &(uint64_t){ 0 }, NULL), -E_RANGE);
	g.maxphyaddr = 36;
	expect_pf(&g, 0x100007000ULL, 0, PF_ERR_P | PF_ERR_RSVD);
	/* NX is reserved once EFER.NXE is clear. */
	g.efer &= ~EFER_NXE;
	expect_pf(&g, 0x9000, 0, PF_ERR_P | PF_ERR_RSVD);
	g.efer |= EFER_NXE;

	/* Not present: the error code says what the access was. */
	expect_pf(&g, 0xb000, 0, 0);
	expect_pf(&g, 0xb000, GUEST_ACCESS_WRITE | GUEST_ACCESS_USER, PF_ERR_W | PF_ERR_U);
	expect_pf(&g, 0xb000, GUEST_ACCESS_FETCH, PF_ERR_ID);
	expect_pf(&g, 0x0000700000000000ULL, 0, 0); /* an empty PML4 slot */
	/* Write to read-only: WP, user. */
	expect_pf(&g, 0x8000, GUEST_ACCESS_WRITE, PF_ERR_P | PF_ERR_W);
	expect_pf(&g, 0x8000, GUEST_ACCESS_WRITE | GUEST_ACCESS_USER, PF_ERR_P | PF_ERR_W | PF_ERR_U);
	g.cr0 &= ~CR0_WP;
	assert_int_equal(xlate(&g, 0x8000, GUEST_ACCESS_WRITE), 0xb000);
	g.cr0 |= CR0_WP;
	/* NX fetch; data access to the same page is fine. */
	expect_pf(&g, 0x9000, GUEST_ACCESS_FETCH, PF_ERR_P | PF_ERR_ID);
	assert_int_equal(xlate(&g, 0x9000, GUEST_ACCESS_WRITE), 0xc000);
	expect_pf(&g, 0x600000, GUEST_ACCESS_FETCH, PF_ERR_P | PF_ERR_ID);
	assert_int_equal(xlate(&g, 0x600000, 0), 0x12000);
	/* User to supervisor, at the leaf and higher up. */
	expect_pf(&g, 0xa000, GUEST_ACCESS_USER, PF_ERR_P | PF_ERR_U);
	expect_pf(&g, 0xffffffff80000000ULL, GUEST_ACCESS_USER | GUEST_ACCESS_FETCH, PF_ERR_P | PF_ERR_U | PF_ERR_ID);
	/* SMEP. */
	g.cr4 |= CR4_SMEP;
	expect_pf(&g, 0x7000, GUEST_ACCESS_FETCH, PF_ERR_P | PF_ERR_ID);
	assert_int_equal(xlate(&g, 0xa000, GUEST_ACCESS_FETCH), 0xd000);
	g.cr4 &= ~CR4_SMEP;
	/* Without NXE or SMEP a fetch fault does not set I/D. */
	g.efer &= ~EFER_NXE;
	expect_pf(&g, 0xb000, GUEST_ACCESS_FETCH, 0);
	g.efer |= EFER_NXE;

	/* Tables outside guest RAM. */
	assert_int_equal(guest_translate(&g, 0xc0000000, 0, fake_map, &ram, &(uint64_t){ 0 }, NULL), -E_RANGE);
	g.cr3 = OUTSIDE_RAM;
	assert_int_equal(guest_translate(&g, 0x7000, 0, fake_map, &ram, &(uint64_t){ 0 }, NULL), -E_RANGE);

	/* LMA without paging or PAE is not a real state. */
	g.cr3 = 0x1000;
	g.cr0 &= ~CR0_PG;
	assert_int_equal(guest_translate(&g, 0x7000, 0, fake_map, &ram, &(uint64_t){ 0 }, NULL), -E_INVAL);
	g.cr0 |= CR0_PG;
	g.cr4 &= ~CR4_PAE;
	assert_int_equal(guest_translate(&g, 0x7000, 0, fake_map, &ram, &(uint64_t){ 0 }, NULL), -E_INVAL);
}

/* 5-level paging: a PML5 at 0x8000 whose entry 0 is the 4-level PML4 above. */
static void test_paging_la57(void **state __unused)
{
	struct guest_paging g;

	build_long(&g);
	put64(E64(0x8000, 0), 0x1000 | URW);
	put64(E64(0x8000, 1), 0x1000 | URW | PTE_PS); /* PS is reserved in a PML5E */
	g.cr4 |= CR4_LA57;
	g.cr3 = 0x8000;
	assert_int_equal(xlate(&g, 0x7123, 0), 0xa123);
	assert_int_equal(xlate(&g, 0x40005678, 0), 0x5678);
	/* Canonical with 57 bits but not with 48: PML4[256], which is empty. */
	expect_pf(&g, 0x0000800000000000ULL, 0, 0);
	expect_pf(&g, 0x0001000000000000ULL, 0, PF_ERR_P | PF_ERR_RSVD);
	expect_pf(&g, 0xffffffff80000000ULL, 0, 0); /* PML5[511] is empty */
	assert_int_equal(guest_translate(&g, 0x0100000000000000ULL, 0, fake_map, &ram, &(uint64_t){ 0 }, NULL),
			 -E_INVAL);
}

static void test_read_linear(void **state __unused)
{
	struct guest_paging g;
	struct guest_fault f;
	uint8_t buf[16];

	build_long(&g);
	/* Linear 0x6000 -> 0xe000 and 0x7000 -> 0xa000: 16 bytes at 0x6ff8 come from two places. */
	put64(E64(0x4000, 6), 0xe000 | URW);
	memcpy(ram + 0xeff8, "ABCDEFGH", 8);
	memcpy(ram + 0xa000, "IJKLMNOP", 8);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(guest_read_linear(&g, 0x6ff8, buf, 16, GUEST_ACCESS_FETCH, fake_map, &ram, &f), 0);
	assert_memory_equal(buf, "ABCDEFGHIJKLMNOP", 16);
	assert_int_equal(guest_read_linear(&g, 0x6ffc, buf, 0, 0, fake_map, &ram, &f), 0);

	/* Into the not-present page after 0xa000 (linear 0xb000): the fault names that page. */
	memcpy(ram + 0xdffa, "0123456", 6);
	f = (struct guest_fault){ 0, 0 };
	assert_int_equal(guest_read_linear(&g, 0xaffa, buf, 15, GUEST_ACCESS_FETCH, fake_map, &ram, &f), -E_FAULT);
	assert_int_equal(f.addr, 0xb000);
	assert_int_equal(f.error_code, PF_ERR_ID);
	/* Wholly inside the first page it works. */
	assert_int_equal(guest_read_linear(&g, 0xaffa, buf, 6, GUEST_ACCESS_FETCH, fake_map, &ram, &f), 0);
	assert_memory_equal(buf, "012345", 6);
	/* A fault on the first byte reports that byte. */
	assert_int_equal(guest_read_linear(&g, 0xb00c, buf, 4, 0, fake_map, &ram, &f), -E_FAULT);
	assert_int_equal(f.addr, 0xb00c);
	assert_int_equal(f.error_code, 0);

	/* A leaf that points outside guest RAM: translation succeeds, reading does not. */
	put64(E64(0x4000, 12), OUTSIDE_RAM | URW);
	assert_int_equal(xlate(&g, 0xc010, 0), OUTSIDE_RAM + 0x10);
	assert_int_equal(guest_read_linear(&g, 0xc010, buf, 4, 0, fake_map, &ram, &f), -E_RANGE);
	assert_int_equal(guest_read_linear(&g, 0xbffe, buf, 4, 0, fake_map, &ram, &f), -E_FAULT);

	/* 32-bit paging wraps at 4 GiB: 0xfffffffe..0x1 reads the last and the first page. */
	build_32(&g);
	put32(E32(0x2000, 0), 0xf000 | URW);
	memcpy(ram + 0x5ffe, "xy", 2);
	memcpy(ram + 0xf000, "zw", 2);
	assert_int_equal(guest_read_linear(&g, 0xfffffffe, buf, 4, 0, fake_map, &ram, &f), 0);
	assert_memory_equal(buf, "xyzw", 4);

	/* Long mode: running off the end of the canonical lower half. */
	build_long(&g);
	put64(E64(0x1000, 255), 0x20000 | URW);
	put64(E64(0x20000, 511), 0x21000 | URW);
	put64(E64(0x21000, 511), 0x22000 | URW);
	put64(E64(0x22000, 511), 0xe000 | URW);
	assert_int_equal(guest_read_linear(&g, 0x00007ffffffffffeULL, buf, 2, 0, fake_map, &ram, &f), 0);
	assert_memory_equal(buf, "GH", 2); /* 0xeffe */
	assert_int_equal(guest_read_linear(&g, 0x00007ffffffffffeULL, buf, 4, 0, fake_map, &ram, &f), -E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_paging_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paging_32, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paging_pae, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paging_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paging_la57, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_linear, setup, teardown),
	};

	return cmocka_run_group_tests_name("guest_walk", tests, NULL, NULL);
}
