/*
 * json.c -- strict RFC 8259 parser with positions (see json.h).
 *
 * Recursive descent with an explicit depth limit.  Every node is allocated
 * from one arena per document, so json_free() is a walk over arena blocks.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"

#define MAX_DEPTH 64
#define MAX_DOC (16u << 20)
#define BLOCK_SIZE 16384

struct block {
	struct block *next;
	size_t used, cap;
	/* data follows, max_align_t aligned */
};

struct parser {
	const char *s;
	size_t len;
	size_t pos;
	int line;
	size_t line_start;
	struct json_error *err;
	struct block *arena;
	int failed;
};

/* The root node is the first allocation; its arena hangs off a hidden header. */
struct doc {
	struct block *arena;
	struct json_value root;
};

static void *
arena_alloc(struct parser *p, size_t n)
{
	struct block *b = p->arena;
	size_t hdr = (sizeof(struct block) + 15) & ~(size_t)15;
	char *mem;

	n = (n + 15) & ~(size_t)15;
	if (b == NULL || b->used + n > b->cap) {
		size_t cap = n > BLOCK_SIZE ? n : BLOCK_SIZE;

		if ((b = malloc(hdr + cap)) == NULL)
			return NULL;
		b->next = p->arena;
		b->used = 0;
		b->cap = cap;
		p->arena = b;
	}
	mem = (char *)b + hdr + b->used;
	b->used += n;
	memset(mem, 0, n);
	return mem;
}

static void
arena_free(struct block *b)
{
	while (b != NULL) {
		struct block *next = b->next;

		free(b);
		b = next;
	}
}

static int
col_of(const struct parser *p, size_t pos)
{
	return (int)(pos - p->line_start) + 1;
}

#if defined(__GNUC__)
#define QD_JSON_PRINTF __attribute__((format(printf, 3, 4)))
#else
#define QD_JSON_PRINTF
#endif

/* Record the first error at byte `pos` (same line as the parser). */
static void
fail_at(struct parser *p, size_t pos, const char *fmt, ...) QD_JSON_PRINTF;

static void
fail_at(struct parser *p, size_t pos, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	p->err->line = p->line;
	p->err->col = col_of(p, pos);
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
}

/* Describe the byte at pos for messages: "'x'", "end of input". */
static const char *
found(const struct parser *p, char *buf, size_t cap)
{
	unsigned char c;

	if (p->pos >= p->len)
		return "end of input";
	c = (unsigned char)p->s[p->pos];
	if (c >= 0x20 && c < 0x7f)
		snprintf(buf, cap, "'%c'", c);
	else
		snprintf(buf, cap, "byte 0x%02x", c);
	return buf;
}

static void
skip_ws(struct parser *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (c == '\n') {
			p->line++;
			p->pos++;
			p->line_start = p->pos;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			p->pos++;
		} else {
			break;
		}
	}
}

static struct json_value *
new_value(struct parser *p, enum json_type t)
{
	struct json_value *v = arena_alloc(p, sizeof(*v));

	if (v == NULL) {
		fail_at(p, p->pos, "out of memory");
		return NULL;
	}
	v->type = t;
	v->line = p->line;
	v->col = col_of(p, p->pos);
	return v;
}

static struct json_value *parse_value(struct parser *p, int depth);

/* Length of a valid UTF-8 sequence at s (max n bytes), or 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t need, i;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return need;
}

static int
hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t
put_utf8(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Parse a string starting at the opening quote.  Returns a NUL-terminated
 * arena copy with *len set, or NULL on error (reported).
 */
static char *
parse_string(struct parser *p, size_t *len)
{
	size_t start = ++p->pos, cap, n = 0;
	char *out;

	/* Decoded length never exceeds the raw length. */
	while (p->pos < p->len && p->s[p->pos] != '"') {
		if (p->s[p->pos] == '\\')
			p->pos++;
		p->pos++;
	}
	if (p->pos >= p->len) {
		fail_at(p, start - 1, "unterminated string");
		return NULL;
	}
	cap = p->pos - start + 1;
	p->pos = start;
	if ((out = arena_alloc(p, cap)) == NULL) {
		fail_at(p, start, "out of memory");
		return NULL;
	}
	for (;;) {
		unsigned char c = (unsigned char)p->s[p->pos];

		if (c == '"') {
			p->pos++;
			break;
		}
		if (c < 0x20) {
			fail_at(p, p->pos, "control character 0x%02x in string; "
				"escape it", c);
			return NULL;
		}
		if (c == '\\') {
			char e = p->s[p->pos + 1];
			unsigned u, lo;

			switch (e) {
			case '"': out[n++] = '"'; break;
			case '\\': out[n++] = '\\'; break;
			case '/': out[n++] = '/'; break;
			case 'b': out[n++] = '\b'; break;
			case 'f': out[n++] = '\f'; break;
			case 'n': out[n++] = '\n'; break;
			case 'r': out[n++] = '\r'; break;
			case 't': out[n++] = '\t'; break;
			case 'u':
				if (p->pos + 6 > p->len ||
				    hex4(p->s + p->pos + 2, &u) != 0) {
					fail_at(p, p->pos, "expected 4 hex "
						"digits after \\u");
					return NULL;
				}
				if (u >= 0xdc00 && u <= 0xdfff) {
					fail_at(p, p->pos, "unpaired low "
						"surrogate \\u%04x", u);
					return NULL;
				}
				if (u >= 0xd800 && u <= 0xdbff) {
					if (p->pos + 12 > p->len ||
					    p->s[p->pos + 6] != '\\' ||
					    p->s[p->pos + 7] != 'u' ||
					    hex4(p->s + p->pos + 8, &lo) != 0 ||
					    lo < 0xdc00 || lo > 0xdfff) {
						fail_at(p, p->pos, "unpaired "
							"high surrogate \\u%04x",
							u);
						return NULL;
					}
					n += put_utf8(out + n, 0x10000 +
						(((unsigned long)u - 0xd800) << 10) +
						(lo - 0xdc00));
					p->pos += 12;
					continue;
				}
				n += put_utf8(out + n, u);
				p->pos += 6;
				continue;
			default:
				fail_at(p, p->pos, "invalid escape '\\%c'",
					e >= 0x20 && e < 0x7f ? e : '?');
				return NULL;
			}
			p->pos += 2;
			continue;
		}
		{
			size_t l = utf8_len((const unsigned char *)p->s + p->pos,
				p->len - p->pos);

			if (l == 0) {
				fail_at(p, p->pos, "invalid UTF-8 in string");
				return NULL;
			}
			memcpy(out + n, p->s + p->pos, l);
			n += l;
			p->pos += l;
		}
	}
	out[n] = '\0';
	*len = n;
	return out;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static struct json_value *
parse_number(struct parser *p)
{
	size_t start = p->pos, i = p->pos;
	struct json_value *v;
	char buf[512], *end;
	int frac = 0;

	if (i < p->len && p->s[i] == '-')
		i++;
	if (i >= p->len || !is_digit(p->s[i])) {
		fail_at(p, start, "invalid number: expected a digit");
		return NULL;
	}
	if (p->s[i] == '0' && i + 1 < p->len && is_digit(p->s[i + 1])) {
		fail_at(p, start, "invalid number: leading zero");
		return NULL;
	}
	while (i < p->len && is_digit(p->s[i]))
		i++;
	if (i < p->len && p->s[i] == '.') {
		frac = 1;
		i++;
		if (i >= p->len || !is_digit(p->s[i])) {
			fail_at(p, start, "invalid number: expected a digit "
				"after '.'");
			return NULL;
		}
		while (i < p->len && is_digit(p->s[i]))
			i++;
	}
	if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
		frac = 1;
		i++;
		if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
			i++;
		if (i >= p->len || !is_digit(p->s[i])) {
			fail_at(p, start, "invalid number: expected a digit "
				"in the exponent");
			return NULL;
		}
		while (i < p->len && is_digit(p->s[i]))
			i++;
	}
	if (i - start >= sizeof(buf)) {
		fail_at(p, start, "number longer than %zu characters",
			sizeof(buf) - 1);
		return NULL;
	}
	if ((v = new_value(p, JSON_NUMBER)) == NULL)
		return NULL;
	memcpy(buf, p->s + start, i - start);
	buf[i - start] = '\0';
	errno = 0;
	v->num = strtod(buf, &end);
	if (!isfinite(v->num)) {
		fail_at(p, start, "number out of range");
		return NULL;
	}
	if (!frac) {
		long long ll;

		errno = 0;
		ll = strtoll(buf, &end, 10);
		if (errno == 0 && *end == '\0') {
			v->is_int = 1;
			v->i = ll;
		}
	}
	p->pos = i;
	return v;
}

static int
match_word(struct parser *p, const char *w)
{
	size_t n = strlen(w);

	if (p->len - p->pos >= n && memcmp(p->s + p->pos, w, n) == 0) {
		p->pos += n;
		return 1;
	}
	return 0;
}

static void
append_child(struct json_value *parent, struct json_value *child,
	struct json_value **last)
{
	child->parent = parent;
	if (*last == NULL)
		parent->child = child;
	else
		(*last)->next = child;
	*last = child;
	parent->n++;
}

static struct json_value *
parse_array(struct parser *p, int depth)
{
	struct json_value *v = new_value(p, JSON_ARRAY), *last = NULL, *e;
	char fb[32];

	if (v == NULL)
		return NULL;
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == ']') {
		p->pos++;
		return v;
	}
	for (;;) {
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ']') {
			fail_at(p, p->pos, "expected a value, found ']' "
				"(trailing comma?)");
			return NULL;
		}
		if ((e = parse_value(p, depth + 1)) == NULL)
			return NULL;
		append_child(v, e, &last);
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == ']') {
			p->pos++;
			return v;
		}
		fail_at(p, p->pos, "expected ',' or ']' after array element, "
			"found %s", found(p, fb, sizeof(fb)));
		return NULL;
	}
}

static struct json_value *
parse_object(struct parser *p, int depth)
{
	struct json_value *v = new_value(p, JSON_OBJECT), *last = NULL, *e, *o;
	char fb[32];

	if (v == NULL)
		return NULL;
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == '}') {
		p->pos++;
		return v;
	}
	for (;;) {
		int kline, kcol;
		size_t kpos, klen;
		char *key;

		skip_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != '"') {
			fail_at(p, p->pos, "expected a member name in double "
				"quotes, found %s%s", found(p, fb, sizeof(fb)),
				p->pos < p->len && p->s[p->pos] == '}' ?
				" (trailing comma?)" : "");
			return NULL;
		}
		kline = p->line;
		kpos = p->pos;
		kcol = col_of(p, kpos);
		if ((key = parse_string(p, &klen)) == NULL)
			return NULL;
		if (strlen(key) != klen) {
			fail_at(p, kpos, "member name contains \\u0000");
			return NULL;
		}
		for (o = v->child; o != NULL; o = o->next)
			if (strcmp(o->key, key) == 0) {
				fail_at(p, kpos, "duplicate key \"%.100s\"",
					key);
				return NULL;
			}
		skip_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != ':') {
			fail_at(p, p->pos, "expected ':' after member name, "
				"found %s", found(p, fb, sizeof(fb)));
			return NULL;
		}
		p->pos++;
		skip_ws(p);
		if ((e = parse_value(p, depth + 1)) == NULL)
			return NULL;
		e->key = key;
		e->key_line = kline;
		e->key_col = kcol;
		append_child(v, e, &last);
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == '}') {
			p->pos++;
			return v;
		}
		fail_at(p, p->pos, "expected ',' or '}' after object member, "
			"found %s", found(p, fb, sizeof(fb)));
		return NULL;
	}
}

static struct json_value *
parse_value(struct parser *p, int depth)
{
	struct json_value *v;
	char fb[32];

	if (depth > MAX_DEPTH) {
		fail_at(p, p->pos, "nesting deeper than %d levels", MAX_DEPTH);
		return NULL;
	}
	skip_ws(p);
	if (p->pos >= p->len) {
		fail_at(p, p->pos, "expected a value, found end of input");
		return NULL;
	}
	switch (p->s[p->pos]) {
	case '{':
		return parse_object(p, depth);
	case '[':
		return parse_array(p, depth);
	case '"':
		if ((v = new_value(p, JSON_STRING)) == NULL)
			return NULL;
		v->str = parse_string(p, &v->len);
		return v->str ? v : NULL;
	case 't':
	case 'f':
	case 'n':
		if ((v = new_value(p, JSON_NULL)) == NULL)
			return NULL;
		if (match_word(p, "true")) {
			v->type = JSON_BOOL;
			v->boolean = 1;
		} else if (match_word(p, "false")) {
			v->type = JSON_BOOL;
		} else if (!match_word(p, "null")) {
			fail_at(p, p->pos, "expected a value, found %s",
				found(p, fb, sizeof(fb)));
			return NULL;
		}
		return v;
	default:
		if (p->s[p->pos] == '-' || is_digit(p->s[p->pos]))
			return parse_number(p);
		fail_at(p, p->pos, "expected a value, found %s",
			found(p, fb, sizeof(fb)));
		return NULL;
	}
}

struct json_value *
json_parse(const char *text, size_t len, struct json_error *err)
{
	struct parser p;
	struct json_error dummy;
	struct json_value *root;
	struct doc *d;
	char fb[32];

	memset(&p, 0, sizeof(p));
	p.s = text;
	p.len = len;
	p.line = 1;
	p.err = err ? err : &dummy;
	memset(p.err, 0, sizeof(*p.err));
	if (len > MAX_DOC) {
		p.err->line = 1;
		p.err->col = 1;
		snprintf(p.err->msg, sizeof(p.err->msg), "document larger than "
			"%u bytes", MAX_DOC);
		return NULL;
	}
	/* The doc header holds the arena; the root is copied into it. */
	if ((d = arena_alloc(&p, sizeof(*d))) == NULL) {
		fail_at(&p, 0, "out of memory");
		return NULL;
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		fail_at(&p, 0, "byte order mark at start; save as UTF-8 "
			"without BOM");
		goto fail;
	}
	root = parse_value(&p, 1);
	if (root == NULL)
		goto fail;
	skip_ws(&p);
	if (p.pos < p.len) {
		fail_at(&p, p.pos, "expected end of input after the value, "
			"found %s", found(&p, fb, sizeof(fb)));
		goto fail;
	}
	d->root = *root;
	{
		struct json_value *c;

		for (c = d->root.child; c != NULL; c = c->next)
			c->parent = &d->root;
	}
	d->arena = p.arena;
	return &d->root;
fail:
	arena_free(p.arena);
	return NULL;
}

void
json_free(struct json_value *v)
{
	struct doc *d;

	if (v == NULL)
		return;
	d = (struct doc *)((char *)v - offsetof(struct doc, root));
	arena_free(d->arena);
}

const struct json_value *
json_get(const struct json_value *obj, const char *key)
{
	const struct json_value *m;

	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	for (m = obj->child; m != NULL; m = m->next)
		if (strcmp(m->key, key) == 0)
			return m;
	return NULL;
}

const char *
json_type_name(enum json_type t)
{
	switch (t) {
	case JSON_NULL: return "null";
	case JSON_BOOL: return "boolean";
	case JSON_NUMBER: return "number";
	case JSON_STRING: return "string";
	case JSON_ARRAY: return "array";
	case JSON_OBJECT: return "object";
	}
	return "unknown";
}

static int
is_ident(const char *s)
{
	size_t i;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	    s[0] == '_'))
		return 0;
	for (i = 1; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

char *
json_path(const struct json_value *v, char *buf, size_t cap)
{
	const struct json_value *chain[MAX_DEPTH + 2];
	size_t depth = 0, used = 0, i;

	if (cap == 0)
		return buf;
	while (v != NULL && depth < MAX_DEPTH + 2) {
		chain[depth++] = v;
		v = v->parent;
	}
	used = (size_t)snprintf(buf, cap, "$");
	for (i = depth - 1; i-- > 0 && used < cap;) {
		const struct json_value *c = chain[i], *par = chain[i + 1], *s;
		size_t idx = 0;
		int w;

		if (par->type == JSON_OBJECT) {
			if (is_ident(c->key))
				w = snprintf(buf + used, cap - used, ".%s",
					c->key);
			else
				w = snprintf(buf + used, cap - used,
					"[\"%s\"]", c->key);
		} else {
			for (s = par->child; s != NULL && s != c; s = s->next)
				idx++;
			w = snprintf(buf + used, cap - used, "[%zu]", idx);
		}
		if (w < 0)
			break;
		used += (size_t)w;
	}
	buf[cap - 1] = '\0';
	return buf;
}
