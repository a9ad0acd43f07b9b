/*
 * 4-level page-table builder: see include/x86/paging.h. One recursive walker serves map, unmap
 * and lookup; the entry format comes from struct pt_ctx.
 */
#include "x86/paging.h"
#include "errno.h"

void pt_ctx_init_x86(struct pt_ctx *ctx, paddr_t (*alloc_table)(void *opaque),
		     void *(*phys_to_virt)(paddr_t pa, void *opaque), void *opaque)
{
	*ctx = (struct pt_ctx){
		.alloc_table = alloc_table,
		.phys_to_virt = phys_to_virt,
		.opaque = opaque,
		.allow_1g = false,
		.table_flags = PTE_P | PTE_W | PTE_U,
		.present_mask = PTE_P,
		.large_bit = PTE_PS,
		.pat_4k = PTE_PAT,
		.pat_large = PTE_PAT_LARGE,
		.addr_mask = PTE_ADDR_MASK,
	};
}

static uint64_t *table_at(const struct pt_ctx *ctx, paddr_t pa)
{
	return ctx->phys_to_virt(pa, ctx->opaque);
}

static unsigned int index_of(uint64_t va, unsigned int level)
{
	return (va >> PT_LEVEL_SHIFT(level)) & (PT_ENTRIES - 1);
}

static bool present(const struct pt_ctx *ctx, uint64_t e)
{
	return e & ctx->present_mask;
}

/* A present entry is a leaf at level 1 always, at levels 2 and 3 if it has the large bit. */
static bool is_leaf(const struct pt_ctx *ctx, uint64_t e, unsigned int level)
{
	if (level == PT_LEVEL_4K)
		return true;
	if (level > PT_LEVEL_1G)
		return false;
	if (ctx->next_level_mask)
		return !(e & ctx->next_level_mask);
	return e & ctx->large_bit;
}

static uint64_t table_flags(const struct pt_ctx *ctx, unsigned int level)
{
	return ctx->table_flags_at ? ctx->table_flags_at(level) : ctx->table_flags;
}

static bool leaf_allowed(const struct pt_ctx *ctx, unsigned int level)
{
	return level <= PT_LEVEL_2M || (level == PT_LEVEL_1G && ctx->allow_1g);
}

/* Physical address held by an entry; for a large leaf the low bits (PAT, reserved) are not address. */
static paddr_t entry_addr(const struct pt_ctx *ctx, uint64_t e, unsigned int level)
{
	if (is_leaf(ctx, e, level))
		return e & ctx->addr_mask & ~(PT_LEVEL_SIZE(level) - 1);
	return e & ctx->addr_mask;
}

static uint64_t leaf_encode(const struct pt_ctx *ctx, paddr_t pa, uint64_t flags, unsigned int level)
{
	if (level == PT_LEVEL_4K)
		return pa | flags;
	if (ctx->pat_4k && (flags & ctx->pat_4k))
		flags = (flags & ~ctx->pat_4k) | ctx->pat_large;
	return pa | flags | ctx->large_bit;
}

static uint64_t leaf_decode(const struct pt_ctx *ctx, uint64_t e, unsigned int level)
{
	uint64_t flags = e & ~ctx->addr_mask;

	if (level == PT_LEVEL_4K)
		return flags;
	flags &= ~ctx->large_bit;
	if (ctx->pat_4k && (e & ctx->pat_large))
		flags |= ctx->pat_4k;
	return flags;
}

/* Entries may be live (walked by a CPU): publish each with one store, after what it points to. */
static void set_entry(uint64_t *pe, uint64_t v)
{
	__atomic_store_n(pe, v, __ATOMIC_RELEASE);
}

static bool canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

static int check_range(uint64_t va, uint64_t size)
{
	if (!size || !IS_ALIGNED(va, PAGE_SIZE_4K) || !IS_ALIGNED(size, PAGE_SIZE_4K))
		return -E_INVAL;
	uint64_t last = va + size - 1;
	if (last < va || !canonical(va) || !canonical(last) || ((va ^ last) >> 63))
		return -E_INVAL;
	return 0;
}

/* Free the table at pa (at the given level) and every table below it. */
static void free_subtree(struct pt_ctx *ctx, paddr_t pa, unsigned int level)
{
	if (!ctx->free_table)
		return;
	if (level > PT_LEVEL_4K) {
		uint64_t *t = table_at(ctx, pa);

		for (unsigned int i = 0; i < PT_ENTRIES; i++) {
			if (present(ctx, t[i]) && !is_leaf(ctx, t[i], level))
				free_subtree(ctx, entry_addr(ctx, t[i], level), level - 1);
		}
	}
	ctx->free_table(pa, ctx->opaque);
}

static bool table_empty(const struct pt_ctx *ctx, paddr_t pa)
{
	const uint64_t *t = table_at(ctx, pa);

	for (unsigned int i = 0; i < PT_ENTRIES; i++) {
		if (t[i])
			return false;
	}
	return true;
}

/*
 * The table that entry *pe (at level >= 2) points to, creating it if the entry is empty, or
 * splitting the large leaf it holds into 512 leaves of the next level that map the same memory
 * with the same flags. The entry changes only once the new table is complete.
 */
static int get_subtable(struct pt_ctx *ctx, uint64_t *pe, unsigned int level, paddr_t *out)
{
	uint64_t e = *pe;

	if (present(ctx, e) && !is_leaf(ctx, e, level)) {
		*out = entry_addr(ctx, e, level);
		return 0;
	}

	paddr_t sub = ctx->alloc_table(ctx->opaque);
	if (!sub)
		return -E_NOMEM;

	if (present(ctx, e)) {
		uint64_t *t = table_at(ctx, sub);
		paddr_t base = entry_addr(ctx, e, level);
		uint64_t flags = leaf_decode(ctx, e, level);
		uint64_t step = PT_LEVEL_SIZE(level - 1);

		for (unsigned int i = 0; i < PT_ENTRIES; i++)
			t[i] = leaf_encode(ctx, base + i * step, flags, level - 1);
	}
	set_entry(pe, sub | table_flags(ctx, level));
	*out = sub;
	return 0;
}

/* Bytes from va to the end of its entry at this level, or size if that is less. */
static uint64_t chunk_of(uint64_t va, uint64_t size, unsigned int level)
{
	uint64_t esize = PT_LEVEL_SIZE(level);
	uint64_t chunk = esize - (va & (esize - 1));

	return MIN(chunk, size);
}

static int map_level(struct pt_ctx *ctx, paddr_t table, unsigned int level, uint64_t va,
		     paddr_t pa, uint64_t size, uint64_t flags)
{
	uint64_t *t = table_at(ctx, table);

	while (size) {
		uint64_t chunk = chunk_of(va, size, level);
		uint64_t *pe = &t[index_of(va, level)];
		uint64_t old = *pe;

		if (leaf_allowed(ctx, level) && chunk == PT_LEVEL_SIZE(level) &&
		    IS_ALIGNED(pa, chunk)) {
			set_entry(pe, leaf_encode(ctx, pa, flags, level));
			if (present(ctx, old) && !is_leaf(ctx, old, level))
				free_subtree(ctx, entry_addr(ctx, old, level), level - 1);
		} else {
			paddr_t sub;
			int ret = get_subtable(ctx, pe, level, &sub);

			if (!ret)
				ret = map_level(ctx, sub, level - 1, va, pa, chunk, flags);
			if (ret)
				return ret;
		}
		va += chunk;
		pa += chunk;
		size -= chunk;
	}
	return 0;
}

static int unmap_level(struct pt_ctx *ctx, paddr_t table, unsigned int level, uint64_t va,
		       uint64_t size)
{
	uint64_t *t = table_at(ctx, table);

	while (size) {
		uint64_t chunk = chunk_of(va, size, level);
		uint64_t *pe = &t[index_of(va, level)];
		uint64_t old = *pe;

		if (!present(ctx, old)) {
			/* nothing mapped here */
		} else if (chunk == PT_LEVEL_SIZE(level)) {
			set_entry(pe, 0);
			if (!is_leaf(ctx, old, level))
				free_subtree(ctx, entry_addr(ctx, old, level), level - 1);
		} else {
			paddr_t sub;
			int ret = get_subtable(ctx, pe, level, &sub);

			if (!ret)
				ret = unmap_level(ctx, sub, level - 1, va, chunk);
			if (ret)
				return ret;
			if (ctx->free_table && table_empty(ctx, sub)) {
				set_entry(pe, 0);
				ctx->free_table(sub, ctx->opaque);
			}
		}
		va += chunk;
		size -= chunk;
	}
	return 0;
}

int pt_map(struct pt_ctx *ctx, paddr_t root, uint64_t va, paddr_t pa, uint64_t size,
	   uint64_t flags)
{
	uint64_t phys_limit = (ctx->addr_mask | (PAGE_SIZE_4K - 1)) + 1;

	if (ctx->flags_from_x86)
		flags = ctx->flags_from_x86(flags); /* 0 when inexpressible: refused as not present */
	if (check_range(va, size))
		return -E_INVAL;
	if (!IS_ALIGNED(pa, PAGE_SIZE_4K) || pa >= phys_limit || size > phys_limit - pa)
		return -E_INVAL;
	if ((flags & (ctx->addr_mask | ctx->next_level_mask)) || !present(ctx, flags))
		return -E_INVAL;
	if (!ctx->pat_4k && (flags & ctx->large_bit))
		return -E_INVAL; /* the format has no meaning for it in a 4 KiB leaf */
	return map_level(ctx, root, PT_LEVELS, va, pa, size, flags);
}

int pt_unmap(struct pt_ctx *ctx, paddr_t root, uint64_t va, uint64_t size)
{
	if (check_range(va, size))
		return -E_INVAL;
	return unmap_level(ctx, root, PT_LEVELS, va, size);
}

int pt_lookup(const struct pt_ctx *ctx, paddr_t root, uint64_t va, paddr_t *pa,
	      uint64_t *leaf_flags, unsigned int *level)
{
	paddr_t table = root;

	if (!canonical(va))
		return -E_INVAL;
	for (unsigned int l = PT_LEVELS; l >= PT_LEVEL_4K; l--) {
		uint64_t e = table_at(ctx, table)[index_of(va, l)];

		if (!present(ctx, e))
			return -E_NOENT;
		if (is_leaf(ctx, e, l)) {
			if (pa)
				*pa = entry_addr(ctx, e, l) | (va & (PT_LEVEL_SIZE(l) - 1));
			if (leaf_flags) {
				*leaf_flags = leaf_decode(ctx, e, l);
				if (ctx->flags_to_x86)
					*leaf_flags = ctx->flags_to_x86(*leaf_flags);
			}
			if (level)
				*level = l;
			return 0;
		}
		table = entry_addr(ctx, e, l);
	}
	return -E_NOENT; /* not reached: level 1 entries are leaves */
}

void pt_destroy(struct pt_ctx *ctx, paddr_t root)
{
	free_subtree(ctx, root, PT_LEVELS);
}
