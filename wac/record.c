// SPDX-License-Identifier: GPL-2.0
#include "record.h"

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

typedef uint64_t u64x2 __attribute__((vector_size(16), aligned(8)));

/*
 * Word i of the payload is seed + i * STEP.  Two words per 16-byte vector
 * add (SSE2 paddq): this runs for every sector written.  The payload is
 * 448 or 4032 bytes, a multiple of 16.
 */
static void fill_payload(unsigned char *buf, uint32_t sector_size,
			 const struct wac_record_hdr *hdr)
{
	uint64_t seed = payload_seed(hdr);
	u64x2 v = {seed, seed + PAYLOAD_STEP};
	const u64x2 step = {2 * PAYLOAD_STEP, 2 * PAYLOAD_STEP};
	u64x2 *w = (u64x2 *)(buf + WAC_RECORD_HDR_SIZE);
	unsigned n = (sector_size - WAC_RECORD_HDR_SIZE) / 16;

	for (unsigned i = 0; i < n; i++, v += step)
		w[i] = v;
}

uint32_t record_crc(const void *buf, uint32_t sector_size)
{
	uint32_t crc = crc32c_update(0, buf, WAC_RECORD_CRC_OFFSET);

	return crc32c_update(crc, (const char *)buf + WAC_RECORD_HDR_SIZE,
			     sector_size - WAC_RECORD_HDR_SIZE);
}

void record_stamp(void *buf, const struct wac_record_hdr *hdr)
{
	struct wac_record_hdr *out = buf;
	uint32_t ss = hdr->sector_size;

	memcpy(out, hdr, sizeof(*out));
	out->magic = WAC_RECORD_MAGIC;
	out->reserved = 0;
	out->reserved2 = 0;
	fill_payload(buf, ss, out);
	out->crc = record_crc(buf, ss);
}

#define STAMP_WAYS 4

/*
 * STAMP_WAYS consecutive sectors at once, the same bytes as record_stamp
 * on each: one CRC chain per sector, interleaved so the 3-cycle latency
 * of crc32q is hidden without combining partial CRCs, and the payload
 * words CRC'd from the register they are stored from (no reload).
 */
__attribute__((target("sse4.2"))) static void
stamp_ways(unsigned char *buf, const struct wac_record_hdr *hdr)
{
	uint32_t ss = hdr->sector_size;
	unsigned words = (ss - WAC_RECORD_HDR_SIZE) / 8;
	uint64_t c[STAMP_WAYS], v[STAMP_WAYS];

#pragma GCC unroll 4
	for (unsigned k = 0; k < STAMP_WAYS; k++) {
		struct wac_record_hdr *out = (void *)(buf + (size_t)k * ss);

		memcpy(out, hdr, sizeof(*out));
		out->sector = hdr->sector + k;
		out->magic = WAC_RECORD_MAGIC;
		out->reserved = 0;
		out->reserved2 = 0;
		v[k] = payload_seed(out);
		c[k] = 0xffffffffu;
	}
	for (unsigned i = 0; i < WAC_RECORD_CRC_OFFSET / 8; i++)
#pragma GCC unroll 4
		for (unsigned k = 0; k < STAMP_WAYS; k++) {
			uint64_t w;

			memcpy(&w, buf + (size_t)k * ss + 8 * i, 8);
			c[k] = __builtin_ia32_crc32di(c[k], w);
		}
#pragma GCC unroll 4
	for (unsigned k = 0; k < STAMP_WAYS; k++) {
		uint32_t w;

		memcpy(&w, buf + (size_t)k * ss + WAC_RECORD_CRC_OFFSET - 4, 4);
		c[k] = __builtin_ia32_crc32si((uint32_t)c[k], w);
	}
	for (unsigned i = 0; i < words; i++)
#pragma GCC unroll 4
		for (unsigned k = 0; k < STAMP_WAYS; k++) {
			memcpy(buf + (size_t)k * ss + WAC_RECORD_HDR_SIZE +
				       8 * i,
			       &v[k], 8);
			c[k] = __builtin_ia32_crc32di(c[k], v[k]);
			v[k] += PAYLOAD_STEP;
		}
	for (unsigned k = 0; k < STAMP_WAYS; k++) {
		struct wac_record_hdr *out = (void *)(buf + (size_t)k * ss);

		out->crc = ~(uint32_t)c[k];
	}
}

void record_stamp_run(void *buf, const struct wac_record_hdr *hdr, unsigned n)
{
	struct wac_record_hdr h = *hdr;
	uint32_t ss = hdr->sector_size;
	unsigned char *p = buf;
	unsigned i = 0;

	if (crc32c_have_hw())
		for (; i + STAMP_WAYS <= n; i += STAMP_WAYS) {
			h.sector = hdr->sector + i;
			stamp_ways(p + (size_t)i * ss, &h);
		}
	for (; i < n; i++) {
		h.sector = hdr->sector + i;
		record_stamp(p + (size_t)i * ss, &h);
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
	memcpy(hdr, buf, sizeof(*hdr));
	if (hdr->magic != WAC_RECORD_MAGIC)
		return all_zero(buf, sector_size) ? RECORD_ZERO
						  : RECORD_GARBAGE;
	if (hdr->sector_size != sector_size)
		return RECORD_BAD_CRC;
	if (record_crc(buf, sector_size) != hdr->crc)
		return RECORD_BAD_CRC;
	return RECORD_VALID;
}
