/* General-purpose register numbers, shared by the vCPU's register array and the MMIO decoder. */
#ifndef HV_VMM_GPR_H
#define HV_VMM_GPR_H

/* As ModRM.reg with REX.R encodes them. */
enum gpr {
	GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
	GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
	GPR_NR
};

#endif
