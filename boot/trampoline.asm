; Application processor start: the boot CPU copies this blob to a free page below 1 MiB and sends
; INIT-SIPI-SIPI; the AP starts here in real mode at CS = page >> 4, IP = 0. Everything is
; addressed relative to the blob (ebx = its linear base), so it runs wherever it was copied.
; 16-bit -> 32-bit protected mode -> 64-bit long mode -> ap_main(percpu) at its high address.

%include "x86/boot.inc"
%include "asm_offsets.inc"

%define T(label) ((label) - trampoline_start)

section .rodata
align 16
global trampoline_start, trampoline_end, trampoline_params
trampoline_start:
bits 16
	cli
	cld
	mov	ax, cs
	mov	ds, ax
	xor	ebx, ebx
	mov	bx, ax
	shl	ebx, 4
	; Patch the linear addresses this copy needs (it is writable RAM).
	lea	eax, [ebx + T(gdt)]
	mov	[T(gdt_ptr) + 2], eax
	lea	eax, [ebx + T(protected_mode)]
	mov	[T(pm_jump)], eax
	lea	eax, [ebx + T(long_mode)]
	mov	[T(lm_jump)], eax
	lgdt	[T(gdt_ptr)]
	mov	eax, CR0_PE
	mov	cr0, eax
	jmp	dword far [T(pm_jump)]

bits 32
protected_mode:
	mov	ax, 0x10
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	eax, CR4_PAE
	mov	cr4, eax
	mov	eax, [ebx + T(trampoline_params) + TP_CR3]
	mov	cr3, eax
	mov	ecx, MSR_EFER
	mov	eax, [ebx + T(trampoline_params) + TP_EFER]
	xor	edx, edx
	wrmsr
	mov	eax, CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG
	mov	cr0, eax
	jmp	far [ebx + T(lm_jump)]

bits 64
long_mode:
	mov	esi, ebx
	; Who am I? CPUID leaf 0xB gives the x2APIC ID, leaf 1 the 8-bit initial APIC ID.
	xor	eax, eax
	cpuid
	cmp	eax, 0xB
	jb	.leaf1
	mov	eax, 0xB
	xor	ecx, ecx
	cpuid
	test	ebx, ebx		; leaf 0xB not implemented: EBX reads 0
	jz	.leaf1
	mov	edi, edx
	jmp	.check
.leaf1:
	mov	eax, 1
	cpuid
	shr	ebx, 24
	mov	edi, ebx
.check:
	mov	ebx, esi
	cmp	edi, [rbx + T(trampoline_params) + TP_APIC_ID]
	jne	.park			; a late answer to a start the boot CPU gave up on
	mov	rsp, [rbx + T(trampoline_params) + TP_STACK_TOP]
	mov	rdi, [rbx + T(trampoline_params) + TP_PERCPU]
	xor	ebp, ebp
	mov	rax, [rbx + T(trampoline_params) + TP_ENTRY]
	jmp	rax
.park:
	cli
	hlt
	jmp	.park

; Accessed bits preset: loading a selector after paging is on must not write to this page, which
; is mapped read-only (Bochs sets the bit and faults under CR0.WP; QEMU does not write it).
align 8
gdt:
	dq 0
	dq 0x00CF9B000000FFFF		; 0x08: 32-bit code
	dq 0x00CF93000000FFFF		; 0x10: data
	dq 0x00AF9B000000FFFF		; 0x18: 64-bit code
gdt_ptr:
	dw gdt_ptr - gdt - 1
	dd 0				; patched: linear address of gdt
pm_jump:
	dd 0				; patched: linear address of protected_mode
	dw 0x08
lm_jump:
	dd 0				; patched: linear address of long_mode
	dw 0x18
align 8
trampoline_params:
	times TP_SIZE db 0
trampoline_end:
