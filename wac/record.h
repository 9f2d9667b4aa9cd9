/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WAC_RECORD_H
#define WAC_RECORD_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The self-describing sector record.  Every logical sector the generator
 * writes starts with this header; the rest of the sector is a payload
 * derived from the header, and crc covers the whole sector (with the crc
 * field itself taken out), so a sector can be judged on its own: torn,
 * misdirected, from another run, or of an older generation.
 */
#define WAC_RECORD_MAGIC 0x3154434553434157ull /* "WACSECT1" */
#define WAC_RECORD_HDR_SIZE 64
#define WAC_RECORD_CRC_OFFSET 60

struct wac_record_hdr {
	uint64_t magic;
	uint64_t run_id;
	uint64_t sector; /* index of this sector within the target */
	uint64_t stamp_ns; /* CLOCK_MONOTONIC when stamped, for diagnosis */
	uint32_t gen; /* per-sector generation, 1 = first write */
	uint32_t writer; /* owning thread */
	uint16_t kind; /* enum wac_kind of the writer */
	uint16_t variant; /* profile F: how often a scribbler restamped it */
	uint32_t sector_size;
	uint64_t reserved;
	uint32_t reserved2;
	uint32_t crc;
};

_Static_assert(sizeof(struct wac_record_hdr) == WAC_RECORD_HDR_SIZE,
	       "record header layout");

/* Fill one sector of sector_size bytes at buf with the record for hdr. */
void record_stamp(void *buf, const struct wac_record_hdr *hdr);

/* n consecutive sectors from hdr->sector on, each as record_stamp would
 * write it. */
void record_stamp_run(void *buf, const struct wac_record_hdr *hdr, unsigned n);

/* CRC of a sector as record_stamp computes it. */
uint32_t record_crc(const void *buf, uint32_t sector_size);

enum record_state {
	RECORD_ZERO, /* all bytes zero */
	RECORD_GARBAGE, /* no magic: not a record at all */
	RECORD_BAD_CRC, /* magic present, but crc or payload disagree */
	RECORD_VALID,
};

/*
 * Decode a sector: copies the header out and says whether the sector
 * holds one whole, valid record.
 */
enum record_state record_decode(const void *buf, uint32_t sector_size,
				struct wac_record_hdr *hdr);

#endif
