/*
 * paramtext.c -- an instance file's text with new params (see
 * instances.h): only the "params" value is rewritten, or the member
 * added, so a hand-written file keeps its layout and every other member
 * byte for byte.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "daemon/instances.h"
#include "json/json.h"

/* Byte offset of (line, col) in text (both from 1), or len. */
static size_t
text_offset(const char *text, size_t len, int line, int col)
{
	size_t i = 0;

	for (int l = 1; l < line && i < len; i++)
		if (text[i] == '\n')
			l++;
	return i + (size_t)(col - 1) <= len ? i + (size_t)(col - 1) : len;
}

/* Offset just past the JSON value that starts at `at` (the text parsed). */
static size_t
value_end(const char *text, size_t len, size_t at)
{
	int depth = 0, in_str = 0;
	size_t i;

	for (i = at; i < len; i++) {
		char ch = text[i];

		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = 0;
			if (!in_str && depth == 0)
				return i + 1;
			continue;
		}
		if (depth == 0 && i > at && ch != '\0' &&
		    strchr(",}] \t\r\n", ch) != NULL)
			return i;             /* the end of a number or literal */
		if (ch == '"')
			in_str = 1;
		else if (ch == '{' || ch == '[')
			depth++;
		else if ((ch == '}' || ch == ']') && --depth == 0)
			return i + 1;
	}
	return len;
}

/* Append a string to a growing buffer; -1 when out of memory. */
struct buf {
	char *p;
	size_t len, cap;
};

static int
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *np = realloc(b->p, cap);

		if (np == NULL)
			return -1;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int
buf_str(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

/* `params` as a JSON object written one member a line, its closing brace
 * at `indent` spaces. */
static int
render_params(struct buf *b, const cJSON *params, size_t indent)
{
	const cJSON *m;
	int rc = 0;

	if (cJSON_GetArraySize(params) == 0)
		return buf_str(b, "{}");
	rc |= buf_str(b, "{\n");
	cJSON_ArrayForEach(m, params) {
		cJSON *k = cJSON_CreateString(m->string);
		char *ks = k ? cJSON_PrintUnformatted(k) : NULL;
		char *vs = cJSON_PrintUnformatted(m);

		for (size_t i = 0; i < indent + 2; i++)
			rc |= buf_add(b, " ", 1);
		if (ks == NULL || vs == NULL)
			rc = -1;
		else {
			rc |= buf_str(b, ks);
			rc |= buf_str(b, ": ");
			rc |= buf_str(b, vs);
			rc |= buf_str(b, m->next ? ",\n" : "\n");
		}
		free(ks);
		free(vs);
		cJSON_Delete(k);
	}
	for (size_t i = 0; i < indent; i++)
		rc |= buf_add(b, " ", 1);
	rc |= buf_str(b, "}");
	return rc;
}

char *
instances_params_text(const char *text, size_t len,
	const struct json_value *doc, const cJSON *params, size_t *outlen)
{
	const struct json_value *p = json_get(doc, "params");
	struct buf b = { 0 };
	size_t start, end;
	int rc = 0;

	if (p != NULL) {
		start = text_offset(text, len, p->line, p->col);
		end = value_end(text, len, start);
		rc |= buf_add(&b, text, start);
		rc |= render_params(&b, params, p->key_col > 1 ?
			(size_t)p->key_col - 1 : 0);
		rc |= buf_add(&b, text + end, len - end);
	} else {
		/* After the last member, before the closing brace's line. */
		end = len;
		while (end > 0 && text[end - 1] != '}')
			end--;
		start = end > 0 ? end - 1 : 0;
		while (start > 0 && strchr(" \t\r\n", text[start - 1]) != NULL)
			start--;
		rc |= buf_add(&b, text, start);
		rc |= buf_str(&b, doc->n > 0 ? ",\n  \"params\": " :
			"\n  \"params\": ");
		rc |= render_params(&b, params, 2);
		if (start == end - 1)   /* "...}" on one line: a line break */
			rc |= buf_str(&b, "\n");
		rc |= buf_add(&b, text + start, len - start);
	}
	if (rc != 0) {
		free(b.p);
		return NULL;
	}
	*outlen = b.len;
	return b.p;
}
