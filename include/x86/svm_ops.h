/*
 * SVM instruction wrappers. Those the emergency (reboot) path needs can fault if SVM is already
 * off, so they go through the exception table and report -E_FAULT instead.
 */
#ifndef HV_X86_SVM_OPS_H
#define HV_X86_SVM_OPS_H

#include "errno.h"
#include "x86/extable.h"

#define DEFINE_SVM_NOARG(name, insn)                                                              \
	static inline int name(void)                                                              \
	{                                                                                         \
		asm volatile goto("1: " insn "\n\t" EXTABLE_ENTRY("1b", "%l[fault]")              \
				  :                                                               \
				  :                                                               \
				  : "memory"                                                      \
				  : fault);                                                       \
		return 0;                                                                         \
	fault:                                                                                    \
		return -E_FAULT;                                                                  \
	}

DEFINE_SVM_NOARG(svm_stgi, "stgi")
DEFINE_SVM_NOARG(svm_clgi, "clgi")
#undef DEFINE_SVM_NOARG

#define DEFINE_SVM_VMCB_OP(name, insn)                                                            \
	static inline int name(uint64_t vmcb_pa)                                                  \
	{                                                                                         \
		asm volatile goto("1: " insn "\n\t" EXTABLE_ENTRY("1b", "%l[fault]")              \
				  :                                                               \
				  : "a"(vmcb_pa)                                                  \
				  : "memory"                                                      \
				  : fault);                                                       \
		return 0;                                                                         \
	fault:                                                                                    \
		return -E_FAULT;                                                                  \
	}

DEFINE_SVM_VMCB_OP(svm_vmload, "vmload %%rax")
DEFINE_SVM_VMCB_OP(svm_vmsave, "vmsave %%rax")
#undef DEFINE_SVM_VMCB_OP

/* The guest run itself, in svm_entry.asm. */
int svm_run(uint64_t guest_vmcb_pa, void *regs, uint64_t host_vmcb_pa);

#endif
