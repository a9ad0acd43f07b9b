/* Shared between the files of the VMX backend only. */
#ifndef HV_VMX_BACKEND_H
#define HV_VMX_BACKEND_H

#include "frame.h"
#include "vmm/vcpu.h"
#include "x86/vmx.h"
#include "x86/vmx_caps.h"
#include "x86/vmx_ops.h"

struct vmx_config {
	struct vmx_caps caps;
	struct vmx_features f;
	uint32_t pin, proc, proc2, exit, entry; /* the control values every VMCS uses */
	uint64_t cr0_mask, cr4_mask; /* CR0/CR4 guest/host masks: the bits VMX forces, owned by the host */
};

struct vmx_vcpu {
	struct vcpu vcpu;                /* first: vmm/vmm.c allocates the whole as a struct vcpu */
	paddr_t vmcs_pa;
	struct vmx_entry entry;          /* launched, the host RSP in the VMCS (vmx_entry.asm) */
	uint64_t cr0_fixed0, cr4_fixed0; /* bits VMX keeps set in the real CR0/CR4 */
	uint64_t cr0_shadow, cr4_shadow; /* the read shadows as last written: no VMREAD for them */
	uint32_t interruptibility;       /* GUEST_INTERRUPTIBILITY at the exit */
};

_Static_assert(VMX_INTR_TYPE_EXT_INTR == EVENT_FIELD_INTR && VMX_INTR_TYPE_NMI == EVENT_FIELD_NMI &&
		       VMX_INTR_TYPE_HW_EXCEPTION == EVENT_FIELD_EXCEPTION &&
		       VMX_INTR_INFO_TYPE_MASK == EVENT_FIELD_TYPE_MASK,
	       "interruption-information types as vcpu.h encodes them");
_Static_assert(offsetof(struct vmx_vcpu, vcpu) == 0, "struct vcpu comes first (vcpu_ops.vcpu_size)");
_Static_assert(sizeof(struct vmx_vcpu) <= FRAME_SIZE, "a vCPU stays one frame");

static inline struct vmx_vcpu *to_vmx(struct vcpu *v)
{
	return container_of(v, struct vmx_vcpu, vcpu);
}

extern struct vmx_config vmx_config;

int vmx_compute_controls(struct vmx_config *c);
int vmx_vcpu_create(struct vcpu *v, const struct vcpu_start *start);
void vmx_vcpu_reset(struct vcpu *v, const struct vcpu_start *start);
void vmx_vcpu_reload(struct vcpu *v);
/* The guest's view of CR0/CR4: real value outside the mask, read shadow inside it (one VMREAD). */
uint64_t vmx_guest_cr0(struct vcpu *v);
uint64_t vmx_guest_cr4(struct vcpu *v);
void vmx_set_guest_cr0(struct vcpu *v, uint64_t value);
void vmx_set_guest_cr4(struct vcpu *v, uint64_t value);
void vmx_set_guest_efer(uint64_t value);
void vmx_set_guest_cr3(struct vcpu *v, uint64_t value);
/* A CR access exit: true if handled here (enter the guest again), false to dump and stop. */
bool vmx_handle_cr_access(struct vcpu *v);
/* The event the exit interrupted (IDT-vectoring info, valid) is delivered again (SDM 27.2.4). */
void vmx_requeue_interrupted_event(uint32_t idt_vectoring_info);
void vmx_dump(struct vcpu *v);
/* vcpu_ops.read_segment and write_segment (vmx_segment.c). */
void vmx_read_segment(struct vcpu *v, enum vcpu_seg seg, struct vcpu_segment *out);
void vmx_write_segment(struct vcpu *v, enum vcpu_seg seg, const struct vcpu_segment *in);

#endif
