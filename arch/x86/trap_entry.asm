; Exception entry stubs. Each pushes a zero where the CPU pushes no error code, then the vector,
; so every exception reaches trap_dispatch with the same struct trap_frame (include/x86/traps.h).

extern trap_dispatch

; Vectors whose exceptions push an error code (Intel SDM vol. 3, table 6-1).
%define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

section .text
%assign v 0
%rep 32
exception_stub_%+v:
%if !HAS_ERROR_CODE(v)
	push	0
%endif
	push	v
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
global exception_stubs
exception_stubs:
%assign v 0
%rep 32
	dq exception_stub_%+v
%assign v v + 1
%endrep
