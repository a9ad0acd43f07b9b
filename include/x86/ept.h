/*
 * Intel EPT (extended page tables, SDM vol. 3C "EPT Translation Mechanism"): the entry format as a
 * struct pt_ctx description for the page-table builder in x86/paging.h, and the EPT pointer.
 *
 * An EPT entry is present when any of read, write or execute is set; there is no user bit and no
 * PAT bit to move. Leaves carry a memory type in bits 5:3; non-leaf entries carry only R/W/X.
 * Under EPT the MTRRs do not apply to guest accesses: the leaf's memory type takes their place
 * and combines with the guest's PAT (unless ignore-PAT is set, which we never do, so a guest that
 * maps RAM uncached through its PAT gets uncached).
 *
 * Callers of pt_map/pt_lookup on an EPT context keep using the x86 leaf flags, as with NPT:
 *   PTE_P          -> read
 *   PTE_W          -> write
 *   no PTE_NX      -> execute
 *   PTE_U          -> (ignored: EPT permissions hold at every guest privilege level)
 *   PTE_PCD        -> memory type UC (with or without PTE_PWT)
 *   PTE_PWT alone  -> memory type WT
 *   neither        -> memory type WB
 * Any other x86 flag (PAT, G, A, D, address bits) cannot be expressed and makes pt_map fail.
 */
#ifndef HV_X86_EPT_H
#define HV_X86_EPT_H

#include "types.h"
#include "x86/paging.h"

#define EPT_READ (1ULL << 0)
#define EPT_WRITE (1ULL << 1)
#define EPT_EXEC (1ULL << 2)
#define EPT_RWX (EPT_READ | EPT_WRITE | EPT_EXEC)
#define EPT_MEMTYPE_SHIFT 3                 /* leaves only: bits 5:3, a VMX_MEMTYPE_* value */
#define EPT_MEMTYPE_MASK (7ULL << EPT_MEMTYPE_SHIFT)
#define EPT_MEMTYPE(type) ((uint64_t)(type) << EPT_MEMTYPE_SHIFT)
#define EPT_IGNORE_PAT (1ULL << 6)          /* leaves only */
#define EPT_LARGE (1ULL << 7)               /* a 2 MiB / 1 GiB leaf in a PD / PDPT entry */
#define EPT_ACCESSED (1ULL << 8)            /* with EPTP_AD_ENABLE */
#define EPT_DIRTY (1ULL << 9)               /* leaves only, with EPTP_AD_ENABLE */
#define EPT_SUPPRESS_VE (1ULL << 63)

/*
 * Fill ctx for the EPT format with 1 GiB leaves if allow_1g (pass the CPU's EPT 1 GiB page
 * capability, not the host's). The table callbacks and opaque are left NULL for the caller.
 */
void ept_ctx_init(struct pt_ctx *ctx, bool allow_1g);

/* EPT 4 KiB-leaf bits for x86 leaf flags (see above), or 0 when they cannot be expressed. */
uint64_t ept_leaf_from_x86(uint64_t x86_flags);

/*
 * x86 leaf flags for EPT leaf bits, the inverse of ept_leaf_from_x86 on what it produces:
 * PTE_P|PTE_U always (the entry is present and reachable at every privilege level), PTE_W for
 * write, PTE_NX without execute; UC reads as PTE_PCD|PTE_PWT, WT as PTE_PWT, WB as neither, and
 * the other types (never written by the builder) as PTE_PCD|PTE_PWT.
 */
uint64_t ept_leaf_to_x86(uint64_t ept_bits);

/* The EPTP for a 4-level EPT rooted at root: paging structures write-back, walk length 4. */
uint64_t ept_pointer(paddr_t root);

#endif
