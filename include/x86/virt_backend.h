/*
 * The two vendor backends as arch/x86/virt.c sees them: their vcpu_ops tables and the way each
 * leaves SVM/VMX on the reboot path. Declared once here so that the definitions are checked
 * against the use.
 */
#ifndef HV_X86_VIRT_BACKEND_H
#define HV_X86_VIRT_BACKEND_H

#include "vmm/vcpu.h"

extern const struct vcpu_ops svm_vcpu_ops;
extern const struct vcpu_ops vmx_vcpu_ops;

/*
 * Leave SVM (STGI, EFER.SVME off) or VMX (VMCLEAR, VMXOFF, CR4.VMXE off) on the calling CPU
 * whatever state it is in; a step that faults because it was never entered is counted, not fatal.
 * Returns the number of steps that faulted.
 */
unsigned int svm_leave_cpu(void);
unsigned int vmx_leave_cpu(void);

#endif
