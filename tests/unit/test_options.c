/* SPDX-License-Identifier: MIT */
#include "test.h"

#include <string.h>
#include "error.h"
#include "debug_options.h"
#include "options.h"

static enum options_result parse(struct vm_config *cfg, const char *const *args)
{
	char *argv[32];
	int argc = 0;
	FILE *out = fopen("/dev/null", "w");
	enum options_result r;

	argv[argc++] = (char *)"minikvm";
	while (*args)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	r = options_parse(argc, argv, cfg, out);
	fclose(out);
	return r;
}

TEST(size_suffixes)
{
	uint64_t v;

	/* A bare number is MiB, as QEMU's and kvmtool's -m read it. */
	CHECK(parse_size("4096", &v) == 0);
	CHECK_EQ(v, 4096ULL << 20);
	CHECK(parse_size("128", &v) == 0);
	CHECK_EQ(v, 128ULL << 20);
	CHECK(parse_size("64K", &v) == 0);
	CHECK_EQ(v, 64 << 10);
	CHECK(parse_size("128M", &v) == 0);
	CHECK_EQ(v, 128ULL << 20);
	CHECK(parse_size("128m", &v) == 0);
	CHECK_EQ(v, 128ULL << 20);
	CHECK(parse_size("2G", &v) == 0);
	CHECK_EQ(v, 2ULL << 30);
	CHECK(parse_size("512MiB", &v) == 0);
	CHECK_EQ(v, 512ULL << 20);
	CHECK(parse_size("1GB", &v) == 0);
	CHECK_EQ(v, 1ULL << 30);
}

TEST(size_rejects_junk)
{
	uint64_t v = 7;

	CHECK(parse_size("", &v) < 0);
	CHECK(parse_size("M", &v) < 0);
	CHECK(parse_size("-1M", &v) < 0);
	CHECK(parse_size("12X", &v) < 0);
	CHECK(parse_size("12MM", &v) < 0);
	CHECK(parse_size("0", &v) < 0);
	CHECK(parse_size(" 5M", &v) < 0);
	CHECK(parse_size("99999999999999999999", &v) < 0);
	CHECK(parse_size("17179869184G", &v) < 0); /* 2^34 GiB overflows 64 bits */
	CHECK_EQ(v, 7);
}

TEST(u64_hex_and_decimal)
{
	uint64_t v;

	CHECK(parse_u64("0x7c00", &v) == 0);
	CHECK_EQ(v, 0x7c00);
	CHECK(parse_u64("1048576", &v) == 0);
	CHECK_EQ(v, 1048576);
	CHECK(parse_u64("0x", &v) < 0);
	CHECK(parse_u64("12z", &v) < 0);
	CHECK(parse_u64("-3", &v) < 0);
}

TEST(defaults)
{
	struct vm_config cfg;

	CHECK_EQ(parse(&cfg, (const char *[]){ "guest.bin", NULL }), OPTIONS_RUN);
	CHECK_EQ(cfg.mem_size, 128ULL << 20);
	CHECK_EQ(cfg.cpus, 1);
	CHECK_EQ(cfg.format, FORMAT_AUTO);
	CHECK_EQ(cfg.serial, SERIAL_STDIO);
	CHECK_EQ(cfg.irqchip, IRQCHIP_SPLIT);
	CHECK_STR(cfg.image, "guest.bin");
	CHECK(!cfg.trace_exits && !cfg.stats && !cfg.verbose);
}

TEST(every_option)
{
	struct vm_config cfg;

	CHECK_EQ(parse(&cfg, (const char *[]){ "-m", "256M", "-c", "4", "--format", "raw64",
		       "--load-addr", "0x200000", "--entry", "0x200010", "--append", "a b=c",
		       "--serial", "file:/tmp/x", "-v", "--trace-exits", "--stats", "img", NULL }),
		 OPTIONS_RUN);
	CHECK_EQ(cfg.mem_size, 256ULL << 20);
	CHECK_EQ(cfg.cpus, 4);
	CHECK_EQ(cfg.format, FORMAT_RAW64);
	CHECK(cfg.load_addr_set && cfg.entry_set);
	CHECK_EQ(cfg.load_addr, 0x200000);
	CHECK_EQ(cfg.entry, 0x200010);
	CHECK_STR(cfg.append, "a b=c");
	CHECK_EQ(cfg.serial, SERIAL_FILE);
	CHECK_STR(cfg.serial_path, "/tmp/x");
	CHECK(cfg.verbose == 1 && cfg.trace_exits && cfg.stats);

	CHECK_EQ(parse(&cfg, (const char *[]){ "--memory=1G", "--cpus=16", "--module", "a",
		       "--module", "b", "--format=multiboot", "--serial=none", "--irqchip", "kernel",
		       "k.elf", NULL }),
		 OPTIONS_RUN);
	CHECK_EQ(cfg.irqchip, IRQCHIP_KERNEL);
	CHECK_EQ(cfg.mem_size, 1ULL << 30);
	CHECK_EQ(cfg.cpus, 16);
	CHECK_EQ(cfg.nmodules, 2);
	CHECK_STR(cfg.modules[1], "b");
	CHECK_EQ(cfg.serial, SERIAL_NONE);
}

TEST(help_and_version_exit_ok)
{
	struct vm_config cfg;

	CHECK_EQ(parse(&cfg, (const char *[]){ "--help", NULL }), OPTIONS_EXIT_OK);
	CHECK_EQ(parse(&cfg, (const char *[]){ "--version", NULL }), OPTIONS_EXIT_OK);
}

TEST(usage_errors_have_messages)
{
	struct vm_config cfg;

	CHECK_EQ(parse(&cfg, (const char *[]){ NULL }), OPTIONS_ERROR);
	CHECK(strstr(err_message(), "no guest image") != NULL);
	CHECK_EQ(err_status(), EXIT_USAGE);

	CHECK_EQ(parse(&cfg, (const char *[]){ "-m", "lots", "x", NULL }), OPTIONS_ERROR);
	CHECK_STR(err_message(), "bad value 'lots' for --memory");

	CHECK_EQ(parse(&cfg, (const char *[]){ "-m", "1M", "x", NULL }), OPTIONS_ERROR);
	CHECK(strstr(err_message(), "out of range") != NULL);

	CHECK_EQ(parse(&cfg, (const char *[]){ "-c", "0", "x", NULL }), OPTIONS_ERROR);
	CHECK(strstr(err_message(), "--cpus 0 is out of range") != NULL);
	CHECK_EQ(parse(&cfg, (const char *[]){ "-c", "65", "x", NULL }), OPTIONS_ERROR);

	CHECK_EQ(parse(&cfg, (const char *[]){ "--format", "zip", "x", NULL }), OPTIONS_ERROR);
	CHECK(strstr(err_message(), "unknown format 'zip'") != NULL);

	CHECK_EQ(parse(&cfg, (const char *[]){ "--irqchip", "userspace", "x", NULL }), OPTIONS_ERROR);
	CHECK_STR(err_message(), "bad --irqchip 'userspace' (split or kernel)");

	CHECK_EQ(parse(&cfg, (const char *[]){ "--serial", "tcp", "x", NULL }), OPTIONS_ERROR);
	CHECK(strstr(err_message(), "bad --serial") != NULL);

	CHECK_EQ(parse(&cfg, (const char *[]){ "--bogus", "x", NULL }), OPTIONS_ERROR);
	CHECK_STR(err_message(), "unknown option '--bogus' (see --help)");

	CHECK_EQ(parse(&cfg, (const char *[]){ "x", "--memory", NULL }), OPTIONS_ERROR);
	CHECK_STR(err_message(), "option '--memory' needs a value");

	CHECK_EQ(parse(&cfg, (const char *[]){ "a", "b", NULL }), OPTIONS_ERROR);
	CHECK(strstr(err_message(), "more than one guest image") != NULL);

	/* With an image the loader judges --entry against its format (test_loader.c); without one: */
	CHECK_EQ(parse(&cfg, (const char *[]){ "--loadvm", "s.mkvm", "--entry", "0x10", NULL }),
		 OPTIONS_ERROR);
	CHECK_STR(err_message(), "--load-addr and --entry are for raw images, and --loadvm without "
		  "IMAGE loads none");
}

/* A bad --gdb endpoint is a usage error of the command line, found before /dev/kvm is opened. */
TEST(gdb_endpoint_checked_with_the_options)
{
	struct vm_config cfg;

	CHECK_EQ(parse(&cfg, (const char *[]){ "--gdb", "nowhere", "x", NULL }), OPTIONS_ERROR);
	CHECK_STR(err_message(), "bad --gdb endpoint 'nowhere' (PORT, HOST:PORT, tcp:HOST:PORT, "
		  "unix:PATH or stdio)");
	CHECK_EQ(err_status(), EXIT_USAGE);
	CHECK_EQ(parse(&cfg, (const char *[]){ "-g", "unix:", "x", NULL }), OPTIONS_ERROR);
	CHECK_EQ(parse(&cfg, (const char *[]){ "--gdb", "tcp:localhost:99999", "x", NULL }), OPTIONS_ERROR);
	CHECK_EQ(parse(&cfg, (const char *[]){ "--gdb", "tcp:localhost:1234", "x", NULL }), OPTIONS_RUN);
	CHECK_EQ(parse(&cfg, (const char *[]){ "-S", "x", NULL }), OPTIONS_RUN);
	CHECK_STR(cfg.gdb, "127.0.0.1:1234");
	/* --host-report runs no guest and serves no gdb: its endpoint is not looked at. */
	CHECK_EQ(parse(&cfg, (const char *[]){ "--host-report", "--gdb", "nowhere", NULL }), OPTIONS_RUN);
}

TEST(loadvm_makes_the_image_optional)
{
	struct vm_config cfg;

	CHECK_EQ(parse(&cfg, (const char *[]){ "--loadvm", "s.mkvm", "--snapshot-dir", "/tmp", NULL }),
		 OPTIONS_RUN);
	CHECK(cfg.image == NULL);
	CHECK(strcmp(cfg.loadvm, "s.mkvm") == 0 && strcmp(cfg.snapshot_dir, "/tmp") == 0);
	CHECK_EQ(parse(&cfg, (const char *[]){ "--loadvm", "s.mkvm", "k.elf", NULL }), OPTIONS_RUN);
	CHECK(strcmp(cfg.image, "k.elf") == 0);
	CHECK_EQ(parse(&cfg, (const char *[]){ "--snapshot-dir", "/tmp", NULL }), OPTIONS_ERROR);
	CHECK_EQ(parse(&cfg, (const char *[]){ "k.elf", "--loadvm", NULL }), OPTIONS_ERROR);
}

/* Monitor commands write host files only where the user said (issue 19). */
TEST(dump_dir_is_unset_unless_given)
{
	struct vm_config cfg;

	CHECK_EQ(parse(&cfg, (const char *[]){ "k.elf", NULL }), OPTIONS_RUN);
	CHECK(cfg.dump_dir == NULL && cfg.snapshot_dir == NULL);
	CHECK_EQ(parse(&cfg, (const char *[]){ "--dump-dir", "/srv/cores", "k.elf", NULL }), OPTIONS_RUN);
	CHECK_STR(cfg.dump_dir, "/srv/cores");
	CHECK_EQ(parse(&cfg, (const char *[]){ "k.elf", "--dump-dir", NULL }), OPTIONS_ERROR);
}

TEST(gdb_allow_uid)
{
	struct vm_config cfg;

	/* Default: nobody but the user minikvm runs as. */
	CHECK_EQ(parse(&cfg, (const char *[]){ "k.elf", NULL }), OPTIONS_RUN);
	CHECK(!cfg.gdb_allow.any && cfg.gdb_allow.n == 0);
	/* A list, and the option again adds to it. */
	CHECK_EQ(parse(&cfg, (const char *[]){ "--gdb-allow-uid", "1000,0", "--gdb-allow-uid", "65534",
					       "k.elf", NULL }), OPTIONS_RUN);
	CHECK(!cfg.gdb_allow.any);
	CHECK_EQ(cfg.gdb_allow.n, 3);
	CHECK_EQ(cfg.gdb_allow.uids[0], 1000);
	CHECK_EQ(cfg.gdb_allow.uids[1], 0);
	CHECK_EQ(cfg.gdb_allow.uids[2], 65534);
	CHECK_EQ(parse(&cfg, (const char *[]){ "--gdb-allow-uid", "any", "k.elf", NULL }), OPTIONS_RUN);
	CHECK(cfg.gdb_allow.any);
	CHECK_EQ(parse(&cfg, (const char *[]){ "--gdb-allow-uid", "4294967294", "k.elf", NULL }),
		 OPTIONS_RUN);
	CHECK_EQ(cfg.gdb_allow.uids[0], 4294967294u);
}

TEST(gdb_allow_uid_rejects)
{
	static const char *const bad[] = {
		"", "x", "1000,", ",1000", "1000,,1", "-1", "+5", " 5", "0x10", "1000 ", "any,1000",
		"4294967295", /* (uid_t)-1: "no uid" to the kernel */
		"99999999999999999999", "root",
	};
	struct gdb_allow allow;
	struct vm_config cfg;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&allow, 0, sizeof(allow));
		if (parse_gdb_allow(bad[i], &allow) == 0)
			test_fail(__FILE__, __LINE__, "'%s' accepted", bad[i]);
		CHECK(!allow.any);
	}
	CHECK_STR(err_message(), "bad --gdb-allow-uid 'root' (any, or numeric uids: 1000,1001)");
	CHECK_EQ(err_status(), EXIT_USAGE);
	memset(&allow, 0, sizeof(allow));
	CHECK(parse_gdb_allow("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", &allow) == 0);
	CHECK(parse_gdb_allow("17", &allow) < 0);
	CHECK(strstr(err_message(), "at most 16") != NULL);
	CHECK_EQ(parse(&cfg, (const char *[]){ "--gdb-allow-uid", "me", "k.elf", NULL }), OPTIONS_ERROR);
}
