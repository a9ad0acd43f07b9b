/* Reads CPUID once on the boot CPU into boot_cpu (Intel SDM vol. 2A CPUID; AMD CPUID spec 25481). */
#include "console.h"
#include "lib/string.h"
#include "x86/cpu.h"
#include "x86/cpufeature.h"

struct cpu_features boot_cpu;

static void read_brand(void)
{
	uint32_t *out = (uint32_t *)boot_cpu.brand;
	char *s = boot_cpu.brand;

	if (boot_cpu.max_ext_leaf < 0x80000004) {
		strlcpy(boot_cpu.brand, "(no brand string)", sizeof(boot_cpu.brand));
		return;
	}
	for (uint32_t leaf = 0x80000002; leaf <= 0x80000004; leaf++, out += 4)
		cpuid_count(leaf, 0, &out[0], &out[1], &out[2], &out[3]);
	boot_cpu.brand[48] = 0;
	while (*s == ' ')
		s++;
	memmove(boot_cpu.brand, s, strlen(s) + 1);
}

void cpu_features_init(void)
{
	uint32_t a, b, c, d;
	uint32_t *vendor = (uint32_t *)boot_cpu.vendor_string;

	cpuid_count(0, 0, &a, &vendor[0], &vendor[2], &vendor[1]);
	boot_cpu.max_leaf = a;
	boot_cpu.vendor_string[12] = 0;
	if (!strcmp(boot_cpu.vendor_string, "GenuineIntel"))
		boot_cpu.vendor = VENDOR_INTEL;
	else if (!strcmp(boot_cpu.vendor_string, "AuthenticAMD") || !strcmp(boot_cpu.vendor_string, "HygonGenuine"))
		boot_cpu.vendor = VENDOR_AMD;

	cpuid_count(1, 0, &a, &b, &c, &d);
	boot_cpu.stepping = a & 0xF;
	boot_cpu.model = (a >> 4) & 0xF;
	boot_cpu.family = (a >> 8) & 0xF;
	if (boot_cpu.family == 0xF)
		boot_cpu.family += (a >> 20) & 0xFF;
	if (boot_cpu.family >= 0x6)
		boot_cpu.model |= ((a >> 16) & 0xF) << 4;
	boot_cpu.vmx = c & (1U << 5);
	boot_cpu.x2apic = c & (1U << 21);
	boot_cpu.xsave = c & (1U << 26);
	boot_cpu.hypervisor = c & (1U << 31);

	cpuid_count(0x80000000, 0, &a, &b, &c, &d);
	boot_cpu.max_ext_leaf = a;
	if (boot_cpu.max_ext_leaf >= 0x80000001) {
		cpuid_count(0x80000001, 0, &a, &b, &c, &d);
		boot_cpu.svm = c & (1U << 2);
		boot_cpu.nx = d & (1U << 20);
		boot_cpu.pages_1g = d & (1U << 26);
	}
	if (boot_cpu.max_ext_leaf >= 0x80000007) {
		cpuid_count(0x80000007, 0, &a, &b, &c, &d);
		boot_cpu.invariant_tsc = d & (1U << 8);
	}
	boot_cpu.phys_bits = 36; /* without leaf 0x80000008 (SDM vol. 3A, 4.1.4) */
	if (boot_cpu.max_ext_leaf >= 0x80000008) {
		cpuid_count(0x80000008, 0, &a, &b, &c, &d);
		boot_cpu.phys_bits = a & 0xFF;
	}
	read_brand();
}

void cpu_features_print(void)
{
	pr_info("cpu: %s family %#x model %#x stepping %u: %s", boot_cpu.vendor_string, boot_cpu.family,
		boot_cpu.model, boot_cpu.stepping, boot_cpu.brand);
	pr_info("cpu: features:%s%s%s%s%s%s%s", boot_cpu.svm ? " svm" : "", boot_cpu.vmx ? " vmx" : "",
		boot_cpu.nx ? " nx" : "", boot_cpu.pages_1g ? " 1g-pages" : "", boot_cpu.x2apic ? " x2apic" : "",
		boot_cpu.xsave ? " xsave" : "", boot_cpu.hypervisor ? " (running nested)" : "");
}
