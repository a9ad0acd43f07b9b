/*
 * The sleep guest's waking vector (tests/guests/sleep.c). sleep_wake16 is copied below 1 MiB and
 * entered by whoever resumes the machine in real mode at CS = vector >> 4, IP = vector & 0xF:
 * it loads a flat GDT, enters 32-bit protected mode and jumps to sleep_wake32 in the image, which
 * takes back the stack sleep_enter() left and calls sleep_woke(). sleep_enter() performs the PM1
 * write that enters S3 and returns only when the platform did not sleep.
 */
#define SEL_CODE 0x08
#define SEL_DATA 0x10

	.section .text
	.code16
	.globl sleep_wake16, sleep_wake16_end
sleep_wake16:
	cli
	cld
	mov %cs, %ax
	mov %ax, %ds
	lgdtl (wake_gdtr - sleep_wake16)
	mov %cr0, %eax
	or $1, %al
	mov %eax, %cr0
	ljmpl $SEL_CODE, $sleep_wake32
wake_gdtr:
	.word wake_gdt_end - wake_gdt - 1
	.long wake_gdt
sleep_wake16_end:

	.code32
	.balign 8
wake_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff
	.quad 0x00cf92000000ffff
wake_gdt_end:

/*
 * The X waking vector: entered in 32-bit flat protected mode with paging off by whoever resumes
 * the machine, with a GDT that is not ours: ours is loaded before any segment is.
 */
	.globl sleep_wake_x32
sleep_wake_x32:
	cli
	mov %cr0, %eax
	mov %eax, sleep_woke_cr0
	movl $1, sleep_woke_x
	lgdtl wake_gdtr32
	ljmpl $SEL_CODE, $sleep_wake32
wake_gdtr32:
	.word wake_gdt_end - wake_gdt - 1
	.long wake_gdt

sleep_wake32:
	mov $SEL_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	mov sleep_saved_esp, %esp
	xor %ebp, %ebp
	call sleep_woke
1:	cli
	hlt
	jmp 1b

/* void sleep_enter(uint16_t port, uint16_t value): the callee-saved registers stay on the stack. */
	.globl sleep_enter
sleep_enter:
	push %ebp
	push %ebx
	push %esi
	push %edi
	mov %esp, sleep_saved_esp
	mov 20(%esp), %edx
	mov 24(%esp), %eax
	outw %ax, %dx
	pop %edi
	pop %esi
	pop %ebx
	pop %ebp
	ret

	.section .bss
	.balign 4
	.globl sleep_saved_esp, sleep_woke_x, sleep_woke_cr0
sleep_saved_esp:
	.long 0
sleep_woke_x:
	.long 0
sleep_woke_cr0:
	.long 0
