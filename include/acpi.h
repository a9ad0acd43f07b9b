/*
 * ACPI firmware tables, reduced to what the hypervisor needs: the CPUs, I/O APICs and NMI wiring
 * from the MADT, and the reset register, PM1 control blocks and DSDT address from the FADT.
 *
 * The parser only reads memory through a struct phys_view, validates every length and checksum
 * before it trusts a table, and reports each table it ignores (by signature and address) through
 * a log callback. It never writes to firmware memory and keeps no state outside struct acpi_info.
 */
#ifndef HV_ACPI_H
#define HV_ACPI_H

#include "physmem.h"
#include "types.h"

/* Levels passed to the log callback (the kernel/syslog numbering). Messages have no newline. */
#define ACPI_LOG_ERR 3
#define ACPI_LOG_WARN 4
#define ACPI_LOG_INFO 6
#define ACPI_LOG_DEBUG 7

typedef void (*acpi_log_fn)(int level, const char *msg, void *ctx);

/* Capacities of struct acpi_info; entries beyond them are counted in the *_dropped fields. */
#define ACPI_MAX_CPUS 256
#define ACPI_MAX_IOAPICS 32
#define ACPI_MAX_IRQ_OVERRIDES 48
#define ACPI_MAX_LAPIC_NMIS 256
#define ACPI_MAX_TABLES 64

#define ACPI_SIG_LEN 4

/* Generic Address Structure address spaces (ACPI 6.5 section 5.2.3.2). */
#define ACPI_GAS_SYSTEM_MEMORY 0
#define ACPI_GAS_SYSTEM_IO 1
#define ACPI_GAS_PCI_CONFIG 2

struct acpi_gas {
	uint64_t address; /* 0: register absent */
	uint8_t space_id; /* ACPI_GAS_* */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size; /* 0 undefined, 1 byte, 2 word, 3 dword, 4 qword */
};

/* MADT processor flags (Processor Local APIC / x2APIC structures). */
#define ACPI_CPU_ENABLED (1u << 0)
#define ACPI_CPU_ONLINE_CAPABLE (1u << 1)

struct acpi_cpu {
	uint32_t apic_id; /* xAPIC ID (0..254) or x2APIC ID */
	uint32_t acpi_id; /* ACPI processor ID (xAPIC entry) or processor UID (x2APIC entry) */
	uint32_t flags;   /* ACPI_CPU_*: enabled, or only online-capable (hot-pluggable) */
	bool x2apic;      /* listed by a Processor Local x2APIC structure */
};

struct acpi_ioapic {
	uint32_t address; /* MMIO base */
	uint32_t gsi_base;
	uint8_t id;
};

/* Interrupt Source Override: ISA IRQ `source` arrives on `gsi` with MPS INTI `flags`. */
struct acpi_irq_override {
	uint32_t gsi;
	uint16_t flags;
	uint8_t bus;
	uint8_t source;
};

/* Local APIC NMI: which LINT pin of which processor(s) is wired to NMI. */
#define ACPI_NMI_ALL_CPUS 0xFFFFFFFFu

struct acpi_lapic_nmi {
	uint32_t acpi_id; /* processor ID/UID, ACPI_NMI_ALL_CPUS for all (xAPIC 0xFF is widened) */
	uint16_t flags;   /* MPS INTI flags: polarity and trigger mode */
	uint8_t lint;     /* 0 = LINT0, 1 = LINT1 */
	bool x2apic;      /* from a Local x2APIC NMI structure */
};

/* FADT flags (ACPI 6.5 table 5.10) and IA-PC boot architecture flags (table 5.11). */
#define ACPI_FADT_RESET_REG_SUP (1u << 10)
#define ACPI_FADT_HW_REDUCED_ACPI (1u << 20)
#define ACPI_IAPC_LEGACY_DEVICES (1u << 0)
#define ACPI_IAPC_8042 (1u << 1)
#define ACPI_IAPC_NO_VGA (1u << 2)
#define ACPI_IAPC_NO_MSI (1u << 3)
#define ACPI_IAPC_NO_ASPM (1u << 4)
#define ACPI_IAPC_NO_CMOS_RTC (1u << 5)

/* Fields the FADT's length does not cover stay 0 and their *_valid flag false. */
struct acpi_fadt_info {
	uint32_t length;
	uint8_t revision; /* header revision: 1 = ACPI 1.0 ... 6 = ACPI 6.x */
	uint32_t flags;   /* offset 112 */
	bool flags_valid;
	bool reset_reg_sup;        /* flags bit 10 (RESET_REG_SUP) */
	bool reset_reg_valid;      /* the table covers RESET_REG and RESET_VALUE */
	struct acpi_gas reset_reg; /* offset 116 */
	uint8_t reset_value;       /* offset 128 */
	uint16_t iapc_boot_arch;   /* offset 109, ACPI_IAPC_* */
	bool iapc_boot_arch_valid;
	/* X_PM1x_CNT_BLK when present and non-zero, else the 32-bit port as a System I/O GAS. */
	struct acpi_gas pm1a_cnt;
	struct acpi_gas pm1b_cnt;
	uint8_t pm1_cnt_len; /* bytes */
	uint32_t smi_cmd;    /* port, 0 = no SMM mode transitions */
	paddr_t dsdt;        /* X_DSDT when present and non-zero, else DSDT */
	paddr_t facs;        /* X_FIRMWARE_CTRL when present and non-zero, else FIRMWARE_CTRL */
	struct acpi_gas sleep_control; /* SLEEP_CONTROL_REG (hardware-reduced ACPI), offset 244 */
};

/*
 * PM1 control register bits (ACPI 6.5 table 4.13) and the hardware-reduced sleep control register
 * (section 4.8.3.7): the sleep type the DSDT's \_Sx object names, and the enable that enters it.
 */
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_EN (1u << 13)
#define ACPI_SLEEP_CTL_SLP_TYP_SHIFT 2
#define ACPI_SLEEP_CTL_SLP_EN (1u << 5)
#define ACPI_SLP_TYP_MASK 7u

/* Firmware ACPI Control Structure (section 5.2.10): the waking vectors and their flags. */
#define ACPI_FACS_WAKING_VECTOR 12   /* 32-bit: real mode, CS = vector >> 4, IP = vector & 0xF */
#define ACPI_FACS_FLAGS 20
#define ACPI_FACS_X_WAKING_VECTOR 24 /* 64-bit field: protected or long mode entry when non-zero */
#define ACPI_FACS_VERSION 32
#define ACPI_FACS_OSPM_FLAGS 36
#define ACPI_FACS_MIN_LEN 64
#define ACPI_FACS_64BIT_WAKE_SUPPORTED (1u << 1) /* flags */
#define ACPI_FACS_64BIT_WAKE (1u << 0)           /* OSPM flags */

/* SLP_TYPa/SLP_TYPb of one \_Sx object of the DSDT (section 7.4.2), x = 0..5. */
#define ACPI_NR_SLEEP_STATES 6
struct acpi_sleep_type {
	bool valid;
	uint8_t typ_a, typ_b;
};

/* A table listed by the RSDT/XSDT (and the root table itself), whether usable or not. */
struct acpi_table_ref {
	char sig[ACPI_SIG_LEN + 1]; /* NUL-terminated; "????" when the header was unreadable */
	paddr_t pa;
	uint32_t length; /* from the header, 0 when unreadable */
	bool valid;      /* length sane, readable, checksum correct */
};

struct acpi_info {
	/* RSDP: found = a structure with the signature was seen, valid = it passed its checksums. */
	bool rsdp_found;
	bool rsdp_valid;
	bool rsdp_from_copy; /* the boot loader's copy was used; rsdp_pa is then 0 */
	paddr_t rsdp_pa;
	uint8_t rsdp_revision; /* 0 = ACPI 1.0 (RSDT only), 2 = ACPI 2.0+ */

	/* Root table actually used. */
	bool root_valid;
	bool root_is_xsdt;
	paddr_t root_pa;

	struct acpi_table_ref tables[ACPI_MAX_TABLES];
	uint32_t nr_tables;
	uint32_t nr_tables_dropped;

	/*
	 * MADT. When madt_valid is false, nr_cpus is 0 and the caller runs on the boot CPU alone.
	 * A broken entry stops the entry walk (madt_errors counts it) but keeps what came before.
	 */
	bool madt_found;
	bool madt_valid;
	paddr_t madt_pa;
	uint64_t lapic_addr; /* after the 64-bit override (entry type 5) */
	uint32_t madt_flags; /* bit 0: PCAT_COMPAT (dual 8259 present) */
	uint32_t madt_errors;

	struct acpi_cpu cpus[ACPI_MAX_CPUS]; /* enabled or online-capable, in table order */
	uint32_t nr_cpus;
	uint32_t nr_cpus_disabled;  /* neither enabled nor online-capable: not listed */
	uint32_t nr_cpus_duplicate; /* APIC ID seen before: not listed */
	uint32_t nr_cpus_dropped;   /* beyond ACPI_MAX_CPUS */

	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	uint32_t nr_ioapics;
	uint32_t nr_ioapics_dropped;

	struct acpi_irq_override irq_overrides[ACPI_MAX_IRQ_OVERRIDES];
	uint32_t nr_irq_overrides;
	uint32_t nr_irq_overrides_dropped;

	struct acpi_lapic_nmi lapic_nmis[ACPI_MAX_LAPIC_NMIS];
	uint32_t nr_lapic_nmis;
	uint32_t nr_lapic_nmis_dropped;

	/* FADT (signature "FACP"). */
	bool fadt_found;
	bool fadt_valid;
	paddr_t fadt_pa;
	struct acpi_fadt_info fadt;

	/* FACS (from the FADT) and the sleep types the DSDT declares, read once at boot. */
	bool facs_valid;
	paddr_t facs_pa;
	uint32_t facs_length;
	struct acpi_sleep_type sleep_types[ACPI_NR_SLEEP_STATES];
};

/*
 * Search the first KiB of the EBDA, then 0xE0000-0xFFFFF, on 16-byte boundaries for a valid RSDP
 * (signature, 20-byte checksum, and for revision >= 2 a sane length and the extended checksum).
 * Returns 0 and its address in *out, or -E_NOENT.
 */
int acpi_find_rsdp(const struct phys_view *mem, paddr_t *out);

/*
 * Parse the ACPI tables into *out (always fully initialized, even on failure).
 * rsdp_copy/rsdp_len: the RSDP copy from a multiboot2 tag, or NULL to search memory (an invalid
 * copy is reported and memory is searched too). Uses the XSDT when the RSDP revision is >= 2 and
 * the XSDT is valid, else the RSDT. Tables with a bad checksum or impossible length are reported
 * through log (may be NULL) and ignored. Returns 0 when a valid RSDP and root table were found
 * (check madt_valid/fadt_valid for the rest), -E_NOENT without a valid RSDP, -E_INVAL without a
 * valid root table.
 */
int acpi_parse(const struct phys_view *mem, const uint8_t *rsdp_copy, size_t rsdp_len,
	       struct acpi_info *out, acpi_log_fn log, void *log_ctx);

/*
 * Whether the FADT reset register may be used to reset the machine: the FADT is valid, covers
 * the register, sets RESET_REG_SUP, and describes an 8-bit register at bit 0 in memory, I/O or
 * PCI configuration space (ACPI 6.5 section 4.8.3.6).
 */
bool acpi_reset_reg_usable(const struct acpi_info *info);

/*
 * Scans an AML byte stream (a DSDT body) for the named package \_Sx (x = state) and returns its
 * first two elements, SLP_TYPa and SLP_TYPb, when they are integer constants. Only the static
 * form firmware uses, `Name (_Sx, Package () { a, b, ... })`, is recognized.
 */
bool acpi_aml_sleep_type(const uint8_t *aml, uint32_t len, unsigned int state, struct acpi_sleep_type *out);

#endif
