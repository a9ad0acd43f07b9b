/*
 * NMIs through the hypervisor. The guest sends NMIs to itself through its local APIC (delivery
 * mode NMI, physical destination = its own APIC ID) and checks:
 * - one NMI is delivered to the vector-2 handler exactly once;
 * - a second NMI sent from inside the handler does not nest: it is held while the handler runs
 *   and delivered after the handler's IRET (two in all, depth never above 1);
 * - an NMI is delivered while IF=0 (and TPR 0xf0), and inside an interrupt handler.
 */
#include "apic.h"
#include "guest.h"
#include "trap.h"
#include "x86.h"

const char guest_name[] = "nmi";

#define V_IPI 0x60
#define WAIT_MS 200 /* for an NMI that should come */
#define HOLD_MS 10  /* for one that must not, or not yet */
#define LOG_MAX 4

static volatile uint32_t nmi_count, nmi_depth, nmi_max_depth;
static volatile uint32_t nmi_eip[LOG_MAX], nmi_eflags[LOG_MAX];
static volatile bool nmi_after_first[LOG_MAX], nmi_in_ipi[LOG_MAX];
/* Test 2: the first handler sends another NMI and waits; what it saw before its IRET. */
static volatile bool resend, first_done, resend_ok;
static volatile uint32_t count_at_first_end;
/* Test 4: an NMI sent from an interrupt handler. */
static volatile bool in_ipi;
static volatile uint32_t ipi_count, nmi_seen_in_ipi;

static void nmi_handler(struct trap_frame *f)
{
	uint32_t depth = ++nmi_depth;
	uint32_t i = nmi_count++;

	if (depth > nmi_max_depth)
		nmi_max_depth = depth;
	if (i < LOG_MAX) {
		nmi_eip[i] = f->eip;
		nmi_eflags[i] = f->eflags;
		nmi_after_first[i] = first_done;
		nmi_in_ipi[i] = in_ipi;
	}
	if (resend && i == 0) {
		resend_ok = apic_self_nmi();
		udelay(HOLD_MS * 1000); /* a nested NMI would arrive in here */
		count_at_first_end = nmi_count;
		first_done = true;
	}
	nmi_depth--;
}

static void ipi_handler(struct trap_frame *f)
{
	(void)f;
	in_ipi = true;
	ipi_count++;
	apic_self_nmi();
	for (unsigned int i = 0; i < WAIT_MS * 10 && nmi_count == 0; i++)
		udelay(100);
	nmi_seen_in_ipi = nmi_count;
	in_ipi = false;
	apic_eoi();
}

static void reset(void)
{
	nmi_count = 0;
	nmi_depth = 0;
	nmi_max_depth = 0;
	resend = false;
	first_done = false;
	resend_ok = false;
	count_at_first_end = 0;
	for (unsigned int i = 0; i < LOG_MAX; i++) {
		nmi_eip[i] = 0;
		nmi_eflags[i] = 0;
		nmi_after_first[i] = false;
		nmi_in_ipi[i] = false;
	}
}

/* Waits, with IF as it is, until `n` NMIs arrived or `ms` pass. */
static bool wait_nmis(uint32_t n, unsigned int ms)
{
	for (unsigned int i = 0; i < ms * 10 && nmi_count < n; i++)
		udelay(100);
	return nmi_count >= n;
}

static void test_single(void)
{
	reset();
	irq_enable();
	ok(apic_self_nmi(), "self-NMI sent (ICR 0x%x, destination APIC ID %u)", ICR_ASSERT | ICR_NMI, apic_id());
	wait_nmis(1, WAIT_MS);
	udelay(HOLD_MS * 1000);
	irq_disable();
	ok(nmi_count == 1, "self-NMI delivered once (%u)", nmi_count);
	ok(nmi_max_depth == 1, "NMI handler depth %u", nmi_max_depth);
}

static void test_no_nesting(void)
{
	reset();
	resend = true;
	irq_enable();
	apic_self_nmi();
	wait_nmis(2, WAIT_MS + HOLD_MS);
	udelay(HOLD_MS * 1000);
	irq_disable();
	ok(resend_ok, "second self-NMI sent from inside the NMI handler");
	ok(count_at_first_end == 1,
	   "the second NMI was held while the first handler ran (%u NMIs seen before its IRET)", count_at_first_end);
	ok(nmi_max_depth == 1, "NMI handlers never nested (depth %u)", nmi_max_depth);
	ok(nmi_count == 2 && nmi_after_first[1], "the second NMI arrived after the first handler's IRET (%u NMIs)",
	   nmi_count);
	printf("# first NMI at eip 0x%x, second at eip 0x%x%s\n", nmi_eip[0], nmi_eip[1],
	       nmi_eip[0] == nmi_eip[1] ? " (right at the IRET's return address)" : "");
}

static void test_if_clear(void)
{
	reset();
	irq_disable();
	apic_write(APIC_TPR, 0xf0);
	apic_self_nmi();
	wait_nmis(1, WAIT_MS);
	udelay(HOLD_MS * 1000);
	ok(nmi_count == 1, "self-NMI delivered while IF=0 and TPR 0xf0 (%u)", nmi_count);
	ok(nmi_count == 0 || !(nmi_eflags[0] & EFLAGS_IF), "it interrupted code running with IF=0 (eflags 0x%x)",
	   nmi_eflags[0]);
	apic_write(APIC_TPR, 0);
}

static void test_in_irq_handler(void)
{
	reset();
	ipi_count = 0;
	nmi_seen_in_ipi = 0;
	irq_enable();
	apic_self_ipi(V_IPI);
	for (unsigned int i = 0; i < WAIT_MS * 10 && ipi_count == 0; i++)
		udelay(100);
	udelay(HOLD_MS * 1000);
	irq_disable();
	ok(ipi_count == 1, "self-IPI 0x%x arrived (%u)", V_IPI, ipi_count);
	ok(nmi_seen_in_ipi == 1 && nmi_count == 1 && nmi_in_ipi[0],
	   "an NMI sent from the interrupt handler arrived inside it, once (%u NMIs)", nmi_count);
	ok(!apic_isr(V_IPI), "vector 0x%x no longer in service", V_IPI);
}

void guest_main(void)
{
	if (!ok(irq_setup(), "local APIC enabled, xAPIC mode (IA32_APIC_BASE 0x%llx)",
		(unsigned long long)rdmsr(MSR_APIC_BASE)))
		return;
	printf("# local APIC at 0x%x, ID %u\n", apic_base(), apic_id());
	set_irq_handler(X86_NMI, nmi_handler);
	set_irq_handler(V_IPI, ipi_handler);

	test_single();
	test_no_nesting();
	test_if_clear();
	test_in_irq_handler();
	ok(irq_unexpected == 0, "no interrupt on any other vector (%u, last 0x%x)", irq_unexpected,
	   irq_unexpected_vector);
}
