/*
 * Shared by fidelity_realmode.c and fidelity_realmode16.S: where the real-mode blob runs and the layout of
 * the results it leaves behind (16-bit words at these byte offsets).
 */
#ifndef GUEST_FIDELITY_REALMODE_H
#define GUEST_FIDELITY_REALMODE_H

#define RM_BASE 0x8000 /* below 1 MiB and 64 KiB, clear of the BIOS data area and the AP trampoline */
#define RM_SEG (RM_BASE >> 4)
#define RM_SIZE 0x1000
#define RM_IVT_OFF 0x800 /* our real-mode IVT: 256 far pointers */
#define RM_STACK_TOP 0x1000

#define RM_MAGIC 0x5a5a /* written first thing in real mode */
#define RM_DONE 0xd0e5 /* written just before switching back */

#define RM_R_MAGIC 0
#define RM_R_CR0 2
#define RM_R_SEG_READ 4
#define RM_R_BDA_KB 6
#define RM_R_SP_BEFORE 8
#define RM_R_INT40_AX 10
#define RM_R_SP_AFTER 12
#define RM_R_INT40_COUNT 14
#define RM_R_INT40_IP 16
#define RM_R_INT40_CS 18
#define RM_R_INT40_FLAGS 20
#define RM_R_INT40_INNER_FLAGS 22
#define RM_R_INT41_CS 24
#define RM_R_FARCALL_CS 26
#define RM_R_FARCALL2_CS 28
#define RM_R_FARJMP_CS 30
#define RM_R_EAX32 32 /* 4 bytes */
#define RM_R_BIOS_KB 36
#define RM_R_UNEXPECTED 38
#define RM_R_DONE 40
#define RM_R_UNREAL 42 /* 4 bytes */
#define RM_R_CPUID_EBX 46 /* 4 bytes */
#define RM_R_KBD_STATUS 50
#define RM_R_STI_FLAGS 52
#define RM_R_APIC_TPR 54 /* 4 bytes */
#define RM_R_LOW_STACK 58
#define RM_R_LOW_SP 60
#define RM_R_SIZE 62

#endif
