/* Reading the multiboot 1 information. Paging is off, so physical addresses are pointers. */
#include "multiboot.h"
#include "lib/string.h"

static uint32_t boot_magic;
static const struct mb1_info *info;

void mb_init(uint32_t magic, uint32_t info_addr)
{
	boot_magic = magic;
	info = magic == MB1_BOOT_MAGIC ? (const struct mb1_info *)(uintptr_t)info_addr : NULL;
}

uint32_t mb_magic(void)
{
	return boot_magic;
}

const struct mb1_info *mb_info(void)
{
	return info;
}

const char *mb_cmdline(void)
{
	if (!info || !(info->flags & MB1_INFO_CMDLINE) || !info->cmdline)
		return "";
	return (const char *)(uintptr_t)info->cmdline;
}

bool mb_has_word(const char *word)
{
	size_t n = strlen(word);

	for (const char *s = mb_cmdline(); *s; s++)
		if ((s == mb_cmdline() || s[-1] == ' ') && !strncmp(s, word, n) && (s[n] == ' ' || !s[n]))
			return true;
	return false;
}

const char *mb_args(void)
{
	const char *s = mb_cmdline();

	while (*s && *s != ' ')
		s++;
	while (*s == ' ')
		s++;
	return s;
}

const struct mb1_mmap_entry *mb_mmap_entry(unsigned int i)
{
	uint32_t p, end;

	if (!info || !(info->flags & MB1_INFO_MMAP))
		return NULL;
	p = info->mmap_addr;
	end = info->mmap_addr + info->mmap_length;
	for (;;) {
		const struct mb1_mmap_entry *e = (const struct mb1_mmap_entry *)(uintptr_t)p;

		if (p + sizeof(*e) > end || e->size < sizeof(*e) - sizeof(e->size))
			return NULL;
		if (i-- == 0)
			return e;
		p += e->size + sizeof(e->size);
	}
}

bool mb_usable_overlaps(uint64_t base, uint64_t end)
{
	const struct mb1_mmap_entry *e;

	for (unsigned int i = 0; (e = mb_mmap_entry(i)); i++) {
		if (e->type == MB1_MMAP_AVAILABLE && e->addr < end && base < e->addr + e->len)
			return true;
	}
	return false;
}

bool mb_usable_contains(uint64_t base, uint64_t end)
{
	const struct mb1_mmap_entry *e;

	for (unsigned int i = 0; (e = mb_mmap_entry(i)); i++) {
		if (e->type == MB1_MMAP_AVAILABLE && e->addr <= base && end <= e->addr + e->len)
			return true;
	}
	return false;
}

unsigned int mb_module_count(void)
{
	if (!info || !(info->flags & MB1_INFO_MODS))
		return 0;
	return info->mods_count;
}

const struct mb1_module *mb_module(unsigned int i)
{
	if (i >= mb_module_count())
		return NULL;
	return (const struct mb1_module *)(uintptr_t)info->mods_addr + i;
}
