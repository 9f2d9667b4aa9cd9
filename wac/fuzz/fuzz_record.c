// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the sector record decoder and the verify pass's
 * classification of one sector (record.c, verify.c).  The input is a
 * struct ctl, then the sector's bytes (zero-padded to the sector size).
 * The oracle the sector is judged against is made from ctl and from the
 * record's own header, so that the fuzzer reaches every class: same run,
 * right sector, right writer, any generation.
 */
#include <stdlib.h>
#include <string.h>

#include "../record.h"
#include "../verify.h"

struct ctl {
	uint8_t sector_shift; /* sector size 512 << (sector_shift % 4) */
	uint8_t flags; /* CTL_* and, in bits 4-6, the unit's flags */
	uint8_t owners; /* 1 + owners % 64 */
	uint8_t sectors; /* 1 + sectors: how many the target has */
	uint32_t written, durable;
};

#define CTL_RESTAMP                                          \
	1 /* restamp payload and CRC from the header: decode \
	   * finds a whole record */
#define CTL_FOREIGN 2 /* the oracle is of another run */
#define CTL_MIXED 4 /* owners alternate O_DIRECT and page cache */

static void check_decode(const unsigned char *sector, uint32_t ss)
{
	struct wac_record_hdr h, again;
	static unsigned char copy[4096];

	if (record_decode(sector, ss, &h) > RECORD_VALID)
		abort();
	/* what record_stamp writes decodes to the same header */
	h.sector_size = ss;
	record_stamp(copy, &h);
	if (record_decode(copy, ss, &again) != RECORD_VALID ||
	    again.run_id != h.run_id || again.gen != h.gen ||
	    again.sector != h.sector || again.writer != h.writer)
		abort();
}

static void classify(const struct ctl *c, const unsigned char *sector,
		     uint32_t ss)
{
	const struct wac_record_hdr *h = (const void *)sector;
	unsigned owners = 1 + c->owners % 64, nsec = 1u + c->sectors;
	uint64_t s = h->sector < nsec ? h->sector : h->sector % nsec;
	struct verify_finding f;
	struct wac_oracle o;
	enum verify_class cls;

	if (oracle_init(&o, h->run_id ^ (c->flags & CTL_FOREIGN ? 1 : 0),
			(uint64_t)nsec * ss, ss, ss, owners))
		abort();
	for (unsigned i = 0; i < owners; i++)
		o.owner_kind[i] =
			c->flags & CTL_MIXED && i % 2 ? KIND_DIRECT : KIND_MMAP;
	oracle_assign(&o, LAYOUT_INTERLEAVE);
	o.written[s] = c->written;
	o.durable[s] = c->durable;
	o.flags[s] = (c->flags >> 4) & 7;
	cls = classify_sector(&o, s, sector, &f);
	if (cls >= V__COUNT || f.sector != s)
		abort();
	if (!verify_class_name(cls))
		abort();
	oracle_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char sector[4096] __attribute__((aligned(64)));
	struct ctl c;
	uint32_t ss;

	if (size < sizeof(c))
		return 0;
	memcpy(&c, data, sizeof(c));
	ss = 512u << (c.sector_shift % 4);
	if (ss > sizeof(sector))
		ss = sizeof(sector);
	memset(sector, 0, sizeof(sector));
	size -= sizeof(c);
	memcpy(sector, data + sizeof(c), size < ss ? size : ss);
	if (c.flags & CTL_RESTAMP) {
		struct wac_record_hdr h;

		memcpy(&h, sector, sizeof(h));
		h.sector_size = ss;
		record_stamp(sector, &h);
	}
	check_decode(sector, ss);
	classify(&c, sector, ss);
	return 0;
}
