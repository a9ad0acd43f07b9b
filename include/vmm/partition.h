/*
 * The guest partition: its memory (guest-physical == host-physical, hypervisor memory absent),
 * second-level page tables, intercept bitmaps and CPUID policy, shared by all its vCPUs.
 */
#ifndef HV_VMM_PARTITION_H
#define HV_VMM_PARTITION_H

#include "bootinfo.h"
#include "cmdline.h"
#include "lib/range.h"
#include "types.h"
#include "vmm/cpuid_policy.h"
#include "vmm/msr_policy.h"
#include "vmm/vcpu.h"
#include "x86/paging.h"
#include "x86/percpu.h"

#define IO_BITMAP_SIZE (12 * KiB) /* SVM IOPM; VMX uses its first 8 KiB as bitmaps A and B */

struct partition {
	struct range_set ram;        /* guest RAM: write-back in the nested tables */
	struct pt_ctx npt;
	paddr_t npt_root;
	uint64_t npt_limit;          /* mapped 1:1 from 0 up to here; above, on first touch */
	paddr_t idle_npt_root;       /* for parked vCPUs: only the idle page */
	paddr_t idle_page;
	paddr_t apic_page;           /* the xAPIC page: read-only for the guest (vmm/lapic.c) */
	unsigned int apic_read_traps; /* vCPUs whose APIC page is emulated: then it is absent */
	bool apic_trap_lock;
	void *msr_bitmap;
	paddr_t msr_bitmap_pa;
	uint8_t *io_bitmap;
	paddr_t io_bitmap_pa;
	struct cpuid_policy cpuid;
	struct msr_features msr_features; /* which MSRs the guest's CPUID promises */
	uint64_t xcr0_allowed;       /* what XSETBV accepts, also what CPUID 0xD offers */
	uint64_t cr4_valid;          /* the CR4 bits the guest's CPUID offers (vmm/cr.c) */
	uint32_t exception_mask;     /* force_intercept_exceptions, after refusals */
	bool test_unhandled_exit;
	bool test_hypercall_panic;   /* selftest=hcpanic */
	struct vcpu_start start;     /* the boot CPU's, as the guest's boot protocol asks (vmm/guest_*.c) */
	struct vcpu *vcpus[MAX_CPUS];
	volatile bool stopped;
};

extern struct partition guest_partition;

/* Guest memory, tables and bitmaps; the guest image is loaded separately. */
void partition_init(struct partition *p, const struct hv_options *opts);
/* Host pointer to guest-physical [gpa, gpa + len) if it is all guest RAM, else NULL. */
void *partition_gpa_to_hva(struct partition *p, uint64_t gpa, uint64_t len);
bool partition_gpa_is_hypervisor(const struct partition *p, uint64_t gpa);
/*
 * A nested fault above the eagerly mapped range but within the CPU's physical width: maps that
 * GiB 1:1 uncached, as everything else without RAM is, and says whether the guest can retry.
 */
bool partition_map_on_demand(struct partition *p, uint64_t gpa);
/*
 * While any vCPU's guest APIC is not a plain xAPIC (disabled, x2APIC, or xAPIC on an x2APIC
 * hardware APIC), its page reads must be emulated too: the page is absent from the nested
 * tables instead of read-only. Calls nest; the caller flushes its own nested TLB.
 */
void partition_trap_apic_reads(struct partition *p, bool trap);
/* Maps the MMIO page at `page` read-only and uncached: reads reach the device, writes exit. */
void partition_trap_mmio_writes(struct partition *p, paddr_t page);
/* Intercept (or pass through) guest accesses to an I/O port. */
void io_intercept(struct partition *p, uint16_t port, bool intercept);
/* The ports the hypervisor always sees: the reset controls (vmm/io.c). */
void io_intercept_defaults(struct partition *p);
/* Stops the partition: every vCPU leaves its run loop at its next exit. */
void partition_stop(struct partition *p, const char *why);

#endif
