/*
 * ACPI DMAR parser: see include/acpi_dmar.h. References are to the Intel VT-d specification
 * (rev. 4.x, chapter 8) and ACPI 6.5 for the header.
 */
#include "acpi_dmar.h"
#include "acpi_internal.h"
#include "errno.h"

#define DMAR_TABLE_MAX_LEN (1u << 20)

/* DMA Remapping Reporting Structure (8.1). */
#define DMAR_HAW 36
#define DMAR_FLAGS 37
#define DMAR_STRUCTS 48

/* Remapping structure header: type (2 bytes), length (2 bytes). */
#define RS_HDR_LEN 4

enum dmar_struct_type {
	DMAR_TYPE_DRHD = 0,
	DMAR_TYPE_RMRR = 1,
	DMAR_TYPE_ATSR = 2,
	DMAR_TYPE_RHSA = 3,
	DMAR_TYPE_ANDD = 4,
	DMAR_TYPE_SATC = 5,
};

/* DRHD (8.3). */
#define DRHD_FLAGS 4
#define DRHD_SIZE 5
#define DRHD_SEGMENT 6
#define DRHD_REG_BASE 8
#define DRHD_SCOPES 16
#define DRHD_INCLUDE_PCI_ALL (1u << 0)
#define DRHD_SIZE_MASK 0xF

/* RMRR (8.4). */
#define RMRR_SEGMENT 6
#define RMRR_BASE 8
#define RMRR_LIMIT 16
#define RMRR_SCOPES 24

/* Device scope (8.3.1): type, length, flags, reserved, enumeration ID, start bus, path. */
#define SCOPE_TYPE 0
#define SCOPE_LENGTH 1
#define SCOPE_ENUM_ID 4
#define SCOPE_BUS 5
#define SCOPE_PATH 6
#define SCOPE_MIN_LEN 8 /* at least one path entry */

#define PCI_MAX_DEV 31
#define PCI_MAX_FN 7
#define DMAR_PAGE 4096ULL

static const char *struct_name(uint16_t type)
{
	switch (type) {
	case DMAR_TYPE_DRHD: return "DRHD";
	case DMAR_TYPE_RMRR: return "RMRR";
	case DMAR_TYPE_ATSR: return "ATSR";
	case DMAR_TYPE_RHSA: return "RHSA";
	case DMAR_TYPE_ANDD: return "ANDD";
	case DMAR_TYPE_SATC: return "SATC";
	default: return "structure";
	}
}

/* "ACPI: DMAR table at PA: <name> at offset OFF: <what>" */
static void dmar_log(struct acpi_parser *p, paddr_t pa, int level, const char *name, uint32_t off,
		     const char *what)
{
	struct msg m;

	acpi_msg_table(&m, "DMAR", pa);
	acpi_msg_str(&m, name);
	acpi_msg_str(&m, " at offset ");
	acpi_msg_num(&m, off, 16);
	acpi_msg_str(&m, ": ");
	acpi_msg_str(&m, what);
	acpi_msg_emit(p, level, &m);
}

static bool checksum_ok(const uint8_t *t, uint32_t len)
{
	uint8_t sum = 0;

	for (uint32_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + t[i]);
	return sum == 0;
}

static void clear(void *ptr, size_t n)
{
	uint8_t *b = ptr;

	for (size_t i = 0; i < n; i++)
		b[i] = 0;
}

struct dmar_walk {
	struct acpi_parser p;
	struct dmar_info *out;
};

/*
 * Check one device scope of `len` bytes at s (len already known to fit the structure) and record
 * it. Returns false when it is malformed (reported; the caller skips it and goes on).
 */
static bool scope_add(struct dmar_walk *w, const uint8_t *s, uint8_t len, uint32_t off)
{
	struct dmar_info *out = w->out;
	uint32_t hops = (uint32_t)(len - SCOPE_PATH) / 2;
	struct dmar_scope *sc;

	if (len < SCOPE_MIN_LEN || (len - SCOPE_PATH) % 2) {
		dmar_log(&w->p, out->pa, ACPI_LOG_WARN, "device scope", off, "bad length, skipped");
		out->errors++;
		return false;
	}
	if (s[SCOPE_TYPE] < DMAR_SCOPE_PCI_ENDPOINT || s[SCOPE_TYPE] > DMAR_SCOPE_ACPI_NAMESPACE) {
		dmar_log(&w->p, out->pa, ACPI_LOG_WARN, "device scope", off, "unknown type, skipped");
		out->errors++;
		return false;
	}
	if (hops > DMAR_MAX_PATH) {
		dmar_log(&w->p, out->pa, ACPI_LOG_WARN, "device scope", off, "path too deep, skipped");
		out->errors++;
		return false;
	}
	for (uint32_t i = 0; i < hops; i++) {
		if (s[SCOPE_PATH + 2 * i] > PCI_MAX_DEV || s[SCOPE_PATH + 2 * i + 1] > PCI_MAX_FN) {
			dmar_log(&w->p, out->pa, ACPI_LOG_WARN, "device scope", off,
				 "device or function out of range, skipped");
			out->errors++;
			return false;
		}
	}
	if (out->nr_scopes == DMAR_MAX_SCOPES) {
		if (!out->nr_scopes_dropped++)
			dmar_log(&w->p, out->pa, ACPI_LOG_WARN, "device scope", off,
				 "too many device scopes, the rest are not listed");
		return false;
	}
	sc = &out->scopes[out->nr_scopes++];
	sc->type = s[SCOPE_TYPE];
	sc->enum_id = s[SCOPE_ENUM_ID];
	sc->bus = s[SCOPE_BUS];
	sc->path_len = (uint8_t)hops;
	for (uint32_t i = 0; i < hops; i++) {
		sc->path[i].dev = s[SCOPE_PATH + 2 * i];
		sc->path[i].fn = s[SCOPE_PATH + 2 * i + 1];
	}
	return true;
}

/*
 * The device scopes filling [start, len) of the structure at e (table offset `base`). A scope
 * whose length runs past the structure ends the list. Returns how many were recorded.
 */
static uint32_t scopes_parse(struct dmar_walk *w, const uint8_t *e, uint32_t base, uint32_t start,
			     uint32_t len)
{
	uint32_t n = 0;

	for (uint32_t off = start; off < len;) {
		uint32_t room = len - off;
		uint8_t slen = room >= 2 ? e[off + SCOPE_LENGTH] : 0;

		if (room < 2 || slen < 2 || slen > room) {
			dmar_log(&w->p, w->out->pa, ACPI_LOG_WARN, "device scope", base + off,
				 "overruns its structure, rest of the list ignored");
			w->out->errors++;
			break;
		}
		if (scope_add(w, e + off, slen, base + off))
			n++;
		off += slen;
	}
	return n;
}

static void drhd_parse(struct dmar_walk *w, const uint8_t *e, uint32_t off, uint16_t len)
{
	struct dmar_info *out = w->out;
	uint64_t reg = acpi_rd64(e + DRHD_REG_BASE);
	uint32_t first = out->nr_scopes;
	struct dmar_drhd *u;
	uint32_t n;

	if (!reg || !IS_ALIGNED(reg, DMAR_PAGE)) {
		dmar_log(&w->p, out->pa, ACPI_LOG_ERR, "DRHD", off,
			 "register base zero or not page-aligned, unit ignored");
		out->errors++;
		return;
	}
	n = scopes_parse(w, e, off, DRHD_SCOPES, len);
	if (out->nr_units == DMAR_MAX_UNITS) {
		out->nr_scopes = first; /* the unit is not listed: neither are its scopes */
		if (!out->nr_units_dropped++)
			dmar_log(&w->p, out->pa, ACPI_LOG_ERR, "DRHD", off,
				 "too many remapping units, the rest are not used");
		return;
	}
	u = &out->units[out->nr_units++];
	u->reg_base = reg;
	u->reg_size = DMAR_PAGE << (e[DRHD_SIZE] & DRHD_SIZE_MASK);
	u->segment = acpi_rd16(e + DRHD_SEGMENT);
	u->include_pci_all = e[DRHD_FLAGS] & DRHD_INCLUDE_PCI_ALL;
	u->first_scope = first;
	u->nr_scopes = n;
}

static void rmrr_parse(struct dmar_walk *w, const uint8_t *e, uint32_t off, uint16_t len)
{
	struct dmar_info *out = w->out;
	uint64_t base = acpi_rd64(e + RMRR_BASE), limit = acpi_rd64(e + RMRR_LIMIT);
	uint32_t first = out->nr_scopes;
	struct dmar_rmrr *r;
	uint32_t n;

	/* The limit is the last byte: [base, limit] must be whole pages (8.4). */
	if (limit < base || !IS_ALIGNED(base, DMAR_PAGE) || !IS_ALIGNED(limit + 1, DMAR_PAGE) ||
	    limit + 1 == 0) {
		dmar_log(&w->p, out->pa, ACPI_LOG_ERR, "RMRR", off,
			 "range empty, inverted or not page-aligned, ignored");
		out->errors++;
		return;
	}
	n = scopes_parse(w, e, off, RMRR_SCOPES, len);
	if (out->nr_rmrrs == DMAR_MAX_RMRRS) {
		out->nr_scopes = first;
		if (!out->nr_rmrrs_dropped++)
			dmar_log(&w->p, out->pa, ACPI_LOG_ERR, "RMRR", off,
				 "too many reserved memory regions, the rest are not mapped");
		return;
	}
	r = &out->rmrrs[out->nr_rmrrs++];
	r->segment = acpi_rd16(e + RMRR_SEGMENT);
	r->base = base;
	r->end = limit + 1;
	r->first_scope = first;
	r->nr_scopes = n;
}

static uint16_t struct_min_len(uint16_t type)
{
	switch (type) {
	case DMAR_TYPE_DRHD: return DRHD_SCOPES;
	case DMAR_TYPE_RMRR: return RMRR_SCOPES;
	default: return RS_HDR_LEN;
	}
}

static void structs_parse(struct dmar_walk *w, const uint8_t *t, uint32_t len)
{
	struct dmar_info *out = w->out;

	for (uint32_t off = DMAR_STRUCTS; off < len;) {
		uint32_t room = len - off;
		uint16_t type, slen;

		if (room < RS_HDR_LEN) {
			dmar_log(&w->p, out->pa, ACPI_LOG_ERR, "structure", off,
				 "header overruns the table, rest of the table ignored");
			out->errors++;
			return;
		}
		type = acpi_rd16(t + off);
		slen = acpi_rd16(t + off + 2);
		if (slen < struct_min_len(type) || slen > room) {
			dmar_log(&w->p, out->pa, ACPI_LOG_ERR, struct_name(type), off,
				 "bad length, rest of the table ignored");
			out->errors++;
			return;
		}
		if (type == DMAR_TYPE_DRHD) {
			drhd_parse(w, t + off, off, slen);
		} else if (type == DMAR_TYPE_RMRR) {
			rmrr_parse(w, t + off, off, slen);
		} else {
			dmar_log(&w->p, out->pa, ACPI_LOG_INFO, struct_name(type), off,
				 "not used, skipped");
			out->nr_ignored++;
		}
		off += slen;
	}
}

int acpi_dmar_parse(const struct phys_view *mem, paddr_t pa, struct dmar_info *out, acpi_log_fn log,
		    void *log_ctx)
{
	struct dmar_walk w = { .p = { .mem = mem, .log = log, .log_ctx = log_ctx }, .out = out };
	const uint8_t *hdr, *t;
	uint32_t len;

	clear(out, sizeof(*out));
	out->pa = pa;
	hdr = phys_map(mem, pa, HDR_LEN);
	if (!hdr) {
		dmar_log(&w.p, pa, ACPI_LOG_ERR, "header", 0, "not readable");
		return -E_NOENT;
	}
	if (hdr[0] != 'D' || hdr[1] != 'M' || hdr[2] != 'A' || hdr[3] != 'R') {
		dmar_log(&w.p, pa, ACPI_LOG_ERR, "header", 0, "signature is not DMAR");
		return -E_INVAL;
	}
	len = acpi_rd32(hdr + HDR_LENGTH);
	if (len < DMAR_STRUCTS || len > DMAR_TABLE_MAX_LEN) {
		acpi_log_table_len(&w.p, "DMAR", pa, len, " impossible for a DMAR, ignored");
		return -E_INVAL;
	}
	t = phys_map(mem, pa, len);
	if (!t) {
		acpi_log_table_len(&w.p, "DMAR", pa, len, " beyond readable memory, ignored");
		return -E_NOENT;
	}
	if (!checksum_ok(t, len)) {
		dmar_log(&w.p, pa, ACPI_LOG_ERR, "header", 0, "checksum mismatch, ignored");
		return -E_INVAL;
	}
	out->valid = true;
	out->host_addr_width = (uint8_t)(t[DMAR_HAW] + 1);
	out->flags = t[DMAR_FLAGS];
	structs_parse(&w, t, len);
	return 0;
}
