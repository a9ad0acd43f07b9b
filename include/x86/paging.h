/*
 * x86-64 4-level paging: entry bits and a page-table builder.
 *
 * The builder (arch/x86/pagetable.c) is pure: it reaches tables only through callbacks in
 * struct pt_ctx, so it serves the host page tables now, nested page tables (NPT, which use this
 * same entry format) and, with a different struct pt_ctx format description, EPT later; and it
 * runs in host unit tests over a buffer. It never flushes TLBs: after changing live tables the
 * caller invalidates (INVLPG / CR3 reload, or the ASID / INVEPT flush for nested tables).
 */
#ifndef HV_X86_PAGING_H
#define HV_X86_PAGING_H

#include "types.h"

/* Page-table entry bits (Intel SDM vol. 3 §4.5, AMD APM vol. 2 §5.3). */
#define PTE_P (1ULL << 0)    /* present */
#define PTE_W (1ULL << 1)    /* writable */
#define PTE_U (1ULL << 2)    /* user (every NPT level needs it: NPT walks are user accesses) */
#define PTE_PWT (1ULL << 3)  /* write-through */
#define PTE_PCD (1ULL << 4)  /* cache disable */
#define PTE_A (1ULL << 5)    /* accessed */
#define PTE_D (1ULL << 6)    /* dirty (leaves only) */
#define PTE_PS (1ULL << 7)   /* page size: a 2 MiB / 1 GiB leaf in a PD / PDPT entry */
#define PTE_PAT (1ULL << 7)  /* PAT index bit in a 4 KiB leaf (same bit as PS) */
#define PTE_G (1ULL << 8)    /* global (leaves only) */
#define PTE_PAT_LARGE (1ULL << 12) /* PAT index bit in a 2 MiB / 1 GiB leaf */
#define PTE_NX (1ULL << 63)  /* no execute (needs EFER.NXE) */
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ULL /* bits 12..51 */

#define PT_ENTRIES 512
#define PT_MAX_PHYS (1ULL << 52) /* one past the highest address an entry can hold */

/* Levels of the walk: a leaf found at level 1 maps 4 KiB, at 2 maps 2 MiB, at 3 maps 1 GiB. */
#define PT_LEVEL_4K 1
#define PT_LEVEL_2M 2
#define PT_LEVEL_1G 3
#define PT_LEVELS 4
#define PT_LEVEL_SHIFT(level) (12 + 9 * ((level) - 1))
#define PT_LEVEL_SIZE(level) (1ULL << PT_LEVEL_SHIFT(level))

#define PAGE_SIZE_4K PT_LEVEL_SIZE(PT_LEVEL_4K)
#define PAGE_SIZE_2M PT_LEVEL_SIZE(PT_LEVEL_2M)
#define PAGE_SIZE_1G PT_LEVEL_SIZE(PT_LEVEL_1G)

/*
 * What the builder needs: how to get and reach tables, and how the entry format encodes things.
 *
 * Leaf flags are always given and returned in the 4 KiB-leaf encoding (for x86: PTE_PAT is bit 7);
 * the builder sets the large-page bit, and moves the PAT bit, when it writes a 2 MiB or 1 GiB leaf.
 * An entry is present when any bit of present_mask is set (x86: P; EPT: read, write or execute).
 *
 * A format whose entries are not x86 ones (EPT) may set flags_from_x86 and flags_to_x86: callers
 * then keep speaking x86 leaf flags (PTE_P, PTE_W, PTE_U, PTE_PWT, PTE_PCD, PTE_NX), so the same
 * vendor-neutral code builds NPT and EPT. When they are NULL, flags are the format's own bits.
 */
struct pt_ctx {
	/* A zeroed 4 KiB table's physical address, or 0 when out of memory. */
	paddr_t (*alloc_table)(void *opaque);
	/* Optional: give back a table the builder no longer references (NULL: tables are kept). */
	void (*free_table)(paddr_t pa, void *opaque);
	/* Where the table at pa can be read and written. */
	void *(*phys_to_virt)(paddr_t pa, void *opaque);
	void *opaque;

	bool allow_1g;        /* use 1 GiB leaves where they fit */
	uint64_t table_flags; /* bits of a non-leaf entry (x86: P|W|U, so the leaf decides access) */
	uint64_t present_mask;
	uint64_t large_bit;   /* marks a leaf at level 2 or 3 */
	uint64_t pat_4k;      /* PAT bit in a 4 KiB leaf, moved to pat_large in large leaves; 0: none */
	uint64_t pat_large;
	uint64_t addr_mask;   /* physical address bits of an entry */

	/*
	 * Optional (NULL: the caller's flags are this format's bits). flags_from_x86 turns the x86
	 * leaf flags given to pt_map into this format's 4 KiB-leaf bits, or returns 0 for flags it
	 * cannot express (pt_map then fails with -E_INVAL); flags_to_x86 turns a leaf's bits back
	 * for pt_lookup. Both are pure; the walker itself only ever sees the format's own bits.
	 */
	uint64_t (*flags_from_x86)(uint64_t x86_flags);
	uint64_t (*flags_to_x86)(uint64_t leaf_flags);

	/*
	 * Optional, for formats whose non-leaf entries name the level of the table they point to
	 * (AMD-Vi I/O page tables): table_flags_at gives the bits of a non-leaf entry at `level`
	 * (2..4) in place of table_flags, and a present entry at level 2 or 3 is a leaf when it has
	 * none of the next_level_mask bits (large_bit is then 0). Leaf flags may not hold them.
	 */
	uint64_t (*table_flags_at)(unsigned int level);
	uint64_t next_level_mask;
};

/* Fill ctx for the x86-64 format (host paging and NPT); allow_1g starts false, no flag hooks. */
void pt_ctx_init_x86(struct pt_ctx *ctx, paddr_t (*alloc_table)(void *opaque),
		     void *(*phys_to_virt)(paddr_t pa, void *opaque), void *opaque);

/*
 * Map [va, va + size) to [pa, pa + size) with leaf flags (4 KiB encoding, must be present and
 * hold no address bits; x86 flags when ctx->flags_from_x86 is set), using at each step the
 * largest page that is aligned in both va and pa and fits in what remains (1 GiB only if
 * ctx->allow_1g). Existing mappings in the range are replaced; a large page that is only partly
 * covered is first split into smaller pages that keep its old mapping, so the rest of it stays
 * mapped as before.
 *
 * va must be canonical and 4 KiB aligned, size a non-zero multiple of 4 KiB with the range inside
 * one canonical half, pa 4 KiB aligned and below PT_MAX_PHYS: else -E_INVAL.
 * Returns -E_NOMEM when a table cannot be allocated: the part of the range done so far stays
 * mapped, the rest keeps its old mapping, and no entry ever points to an unfilled table.
 */
int pt_map(struct pt_ctx *ctx, paddr_t root, uint64_t va, paddr_t pa, uint64_t size,
	   uint64_t flags);

/*
 * Remove all mappings in [va, va + size), splitting large pages that are partly covered (which
 * may need a table: -E_NOMEM, with the same guarantees as pt_map). Unmapped parts are fine.
 * Tables left empty are released through free_table when it is set. Same argument checks as
 * pt_map.
 */
int pt_unmap(struct pt_ctx *ctx, paddr_t root, uint64_t va, uint64_t size);

/*
 * Translate va. On success returns 0 and stores (each pointer may be NULL) the physical address
 * of va itself, the leaf's flags in the 4 KiB encoding (through ctx->flags_to_x86 when set), and
 * the leaf's level (PT_LEVEL_*).
 * Returns -E_NOENT if va is not mapped, -E_INVAL if it is not canonical.
 */
int pt_lookup(const struct pt_ctx *ctx, paddr_t root, uint64_t va, paddr_t *pa,
	      uint64_t *leaf_flags, unsigned int *level);

/* Release every table below root, and root itself, through free_table (no-op if it is NULL). */
void pt_destroy(struct pt_ctx *ctx, paddr_t root);

#endif
