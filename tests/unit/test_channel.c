/*
 * test_channel.c -- users' own notification channels (core/notify/
 * channel.h): the settings each kind takes and the reasons a bad one is
 * refused (never holding a secret), kind lists, and the book on a SQLite
 * store -- plans allow or refuse a kind, secrets sealed or referenced and
 * opened again, never shown, a downgrade seen at the next read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <quantd/sdk.h>

#include "notify/channel.h"
#include "store/store.h"
#include "vault/vault.h"

/* Parse `json` as kind k's settings; the return code, err and *s. */
static int
parse(enum channel_kind k, const char *json, int may_ref,
	struct channel_settings *s, char *err, size_t cap)
{
	cJSON *o = cJSON_Parse(json);
	int rc;

	assert_non_null(o);
	err[0] = '\0';
	rc = channel_settings_parse(k, o, may_ref, s, err, cap);
	cJSON_Delete(o);
	return rc;
}

/* Refused with QD_ERR_INVALID (or `want`), err starting with `field`. */
static void
refused(enum channel_kind k, const char *json, int want, const char *field)
{
	struct channel_settings s;
	char err[300];
	int rc = parse(k, json, 0, &s, err, sizeof(err));

	if (rc != want || strncmp(err, field, strlen(field)) != 0)
		fail_msg("%s %s: got %d \"%s\", wanted %d naming %s",
			channel_kind_name(k), json, rc, err, want, field);
	assert_null(s.secret);
}

/* Each kind takes its target and its secret; the secret is kept for
 * sealing (a copy wiped by _clear), a reference only from an operator. */
static void
settings_by_kind(void **st)
{
	struct channel_settings s;
	char err[300];

	(void)st;
	assert_int_equal(parse(CHANNEL_WEBHOOK, "{\"url\":\"https://a.b/h\","
		"\"secret\":\"0123456789abcdef\"}", 0, &s, err, sizeof(err)),
		QD_OK);
	assert_string_equal(s.target, "https://a.b/h");
	assert_string_equal(s.secret, "0123456789abcdef");
	assert_string_equal(s.secret_ref, "");
	channel_settings_clear(&s);
	assert_null(s.secret);
	assert_int_equal(parse(CHANNEL_TELEGRAM, "{\"chat_id\":\"-100123\","
		"\"bot_token_ref\":\"env:TG\"}", 1, &s, err, sizeof(err)),
		QD_OK);
	assert_string_equal(s.target, "-100123");
	assert_string_equal(s.secret_ref, "env:TG");
	assert_null(s.secret);
	assert_int_equal(parse(CHANNEL_DISCORD, "{\"webhook_url\":"
		"\"https://discord.com/api/webhooks/1/t\"}", 0, &s, err,
		sizeof(err)), QD_OK);
	assert_string_equal(s.target, "");
	channel_settings_clear(&s);
	assert_int_equal(parse(CHANNEL_EMAIL, "{\"to\":\"a@example.com\"}", 0,
		&s, err, sizeof(err)), QD_OK);
	assert_string_equal(s.target, "a@example.com");
}

/* What is refused, naming the member; a reference from a platform user
 * is QD_ERR_DENIED; no reason holds the secret it was given. */
static void
settings_refused_by_name(void **st)
{
	struct channel_settings s;
	char err[300];

	(void)st;
	refused(CHANNEL_WEBHOOK, "{\"secret\":\"0123456789abcdef\"}",
		QD_ERR_INVALID, "url: required");
	refused(CHANNEL_WEBHOOK, "{\"url\":\"ftp://x\",\"secret\":"
		"\"0123456789abcdef\"}", QD_ERR_INVALID, "url: expected");
	refused(CHANNEL_WEBHOOK, "{\"url\":\"https://a b\",\"secret\":"
		"\"0123456789abcdef\"}", QD_ERR_INVALID, "url: expected");
	refused(CHANNEL_WEBHOOK, "{\"url\":\"https://a\"}", QD_ERR_INVALID,
		"secret: required");
	refused(CHANNEL_WEBHOOK, "{\"url\":\"https://a\",\"secret\":\"short\"}",
		QD_ERR_INVALID, "secret: expected at least 16");
	refused(CHANNEL_WEBHOOK, "{\"url\":\"https://a\",\"secret\":"
		"\"0123456789abcdef\",\"secret_ref\":\"env:X\"}", QD_ERR_INVALID,
		"secret_ref: give the secret");
	refused(CHANNEL_WEBHOOK, "{\"url\":\"https://a\",\"secret_ref\":"
		"\"env:X\"}", QD_ERR_DENIED, "secret_ref: references");
	refused(CHANNEL_WEBHOOK, "{\"url\":\"https://a\",\"chat_id\":\"1\"}",
		QD_ERR_INVALID, "chat_id: not a setting of a webhook");
	refused(CHANNEL_EMAIL, "{\"to\":\"a@b.c\\r\\nBcc: x@y.z\"}",
		QD_ERR_INVALID, "to: expected an e-mail");
	refused(CHANNEL_EMAIL, "{\"to\":\"nobody\"}", QD_ERR_INVALID,
		"to: expected");
	refused(CHANNEL_EMAIL, "{\"to\":7}", QD_ERR_INVALID,
		"to: expected a string");
	refused(CHANNEL_TELEGRAM, "{\"chat_id\":\"12a\",\"bot_token\":"
		"\"1:AA\"}", QD_ERR_INVALID, "chat_id: expected");
	refused(CHANNEL_TELEGRAM, "{\"chat_id\":\"12\",\"bot_token\":"
		"\"1:AA/../x\"}", QD_ERR_INVALID, "bot_token: expected");
	refused(CHANNEL_DISCORD, "{\"webhook_url\":\"https://x/y\"}",
		QD_ERR_INVALID, "webhook_url: expected a Discord");
	refused(CHANNEL_EMAIL, "[]", QD_ERR_INVALID, "the settings");
	assert_int_equal(parse(CHANNEL_TELEGRAM, "{\"chat_id\":\"12\","
		"\"bot_token\":\"1:AA/leaky-token-value\"}", 0, &s, err,
		sizeof(err)), QD_ERR_INVALID);
	assert_null(strstr(err, "leaky-token-value"));
	assert_int_equal(parse(CHANNEL_WEBHOOK, "{\"url\":\"https://a\","
		"\"secret_ref\":\"ldap:x\"}", 1, &s, err, sizeof(err)),
		QD_ERR_INVALID);
}

/* Lists of kinds: parsed to a mask, refused when unknown, repeated or
 * empty, formatted back in kind order. */
static void
kind_lists(void **st)
{
	char buf[64];

	(void)st;
	assert_int_equal(channel_mask_parse(""), 0);
	assert_int_equal(channel_mask_parse(NULL), 0);
	assert_int_equal(channel_mask_parse("webhook,email"),
		(1 << CHANNEL_WEBHOOK) | (1 << CHANNEL_EMAIL));
	assert_int_equal(channel_mask_parse("email,email"), -1);
	assert_int_equal(channel_mask_parse("email,"), -1);
	assert_int_equal(channel_mask_parse("pager"), -1);
	assert_string_equal(channel_mask_format((1 << CHANNEL_WEBHOOK) |
		(1 << CHANNEL_EMAIL), buf, sizeof(buf)), "email,webhook");
	assert_string_equal(channel_plugin(CHANNEL_TELEGRAM), "notify-telegram");
	assert_int_equal(channel_kind_parse("discord"), CHANNEL_DISCORD);
	assert_int_equal(channel_kind_parse("Discord"), -1);
}

struct fixture {
	char db[256];
	struct vault *vault;
	struct channel_book *book;
};

static void
fixture_open(struct fixture *f, const char *tag)
{
	struct store_user u = { 0, "ann", "x", "trader", "enterprise", 0, 1,
		1 };
	struct store *s;
	char err[300];
	int64_t id;

	snprintf(f->db, sizeof(f->db), "/tmp/qd-channel-%d-%s.db",
		(int)getpid(), tag);
	unlink(f->db);
	setenv("QD_TEST_CHANNEL_MK", "ffeeddccbbaa99887766554433221100"
		"00112233445566778899aabbccddeeff", 1);
	assert_int_equal(vault_new(&f->vault), QD_OK);
	assert_int_equal(vault_load(f->vault, "k1=env:QD_TEST_CHANNEL_MK", err,
		sizeof(err)), QD_OK);
	assert_int_equal(store_open(f->db, STORE_ROLE_WRITER, &s, err,
		sizeof(err)), QD_OK);
	assert_int_equal(store_user_add(s, &u, &id), QD_OK);
	u.name = "pat";
	u.plan = "pro";
	assert_int_equal(store_user_add(s, &u, &id), QD_OK);
	store_close(s);
	f->book = channel_book_open(f->db, f->vault, err, sizeof(err));
	assert_non_null(f->book);
}

static void
fixture_close(struct fixture *f)
{
	char p[300];

	channel_book_close(f->book);
	vault_free(f->vault);
	unlink(f->db);
	snprintf(p, sizeof(p), "%s-wal", f->db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->db);
	unlink(p);
}

static int
book_set(struct fixture *f, const char *user, enum channel_kind k,
	const char *json, int may_ref, char *why, size_t cap)
{
	struct channel_settings s;
	int rc = parse(k, json, may_ref, &s, why, cap);

	if (rc == QD_OK)
		rc = channel_book_set(f->book, user, &s, 1000, why, cap);
	channel_settings_clear(&s);
	return rc;
}

/* An enterprise user sets a webhook: its secret is sealed, opened again
 * for sending and never in the JSON; a pro user is refused it with the
 * plan named, email allowed; a downgrade shows at the next read. */
static void
book_plans_and_sealed_secrets(void **st)
{
	struct fixture f;
	struct channel_resolved cr;
	char why[300], buf[128], *text;
	size_t len = 0;
	cJSON *o;

	(void)st;
	fixture_open(&f, "plans");
	assert_int_equal(book_set(&f, "ann", CHANNEL_WEBHOOK,
		"{\"url\":\"https://ann.example/h\",\"secret\":"
		"\"ann-secret-0123456789\"}", 0, why, sizeof(why)), QD_OK);
	assert_int_equal(channel_book_resolve(f.book, "ann", CHANNEL_WEBHOOK,
		&cr, why, sizeof(why)), QD_OK);
	assert_string_equal(cr.target, "https://ann.example/h");
	assert_int_equal(channel_book_secret(f.book, "ann", CHANNEL_WEBHOOK,
		"secret", buf, sizeof(buf), &len), QD_OK);
	assert_string_equal(buf, "ann-secret-0123456789");
	assert_int_equal(len, strlen(buf));
	assert_int_equal(channel_book_secret(f.book, "ann", CHANNEL_WEBHOOK,
		"bot_token", buf, sizeof(buf), &len), QD_ERR_NOTFOUND);
	assert_int_equal(channel_book_secret(f.book, "ann", CHANNEL_WEBHOOK,
		"secret", buf, 8, &len), QD_ERR_LIMIT);
	o = channel_book_json(f.book, "ann", -1);
	assert_non_null(o);
	text = cJSON_PrintUnformatted(o);
	assert_null(strstr(text, "ann-secret"));
	assert_non_null(strstr(text, "\"secret\":\"set\""));
	assert_non_null(strstr(text, "\"secret_from\":\"store\""));
	assert_non_null(strstr(text, "\"plan\":\"enterprise\""));
	free(text);
	cJSON_Delete(o);

	assert_int_equal(book_set(&f, "pat", CHANNEL_TELEGRAM,
		"{\"chat_id\":\"5\",\"bot_token\":\"1:AAx\"}", 0, why,
		sizeof(why)), QD_ERR_DENIED);
	assert_non_null(strstr(why, "the pro plan does not include telegram"));
	assert_int_equal(book_set(&f, "pat", CHANNEL_EMAIL,
		"{\"to\":\"pat@example.com\"}", 0, why, sizeof(why)), QD_OK);
	assert_int_equal(channel_book_kinds(f.book, "pat"),
		1u << CHANNEL_EMAIL);
	assert_int_equal(channel_book_resolve(f.book, "pat", CHANNEL_WEBHOOK,
		&cr, why, sizeof(why)), QD_ERR_NOTFOUND);

	/* ann moved to pro: kept, but refused at the next read */
	{
		struct store *s;
		struct store_user u = { 1, "ann", "x", "trader", "pro", 0, 1,
			2 };

		assert_int_equal(store_open(f.db, STORE_ROLE_WRITER, &s, why,
			sizeof(why)), QD_OK);
		assert_int_equal(store_user_update(s, &u), QD_OK);
		store_close(s);
	}
	o = channel_book_json(f.book, "ann", CHANNEL_WEBHOOK);  /* re-reads */
	text = cJSON_PrintUnformatted(o);
	assert_non_null(strstr(text, "\"allowed\":false"));
	free(text);
	cJSON_Delete(o);
	assert_int_equal(channel_book_resolve(f.book, "ann", CHANNEL_WEBHOOK,
		&cr, why, sizeof(why)), QD_ERR_DENIED);
	assert_non_null(strstr(why, "the pro plan does not include webhook"));
	assert_int_equal(channel_book_delete(f.book, "ann", CHANNEL_WEBHOOK),
		QD_OK);
	assert_int_equal(channel_book_delete(f.book, "ann", CHANNEL_WEBHOOK),
		QD_ERR_NOTFOUND);
	fixture_close(&f);
}

/* An operator's reference is read when needed (a missing variable is not
 * found); a user the store does not know (the operators' "admin") has
 * every kind; without a master key a secret cannot be sealed. */
static void
book_references_operators_and_no_key(void **st)
{
	struct fixture f;
	struct channel_book *nokey;
	char why[300], buf[128];
	size_t len = 0;

	(void)st;
	fixture_open(&f, "refs");
	assert_int_equal(book_set(&f, "admin", CHANNEL_TELEGRAM,
		"{\"chat_id\":\"-9\",\"bot_token_ref\":\"env:QD_TEST_TG_TOKEN\"}",
		1, why, sizeof(why)), QD_OK);
	unsetenv("QD_TEST_TG_TOKEN");
	assert_int_equal(channel_book_secret(f.book, "admin",
		CHANNEL_TELEGRAM, "bot_token", buf, sizeof(buf), &len),
		QD_ERR_NOTFOUND);
	setenv("QD_TEST_TG_TOKEN", "77:AAfromenv", 1);
	assert_int_equal(channel_book_secret(f.book, "admin",
		CHANNEL_TELEGRAM, "bot_token", buf, sizeof(buf), &len), QD_OK);
	assert_string_equal(buf, "77:AAfromenv");
	nokey = channel_book_open(f.db, NULL, why, sizeof(why));
	assert_non_null(nokey);
	{
		struct channel_settings s;

		assert_int_equal(parse(CHANNEL_WEBHOOK, "{\"url\":\"https://a\","
			"\"secret\":\"0123456789abcdef\"}", 0, &s, why,
			sizeof(why)), QD_OK);
		assert_int_equal(channel_book_set(nokey, "ann", &s, 1, why,
			sizeof(why)), QD_ERR_STATE);
		channel_settings_clear(&s);
	}
	channel_book_close(nokey);
	fixture_close(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(settings_by_kind),
		cmocka_unit_test(settings_refused_by_name),
		cmocka_unit_test(kind_lists),
		cmocka_unit_test(book_plans_and_sealed_secrets),
		cmocka_unit_test(book_references_operators_and_no_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
