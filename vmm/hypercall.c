/* Hypercalls (VMMCALL/VMCALL); the ABI is documented in include/vmm/hypercall.h. */
#include "console.h"
#include "errno.h"
#include "lib/escape.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm.h"
#include "panic.h"
#include "vmm/debugkeys.h"
#include "vmm/exit.h"
#include "vmm/hypercall.h"
#include "vmm/partition.h"
#include "x86/traps.h"
#include "vmm/selfcheck.h"

/*
 * The guest's text, one console line per line of it: a newline (and the end of the call) ends a
 * line, and every byte a terminal would obey (ESC, BEL, BS, CR, other controls) is shown escaped
 * as \xNN, so a guest can neither forge hypervisor lines nor drive the operator's terminal. Each
 * line is printed whole (printk), never mixed with another CPU's.
 */
static int64_t hc_console_write(struct vcpu *v, uint64_t gpa, uint64_t len)
{
	char text[HC_CONSOLE_MAX];
	char line[4 * HC_CONSOLE_MAX + 1];
	const char *src;
	size_t start = 0;

	if (len == 0 || len > HC_CONSOLE_MAX)
		return -E_INVAL;
	src = partition_gpa_to_hva(v->part, gpa, len);
	if (!src)
		return -E_FAULT;
	memcpy(text, src, len); /* one read of guest memory: other vCPUs may change it meanwhile */
	while (start < len) {
		size_t end = start;

		while (end < len && text[end] != '\n')
			end++;
		escape_text(line, sizeof(line), text + start, end - start);
		pr_info("guest: %s", line);
		start = end + 1;
	}
	return (int64_t)len;
}

/* One line, so the bench script can read it: the total, then every reason that occurred. */
void vcpu_print_exit_stats(const struct vcpu *v)
{
	char line[512];
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "exit-stats: vcpu%u total %llu", v->id,
			     (unsigned long long)v->total_exits);
	for (unsigned int i = 0; i < EXIT_NR && n < sizeof(line); i++)
		if (v->exits[i])
			n += (size_t)snprintf(line + n, sizeof(line) - n, ", %s %llu", exit_reason_name(i),
					      (unsigned long long)v->exits[i]);
	if (n < sizeof(line))
		snprintf(line + n, sizeof(line) - n, ", injected-irqs %llu", (unsigned long long)v->injected_irqs);
	pr_info("%s", line);
}

/* Whether the hypervisor's code and read-only data are as they were at boot; RBX/RCX = the checksum now. */
static int64_t hc_self_check(struct guest_regs *r)
{
	uint64_t now;
	bool same = selfcheck_verify(&now);

	r->rbx = (uint32_t)now;
	r->rcx = now >> 32;
	return same ? 0 : -E_RANGE;
}

enum exit_verdict handle_hypercall(struct vcpu *v)
{
	struct guest_regs *r = &v->regs;
	int64_t result;

	/*
	 * Outside ring 0 VMMCALL/VMCALL are an instruction this CPU does not have: #UD, as on a CPU
	 * without a hypervisor, before anything else (the guest kernel owns its ring 3).
	 */
	if (vcpu_ops->read_reg(v, VCPU_CPL) != 0) {
		vcpu_inject_exception(v, EXC_UD, false, 0);
		return EXIT_RESUME;
	}
	if (v->part->test_hypercall_panic)
		panic("selftest: the guest's first hypercall (selftest=hcpanic)");
	switch ((uint32_t)r->rax) {
	case HC_VERSION:
		result = HV_API_VERSION;
		r->rbx = HV_HYPERCALL_MAGIC;
		break;
	case HC_CONSOLE_WRITE:
		result = hc_console_write(v, r->rbx, r->rcx);
		break;
	case HC_HV_RANGE:
		r->rbx = (uint32_t)hv_layout.hv_base;
		r->rcx = (uint32_t)hv_layout.hv_end;
		r->rdx = hv_layout.hv_base >> 32;
		result = 0;
		break;
	case HC_EXIT_COUNT:
		r->rbx = (uint32_t)v->total_exits;
		r->rcx = v->total_exits >> 32;
		result = 0;
		break;
	case HC_EXIT_STATS:
		vcpu_print_exit_stats(v);
		result = 0;
		break;
	case HC_SELF_CHECK:
		result = hc_self_check(r);
		break;
	case HC_EXIT_TABLE:
		debugkeys_print_stats();
		result = 0;
		break;
	default:
		result = -E_NOSUPP;
		break;
	}
	r->rax = (uint64_t)result;
	vcpu_skip_instruction(v);
	return EXIT_RESUME;
}
