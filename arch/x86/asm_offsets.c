/*
 * Structure offsets for the assembly files. Compiled to assembly only; the Makefile turns each
 * "->NAME value" line into a NASM %define in build/include/asm_offsets.inc, so offsets are never
 * typed by hand.
 */
#include "vmm/vcpu.h"
#include "x86/smp.h"
#include "x86/vmx.h"
#include "x86/vmx_ops.h"

#define DEFINE(name, value) asm volatile("\n->" #name " %c0" : : "i"(value))
#define OFFSET(name, type, member) DEFINE(name, __builtin_offsetof(type, member))

void asm_offsets(void);
void asm_offsets(void)
{
	OFFSET(TP_CR3, struct trampoline_params, cr3);
	OFFSET(TP_EFER, struct trampoline_params, efer);
	OFFSET(TP_APIC_ID, struct trampoline_params, apic_id);
	OFFSET(TP_STACK_TOP, struct trampoline_params, stack_top);
	OFFSET(TP_PERCPU, struct trampoline_params, percpu);
	OFFSET(TP_ENTRY, struct trampoline_params, entry);
	DEFINE(TP_SIZE, sizeof(struct trampoline_params));

	OFFSET(GR_RAX, struct guest_regs, rax);
	OFFSET(GR_RBX, struct guest_regs, rbx);
	OFFSET(GR_RCX, struct guest_regs, rcx);
	OFFSET(GR_RDX, struct guest_regs, rdx);
	OFFSET(GR_RSI, struct guest_regs, rsi);
	OFFSET(GR_RDI, struct guest_regs, rdi);
	OFFSET(GR_RBP, struct guest_regs, rbp);
	OFFSET(GR_R8, struct guest_regs, r8);
	OFFSET(GR_R9, struct guest_regs, r9);
	OFFSET(GR_R10, struct guest_regs, r10);
	OFFSET(GR_R11, struct guest_regs, r11);
	OFFSET(GR_R12, struct guest_regs, r12);
	OFFSET(GR_R13, struct guest_regs, r13);
	OFFSET(GR_R14, struct guest_regs, r14);
	OFFSET(GR_R15, struct guest_regs, r15);

	DEFINE(VMCS_HOST_RSP_FIELD, VMCS_HOST_RSP);
	OFFSET(VE_HOST_RSP, struct vmx_entry, host_rsp);
	OFFSET(VE_LAUNCHED, struct vmx_entry, launched);
	DEFINE(VMX_RUN_FAIL_INVALID, VMX_RUN_FAIL_INVALID);
	DEFINE(VMX_RUN_FAIL_VALID, VMX_RUN_FAIL_VALID);
}
