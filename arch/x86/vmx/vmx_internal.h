/* Shared between the files of the VMX backend only. */
#ifndef HV_VMX_INTERNAL_H
#define HV_VMX_INTERNAL_H

#include "vmm/vcpu.h"
#include "x86/vmx.h"

/*
 * The exit-information fields the decoder works from. The backend reads (VMREAD) only those the
 * exit reason needs (vmx_exit_fields_needed); the others stay 0.
 */
struct vmx_exit_fields {
	uint32_t reason;           /* VMCS_EXIT_REASON: basic reason in 15:0, entry failure in bit 31 */
	uint32_t insn_len;         /* VMCS_EXIT_INSN_LEN */
	uint32_t intr_info;        /* VMCS_EXIT_INTR_INFO */
	uint32_t intr_error_code;  /* VMCS_EXIT_INTR_ERROR_CODE */
	uint64_t qualification;    /* VMCS_EXIT_QUALIFICATION */
	uint64_t guest_physical;   /* VMCS_GUEST_PHYSICAL_ADDR (EPT violations and misconfigurations) */
	uint32_t idt_vectoring;    /* VMCS_IDT_VECTORING_INFO: the event an exit interrupted */
	uint32_t idt_error_code;   /* VMCS_IDT_VECTORING_ERROR_CODE */
};

#define VMX_FIELD_QUALIFICATION (1U << 0)
#define VMX_FIELD_GUEST_PHYSICAL (1U << 1)
#define VMX_FIELD_INSN_LEN (1U << 2)
#define VMX_FIELD_INTR_INFO (1U << 3) /* and the error code, when INTR_INFO says there is one */
#define VMX_FIELD_IDT_VECTORING (1U << 4) /* and its error code, likewise */

/* Task-switch exits (SDM vol. 3C, table 28-2): the new TSS selector and what started the switch. */
#define VMX_TASK_SWITCH_SELECTOR_MASK 0xFFFFU
#define VMX_TASK_SWITCH_SOURCE_SHIFT 30

/* Which fields the decoder reads for this exit reason (VMX_FIELD_*). */
unsigned int vmx_exit_fields_needed(uint32_t reason);

/*
 * Translates one VM exit into the neutral record: e is cleared, then filled from f. Exits with no
 * neutral meaning become EXIT_UNKNOWN with raw_reason kept, so the dispatcher dumps and stops.
 * EXIT_EXTINT carries the vector (and has_vector) only when the exit acknowledged the interrupt.
 */
void vmx_decode_exit(struct vm_exit *e, const struct vmx_exit_fields *f);

/*
 * Records a VMLAUNCH/VMRESUME that did not enter the guest and produced no exit (VMfailValid
 * with the VM-instruction error insn_error, or VMfailInvalid when insn_error is 0) as
 * EXIT_FAILED_ENTRY, named. raw_reason is VMX_RAW_VMFAIL | insn_error, outside the range of
 * hardware exit reasons.
 */
#define VMX_RAW_VMFAIL (1ULL << 32)
void vmx_decode_vmfail(struct vm_exit *e, uint32_t insn_error);

#endif
