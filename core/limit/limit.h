/*
 * limit -- plans and rate limits: a user's plan and its limits as the
 * store holds them, and a token-bucket limiter keyed by text (an API key
 * id, "user:42", "login:ip:10.0.0.1", ...) that the HTTP middleware and
 * login throttling call.
 *
 * A bucket of a rate "n per window" holds at most n tokens and refills
 * continuously at n / window; a request takes one token, so n requests
 * pass at once and then one every window / n.  When the bucket is empty
 * the answer is the whole seconds to wait for the next token (the HTTP
 * Retry-After).  Memory is bounded: at most `max_keys` buckets are kept;
 * when full, a bucket that has refilled completely (it remembers nothing a
 * fresh one would not) or else the least recently used one is dropped.
 * A limiter is safe to share between threads.
 */
#ifndef QD_LIMIT_H
#define QD_LIMIT_H

#include <stddef.h>
#include <stdint.h>

struct store;

/** A plan's limits (a copy of the store's row; -1 is unlimited). */
struct plan_limits {
	char name[32];             /**< "free", "pro", "enterprise" */
	int64_t symbols;           /**< symbols followed, or -1 */
	char strategies[8];        /**< "basic", "all" or "custom" */
	int64_t push_delay_ms;     /**< WebSocket push delay (free: 5000) */
	uint32_t api_per_min;      /**< REST requests per minute */
	int webhooks;              /**< 1: webhooks allowed (enterprise) */
};

/** The limits of plan `name` from the store; QD_ERR_NOTFOUND when no
 *  such plan. */
int plan_limits_load(struct store *s, const char *name,
	struct plan_limits *out);

struct limiter;

/** A limiter keeping at most max_keys buckets (>= 1). */
int limiter_new(size_t max_keys, struct limiter **out);
void limiter_free(struct limiter *l);

/** Longest key (bytes, without the NUL); a longer key is refused. */
#define LIMIT_KEY_MAX 95

/**
 * Take one token from the bucket of `key` (rate: n per window_ms; n >= 1).
 * Returns 1 when allowed, 0 when refused with *retry_after_s (>= 1) set to
 * the seconds until a token is back.  A key's first request finds a full
 * bucket.
 */
int limiter_take(struct limiter *l, const char *key, uint32_t n,
	int64_t window_ms, int64_t now_ms, int *retry_after_s);
/** As limiter_take() but takes nothing: would a request pass now? */
int limiter_peek(struct limiter *l, const char *key, uint32_t n,
	int64_t window_ms, int64_t now_ms, int *retry_after_s);
/** Forget the bucket of `key` (it is full again). */
void limiter_reset(struct limiter *l, const char *key);
/** Buckets kept now. */
size_t limiter_size(struct limiter *l);

#endif
