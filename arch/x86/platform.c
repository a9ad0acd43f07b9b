/* The machine's ACPI description, parsed once through the direct map. */
#include "console.h"
#include "mm.h"
#include "platform.h"

struct acpi_info platform_acpi;

static void acpi_log(int level, const char *msg, void *ctx)
{
	printk(level, "%s", msg);
}

static const char *gas_space(uint8_t id)
{
	switch (id) {
	case ACPI_GAS_SYSTEM_MEMORY:
		return "memory";
	case ACPI_GAS_SYSTEM_IO:
		return "I/O port";
	case ACPI_GAS_PCI_CONFIG:
		return "PCI config";
	default:
		return "other";
	}
}

void platform_acpi_init(const struct boot_info *bi)
{
	struct acpi_info *a = &platform_acpi;
	int rc = acpi_parse(physmap_view(), bi->rsdp_len ? bi->rsdp : NULL, bi->rsdp_len, a, acpi_log, NULL);

	if (rc) {
		pr_warn("acpi: no usable ACPI tables (error %d)", rc);
		return;
	}
	pr_info("acpi: RSDP revision %u %s, %s at %#llx, %u tables", a->rsdp_revision,
		a->rsdp_from_copy ? "from the loader" : "found in the BIOS area", a->root_is_xsdt ? "XSDT" : "RSDT",
		(unsigned long long)a->root_pa, a->nr_tables);
	if (a->madt_valid)
		pr_info("acpi: MADT: %u CPUs (%u disabled), %u I/O APICs, local APIC at %#llx", a->nr_cpus,
			a->nr_cpus_disabled, a->nr_ioapics, (unsigned long long)a->lapic_addr);
	for (uint32_t i = 0; i < a->nr_cpus; i++)
		pr_debug("acpi: CPU: APIC ID %u, ACPI ID %u%s", a->cpus[i].apic_id, a->cpus[i].acpi_id,
			 a->cpus[i].x2apic ? " (x2APIC entry)" : "");
	for (uint32_t i = 0; i < a->nr_ioapics; i++)
		pr_debug("acpi: I/O APIC %u at %#x, GSI base %u", a->ioapics[i].id, a->ioapics[i].address,
			 a->ioapics[i].gsi_base);
	if (a->fadt_valid)
		pr_info("acpi: FADT revision %u: reset register %s (%s %#llx, value %#x), PM1a control %s %#llx",
			a->fadt.revision, acpi_reset_reg_usable(a) ? "usable" : "not usable",
			gas_space(a->fadt.reset_reg.space_id), (unsigned long long)a->fadt.reset_reg.address,
			a->fadt.reset_value, gas_space(a->fadt.pm1a_cnt.space_id),
			(unsigned long long)a->fadt.pm1a_cnt.address);
}
