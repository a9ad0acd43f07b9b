/* MSR intercept bitmaps, VMX and SVM layouts: see include/vmm/msr_bitmap.h. */
#include "vmm/msr_bitmap.h"
#include "errno.h"
#include "lib/string.h"

/* Every range in either layout covers this many MSRs. */
#define MSR_WINDOW_LEN 0x2000u

/* One MSR range of a layout and where its intercept bits start. */
struct msr_window {
	uint32_t first;     /* first MSR of the range */
	uint32_t read_bit;  /* bit index (from the start of the buffer) of first's read intercept */
	uint32_t write_bit; /* same for its write intercept */
};

struct msr_layout_desc {
	size_t size;
	unsigned int stride; /* bits from one MSR's intercept to the next MSR's */
	unsigned int nr;     /* windows in use */
	struct msr_window w[3];
};

#define BYTE_BIT(byte) ((uint32_t)(byte) * 8)

static const struct msr_layout_desc msr_layouts[] = {
	/* SDM 25.6.9: separate read and write quarters, one bit per MSR. */
	[MSR_BITMAP_VMX] = {
		.size = MSR_BITMAP_VMX_SIZE,
		.stride = 1,
		.nr = 2,
		.w = {
			{ 0x00000000, BYTE_BIT(0x000), BYTE_BIT(0x800) },
			{ 0xC0000000, BYTE_BIT(0x400), BYTE_BIT(0xC00) },
		},
	},
	/* APM 15.11: read and write bits interleaved, two bits per MSR. */
	[MSR_BITMAP_SVM] = {
		.size = MSR_BITMAP_SVM_SIZE,
		.stride = 2,
		.nr = 3,
		.w = {
			{ 0x00000000, BYTE_BIT(0x0000), BYTE_BIT(0x0000) + 1 },
			{ 0xC0000000, BYTE_BIT(0x0800), BYTE_BIT(0x0800) + 1 },
			{ 0xC0010000, BYTE_BIT(0x1000), BYTE_BIT(0x1000) + 1 },
		},
	},
};

static const struct msr_layout_desc *layout_desc(enum msr_bitmap_layout layout)
{
	if ((unsigned int)layout >= ARRAY_SIZE(msr_layouts))
		return NULL;
	return &msr_layouts[layout];
}

static const struct msr_window *find_window(const struct msr_layout_desc *d, uint32_t msr)
{
	for (unsigned int i = 0; i < d->nr; i++) {
		/* Unsigned wrap makes MSRs below first land far above the window too. */
		if (msr - d->w[i].first < MSR_WINDOW_LEN)
			return &d->w[i];
	}
	return NULL;
}

/* Bit index of the intercept for one access (MSR_R or MSR_W) to an MSR inside w. */
static uint32_t intercept_bit(const struct msr_layout_desc *d, const struct msr_window *w,
			      uint32_t msr, unsigned int access)
{
	uint32_t base = access == MSR_R ? w->read_bit : w->write_bit;

	return base + (msr - w->first) * d->stride;
}

size_t msr_bitmap_size(enum msr_bitmap_layout layout)
{
	const struct msr_layout_desc *d = layout_desc(layout);

	return d ? d->size : 0;
}

void msr_bitmap_init(enum msr_bitmap_layout layout, void *bitmap)
{
	const struct msr_layout_desc *d = layout_desc(layout);

	if (d)
		memset(bitmap, 0xff, d->size);
}

int msr_bitmap_set(enum msr_bitmap_layout layout, void *bitmap, uint32_t msr, unsigned type,
		   bool intercept)
{
	const struct msr_layout_desc *d = layout_desc(layout);
	const struct msr_window *w;
	uint8_t *bytes = bitmap;

	if (!d || !type || (type & ~MSR_RW))
		return -E_INVAL;
	w = find_window(d, msr);
	if (!w)
		return intercept ? 0 : -E_RANGE;

	for (unsigned int access = MSR_R; access <= MSR_W; access <<= 1) {
		uint32_t bit;

		if (!(type & access))
			continue;
		bit = intercept_bit(d, w, msr, access);
		if (intercept)
			bytes[bit / 8] |= (uint8_t)(1u << (bit % 8));
		else
			bytes[bit / 8] &= (uint8_t)~(1u << (bit % 8));
	}
	return 0;
}

bool msr_bitmap_intercepts(enum msr_bitmap_layout layout, const void *bitmap, uint32_t msr,
			   unsigned type)
{
	const struct msr_layout_desc *d = layout_desc(layout);
	const struct msr_window *w;
	const uint8_t *bytes = bitmap;

	if (!d || (type & ~MSR_RW))
		return true;
	if (!type)
		return false;
	w = find_window(d, msr);
	if (!w)
		return true;

	for (unsigned int access = MSR_R; access <= MSR_W; access <<= 1) {
		uint32_t bit;

		if (!(type & access))
			continue;
		bit = intercept_bit(d, w, msr, access);
		if (bytes[bit / 8] & (1u << (bit % 8)))
			return true;
	}
	return false;
}
