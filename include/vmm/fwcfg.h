/*
 * QEMU's fw_cfg DMA interface (docs/specs/fw_cfg.rst in QEMU): the guest owns the device, but a
 * DMA transfer is performed by the emulator outside any IOMMU, so a guest could aim it at the
 * hypervisor's memory. Only the DMA address register (ports 0x514-0x51B) is intercepted; the
 * selector and data ports (0x510, 0x511) stay with the guest without exits.
 */
#ifndef HV_VMM_FWCFG_H
#define HV_VMM_FWCFG_H

#include "types.h"

struct partition;
struct vcpu;

#define FWCFG_PORT_DMA 0x514 /* high 32 bits of the descriptor's address, big-endian */
#define FWCFG_PORT_DMA_END 0x51C

/* Intercepts the DMA address register where the machine has fw_cfg with DMA. */
void fwcfg_intercept(struct partition *p);
/* An intercepted access to ports 0x514-0x51B: *value in (IN) or out (OUT). */
void fwcfg_dma_io(struct vcpu *v, uint16_t port, uint8_t size, bool in, uint32_t *value);

/* The descriptor as the device reads it, fields big-endian (QEMU FWCfgDmaAccess). */
struct fwcfg_dma_access {
	uint32_t control;
	uint32_t length;
	uint64_t address;
} __attribute__((packed));

#define FWCFG_DMA_CTL_ERROR 0x01
#define FWCFG_DMA_CTL_READ 0x02
#define FWCFG_DMA_CTL_SKIP 0x04
#define FWCFG_DMA_CTL_SELECT 0x08
#define FWCFG_DMA_CTL_WRITE 0x10

/*
 * Whether the transfer a descriptor (host byte order) asks for touches memory, and where:
 * [*start, *end). False when it touches none (skip or select only, or zero length).
 */
bool fwcfg_dma_target(uint32_t control, uint32_t length, uint64_t address, uint64_t *start, uint64_t *end);

#endif
