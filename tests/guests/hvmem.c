/*
 * Hypervisor memory is out of the guest's reach: the memory map does not offer it, and every
 * read or write of it raises #GP in the guest (the hypervisor injects it), after which the
 * hypervisor still answers hypercalls.
 */
#include "guest.h"
#include "hypercall.h"
#include "multiboot.h"
#include "trap.h"

const char guest_name[] = "hvmem";

#define PATTERN 0x5a5aa5a5u

static void check_read32(uint32_t addr, const char *where)
{
	uint32_t value = 0;
	int v = read32_safe(addr, &value);

	if (v == NO_FAULT)
		ok(false, "32-bit read of hypervisor memory at 0x%x (%s) raises #GP, but it read 0x%x", addr, where,
		   value);
	else
		ok(v == X86_GP, "32-bit read of hypervisor memory at 0x%x (%s) raises #GP (vector %d, eip 0x%x)",
		   addr, where, v, last_trap.eip);
	ok(hypervisor_alive(), "the hypervisor answers a hypercall after it");
}

static void check_read8(uint32_t addr, const char *where)
{
	uint8_t value = 0;
	int v = read8_safe(addr, &value);

	ok(v == X86_GP, "8-bit read of hypervisor memory at 0x%x (%s) raises #GP (vector %d, read 0x%x)", addr,
	   where, v, v == NO_FAULT ? value : 0);
}

static void check_write32(uint32_t addr, const char *where)
{
	int v = write32_safe(addr, PATTERN);

	ok(v == X86_GP, "32-bit write of hypervisor memory at 0x%x (%s) raises #GP (vector %d)", addr, where, v);
	ok(hypervisor_alive(), "the hypervisor answers a hypercall after it");
}

void guest_main(void)
{
	uint64_t base, end;
	uint32_t mid;

	if (!ok(hv_range(&base, &end), "HC_HV_RANGE returns the hypervisor's range"))
		return;
	printf("# hypervisor memory: 0x%llx-0x%llx (%llu KiB)\n", base, end, (end - base) >> 10);
	ok(!mb_usable_overlaps(base, end), "no usable memory map entry overlaps 0x%llx-0x%llx", base, end);
	if (end > (1ULL << 32)) {
		skip("above 4 GiB", "accesses to hypervisor memory raise #GP");
		return;
	}
	mid = (uint32_t)(base + ((end - base) / 2 & ~0xfffULL));
	check_read32((uint32_t)base, "first dword");
	check_read32(mid + 0x10, "middle");
	check_read32((uint32_t)(end - 4), "last dword");
	check_read8((uint32_t)base + 1, "second byte");
	check_write32((uint32_t)base, "first dword");
	check_write32(mid + 0x20, "middle");
	check_write32((uint32_t)(end - 4), "last dword");
}
