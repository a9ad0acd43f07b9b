/* AMD SVM: VMCB layout, intercept bits and exit codes (AMD APM vol. 2, ch. 15 and appendices B, C). */
#ifndef HV_X86_SVM_H
#define HV_X86_SVM_H

#include "types.h"

/* CPUID 0x80000001 ECX and 0x8000000A EDX */
#define CPUID_80000001_ECX_SVM (1U << 2)
#define CPUID_8000000A_EDX_NP (1U << 0)
#define CPUID_8000000A_EDX_NRIPS (1U << 3)
#define CPUID_8000000A_EDX_VGIF (1U << 16)

/* VM_CR MSR */
#define VM_CR_R_INIT (1ULL << 1)
#define VM_CR_LOCK (1ULL << 3)
#define VM_CR_SVMDIS (1ULL << 4)

/* Intercept vector 3 (offset 0x00C) */
#define SVM_INTERCEPT_INTR (1U << 0)
#define SVM_INTERCEPT_NMI (1U << 1)
#define SVM_INTERCEPT_SMI (1U << 2)
#define SVM_INTERCEPT_INIT (1U << 3)
#define SVM_INTERCEPT_VINTR (1U << 4)
#define SVM_INTERCEPT_RDTSC (1U << 14)
#define SVM_INTERCEPT_CPUID (1U << 18)
#define SVM_INTERCEPT_IRET (1U << 20)
#define SVM_INTERCEPT_INVD (1U << 22)
#define SVM_INTERCEPT_HLT (1U << 24)
#define SVM_INTERCEPT_INVLPGA (1U << 26)
#define SVM_INTERCEPT_IOIO (1U << 27)
#define SVM_INTERCEPT_MSR (1U << 28)
#define SVM_INTERCEPT_TASK_SWITCH (1U << 29)
#define SVM_INTERCEPT_SHUTDOWN (1U << 31)
/* Intercept vector 4 (offset 0x010) */
#define SVM_INTERCEPT_VMRUN (1U << 0)
#define SVM_INTERCEPT_VMMCALL (1U << 1)
#define SVM_INTERCEPT_VMLOAD (1U << 2)
#define SVM_INTERCEPT_VMSAVE (1U << 3)
#define SVM_INTERCEPT_STGI (1U << 4)
#define SVM_INTERCEPT_CLGI (1U << 5)
#define SVM_INTERCEPT_SKINIT (1U << 6)
#define SVM_INTERCEPT_RDTSCP (1U << 7)
#define SVM_INTERCEPT_XSETBV (1U << 13)

#define SVM_TLB_FLUSH_ALL 1
#define SVM_VINTR_MASKING (1ULL << 24)
#define SVM_V_IRQ (1ULL << 8)
#define SVM_V_INTR_PRIO_SHIFT 16
#define SVM_V_IGN_TPR (1ULL << 20)
#define SVM_INTERRUPT_SHADOW (1ULL << 0)
#define SVM_NP_ENABLE (1ULL << 0)

/* EVENTINJ / EXITINTINFO */
#define SVM_EVENT_VALID (1U << 31)
#define SVM_EVENT_ERROR_VALID (1U << 11)
#define SVM_EVENT_TYPE_MASK (7U << 8)
#define SVM_EVENT_TYPE_INTR (0U << 8)
#define SVM_EVENT_TYPE_NMI (2U << 8)
#define SVM_EVENT_TYPE_EXCEPTION (3U << 8)
#define SVM_EVENT_TYPE_SOFTINT (4U << 8)

/* IOIO EXITINFO1 */
#define SVM_IOIO_IN (1U << 0)
#define SVM_IOIO_STR (1U << 2)
#define SVM_IOIO_REP (1U << 3)
#define SVM_IOIO_SIZE_SHIFT 4
#define SVM_IOIO_PORT_SHIFT 16

/* NPF EXITINFO1 */
#define SVM_NPF_PRESENT (1ULL << 0)
#define SVM_NPF_WRITE (1ULL << 1)
#define SVM_NPF_USER (1ULL << 2)
#define SVM_NPF_FETCH (1ULL << 4)

/* Exit codes */
#define SVM_EXIT_EXCP_BASE 0x040
#define SVM_EXIT_INTR 0x060
#define SVM_EXIT_NMI 0x061
#define SVM_EXIT_SMI 0x062
#define SVM_EXIT_INIT 0x063
#define SVM_EXIT_VINTR 0x064
#define SVM_EXIT_RDTSC 0x06E
#define SVM_EXIT_CPUID 0x072
#define SVM_EXIT_IRET 0x074
#define SVM_EXIT_INVD 0x076
#define SVM_EXIT_HLT 0x078
#define SVM_EXIT_INVLPGA 0x07A
#define SVM_EXIT_IOIO 0x07B
#define SVM_EXIT_MSR 0x07C
#define SVM_EXIT_TASK_SWITCH 0x07D
#define SVM_EXIT_SHUTDOWN 0x07F
#define SVM_EXIT_VMRUN 0x080
#define SVM_EXIT_VMMCALL 0x081
#define SVM_EXIT_VMLOAD 0x082
#define SVM_EXIT_VMSAVE 0x083
#define SVM_EXIT_STGI 0x084
#define SVM_EXIT_CLGI 0x085
#define SVM_EXIT_SKINIT 0x086
#define SVM_EXIT_RDTSCP 0x087
#define SVM_EXIT_XSETBV 0x08D
#define SVM_EXIT_NPF 0x400
#define SVM_EXIT_INVALID ((uint64_t)-1)

struct vmcb_seg {
	uint16_t selector;
	uint16_t attrib; /* descriptor bits 40-47 in 0-7, bits 52-55 in 8-11 */
	uint32_t limit;
	uint64_t base;
} __packed;

struct vmcb_control {
	uint32_t intercept_cr;   /* 0x000: reads in 0-15, writes in 16-31 */
	uint32_t intercept_dr;   /* 0x004 */
	uint32_t intercept_exceptions; /* 0x008 */
	uint32_t intercept_misc1; /* 0x00C */
	uint32_t intercept_misc2; /* 0x010 */
	uint32_t intercept_misc3; /* 0x014 */
	uint8_t reserved1[0x03C - 0x018];
	uint16_t pause_filter_threshold; /* 0x03C */
	uint16_t pause_filter_count;     /* 0x03E */
	uint64_t iopm_base_pa;   /* 0x040 */
	uint64_t msrpm_base_pa;  /* 0x048 */
	uint64_t tsc_offset;     /* 0x050 */
	uint32_t asid;           /* 0x058 */
	uint8_t tlb_control;     /* 0x05C */
	uint8_t reserved2[3];
	uint64_t vintr;          /* 0x060 */
	uint64_t interrupt_shadow; /* 0x068 */
	uint64_t exit_code;      /* 0x070 */
	uint64_t exit_info1;     /* 0x078 */
	uint64_t exit_info2;     /* 0x080 */
	uint64_t exit_int_info;  /* 0x088 */
	uint64_t np_control;     /* 0x090 */
	uint64_t avic_apic_bar;  /* 0x098 */
	uint64_t ghcb_pa;        /* 0x0A0 */
	uint64_t event_inj;      /* 0x0A8 */
	uint64_t n_cr3;          /* 0x0B0 */
	uint64_t virt_ext;       /* 0x0B8 */
	uint32_t clean_bits;     /* 0x0C0 */
	uint32_t reserved3;
	uint64_t next_rip;       /* 0x0C8 */
	uint8_t insn_bytes_fetched; /* 0x0D0 */
	uint8_t insn_bytes[15];
	uint8_t reserved4[0x400 - 0x0E0];
} __packed;

struct vmcb_save {
	struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr; /* 0x400 */
	uint8_t reserved1[0x4CB - 0x4A0];
	uint8_t cpl;             /* 0x4CB */
	uint32_t reserved2;
	uint64_t efer;           /* 0x4D0 */
	uint8_t reserved3[0x548 - 0x4D8];
	uint64_t cr4;            /* 0x548 */
	uint64_t cr3;
	uint64_t cr0;
	uint64_t dr7;
	uint64_t dr6;
	uint64_t rflags;
	uint64_t rip;            /* 0x578 */
	uint8_t reserved4[0x5D8 - 0x580];
	uint64_t rsp;            /* 0x5D8 */
	uint64_t s_cet, ssp, isst_addr;
	uint64_t rax;            /* 0x5F8 */
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base; /* 0x600 */
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;    /* 0x628 */
	uint64_t cr2;            /* 0x640 */
	uint8_t reserved5[0x668 - 0x648];
	uint64_t g_pat;          /* 0x668 */
	uint64_t dbgctl, br_from, br_to, last_excp_from, last_excp_to;
} __packed;

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
	uint8_t reserved[4096 - 0x400 - sizeof(struct vmcb_save)];
} __packed;

_Static_assert(__builtin_offsetof(struct vmcb_control, iopm_base_pa) == 0x040, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb_control, exit_code) == 0x070, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb_control, event_inj) == 0x0A8, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb_control, next_rip) == 0x0C8, "VMCB layout");
_Static_assert(sizeof(struct vmcb_control) == 0x400, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.efer) == 0x4D0, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.cr4) == 0x548, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.rsp) == 0x5D8, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.rax) == 0x5F8, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.cr2) == 0x640, "VMCB layout");
_Static_assert(__builtin_offsetof(struct vmcb, save.g_pat) == 0x668, "VMCB layout");
_Static_assert(sizeof(struct vmcb) == 4096, "VMCB is one page");

#endif
