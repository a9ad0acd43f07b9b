/*
 * The attack guest's real-mode resume code (tests/guests/attack.c copies it to RESUME_SEG:0 and
 * points the BIOS's 40:67 resume vector at it). After an INIT of the boot CPU the firmware runs
 * again and, with CMOS shutdown status 0x0A, jumps here. Still the guest, the CPU must answer
 * hypercall 0 and the self-check; a bare CPU (the hypervisor escaped) cannot: VMMCALL/VMCALL #UD.
 * It reports on COM1 and ends the run (isa-debug-exit, the Bochs shutdown port).
 */
#define COM1 0x3f8
#define HC_MAGIC 0x6876486d

	.code16
	.section .rodata
	.globl resume16_start, resume16_end, resume16_hc1, resume16_hc2
resume16_start:
	cli
	cld
	mov %cs, %ax
	mov %ax, %ds
	xor %ax, %ax
	mov %ax, %ss
	mov $0x7000, %sp
	mov $(msg_resumed - resume16_start), %si
	call puts
	xor %eax, %eax
	xor %ebx, %ebx
resume16_hc1:
	.byte 0x0f, 0x01, 0xd9 /* VMMCALL, or VMCALL (0f 01 c1) as attack.c patches it */
	cmp $HC_MAGIC, %ebx
	jne fail
	mov $(msg_alive - resume16_start), %si
	call puts
	mov $5, %eax /* HC_SELF_CHECK */
resume16_hc2:
	.byte 0x0f, 0x01, 0xd9
	test %eax, %eax
	jnz fail
	mov $(msg_intact - resume16_start), %si
	call puts
	mov $0, %al /* QEMU exits with (0 << 1) | 1: passed */
	jmp finish
fail:
	mov $(msg_fail - resume16_start), %si
	call puts
	mov $1, %al
finish:
	out %al, $0xf4
	mov $(msg_shutdown - resume16_start), %si
	mov $0x8900, %dx
1:	lodsb
	test %al, %al
	jz 2f
	out %al, %dx
	jmp 1b
2:	hlt
	jmp 2b

puts:
	lodsb
	test %al, %al
	jz 3f
	mov %al, %ah
	mov $(COM1 + 5), %dx
4:	in %dx, %al
	test $0x20, %al
	jz 4b
	mov $COM1, %dx
	mov %ah, %al
	out %al, %dx
	jmp puts
3:	ret

msg_resumed:
	.asciz "attack: resumed at 40:67 in real mode\n"
msg_alive:
	.asciz "attack: resume: hypercall 0 answered: still the guest\n"
msg_intact:
	.asciz "attack: resume: self-check 0: hypervisor unchanged\nguest: done: 1 passed, 0 failed\n"
msg_fail:
	.asciz "not ok - attack: resume: no hypervisor answered\n"
msg_shutdown:
	.asciz "Shutdown"
resume16_end:
