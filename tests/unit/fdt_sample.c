/* SPDX-License-Identifier: MIT */
/* build/fdt_sample: write fdt_sample.h's device tree to stdout (tests/integration/test_fdt.py). */
#include "fdt_sample.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	struct fdt f;
	void *blob;
	size_t size;

	fdt_init(&f);
	fdt_sample(&f);
	if (fdt_finish(&f, 0, &blob, &size) < 0) {
		fprintf(stderr, "fdt_sample: %s\n", err_message());
		return 1;
	}
	fdt_free(&f);
	fwrite(blob, 1, size, stdout);
	free(blob);
	return 0;
}
