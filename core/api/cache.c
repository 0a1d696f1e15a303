/*
 * cache.c -- answers kept for the net thread (see api.h): immutable pages
 * under the keys of the requests they answer, put and cleared by the core
 * thread, read by the net thread (and the core) under one mutex held for
 * a lookup and a reference count, never while bytes are copied or sent.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>
#include <quantd/sdk.h>

#include "api/api.h"
#include "api/internal.h"
#include "loop/loop.h"
#include "metrics/metrics.h"

void
api_cache_init(struct api *a)
{
	pthread_mutex_init(&a->cache_mu, NULL);
}

void
api_page_unref(struct api_page *p)
{
	if (p != NULL && atomic_fetch_sub(&p->refs, 1) == 1)
		free(p);
}

/* Drop slot `e`'s entry (cache_mu held). */
static void
slot_clear(struct api_cached *e)
{
	free(e->key);
	api_page_unref(e->page);
	memset(e, 0, sizeof(*e));
}

void
api_cache_free(struct api *a)
{
	for (size_t i = 0; i < API_CACHE_SLOTS; i++)
		slot_clear(&a->cache[i]);
	pthread_mutex_destroy(&a->cache_mu);
}

/* The live entry of `key` (cache_mu held), or NULL; a dead one is
 * dropped on the way. */
static struct api_cached *
lookup(struct api *a, const char *key, int64_t now)
{
	for (size_t i = 0; i < API_CACHE_SLOTS; i++) {
		struct api_cached *e = &a->cache[i];

		if (e->key == NULL || strcmp(e->key, key) != 0)
			continue;
		if (now < e->until_ns)
			return e;
		slot_clear(e);
	}
	return NULL;
}

/* A reference to the live page of `key`, or NULL. */
struct api_page *
api_cache_find(struct api *a, const char *key)
{
	struct api_cached *e;
	struct api_page *p = NULL;

	pthread_mutex_lock(&a->cache_mu);
	if ((e = lookup(a, key, loop_now_ns())) != NULL) {
		p = e->page;
		atomic_fetch_add(&p->refs, 1);
	}
	pthread_mutex_unlock(&a->cache_mu);
	return p;
}

int
api_cache_put(struct api *a, const char *key, const char *body, size_t len,
	int64_t ttl_ms)
{
	struct api_page *p;
	struct api_cached *e;
	char *k;

	if (len > API_CACHE_BODY_MAX)
		return QD_ERR_LIMIT;
	p = malloc(sizeof(*p) + API_PAGE_HEAD + len + 1);
	k = strdup(key);
	if (p == NULL || k == NULL) {
		free(p);
		free(k);
		return QD_ERR_NOMEM;
	}
	atomic_init(&p->refs, 1);
	p->len = len;
	memcpy(API_PAGE_BODY(p), body, len);
	API_PAGE_BODY(p)[len] = '\0';
	pthread_mutex_lock(&a->cache_mu);
	if ((e = lookup(a, key, loop_now_ns())) == NULL)
		e = &a->cache[a->cache_next++ % API_CACHE_SLOTS];
	slot_clear(e);
	e->key = k;
	e->page = p;
	e->until_ns = loop_now_ns() + ttl_ms * 1000000;
	pthread_mutex_unlock(&a->cache_mu);
	return QD_OK;
}

void
api_cache_clear(struct api *a)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->cache_mu);
	for (size_t i = 0; i < API_CACHE_SLOTS; i++)
		slot_clear(&a->cache[i]);
	pthread_mutex_unlock(&a->cache_mu);
}

int
api_cache_respond(struct api_request *req, const char *key)
{
	struct api_page *p = api_cache_find(req->api, key);

	if (p == NULL)
		return 0;
	metrics_counter_add(req->api->m_cached[1], 1);
	api_respond_page(req, p);
	return 1;
}
