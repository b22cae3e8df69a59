/* SPDX-License-Identifier: MIT */
#include "test.h"
#include "guest_mem.h"
#include "x86/paging.h"

#include <errno.h>
#include <stdlib.h>

#define MEM (4 << 20)

static struct guest_mem mem;
static uint8_t *buf;

static void setup(void)
{
	buf = calloc(1, MEM);
	guest_mem_wrap(&mem, buf, MEM);
}

static void put64(uint64_t gpa, uint64_t v)
{
	guest_mem_write(&mem, gpa, &v, 8);
}

static void put32(uint64_t gpa, uint32_t v)
{
	guest_mem_write(&mem, gpa, &v, 4);
}

TEST(paging_off_is_identity)
{
	struct paging_regs r = { .cr0 = 1 };
	struct walk w;

	setup();
	CHECK(page_walk(&mem, &r, 0x12345, &w) == 0);
	CHECK_EQ(w.gpa, 0x12345);
	CHECK_EQ(w.mode, PAGING_NONE);
	CHECK_EQ(w.nsteps, 0);
	free(buf);
}

TEST(paging_4level_4k_2m_1g)
{
	/* PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000 */
	struct paging_regs r = { .cr0 = 0x80000011, .cr4 = 0x20, .efer = 0x500, .cr3 = 0x1000 };
	struct walk w;
	uint64_t va4k = 0xFFFF800000201234ULL; /* PML4 256, PDPT 0, PD 1, PT 1 */

	setup();
	put64(0x1000 + 256 * 8, 0x2000 | 3);
	put64(0x2000, 0x3000 | 3);
	put64(0x3000 + 1 * 8, 0x4000 | 3);
	put64(0x4000 + 1 * 8, 0x200000 | 1); /* read-only */
	CHECK(page_walk(&mem, &r, va4k, &w) == 0);
	CHECK_EQ(w.gpa, 0x200234);
	CHECK_EQ(w.page_size, 4096);
	CHECK_EQ(w.nsteps, 4);
	CHECK_STR(w.steps[0].name, "PML4E");
	CHECK_EQ(w.steps[0].entry_gpa, 0x1000 + 256 * 8);
	CHECK_STR(w.steps[3].name, "PTE");
	CHECK_EQ(w.steps[3].entry, 0x200001);
	CHECK(!w.writable);

	/* 2 MiB page at PD index 2 */
	put64(0x3000 + 2 * 8, 0x600000 | 0x83);
	CHECK(page_walk(&mem, &r, 0xFFFF800000400000ULL + 0x1F0ABC, &w) == 0);
	CHECK_EQ(w.gpa, 0x600000 + 0x1F0ABC);
	CHECK_EQ(w.page_size, 2 << 20);
	CHECK_EQ(w.nsteps, 3);

	/* 1 GiB page at PDPT index 1 */
	put64(0x2000 + 8, 0x40000000 | 0x83);
	CHECK(page_walk(&mem, &r, 0xFFFF800040000000ULL + 0x123456, &w) == 0);
	CHECK_EQ(w.gpa, 0x40123456);
	CHECK_EQ(w.page_size, 1 << 30);

	/* not present, and non-canonical */
	CHECK(page_walk(&mem, &r, 0x0000000000001000ULL, &w) < 0);
	CHECK_STR(w.error, "not present");
	CHECK_EQ(w.nsteps, 1);
	CHECK(page_walk(&mem, &r, 0x0000800000000000ULL, &w) < 0);
	CHECK_STR(w.error, "non-canonical address");
	free(buf);
}

TEST(paging_5level)
{
	struct paging_regs r = { .cr0 = 0x80000011, .cr4 = 0x20 | (1 << 12), .efer = 0x500,
				 .cr3 = 0x1000 };
	struct walk w;

	setup();
	/* PML5 0x1000 -> PML4 0x2000 -> PDPT 0x3000 (1 GiB page) for VA 0 */
	put64(0x1000, 0x2000 | 3);
	put64(0x2000, 0x3000 | 3);
	put64(0x3000, 0x0 | 0x83);
	CHECK(page_walk(&mem, &r, 0x1234, &w) == 0);
	CHECK_EQ(w.gpa, 0x1234);
	CHECK_EQ(w.nsteps, 3);
	CHECK_STR(w.steps[0].name, "PML5E");
	/* 57-bit canonical: bit 56 set requires bits 63:57 set */
	CHECK(page_walk(&mem, &r, 0x0100000000000000ULL, &w) < 0);
	free(buf);
}

TEST(paging_pae)
{
	struct paging_regs r = { .cr0 = 0x80000011, .cr4 = 0x20, .cr3 = 0x1020 };
	struct walk w;

	setup();
	put64(0x1020 + 3 * 8, 0x2000 | 1);     /* PDPTE 3: 0xC0000000.. */
	put64(0x2000 + 0 * 8, 0x3000 | 3);     /* PDE 0 -> PT */
	put64(0x3000 + 5 * 8, 0x7000 | 3);     /* PTE 5 */
	put64(0x2000 + 1 * 8, 0x400000 | 0x83); /* PDE 1: 2 MiB page */
	CHECK(page_walk(&mem, &r, 0xC0005ABC, &w) == 0);
	CHECK_EQ(w.gpa, 0x7ABC);
	CHECK_EQ(w.nsteps, 3);
	CHECK(page_walk(&mem, &r, 0xC0212345, &w) == 0);
	CHECK_EQ(w.gpa, 0x412345);
	CHECK_EQ(w.page_size, 2 << 20);
	CHECK(page_walk(&mem, &r, 0x00001000, &w) < 0);
	free(buf);
}

TEST(paging_32bit_and_pse)
{
	struct paging_regs r = { .cr0 = 0x80000011, .cr4 = 0, .cr3 = 0x1000 };
	struct walk w;

	setup();
	put32(0x1000 + 0x300 * 4, 0x2000 | 3);       /* PDE for 0xC0000000 */
	put32(0x2000 + 0x10 * 4, 0x5000 | 3);        /* PTE for 0xC0010000 */
	put32(0x1000 + 0x301 * 4, 0x00800000 | 0x83 | (0x3 << 13)); /* 4 MiB, PSE-36 bits */
	CHECK(page_walk(&mem, &r, 0xC0010FFF, &w) == 0);
	CHECK_EQ(w.gpa, 0x5FFF);
	CHECK_EQ(w.nsteps, 2);
	/* Without CR4.PSE the PS bit is ignored: the walk goes to a PT at 0x800000 (outside RAM). */
	CHECK(page_walk(&mem, &r, 0xC0400000, &w) < 0);
	CHECK_STR(w.error, "page table outside guest RAM");
	r.cr4 = 0x10;
	CHECK(page_walk(&mem, &r, 0xC0412345, &w) == 0);
	CHECK_EQ(w.gpa, 0x300812345ULL);
	CHECK_EQ(w.page_size, 4 << 20);
	free(buf);
}

TEST(paging_table_outside_ram)
{
	struct paging_regs r = { .cr0 = 0x80000011, .cr4 = 0x20, .efer = 0x500, .cr3 = 0xFFFFF000ULL };
	struct walk w;

	setup();
	CHECK(page_walk(&mem, &r, 0, &w) < 0);
	CHECK_STR(w.error, "page table outside guest RAM");
	free(buf);
}

/*
 * What the SDM (vol. 3, §4.6.1) says each kind of access may do, written
 * out case by case, to hold paging_access_faults() against.
 */
static bool sdm_allows(bool user_page, bool writable, const struct paging_access *a)
{
	if (a->cpl == 3) {
		if (!a->write)
			return user_page;                 /* user reads: user pages only */
		return user_page && writable;         /* user writes: user, writable */
	}
	if (!a->write) {
		if (!user_page)
			return true;                      /* supervisor reads of supervisor pages */
		return !a->cr4_smap || a->eflags_ac;  /* of user pages: SMAP unless AC */
	}
	if (user_page && a->cr4_smap && !a->eflags_ac)
		return false;                         /* SMAP before anything else */
	if (!a->cr0_wp)
		return true;                          /* WP=0: any page with a translation */
	return writable;                              /* WP=1: writable pages only */
}

TEST(paging_access_rights_every_combination)
{
	int checked = 0;

	for (unsigned bits = 0; bits < 1u << 8; bits++) {
		bool user_page = bits & 1, writable = bits & 2;
		struct paging_access a = {
			.write = bits & 4, .cpl = bits & 8 ? 3 : (bits & 16 ? 1 : 0),
			.cr0_wp = bits & 32, .cr4_smap = bits & 64, .eflags_ac = bits & 128,
		};
		struct walk w = { .mode = PAGING_4LEVEL, .user = user_page, .writable = writable,
				  .page_size = 4096 };
		uint32_t want = (a.write ? PF_ERR_W : 0) | (a.cpl == 3 ? PF_ERR_U : 0), code = 99;
		bool allowed = sdm_allows(user_page, writable, &a);

		if (paging_access_faults(0, &w, &a, &code) != !allowed ||
		    code != (allowed ? 0 : want | PF_ERR_P)) {
			test_fail(__FILE__, __LINE__, "user page %d, writable %d, write %d, CPL %u, "
				  "WP %d, SMAP %d, AC %d: fault %d (want %d), error code %u",
				  user_page, writable, a.write, a.cpl, a.cr0_wp, a.cr4_smap,
				  a.eflags_ac, allowed, !allowed, code);
			return;
		}
		/* Not present: always a #PF, P clear, W and U as the access was. */
		w.not_present = true;
		w.error = "not present";
		CHECK(paging_access_faults(-1, &w, &a, &code));
		CHECK_EQ(code, want);
		/* Other failed walks are no #PF; paging off checks nothing. */
		w.not_present = false;
		w.error = "non-canonical address";
		CHECK(!paging_access_faults(-1, &w, &a, &code));
		w = (struct walk){ .mode = PAGING_NONE };
		CHECK(!paging_access_faults(0, &w, &a, &code));
		CHECK_EQ(code, 0);
		checked++;
	}
	CHECK_EQ(checked, 256);
}

TEST(paging_access_rights_examples)
{
	struct walk user_ro = { .mode = PAGING_4LEVEL, .user = true, .writable = false };
	struct walk kernel_rw = { .mode = PAGING_4LEVEL, .user = false, .writable = true };
	struct walk kernel_ro = { .mode = PAGING_4LEVEL, .user = false, .writable = false };
	struct paging_access a;
	uint32_t code;

	/* stmxcsr from CPL 3 into a read-only user page: #PF, P|W|U */
	a = (struct paging_access){ .write = true, .cpl = 3 };
	CHECK(paging_access_faults(0, &user_ro, &a, &code));
	CHECK_EQ(code, 7);
	/* ldmxcsr from CPL 3 of a supervisor page: #PF, P|U */
	a.write = false;
	CHECK(paging_access_faults(0, &kernel_rw, &a, &code));
	CHECK_EQ(code, 5);
	/* the kernel writes its own read-only page: only with CR0.WP */
	a = (struct paging_access){ .write = true, .cpl = 0 };
	CHECK(!paging_access_faults(0, &kernel_ro, &a, &code));
	a.cr0_wp = true;
	CHECK(paging_access_faults(0, &kernel_ro, &a, &code));
	CHECK_EQ(code, 3);
	/* the kernel reads a user page under SMAP: #PF P; with EFLAGS.AC (stac) fine */
	a = (struct paging_access){ .cpl = 0, .cr4_smap = true };
	CHECK(paging_access_faults(0, &user_ro, &a, &code));
	CHECK_EQ(code, 1);
	a.eflags_ac = true;
	CHECK(!paging_access_faults(0, &user_ro, &a, &code));
}

/* The rights page_walk() reports are those of every level together. */
TEST(paging_walk_rights_all_levels)
{
	struct paging_regs r = { .cr0 = 0x80010011, .cr4 = 0x20, .efer = 0x500, .cr3 = 0x1000 };
	struct walk w;

	setup();
	put64(0x1000, 0x2000 | 7);           /* PML4E: P RW US */
	put64(0x2000, 0x3000 | 7);           /* PDPTE: P RW US */
	put64(0x3000, 0x4000 | 7);           /* PDE -> PT */
	put64(0x4000 + 1 * 8, 0x5000 | 5);   /* PTE 1: user, read-only */
	put64(0x4000 + 2 * 8, 0x6000 | 3);   /* PTE 2: supervisor, writable */
	put64(0x3000 + 8, 0x200000 | 0x85);  /* PDE 1: 2 MiB, user, read-only */
	CHECK(page_walk(&mem, &r, 0x1000, &w) == 0);
	CHECK(w.user && !w.writable);
	CHECK(page_walk(&mem, &r, 0x2000, &w) == 0);
	CHECK(!w.user && w.writable);
	CHECK(page_walk(&mem, &r, 0x200000, &w) == 0);
	CHECK(w.user && !w.writable);
	put64(0x2000, 0x3000 | 3);           /* a supervisor PDPTE makes it all supervisor */
	CHECK(page_walk(&mem, &r, 0x1000, &w) == 0);
	CHECK(!w.user);
	CHECK(page_walk(&mem, &r, 0x3000, &w) < 0);
	CHECK(w.not_present);
	free(buf);
}

/* PAE's PDPTEs carry no rights (bits 1, 2, 63 reserved): the PDE and PTE say. */
TEST(paging_pae_pdpte_has_no_rights)
{
	struct paging_regs r = { .cr0 = 0x80000011, .cr4 = 0x20, .cr3 = 0x1000 };
	struct walk w;

	setup();
	put64(0x1000, 0x2000 | 1);          /* PDPTE 0: only P */
	put64(0x2000, 0x3000 | 7);          /* PDE 0 -> PT, user, writable */
	put64(0x3000 + 8, 0x7000 | 7);      /* PTE 1 */
	CHECK(page_walk(&mem, &r, 0x1234, &w) == 0);
	CHECK_EQ(w.gpa, 0x7234);
	CHECK(w.user);
	CHECK(w.writable);
	CHECK(!w.nx);
	free(buf);
}

struct seen { uint64_t gva[8], gpa[8], size[8]; unsigned rights[8]; int n; };

static int note_page(void *ctx, uint64_t gva, uint64_t gpa, uint64_t size, unsigned rights)
{
	struct seen *s = ctx;

	if (s->n < 8) {
		s->gva[s->n] = gva;
		s->gpa[s->n] = gpa;
		s->size[s->n] = size;
		s->rights[s->n] = rights;
	}
	s->n++;
	return 0;
}

TEST(paging_table_each_4level_and_self_loops)
{
	struct paging_regs r = { .cr0 = 0x80000011, .cr4 = 0x20, .efer = 0x500, .cr3 = 0x1000 };
	struct seen s = { .n = 0 };

	setup();
	put64(0x1000 + 256 * 8, 0x2000 | 3);
	put64(0x2000, 0x3000 | 3);
	put64(0x3000 + 1 * 8, 0x4000 | 3);
	put64(0x4000 + 1 * 8, 0x200000 | 1);
	put64(0x3000 + 2 * 8, 0x600000 | 0x83);  /* 2 MiB */
	CHECK(page_table_each(&mem, &r, note_page, &s) == 0);
	CHECK_EQ(s.n, 2);
	CHECK_EQ(s.gva[0], 0xFFFF800000201000ULL); /* canonical: high half sign-extended */
	CHECK_EQ(s.gpa[0], 0x200000);
	CHECK_EQ(s.size[0], 4096);
	CHECK_EQ(s.gva[1], 0xFFFF800000400000ULL);
	CHECK_EQ(s.gpa[1], 0x600000);
	CHECK_EQ(s.size[1], 2 << 20);
	/* Rights: every level must grant them; no U/S anywhere; XD means nothing without NXE. */
	CHECK_EQ(s.rights[0], PAGE_MAP_EXEC);
	CHECK_EQ(s.rights[1], PAGE_MAP_WRITE | PAGE_MAP_EXEC);

	/* With EFER.NXE an XD bit at any level takes execute away; U/S at every level gives user. */
	put64(0x1000 + 256 * 8, 0x2000 | 7);
	put64(0x2000, 0x3000 | 7);
	put64(0x3000 + 2 * 8, 0x600000 | 0x87 | (1ULL << 63));
	r.efer = 0xD00;
	s.n = 0;
	CHECK(page_table_each(&mem, &r, note_page, &s) == 0);
	CHECK_EQ(s.n, 2);
	CHECK_EQ(s.rights[0], PAGE_MAP_EXEC);
	CHECK_EQ(s.rights[1], PAGE_MAP_WRITE | PAGE_MAP_USER);
	r.efer = 0x500;

	/* Every entry of every level names the same table: bounded, not 512^4 visits. */
	for (int i = 0; i < 512; i++)
		put64(0x5000 + i * 8, 0x5000 | 3);
	r.cr3 = 0x5000;
	s.n = 0;
	CHECK_EQ(page_table_each(&mem, &r, note_page, &s), -E2BIG);
	r.cr0 = 0x11; /* paging off: no tables */
	CHECK_EQ(page_table_each(&mem, &r, note_page, &s), -EINVAL);
	free(buf);
}
