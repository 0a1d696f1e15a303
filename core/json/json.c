/*
 * json.c -- strict RFC 8259 parser with positions (see json.h).
 *
 * Recursive descent.  Recursion happens only on '[' and '{', and a container
 * deeper than MAX_DEPTH is refused before its frame is entered, so the C stack
 * holds at most MAX_DEPTH parse_value/parse_container pairs of a few hundred
 * bytes each.  Every node and string of a document lives in one arena (a list
 * of malloc'd blocks) whose head hangs off a hidden header in front of the
 * root, so json_free() releases a document in a handful of free() calls.
 *
 * Duplicate member names are found with a linear scan while an object is
 * small and with a per-object hash set once it grows, so a large object costs
 * O(n), not O(n^2).
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"

#define MAX_DEPTH 64
#define MAX_DOC (16u << 20)
#define BLOCK_SIZE 16384
#define ALIGN 16
/* Objects with at least this many members switch to a hash set. */
#define KEYSET_MIN 16

struct block {
	struct block *next;
	size_t used, cap;
	/* data follows, ALIGN-aligned */
};

struct parser {
	const char *s;
	size_t len;
	size_t pos;
	int line;
	size_t line_start;      /* offset of the first byte of `line` */
	struct json_error *err;
	struct block *arena;
	int failed;
	size_t seed;            /* hash seed for the duplicate-key sets */
};

/* The document header: the arena, then the root the caller sees. */
struct doc {
	struct block *arena;
	struct json_value root;
};

/* Open-addressing set of an object's members, keyed by member name. */
struct keyset {
	const struct json_value **slot;
	size_t cap;             /* power of two; 0 while the object is small */
	size_t used;
};

#if defined(__GNUC__)
#define JSON_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define JSON_PRINTF(f, a)
#endif

static struct json_value *parse_value(struct parser *p, int depth);

/* ---- arena --------------------------------------------------------------- */

/*
 * Zeroed, ALIGN-aligned memory of n bytes that lives until the arena is
 * freed.  Returns NULL when malloc fails (the caller reports it).
 */
static void *
arena_alloc(struct parser *p, size_t n)
{
	struct block *b = p->arena;
	size_t hdr = (sizeof(struct block) + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	char *mem;

	if (n > SIZE_MAX / 2)
		return NULL;
	n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (b == NULL || b->cap - b->used < n) {
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

/* ---- errors -------------------------------------------------------------- */

static int
col_of(const struct parser *p, size_t pos)
{
	return (int)(pos - p->line_start) + 1;
}

/*
 * Record the first error, at byte `pos` of the current line.  Later calls
 * are ignored so the innermost, earliest report wins.
 */
static void
fail_at(struct parser *p, size_t pos, const char *fmt, ...) JSON_PRINTF(3, 4);

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

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    is_digit(c) || c == '_';
}

/*
 * Describe what is at byte `pos` for an error message: "end of input",
 * "'x'", a bare word such as "'NaN'" (up to 16 characters, then "..."), or
 * "byte 0xNN" for anything unprintable.  Returns buf or a literal.
 */
static const char *
found_at(const struct parser *p, size_t pos, char *buf, size_t cap)
{
	unsigned char c;
	size_t n = 0;

	if (pos >= p->len)
		return "end of input";
	c = (unsigned char)p->s[pos];
	if (is_word_char((char)c)) {
		while (pos + n < p->len && n < 16 && is_word_char(p->s[pos + n]))
			n++;
		snprintf(buf, cap, "'%.*s%s'", (int)n, p->s + pos,
			pos + n < p->len && is_word_char(p->s[pos + n]) ?
			"..." : "");
	} else if (c >= 0x20 && c < 0x7f) {
		snprintf(buf, cap, "'%c'", c);
	} else {
		snprintf(buf, cap, "byte 0x%02x", c);
	}
	return buf;
}

/* ---- small helpers ------------------------------------------------------- */

static int
peek(const struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

/* Skip the four JSON whitespace bytes, counting lines at each '\n'. */
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

/* A zeroed node of type t positioned at the current byte, or NULL (reported). */
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

/* ---- strings ------------------------------------------------------------- */

size_t
json_utf8_len(const unsigned char *s, size_t n)
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
		return 0;       /* continuation byte, overlong C0/C1, F5..FF */
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
		return 0;       /* overlong, surrogate, beyond U+10FFFF */
	return need;
}

/* Four hex digits at s (the caller checked they are in bounds). */
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
 * Decode the escape at p->pos (a backslash) into out.  Returns the number of
 * bytes written, or 0 after reporting an error.  The caller knows a closing
 * quote follows, and a valid escape never runs past it (hex digits are not
 * quotes), so reads stay inside the string.
 */
static size_t
parse_escape(struct parser *p, char *out)
{
	size_t at = p->pos;
	char e = p->s[at + 1];
	unsigned u, lo;
	char fb[32];

	p->pos += 2;
	switch (e) {
	case '"': *out = '"'; return 1;
	case '\\': *out = '\\'; return 1;
	case '/': *out = '/'; return 1;
	case 'b': *out = '\b'; return 1;
	case 'f': *out = '\f'; return 1;
	case 'n': *out = '\n'; return 1;
	case 'r': *out = '\r'; return 1;
	case 't': *out = '\t'; return 1;
	case 'u':
		break;
	default:
		fail_at(p, at, "invalid escape: expected one of \\\" \\\\ \\/ "
			"\\b \\f \\n \\r \\t \\u after '\\', found %s",
			found_at(p, at + 1, fb, sizeof(fb)));
		return 0;
	}
	if (at + 6 > p->len || hex4(p->s + at + 2, &u) != 0) {
		fail_at(p, at, "invalid escape: expected 4 hex digits after "
			"\\u");
		return 0;
	}
	p->pos = at + 6;
	if (u >= 0xdc00 && u <= 0xdfff) {
		fail_at(p, at, "unpaired low surrogate \\u%04x: expected a high "
			"surrogate \\ud800-\\udbff before it", u);
		return 0;
	}
	if (u < 0xd800 || u > 0xdbff)
		return put_utf8(out, u);
	if (at + 12 > p->len || p->s[at + 6] != '\\' || p->s[at + 7] != 'u' ||
	    hex4(p->s + at + 8, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff) {
		fail_at(p, at, "unpaired high surrogate \\u%04x: expected a low "
			"surrogate \\udc00-\\udfff after it", u);
		return 0;
	}
	p->pos = at + 12;
	return put_utf8(out, 0x10000 + (((unsigned long)u - 0xd800) << 10) +
		(lo - 0xdc00));
}

/* How a control byte is written in a JSON string: "\\n", "\\u0001". */
static const char *
control_escape(unsigned char c, char *buf, size_t cap)
{
	switch (c) {
	case '\b': return "\\b";
	case '\f': return "\\f";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	}
	snprintf(buf, cap, "\\u%04x", c);
	return buf;
}

/*
 * Parse a string starting at its opening quote.  Returns a NUL-terminated
 * arena copy (decoded, valid UTF-8, possibly holding NUL bytes) with *len
 * set, or NULL after reporting an error.
 */
static char *
parse_string(struct parser *p, size_t *len)
{
	size_t open = p->pos, end, n = 0;
	char *out, esc[8];

	/* Find the closing quote; decoding never makes the text longer. */
	for (end = open + 1; end < p->len && p->s[end] != '"'; end++)
		if (p->s[end] == '\\')
			end++;
	if (end >= p->len) {
		fail_at(p, open, "unterminated string: expected a closing '\"' "
			"before the end of input");
		return NULL;
	}
	if ((out = arena_alloc(p, end - open)) == NULL) {
		fail_at(p, open, "out of memory");
		return NULL;
	}
	p->pos = open + 1;
	while (p->pos < end) {
		unsigned char c = (unsigned char)p->s[p->pos];
		size_t l;

		if (c == '\\') {
			if ((l = parse_escape(p, out + n)) == 0)
				return NULL;
			n += l;
			continue;
		}
		if (c < 0x20) {
			fail_at(p, p->pos, "unescaped control character 0x%02x "
				"in string: write it as %s%s", c,
				control_escape(c, esc, sizeof(esc)),
				c == '\n' ? " (or is a closing '\"' missing?)" :
				"");
			return NULL;
		}
		if ((l = json_utf8_len((const unsigned char *)p->s + p->pos,
		    end - p->pos)) == 0) {
			fail_at(p, p->pos, "invalid UTF-8 in string: byte 0x%02x "
				"does not start a valid sequence", c);
			return NULL;
		}
		memcpy(out + n, p->s + p->pos, l);
		n += l;
		p->pos += l;
	}
	p->pos = end + 1;
	out[n] = '\0';
	*len = n;
	return out;
}

/* ---- numbers ------------------------------------------------------------- */

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void
c_locale_init(void)
{
	c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/*
 * strtod in the "C" locale, so a plugin calling setlocale() cannot turn
 * "0.5" into 0.  Falls back to strtod if the locale object is unavailable.
 */
static double
c_strtod(const char *s, char **end)
{
	pthread_once(&c_locale_once, c_locale_init);
	if (c_locale != (locale_t)0)
		return strtod_l(s, end, c_locale);
	return strtod(s, end);
}

/*
 * The digits s[0..n) (optionally after '-') as an int64, if they fit.
 * Returns 1 and sets *out, or 0 on overflow.
 */
static int
to_int64(const char *s, size_t n, int64_t *out)
{
	uint64_t mag = 0, limit = (uint64_t)INT64_MAX;
	int neg = s[0] == '-';
	size_t i;

	if (neg)
		limit++;
	for (i = (size_t)neg; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (mag > (limit - d) / 10)
			return 0;
		mag = mag * 10 + d;
	}
	if (neg)
		*out = mag == limit ? INT64_MIN : -(int64_t)mag;
	else
		*out = (int64_t)mag;
	return 1;
}

/*
 * Parse a number at p->pos with the RFC 8259 grammar
 *   -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
 * checked here byte by byte (strtod alone would take "0x1", "inf", " 1"),
 * then converted with strtod.  An error points at the offending byte.
 */
static struct json_value *
parse_number(struct parser *p)
{
	size_t start = p->pos, i = start, n;
	struct json_value *v;
	char small[64], *buf = small, *end, fb[32];
	int integral = 1;

	if (i < p->len && p->s[i] == '-')
		i++;
	if (i >= p->len || !is_digit(p->s[i])) {
		fail_at(p, i, "invalid number: expected a digit after '-', "
			"found %s", found_at(p, i, fb, sizeof(fb)));
		return NULL;
	}
	if (p->s[i] == '0') {
		i++;
		if (i < p->len && is_digit(p->s[i])) {
			fail_at(p, i, "invalid number: leading zero; expected "
				"'.', 'e' or the end of the number after '0', "
				"found '%c'", p->s[i]);
			return NULL;
		}
	} else {
		while (i < p->len && is_digit(p->s[i]))
			i++;
	}
	if (i < p->len && p->s[i] == '.') {
		integral = 0;
		i++;
		if (i >= p->len || !is_digit(p->s[i])) {
			fail_at(p, i, "invalid number: expected a digit after "
				"'.', found %s", found_at(p, i, fb, sizeof(fb)));
			return NULL;
		}
		while (i < p->len && is_digit(p->s[i]))
			i++;
	}
	if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
		integral = 0;
		i++;
		if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
			i++;
		if (i >= p->len || !is_digit(p->s[i])) {
			fail_at(p, i, "invalid number: expected a digit in the "
				"exponent, found %s", found_at(p, i, fb,
				sizeof(fb)));
			return NULL;
		}
		while (i < p->len && is_digit(p->s[i]))
			i++;
	}
	n = i - start;
	if ((v = new_value(p, JSON_NUMBER)) == NULL)
		return NULL;
	/* The text is not NUL-terminated: convert a copy. */
	if (n >= sizeof(small) && (buf = malloc(n + 1)) == NULL) {
		fail_at(p, start, "out of memory");
		return NULL;
	}
	memcpy(buf, p->s + start, n);
	buf[n] = '\0';
	v->num = c_strtod(buf, &end);
	if (end != buf + n || !isfinite(v->num)) {
		fail_at(p, start, "number %.24s%s is out of range for a double",
			buf, n > 24 ? "..." : "");
		goto fail;
	}
	if (integral && to_int64(buf, n, &v->i))
		v->is_int = 1;
	if (buf != small)
		free(buf);
	p->pos = i;
	return v;
fail:
	if (buf != small)
		free(buf);
	return NULL;
}

/* ---- duplicate keys ------------------------------------------------------ */

static size_t
key_hash(const char *k, size_t seed)
{
	uint64_t h = 14695981039346656037ull ^ (uint64_t)seed;

	while (*k != '\0') {
		h ^= (unsigned char)*k++;
		h *= 1099511628211ull;
	}
	return (size_t)(h ^ (h >> 29));
}

/* Insert m into a set with room (cap > 2 * used). */
static void
keyset_put(struct keyset *ks, const struct json_value *m, size_t seed)
{
	size_t i = key_hash(m->key, seed) & (ks->cap - 1);

	while (ks->slot[i] != NULL)
		i = (i + 1) & (ks->cap - 1);
	ks->slot[i] = m;
	ks->used++;
}

/*
 * Make room for one more member of obj: build the set when obj reaches
 * KEYSET_MIN members, double it when half full.  Returns 0 or -1 (no
 * memory; the set is unchanged).
 */
static int
keyset_grow(struct keyset *ks, const struct json_value *obj, size_t seed)
{
	struct keyset nk;
	const struct json_value *m;
	size_t i;

	if (obj->n + 1 < KEYSET_MIN || (ks->cap != 0 &&
	    2 * (ks->used + 1) <= ks->cap))
		return 0;
	nk.cap = ks->cap != 0 ? ks->cap * 2 : 4 * KEYSET_MIN;
	nk.used = 0;
	if ((nk.slot = calloc(nk.cap, sizeof(*nk.slot))) == NULL)
		return -1;
	if (ks->cap == 0) {
		for (m = obj->child; m != NULL; m = m->next)
			keyset_put(&nk, m, seed);
	} else {
		for (i = 0; i < ks->cap; i++)
			if (ks->slot[i] != NULL)
				keyset_put(&nk, ks->slot[i], seed);
	}
	free(ks->slot);
	*ks = nk;
	return 0;
}

/* The member of obj named key, or NULL. */
static const struct json_value *
keyset_find(const struct keyset *ks, const struct json_value *obj,
	const char *key, size_t seed)
{
	const struct json_value *m;
	size_t i;

	if (ks->cap == 0) {
		for (m = obj->child; m != NULL; m = m->next)
			if (strcmp(m->key, key) == 0)
				return m;
		return NULL;
	}
	for (i = key_hash(key, seed) & (ks->cap - 1); ks->slot[i] != NULL;
	    i = (i + 1) & (ks->cap - 1))
		if (strcmp(ks->slot[i]->key, key) == 0)
			return ks->slot[i];
	return NULL;
}

/*
 * Write key into out as the inside of a JSON string: '"' and '\\' escaped,
 * control bytes as \u00XX, cut at a UTF-8 boundary with "..." when it does
 * not fit in cap (which must be at least 4).  Returns out.
 */
static char *
quote_key(const char *key, char *out, size_t cap)
{
	size_t n = 0;
	const unsigned char *k = (const unsigned char *)key;

	for (; *k != '\0'; k++) {
		char esc[8];
		size_t l;

		if (*k == '"' || *k == '\\')
			l = (size_t)snprintf(esc, sizeof(esc), "\\%c", *k);
		else if (*k < 0x20)
			l = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", *k);
		else
			l = (size_t)snprintf(esc, sizeof(esc), "%c", *k);
		if (n + l + 4 > cap) {
			/* Never leave half a UTF-8 sequence before "...". */
			if ((*k & 0xc0) == 0x80) {
				while (n > 0 &&
				    ((unsigned char)out[n - 1] & 0xc0) == 0x80)
					n--;
				if (n > 0)
					n--;
			}
			memcpy(out + n, "...", 4);
			return out;
		}
		memcpy(out + n, esc, l);
		n += l;
	}
	out[n] = '\0';
	return out;
}

/* ---- containers ---------------------------------------------------------- */

/*
 * Parse the array at p->pos ('[') whose elements sit at nesting `depth`.
 * Returns the node or NULL after reporting an error.
 */
static struct json_value *
parse_array(struct parser *p, int depth)
{
	struct json_value *v, *last = NULL, *e;
	char fb[32];

	if ((v = new_value(p, JSON_ARRAY)) == NULL)
		return NULL;
	p->pos++;
	skip_ws(p);
	if (peek(p) == ']') {
		p->pos++;
		return v;
	}
	for (;;) {
		skip_ws(p);
		if (peek(p) == ']') {
			fail_at(p, p->pos, "expected a value after ',', found "
				"']' (trailing comma?)");
			return NULL;
		}
		if ((e = parse_value(p, depth)) == NULL)
			return NULL;
		append_child(v, e, &last);
		skip_ws(p);
		if (peek(p) == ',') {
			p->pos++;
			continue;
		}
		if (peek(p) == ']') {
			p->pos++;
			return v;
		}
		fail_at(p, p->pos, "expected ',' or ']' after array element, "
			"found %s", found_at(p, p->pos, fb, sizeof(fb)));
		return NULL;
	}
}

/*
 * Parse the object at p->pos ('{') whose members sit at nesting `depth`.
 * Returns the node or NULL after reporting an error; a repeated member name
 * is reported at the second occurrence.
 */
static struct json_value *
parse_object(struct parser *p, int depth)
{
	struct json_value *v, *last = NULL, *m;
	struct keyset ks = { NULL, 0, 0 };
	char fb[32], qk[112];

	if ((v = new_value(p, JSON_OBJECT)) == NULL)
		return NULL;
	p->pos++;
	skip_ws(p);
	if (peek(p) == '}') {
		p->pos++;
		return v;
	}
	for (;;) {
		int kline, kcol;
		size_t kpos, klen;
		char *key;

		skip_ws(p);
		if (peek(p) != '"') {
			fail_at(p, p->pos, "expected a member name in double "
				"quotes, found %s%s",
				found_at(p, p->pos, fb, sizeof(fb)),
				peek(p) == '}' ? " (trailing comma?)" : "");
			goto fail;
		}
		kline = p->line;
		kpos = p->pos;
		kcol = col_of(p, kpos);
		if ((key = parse_string(p, &klen)) == NULL)
			goto fail;
		if (strlen(key) != klen) {
			fail_at(p, kpos, "member name contains \\u0000");
			goto fail;
		}
		if (keyset_find(&ks, v, key, p->seed) != NULL) {
			fail_at(p, kpos, "duplicate key \"%s\"",
				quote_key(key, qk, sizeof(qk)));
			goto fail;
		}
		skip_ws(p);
		if (peek(p) != ':') {
			fail_at(p, p->pos, "expected ':' after member name, "
				"found %s", found_at(p, p->pos, fb, sizeof(fb)));
			goto fail;
		}
		p->pos++;
		skip_ws(p);
		if (keyset_grow(&ks, v, p->seed) != 0) {
			fail_at(p, kpos, "out of memory");
			goto fail;
		}
		if ((m = parse_value(p, depth)) == NULL)
			goto fail;
		m->key = key;
		m->key_line = kline;
		m->key_col = kcol;
		append_child(v, m, &last);
		if (ks.cap != 0)
			keyset_put(&ks, m, p->seed);
		skip_ws(p);
		if (peek(p) == ',') {
			p->pos++;
			continue;
		}
		if (peek(p) == '}') {
			p->pos++;
			break;
		}
		fail_at(p, p->pos, "expected ',' or '}' after object member, "
			"found %s", found_at(p, p->pos, fb, sizeof(fb)));
		goto fail;
	}
	free(ks.slot);
	return v;
fail:
	free(ks.slot);
	return NULL;
}

/*
 * Parse one value (after optional whitespace) inside `depth` enclosing
 * containers.  Returns the node or NULL after reporting an error.
 */
static struct json_value *
parse_value(struct parser *p, int depth)
{
	struct json_value *v;
	char fb[32];
	int c;

	skip_ws(p);
	switch ((c = peek(p))) {
	case '{':
	case '[':
		if (depth >= MAX_DEPTH) {
			fail_at(p, p->pos, "nesting deeper than %d levels",
				MAX_DEPTH);
			return NULL;
		}
		return c == '{' ? parse_object(p, depth + 1) :
			parse_array(p, depth + 1);
	case '"':
		if ((v = new_value(p, JSON_STRING)) == NULL)
			return NULL;
		v->str = parse_string(p, &v->len);
		return v->str != NULL ? v : NULL;
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return parse_number(p);
	case 't':
	case 'f':
	case 'n':
		if ((v = new_value(p, JSON_NULL)) == NULL)
			return NULL;
		if (p->len - p->pos >= 4 && memcmp(p->s + p->pos, "true",
		    4) == 0) {
			v->type = JSON_BOOL;
			v->boolean = 1;
			p->pos += 4;
			return v;
		}
		if (p->len - p->pos >= 5 && memcmp(p->s + p->pos, "false",
		    5) == 0) {
			v->type = JSON_BOOL;
			p->pos += 5;
			return v;
		}
		if (p->len - p->pos >= 4 && memcmp(p->s + p->pos, "null",
		    4) == 0) {
			p->pos += 4;
			return v;
		}
		break;
	default:
		break;
	}
	fail_at(p, p->pos, "expected a value, found %s",
		found_at(p, p->pos, fb, sizeof(fb)));
	return NULL;
}

/* ---- public -------------------------------------------------------------- */

struct json_value *
json_parse(const char *text, size_t len, struct json_error *err)
{
	struct parser p;
	struct json_error dummy;
	struct json_value *root, *c;
	struct doc *d;
	char fb[32];

	memset(&p, 0, sizeof(p));
	p.s = text;
	p.len = len;
	p.line = 1;
	p.err = err != NULL ? err : &dummy;
	p.seed = (size_t)(uintptr_t)&p;  /* varies with ASLR */
	memset(p.err, 0, sizeof(*p.err));
	if (len > MAX_DOC) {
		fail_at(&p, 0, "document is %zu bytes; the limit is %u (16 MiB)",
			len, MAX_DOC);
		return NULL;
	}
	if ((d = arena_alloc(&p, sizeof(*d))) == NULL) {
		fail_at(&p, 0, "out of memory");
		return NULL;
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		fail_at(&p, 0, "byte order mark at start of input: save the "
			"file as UTF-8 without BOM");
		goto fail;
	}
	if ((root = parse_value(&p, 0)) == NULL)
		goto fail;
	skip_ws(&p);
	if (p.pos < p.len) {
		fail_at(&p, p.pos, "expected end of input after the value, "
			"found %s", found_at(&p, p.pos, fb, sizeof(fb)));
		goto fail;
	}
	/* Move the root into the header so json_free() can find the arena. */
	d->root = *root;
	for (c = d->root.child; c != NULL; c = c->next)
		c->parent = &d->root;
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
	d = (struct doc *)(void *)((char *)v - offsetof(struct doc, root));
	arena_free(d->arena);
}

const struct json_value *
json_get(const struct json_value *obj, const char *key)
{
	const struct json_value *m;

	if (obj == NULL || obj->type != JSON_OBJECT || key == NULL)
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

/* [A-Za-z_][A-Za-z0-9_]*: printable after a '.' in a path. */
static int
is_ident(const char *s)
{
	size_t i;

	if (!is_word_char(s[0]) || is_digit(s[0]))
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (!is_word_char(s[i]))
			return 0;
	return 1;
}

/*
 * Walk up from v to the root, then print the steps root-first: ".key" for
 * identifier keys, ["key"] (escaped) for the others, [i] for array indexes.
 * Output that does not fit is cut at cap - 1 bytes.
 */
char *
json_path(const struct json_value *v, char *buf, size_t cap)
{
	const struct json_value *chain[MAX_DEPTH + 2];
	size_t depth = 0, used, i;

	if (cap == 0)
		return buf;
	while (v != NULL && depth < sizeof(chain) / sizeof(chain[0])) {
		chain[depth++] = v;
		v = v->parent;
	}
	used = (size_t)snprintf(buf, cap, "$");
	for (i = depth; i-- > 1 && used < cap;) {
		const struct json_value *c = chain[i - 1], *par = chain[i], *s;
		char qk[256];
		size_t idx = 0;
		int w;

		if (par->type == JSON_OBJECT && c->key != NULL) {
			if (is_ident(c->key))
				w = snprintf(buf + used, cap - used, ".%s",
					c->key);
			else
				w = snprintf(buf + used, cap - used, "[\"%s\"]",
					quote_key(c->key, qk, sizeof(qk)));
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

char *
json_fmt_double(char *buf, size_t cap, double v)
{
	int digits;

	for (digits = 15; digits < 17; digits++) {
		snprintf(buf, cap, "%.*g", digits, v);
		if (c_strtod(buf, NULL) == v)
			return buf;
	}
	snprintf(buf, cap, "%.17g", v);
	return buf;
}
