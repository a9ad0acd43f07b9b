/*
 * ACPI table parser: RSDP -> XSDT/RSDT -> MADT ("APIC") and FADT ("FACP").
 *
 * Firmware tables are untrusted input. Every read goes through phys_map() for exactly the bytes
 * being read: a table's header is mapped first, its length checked, then the whole table mapped
 * and its checksum verified before any field beyond the header is used. Multi-byte fields are
 * read byte by byte (tables are packed and XSDT entries are only 4-byte aligned).
 * References are to the ACPI 6.5 specification.
 */
#include "acpi.h"
#include "acpi_internal.h"
#include "errno.h"

/* Root System Description Pointer (5.2.5.3). */
#define RSDP_SIG "RSD PTR "
#define RSDP_SIG_LEN 8
#define RSDP_CHECKSUM 8
#define RSDP_REVISION 15
#define RSDP_RSDT 16
#define RSDP_LENGTH 20
#define RSDP_XSDT 24
#define RSDP_V1_LEN 20 /* the ACPI 1.0 part covered by the first checksum */
#define RSDP_V2_LEN 36
#define RSDP_MAX_LEN 4096 /* sanity bound for the extended length */

/* Where to look for the RSDP on BIOS systems (5.2.5.1). */
#define BDA_EBDA_SEGMENT 0x40E
#define EBDA_SEARCH_LEN 1024
#define EBDA_LOWEST 0x500     /* above the BIOS data area */
#define EBDA_END 0xA0000      /* below the legacy video window */
#define BIOS_AREA_START 0xE0000
#define BIOS_AREA_END 0x100000
#define RSDP_ALIGN 16

/* System Description Table Header fields are in acpi_internal.h. */
#define TABLE_MAX_LEN (1u << 20) /* a longer MADT/FADT/root table is corrupt */

enum rsdp_kind { RSDP_BAD, RSDP_V1, RSDP_V2 };

/* ---- little helpers (no libc here) ---- */

uint16_t acpi_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t acpi_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t acpi_rd64(const uint8_t *p)
{
	return (uint64_t)acpi_rd32(p) | (uint64_t)acpi_rd32(p + 4) << 32;
}

static bool bytes_eq(const uint8_t *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != (uint8_t)b[i])
			return false;
	return true;
}

static bool sig_is(const char *sig, const char *want)
{
	return bytes_eq((const uint8_t *)sig, want, ACPI_SIG_LEN);
}

/* ACPI checksums: all bytes of the structure sum to 0 modulo 256. */
static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum;
}

static void zero(void *p, size_t n)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = 0;
}

/* Signature as a printable string: anything but printable ASCII becomes '?'. */
static void sig_copy(char out[ACPI_SIG_LEN + 1], const uint8_t *p)
{
	for (int i = 0; i < ACPI_SIG_LEN; i++)
		out[i] = (p && p[i] >= 0x20 && p[i] < 0x7F) ? (char)p[i] : '?';
	out[ACPI_SIG_LEN] = '\0';
}

/* ---- log messages, built without printf ---- */

static void msg_char(struct msg *m, char c)
{
	if (m->len + 1 < sizeof(m->buf))
		m->buf[m->len++] = c;
	m->buf[m->len] = '\0';
}

void acpi_msg_str(struct msg *m, const char *s)
{
	while (*s)
		msg_char(m, *s++);
}

void acpi_msg_num(struct msg *m, uint64_t v, unsigned int base)
{
	char digits[20];
	int n = 0;

	if (base == 16)
		acpi_msg_str(m, "0x");
	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n)
		msg_char(m, digits[--n]);
}

static void msg_hex(struct msg *m, uint64_t v)
{
	acpi_msg_num(m, v, 16);
}

static void msg_dec(struct msg *m, uint64_t v)
{
	acpi_msg_num(m, v, 10);
}

static void msg_start(struct msg *m, const char *s)
{
	m->len = 0;
	m->buf[0] = '\0';
	acpi_msg_str(m, "ACPI: ");
	acpi_msg_str(m, s);
}

/* "ACPI: APIC table at 0x7fe1000: " (or "ACPI: table at ..." when the name is unknown). */
void acpi_msg_table(struct msg *m, const char *sig, paddr_t pa)
{
	msg_start(m, "");
	if (sig) {
		acpi_msg_str(m, sig);
		msg_char(m, ' ');
	}
	acpi_msg_str(m, "table at ");
	msg_hex(m, pa);
	acpi_msg_str(m, ": ");
}

void acpi_msg_emit(struct acpi_parser *p, int level, struct msg *m)
{
	if (p && p->log)
		p->log(level, m->buf, p->log_ctx);
}

static void log_table(struct acpi_parser *p, int level, const char *sig, paddr_t pa,
		      const char *what)
{
	struct msg m;

	acpi_msg_table(&m, sig, pa);
	acpi_msg_str(&m, what);
	acpi_msg_emit(p, level, &m);
}

/* ---- RSDP ---- */

/*
 * Check an RSDP of which `avail` bytes are readable at r. A revision >= 2 RSDP whose extended
 * part is not available (a boot loader that copied only 20 bytes) is still usable as ACPI 1.0.
 * *why explains a RSDP_BAD result, or a downgrade to RSDP_V1.
 */
static enum rsdp_kind rsdp_check(const uint8_t *r, size_t avail, const char **why)
{
	uint32_t len;

	*why = NULL;
	if (avail < RSDP_V1_LEN) {
		*why = "too short";
		return RSDP_BAD;
	}
	if (!bytes_eq(r, RSDP_SIG, RSDP_SIG_LEN)) {
		*why = "bad signature";
		return RSDP_BAD;
	}
	if (checksum(r, RSDP_V1_LEN)) {
		*why = "checksum mismatch";
		return RSDP_BAD;
	}
	if (r[RSDP_REVISION] < 2)
		return RSDP_V1;
	if (avail < RSDP_V2_LEN) {
		*why = "revision 2 fields not available, using the RSDT";
		return RSDP_V1;
	}
	len = acpi_rd32(r + RSDP_LENGTH);
	if (len < RSDP_V2_LEN || len > RSDP_MAX_LEN) {
		*why = "impossible length";
		return RSDP_BAD;
	}
	if (len > avail) {
		*why = "extended part not readable, using the RSDT";
		return RSDP_V1;
	}
	if (checksum(r, len)) {
		*why = "extended checksum mismatch";
		return RSDP_BAD;
	}
	return RSDP_V2;
}

/* Validate the candidate at pa, mapping only as much as its own fields say it spans. */
static enum rsdp_kind rsdp_probe(const struct phys_view *mem, paddr_t pa, bool *seen,
				 const char **why)
{
	const uint8_t *r = phys_map(mem, pa, RSDP_V1_LEN);
	const uint8_t *more;
	size_t avail = RSDP_V1_LEN;

	*why = NULL;
	if (!r || !bytes_eq(r, RSDP_SIG, RSDP_SIG_LEN))
		return RSDP_BAD;
	*seen = true;
	if (r[RSDP_REVISION] >= 2 && (more = phys_map(mem, pa, RSDP_V2_LEN))) {
		uint32_t len = acpi_rd32(more + RSDP_LENGTH);

		r = more;
		avail = RSDP_V2_LEN;
		if (len > RSDP_V2_LEN && len <= RSDP_MAX_LEN && (more = phys_map(mem, pa, len))) {
			r = more;
			avail = len;
		}
	}
	return rsdp_check(r, avail, why);
}

static enum rsdp_kind rsdp_scan_range(const struct phys_view *mem, struct acpi_parser *p,
				      paddr_t start, paddr_t end, paddr_t *out)
{
	for (paddr_t pa = start; pa + RSDP_V1_LEN <= end; pa += RSDP_ALIGN) {
		bool seen = false;
		const char *why;
		enum rsdp_kind kind = rsdp_probe(mem, pa, &seen, &why);

		if (seen && p)
			p->out->rsdp_found = true;
		if (kind != RSDP_BAD) {
			*out = pa;
			return kind;
		}
		if (seen && p) {
			struct msg m;

			msg_start(&m, "RSDP candidate at ");
			msg_hex(&m, pa);
			acpi_msg_str(&m, ": ");
			acpi_msg_str(&m, why);
			acpi_msg_str(&m, ", skipped");
			acpi_msg_emit(p, ACPI_LOG_WARN, &m);
		}
	}
	return RSDP_BAD;
}

/* BIOS search order (5.2.5.1): first KiB of the EBDA, then the BIOS area 0xE0000-0xFFFFF. */
static enum rsdp_kind rsdp_scan(const struct phys_view *mem, struct acpi_parser *p,
				paddr_t *out)
{
	const uint8_t *seg = phys_map(mem, BDA_EBDA_SEGMENT, 2);
	enum rsdp_kind kind;

	if (seg) {
		paddr_t ebda = (paddr_t)acpi_rd16(seg) << 4;

		if (ebda >= EBDA_LOWEST && ebda + EBDA_SEARCH_LEN <= EBDA_END) {
			kind = rsdp_scan_range(mem, p, ebda, ebda + EBDA_SEARCH_LEN, out);
			if (kind != RSDP_BAD)
				return kind;
		}
	}
	return rsdp_scan_range(mem, p, BIOS_AREA_START, BIOS_AREA_END, out);
}

int acpi_find_rsdp(const struct phys_view *mem, paddr_t *out)
{
	return rsdp_scan(mem, NULL, out) == RSDP_BAD ? -E_NOENT : 0;
}

/* ---- tables ---- */

static struct acpi_table_ref *table_record(struct acpi_parser *p, paddr_t pa)
{
	struct acpi_info *out = p->out;
	struct acpi_table_ref *ref;

	if (out->nr_tables == ACPI_MAX_TABLES) {
		if (!out->nr_tables_dropped++) {
			struct msg m;

			msg_start(&m, "more than ");
			msg_dec(&m, ACPI_MAX_TABLES);
			acpi_msg_str(&m, " tables, the rest are not listed");
			acpi_msg_emit(p, ACPI_LOG_INFO, &m);
		}
		return NULL;
	}
	ref = &out->tables[out->nr_tables++];
	ref->pa = pa;
	sig_copy(ref->sig, NULL);
	return ref;
}

void acpi_log_table_len(struct acpi_parser *p, const char *sig, paddr_t pa, uint32_t len,
			const char *what)
{
	struct msg m;

	acpi_msg_table(&m, sig, pa);
	acpi_msg_str(&m, "length ");
	msg_dec(&m, len);
	acpi_msg_str(&m, what);
	acpi_msg_emit(p, ACPI_LOG_WARN, &m);
}

/*
 * Map and validate the table at pa and record it in out->tables. sig receives its signature
 * ("????" when the header is unreadable). Returns the whole table and its length, or NULL after
 * reporting why it is ignored. `name` names the table in messages when its header is unreadable.
 */
static const uint8_t *table_get(struct acpi_parser *p, paddr_t pa, const char *name,
				char sig[ACPI_SIG_LEN + 1], uint32_t *len_out)
{
	struct acpi_table_ref *ref = table_record(p, pa);
	const uint8_t *hdr = phys_map(p->mem, pa, HDR_LEN);
	const uint8_t *t;
	uint32_t len;

	sig_copy(sig, hdr);
	if (!hdr) {
		log_table(p, ACPI_LOG_WARN, name, pa, "header not readable, ignored");
		return NULL;
	}
	len = acpi_rd32(hdr + HDR_LENGTH);
	if (ref) {
		sig_copy(ref->sig, hdr);
		ref->length = len;
	}
	if (len < HDR_LEN || len > TABLE_MAX_LEN) {
		acpi_log_table_len(p, sig, pa, len, " impossible, ignored");
		return NULL;
	}
	t = phys_map(p->mem, pa, len);
	if (!t) {
		acpi_log_table_len(p, sig, pa, len, " beyond readable memory, ignored");
		return NULL;
	}
	if (checksum(t, len)) {
		log_table(p, ACPI_LOG_WARN, sig, pa, "checksum mismatch, ignored");
		return NULL;
	}
	if (ref)
		ref->valid = true;
	*len_out = len;
	return t;
}

/* ---- FADT (parsed in acpi_fadt.c) ---- */

bool acpi_reset_reg_usable(const struct acpi_info *info)
{
	const struct acpi_fadt_info *f = &info->fadt;

	return info->fadt_valid && f->reset_reg_valid && f->reset_reg_sup &&
	       f->reset_reg.address && f->reset_reg.bit_width == 8 && f->reset_reg.bit_offset == 0 &&
	       f->reset_reg.space_id <= ACPI_GAS_PCI_CONFIG;
}

/* ---- root table and dispatch ---- */

static void table_dispatch(struct acpi_parser *p, paddr_t pa)
{
	struct acpi_info *out = p->out;
	char sig[ACPI_SIG_LEN + 1];
	uint32_t len = 0;
	const uint8_t *t = table_get(p, pa, NULL, sig, &len);

	if (sig_is(sig, "APIC")) {
		out->madt_found = true;
		if (t && out->madt_valid)
			log_table(p, ACPI_LOG_WARN, sig, pa, "second MADT, ignored");
		else if (t)
			acpi_madt_parse(p, pa, t, len);
	} else if (sig_is(sig, "FACP")) {
		out->fadt_found = true;
		if (t && out->fadt_valid)
			log_table(p, ACPI_LOG_WARN, sig, pa, "second FADT, ignored");
		else if (t)
			acpi_fadt_parse(p, pa, t, len);
	}
}

static bool root_load(struct acpi_parser *p, paddr_t pa, bool xsdt)
{
	const char *want = xsdt ? "XSDT" : "RSDT";
	uint32_t entry_len = xsdt ? 8 : 4;
	char sig[ACPI_SIG_LEN + 1];
	uint32_t len = 0, count;
	const uint8_t *t = table_get(p, pa, want, sig, &len);

	if (!t)
		return false;
	if (!sig_is(sig, want)) {
		struct msg m;

		acpi_msg_table(&m, sig, pa);
		acpi_msg_str(&m, "expected ");
		acpi_msg_str(&m, want);
		acpi_msg_str(&m, ", ignored");
		acpi_msg_emit(p, ACPI_LOG_WARN, &m);
		return false;
	}
	p->out->root_valid = true;
	p->out->root_is_xsdt = xsdt;
	p->out->root_pa = pa;

	count = (len - HDR_LEN) / entry_len;
	if ((len - HDR_LEN) % entry_len)
		acpi_log_table_len(p, want, pa, len, " is not a whole number of entries, tail ignored");
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *e = t + HDR_LEN + i * entry_len;
		paddr_t entry = xsdt ? acpi_rd64(e) : acpi_rd32(e);

		if (!entry) {
			log_table(p, ACPI_LOG_DEBUG, want, pa, "null entry skipped");
			continue;
		}
		table_dispatch(p, entry);
	}
	return true;
}

/* Pick the RSDP: the boot loader's copy when it is valid, else search memory. */
static const uint8_t *rsdp_get(struct acpi_parser *p, const uint8_t *copy, size_t copy_len,
			       enum rsdp_kind *kind)
{
	struct acpi_info *out = p->out;
	const char *why = NULL;
	paddr_t pa;

	if (copy) {
		struct msg m;

		if (copy_len >= RSDP_SIG_LEN && bytes_eq(copy, RSDP_SIG, RSDP_SIG_LEN))
			out->rsdp_found = true;
		*kind = rsdp_check(copy, copy_len, &why);
		if (why) {
			msg_start(&m, "RSDP copy from the boot loader: ");
			acpi_msg_str(&m, why);
			if (*kind == RSDP_BAD)
				acpi_msg_str(&m, ", searching memory");
			acpi_msg_emit(p, ACPI_LOG_WARN, &m);
		}
		if (*kind != RSDP_BAD) {
			out->rsdp_from_copy = true;
			return copy;
		}
	}
	*kind = rsdp_scan(p->mem, p, &pa);
	if (*kind == RSDP_BAD)
		return NULL;
	out->rsdp_pa = pa;
	return phys_map(p->mem, pa, *kind == RSDP_V2 ? RSDP_V2_LEN : RSDP_V1_LEN);
}

int acpi_parse(const struct phys_view *mem, const uint8_t *rsdp_copy, size_t rsdp_len,
	       struct acpi_info *out, acpi_log_fn log, void *log_ctx)
{
	struct acpi_parser p = { .mem = mem, .out = out, .log = log, .log_ctx = log_ctx };
	enum rsdp_kind kind = RSDP_BAD;
	const uint8_t *rsdp;
	struct msg m;
	uint64_t xsdt = 0;

	zero(out, sizeof(*out));
	rsdp = rsdp_get(&p, rsdp_copy, rsdp_len, &kind);
	if (!rsdp) {
		msg_start(&m, "no valid RSDP found");
		acpi_msg_emit(&p, ACPI_LOG_ERR, &m);
		return -E_NOENT;
	}
	out->rsdp_valid = true;
	out->rsdp_revision = rsdp[RSDP_REVISION];
	if (kind == RSDP_V2)
		xsdt = acpi_rd64(rsdp + RSDP_XSDT);

	if (xsdt && !root_load(&p, xsdt, true)) {
		msg_start(&m, "XSDT unusable, falling back to the RSDT");
		acpi_msg_emit(&p, ACPI_LOG_WARN, &m);
	}
	if (!out->root_valid && acpi_rd32(rsdp + RSDP_RSDT))
		root_load(&p, acpi_rd32(rsdp + RSDP_RSDT), false);
	if (!out->root_valid) {
		msg_start(&m, "no valid RSDT or XSDT");
		acpi_msg_emit(&p, ACPI_LOG_ERR, &m);
		return -E_INVAL;
	}
	if (!out->madt_valid) {
		msg_start(&m, "no valid MADT, only the boot CPU will run");
		acpi_msg_emit(&p, ACPI_LOG_WARN, &m);
	}
	if (!out->fadt_valid) {
		msg_start(&m, "no valid FADT");
		acpi_msg_emit(&p, ACPI_LOG_WARN, &m);
	} else {
		acpi_sleep_parse(&p);
	}
	return 0;
}
