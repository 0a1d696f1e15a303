/*
 * symbol.c -- open-addressing hash of canonical symbol names.
 */
#include <stdlib.h>
#include <string.h>

#include "market/symbol.h"

#define MAX_SYMBOL 31

static char **names;        /* names[id], id >= 1 */
static uint32_t n_names;    /* highest id */
static uint32_t cap_names;
static uint32_t *slots;     /* hash slot -> id, 0 = empty */
static uint32_t n_slots;

int
symbol_valid(const char *s)
{
	const char *slash, *p;

	if (s == NULL || (slash = strchr(s, '/')) == NULL || slash == s ||
	    slash[1] == '\0' || strchr(slash + 1, '/') != NULL ||
	    strlen(s) > MAX_SYMBOL)
		return 0;
	for (p = s; *p; p++)
		if (p != slash && !((*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9')))
			return 0;
	return 1;
}

static uint32_t
hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static uint32_t *
find_slot(const char *name)
{
	uint32_t i;

	if (n_slots == 0)
		return NULL;
	for (i = hash(name) & (n_slots - 1);; i = (i + 1) & (n_slots - 1))
		if (slots[i] == 0 || strcmp(names[slots[i]], name) == 0)
			return &slots[i];
}

static int
grow(void)
{
	uint32_t ns = n_slots ? n_slots * 2 : 64, i;
	uint32_t *s = calloc(ns, sizeof(*s));

	if (s == NULL)
		return -1;
	for (i = 0; i < n_slots; i++) {
		uint32_t j;

		if (slots[i] == 0)
			continue;
		for (j = hash(names[slots[i]]) & (ns - 1); s[j];
		     j = (j + 1) & (ns - 1))
			;
		s[j] = slots[i];
	}
	free(slots);
	slots = s;
	n_slots = ns;
	return 0;
}

qd_symbol
symbol_lookup(const char *name)
{
	uint32_t *slot;

	if (name == NULL || (slot = find_slot(name)) == NULL)
		return 0;
	return *slot;
}

qd_symbol
symbol_intern(const char *name)
{
	uint32_t *slot;
	char *copy;

	if (!symbol_valid(name))
		return 0;
	if ((slot = find_slot(name)) != NULL && *slot != 0)
		return *slot;
	if ((n_names + 2) * 2 > n_slots && grow() != 0)
		return 0;
	if (n_names + 1 >= cap_names) {
		uint32_t cap = cap_names ? cap_names * 2 : 64;
		char **nn = realloc(names, cap * sizeof(*nn));

		if (nn == NULL)
			return 0;
		names = nn;
		cap_names = cap;
	}
	if ((copy = strdup(name)) == NULL)
		return 0;
	names[++n_names] = copy;
	slot = find_slot(name);
	*slot = n_names;
	return n_names;
}

const char *
symbol_name(qd_symbol id)
{
	return id >= 1 && id <= n_names ? names[id] : NULL;
}
