/*
 * semver.c -- semantic versions (semver.org 2.0) and requirement constraints.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/plugin.h"

/* Parse a decimal component with no leading zero; advance *s. 0 or -1. */
static int
parse_num(const char **s, uint32_t *out)
{
	const char *p = *s;
	unsigned long v = 0;

	if (!isdigit((unsigned char)*p))
		return -1;
	if (*p == '0' && isdigit((unsigned char)p[1]))
		return -1;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > UINT32_MAX)
			return -1;
		p++;
	}
	*out = (uint32_t)v;
	*s = p;
	return 0;
}

/* Identifiers after '-' or '+': dot-separated [0-9A-Za-z-]+.  0 or -1. */
static int
parse_idents(const char **s, int numeric_no_leading_zero)
{
	const char *p = *s;

	for (;;) {
		const char *start = p;
		int all_digits = 1;

		while (isalnum((unsigned char)*p) || *p == '-') {
			if (!isdigit((unsigned char)*p))
				all_digits = 0;
			p++;
		}
		if (p == start)
			return -1;
		if (numeric_no_leading_zero && all_digits && *start == '0' &&
		    p - start > 1)
			return -1;
		if (*p != '.')
			break;
		p++;
	}
	*s = p;
	return 0;
}

int
semver_parse(const char *s, struct semver *out)
{
	const char *p = s, *pre;

	if (s == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	if (parse_num(&p, &out->major) || *p++ != '.' ||
	    parse_num(&p, &out->minor) || *p++ != '.' ||
	    parse_num(&p, &out->patch))
		return -1;
	if (*p == '-') {
		pre = ++p;
		if (parse_idents(&p, 1))
			return -1;
		if ((size_t)(p - pre) >= sizeof(out->pre))
			return -1;
		memcpy(out->pre, pre, (size_t)(p - pre));
		out->pre[p - pre] = '\0';
	}
	if (*p == '+') {
		p++;
		if (parse_idents(&p, 0))
			return -1;
	}
	return *p == '\0' ? 0 : -1;
}

/* Compare pre-release strings by semver rules ("" ranks highest). */
static int
pre_cmp(const char *a, const char *b)
{
	if (*a == '\0' || *b == '\0')
		return (*a == '\0') - (*b == '\0');
	while (*a && *b) {
		size_t la = strcspn(a, "."), lb = strcspn(b, ".");
		int na = strspn(a, "0123456789") == la;
		int nb = strspn(b, "0123456789") == lb;
		int c;

		if (na && nb) {
			c = la != lb ? (la < lb ? -1 : 1) : strncmp(a, b, la);
		} else if (na || nb) {
			c = na ? -1 : 1;
		} else {
			c = strncmp(a, b, la < lb ? la : lb);
			if (c == 0 && la != lb)
				c = la < lb ? -1 : 1;
		}
		if (c != 0)
			return c < 0 ? -1 : 1;
		a += la + (a[la] == '.');
		b += lb + (b[lb] == '.');
	}
	return (*a != '\0') - (*b != '\0');
}

int
semver_cmp(const struct semver *a, const struct semver *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	return pre_cmp(a->pre, b->pre);
}

/* Parse a possibly partial version "1", "1.2", "1.2.3[-pre]". 0 or -1. */
static int
parse_partial(const char *s, size_t len, struct semver *out)
{
	char buf[64];
	int dots = 0;
	size_t i;

	if (len == 0 || len >= sizeof(buf) - 4)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	for (i = 0; i < len && buf[i] != '-' && buf[i] != '+'; i++)
		dots += buf[i] == '.';
	if (dots < 2 && i == len) {
		strcat(buf, dots == 0 ? ".0.0" : ".0");
	}
	return semver_parse(buf, out);
}

int
semver_satisfies(const char *version, const char *constraints)
{
	struct semver v;
	const char *p = constraints;
	int ok = 1;

	if (semver_parse(version, &v) != 0)
		return -1;
	if (constraints == NULL || *constraints == '\0')
		return 1;
	while (*p) {
		struct semver c;
		char op[3] = "";
		size_t len;
		int cmp;

		while (*p == ' ')
			p++;
		if (strchr("<>=!", *p)) {
			op[0] = *p++;
			if (*p == '=')
				op[1] = *p++;
		} else {
			op[0] = '=';
		}
		while (*p == ' ')
			p++;
		len = strcspn(p, ", ");
		if (parse_partial(p, len, &c) != 0)
			return -1;
		p += len;
		while (*p == ' ')
			p++;
		if (*p == ',')
			p++;
		else if (*p != '\0')
			return -1;
		cmp = semver_cmp(&v, &c);
		if (strcmp(op, ">=") == 0)
			ok &= cmp >= 0;
		else if (strcmp(op, ">") == 0)
			ok &= cmp > 0;
		else if (strcmp(op, "<=") == 0)
			ok &= cmp <= 0;
		else if (strcmp(op, "<") == 0)
			ok &= cmp < 0;
		else if (strcmp(op, "=") == 0 || strcmp(op, "==") == 0)
			ok &= cmp == 0;
		else if (strcmp(op, "!=") == 0)
			ok &= cmp != 0;
		else
			return -1;
	}
	return ok;
}
