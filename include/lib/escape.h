/* Untrusted bytes made safe for a terminal (the guest's text on the hypervisor's console). */
#ifndef HV_LIB_ESCAPE_H
#define HV_LIB_ESCAPE_H

#include "types.h"

/*
 * Copies src[0..len) to dst as printable text: bytes 0x20..0x7E and TAB as they are, every other
 * byte (C0 controls such as ESC, BEL, BS, CR, NUL; DEL; 0x80..0xFF, whose C1 range terminals also
 * obey) as \xNN with two lower-case hex digits. An escape is never cut: output stops at the last
 * whole character that fits in cap - 1 bytes. dst is NUL-terminated (cap > 0). Returns the bytes
 * of src consumed.
 */
size_t escape_text(char *dst, size_t cap, const char *src, size_t len);

#endif
