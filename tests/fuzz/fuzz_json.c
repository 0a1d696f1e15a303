// sources: core/json/json.c
/*
 * fuzz_json.c -- the configuration JSON parser on arbitrary bytes.  When a
 * document parses, every node must have a sane position, a path, and a
 * child count matching its children; any violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
walk(const struct json_value *v, int depth)
{
	const struct json_value *c;
	char path[512];
	size_t n = 0;

	if (v->line < 1 || v->col < 1 || depth > 70)
		abort();
	json_path(v, path, sizeof(path));
	if (path[0] != '$')
		abort();
	for (c = v->child; c != NULL; c = c->next) {
		if (c->parent != v)
			abort();
		if (v->type == JSON_OBJECT &&
		    (c->key == NULL || json_get(v, c->key) == NULL))
			abort();
		walk(c, depth + 1);
		n++;
	}
	if (n != v->n)
		abort();
	if (v->type == JSON_STRING && v->str[v->len] != '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_error e;
	struct json_value *v = json_parse((const char *)data, size, &e);

	if (v == NULL) {
		if (e.line < 1 || e.col < 1 || e.msg[0] == '\0' ||
		    memchr(e.msg, '\0', sizeof(e.msg)) == NULL)
			abort();
		return 0;
	}
	walk(v, 0);
	json_free(v);
	return 0;
}
