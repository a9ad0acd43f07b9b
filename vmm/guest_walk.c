/*
 * The guest page-table walk (see vmm/guest_walk.h). Formats: Intel SDM vol. 3 chapter 4,
 * AMD APM vol. 2 chapter 5.
 */
#include "errno.h"
#include "lib/string.h"
#include "vmm/guest_walk.h"
#include "x86/cpu.h"
#include "x86/msr.h"
#include "x86/paging.h"

#ifndef CR4_LA57
#define CR4_LA57 (1UL << 12)
#endif

#define PAGE_OFFSET_MASK 0xFFFULL
#define PAGE_4M (4 * MiB)
#define PTE32_ADDR_MASK 0xFFFFF000ULL
#define PDE32_4M_ADDR_MASK 0xFFC00000ULL
#define PDE32_PSE36_SHIFT 13      /* physical address bits 39:32 of a 4 MiB page sit in 20:13 */
#define PAE_PDPT_ADDR_MASK 0xFFFFFFE0ULL /* CR3[31:5] in PAE mode */
#define PAE_PDPTE_RSVD 0x1E6ULL   /* bits 2:1 and 8:5 of a PAE PDPTE */
#define LARGE_ADDR_LOW_BIT 13     /* bit 12 is PAT in a large leaf; 13 up to the page size must be 0 */
#define TABLE_INDEX_BITS 9
#define DEFAULT_MAXPHYADDR 52
#define MIN_MAXPHYADDR 32

/* One walk: the inputs and what the levels seen so far allow. */
struct walk {
	const struct guest_paging *g;
	unsigned access;
	guest_phys_map_fn map;
	void *ctx;
	uint64_t linear;
	uint64_t addr_mask;  /* physical-address bits 51:12 below maxphyaddr */
	uint64_t rsvd;       /* bits reserved in every 64-bit entry: above maxphyaddr, NX without NXE */
	bool nx_enabled;     /* EFER.NXE with PAE or long-mode paging */
	bool writable, user, no_exec;
	struct guest_fault *fault;
};

static unsigned maxphyaddr(const struct guest_paging *g)
{
	if (g->maxphyaddr == 0 || g->maxphyaddr > DEFAULT_MAXPHYADDR)
		return DEFAULT_MAXPHYADDR;
	return MAX(g->maxphyaddr, MIN_MAXPHYADDR);
}

static int read_entry(const struct walk *w, uint64_t gpa, unsigned size, uint64_t *entry)
{
	const void *p = w->map(gpa, size, w->ctx);
	uint32_t e32;

	if (!p)
		return -E_RANGE;
	if (size == sizeof(e32)) {
		memcpy(&e32, p, sizeof(e32));
		*entry = e32;
	} else {
		memcpy(entry, p, sizeof(*entry));
	}
	return 0;
}

/* Records a #PF with the access bits of the error code plus `bits`, and fails the walk. */
static int page_fault(const struct walk *w, uint32_t bits)
{
	const struct guest_paging *g = w->g;
	uint32_t err = bits;

	if (w->access & GUEST_ACCESS_WRITE)
		err |= PF_ERR_W;
	if (w->access & GUEST_ACCESS_USER)
		err |= PF_ERR_U;
	/* I/D is reported only where the CPU can tell fetches apart (SDM vol. 3 §4.7). */
	if ((w->access & GUEST_ACCESS_FETCH) && (w->nx_enabled || (g->cr4 & CR4_SMEP)))
		err |= PF_ERR_ID;
	if (w->fault) {
		w->fault->addr = w->linear;
		w->fault->error_code = err;
	}
	return -E_FAULT;
}

static void accumulate(struct walk *w, uint64_t entry)
{
	w->writable = w->writable && (entry & PTE_W);
	w->user = w->user && (entry & PTE_U);
	w->no_exec = w->no_exec || (w->nx_enabled && (entry & PTE_NX));
}

/* The access rights the whole walk granted, against the access (SDM vol. 3 §4.6). */
static int check_rights(const struct walk *w)
{
	bool user = w->access & GUEST_ACCESS_USER;

	if (user && !w->user)
		return page_fault(w, PF_ERR_P);
	if ((w->access & GUEST_ACCESS_WRITE) && !w->writable && (user || (w->g->cr0 & CR0_WP)))
		return page_fault(w, PF_ERR_P);
	if (w->access & GUEST_ACCESS_FETCH) {
		if (w->no_exec)
			return page_fault(w, PF_ERR_P);
		if (!user && w->user && (w->g->cr4 & CR4_SMEP))
			return page_fault(w, PF_ERR_P);
	}
	return 0;
}

/*
 * 64-bit entries from `level` down to the leaf, starting with the table at `table`: levels 5..1
 * of long mode, or levels 2..1 below a PAE PDPTE. Leaves: PS at level 3 (1 GiB, long mode only:
 * the PAE PDPT is walked by the caller) or 2 (2 MiB), or any level-1 entry (4 KiB).
 */
static int walk_64(struct walk *w, unsigned level, uint64_t table, uint64_t *gpa)
{
	for (;; level--) {
		unsigned shift = PT_LEVEL_SHIFT(level);
		uint64_t index = (w->linear >> shift) & (PT_ENTRIES - 1);
		uint64_t entry, size;
		int rc;

		rc = read_entry(w, table + index * sizeof(uint64_t), sizeof(uint64_t), &entry);
		if (rc)
			return rc;
		if (!(entry & PTE_P))
			return page_fault(w, 0);
		if (entry & w->rsvd)
			return page_fault(w, PF_ERR_P | PF_ERR_RSVD);
		if (level > PT_LEVEL_1G && (entry & PTE_PS)) /* PS is reserved in PML4Es and PML5Es */
			return page_fault(w, PF_ERR_P | PF_ERR_RSVD);
		accumulate(w, entry);

		if (level > PT_LEVEL_4K && !(entry & PTE_PS)) {
			table = entry & w->addr_mask;
			continue;
		}
		size = 1ULL << shift;
		if (level > PT_LEVEL_4K && (entry & (size - 1) & ~((1ULL << LARGE_ADDR_LOW_BIT) - 1)))
			return page_fault(w, PF_ERR_P | PF_ERR_RSVD);
		*gpa = (entry & w->addr_mask & ~(size - 1)) | (w->linear & (size - 1));
		return check_rights(w);
	}
}

static int walk_long(struct walk *w, uint64_t *gpa)
{
	unsigned levels = (w->g->cr4 & CR4_LA57) ? 5 : PT_LEVELS;
	unsigned bits = PT_LEVEL_SHIFT(levels) + TABLE_INDEX_BITS; /* 48 or 57 */
	uint64_t high = w->linear >> (bits - 1);

	/* Canonical: the bits above the top index all copy its highest bit. */
	if (high != 0 && high != (UINT64_MAX >> (bits - 1)))
		return -E_INVAL;
	return walk_64(w, levels, w->g->cr3 & w->addr_mask, gpa);
}

/* PAE: four PDPTEs at CR3[31:5], indexed by linear bits 31:30, then a PD and a PT. */
static int walk_pae(struct walk *w, uint64_t *gpa)
{
	uint64_t pdpte_addr = (w->g->cr3 & PAE_PDPT_ADDR_MASK) + ((w->linear >> 30) & 3) * sizeof(uint64_t);
	uint64_t pdpte;
	int rc;

	rc = read_entry(w, pdpte_addr, sizeof(pdpte), &pdpte);
	if (rc)
		return rc;
	if (!(pdpte & PTE_P))
		return page_fault(w, 0);
	/* A PDPTE has no NX, R/W or U/S: those bits are reserved and it grants everything. */
	if (pdpte & (w->rsvd | PTE_NX | PAE_PDPTE_RSVD))
		return page_fault(w, PF_ERR_P | PF_ERR_RSVD);
	return walk_64(w, PT_LEVEL_2M, pdpte & w->addr_mask, gpa);
}

/* 32-bit paging: a PD at CR3[31:12], 4 KiB pages, or 4 MiB pages with CR4.PSE (PSE-36 above 4 GiB). */
static int walk_32(struct walk *w, uint64_t *gpa)
{
	uint64_t pde, pte;
	int rc;

	rc = read_entry(w, (w->g->cr3 & PTE32_ADDR_MASK) + ((w->linear >> 22) & 0x3FF) * sizeof(uint32_t),
			sizeof(uint32_t), &pde);
	if (rc)
		return rc;
	if (!(pde & PTE_P))
		return page_fault(w, 0);
	accumulate(w, pde);

	if ((w->g->cr4 & CR4_PSE) && (pde & PTE_PS)) {
		/* Bits 20:13 hold physical bits 39:32 up to maxphyaddr (at most 40); the rest to 21 are reserved. */
		unsigned high_bits = MIN(maxphyaddr(w->g), 40U) - 32;
		uint64_t high_mask = ((1ULL << high_bits) - 1) << PDE32_PSE36_SHIFT;
		uint64_t rsvd = (PAGE_4M - 1) & ~((1ULL << PDE32_PSE36_SHIFT) - 1) & ~high_mask;

		if (pde & rsvd)
			return page_fault(w, PF_ERR_P | PF_ERR_RSVD);
		*gpa = (pde & PDE32_4M_ADDR_MASK) | ((pde & high_mask) >> PDE32_PSE36_SHIFT << 32) |
		       (w->linear & (PAGE_4M - 1));
		return check_rights(w);
	}

	rc = read_entry(w, (pde & PTE32_ADDR_MASK) + ((w->linear >> 12) & 0x3FF) * sizeof(uint32_t),
			sizeof(uint32_t), &pte);
	if (rc)
		return rc;
	if (!(pte & PTE_P))
		return page_fault(w, 0);
	accumulate(w, pte);
	*gpa = (pte & PTE32_ADDR_MASK) | (w->linear & PAGE_OFFSET_MASK);
	return check_rights(w);
}

int guest_translate(const struct guest_paging *g, uint64_t linear, unsigned access, guest_phys_map_fn map,
		    void *ctx, uint64_t *gpa, struct guest_fault *fault)
{
	bool long_mode = g->efer & EFER_LMA;
	unsigned m = maxphyaddr(g);
	struct walk w = {
		.g = g,
		.access = access,
		.map = map,
		.ctx = ctx,
		.linear = long_mode ? linear : (uint32_t)linear,
		.addr_mask = PTE_ADDR_MASK & ((1ULL << m) - 1),
		.rsvd = PTE_ADDR_MASK & ~((1ULL << m) - 1),
		.nx_enabled = (g->efer & EFER_NXE) && (g->cr4 & CR4_PAE),
		.writable = true,
		.user = true,
		.no_exec = false,
		.fault = fault,
	};
	uint64_t result = w.linear; /* paging off: linear is physical */
	int rc = 0;

	if (!w.nx_enabled)
		w.rsvd |= PTE_NX;
	if (long_mode && (!(g->cr0 & CR0_PG) || !(g->cr4 & CR4_PAE)))
		return -E_INVAL;
	if (long_mode)
		rc = walk_long(&w, &result);
	else if ((g->cr0 & CR0_PG) && (g->cr4 & CR4_PAE))
		rc = walk_pae(&w, &result);
	else if (g->cr0 & CR0_PG)
		rc = walk_32(&w, &result);
	if (rc == 0)
		*gpa = result;
	return rc;
}

/*
 * Page by page over [linear, linear + len), each page translated for `access` and mapped: copies
 * into `to` (a read), or from `from` (a write: guest RAM is writable, map() only promises reads to
 * its read-only callers), or neither (a check that every page can be reached). 0, or why not.
 */
static int copy_linear(const struct guest_paging *g, uint64_t linear, uint8_t *to, const uint8_t *from, size_t len,
		       unsigned access, guest_phys_map_fn map, void *ctx, struct guest_fault *fault)
{
	size_t done = 0;

	while (done < len) {
		uint64_t addr = linear + done;
		size_t chunk = MIN(len - done, (size_t)(PAGE_SIZE_4K - (addr & PAGE_OFFSET_MASK)));
		const void *p;
		uint64_t gpa;
		int rc;

		rc = guest_translate(g, addr, access, map, ctx, &gpa, fault);
		if (rc)
			return rc;
		p = map(gpa, chunk, ctx);
		if (!p)
			return -E_RANGE;
		if (to)
			memcpy(to + done, p, chunk);
		else if (from)
			memcpy((void *)(uintptr_t)p, from + done, chunk);
		done += chunk;
	}
	return 0;
}

int guest_read_linear(const struct guest_paging *g, uint64_t linear, void *buf, size_t len, unsigned access,
		      guest_phys_map_fn map, void *ctx, struct guest_fault *fault)
{
	return copy_linear(g, linear, buf, NULL, len, access, map, ctx, fault);
}

int guest_write_linear(const struct guest_paging *g, uint64_t linear, const void *buf, size_t len, unsigned access,
		       guest_phys_map_fn map, void *ctx, struct guest_fault *fault)
{
	/* Every page is checked before a byte is written: a fault leaves guest memory as it was. */
	int rc = copy_linear(g, linear, NULL, NULL, len, access | GUEST_ACCESS_WRITE, map, ctx, fault);

	return rc ? rc : copy_linear(g, linear, NULL, buf, len, access | GUEST_ACCESS_WRITE, map, ctx, fault);
}
