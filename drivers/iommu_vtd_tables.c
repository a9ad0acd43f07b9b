/*
 * VT-d translation structures, built in memory without touching the hardware: capability decode,
 * root and context entries, the second-level page-table format, queued-invalidation descriptors
 * and fault records. See include/iommu_vtd.h; section numbers are the VT-d specification's.
 */
#include "iommu_vtd.h"
#include "errno.h"

/* CAP fields (10.4.2). */
#define CAP_ND(c) ((unsigned int)((c) & 7))
#define CAP_RWBF (1ULL << 4)
#define CAP_PLMR (1ULL << 5)
#define CAP_PHMR (1ULL << 6)
#define CAP_CM (1ULL << 7)
#define CAP_SAGAW(c) ((uint8_t)(((c) >> 8) & 0x1F))
#define CAP_MGAW(c) ((uint8_t)((((c) >> 16) & 0x3F) + 1))
#define CAP_FRO(c) ((uint32_t)(((c) >> 24) & 0x3FF))
#define CAP_SLLPS_2M (1ULL << 34)
#define CAP_SLLPS_1G (1ULL << 35)
#define CAP_NFR(c) ((uint32_t)(((c) >> 40) & 0xFF))

/* ECAP fields (10.4.3). */
#define ECAP_C (1ULL << 0)
#define ECAP_QI (1ULL << 1)
#define ECAP_IRO(e) ((uint32_t)(((e) >> 8) & 0x3FF))

#define SAGAW_39 (1u << 1)
#define SAGAW_48 (1u << 2)
#define REG_UNIT 16 /* FRO and IRO count 16-byte units */
#define VTD_PAGE 4096ULL

void vtd_caps_decode(uint64_t cap, uint64_t ecap, struct vtd_caps *out)
{
	uint64_t fault_end, iotlb_end;

	out->cap = cap;
	out->ecap = ecap;
	out->nr_domains = 1u << (4 + 2 * CAP_ND(cap));
	out->rwbf = cap & CAP_RWBF;
	out->caching_mode = cap & CAP_CM;
	out->plmr = cap & CAP_PLMR;
	out->phmr = cap & CAP_PHMR;
	out->sagaw = CAP_SAGAW(cap);
	out->mgaw = CAP_MGAW(cap);
	out->sp_2m = cap & CAP_SLLPS_2M;
	out->sp_1g = out->sp_2m && (cap & CAP_SLLPS_1G); /* 1 GiB without 2 MiB is not a valid unit */
	out->fault_offset = CAP_FRO(cap) * REG_UNIT;
	out->nr_faults = CAP_NFR(cap) + 1;
	out->qi = ecap & ECAP_QI;
	out->coherent = ecap & ECAP_C;
	out->iotlb_offset = ECAP_IRO(ecap) * REG_UNIT;

	fault_end = (uint64_t)out->fault_offset + (uint64_t)out->nr_faults * VTD_FRCD_LEN;
	iotlb_end = (uint64_t)out->iotlb_offset + VTD_IOTLB_REG_OFF + 8;
	out->reg_span = ALIGN_UP(MAX(MAX(fault_end, iotlb_end), VTD_PAGE), VTD_PAGE);
}

unsigned int vtd_pick_levels(const struct vtd_caps *c)
{
	if (c->sagaw & SAGAW_48)
		return 4;
	if (c->sagaw & SAGAW_39)
		return 3;
	return 0;
}

uint64_t vtd_levels_reach(unsigned int levels)
{
	if (levels == 3 || levels == 4)
		return 1ULL << PT_LEVEL_SHIFT(levels + 1);
	return 0;
}

void vtd_root_entry(uint64_t out[2], paddr_t context_table)
{
	out[0] = (context_table & VTD_SL_ADDR_MASK) | VTD_ROOT_P;
	out[1] = 0;
}

void vtd_context_entry(uint64_t out[2], paddr_t sl_root, unsigned int levels, uint16_t did)
{
	/* AW (9.3): 1 = 39-bit 3-level, 2 = 48-bit 4-level, i.e. levels - 2. */
	out[0] = (sl_root & VTD_SL_ADDR_MASK) | VTD_CTX_TT_UNTRANSLATED | VTD_CTX_P;
	out[1] = (uint64_t)(levels - 2) << VTD_CTX_AW_SHIFT | (uint64_t)did << VTD_CTX_DID_SHIFT;
}

void vtd_fill_root_table(uint64_t *table, paddr_t context_table)
{
	for (unsigned int bus = 0; bus < VTD_TABLE_ENTRIES; bus++)
		vtd_root_entry(&table[2 * bus], context_table);
}

void vtd_fill_context_table(uint64_t *table, paddr_t sl_root, unsigned int levels, uint16_t did)
{
	for (unsigned int devfn = 0; devfn < VTD_TABLE_ENTRIES; devfn++)
		vtd_context_entry(&table[2 * devfn], sl_root, levels, did);
}

void vtd_qi_context_global(uint64_t out[2])
{
	out[0] = VTD_QI_TYPE_CONTEXT | VTD_QI_GRAN_GLOBAL;
	out[1] = 0;
}

void vtd_qi_iotlb_global(uint64_t out[2], bool drain_reads, bool drain_writes)
{
	out[0] = VTD_QI_TYPE_IOTLB | VTD_QI_GRAN_GLOBAL | (drain_reads ? VTD_QI_IOTLB_DR : 0) |
		 (drain_writes ? VTD_QI_IOTLB_DW : 0);
	out[1] = 0;
}

void vtd_qi_wait(uint64_t out[2], paddr_t status, uint32_t data)
{
	/* Status write (SW), and fence (FN): later descriptors wait for this one. */
	out[0] = VTD_QI_TYPE_WAIT | VTD_QI_WAIT_SW | VTD_QI_WAIT_FN |
		 (uint64_t)data << VTD_QI_WAIT_DATA_SHIFT;
	out[1] = status & ~3ULL;
}

void vtd_sl_ctx_init(struct pt_ctx *ctx, bool allow_1g)
{
	*ctx = (struct pt_ctx){
		.allow_1g = allow_1g,
		.table_flags = VTD_SL_R | VTD_SL_W,
		.present_mask = VTD_SL_R | VTD_SL_W,
		.large_bit = VTD_SL_PS,
		.addr_mask = VTD_SL_ADDR_MASK,
	};
}

int vtd_sl_map(struct pt_ctx *ctx, paddr_t root4, uint64_t start, uint64_t end, uint64_t limit,
	       bool sp_2m)
{
	uint64_t flags = VTD_SL_R | VTD_SL_W;

	start = ALIGN_DOWN(start, VTD_PAGE);
	end = end > limit ? limit : ALIGN_UP(end, VTD_PAGE);
	if (start >= end)
		return 0;
	if (sp_2m)
		return pt_map(ctx, root4, start, start, end - start, flags);
	/* One call per page: the builder then never finds a whole 2 MiB chunk to make a leaf of. */
	for (uint64_t pa = start; pa < end; pa += VTD_PAGE) {
		int ret = pt_map(ctx, root4, pa, pa, VTD_PAGE, flags);

		if (ret)
			return ret;
	}
	return 0;
}

paddr_t vtd_sl_root(struct pt_ctx *ctx, paddr_t root4, unsigned int levels)
{
	uint64_t *top;
	paddr_t sub;

	if (levels == 4)
		return root4;
	if (levels != 3)
		return 0;
	top = ctx->phys_to_virt(root4, ctx->opaque);
	if (top[0] & ctx->present_mask)
		return top[0] & ctx->addr_mask;
	sub = ctx->alloc_table(ctx->opaque);
	if (sub)
		__atomic_store_n(&top[0], sub | ctx->table_flags, __ATOMIC_RELEASE);
	return sub;
}

bool vtd_fault_decode(uint64_t lo, uint64_t hi, uint16_t segment, struct iommu_fault *out)
{
	if (!(hi & VTD_FRCD_F))
		return false;
	out->segment = segment;
	out->bdf = (uint16_t)(hi & 0xFFFF);               /* SID, bits 79:64 */
	out->addr = lo & ~(VTD_PAGE - 1);                 /* FI: the page of the request */
	out->write = !(hi & VTD_FRCD_T);
	out->reason = (uint32_t)((hi >> 32) & 0xFF);      /* FR, bits 103:96 */
	return true;
}
