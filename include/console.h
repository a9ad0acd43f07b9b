/*
 * The hypervisor's log. Every line goes out whole (formatted first, then written under the console
 * lock) and carries the CPU number. Levels follow the kernel's numbering.
 */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include "types.h"

#define LOG_EMERG 0
#define LOG_ALERT 1
#define LOG_CRIT 2
#define LOG_ERR 3
#define LOG_WARN 4
#define LOG_NOTICE 5
#define LOG_INFO 6
#define LOG_DEBUG 7

void console_set_loglevel(int level);
int console_loglevel(void);
/*
 * Writes one line (a trailing newline is added if missing), whole, never mixed with another CPU's,
 * when level <= the log level; LOG_EMERG and LOG_CRIT lines are written whatever the level.
 */
void printk(int level, const char *fmt, ...) __printf(2, 3);
void vprintk(int level, const char *fmt, va_list ap);
/* Lines go to the serial port (the default) or not; the screen is drivers/screen.c's to decide. */
void console_use_serial(bool on);
/* Raw text without prefix, for multi-column dumps that build a line in pieces. */
void console_write(const char *s, size_t len);

#define pr_crit(...) printk(LOG_CRIT, __VA_ARGS__)
#define pr_err(...) printk(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) printk(LOG_WARN, __VA_ARGS__)
#define pr_notice(...) printk(LOG_NOTICE, __VA_ARGS__)
#define pr_info(...) printk(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) printk(LOG_DEBUG, __VA_ARGS__)

#endif
