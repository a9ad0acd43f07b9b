/* Exception entry: the register frame the stubs build and the C dispatcher. */
#ifndef HV_X86_TRAPS_H
#define HV_X86_TRAPS_H

#include "types.h"

#define EXC_DE 0
#define EXC_DB 1
#define EXC_NMI 2
#define EXC_BP 3
#define EXC_OF 4
#define EXC_BR 5
#define EXC_UD 6
#define EXC_NM 7
#define EXC_DF 8
#define EXC_TS 10
#define EXC_NP 11
#define EXC_SS 12
#define EXC_GP 13
#define EXC_PF 14
#define EXC_MF 16
#define EXC_AC 17
#define EXC_MC 18
#define EXC_XM 19
#define EXC_VE 20
#define EXC_CP 21
#define EXC_SX 30
#define SX_INIT_REDIRECTED 1 /* #SX error code: an INIT redirected by VM_CR.R_INIT (APM vol. 2, 15.29) */
#define NR_EXCEPTIONS 32

/* Pushed by trap_entry.asm: general registers below the vector, error code and hardware frame. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

#define NR_VECTORS 256

/* Marks a vector below 32 that arrived as an interrupt (window IDT), not as an exception. */
#define IRQ_VECTOR_FLAG 0x100

extern void *const interrupt_stubs[NR_VECTORS];
extern void *const low_irq_stubs[NR_EXCEPTIONS];

void trap_dispatch(struct trap_frame *frame);
/* Finds out once whether MCG_STATUS can be read; irq_window() calls it before opening. */
void machine_check_probe(void);
const char *exception_name(unsigned int vector);
/* Prints the frame, control registers and a frame-pointer stack trace. */
void trap_dump(const struct trap_frame *frame);

#endif
