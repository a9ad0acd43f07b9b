/* Shared between the files of the SVM backend only. */
#ifndef HV_SVM_INTERNAL_H
#define HV_SVM_INTERNAL_H

#include "frame.h"
#include "vmm/vcpu.h"
#include "x86/svm.h"

struct svm_vcpu {
	struct vcpu vcpu; /* first: vmm/vmm.c allocates the whole as a struct vcpu */
	struct vmcb *vmcb;
	paddr_t vmcb_pa;
	paddr_t host_vmcb_pa; /* the host state of the vCPU's CPU (percpu.virt) */
	uint32_t guest_exception_mask; /* what the partition asked for; #DB may be added below */
	bool nmi_blocked;   /* an NMI was injected and the guest has not finished its IRET yet */
	bool nmi_stepping;  /* single-stepping over that IRET to see it complete */
};

_Static_assert(SVM_EVENT_TYPE_INTR == EVENT_FIELD_INTR && SVM_EVENT_TYPE_NMI == EVENT_FIELD_NMI &&
		       SVM_EVENT_TYPE_EXCEPTION == EVENT_FIELD_EXCEPTION && SVM_EVENT_TYPE_MASK == EVENT_FIELD_TYPE_MASK,
	       "EVENTINJ types as vcpu.h encodes them");
_Static_assert(offsetof(struct svm_vcpu, vcpu) == 0, "struct vcpu comes first (vcpu_ops.vcpu_size)");
_Static_assert(sizeof(struct svm_vcpu) <= FRAME_SIZE, "a vCPU stays one frame");

static inline struct svm_vcpu *to_svm(struct vcpu *v)
{
	return container_of(v, struct svm_vcpu, vcpu);
}

extern bool svm_has_nrips;

/* Lengths of the exiting instructions when the CPU has no NRIPS (QEMU TCG has none). */
#define LEN_CPUID 2
#define LEN_RDMSR_WRMSR 2
#define LEN_VMMCALL 3
#define LEN_XSETBV 3
#define LEN_INVD 2

/* An intercepted instruction's length: from NRIPS when the CPU has it, else `fixed`, the exit type's. */
static inline uint32_t svm_insn_len(const struct vmcb *vmcb, bool nrips, uint32_t fixed)
{
	return nrips && vmcb->control.next_rip > vmcb->save.rip ? (uint32_t)(vmcb->control.next_rip - vmcb->save.rip)
								: fixed;
}

/*
 * Translates one #VMEXIT into the neutral record: a pure function of the VMCB's exit fields and
 * guest RIP, and of whether the CPU has NRIPS (without it, instruction lengths come from the exit
 * type). e is written whole. Exits with no neutral meaning become EXIT_UNKNOWN, raw_reason kept.
 */
void svm_decode_exit(struct vm_exit *e, const struct vmcb *vmcb, bool nrips);
void svm_dump_vmcb(const struct vmcb *vmcb);

/* The VMCB of a vCPU (svm_vmcb.c): built for `start`, put back into a start state, trusted again after S3. */
int svm_vcpu_create(struct vcpu *v, const struct vcpu_start *start);
void svm_vcpu_reset(struct vcpu *v, const struct vcpu_start *start);
void svm_vcpu_reload(struct vcpu *v);
/* vcpu_ops.read_segment and write_segment: VMCB fields (svm_vmcb.c). */
void svm_read_segment(struct vcpu *v, enum vcpu_seg seg, struct vcpu_segment *out);
void svm_write_segment(struct vcpu *v, enum vcpu_seg seg, const struct vcpu_segment *in);

#endif
