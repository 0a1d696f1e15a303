/*
 * tail.c -- a bounded single-producer, single-consumer queue of log lines
 * (see log.h).
 *
 * The producers are serialised by the log's lock, so one index each side
 * is enough: `head` is only written by the producer, `tail` only by the
 * consumer, each published with release order and read with acquire.  A
 * slot is copied into before head moves past it and read before tail moves
 * past it, so the two sides never touch the same slot at once.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"

struct slot {
	enum qd_log_level level;
	size_t len;
	int cut;
	char *text;                /* line_max + 1 bytes */
};

struct log_tail {
	struct slot *slots;
	size_t n, line_max;
	char *buf;                 /* every slot's text */
	_Atomic size_t head;       /* lines pushed */
	_Atomic size_t tail;       /* lines drained */
	_Atomic uint64_t dropped;
};

struct log_tail *
log_tail_new(size_t slots, size_t line_max)
{
	struct log_tail *t;

	if (slots < 2)
		slots = 2;
	if (line_max < 64)
		line_max = 64;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->slots = calloc(slots, sizeof(*t->slots));
	t->buf = malloc(slots * (line_max + 1));
	if (t->slots == NULL || t->buf == NULL) {
		log_tail_free(t);
		return NULL;
	}
	t->n = slots;
	t->line_max = line_max;
	for (size_t i = 0; i < slots; i++)
		t->slots[i].text = t->buf + i * (line_max + 1);
	atomic_init(&t->head, 0);
	atomic_init(&t->tail, 0);
	atomic_init(&t->dropped, 0);
	return t;
}

void
log_tail_free(struct log_tail *t)
{
	if (t == NULL)
		return;
	free(t->buf);
	free(t->slots);
	free(t);
}

void
log_tail_push(void *arg, enum qd_log_level level, const char *line,
	size_t len)
{
	struct log_tail *t = arg;
	size_t h = atomic_load_explicit(&t->head, memory_order_relaxed);
	size_t tl = atomic_load_explicit(&t->tail, memory_order_acquire);
	struct slot *s;

	if (h - tl >= t->n) {
		atomic_fetch_add_explicit(&t->dropped, 1, memory_order_relaxed);
		return;
	}
	s = &t->slots[h % t->n];
	s->level = level;
	s->cut = len > t->line_max;
	if (s->cut) {
		len = t->line_max;
		/* not inside a UTF-8 sequence */
		while (len > 0 && ((unsigned char)line[len] & 0xC0) == 0x80)
			len--;
	}
	memcpy(s->text, line, len);
	s->text[len] = '\0';
	s->len = len;
	atomic_store_explicit(&t->head, h + 1, memory_order_release);
}

size_t
log_tail_drain(struct log_tail *t, size_t max,
	void (*fn)(void *arg, enum qd_log_level level, const char *line,
	size_t len, int cut), void *arg)
{
	size_t tl = atomic_load_explicit(&t->tail, memory_order_relaxed);
	size_t h = atomic_load_explicit(&t->head, memory_order_acquire);
	size_t k = 0;

	for (; tl != h && k < max; tl++, k++) {
		const struct slot *s = &t->slots[tl % t->n];

		fn(arg, s->level, s->text, s->len, s->cut);
		atomic_store_explicit(&t->tail, tl + 1, memory_order_release);
	}
	return k;
}

uint64_t
log_tail_dropped(const struct log_tail *t)
{
	return atomic_load_explicit(&((struct log_tail *)t)->dropped,
		memory_order_relaxed);
}
