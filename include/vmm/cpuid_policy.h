/*
 * What CPUID returns to the guest.
 *
 * cpuid_policy_build() executes the real CPUID once per partition, applies the static part of the
 * policy and keeps the results in a fixed table inside struct cpuid_policy (no allocation).
 * cpuid_policy_lookup() serves the guest's CPUID exits from that table and adds the parts that
 * depend on the vCPU (its CR4, XCR0, IA32_XSS and APIC ID), so the exit handler never executes
 * CPUID itself (slow when we run nested).
 *
 * Cached: basic leaves 0 .. min(host max, CPUID_BASIC_MAX) and extended leaves
 * 0x80000000 .. min(host max, CPUID_EXT_MAX); leaf 0 EAX and 0x80000000 EAX report those capped
 * maxima. For the leaves whose ECX selects a subleaf (4, 7, 0xB, 0xD, 0xF, 0x10, 0x12, 0x14, 0x17,
 * 0x18, 0x1B, 0x1D, 0x1E, 0x1F, 0x20, 0x23, 0x24, 0x8000001D, 0x80000020) subleaves are enumerated
 * by the leaf's own rule, at most CPUID_SUBLEAF_MAX of them; every other leaf ignores ECX.
 *
 * What the guest sees differently from the host:
 *   - leaf 1 ECX[31] (hypervisor present) set, ECX[5] (VMX) clear; 0x80000001 ECX[2] (SVM) clear;
 *     leaf 0x8000000A (SVM features) all zero;
 *   - 0x40000000: EAX = CPUID_HV_MAX_LEAF, EBX/ECX/EDX = cfg->hv_signature bytes 0-3, 4-7, 8-11
 *     (little-endian, in that register order, as KVM and Hyper-V do); 0x40000001: EAX =
 *     cfg->hv_version, EBX = cfg->hv_features, ECX = EDX = 0; every other leaf in
 *     0x40000000-0x4FFFFFFF reads as zero;
 *   - OSXSAVE (1 ECX[27]) = guest CR4.OSXSAVE, OSPKE (7.0 ECX[4]) = guest CR4.PKE, never the host's;
 *   - leaf 0xA all zero with cfg->hide_arch_pmu; cfg->hide_80000001_ecx and cfg->hide_1_edx cleared;
 *   - the APIC bit (1 EDX[9], 0x80000001 EDX[9]) clear while the guest has its APIC disabled;
 *   - the vCPU's APIC ID: leaf 1 EBX[31:24] (low 8 bits), 0xB and 0x1F EDX (every subleaf, when
 *     the leaf is implemented), 0x8000001E EAX (when cached);
 *   - XSAVE (leaf 0xD) matches what XSETBV allows: subleaf 0 EDX:EAX = the effective xcr0_allowed,
 *     ECX = standard-format size for all of it, EBX = size for the guest's current XCR0; subleaf 1
 *     EBX = compacted size for the guest's XCR0 | IA32_XSS (0 without XSAVEC/XSAVES), ECX:EDX =
 *     the effective xss_allowed, EAX[3] (XSAVES) cleared with cfg->hide_xsaves; subleaves 2-62 of
 *     components outside both masks read as zero. Without any allowed component, leaf 1 ECX[26]
 *     (XSAVE) is cleared and all of leaf 0xD reads zero;
 *   - feature flags that need a component the guest may not enable are cleared (AVX, FMA, F16C,
 *     AVX2, VAES, VPCLMULQDQ, the AVX-VNNI family, FMA4 and XOP need AVX; the AVX-512 flags and
 *     AVX10 need the AVX-512 components; PKU needs PKRU; AMX flags need both AMX components; MPX
 *     needs MPX; APX_F needs APX), so no guest is promised an instruction that would #UD;
 *   - everything else is the host's value unchanged.
 *
 * Leaves outside every cached range (above the basic or extended maximum, or in no range): on a
 * GenuineIntel host they return the highest basic leaf (with the same policy applied), which is
 * what Intel processors do (SDM vol. 2 CPUID); on other vendors they return zeros, as AMD's do.
 * A subleaf the enumeration did not cache reads as zero, except for 0xB and 0x1F, which report
 * an invalid level as the hardware does (ECX[7:0] = subleaf, EDX = x2APIC ID).
 */
#ifndef HV_VMM_CPUID_POLICY_H
#define HV_VMM_CPUID_POLICY_H

#include "types.h"

#define CPUID_BASIC_MAX 0x24u      /* highest basic leaf cached (0x24: AVX10) */
#define CPUID_EXT_BASE 0x80000000u
#define CPUID_EXT_MAX 0x80000021u  /* highest extended leaf cached */
#define CPUID_HV_BASE 0x40000000u  /* hypervisor range 0x40000000 - 0x4FFFFFFF */
#define CPUID_HV_FEATURES 0x40000001u
#define CPUID_HV_MAX_LEAF CPUID_HV_FEATURES
#define CPUID_HV_RANGE_END 0x4FFFFFFFu
#define CPUID_SUBLEAF_MAX 64u      /* subleaves cached per leaf (leaf 0xD has 64) */
#define CPUID_POLICY_CAPACITY 256u /* cached (leaf, subleaf) entries in all */

#define CPUID_BASIC_LEAVES (CPUID_BASIC_MAX + 1)
_Static_assert(CPUID_BASIC_LEAVES <= 64, "the fixed basic leaves fit one 64-bit mask");
#define CPUID_EXT_LEAVES (CPUID_EXT_MAX - CPUID_EXT_BASE + 1)

/* Executes CPUID(leaf, subleaf) and stores EAX, EBX, ECX, EDX in out[0..3]. */
typedef void (*cpuid_fn)(uint32_t leaf, uint32_t subleaf, uint32_t out[4], void *ctx);

struct cpuid_policy_config {
	/* 0x40000000 EBX, ECX, EDX: bytes 0-3, 4-7, 8-11; not NUL-terminated (fill with memcpy). */
	char hv_signature[12];
	uint32_t hv_version;  /* 0x40000001 EAX */
	uint32_t hv_features; /* 0x40000001 EBX */
	/*
	 * XCR0 bits the guest may set: the caller passes xcr0_guest_allowed(host 0xD.0 EDX:EAX), the
	 * same mask its XSETBV handler gives xcr0_check(). Intersected with the host's bits here; the
	 * result must be 0 or itself a valid XCR0, else the build fails with -E_INVAL.
	 */
	uint64_t xcr0_allowed;
	/* IA32_XSS bits the guest may set (intersected with the host's 0xD.1 EDX:ECX); 0 = none. */
	uint64_t xss_allowed;
	/* Hide XSAVES/XRSTORS (0xD.1 EAX[3]) and all IA32_XSS bits, e.g. when VMX cannot enable them. */
	bool hide_xsaves;
	/* Features whose MSRs the hardware lacks though its CPUID lists them (emulators): hidden. */
	bool hide_arch_pmu;          /* Intel leaf 0xA reads zero: no architectural PMU */
	uint32_t hide_80000001_ecx;  /* e.g. AMD PerfCtrExtCore (23), PerfCtrExtNB (24), PerfCtrExtLLC (28) */
	uint32_t hide_1_edx;         /* e.g. MCE (7), MCA (14); also where AMD mirrors them in 0x80000001 */
};

/* The vCPU state the answer depends on, read at lookup time. */
struct cpuid_guest_state {
	uint64_t cr4;     /* guest CR4 (as the guest sees it): OSXSAVE bit 18, PKE bit 22 */
	uint64_t xcr0;    /* guest XCR0 (0 is read as the reset value, x87 only) */
	uint64_t xss;     /* guest IA32_XSS (0 when the guest has none) */
	uint32_t apic_id; /* APIC ID of the core this vCPU runs on (x2APIC ID, full 32 bits) */
	bool apic_disabled; /* IA32_APIC_BASE[11] clear: CPUID 1 and 0x80000001 EDX[9] read 0, as on hardware */
};

/* One cached answer; the leaf is implied by the slot that points at it. */
struct cpuid_entry {
	uint32_t subleaf;
	uint32_t regs[4]; /* EAX, EBX, ECX, EDX */
};

/* Where a leaf's answers sit in entries[]: count of them from first, sorted by subleaf. */
struct cpuid_slot {
	uint16_t first;
	uint8_t count;
	bool indexed; /* ECX selects the subleaf; otherwise entries[first] serves every ECX */
	bool fixed;   /* entries[first] is the answer for every ECX and every vCPU state */
};

/* Opaque outside vmm/cpuid_policy.c and cpuid_policy_fixed() below; it lives in the partition (about 6 KiB). */
struct cpuid_policy {
	uint32_t max_basic;      /* highest cached basic leaf (leaf 0 EAX as served) */
	uint32_t max_ext;        /* highest cached extended leaf; 0 when there is none */
	bool intel_out_of_range; /* out-of-range leaves return the highest basic leaf */
	bool topo_0b, topo_1f;   /* leaf 0xB / 0x1F implemented (subleaf 0 EBX != 0) */
	uint64_t xcr0_allowed;   /* effective masks served in leaf 0xD */
	uint64_t xss_allowed;
	uint32_t hv_regs[2][4];  /* 0x40000000 and 0x40000001 */
	/* Per XSAVE component (leaf 0xD subleaf i): size, standard-format offset, 64-byte aligned. */
	uint32_t xsave_size[64];
	uint32_t xsave_offset[64];
	uint64_t xsave_align64;
	/* The fixed basic leaves again, for the exit path: bit n of the mask says leaf n is fixed. */
	uint64_t basic_fixed_mask;
	uint32_t basic_fixed[CPUID_BASIC_LEAVES][4];
	struct cpuid_slot basic[CPUID_BASIC_LEAVES];
	struct cpuid_slot ext[CPUID_EXT_LEAVES];
	unsigned int nr; /* entries in use */
	struct cpuid_entry entries[CPUID_POLICY_CAPACITY];
};

/*
 * Fill p from the processor: raw(leaf, subleaf, out, ctx) must execute CPUID (the hypervisor
 * passes a wrapper around the instruction; tests pass fake CPUs). Returns 0; -E_INVAL for a NULL
 * argument or an inconsistent cfg->xcr0_allowed; -E_NOMEM when the host has more (leaf, subleaf)
 * pairs than CPUID_POLICY_CAPACITY. p is left unusable after a failure.
 */
int cpuid_policy_build(struct cpuid_policy *p, cpuid_fn raw, void *ctx,
		       const struct cpuid_policy_config *cfg);

/*
 * The answer to CPUID(leaf) when it depends neither on the subleaf nor on the vCPU (leaf 0, the
 * brand string, ...), else NULL: then cpuid_policy_lookup() with the vCPU's state. It is the same
 * answer cpuid_policy_lookup() gives for any ECX and state; one or two compares and a load.
 */
static inline const uint32_t *cpuid_policy_fixed(const struct cpuid_policy *p, uint32_t leaf)
{
	const struct cpuid_slot *s;

	/* The mask holds only leaves up to max_basic: above it, the lookup's out-of-range rule decides. */
	if (leaf < 64)
		return (p->basic_fixed_mask >> leaf) & 1 ? p->basic_fixed[leaf] : NULL;
	if (p->max_ext && leaf >= CPUID_EXT_BASE && leaf <= p->max_ext)
		s = &p->ext[leaf - CPUID_EXT_BASE];
	else
		return NULL;
	return s->fixed ? p->entries[s->first].regs : NULL;
}

/* The guest's CPUID(leaf, subleaf) for the vCPU in state g, into out[0..3] = EAX..EDX. */
void cpuid_policy_lookup(const struct cpuid_policy *p, uint32_t leaf, uint32_t subleaf,
			 const struct cpuid_guest_state *g, uint32_t out[4]);

#endif
