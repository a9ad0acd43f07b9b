/*
 * The multiboot 1 guest loader (Multiboot Specification 0.6.96): module 0 is the kernel, its
 * string the kernel's command line, modules 1.. its modules. Every header field and segment is
 * checked against the module's size and the guest's RAM before anything is copied.
 */
#include "console.h"
#include "errno.h"
#include "frame.h"
#include "lib/string.h"
#include "mm.h"
#include "panic.h"
#include "vmm/guest.h"

#define MB1_INFO_MEMORY (1U << 0)
#define MB1_INFO_CMDLINE (1U << 2)
#define MB1_INFO_MODS (1U << 3)
#define MB1_INFO_MMAP (1U << 6)
#define MB1_INFO_LOADER_NAME (1U << 9)
#define MB1_BOOT_MAGIC 0x2BADB002
#define INFO_AREA_SIZE (32 * KiB) /* info, strings, module list and memory map */
#define MAX_GUEST_SEGMENTS 16
#define GUEST_MMAP_MAX (BOOT_MMAP_MAX + 8)

#define ELF_MAGIC 0x464C457F
#define ELFCLASS32 1
#define ELFCLASS64 2
#define EM_386 3
#define EM_X86_64 62
#define PT_LOAD 1

struct mb1_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

struct mb1_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table, boot_loader_name;
	uint32_t apm_table;
};

struct mb1_module {
	uint32_t start, end, string, reserved;
};

struct mb1_mmap_entry {
	uint32_t size; /* of the rest of the entry: 20 */
	uint64_t base, length;
	uint32_t type;
} __packed;

struct segment {
	uint64_t dest, file_offset, file_size, mem_size;
};

struct image {
	paddr_t mod_start[BOOT_MODS_MAX]; /* where each module is now (modules in the way are moved) */
	const uint8_t *data;
	uint64_t size;
	const char *name;
	struct segment seg[MAX_GUEST_SEGMENTS];
	unsigned int nr_seg;
	uint64_t entry;
};

static int fail(const struct image *img, const char *what)
{
	pr_crit("guest: cannot load '%s': %s", img->name, what);
	return -E_INVAL;
}

static const struct mb1_header *find_header(const struct image *img, uint64_t *offset)
{
	uint64_t limit = MIN(img->size, (uint64_t)MB1_HEADER_SEARCH);

	for (uint64_t off = 0; off + sizeof(struct mb1_header) <= limit; off += 4) {
		const struct mb1_header *h = (const void *)(img->data + off);

		if (h->magic == MB1_HEADER_MAGIC && h->magic + h->flags + h->checksum == 0) {
			*offset = off;
			return h;
		}
	}
	return NULL;
}

static int add_segment(struct image *img, uint64_t dest, uint64_t offset, uint64_t file_size, uint64_t mem_size)
{
	if (img->nr_seg == MAX_GUEST_SEGMENTS)
		return fail(img, "too many loadable segments");
	if (file_size > mem_size || offset > img->size || file_size > img->size - offset)
		return fail(img, "a segment reaches beyond the end of the file");
	if (dest + mem_size < dest || dest + mem_size > 4 * GiB)
		return fail(img, "a segment does not fit below 4 GiB");
	img->seg[img->nr_seg++] = (struct segment){ dest, offset, file_size, mem_size };
	return 0;
}

/* The a.out kludge: the file from the header's position on, at the addresses the header names. */
static int parse_address_fields(struct image *img, const struct mb1_header *h, uint64_t header_offset)
{
	uint64_t start, load_end, bss_end;

	if (header_offset + sizeof(*h) > img->size || h->header_addr < h->load_addr ||
	    h->header_addr - h->load_addr > header_offset)
		return fail(img, "the multiboot address fields are inconsistent with the file");
	start = header_offset - (h->header_addr - h->load_addr);
	load_end = h->load_end_addr ? h->load_end_addr : h->load_addr + (img->size - start);
	bss_end = h->bss_end_addr ? h->bss_end_addr : load_end;
	if (load_end < h->load_addr || bss_end < load_end)
		return fail(img, "load_end_addr/bss_end_addr lie below load_addr");
	if (h->entry_addr < h->load_addr || h->entry_addr >= bss_end)
		return fail(img, "entry_addr lies outside the loaded image");
	img->entry = h->entry_addr;
	return add_segment(img, h->load_addr, start, load_end - h->load_addr, bss_end - h->load_addr);
}

static uint64_t read_uint(const uint8_t *p, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = bytes; i-- > 0;)
		v = (v << 8) | p[i];
	return v;
}

static int parse_elf(struct image *img)
{
	const uint8_t *e = img->data;
	bool is64;
	uint64_t phoff, phentsize, phnum;
	unsigned int word;

	if (img->size < 52 || read_uint(e, 4) != ELF_MAGIC)
		return fail(img, "no multiboot address fields and not an ELF file");
	if (e[4] != ELFCLASS32 && e[4] != ELFCLASS64)
		return fail(img, "unknown ELF class");
	is64 = e[4] == ELFCLASS64;
	word = is64 ? 8 : 4;
	if (is64 && img->size < 64)
		return fail(img, "truncated ELF header");
	if (read_uint(e + 18, 2) != (is64 ? EM_X86_64 : EM_386))
		return fail(img, "not an x86 ELF file");
	img->entry = read_uint(e + 24, word);
	phoff = read_uint(e + 24 + word, word);
	phentsize = read_uint(e + (is64 ? 54 : 42), 2);
	phnum = read_uint(e + (is64 ? 56 : 44), 2);
	if (phentsize < (is64 ? 56U : 32U) || phoff > img->size || phnum * phentsize > img->size - phoff)
		return fail(img, "the program headers lie outside the file");
	for (uint64_t i = 0; i < phnum; i++) {
		const uint8_t *ph = e + phoff + i * phentsize;
		uint64_t offset, paddr, filesz, memsz;
		int rc;

		if (read_uint(ph, 4) != PT_LOAD)
			continue;
		offset = read_uint(ph + (is64 ? 8 : 4), word);
		paddr = read_uint(ph + (is64 ? 24 : 12), word);
		filesz = read_uint(ph + (is64 ? 32 : 16), word);
		memsz = read_uint(ph + (is64 ? 40 : 20), word);
		rc = memsz ? add_segment(img, paddr, offset, filesz, memsz) : 0;
		if (rc)
			return rc;
	}
	if (!img->nr_seg)
		return fail(img, "no loadable segment");
	for (unsigned int i = 0; i < img->nr_seg; i++)
		if (img->entry >= img->seg[i].dest && img->entry < img->seg[i].dest + img->seg[i].mem_size)
			return 0;
	return fail(img, "the entry point lies outside every loaded segment");
}

static bool overlaps_segment(const struct image *img, paddr_t start, paddr_t end)
{
	for (unsigned int i = 0; i < img->nr_seg; i++)
		if (start < img->seg[i].dest + img->seg[i].mem_size && img->seg[i].dest < end)
			return true;
	return false;
}

/*
 * Segments must land in guest RAM. A loader may have put a module (even the kernel's own file:
 * GRUB under UEFI does) where a segment goes: such a module is moved to free guest RAM first,
 * and the guest is told its new address.
 */
static int place_segments(struct partition *p, struct image *img, const struct boot_info *bi)
{
	static struct range_set free;
	uint64_t dest;

	for (unsigned int i = 0; i < img->nr_seg; i++) {
		const struct segment *s = &img->seg[i];

		if (!partition_gpa_to_hva(p, s->dest, s->mem_size)) {
			pr_err("guest: '%s' segment %#llx-%#llx is not in guest RAM", img->name, (unsigned long long)s->dest,
			       (unsigned long long)(s->dest + s->mem_size - 1));
			return -E_RANGE;
		}
	}
	range_set_init(&free);
	for (unsigned int i = 0; i < p->ram.nr; i++) {
		uint64_t start = MAX(p->ram.r[i].start, MiB), end = MIN(p->ram.r[i].end, 4 * GiB);

		if (start < end)
			BUG_ON(range_set_add(&free, start, end));
	}
	for (unsigned int i = 0; i < img->nr_seg; i++)
		BUG_ON(range_set_remove(&free, img->seg[i].dest, img->seg[i].dest + img->seg[i].mem_size));
	for (uint32_t m = 0; m < bi->nr_mods; m++)
		BUG_ON(range_set_remove(&free, bi->mods[m].start, bi->mods[m].end));
	BUG_ON(range_set_align_pages(&free, FRAME_SIZE));
	for (uint32_t m = 0; m < bi->nr_mods; m++) {
		uint64_t size = bi->mods[m].end - bi->mods[m].start;

		img->mod_start[m] = bi->mods[m].start;
		if (!size || !overlaps_segment(img, bi->mods[m].start, bi->mods[m].end))
			continue;
		if (range_set_find_top(&free, ALIGN_UP(size, FRAME_SIZE), FRAME_SIZE, 4 * GiB, &dest)) {
			pr_err("guest: module %u is where '%s' must load, and there is no free RAM to move it to", m,
			       img->name);
			return -E_NOMEM;
		}
		BUG_ON(range_set_remove(&free, dest, dest + ALIGN_UP(size, FRAME_SIZE)));
		memmove(phys_to_virt(dest), phys_to_virt(bi->mods[m].start), size);
		pr_info("guest: module %u moved from %#llx to %#llx, out of the kernel's way", m,
			(unsigned long long)bi->mods[m].start, (unsigned long long)dest);
		img->mod_start[m] = dest;
	}
	img->data = phys_to_virt(img->mod_start[0]);
	return 0;
}

/* Guest RAM below 640 KiB that neither the kernel nor a module uses: where the info goes. */
static int place_info(struct partition *p, const struct image *img, const struct boot_info *bi, uint64_t *gpa)
{
	static struct range_set busy;

	range_set_init(&busy);
	for (unsigned int i = 0; i < img->nr_seg; i++)
		BUG_ON(range_set_add(&busy, img->seg[i].dest, img->seg[i].dest + img->seg[i].mem_size));
	for (uint32_t m = 0; m < bi->nr_mods; m++)
		BUG_ON(range_set_add(&busy, img->mod_start[m], img->mod_start[m] + bi->mods[m].end - bi->mods[m].start));
	return guest_place_low(p, &busy, INFO_AREA_SIZE, gpa);
}

struct info_builder {
	uint8_t *base; /* host view of the area */
	uint64_t gpa;
	uint64_t used;
};

static uint32_t info_alloc(struct info_builder *b, uint64_t size, void **host)
{
	uint64_t off = ALIGN_UP(b->used, 8);

	BUG_ON(off + size > INFO_AREA_SIZE);
	b->used = off + size;
	*host = b->base + off;
	return (uint32_t)(b->gpa + off);
}

static uint32_t info_string(struct info_builder *b, const char *s)
{
	void *dst;
	uint32_t gpa = info_alloc(b, strlen(s) + 1, &dst);

	memcpy(dst, s, strlen(s) + 1);
	return gpa;
}

/* The guest's memory map in multiboot's entry format. */
static uint32_t build_mmap(struct partition *p, const struct boot_info *bi, struct info_builder *b, uint32_t *length)
{
	static struct guest_mem_entry entries[GUEST_MMAP_MAX];
	struct mb1_mmap_entry *map;
	unsigned int n = guest_memory_map(p, bi, entries, GUEST_MMAP_MAX);
	uint32_t gpa = info_alloc(b, n * sizeof(*map), (void **)&map);

	for (unsigned int i = 0; i < n; i++)
		map[i] = (struct mb1_mmap_entry){ 20, entries[i].base, entries[i].len, entries[i].type };
	*length = n * sizeof(*map);
	return gpa;
}

/* mem_lower/mem_upper from the same RAM the map shows: the blocks at 0 and at 1 MiB. */
static void set_mem_fields(struct partition *p, struct mb1_info *info)
{
	for (unsigned int i = 0; i < p->ram.nr; i++) {
		if (p->ram.r[i].start == 0)
			info->mem_lower = (uint32_t)(MIN(p->ram.r[i].end, GUEST_LOW_MEMORY_LIMIT) / KiB);
		if (p->ram.r[i].start <= MiB && p->ram.r[i].end > MiB)
			info->mem_upper = (uint32_t)(MIN(p->ram.r[i].end - MiB, 4 * GiB) / KiB);
	}
}

static void build_info(struct partition *p, const struct image *img, const struct boot_info *bi, uint64_t gpa)
{
	struct info_builder b = { phys_to_virt(gpa), gpa, 0 };
	struct mb1_info *info;
	struct mb1_module *mods;
	uint32_t info_gpa = info_alloc(&b, sizeof(*info), (void **)&info);

	memset(b.base, 0, INFO_AREA_SIZE);
	info->flags = MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MODS | MB1_INFO_MMAP | MB1_INFO_LOADER_NAME;
	set_mem_fields(p, info);
	info->boot_device = 0xFFFFFFFF;
	info->cmdline = info_string(&b, bi->mods[0].cmdline);
	info->boot_loader_name = info_string(&b, "hv " HV_VERSION);
	info->mods_count = bi->nr_mods - 1;
	info->mods_addr = info_alloc(&b, (bi->nr_mods - 1) * sizeof(*mods) + 1, (void **)&mods);
	for (uint32_t m = 1; m < bi->nr_mods; m++)
		mods[m - 1] = (struct mb1_module){ (uint32_t)img->mod_start[m],
						   (uint32_t)(img->mod_start[m] + bi->mods[m].end - bi->mods[m].start),
						   info_string(&b, bi->mods[m].cmdline), 0 };
	info->mmap_addr = build_mmap(p, bi, &b, &info->mmap_length);
	p->start.regs.rax = MB1_BOOT_MAGIC;
	p->start.regs.rbx = info_gpa;
}

int guest_load_multiboot(struct partition *p, const struct boot_info *bi)
{
	struct image img = { .name = bi->mods[0].cmdline };
	const struct mb1_header *h;
	uint64_t header_offset, info_gpa;
	int rc;

	img.size = bi->mods[0].end - bi->mods[0].start;
	img.data = phys_to_virt(bi->mods[0].start);
	for (uint32_t m = 1; m < bi->nr_mods; m++)
		if (bi->mods[m].end > 4 * GiB)
			return fail(&img, "a module lies above 4 GiB, where multiboot 1 cannot describe it");
	h = find_header(&img, &header_offset);
	if (!h)
		return fail(&img, "no multiboot header in its first 8 KiB (is it a multiboot kernel?)");
	rc = (h->flags & MB1_FLAG_ADDRESS_FIELDS) ? parse_address_fields(&img, h, header_offset) : parse_elf(&img);
	if (!rc)
		rc = place_segments(p, &img, bi);
	if (!rc)
		rc = place_info(p, &img, bi, &info_gpa);
	if (rc)
		return rc;
	for (unsigned int i = 0; i < img.nr_seg; i++) {
		const struct segment *s = &img.seg[i];
		uint8_t *dst = phys_to_virt(s->dest);

		memcpy(dst, img.data + s->file_offset, s->file_size);
		memset(dst + s->file_size, 0, s->mem_size - s->file_size);
	}
	/* Any flat selectors serve (multiboot spec, "Machine state"): GRUB's. */
	p->start = vcpu_start_flat32(img.entry, FLAT32_CODE_SEL, FLAT32_DATA_SEL);
	build_info(p, &img, bi, info_gpa);
	pr_info("guest: loaded '%s': %u segments, entry %#llx, multiboot info at %#llx", img.name, img.nr_seg,
		(unsigned long long)img.entry, (unsigned long long)info_gpa);
	return 0;
}
