/* The multiboot 1 information the hypervisor hands its guest (multiboot spec 0.6.96, 3.3). */
#ifndef GUEST_MULTIBOOT_H
#define GUEST_MULTIBOOT_H

#include "types.h"

#define MB1_BOOT_MAGIC 0x2badb002

#define MB1_INFO_MEMORY (1U << 0)
#define MB1_INFO_CMDLINE (1U << 2)
#define MB1_INFO_MODS (1U << 3)
#define MB1_INFO_MMAP (1U << 6)

#define MB1_MMAP_AVAILABLE 1

struct mb1_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
} __packed;

struct mb1_mmap_entry {
	uint32_t size; /* of the rest of the entry, not counting this field */
	uint64_t addr;
	uint64_t len;
	uint32_t type;
} __packed;

struct mb1_module {
	uint32_t start, end; /* end exclusive */
	uint32_t string;
	uint32_t reserved;
} __packed;

/* Set by the entry code: the magic in EAX and the info pointer in EBX. */
void mb_init(uint32_t magic, uint32_t info);
uint32_t mb_magic(void);
const struct mb1_info *mb_info(void);

/* The whole command line ("path args"; "" when absent) and the part after the first word. */
const char *mb_cmdline(void);
const char *mb_args(void);
/* Whether `word` stands as a whole word in the command line (the path included: QEMU -kernel puts it first). */
bool mb_has_word(const char *word);

/* Memory map: entry i (0-based), or NULL past the end or without a map. */
const struct mb1_mmap_entry *mb_mmap_entry(unsigned int i);
/* Whether any usable (type 1) map entry overlaps [base, end). */
bool mb_usable_overlaps(uint64_t base, uint64_t end);
/* Whether [base, end) lies entirely inside one usable entry. */
bool mb_usable_contains(uint64_t base, uint64_t end);

/* Module i, or NULL. */
const struct mb1_module *mb_module(unsigned int i);
unsigned int mb_module_count(void);

#endif
