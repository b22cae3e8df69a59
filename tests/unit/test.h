/* SPDX-License-Identifier: MIT */
/*
 * A minimal unit-test harness. Each tests/unit/test_*.c file defines tests
 * with TEST(name) { ... } and checks with CHECK*(); tests register
 * themselves, tests/unit/main.c runs them all and prints one line per test
 * ("PASS name" / "FAIL name: file:line: what") and a total line.
 */
#ifndef MINIKVM_TEST_H
#define MINIKVM_TEST_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void test_register(const char *name, void (*fn)(void));
void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define TEST(name)                                                             \
	static void name(void);                                                \
	static void __attribute__((constructor)) name##__reg(void)             \
	{                                                                      \
		test_register(#name, name);                                    \
	}                                                                      \
	static void name(void)

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			test_fail(__FILE__, __LINE__, "%s", #cond);            \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);               \
		if (a_ != b_)                                                  \
			test_fail(__FILE__, __LINE__,                          \
				  "%s == %s: 0x%" PRIx64 " != 0x%" PRIx64, #a, #b, a_, b_); \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b);                               \
		if (!a_ || !b_ || strcmp(a_, b_) != 0)                         \
			test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", \
				  #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
	} while (0)

#define CHECK_MEM(a, b, n)                                                     \
	do {                                                                   \
		if (memcmp((a), (b), (n)) != 0)                                \
			test_fail(__FILE__, __LINE__, "memcmp(%s, %s, %s) != 0", #a, #b, #n); \
	} while (0)

#endif
