// SPDX-License-Identifier: GPL-2.0
#include "record.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "crc32c.h"

/* Payload words come from the header through a cheap mixing step. */
static uint64_t payload_seed(const struct wac_record_hdr *h)
{
	uint64_t x = h->run_id ^ (h->sector * 0x9e3779b97f4a7c15ull) ^
		     ((uint64_t)h->gen << 32) ^ h->writer ^
		     ((uint64_t)h->variant << 48);

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	return x;
}

#define PAYLOAD_STEP 0xd6e8feb86659fd93ull

typedef uint64_t u64x4 __attribute__((vector_size(32), aligned(8)));

/*
 * Word i of the payload is seed ^ (i * STEP): every word changes with
 * every generation.  XOR rather than addition because the CRC is linear
 * over XOR: the payload's share of a sector's CRC is then a function of
 * the seed alone, computed in O(1) (struct payload_crc), and stamping a
 * sector costs its stores and a CRC of the 60-byte header, not a CRC pass
 * over the whole sector.  The payload (sector size - 64, the sector size
 * a power of two from 512) is a multiple of 32 bytes: four words at a
 * time with AVX2, which it has where it runs (x86-64 since 2013, TCG's
 * -cpu max), one at a time without.
 */
__attribute__((target("avx2"))) static void
fill_payload_avx2(void *payload, unsigned len, uint64_t seed)
{
	const u64x4 s = {seed, seed, seed, seed};
	const u64x4 step = {4 * PAYLOAD_STEP, 4 * PAYLOAD_STEP,
			    4 * PAYLOAD_STEP, 4 * PAYLOAD_STEP};
	u64x4 k = {0, PAYLOAD_STEP, 2 * PAYLOAD_STEP, 3 * PAYLOAD_STEP};
	u64x4 *w = payload;

	for (unsigned i = 0; i < len / 32; i++, k += step)
		w[i] = k ^ s;
}

static void fill_payload(void *payload, unsigned len, uint64_t seed)
{
	uint64_t *w = payload;

	if (__builtin_cpu_supports("avx2"))
		fill_payload_avx2(payload, len, seed);
	else
		for (unsigned i = 0; i < len / 8; i++)
			w[i] = seed ^ (i * PAYLOAD_STEP);
}

/* The len bytes at payload are the ones fill_payload writes for seed. */
__attribute__((target("avx2"))) static bool
payload_matches_avx2(const void *payload, unsigned len, uint64_t seed)
{
	const u64x4 s = {seed, seed, seed, seed};
	const u64x4 step = {4 * PAYLOAD_STEP, 4 * PAYLOAD_STEP,
			    4 * PAYLOAD_STEP, 4 * PAYLOAD_STEP};
	u64x4 k = {0, PAYLOAD_STEP, 2 * PAYLOAD_STEP, 3 * PAYLOAD_STEP};
	u64x4 diff = {0, 0, 0, 0};
	const u64x4 *w = payload;

	for (unsigned i = 0; i < len / 32; i++, k += step)
		diff |= w[i] ^ k ^ s;
	return !(diff[0] | diff[1] | diff[2] | diff[3]);
}

static bool payload_matches(const void *payload, unsigned len, uint64_t seed)
{
	const uint64_t *w = payload;
	uint64_t diff = 0;

	if (__builtin_cpu_supports("avx2"))
		return payload_matches_avx2(payload, len, seed);
	for (unsigned i = 0; i < len / 8; i++)
		diff |= w[i] ^ seed ^ (i * PAYLOAD_STEP);
	return !diff;
}

uint32_t record_crc(const void *buf, uint32_t sector_size)
{
	uint32_t crc = crc32c_update(0, buf, WAC_RECORD_CRC_OFFSET);

	return crc32c_update(crc, (const char *)buf + WAC_RECORD_HDR_SIZE,
			     sector_size - WAC_RECORD_HDR_SIZE);
}

/*
 * What record_crc computes, in O(1) for a sector whose payload is
 * fill_payload's.  In the CRC's register arithmetic (no inversions),
 * feeding L payload bytes to register r gives shift_L(r) ^ lin(payload),
 * both linear; lin(seed ^ K) = lin(seed repeated) ^ lin(K), and with
 * PCLMULQDQ and the crc32 instruction both are products mod P (see
 * payload_crc_clmul).  CPUs without the two (none since 2010; TCG's
 * -cpu max has them) compute record_crc.
 */
struct payload_crc {
	uint32_t k; /* lin(K), the payload of seed 0 */
	uint32_t mul_shift, mul_seed; /* see payload_crc_clmul */
	bool usable; /* the CPU has the crc32 instruction and PCLMULQDQ */
	atomic_bool ready;
};

/* One per power-of-two sector size, 512 (slot 0) to 65536 (slot 7). */
#define PAYLOAD_CRC_SLOTS 8
static struct payload_crc payload_crcs[PAYLOAD_CRC_SLOTS];
static pthread_mutex_t payload_crc_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t payload_scratch[(65536 - WAC_RECORD_HDR_SIZE) / 8];

/* The CRC register after len bytes from register reg. */
static uint32_t crc_reg(uint32_t reg, const void *buf, size_t len)
{
	return ~crc32c_update(~reg, buf, len);
}

/* v * x^n mod P, v in the register's reflected form (bit 31 is x^0); n
 * may be negative (P has a constant term, so x has an inverse). */
static uint32_t mul_xn(uint32_t v, long n)
{
	for (; n > 0; n--)
		v = v & 1 ? (v >> 1) ^ CRC32C_POLY : v >> 1;
	for (; n < 0; n++)
		v = v & 0x80000000u ? (v ^ CRC32C_POLY) << 1 | 1 : v << 1;
	return v;
}

static void payload_crc_build(struct payload_crc *t, uint32_t sector_size)
{
	unsigned words = (sector_size - WAC_RECORD_HDR_SIZE) / 8;
	size_t len = (size_t)words * 8;
	uint32_t sum = 0, xn = mul_xn(0x80000000u, -33);

	__builtin_cpu_init();
	fill_payload(payload_scratch, len, 0);
	t->k = crc_reg(0, payload_scratch, len);
	/* x^(8 len - 33), and the sum of x^(64 i - 33) over the words */
	t->mul_shift = mul_xn(xn, 8 * len);
	for (unsigned i = 0; i < words; i++, xn = mul_xn(xn, 64))
		sum ^= xn;
	t->mul_seed = sum;
	t->usable = crc32c_have_hw() && __builtin_cpu_supports("pclmul");
}

/* The constants for sector_size, computed on first use; NULL for a size
 * that is not a power of two from 512 to 65536, or on a CPU without the
 * crc32 instruction and PCLMULQDQ. */
static const struct payload_crc *payload_crc_for(uint32_t sector_size)
{
	unsigned slot = __builtin_ctz(sector_size | 1u << 31) - 9;
	struct payload_crc *t;

	if (sector_size & (sector_size - 1) || slot >= PAYLOAD_CRC_SLOTS)
		return NULL;
	t = &payload_crcs[slot];
	if (!atomic_load_explicit(&t->ready, memory_order_acquire)) {
		pthread_mutex_lock(&payload_crc_lock);
		if (!atomic_load_explicit(&t->ready, memory_order_relaxed)) {
			payload_crc_build(t, sector_size);
			atomic_store_explicit(&t->ready, true,
					      memory_order_release);
		}
		pthread_mutex_unlock(&payload_crc_lock);
	}
	return t->usable ? t : NULL;
}

/* crc_reg(~0u, hdr, WAC_RECORD_CRC_OFFSET), inline: with the call,
 * decoding 512-byte sectors takes 158 ns per 4 KiB instead of 120. */
__attribute__((target("sse4.2"))) static uint32_t header_reg_hw(const void *hdr)
{
	uint64_t r = ~0u, w;
	uint32_t last;

	for (unsigned i = 0; i < WAC_RECORD_CRC_OFFSET / 8; i++) {
		memcpy(&w, (const char *)hdr + 8 * i, 8);
		r = __builtin_ia32_crc32di(r, w);
	}
	memcpy(&last, (const char *)hdr + WAC_RECORD_CRC_OFFSET - 4, 4);
	return __builtin_ia32_crc32si((uint32_t)r, last);
}

/* Four sectors' header_reg_hw side by side, p the first: the crc32
 * instruction takes 3 cycles but can start every cycle. */
__attribute__((target("sse4.2"))) static void
header_regs_hw4(const unsigned char *p, uint32_t sector_size, uint32_t *r)
{
	uint64_t c[4] = {~0u, ~0u, ~0u, ~0u}, w;
	uint32_t last;

	for (unsigned i = 0; i < WAC_RECORD_CRC_OFFSET / 8; i++)
#pragma GCC unroll 4
		for (unsigned k = 0; k < 4; k++) {
			memcpy(&w, p + (size_t)k * sector_size + 8 * i, 8);
			c[k] = __builtin_ia32_crc32di(c[k], w);
		}
	for (unsigned k = 0; k < 4; k++) {
		memcpy(&last,
		       p + (size_t)k * sector_size + WAC_RECORD_CRC_OFFSET - 4,
		       4);
		r[k] = __builtin_ia32_crc32si((uint32_t)c[k], last);
	}
}

/*
 * A product of two register values a, b by PCLMULQDQ, read as a 64-bit
 * reflected word, is x * a * b; the crc32 instruction from register 0
 * multiplies a word by x^32 mod P.  So with mul_shift = x^(8L - 33):
 * crc32(0, clmul(r, mul_shift)) = r * x^(8L) = shift_L(r); and with
 * mul_seed = the sum of x^(64 i - 33): crc32(0, clmul(crc32(0, seed),
 * mul_seed)) = lin(seed repeated).  One reduction serves both; with
 * lin(K) and CRC32C's final inversion, the result is the sector's CRC
 * from its header's register r and its payload's seed.
 */
__attribute__((target("pclmul,sse4.2"))) static uint32_t
payload_crc_clmul(const struct payload_crc *t, uint32_t r, uint64_t seed)
{
	typedef long long v2di __attribute__((vector_size(16)));
	uint32_t s = __builtin_ia32_crc32di(0, seed);
	v2di a = {r, s}, b = {t->mul_shift, t->mul_seed};
	v2di p = __builtin_ia32_pclmulqdq128(a, b, 0x00) ^
		 __builtin_ia32_pclmulqdq128(a, b, 0x11);

	return ~(t->k ^ (uint32_t)__builtin_ia32_crc32di(0, p[0]));
}

/* record_crc of a sector whose payload is fill_payload(seed)'s. */
static uint32_t sector_crc(const void *buf, const struct payload_crc *t,
			   uint64_t seed)
{
	return payload_crc_clmul(t, header_reg_hw(buf), seed);
}

/* Everything of the record for hdr at sector but its crc; its seed. */
static uint64_t stamp_body(void *buf, const struct wac_record_hdr *hdr,
			   uint64_t sector)
{
	struct wac_record_hdr *out = buf;
	uint64_t seed;

	memcpy(out, hdr, sizeof(*out));
	out->magic = WAC_RECORD_MAGIC;
	out->sector = sector;
	out->reserved = 0;
	out->reserved2 = 0;
	seed = payload_seed(out);
	fill_payload(out + 1, hdr->sector_size - WAC_RECORD_HDR_SIZE, seed);
	return seed;
}

void record_stamp(void *buf, const struct wac_record_hdr *hdr)
{
	const struct payload_crc *t = payload_crc_for(hdr->sector_size);
	uint64_t seed = stamp_body(buf, hdr, hdr->sector);
	struct wac_record_hdr *out = buf;

	out->crc = t ? sector_crc(buf, t, seed)
		     : record_crc(buf, hdr->sector_size);
}

void record_stamp_run(void *buf, const struct wac_record_hdr *hdr, unsigned n)
{
	const struct payload_crc *t = payload_crc_for(hdr->sector_size);
	size_t ss = hdr->sector_size;
	unsigned char *p = buf;
	struct wac_record_hdr h = *hdr;
	uint64_t seed[4];
	uint32_t r[4];
	unsigned i = 0;

	if (t)
		for (; i + 4 <= n; i += 4) {
			for (unsigned k = 0; k < 4; k++)
				seed[k] = stamp_body(p + (i + k) * ss, hdr,
						     hdr->sector + i + k);
			header_regs_hw4(p + i * ss, ss, r);
			for (unsigned k = 0; k < 4; k++)
				((struct wac_record_hdr *)(p + (i + k) * ss))
					->crc =
					payload_crc_clmul(t, r[k], seed[k]);
		}
	for (; i < n; i++) {
		h.sector = hdr->sector + i;
		record_stamp(p + i * ss, &h);
	}
}

static bool all_zero(const unsigned char *p, uint32_t len)
{
	const uint64_t *w = (const uint64_t *)p;

	for (uint32_t i = 0; i < len / 8; i++)
		if (w[i])
			return false;
	return true;
}

enum record_state record_decode(const void *buf, uint32_t sector_size,
				struct wac_record_hdr *hdr)
{
	const struct payload_crc *t;
	uint64_t seed;
	uint32_t crc;

	memcpy(hdr, buf, sizeof(*hdr));
	if (hdr->magic != WAC_RECORD_MAGIC)
		return all_zero(buf, sector_size) ? RECORD_ZERO
						  : RECORD_GARBAGE;
	if (hdr->sector_size != sector_size)
		return RECORD_BAD_CRC;
	seed = payload_seed(hdr);
	if (!payload_matches((const char *)buf + WAC_RECORD_HDR_SIZE,
			     sector_size - WAC_RECORD_HDR_SIZE, seed))
		return RECORD_BAD_CRC;
	t = payload_crc_for(sector_size);
	crc = t ? sector_crc(buf, t, seed) : record_crc(buf, sector_size);
	return crc == hdr->crc ? RECORD_VALID : RECORD_BAD_CRC;
}
