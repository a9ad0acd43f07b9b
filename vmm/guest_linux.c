/*
 * The Linux loader: a bzImage (boot protocol 2.10 or newer, Documentation/arch/x86/boot.rst)
 * from module 0, its initrd from module 1, entered through the 32-bit boot protocol. The module
 * string is the kernel's command line, unchanged. The protocol itself (header checks, placement,
 * boot_params) is in vmm/linux_boot.c; this file maps guest memory, copies and logs.
 */
#include "console.h"
#include "errno.h"
#include "frame.h"
#include "lib/string.h"
#include "mm.h"
#include "panic.h"
#include "vmm/guest.h"
#include "vmm/linux_boot.h"
#include "vmm/linux_efi.h"

/*
 * The boot area below 640 KiB: boot_params, then the command line, then the RSDP copy, then (booted
 * through UEFI) the guest's EFI memory map.
 */
#define LINUX_BOOT_AREA (boot_params_bytes + BOOT_CMDLINE_MAX + BOOT_RSDP_MAX)
#define LINUX_EFI_MMAP_OFFSET ALIGN_UP(LINUX_BOOT_AREA, 8)
#define LINUX_EFI_MMAP_MAX (16 * KiB)

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

/*
 * Booted through UEFI: the firmware's EFI memory map with the hypervisor's ranges reserved, into
 * buf, so Linux gets its EFI system table and runtime services. Returns its bytes, 0 for none.
 * Built before anything is copied: the boot information may lie where the kernel goes.
 */
static uint64_t linux_efi_mmap(const struct boot_info *bi, uint8_t *buf)
{
	static struct range_set hidden;
	char why[LINUX_WHY_MAX];
	uint64_t bytes;

	if (!bi->has_efi64_system_table || !bi->has_efi_mmap)
		return 0;
	range_set_init(&hidden);
	BUG_ON(range_set_add(&hidden, hv_layout.hv_base, hv_layout.hv_end));
	if (hv_layout.trampoline_hidden)
		BUG_ON(range_set_add(&hidden, hv_layout.trampoline, hv_layout.trampoline + FRAME_SIZE));
	if (linux_efi_mmap_bytes_max(bi->efi_mmap_count, bi->efi_desc_size, &hidden) > LINUX_EFI_MMAP_MAX) {
		pr_warn("guest: the EFI memory map (%u descriptors) is too large: Linux starts without EFI",
			bi->efi_mmap_count);
		return 0;
	}
	if (linux_efi_build_mmap(phys_to_virt(bi->efi_mmap_pa), bi->efi_mmap_count, bi->efi_desc_size, &hidden, buf,
				 LINUX_EFI_MMAP_MAX, &bytes, why, sizeof(why))) {
		pr_warn("guest: %s: Linux starts without EFI", why);
		return 0;
	}
	return bytes;
}

int guest_load_linux(struct partition *p, const struct boot_info *bi)
{
	const char *name = bi->mods[0].cmdline;
	const uint8_t *img = phys_to_virt(bi->mods[0].start);
	const struct range image = { bi->mods[0].start, bi->mods[0].end };
	static struct range_set mods, busy;
	static struct linux_e820_entry e820[LINUX_E820_MAX];
	static uint8_t boot_params[LINUX_BOOT_PARAMS_SIZE];
	static uint8_t efi_mmap[LINUX_EFI_MMAP_MAX];
	struct linux_efi_args efi = { 0 };
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
	efi.memmap_size = (uint32_t)linux_efi_mmap(bi, efi_mmap);
	rc = guest_place_low(p, &busy, LINUX_EFI_MMAP_OFFSET + efi.memmap_size, &boot_area);
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
	if (bi->has_fb)
		linux_fill_screen_info(boot_params, &bi->fb, bi->has_efi64_system_table);
	if (efi.memmap_size) {
		efi.systab = bi->efi64_system_table;
		efi.memmap = boot_area + LINUX_EFI_MMAP_OFFSET;
		efi.desc_size = bi->efi_desc_size;
		efi.desc_version = bi->efi_desc_version;
		linux_efi_fill_boot_params(boot_params, &efi);
	}

	/* Nothing is overwritten before here: the module may still lie where the kernel goes. */
	if (bi->nr_mods > 1)
		memmove(phys_to_virt(args.initrd), phys_to_virt(bi->mods[1].start), args.initrd_size);
	memmove(phys_to_virt(args.load), img + h.pm_offset, h.pm_size);
	area = phys_to_virt(boot_area);
	memset(area, 0, LINUX_EFI_MMAP_OFFSET);
	memcpy(area + LINUX_EFI_MMAP_OFFSET, efi_mmap, efi.memmap_size);
	memcpy(area, boot_params, LINUX_BOOT_PARAMS_SIZE);
	strlcpy((char *)area + boot_params_bytes, name, BOOT_CMDLINE_MAX);
	if (args.rsdp)
		memcpy(phys_to_virt(args.rsdp), bi->rsdp, bi->rsdp_len);

	p->start = vcpu_start_flat32(args.load, LINUX_BOOT_CS, LINUX_BOOT_DS);
	p->start.regs.rsi = boot_area;
	pr_info("guest: Linux '%s' (boot protocol %u.%02u) loaded at %#llx (%llu KiB, init_size %llu KiB), "
		"initrd %#llx (%llu KiB), boot_params at %#llx",
		name, h.version >> 8, h.version & 0xFF, (unsigned long long)args.load,
		(unsigned long long)(h.pm_size / KiB), (unsigned long long)(h.init_size / KiB),
		(unsigned long long)args.initrd, (unsigned long long)(args.initrd_size / KiB),
		(unsigned long long)boot_area);
	if (efi.memmap_size)
		pr_info("guest: EFI system table %#llx, EFI memory map at %#llx (%u descriptors, hypervisor memory reserved)",
			(unsigned long long)efi.systab, (unsigned long long)efi.memmap, efi.memmap_size / efi.desc_size);
	return 0;
}
