/*
 * router.c -- the API's pure parts: methods, percent-decoding, UTF-8
 * validation and matching a path against the route table.  No state, no
 * allocation: the fuzz target drives them with arbitrary bytes.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"

static const char *const method_names[API_METHOD_COUNT] = {
	[API_GET] = "GET", [API_HEAD] = "HEAD", [API_POST] = "POST",
	[API_PUT] = "PUT", [API_PATCH] = "PATCH", [API_DELETE] = "DELETE",
	[API_OPTIONS] = "OPTIONS",
};

const char *
api_method_name(enum api_method m)
{
	return (unsigned)m < API_METHOD_COUNT ? method_names[m] : "?";
}

int
api_method_parse(const char *name)
{
	for (int m = 0; m < API_METHOD_COUNT; m++)
		if (strcmp(name, method_names[m]) == 0)
			return m;
	return -1;
}

int
api_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned c = *p;
		size_t n;
		unsigned cp;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;   /* continuation byte, 0xc0/0xc1, > 0xf4 */
		}
		if ((size_t)(end - p) <= n)
			return 0;
		for (size_t i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		/* Overlong forms, surrogates, beyond U+10FFFF. */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		p += n + 1;
	}
	return 1;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long
api_url_decode(const char *in, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)in[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= len || (hi = hexval(in[i + 1])) < 0 ||
			    (lo = hexval(in[i + 2])) < 0)
				return -1;
			c = hi << 4 | lo;
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c == 0 || o + 1 >= cap)
			return -1;
		out[o++] = (char)c;
	}
	if (cap == 0)
		return -1;
	out[o] = '\0';
	return api_utf8_valid(out, o) ? (long)o : -1;
}

/* The next segment of `p` (after its '/'), its length in *n. */
static const char *
segment(const char *p, size_t *n)
{
	const char *e;

	if (*p == '/')
		p++;
	e = strchr(p, '/');
	*n = e ? (size_t)(e - p) : strlen(p);
	return p;
}

/* Does `path` fit `pattern`?  Parameters are written to buf when params is
 * not NULL.  -1: out of room. */
static int
fits(const char *pattern, const char *path, struct api_kv *params,
	size_t *n_params, char *buf, size_t cap)
{
	const char *pp = pattern, *qp = path;
	size_t used = 0, np = 0;

	for (;;) {
		size_t pn, qn;
		const char *ps, *qs;

		if (*pp == '\0' || *qp == '\0')
			break;
		ps = segment(pp, &pn);
		qs = segment(qp, &qn);
		if (pn >= 2 && ps[0] == '{' && ps[pn - 1] == '}') {
			if (qn == 0)
				return 0;
			if (params != NULL) {
				size_t kn = pn - 2;

				if (np == API_MAX_PARAMS ||
				    used + kn + 1 + qn + 1 > cap)
					return -1;
				memcpy(buf + used, ps + 1, kn);
				buf[used + kn] = '\0';
				params[np].key = buf + used;
				used += kn + 1;
				memcpy(buf + used, qs, qn);
				buf[used + qn] = '\0';
				params[np].value = buf + used;
				used += qn + 1;
				np++;
			}
		} else if (pn != qn || memcmp(ps, qs, pn) != 0) {
			return 0;
		}
		pp = ps + pn;
		qp = qs + qn;
	}
	if (*pp != '\0' || *qp != '\0')
		return 0;
	if (n_params != NULL)
		*n_params = np;
	return 1;
}

enum api_match
api_route_match(const struct api_route *routes, enum api_method method,
	const char *path, int *route, struct api_kv *params, size_t *n_params,
	char *buf, size_t cap, unsigned *allow)
{
	unsigned methods = 0;
	size_t len = strlen(path);

	if (allow != NULL)
		*allow = 0;
	/* Absolute, no empty segment except a lone "/", no dot segments. */
	if (path[0] != '/' || strstr(path, "//") != NULL ||
	    (len > 1 && path[len - 1] == '/'))
		return API_MATCH_BAD;
	for (const char *s = path; (s = strchr(s, '/')) != NULL; s++)
		if ((s[1] == '.' && (s[2] == '/' || s[2] == '\0')) ||
		    (s[1] == '.' && s[2] == '.' && (s[3] == '/' ||
		    s[3] == '\0')))
			return API_MATCH_BAD;
	for (int i = 0; routes[i].pattern != NULL; i++) {
		int f = fits(routes[i].pattern, path, NULL, NULL, NULL, 0);

		if (f <= 0)
			continue;
		methods |= 1u << routes[i].method;
		if (routes[i].method != method &&
		    !(method == API_HEAD && routes[i].method == API_GET))
			continue;
		if (fits(routes[i].pattern, path, params, n_params, buf,
		    cap) < 0)
			return API_MATCH_BAD;
		*route = i;
		if (allow != NULL)
			*allow = methods;
		return API_MATCH_OK;
	}
	if (allow != NULL)
		*allow = methods;
	return methods ? API_MATCH_METHOD : API_MATCH_NONE;
}
