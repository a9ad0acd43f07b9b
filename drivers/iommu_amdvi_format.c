/*
 * AMD-Vi in-memory formats (include/iommu_amdvi.h): page-table entries for the shared builder,
 * device table entries, commands and event log entries. Pure functions, unit-tested on the host.
 */
#include "iommu_amdvi.h"

/*
 * A non-leaf entry names the level of the table it points to (NextLevel = level - 1) and carries
 * IR/IW too: the unit grants an access only if every level on the walk allows it.
 */
static uint64_t amdvi_table_flags_at(unsigned int level)
{
	return AMDVI_PTE_PR | AMDVI_PTE_IR | AMDVI_PTE_IW | ((uint64_t)(level - 1) << AMDVI_PTE_NEXT_LEVEL_SHIFT);
}

void amdvi_pt_ctx_init(struct pt_ctx *ctx, paddr_t (*alloc_table)(void *opaque),
		       void *(*phys_to_virt)(paddr_t pa, void *opaque), void *opaque)
{
	*ctx = (struct pt_ctx){
		.alloc_table = alloc_table,
		.phys_to_virt = phys_to_virt,
		.opaque = opaque,
		.allow_1g = true, /* a leaf with NextLevel 0 at level 3 maps 1 GiB (48882 2.2.3) */
		.present_mask = AMDVI_PTE_PR,
		.addr_mask = AMDVI_ADDR_MASK,
		.table_flags_at = amdvi_table_flags_at,
		.next_level_mask = AMDVI_PTE_NEXT_LEVEL_MASK,
	};
}

uint64_t amdvi_leaf_flags(bool read, bool write)
{
	return AMDVI_PTE_PR | (read ? AMDVI_PTE_IR : 0) | (write ? AMDVI_PTE_IW : 0);
}

void amdvi_dte_encode(uint64_t dte[AMDVI_DTE_QWORDS], paddr_t root, uint16_t domain, bool filter_interrupts)
{
	dte[0] = AMDVI_DTE0_V | AMDVI_DTE0_TV | ((uint64_t)AMDVI_PT_LEVELS << AMDVI_DTE0_MODE_SHIFT) |
		 (root & AMDVI_ADDR_MASK) | AMDVI_DTE0_IR | AMDVI_DTE0_IW;
	/* IoCtl and SysMgt 00b: port I/O and system management (SMI) messages are target-aborted. */
	dte[1] = domain & AMDVI_DTE1_DOMAIN_MASK;
	dte[2] = 0;
	dte[3] = 0;
	if (filter_interrupts) {
		/*
		 * No interrupt remapping table: IntCtl 01b forwards fixed and arbitrated MSIs as they
		 * are. INITPass 0 blocks a device's INIT message: INIT is the hypervisor's (issue 18).
		 */
		dte[2] = AMDVI_DTE2_IV | ((uint64_t)AMDVI_INTCTL_FORWARD << AMDVI_DTE2_INTCTL_SHIFT) |
			 AMDVI_DTE2_EINT_PASS | AMDVI_DTE2_NMI_PASS | AMDVI_DTE2_LINT0_PASS | AMDVI_DTE2_LINT1_PASS;
	}
}

static uint64_t opcode(unsigned int op)
{
	return (uint64_t)op << AMDVI_CMD_OPCODE_SHIFT;
}

void amdvi_cmd_completion_wait(uint64_t cmd[2], paddr_t store, uint64_t data)
{
	/* Store address bits 51:3 sit in bits 51:3 of the first quadword; S asks for the store. */
	cmd[0] = (store & 0x000FFFFFFFFFFFF8ULL) | AMDVI_CMD_CW_STORE | opcode(AMDVI_CMD_COMPLETION_WAIT);
	cmd[1] = data;
}

void amdvi_cmd_inv_devtab_entry(uint64_t cmd[2], uint16_t devid)
{
	cmd[0] = devid | opcode(AMDVI_CMD_INV_DEVTAB_ENTRY);
	cmd[1] = 0;
}

void amdvi_cmd_inv_pages_all(uint64_t cmd[2], uint16_t domain)
{
	cmd[0] = ((uint64_t)domain << 32) | opcode(AMDVI_CMD_INV_IOMMU_PAGES);
	cmd[1] = AMDVI_INV_ALL_PAGES_ADDR | AMDVI_CMD_INV_PAGES_PDE | AMDVI_CMD_INV_PAGES_S;
}

void amdvi_cmd_inv_all(uint64_t cmd[2])
{
	cmd[0] = opcode(AMDVI_CMD_INV_IOMMU_ALL);
	cmd[1] = 0;
}

bool amdvi_event_decode(const uint64_t ev[2], struct iommu_fault *f, unsigned int *code)
{
	*code = (unsigned int)(ev[0] >> AMDVI_EVT_CODE_SHIFT);
	f->segment = 0;
	f->bdf = (uint16_t)ev[0];
	f->addr = ev[1];
	f->write = ev[0] & AMDVI_EVT_FLAG_RW;
	f->reason = *code;
	switch (*code) {
	case AMDVI_EVT_ILLEGAL_DEV_TABLE_ENTRY:
	case AMDVI_EVT_IO_PAGE_FAULT:
	case AMDVI_EVT_DEV_TAB_HW_ERROR:
	case AMDVI_EVT_PAGE_TAB_HW_ERROR:
	case AMDVI_EVT_INVALID_DEVICE_REQUEST:
		return true;
	default:
		return false;
	}
}

const char *amdvi_event_name(unsigned int code)
{
	static const char *const names[] = {
		[AMDVI_EVT_ILLEGAL_DEV_TABLE_ENTRY] = "ILLEGAL_DEV_TABLE_ENTRY",
		[AMDVI_EVT_IO_PAGE_FAULT] = "IO_PAGE_FAULT",
		[AMDVI_EVT_DEV_TAB_HW_ERROR] = "DEV_TAB_HARDWARE_ERROR",
		[AMDVI_EVT_PAGE_TAB_HW_ERROR] = "PAGE_TAB_HARDWARE_ERROR",
		[AMDVI_EVT_ILLEGAL_COMMAND] = "ILLEGAL_COMMAND_ERROR",
		[AMDVI_EVT_COMMAND_HW_ERROR] = "COMMAND_HARDWARE_ERROR",
		[AMDVI_EVT_IOTLB_INV_TIMEOUT] = "IOTLB_INV_TIMEOUT",
		[AMDVI_EVT_INVALID_DEVICE_REQUEST] = "INVALID_DEVICE_REQUEST",
	};

	return code < ARRAY_SIZE(names) && names[code] ? names[code] : "unknown event";
}
