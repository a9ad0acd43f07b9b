/* Host unit tests for vmm/insn_decode.c against encodings produced by GNU as (checked with objdump). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/string.c"
#include "../../vmm/insn_decode.c"

#define BYTES(...) { __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

struct good_case {
	const char *what;
	enum cpu_mode mode;
	uint8_t bytes[16];
	size_t n;
	struct mmio_insn want;
};

/* Shorthands for the expected result: store of a register, load, store of an immediate. */
#define STORE(sz, r) { .size = (sz), .write = true, .reg = (r), .reg_size = (sz) }
#define STORE_HI(r) { .size = 1, .write = true, .reg = (r), .high_byte = true, .reg_size = 1 }
#define LOAD(sz, r) { .size = (sz), .write = false, .reg = (r), .reg_size = (sz) }
#define LOAD_HI(r) { .size = 1, .reg = (r), .high_byte = true, .reg_size = 1 }
#define STORE_IMM(sz, v) { .size = (sz), .write = true, .has_imm = true, .imm = (v) }
#define MOVZX(sz, r, rsz) { .size = (sz), .reg = (r), .reg_size = (rsz), .zero_extend = true }

static const struct good_case good[] = {
	/* 64-bit mode */
	{ "mov %eax,(%rdx)", CPU_MODE_LONG64, BYTES(0x89, 0x02), STORE(4, GPR_RAX) },
	{ "mov %eax,0xfffffffffee00300 (SIB, no base, no index)", CPU_MODE_LONG64,
	  BYTES(0x89, 0x04, 0x25, 0x00, 0x03, 0xe0, 0xfe), STORE(4, GPR_RAX) },
	{ "movl $0x12345678,0x100(%rip)", CPU_MODE_LONG64,
	  BYTES(0xc7, 0x05, 0x00, 0x01, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12), STORE_IMM(4, 0x12345678) },
	{ "mov %rax,0x300(%rdi)", CPU_MODE_LONG64, BYTES(0x48, 0x89, 0x87, 0x00, 0x03, 0x00, 0x00),
	  STORE(8, GPR_RAX) },
	{ "mov %r8d,0x10(%rax)", CPU_MODE_LONG64, BYTES(0x44, 0x89, 0x40, 0x10), STORE(4, GPR_R8) },
	{ "mov %ax,(%rbx)", CPU_MODE_LONG64, BYTES(0x66, 0x89, 0x03), STORE(2, GPR_RAX) },
	{ "mov %al,(%rbx)", CPU_MODE_LONG64, BYTES(0x88, 0x03), STORE(1, GPR_RAX) },
	{ "movb $5,(%rax)", CPU_MODE_LONG64, BYTES(0xc6, 0x00, 0x05), STORE_IMM(1, 5) },
	{ "mov -0x11ffe0(%rax),%eax", CPU_MODE_LONG64, BYTES(0x8b, 0x80, 0x20, 0x00, 0xee, 0xff),
	  LOAD(4, GPR_RAX) },
	{ "movzbl 0x4(%rbx),%eax", CPU_MODE_LONG64, BYTES(0x0f, 0xb6, 0x43, 0x04), MOVZX(1, GPR_RAX, 4) },
	{ "movzwl 0x4(%rbx),%r9d", CPU_MODE_LONG64, BYTES(0x44, 0x0f, 0xb7, 0x4b, 0x04), MOVZX(2, GPR_R9, 4) },
	{ "movzbq 0x4(%rbx),%rax", CPU_MODE_LONG64, BYTES(0x48, 0x0f, 0xb6, 0x43, 0x04), MOVZX(1, GPR_RAX, 8) },
	{ "ds mov %eax,(%rdx)", CPU_MODE_LONG64, BYTES(0x3e, 0x89, 0x02), STORE(4, GPR_RAX) },
	{ "mov %eax,%fs:(%rdx)", CPU_MODE_LONG64, BYTES(0x64, 0x89, 0x02), STORE(4, GPR_RAX) },
	{ "mov %fs:0x10,%rax", CPU_MODE_LONG64, BYTES(0x64, 0x48, 0x8b, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00),
	  LOAD(8, GPR_RAX) },
	{ "movq $-2,0x300(%rdi)", CPU_MODE_LONG64,
	  BYTES(0x48, 0xc7, 0x87, 0x00, 0x03, 0x00, 0x00, 0xfe, 0xff, 0xff, 0xff),
	  STORE_IMM(8, 0xfffffffffffffffeULL) },
	{ "movq $0x7fffffff,(%rax)", CPU_MODE_LONG64, BYTES(0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0x7f),
	  STORE_IMM(8, 0x7fffffff) },
	{ "movl $0xfffffffe,(%rax): no sign extension without REX.W", CPU_MODE_LONG64,
	  BYTES(0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff), STORE_IMM(4, 0xfffffffe) },
	{ "movw $0x1234,(%rax)", CPU_MODE_LONG64, BYTES(0x66, 0xc7, 0x00, 0x34, 0x12), STORE_IMM(2, 0x1234) },
	{ "mov %ah,(%rbx)", CPU_MODE_LONG64, BYTES(0x88, 0x23), STORE_HI(GPR_RAX) },
	{ "mov %bh,(%rbx)", CPU_MODE_LONG64, BYTES(0x88, 0x3b), STORE_HI(GPR_RBX) },
	{ "mov %sil,(%rbx)", CPU_MODE_LONG64, BYTES(0x40, 0x88, 0x33), STORE(1, GPR_RSI) },
	{ "mov (%rbx),%dil", CPU_MODE_LONG64, BYTES(0x40, 0x8a, 0x3b), LOAD(1, GPR_RDI) },
	{ "mov (%rbx),%ch", CPU_MODE_LONG64, BYTES(0x8a, 0x2b), LOAD_HI(GPR_RCX) },
	{ "mov %r15,0x0(%r13)", CPU_MODE_LONG64, BYTES(0x4d, 0x89, 0x7d, 0x00), STORE(8, GPR_R15) },
	{ "mov %eax,(%r12)", CPU_MODE_LONG64, BYTES(0x41, 0x89, 0x04, 0x24), STORE(4, GPR_RAX) },
	{ "mov %ecx,0x10(%rsp,%rsi,4)", CPU_MODE_LONG64, BYTES(0x89, 0x4c, 0xb4, 0x10), STORE(4, GPR_RCX) },
	{ "mov %edx,0x300(,%rbx,8)", CPU_MODE_LONG64, BYTES(0x89, 0x14, 0xdd, 0x00, 0x03, 0x00, 0x00),
	  STORE(4, GPR_RDX) },
	{ "mov %edx,0x0(%rbp,%rbx,1)", CPU_MODE_LONG64, BYTES(0x89, 0x54, 0x1d, 0x00), STORE(4, GPR_RDX) },
	{ "mov %edx,0x0(%r13,%rbx,1)", CPU_MODE_LONG64, BYTES(0x41, 0x89, 0x54, 0x1d, 0x00), STORE(4, GPR_RDX) },
	{ "mov %ecx,0x80(%rsp)", CPU_MODE_LONG64, BYTES(0x89, 0x8c, 0x24, 0x80, 0x00, 0x00, 0x00),
	  STORE(4, GPR_RCX) },
	{ "movl $0x1,0x12345678(%rcx,%rdx,2)", CPU_MODE_LONG64,
	  BYTES(0xc7, 0x84, 0x51, 0x78, 0x56, 0x34, 0x12, 0x01, 0x00, 0x00, 0x00), STORE_IMM(4, 1) },
	{ "mov %eax,0x12345678(%rbp)", CPU_MODE_LONG64, BYTES(0x89, 0x85, 0x78, 0x56, 0x34, 0x12),
	  STORE(4, GPR_RAX) },
	{ "mov %r11w,0x2(%r14)", CPU_MODE_LONG64, BYTES(0x66, 0x45, 0x89, 0x5e, 0x02), STORE(2, GPR_R11) },
	{ "mov 0x1000(%eax),%ecx (addr32)", CPU_MODE_LONG64, BYTES(0x67, 0x8b, 0x88, 0x00, 0x10, 0x00, 0x00),
	  LOAD(4, GPR_RCX) },
	{ "movabs %eax,0xfee00300", CPU_MODE_LONG64,
	  BYTES(0xa3, 0x00, 0x03, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00), STORE(4, GPR_RAX) },
	{ "movabs 0xfee00300,%eax", CPU_MODE_LONG64,
	  BYTES(0xa1, 0x00, 0x03, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00), LOAD(4, GPR_RAX) },
	{ "movabs %rax,0xfee00300", CPU_MODE_LONG64,
	  BYTES(0x48, 0xa3, 0x00, 0x03, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00), STORE(8, GPR_RAX) },
	{ "movabs %al,0xfee00300", CPU_MODE_LONG64,
	  BYTES(0xa2, 0x00, 0x03, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00), STORE(1, GPR_RAX) },
	{ "addr32 mov 0xfee00300,%eax", CPU_MODE_LONG64, BYTES(0x67, 0xa1, 0x00, 0x03, 0xe0, 0xfe),
	  LOAD(4, GPR_RAX) },
	{ "rex.W then 66: REX ignored, mov %ax,(%rdx)", CPU_MODE_LONG64, BYTES(0x48, 0x66, 0x89, 0x02),
	  STORE(2, GPR_RAX) },
	{ "66 then rex.W: mov %rax,(%rdx)", CPU_MODE_LONG64, BYTES(0x66, 0x48, 0x89, 0x02), STORE(8, GPR_RAX) },
	{ "rex.R then ds: REX ignored", CPU_MODE_LONG64, BYTES(0x44, 0x3e, 0x89, 0x02), STORE(4, GPR_RAX) },
	{ "rex then ds: mov %ah,(%rbx) keeps the high byte", CPU_MODE_LONG64, BYTES(0x40, 0x3e, 0x88, 0x23),
	  STORE_HI(GPR_RAX) },

	/* 32-bit protected mode */
	{ "mov %eax,0xfee00300", CPU_MODE_PROT32, BYTES(0xa3, 0x00, 0x03, 0xe0, 0xfe), STORE(4, GPR_RAX) },
	{ "mov 0xfee00300,%eax", CPU_MODE_PROT32, BYTES(0xa1, 0x00, 0x03, 0xe0, 0xfe), LOAD(4, GPR_RAX) },
	{ "mov %ax,0xfee00300", CPU_MODE_PROT32, BYTES(0x66, 0xa3, 0x00, 0x03, 0xe0, 0xfe), STORE(2, GPR_RAX) },
	{ "mov %eax,(%edx)", CPU_MODE_PROT32, BYTES(0x89, 0x02), STORE(4, GPR_RAX) },
	{ "mov %eax,0xfee00300 (SIB, 32-bit)", CPU_MODE_PROT32, BYTES(0x89, 0x04, 0x25, 0x00, 0x03, 0xe0, 0xfe),
	  STORE(4, GPR_RAX) },
	{ "movl $0x12345678,0xfee00300", CPU_MODE_PROT32,
	  BYTES(0xc7, 0x05, 0x00, 0x03, 0xe0, 0xfe, 0x78, 0x56, 0x34, 0x12), STORE_IMM(4, 0x12345678) },
	{ "mov %eax,(%bx,%si) (addr16)", CPU_MODE_PROT32, BYTES(0x67, 0x89, 0x00), STORE(4, GPR_RAX) },
	{ "movw $0x1,(%di) (addr16, data16)", CPU_MODE_PROT32, BYTES(0x67, 0x66, 0xc7, 0x05, 0x01, 0x00),
	  STORE_IMM(2, 1) },
	{ "mov %bl,0xb0(%ecx)", CPU_MODE_PROT32, BYTES(0x88, 0x99, 0xb0, 0x00, 0x00, 0x00), STORE(1, GPR_RBX) },
	{ "movzbl 0x10(%esi),%edx", CPU_MODE_PROT32, BYTES(0x0f, 0xb6, 0x56, 0x10), MOVZX(1, GPR_RDX, 4) },
	{ "gs mov (%edx),%ecx", CPU_MODE_PROT32, BYTES(0x65, 0x8b, 0x0a), LOAD(4, GPR_RCX) },

	/* 16-bit modes */
	{ "mov %ax,(%bx,%si)", CPU_MODE_REAL16, BYTES(0x89, 0x00), STORE(2, GPR_RAX) },
	{ "mov %ax,0x300", CPU_MODE_REAL16, BYTES(0xa3, 0x00, 0x03), STORE(2, GPR_RAX) },
	{ "mov 0x300,%ax", CPU_MODE_REAL16, BYTES(0xa1, 0x00, 0x03), LOAD(2, GPR_RAX) },
	{ "mov %eax,0x300", CPU_MODE_REAL16, BYTES(0x66, 0xa3, 0x00, 0x03), STORE(4, GPR_RAX) },
	{ "mov 0x300,%eax", CPU_MODE_PROT16, BYTES(0x66, 0xa1, 0x00, 0x03), LOAD(4, GPR_RAX) },
	{ "mov %ax,0x10(%bp)", CPU_MODE_REAL16, BYTES(0x89, 0x46, 0x10), STORE(2, GPR_RAX) },
	{ "mov %ax,0x1234(%bp,%di)", CPU_MODE_REAL16, BYTES(0x89, 0x83, 0x34, 0x12), STORE(2, GPR_RAX) },
	{ "mov 0x0(%bp),%ax", CPU_MODE_PROT16, BYTES(0x8b, 0x46, 0x00), LOAD(2, GPR_RAX) },
	{ "movw $0x1234,0x300", CPU_MODE_REAL16, BYTES(0xc7, 0x06, 0x00, 0x03, 0x34, 0x12),
	  STORE_IMM(2, 0x1234) },
	{ "movb $7,(%si)", CPU_MODE_REAL16, BYTES(0xc6, 0x04, 0x07), STORE_IMM(1, 7) },
	{ "mov %eax,(%edx) (addr32, data32)", CPU_MODE_REAL16, BYTES(0x67, 0x66, 0x89, 0x02), STORE(4, GPR_RAX) },
	{ "mov %eax,0xfee00300(%ecx,%eax,4)", CPU_MODE_REAL16,
	  BYTES(0x67, 0x66, 0x89, 0x84, 0x81, 0x00, 0x03, 0xe0, 0xfe), STORE(4, GPR_RAX) },
	{ "movl $0x11223344,%fs:(%di)", CPU_MODE_REAL16,
	  BYTES(0x64, 0x66, 0xc7, 0x05, 0x44, 0x33, 0x22, 0x11), STORE_IMM(4, 0x11223344) },
	{ "movzbw 0x5(%bx),%cx", CPU_MODE_REAL16, BYTES(0x0f, 0xb6, 0x4f, 0x05), MOVZX(1, GPR_RCX, 2) },
	{ "movzbl 0x5(%bx),%ecx", CPU_MODE_REAL16, BYTES(0x66, 0x0f, 0xb6, 0x4f, 0x05), MOVZX(1, GPR_RCX, 4) },
	{ "mov %dh,(%bx)", CPU_MODE_REAL16, BYTES(0x88, 0x37), STORE_HI(GPR_RDX) },
};

static void test_good(void **state __unused)
{
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		const struct good_case *t = &good[i];
		struct mmio_insn got;
		int rc;

		memset(&got, 0xa5, sizeof(got));
		rc = insn_decode_mmio(t->bytes, t->n, t->mode, &got);
		if (rc != 0 || got.len != t->n || got.size != t->want.size || got.write != t->want.write ||
		    got.imm != t->want.imm || got.reg != t->want.reg)
			print_message("failing case: %s\n", t->what);
		assert_int_equal(rc, 0);
		assert_int_equal(got.len, t->n);
		assert_int_equal(got.size, t->want.size);
		assert_int_equal(got.write, t->want.write);
		assert_int_equal(got.has_imm, t->want.has_imm);
		assert_int_equal(got.imm, t->want.imm);
		assert_int_equal(got.zero_extend, t->want.zero_extend);
		if (!t->want.has_imm) {
			assert_int_equal(got.reg, t->want.reg);
			assert_int_equal(got.high_byte, t->want.high_byte);
			assert_int_equal(got.reg_size, t->want.reg_size);
		}
	}
}

/* Trailing bytes (the next instructions) are not part of the length. */
static void test_trailing_bytes(void **state __unused)
{
	const uint8_t bytes[] = { 0x89, 0x02, 0xc3, 0x90, 0x90, 0x90, 0x90, 0x90,
				  0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90 };
	struct mmio_insn got;

	assert_int_equal(insn_decode_mmio(bytes, sizeof(bytes), CPU_MODE_LONG64, &got), 0);
	assert_int_equal(got.len, 2);
	assert_int_equal(insn_decode_mmio(bytes, 2, CPU_MODE_LONG64, &got), 0);
	assert_int_equal(got.len, 2);
}

struct bad_case {
	const char *what;
	enum cpu_mode mode;
	uint8_t bytes[20];
	size_t n;
	int rc;
};

static const struct bad_case bad[] = {
	{ "mov %eax,%ebx (mod 3)", CPU_MODE_LONG64, BYTES(0x89, 0xc3), -E_INVAL },
	{ "mov (mod 3) load", CPU_MODE_PROT32, BYTES(0x8b, 0xc3), -E_INVAL },
	{ "movzbl %al,%eax (mod 3)", CPU_MODE_LONG64, BYTES(0x0f, 0xb6, 0xc0), -E_INVAL },
	{ "movl $1,%eax via C7 (mod 3)", CPU_MODE_LONG64, BYTES(0xc7, 0xc0, 0x01, 0x00, 0x00, 0x00), -E_INVAL },
	{ "lock addl $1,(%rax)", CPU_MODE_LONG64, BYTES(0xf0, 0x83, 0x00, 0x01), -E_NOSUPP },
	{ "lock mov (invalid anyway)", CPU_MODE_LONG64, BYTES(0xf0, 0x89, 0x02), -E_NOSUPP },
	{ "rep movsb", CPU_MODE_LONG64, BYTES(0xf3, 0xa4), -E_NOSUPP },
	{ "repne prefix", CPU_MODE_PROT32, BYTES(0xf2, 0x89, 0x02), -E_NOSUPP },
	{ "movsl", CPU_MODE_PROT32, BYTES(0xa5), -E_NOSUPP },
	{ "addl %eax,(%rdx)", CPU_MODE_LONG64, BYTES(0x01, 0x02), -E_NOSUPP },
	{ "orl $1,(%rax)", CPU_MODE_LONG64, BYTES(0x83, 0x08, 0x01), -E_NOSUPP },
	{ "movsbl (%rax),%eax (MOVSX)", CPU_MODE_LONG64, BYTES(0x0f, 0xbe, 0x00), -E_NOSUPP },
	{ "C7 /1 with memory operand", CPU_MODE_LONG64, BYTES(0xc7, 0x08, 0x01, 0x00, 0x00, 0x00), -E_NOSUPP },
	{ "C6 /2 with memory operand", CPU_MODE_LONG64, BYTES(0xc6, 0x10, 0x01), -E_NOSUPP },
	{ "inc %eax then mov outside 64-bit mode", CPU_MODE_PROT32, BYTES(0x40, 0x89, 0x02), -E_NOSUPP },
	{ "rex.W alone", CPU_MODE_LONG64, BYTES(0x48), -E_RANGE },
	{ "truncated ModRM", CPU_MODE_LONG64, BYTES(0x89), -E_RANGE },
	{ "truncated SIB", CPU_MODE_LONG64, BYTES(0x89, 0x04), -E_RANGE },
	{ "truncated disp32", CPU_MODE_LONG64, BYTES(0x89, 0x04, 0x25, 0x00, 0x03, 0xe0), -E_RANGE },
	{ "truncated imm32", CPU_MODE_LONG64, BYTES(0xc7, 0x00, 0xfe, 0xff, 0xff), -E_RANGE },
	{ "truncated moffs64", CPU_MODE_LONG64, BYTES(0xa3, 0x00, 0x03, 0xe0, 0xfe), -E_RANGE },
	{ "truncated 0F escape", CPU_MODE_LONG64, BYTES(0x0f), -E_RANGE },
	{ "truncated disp16", CPU_MODE_REAL16, BYTES(0x89, 0x06, 0x00), -E_RANGE },
	{ "16 bytes: 4 prefixes + movq $imm32,disp32(%rcx,%rdx,2)", CPU_MODE_LONG64,
	  BYTES(0x3e, 0x3e, 0x3e, 0x3e, 0x48, 0xc7, 0x84, 0x51, 0x78, 0x56, 0x34, 0x12, 0x01, 0x00, 0x00, 0x00),
	  -E_INVAL },
	{ "15 prefixes", CPU_MODE_PROT32,
	  BYTES(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x89,
		0x02),
	  -E_INVAL },
};

static void test_bad(void **state __unused)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const struct bad_case *t = &bad[i];
		struct mmio_insn got;
		int rc = insn_decode_mmio(t->bytes, t->n, t->mode, &got);

		if (rc != t->rc)
			print_message("failing case: %s\n", t->what);
		assert_int_equal(rc, t->rc);
	}
}

/* Exactly 15 bytes is the longest accepted; with one byte fewer available it is cut short. */
static void test_length_limit(void **state __unused)
{
	const uint8_t insn15[] = { 0x3e, 0x3e, 0x3e, 0x48, 0xc7, 0x84, 0x51, 0x78,
				   0x56, 0x34, 0x12, 0x01, 0x00, 0x00, 0x00 };
	struct mmio_insn got;

	assert_int_equal(insn_decode_mmio(insn15, sizeof(insn15), CPU_MODE_LONG64, &got), 0);
	assert_int_equal(got.len, 15);
	assert_int_equal(got.size, 8);
	assert_int_equal(got.imm, 1);
	assert_int_equal(insn_decode_mmio(insn15, sizeof(insn15) - 1, CPU_MODE_LONG64, &got), -E_RANGE);
}

/* Every prefix of a valid instruction is reported as cut short, never decoded or overrun. */
static void test_every_truncation(void **state __unused)
{
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		const struct good_case *t = &good[i];

		for (size_t n = 0; n < t->n; n++) {
			uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan catches any over-read */
			struct mmio_insn got;

			memcpy(copy, t->bytes, n);
			assert_int_equal(insn_decode_mmio(copy, n, t->mode, &got), -E_RANGE);
			free(copy);
		}
	}
}

static void test_bad_mode(void **state __unused)
{
	const uint8_t bytes[] = { 0x89, 0x02 };
	struct mmio_insn got;

	assert_int_equal(insn_decode_mmio(bytes, sizeof(bytes), (enum cpu_mode)7, &got), -E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_bad_mode),
	};

	return cmocka_run_group_tests_name("insn_decode", tests, NULL, NULL);
}
