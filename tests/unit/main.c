/* SPDX-License-Identifier: MIT */
#include "test.h"

#include <stdarg.h>
#include <stdlib.h>

#define MAX_TESTS 1024

static struct {
	const char *name;
	void (*fn)(void);
} tests[MAX_TESTS];
static int ntests;
static int failures_in_current;
static const char *current;

void test_register(const char *name, void (*fn)(void))
{
	if (ntests == MAX_TESTS) {
		fprintf(stderr, "too many unit tests; raise MAX_TESTS\n");
		exit(2);
	}
	tests[ntests].name = name;
	tests[ntests].fn = fn;
	ntests++;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	/* One FAIL line per test (the first failure), details for every check. */
	if (!failures_in_current++)
		printf("FAIL %s: ", current);
	else
		printf("     %s: ", current);
	printf("%s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	const char *only = argc > 1 ? argv[1] : NULL;

	for (int i = 0; i < ntests; i++) {
		if (only && !strstr(tests[i].name, only))
			continue;
		current = tests[i].name;
		failures_in_current = 0;
		tests[i].fn();
		if (failures_in_current) {
			failed++;
		} else {
			passed++;
			printf("PASS %s\n", current);
		}
		fflush(stdout);
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
