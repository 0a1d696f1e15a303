/*
 * channel.c -- users' own notification channels (see channel.h): the
 * kinds and the settings users give.  No store, no vault, no log here
 * (the book, book.c, keeps them): the alert engine and quantctl use these
 * too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#include "net/ipclass.h"
#include "notify/channel.h"
#include "vault/vault.h"

static const struct {
	const char *name, *plugin, *target, *secret;
} kinds[CHANNEL_KINDS] = {
	[CHANNEL_EMAIL] = { "email", "notify-email", "to", NULL },
	[CHANNEL_TELEGRAM] = { "telegram", "notify-telegram", "chat_id",
		"bot_token" },
	[CHANNEL_DISCORD] = { "discord", "notify-discord", NULL,
		"webhook_url" },
	[CHANNEL_WEBHOOK] = { "webhook", "notify-webhook", "url", "secret" },
};

const char *
channel_kind_name(enum channel_kind k)
{
	return (unsigned)k < CHANNEL_KINDS ? kinds[k].name : NULL;
}

int
channel_kind_parse(const char *s)
{
	int k;

	for (k = 0; s != NULL && k < CHANNEL_KINDS; k++)
		if (strcmp(kinds[k].name, s) == 0)
			return k;
	return -1;
}

const char *
channel_plugin(enum channel_kind k)
{
	return (unsigned)k < CHANNEL_KINDS ? kinds[k].plugin : NULL;
}

const char *
channel_target_key(enum channel_kind k)
{
	return (unsigned)k < CHANNEL_KINDS ? kinds[k].target : NULL;
}

const char *
channel_secret_name(enum channel_kind k)
{
	return (unsigned)k < CHANNEL_KINDS ? kinds[k].secret : NULL;
}

int
channel_mask_parse(const char *list)
{
	char name[16];
	const char *p = list, *e;
	int mask = 0, k;
	size_t n;

	if (list == NULL || *list == '\0')
		return 0;
	for (;;) {
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || n >= sizeof(name))
			return -1;
		memcpy(name, p, n);
		name[n] = '\0';
		if ((k = channel_kind_parse(name)) < 0 || (mask & (1 << k)))
			return -1;
		mask |= 1 << k;
		if (e == NULL)
			return mask;
		p = e + 1;
	}
}

const char *
channel_mask_format(unsigned mask, char *buf, size_t cap)
{
	size_t at = 0;
	int k;

	if (cap == 0)
		return buf;
	buf[0] = '\0';
	for (k = 0; k < CHANNEL_KINDS; k++) {
		int n;

		if (!(mask & (1u << k)))
			continue;
		n = snprintf(buf + at, cap - at, "%s%s", at ? "," : "",
			kinds[k].name);
		if (n < 0 || (size_t)n >= cap - at)
			break;
		at += (size_t)n;
	}
	return buf;
}

/* ---- settings as given ------------------------------------------------------ */

/* No control character, no space: text that goes into a URL or header. */
static int
plain_text(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 0;
	return 1;
}

static int
url_ok(const char *s)
{
	const char *host;

	if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else
		return 0;
	return *host != '\0' && *host != '/' && plain_text(s);
}

/* An address: local@domain, printable, no space, no CR/LF, <= 254. */
static int
address_ok(const char *s)
{
	const char *at = strchr(s, '@');

	return strlen(s) <= 254 && at != NULL && at != s && at[1] != '\0' &&
	    strchr(at + 1, '@') == NULL && strchr(at + 1, '.') != NULL &&
	    strpbrk(s, "<>,;\"") == NULL && plain_text(s);
}

/* A Telegram chat: a (negative) number or @name (5-32 of [A-Za-z0-9_]). */
static int
chat_ok(const char *s)
{
	size_t i = 0, n = strlen(s);

	if (s[0] == '@') {
		if (n < 6 || n > 33)
			return 0;
		for (i = 1; i < n; i++)
			if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
			    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
			    s[i] == '_'))
				return 0;
		return 1;
	}
	if (s[0] == '-')
		i = 1;
	if (n == i || n - i > 20)
		return 0;
	return strspn(s + i, "0123456789") == n - i;
}

/* The check of a target of kind k (NULL: fine), else what is expected. */
static const char *
target_check(enum channel_kind k, const char *v)
{
	switch (k) {
	case CHANNEL_EMAIL:
		return address_ok(v) ? NULL : "expected an e-mail address "
		    "(local@domain, at most 254 bytes)";
	case CHANNEL_TELEGRAM:
		return chat_ok(v) ? NULL : "expected a chat id (digits, "
		    "negative for groups) or @channelname";
	case CHANNEL_WEBHOOK:
		return url_ok(v) ? NULL : "expected an http:// or https:// URL "
		    "without spaces";
	default:
		return "not a member of this kind";
	}
}

/* The check of a secret given itself (NULL: fine). */
static const char *
secret_check(enum channel_kind k, const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > VAULT_VALUE_MAX)
		return "expected a string of 1 to 4096 bytes";
	if (k == CHANNEL_DISCORD && (!url_ok(v) ||
	    strstr(v, "/api/webhooks/") == NULL))
		return "expected a Discord webhook URL "
		    "(https://discord.com/api/webhooks/ID/TOKEN)";
	if (k == CHANNEL_TELEGRAM && (!plain_text(v) || strchr(v, '/') ||
	    strchr(v, ':') == NULL))
		return "expected a bot token (ID:TOKEN, as BotFather gives it)";
	if (k == CHANNEL_WEBHOOK && n < 16)
		return "expected at least 16 bytes (an HMAC key)";
	return NULL;
}

int
channel_settings_parse(enum channel_kind kind, const cJSON *body,
	int may_reference, struct channel_settings *out, char *err,
	size_t errlen)
{
	const char *tkey = channel_target_key(kind);
	const char *skey = channel_secret_name(kind), *why;
	char refkey[32];
	const cJSON *m;
	int has_secret = 0;

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	if ((unsigned)kind >= CHANNEL_KINDS) {
		snprintf(err, errlen, "kind: expected email, telegram, discord "
			"or webhook");
		return QD_ERR_INVALID;
	}
	if (!cJSON_IsObject(body)) {
		snprintf(err, errlen, "the settings must be a JSON object");
		return QD_ERR_INVALID;
	}
	snprintf(refkey, sizeof(refkey), "%s_ref", skey ? skey : "");
	cJSON_ArrayForEach(m, body) {
		const char *k = m->string;
		int is_t = tkey && strcmp(k, tkey) == 0;
		int is_s = skey && strcmp(k, skey) == 0;
		int is_r = skey && strcmp(k, refkey) == 0;

		if (!is_t && !is_s && !is_r) {
			snprintf(err, errlen, "%.40s: not a setting of a %s "
				"channel (it takes %s%s%s%s%s)", k,
				kinds[kind].name, tkey ? tkey : "",
				tkey && skey ? ", " : "", skey ? skey : "",
				skey ? " or " : "", skey ? refkey : "");
			goto bad;
		}
		if (!cJSON_IsString(m)) {
			snprintf(err, errlen, "%.40s: expected a string", k);
			goto bad;
		}
		if (is_t) {
			if (strlen(m->valuestring) > CHANNEL_TARGET_MAX ||
			    (why = target_check(kind, m->valuestring)) !=
			    NULL) {
				snprintf(err, errlen, "%s: %s", k,
					strlen(m->valuestring) >
					CHANNEL_TARGET_MAX ? "longer than "
					"1000 bytes" : why);
				goto bad;
			}
			snprintf(out->target, sizeof(out->target), "%s",
				m->valuestring);
			continue;
		}
		if (has_secret++) {
			snprintf(err, errlen, "%s: give the secret or a "
				"reference to it, not both", refkey);
			goto bad;
		}
		if (is_r) {
			const char *r = m->valuestring;

			if (!may_reference) {
				snprintf(err, errlen, "%s: references to the "
					"daemon's environment or files are for "
					"operators; give %s itself (it is "
					"sealed in the store)", refkey, skey);
				channel_settings_clear(out);
				return QD_ERR_DENIED;
			}
			if ((strncmp(r, "env:", 4) != 0 || r[4] == '\0') &&
			    (strncmp(r, "file:", 5) != 0 || r[5] == '\0')) {
				snprintf(err, errlen, "%s: expected env:VAR or "
					"file:PATH", refkey);
				goto bad;
			}
			if (strlen(r) > CHANNEL_REF_MAX || !plain_text(r)) {
				snprintf(err, errlen, "%s: at most %d bytes, no "
					"spaces or control characters", refkey,
					CHANNEL_REF_MAX);
				goto bad;
			}
			snprintf(out->secret_ref, sizeof(out->secret_ref),
				"%s", r);
			continue;
		}
		if ((why = secret_check(kind, m->valuestring)) != NULL) {
			snprintf(err, errlen, "%s: %s", skey, why);
			goto bad;
		}
		if ((out->secret = strdup(m->valuestring)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto bad;
		}
	}
	if (tkey != NULL && out->target[0] == '\0') {
		snprintf(err, errlen, "%s: required for a %s channel", tkey,
			kinds[kind].name);
		goto bad;
	}
	if (skey != NULL && !has_secret) {
		snprintf(err, errlen, "%s: required for a %s channel (or %s, "
			"for an operator)", skey, kinds[kind].name, refkey);
		goto bad;
	}
	return QD_OK;
bad:
	channel_settings_clear(out);
	return QD_ERR_INVALID;
}

int
channel_settings_check_public(const struct channel_settings *s, char *err,
	size_t errlen)
{
	const char *url = s->kind == CHANNEL_WEBHOOK ? s->target :
	    s->kind == CHANNEL_DISCORD ? s->secret : NULL;
	char why[200];

	if (url == NULL || *url == '\0' ||
	    ipclass_url_check(url, why, sizeof(why)) == 0)
		return QD_OK;
	/* Discord's URL holds its token: the host named, never the URL. */
	snprintf(err, errlen, "%s: %s; users' URLs must reach public "
		"addresses", s->kind == CHANNEL_WEBHOOK ? "url" : "webhook_url",
		why);
	return QD_ERR_INVALID;
}

void
channel_settings_clear(struct channel_settings *s)
{
	if (s->secret != NULL) {
		explicit_bzero(s->secret, strlen(s->secret));
		free(s->secret);
		s->secret = NULL;
	}
}

