/* The self-check of the hypervisor's code and read-only data (include/vmm/selfcheck.h). */
#include "console.h"
#include "vmm/selfcheck.h"

extern const char __text_start[], __rodata_end[];

#define FNV64_OFFSET 0xCBF29CE484222325ULL
#define FNV64_PRIME 0x100000001B3ULL

static uint64_t boot_sum;
static bool boot_sum_taken;

/* FNV-1a over 64-bit words: .text and .rodata are contiguous and page-aligned (linker.ld). */
static uint64_t checksum(void)
{
	const volatile uint64_t *p = (const volatile uint64_t *)__text_start;
	const volatile uint64_t *end = (const volatile uint64_t *)__rodata_end;
	uint64_t h = FNV64_OFFSET;

	for (; p < end; p++)
		h = (h ^ *p) * FNV64_PRIME;
	return h;
}

void selfcheck_init(void)
{
	boot_sum = checksum();
	__atomic_store_n(&boot_sum_taken, true, __ATOMIC_RELEASE);
	pr_info("selfcheck: code and read-only data %lu KiB, checksum %016llx",
		(unsigned long)(__rodata_end - __text_start) / 1024, (unsigned long long)boot_sum);
}

bool selfcheck_verify(uint64_t *now)
{
	*now = checksum();
	if (!__atomic_load_n(&boot_sum_taken, __ATOMIC_ACQUIRE))
		return false;
	if (*now != boot_sum)
		pr_err("selfcheck: code or read-only data changed: checksum %016llx, %016llx at boot",
			(unsigned long long)*now, (unsigned long long)boot_sum);
	return *now == boot_sum;
}
