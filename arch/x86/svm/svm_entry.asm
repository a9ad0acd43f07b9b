; int svm_run(uint64_t guest_vmcb_pa, struct guest_regs *regs, uint64_t host_vmcb_pa)
;
; An ordinary C call that runs the guest until its next #VMEXIT. VMRUN itself switches only
; RAX/RSP/RIP and the state in the VMCB: the other guest GPRs are loaded and saved here, and the
; host's FS/GS/TR/LDTR and syscall MSRs, which the guest's VMLOAD replaces, come back with the
; host VMLOAD (SVM does not restore the host GS base, which this_cpu() depends on). The host
; VMCB holds them from one VMSAVE when SVM was enabled on this CPU: the host never changes them.
; Only what the C ABI requires is kept: the callee-saved registers, no frame of our own.
; Returns 0 after an exit, -1 if one of the SVM instructions faulted (exception table).

%include "asm_offsets.inc"

section .text
global svm_run
svm_run:
	push	rbp
	push	rbx
	push	r12
	push	r13
	push	r14
	push	r15
	push	rdx			; host VMCB
	push	rsi			; guest registers
	mov	rax, rdi
	mov	rbx, [rsi + GR_RBX]
	mov	rcx, [rsi + GR_RCX]
	mov	rdx, [rsi + GR_RDX]
	mov	rdi, [rsi + GR_RDI]
	mov	rbp, [rsi + GR_RBP]
	mov	r8, [rsi + GR_R8]
	mov	r9, [rsi + GR_R9]
	mov	r10, [rsi + GR_R10]
	mov	r11, [rsi + GR_R11]
	mov	r12, [rsi + GR_R12]
	mov	r13, [rsi + GR_R13]
	mov	r14, [rsi + GR_R14]
	mov	r15, [rsi + GR_R15]
	mov	rsi, [rsi + GR_RSI]
.guest_load:
	vmload
	; With V_INTR_MASKING, physical interrupts exit the guest only if the host's IF is set at
	; VMRUN (APM 15.21.1); GIF=0 keeps them away from the host until then.
	sti
.run:
	vmrun
	cli
.guest_save:
	vmsave
	; RAX (the guest VMCB's address again, RAX being host state) is free now: guest RAX is in
	; the VMCB. It holds the guest registers' address, then the host VMCB's.
	pop	rax			; guest registers
	mov	[rax + GR_RBX], rbx
	mov	[rax + GR_RCX], rcx
	mov	[rax + GR_RDX], rdx
	mov	[rax + GR_RSI], rsi
	mov	[rax + GR_RDI], rdi
	mov	[rax + GR_RBP], rbp
	mov	[rax + GR_R8], r8
	mov	[rax + GR_R9], r9
	mov	[rax + GR_R10], r10
	mov	[rax + GR_R11], r11
	mov	[rax + GR_R12], r12
	mov	[rax + GR_R13], r13
	mov	[rax + GR_R14], r14
	mov	[rax + GR_R15], r15
	pop	rax			; host VMCB
.host_load:
	vmload
	xor	eax, eax
.out:
	pop	r15
	pop	r14
	pop	r13
	pop	r12
	pop	rbx
	pop	rbp
	ret

; A fault with guest state loaded: put the host's back first (its VMCB is still on the stack).
.fault_guest:
	mov	rax, [rsp + 8]
.fault_host_load:
	vmload
.fault_host:
	add	rsp, 16
.fault_late:
	mov	eax, -1
	jmp	.out

section __ex_table progbits alloc noexec nowrite align=8
	dq	.guest_load, .fault_guest, 1
	dq	.run, .fault_guest, 1
	dq	.guest_save, .fault_guest, 1
	dq	.fault_host_load, .fault_host, 1
	dq	.host_load, .fault_late, 1
