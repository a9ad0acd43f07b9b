/*
 * Multiboot 1 and Multiboot 2 boot information -> struct boot_info.
 *
 * The loader's structures are untrusted input: each one is mapped through phys_map() with its
 * full length before any field is read, and every count, size and pointer is checked against
 * what was mapped. Fields are read byte by byte (little-endian) because Multiboot 1 memory map
 * entries are not naturally aligned. No libc: the few string helpers live here.
 *
 * References: Multiboot Specification 0.6.96 (section 3.3, "Boot information format") and
 * Multiboot2 Specification 2.0 (section 3.6, "Boot information"); UEFI 2.10 section 7.2
 * (EFI_MEMORY_DESCRIPTOR).
 */
#include "multiboot_internal.h"

/* ---- little helpers: byte reads, copying, a tiny formatter for bi->error ---- */

uint32_t mb_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t mb_rd64(const uint8_t *p)
{
	return (uint64_t)mb_rd32(p) | (uint64_t)mb_rd32(p + 4) << 32;
}

static void mb_zero(void *p, size_t n)
{
	uint8_t *b = p;

	while (n--)
		*b++ = 0;
}

struct mb_out {
	char *s;
	size_t cap; /* > 0 */
	size_t len;
};

static void mb_putc(struct mb_out *o, char c)
{
	if (o->len + 1 < o->cap)
		o->s[o->len++] = c;
	o->s[o->len] = '\0';
}

static void mb_putnum(struct mb_out *o, uint64_t v, unsigned int base)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n)
		mb_putc(o, digits[--n]);
}

/* Supports %s %c %d %u %x and %ld %lu %lx: enough for our messages, checked by __printf. */
void mb_vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
	struct mb_out o = { buf, cap, 0 };

	buf[0] = '\0';
	for (; *fmt; fmt++) {
		bool is_long = false;
		const char *s;
		int64_t sv;

		if (*fmt != '%') {
			mb_putc(&o, *fmt);
			continue;
		}
		if (*++fmt == 'l') {
			is_long = true;
			fmt++;
		}
		switch (*fmt) {
		case 's':
			for (s = va_arg(ap, const char *); s && *s; s++)
				mb_putc(&o, *s);
			break;
		case 'c':
			mb_putc(&o, (char)va_arg(ap, int));
			break;
		case 'd':
			sv = is_long ? va_arg(ap, long) : va_arg(ap, int);
			if (sv < 0)
				mb_putc(&o, '-');
			mb_putnum(&o, sv < 0 ? -(uint64_t)sv : (uint64_t)sv, 10);
			break;
		case 'u':
		case 'x':
			mb_putnum(&o, is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int),
				  *fmt == 'u' ? 10 : 16);
			break;
		case '\0':
			return;
		default:
			mb_putc(&o, *fmt);
			break;
		}
	}
}

void __printf(3, 4) mb_format(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mb_vformat(buf, cap, fmt, ap);
	va_end(ap);
}

/* Record why parsing failed and return err, so callers can `return mb_fail(...)`. */
int __printf(3, 4) mb_fail(struct boot_info *bi, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mb_vformat(bi->error, sizeof(bi->error), fmt, ap);
	va_end(ap);
	return err;
}

int mb_add_used(struct boot_info *bi, paddr_t start, uint64_t len)
{
	if (bi->nr_used == BOOT_USED_MAX)
		return mb_fail(bi, -E_NOMEM, "boot info occupies more than %u ranges", BOOT_USED_MAX);
	bi->used[bi->nr_used].start = start;
	bi->used[bi->nr_used].end = start + len;
	if (bi->nr_used == 0 || start < bi->info_start)
		bi->info_start = start;
	if (bi->nr_used == 0 || start + len > bi->info_end)
		bi->info_end = start + len;
	bi->nr_used++;
	return 0;
}

/*
 * Append [base, base + len) to the memory map; what/index name the source entry in messages.
 * Empty ranges are dropped. With merge, a range that continues the previous one with the same
 * type extends it instead (EFI maps split memory finely by allocation owner).
 */
int mb_add_mem(struct boot_info *bi, const char *what, uint32_t index, uint64_t base,
		      uint64_t len, uint32_t type, bool merge)
{
	struct boot_mem_range *prev = bi->nr_mmap ? &bi->mmap[bi->nr_mmap - 1] : NULL;

	if (len == 0)
		return 0;
	if (base + len < base)
		return mb_fail(bi, -E_INVAL, "%s %u: base 0x%lx + length 0x%lx wraps past the top of memory",
			       what, index, base, len);
	if (merge && prev && prev->type == type && prev->base + prev->len == base) {
		prev->len += len;
		return 0;
	}
	if (bi->nr_mmap == BOOT_MMAP_MAX)
		return mb_fail(bi, -E_NOMEM, "%s %u: memory map has more than %u entries", what, index,
			       BOOT_MMAP_MAX);
	bi->mmap[bi->nr_mmap].base = base;
	bi->mmap[bi->nr_mmap].len = len;
	bi->mmap[bi->nr_mmap].type = type;
	bi->nr_mmap++;
	return 0;
}

/* Multiboot (E820) memory types 1..5 are ours; anything else is reserved. */
uint32_t mb_norm_type(uint32_t type)
{
	return type >= MEM_USABLE && type <= MEM_BAD ? type : MEM_RESERVED;
}


/* The map that is all a BIOS reports without E820: [0, lower KiB) and [1 MiB, 1 MiB + upper KiB). */
int mb_synthesize_mmap(struct boot_info *bi)
{
	int err;

	err = mb_add_mem(bi, "mem_lower", 0, 0, (uint64_t)bi->mem_lower * KiB, MEM_USABLE, false);
	if (!err)
		err = mb_add_mem(bi, "mem_upper", 0, 1 * MiB, (uint64_t)bi->mem_upper * KiB, MEM_USABLE, false);
	if (!err && bi->nr_mmap)
		bi->mmap_source = BOOT_MMAP_MEMINFO;
	return err;
}

/* ---- interface ---- */

int bootinfo_parse(uint32_t magic, paddr_t info_pa, const struct phys_view *mem, struct boot_info *bi)
{
	if (!bi)
		return -E_INVAL;
	mb_zero(bi, sizeof(*bi));
	if (!mem || !mem->map)
		return mb_fail(bi, -E_INVAL, "no physical memory view to read the boot information through");

	switch (magic) {
	case MB1_BOOTLOADER_MAGIC:
		return mb1_parse(bi, mem, info_pa);
	case MB2_BOOTLOADER_MAGIC:
		return mb2_parse(bi, mem, info_pa);
	default:
		return mb_fail(bi, -E_INVAL,
			       "unknown boot loader magic 0x%x (expected 0x%x for multiboot1 or 0x%x for multiboot2)",
			       magic, MB1_BOOTLOADER_MAGIC, MB2_BOOTLOADER_MAGIC);
	}
}

const char *bootinfo_mem_type_name(uint32_t type)
{
	switch (type) {
	case MEM_USABLE:
		return "usable";
	case MEM_RESERVED:
		return "reserved";
	case MEM_ACPI_RECLAIM:
		return "ACPI reclaimable";
	case MEM_ACPI_NVS:
		return "ACPI NVS";
	case MEM_BAD:
		return "bad";
	default:
		return "unknown";
	}
}
