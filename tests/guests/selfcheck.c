/*
 * The hypervisor's self-check (hypercall 5) must be able to fail, or "memory unchanged" proves
 * nothing (issue 18). This guest asks for it once (unchanged), then keeps asking, for a bounded
 * time, while a debugger changes a byte of the hypervisor's read-only data from outside
 * (tests/boot/selfcheck_cases.py pokes it through QEMU's gdbstub). It passes only when a call
 * reports the change, with a checksum other than the first one.
 */
#include "guest.h"
#include "hypercall.h"

const char guest_name[] = "selfcheck";

#define POLL_US 10000
#define POLL_LIMIT 6000 /* about a minute: the test fails if no change is seen by then */

void guest_main(void)
{
	struct hc_regs first, now;
	unsigned int calls;
	int32_t rc = hypercall(HC_SELF_CHECK, 0, 0, 0, &first);

	ok(rc == 0, "the self-check reports the hypervisor unchanged at the start (checksum %08x%08x)", first.ecx,
	   first.ebx);
	printf("guest: waiting for the hypervisor's read-only data to change\n");
	for (calls = 1; calls <= POLL_LIMIT; calls++) {
		rc = hypercall(HC_SELF_CHECK, 0, 0, 0, &now);
		if (rc != 0)
			break;
		udelay(POLL_US);
	}
	ok(rc != 0 && rc != HC_FAULTED, "the self-check reported the change at call %u (returned %d)", calls, rc);
	ok(now.ebx != first.ebx || now.ecx != first.ecx, "its checksum changed: %08x%08x", now.ecx, now.ebx);
}
