/*
 * outbox.c -- the durable notification outbox (see outbox.h).
 *
 * Rows waiting (pending) or dead-lettered are kept in memory, in id order;
 * a delivered row leaves memory and only its key stays (the dedup set).
 * A pump timer every 50 ms sends what is due: durable, not in flight, its
 * next_ms reached, its channel running, not paused, under its in-flight
 * cap and with a token in its buckets.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "log/log.h"
#include "loop/loop.h"
#include "notify/channel.h"
#include "notify/outbox.h"
#include "store/store.h"
#include "market/symbol.h"
#include "trade/journal.h"

#define PUMP_NS 50000000LL
#define MAX_LISTENERS 8
#define MAX_KEY 128
#define MAX_RECIPIENTS 256

/* One notification to one channel. */
struct row {
	struct row *next;
	uint64_t id;
	uint64_t seq;              /* its journal record: sent once durable */
	char *key, *channel, *event, *user, *title, *body, *recipient;
	char *user_channel;        /* the owner's channel kind, or NULL */
	int severity;
	int state;                 /* enum store_notify_state */
	uint32_t attempts;
	int64_t next_ms, created_ms;
	int64_t sent_ms;           /* in flight since, or 0 */
	char last_error[256];
	/* An answer given from inside send(): handled once it returned. */
	int sync;
	int sync_status;
	char sync_detail[256];
};

/* A token bucket. */
struct bucket {
	double tokens;
	int64_t at_ms;
};

struct recipient_bucket {
	char name[96];
	struct bucket b;
};

/* What the outbox keeps of a channel between sends. */
struct chan {
	struct chan *next;
	char name[64];
	struct bucket b;
	struct recipient_bucket *rb;
	size_t n_rb;
	int64_t paused_until_ms;
	uint32_t inflight;
};

/* The keys of a channel's rows (delivered ones included): a hash set. */
struct keyset {
	char **slot;
	size_t cap, n;
};

struct listener {
	void (*fn)(void *, const struct outbox_event *);
	void *arg;
};

/* A source of market data, watched for going quiet. */
struct feed {
	char name[64];
	int64_t last_ms;
	int down;
};

struct outbox {
	struct loop *loop;
	struct config_notify cfg;
	struct outbox_channels ch;
	struct journal *journal;   /* NULL: memory only */
	uint64_t durable;          /* journal records durable so far */
	struct row *rows, **tail;  /* pending and dead, by id */
	struct chan *chans;
	struct keyset keys;
	uint64_t next_id;
	uint64_t key_seq;          /* made keys: "n:START:SEQ" */
	int64_t start_ms;
	struct loop_timer *pump, *feed_clock;
	struct listener listeners[MAX_LISTENERS];
	size_t n_listeners;
	struct feed *feeds;
	size_t n_feeds;
	uint64_t rng;
	struct outbox_stats st;
	struct row *sending;       /* inside its channel's send() */
	/* Routing scratch: the channels taking the event being enqueued. */
	const struct outbox_event *routing;
	int routed;
	int route_rc;
	struct channel_book *book; /* users' channels, or NULL */
};

static int64_t
now_ms(void)
{
	return loop_now_ns() / 1000000;
}

/* ---- keys ---------------------------------------------------------------- */

static uint64_t
hash_str(const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *a; a++)
		h = (h ^ (unsigned char)*a) * 1099511628211ULL;
	h = (h ^ 0x1f) * 1099511628211ULL;
	for (; *b; b++)
		h = (h ^ (unsigned char)*b) * 1099511628211ULL;
	return h;
}

/* "channel\x1fkey" in the set?  Insert it when `add`; 1 if it was there,
 * 0 if not, -1 out of memory. */
static int
keyset_check(struct keyset *k, const char *channel, const char *key, int add)
{
	size_t i, len = strlen(channel) + strlen(key) + 2;
	char *s;

	if (k->n * 2 + 2 > k->cap && add) {
		struct keyset g = { NULL, k->cap ? k->cap * 2 : 1024, 0 };

		if ((g.slot = calloc(g.cap, sizeof(*g.slot))) == NULL)
			return -1;
		for (i = 0; i < k->cap; i++) {
			size_t j;
			const char *sep;

			if (k->slot[i] == NULL)
				continue;
			sep = strchr(k->slot[i], '\x1f');
			/* rehash on the stored pair (channel, key) */
			{
				char c[160];
				size_t cl = (size_t)(sep - k->slot[i]);

				if (cl >= sizeof(c))
					cl = sizeof(c) - 1;
				memcpy(c, k->slot[i], cl);
				c[cl] = '\0';
				j = hash_str(c, sep + 1) & (g.cap - 1);
			}
			while (g.slot[j] != NULL)
				j = (j + 1) & (g.cap - 1);
			g.slot[j] = k->slot[i];
			g.n++;
		}
		free(k->slot);
		*k = g;
	}
	if (k->cap == 0)
		return 0;
	for (i = hash_str(channel, key) & (k->cap - 1); k->slot[i] != NULL;
	     i = (i + 1) & (k->cap - 1)) {
		const char *sep = strchr(k->slot[i], '\x1f');

		if ((size_t)(sep - k->slot[i]) == strlen(channel) &&
		    strncmp(k->slot[i], channel, strlen(channel)) == 0 &&
		    strcmp(sep + 1, key) == 0)
			return 1;
	}
	if (!add)
		return 0;
	if ((s = malloc(len)) == NULL)
		return -1;
	snprintf(s, len, "%s\x1f%s", channel, key);
	k->slot[i] = s;
	k->n++;
	return 0;
}

static void
keyset_free(struct keyset *k)
{
	size_t i;

	for (i = 0; i < k->cap; i++)
		free(k->slot[i]);
	free(k->slot);
	memset(k, 0, sizeof(*k));
}

/* A key as outbox.h allows it. */
static int
key_ok(const char *k)
{
	size_t n = 0;

	for (; *k; k++, n++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
		    (*k >= '0' && *k <= '9') || *k == '.' || *k == '_' ||
		    *k == ':' || *k == '-'))
			return 0;
	return n > 0 && n <= MAX_KEY;
}

/* The identity of a row's destination in the key set: the channel, and
 * for a user's own channel its kind too (one instance may carry both the
 * operators' copy and the user's). */
static const char *
dest_id(const char *channel, const char *user_channel, char *buf, size_t cap)
{
	if (user_channel == NULL || *user_channel == '\0')
		return channel;
	snprintf(buf, cap, "%s\x1e%s", channel, user_channel);
	return buf;
}

/* ---- rows ---------------------------------------------------------------- */

static char *
dup0(const char *s)
{
	return strdup(s != NULL ? s : "");
}

static void
row_free(struct row *r)
{
	if (r == NULL)
		return;
	free(r->key);
	free(r->channel);
	free(r->event);
	free(r->user);
	free(r->title);
	free(r->body);
	free(r->recipient);
	free(r->user_channel);
	free(r);
}

/* The row as the store has it (strings the row's). */
static void
row_record(const struct row *r, struct store_notification *n)
{
	memset(n, 0, sizeof(*n));
	n->id = r->id;
	n->dkey = r->key;
	n->channel = r->channel;
	n->event = r->event;
	n->severity = r->severity;
	n->owner = r->user;
	n->title = r->title;
	n->body = r->body;
	n->recipient = r->recipient;
	n->user_channel = r->user_channel;
	n->state = r->state;
	n->attempts = r->attempts;
	n->next_ms = r->next_ms;
	n->last_error = r->last_error;
	n->created_ms = r->created_ms;
	n->updated_ms = now_ms();
}

/* Write the row's current state ahead (returns its journal seq, or 0
 * without a journal). */
static uint64_t
row_write(struct outbox *ob, const struct row *r)
{
	struct store_notification n;

	if (ob->journal == NULL)
		return 0;
	row_record(r, &n);
	return journal_notification(ob->journal, &n);
}

static void
row_append(struct outbox *ob, struct row *r)
{
	r->next = NULL;
	*ob->tail = r;
	ob->tail = &r->next;
}

/* Unlink *pp (its row is returned). */
static struct row *
row_unlink(struct outbox *ob, struct row **pp)
{
	struct row *r = *pp;

	*pp = r->next;
	if (ob->tail == &r->next)
		ob->tail = pp;
	return r;
}

static struct row *
row_new(const struct outbox_event *e, const char *channel, const char *key)
{
	struct row *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->key = dup0(key);
	r->channel = dup0(channel);
	r->event = dup0(e->event);
	r->user = dup0(e->user);
	r->title = dup0(e->title);
	r->body = dup0(e->body);
	r->recipient = e->recipient != NULL ? strdup(e->recipient) : NULL;
	r->severity = e->severity;
	if (r->key == NULL || r->channel == NULL || r->event == NULL ||
	    r->user == NULL || r->title == NULL || r->body == NULL ||
	    (e->recipient != NULL && r->recipient == NULL)) {
		row_free(r);
		return NULL;
	}
	return r;
}

/* ---- channels and rate limits ---------------------------------------------- */

static struct chan *
chan_get(struct outbox *ob, const char *name)
{
	struct chan *c;

	for (c = ob->chans; c != NULL; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->b.tokens = -1;           /* full on first use */
	c->next = ob->chans;
	ob->chans = c;
	return c;
}

/* Refill `b` at `rate`/s up to `burst`; 1 if a token is there now. */
static int
bucket_has(struct bucket *b, double rate, double burst, int64_t now)
{
	if (rate <= 0)
		return 1;
	if (b->tokens < 0) {
		b->tokens = burst;
		b->at_ms = now;
	}
	b->tokens += (double)(now - b->at_ms) * rate / 1000.0;
	if (b->tokens > burst)
		b->tokens = burst;
	b->at_ms = now;
	return b->tokens >= 1.0;
}

static struct bucket *
recipient_bucket(struct chan *c, const char *recipient)
{
	size_t i;
	struct recipient_bucket *n;

	if (recipient == NULL)
		recipient = "";
	for (i = 0; i < c->n_rb; i++)
		if (strcmp(c->rb[i].name, recipient) == 0)
			return &c->rb[i].b;
	if (c->n_rb == MAX_RECIPIENTS)
		return &c->rb[c->n_rb - 1].b;  /* shared past the cap */
	if ((n = realloc(c->rb, (c->n_rb + 1) * sizeof(*n))) == NULL)
		return NULL;
	c->rb = n;
	memset(&n[c->n_rb], 0, sizeof(*n));
	snprintf(n[c->n_rb].name, sizeof(n[c->n_rb].name), "%s", recipient);
	n[c->n_rb].b.tokens = -1;
	return &n[c->n_rb++].b;
}

/* ---- routing ------------------------------------------------------------- */

static int
pattern_match(const char *pat, const char *s)
{
	size_t n = strlen(pat);

	if (strcmp(pat, "*") == 0)
		return 1;
	if (n >= 2 && strcmp(pat + n - 2, ".*") == 0)
		return strncmp(pat, s, n - 1) == 0;
	return strcmp(pat, s) == 0;
}

static int
route_takes(const struct config_route *r, const struct outbox_event *e)
{
	const char *user = e->user != NULL && *e->user ? e->user :
	    "@operators";
	size_t i;
	int ok;

	if ((int)e->severity < r->min_severity)
		return 0;
	for (ok = r->n_events == 0, i = 0; !ok && i < r->n_events; i++)
		ok = pattern_match(r->events[i], e->event);
	if (!ok)
		return 0;
	for (ok = r->n_users == 0, i = 0; !ok && i < r->n_users; i++)
		ok = strcmp(r->users[i], "*") == 0 ||
		    strcmp(r->users[i], user) == 0;
	return ok;
}

/* A user's channel row that is not sent: dead at once, with the reason
 * (outbox_set_book); the caller writes it. */
static void
mark_skipped(struct outbox *ob, struct row *r, const char *why)
{
	r->state = STORE_NOTIFY_DEAD;
	snprintf(r->last_error, sizeof(r->last_error), "skipped: %s", why);
	ob->st.skipped++;
	log_info("notify", "notification %llu (%s) for %s: skipped: %s",
		(unsigned long long)r->id, r->event, r->user, why);
}

/* The key of a notification its producer gave none: "n:START:SEQ". */
static const char *
made_key(const struct outbox *ob, char *buf, size_t cap)
{
	snprintf(buf, cap, "n:%lld:%llu", (long long)ob->start_ms,
		(unsigned long long)ob->key_seq);
	return buf;
}

/* A new row: numbered, written ahead and queued (or, with `skip`, written
 * dead with that reason: a user's channel that cannot be used). */
static void
row_queue(struct outbox *ob, struct row *r, const char *skip)
{
	r->id = ++ob->next_id;
	r->created_ms = r->next_ms = now_ms();
	r->state = STORE_NOTIFY_PENDING;
	if (skip != NULL)
		mark_skipped(ob, r, skip);
	r->seq = row_write(ob, r);
	if (ob->journal != NULL && r->seq == 0) {
		/* Not written: never sent (it would not survive a crash). */
		row_free(r);
		ob->route_rc = QD_ERR_NOMEM;
		return;
	}
	row_append(ob, r);
	ob->st.enqueued++;
	ob->routed++;
}

/* One channel: a row when its route takes the event and the key is new. */
static void
route_one(void *arg, const char *channel, const struct config_route *route)
{
	struct outbox *ob = arg;
	const struct outbox_event *e = ob->routing;
	struct row *r;
	char made[64];
	const char *key = e->key;
	int seen;

	if (ob->route_rc != QD_OK || !route_takes(route, e))
		return;
	if (key == NULL)
		key = made_key(ob, made, sizeof(made));
	if ((seen = keyset_check(&ob->keys, channel, key, 1)) != 0) {
		if (seen < 0)
			ob->route_rc = QD_ERR_NOMEM;
		else
			ob->st.duplicates++;
		return;
	}
	if ((r = row_new(e, channel, key)) == NULL) {
		ob->route_rc = QD_ERR_NOMEM;
		return;
	}
	row_queue(ob, r, NULL);
}

/* Why a user's channel of kind k cannot go: no instance carries it. */
static void
no_carrier(enum channel_kind k, char *why, size_t cap)
{
	snprintf(why, cap, "no running %s instance carries users' %s channels "
		"(route \"user_channels\": true)", channel_plugin(k),
		channel_kind_name(k));
}

/* A user's own channel of kind k: a row through the instance that carries
 * the kind, or a row recorded as skipped with the reason.  `named`: the
 * producer named the kind (a kind the user did not set is then skipped
 * too, rather than not made). */
static void
route_user(struct outbox *ob, const struct outbox_event *e,
	enum channel_kind k, int named, const char *key)
{
	struct channel_resolved cr;
	const char *inst, *kind = channel_kind_name(k);
	char why[200], id[160];
	struct row *r;
	int rc, seen;

	rc = channel_book_resolve(ob->book, e->user, k, &cr, why,
		sizeof(why));
	if (rc == QD_ERR_NOTFOUND && !named)
		return;
	inst = ob->ch.serving(ob->ch.arg, channel_plugin(k));
	if (rc == QD_OK && inst == NULL) {
		no_carrier(k, why, sizeof(why));
		rc = QD_ERR_NOTFOUND;
	}
	if (inst == NULL)
		inst = channel_plugin(k);
	if ((seen = keyset_check(&ob->keys, dest_id(inst, kind, id,
	    sizeof(id)), key, 1)) != 0) {
		if (seen < 0)
			ob->route_rc = QD_ERR_NOMEM;
		else
			ob->st.duplicates++;
		return;
	}
	if ((r = row_new(e, inst, key)) == NULL ||
	    (r->user_channel = strdup(kind)) == NULL) {
		row_free(r);
		ob->route_rc = QD_ERR_NOMEM;
		return;
	}
	free(r->recipient);        /* the user's settings are the target */
	r->recipient = NULL;
	row_queue(ob, r, rc != QD_OK ? why : NULL);
}

/* The user's own channels that take e (see outbox_event.channels). */
static void
route_users(struct outbox *ob, const struct outbox_event *e)
{
	char made[64];
	const char *key = e->key;
	int named = e->channels != NULL, k;
	unsigned mask;

	if (ob->book == NULL || ob->ch.serving == NULL || e->user == NULL ||
	    *e->user == '\0')
		return;
	mask = named ? (unsigned)channel_mask_parse(e->channels) :
	    channel_book_kinds(ob->book, e->user);
	if (key == NULL)
		key = made_key(ob, made, sizeof(made));
	for (k = 0; k < CHANNEL_KINDS && ob->route_rc == QD_OK; k++)
		if (mask & (1u << k))
			route_user(ob, e, (enum channel_kind)k, named, key);
}

void
outbox_set_book(struct outbox *ob, struct channel_book *b)
{
	ob->book = b;
}

struct channel_book *
outbox_book(const struct outbox *ob)
{
	return ob->book;
}

int
outbox_user_urls_private(const struct outbox *ob)
{
	return ob->cfg.user_urls_allow_private;
}

/* An event name: [a-z0-9._-], 1 to 64 bytes (it goes into headers). */
static int
event_ok(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return n > 0 && n <= 64;
}

int
outbox_flush(struct outbox *ob, int timeout_ms)
{
	if (ob->journal == NULL)
		return QD_OK;
	return journal_wait(ob->journal, journal_last(ob->journal),
	    timeout_ms);
}

int
outbox_enqueue(struct outbox *ob, const struct outbox_event *e)
{
	size_t i;

	if (e == NULL || e->event == NULL || !event_ok(e->event) ||
	    (e->key != NULL && !key_ok(e->key)) ||
	    (e->channels != NULL && channel_mask_parse(e->channels) < 0))
		return QD_ERR_INVALID;
	for (i = 0; i < ob->n_listeners; i++)
		ob->listeners[i].fn(ob->listeners[i].arg, e);
	ob->routing = e;
	ob->routed = 0;
	ob->route_rc = QD_OK;
	ob->key_seq++;
	if (!e->user_only)
		ob->ch.each(ob->ch.arg, route_one, ob);
	if (ob->route_rc == QD_OK)
		route_users(ob, e);
	ob->routing = NULL;
	if (ob->route_rc != QD_OK) {
		log_error("notify", "notification %s not queued for every "
			"channel: %s", e->event, qd_strerror(ob->route_rc));
		return ob->route_rc;
	}
	if (ob->routed == 0 && e->key == NULL)
		ob->st.unrouted++;
	return ob->routed;
}

int
outbox_listen(struct outbox *ob, void (*fn)(void *,
	const struct outbox_event *), void *arg)
{
	if (fn == NULL)
		return QD_ERR_INVALID;
	if (ob->n_listeners == MAX_LISTENERS)
		return QD_ERR_LIMIT;
	ob->listeners[ob->n_listeners].fn = fn;
	ob->listeners[ob->n_listeners++].arg = arg;
	return QD_OK;
}

/* ---- sending ------------------------------------------------------------- */

/* The channel's route now (NULL: not running). */
struct route_find {
	const char *name;
	const struct config_route *route;
};

static void
find_route(void *arg, const char *channel, const struct config_route *route)
{
	struct route_find *f = arg;

	if (strcmp(f->name, channel) == 0)
		f->route = route;
}

/* Delay before attempt `attempts` + 1: exponential, capped, +-25 %. */
static int64_t
backoff(struct outbox *ob, uint32_t attempts)
{
	int64_t d = ob->cfg.backoff_ms;
	uint32_t i;
	double j;

	for (i = 1; i < attempts && d < ob->cfg.backoff_max_ms; i++)
		d *= 2;
	if (d > ob->cfg.backoff_max_ms)
		d = ob->cfg.backoff_max_ms;
	ob->rng ^= ob->rng << 13;
	ob->rng ^= ob->rng >> 7;
	ob->rng ^= ob->rng << 17;
	j = 0.75 + (double)(ob->rng % 1000) / 2000.0;
	d = (int64_t)((double)d * j);
	return d > 0 ? d : 1;
}

/* A send failed (or timed out): retry later, or dead-letter. */
static void
row_failed(struct outbox *ob, struct row **pp, const char *why)
{
	struct row *r = *pp;

	ob->st.failures++;
	snprintf(r->last_error, sizeof(r->last_error), "%s", why);
	if (r->attempts >= ob->cfg.max_attempts) {
		r->state = STORE_NOTIFY_DEAD;
		ob->st.dead++;
		log_error("notify", "notification %llu (%s) to %s dead after "
			"%u attempt(s): %s", (unsigned long long)r->id,
			r->event, r->channel, r->attempts, why);
	} else {
		struct chan *c = chan_get(ob, r->channel);

		r->next_ms = now_ms() + backoff(ob, r->attempts);
		if (c != NULL && c->paused_until_ms > r->next_ms)
			r->next_ms = c->paused_until_ms;
		log_warn("notify", "notification %llu (%s) to %s failed "
			"(attempt %u of %u), retry in %lld ms: %s",
			(unsigned long long)r->id, r->event, r->channel,
			r->attempts, ob->cfg.max_attempts,
			(long long)(r->next_ms - now_ms()), why);
	}
	row_write(ob, r);
}

static int
row_due(struct outbox *ob, const struct row *r, int64_t now)
{
	return r->state == STORE_NOTIFY_PENDING && r->sent_ms == 0 &&
	    r->next_ms <= now && (ob->journal == NULL || r->seq <= ob->durable);
}

/* A row for a user's channel that cannot go (see outbox_set_book). */
static void
row_skip(struct outbox *ob, struct row *r, const char *why)
{
	mark_skipped(ob, r, why);
	r->seq = row_write(ob, r);
}

/* The secret of the user channel being sent (outbox_secret.get). */
static int
user_secret(void *arg, const char *name, char *buf, size_t cap, size_t *len)
{
	struct outbox *ob = arg;
	const struct row *r = ob->sending;

	if (r == NULL || r->user_channel == NULL || ob->book == NULL)
		return QD_ERR_NOTFOUND;
	return channel_book_secret(ob->book, r->user, (enum channel_kind)
		channel_kind_parse(r->user_channel), name, buf, cap, len);
}

/*
 * A user's row due to be sent goes through the instance that carries its
 * kind now (a row retried after it was skipped may name one that is gone,
 * or none): 1 when r->channel is that instance; 0 when there is none (the
 * row is skipped with the reason, never left waiting for a channel that
 * will not come) or memory ran out (tried again later).
 */
static int
user_row_carrier(struct outbox *ob, struct row *r)
{
	int k = channel_kind_parse(r->user_channel);
	const char *inst = NULL;
	char why[200], *dup;

	if (k >= 0 && ob->ch.serving != NULL)
		inst = ob->ch.serving(ob->ch.arg,
			channel_plugin((enum channel_kind)k));
	if (inst == NULL) {
		if (k >= 0)
			no_carrier((enum channel_kind)k, why, sizeof(why));
		row_skip(ob, r, k >= 0 ? why : "users' channels are off");
		return 0;
	}
	if (strcmp(inst, r->channel) == 0)
		return 1;
	if ((dup = strdup(inst)) == NULL)
		return 0;
	free(r->channel);
	r->channel = dup;
	return 1;
}

static void
send_row(struct outbox *ob, struct row *r, struct chan *c)
{
	struct qd_notification n;
	struct outbox_secret sec = { user_secret, ob };
	struct channel_resolved cr;
	struct qd_kv target[1];
	char why[200];
	int rc;

	memset(&n, 0, sizeof(n));
	if (r->user_channel != NULL) {
		int k = channel_kind_parse(r->user_channel);
		const char *tk = channel_target_key((enum channel_kind)k);

		/* the user's settings now: a downgrade or a removed channel
		 * since the row was made skips it */
		if (ob->book == NULL) {
			row_skip(ob, r, "users' channels are off");
			return;
		}
		if ((rc = channel_book_resolve(ob->book, r->user,
		    (enum channel_kind)k, &cr, why, sizeof(why))) != QD_OK) {
			if (rc == QD_ERR_IO) {
				r->next_ms = now_ms() + backoff(ob, 1);
				return;         /* the store: try later */
			}
			row_skip(ob, r, why);
			return;
		}
		target[0].key = tk ? tk : "";
		target[0].value = cr.target;
		n.target = target;
		n.n_target = tk ? 1 : 0;
	}

	n.size = sizeof(n);
	n.severity = (enum qd_severity)r->severity;
	n.ts = r->created_ms * 1000000;
	n.event = r->event;
	n.title = r->title;
	n.body = r->body;
	n.recipient = r->recipient;
	n.key = r->key;
	n.user = *r->user ? r->user : NULL;
	n.attempt = r->attempts + 1;
	r->attempts++;
	r->sent_ms = now_ms();
	r->sync = 0;
	/* The attempt is counted in the store too (not waited for): a send
	 * cut short by a crash counts against max_attempts. */
	row_write(ob, r);
	c->inflight++;
	ob->st.sent++;
	ob->sending = r;
	rc = ob->ch.send(ob->ch.arg, r->channel, r->id, &n,
		r->user_channel != NULL ? &sec : NULL);
	ob->sending = NULL;
	if (rc != QD_OK) {
		/* Refused at once (no answer coming). */
		char msg[128];
		struct row **pp;

		snprintf(msg, sizeof(msg), "send refused: %s",
			rc == QD_ERR_UNSUPPORTED && r->user_channel != NULL ?
			"the notifier's module predates users' channels (SDK "
			"1.6)" : qd_strerror(rc));
		r->sent_ms = 0;
		if (c->inflight > 0)
			c->inflight--;
		for (pp = &ob->rows; *pp != r; pp = &(*pp)->next)
			;
		row_failed(ob, pp, msg);
	} else if (r->sync) {
		outbox_done(ob, r->channel, r->id, r->sync_status,
			r->sync_detail[0] ? r->sync_detail : NULL);
	}
}

static void
pump(void *arg)
{
	struct outbox *ob = arg;
	int64_t now = now_ms();
	struct row **pp, *r;

	for (pp = &ob->rows; (r = *pp) != NULL; ) {
		struct route_find f = { r->channel, NULL };
		struct chan *c;
		struct bucket *rb;

		/* A send unanswered past the timeout failed. */
		if (r->sent_ms != 0 && now - r->sent_ms >
		    ob->cfg.send_timeout_ms) {
			if ((c = chan_get(ob, r->channel)) != NULL &&
			    c->inflight > 0)
				c->inflight--;
			r->sent_ms = 0;
			row_failed(ob, pp, "no answer from the channel in time");
		}
		if (!row_due(ob, r, now) || (r->user_channel != NULL &&
		    !user_row_carrier(ob, r))) {
			pp = &r->next;
			continue;
		}
		f.name = r->channel;
		ob->ch.each(ob->ch.arg, find_route, &f);
		if (f.route == NULL || (c = chan_get(ob, r->channel)) == NULL ||
		    c->paused_until_ms > now || c->inflight >= f.route->inflight ||
		    !bucket_has(&c->b, f.route->rate_per_sec, f.route->burst,
		    now) || (rb = recipient_bucket(c, r->recipient)) == NULL ||
		    !bucket_has(rb, f.route->recipient_per_sec, 1, now)) {
			pp = &r->next;
			continue;
		}
		if (f.route->rate_per_sec > 0)
			c->b.tokens -= 1;
		if (f.route->recipient_per_sec > 0)
			rb->tokens -= 1;
		send_row(ob, r, c);
		if (*pp == r)           /* else delivered and gone */
			pp = &r->next;
	}
}

void
outbox_done(struct outbox *ob, const char *channel, uint64_t req,
	int status, const char *detail)
{
	struct row **pp, *r;
	struct chan *c;
	char why[256];

	for (pp = &ob->rows; (r = *pp) != NULL; pp = &r->next)
		if (r->id == req && strcmp(r->channel, channel) == 0)
			break;
	if (r != NULL && r == ob->sending) {
		r->sync = 1;
		r->sync_status = status;
		snprintf(r->sync_detail, sizeof(r->sync_detail), "%s",
			detail != NULL ? detail : "");
		return;
	}
	if (r == NULL || r->sent_ms == 0) {
		log_debug("notify", "%s: answer to notification %llu that is "
			"not in flight (late, after a timeout): ignored",
			channel, (unsigned long long)req);
		return;
	}
	r->sent_ms = 0;
	if ((c = chan_get(ob, channel)) != NULL && c->inflight > 0)
		c->inflight--;
	if (status == QD_OK) {
		r->state = STORE_NOTIFY_SENT;
		r->last_error[0] = '\0';
		row_write(ob, r);
		ob->st.delivered++;
		row_free(row_unlink(ob, pp));
		return;
	}
	if (status == QD_ERR_LIMIT && detail != NULL && c != NULL &&
	    strncmp(detail, "retry_after_ms=", 15) == 0) {
		long long ms = strtoll(detail + 15, NULL, 10);

		if (ms > 0 && ms < 3600000)
			c->paused_until_ms = now_ms() + ms;
	}
	snprintf(why, sizeof(why), "%s%s%s", qd_strerror(status),
		detail && *detail ? ": " : "", detail ? detail : "");
	row_failed(ob, pp, why);
}

/* ---- listing and retrying ---------------------------------------------------- */

void
outbox_each(struct outbox *ob, int dead,
	void (*fn)(void *, const struct outbox_row *), void *arg)
{
	const struct row *r;
	struct outbox_row o;

	for (r = ob->rows; r != NULL; r = r->next) {
		if ((r->state == STORE_NOTIFY_DEAD) != (dead != 0))
			continue;
		memset(&o, 0, sizeof(o));
		o.id = r->id;
		o.key = r->key;
		o.channel = r->channel;
		o.event = r->event;
		o.user = r->user;
		o.title = r->title;
		o.recipient = r->recipient;
		o.user_channel = r->user_channel;
		o.skipped = r->state == STORE_NOTIFY_DEAD &&
		    strncmp(r->last_error, "skipped: ", 9) == 0;
		o.severity = r->severity;
		o.state = r->state;
		o.attempts = r->attempts;
		o.next_ms = r->next_ms;
		o.created_ms = r->created_ms;
		o.last_error = r->last_error;
		fn(arg, &o);
	}
}

int
outbox_retry(struct outbox *ob, uint64_t id)
{
	struct row *r;
	int n = 0;

	for (r = ob->rows; r != NULL; r = r->next) {
		if (r->state != STORE_NOTIFY_DEAD || (id != 0 && r->id != id))
			continue;
		r->state = STORE_NOTIFY_PENDING;
		r->attempts = 0;
		r->next_ms = now_ms();
		r->seq = row_write(ob, r);
		n++;
	}
	if (n > 0)
		log_info("notify", "%d dead notification(s) sent again", n);
	return n == 0 && id != 0 ? QD_ERR_NOTFOUND : n;
}

void
outbox_stats(const struct outbox *ob, struct outbox_stats *out)
{
	const struct row *r;

	*out = ob->st;
	out->pending = out->dead_now = 0;
	for (r = ob->rows; r != NULL; r = r->next) {
		if (r->state == STORE_NOTIFY_DEAD)
			out->dead_now++;
		else
			out->pending++;
	}
}

/* ---- events that notify -------------------------------------------------------- */

/* Copy `in` into a key: characters outbox.h does not allow become '_'. */
static const char *
key_clean(const char *in, char *buf, size_t cap)
{
	size_t i;

	snprintf(buf, cap, "%s", in);
	for (i = 0; buf[i]; i++)
		if (!((buf[i] >= 'a' && buf[i] <= 'z') ||
		    (buf[i] >= 'A' && buf[i] <= 'Z') ||
		    (buf[i] >= '0' && buf[i] <= '9') || buf[i] == '.' ||
		    buf[i] == '_' || buf[i] == ':' || buf[i] == '-'))
			buf[i] = '_';
	return buf;
}

static void
on_alert(void *arg, const struct bus_event *ev)
{
	struct outbox *ob = arg;
	const struct bus_alert *a = &ev->u.alert;
	struct outbox_event e;
	char key[MAX_KEY + 1];

	memset(&e, 0, sizeof(e));
	e.event = a->event != NULL ? a->event : "alert";
	e.severity = a->severity;
	e.user = a->user;
	e.title = a->title;
	e.body = a->body;
	e.channels = a->channels;
	if (a->key != NULL)
		e.key = key_clean(a->key, key, sizeof(key));
	outbox_enqueue(ob, &e);
}

static void
on_fill(void *arg, const struct bus_event *ev)
{
	struct outbox *ob = arg;
	const struct qd_order_update *u = &ev->u.order;
	const char *sym = symbol_name(u->symbol);
	struct outbox_event e;
	char title[160], body[320], key[MAX_KEY + 1], raw[160];

	snprintf(title, sizeof(title), "fill: %s %s %.10g @ %.10g",
		u->side == QD_SIDE_SELL ? "sell" : "buy", sym ? sym : "?",
		u->last_qty, u->last_price);
	snprintf(body, sizeof(body), "order %llu of %s: %.10g of %.10g "
		"filled, average %.10g, fee %.10g",
		(unsigned long long)u->order_id, ev->source ? ev->source : "?",
		u->filled_qty, u->qty, u->avg_price, u->fee);
	/* The OMS reports a fill once per trade id; the key makes sure. */
	snprintf(raw, sizeof(raw), "fill:%llu:%s",
		(unsigned long long)u->order_id, u->trade_id != NULL &&
		u->size > offsetof(struct qd_order_update, trade_id) ?
		u->trade_id : "");
	if (raw[strlen(raw) - 1] == ':')
		snprintf(raw + strlen(raw), sizeof(raw) - strlen(raw),
			"%.10g", u->filled_qty);
	memset(&e, 0, sizeof(e));
	e.event = "fill";
	e.severity = QD_SEV_INFO;
	e.title = title;
	e.body = body;
	e.key = key_clean(raw, key, sizeof(key));
	outbox_enqueue(ob, &e);
}

static void
on_plugin_state(void *arg, const struct bus_event *ev)
{
	struct outbox *ob = arg;
	const struct bus_plugin_event *p = &ev->u.plugin;
	struct outbox_event e;
	char title[160];

	if (p->state != PLUGIN_STATE_FAILED &&
	    p->state != PLUGIN_STATE_RESTARTING)
		return;
	memset(&e, 0, sizeof(e));
	e.event = p->state == PLUGIN_STATE_FAILED ? "plugin.failed" :
	    "plugin.restarting";
	e.severity = p->state == PLUGIN_STATE_FAILED ? QD_SEV_CRITICAL :
	    QD_SEV_WARNING;
	snprintf(title, sizeof(title), "instance %s (%s) %s", p->instance,
		p->plugin, p->state == PLUGIN_STATE_FAILED ? "failed" :
		"is restarting");
	e.title = title;
	e.body = p->reason != NULL ? p->reason : "";
	outbox_enqueue(ob, &e);
}

static struct feed *
feed_of(struct outbox *ob, const char *name)
{
	struct feed *f;
	size_t i;

	for (i = 0; i < ob->n_feeds; i++)
		if (strcmp(ob->feeds[i].name, name) == 0)
			return &ob->feeds[i];
	if (ob->n_feeds == 64 ||
	    (f = realloc(ob->feeds, (ob->n_feeds + 1) * sizeof(*f))) == NULL)
		return NULL;
	ob->feeds = f;
	f = &ob->feeds[ob->n_feeds++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	return f;
}

static void
feed_event(struct outbox *ob, struct feed *f, int down, int64_t quiet_ms)
{
	struct outbox_event e;
	char title[160], body[160];

	f->down = down;
	memset(&e, 0, sizeof(e));
	e.event = down ? "feed.down" : "feed.up";
	e.severity = down ? QD_SEV_WARNING : QD_SEV_INFO;
	snprintf(title, sizeof(title), "market data from %s %s", f->name,
		down ? "stopped" : "is back");
	snprintf(body, sizeof(body), "no trade, book or bar from %s for "
		"%lld s", f->name, (long long)(quiet_ms / 1000));
	e.title = title;
	e.body = body;
	outbox_enqueue(ob, &e);
}

/* Market data from an exchange instance: it is alive. */
static void
on_market(void *arg, const struct bus_event *ev)
{
	struct outbox *ob = arg;
	struct feed *f;
	int64_t now;

	if (ev->source == NULL || ev->history)
		return;
	if (ob->n_feeds > 0 && strcmp(ob->feeds[0].name, ev->source) == 0)
		f = &ob->feeds[0];          /* the usual case: one feed */
	else if ((f = feed_of(ob, ev->source)) == NULL)
		return;
	now = now_ms();
	if (f->down)
		feed_event(ob, f, 0, now - f->last_ms);
	f->last_ms = now;
}

static void
feed_check(void *arg)
{
	struct outbox *ob = arg;
	int64_t now = now_ms(), limit = (int64_t)ob->cfg.feed_down_s * 1000;
	size_t i;

	for (i = 0; i < ob->n_feeds; i++)
		if (!ob->feeds[i].down && now - ob->feeds[i].last_ms > limit)
			feed_event(ob, &ob->feeds[i], 1,
				now - ob->feeds[i].last_ms);
}

int
outbox_watch(struct outbox *ob, struct bus *bus)
{
	if (bus_subscribe(bus, BUS_ALERT, 0, on_alert, ob) == 0 ||
	    bus_subscribe(bus, BUS_FILL, 0, on_fill, ob) == 0 ||
	    bus_subscribe(bus, BUS_PLUGIN_STATE, 0, on_plugin_state, ob) == 0)
		return QD_ERR_NOMEM;
	if (ob->cfg.feed_down_s <= 0)
		return QD_OK;
	if (bus_subscribe(bus, BUS_TRADE, 0, on_market, ob) == 0 ||
	    bus_subscribe(bus, BUS_BAR, 0, on_market, ob) == 0 ||
	    bus_subscribe(bus, BUS_BOOK_TOP, 0, on_market, ob) == 0 ||
	    (ob->feed_clock = loop_timer_add(ob->loop, 1000000000LL,
	    1000000000LL, feed_check, ob)) == NULL)
		return QD_ERR_NOMEM;
	return QD_OK;
}

/* ---- open and close ---------------------------------------------------------- */

static void
on_durable(void *arg, uint64_t seq)
{
	struct outbox *ob = arg;

	ob->durable = seq;
}

/* A stored row at start: pending and dead ones back into memory, every
 * key into the set. */
static int
load_row(void *arg, const struct store_notification *n)
{
	struct outbox *ob = arg;
	struct outbox_event e;
	struct row *r;
	char id[160];

	if (keyset_check(&ob->keys, dest_id(n->channel, n->user_channel, id,
	    sizeof(id)), n->dkey, 1) < 0)
		return QD_ERR_NOMEM;
	if (n->id > ob->next_id)
		ob->next_id = n->id;
	if (n->state == STORE_NOTIFY_SENT)
		return QD_OK;
	memset(&e, 0, sizeof(e));
	e.event = n->event;
	e.severity = (enum qd_severity)n->severity;
	e.user = n->owner;
	e.title = n->title;
	e.body = n->body;
	e.recipient = n->recipient;
	if ((r = row_new(&e, n->channel, n->dkey)) == NULL)
		return QD_ERR_NOMEM;
	if (n->user_channel != NULL && *n->user_channel &&
	    (r->user_channel = strdup(n->user_channel)) == NULL) {
		row_free(r);
		return QD_ERR_NOMEM;
	}
	r->id = n->id;
	r->state = n->state;
	r->attempts = n->attempts;
	r->next_ms = n->next_ms;
	r->created_ms = n->created_ms;
	snprintf(r->last_error, sizeof(r->last_error), "%s", n->last_error);
	row_append(ob, r);
	return QD_OK;
}

/* Read what the store holds (pruning delivered rows past retention). */
static int
load(struct outbox *ob, const char *url, char *err, size_t errlen)
{
	struct store *s;
	int64_t pruned = 0;
	uint64_t max_id = 0;
	int rc;

	if ((rc = store_open(url, STORE_ROLE_WRITER, &s, err, errlen)) !=
	    QD_OK)
		return rc;
	if ((rc = store_notify_prune(s, now_ms() -
	    (int64_t)ob->cfg.retention_days * 86400000, &pruned)) != QD_OK ||
	    (rc = store_notify_max_id(s, &max_id)) != QD_OK ||
	    (rc = store_notifications(s, NULL, load_row, ob)) != QD_OK) {
		snprintf(err, errlen, "notification outbox: %s",
			store_error(s));
		store_close(s);
		return rc;
	}
	store_close(s);
	if (max_id > ob->next_id)
		ob->next_id = max_id;
	if (pruned > 0)
		log_info("notify", "pruned %lld delivered notification(s) "
			"older than %d day(s)", (long long)pruned,
			ob->cfg.retention_days);
	return QD_OK;
}

struct outbox *
outbox_open(struct loop *loop, const char *url, int power_safe,
	const struct config_notify *cfg, const struct outbox_channels *ch,
	char *err, size_t errlen)
{
	struct outbox *ob = calloc(1, sizeof(*ob));
	struct outbox_stats st;

	if (ob == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ob->loop = loop;
	ob->cfg = *cfg;
	ob->ch = *ch;
	ob->tail = &ob->rows;
	ob->start_ms = now_ms();
	ob->rng = (uint64_t)loop_now_ns() | 1;
	if (url != NULL && load(ob, url, err, errlen) != QD_OK)
		goto fail;
	if (url != NULL && (ob->journal = journal_start(loop, url,
	    power_safe, on_durable, ob, NULL, err, errlen)) == NULL)
		goto fail;
	if ((ob->pump = loop_timer_add(loop, PUMP_NS, PUMP_NS, pump, ob)) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	outbox_stats(ob, &st);
	if (url == NULL)
		log_warn("notify", "no store: notifications are kept in "
			"memory only and a restart loses those not sent");
	else if (st.pending + st.dead_now > 0)
		log_info("notify", "outbox: %zu notification(s) to send, %zu "
			"dead", st.pending, st.dead_now);
	return ob;
fail:
	outbox_close(ob, 0);
	return NULL;
}

void
outbox_close(struct outbox *ob, int timeout_ms)
{
	struct chan *c;

	if (ob == NULL)
		return;
	loop_timer_cancel(ob->pump);
	loop_timer_cancel(ob->feed_clock);
	if (ob->journal != NULL)
		journal_stop(ob->journal, timeout_ms);
	while (ob->rows != NULL)
		row_free(row_unlink(ob, &ob->rows));
	while ((c = ob->chans) != NULL) {
		ob->chans = c->next;
		free(c->rb);
		free(c);
	}
	keyset_free(&ob->keys);
	free(ob->feeds);
	free(ob);
}
