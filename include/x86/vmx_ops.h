/*
 * VMX instruction wrappers (Intel SDM vol. 3, 30.2 conventions). Every one checks both failure
 * flags: CF = VMfailInvalid, ZF = VMfailValid (the error number is in the VMCS), and goes
 * through the exception table, so a #UD/#GP (VMX already off, in the emergency path) becomes an
 * error instead of a crash. VMCS accesses check the field's width from its encoding.
 */
#ifndef HV_X86_VMX_OPS_H
#define HV_X86_VMX_OPS_H

#include "errno.h"
#include "panic.h"
#include "x86/extable.h"
#include "x86/vmx.h"

#define VMX_FAIL -E_INVAL  /* VMfailInvalid or VMfailValid */


#define DEFINE_VMX_PA_OP(name, insn)                                                              \
	static inline int name(uint64_t pa)                                                       \
	{                                                                                         \
		asm volatile goto("1: " insn " %0\n\t"                                            \
				  "jbe %l[fail]\n\t" EXTABLE_ENTRY("1b", "%l[fail]")              \
				  :                                                               \
				  : "m"(pa)                                                       \
				  : "cc", "memory"                                                \
				  : fail);                                                        \
		return 0;                                                                         \
	fail:                                                                                     \
		return VMX_FAIL;                                                                  \
	}

DEFINE_VMX_PA_OP(vmxon, "vmxon")
DEFINE_VMX_PA_OP(vmclear, "vmclear")
DEFINE_VMX_PA_OP(vmptrld, "vmptrld")
#undef DEFINE_VMX_PA_OP

static inline int vmxoff(void)
{
	asm volatile goto("1: vmxoff\n\t"
			  "jbe %l[fail]\n\t" EXTABLE_ENTRY("1b", "%l[fail]")
			  :
			  :
			  : "cc", "memory"
			  : fail);
	return 0;
fail:
	return VMX_FAIL;
}

static inline int vmptrst_safe(uint64_t *pa)
{
	asm volatile goto("1: vmptrst %0\n\t" EXTABLE_ENTRY("1b", "%l[fail]")
			  : "=m"(*pa)
			  :
			  : "memory"
			  : fail);
	return 0;
fail:
	return VMX_FAIL;
}

static inline int vmread_safe(uint64_t field, uint64_t *value)
{
	uint64_t v;

	asm volatile goto("1: vmread %1, %0\n\t"
			  "jbe %l[fail]\n\t" EXTABLE_ENTRY("1b", "%l[fail]")
			  : "=r"(v)
			  : "r"(field)
			  : "cc"
			  : fail);
	*value = v;
	return 0;
fail:
	return VMX_FAIL;
}

static inline int vmwrite_safe(uint64_t field, uint64_t value)
{
	asm volatile goto("1: vmwrite %1, %0\n\t"
			  "jbe %l[fail]\n\t" EXTABLE_ENTRY("1b", "%l[fail]")
			  :
			  : "r"(field), "rm"(value)
			  : "cc", "memory"
			  : fail);
	return 0;
fail:
	return VMX_FAIL;
}

/* A failed VMCS access here is a bug in the backend, not a guest's doing: stop loudly. */
static inline uint64_t vmcs_read(uint64_t field, unsigned int width)
{
	uint64_t value = 0;

	if (VMCS_ENC_WIDTH(field) != width || vmread_safe(field, &value))
		panic("vmx: VMREAD of field %#llx (width %u) failed", (unsigned long long)field, width);
	return value;
}

static inline void vmcs_write(uint64_t field, unsigned int width, uint64_t value)
{
	if (VMCS_ENC_WIDTH(field) != width || vmwrite_safe(field, value))
		panic("vmx: VMWRITE of %#llx to field %#llx (width %u) failed", (unsigned long long)value,
		      (unsigned long long)field, width);
}

#define vmcs_read16(f) ((uint16_t)vmcs_read((f), VMCS_WIDTH_16))
#define vmcs_read32(f) ((uint32_t)vmcs_read((f), VMCS_WIDTH_32))
#define vmcs_read64(f) vmcs_read((f), VMCS_WIDTH_64)
#define vmcs_readl(f) vmcs_read((f), VMCS_WIDTH_NATURAL)
#define vmcs_write16(f, v) vmcs_write((f), VMCS_WIDTH_16, (v))
#define vmcs_write32(f, v) vmcs_write((f), VMCS_WIDTH_32, (v))
#define vmcs_write64(f, v) vmcs_write((f), VMCS_WIDTH_64, (v))
#define vmcs_writel(f, v) vmcs_write((f), VMCS_WIDTH_NATURAL, (v))

/* INVEPT and INVVPID take a type in a register and a 128-bit descriptor in memory (SDM 30.3). */
#define DEFINE_VMX_INVALIDATE(name, insn)                                                         \
	static inline int name(uint64_t type, uint64_t low, uint64_t high)                       \
	{                                                                                         \
		const uint64_t desc[2] = { low, high };                                           \
		asm volatile goto("1: " insn " %0, %1\n\t"                                       \
				  "jbe %l[fail]\n\t" EXTABLE_ENTRY("1b", "%l[fail]")            \
				  :                                                               \
				  : "m"(desc), "r"(type)                                          \
				  : "cc", "memory"                                                \
				  : fail);                                                        \
		return 0;                                                                         \
	fail:                                                                                     \
		return VMX_FAIL;                                                                  \
	}

DEFINE_VMX_INVALIDATE(vmx_invalidate_ept, "invept")
DEFINE_VMX_INVALIDATE(vmx_invalidate_vpid, "invvpid")
#undef DEFINE_VMX_INVALIDATE

static inline int invept(uint64_t type, uint64_t eptp)
{
	return vmx_invalidate_ept(type, eptp, 0);
}

static inline int invvpid(uint64_t type, uint16_t vpid, uint64_t linear)
{
	return vmx_invalidate_vpid(type, vpid, linear);
}

/*
 * What vmx_run() keeps between entries of one VMCS: whether it was launched, and the host RSP
 * last written to it (rewritten only when it differs, as KVM does; 0 after VMCLEAR: unknown).
 */
struct vmx_entry {
	uint64_t host_rsp;
	uint8_t launched;
};

/* How vmx_run() came back (the values are the assembly's too, through asm_offsets.c). */
enum vmx_run_result {
	VMX_RUN_EXITED = 0,       /* the guest ran and a VM exit ended it */
	VMX_RUN_FAIL_INVALID = 1, /* VMfailInvalid: no current VMCS */
	VMX_RUN_FAIL_VALID = 2,   /* VMfailValid: the VM-instruction error field says why */
};

_Static_assert(VMX_RUN_EXITED == 0, "vmx_entry.asm returns it with XOR");

/* The guest run, in vmx_entry.asm. */
enum vmx_run_result vmx_run(void *regs, struct vmx_entry *entry);
/* Where a VM exit lands (the VMCS host RIP), inside vmx_run(); not callable. */
void vmx_exit_point(void);

#endif
