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

#endif
