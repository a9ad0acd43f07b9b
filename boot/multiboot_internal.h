/*
 * Internal interface of the Multiboot parser, shared by boot/multiboot.c (entry point and common
 * helpers), boot/multiboot1.c (Multiboot 1) and boot/multiboot2.c (Multiboot 2).
 */
#ifndef BOOT_MULTIBOOT_INTERNAL_H
#define BOOT_MULTIBOOT_INTERNAL_H

#include "bootinfo.h"
#include "errno.h"

/* Little-endian reads of possibly unaligned fields. */
uint32_t mb_rd32(const uint8_t *p);
uint64_t mb_rd64(const uint8_t *p);

/* A tiny formatter: %s %c %d %u %x and %ld %lu %lx. */
void mb_vformat(char *buf, size_t cap, const char *fmt, va_list ap);
void mb_format(char *buf, size_t cap, const char *fmt, ...) __printf(3, 4);

/* Record why parsing failed in bi->error and return err, so callers can `return mb_fail(...)`. */
int mb_fail(struct boot_info *bi, int err, const char *fmt, ...) __printf(3, 4);

/* Record [start, start + len) as occupied by boot information (bi->used). */
int mb_add_used(struct boot_info *bi, paddr_t start, uint64_t len);

/* Append [base, base + len) to the memory map, optionally merging with the previous range. */
int mb_add_mem(struct boot_info *bi, const char *what, uint32_t index, uint64_t base, uint64_t len,
	       uint32_t type, bool merge);

/* Multiboot (E820) memory type -> MEM_*. */
uint32_t mb_norm_type(uint32_t type);

/* Build the memory map from mem_lower/mem_upper when the loader gave no map. */
int mb_synthesize_mmap(struct boot_info *bi);

/* Protocol parsers, called by bootinfo_parse() with bi zeroed and mem valid. */
int mb1_parse(struct boot_info *bi, const struct phys_view *mem, paddr_t info_pa);
int mb2_parse(struct boot_info *bi, const struct phys_view *mem, paddr_t info_pa);

#endif
