/*
 * Per-CPU state: one page-aligned block per CPU, reached through the GS base. The first field
 * points to the block itself so this_cpu() is a single GS-relative load.
 */
#ifndef HV_X86_PERCPU_H
#define HV_X86_PERCPU_H

#include "types.h"
#include "x86/desc.h"

struct vcpu;

/*
 * percpu.requests: set by the sender before its NMI, so the receiver can tell the hypervisor's
 * NMIs from the guest's. CPU_REQ_LEAVE is the reboot path's (x86/reboot.h).
 */
#define CPU_REQ_KICK (1U << 1) /* leave the guest and look at vcpu.startup (vmm/initsipi.c) */

#define MAX_CPUS 256
#define PERCPU_STACK_SIZE (16 * KiB)

struct percpu {
	struct percpu *self;
	uint32_t cpu_id;   /* dense number, 0 = boot CPU */
	uint32_t apic_id;
	uintptr_t stack_bottom; /* this CPU's main stack, for stack traces */
	uintptr_t stack_top;
	volatile int fixup_vector; /* vector of the last fault the exception table recovered */
	volatile bool online;
	bool x2apic;                    /* this CPU's local APIC is in x2APIC mode (the guest may switch it) */
	volatile uint32_t nmi_pending;  /* guest NMIs taken by the host, not yet handed on */
	volatile uint32_t nmis_seen;    /* every NMI taken by the host, the hypervisor's too */
	volatile uint64_t kick_grace_until; /* TSC: an unflagged NMI before this is a late kick, ours */
	volatile uint32_t requests;     /* what the NMI sender wants (CPU_REQ_*): tells our NMIs from others */
	volatile uint32_t leave_state;  /* the reboot path's acknowledgement (LEAVE_*) */
	volatile uint32_t leave_faults; /* faults eaten while leaving virtualization */
	volatile uint64_t irq_latched[4]; /* guest vectors the host acknowledged, not yet handed on */
	uint64_t hv_ipis;               /* hypervisor IPIs received (HV_IPI_VECTOR) */
	uint32_t inits_redirected;      /* SVM: INITs that arrived in host mode as #SX (VM_CR.R_INIT) */
	struct percpu_virt {            /* the backend's frames, kept across a suspend; 0 until cpu_enable() */
		paddr_t vmxon_pa;       /* VMX: the VMXON region */
		paddr_t host_save_pa;   /* SVM: VM_HSAVE_PA, where VMRUN keeps host state */
		paddr_t host_vmcb_pa;   /* SVM: VMSAVE/VMLOAD area of the host's FS/GS/TR/syscall state */
	} virt;
	struct vcpu *vcpu;              /* the vCPU this CPU runs */
	void (*volatile work)(void);    /* what a parked AP is asked to run (smp_run_on_aps) */

	uint64_t gdt[GDT_ENTRIES] __aligned(16);
	struct tss64 tss __aligned(16);

	uint8_t ist_stacks[IST_COUNT][IST_STACK_SIZE] __aligned(4096);
} __aligned(4096);

_Static_assert(sizeof(struct percpu) % 4096 == 0, "per-CPU block must be whole pages");
_Static_assert(__builtin_offsetof(struct percpu, self) == 0, "this_cpu() reads gs:0");

extern struct percpu bsp_percpu;

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;

	asm volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}

static inline unsigned int this_cpu_id(void)
{
	unsigned int id;

	asm volatile("movl %%gs:%c1, %0" : "=r"(id) : "i"(__builtin_offsetof(struct percpu, cpu_id)));
	return id;
}

/*
 * Every NMI the host takes comes here (the host handler, or the NMI exit where it consumed the NMI):
 * the reboot path's request never returns; a kick is the hypervisor's and is consumed; anything
 * else is the guest's, counted for injection. No locks, no allocation, no faults.
 */
void cpu_nmi_arrived(void);

/* Points GS at `cpu` (which must already hold its self pointer). */
void percpu_install(struct percpu *cpu);

#endif
