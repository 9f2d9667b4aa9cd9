/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WAC_JSON_H
#define WAC_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * A streaming JSON writer: enough for one result document, with commas
 * and indentation handled here.  A NULL key means an array element (or
 * the root).
 */
struct json {
	FILE *f;
	int depth;
	bool need_comma[32];
};

void json_init(struct json *j, FILE *f);
void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_str(struct json *j, const char *key, const char *val);
void json_u64(struct json *j, const char *key, uint64_t val);
void json_i64(struct json *j, const char *key, int64_t val);
void json_double(struct json *j, const char *key, double val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);

#endif
