/*
 * Multiboot 1 header, entry and the IDT stubs of the test guests (32-bit, GNU as).
 *
 * Entry state (multiboot 1 spec, 3.2): 32-bit flat protected mode, paging and interrupts off,
 * EAX = 0x2BADB002, EBX = physical address of the multiboot information. GDTR and IDTR are not
 * valid and ESP is undefined, so nothing may use the stack or a segment reload before our own.
 */
#define MB1_MAGIC 0x1badb002
#define MB1_FLAGS 0x00000003 /* bit 0: page-align modules; bit 1: memory information */
#define STACK_SIZE 16384

	.section .multiboot, "a"
	.balign 4
	.long MB1_MAGIC
	.long MB1_FLAGS
	.long -(MB1_MAGIC + MB1_FLAGS)

	.text
	.globl _start
	.type _start, @function
_start:
	cli
	cld
	/* The loader may not have cleared .bss (our stack lives there): clear it, keeping EAX/EBX. */
	mov %eax, %edx
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb
	mov $(boot_stack + STACK_SIZE), %esp
	xor %ebp, %ebp
	push %ebx /* multiboot information */
	push %edx /* magic */
	call guest_entry
1:	cli
	hlt
	jmp 1b
	.size _start, . - _start

/*
 * One stub per vector: push a zero error code where the CPU pushes none, then the vector number.
 * Vectors with an error code (SDM vol. 3, 6.13): 8, 10-14, 17, 21, 29, 30.
 */
	.macro STUB vector, has_error
	.globl trap_stub_\vector
trap_stub_\vector:
	.if \has_error == 0
	push $0
	.endif
	push $\vector
	jmp trap_common
	.endm

	STUB 0, 0
	STUB 1, 0
	STUB 2, 0
	STUB 3, 0
	STUB 4, 0
	STUB 5, 0
	STUB 6, 0
	STUB 7, 0
	STUB 8, 1
	STUB 9, 0
	STUB 10, 1
	STUB 11, 1
	STUB 12, 1
	STUB 13, 1
	STUB 14, 1
	STUB 15, 0
	STUB 16, 0
	STUB 17, 1
	STUB 18, 0
	STUB 19, 0
	STUB 20, 0
	STUB 21, 1
	STUB 22, 0
	STUB 23, 0
	STUB 24, 0
	STUB 25, 0
	STUB 26, 0
	STUB 27, 0
	STUB 28, 0
	STUB 29, 1
	STUB 30, 1
	STUB 31, 0

/*
 * Vectors 32-255 (external interrupts, IPIs, INT n): the same frame with a zero error code. A
 * guest attaches a handler with set_irq_handler() (trap.h); any other vector is a failed check.
 */
	.altmacro
	.macro IRQ_STUB vector
	STUB \vector, 0
	.endm
	.set vec, 32
	.rept 256 - 32
	IRQ_STUB %vec
	.set vec, vec + 1
	.endr
	.noaltmacro

/* Builds struct trap_frame (lib/trap.h), calls trap_dispatch(frame), resumes at frame->eip. */
trap_common:
	pusha
	push %ds
	push %es
	push %fs
	push %gs
	mov $0x10, %ax /* SEL_DATA: the faulting code may have been loading a bad selector */
	mov %ax, %ds
	mov %ax, %es
	push %esp
	call trap_dispatch
	add $4, %esp
	pop %gs
	pop %fs
	pop %es
	pop %ds
	popa
	add $8, %esp /* vector and error code */
	iret

/* Addresses of the stubs, for the IDT: all 256 vectors. */
	.section .rodata
	.balign 4
	.globl trap_stubs
trap_stubs:
	.altmacro
	.macro STUB_ADDR vector
	.long trap_stub_\vector
	.endm
	.set vec, 0
	.rept 256
	STUB_ADDR %vec
	.set vec, vec + 1
	.endr
	.noaltmacro

	.bss
	.balign 16
boot_stack:
	.skip STACK_SIZE

	.section .note.GNU-stack, "", @progbits
