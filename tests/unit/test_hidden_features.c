/* SPDX-License-Identifier: MIT */
/*
 * The features hidden where KVM emulates guests: the CPUID filter and the
 * Linux command line both follow the one table, and each is checked whole.
 */
#include "test.h"
#include "x86/hidden_features.h"

#include <stdlib.h>

/* What the filter clears, written out by hand: a table change must change this too. */
static const struct {
	uint32_t leaf, subleaf;
	uint32_t mask[4]; /* EAX, EBX, ECX, EDX */
} hidden[] = {
	{ 1, 0, { 0, 0, 0x7EDA3202, 0 } },
	{ 7, 0, { 0, 0xFDBF0529, 0x00405F4A, 0x0000010C } },
	{ 7, 1, { 0x30, 0, 0, 0 } },
	{ 0x80000001, 0, { 0, 0, 0x20, 0x08000000 } },
};
#define NHIDDEN (sizeof(hidden) / sizeof(hidden[0]))

static const char expected_cmdline[] =
	"noxsave clearcpuid=avx,fma,f16c,avx2,avx512f,pku,ssse3,sse4_1,sse4_2,pclmulqdq,aes,"
	"sha_ni,popcnt,movbe,abm,bmi1,bmi2,adx,cx16,rdrand,rdseed,fsgsbase,rdpid,rdtscp,"
	"clflushopt,clwb,smap,pcid,invpcid";

static uint32_t reg_of(const struct kvm_cpuid_entry2 *e, enum cpuid_reg r)
{
	return r == CPUID_EAX ? e->eax : r == CPUID_EBX ? e->ebx : r == CPUID_ECX ? e->ecx : e->edx;
}

static struct kvm_cpuid_entry2 all_ones(uint32_t leaf, uint32_t subleaf)
{
	return (struct kvm_cpuid_entry2){ .function = leaf, .index = subleaf, .eax = ~0U,
					  .ebx = ~0U, .ecx = ~0U, .edx = ~0U };
}

TEST(features_table_is_consistent)
{
	int noxsave = 0;

	CHECK(x86_emulator_nfeatures > 0);
	for (size_t i = 0; i < x86_emulator_nfeatures; i++) {
		const struct x86_feature *f = &x86_emulator_features[i];

		CHECK(f->name && f->name[0]);
		CHECK(f->bit < 32);
		if (f->tell_linux == FEATURE_NOXSAVE) {
			noxsave++;
			CHECK_STR(f->name, "xsave");
			CHECK_EQ(f->leaf, 1);
			CHECK_EQ(f->reg, CPUID_ECX);
			CHECK_EQ(f->bit, 26);
		}
		for (size_t j = 0; j < i; j++) {
			const struct x86_feature *g = &x86_emulator_features[j];

			if (strcmp(f->name, g->name) == 0)
				test_fail(__FILE__, __LINE__, "'%s' twice in the table", f->name);
			if (f->leaf == g->leaf && f->subleaf == g->subleaf && f->reg == g->reg &&
			    f->bit == g->bit)
				test_fail(__FILE__, __LINE__, "'%s' and '%s' are the same bit",
					  f->name, g->name);
		}
	}
	CHECK_EQ(noxsave, 1);
}

TEST(features_cpuid_filter_hides_exactly_the_table)
{
	/* Each hidden leaf, then leaves the filter must leave alone or empty. */
	struct kvm_cpuid_entry2 e[NHIDDEN + 5];
	size_t n = 0;

	for (size_t i = 0; i < NHIDDEN; i++)
		e[n++] = all_ones(hidden[i].leaf, hidden[i].subleaf);
	e[n++] = all_ones(0, 0);
	e[n++] = all_ones(7, 2);          /* another sub-leaf of leaf 7 */
	e[n++] = all_ones(0x80000008, 0);
	e[n++] = all_ones(0xD, 0);        /* XSAVE state components: all gone */
	e[n++] = all_ones(0xD, 1);
	for (size_t i = 0; i < n; i++)
		x86_features_hide(&e[i]);

	for (size_t i = 0; i < NHIDDEN; i++) {
		CHECK_EQ(e[i].eax, ~hidden[i].mask[0]);
		CHECK_EQ(e[i].ebx, ~hidden[i].mask[1]);
		CHECK_EQ(e[i].ecx, ~hidden[i].mask[2]);
		CHECK_EQ(e[i].edx, ~hidden[i].mask[3]);
	}
	for (size_t i = NHIDDEN; i < NHIDDEN + 3; i++)
		CHECK(e[i].eax == ~0U && e[i].ebx == ~0U && e[i].ecx == ~0U && e[i].edx == ~0U);
	for (size_t i = NHIDDEN + 3; i < n; i++)
		CHECK(e[i].eax == 0 && e[i].ebx == 0 && e[i].ecx == 0 && e[i].edx == 0);

	/* Every table entry's bit is clear, and its leaf is one of those written out above. */
	for (size_t i = 0; i < x86_emulator_nfeatures; i++) {
		const struct x86_feature *f = &x86_emulator_features[i];
		size_t row = 0;

		while (row < NHIDDEN && (hidden[row].leaf != f->leaf || hidden[row].subleaf != f->subleaf))
			row++;
		if (row == NHIDDEN) {
			test_fail(__FILE__, __LINE__, "'%s': leaf %#x.%u not expected", f->name,
				  f->leaf, f->subleaf);
			continue;
		}
		if (reg_of(&e[row], f->reg) & (1U << f->bit))
			test_fail(__FILE__, __LINE__, "'%s' still visible in CPUID", f->name);
		if (!(hidden[row].mask[f->reg] & (1U << f->bit)))
			test_fail(__FILE__, __LINE__, "'%s' missing from the expected masks", f->name);
	}
}

/* How often name stands as a whole item of the comma list after "clearcpuid=". */
static int clearcpuid_count(const char *cmdline, const char *name)
{
	const char *list = strstr(cmdline, "clearcpuid=");
	char *copy, *item, *save;
	int count = 0;

	if (!list)
		return 0;
	copy = strdup(list + strlen("clearcpuid="));
	for (item = strtok_r(copy, ", ", &save); item; item = strtok_r(NULL, ", ", &save))
		count += strcmp(item, name) == 0;
	free(copy);
	return count;
}

TEST(features_linux_cmdline_follows_the_table)
{
	const char *cmdline = x86_features_linux_cmdline();
	size_t named = 0, commas = 0;

	CHECK_STR(cmdline, expected_cmdline);
	CHECK(cmdline == x86_features_linux_cmdline()); /* built once */
	/* noxsave first: the integration test looks for "<user's words> noxsave". */
	CHECK(strncmp(cmdline, "noxsave ", 8) == 0);
	CHECK(strstr(cmdline + 1, "noxsave") == NULL);
	for (size_t i = 0; i < x86_emulator_nfeatures; i++) {
		const struct x86_feature *f = &x86_emulator_features[i];
		int want = f->tell_linux == FEATURE_CLEARCPUID;

		if (clearcpuid_count(cmdline, f->name) != want)
			test_fail(__FILE__, __LINE__, "'%s' %d times in clearcpuid=, not %d", f->name,
				  clearcpuid_count(cmdline, f->name), want);
		named += want;
	}
	for (const char *p = cmdline; *p; p++)
		commas += *p == ',';
	CHECK_EQ(commas + 1, named); /* nothing but the table's names */
}

TEST(features_linux_cmdline_only_where_kvm_emulates)
{
	CHECK(x86_linux_cmdline_extra(false, NULL) == NULL);
	CHECK(x86_linux_cmdline_extra(false, "console=ttyS0") == NULL);
	CHECK_STR(x86_linux_cmdline_extra(true, NULL), expected_cmdline);
	CHECK_STR(x86_linux_cmdline_extra(true, "console=ttyS0"), expected_cmdline);
	/* The user chose what to clear: theirs stands alone. */
	CHECK(x86_linux_cmdline_extra(true, "console=ttyS0 clearcpuid=pcid") == NULL);
}
