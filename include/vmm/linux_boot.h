/*
 * The pure half of the Linux loader (boot protocol 2.10+, Documentation/arch/x86/boot.rst): the
 * bzImage setup header, where the kernel and the initrd go, and boot_params. These functions
 * work on byte buffers and range sets only; vmm/guest_linux.c maps guest memory, copies and logs.
 *
 * Every function that can fail returns 0 or a negative -E_* and then writes a one-line reason
 * into why[len] (NUL-terminated, cut to len; why may be NULL when len is 0); why is left alone on
 * success. The placement functions share a static scratch set: they are not reentrant.
 */
#ifndef HV_VMM_LINUX_BOOT_H
#define HV_VMM_LINUX_BOOT_H

#include "bootinfo.h"
#include "lib/range.h"
#include "types.h"

#define LINUX_BOOT_PARAMS_SIZE 4096 /* boot_params, the "zero page" */
#define LINUX_BOOT_CS 0x10          /* the 32-bit boot protocol's __BOOT_CS and __BOOT_DS */
#define LINUX_BOOT_DS 0x18
#define LINUX_E820_MAX 128          /* entries in boot_params.e820_table */
#define LINUX_WHY_MAX 128           /* room for any reason these functions give */

/* The setup header of a bzImage, checked and with its defaults filled in. */
struct linux_header {
	uint16_t version;          /* boot protocol, major << 8 | minor: 0x020F is 2.15 */
	uint8_t loadflags;         /* as in the image; LOADED_HIGH is set */
	bool relocatable;          /* relocatable_kernel: any kernel_alignment-aligned address works */
	unsigned int setup_sects;  /* 512-byte real-mode sectors after the boot sector; 0 means 4 */
	unsigned int header_end;   /* one past the setup header: 0x202 + the jump offset at 0x201 */
	uint64_t pm_offset;        /* the protected-mode kernel in the file: (setup_sects + 1) * 512 */
	uint64_t pm_size;          /* its size: from pm_offset to the end of the file, never 0 */
	uint64_t init_size;        /* memory it needs from its load address: at least pm_size */
	uint64_t pref_address;     /* where it wants to run; 1 MiB when the image says 0 */
	uint64_t kernel_alignment; /* a power of two; 2 MiB when the image's is not one */
	uint32_t initrd_addr_max;  /* the highest address the initrd's last byte may have */
	uint32_t cmdline_size;     /* the longest command line it takes, without the NUL */
};

/* One boot_params.e820_table entry; type is the E820 numbering (1 usable, 2 reserved, ...). */
struct linux_e820_entry {
	uint64_t base, len;
	uint32_t type;
};

/* What boot_params points the kernel at; every address is guest-physical. */
struct linux_boot_args {
	uint64_t load;        /* code32_start: where the protected-mode kernel lies */
	uint64_t initrd;      /* ramdisk_image; 0 with initrd_size 0 when there is none */
	uint64_t initrd_size; /* ramdisk_size in bytes */
	uint64_t cmdline;     /* cmd_line_ptr: the NUL-terminated command line */
	uint64_t rsdp;        /* acpi_rsdp_addr; 0 leaves Linux to search the BIOS area */
	const struct linux_e820_entry *e820;
	unsigned int nr_e820; /* at most LINUX_E820_MAX, in the order given */
};

/*
 * Fill boot_params.screen_info in bp (4 KiB) from the loader's framebuffer, so the kernel's
 * efifb (efi true: a UEFI GOP framebuffer), vesafb (a VBE linear framebuffer) or vgacon (EGA
 * text) draws its console there. An indexed-colour framebuffer is left out (screen_info stays 0).
 */
void linux_fill_screen_info(uint8_t *bp, const struct boot_framebuffer *fb, bool efi);

/* Writes the reason fmt... into why[len] (when len is not 0) and returns rc: every refusal here. */
int linux_refuse(int rc, char *why, size_t len, const char *fmt, ...) __printf(4, 5);

/* True if img[size] carries the setup header magic: boot flag 0xAA55 at 0x1FE, "HdrS" at 0x202. */
bool linux_is_bzimage(const uint8_t *img, uint64_t size);

/*
 * Check the setup header of the bzImage img[size] and fill h. Returns 0, or -E_INVAL for no
 * magic, a boot protocol older than 2.10, a truncated image (the protected-mode kernel starting
 * at or past the end of the file, the header running past the setup sectors) or LOADED_HIGH
 * clear. Only bytes below size are read.
 */
int linux_parse_header(const uint8_t *img, uint64_t size, struct linux_header *h, char *why, size_t len);

/* Returns 0 if the kernel takes cmdline (at most cmdline_size characters), else -E_INVAL. */
int linux_check_cmdline(const struct linux_header *h, const char *cmdline, char *why, size_t len);

/*
 * Where the kernel's [load, load + init_size) goes, within ram and outside mods (the multiboot
 * modules, the image among them): pref_address if that is free and ends by 4 GiB (the entry is
 * 32-bit), else for a relocatable kernel the highest kernel_alignment-aligned fit below 4 GiB.
 * Stores it in *load and returns 0, or returns -E_NOMEM when nothing it accepts is free.
 */
int linux_place_kernel(const struct linux_header *h, const struct range_set *ram, const struct range_set *mods,
		       uint64_t *load, char *why, size_t len);

/*
 * Where an initrd of size bytes goes: page-aligned, as high as possible with its last byte at or
 * below initrd_addr_max, within ram, outside the kernel's [load, load + init_size), the image
 * (module 0: the kernel is copied out of it afterwards) and the first MiB. The initrd's own
 * module may overlap the result: it is moved with memmove. Stores it in *at and returns 0;
 * returns -E_INVAL for an empty initrd and -E_NOMEM when it is larger than the room between
 * 1 MiB and initrd_addr_max or no free block that large is there.
 */
int linux_place_initrd(const struct linux_header *h, const struct range_set *ram, const struct range *image,
		       uint64_t load, uint64_t size, uint64_t *at, char *why, size_t len);

/*
 * Build boot_params in bp[LINUX_BOOT_PARAMS_SIZE]: zeroed, the setup header [0x1F1, header_end)
 * copied from img, type_of_loader 0xFF (no assigned id), CAN_USE_HEAP added to loadflags with
 * heap_end_ptr 0 (the real-mode setup code does not run), code32_start, ramdisk_image and
 * ramdisk_size, cmd_line_ptr, acpi_rsdp_addr when args->rsdp is not 0, and the e820 table.
 * img is the image h was parsed from. Returns 0; -E_RANGE, with bp untouched, if there are more
 * than LINUX_E820_MAX entries or the kernel, initrd or command line do not lie below 4 GiB (the
 * fields are 32-bit).
 */
int linux_build_boot_params(uint8_t *bp, const uint8_t *img, const struct linux_header *h,
			    const struct linux_boot_args *args, char *why, size_t len);

#endif
