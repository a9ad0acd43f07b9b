; int vmx_run(struct guest_regs *regs, struct vmx_entry *entry)
;
; An ordinary C call that enters the guest (VMLAUNCH the first time, VMRESUME after) and returns
; at the next VM exit. The VMCS host-state RIP is vmx_exit_point below; its host RSP is this
; call's stack pointer after the pushes, written only when it differs from the one the VMCS holds
; (entry->host_rsp), so a VM exit lands on this call's own stack frame. RSP and RIP of the guest
; live in the VMCS, the other GPRs are loaded and saved here. Only what the C ABI requires is
; kept: the callee-saved registers, no frame of our own.
; Returns enum vmx_run_result: VMX_RUN_EXITED after a VM exit, VMX_RUN_FAIL_INVALID or
; VMX_RUN_FAIL_VALID when the entry failed (the VM-instruction error field says why).

%include "asm_offsets.inc"

section .text
global vmx_run, vmx_exit_point
vmx_run:
	push	rbp
	push	rbx
	push	r12
	push	r13
	push	r14
	push	r15
	push	rdi			; guest registers, found again at the exit point
	cmp	rsp, [rsi + VE_HOST_RSP]
	jne	.write_host_rsp
.host_rsp_ok:
	cmp	byte [rsi + VE_LAUNCHED], 0	; flags for the choice below; the loads leave them alone
	mov	rax, [rdi + GR_RAX]
	mov	rbx, [rdi + GR_RBX]
	mov	rcx, [rdi + GR_RCX]
	mov	rdx, [rdi + GR_RDX]
	mov	rbp, [rdi + GR_RBP]
	mov	r8, [rdi + GR_R8]
	mov	r9, [rdi + GR_R9]
	mov	r10, [rdi + GR_R10]
	mov	r11, [rdi + GR_R11]
	mov	r12, [rdi + GR_R12]
	mov	r13, [rdi + GR_R13]
	mov	r14, [rdi + GR_R14]
	mov	r15, [rdi + GR_R15]
	mov	rsi, [rdi + GR_RSI]
	mov	rdi, [rdi + GR_RDI]
	jne	.resume
	vmlaunch
	jmp	.entry_failed
.resume:
	vmresume
.entry_failed:
	; Still on our stack, with guest values in the GPRs: the flags say how it failed.
	mov	eax, VMX_RUN_FAIL_INVALID
	jc	vmx_exit_point.out
	mov	eax, VMX_RUN_FAIL_VALID
	jmp	vmx_exit_point.out
.write_host_rsp:
	mov	rax, VMCS_HOST_RSP_FIELD
	vmwrite	rax, rsp
	jbe	.host_rsp_failed
	mov	[rsi + VE_HOST_RSP], rsp
	jmp	.host_rsp_ok
.host_rsp_failed:
	mov	eax, VMX_RUN_FAIL_VALID
	jmp	vmx_exit_point.out

vmx_exit_point:
	push	rdi
	mov	rdi, [rsp + 8]
	mov	[rdi + GR_RAX], rax
	mov	[rdi + GR_RBX], rbx
	mov	[rdi + GR_RCX], rcx
	mov	[rdi + GR_RDX], rdx
	mov	[rdi + GR_RSI], rsi
	mov	[rdi + GR_RBP], rbp
	mov	[rdi + GR_R8], r8
	mov	[rdi + GR_R9], r9
	mov	[rdi + GR_R10], r10
	mov	[rdi + GR_R11], r11
	mov	[rdi + GR_R12], r12
	mov	[rdi + GR_R13], r13
	mov	[rdi + GR_R14], r14
	mov	[rdi + GR_R15], r15
	pop	qword [rdi + GR_RDI]
	xor	eax, eax		; VMX_RUN_EXITED, which is 0 (vmx_ops.h)
.out:
	add	rsp, 8
	pop	r15
	pop	r14
	pop	r13
	pop	r12
	pop	rbx
	pop	rbp
	ret
