/* The guest's CPUID: a table built once per partition, see include/vmm/cpuid_policy.h. */
#include "vmm/cpuid_policy.h"
#include "vmm/xcr0.h"
#include "errno.h"
#include "lib/string.h"

enum { EAX, EBX, ECX, EDX };

/* Leaves (Intel SDM vol. 2 CPUID, AMD APM vol. 3 appendix E). */
#define LEAF_VENDOR 0x0u
#define LEAF_FEATURES 0x1u
#define LEAF_EXT_FEATURES 0x7u
#define LEAF_TOPOLOGY 0xBu
#define LEAF_PERFMON 0xAu
#define LEAF_XSAVE 0xDu
#define LEAF_TOPOLOGY_V2 0x1Fu
#define LEAF_EXT_MAX 0x80000000u
#define LEAF_AMD_FEATURES 0x80000001u
#define LEAF_SVM 0x8000000Au
#define LEAF_AMD_MEM_ENCRYPT 0x8000001Fu
#define LEAF_AMD_APIC_ID 0x8000001Eu

#define CPUID_1_EBX_APIC_ID_SHIFT 24
#define CPUID_1_EBX_APIC_ID_MASK 0xFF000000u
#define CPUID_1_ECX_FMA (1u << 12)
#define CPUID_1_ECX_VMX (1u << 5)
#define CPUID_1_ECX_XSAVE (1u << 26)
#define CPUID_1_ECX_OSXSAVE (1u << 27)
#define CPUID_1_ECX_AVX (1u << 28)
#define CPUID_1_ECX_F16C (1u << 29)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_EDX_APIC (1u << 9) /* leaf 1 and 0x80000001 */
/* Leaf 1 EDX bits AMD repeats in 0x80000001 EDX (APM vol. 3, E.4.2): FPU..PGE, CMOV..FXSR. */
#define CPUID_AMD_EDX_MIRRORED 0x0183F3FFu

#define CPUID_7_0_EBX_AVX2 (1u << 5)
#define CPUID_7_0_EBX_MPX (1u << 14)
#define CPUID_7_0_EBX_AVX512                                                                  \
	((1u << 16) /* F */ | (1u << 17) /* DQ */ | (1u << 21) /* IFMA */ | (1u << 26) /* PF */ |  \
	 (1u << 27) /* ER */ | (1u << 28) /* CD */ | (1u << 30) /* BW */ | (1u << 31) /* VL */)
#define CPUID_7_0_ECX_AVX512                                                                  \
	((1u << 1) /* VBMI */ | (1u << 6) /* VBMI2 */ | (1u << 11) /* VNNI */ |                    \
	 (1u << 12) /* BITALG */ | (1u << 14) /* VPOPCNTDQ */)
#define CPUID_7_0_ECX_PKU (1u << 3)
#define CPUID_7_0_ECX_OSPKE (1u << 4)
#define CPUID_7_0_ECX_VAES (1u << 9)
#define CPUID_7_0_ECX_VPCLMULQDQ (1u << 10)
#define CPUID_7_0_EDX_AVX512                                                                  \
	((1u << 2) /* 4VNNIW */ | (1u << 3) /* 4FMAPS */ | (1u << 8) /* VP2INTERSECT */ |           \
	 (1u << 23) /* FP16 */)
#define CPUID_7_0_EDX_AMX ((1u << 22) /* BF16 */ | (1u << 24) /* TILE */ | (1u << 25) /* INT8 */)
#define CPUID_7_1_EAX_AVX ((1u << 4) /* AVX-VNNI */ | (1u << 23) /* AVX-IFMA */)
#define CPUID_7_1_EAX_AVX512_BF16 (1u << 5)
#define CPUID_7_1_EAX_AMX_FP16 (1u << 21)
#define CPUID_7_1_EDX_AVX                                                                     \
	((1u << 4) /* AVX-VNNI-INT8 */ | (1u << 5) /* AVX-NE-CONVERT */ |                          \
	 (1u << 10) /* AVX-VNNI-INT16 */)
#define CPUID_7_1_EDX_AMX_COMPLEX (1u << 8)
#define CPUID_7_1_EDX_AVX10 (1u << 19)
#define CPUID_7_1_EDX_APX_F (1u << 21)
#define CPUID_80000001_ECX_SVM (1u << 2)
#define CPUID_80000001_ECX_XOP (1u << 11)
#define CPUID_80000001_ECX_FMA4 (1u << 16)

#define CPUID_D_1_EAX_XSAVEC (1u << 1)
#define CPUID_D_1_EAX_XSAVES (1u << 3)
#define CPUID_D_N_ECX_SUPERVISOR (1u << 0)
#define CPUID_D_N_ECX_ALIGN64 (1u << 1)

#define CPUID_TOPO_ECX_LEVEL_TYPE 0xFF00u
#define CPUID_TOPO_ECX_LEVEL_NUMBER 0xFFu

#define CR4_OSXSAVE (1ULL << 18)
#define CR4_PKE (1ULL << 22)

/* Legacy region (512) plus XSAVE header (64): the smallest XSAVE area (SDM vol. 1 13.4). */
#define XSAVE_LEGACY_AND_HEADER 576u

/* How a leaf's subleaves are enumerated; every leaf not listed ignores ECX. */
enum subleaf_rule {
	SUBLEAF_MAX_IN_EAX, /* subleaf 0 EAX = highest valid subleaf */
	SUBLEAF_UNTIL_ZERO, /* subleaves 0 .. first-1, then up to the first with (reg & mask) == 0 */
	SUBLEAF_BITMAP,     /* subleaf 0 register reg: bit i set = subleaf i is valid */
	SUBLEAF_XSAVE,      /* 0, 1 and the components the guest may enable */
};

struct subleaf_leaf {
	uint32_t leaf;
	enum subleaf_rule rule;
	uint8_t reg;
	uint8_t first;
	uint32_t mask;
};

static const struct subleaf_leaf subleaf_leaves[] = {
	{ 0x4, SUBLEAF_UNTIL_ZERO, EAX, 0, 0x1F },         /* cache type 0: no more caches */
	{ 0x7, SUBLEAF_MAX_IN_EAX, 0, 0, 0 },
	{ 0xB, SUBLEAF_UNTIL_ZERO, ECX, 0, CPUID_TOPO_ECX_LEVEL_TYPE }, /* level type 0: invalid */
	{ 0xD, SUBLEAF_XSAVE, 0, 0, 0 },
	{ 0xF, SUBLEAF_BITMAP, EDX, 0, 0 },                /* RDT monitoring resource types */
	{ 0x10, SUBLEAF_BITMAP, EBX, 0, 0 },               /* RDT allocation resource IDs */
	{ 0x12, SUBLEAF_UNTIL_ZERO, EAX, 2, 0xF },         /* SGX: then EPC sections until type 0 */
	{ 0x14, SUBLEAF_MAX_IN_EAX, 0, 0, 0 },             /* processor trace */
	{ 0x17, SUBLEAF_MAX_IN_EAX, 0, 0, 0 },             /* SoC vendor attributes */
	{ 0x18, SUBLEAF_MAX_IN_EAX, 0, 0, 0 },             /* address translation parameters */
	{ 0x1B, SUBLEAF_UNTIL_ZERO, EAX, 0, 0xFFF },       /* PCONFIG: subleaf type 0 is invalid */
	{ 0x1D, SUBLEAF_MAX_IN_EAX, 0, 0, 0 },             /* AMX palettes */
	{ 0x1E, SUBLEAF_MAX_IN_EAX, 0, 0, 0 },             /* AMX TMUL */
	{ 0x1F, SUBLEAF_UNTIL_ZERO, ECX, 0, CPUID_TOPO_ECX_LEVEL_TYPE },
	{ 0x20, SUBLEAF_MAX_IN_EAX, 0, 0, 0 },             /* HRESET */
	{ 0x23, SUBLEAF_BITMAP, EAX, 0, 0 },               /* architectural PMU extensions */
	{ 0x24, SUBLEAF_MAX_IN_EAX, 0, 0, 0 },             /* AVX10 */
	{ 0x8000001D, SUBLEAF_UNTIL_ZERO, EAX, 0, 0x1F },  /* AMD cache topology: type 0 ends */
	{ 0x80000020, SUBLEAF_BITMAP, EBX, 0, 0 },         /* AMD platform QoS */
};

/* A feature flag whose instructions need XSAVE components: hidden unless all are allowed. */
struct xfeature_dep {
	uint64_t needs;
	uint32_t leaf, subleaf;
	uint8_t reg;
	uint32_t bits;
};

static const struct xfeature_dep xfeature_deps[] = {
	{ XCR0_X87 | XCR0_SSE, LEAF_FEATURES, 0, ECX, CPUID_1_ECX_XSAVE },
	{ XCR0_SSE | XCR0_AVX, LEAF_FEATURES, 0, ECX,
	  CPUID_1_ECX_AVX | CPUID_1_ECX_FMA | CPUID_1_ECX_F16C },
	{ XCR0_SSE | XCR0_AVX, LEAF_EXT_FEATURES, 0, EBX, CPUID_7_0_EBX_AVX2 },
	{ XCR0_SSE | XCR0_AVX, LEAF_EXT_FEATURES, 0, ECX,
	  CPUID_7_0_ECX_VAES | CPUID_7_0_ECX_VPCLMULQDQ },
	{ XCR0_SSE | XCR0_AVX, LEAF_EXT_FEATURES, 1, EAX, CPUID_7_1_EAX_AVX },
	{ XCR0_SSE | XCR0_AVX, LEAF_EXT_FEATURES, 1, EDX, CPUID_7_1_EDX_AVX },
	{ XCR0_SSE | XCR0_AVX, LEAF_AMD_FEATURES, 0, ECX,
	  CPUID_80000001_ECX_FMA4 | CPUID_80000001_ECX_XOP },
	{ XCR0_AVX | XCR0_AVX512, LEAF_EXT_FEATURES, 0, EBX, CPUID_7_0_EBX_AVX512 },
	{ XCR0_AVX | XCR0_AVX512, LEAF_EXT_FEATURES, 0, ECX, CPUID_7_0_ECX_AVX512 },
	{ XCR0_AVX | XCR0_AVX512, LEAF_EXT_FEATURES, 0, EDX, CPUID_7_0_EDX_AVX512 },
	{ XCR0_AVX | XCR0_AVX512, LEAF_EXT_FEATURES, 1, EAX, CPUID_7_1_EAX_AVX512_BF16 },
	{ XCR0_AVX | XCR0_AVX512, LEAF_EXT_FEATURES, 1, EDX, CPUID_7_1_EDX_AVX10 },
	{ XCR0_PKRU, LEAF_EXT_FEATURES, 0, ECX, CPUID_7_0_ECX_PKU },
	{ XCR0_AMX, LEAF_EXT_FEATURES, 0, EDX, CPUID_7_0_EDX_AMX },
	{ XCR0_AMX, LEAF_EXT_FEATURES, 1, EAX, CPUID_7_1_EAX_AMX_FP16 },
	{ XCR0_AMX, LEAF_EXT_FEATURES, 1, EDX, CPUID_7_1_EDX_AMX_COMPLEX },
	{ XCR0_MPX, LEAF_EXT_FEATURES, 0, EBX, CPUID_7_0_EBX_MPX },
	{ XCR0_APX, LEAF_EXT_FEATURES, 1, EDX, CPUID_7_1_EDX_APX_F },
};

static const struct subleaf_leaf *subleaf_rule_of(uint32_t leaf)
{
	for (size_t i = 0; i < ARRAY_SIZE(subleaf_leaves); i++)
		if (subleaf_leaves[i].leaf == leaf)
			return &subleaf_leaves[i];
	return NULL;
}

static uint64_t regs_pair(uint32_t lo, uint32_t hi)
{
	return lo | (uint64_t)hi << 32;
}

/* Standard-format XSAVE size for the components in mask: the end of the last one. */
static uint32_t xsave_size_standard(const struct cpuid_policy *p, uint64_t mask)
{
	uint32_t size = XSAVE_LEGACY_AND_HEADER;

	for (unsigned int i = 2; i < 63; i++) {
		if (!(mask & (1ULL << i)) || !p->xsave_offset[i])
			continue;
		size = MAX(size, p->xsave_offset[i] + p->xsave_size[i]);
	}
	return size;
}

/* Compacted-format size (XSAVEC/XSAVES): components packed in order (SDM vol. 1 13.4.3). */
static uint32_t xsave_size_compacted(const struct cpuid_policy *p, uint64_t mask)
{
	uint32_t size = XSAVE_LEGACY_AND_HEADER;

	for (unsigned int i = 2; i < 63; i++) {
		if (!(mask & (1ULL << i)))
			continue;
		if (p->xsave_align64 & (1ULL << i))
			size = ALIGN_UP(size, 64u);
		size += p->xsave_size[i];
	}
	return size;
}

/*
 * Decide which XSAVE components the guest sees and record their layout, before any leaf is
 * cached (leaves 1 and 7 need the masks for their feature flags).
 */
static int xsave_setup(struct cpuid_policy *p, cpuid_fn raw, void *ctx,
		       const struct cpuid_policy_config *cfg)
{
	uint64_t host_xcr0 = 0, host_xss = 0;
	uint32_t r[4];

	if (p->max_basic >= LEAF_XSAVE) {
		raw(LEAF_FEATURES, 0, r, ctx);
		if (r[ECX] & CPUID_1_ECX_XSAVE) {
			raw(LEAF_XSAVE, 0, r, ctx);
			host_xcr0 = regs_pair(r[EAX], r[EDX]);
			raw(LEAF_XSAVE, 1, r, ctx);
			host_xss = regs_pair(r[ECX], r[EDX]);
		}
	}
	p->xcr0_allowed = cfg->xcr0_allowed & host_xcr0;
	if (p->xcr0_allowed && xcr0_check(p->xcr0_allowed, p->xcr0_allowed))
		return -E_INVAL;
	if (p->xcr0_allowed && !cfg->hide_xsaves)
		p->xss_allowed = cfg->xss_allowed & host_xss & ~XCR0_DEFINED;

	for (unsigned int i = 2; i < 63; i++) {
		if (!((p->xcr0_allowed | p->xss_allowed) & (1ULL << i)))
			continue;
		raw(LEAF_XSAVE, i, r, ctx);
		p->xsave_size[i] = r[EAX];
		/* Supervisor components have no standard-format offset. */
		p->xsave_offset[i] = (r[ECX] & CPUID_D_N_ECX_SUPERVISOR) ? 0 : r[EBX];
		if (r[ECX] & CPUID_D_N_ECX_ALIGN64)
			p->xsave_align64 |= 1ULL << i;
	}
	return 0;
}

/* The part of the policy that does not depend on the vCPU, applied once to a cached answer. */
static void apply_static(const struct cpuid_policy *p, const struct cpuid_policy_config *cfg,
			 uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	switch (leaf) {
	case LEAF_VENDOR:
		r[EAX] = p->max_basic;
		break;
	case LEAF_FEATURES:
		r[ECX] |= CPUID_1_ECX_HYPERVISOR;
		r[ECX] &= ~CPUID_1_ECX_VMX;
		r[EDX] &= ~cfg->hide_1_edx;
		break;
	case LEAF_XSAVE:
		if (subleaf == 0) {
			r[EAX] = (uint32_t)p->xcr0_allowed;
			r[EDX] = (uint32_t)(p->xcr0_allowed >> 32);
			r[ECX] = xsave_size_standard(p, p->xcr0_allowed);
			r[EBX] = 0; /* per vCPU, at lookup */
		} else if (subleaf == 1) {
			if (cfg->hide_xsaves)
				r[EAX] &= ~CPUID_D_1_EAX_XSAVES;
			r[ECX] = (uint32_t)p->xss_allowed;
			r[EDX] = (uint32_t)(p->xss_allowed >> 32);
			r[EBX] = 0; /* per vCPU, at lookup */
		}
		break;
	case LEAF_EXT_MAX:
		r[EAX] = p->max_ext;
		break;
	case LEAF_AMD_FEATURES:
		r[ECX] &= ~(CPUID_80000001_ECX_SVM | cfg->hide_80000001_ecx);
		r[EDX] &= ~(cfg->hide_1_edx & CPUID_AMD_EDX_MIRRORED);
		break;
	case LEAF_PERFMON:
		if (cfg->hide_arch_pmu)
			memset(r, 0, 4 * sizeof(r[0]));
		break;
	case LEAF_SVM:
		memset(r, 0, 4 * sizeof(r[0]));
		break;
	case LEAF_AMD_MEM_ENCRYPT:
		/*
		 * SME and SEV are not offered: SYSCFG is the hypervisor's and the guest is no SEV guest.
		 * Linux's decompressor reads MSR_AMD64_SEV without a fault handler where this leaf has SEV.
		 */
		memset(r, 0, 4 * sizeof(r[0]));
		break;
	default:
		break;
	}

	for (size_t i = 0; i < ARRAY_SIZE(xfeature_deps); i++) {
		const struct xfeature_dep *d = &xfeature_deps[i];

		if (d->leaf == leaf && d->subleaf == subleaf &&
		    (p->xcr0_allowed & d->needs) != d->needs)
			r[d->reg] &= ~d->bits;
	}
}

static int cache_one(struct cpuid_policy *p, const struct cpuid_policy_config *cfg, cpuid_fn raw,
		     void *ctx, uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	struct cpuid_entry *e;

	if (p->nr >= CPUID_POLICY_CAPACITY)
		return -E_NOMEM;
	raw(leaf, subleaf, r, ctx);
	e = &p->entries[p->nr++];
	e->subleaf = subleaf;
	memcpy(e->regs, r, sizeof(e->regs));
	apply_static(p, cfg, leaf, subleaf, e->regs);
	return 0;
}

/* Cache the subleaves of leaf by its rule; r is what the raw CPU returned, not the policy. */
static int cache_subleaves(struct cpuid_policy *p, const struct cpuid_policy_config *cfg,
			   cpuid_fn raw, void *ctx, uint32_t leaf, const struct subleaf_leaf *rule)
{
	uint32_t r[4], r0[4], max;
	uint64_t bitmap;
	int err;

	switch (rule->rule) {
	case SUBLEAF_MAX_IN_EAX:
		err = cache_one(p, cfg, raw, ctx, leaf, 0, r0);
		if (err)
			return err;
		max = MIN(r0[EAX], CPUID_SUBLEAF_MAX - 1);
		for (uint32_t s = 1; !err && s <= max; s++)
			err = cache_one(p, cfg, raw, ctx, leaf, s, r);
		return err;
	case SUBLEAF_UNTIL_ZERO:
		for (uint32_t s = 0; s < CPUID_SUBLEAF_MAX; s++) {
			err = cache_one(p, cfg, raw, ctx, leaf, s, r);
			if (err)
				return err;
			if (s >= rule->first && !(r[rule->reg] & rule->mask))
				break; /* the terminator itself is cached */
		}
		return 0;
	case SUBLEAF_BITMAP:
		err = cache_one(p, cfg, raw, ctx, leaf, 0, r0);
		if (err)
			return err;
		for (uint32_t s = 1; !err && s < MIN(32u, CPUID_SUBLEAF_MAX); s++)
			if (r0[rule->reg] & (1u << s))
				err = cache_one(p, cfg, raw, ctx, leaf, s, r);
		return err;
	case SUBLEAF_XSAVE:
		if (!p->xcr0_allowed)
			return 0; /* no XSAVE for the guest: the whole leaf reads zero */
		bitmap = 3 | p->xcr0_allowed | p->xss_allowed;
		for (uint32_t s = 0; s < 63; s++) {
			if (!(bitmap & (1ULL << s)))
				continue;
			err = cache_one(p, cfg, raw, ctx, leaf, s, r);
			if (err)
				return err;
		}
		return 0;
	}
	return -E_INVAL;
}

/* The leaves apply_dynamic() changes for the vCPU: never served as fixed answers. */
static bool leaf_is_dynamic(uint32_t leaf)
{
	switch (leaf) {
	case LEAF_FEATURES:
	case LEAF_AMD_FEATURES:
	case LEAF_EXT_FEATURES:
	case LEAF_TOPOLOGY:
	case LEAF_TOPOLOGY_V2:
	case LEAF_XSAVE:
	case LEAF_AMD_APIC_ID:
		return true;
	default:
		return false;
	}
}

static int cache_leaf(struct cpuid_policy *p, const struct cpuid_policy_config *cfg,
		      cpuid_fn raw, void *ctx, uint32_t leaf, struct cpuid_slot *slot)
{
	const struct subleaf_leaf *rule = subleaf_rule_of(leaf);
	uint32_t r[4];
	int err;

	slot->first = (uint16_t)p->nr;
	slot->indexed = rule != NULL;
	if (rule)
		err = cache_subleaves(p, cfg, raw, ctx, leaf, rule);
	else
		err = cache_one(p, cfg, raw, ctx, leaf, 0, r);
	slot->count = (uint8_t)(p->nr - slot->first);
	slot->fixed = !rule && slot->count == 1 && !leaf_is_dynamic(leaf);
	return err;
}

static bool is_genuine_intel(const uint32_t r[4])
{
	/* "GenuineIntel" in EBX, EDX, ECX. */
	return r[EBX] == 0x756E6547 && r[EDX] == 0x49656E69 && r[ECX] == 0x6C65746E;
}

static const struct cpuid_entry *find(const struct cpuid_policy *p, const struct cpuid_slot *s,
				      uint32_t subleaf)
{
	unsigned int lo = s->first, hi = s->first + s->count;

	if (!s->count)
		return NULL;
	if (!s->indexed)
		return &p->entries[s->first];
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (p->entries[mid].subleaf == subleaf)
			return &p->entries[mid];
		if (p->entries[mid].subleaf < subleaf)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int cpuid_policy_build(struct cpuid_policy *p, cpuid_fn raw, void *ctx,
		       const struct cpuid_policy_config *cfg)
{
	const struct cpuid_entry *e;
	uint32_t r[4];
	int err;

	if (!p || !raw || !cfg)
		return -E_INVAL;
	memset(p, 0, sizeof(*p));

	raw(LEAF_VENDOR, 0, r, ctx);
	p->max_basic = MIN(r[EAX], CPUID_BASIC_MAX);
	p->intel_out_of_range = is_genuine_intel(r);
	raw(LEAF_EXT_MAX, 0, r, ctx);
	p->max_ext = r[EAX] >= CPUID_EXT_BASE ? MIN(r[EAX], CPUID_EXT_MAX) : 0;

	err = xsave_setup(p, raw, ctx, cfg);
	if (err)
		return err;

	p->hv_regs[0][EAX] = CPUID_HV_MAX_LEAF;
	memcpy(&p->hv_regs[0][EBX], cfg->hv_signature, sizeof(cfg->hv_signature));
	p->hv_regs[1][EAX] = cfg->hv_version;
	p->hv_regs[1][EBX] = cfg->hv_features;

	p->basic_fixed_mask = 0;
	for (uint32_t leaf = 0; leaf <= p->max_basic; leaf++) {
		err = cache_leaf(p, cfg, raw, ctx, leaf, &p->basic[leaf]);
		if (err)
			return err;
		if (!p->basic[leaf].fixed)
			continue;
		p->basic_fixed_mask |= 1ULL << leaf;
		memcpy(p->basic_fixed[leaf], p->entries[p->basic[leaf].first].regs, sizeof(p->basic_fixed[leaf]));
	}
	for (uint32_t leaf = CPUID_EXT_BASE; p->max_ext && leaf <= p->max_ext; leaf++) {
		err = cache_leaf(p, cfg, raw, ctx, leaf, &p->ext[leaf - CPUID_EXT_BASE]);
		if (err)
			return err;
	}

	/* SDM: CPUID.(0BH or 1FH, ECX=0):EBX = 0 means the leaf is not implemented. */
	e = p->max_basic >= LEAF_TOPOLOGY ? find(p, &p->basic[LEAF_TOPOLOGY], 0) : NULL;
	p->topo_0b = e && e->regs[EBX];
	e = p->max_basic >= LEAF_TOPOLOGY_V2 ? find(p, &p->basic[LEAF_TOPOLOGY_V2], 0) : NULL;
	p->topo_1f = e && e->regs[EBX];
	return 0;
}

/* The slot of a cached leaf, or NULL when leaf lies outside both cached ranges. */
static const struct cpuid_slot *slot_of(const struct cpuid_policy *p, uint32_t leaf)
{
	if (leaf <= p->max_basic)
		return &p->basic[leaf];
	if (p->max_ext && leaf >= CPUID_EXT_BASE && leaf <= p->max_ext)
		return &p->ext[leaf - CPUID_EXT_BASE];
	return NULL;
}

static void set_bit_if(uint32_t *reg, uint32_t bit, bool on)
{
	*reg = on ? *reg | bit : *reg & ~bit;
}

/* The part of the policy that depends on the vCPU (for the leaves of leaf_is_dynamic()). */
static void apply_dynamic(const struct cpuid_policy *p, uint32_t leaf, uint32_t subleaf,
			  bool cached, const struct cpuid_guest_state *g, uint32_t out[4])
{
	uint64_t xcr0;

	switch (leaf) {
	case LEAF_FEATURES:
		out[EBX] = (out[EBX] & ~CPUID_1_EBX_APIC_ID_MASK) |
			   (g->apic_id << CPUID_1_EBX_APIC_ID_SHIFT);
		set_bit_if(&out[ECX], CPUID_1_ECX_OSXSAVE, g->cr4 & CR4_OSXSAVE);
		if (g->apic_disabled)
			out[EDX] &= ~CPUID_EDX_APIC;
		break;
	case LEAF_AMD_FEATURES:
		if (g->apic_disabled)
			out[EDX] &= ~CPUID_EDX_APIC; /* AMD mirrors leaf 1's APIC bit here */
		break;
	case LEAF_EXT_FEATURES:
		if (subleaf == 0 && cached)
			set_bit_if(&out[ECX], CPUID_7_0_ECX_OSPKE, g->cr4 & CR4_PKE);
		break;
	case LEAF_TOPOLOGY:
	case LEAF_TOPOLOGY_V2:
		if (!(leaf == LEAF_TOPOLOGY ? p->topo_0b : p->topo_1f))
			break;
		if (!cached) {
			/* Past the last level: an invalid level numbered subleaf (SDM vol. 2 CPUID). */
			out[ECX] = subleaf & CPUID_TOPO_ECX_LEVEL_NUMBER;
		}
		out[EDX] = g->apic_id;
		break;
	case LEAF_XSAVE:
		if (!cached || subleaf > 1)
			break;
		xcr0 = (g->xcr0 | XCR0_X87) & p->xcr0_allowed;
		if (subleaf == 0)
			out[EBX] = xsave_size_standard(p, xcr0);
		else if (out[EAX] & (CPUID_D_1_EAX_XSAVEC | CPUID_D_1_EAX_XSAVES))
			out[EBX] = xsave_size_compacted(p, xcr0 | (g->xss & p->xss_allowed));
		break;
	case LEAF_AMD_APIC_ID:
		if (cached)
			out[EAX] = g->apic_id;
		break;
	default:
		break;
	}
}

static void copy_regs(uint32_t out[4], const uint32_t in[4])
{
	out[EAX] = in[EAX];
	out[EBX] = in[EBX];
	out[ECX] = in[ECX];
	out[EDX] = in[EDX];
}

void cpuid_policy_lookup(const struct cpuid_policy *p, uint32_t leaf, uint32_t subleaf,
			 const struct cpuid_guest_state *g, uint32_t out[4])
{
	const struct cpuid_slot *s;
	const struct cpuid_entry *e;

	/* Four stores each, not memset/memcpy: this runs on every CPUID exit. */
	out[EAX] = out[EBX] = out[ECX] = out[EDX] = 0;
	if (leaf >= CPUID_HV_BASE && leaf <= CPUID_HV_RANGE_END) {
		if (leaf <= CPUID_HV_MAX_LEAF)
			copy_regs(out, p->hv_regs[leaf - CPUID_HV_BASE]);
		return;
	}

	s = slot_of(p, leaf);
	if (!s) {
		if (!p->intel_out_of_range)
			return;
		leaf = p->max_basic;
		s = &p->basic[leaf];
	}
	e = find(p, s, subleaf);
	if (e)
		copy_regs(out, e->regs);
	apply_dynamic(p, leaf, subleaf, e != NULL, g, out);
}
