/*
 * annotations.h -- what a strategy instance attached to its chart
 * (api->annotate), kept for the dashboard: the newest of them, in order,
 * each with a sequence number the host gives (one counter for all
 * instances, so a reader resumes after the last one it saw).
 *
 * A log holds at most `cap` annotations and `max_bytes` of their kind and
 * JSON text; adding to a full log drops the oldest.  Not thread-safe: the
 * core thread owns it.
 */
#ifndef QD_HOST_ANNOTATIONS_H
#define QD_HOST_ANNOTATIONS_H

#include <stddef.h>
#include <stdint.h>

/** One kept annotation; its strings are the log's. */
struct ann_entry {
	uint64_t seq;
	int64_t ts_ms;      /**< the bar being handled when it came (ms) */
	char *kind;         /**< "chan.stroke" */
	char *json;         /**< one JSON object, normalised */
};

struct ann_log {
	struct ann_entry *v;  /**< ring of cap entries */
	size_t cap, head, n;  /**< the oldest is v[head] */
	size_t bytes, max_bytes;
};

/** An empty log of at most `cap` entries and `max_bytes` of text. */
void ann_log_init(struct ann_log *l, size_t cap, size_t max_bytes);

/** Frees what the log holds; it is empty (and initialised) after. */
void ann_log_clear(struct ann_log *l);

/**
 * Appends a copy of (kind, json) as `seq` (greater than any before),
 * dropping the oldest entries it has no room for.  0, or QD_ERR_NOMEM
 * (the log is unchanged); QD_ERR_INVALID for text larger than max_bytes.
 */
int ann_log_add(struct ann_log *l, uint64_t seq, int64_t ts_ms,
	const char *kind, const char *json);

/**
 * Calls fn(arg, e) for the first `limit` entries whose seq is after
 * `after`, oldest first.  Returns how many it called fn for; *more is set
 * when entries after those remain.
 */
size_t ann_log_since(const struct ann_log *l, uint64_t after, size_t limit,
	void (*fn)(void *arg, const struct ann_entry *e), void *arg, int *more);

#endif
