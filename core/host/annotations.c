/*
 * annotations.c -- a bounded log of a strategy's chart annotations (see
 * annotations.h).
 */
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#include "host/annotations.h"

void
ann_log_init(struct ann_log *l, size_t cap, size_t max_bytes)
{
	memset(l, 0, sizeof(*l));
	l->cap = cap;
	l->max_bytes = max_bytes;
}

static size_t
entry_bytes(const struct ann_entry *e)
{
	return strlen(e->kind) + strlen(e->json);
}

/* Drop the oldest entry. */
static void
drop_oldest(struct ann_log *l)
{
	struct ann_entry *e = &l->v[l->head];

	l->bytes -= entry_bytes(e);
	free(e->kind);
	free(e->json);
	memset(e, 0, sizeof(*e));
	l->head = (l->head + 1) % l->cap;
	l->n--;
}

void
ann_log_clear(struct ann_log *l)
{
	while (l->n > 0)
		drop_oldest(l);
	free(l->v);
	ann_log_init(l, l->cap, l->max_bytes);
}

int
ann_log_add(struct ann_log *l, uint64_t seq, int64_t ts_ms,
	const char *kind, const char *json)
{
	size_t len = strlen(kind) + strlen(json);
	struct ann_entry e;

	if (l->cap == 0 || len > l->max_bytes)
		return QD_ERR_INVALID;
	/* The ring is allocated at the first annotation: most instances
	 * never annotate. */
	if (l->v == NULL && (l->v = calloc(l->cap, sizeof(*l->v))) == NULL)
		return QD_ERR_NOMEM;
	e.seq = seq;
	e.ts_ms = ts_ms;
	e.kind = strdup(kind);
	e.json = strdup(json);
	if (e.kind == NULL || e.json == NULL) {
		free(e.kind);
		free(e.json);
		return QD_ERR_NOMEM;
	}
	while (l->n > 0 && (l->n == l->cap || l->bytes + len > l->max_bytes))
		drop_oldest(l);
	l->v[(l->head + l->n) % l->cap] = e;
	l->n++;
	l->bytes += len;
	return QD_OK;
}

size_t
ann_log_since(const struct ann_log *l, uint64_t after, size_t limit,
	void (*fn)(void *arg, const struct ann_entry *e), void *arg, int *more)
{
	size_t lo = 0, hi = l->n, got = 0;

	/* Sequence numbers grow along the ring: find the first after
	 * `after` by bisection. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->v[(l->head + mid) % l->cap].seq <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < l->n && got < limit; lo++, got++)
		fn(arg, &l->v[(l->head + lo) % l->cap]);
	*more = lo < l->n;
	return got;
}
