/* The raw VMCS, printed when a vCPU stops; the fields the entry checks cover come first. */
#include "console.h"
#include "vmx_backend.h"
#include "x86/vmx_ops.h"

struct named_field {
	const char *name;
	uint64_t field;
};

#define F(name) { #name, VMCS_##name }

static const struct named_field fields[] = {
	F(EXIT_REASON), F(EXIT_QUALIFICATION), F(GUEST_PHYSICAL_ADDR), F(GUEST_LINEAR_ADDR),
	F(EXIT_INTR_INFO), F(EXIT_INTR_ERROR_CODE), F(IDT_VECTORING_INFO), F(EXIT_INSN_LEN), F(INSN_ERROR),
	F(PIN_CONTROLS), F(PROC_CONTROLS), F(PROC2_CONTROLS), F(EXIT_CONTROLS), F(ENTRY_CONTROLS),
	F(ENTRY_INTR_INFO), F(EXCEPTION_BITMAP), F(EPT_POINTER),
	F(GUEST_CR0), F(CR0_READ_SHADOW), F(CR0_GUEST_HOST_MASK), F(GUEST_CR3), F(GUEST_CR4),
	F(CR4_READ_SHADOW), F(CR4_GUEST_HOST_MASK), F(GUEST_EFER), F(GUEST_RIP), F(GUEST_RSP),
	F(GUEST_RFLAGS), F(GUEST_ACTIVITY_STATE), F(GUEST_INTERRUPTIBILITY),
	F(GUEST_CS_SELECTOR), F(GUEST_CS_BASE), F(GUEST_CS_LIMIT), F(GUEST_CS_AR),
	F(GUEST_SS_SELECTOR), F(GUEST_SS_AR), F(GUEST_DS_SELECTOR), F(GUEST_DS_AR),
	F(GUEST_TR_SELECTOR), F(GUEST_TR_LIMIT), F(GUEST_TR_AR), F(GUEST_LDTR_AR),
	F(GUEST_GDTR_BASE), F(GUEST_GDTR_LIMIT), F(GUEST_IDTR_BASE), F(GUEST_IDTR_LIMIT),
	F(HOST_CR0), F(HOST_CR3), F(HOST_CR4), F(HOST_RIP), F(HOST_RSP), F(HOST_GS_BASE), F(HOST_TR_BASE),
};

void vmx_dump(struct vcpu *v)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(fields); i++) {
		uint64_t value = 0;

		if (vmread_safe(fields[i].field, &value))
			pr_err("vmcs: %-22s (unreadable)", fields[i].name);
		else
			pr_err("vmcs: %-22s %#llx", fields[i].name, (unsigned long long)value);
	}
}
