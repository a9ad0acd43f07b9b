; void relocate_image(void *dst, const void *src, uint64_t len, uint64_t new_cr3)
; Copies the running image and switches to page tables that map it at the copy. Nothing may
; write memory between the copy and the CR3 load: the caller's stack is part of what is copied.
section .text
global relocate_image
relocate_image:
	mov	rax, rcx
	mov	rcx, rdx
	rep movsb
	mov	cr3, rax
	ret
