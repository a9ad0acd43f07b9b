/*
 * The fidelity guest's trip to real mode and back (Intel SDM vol. 3, 9.9.2 "Switching Back to
 * Real-Address Mode", 9.9.1 for the way back), as an OS's early code or a BIOS call thunk does it.
 *
 * realmode_run() is called from 32-bit flat protected mode with paging off. The 16-bit part is a
 * blob (rm_blob .. rm_blob_end) that the C side copies to RM_BASE, below 1 MiB, where real-mode
 * CS:IP can reach it; it is assembled with offsets relative to rm_blob, so real-mode segment
 * RM_SEG (base RM_BASE) runs it at those offsets. The C side also fills the real-mode IVT at
 * RM_BASE + RM_IVT_OFF. Every result is written into rm_results (struct rm_results in
 * fidelity_realmode.c) and checked in protected mode afterwards.
 */
#include "fidelity_realmode.h"

#define OFF(x) ((x) - rm_blob)
#define SEL_CODE32 0x08
#define SEL_DATA32 0x10
#define SEL_CODE16 0x20
#define SEL_DATA16 0x28
#define ALIAS_SEG (RM_SEG - 0x10) /* base RM_BASE - 0x100: the same bytes at offsets + 0x100 */

	.text
	.code32
	.globl realmode_run
	.type realmode_run, @function
realmode_run:
	push %ebp
	push %ebx
	push %esi
	push %edi
	pushf
	cli
	sgdt saved_gdtr
	sidt saved_idtr
	mov %esp, saved_esp
	lgdt RM_BASE + OFF(rm_gdtr)
	/* 16-bit protected mode first: CS and then every data segment get 64 KiB limits. */
	ljmp $SEL_CODE16, $OFF(pm16_entry)

/* Back from real mode with CR0.PE set and CS = SEL_CODE32 (flat). */
pm32_return:
	mov $SEL_DATA32, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov saved_esp, %esp
	lgdt saved_gdtr
	lidt saved_idtr
	popf
	pop %edi
	pop %esi
	pop %ebx
	pop %ebp
	ret
	.size realmode_run, . - realmode_run

	.data
	.balign 4
saved_esp:
	.long 0
saved_gdtr:
	.word 0
	.long 0
saved_idtr:
	.word 0
	.long 0

/* ---- the blob: copied to RM_BASE, runs at offsets from rm_blob ---- */
	.section .rodata
	.balign 16
	.globl rm_blob, rm_blob_end, rm_results, rm_after_int40, rm_int40, rm_int41, rm_unexpected
rm_blob:
	.code16
pm16_entry:
	mov $SEL_DATA16, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	lidt OFF(rm_idtr)
	mov %cr0, %eax
	and $~1, %eax /* PE off; PG is already off */
	mov %eax, %cr0
	ljmp $RM_SEG, $OFF(rm_entry)

rm_entry:
	mov $RM_SEG, %ax
	mov %ax, %ds
	mov %ax, %ss
	mov $RM_STACK_TOP, %sp
	xor %ax, %ax
	mov %ax, %fs
	mov %ax, %gs
	movw $RM_MAGIC, OFF(rm_results) + RM_R_MAGIC
	mov %cr0, %eax
	mov %ax, OFF(rm_results) + RM_R_CR0

	/* Segment loads: a word written through ES (base 16 bytes further per unit) reads back through DS. */
	mov $(RM_SEG + OFF(rm_scratch) / 16), %ax
	mov %ax, %es
	movw $0xbeef, %es:0
	mov OFF(rm_scratch), %ax
	mov %ax, OFF(rm_results) + RM_R_SEG_READ
	/* and FS = 0 reaches the BIOS data area: the base memory size word at 0x413. */
	mov %fs:0x413, %ax
	mov %ax, OFF(rm_results) + RM_R_BDA_KB

	/* INT n through our IVT, IRET back; AX goes in, the handler adds to it. */
	mov %sp, OFF(rm_results) + RM_R_SP_BEFORE
	mov $0x1111, %ax
	int $0x40
rm_after_int40:
	mov %ax, OFF(rm_results) + RM_R_INT40_AX
	mov %sp, OFF(rm_results) + RM_R_SP_AFTER
	/* The vector 0x41 entry names another segment (ALIAS_SEG): CS must be loaded from the IVT. */
	int $0x41

	/* Far CALL with an immediate pointer, and an indirect one through memory into ALIAS_SEG. */
	lcall $RM_SEG, $OFF(rm_farproc)
	movw $(OFF(rm_farproc2) + 0x100), OFF(rm_farptr)
	movw $ALIAS_SEG, OFF(rm_farptr) + 2
	lcall *OFF(rm_farptr)

	/* Far JMP into ALIAS_SEG and back. */
	ljmp $ALIAS_SEG, $(OFF(rm_in_alias) + 0x100)
rm_in_alias:
	mov %cs, %ax
	mov %ax, OFF(rm_results) + RM_R_FARJMP_CS
	ljmp $RM_SEG, $OFF(rm_back_from_alias)
rm_back_from_alias:

	/* 32-bit operands in real mode (operand-size prefix). */
	mov $0x12345678, %eax
	mov %eax, OFF(rm_results) + RM_R_EAX32

	/*
	 * A stack at 0:FFFE, where real-mode code with SS = 0 and SP = 0 puts it: the top of the first
	 * 64 KiB is RAM on a PC. Only when the memory map says so (rm_low_stack_ok), so a guest that
	 * was not given that page reports it instead of faulting here.
	 */
	cmpw $0, OFF(rm_low_stack_ok)
	je 1f
	mov %ss, %bx
	mov %sp, %cx
	xor %ax, %ax
	mov %ax, %ss
	xor %sp, %sp
	pushw $0x7e57
	mov %sp, %dx
	popw %ax
	mov %bx, %ss
	mov %cx, %sp
	mov %ax, OFF(rm_results) + RM_R_LOW_STACK
	mov %dx, OFF(rm_results) + RM_R_LOW_SP
1:

	/* Instructions the hypervisor intercepts, executed in real mode: CPUID and IN from port 0x64. */
	xor %eax, %eax
	cpuid
	mov %ebx, OFF(rm_results) + RM_R_CPUID_EBX
	in $0x64, %al
	mov %ax, OFF(rm_results) + RM_R_KBD_STATUS

	/* STI; NOP; CLI: interrupts briefly on in real mode (nothing is pending). */
	sti
	nop
	pushf
	pop %ax
	cli
	mov %ax, OFF(rm_results) + RM_R_STI_FLAGS

	/*
	 * Big real mode, as BIOSes and boot loaders use it: FS loaded in protected mode with a 4 GiB
	 * limit keeps it after PE is cleared, and a 32-bit address reaches above 1 MiB through it.
	 */
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	mov $SEL_DATA32, %bx
	mov %bx, %fs
	and $~1, %eax
	mov %eax, %cr0
	xor %bx, %bx
	mov %bx, %fs /* base 0 again; the 4 GiB limit stays */
	mov OFF(rm_unreal_addr), %esi
	addr32 mov %fs:(%esi), %eax
	mov %eax, OFF(rm_results) + RM_R_UNREAL
	/*
	 * And the local APIC through it, as firmware does: a TPR write (which the hypervisor traps
	 * and completes, decoding a real-mode instruction with address-size and FS prefixes), read
	 * back, then TPR 0 again.
	 */
	mov OFF(rm_apic_tpr_addr), %esi
	mov $0x10, %eax
	addr32 mov %eax, %fs:(%esi)
	addr32 mov %fs:(%esi), %eax
	mov %eax, OFF(rm_results) + RM_R_APIC_TPR
	xor %eax, %eax
	addr32 mov %eax, %fs:(%esi)

	/* A BIOS service through the BIOS's own IVT at 0: INT 12h returns the base memory size in KiB. */
	lidt OFF(bios_idtr)
	xor %ax, %ax
	int $0x12
	cli /* in case the BIOS enabled interrupts */
	mov %ax, OFF(rm_results) + RM_R_BIOS_KB
	lidt OFF(rm_idtr)

	movw $RM_DONE, OFF(rm_results) + RM_R_DONE

	/* Back to protected mode: GDT (32-bit base), PE, a far jump to 32-bit code. */
	cli
	lgdtl OFF(rm_gdtr)
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	.byte 0x66, 0xea /* ljmpl $SEL_CODE32, $pm32_return */
	.long pm32_return
	.word SEL_CODE32

/* INT 0x40: records the frame the CPU pushed (IP, CS, FLAGS) and returns AX + 0x2222. */
rm_int40:
	mov %sp, %bp
	incw OFF(rm_results) + RM_R_INT40_COUNT
	mov %ax, %bx
	mov 0(%bp), %ax
	mov %ax, OFF(rm_results) + RM_R_INT40_IP
	mov 2(%bp), %ax
	mov %ax, OFF(rm_results) + RM_R_INT40_CS
	mov 4(%bp), %ax
	mov %ax, OFF(rm_results) + RM_R_INT40_FLAGS
	pushf
	pop %ax
	mov %ax, OFF(rm_results) + RM_R_INT40_INNER_FLAGS
	mov %bx, %ax
	add $0x2222, %ax
	iret

/* INT 0x41, entered at ALIAS_SEG:(OFF + 0x100): records CS. */
rm_int41:
	mov %cs, %ax
	mov %ax, OFF(rm_results) + RM_R_INT41_CS
	iret

rm_farproc:
	mov %cs, %ax
	mov %ax, OFF(rm_results) + RM_R_FARCALL_CS
	lret

rm_farproc2:
	mov %cs, %ax
	mov %ax, OFF(rm_results) + RM_R_FARCALL2_CS
	lret

/* Every other vector of our IVT: counted, then returned from. */
rm_unexpected:
	incw OFF(rm_results) + RM_R_UNEXPECTED
	iret

	.balign 8
rm_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff /* SEL_CODE32: flat 32-bit code, as the guest library's */
	.quad 0x00cf92000000ffff /* SEL_DATA32 */
	.quad 0
	/* SEL_CODE16 and SEL_DATA16: base RM_BASE, limit 0xffff, byte granular, 16-bit */
	.word 0xffff, RM_BASE & 0xffff
	.byte (RM_BASE >> 16) & 0xff, 0x9a, 0x00, 0x00
	.word 0xffff, RM_BASE & 0xffff
	.byte (RM_BASE >> 16) & 0xff, 0x92, 0x00, 0x00
rm_gdt_end:
rm_gdtr:
	.word rm_gdt_end - rm_gdt - 1
	.long RM_BASE + OFF(rm_gdt)
rm_idtr:
	.word 0x3ff
	.long RM_BASE + RM_IVT_OFF
bios_idtr:
	.word 0x3ff
	.long 0
rm_farptr:
	.word 0, 0
	.globl rm_unreal_addr
rm_unreal_addr: /* filled in by fidelity_realmode.c: a word above 1 MiB */
	.long 0
	.globl rm_low_stack_ok
rm_low_stack_ok: /* and whether 0xf000-0xffff is usable RAM in the memory map */
	.word 0
	.globl rm_apic_tpr_addr
rm_apic_tpr_addr: /* and the local APIC's TPR */
	.long 0
	.balign 16
rm_scratch:
	.word 0
	.balign 16
rm_results:
	.skip RM_R_SIZE
rm_blob_end: /* fidelity_realmode.c checks that the blob ends before RM_IVT_OFF */

	.code32
	.section .note.GNU-stack, "", @progbits
