/* Starting virtualization: every CPU enters SVM/VMX, APs park, the boot CPU runs the guest. */
#ifndef HV_VMM_VMM_H
#define HV_VMM_VMM_H

#include "bootinfo.h"
#include "cmdline.h"

/* Picks the vendor backend (arch/x86/virt.c). */
int virt_select(void);
/* Enables virtualization on every CPU and parks the APs; false if this machine cannot. */
bool vmm_prepare(const struct hv_options *opts);
/* Loads the guest from the first module and runs it on the boot CPU; returns when it stops. */
void vmm_run_guest(const struct boot_info *bi);

#endif
