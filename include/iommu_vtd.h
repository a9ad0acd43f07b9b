/*
 * Intel VT-d DMA remapping (VT-d specification rev. 4.x): register layout, capability decode and
 * the pure builders for the translation structures (root, context and second-level tables,
 * queued-invalidation descriptors, fault records). drivers/iommu_vtd_tables.c holds the builders
 * (host unit-tested); drivers/iommu_vtd.c drives the hardware.
 *
 * The driver uses legacy mode only: one root table whose 256 entries all point to one context
 * table, whose 256 entries all point to the domain's second-level tables (domain ID 1,
 * untranslated requests only). Every requester ID on every bus therefore translates through the
 * same domain, including devices that appear later (hotplug) and devices behind bridges.
 */
#ifndef HV_IOMMU_VTD_H
#define HV_IOMMU_VTD_H

#include "iommu.h"
#include "types.h"
#include "x86/paging.h"

/* Register offsets (10.4). */
#define VTD_REG_VER 0x00
#define VTD_REG_CAP 0x08
#define VTD_REG_ECAP 0x10
#define VTD_REG_GCMD 0x18
#define VTD_REG_GSTS 0x1C
#define VTD_REG_RTADDR 0x20
#define VTD_REG_CCMD 0x28
#define VTD_REG_FSTS 0x34
#define VTD_REG_FECTL 0x38
#define VTD_REG_PMEN 0x64
#define VTD_REG_IQH 0x80
#define VTD_REG_IQT 0x88
#define VTD_REG_IQA 0x90
#define VTD_REG_ICS 0x9C
#define VTD_REG_IECTL 0xA0
#define VTD_IOTLB_REG_OFF 8 /* the IOTLB invalidate register, after IVA, at ECAP.IRO */

/* Global command and status (10.4.4, 10.4.5): same bit positions. */
#define VTD_GCMD_TE (1u << 31)
#define VTD_GCMD_SRTP (1u << 30)
#define VTD_GCMD_WBF (1u << 27)
#define VTD_GCMD_QIE (1u << 26)
#define VTD_GSTS_TES (1u << 31)
#define VTD_GSTS_RTPS (1u << 30)
#define VTD_GSTS_WBFS (1u << 27)
#define VTD_GSTS_QIES (1u << 26)
#define VTD_GSTS_IRES (1u << 25)
/*
 * GCMD's one-shot bits (SRTP, SFL, WBF, SIRTP) read back in GSTS as "done" flags and must not be
 * written again when another command is issued: mask them out of GSTS before writing GCMD.
 */
#define VTD_GSTS_ONE_SHOT_MASK ((1u << 30) | (1u << 29) | (1u << 27) | (1u << 24))

/* Context command (10.4.7) and IOTLB invalidate (10.4.8.1) registers. */
#define VTD_CCMD_ICC (1ULL << 63)
#define VTD_CCMD_GLOBAL (1ULL << 61)
#define VTD_IOTLB_IVT (1ULL << 63)
#define VTD_IOTLB_GLOBAL (1ULL << 60)
#define VTD_IOTLB_DR (1ULL << 49)
#define VTD_IOTLB_DW (1ULL << 48)

/* Fault status and control (10.4.9, 10.4.10), fault recording (10.4.14). */
#define VTD_FSTS_PFO (1u << 0)
#define VTD_FSTS_PPF (1u << 1)
#define VTD_FSTS_IQE (1u << 4)
#define VTD_FSTS_ICE (1u << 5)
#define VTD_FSTS_ITE (1u << 6)
#define VTD_FSTS_FRI(fsts) (((fsts) >> 8) & 0xFF)
#define VTD_FECTL_IM (1u << 31)
#define VTD_FRCD_LEN 16
#define VTD_FRCD_F (1ULL << 63) /* in the high quadword */
#define VTD_FRCD_T (1ULL << 62) /* 1: read request, 0: write */

/* Protected memory enable (10.4.16). */
#define VTD_PMEN_EPM (1u << 31)
#define VTD_PMEN_PRS (1u << 0)

/* Invalidation queue (10.4.22-10.4.25, 6.5.2). */
#define VTD_ICS_IWC (1u << 0)
#define VTD_IECTL_IM (1u << 31)
#define VTD_QI_DESC_LEN 16                        /* 128-bit descriptors (legacy mode) */
#define VTD_QI_ENTRIES (4096 / VTD_QI_DESC_LEN)   /* one page: IQA.QS = 0 */
#define VTD_QI_TYPE_CONTEXT 0x1
#define VTD_QI_TYPE_IOTLB 0x2
#define VTD_QI_TYPE_WAIT 0x5
#define VTD_QI_GRAN_GLOBAL (1ULL << 4)
#define VTD_QI_IOTLB_DW (1ULL << 6)
#define VTD_QI_IOTLB_DR (1ULL << 7)
#define VTD_QI_WAIT_SW (1ULL << 5)
#define VTD_QI_WAIT_FN (1ULL << 6)
#define VTD_QI_WAIT_DATA_SHIFT 32

/* Root and context entries (9.1, 9.3), 128 bits each, 256 per 4 KiB table. */
#define VTD_TABLE_ENTRIES 256
#define VTD_ROOT_P (1ULL << 0)
#define VTD_CTX_P (1ULL << 0)
#define VTD_CTX_TT_UNTRANSLATED (0ULL << 2) /* second-level translation of untranslated requests */
#define VTD_CTX_AW_SHIFT 0                  /* high quadword: 1 = 3-level (39-bit), 2 = 4-level */
#define VTD_CTX_DID_SHIFT 8
#define VTD_DOMAIN_ID 1                     /* 0 is reserved when CAP.CM is set */

/* Second-level paging entries (9.8). */
#define VTD_SL_R (1ULL << 0)
#define VTD_SL_W (1ULL << 1)
#define VTD_SL_PS (1ULL << 7)
#define VTD_SL_ADDR_MASK 0x000FFFFFFFFFF000ULL

/* What the driver uses of CAP and ECAP (10.4.2, 10.4.3). */
struct vtd_caps {
	uint64_t cap, ecap;
	uint32_t nr_domains;   /* CAP.ND: 2^(4 + 2 * ND) */
	bool rwbf;             /* write-buffer flush required before invalidations */
	bool caching_mode;     /* CAP.CM: not-present entries may be cached, invalidate after setting */
	bool plmr, phmr;       /* protected low / high memory regions exist */
	uint8_t sagaw;         /* bit 1: 3-level 39-bit, bit 2: 4-level 48-bit, bit 3: 5-level */
	uint8_t mgaw;          /* maximum guest address width in bits */
	bool sp_2m, sp_1g;     /* CAP.SLLPS: second-level 2 MiB / 1 GiB pages */
	uint32_t fault_offset; /* CAP.FRO, in bytes */
	uint32_t nr_faults;    /* CAP.NFR + 1 */
	bool qi;               /* ECAP.QI */
	bool coherent;         /* ECAP.C: table walks snoop the CPU caches */
	uint32_t iotlb_offset; /* ECAP.IRO, in bytes */
	uint64_t reg_span;     /* bytes of register space the above need, page-rounded */
};

void vtd_caps_decode(uint64_t cap, uint64_t ecap, struct vtd_caps *out);

/*
 * Paging levels for a unit: 4 when it supports 48-bit, else 3 when it supports 39-bit, else 0
 * (5-level only: not supported).
 */
unsigned int vtd_pick_levels(const struct vtd_caps *c);

/* Highest DMA address + 1 the domain can map for `levels`: 2^39 or 2^48 (0: none). */
uint64_t vtd_levels_reach(unsigned int levels);

/* One root entry pointing at a context table, one context entry pointing at a domain. */
void vtd_root_entry(uint64_t out[2], paddr_t context_table);
void vtd_context_entry(uint64_t out[2], paddr_t sl_root, unsigned int levels, uint16_t did);

/* Fill a whole root table / context table (VTD_TABLE_ENTRIES 128-bit entries). */
void vtd_fill_root_table(uint64_t *table, paddr_t context_table);
void vtd_fill_context_table(uint64_t *table, paddr_t sl_root, unsigned int levels, uint16_t did);

/*
 * Queued-invalidation descriptors: global context cache; global IOTLB, draining reads and writes
 * where the unit can (CAP.DRD, CAP.DWD); a wait that writes data to status when all before it are done.
 */
void vtd_qi_context_global(uint64_t out[2]);
void vtd_qi_iotlb_global(uint64_t out[2], bool drain_reads, bool drain_writes);
void vtd_qi_wait(uint64_t out[2], paddr_t status, uint32_t data);

/*
 * The second-level format for the page-table builder: present = read or write, non-leaf entries
 * read+write (leaves decide), bit 7 marks 2 MiB / 1 GiB leaves. Flags given to pt_map are this
 * format's own bits (VTD_SL_R | VTD_SL_W). Table callbacks are left NULL for the caller.
 */
void vtd_sl_ctx_init(struct pt_ctx *ctx, bool allow_1g);

/*
 * Map [start, end) 1:1 read/write in the 4-level tree at root4, clipped to `limit`. With sp_2m
 * false every page is mapped as a 4 KiB leaf (a unit without 2 MiB pages). start and end are
 * rounded outward to 4 KiB. Returns 0 or the builder's error.
 */
int vtd_sl_map(struct pt_ctx *ctx, paddr_t root4, uint64_t start, uint64_t end, uint64_t limit,
	       bool sp_2m);

/*
 * The table a unit walking `levels` levels starts from: root4 for 4 levels; for 3 levels the
 * table root4's first entry points to (the tree's first 512 GiB), created empty if absent.
 * Returns 0 when it cannot be allocated or levels is neither 3 nor 4.
 */
paddr_t vtd_sl_root(struct pt_ctx *ctx, paddr_t root4, unsigned int levels);

/* Decode one fault recording register (lo, hi quadwords). False when its F bit is clear. */
bool vtd_fault_decode(uint64_t lo, uint64_t hi, uint16_t segment, struct iommu_fault *out);

#endif
