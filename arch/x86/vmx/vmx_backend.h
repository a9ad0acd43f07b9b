/* Shared between the files of the VMX backend only. */
#ifndef HV_VMX_BACKEND_H
#define HV_VMX_BACKEND_H

#include "vmm/vcpu.h"
#include "x86/vmx.h"
#include "x86/vmx_caps.h"

struct vmx_config {
	struct vmx_caps caps;
	struct vmx_features f;
	uint32_t pin, proc, proc2, exit, entry; /* the control values every VMCS uses */
};

struct vmx_cpu {
	paddr_t vmxon_pa;
};

struct vmx_vcpu {
	paddr_t vmcs_pa;
	bool launched;
	uint64_t cr0_fixed0, cr4_fixed0; /* bits VMX keeps set in the real CR0/CR4 */
};

extern struct vmx_config vmx_config;

int vmx_compute_controls(struct vmx_config *c);
int vmx_vcpu_create(struct vcpu *v, const struct vcpu_start *start);
void vmx_vcpu_reset(struct vcpu *v, const struct vcpu_start *start);
/* The guest's view of CR0/CR4: real value outside the mask, read shadow inside it. */
uint64_t vmx_guest_cr(uint64_t cr_field, uint64_t mask_field, uint64_t shadow_field);
void vmx_set_guest_cr0(struct vcpu *v, uint64_t value);
void vmx_set_guest_cr4(struct vcpu *v, uint64_t value);
void vmx_set_guest_efer(uint64_t value);
/* True if the exit was a CR access handled here (the guest can be entered again at once). */
bool vmx_handle_cr_access(struct vcpu *v);
/* An event the exit interrupted is delivered again on the next entry (SDM 27.2.4). */
void vmx_requeue_interrupted_event(void);
void vmx_read_exit(struct vcpu *v);
void vmx_dump(struct vcpu *v);

#endif
