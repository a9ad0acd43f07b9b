/*
 * printf core: one pass over the format, one emit() call per output character.
 * vsnprintf() is vcbprintf() with an emitter that fills a buffer.
 */
#include <limits.h>

#include "lib/printf.h"
#include "lib/string.h"

enum {
	F_LEFT = 1 << 0,  /* '-': pad on the right */
	F_ZERO = 1 << 1,  /* '0': pad numbers with zeros */
	F_PLUS = 1 << 2,  /* '+': always print a sign */
	F_SPACE = 1 << 3, /* ' ': space where '+' would go */
	F_ALT = 1 << 4,   /* '#': 0 for octal, 0x for hex */
};

enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T, LEN_J };

struct spec {
	unsigned int flags;
	int width;
	int prec; /* -1 when not given */
	enum length len;
};

struct out {
	printf_emit_t emit;
	void *ctx;
	size_t count;
};

static void put(struct out *o, char c)
{
	o->emit(c, o->ctx);
	o->count++;
}

static void put_n(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

static void put_str(struct out *o, const char *s, size_t n)
{
	while (n--)
		put(o, *s++);
}

/* Parse a decimal width or precision, saturating rather than overflowing. */
static int parse_num(const char **fmtp)
{
	const char *p = *fmtp;
	int n = 0;

	for (; *p >= '0' && *p <= '9'; p++) {
		int d = *p - '0';

		n = n > (INT_MAX - d) / 10 ? INT_MAX : n * 10 + d;
	}
	*fmtp = p;
	return n;
}

/* Flags, width, precision and length; leaves *fmtp at the conversion character. */
static void parse_spec(const char **fmtp, struct spec *sp, va_list *ap)
{
	const char *p = *fmtp;

	sp->flags = 0;
	for (;; p++) {
		if (*p == '-')
			sp->flags |= F_LEFT;
		else if (*p == '0')
			sp->flags |= F_ZERO;
		else if (*p == '+')
			sp->flags |= F_PLUS;
		else if (*p == ' ')
			sp->flags |= F_SPACE;
		else if (*p == '#')
			sp->flags |= F_ALT;
		else
			break;
	}

	sp->width = 0;
	if (*p == '*') {
		int w = va_arg(*ap, int);

		p++;
		if (w < 0) {
			/* C11 7.21.6.1p5: a negative '*' width is a '-' flag. */
			sp->flags |= F_LEFT;
			w = w == -INT_MAX - 1 ? INT_MAX : -w;
		}
		sp->width = w;
	} else {
		sp->width = parse_num(&p);
	}

	sp->prec = -1;
	if (*p == '.') {
		p++;
		if (*p == '*') {
			int pr = va_arg(*ap, int);

			p++;
			sp->prec = pr < 0 ? -1 : pr; /* negative means "not given" */
		} else {
			sp->prec = parse_num(&p);
		}
	}

	sp->len = LEN_NONE;
	switch (*p) {
	case 'h':
		p++;
		sp->len = LEN_H;
		if (*p == 'h') {
			p++;
			sp->len = LEN_HH;
		}
		break;
	case 'l':
		p++;
		sp->len = LEN_L;
		if (*p == 'l') {
			p++;
			sp->len = LEN_LL;
		}
		break;
	case 'z':
		p++;
		sp->len = LEN_Z;
		break;
	case 't':
		p++;
		sp->len = LEN_T;
		break;
	case 'j':
		p++;
		sp->len = LEN_J;
		break;
	}
	*fmtp = p;
}

/* Fetch a signed argument; returns its magnitude, sets *neg. */
static uint64_t arg_signed(va_list *ap, enum length len, bool *neg)
{
	int64_t v;

	switch (len) {
	case LEN_HH:
		v = (signed char)va_arg(*ap, int);
		break;
	case LEN_H:
		v = (short)va_arg(*ap, int);
		break;
	case LEN_L:
		v = va_arg(*ap, long);
		break;
	case LEN_LL:
		v = va_arg(*ap, long long);
		break;
	case LEN_Z:
		v = (int64_t)va_arg(*ap, size_t);
		break;
	case LEN_T:
		v = va_arg(*ap, ptrdiff_t);
		break;
	case LEN_J:
		v = va_arg(*ap, intmax_t);
		break;
	default:
		v = va_arg(*ap, int);
		break;
	}
	*neg = v < 0;
	/* Negate in unsigned arithmetic so INT64_MIN does not overflow. */
	return v < 0 ? -(uint64_t)v : (uint64_t)v;
}

static uint64_t arg_unsigned(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_HH:
		return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_H:
		return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_L:
		return va_arg(*ap, unsigned long);
	case LEN_LL:
		return va_arg(*ap, unsigned long long);
	case LEN_Z:
		return va_arg(*ap, size_t);
	case LEN_T:
		return (uint64_t)va_arg(*ap, ptrdiff_t);
	case LEN_J:
		return va_arg(*ap, uintmax_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

/* Emit an integer: [spaces][sign or 0x][zeros][digits][spaces]. */
static void put_number(struct out *o, const struct spec *sp, uint64_t val, bool neg,
		       unsigned int base, bool upper, bool sign_ok)
{
	const char *xdigits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char digits[24]; /* 22 octal digits hold 64 bits */
	char prefix[2];
	int nd = 0, np = 0, zeros, len;

	/* C11 7.21.6.1p8: zero with precision 0 prints no digits. */
	if (val || sp->prec != 0) {
		uint64_t v = val;

		do {
			digits[nd++] = xdigits[v % base];
			v /= base;
		} while (v);
	}

	zeros = sp->prec > nd ? sp->prec - nd : 0;
	if (base == 8 && (sp->flags & F_ALT) && !zeros && (nd == 0 || digits[nd - 1] != '0'))
		zeros = 1; /* '#' forces a leading 0 */

	if (sign_ok && neg)
		prefix[np++] = '-';
	else if (sign_ok && (sp->flags & F_PLUS))
		prefix[np++] = '+';
	else if (sign_ok && (sp->flags & F_SPACE))
		prefix[np++] = ' ';
	if (base == 16 && (sp->flags & F_ALT) && val) {
		prefix[np++] = '0';
		prefix[np++] = upper ? 'X' : 'x';
	}

	len = np + zeros + nd;
	/* '0' is ignored with '-' or with a precision (C11 7.21.6.1p6). */
	if ((sp->flags & F_ZERO) && !(sp->flags & F_LEFT) && sp->prec < 0 && sp->width > len) {
		zeros += sp->width - len;
		len = sp->width;
	}

	if (!(sp->flags & F_LEFT))
		put_n(o, ' ', sp->width - len);
	put_str(o, prefix, (size_t)np);
	put_n(o, '0', zeros);
	while (nd)
		put(o, digits[--nd]);
	if (sp->flags & F_LEFT)
		put_n(o, ' ', sp->width - len);
}

/* Emit s[0..n) padded to the width. */
static void put_padded(struct out *o, const struct spec *sp, const char *s, size_t n)
{
	int pad = (size_t)sp->width > n ? sp->width - (int)n : 0;

	if (!(sp->flags & F_LEFT))
		put_n(o, ' ', pad);
	put_str(o, s, n);
	if (sp->flags & F_LEFT)
		put_n(o, ' ', pad);
}

static void put_pointer(struct out *o, const struct spec *sp, const void *ptr)
{
	static const char xdigits[] = "0123456789abcdef";
	uint64_t v = (uintptr_t)ptr;
	char buf[18];
	int i;

	buf[0] = '0';
	buf[1] = 'x';
	for (i = 17; i >= 2; i--, v >>= 4)
		buf[i] = xdigits[v & 0xf];
	put_padded(o, sp, buf, sizeof(buf));
}

/* Handle one conversion; *fmtp points just past the '%' and is advanced past the spec. */
static void convert(struct out *o, const char **fmtp, va_list *ap)
{
	const char *start = *fmtp - 1;
	struct spec sp;
	const char *s;
	uint64_t val;
	bool neg;
	char c;

	parse_spec(fmtp, &sp, ap);
	c = **fmtp;
	if (c)
		(*fmtp)++;

	switch (c) {
	case 'd':
	case 'i':
		val = arg_signed(ap, sp.len, &neg);
		put_number(o, &sp, val, neg, 10, false, true);
		break;
	case 'u':
		put_number(o, &sp, arg_unsigned(ap, sp.len), false, 10, false, false);
		break;
	case 'x':
	case 'X':
		put_number(o, &sp, arg_unsigned(ap, sp.len), false, 16, c == 'X', false);
		break;
	case 'o':
		put_number(o, &sp, arg_unsigned(ap, sp.len), false, 8, false, false);
		break;
	case 'c':
		c = (char)va_arg(*ap, int);
		put_padded(o, &sp, &c, 1);
		break;
	case 's':
		s = va_arg(*ap, const char *);
		if (!s)
			s = "(null)";
		put_padded(o, &sp, s, sp.prec < 0 ? strlen(s) : strnlen(s, (size_t)sp.prec));
		break;
	case 'p':
		put_pointer(o, &sp, va_arg(*ap, const void *));
		break;
	case '%':
		put(o, '%');
		break;
	default:
		/* Unknown or truncated conversion: show it as written. */
		put_str(o, start, (size_t)(*fmtp - start));
		break;
	}
}

int vcbprintf(printf_emit_t emit, void *ctx, const char *fmt, va_list ap)
{
	struct out o = { .emit = emit, .ctx = ctx, .count = 0 };
	va_list args;

	/* A copy, so helpers can take a va_list pointer whatever va_list's type is. */
	va_copy(args, ap);
	while (*fmt) {
		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt++;
		convert(&o, &fmt, &args);
	}
	va_end(args);
	return o.count > (size_t)INT_MAX ? INT_MAX : (int)o.count;
}

struct sbuf {
	char *buf;
	size_t size;
	size_t pos;
};

static void sbuf_emit(char c, void *ctx)
{
	struct sbuf *sb = ctx;

	/* Keep the last byte for the terminator. */
	if (sb->pos + 1 < sb->size)
		sb->buf[sb->pos] = c;
	sb->pos++;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sbuf sb = { .buf = buf, .size = size, .pos = 0 };
	int ret = vcbprintf(sbuf_emit, &sb, fmt, ap);

	if (size)
		buf[sb.pos < size ? sb.pos : size - 1] = '\0';
	return ret;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return ret;
}
