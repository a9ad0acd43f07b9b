/*
 * The boot CPU's path from the 64-bit entry to a running system, one step per line in boot order.
 */
#include "bootinfo.h"
#include "cmdline.h"
#include "console.h"
#include "vmm/debugkeys.h"
#include "frame.h"
#include "mm.h"
#include "panic.h"
#include "pic.h"
#include "platform.h"
#include "screen.h"
#include "selftest.h"
#include "serial.h"
#include "timer.h"
#include "x86/apic.h"
#include "x86/cpu.h"
#include "x86/cpufeature.h"
#include "x86/desc.h"
#include "x86/percpu.h"
#include "x86/reboot.h"
#include "vmm/vmm.h"
#include "x86/smp.h"

extern char bsp_stack_bottom[], bsp_stack_top[];

static struct boot_info bootinfo;
static struct hv_options options;

static void console_setup(const struct hv_options *opts, const struct boot_info *bi)
{
	const char *screen;

	console_set_loglevel(opts->loglevel);
	screen = screen_init(bi, opts->console_screen); /* from here on the log is on the screen too */
	if (!opts->console_port) {
		console_use_serial(false);
	} else if (opts->console_port != COM1_PORT || opts->baud != 115200) {
		/* else the loader already set COM1 up this way; keep its output readable */
		pr_info("console: COM1 -> port %#x at %u baud", opts->console_port, opts->baud);
		if (!serial_init(opts->console_port, opts->baud)) {
			serial_init(COM1_PORT, 115200);
			pr_warn("console: no UART answers at port %#x; staying on COM1", opts->console_port);
		}
	}
	pr_info("console: screen: %s", screen);
}

static void print_help_line(const char *line, void *ctx)
{
	pr_info("options: %s", line);
}

static void print_boot_info(const struct boot_info *bi)
{
	pr_info("boot: loader '%s', protocol multiboot%u", bi->loader_name, bi->protocol);
	pr_info("boot: command line '%s'", bi->cmdline);
	for (uint32_t i = 0; i < bi->nr_mmap; i++)
		pr_info("mmap: 0x%016llx-0x%016llx %s", (unsigned long long)bi->mmap[i].base,
			(unsigned long long)(bi->mmap[i].base + bi->mmap[i].len - 1),
			bootinfo_mem_type_name(bi->mmap[i].type));
	for (uint32_t i = 0; i < bi->nr_mods; i++)
		pr_info("boot: module %u: %#llx-%#llx (%llu bytes) '%s'", i, (unsigned long long)bi->mods[i].start,
			(unsigned long long)bi->mods[i].end, (unsigned long long)(bi->mods[i].end - bi->mods[i].start),
			bi->mods[i].cmdline);
	if (bi->rsdp_kind)
		pr_info("boot: ACPI RSDP from the loader (ACPI %s)", bi->rsdp_kind == BOOT_RSDP_V2 ? "2.0+" : "1.0");
	if (bi->has_efi_mmap)
		pr_info("boot: EFI memory map with %u descriptors%s", bi->efi_mmap_count,
			bi->mmap_source == BOOT_MMAP_MB2_EFI_MMAP ? " (used as the memory map)" : "");
	if (bi->has_fb)
		pr_info("boot: framebuffer at %#llx: %ux%u, %u bpp, pitch %u, %s", (unsigned long long)bi->fb.addr,
			bi->fb.width, bi->fb.height, bi->fb.bpp, bi->fb.pitch,
			bi->fb.type == BOOT_FB_RGB ? "RGB" : bi->fb.type == BOOT_FB_EGA_TEXT ? "EGA text" : "indexed");
}

/* Reads the command line; on a bad one, says why on the default consoles and stops. */
static void parse_options(const struct boot_info *bi)
{
	char err[160];
	int rc = cmdline_parse(bootinfo.cmdline, &options, err, sizeof(err));

	if (rc) {
		cmdline_defaults(&options);
		panic_set_reboot(options.panic == HV_PANIC_REBOOT);
		console_setup(&options, bi);
		pr_err("%s", err);
		panic("bad command line '%s' (boot with 'help' to list the options)", bootinfo.cmdline);
	}
	panic_set_reboot(options.panic == HV_PANIC_REBOOT);
}

__noreturn void hv_main(uint32_t magic, uint32_t info_pa);
__noreturn void hv_main(uint32_t magic, uint32_t info_pa)
{
	int boot_rc;
	bool virt_ready;

	bsp_percpu.stack_bottom = (uintptr_t)bsp_stack_bottom;
	bsp_percpu.stack_top = (uintptr_t)bsp_stack_top;
	percpu_install(&bsp_percpu);        /* GS -> boot CPU block: logging knows its CPU */
	idt_init();                         /* exception vectors, shared by all CPUs */
	desc_init_cpu(&bsp_percpu);         /* GDT, TSS with IST stacks, IDT: faults are dumped from here */
	boot_rc = bootinfo_parse(magic, info_pa, physmap_view(), &bootinfo); /* loader's info, validated */
	parse_options(boot_rc ? NULL : &bootinfo); /* command line: console, log level, test switches */
	console_setup(&options, boot_rc ? NULL : &bootinfo); /* serial port, screen, log level */

	pr_info("hv %s: x86-64 microhypervisor", HV_VERSION);
	if (boot_rc)
		panic("cannot use the boot information: %s", bootinfo.error);
	print_boot_info(&bootinfo);
	for (unsigned int i = 0; i < options.nr_unknown; i++)
		pr_warn("warning: unknown option '%s' ignored", options.unknown[i]);
	if (options.help)
		cmdline_print_help(print_help_line, NULL);

	cpu_features_init();                /* vendor, NX, 1 GiB pages, SVM/VMX */
	cpu_features_print();
	mm_init(&bootinfo, (uint64_t)options.hvmem_mib * MiB); /* move to the top of RAM, own page tables */
	selftest_run(options.selftest);     /* test-only faults */
	platform_acpi_init(&bootinfo);      /* MADT (CPUs), FADT (reset register) */
	apic_init(platform_acpi.madt_valid ? platform_acpi.lapic_addr : 0); /* local APIC, its mode */
	tsc_calibrate();                    /* delays for INIT-SIPI-SIPI */
	debugkeys_init(serial_port(), options.debugkeys); /* debug keys: own UART, or shared with debugkeys=on */
	pic_mask_all();                     /* no stale BIOS timer tick for the guest */
	smp_init(&platform_acpi, options.ghost_cpu); /* start every other CPU */
	virt_ready = vmm_prepare(&options);  /* SVM/VMX on every CPU, APs parked in idle vCPUs */
	reboot_set_leave_fault(options.selftest & SELFTEST_BIT(SELFTEST_LEAVEFAULT));
	if (options.selftest & SELFTEST_BIT(SELFTEST_PANIC))
		panic("selftest: forced panic");

	pr_info("boot complete: %u CPUs, %s, %llu KiB of hypervisor memory free", smp_cpu_count(),
		virt_ready ? "virtualization on" : "no virtualization",
		(unsigned long long)(frame_free_count() * FRAME_SIZE / KiB));
	if (virt_ready)
		vmm_run_guest(&bootinfo);    /* the first module, on this CPU */
	pr_info("hv: nothing left to run; halting");
	cpu_halt_forever();
}
