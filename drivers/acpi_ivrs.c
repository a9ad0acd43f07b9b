/*
 * ACPI IVRS parser: IVHD blocks (AMD-Vi units and the device IDs behind them) and IVMD blocks
 * (unity-mapped ranges). References are to the AMD I/O Virtualization Technology (IOMMU)
 * Specification, doc 48882, section 5.2.
 */
#include "acpi_ivrs.h"
#include "acpi_internal.h"
#include "errno.h"

#define IVRS_IVINFO 36
#define IVRS_BLOCKS 48     /* after IVinfo and 8 reserved bytes */
#define IVRS_MAX_LEN (1u << 20)

/* Common block header: type, flags, length (16 bits). */
#define BLK_HDR_LEN 4

/* IVHD fields (tables 20, 21). */
#define IVHD_DEVID 4
#define IVHD_CAP_OFFSET 6
#define IVHD_BASE 8
#define IVHD_SEGMENT 16
#define IVHD_INFO 18
#define IVHD_FEATURES 20
#define IVHD_EFR 24
#define IVHD_ENTRIES_LEGACY 24
#define IVHD_ENTRIES_EFR 40

/* IVMD fields (table 50). */
#define IVMD_DEVID 4
#define IVMD_AUX 6
#define IVMD_START 16
#define IVMD_LENGTH 24
#define IVMD_LEN 32

/* Device entry types (table 22 onwards). */
enum ivhd_entry {
	DEV_PAD = 0x00,
	DEV_ALL = 0x01,
	DEV_SELECT = 0x02,
	DEV_RANGE_START = 0x03,
	DEV_RANGE_END = 0x04,
	DEV_ALIAS_SELECT = 0x42,
	DEV_ALIAS_RANGE = 0x43,
	DEV_EXT_SELECT = 0x46,
	DEV_EXT_RANGE = 0x47,
	DEV_SPECIAL = 0x48,
	DEV_ACPI_HID = 0xF0,
};
#define DEV_HID_UID_LEN 21 /* UID length byte of an ACPI HID entry; the UID follows */
#define DEV_HID_FIXED 22

struct ivrs_walk {
	struct acpi_parser p; /* for the log helpers: out is unused */
	struct ivrs_info *out;
	paddr_t pa;
	bool range_open; /* a start-of-range entry waits for its end */
	uint16_t range_first;
	uint8_t range_dte;
};

/* "ACPI: IVRS table at PA: <what><v><rest>". */
static void ivrs_log(struct ivrs_walk *w, int level, const char *what, uint64_t v, const char *rest)
{
	struct msg m;

	acpi_msg_table(&m, "IVRS", w->pa);
	acpi_msg_str(&m, what);
	acpi_msg_num(&m, v, 16);
	acpi_msg_str(&m, rest);
	acpi_msg_emit(&w->p, level, &m);
}

static void ivrs_error(struct ivrs_walk *w, const char *what, uint64_t off, const char *rest)
{
	ivrs_log(w, ACPI_LOG_ERR, what, off, rest);
	w->out->errors++;
}

static uint8_t sum_bytes(const uint8_t *t, uint32_t len)
{
	uint8_t sum = 0;

	for (uint32_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + t[i]);
	return sum;
}

static void zero_info(struct ivrs_info *out)
{
	uint8_t *b = (uint8_t *)out;

	for (size_t i = 0; i < sizeof(*out); i++)
		b[i] = 0;
}

static bool ivhd_type_known(uint8_t type)
{
	return type == IVHD_TYPE_LEGACY || type == IVHD_TYPE_EFR || type == IVHD_TYPE_ACPI;
}

static bool is_ivmd(uint8_t type)
{
	return type == IVMD_TYPE_ALL || type == IVMD_TYPE_SELECT || type == IVMD_TYPE_RANGE;
}

/* ---- device entries ---- */

static uint32_t entry_len(const uint8_t *e, uint32_t room)
{
	if (e[0] == DEV_ACPI_HID)
		return room > DEV_HID_UID_LEN ? DEV_HID_FIXED + e[DEV_HID_UID_LEN] : DEV_HID_FIXED;
	/* Bits 7:6 of the type give the size: 4, 8, 16 or 32 bytes (table 22). */
	return 4u << (e[0] >> 6);
}

static void add_devrange(struct ivrs_walk *w, uint16_t first, uint16_t last, uint8_t dte)
{
	struct ivrs_info *out = w->out;
	struct ivrs_devrange *r;

	out->units[out->nr_units - 1].nr_device_ids += (uint32_t)last - first + 1;
	if (out->nr_devranges == IVRS_MAX_DEVRANGES) {
		if (!out->nr_devranges_dropped++)
			ivrs_log(w, ACPI_LOG_WARN, "more than ", IVRS_MAX_DEVRANGES,
				 " device ranges, the rest not listed");
		return;
	}
	r = &out->devranges[out->nr_devranges++];
	r->first = first;
	r->last = last;
	r->unit = (uint8_t)(out->nr_units - 1);
	r->dte_setting = dte;
}

static void add_special(struct ivrs_walk *w, const uint8_t *e)
{
	struct ivrs_info *out = w->out;
	struct ivrs_special *s;

	add_devrange(w, acpi_rd16(e + 5), acpi_rd16(e + 5), e[3]);
	if (out->nr_specials == IVRS_MAX_SPECIALS) {
		out->nr_specials_dropped++;
		return;
	}
	s = &out->specials[out->nr_specials++];
	s->handle = e[4];
	s->devid = acpi_rd16(e + 5);
	s->variety = e[7];
	s->unit = (uint8_t)(out->nr_units - 1);
}

static void range_start(struct ivrs_walk *w, const uint8_t *e, uint32_t off)
{
	if (w->range_open)
		ivrs_error(w, "start of range at offset ", off, " inside an open range, first one dropped");
	w->range_open = true;
	w->range_first = acpi_rd16(e + 1);
	w->range_dte = e[3];
}

static void range_end(struct ivrs_walk *w, const uint8_t *e, uint32_t off)
{
	uint16_t last = acpi_rd16(e + 1);

	if (!w->range_open || last < w->range_first) {
		ivrs_error(w, "end of range at offset ", off, " without a matching start, ignored");
		w->range_open = false;
		return;
	}
	add_devrange(w, w->range_first, last, w->range_dte);
	w->range_open = false;
}

static void device_entry(struct ivrs_walk *w, const uint8_t *e, uint32_t off)
{
	switch (e[0]) {
	case DEV_ALL:
		add_devrange(w, 0, 0xFFFF, e[3]);
		break;
	case DEV_SELECT:
	case DEV_EXT_SELECT:
		add_devrange(w, acpi_rd16(e + 1), acpi_rd16(e + 1), e[3]);
		break;
	case DEV_ALIAS_SELECT:
		add_devrange(w, acpi_rd16(e + 1), acpi_rd16(e + 1), e[3]);
		/* The IOMMU sees the alias (source) ID on the bus: it must be translated too. */
		add_devrange(w, acpi_rd16(e + 5), acpi_rd16(e + 5), e[3]);
		break;
	case DEV_RANGE_START:
	case DEV_EXT_RANGE:
		range_start(w, e, off);
		break;
	case DEV_ALIAS_RANGE:
		range_start(w, e, off);
		add_devrange(w, acpi_rd16(e + 5), acpi_rd16(e + 5), e[3]);
		break;
	case DEV_RANGE_END:
		range_end(w, e, off);
		break;
	case DEV_SPECIAL:
		add_special(w, e);
		break;
	case DEV_ACPI_HID:
		add_devrange(w, acpi_rd16(e + 1), acpi_rd16(e + 1), e[3]);
		break;
	default:
		break; /* padding and reserved types carry nothing we need */
	}
}

/* Returns false when an entry is broken: the rest of the block is then ignored. */
static bool ivhd_entries(struct ivrs_walk *w, const uint8_t *b, uint32_t blk_off, uint32_t first,
			 uint32_t len)
{
	w->range_open = false;
	for (uint32_t off = first; off < len;) {
		uint32_t room = len - off, elen;

		if (room < 4) {
			ivrs_error(w, "device entry at offset ", blk_off + off, " overruns its IVHD block");
			return false;
		}
		elen = entry_len(b + off, room);
		if (elen > room) {
			ivrs_error(w, "device entry at offset ", blk_off + off,
				   " overruns its IVHD block, rest of the block ignored");
			return false;
		}
		device_entry(w, b + off, blk_off + off);
		off += elen;
	}
	if (w->range_open)
		ivrs_error(w, "IVHD block at offset ", blk_off, " ends inside a device range, range dropped");
	return true;
}

/* ---- blocks ---- */

static bool ivhd_block(struct ivrs_walk *w, const uint8_t *b, uint32_t off, uint32_t len)
{
	struct ivrs_info *out = w->out;
	uint32_t first = b[0] == IVHD_TYPE_LEGACY ? IVHD_ENTRIES_LEGACY : IVHD_ENTRIES_EFR;
	struct ivrs_unit *u;

	if (len < first) {
		ivrs_error(w, "IVHD block at offset ", off, " too short for its type, rest of the table ignored");
		return false;
	}
	for (uint32_t i = 0; i < out->nr_units; i++) {
		if (out->units[i].devid == acpi_rd16(b + IVHD_DEVID) &&
		    out->units[i].segment == acpi_rd16(b + IVHD_SEGMENT)) {
			ivrs_error(w, "second IVHD block for IOMMU device ID ", acpi_rd16(b + IVHD_DEVID),
				   " of the same type, ignored");
			return true;
		}
	}
	if (out->nr_units == IVRS_MAX_UNITS) {
		if (!out->nr_units_dropped++)
			ivrs_log(w, ACPI_LOG_WARN, "more than ", IVRS_MAX_UNITS, " IOMMUs, the rest ignored");
		return true;
	}
	u = &out->units[out->nr_units++];
	u->type = b[0];
	u->flags = b[1];
	u->devid = acpi_rd16(b + IVHD_DEVID);
	u->cap_offset = acpi_rd16(b + IVHD_CAP_OFFSET);
	u->mmio_base = acpi_rd64(b + IVHD_BASE);
	u->segment = acpi_rd16(b + IVHD_SEGMENT);
	u->iommu_info = acpi_rd16(b + IVHD_INFO);
	u->features = acpi_rd32(b + IVHD_FEATURES);
	u->efr = b[0] == IVHD_TYPE_LEGACY ? 0 : acpi_rd64(b + IVHD_EFR);
	if (!u->mmio_base || (u->mmio_base & 0x3FFF)) {
		ivrs_error(w, "IVHD block at offset ", off, " has a bad MMIO base, unit ignored");
		out->nr_units--;
		return true;
	}
	/* A broken device entry loses the rest of this block's entries, not the unit. */
	ivhd_entries(w, b, off, first, len);
	return true;
}

static void ivmd_block(struct ivrs_walk *w, const uint8_t *b, uint32_t off, uint32_t len)
{
	struct ivrs_info *out = w->out;
	struct ivrs_unity *u;
	uint64_t start, length;

	if (len < IVMD_LEN) {
		ivrs_error(w, "IVMD block at offset ", off, " too short, ignored");
		return;
	}
	start = acpi_rd64(b + IVMD_START);
	length = acpi_rd64(b + IVMD_LENGTH);
	if (!length || start + length < start) {
		ivrs_error(w, "IVMD block at offset ", off, " has an impossible range, ignored");
		return;
	}
	if (out->nr_unity == IVRS_MAX_UNITY) {
		if (!out->nr_unity_dropped++)
			ivrs_log(w, ACPI_LOG_WARN, "more than ", IVRS_MAX_UNITY, " IVMD blocks, the rest ignored");
		return;
	}
	u = &out->unity[out->nr_unity++];
	u->type = b[0];
	u->flags = b[1];
	u->start = start;
	u->length = length;
	u->first_devid = b[0] == IVMD_TYPE_ALL ? 0 : acpi_rd16(b + IVMD_DEVID);
	u->last_devid = b[0] == IVMD_TYPE_ALL ? 0xFFFF : b[0] == IVMD_TYPE_SELECT ? u->first_devid
											 : acpi_rd16(b + IVMD_AUX);
	if (u->last_devid < u->first_devid) {
		ivrs_error(w, "IVMD block at offset ", off, " has an empty device range, ignored");
		out->nr_unity--;
	}
}

/*
 * Walks the blocks: pass 0 only finds the highest IVHD type (the others describe the same units
 * for older software, table 20), pass 1 parses blocks of that type and every IVMD.
 */
static void walk_blocks(struct ivrs_walk *w, const uint8_t *t, uint32_t len, int pass)
{
	for (uint32_t off = IVRS_BLOCKS; off < len;) {
		const uint8_t *b = t + off;
		uint32_t room = len - off, blen;

		if (room < BLK_HDR_LEN || (blen = acpi_rd16(b + 2)) < BLK_HDR_LEN || blen > room) {
			if (pass)
				ivrs_error(w, "block at offset ", off,
					   " overruns the table or has a bad length, rest of the table ignored");
			return;
		}
		if (!pass) {
			if (ivhd_type_known(b[0]) && b[0] > w->out->ivhd_type)
				w->out->ivhd_type = b[0];
		} else if (b[0] == w->out->ivhd_type) {
			if (!ivhd_block(w, b, off, blen))
				return;
		} else if (is_ivmd(b[0])) {
			ivmd_block(w, b, off, blen);
		}
		off += blen;
	}
}

int ivrs_parse(const struct phys_view *mem, paddr_t pa, struct ivrs_info *out, acpi_log_fn log,
	       void *log_ctx)
{
	struct ivrs_walk w = { .p = { .mem = mem, .log = log, .log_ctx = log_ctx }, .out = out, .pa = pa };
	const uint8_t *hdr, *t;
	uint32_t len;

	zero_info(out);
	hdr = phys_map(mem, pa, HDR_LEN);
	if (!hdr || hdr[0] != 'I' || hdr[1] != 'V' || hdr[2] != 'R' || hdr[3] != 'S') {
		ivrs_log(&w, ACPI_LOG_ERR, "header unreadable or signature not IVRS (readable: ", hdr != NULL,
			 "), ignored");
		return -E_INVAL;
	}
	len = acpi_rd32(hdr + HDR_LENGTH);
	if (len < IVRS_BLOCKS || len > IVRS_MAX_LEN || !(t = phys_map(mem, pa, len))) {
		ivrs_log(&w, ACPI_LOG_ERR, "length ", len, " impossible or unreadable, ignored");
		return -E_INVAL;
	}
	if (sum_bytes(t, len)) {
		ivrs_log(&w, ACPI_LOG_ERR, "checksum mismatch (sum ", sum_bytes(t, len), "), ignored");
		return -E_INVAL;
	}
	out->valid = true;
	out->ivinfo = acpi_rd32(t + IVRS_IVINFO);
	walk_blocks(&w, t, len, 0);
	walk_blocks(&w, t, len, 1);
	return 0;
}

int ivrs_unit_of(const struct ivrs_info *info, uint16_t devid)
{
	for (uint32_t i = 0; i < info->nr_devranges; i++) {
		if (devid >= info->devranges[i].first && devid <= info->devranges[i].last)
			return info->devranges[i].unit;
	}
	return -1;
}
