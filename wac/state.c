// SPDX-License-Identifier: GPL-2.0
/*
 * The state file: the oracle of a finished run, for a later 'wac verify'.
 * Layout: a header (magic, version, its own CRC32C, the run's facts, the
 * arrays' CRC32C), then owner_kind[owners], owner[units], written[units],
 * durable[units], flags[units], nothing after.  A file that is not
 * exactly that is refused before any field is used: a wrong verdict
 * from a damaged state file would be worse than none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomic_file.h"
#include "crc32c.h"
#include "engine.h"
#include "oracle.h"

#define STATE_MAGIC 0x3654415453434157ull /* "WACSTAT6" */
#define STATE_MAGIC_ANY 0x0054415453434157ull /* "WACSTAT" and a digit */
/* 6: the same file as 5, for a target whose records' payload words are
 * seed ^ i * STEP (wac/record.c): a 5's target would all read torn */
#define STATE_VERSION 6
#define UNITS_MAX (1ull << 32) /* 2 TiB of 512-byte units */

struct state_header {
	uint64_t magic;
	uint32_t version;
	uint32_t header_crc; /* CRC32C of the header with this field 0 */
	uint64_t run_id;
	uint64_t size;
	uint64_t units;
	uint32_t block;
	uint32_t sector_size;
	uint32_t owners;
	uint32_t final_sync_ok;
	uint32_t threads, writers, mmappers;
	uint8_t profile, direct, pad[2];
	uint32_t payload_crc; /* CRC32C of the arrays, in file order */
	/* --slice K/N; 0/0 (the padding of files from before --slice) is
	 * the whole target, 0/1 */
	uint16_t slice_k, slice_n;
	/* version 4: the rest of the run's configuration */
	uint64_t seed, duration_ns, hang_timeout_ns;
	uint32_t sync_every, iodepth;
	uint8_t write_sync, msync, f_mode, layout;
	char engine[16];
	/* version 5: churn threads; flags[] may hold UNIT_HOLE(_OK) */
	uint32_t churners;
};

/* The arrays in file order: base pointer and element size. */
static void arrays(const struct wac_oracle *o, void *ptrs[5], size_t lens[5])
{
	ptrs[0] = o->owner_kind, lens[0] = o->owners;
	ptrs[1] = o->owner, lens[1] = o->units * sizeof(*o->owner);
	ptrs[2] = o->written, lens[2] = o->units * sizeof(*o->written);
	ptrs[3] = o->durable, lens[3] = o->units * sizeof(*o->durable);
	ptrs[4] = o->flags, lens[4] = o->units;
}

static uint32_t payload_crc(const struct wac_oracle *o)
{
	void *ptrs[5];
	size_t lens[5];
	uint32_t crc = 0;

	arrays(o, ptrs, lens);
	for (int i = 0; i < 5; i++)
		crc ^= crc32c(ptrs[i], lens[i]) + i;
	return crc;
}

static uint32_t header_crc(struct state_header h)
{
	h.header_crc = 0;
	return crc32c(&h, sizeof(h));
}

static uint64_t file_length(uint64_t owners, uint64_t units)
{
	return sizeof(struct state_header) + owners + units * (2 + 4 + 4 + 1);
}

int oracle_save(const struct wac_oracle *o, const char *path)
{
	struct state_header h = {
		.magic = STATE_MAGIC,
		.version = STATE_VERSION,
		.run_id = o->run_id,
		.size = o->size,
		.units = o->units,
		.block = o->block,
		.sector_size = o->sector_size,
		.owners = o->owners,
		.final_sync_ok = o->final_sync_ok,
		.threads = o->facts.threads,
		.writers = o->facts.writers,
		.mmappers = o->facts.mmappers,
		.churners = o->facts.churners,
		.profile = o->facts.profile,
		.direct = o->facts.direct,
		.payload_crc = payload_crc(o),
		.slice_k = o->slice_k,
		.slice_n = o->slice_n,
		.seed = o->facts.seed,
		.duration_ns = (uint64_t)(o->facts.duration_s * 1e9),
		.hang_timeout_ns = (uint64_t)(o->facts.hang_timeout_s * 1e9),
		.sync_every = o->facts.sync_every,
		.iodepth = o->facts.iodepth,
		.write_sync = o->facts.write_sync,
		.msync = o->facts.msync,
		.f_mode = o->facts.f_mode,
		.layout = o->facts.layout,
	};
	struct atomic_file a;
	void *ptrs[5];
	size_t lens[5];
	int ret;

	memcpy(h.engine, o->facts.engine, sizeof(h.engine) - 1);
	h.header_crc = header_crc(h);
	ret = atomic_open(&a, path);
	if (ret)
		return ret;
	if (fwrite(&h, sizeof(h), 1, a.f) != 1)
		ret = -EIO;
	arrays(o, ptrs, lens);
	for (int i = 0; i < 5 && !ret; i++)
		if (lens[i] && fwrite(ptrs[i], 1, lens[i], a.f) != lens[i])
			ret = -EIO;
	return atomic_commit(&a, ret);
}

/* Every field of the header in range, and the file exactly as long as
 * the header says: only then is anything allocated or read. */
static const char *header_problem(const struct state_header *h, uint64_t len)
{
	if ((h->magic & 0x00ffffffffffffffull) == STATE_MAGIC_ANY &&
	    h->magic != STATE_MAGIC)
		return "state file format of an older wac (before version 6, "
		       "whose sector records differ): verify it with the wac "
		       "that wrote it, or run again";
	if (h->magic != STATE_MAGIC)
		return "not a wac state file";
	if (h->version != STATE_VERSION || header_crc(*h) != h->header_crc)
		return "damaged header (version or CRC)";
	if (h->sector_size < 512 || h->sector_size > 65536 ||
	    (h->sector_size & (h->sector_size - 1)))
		return "sector size out of range";
	if (!h->block || h->block % h->sector_size || h->block > (1u << 24))
		return "block size out of range";
	if (!h->units || h->units > UNITS_MAX || h->size != h->units * h->block)
		return "size and units disagree";
	/* 64-bit sum: 0xffffffff writers and 1 mmapper are not 0 threads */
	if (!h->owners || h->owners > h->threads ||
	    h->writers > WAC_THREADS_MAX || h->mmappers > WAC_THREADS_MAX ||
	    h->churners > WAC_THREADS_MAX ||
	    (uint64_t)h->writers + h->mmappers + h->churners != h->threads)
		return "thread counts out of range";
	if (h->profile < 'A' || h->profile > 'G' || h->direct > 1 ||
	    h->final_sync_ok > 1)
		return "run facts out of range";
	if (h->write_sync > WSYNC_NONE || h->msync > MSYNC_NONE ||
	    h->f_mode > FMODE_LEGACY || h->layout > LAYOUT_CHURN ||
	    !h->sync_every || !h->iodepth || !h->duration_ns ||
	    !memchr(h->engine, '\0', sizeof(h->engine)) ||
	    !engine_find(h->engine))
		return "run configuration out of range";
	if (h->slice_n ? h->slice_k >= h->slice_n : h->slice_k)
		return "slice out of range";
	if (len != file_length(h->owners, h->units))
		return len < file_length(h->owners, h->units) ? "truncated"
							      : "trailing data";
	return NULL;
}

/* Every array entry in range: owners exist, kinds are kinds. */
static const char *payload_problem(const struct wac_oracle *o, uint32_t crc)
{
	if (payload_crc(o) != crc)
		return "damaged (CRC of the oracle)";
	for (unsigned i = 0; i < o->owners; i++)
		if (o->owner_kind[i] >= KIND__COUNT)
			return "unknown thread kind";
	for (uint64_t u = 0; u < o->units; u++) {
		/* a unit is the slice's exactly when the geometry says so */
		if (oracle_owns(o, u) != (oracle_slice_of(o, u) == o->slice_k))
			return "unit owners do not match the slice";
		if ((oracle_owns(o, u) && o->owner[u] >= o->owners) ||
		    o->flags[u] & ~UNIT_FLAGS_ALL)
			return "unit owner or flags out of range";
	}
	return NULL;
}

static int load_payload(struct wac_oracle *o, FILE *f,
			const struct state_header *h)
{
	void *ptrs[5];
	size_t lens[5];
	int ret;

	ret = oracle_init(o, h->run_id, h->size, h->block, h->sector_size,
			  h->owners);
	if (ret)
		return ret;
	o->final_sync_ok = h->final_sync_ok;
	o->facts = (struct oracle_run_facts){
		.profile = h->profile,
		.threads = h->threads,
		.writers = h->writers,
		.mmappers = h->mmappers,
		.churners = h->churners,
		.direct = h->direct,
		.seed = h->seed,
		.duration_s = h->duration_ns / 1e9,
		.hang_timeout_s = h->hang_timeout_ns / 1e9,
		.sync_every = h->sync_every,
		.iodepth = h->iodepth,
		.write_sync = h->write_sync,
		.msync = h->msync,
		.f_mode = h->f_mode,
		.layout = h->layout,
	};
	memcpy(o->facts.engine, h->engine, sizeof(o->facts.engine));
	oracle_set_slice(o, h->slice_k, h->slice_n);
	arrays(o, ptrs, lens);
	for (int i = 0; i < 5; i++)
		if (lens[i] && fread(ptrs[i], 1, lens[i], f) != lens[i])
			return -EIO;
	return 0;
}

int oracle_load(struct wac_oracle *o, const char *path)
{
	struct state_header h;
	const char *why = NULL;
	struct stat st;
	FILE *f = fopen(path, "r");
	int ret = 0;

	memset(o, 0, sizeof(*o));
	if (!f) {
		ret = -errno;
		wac_err("cannot open state file %s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fileno(f), &st) || fread(&h, sizeof(h), 1, f) != 1)
		why = "shorter than a header";
	if (!why)
		why = header_problem(&h, st.st_size);
	if (!why && load_payload(o, f, &h))
		why = "cannot be read";
	if (!why)
		why = payload_problem(o, h.payload_crc);
	if (why) {
		wac_err("state file %s: %s", path, why);
		oracle_free(o);
		ret = -EINVAL;
	}
	fclose(f);
	return ret;
}
