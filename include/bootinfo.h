/*
 * Loader-independent boot information, filled from Multiboot 1 or Multiboot 2 by bootinfo_parse().
 *
 * Everything the rest of the hypervisor needs is copied into struct boot_info, so the loader's own
 * structures are not read again after parsing. The physical ranges the parser read are still
 * listed (used[], info_start/info_end) so the frame allocator can keep them intact until the
 * boot information is no longer needed, e.g. when it is handed on to a guest.
 */
#ifndef HV_BOOTINFO_H
#define HV_BOOTINFO_H

#include "physmem.h"
#include "types.h"

#define MB1_BOOTLOADER_MAGIC 0x2BADB002 /* in EAX after a Multiboot 1 loader */
#define MB2_BOOTLOADER_MAGIC 0x36D76289 /* in EAX after a Multiboot 2 loader */

#define BOOT_PROTO_MB1 1
#define BOOT_PROTO_MB2 2

#define BOOT_LOADER_NAME_MAX 64 /* bytes with the NUL; longer names are truncated */
#define BOOT_CMDLINE_MAX 1024   /* bytes with the NUL; longer command lines are an error */
#define BOOT_MMAP_MAX 128       /* normalized memory map entries; more are an error */
#define BOOT_MODS_MAX 16        /* modules; more are an error */
#define BOOT_USED_MAX 24        /* ranges the info occupies (MB1 needs at most 5 + BOOT_MODS_MAX) */
#define BOOT_EFI_BS_MAX 32      /* EFI boot services ranges kept (adjacent ones merged) */
#define BOOT_RSDP_MAX 36        /* an ACPI 2.0+ RSDP; a 1.0 RSDP is 20 bytes */
#define BOOT_ERROR_MAX 256

/* Normalized memory types; the values match the Multiboot/E820 ones. */
enum mem_type {
	MEM_USABLE = 1,
	MEM_RESERVED = 2,
	MEM_ACPI_RECLAIM = 3,
	MEM_ACPI_NVS = 4,
	MEM_BAD = 5,
};

/* Where boot_info.mmap came from. */
enum boot_mmap_source {
	BOOT_MMAP_NONE = 0,
	BOOT_MMAP_MB1_MMAP,     /* MB1 mmap_addr/mmap_length (flag 6) */
	BOOT_MMAP_MEMINFO,      /* synthesized from mem_lower/mem_upper (MB1 flag 0, MB2 tag 4) */
	BOOT_MMAP_MB2_MMAP,     /* MB2 tag 6 */
	BOOT_MMAP_MB2_EFI_MMAP, /* converted from MB2 tag 17, adjacent same-type ranges merged */
};

/* Which tag the RSDP copy came from; tag 15 (ACPI 2.0+) wins when both are present. */
enum boot_rsdp_kind {
	BOOT_RSDP_NONE = 0,
	BOOT_RSDP_V1 = 14, /* MB2 tag 14: ACPI 1.0 RSDP */
	BOOT_RSDP_V2 = 15, /* MB2 tag 15: ACPI 2.0+ RSDP */
};

struct boot_mem_range {
	uint64_t base;
	uint64_t len;  /* never 0: empty entries are dropped */
	uint32_t type; /* enum mem_type; unknown loader types become MEM_RESERVED */
};

struct boot_module {
	paddr_t start;
	paddr_t end; /* exclusive, >= start */
	char cmdline[BOOT_CMDLINE_MAX];
};

struct boot_range {
	paddr_t start;
	paddr_t end; /* exclusive */
};

/* The framebuffer the loader set up (MB2 tag 8). */
enum boot_fb_type {
	BOOT_FB_INDEXED = 0,
	BOOT_FB_RGB = 1,
	BOOT_FB_EGA_TEXT = 2, /* width and height in characters, at 0xB8000 */
};

struct boot_framebuffer {
	uint64_t addr;
	uint32_t pitch; /* bytes per line */
	uint32_t width, height;
	uint8_t bpp;
	uint8_t type;   /* enum boot_fb_type */
	uint8_t rgb[6]; /* RGB only: red position, red size, green position, green size, blue ... */
};

struct boot_info {
	uint32_t protocol; /* BOOT_PROTO_MB1 or BOOT_PROTO_MB2 */

	char loader_name[BOOT_LOADER_NAME_MAX]; /* "" when not given */
	char cmdline[BOOT_CMDLINE_MAX];         /* "" when not given */

	bool has_mem_lower_upper; /* MB1 flag 0 or MB2 tag 4 */
	uint32_t mem_lower;       /* KiB from 0 */
	uint32_t mem_upper;       /* KiB from 1 MiB */

	/*
	 * Physical ranges the boot information occupies: for MB1 the info struct, the memory map
	 * buffer, the module array and every string it points to (as far as it was read); for MB2
	 * the single [info, info + total_size) block. Module contents are not included: they are
	 * in mods[]. info_start/info_end is the extent of all of them (0/0 if there are none).
	 */
	struct boot_range used[BOOT_USED_MAX];
	uint32_t nr_used;
	paddr_t info_start;
	paddr_t info_end;

	struct boot_mem_range mmap[BOOT_MMAP_MAX]; /* in the loader's order */
	uint32_t nr_mmap;
	uint32_t mmap_source; /* enum boot_mmap_source */

	struct boot_module mods[BOOT_MODS_MAX];
	uint32_t nr_mods;

	/* MB2 only. */
	uint32_t rsdp_kind; /* enum boot_rsdp_kind */
	uint32_t rsdp_len;  /* bytes valid in rsdp[] */
	uint8_t rsdp[BOOT_RSDP_MAX];

	bool has_efi_mmap; /* tag 17 present (converted only when tag 6 is absent) */
	uint32_t efi_mmap_count;
	uint32_t efi_desc_size;
	uint32_t efi_desc_version;
	paddr_t efi_mmap_pa; /* its first descriptor, inside the info block (used[] keeps it intact) */
	/*
	 * EfiBootServicesCode/Data ranges of tag 17. Usable once boot services ended, but firmware
	 * configuration tables the guest reads (ESRT, memory attributes, ...) may live there, so the
	 * hypervisor never places itself in them. Past BOOT_EFI_BS_MAX ranges, efi_bs_overflow is set.
	 */
	struct boot_range efi_bs[BOOT_EFI_BS_MAX];
	uint32_t nr_efi_bs;
	bool efi_bs_overflow;

	bool has_fb; /* tag 8 */
	struct boot_framebuffer fb;

	bool has_efi32_system_table; /* tag 11 */
	uint32_t efi32_system_table;
	bool has_efi64_system_table; /* tag 12 */
	uint64_t efi64_system_table;

	char error[BOOT_ERROR_MAX]; /* why bootinfo_parse() failed; "" on success */
};

/*
 * Parse the boot information a Multiboot 1 or 2 loader left at info_pa (EBX), choosing the
 * protocol from magic (EAX). Every loader structure is read through phys_map(mem, ...) and every
 * length, count and pointer is checked first. The memory map comes from MB1 mmap or MB2 tag 6,
 * else MB2 tag 17 (EFI), else mem_lower/mem_upper as [0, lower KiB) + [1 MiB, 1 MiB + upper KiB);
 * a boot without any memory information fails. Unknown MB2 tags are skipped; an MB1 string
 * pointer of 0 counts as no string.
 *
 * Returns 0, or on failure a negative error with bi->error naming the problem:
 *   -E_INVAL  malformed or inconsistent structure, unknown magic, no memory map;
 *   -E_RANGE  a pointer or length leads outside what mem can map;
 *   -E_NOMEM  more memory map entries or modules than fit, or a string that does not fit.
 * bi is cleared first; on failure its other fields are partial and should not be used.
 */
int bootinfo_parse(uint32_t magic, paddr_t info_pa, const struct phys_view *mem, struct boot_info *bi);

/* "usable", "reserved", "ACPI reclaimable", "ACPI NVS", "bad", or "unknown". */
const char *bootinfo_mem_type_name(uint32_t type);

#endif
