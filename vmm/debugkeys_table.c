/* The debug console's pure parts: which key does what, what `v` calls a state, the statistics table's rows. */
#include "lib/printf.h"
#include "vmm/debugkeys.h"

enum debug_key_action debug_key_action(int c)
{
	switch (c) {
	case 'h':
	case '?':
		return DK_HELP;
	case 'e':
		return DK_STATS;
	case 'v':
		return DK_VCPUS;
	case 'r':
		return DK_RINGS;
	case 'm':
		return DK_MEMORY;
	case '+':
		return DK_LOG_UP;
	case '-':
		return DK_LOG_DOWN;
	case 'R':
		return DK_REBOOT;
	default:
		return DK_NONE;
	}
}

const char *const debug_key_help[] = {
	"h  this help",
	"e  exit statistics: CPU x reason, count, average and maximum cycles in the hypervisor",
	"v  every vCPU's state and registers",
	"r  every vCPU's ring of recent exits",
	"m  memory layout and nested tables",
	"+  log level up (more lines)",
	"-  log level down (fewer lines)",
	"R  reboot through the reboot path",
	NULL,
};

const char *debug_vcpu_state(bool stopped, bool waiting_for_sipi, bool answering, bool halted)
{
	if (stopped)
		return "stopped";
	if (waiting_for_sipi)
		return "waiting for SIPI";
	if (answering)
		return halted ? "halted (in the hypervisor answering this key)" : "in the hypervisor (answering this key)";
	return halted ? "halted (registers as at its last exit, the timer's)" : "running (registers as at its last exit)";
}

const char exit_stats_header[] = "stats: cpu reason              count   avg-cycles   max-cycles";

int exit_stats_row(char *buf, size_t size, unsigned int cpu, const char *reason, uint64_t count, uint64_t cycles,
		   uint64_t max)
{
	return snprintf(buf, size, "stats: %3u %-12s %12llu %12llu %12llu", cpu, reason, (unsigned long long)count,
			(unsigned long long)(count ? cycles / count : 0), (unsigned long long)max);
}
