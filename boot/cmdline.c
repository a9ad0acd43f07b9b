/*
 * Command line parsing. Words are handled in place as (pointer, length) pairs: the loader's
 * string is never modified and no memory is allocated.
 */
#include "cmdline.h"
#include "errno.h"
#include "lib/printf.h"
#include "lib/string.h"

#define UART_CLOCK_BAUD 115200 /* 16550 input clock / 16: baud = 115200 / divisor */
#define ERR_VALUE_SHOWN 40     /* characters of a bad value quoted in the message */

enum opt_kind {
	OPT_VALUE, /* key=value */
	OPT_FLAG,  /* bare key */
};

struct opt_desc {
	const char *name;
	enum opt_kind kind;
	/* val[0..len) is the text after '=' (never empty); NULL for flags. */
	int (*parse)(const char *val, size_t len, struct hv_options *opts);
	const char *syntax; /* accepted values, for help and error messages */
	const char *help;
};

struct name_val {
	const char *name;
	unsigned int val;
};

static const struct name_val com_ports[] = {
	{ "com1", 0x3f8 }, { "com2", 0x2f8 }, { "com3", 0x3e8 }, { "com4", 0x2e8 },
};

static const struct name_val log_levels[] = {
	{ "emerg", 0 }, { "alert", 1 }, { "crit", 2 }, { "err", 3 }, { "warning", 4 },
	{ "warn", 4 }, { "notice", 5 }, { "info", 6 }, { "debug", 7 },
};

static const char *const selftest_names[SELFTEST_NR] = {
	[SELFTEST_UD] = "ud", [SELFTEST_GP] = "gp", [SELFTEST_PF] = "pf", [SELFTEST_DE] = "de",
	[SELFTEST_BP] = "bp", [SELFTEST_DF] = "df", [SELFTEST_MSR] = "msr",
	[SELFTEST_PANIC] = "panic", [SELFTEST_LEAVEFAULT] = "leavefault", [SELFTEST_HCPANIC] = "hcpanic",
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Does s[0..len) equal the NUL-terminated lit? */
static bool word_eq(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && !memcmp(s, lit, len);
}

static const char *find_char(const char *s, size_t len, char c)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == c)
			return &s[i];
	}
	return NULL;
}

static const struct name_val *lookup(const struct name_val *tab, size_t n, const char *s,
				     size_t len)
{
	for (size_t i = 0; i < n; i++) {
		if (word_eq(s, len, tab[i].name))
			return &tab[i];
	}
	return NULL;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99; /* above any base */
}

/* Parse all of s[0..len) as a number in base, rejecting anything above max before it wraps. */
static int parse_uint(const char *s, size_t len, unsigned int base, uint64_t max,
		      uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0)
		return -E_INVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned int d = (unsigned int)digit_value(s[i]);

		if (d >= base || d > max || v > (max - d) / base)
			return -E_INVAL;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

/* One serial port: com1..com4 or 0xPORT; 0 if the word is none of these. */
static uint16_t serial_port_word(const char *val, size_t len)
{
	const struct name_val *com = lookup(com_ports, ARRAY_SIZE(com_ports), val, len);
	uint64_t port;

	if (com)
		return (uint16_t)com->val;
	if (len < 2 || val[0] != '0' || (val[1] != 'x' && val[1] != 'X'))
		return 0;
	if (parse_uint(val + 2, len - 2, 16, 0xffff, &port))
		return 0;
	return (uint16_t)port;
}

/*
 * A list of where the log goes, replacing the default (com1,screen): at most one serial port,
 * and the screen as fb (framebuffer), vga (VGA text) or screen (either); `none` alone for neither.
 */
static int parse_console(const char *val, size_t len, struct hv_options *opts)
{
	const char *end = val + len;
	bool fb = false, vga = false;
	uint16_t port = 0;

	if (word_eq(val, len, "none")) {
		opts->console_port = 0;
		opts->console_screen = SCREEN_OFF;
		return 0;
	}
	for (;;) {
		const char *comma = find_char(val, (size_t)(end - val), ',');
		size_t n = (size_t)((comma ? comma : end) - val);
		uint16_t p = serial_port_word(val, n);

		if (p && !port)
			port = p;
		else if (word_eq(val, n, "fb"))
			fb = true;
		else if (word_eq(val, n, "vga"))
			vga = true;
		else if (word_eq(val, n, "screen"))
			fb = vga = true;
		else
			return -E_INVAL; /* unknown, empty, `none` in a list, or a second serial port */
		if (!comma)
			break;
		val = comma + 1;
	}
	opts->console_port = port;
	opts->console_screen = fb && vga ? SCREEN_ANY : fb ? SCREEN_FB : vga ? SCREEN_VGA : SCREEN_OFF;
	return 0;
}

static int parse_baud(const char *val, size_t len, struct hv_options *opts)
{
	uint64_t baud;

	if (parse_uint(val, len, 10, UART_CLOCK_BAUD, &baud) || baud == 0)
		return -E_INVAL;
	/* The divisor must be exact and fit the 16-bit divisor latch. */
	if (UART_CLOCK_BAUD % baud || UART_CLOCK_BAUD / baud > 0xffff)
		return -E_INVAL;
	opts->baud = (uint32_t)baud;
	return 0;
}

static int parse_loglevel(const char *val, size_t len, struct hv_options *opts)
{
	const struct name_val *lvl = lookup(log_levels, ARRAY_SIZE(log_levels), val, len);
	uint64_t n;

	if (lvl) {
		opts->loglevel = (int)lvl->val;
		return 0;
	}
	if (parse_uint(val, len, 10, 7, &n))
		return -E_INVAL;
	opts->loglevel = (int)n;
	return 0;
}

static int parse_selftest(const char *val, size_t len, struct hv_options *opts)
{
	const char *end = val + len;
	uint32_t mask = 0;

	for (;;) {
		const char *comma = find_char(val, (size_t)(end - val), ',');
		size_t n = (size_t)((comma ? comma : end) - val);
		unsigned int f;

		for (f = 0; f < SELFTEST_NR; f++) {
			if (word_eq(val, n, selftest_names[f]))
				break;
		}
		if (f == SELFTEST_NR)
			return -E_INVAL; /* unknown or empty name */
		mask |= SELFTEST_BIT(f);
		if (!comma)
			break;
		val = comma + 1;
	}
	opts->selftest = mask;
	return 0;
}

static int parse_panic(const char *val, size_t len, struct hv_options *opts)
{
	if (word_eq(val, len, "reboot"))
		opts->panic = HV_PANIC_REBOOT;
	else if (word_eq(val, len, "halt"))
		opts->panic = HV_PANIC_HALT;
	else
		return -E_INVAL;
	return 0;
}

static int parse_hvmem(const char *val, size_t len, struct hv_options *opts)
{
	uint64_t mib;

	if (parse_uint(val, len, 10, 1024, &mib) || mib < 4)
		return -E_INVAL;
	opts->hvmem_mib = (uint32_t)mib;
	return 0;
}

static int parse_debugkeys(const char *val, size_t len, struct hv_options *opts)
{
	if (word_eq(val, len, "on"))
		opts->debugkeys = HV_DEBUGKEYS_ON;
	else if (word_eq(val, len, "off"))
		opts->debugkeys = HV_DEBUGKEYS_OFF;
	else
		return -E_INVAL;
	return 0;
}

static int parse_ghost_cpu(const char *val, size_t len, struct hv_options *opts)
{
	uint64_t id;

	if (parse_uint(val, len, 10, CMDLINE_NO_GHOST_CPU - 1, &id))
		return -E_INVAL;
	opts->ghost_cpu = (uint32_t)id;
	return 0;
}

static int parse_exception_mask(const char *val, size_t len, struct hv_options *opts)
{
	uint64_t mask;

	if (len > 2 && val[0] == '0' && (val[1] == 'x' || val[1] == 'X')) {
		if (parse_uint(val + 2, len - 2, 16, UINT32_MAX, &mask))
			return -E_INVAL;
	} else if (parse_uint(val, len, 10, UINT32_MAX, &mask)) {
		return -E_INVAL;
	}
	opts->force_intercept_exceptions = (uint32_t)mask;
	return 0;
}

static int parse_test_unhandled_exit(const char *val __unused, size_t len __unused, struct hv_options *opts)
{
	opts->test_unhandled_exit = true;
	return 0;
}

static int parse_help(const char *val __unused, size_t len __unused, struct hv_options *opts)
{
	opts->help = true;
	return 0;
}

/* Adding an option: one line here, a field in struct hv_options and its default. */
static const struct opt_desc options[] = {
	{ "console", OPT_VALUE, parse_console, "com1..com4, 0xPORT, fb, vga, screen, none",
	  "where the log goes, a list: one serial port and/or fb, vga or screen; or none (default com1,screen)" },
	{ "baud", OPT_VALUE, parse_baud, "a divisor of 115200",
	  "serial speed, e.g. 9600 (default 115200)" },
	{ "loglevel", OPT_VALUE, parse_loglevel, "0..7 or a level name",
	  "messages up to this level, 0 emerg .. 7 debug (default 6 info)" },
	{ "debugkeys", OPT_VALUE, parse_debugkeys, "on or off",
	  "debug keys; on: on a console shared with the guest (COM1) too, Ctrl-A x3 switches input (default: only on a UART of its own)" },
	{ "selftest", OPT_VALUE, parse_selftest, "ud|gp|pf|de|bp|df|msr|panic|leavefault[,...]",
	  "testing only: faults to trigger at boot" },
	{ "panic", OPT_VALUE, parse_panic, "reboot or halt",
	  "what to do after a panic (default reboot)" },
	{ "hvmem", OPT_VALUE, parse_hvmem, "4..1024",
	  "hypervisor memory pool in MiB (default 16)" },
	{ "ghost_cpu", OPT_VALUE, parse_ghost_cpu, "APIC ID",
	  "testing only: also try to start a CPU with this APIC ID, as if the MADT listed it" },
	{ "force_intercept_exceptions", OPT_VALUE, parse_exception_mask, "MASK (bit n = vector n)",
	  "debug: intercept, log and reflect these guest exceptions (2, 9, 15, 31 refused)" },
	{ "test_unhandled_exit", OPT_FLAG, parse_test_unhandled_exit, NULL,
	  "testing only: intercept RDTSC without a handler, to prove the unknown-exit path" },
	{ "help", OPT_FLAG, parse_help, NULL,
	  "list these options at boot" },
};

void cmdline_defaults(struct hv_options *opts)
{
	/* Zero: no selftests, no help, no unknown keys. */
	memset(opts, 0, sizeof(*opts));
	opts->console_port = 0x3f8; /* com1 */
	opts->console_screen = SCREEN_ANY;
	opts->baud = UART_CLOCK_BAUD;
	opts->loglevel = 6; /* info */
	opts->panic = HV_PANIC_REBOOT;
	opts->hvmem_mib = 16;
	opts->ghost_cpu = CMDLINE_NO_GHOST_CPU;
}

static const struct opt_desc *find_option(const char *key, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		if (word_eq(key, len, options[i].name))
			return &options[i];
	}
	return NULL;
}

static void add_unknown(struct hv_options *opts, const char *key, size_t len)
{
	char *dst;

	if (opts->nr_unknown == CMDLINE_MAX_UNKNOWN) {
		opts->nr_unknown_dropped++;
		return;
	}
	dst = opts->unknown[opts->nr_unknown++];
	if (len > CMDLINE_NAME_LEN - 1)
		len = CMDLINE_NAME_LEN - 1;
	memcpy(dst, key, len);
	dst[len] = '\0';
}

/* Quote a value in an error message, shortened so one line stays readable. */
static void bad_value(const struct opt_desc *opt, const char *val, size_t len, char *err,
		      size_t errlen)
{
	int shown = len > ERR_VALUE_SHOWN ? ERR_VALUE_SHOWN : (int)len;

	snprintf(err, errlen, "bad value for %s=: \"%.*s%s\" (expected %s)", opt->name, shown, val,
		 len > ERR_VALUE_SHOWN ? "..." : "", opt->syntax);
}

static int parse_word(const char *word, size_t len, struct hv_options *opts, char *err,
		      size_t errlen)
{
	const char *eq = find_char(word, len, '=');
	size_t key_len = eq ? (size_t)(eq - word) : len;
	const char *val = eq ? eq + 1 : NULL;
	size_t val_len = eq ? len - key_len - 1 : 0;
	const struct opt_desc *opt = find_option(word, key_len);

	if (!opt) {
		/* "=x" has no key: remember the whole word instead. */
		add_unknown(opts, word, key_len ? key_len : len);
		return 0;
	}
	if (opt->kind == OPT_FLAG) {
		if (eq) {
			snprintf(err, errlen, "%s takes no value", opt->name);
			return -E_INVAL;
		}
		return opt->parse(NULL, 0, opts);
	}
	if (val_len == 0) {
		snprintf(err, errlen, "missing value for %s= (expected %s)", opt->name, opt->syntax);
		return -E_INVAL;
	}
	if (opt->parse(val, val_len, opts)) {
		bad_value(opt, val, val_len, err, errlen);
		return -E_INVAL;
	}
	return 0;
}

/* A word with a '/' and no '=' cannot be an option: it is the loader's image path. */
static bool is_image_path(const char *word, size_t len)
{
	bool slash = false;

	for (size_t i = 0; i < len; i++) {
		if (word[i] == '=')
			return false;
		slash |= word[i] == '/';
	}
	return slash;
}

int cmdline_parse(const char *cmdline, struct hv_options *opts, char *err, size_t errlen)
{
	const char *p = cmdline;
	bool first = true;

	cmdline_defaults(opts);
	if (errlen)
		err[0] = '\0';
	if (!p)
		return 0;
	for (;;) {
		size_t len = 0;
		int ret;

		while (is_space(*p))
			p++;
		if (!*p)
			return 0;
		while (p[len] && !is_space(p[len]))
			len++;
		/* Loaders pass the image path first: GRUB "/boot/hv.elf", QEMU -kernel as given ("build/hv.elf"). */
		if (!(first && is_image_path(p, len))) {
			ret = parse_word(p, len, opts, err, errlen);
			if (ret)
				return ret;
		}
		first = false;
		p += len;
	}
}

/* "key=<syntax>" or just "key" for flags. */
static int usage(const struct opt_desc *opt, char *buf, size_t size)
{
	if (opt->kind == OPT_FLAG)
		return snprintf(buf, size, "%s", opt->name);
	return snprintf(buf, size, "%s=<%s>", opt->name, opt->syntax);
}

void cmdline_print_help(void (*out)(const char *line, void *ctx), void *ctx)
{
	char use[96], line[192];
	int col = 0;

	/* Align the help texts one column past the longest usage. */
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		int n = usage(&options[i], NULL, 0);

		col = n > col ? n : col;
	}
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		usage(&options[i], use, sizeof(use));
		snprintf(line, sizeof(line), "  %-*s  %s", col, use, options[i].help);
		out(line, ctx);
	}
}

const char *cmdline_selftest_name(unsigned int bit)
{
	return bit < SELFTEST_NR ? selftest_names[bit] : NULL;
}
