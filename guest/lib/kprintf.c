/* SPDX-License-Identifier: MIT */
/*
 * A small printf for freestanding guests, written for 32-bit and 64-bit
 * code alike. Numbers are converted as uint64_t; to divide them by 10 in
 * 32-bit code without libgcc's __udivdi3 we divide 16 bits at a time, so
 * every division the compiler sees is a 32-bit one.
 */
#include <stdint.h>

#include "console.h"

/* v / 10, remainder in *rem, using only 32-bit divisions. */
static uint64_t div10(uint64_t v, unsigned *rem)
{
	uint64_t q = 0;
	uint32_t r = 0;

	for (int shift = 48; shift >= 0; shift -= 16) {
		uint32_t part = (r << 16) | (uint32_t)((v >> shift) & 0xffff);

		/* part < 10 << 16, so the quotient fits in 16 bits. */
		q |= (uint64_t)(part / 10) << shift;
		r = part % 10;
	}
	*rem = r;
	return q;
}

struct spec {
	int width;
	int zero_pad;
	int left;
	int upper;
};

static int emit_padded(const char *s, int len, const struct spec *sp, int negative)
{
	int n = 0;
	int total = len + (negative ? 1 : 0);
	int pad = sp->width > total ? sp->width - total : 0;

	if (!sp->left && !sp->zero_pad)
		for (; pad > 0; pad--, n++)
			console_putc(' ');
	if (negative) {
		console_putc('-');
		n++;
	}
	if (!sp->left && sp->zero_pad)
		for (; pad > 0; pad--, n++)
			console_putc('0');
	for (int i = 0; i < len; i++, n++)
		console_putc(s[i]);
	for (; pad > 0; pad--, n++)
		console_putc(' ');
	return n;
}

static int emit_number(uint64_t v, unsigned base, int negative, const struct spec *sp)
{
	const char *digits = sp->upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	int pos = sizeof(buf);

	do {
		unsigned d;

		if (base == 16) {
			d = (unsigned)(v & 0xf);
			v >>= 4;
		} else {
			v = div10(v, &d);
		}
		buf[--pos] = digits[d];
	} while (v);
	return emit_padded(buf + pos, (int)sizeof(buf) - pos, sp, negative);
}

int kvprintf(const char *fmt, va_list ap)
{
	int n = 0;

	for (; *fmt; fmt++) {
		struct spec sp = { 0 };
		int longs = 0, halves = 0, size_t_arg = 0;

		if (*fmt != '%') {
			console_putc(*fmt);
			n++;
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '0')
				sp.zero_pad = 1;
			else if (*fmt == '-')
				sp.left = 1;
			else
				break;
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			sp.width = sp.width * 10 + (*fmt - '0');
		for (;; fmt++) {
			if (*fmt == 'l')
				longs++;
			else if (*fmt == 'h')
				halves++;
			else if (*fmt == 'z')
				size_t_arg = 1;
			else
				break;
		}

		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v;

			if (longs >= 2)
				v = va_arg(ap, long long);
			else if (longs == 1)
				v = va_arg(ap, long);
			else if (size_t_arg)
				v = (int64_t)va_arg(ap, size_t);
			else
				v = va_arg(ap, int);
			if (halves == 1)
				v = (short)v;
			else if (halves >= 2)
				v = (signed char)v;
			n += emit_number(v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0, &sp);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			uint64_t v;

			if (longs >= 2)
				v = va_arg(ap, unsigned long long);
			else if (longs == 1)
				v = va_arg(ap, unsigned long);
			else if (size_t_arg)
				v = va_arg(ap, size_t);
			else
				v = va_arg(ap, unsigned);
			if (halves == 1)
				v = (unsigned short)v;
			else if (halves >= 2)
				v = (unsigned char)v;
			sp.upper = *fmt == 'X';
			n += emit_number(v, *fmt == 'u' ? 10 : 16, 0, &sp);
			break;
		}
		case 'p':
			console_puts("0x");
			n += 2 + emit_number((uintptr_t)va_arg(ap, void *), 16, 0, &sp);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			int len = 0;

			if (!s)
				s = "(null)";
			while (s[len])
				len++;
			sp.zero_pad = 0;
			n += emit_padded(s, len, &sp, 0);
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);

			sp.zero_pad = 0;
			n += emit_padded(&c, 1, &sp, 0);
			break;
		}
		case '%':
			console_putc('%');
			n++;
			break;
		case '\0':
			return n; /* a lone '%' at the end */
		default:
			/* Unknown conversion: print it as written so the mistake shows. */
			console_putc('%');
			console_putc(*fmt);
			n += 2;
			break;
		}
	}
	return n;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}
