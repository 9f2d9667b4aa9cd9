/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WAC_CRC32C_H
#define WAC_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/*
 * CRC32C (Castagnoli), as used by iSCSI and ext4/btrfs metadata.
 * crc32c_update() continues a running CRC: start from 0, feed pieces.
 * Uses the SSE4.2 crc32 instruction when the CPU has it, else tables.
 */
uint32_t crc32c_update(uint32_t crc, const void *buf, size_t len);

/* The polynomial, bit-reflected: bit 31 is x^0, bit 0 is x^31. */
#define CRC32C_POLY 0x82f63b78u

static inline uint32_t crc32c(const void *buf, size_t len)
{
	return crc32c_update(0, buf, len);
}

/* The table implementation alone (to check the fast path against). */
uint32_t crc32c_update_sw(uint32_t crc, const void *buf, size_t len);

/* True when the SSE4.2 crc32 instruction runs here (checked at run time). */
int crc32c_have_hw(void);

/* Which implementation runs here: "sse4.2" or "table". */
const char *crc32c_impl(void);

#endif
