/* SPDX-License-Identifier: MIT */
/*
 * The rv64 target description on stdout, the one the gdb server sends for
 * target.xml: with the F/D registers, or without them given "nofp".
 * tests/integration/test_gdb_riscv_tdesc.py has gdb-multiarch load it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../gdbstub/arch_riscv.h"

int main(int argc, char **argv)
{
	const struct gdb_arch *arch = &gdb_arch_riscv64;
	size_t len;
	char *xml;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "nofp") != 0)) {
		fprintf(stderr, "usage: %s [nofp]\n", argv[0]);
		return 2;
	}
	if (argc == 2)
		arch = &gdb_arch_riscv64_nofp;
	len = gdb_arch_target_xml(arch, NULL, 0);
	xml = malloc(len + 1);
	if (!xml)
		return 1;
	gdb_arch_target_xml(arch, xml, len + 1);
	fputs(xml, stdout);
	free(xml);
	return ferror(stdout) ? 1 : 0;
}
