/* Loading the guest image (the first multiboot module) into the partition. */
#ifndef HV_VMM_GUEST_H
#define HV_VMM_GUEST_H

#include "bootinfo.h"
#include "vmm/partition.h"

#define MB1_HEADER_MAGIC 0x1BADB002
#define MB1_HEADER_SEARCH 8192 /* the header lies in the first 8 KiB, 4-byte aligned */
#define MB1_FLAG_ADDRESS_FIELDS (1U << 16)

/*
 * Loads a multiboot 1 kernel (ELF32/ELF64, or the header's address fields) from module 0, gives
 * it a multiboot info with the filtered memory map, its module string as command line and the
 * remaining modules, and sets p->entry. Returns 0, or a negative error after naming the problem.
 */
int guest_load_multiboot(struct partition *p, const struct boot_info *bi);

/* True if module 0 is a Linux bzImage (setup header magic). */
bool guest_is_linux(const struct boot_info *bi);
/*
 * Loads a Linux bzImage (boot protocol 2.10+) from module 0, with module 1 as its initrd: the
 * protected-mode kernel where it fits, boot_params with the e820 map, command line, initrd and
 * ACPI RSDP, entry at code32_start in 32-bit flat protected mode with ESI = boot_params.
 */
int guest_load_linux(struct partition *p, const struct boot_info *bi);

#define GUEST_LOW_MEMORY_LIMIT (640 * KiB)

struct guest_mem_entry {
	uint64_t base, len;
	uint32_t type; /* enum mem_type: the E820/multiboot numbering */
};

/* The guest's memory map, sorted: its RAM usable, firmware ranges as they were, ours reserved. */
unsigned int guest_memory_map(const struct partition *p, const struct boot_info *bi, struct guest_mem_entry *map,
			      unsigned int max);
/* A page-aligned block of guest RAM below 640 KiB outside `busy`, for a loader's boot data. */
int guest_place_low(const struct partition *p, const struct range_set *busy, uint64_t size, uint64_t *gpa);

#endif
