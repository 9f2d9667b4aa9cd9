// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the state-file loader (state.c) that 'wac verify'
 * trusts.  state.c is included so that the harness can use its own
 * header layout and CRC functions: the first input byte says which CRCs
 * to repair (bit 0 the header's, bit 1 the payload's), the rest is the
 * file.  Without the repair nearly every mutation would stop at a CRC;
 * with it the bounds checks behind the CRCs are reached.  A file the
 * loader accepts must give an oracle that every sector can be classified
 * against, with the facts 'wac verify' reports in range.
 */
#define _GNU_SOURCE
#include "../state.c"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../verify.h"

#define FIX_HEADER_CRC 1
#define FIX_PAYLOAD_CRC 2

static int memfd = -1;
static char memfd_path[64];

/* The payload CRC of the arrays in buf, as oracle_save computes it. */
static void fix_payload_crc(unsigned char *buf, size_t len)
{
	struct state_header *h = (struct state_header *)buf;
	struct wac_oracle o = {.owners = h->owners, .units = h->units};
	unsigned char *p = buf + sizeof(*h);
	void *ptrs[5];
	size_t lens[5];

	/* the loader's own bound first: units * 11 must not wrap around */
	if (h->units > UNITS_MAX || len != file_length(h->owners, h->units))
		return;
	arrays(&o, ptrs, lens);
	/* arrays() only needs the lengths: point them at aligned copies */
	for (int i = 0; i < 5; i++) {
		ptrs[i] = malloc(lens[i] ? lens[i] : 1);
		memcpy(ptrs[i], p, lens[i]);
		p += lens[i];
	}
	o.owner_kind = ptrs[0], o.owner = ptrs[1], o.written = ptrs[2];
	o.durable = ptrs[3], o.flags = ptrs[4];
	h->payload_crc = payload_crc(&o);
	for (int i = 0; i < 5; i++)
		free(ptrs[i]);
}

static void repair(unsigned char *buf, size_t len, unsigned mode)
{
	struct state_header *h = (struct state_header *)buf;

	if (len < sizeof(*h))
		return;
	if (mode & FIX_PAYLOAD_CRC)
		fix_payload_crc(buf, len);
	if (mode & FIX_HEADER_CRC)
		h->header_crc = header_crc(*h);
}

/* What 'wac verify' relies on after a successful load. */
static void check_loaded(const struct wac_oracle *o)
{
	static unsigned char zero[65536], sector[65536];
	uint64_t sectors = o->size / o->sector_size;
	struct verify_finding f;
	struct wac_record_hdr h = {0};

	if (o->facts.writers > WAC_THREADS_MAX ||
	    o->facts.mmappers > WAC_THREADS_MAX ||
	    o->facts.churners > WAC_THREADS_MAX ||
	    (uint64_t)o->facts.writers + o->facts.mmappers +
			    o->facts.churners !=
		    o->facts.threads ||
	    o->owners > o->facts.threads || o->units != o->size / o->block)
		abort();
	if (classify_sector(o, 0, zero, &f) >= V__COUNT ||
	    classify_sector(o, sectors - 1, zero, &f) >= V__COUNT)
		abort();
	/* the record its owner last wrote is ok, unless the unit is a hole
	 * (profile G): then any data there is exposed */
	h.run_id = o->run_id;
	h.sector = sectors - 1;
	h.gen = o->written[o->units - 1];
	h.writer = oracle_owner(o, o->units - 1);
	h.sector_size = o->sector_size;
	record_stamp(sector, &h);
	if (h.gen &&
	    classify_sector(o, sectors - 1, sector, &f) !=
		    (o->flags[o->units - 1] & UNIT_HOLE ? V_EXPOSED : V_OK))
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	memfd = memfd_create("wac-state", 0);
	if (memfd < 0)
		abort();
	snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wac_oracle o;
	unsigned char *buf;

	if (!size)
		return 0;
	/* the file, aligned as the header wants it */
	buf = malloc(size);
	memcpy(buf, data + 1, size - 1);
	repair(buf, size - 1, data[0]);
	if (ftruncate(memfd, 0) ||
	    pwrite(memfd, buf, size - 1, 0) != (ssize_t)(size - 1))
		abort();
	free(buf);
	if (oracle_load(&o, memfd_path))
		return 0;
	check_loaded(&o);
	oracle_free(&o);
	return 0;
}
