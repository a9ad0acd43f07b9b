; Interrupt and exception entry stubs for all 256 vectors. Each pushes a zero where the CPU pushes
; no error code, then the vector, so everything reaches trap_dispatch with the same struct
; trap_frame (include/x86/traps.h).

extern trap_dispatch

; Vectors whose exceptions push an error code (Intel SDM vol. 3, table 6-1).
%define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

section .text
%assign v 0
%rep 256
exception_stub_%+v:
%if !HAS_ERROR_CODE(v)
	push	0
%endif
	push	v
	jmp	trap_common
%assign v v + 1
%endrep

; Interrupts on vectors 0-31 (the legacy PIC left at BIOS's base 8 delivers there, and the guest
; may send 16-31): no error code, and the vector is marked with IRQ_VECTOR_FLAG so trap_dispatch
; knows it is no exception. Only the interrupt window's IDT points here. An exception with an error
; code can still come through it (#SX from VM_CR.R_INIT: an INIT in the window): 64-bit delivery
; aligns RSP to 16 bytes before it pushes 5 quadwords, and 6 with an error code (Intel SDM vol. 3,
; 6.14.2), so RSP is 16-byte aligned here exactly when the CPU pushed an error code.
%define IRQ_VECTOR_FLAG 0x100
%assign v 0
%rep 32
low_irq_stub_%+v:
%if HAS_ERROR_CODE(v)
	test	rsp, 8
	jz	exception_stub_%+v
%endif
	push	0
	push	v | IRQ_VECTOR_FLAG
	jmp	trap_common
%assign v v + 1
%endrep

trap_common:
	push	rax
	push	rbx
	push	rcx
	push	rdx
	push	rsi
	push	rdi
	push	rbp
	push	r8
	push	r9
	push	r10
	push	r11
	push	r12
	push	r13
	push	r14
	push	r15
	cld
	mov	rdi, rsp		; 176 bytes pushed on a 16-byte aligned frame: the call is aligned
	call	trap_dispatch
	pop	r15
	pop	r14
	pop	r13
	pop	r12
	pop	r11
	pop	r10
	pop	r9
	pop	r8
	pop	rbp
	pop	rdi
	pop	rsi
	pop	rdx
	pop	rcx
	pop	rbx
	pop	rax
	add	rsp, 16			; vector and error code
	iretq

section .rodata
global low_irq_stubs
low_irq_stubs:
%assign v 0
%rep 32
	dq low_irq_stub_%+v
%assign v v + 1
%endrep

global interrupt_stubs
interrupt_stubs:
%assign v 0
%rep 256
	dq exception_stub_%+v
%assign v v + 1
%endrep
