; 32-bit entry from a multiboot loader: check the CPU, build early page tables, enter long mode,
; then jump to the image's high virtual address. The loader's state is not trusted: under UEFI
; GRUB hands over with CR0/CR4/EFER bits set that a BIOS boot leaves clear, so every control
; register gets an explicit value here.
;
; Early tables: 0-4 GiB identity (2 MiB pages) for the loader's structures, the same 4 GiB at
; PHYSMAP_BASE, and HV_VIRT_BASE + p -> p for the first 1 GiB (where the image was loaded).

%include "x86/boot.inc"


section .boot.text
bits 32
global boot_entry32
boot_entry32:
	cli
	cld
	mov	edi, eax		; multiboot magic, kept in edi/esi for hv_main
	mov	esi, ebx		; multiboot info (physical)
	mov	esp, boot_stack_top

	; Long mode needs CPUID leaf 0x80000001 EDX bit 29.
	mov	eax, 0x80000000
	cpuid
	cmp	eax, 0x80000001
	jb	.no_long_mode
	mov	eax, 0x80000001
	cpuid
	bt	edx, 29
	jnc	.no_long_mode
	xor	ebx, ebx		; EFER value: NXE only where the CPU has NX (bit 20)
	bt	edx, 20
	jnc	.build_tables
	mov	ebx, EFER_NXE

.build_tables:
	; PD0..PD3: 2048 entries of 2 MiB pages covering 0-4 GiB.
	mov	ecx, 0
.fill_pd:
	mov	eax, ecx
	shl	eax, 21
	or	eax, PTE_P | PTE_W | PTE_PS
	mov	edx, ecx
	shr	edx, 11			; bits 32+ of the physical address: ecx * 2 MiB >> 32
	mov	[early_pd + ecx * 8], eax
	mov	[early_pd + ecx * 8 + 4], edx
	inc	ecx
	cmp	ecx, 2048
	jb	.fill_pd
	; PDPT (low): four PDs.
	mov	ecx, 0
.fill_pdpt:
	mov	eax, ecx
	shl	eax, 12
	add	eax, early_pd + (PTE_P | PTE_W)
	mov	[early_pdpt_low + ecx * 8], eax
	inc	ecx
	cmp	ecx, 4
	jb	.fill_pdpt
	mov	dword [early_pml4 + 0 * 8], early_pdpt_low + (PTE_P | PTE_W)
	mov	dword [early_pml4 + 256 * 8], early_pdpt_low + (PTE_P | PTE_W)
	mov	dword [early_pml4 + 511 * 8], early_pdpt_high + (PTE_P | PTE_W)
	mov	dword [early_pdpt_high + 510 * 8], early_pd + (PTE_P | PTE_W)

	; Paging off before touching CR3/CR4/EFER, in case the loader left it on.
	mov	eax, cr0
	and	eax, ~CR0_PG
	mov	cr0, eax
	mov	eax, CR4_PAE
	mov	cr4, eax
	mov	eax, early_pml4
	mov	cr3, eax
	mov	ecx, MSR_EFER
	mov	eax, EFER_LME
	or	eax, ebx
	xor	edx, edx
	wrmsr
	mov	eax, CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG
	mov	cr0, eax

	lgdt	[early_gdt_ptr]
	jmp	0x08:.long_mode

.no_long_mode:
	mov	esi, msg_no_long_mode
.print:
	lodsb
	test	al, al
	jz	.halt
	mov	ah, al
	mov	dx, COM1 + 5
.wait_tx:
	in	al, dx
	test	al, 0x20
	jz	.wait_tx
	mov	dx, COM1
	mov	al, ah
	out	dx, al
	jmp	.print
.halt:
	cli
	hlt
	jmp	.halt

bits 64
.long_mode:
	mov	ax, 0x10
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	xor	eax, eax
	mov	fs, ax
	mov	gs, ax
	mov	rax, hv_entry64
	jmp	rax

section .boot.data
msg_no_long_mode:
	db "hv: this CPU does not support 64-bit long mode; halting.", 13, 10, 0

align 16
early_gdt:
	dq 0
	dq 0x00AF9A000000FFFF		; 0x08: 64-bit code
	dq 0x00CF92000000FFFF		; 0x10: data
early_gdt_ptr:
	dw early_gdt_ptr - early_gdt - 1
	dd early_gdt

align 4096
early_pml4:	times 4096 db 0
early_pdpt_low:	times 4096 db 0
early_pdpt_high: times 4096 db 0
early_pd:	times 4 * 4096 db 0
boot_stack:	times 4096 db 0
boot_stack_top:

; First code at the high virtual address: clear .bss, switch to the boot CPU's stack, enter C.
section .text
extern __bss_start, __bss_end, hv_main
global hv_entry64
hv_entry64:
	mov	r12d, edi
	mov	r13d, esi
	mov	rdi, __bss_start
	mov	rcx, __bss_end
	sub	rcx, rdi
	xor	eax, eax
	rep stosb
	mov	rsp, bsp_stack_top
	xor	ebp, ebp		; ends the frame-pointer chain for stack traces
	mov	edi, r12d
	mov	esi, r13d
	call	hv_main
.hang:
	cli
	hlt
	jmp	.hang

section .bss
align 4096
global bsp_stack_bottom, bsp_stack_top
bsp_stack_bottom:
	resb BOOT_STACK_SIZE
bsp_stack_top:
