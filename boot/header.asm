; Multiboot 1 and 2 headers. linker.ld puts .multiboot first in the file so both are found
; (multiboot 1 within the first 8 KiB, multiboot 2 within the first 32 KiB).

%include "x86/boot.inc"

extern boot_entry32
extern __image_start, __load_end_phys, __image_end_phys

section .multiboot
align 4
mb1_header:
	; Address fields (flag bit 16) let QEMU -kernel load this ELF64, which it refuses otherwise.
	; No video mode request (flag bit 2): bits 0-15 are requirements, and a loader that cannot
	; set a mode must refuse the image (Multiboot 0.6.96, 3.1.2), so asking would stop the
	; hypervisor from booting at all on such loaders. Multiboot 1 stays in the BIOS text mode
	; and the log goes to VGA text (drivers/screen_vga.c); GRUB under UEFI, which has no text
	; mode, still describes its framebuffer (info flag 12), which is used when given.
	dd MB1_MAGIC
	dd MB1_FLAGS
	dd -(MB1_MAGIC + MB1_FLAGS)
	dd mb1_header		; header_addr
	dd __image_start	; load_addr
	dd __load_end_phys	; load_end_addr
	dd __image_end_phys	; bss_end_addr (the loader zeroes up to here)
	dd boot_entry32		; entry_addr

align 8
mb2_header:
	dd MB2_MAGIC
	dd 0			; architecture: i386 protected mode
	dd mb2_header_end - mb2_header
	dd -(MB2_MAGIC + (mb2_header_end - mb2_header))
align 8
	dw 3, 0			; entry address tag
	dd 12
	dd boot_entry32
align 8
	dw 6, 0			; module alignment tag: modules page-aligned
	dd 8
align 8
	; Framebuffer tag, optional, no preferred size: under UEFI GRUB then hands over the GOP
	; framebuffer (without it there is no console for the guest at all); the guest gets it.
	dw 5, 1
	dd 20
	dd 0, 0, 0		; width, height, depth: any
align 8
	dw 0, 0			; end tag
	dd 8
mb2_header_end:
