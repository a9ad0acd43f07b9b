/*
 * AMD-Vi (AMD I/O Virtualization Technology, AMD doc 48882): register layout and the in-memory
 * formats the driver writes: I/O page tables, device table entries, commands, event log entries.
 *
 * The encoders (drivers/iommu_amdvi_format.c) are pure, so host unit tests check them; the
 * driver (drivers/iommu_amdvi.c) programs the units.
 */
#ifndef HV_IOMMU_AMDVI_H
#define HV_IOMMU_AMDVI_H

#include "iommu.h"
#include "types.h"
#include "x86/paging.h"

/* MMIO registers (48882 section 3.4). */
#define AMDVI_MMIO_DEVTAB_BASE 0x0000
#define AMDVI_MMIO_CMDBUF_BASE 0x0008
#define AMDVI_MMIO_EVTLOG_BASE 0x0010
#define AMDVI_MMIO_CONTROL 0x0018
#define AMDVI_MMIO_EXCL_BASE 0x0020
#define AMDVI_MMIO_EXCL_LIMIT 0x0028
#define AMDVI_MMIO_EFR 0x0030
#define AMDVI_MMIO_CMD_HEAD 0x2000
#define AMDVI_MMIO_CMD_TAIL 0x2008
#define AMDVI_MMIO_EVT_HEAD 0x2010
#define AMDVI_MMIO_EVT_TAIL 0x2018
#define AMDVI_MMIO_STATUS 0x2020
#define AMDVI_MMIO_SIZE (16 * KiB)
#define AMDVI_MMIO_SIZE_PC (512 * KiB) /* with performance counters (EFR.PCSup) */

#define AMDVI_EFR_IA_SUP (1ULL << 6)   /* INVALIDATE_IOMMU_ALL */
#define AMDVI_EFR_PC_SUP (1ULL << 9)

#define AMDVI_CTRL_IOMMU_EN (1ULL << 0)
#define AMDVI_CTRL_EVTLOG_EN (1ULL << 2)
#define AMDVI_CTRL_EVT_INT_EN (1ULL << 3)
#define AMDVI_CTRL_COMWAIT_INT_EN (1ULL << 4)
#define AMDVI_CTRL_CMDBUF_EN (1ULL << 12)
#define AMDVI_CTRL_PPRLOG_EN (1ULL << 13)
#define AMDVI_CTRL_PPR_EN (1ULL << 15)
#define AMDVI_CTRL_GT_EN (1ULL << 16)

#define AMDVI_STATUS_EVT_OVERFLOW (1ULL << 0)
#define AMDVI_STATUS_EVT_INT (1ULL << 1)
#define AMDVI_STATUS_COMWAIT_INT (1ULL << 2)
#define AMDVI_STATUS_EVTLOG_RUN (1ULL << 3)
#define AMDVI_STATUS_CMDBUF_RUN (1ULL << 4)

/* Ring buffer base registers: address bits 51:12, log2 of the entry count in bits 59:56. */
#define AMDVI_RING_LEN_SHIFT 56
#define AMDVI_ADDR_MASK 0x000FFFFFFFFFF000ULL
#define AMDVI_RING_PTR_MASK 0x7FFF0ULL /* head/tail: byte offset, bits 18:4 */

#define AMDVI_ENTRY_SIZE 16  /* a command or an event */
#define AMDVI_RING_ENTRIES 256
#define AMDVI_RING_BYTES (AMDVI_RING_ENTRIES * AMDVI_ENTRY_SIZE) /* one page each */
#define AMDVI_RING_LOG2 8

/* Device table: one 256-bit entry per device ID, all 65536 of them (2 MiB). */
#define AMDVI_DEVICE_IDS 0x10000
#define AMDVI_DTE_QWORDS 4
#define AMDVI_DEVTAB_BYTES (AMDVI_DEVICE_IDS * AMDVI_DTE_QWORDS * 8ULL)
#define AMDVI_DEVTAB_SIZE_FIELD (AMDVI_DEVTAB_BYTES / 4096 - 1) /* bits 8:0: 4 KiB pages - 1 */

/* I/O page table entries (48882 section 2.2.3): the host page table format. */
#define AMDVI_PTE_PR (1ULL << 0)
#define AMDVI_PTE_NEXT_LEVEL_SHIFT 9
#define AMDVI_PTE_NEXT_LEVEL_MASK (7ULL << AMDVI_PTE_NEXT_LEVEL_SHIFT)
#define AMDVI_PTE_IR (1ULL << 61)
#define AMDVI_PTE_IW (1ULL << 62)
#define AMDVI_PT_LEVELS 4 /* 48-bit DMA addresses, as the nested tables */

/* Device table entry fields (48882 section 2.2.2.1), by quadword. */
#define AMDVI_DTE0_V (1ULL << 0)
#define AMDVI_DTE0_TV (1ULL << 1)
#define AMDVI_DTE0_MODE_SHIFT 9
#define AMDVI_DTE0_IR (1ULL << 61)
#define AMDVI_DTE0_IW (1ULL << 62)
#define AMDVI_DTE1_DOMAIN_MASK 0xFFFFULL
#define AMDVI_DTE1_IOCTL_SHIFT 35   /* bits 100:99: port I/O space, 00b blocked */
#define AMDVI_DTE1_SYSMGT_SHIFT 40  /* bits 105:104: system management messages, 00b blocked */
#define AMDVI_DTE2_IV (1ULL << 0)   /* bit 128: the interrupt control fields are valid */
#define AMDVI_DTE2_INIT_PASS (1ULL << 56)
#define AMDVI_DTE2_EINT_PASS (1ULL << 57)
#define AMDVI_DTE2_NMI_PASS (1ULL << 58)
#define AMDVI_DTE2_INTCTL_SHIFT 60  /* bits 189:188 */
#define AMDVI_INTCTL_ABORT 0
#define AMDVI_INTCTL_FORWARD 1      /* fixed and arbitrated MSIs forwarded untranslated */
#define AMDVI_INTCTL_REMAP 2
#define AMDVI_DTE2_LINT0_PASS (1ULL << 62)
#define AMDVI_DTE2_LINT1_PASS (1ULL << 63)

/* Commands (48882 section 2.4): opcode in bits 63:60 of the first quadword. */
#define AMDVI_CMD_OPCODE_SHIFT 60
#define AMDVI_CMD_COMPLETION_WAIT 0x1
#define AMDVI_CMD_INV_DEVTAB_ENTRY 0x2
#define AMDVI_CMD_INV_IOMMU_PAGES 0x3
#define AMDVI_CMD_INV_IOMMU_ALL 0x8
#define AMDVI_CMD_CW_STORE (1ULL << 0)
#define AMDVI_CMD_INV_PAGES_S (1ULL << 0)   /* second quadword: the address is a size mask */
#define AMDVI_CMD_INV_PAGES_PDE (1ULL << 1) /* page directory entries too */
#define AMDVI_INV_ALL_PAGES_ADDR 0x7FFFFFFFFFFFF000ULL /* with S=1: every page of the domain */

/* Event log entries (48882 section 2.5): code in bits 63:60 of the first quadword. */
#define AMDVI_EVT_CODE_SHIFT 60
#define AMDVI_EVT_ILLEGAL_DEV_TABLE_ENTRY 0x1
#define AMDVI_EVT_IO_PAGE_FAULT 0x2
#define AMDVI_EVT_DEV_TAB_HW_ERROR 0x3
#define AMDVI_EVT_PAGE_TAB_HW_ERROR 0x4
#define AMDVI_EVT_ILLEGAL_COMMAND 0x5
#define AMDVI_EVT_COMMAND_HW_ERROR 0x6
#define AMDVI_EVT_IOTLB_INV_TIMEOUT 0x7
#define AMDVI_EVT_INVALID_DEVICE_REQUEST 0x8
#define AMDVI_EVT_FLAG_RW (1ULL << 53)   /* bit 21 of the second dword: a write */
#define AMDVI_EVT_FLAG_PR (1ULL << 52)   /* the page was present */
#define AMDVI_EVT_FLAG_INTR (1ULL << 51) /* an interrupt request, not memory */

/* The AMD-Vi host page-table format for the page-table builder (arch/x86/pagetable.c). */
void amdvi_pt_ctx_init(struct pt_ctx *ctx, paddr_t (*alloc_table)(void *opaque),
		       void *(*phys_to_virt)(paddr_t pa, void *opaque), void *opaque);
/* Leaf flags for a mapping: present, with read and/or write permission. */
uint64_t amdvi_leaf_flags(bool read, bool write);

/*
 * The device table entry every device ID gets: translation through the 4-level tables at root,
 * domain `domain`, reads and writes allowed (the tables decide). With filter_interrupts, the
 * interrupt control fields are valid: fixed and arbitrated MSIs pass untranslated, INIT and SMI
 * are blocked (they belong to the hypervisor), NMI, ExtInt and LINT0/1 pass (the guest's).
 */
void amdvi_dte_encode(uint64_t dte[AMDVI_DTE_QWORDS], paddr_t root, uint16_t domain, bool filter_interrupts);

/* Commands, each two quadwords. */
void amdvi_cmd_completion_wait(uint64_t cmd[2], paddr_t store, uint64_t data);
void amdvi_cmd_inv_devtab_entry(uint64_t cmd[2], uint16_t devid);
void amdvi_cmd_inv_pages_all(uint64_t cmd[2], uint16_t domain);
void amdvi_cmd_inv_all(uint64_t cmd[2]);

/*
 * Decodes one event log entry. Returns true for events about a device's request (page faults,
 * device table errors, illegal requests), filling *f (segment 0, reason = event code); false for
 * events that are not (command errors, timeouts) and unknown codes, with *code set either way.
 */
bool amdvi_event_decode(const uint64_t ev[2], struct iommu_fault *f, unsigned int *code);
const char *amdvi_event_name(unsigned int code);

/*
 * The units' own PCI functions, for the configuration filter (vmm/pci_cfg.c): i-th unit's segment,
 * requester ID and the offset of its IOMMU capability block. False past the last unit.
 */
bool amdvi_function(unsigned int i, uint16_t *segment, uint16_t *bdf, uint16_t *cap_offset);

#endif
