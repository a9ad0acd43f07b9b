/*
 * The vendor-neutral virtual CPU. Each vendor backend (arch/x86/svm, arch/x86/vmx) implements
 * struct vcpu_ops and translates its hardware exit codes into struct vm_exit; everything in vmm/
 * works on these types only.
 */
#ifndef HV_VMM_VCPU_H
#define HV_VMM_VCPU_H

#include "types.h"
#include "vmm/gpr.h"
#include "x86/cpu.h"
#include "x86/paging.h"
#include "x86/power_on.h"
#include "x86/traps.h"

struct partition;
struct percpu;

/*
 * Guest general registers in ModRM order, so that register n of an instruction is gpr[n]. The entry
 * assembly loads and saves all but RSP; RSP is the copy of the VMCB/VMCS field read at every exit
 * (like struct vcpu's rip and rflags) and written back before the next entry when it is dirty.
 */
struct guest_regs {
	union {
		uint64_t gpr[GPR_NR];
		struct {
			uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
			uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
		};
	};
};
_Static_assert(__builtin_offsetof(struct guest_regs, rsp) == GPR_RSP * 8 &&
		       __builtin_offsetof(struct guest_regs, r15) == GPR_R15 * 8,
	       "the named registers alias gpr[] in ModRM order");

/* Why the guest stopped running. EXIT_UNKNOWN is what every exit record holds before an entry. */
enum exit_reason {
	EXIT_UNKNOWN = 0,
	EXIT_CPUID,
	EXIT_MSR_READ,
	EXIT_MSR_WRITE,
	EXIT_NPF,           /* nested/extended page fault: gpa, access in qualification */
	EXIT_NMI,
	EXIT_EXTINT,
	EXIT_XSETBV,
	EXIT_IO,
	EXIT_INIT,
	EXIT_SIPI,
	EXIT_SHUTDOWN,      /* triple fault */
	EXIT_HYPERCALL,     /* VMMCALL / VMCALL */
	EXIT_EXCEPTION,     /* an intercepted guest exception: vector, error code */
	EXIT_VIRT_INSN,     /* the guest used a virtualization instruction we do not offer */
	EXIT_FAILED_ENTRY,  /* the hardware refused to enter the guest */
	EXIT_IRQ_WINDOW,    /* the guest can take an interrupt now */
	EXIT_NMI_WINDOW,    /* the guest can take an NMI now */
	EXIT_INVD,          /* INVD: performed as WBINVD */
	EXIT_SMI,           /* SVM: an SMI in guest mode, still pending, for the host to take */
	EXIT_TIMER,         /* the hypervisor's own timer (VMX preemption timer): nothing for the guest */
	EXIT_TASK_SWITCH,   /* VMX: a hardware task switch, to be emulated (vmm/task_switch.c) */
	EXIT_NR
};

/* Access bits in vm_exit.qualification for EXIT_NPF. */
#define NPF_READ (1U << 0)
#define NPF_WRITE (1U << 1)
#define NPF_FETCH (1U << 2)

/*
 * The decoded exit. The detail of each reason shares storage with the others', so the record stays
 * four words and a decoder writes it whole cheaply on every exit: read only what the reason has.
 */
struct vm_exit {
	enum exit_reason reason;
	uint32_t insn_len;       /* length of the exiting instruction, 0 when unknown */
	uint64_t raw_reason;     /* the vendor's exit code, for dumps */
	union {
		struct {                 /* EXIT_NPF (gpa also for VMX EPT misconfigurations) */
			uint64_t gpa;            /* guest-physical address */
			uint64_t qualification;  /* NPF_READ, NPF_WRITE, NPF_FETCH */
		};
		struct {                 /* EXIT_EXCEPTION, EXIT_EXTINT, EXIT_SIPI */
			uint8_t vector;
			bool has_vector; /* EXIT_EXTINT: the hardware acknowledged the interrupt (VMX) */
			bool has_error_code;
			uint32_t error_code;
			uint64_t cr2;    /* EXIT_EXCEPTION #PF: the faulting address */
		};
		struct {                 /* EXIT_IO */
			uint16_t port;
			uint8_t size;    /* 1, 2 or 4 */
			bool in;
			bool string;
			bool rep;
		} io;
		const char *failure;     /* EXIT_FAILED_ENTRY: the hardware's reason, by name */
		struct {                 /* EXIT_TASK_SWITCH (insn_len: that of CALL, JMP, IRET or INT n) */
			uint16_t selector;       /* of the new TSS */
			uint8_t source;          /* TASK_SWITCH_* */
			uint8_t vector;          /* TASK_SWITCH_GATE: the event that went through the gate */
			uint8_t event_type;      /* enum event_type of that event */
			bool has_error_code;
			bool soft_int;           /* INT n, INT3 or INTO: the gate's DPL is checked */
			uint32_t error_code;
		} task_switch;
	};
};
_Static_assert(sizeof(struct vm_exit) == 32, "the exit record stays four words");

/* What started a task switch (the VMX exit qualification's bits 31:30 use these numbers). */
enum task_switch_source {
	TASK_SWITCH_CALL = 0,
	TASK_SWITCH_IRET = 1,
	TASK_SWITCH_JMP = 2,
	TASK_SWITCH_GATE = 3, /* a task gate in the IDT, reached by an event */
};

enum vcpu_reg {
	/* CR3 written under PAE paging loads the PDPTEs as MOV CR3 does (VMX keeps them in the VMCS). */
	VCPU_RIP, VCPU_RSP, VCPU_RFLAGS, VCPU_CR0, VCPU_CR2, VCPU_CR3, VCPU_CR4, VCPU_EFER,
	VCPU_CS_BASE,
	VCPU_CS_LD, /* read only: bit 0 = CS.L (64-bit code), bit 1 = CS.D (32-bit default size) */
	VCPU_TSC_OFFSET, /* added to the TSC the guest reads (RDTSC, RDTSCP, RDMSR) */
	VCPU_CPL,        /* read only: the current privilege level (SS.DPL) */
	VCPU_DR6,
	VCPU_ES_BASE, VCPU_SS_BASE, VCPU_DS_BASE, VCPU_FS_BASE, VCPU_GS_BASE, /* read only */
	/* read only: the exception an exit interrupted and that is to be delivered again, or VCPU_NO_EXCEPTION */
	VCPU_PENDING_EXCEPTION,
	/* read only: 1 when the guest was in HLT at this exit (VMX's activity state; SVM cannot tell: 0) */
	VCPU_HALTED,
	VCPU_REG_NR
};
#define VCPU_NO_EXCEPTION 0x100
#define VCPU_CS_L (1U << 0)
#define VCPU_CS_D (1U << 1)

/* The segment registers and descriptor-table registers, for read_segment()/write_segment(). */
enum vcpu_seg {
	VCPU_SEG_ES, VCPU_SEG_CS, VCPU_SEG_SS, VCPU_SEG_DS, VCPU_SEG_FS, VCPU_SEG_GS, /* ModRM order */
	VCPU_SEG_LDTR, VCPU_SEG_TR,
	VCPU_SEG_GDTR, VCPU_SEG_IDTR, /* base and limit only */
	VCPU_SEG_NR
};

/*
 * A segment register as the CPU holds it. attr is the descriptor's bits 40-47 in bits 0-7 and
 * bits 52-55 in bits 8-11 (type, S, DPL, P; AVL, L, D/B, G), the VMCB's format; the limit is
 * in bytes (granularity applied). `unusable`: loaded with a null selector (VMX's unusable bit; on
 * SVM a clear P).
 */
struct vcpu_segment {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint16_t attr;
	bool unusable;
};
#define SEG_ATTR_TYPE_MASK 0xFU
#define SEG_ATTR_S (1U << 4)
#define SEG_ATTR_DPL_SHIFT 5
#define SEG_ATTR_P (1U << 7)
#define SEG_ATTR_L (1U << 9)
#define SEG_ATTR_DB (1U << 10)
#define SEG_ATTR_G (1U << 11)

/* EVENT_SOFTWARE (INT n, INT3, INTO) is only ever reported back by a backend, never injected. */
enum event_type { EVENT_EXCEPTION, EVENT_NMI, EVENT_INTERRUPT, EVENT_SOFTWARE };

struct vcpu_event {
	enum event_type type;
	uint8_t vector;
	bool has_error_code;
	uint32_t error_code;
};

/*
 * The event type as both vendors encode it in bits 10:8 of their event fields (SVM EVENTINJ and
 * EXITINTINFO, APM vol. 2, 15.20; VMX interruption information, SDM vol. 3C, 25.8.3): the
 * backends check their own names against these.
 */
#define EVENT_FIELD_INTR (0U << 8)
#define EVENT_FIELD_NMI (2U << 8)
#define EVENT_FIELD_EXCEPTION (3U << 8)
#define EVENT_FIELD_TYPE_MASK (7U << 8) /* 4-6: software interrupts and exceptions */

static inline uint32_t event_type_to_field(enum event_type type)
{
	return type == EVENT_NMI ? EVENT_FIELD_NMI : type == EVENT_INTERRUPT ? EVENT_FIELD_INTR : EVENT_FIELD_EXCEPTION;
}

static inline enum event_type event_type_from_field(uint64_t field)
{
	uint32_t type = field & EVENT_FIELD_TYPE_MASK;

	return type == EVENT_FIELD_INTR ? EVENT_INTERRUPT
	       : type == EVENT_FIELD_NMI ? EVENT_NMI
	       : type == EVENT_FIELD_EXCEPTION ? EVENT_EXCEPTION
					       : EVENT_SOFTWARE;
}

/*
 * Where a vCPU starts, as data: whoever knows the protocol (a boot loader's, INIT-SIPI, an ACPI
 * waking vector) fills it in through the constructors below; the backends only load it. Everything
 * not named here is the INIT state (SDM vol. 3A, table 10-1).
 */
enum vcpu_start_mode {
	VCPU_START_PROTECTED, /* 32-bit protected mode, paging off, flat 4 GiB segments */
	VCPU_START_REAL,      /* real mode, 64 KiB segments */
	VCPU_START_IDLE,      /* real mode, waiting for a SIPI: halts in a private page and nested table */
};

struct vcpu_start {
	enum vcpu_start_mode mode;
	uint16_t code_sel;             /* CS */
	uint16_t data_sel;             /* DS, ES, SS, FS, GS */
	uint64_t cs_base;              /* real mode: where CS points (selector << 4, but not at the reset vector) */
	uint64_t cr0;
	uint64_t rip;
	struct guest_regs regs;        /* RSP is 0 whatever this says */
};

/*
 * The selectors of a flat GDT's first code and data descriptors, as GRUB leaves them, where a
 * protocol asks for flat segments without naming selectors (multiboot, the ACPI 32-bit wake).
 */
#define FLAT32_CODE_SEL 0x08
#define FLAT32_DATA_SEL 0x10

/* Flat 32-bit protected mode with these selectors, as a boot loader leaves a kernel. */
static inline struct vcpu_start vcpu_start_flat32(uint64_t rip, uint16_t code_sel, uint16_t data_sel)
{
	return (struct vcpu_start){ .mode = VCPU_START_PROTECTED, .code_sel = code_sel, .data_sel = data_sel,
				    .cr0 = CR0_PE | CR0_ET | CR0_NE, .rip = rip };
}

/* The INIT state in real mode at cs:ip (an ACPI waking vector). */
static inline struct vcpu_start vcpu_start_real(uint16_t cs, uint64_t ip)
{
	return (struct vcpu_start){ .mode = VCPU_START_REAL, .code_sel = cs, .cs_base = (uint64_t)cs << 4,
				    .cr0 = CR0_INIT, .rip = ip };
}

/* After INIT-SIPI (SDM vol. 3A, 11.4.4): real mode at vector << 8 : 0. */
static inline struct vcpu_start vcpu_start_sipi(uint8_t vector)
{
	return vcpu_start_real((uint16_t)(vector << 8), 0);
}

/* The boot CPU after INIT: the reset vector, whose CS base is not selector << 4. */
static inline struct vcpu_start vcpu_start_reset(void)
{
	struct vcpu_start s = vcpu_start_real(RESET_CS_SELECTOR, RESET_IP);

	s.cs_base = RESET_CS_BASE;
	return s;
}

/* A vCPU waiting for the guest's SIPI. */
static inline struct vcpu_start vcpu_start_idle(void)
{
	return (struct vcpu_start){ .mode = VCPU_START_IDLE, .cr0 = CR0_INIT };
}

/* vcpu.startup: the INIT/SIPI state, changed by senders and the vCPU with atomic compare-exchange. */
#define VCPU_WAITING (1U << 8)      /* in the wait-for-SIPI state (owned by the vCPU) */
#define VCPU_INIT_PENDING (1U << 9) /* an INIT was sent and is not processed yet */
#define VCPU_SIPI_PENDING (1U << 10) /* a SIPI for a waiting (or INIT-pending) vCPU; vector in 7:0 */
#define VCPU_SIPI_VECTOR_MASK 0xFFU

#define EXIT_STATS_SLOTS 32 /* a power of two above EXIT_NR: the statistics index is a mask */
_Static_assert(EXIT_NR <= EXIT_STATS_SLOTS && (EXIT_STATS_SLOTS & (EXIT_STATS_SLOTS - 1)) == 0,
	       "every reason has its statistics slot");

/*
 * vcpu.attention: whether the next entry must first look at the vCPU's waiting work, so the exit
 * path tests one word instead of every set it could be in. A bit says why (for dumps); the slow
 * path looks at everything whatever the bits say.
 *   - Whoever makes work wait sets a bit after it made the work visible (release): a guest event
 *     queued (vmm/irq.c, the host's interrupt and NMI handlers), an INIT or SIPI posted
 *     (vmm/initsipi.c), the partition stopping (partition_stop()).
 *   - Only the vCPU's own CPU clears the word, all at once, before it looks (vcpu_take_attention(),
 *     acquire), and sets again what it leaves waiting (an event the guest cannot take yet).
 * So a set that races with the clear is never lost: it either lands before it (and is looked at)
 * or after it (and is still set at the next check). A clear word means nothing waits.
 */
#define VCPU_ATTN_EVENT (1U << 0)   /* a guest interrupt or NMI waits (vCPU or its CPU's latched sets) */
#define VCPU_ATTN_STARTUP (1U << 1) /* an INIT or SIPI was posted to vcpu.startup */
#define VCPU_ATTN_STOP (1U << 2)    /* the partition is stopping */
#define VCPU_ATTN_ALL (VCPU_ATTN_EVENT | VCPU_ATTN_STARTUP | VCPU_ATTN_STOP)

#define EXIT_HISTORY 16 /* a power of two: the ring index is a mask */
_Static_assert((EXIT_HISTORY & (EXIT_HISTORY - 1)) == 0, "EXIT_HISTORY is a power of two");

/* Cached guest state that differs from the VMCB/VMCS and must be written back before the entry. */
#define VCPU_DIRTY_RIP (1U << 0)
#define VCPU_DIRTY_RSP (1U << 1)
#define VCPU_DIRTY_RFLAGS (1U << 2)
#define VCPU_DIRTY_SHADOW (1U << 3) /* the interrupt shadow was cleared */

struct vcpu {
	struct partition *part;
	struct percpu *cpu;
	unsigned int id;
	bool idle;                     /* waiting for a SIPI: nothing to deliver interrupts to */
	volatile uint32_t startup;     /* VCPU_WAITING, VCPU_INIT_PENDING, VCPU_SIPI_PENDING | vector */
	volatile uint32_t attention;   /* VCPU_ATTN_*: work waits for the next entry (rules above) */
	uint64_t inits, sipis;         /* processed, for the log and dumps */
	uint64_t hardware_inits;       /* INIT exits (and #SX INITs), counted for the log */
	uint64_t smi_exits;            /* SVM SMI intercepts, counted for the log */
	struct guest_regs regs;
	/*
	 * The register cache: read once at every exit by the backend, served from here, and written
	 * back before the next entry only where `dirty` says it changed (RAX and RSP are in regs).
	 */
	uint64_t rip, rflags;
	bool interrupt_shadow;         /* STI or MOV SS blocking at the exit */
	uint32_t dirty;                /* VCPU_DIRTY_* */
	struct vm_exit exit;
	const char *reset_request;     /* why a handler answered EXIT_RESET (vmm/exit.h) */
	void *msr_bitmap;              /* this vCPU's copy of the partition's bitmap (vmm/msr.c adjusts it) */
	paddr_t msr_bitmap_pa;
	uint64_t apic_base;            /* IA32_APIC_BASE as the guest sees it (vmm/lapic_base.c) */
	bool apic_page_trapped;        /* reads of the APIC page are emulated (vmm/lapic.c) */
	uint32_t xapic_icr_high;       /* the guest's last ICR high word (the destination) */
	uint32_t xapic_ldr, xapic_dfr; /* the guest's LDR and DFR, from its trapped writes: for logical
					  INIT/STARTUP destinations, and an xAPIC guest on an x2APIC APIC */
	uint64_t tsc_offset;           /* guest TSC - host TSC */
	uint64_t host_tsc_adjust;      /* the hardware's IA32_TSC_ADJUST, which the guest never writes */
	uint64_t irq_pending[4];       /* guest vectors acknowledged at the APIC, waiting for injection */
	uint64_t irq_deferred[4];      /* edge vectors taken back from the APIC's ISR, to be sent again */
	uint32_t nmi_pending;          /* NMIs for the guest, waiting until it can take one */
	uint64_t injected_irqs;
	uint64_t exits[EXIT_NR];       /* per-reason counters */
	uint64_t total_exits;
	/*
	 * Cycles in the hypervisor per reason, from the exit (the TSC read when the hardware returns
	 * to the backend) to the next entry: sums and maxima, written by this vCPU's CPU only (no locks),
	 * read racily by the debug keys. Indexed by reason & (EXIT_STATS_SLOTS - 1): a mask, not a
	 * bounds check, on the exit path.
	 */
	uint64_t exit_tsc;
	unsigned int last_reason;      /* of the last counted exit: its cycles are added at the entry */
	uint64_t exit_cycles[EXIT_STATS_SLOTS];
	uint64_t exit_cycles_max[EXIT_STATS_SLOTS];
	struct exit_trace {
		uint64_t raw_reason;     /* the vendor's code */
		uint64_t rip;
		uint64_t qualification;  /* the reason's first detail word: GPA, port/size, vector... */
		uint64_t tsc;            /* when the exit happened */
	} history[EXIT_HISTORY];       /* the last exits, dumped when the vCPU stops */
};

/* The backend of one vendor. Exactly one is active, chosen at boot by arch/x86/virt.c. */
struct vcpu_ops {
	const char *name;
	/* Enter SVM/VMX operation on the calling CPU; a clear message and an error if impossible. */
	int (*cpu_enable)(void);
	/*
	 * The size of the backend's vCPU, which embeds struct vcpu at offset 0 (vmm.c allocates it,
	 * zeroed; the backend finds its part with container_of()).
	 */
	size_t vcpu_size;
	/* Builds the vCPU's hardware state for `start` in partition `v->part`. */
	int (*vcpu_create)(struct vcpu *v, const struct vcpu_start *start);
	/*
	 * On the vCPU's own CPU: puts the existing vCPU into the state of `start` (IDLE or SIPI) as an
	 * INIT would, with its intercepts and nested table; MSR state and the TSC offset are kept.
	 */
	void (*vcpu_reset)(struct vcpu *v, const struct vcpu_start *start);
	/*
	 * On the vCPU's own CPU, after cpu_enable() brought SVM/VMX back (a resume from S3): makes the
	 * vCPU's VMCB/VMCS usable on this CPU again; vcpu_reset() then gives it a start state.
	 */
	void (*vcpu_reload)(struct vcpu *v);
	/*
	 * Enters the guest. Returns true at the next exit the general path must handle, with v->exit
	 * decoded; false when the exits so far were all completed in the backend's fast path
	 * (include/vmm/fastpath.h) and the vCPU needs attention before its next entry.
	 */
	bool (*run)(struct vcpu *v);
	/* RIP, RSP and RFLAGS are served from and written to the register cache. */
	uint64_t (*read_reg)(struct vcpu *v, enum vcpu_reg reg);
	void (*write_reg)(struct vcpu *v, enum vcpu_reg reg, uint64_t value);
	/*
	 * The segment registers, LDTR, TR, GDTR and IDTR (enum vcpu_seg). Written only by emulation
	 * that loads them as the CPU would (vmm/task_switch.c); writing SS also sets the CPL to its DPL.
	 */
	void (*read_segment)(struct vcpu *v, enum vcpu_seg seg, struct vcpu_segment *s);
	void (*write_segment)(struct vcpu *v, enum vcpu_seg seg, const struct vcpu_segment *s);
	/*
	 * Queues an event for the next entry, replacing the one queued before (vcpu_inject_exception()
	 * has decided what becomes of that). Only encodes: no architectural rule lives here.
	 */
	void (*inject_event)(struct vcpu *v, const struct vcpu_event *event);
	/* The event queued for the next entry (an exit during its delivery queues it again), if any. */
	bool (*pending_event)(struct vcpu *v, struct vcpu_event *event);
	/* Intercepts exactly the guest exception vectors in `mask`. */
	void (*set_exception_intercepts)(struct vcpu *v, uint32_t mask);
	/* Lets an NMI that caused an NMI exit reach the host handler (it latches cpu->nmi_pending). */
	void (*take_pending_nmi)(void);
	/* Lets interrupts that caused an exit reach the host IDT, which latches them (SVM). */
	void (*take_host_interrupts)(void);
	/* Whether an event of this type can be injected at the next entry. */
	bool (*event_allowed)(struct vcpu *v, enum event_type type);
	/* Asks for an exit as soon as the guest can take such an event. */
	void (*request_event_window)(struct vcpu *v, enum event_type type);
	/* The nested tables changed under this vCPU: drop its cached guest-physical translations. */
	void (*flush_nested_tlb)(struct vcpu *v);
	/* Prints the raw VMCB/VMCS state. */
	void (*dump)(struct vcpu *v);
	/* Makes the second-level page-table format (NPT or EPT) in a pt_ctx, 1 GiB leaves included. */
	void (*init_npt_format)(struct pt_ctx *ctx);
	/* The MSR bitmap layout and size this vendor uses. */
	int msr_bitmap_layout;
	/*
	 * Vendor traits, stated rather than sniffed from other fields. Exception vectors whose
	 * intercept this vendor cannot reflect into the guest exactly (a bit per vector).
	 */
	uint32_t unreflectable_exceptions;
};

extern const struct vcpu_ops *vcpu_ops;

/* Runs the vCPU until its partition stops. */
void vcpu_run_loop(struct vcpu *v);
/*
 * Before an entry: hand the guest the best pending event it can take, or ask for a window. Returns
 * whether events still wait (the caller keeps VCPU_ATTN_EVENT set for them).
 */
bool vcpu_deliver_events(struct vcpu *v);
/*
 * A backend dropped an event it was about to deliver again (an exception raised on top of it is
 * delivered instead, SDM vol. 3, table 6-5 "serial"): an interrupt or NMI goes back to wait, so
 * it is delivered after the exception instead of being lost.
 */
void vcpu_event_displaced(struct vcpu *v, const struct vcpu_event *e);
/* Whether `second`, raised while `first` is delivered, makes a double fault (SDM vol. 3, table 6-5). */
bool vcpu_events_double_fault(const struct vcpu_event *first, const struct vcpu_event *second);

/* Work waits for this vCPU (any CPU, NMI handlers included): see VCPU_ATTN_*. */
static inline void vcpu_request_attention(struct vcpu *v, uint32_t why)
{
	__atomic_fetch_or(&v->attention, why, __ATOMIC_RELEASE);
}

/* On the vCPU's own CPU, before every entry: one load. */
static inline bool vcpu_needs_attention(const struct vcpu *v)
{
	return __atomic_load_n(&v->attention, __ATOMIC_RELAXED) != 0;
}

/* On the vCPU's own CPU, before it looks at the waiting work: clears the word, returns what it held. */
static inline uint32_t vcpu_take_attention(struct vcpu *v)
{
	return __atomic_exchange_n(&v->attention, 0, __ATOMIC_ACQ_REL);
}

static inline void vcpu_set_rip(struct vcpu *v, uint64_t rip)
{
	v->rip = rip;
	v->dirty |= VCPU_DIRTY_RIP;
}

#define RFLAGS_TF (1ULL << 8)
#define DR6_BS (1ULL << 14)

/* An emulated instruction completed with RFLAGS.TF set: the single-step #DB, DR6.BS (vmm/emulate.c). */
void vcpu_single_step_trap(struct vcpu *v);

/*
 * Completes `len` bytes of guest instruction for the guest: RIP, an STI/MOV SS shadow ends, and
 * with RFLAGS.TF the #DB that hardware raises after the instruction.
 */
static inline void vcpu_advance_rip(struct vcpu *v, uint64_t len)
{
	vcpu_set_rip(v, v->rip + len);
	if (v->interrupt_shadow) {
		v->interrupt_shadow = false;
		v->dirty |= VCPU_DIRTY_SHADOW;
	}
	if (__builtin_expect(v->rflags & RFLAGS_TF, 0))
		vcpu_single_step_trap(v);
}

/* Completes the instruction that exited (its length is in the exit record). */
static inline void vcpu_skip_instruction(struct vcpu *v)
{
	vcpu_advance_rip(v, v->exit.insn_len);
}

/* General register n in ModRM order (0 = RAX ... 15 = R15). */
static inline uint64_t vcpu_gpr(const struct vcpu *v, unsigned int n)
{
	return v->regs.gpr[n & 15];
}

static inline void vcpu_set_gpr(struct vcpu *v, unsigned int n, uint64_t value)
{
	v->regs.gpr[n & 15] = value;
	if ((n & 15) == GPR_RSP)
		v->dirty |= VCPU_DIRTY_RSP;
}
/*
 * Raises an exception in the guest. Raised while another event is still to be delivered, it follows
 * the SDM's rules for two events (vol. 3, 6.15, tables 6-4 and 6-5): the pair becomes a #DF, or
 * the new one goes first and the old one waits (vcpu_event_displaced()).
 */
void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error_code, uint32_t error_code);
static inline void vcpu_inject_gp(struct vcpu *v)
{
	vcpu_inject_exception(v, EXC_GP, true, 0);
}
/* The vector of the exception queued for the next entry, or VCPU_NO_EXCEPTION (read_reg's VCPU_PENDING_EXCEPTION). */
unsigned int vcpu_pending_exception(struct vcpu *v);
/* Prints the vCPU's registers, exit counters and recent exits, then the backend's raw state. */
/* The guest's RIP, RSP, RFLAGS and general registers as at its last exit, at log `level`. */
void vcpu_print_gprs(const struct vcpu *v, int level);
void vcpu_dump(struct vcpu *v);
/* Prints the ring of recent exits, oldest first (on a panic, an unhandled exit, the `r` key). */
void vcpu_dump_history(const struct vcpu *v);
/* On a panic: the calling CPU's vCPU's recent exits, if it runs one. */
void vcpu_panic_dump(void);

/*
 * Just before an entry: the cycles since the exit go to the last counted exit's reason (a
 * subtraction, an add and a compare: no division, no lock). The backends' entry calls it.
 */
static inline void vcpu_account_entry(struct vcpu *v)
{
	unsigned int r = v->last_reason & (EXIT_STATS_SLOTS - 1);
	uint64_t d = rdtsc() - v->exit_tsc;

	v->exit_cycles[r] += d;
	if (d > v->exit_cycles_max[r])
		v->exit_cycles_max[r] = d;
}

#endif
