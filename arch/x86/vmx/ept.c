/* The EPT entry format for the page-table builder, and the EPT pointer: see include/x86/ept.h. */
#include "x86/ept.h"
#include "x86/vmx.h"

/* The x86 leaf flags an EPT leaf can express (ept.h). */
#define EPT_X86_FLAGS (PTE_P | PTE_W | PTE_U | PTE_PWT | PTE_PCD | PTE_NX)

uint64_t ept_leaf_from_x86(uint64_t x86_flags)
{
	uint64_t bits = EPT_READ;

	if (!(x86_flags & PTE_P) || (x86_flags & ~EPT_X86_FLAGS))
		return 0;
	if (x86_flags & PTE_W)
		bits |= EPT_WRITE;
	if (!(x86_flags & PTE_NX))
		bits |= EPT_EXEC;
	/* The power-on PAT reading of PCD/PWT (WB, WT, UC-, UC); EPT has no UC-, so UC. */
	if (x86_flags & PTE_PCD)
		bits |= EPT_MEMTYPE(VMX_MEMTYPE_UC);
	else if (x86_flags & PTE_PWT)
		bits |= EPT_MEMTYPE(VMX_MEMTYPE_WT);
	else
		bits |= EPT_MEMTYPE(VMX_MEMTYPE_WB);
	return bits;
}

uint64_t ept_leaf_to_x86(uint64_t ept_bits)
{
	uint64_t flags = PTE_P | PTE_U;

	if (ept_bits & EPT_WRITE)
		flags |= PTE_W;
	if (!(ept_bits & EPT_EXEC))
		flags |= PTE_NX;
	switch ((ept_bits & EPT_MEMTYPE_MASK) >> EPT_MEMTYPE_SHIFT) {
	case VMX_MEMTYPE_WB:
		break;
	case VMX_MEMTYPE_WT:
		flags |= PTE_PWT;
		break;
	default:
		flags |= PTE_PCD | PTE_PWT;
		break;
	}
	return flags;
}

void ept_ctx_init(struct pt_ctx *ctx, bool allow_1g)
{
	*ctx = (struct pt_ctx){
		.allow_1g = allow_1g,
		/* Non-leaf entries grant everything: the leaf decides. Bits 7:3 are reserved in them. */
		.table_flags = EPT_RWX,
		.present_mask = EPT_RWX,
		.large_bit = EPT_LARGE,
		.pat_4k = 0, /* the memory type sits in bits 5:3 at every leaf size */
		.pat_large = 0,
		.addr_mask = PTE_ADDR_MASK,
		.flags_from_x86 = ept_leaf_from_x86,
		.flags_to_x86 = ept_leaf_to_x86,
	};
}

uint64_t ept_pointer(paddr_t root)
{
	return (root & PTE_ADDR_MASK) | VMX_MEMTYPE_WB | EPTP_WALK_LENGTH(4);
}
