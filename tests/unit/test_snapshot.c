/* SPDX-License-Identifier: MIT */
/*
 * The snapshot file format's parser (src/snapshot.c) on images made here:
 * a good one is indexed; a truncated one (at every length), a bad magic,
 * version or header checksum, a section longer than the file, a damaged
 * section, bytes after the end and duplicate sections are all refused
 * with a message, never a crash.
 */
#include "test.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "snapshot.h"

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

/* An image with a 4 KiB "RAM" section and a device section; its length in *len. */
static uint8_t *make_image(size_t *len)
{
	static const char dev[] = "device bytes";
	size_t ram = 4096, n = SNAPSHOT_HEADER_SIZE + 2 * SNAPSHOT_SECTION_HEAD + ram + sizeof(dev);
	uint8_t *b = calloc(1, n), *s;

	memcpy(b, SNAPSHOT_MAGIC, 8);
	put32(b + 8, SNAPSHOT_VERSION);
	put32(b + 12, SNAPSHOT_HEADER_SIZE);
	put64(b + 16, 16 << 20);
	put32(b + 24, 2);
	put32(b + 28, 1);
	put32(b + 32, 2);
	put32(b + 36, 64);
	put32(b + 40, 2);
	put64(b + 48, n);
	s = b + SNAPSHOT_HEADER_SIZE;
	put32(s, SNAPSHOT_RAM);
	strcpy((char *)s + 8, "ram");
	put64(s + 40, ram);
	memset(s + SNAPSHOT_SECTION_HEAD, 0xA5, ram);
	put32(s + 48, snapshot_crc32(0, s + SNAPSHOT_SECTION_HEAD, ram));
	s += SNAPSHOT_SECTION_HEAD + ram;
	put32(s, SNAPSHOT_DEVICE);
	strcpy((char *)s + 8, "serial (COM1)");
	put64(s + 40, sizeof(dev));
	memcpy(s + SNAPSHOT_SECTION_HEAD, dev, sizeof(dev));
	put32(s + 48, snapshot_crc32(0, dev, sizeof(dev)));
	put32(b + 56, snapshot_crc32(0, b, 56));
	*len = n;
	return b;
}

static void rehash_header(uint8_t *b)
{
	put32(b + 56, snapshot_crc32(0, b, 56));
}

static struct snapshot_view view;

static bool refused(const uint8_t *b, size_t len, const char *text)
{
	err_clear();
	if (snapshot_parse(b, len, "x.mkvm", &view) == 0)
		return false;
	return strstr(err_message(), text) && strstr(err_message(), "x.mkvm") &&
	       err_status() == EXIT_USAGE;
}

TEST(snapshot_crc32_is_ieee)
{
	CHECK_EQ(snapshot_crc32(0, "123456789", 9), 0xCBF43926u);
	CHECK_EQ(snapshot_crc32(snapshot_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
}

TEST(snapshot_parse_good_image)
{
	size_t len;
	uint8_t *b = make_image(&len);

	CHECK_EQ(snapshot_parse(b, len, "x.mkvm", &view), 0);
	CHECK_EQ(view.cfg.mem_size, 16u << 20);
	CHECK_EQ(view.cfg.ncpus, 2);
	CHECK_EQ(view.cfg.irqchip, 1);
	CHECK_EQ(view.cfg.image_width, 64);
	CHECK_EQ(view.nsections, 2);
	CHECK_EQ(view.s[0].tag, SNAPSHOT_RAM);
	CHECK_EQ(view.s[0].len, 4096);
	CHECK_EQ(view.s[0].data[4095], 0xA5);
	CHECK(strcmp(view.s[1].name, "serial (COM1)") == 0);
	CHECK(memcmp(view.s[1].data, "device bytes", 13) == 0);
	free(b);
}

TEST(snapshot_parse_refuses_every_truncation)
{
	size_t len;
	uint8_t *b = make_image(&len);

	for (size_t n = 0; n < len; n++) {
		/* A copy of exactly n bytes, so that ASan sees any read past them. */
		uint8_t *t = malloc(n ? n : 1);

		memcpy(t, b, n);
		err_clear();
		CHECK(snapshot_parse(t, n, "x.mkvm", &view) < 0);
		CHECK(n < 8 || n >= SNAPSHOT_HEADER_SIZE ? 1 : strstr(err_message(), "truncated") != NULL);
		if (n >= SNAPSHOT_HEADER_SIZE)
			CHECK(strstr(err_message(), "truncated (") != NULL);
		free(t);
	}
	free(b);
}

TEST(snapshot_parse_refuses_bad_headers)
{
	size_t len;
	uint8_t *b = make_image(&len);

	b[0] = 'X';
	CHECK(refused(b, len, "not a minikvm snapshot"));
	b[0] = 'M';
	put32(b + 8, 99);
	CHECK(refused(b, len, "format version 99"));
	put32(b + 8, SNAPSHOT_VERSION);
	b[20] ^= 1; /* memory size changed, checksum not */
	CHECK(refused(b, len, "header is damaged"));
	b[20] ^= 1;
	put32(b + 24, 0); /* no vCPUs */
	rehash_header(b);
	CHECK(refused(b, len, "makes no sense"));
	put32(b + 24, 2);
	put32(b + 40, 100000); /* sections */
	rehash_header(b);
	CHECK(refused(b, len, "too many sections"));
	put32(b + 40, 2);
	rehash_header(b);
	CHECK_EQ(snapshot_parse(b, len, "x.mkvm", &view), 0);
	free(b);
}

TEST(snapshot_parse_refuses_bad_sections)
{
	size_t len;
	uint8_t *b = make_image(&len), *s = b + SNAPSHOT_HEADER_SIZE, *big;

	/* A length beyond the file (and one that would wrap a 64-bit sum). */
	put64(s + 40, len);
	CHECK(refused(b, len, "longer than the file"));
	put64(s + 40, UINT64_MAX - 10);
	CHECK(refused(b, len, "longer than the file"));
	/* Shorter than written: the next section header lands in RAM bytes. */
	put64(s + 40, 4000);
	CHECK(refused(b, len, "is damaged"));
	put64(s + 40, 4096);
	/* One flipped byte of RAM. */
	s[SNAPSHOT_SECTION_HEAD + 100] ^= 0x10;
	CHECK(refused(b, len, "section 'ram' is damaged (checksum)"));
	s[SNAPSHOT_SECTION_HEAD + 100] ^= 0x10;
	/* A kind nobody knows. */
	put32(s, 77);
	CHECK(refused(b, len, "unknown kind"));
	put32(s, SNAPSHOT_RAM);
	/* The second section a copy of the first's identity. */
	put32(s + SNAPSHOT_SECTION_HEAD + 4096, SNAPSHOT_RAM);
	memset(s + SNAPSHOT_SECTION_HEAD + 4096 + 8, 0, SNAPSHOT_NAME_LEN);
	strcpy((char *)s + SNAPSHOT_SECTION_HEAD + 4096 + 8, "ram");
	CHECK(refused(b, len, "appears twice"));
	free(b);
	/* Bytes after the end the header gives. */
	b = make_image(&len);
	big = calloc(1, len + 3);
	memcpy(big, b, len);
	CHECK(refused(big, len + 3, "bytes after its end"));
	/* Header says one section fewer: the last one is left over. */
	put32(b + 40, 1);
	rehash_header(b);
	CHECK(refused(b, len, "do not fill it"));
	free(big);
	free(b);
}

TEST(snapshot_names)
{
	CHECK_EQ(snapshot_check_name("a"), 0);
	CHECK_EQ(snapshot_check_name("before-boot_2.x"), 0);
	CHECK(snapshot_check_name("") < 0);
	CHECK(snapshot_check_name(".hidden") < 0);
	CHECK(snapshot_check_name("../etc/passwd") < 0);
	CHECK(snapshot_check_name("a b") < 0);
	CHECK(snapshot_check_name("0123456789012345678901234567890123456789012345678901234567890123") < 0);
}
