// SPDX-License-Identifier: GPL-2.0
/*
 * CRC32C with the SSE4.2 instruction, three independent streams per block
 * so the 3-cycle latency of crc32q is hidden, combined with a shift table.
 * A slicing table is the fallback for CPUs (or emulators) without SSE4.2.
 */
#include "crc32c.h"

#include <pthread.h>
#include <string.h>

#define POLY CRC32C_POLY

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;
static int have_sse42 = -1;

static void build_tables(void)
{
	for (unsigned i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
		table[0][i] = c;
	}
	for (unsigned i = 0; i < 256; i++)
		for (int s = 1; s < 8; s++)
			table[s][i] = (table[s - 1][i] >> 8) ^
				      table[0][table[s - 1][i] & 0xff];
}

static uint32_t crc_table(uint32_t crc, const unsigned char *p, size_t len)
{
	while (len >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		w ^= crc;
		crc = table[7][w & 0xff] ^ table[6][(w >> 8) & 0xff] ^
		      table[5][(w >> 16) & 0xff] ^ table[4][(w >> 24) & 0xff] ^
		      table[3][(w >> 32) & 0xff] ^ table[2][(w >> 40) & 0xff] ^
		      table[1][(w >> 48) & 0xff] ^ table[0][w >> 56];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
	return crc;
}

/* Multiply a CRC state by x^(8*len) mod P: shifts it past len zero bytes. */
static uint32_t gf2_matrix_times(const uint32_t *mat, uint32_t vec)
{
	uint32_t sum = 0;

	while (vec) {
		if (vec & 1)
			sum ^= *mat;
		vec >>= 1;
		mat++;
	}
	return sum;
}

static void gf2_matrix_square(uint32_t *square, const uint32_t *mat)
{
	for (int n = 0; n < 32; n++)
		square[n] = gf2_matrix_times(mat, mat[n]);
}

/* op = mat * op: apply mat after op. */
static void gf2_matrix_apply(uint32_t *op, const uint32_t *mat)
{
	uint32_t t[32];

	for (int n = 0; n < 32; n++)
		t[n] = gf2_matrix_times(mat, op[n]);
	memcpy(op, t, sizeof(t));
}

/* The operator that appends len zero bytes to a CRC state (zlib's
 * crc32_combine, kept as a matrix). */
static void build_shift(uint32_t op[32], size_t len)
{
	uint32_t odd[32], even[32];

	odd[0] = POLY;
	for (int n = 1; n < 32; n++)
		odd[n] = 1u << (n - 1);
	gf2_matrix_square(even, odd); /* 2 zero bits */
	gf2_matrix_square(odd, even); /* 4 zero bits */
	/* op starts as identity */
	for (int n = 0; n < 32; n++)
		op[n] = 1u << n;
	do {
		gf2_matrix_square(even, odd);
		if (len & 1)
			gf2_matrix_apply(op, even);
		len >>= 1;
		if (!len)
			break;
		gf2_matrix_square(odd, even);
		if (len & 1)
			gf2_matrix_apply(op, odd);
		len >>= 1;
	} while (len);
}

#define STREAM 128 /* bytes per stream per round: 3 x 128 = 384 */
static uint32_t shift_stream[4][256]; /* table form of build_shift(STREAM) */

static void build_shift_tables(void)
{
	uint32_t op[32];

	build_shift(op, STREAM);
	for (unsigned b = 0; b < 4; b++)
		for (unsigned i = 0; i < 256; i++)
			shift_stream[b][i] =
				gf2_matrix_times(op, (uint32_t)i << (8 * b));
}

static inline uint32_t shift_by_stream(uint32_t crc)
{
	return shift_stream[0][crc & 0xff] ^
	       shift_stream[1][(crc >> 8) & 0xff] ^
	       shift_stream[2][(crc >> 16) & 0xff] ^ shift_stream[3][crc >> 24];
}

__attribute__((target("sse4.2"))) static uint32_t
crc_hw(uint32_t crc, const unsigned char *p, size_t len)
{
	uint64_t c0 = crc;

	while (len >= 3 * STREAM) {
		uint64_t c1 = 0, c2 = 0;

		for (int i = 0; i < STREAM; i += 8) {
			uint64_t a, b, d;

			memcpy(&a, p + i, 8);
			memcpy(&b, p + STREAM + i, 8);
			memcpy(&d, p + 2 * STREAM + i, 8);
			c0 = __builtin_ia32_crc32di(c0, a);
			c1 = __builtin_ia32_crc32di(c1, b);
			c2 = __builtin_ia32_crc32di(c2, d);
		}
		c0 = shift_by_stream((uint32_t)c0) ^ c1;
		c0 = shift_by_stream((uint32_t)c0) ^ c2;
		p += 3 * STREAM;
		len -= 3 * STREAM;
	}
	while (len >= 8) {
		uint64_t a;

		memcpy(&a, p, 8);
		c0 = __builtin_ia32_crc32di(c0, a);
		p += 8;
		len -= 8;
	}
	while (len--)
		c0 = __builtin_ia32_crc32qi((uint32_t)c0, *p++);
	return (uint32_t)c0;
}

static void init_once(void)
{
	build_tables();
	build_shift_tables();
	__builtin_cpu_init();
	have_sse42 = __builtin_cpu_supports("sse4.2");
}

uint32_t crc32c_update(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&table_once, init_once);
	crc = ~crc;
	if (have_sse42)
		crc = crc_hw(crc, buf, len);
	else
		crc = crc_table(crc, buf, len);
	return ~crc;
}

int crc32c_have_hw(void)
{
	pthread_once(&table_once, init_once);
	return have_sse42;
}

const char *crc32c_impl(void)
{
	pthread_once(&table_once, init_once);
	return have_sse42 ? "sse4.2" : "table";
}

uint32_t crc32c_update_sw(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&table_once, init_once);
	return ~crc_table(~crc, buf, len);
}
