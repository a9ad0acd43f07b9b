/*
 * Hardware task switches emulated for the guest (vmm/task_switch.c): VMX exits on every one (SVM
 * lets the CPU perform them). The 32-bit TSS and descriptor rules of Intel SDM vol. 3A, 8.3 and
 * table 8-1; the pure parts are here for the unit tests.
 */
#ifndef HV_VMM_TASK_SWITCH_H
#define HV_VMM_TASK_SWITCH_H

#include "types.h"
#include "vmm/vcpu.h"

/* The 32-bit TSS (SDM vol. 3A, figure 8-2): byte offsets. */
#define TSS32_LINK 0x00
#define TSS32_CR3 0x1C
#define TSS32_EIP 0x20    /* the dynamic fields a switch saves: EIP .. GS, 16 dwords */
#define TSS32_EFLAGS 0x24
#define TSS32_EAX 0x28    /* EAX ECX EDX EBX ESP EBP ESI EDI: ModRM order */
#define TSS32_ES 0x48     /* ES CS SS DS FS GS: one dword each, the selector in the low word */
#define TSS32_CS 0x4C
#define TSS32_SS 0x50
#define TSS32_DS 0x54
#define TSS32_FS 0x58
#define TSS32_GS 0x5C
#define TSS32_LDT 0x60
#define TSS32_TRAP 0x64   /* bit 0: #DB on a switch to this task */
#define TSS32_SIZE 0x68   /* the least limit + 1 of a 32-bit TSS */
#define TSS32_DYNAMIC_DWORDS 16

/* System descriptor types (S = 0). */
#define DESC_TYPE_LDT 0x2
#define DESC_TYPE_TSS16_AVAIL 0x1
#define DESC_TYPE_TSS16_BUSY 0x3
#define DESC_TYPE_TSS32_AVAIL 0x9
#define DESC_TYPE_TSS32_BUSY 0xB
#define DESC_TYPE_TSS_BUSY_BIT 0x2
#define DESC_TYPE_TASK_GATE 0x5
/* Code and data descriptor type bits (S = 1). */
#define DESC_TYPE_ACCESSED 0x1
#define DESC_TYPE_WRITABLE 0x2 /* data: writable; code: readable */
#define DESC_TYPE_CONFORMING 0x4 /* code only */
#define DESC_TYPE_CODE 0x8

#define RFLAGS_NT (1ULL << 14)
#define RFLAGS_VM (1ULL << 17)
#define DR6_BT (1ULL << 15)
#define SEL_RPL_MASK 3U
#define SEL_TI (1U << 2)
#define SEL_ERROR_EXT 1U /* error codes: the fault came with an external event */

/* A descriptor's fields (8 bytes as in the GDT/LDT); the limit with its granularity applied. */
static inline uint32_t desc_base(uint64_t d)
{
	return (uint32_t)(((d >> 16) & 0xFFFFFF) | ((d >> 32) & 0xFF000000));
}

static inline uint32_t desc_limit(uint64_t d)
{
	uint32_t limit = (uint32_t)((d & 0xFFFF) | ((d >> 32) & 0xF0000));

	return (d & (1ULL << 55)) ? (limit << 12) | 0xFFF : limit;
}

/* In struct vcpu_segment's attr form. */
static inline uint16_t desc_attr(uint64_t d)
{
	return (uint16_t)(((d >> 40) & 0xFF) | ((d >> 44) & 0xF00));
}

/* A fault the switch raises: the vector and its error code (every fault here has one). */
struct task_fault {
	uint8_t vector;
	uint32_t error_code;
};

/*
 * The new TSS's descriptor (from the GDT) for a switch from `source`: whether it may be switched
 * to (SDM vol. 3A, table 8-1, and the CALL/JMP/INT/IRET pseudocode). 0, -E_FAULT with *fault,
 * or -E_NOSUPP for a 16-bit TSS, which is not emulated.
 */
int task_switch_check_tss(uint64_t desc, uint16_t sel, enum task_switch_source source, uint32_t ext,
			  struct task_fault *fault);

/*
 * A segment descriptor for `seg` of the new task, whose CPL is `cpl` (its CS selector's RPL):
 * desc is NULL for a null selector. 0 or -E_FAULT with *fault (#TS, #NP or #SS as table 8-1 says).
 */
int task_switch_check_segment(enum vcpu_seg seg, uint16_t sel, const uint64_t *desc, unsigned int cpl, uint32_t ext,
			      struct task_fault *fault);

#endif
