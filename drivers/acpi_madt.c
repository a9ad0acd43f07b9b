/*
 * ACPI MADT ("APIC") parser: CPUs, I/O APICs, interrupt source overrides and local APIC NMIs.
 *
 * Called by acpi.c with a table that is already mapped, length-checked and checksummed.
 * References are to the ACPI 6.5 specification.
 */
#include "acpi.h"
#include "acpi_internal.h"

/* Multiple APIC Description Table (5.2.12). */
#define MADT_LAPIC_ADDR 36
#define MADT_FLAGS 40
#define MADT_ENTRIES 44

enum madt_type {
	MADT_LAPIC = 0,
	MADT_IOAPIC = 1,
	MADT_IRQ_OVERRIDE = 2,
	MADT_LAPIC_NMI = 4,
	MADT_LAPIC_ADDR_OVERRIDE = 5,
	MADT_X2APIC = 9,
	MADT_X2APIC_NMI = 10,
};

#define MADT_LAPIC_NMI_ALL 0xFF
#define XAPIC_BROADCAST_ID 0xFFu
#define X2APIC_BROADCAST_ID 0xFFFFFFFFu

/* ---- MADT ---- */

/* Minimum entry lengths of the MADT structures we read (5.2.12.2 onwards). */
static uint8_t madt_min_len(uint8_t type)
{
	switch (type) {
	case MADT_LAPIC: return 8;
	case MADT_IOAPIC: return 12;
	case MADT_IRQ_OVERRIDE: return 10;
	case MADT_LAPIC_NMI: return 6;
	case MADT_LAPIC_ADDR_OVERRIDE: return 12;
	case MADT_X2APIC: return 16;
	case MADT_X2APIC_NMI: return 12;
	default: return 2;
	}
}

/* "ACPI: APIC table at PA: <what><v><rest>", v in hex or decimal. */
static void madt_log(struct acpi_parser *p, int level, const char *what, uint64_t v,
		     unsigned int base, const char *rest)
{
	struct msg m;

	acpi_msg_table(&m, "APIC", p->out->madt_pa);
	acpi_msg_str(&m, what);
	acpi_msg_num(&m, v, base);
	acpi_msg_str(&m, rest);
	acpi_msg_emit(p, level, &m);
}

static void madt_cpu(struct acpi_parser *p, uint32_t apic_id, uint32_t acpi_id, uint32_t flags,
		     bool x2apic)
{
	struct acpi_info *out = p->out;
	struct acpi_cpu *cpu;

	if (!(flags & (ACPI_CPU_ENABLED | ACPI_CPU_ONLINE_CAPABLE))) {
		out->nr_cpus_disabled++;
		return;
	}
	if (apic_id == (x2apic ? X2APIC_BROADCAST_ID : XAPIC_BROADCAST_ID)) {
		madt_log(p, ACPI_LOG_WARN, "CPU with broadcast APIC ID ", apic_id, 16, ", ignored");
		return;
	}
	for (uint32_t i = 0; i < out->nr_cpus; i++) {
		if (out->cpus[i].apic_id == apic_id) {
			madt_log(p, ACPI_LOG_WARN, "duplicate APIC ID ", apic_id, 16, ", first kept");
			out->nr_cpus_duplicate++;
			return;
		}
	}
	if (out->nr_cpus == ACPI_MAX_CPUS) {
		if (!out->nr_cpus_dropped++)
			madt_log(p, ACPI_LOG_WARN, "more than ", ACPI_MAX_CPUS, 10,
				 " CPUs, only the first are used");
		return;
	}
	cpu = &out->cpus[out->nr_cpus++];
	cpu->apic_id = apic_id;
	cpu->acpi_id = acpi_id;
	cpu->flags = flags & (ACPI_CPU_ENABLED | ACPI_CPU_ONLINE_CAPABLE);
	cpu->x2apic = x2apic;
}

static void madt_ioapic(struct acpi_parser *p, const uint8_t *e)
{
	struct acpi_info *out = p->out;
	struct acpi_ioapic *io;

	if (out->nr_ioapics == ACPI_MAX_IOAPICS) {
		if (!out->nr_ioapics_dropped++)
			madt_log(p, ACPI_LOG_WARN, "more than ", ACPI_MAX_IOAPICS, 10,
				 " I/O APICs, the rest ignored");
		return;
	}
	io = &out->ioapics[out->nr_ioapics++];
	io->id = e[2];
	io->address = acpi_rd32(e + 4);
	io->gsi_base = acpi_rd32(e + 8);
}

static void madt_irq_override(struct acpi_parser *p, const uint8_t *e)
{
	struct acpi_info *out = p->out;
	struct acpi_irq_override *iso;

	if (out->nr_irq_overrides == ACPI_MAX_IRQ_OVERRIDES) {
		if (!out->nr_irq_overrides_dropped++)
			madt_log(p, ACPI_LOG_WARN, "more than ", ACPI_MAX_IRQ_OVERRIDES, 10,
				 " interrupt source overrides, the rest ignored");
		return;
	}
	iso = &out->irq_overrides[out->nr_irq_overrides++];
	iso->bus = e[2];
	iso->source = e[3];
	iso->gsi = acpi_rd32(e + 4);
	iso->flags = acpi_rd16(e + 8);
}

static void madt_nmi(struct acpi_parser *p, uint32_t acpi_id, uint16_t flags, uint8_t lint,
		     bool x2apic)
{
	struct acpi_info *out = p->out;
	struct acpi_lapic_nmi *nmi;

	if (out->nr_lapic_nmis == ACPI_MAX_LAPIC_NMIS) {
		if (!out->nr_lapic_nmis_dropped++)
			madt_log(p, ACPI_LOG_WARN, "more than ", ACPI_MAX_LAPIC_NMIS, 10,
				 " local APIC NMI entries, the rest ignored");
		return;
	}
	nmi = &out->lapic_nmis[out->nr_lapic_nmis++];
	nmi->acpi_id = acpi_id;
	nmi->flags = flags;
	nmi->lint = lint;
	nmi->x2apic = x2apic;
}

static void madt_entry(struct acpi_parser *p, const uint8_t *e, bool *addr_overridden)
{
	switch (e[0]) {
	case MADT_LAPIC:
		madt_cpu(p, e[3], e[2], acpi_rd32(e + 4), false);
		break;
	case MADT_X2APIC:
		madt_cpu(p, acpi_rd32(e + 4), acpi_rd32(e + 12), acpi_rd32(e + 8), true);
		break;
	case MADT_IOAPIC:
		madt_ioapic(p, e);
		break;
	case MADT_IRQ_OVERRIDE:
		madt_irq_override(p, e);
		break;
	case MADT_LAPIC_NMI:
		madt_nmi(p, e[2] == MADT_LAPIC_NMI_ALL ? ACPI_NMI_ALL_CPUS : e[2], acpi_rd16(e + 3), e[5],
			 false);
		break;
	case MADT_X2APIC_NMI:
		madt_nmi(p, acpi_rd32(e + 4), acpi_rd16(e + 2), e[8], true);
		break;
	case MADT_LAPIC_ADDR_OVERRIDE:
		/* At most one is allowed (5.2.12.8); if firmware gives more, the first wins. */
		if (!*addr_overridden)
			p->out->lapic_addr = acpi_rd64(e + 4);
		*addr_overridden = true;
		break;
	default:
		break;
	}
}

void acpi_madt_parse(struct acpi_parser *p, paddr_t pa, const uint8_t *t, uint32_t len)
{
	struct acpi_info *out = p->out;
	bool addr_overridden = false;
	uint32_t off;

	if (len < MADT_ENTRIES) {
		acpi_log_table_len(p, "APIC", pa, len, " too short for a MADT, ignored");
		return;
	}
	out->madt_valid = true;
	out->madt_pa = pa;
	out->lapic_addr = acpi_rd32(t + MADT_LAPIC_ADDR);
	out->madt_flags = acpi_rd32(t + MADT_FLAGS);

	/* Each entry: type (1 byte), length (1 byte, includes both), body. */
	for (off = MADT_ENTRIES; off < len; off += t[off + 1]) {
		uint32_t room = len - off;

		if (room < 2 || t[off + 1] < 2 || t[off + 1] > room) {
			madt_log(p, ACPI_LOG_ERR, "entry at offset ", off, 16,
				 " overruns the table or has a bad length, rest of the table ignored");
			out->madt_errors++;
			return;
		}
		if (t[off + 1] < madt_min_len(t[off])) {
			madt_log(p, ACPI_LOG_ERR, "entry at offset ", off, 16,
				 " is too short for its type, rest of the table ignored");
			out->madt_errors++;
			return;
		}
		madt_entry(p, t + off, &addr_overridden);
	}
}
