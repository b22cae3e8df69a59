/* SPDX-License-Identifier: MIT */
/*
 * The x86 register layouts gdb understands without guessing.
 *
 * Features and register names follow gdb's own descriptions
 * (gdb/features/i386/{64bit,32bit}-{core,sse,segments}.xml): gdb recognises
 * org.gnu.gdb.i386.core/.sse/.segments by name and checks the register names
 * in them, so order and names must match exactly. Note the i386 core order
 * is the hardware encoding order (eax ecx edx ebx esp ebp esi edi), unlike
 * x86-64's (rax rbx rcx rdx rsi rdi rbp rsp).
 *
 * The system registers (cr0..efer, k_gs_base) have no standard feature; gdb
 * accepts any feature name and makes its registers available by name
 * ("p $cr3", "info registers cr3"), so they live in "org.minikvm.x86.sys",
 * in the "system" register group, with flag types that decode their bits.
 *
 * Both layouts say <osabi>GNU/Linux</osabi> and carry gdb's
 * org.gnu.gdb.i386.linux feature (one register, orig_rax / orig_eax), which
 * no CPU has: it is Linux's "system call number being restarted" slot. gdb's
 * x86 GNU/Linux support sets itself up only when the feature is there, and
 * only then can gdb's own `gcore` write a core (its thread notes are the
 * OS ABI's code). A debug stub has no system call to restart, so the
 * register reads -1 and a write (gdb writes -1 whenever it sets the pc) is
 * kept until the vCPU runs again. gdb picks GNU/Linux for a bare ELF anyway
 * (Debian's default OS ABI); see docs/gdb.md, "gdb's own gcore".
 */
#include "arch_x86.h"

#include <string.h>

#define EFLAGS_TYPE                                                        \
	"<flags id=\"i386_eflags\" size=\"4\">"                                \
	"<field name=\"CF\" start=\"0\" end=\"0\"/>"                           \
	"<field name=\"\" start=\"1\" end=\"1\"/>"                             \
	"<field name=\"PF\" start=\"2\" end=\"2\"/>"                           \
	"<field name=\"AF\" start=\"4\" end=\"4\"/>"                           \
	"<field name=\"ZF\" start=\"6\" end=\"6\"/>"                           \
	"<field name=\"SF\" start=\"7\" end=\"7\"/>"                           \
	"<field name=\"TF\" start=\"8\" end=\"8\"/>"                           \
	"<field name=\"IF\" start=\"9\" end=\"9\"/>"                           \
	"<field name=\"DF\" start=\"10\" end=\"10\"/>"                         \
	"<field name=\"OF\" start=\"11\" end=\"11\"/>"                         \
	"<field name=\"NT\" start=\"14\" end=\"14\"/>"                         \
	"<field name=\"RF\" start=\"16\" end=\"16\"/>"                         \
	"<field name=\"VM\" start=\"17\" end=\"17\"/>"                         \
	"<field name=\"AC\" start=\"18\" end=\"18\"/>"                         \
	"<field name=\"VIF\" start=\"19\" end=\"19\"/>"                        \
	"<field name=\"VIP\" start=\"20\" end=\"20\"/>"                        \
	"<field name=\"ID\" start=\"21\" end=\"21\"/>"                         \
	"</flags>\n"

/* vec128 without the bfloat16/half views, which older gdbs and lldb lack. */
#define SSE_TYPES                                                          \
	"<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"                \
	"<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"                \
	"<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"                    \
	"<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"                    \
	"<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"                    \
	"<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"                    \
	"<union id=\"vec128\">"                                                \
	"<field name=\"v4_float\" type=\"v4f\"/>"                              \
	"<field name=\"v2_double\" type=\"v2d\"/>"                             \
	"<field name=\"v16_int8\" type=\"v16i8\"/>"                            \
	"<field name=\"v8_int16\" type=\"v8i16\"/>"                            \
	"<field name=\"v4_int32\" type=\"v4i32\"/>"                            \
	"<field name=\"v2_int64\" type=\"v2i64\"/>"                            \
	"<field name=\"uint128\" type=\"uint128\"/>"                           \
	"</union>\n"                                                           \
	"<flags id=\"i386_mxcsr\" size=\"4\">"                                 \
	"<field name=\"IE\" start=\"0\" end=\"0\"/>"                           \
	"<field name=\"DE\" start=\"1\" end=\"1\"/>"                           \
	"<field name=\"ZE\" start=\"2\" end=\"2\"/>"                           \
	"<field name=\"OE\" start=\"3\" end=\"3\"/>"                           \
	"<field name=\"UE\" start=\"4\" end=\"4\"/>"                           \
	"<field name=\"PE\" start=\"5\" end=\"5\"/>"                           \
	"<field name=\"DAZ\" start=\"6\" end=\"6\"/>"                          \
	"<field name=\"IM\" start=\"7\" end=\"7\"/>"                           \
	"<field name=\"DM\" start=\"8\" end=\"8\"/>"                           \
	"<field name=\"ZM\" start=\"9\" end=\"9\"/>"                           \
	"<field name=\"OM\" start=\"10\" end=\"10\"/>"                         \
	"<field name=\"UM\" start=\"11\" end=\"11\"/>"                         \
	"<field name=\"PM\" start=\"12\" end=\"12\"/>"                         \
	"<field name=\"FZ\" start=\"15\" end=\"15\"/>"                         \
	"</flags>\n"

/* Control-register bits (Intel SDM vol. 3, 2.5) and EFER (2.2.1). */
#define CR_TYPES(size)                                                     \
	"<flags id=\"x86_cr0\" size=\"" size "\">"                             \
	"<field name=\"PE\" start=\"0\" end=\"0\"/>"                           \
	"<field name=\"MP\" start=\"1\" end=\"1\"/>"                           \
	"<field name=\"EM\" start=\"2\" end=\"2\"/>"                           \
	"<field name=\"TS\" start=\"3\" end=\"3\"/>"                           \
	"<field name=\"ET\" start=\"4\" end=\"4\"/>"                           \
	"<field name=\"NE\" start=\"5\" end=\"5\"/>"                           \
	"<field name=\"WP\" start=\"16\" end=\"16\"/>"                         \
	"<field name=\"AM\" start=\"18\" end=\"18\"/>"                         \
	"<field name=\"NW\" start=\"29\" end=\"29\"/>"                         \
	"<field name=\"CD\" start=\"30\" end=\"30\"/>"                         \
	"<field name=\"PG\" start=\"31\" end=\"31\"/>"                         \
	"</flags>\n"                                                           \
	"<flags id=\"x86_cr4\" size=\"" size "\">"                             \
	"<field name=\"VME\" start=\"0\" end=\"0\"/>"                          \
	"<field name=\"PVI\" start=\"1\" end=\"1\"/>"                          \
	"<field name=\"TSD\" start=\"2\" end=\"2\"/>"                          \
	"<field name=\"DE\" start=\"3\" end=\"3\"/>"                           \
	"<field name=\"PSE\" start=\"4\" end=\"4\"/>"                          \
	"<field name=\"PAE\" start=\"5\" end=\"5\"/>"                          \
	"<field name=\"MCE\" start=\"6\" end=\"6\"/>"                          \
	"<field name=\"PGE\" start=\"7\" end=\"7\"/>"                          \
	"<field name=\"PCE\" start=\"8\" end=\"8\"/>"                          \
	"<field name=\"OSFXSR\" start=\"9\" end=\"9\"/>"                       \
	"<field name=\"OSXMMEXCPT\" start=\"10\" end=\"10\"/>"                 \
	"<field name=\"UMIP\" start=\"11\" end=\"11\"/>"                       \
	"<field name=\"LA57\" start=\"12\" end=\"12\"/>"                       \
	"<field name=\"VMXE\" start=\"13\" end=\"13\"/>"                       \
	"<field name=\"SMXE\" start=\"14\" end=\"14\"/>"                       \
	"<field name=\"FSGSBASE\" start=\"16\" end=\"16\"/>"                   \
	"<field name=\"PCIDE\" start=\"17\" end=\"17\"/>"                      \
	"<field name=\"OSXSAVE\" start=\"18\" end=\"18\"/>"                    \
	"<field name=\"SMEP\" start=\"20\" end=\"20\"/>"                       \
	"<field name=\"SMAP\" start=\"21\" end=\"21\"/>"                       \
	"<field name=\"PKE\" start=\"22\" end=\"22\"/>"                        \
	"</flags>\n"                                                           \
	"<flags id=\"x86_efer\" size=\"8\">"                                   \
	"<field name=\"SCE\" start=\"0\" end=\"0\"/>"                          \
	"<field name=\"LME\" start=\"8\" end=\"8\"/>"                          \
	"<field name=\"LMA\" start=\"10\" end=\"10\"/>"                        \
	"<field name=\"NXE\" start=\"11\" end=\"11\"/>"                        \
	"<field name=\"SVME\" start=\"12\" end=\"12\"/>"                       \
	"<field name=\"FFXSR\" start=\"14\" end=\"14\"/>"                      \
	"</flags>\n"

enum { F_CORE, F_SSE, F_SEGMENTS, F_SYS, F_LINUX };
/* i386 has no segments feature: gdb 13 only expects it on amd64 and trips
 * an internal assertion (tdesc_use_registers) when a 32-bit one has it. */
enum { F_I386_SYS = F_SEGMENTS, F_I386_LINUX };

static const struct gdb_feature x86_64_features[] = {
	[F_CORE] = { "org.gnu.gdb.i386.core", EFLAGS_TYPE },
	[F_SSE] = { "org.gnu.gdb.i386.sse", SSE_TYPES },
	[F_SEGMENTS] = { "org.gnu.gdb.i386.segments", NULL },
	[F_SYS] = { "org.minikvm.x86.sys", CR_TYPES("8") },
	[F_LINUX] = { "org.gnu.gdb.i386.linux", NULL },
};

static const struct gdb_feature i386_features[] = {
	[F_CORE] = { "org.gnu.gdb.i386.core", EFLAGS_TYPE },
	[F_SSE] = { "org.gnu.gdb.i386.sse", SSE_TYPES },
	[F_I386_SYS] = { "org.minikvm.x86.sys", CR_TYPES("4") },
	[F_I386_LINUX] = { "org.gnu.gdb.i386.linux", NULL },
};

#define REG(n, bits, t, g, f, i) \
	{ .name = n, .bitsize = bits, .type = t, .group = g, .feature = f, .id = i }
#define GPR64(n, t, i)  REG(n, 64, t, NULL, F_CORE, i)
#define GPR32(n, t, i)  REG(n, 32, t, NULL, F_CORE, i)
#define SEG(n, i)       REG(n, 32, "int32", NULL, F_CORE, i)
#define ST(k)           REG("st" #k, 80, "i387_ext", NULL, F_CORE, GDB_X86_ST0 + k)
#define FPU(n, i)       REG(n, 32, "int", "float", F_CORE, i)
#define XMM(k)          REG("xmm" #k, 128, "vec128", NULL, F_SSE, GDB_X86_XMM0 + k)
#define SYS(n, bits, t, i) REG(n, bits, t, "system", F_SYS, i)
#define SYS32(n, bits, t, i) REG(n, bits, t, "system", F_I386_SYS, i)

#define X87_REGS                                                           \
	ST(0), ST(1), ST(2), ST(3), ST(4), ST(5), ST(6), ST(7),            \
	FPU("fctrl", GDB_X86_FCTRL), FPU("fstat", GDB_X86_FSTAT),          \
	FPU("ftag", GDB_X86_FTAG), FPU("fiseg", GDB_X86_FISEG),            \
	FPU("fioff", GDB_X86_FIOFF), FPU("foseg", GDB_X86_FOSEG),          \
	FPU("fooff", GDB_X86_FOOFF), FPU("fop", GDB_X86_FOP)

#define SEG_REGS                                                           \
	SEG("cs", GDB_X86_CS), SEG("ss", GDB_X86_SS), SEG("ds", GDB_X86_DS), \
	SEG("es", GDB_X86_ES), SEG("fs", GDB_X86_FS), SEG("gs", GDB_X86_GS)

static const struct gdb_reg x86_64_regs[] = {
	GPR64("rax", "int64", GDB_X86_RAX), GPR64("rbx", "int64", GDB_X86_RBX),
	GPR64("rcx", "int64", GDB_X86_RCX), GPR64("rdx", "int64", GDB_X86_RDX),
	GPR64("rsi", "int64", GDB_X86_RSI), GPR64("rdi", "int64", GDB_X86_RDI),
	GPR64("rbp", "data_ptr", GDB_X86_RBP), GPR64("rsp", "data_ptr", GDB_X86_RSP),
	GPR64("r8", "int64", GDB_X86_R8), GPR64("r9", "int64", GDB_X86_R9),
	GPR64("r10", "int64", GDB_X86_R10), GPR64("r11", "int64", GDB_X86_R11),
	GPR64("r12", "int64", GDB_X86_R12), GPR64("r13", "int64", GDB_X86_R13),
	GPR64("r14", "int64", GDB_X86_R14), GPR64("r15", "int64", GDB_X86_R15),
	GPR64("rip", "code_ptr", GDB_X86_RIP),
	GPR32("eflags", "i386_eflags", GDB_X86_EFLAGS),
	SEG_REGS,
	X87_REGS,
	XMM(0), XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7),
	XMM(8), XMM(9), XMM(10), XMM(11), XMM(12), XMM(13), XMM(14), XMM(15),
	REG("mxcsr", 32, "i386_mxcsr", "vector", F_SSE, GDB_X86_MXCSR),
	REG("fs_base", 64, "int", NULL, F_SEGMENTS, GDB_X86_FS_BASE),
	REG("gs_base", 64, "int", NULL, F_SEGMENTS, GDB_X86_GS_BASE),
	SYS("k_gs_base", 64, "int", GDB_X86_K_GS_BASE),
	SYS("cr0", 64, "x86_cr0", GDB_X86_CR0),
	SYS("cr2", 64, "data_ptr", GDB_X86_CR2),
	SYS("cr3", 64, "data_ptr", GDB_X86_CR3),
	SYS("cr4", 64, "x86_cr4", GDB_X86_CR4),
	SYS("cr8", 64, "int", GDB_X86_CR8),
	SYS("efer", 64, "x86_efer", GDB_X86_EFER),
	REG("orig_rax", 64, "int", NULL, F_LINUX, GDB_X86_ORIG_RAX),
};

static const struct gdb_reg i386_regs[] = {
	GPR32("eax", "int32", GDB_X86_RAX), GPR32("ecx", "int32", GDB_X86_RCX),
	GPR32("edx", "int32", GDB_X86_RDX), GPR32("ebx", "int32", GDB_X86_RBX),
	GPR32("esp", "data_ptr", GDB_X86_RSP), GPR32("ebp", "data_ptr", GDB_X86_RBP),
	GPR32("esi", "int32", GDB_X86_RSI), GPR32("edi", "int32", GDB_X86_RDI),
	GPR32("eip", "code_ptr", GDB_X86_RIP),
	GPR32("eflags", "i386_eflags", GDB_X86_EFLAGS),
	SEG_REGS,
	X87_REGS,
	XMM(0), XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7),
	REG("mxcsr", 32, "i386_mxcsr", "vector", F_SSE, GDB_X86_MXCSR),
	SYS32("fs_base", 32, "int", GDB_X86_FS_BASE),
	SYS32("gs_base", 32, "int", GDB_X86_GS_BASE),
	SYS32("cr0", 32, "x86_cr0", GDB_X86_CR0),
	SYS32("cr2", 32, "data_ptr", GDB_X86_CR2),
	SYS32("cr3", 32, "data_ptr", GDB_X86_CR3),
	SYS32("cr4", 32, "x86_cr4", GDB_X86_CR4),
	SYS32("efer", 64, "x86_efer", GDB_X86_EFER),
	REG("orig_eax", 32, "int", NULL, F_I386_LINUX, GDB_X86_ORIG_RAX),
};

/* gdbserver sends the frame pointer, stack pointer and pc with every stop. */
static const uint16_t x86_64_expedite[] = { 6, 7, 16 };  /* rbp rsp rip */
static const uint16_t i386_expedite[] = { 5, 4, 8 };     /* ebp esp eip */

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

const struct gdb_arch gdb_arch_x86_64 = {
	.name = "i386:x86-64",
	.osabi = "GNU/Linux",
	.triple = "x86_64-unknown-none-elf",
	.features = x86_64_features,
	.nfeatures = ARRAY_LEN(x86_64_features),
	.regs = x86_64_regs,
	.nregs = ARRAY_LEN(x86_64_regs),
	.pc_regno = 16,
	.expedite = x86_64_expedite,
	.nexpedite = ARRAY_LEN(x86_64_expedite),
};

const struct gdb_arch gdb_arch_i386 = {
	.name = "i386",
	.osabi = "GNU/Linux",
	.triple = "i386-unknown-none-elf",
	.features = i386_features,
	.nfeatures = ARRAY_LEN(i386_features),
	.regs = i386_regs,
	.nregs = ARRAY_LEN(i386_regs),
	.pc_regno = 8,
	.expedite = i386_expedite,
	.nexpedite = ARRAY_LEN(i386_expedite),
};

/* Where register id lives in the state struct: a byte array or a little integer. */
struct field {
	void *bytes;       /* byte array (st, xmm), or NULL */
	uint64_t *u64;
	uint32_t *u32;
	size_t size;
};

static struct field state_field(struct gdb_x86_state *st, unsigned id)
{
	struct field f = { 0 };

	if (id <= GDB_X86_R15) {
		f.u64 = &st->gpr[id - GDB_X86_RAX];
	} else if (id >= GDB_X86_CS && id <= GDB_X86_GS) {
		f.u32 = &st->seg[id - GDB_X86_CS];
	} else if (id >= GDB_X86_ST0 && id < GDB_X86_ST0 + 8) {
		f.bytes = st->st[id - GDB_X86_ST0];
		f.size = 10;
	} else if (id >= GDB_X86_XMM0 && id < GDB_X86_XMM0 + 16) {
		f.bytes = st->xmm[id - GDB_X86_XMM0];
		f.size = 16;
	} else {
		switch (id) {
		case GDB_X86_RIP: f.u64 = &st->rip; break;
		case GDB_X86_EFLAGS: f.u64 = &st->eflags; break;
		case GDB_X86_FCTRL: f.u32 = &st->fctrl; break;
		case GDB_X86_FSTAT: f.u32 = &st->fstat; break;
		case GDB_X86_FTAG: f.u32 = &st->ftag; break;
		case GDB_X86_FISEG: f.u32 = &st->fiseg; break;
		case GDB_X86_FIOFF: f.u32 = &st->fioff; break;
		case GDB_X86_FOSEG: f.u32 = &st->foseg; break;
		case GDB_X86_FOOFF: f.u32 = &st->fooff; break;
		case GDB_X86_FOP: f.u32 = &st->fop; break;
		case GDB_X86_MXCSR: f.u32 = &st->mxcsr; break;
		case GDB_X86_FS_BASE: f.u64 = &st->fs_base; break;
		case GDB_X86_GS_BASE: f.u64 = &st->gs_base; break;
		case GDB_X86_K_GS_BASE: f.u64 = &st->k_gs_base; break;
		case GDB_X86_CR0: f.u64 = &st->cr0; break;
		case GDB_X86_CR2: f.u64 = &st->cr2; break;
		case GDB_X86_CR3: f.u64 = &st->cr3; break;
		case GDB_X86_CR4: f.u64 = &st->cr4; break;
		case GDB_X86_CR8: f.u64 = &st->cr8; break;
		case GDB_X86_EFER: f.u64 = &st->efer; break;
		case GDB_X86_ORIG_RAX: f.u64 = &st->orig_rax; break;
		default: break;
		}
	}
	if (f.u64)
		f.size = 8;
	else if (f.u32)
		f.size = 4;
	return f;
}

static void pack_one(const struct gdb_reg *reg, const struct gdb_x86_state *st, uint8_t *out)
{
	struct field f = state_field((struct gdb_x86_state *)st, reg->id);
	size_t n = reg->bitsize / 8;

	memset(out, 0, n);
	if (f.bytes) {
		memcpy(out, f.bytes, n < f.size ? n : f.size);
		return;
	}
	uint64_t v = f.u64 ? *f.u64 : f.u32 ? *f.u32 : 0;
	for (size_t i = 0; i < n && i < 8; i++)
		out[i] = (uint8_t)(v >> (8 * i));
}

static void unpack_one(const struct gdb_reg *reg, const uint8_t *in, struct gdb_x86_state *st)
{
	struct field f = state_field(st, reg->id);
	size_t n = reg->bitsize / 8;

	if (f.bytes) {
		memcpy(f.bytes, in, n < f.size ? n : f.size);
		return;
	}
	if (!f.u64 && !f.u32)
		return;
	uint64_t v = f.u64 ? *f.u64 : *f.u32;
	for (size_t i = 0; i < n && i < f.size; i++) {
		v &= ~((uint64_t)0xff << (8 * i));
		v |= (uint64_t)in[i] << (8 * i);
	}
	if (f.u64)
		*f.u64 = v;
	else
		*f.u32 = (uint32_t)v;
}

void gdb_x86_pack(const struct gdb_arch *arch, const struct gdb_x86_state *st, uint8_t *buf)
{
	size_t off = 0;

	for (unsigned i = 0; i < arch->nregs; i++) {
		pack_one(&arch->regs[i], st, buf + off);
		off += arch->regs[i].bitsize / 8;
	}
}

void gdb_x86_pack_reg(const struct gdb_arch *arch, const struct gdb_x86_state *st, unsigned regno,
		      uint8_t *val)
{
	if (regno < arch->nregs)
		pack_one(&arch->regs[regno], st, val);
}

void gdb_x86_unpack(const struct gdb_arch *arch, const uint8_t *buf, struct gdb_x86_state *st)
{
	size_t off = 0;

	for (unsigned i = 0; i < arch->nregs; i++) {
		unpack_one(&arch->regs[i], buf + off, st);
		off += arch->regs[i].bitsize / 8;
	}
}

void gdb_x86_unpack_reg(const struct gdb_arch *arch, unsigned regno, const uint8_t *val,
			struct gdb_x86_state *st)
{
	if (regno < arch->nregs)
		unpack_one(&arch->regs[regno], val, st);
}
