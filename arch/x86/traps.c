/* Exceptions taken by the hypervisor itself: recover through the exception table, or dump and stop. */
#include "console.h"
#include "panic.h"
#include "vmm/initsipi.h"
#include "vmm/vcpu.h"
#include "x86/cpu.h"
#include "x86/extable.h"
#include "x86/msr.h"
#include "x86/safe_insn.h"
#include "x86/irq.h"
#include "x86/reboot.h"
#include "x86/percpu.h"
#include "x86/traps.h"

#define STACK_TRACE_DEPTH 16

static const char *const names[NR_EXCEPTIONS] = {
	[EXC_DE] = "#DE divide error",	      [EXC_DB] = "#DB debug",
	[EXC_NMI] = "NMI",		      [EXC_BP] = "#BP breakpoint",
	[EXC_OF] = "#OF overflow",	      [EXC_BR] = "#BR bound range",
	[EXC_UD] = "#UD invalid opcode",      [EXC_NM] = "#NM device not available",
	[EXC_DF] = "#DF double fault",	      [9] = "coprocessor segment overrun",
	[EXC_TS] = "#TS invalid TSS",	      [EXC_NP] = "#NP segment not present",
	[EXC_SS] = "#SS stack fault",	      [EXC_GP] = "#GP general protection",
	[EXC_PF] = "#PF page fault",	      [EXC_MF] = "#MF x87 floating point",
	[EXC_AC] = "#AC alignment check",     [EXC_MC] = "#MC machine check",
	[EXC_XM] = "#XM SIMD floating point", [EXC_VE] = "#VE virtualization",
	[EXC_CP] = "#CP control protection",  [EXC_SX] = "#SX security",
};

const char *exception_name(unsigned int vector)
{
	if (vector < NR_EXCEPTIONS && names[vector])
		return names[vector];
	return "reserved vector";
}

static bool in_range(uintptr_t p, size_t len, uintptr_t lo, uintptr_t hi)
{
	return p >= lo && p + len <= hi && p + len > p;
}

/* Only follow frame pointers that stay inside one of this CPU's stacks, so a corrupt chain cannot fault. */
static bool on_cpu_stack(const struct percpu *cpu, uintptr_t p, size_t len)
{
	if (in_range(p, len, cpu->stack_bottom, cpu->stack_top))
		return true;
	for (unsigned int i = 0; i < IST_COUNT; i++) {
		uintptr_t lo = (uintptr_t)cpu->ist_stacks[i];

		if (in_range(p, len, lo, lo + IST_STACK_SIZE))
			return true;
	}
	return false;
}

static void stack_trace(const struct trap_frame *f)
{
	const struct percpu *cpu = this_cpu();
	uintptr_t fp = f->rbp;

	printk(LOG_EMERG, "stack trace (frame pointers):");
	printk(LOG_EMERG, "  [<%016lx>] (faulting instruction)", f->rip);
	for (int depth = 0; depth < STACK_TRACE_DEPTH; depth++) {
		const uintptr_t *frame = (const uintptr_t *)fp;

		if (!fp || !IS_ALIGNED(fp, 8) || !on_cpu_stack(cpu, fp, 16))
			break;
		printk(LOG_EMERG, "  [<%016lx>]", frame[1]);
		if (frame[0] <= fp)
			break;
		fp = frame[0];
	}
}

void trap_dump(const struct trap_frame *f)
{
	printk(LOG_EMERG, "EXCEPTION %s (vector %lu) error code 0x%lx", exception_name(f->vector), f->vector,
	       f->error_code);
	printk(LOG_EMERG, "RIP %04lx:%016lx RFLAGS %016lx RSP %04lx:%016lx", f->cs, f->rip, f->rflags, f->ss,
	       f->rsp);
	printk(LOG_EMERG, "CR0 %016lx CR2 %016lx CR3 %016lx CR4 %016lx", read_cr0(), read_cr2(), read_cr3(),
	       read_cr4());
	printk(LOG_EMERG, "RAX %016lx RBX %016lx RCX %016lx RDX %016lx", f->rax, f->rbx, f->rcx, f->rdx);
	printk(LOG_EMERG, "RSI %016lx RDI %016lx RBP %016lx", f->rsi, f->rdi, f->rbp);
	printk(LOG_EMERG, "R8  %016lx R9  %016lx R10 %016lx R11 %016lx", f->r8, f->r9, f->r10, f->r11);
	printk(LOG_EMERG, "R12 %016lx R13 %016lx R14 %016lx R15 %016lx", f->r12, f->r13, f->r14, f->r15);
	stack_trace(f);
}

void cpu_nmi_arrived(void)
{
	struct percpu *cpu = this_cpu();

	if (reboot_requested())
		reboot_respond();
	__atomic_fetch_add(&cpu->nmis_seen, 1, __ATOMIC_RELEASE);
	/* Ours: the run loop looks at the request before its next entry. Latched for the exit path otherwise. */
	if (__atomic_fetch_and(&cpu->requests, ~CPU_REQ_KICK, __ATOMIC_ACQ_REL) & CPU_REQ_KICK)
		return;
	/*
	 * A kick's NMI can come after its request was already taken, and after its flag went to an
	 * earlier NMI (the target saw the request on an exit of its own): for a short while after a
	 * kick, an unflagged NMI is that late one, not the guest's. A guest NMI in that window is
	 * merged with the kick, as the hardware merges NMIs that arrive together.
	 */
	if (rdtsc() < __atomic_load_n(&cpu->kick_grace_until, __ATOMIC_ACQUIRE))
		return;
	__atomic_fetch_add(&cpu->nmi_pending, 1, __ATOMIC_RELAXED);
	if (cpu->vcpu)
		vcpu_request_attention(cpu->vcpu, VCPU_ATTN_EVENT);
}

/*
 * SVM with VM_CR.R_INIT set: an INIT that arrives in host mode (GIF=1) raises #SX with error code
 * 1 instead of resetting the CPU (APM vol. 2, 15.29). It is an INIT for this CPU's vCPU. A CPU
 * without a vCPU (not yet created, or leaving on the reboot path) drops it, which is what R_INIT
 * is for: no INIT ever resets a CPU under the hypervisor.
 */
static void init_redirected(void)
{
	struct percpu *cpu = this_cpu();

	cpu->inits_redirected++;
	if (cpu->vcpu)
		initsipi_hardware_init(cpu->vcpu);
}

static int mcg_status_readable = -1; /* unknown until the first interrupt window */

void machine_check_probe(void)
{
	uint64_t status;

	if (__builtin_expect(mcg_status_readable < 0, 0))
		mcg_status_readable = !rdmsr_safe(MSR_IA32_MCG_STATUS, &status);
}

/*
 * MCG_STATUS.MCIP. Read only where the probe (made outside the window: a fault inside it would
 * reach the window's interrupt stubs) found the MSR; a CPU without it (Bochs lists MCA in CPUID
 * without its MSRs) has no machine check in progress either.
 */
static bool machine_check_in_progress(void)
{
	uint64_t status;

	return mcg_status_readable > 0 && !rdmsr_safe(MSR_IA32_MCG_STATUS, &status) && (status & MCG_STATUS_MCIP);
}

void trap_dispatch(struct trap_frame *frame)
{
	if (extable_fixup(frame))
		return;
	if (frame->vector >= NR_EXCEPTIONS) {
		unsigned int vector = frame->vector & ~IRQ_VECTOR_FLAG;

		/*
		 * In the interrupt window, IDT entry 18 is an interrupt stub: vector 0x12 is the
		 * guest's to send. A machine check that strikes there says so in MCG_STATUS.
		 */
		if (vector == EXC_MC && machine_check_in_progress()) {
			frame->vector = EXC_MC;
			trap_dump(frame);
			panic("machine check in the hypervisor at %016lx", frame->rip);
		}
		host_interrupt(vector);
		return;
	}
	if (frame->vector == EXC_NMI) {
		cpu_nmi_arrived();
		return;
	}
	if (frame->vector == EXC_SX && frame->error_code == SX_INIT_REDIRECTED) {
		init_redirected();
		return;
	}
	trap_dump(frame);
	panic("unhandled %s in the hypervisor at %016lx", exception_name(frame->vector), frame->rip);
}
