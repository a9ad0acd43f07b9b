/*
 * The guest's segment registers, LDTR, TR, GDTR and IDTR in the VMCS (SDM vol. 3C, 25.4.1), in
 * the neutral form of struct vcpu_segment: vcpu_ops.read_segment and write_segment.
 */
#include "panic.h"
#include "vmx_backend.h"

/* ES..TR: the VMCS encodes each kind of field in vcpu_seg order, 2 apart (SDM vol. 3C, appendix B). */
#define SEG_FIELD(first, seg) ((first) + 2 * (uint32_t)(seg))

/* Access rights: descriptor bits 40-47 in 7:0 and 52-55 in 15:12; the neutral form packs them in 11:0. */
static uint16_t ar_to_attr(uint32_t ar)
{
	return (uint16_t)((ar & 0xFF) | ((ar >> 4) & 0xF00));
}

static uint32_t attr_to_ar(uint16_t attr)
{
	return (attr & 0xFFU) | ((attr & 0xF00U) << 4);
}

void vmx_read_segment(struct vcpu *v, enum vcpu_seg seg, struct vcpu_segment *out)
{
	(void)v;
	*out = (struct vcpu_segment){ 0 };
	if (seg == VCPU_SEG_GDTR || seg == VCPU_SEG_IDTR) {
		bool gdt = seg == VCPU_SEG_GDTR;

		out->base = vmcs_readl(gdt ? VMCS_GUEST_GDTR_BASE : VMCS_GUEST_IDTR_BASE);
		out->limit = vmcs_read32(gdt ? VMCS_GUEST_GDTR_LIMIT : VMCS_GUEST_IDTR_LIMIT);
		return;
	}
	BUG_ON((unsigned int)seg > VCPU_SEG_TR);
	uint32_t ar = vmcs_read32(SEG_FIELD(VMCS_GUEST_ES_AR, seg));

	out->selector = vmcs_read16(SEG_FIELD(VMCS_GUEST_ES_SELECTOR, seg));
	out->base = vmcs_readl(SEG_FIELD(VMCS_GUEST_ES_BASE, seg));
	out->limit = vmcs_read32(SEG_FIELD(VMCS_GUEST_ES_LIMIT, seg));
	out->attr = ar_to_attr(ar);
	out->unusable = ar & VMX_AR_UNUSABLE;
}

/* SS.DPL is the CPL in VMX (SDM vol. 3C, 26.3.1.5): writing SS sets it. */
void vmx_write_segment(struct vcpu *v, enum vcpu_seg seg, const struct vcpu_segment *in)
{
	(void)v;
	if (seg == VCPU_SEG_GDTR || seg == VCPU_SEG_IDTR) {
		bool gdt = seg == VCPU_SEG_GDTR;

		vmcs_writel(gdt ? VMCS_GUEST_GDTR_BASE : VMCS_GUEST_IDTR_BASE, in->base);
		vmcs_write32(gdt ? VMCS_GUEST_GDTR_LIMIT : VMCS_GUEST_IDTR_LIMIT, in->limit);
		return;
	}
	BUG_ON((unsigned int)seg > VCPU_SEG_TR);
	vmcs_write16(SEG_FIELD(VMCS_GUEST_ES_SELECTOR, seg), in->selector);
	vmcs_writel(SEG_FIELD(VMCS_GUEST_ES_BASE, seg), in->base);
	vmcs_write32(SEG_FIELD(VMCS_GUEST_ES_LIMIT, seg), in->limit);
	vmcs_write32(SEG_FIELD(VMCS_GUEST_ES_AR, seg), attr_to_ar(in->attr) | (in->unusable ? VMX_AR_UNUSABLE : 0));
}
