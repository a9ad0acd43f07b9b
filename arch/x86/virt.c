/* Picks the virtualization backend: the only file that names both vendors. */
#include "console.h"
#include "errno.h"
#include "vmm/vcpu.h"
#include "vmm/vmm.h"
#include "x86/reboot.h"
#include "x86/cpufeature.h"
#include "x86/virt_backend.h"

const struct vcpu_ops *vcpu_ops;

int virt_select(void)
{
	if (boot_cpu.vendor == VENDOR_AMD && boot_cpu.svm) {
		vcpu_ops = &svm_vcpu_ops;
	} else if (boot_cpu.vendor == VENDOR_INTEL && boot_cpu.vmx) {
		vcpu_ops = &vmx_vcpu_ops;
	} else {
		pr_err("virt: this CPU offers neither SVM nor VMX (CPUID): nothing can be virtualized");
		return -E_NOSUPP;
	}
	pr_info("virt: using %s", vcpu_ops->name);
	return 0;
}

/*
 * The reboot path does not trust bookkeeping: whatever this CPU supports, it tries to leave,
 * and the exception table eats what faults because it was never entered.
 */
unsigned int virt_leave_cpu(void)
{
	if (boot_cpu.svm)
		return svm_leave_cpu();
	if (boot_cpu.vmx)
		return vmx_leave_cpu();
	return 0;
}

const char *virt_name(void)
{
	return boot_cpu.svm ? "SVM" : boot_cpu.vmx ? "VMX" : "no virtualization";
}
