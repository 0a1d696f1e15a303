/*
 * channel -- users' own notification channels: where a user's alerts go
 * (an e-mail address, a Telegram chat, a Discord webhook, a signed
 * webhook), which of them the user's plan includes, and the secrets they
 * need, kept out of every answer and every log line.
 *
 * Kinds and their settings (the body of PUT /api/v1/me/channels/{kind},
 * `quantctl notify channel set`):
 *   email     "to"        the address (every plan)
 *   telegram  "chat_id"   a chat id or @channel; secret "bot_token"
 *   discord   (none)      secret "webhook_url" (it holds its token)
 *   webhook   "url"       http(s) URL; secret "secret" (the HMAC key)
 * A secret is given either itself ("secret": "...", sealed in the store
 * with AES-256-GCM under the daemon's master key, core/vault) or, by an
 * operator only, as a reference read when a notification is sent
 * ("secret_ref": "env:VAR" or "file:PATH") -- a platform user must not be
 * able to make the daemon read its environment or files.
 *
 * Plans: the store's plan_channels (migration 0008) says which kinds a
 * plan includes (seeded: email for every plan, telegram, discord and
 * webhook for enterprise).  Setting a kind the plan lacks is refused
 * (QD_ERR_DENIED, 403 "channel_not_in_plan"); after a downgrade the
 * outbox skips the kind with that reason rather than sending.  The
 * dashboard's WebSocket push is no channel here: every plan has it.
 *
 * The book is the core thread's view of these rows: a user's channels and
 * plan are read from the store on first use and again when older than
 * CHANNEL_BOOK_TTL_MS (a plan changed elsewhere takes effect within it),
 * at once after a change made through the book.  Its store reads and
 * writes are synchronous, one small query each, on the core thread, as
 * the API's plan cache does: they happen when a user's notification is
 * routed or sent, or a channel is changed, never per market event.
 */
#ifndef QD_NOTIFY_CHANNEL_H
#define QD_NOTIFY_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct vault;

/** The kinds of user channel.  Only grows. */
enum channel_kind {
	CHANNEL_EMAIL = 0,
	CHANNEL_TELEGRAM = 1,
	CHANNEL_DISCORD = 2,
	CHANNEL_WEBHOOK = 3,
	CHANNEL_KINDS
};

/** How long the book trusts what it read of a user. */
#define CHANNEL_BOOK_TTL_MS 5000
/** Longest target (address, chat id, URL). */
#define CHANNEL_TARGET_MAX 1000
/** Longest secret reference ("env:VAR", "file:PATH"). */
#define CHANNEL_REF_MAX 512

/** "email", ...; NULL for a value out of range. */
const char *channel_kind_name(enum channel_kind k);
/** The kind named `s`, or -1. */
int channel_kind_parse(const char *s);
/** The notifier plugin that carries the kind ("notify-webhook"). */
const char *channel_plugin(enum channel_kind k);
/** The kind's target key in struct qd_notification's target ("url"), or
 *  NULL (discord has none). */
const char *channel_target_key(enum channel_kind k);
/** The kind's secret name ("secret", "bot_token", "webhook_url"), or NULL
 *  (email has none). */
const char *channel_secret_name(enum channel_kind k);

/**
 * A list of kinds ("webhook,email", or a JSON array of names given as
 * text by the caller) as a bit mask (1 << kind): -1 for an unknown name,
 * a repeated one or an empty item.  "" is 0 (no channel).
 */
int channel_mask_parse(const char *list);
/** A mask as "email,webhook" into buf; returns buf. */
const char *channel_mask_format(unsigned mask, char *buf, size_t cap);

/** One channel's settings as given, checked. */
struct channel_settings {
	enum channel_kind kind;
	char target[CHANNEL_TARGET_MAX + 1];
	char secret_ref[CHANNEL_REF_MAX + 1];   /**< or "" */
	char *secret;              /**< the secret itself (to seal), or NULL;
	                                malloc'd, wiped by _clear() */
};

/**
 * Check `body` (a JSON object: the kind's target member, its secret or
 * secret_ref, nothing else) into *out.  `may_reference`: the caller may
 * give secret_ref (an operator).  QD_OK; QD_ERR_INVALID with err naming
 * the member ("url: expected http:// or https://"); QD_ERR_DENIED when a
 * reference is given without the right to.  No value reaches err.
 */
int channel_settings_parse(enum channel_kind kind, const cJSON *body,
	int may_reference, struct channel_settings *out, char *err,
	size_t errlen);
/** Wipe and free the secret of s. */
void channel_settings_clear(struct channel_settings *s);

/**
 * Refuse settings whose URL is obviously not public (net/ipclass.h,
 * ipclass_url_check): the webhook's "url", or the Discord "webhook_url"
 * given itself (a secret_ref is read when sending, and checked then, as
 * every user's URL is, on the address connected to).  QD_OK, or
 * QD_ERR_INVALID with err naming the member and why ("url: 127.0.0.1 is
 * a loopback address, not a public one ...").  For daemons whose users'
 * URLs go to public addresses only (notify.user_urls.allow_private off).
 */
int channel_settings_check_public(const struct channel_settings *s,
	char *err, size_t errlen);

struct channel_book;

/** A book over the store at `url` (opened here; as store_open takes it)
 *  opening sealed secrets with `v` (may be NULL: none can be set or
 *  opened).  NULL with err set. */
struct channel_book *channel_book_open(const char *url,
	const struct vault *v, char *err, size_t errlen);
/** Close and free (cached secrets are wiped); NULL is a no-op. */
void channel_book_close(struct channel_book *b);

/**
 * Set user's channel to s (replacing one of that kind), sealing a given
 * secret under the current master key.  QD_OK; QD_ERR_DENIED when the
 * user's plan lacks the kind (why says which plan); QD_ERR_NOTFOUND for
 * an unknown user; QD_ERR_STATE when a secret must be sealed and no
 * master key is loaded; QD_ERR_IO when the store fails (why says so).
 */
int channel_book_set(struct channel_book *b, const char *user,
	const struct channel_settings *s, int64_t now_ms, char *why,
	size_t cap);
/** Remove user's channel of kind k: QD_OK or QD_ERR_NOTFOUND. */
int channel_book_delete(struct channel_book *b, const char *user,
	enum channel_kind k);

/**
 * The user's channels as the API shows them: {"plan": P, "plan_channels":
 * [kinds], "channels": [{"kind", target member, "secret": "set" or
 * absent, "secret_from": "store"|"env"|"file", "allowed": bool,
 * "updated": ms}]}, only `kind` (when >= 0).  No secret, no reference.
 * NULL when the store cannot be read (or out of memory).
 */
cJSON *channel_book_json(struct channel_book *b, const char *user, int kind);

/** What the outbox needs of a user's channel (valid until the next call
 *  of the book). */
struct channel_resolved {
	enum channel_kind kind;
	const char *target;        /**< "" for discord */
};

/**
 * The user's channel of kind k, as it is now: QD_OK with *out;
 * QD_ERR_NOTFOUND when the user set none (why: "no webhook channel is
 * set"); QD_ERR_DENIED when the plan lacks it (why: "the pro plan does
 * not include telegram channels"); QD_ERR_IO (the store).
 */
int channel_book_resolve(struct channel_book *b, const char *user,
	enum channel_kind k, struct channel_resolved *out, char *why,
	size_t cap);
/** The kinds user has set (a mask; 0 when none or unknown). */
unsigned channel_book_kinds(struct channel_book *b, const char *user);

/**
 * The secret `name` (channel_secret_name()) of user's channel of kind k
 * into buf (NUL-terminated, *len its length): opened from the store's
 * sealed copy, or read from its env:/file: reference.  QD_OK;
 * QD_ERR_NOTFOUND (no such channel or secret, a variable or file that is
 * missing); QD_ERR_LIMIT (cap); QD_ERR_DENIED (a sealed value that does
 * not open).  The caller wipes buf.
 */
int channel_book_secret(struct channel_book *b, const char *user,
	enum channel_kind k, const char *name, char *buf, size_t cap,
	size_t *len);

#endif
