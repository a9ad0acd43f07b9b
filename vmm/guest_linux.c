/*
 * The Linux loader: a bzImage (boot protocol 2.10 or newer, Documentation/arch/x86/boot.rst)
 * from module 0, its initrd from module 1, entered through the 32-bit boot protocol. The module
 * string is the kernel's command line, unchanged. The protocol itself (header checks, placement,
 * boot_params) is in vmm/linux_boot.c; this file maps guest memory, copies and logs.
 */
#include "console.h"
#include "errno.h"
#include "lib/string.h"
#include "mm.h"
#include "panic.h"
#include "vmm/guest.h"
#include "vmm/linux_boot.h"

/* The boot area below 640 KiB: boot_params, then the command line, then the RSDP copy. */
#define LINUX_BOOT_AREA (boot_params_bytes + BOOT_CMDLINE_MAX + BOOT_RSDP_MAX)

static const uint64_t boot_params_bytes = LINUX_BOOT_PARAMS_SIZE;

static int fail(const char *name, const char *why, int rc)
{
	pr_crit("guest: cannot load Linux '%s': %s", name, why);
	return rc;
}

bool guest_is_linux(const struct boot_info *bi)
{
	return linux_is_bzimage(phys_to_virt(bi->mods[0].start), bi->mods[0].end - bi->mods[0].start);
}

/* The guest's memory map in the boot protocol's form. */
static unsigned int linux_e820(const struct partition *p, const struct boot_info *bi, struct linux_e820_entry *e820)
{
	static struct guest_mem_entry entries[LINUX_E820_MAX];
	unsigned int n = guest_memory_map(p, bi, entries, LINUX_E820_MAX);

	for (unsigned int i = 0; i < n; i++)
		e820[i] = (struct linux_e820_entry){ entries[i].base, entries[i].len, entries[i].type };
	return n;
}

int guest_load_linux(struct partition *p, const struct boot_info *bi)
{
	const char *name = bi->mods[0].cmdline;
	const uint8_t *img = phys_to_virt(bi->mods[0].start);
	const struct range image = { bi->mods[0].start, bi->mods[0].end };
	static struct range_set mods, busy;
	static struct linux_e820_entry e820[LINUX_E820_MAX];
	static uint8_t boot_params[LINUX_BOOT_PARAMS_SIZE];
	struct linux_header h;
	struct linux_boot_args args = { 0 };
	char why[LINUX_WHY_MAX];
	uint64_t boot_area;
	uint8_t *area;
	int rc;

	rc = linux_parse_header(img, image.end - image.start, &h, why, sizeof(why));
	if (rc)
		return fail(name, why, rc);
	rc = linux_check_cmdline(&h, name, why, sizeof(why));
	if (rc)
		return fail(name, why, rc);
	range_set_init(&mods);
	for (uint32_t m = 0; m < bi->nr_mods; m++)
		BUG_ON(range_set_add(&mods, bi->mods[m].start, bi->mods[m].end));
	rc = linux_place_kernel(&h, &p->ram, &mods, &args.load, why, sizeof(why));
	if (rc)
		return fail(name, why, rc);
	if (bi->nr_mods > 1) {
		args.initrd_size = bi->mods[1].end - bi->mods[1].start;
		rc = linux_place_initrd(&h, &p->ram, &image, args.load, args.initrd_size, &args.initrd, why,
					sizeof(why));
		if (rc)
			return fail(name, why, rc);
	}
	busy = mods;
	BUG_ON(range_set_add(&busy, args.load, args.load + h.init_size));
	rc = guest_place_low(p, &busy, LINUX_BOOT_AREA, &boot_area);
	if (rc)
		return rc;
	args.cmdline = boot_area + boot_params_bytes;
	if (bi->rsdp_len) /* booted through UEFI there is no RSDP in the BIOS area: give Linux our copy */
		args.rsdp = boot_area + boot_params_bytes + BOOT_CMDLINE_MAX;
	args.e820 = e820;
	args.nr_e820 = linux_e820(p, bi, e820);
	rc = linux_build_boot_params(boot_params, img, &h, &args, why, sizeof(why));
	if (rc)
		return fail(name, why, rc);

	/* Nothing is overwritten before here: the module may still lie where the kernel goes. */
	if (bi->nr_mods > 1)
		memmove(phys_to_virt(args.initrd), phys_to_virt(bi->mods[1].start), args.initrd_size);
	memmove(phys_to_virt(args.load), img + h.pm_offset, h.pm_size);
	area = phys_to_virt(boot_area);
	memset(area, 0, LINUX_BOOT_AREA);
	memcpy(area, boot_params, LINUX_BOOT_PARAMS_SIZE);
	strlcpy((char *)area + boot_params_bytes, name, BOOT_CMDLINE_MAX);
	if (args.rsdp)
		memcpy(phys_to_virt(args.rsdp), bi->rsdp, bi->rsdp_len);

	p->entry.rip = args.load;
	memset(&p->entry.regs, 0, sizeof(p->entry.regs));
	p->entry.regs.rsi = boot_area;
	p->entry.linux_selectors = true;
	pr_info("guest: Linux '%s' (boot protocol %u.%02u) loaded at %#llx (%llu KiB, init_size %llu KiB), "
		"initrd %#llx (%llu KiB), boot_params at %#llx",
		name, h.version >> 8, h.version & 0xFF, (unsigned long long)args.load,
		(unsigned long long)(h.pm_size / KiB), (unsigned long long)(h.init_size / KiB),
		(unsigned long long)args.initrd, (unsigned long long)(args.initrd_size / KiB),
		(unsigned long long)boot_area);
	return 0;
}
