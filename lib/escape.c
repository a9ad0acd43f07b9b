/* Escaping untrusted text for the console (see include/lib/escape.h). */
#include "lib/escape.h"

static bool printable(unsigned char c)
{
	return (c >= 0x20 && c <= 0x7E) || c == '\t';
}

size_t escape_text(char *dst, size_t cap, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t out = 0, i;

	if (!cap)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		size_t need = printable(c) ? 1 : 4;

		if (out + need > cap - 1)
			break;
		if (need == 1) {
			dst[out++] = (char)c;
			continue;
		}
		dst[out++] = '\\';
		dst[out++] = 'x';
		dst[out++] = hex[c >> 4];
		dst[out++] = hex[c & 0xF];
	}
	dst[out] = '\0';
	return i;
}
