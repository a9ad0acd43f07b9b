/*
 * A software walk of the guest's own page tables: linear address -> guest-physical address.
 *
 * Used where the hardware gives a guest-physical address but the hypervisor needs what the guest
 * sees at a linear one (the instruction bytes at CS.base + RIP after a nested page fault).
 * Handles every x86 paging mode: paging off, 32-bit (4 KiB and, with CR4.PSE, 4 MiB pages),
 * PAE (4 KiB, 2 MiB), 4-level long mode (4 KiB, 2 MiB, 1 GiB) and 5-level (CR4.LA57).
 *
 * The walk itself never sets accessed or dirty bits in the guest's entries, so it has
 * no side effect the guest could observe. Each entry is read exactly once, so a guest changing
 * its tables concurrently can make the result stale but never inconsistent within one walk.
 * Checked: present bits, reserved bits (physical-address bits at and above maxphyaddr, the
 * low address bits of large pages, PS in the top levels, NX without EFER.NXE, PAE PDPTE
 * reserved bits), write protection (user writes, and supervisor writes with CR0.WP), user access
 * to supervisor pages, NX fetches (EFER.NXE) and SMEP. Not checked: SMAP (it depends on
 * RFLAGS.AC and the kind of access) and protection keys. PAE PDPTEs are read from memory on each
 * walk, not from the copy the CPU loaded with CR3.
 */
#ifndef HV_VMM_GUEST_WALK_H
#define HV_VMM_GUEST_WALK_H

#include "types.h"

/* The guest's paging state. */
struct guest_paging {
	uint64_t cr0, cr3, cr4, efer;
	uint8_t maxphyaddr; /* the guest's CPUID physical-address width (32..52); 0 means 52 */
};

/* What the access is; no bit set means a supervisor data read. */
#define GUEST_ACCESS_WRITE (1U << 0)
#define GUEST_ACCESS_FETCH (1U << 1)
#define GUEST_ACCESS_USER (1U << 2) /* CPL 3 */

/* Page-fault error code bits (Intel SDM vol. 3 §4.7, AMD APM vol. 2 §8.4.2). */
#define PF_ERR_P (1U << 0)    /* 0: not present; 1: protection or reserved-bit violation */
#define PF_ERR_W (1U << 1)    /* the access was a write */
#define PF_ERR_U (1U << 2)    /* the access was a user-mode access */
#define PF_ERR_RSVD (1U << 3) /* a reserved bit was set in an entry */
#define PF_ERR_ID (1U << 4)   /* the access was an instruction fetch (with NXE or SMEP) */

/* Where and why a walk faulted: what the caller puts in CR2 and the #PF error code. */
struct guest_fault {
	uint64_t addr;
	uint32_t error_code;
};

/*
 * Returns a host pointer through which [gpa, gpa + len) of guest RAM can be read, or NULL if that
 * range is not (entirely) guest RAM. len is at most 4 KiB and never crosses a 4 KiB boundary.
 */
typedef const void *(*guest_phys_map_fn)(uint64_t gpa, uint64_t len, void *ctx);

/*
 * Translate `linear` for an access of kind `access` (GUEST_ACCESS_*) under the paging state g.
 * Returns 0 with *gpa set (the leaf is not checked to be guest RAM), or
 *   -E_FAULT  a page fault: *fault (if fault is not NULL) holds the address and error code to
 *             inject as #PF;
 *   -E_RANGE  a paging-structure entry lies outside guest RAM (map returned NULL);
 *   -E_INVAL  the paging state is impossible (EFER.LMA without CR0.PG and CR4.PAE) or, in long
 *             mode, the address is not canonical (the CPU raises #GP there, not #PF).
 * *gpa is left alone on error. Outside long mode the linear address is taken modulo 4 GiB, as
 * the CPU does.
 */
int guest_translate(const struct guest_paging *g, uint64_t linear, unsigned access, guest_phys_map_fn map,
		    void *ctx, uint64_t *gpa, struct guest_fault *fault);

/*
 * Read len bytes at `linear` into buf as a supervisor read (access 0) or as `access` says (pass
 * GUEST_ACCESS_FETCH for instruction bytes), translating each 4 KiB page on its own, so a read
 * may cross into a page mapped elsewhere. Returns 0 or the first error of guest_translate, or
 * -E_RANGE when a translated page is not guest RAM. On error buf may be partly written; on
 * -E_FAULT, fault->addr is the first faulting byte (the start of the page that failed, or
 * `linear` itself). To fetch an instruction, read to the end of RIP's page (at most 15 bytes)
 * first and the rest only if insn_decode_mmio() says -E_RANGE: the bytes after a short
 * instruction may lie in a page the guest never mapped.
 */
int guest_read_linear(const struct guest_paging *g, uint64_t linear, void *buf, size_t len, unsigned access,
		      guest_phys_map_fn map, void *ctx, struct guest_fault *fault);

/*
 * Write len bytes from buf at `linear` as a write of kind `access` (GUEST_ACCESS_WRITE is added).
 * Every page is translated and found to be guest RAM before the first byte is written, so a
 * fault leaves guest memory as it was (unless the guest changes its tables meanwhile). The walk
 * sets no accessed or dirty bits. Errors as guest_read_linear's.
 */
int guest_write_linear(const struct guest_paging *g, uint64_t linear, const void *buf, size_t len, unsigned access,
		       guest_phys_map_fn map, void *ctx, struct guest_fault *fault);

#endif
