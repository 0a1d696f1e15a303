/*
 * cmd_user.c -- `quantctl user`, `quantctl apikey` and `quantctl secrets`:
 * users, API keys and sealed credentials, worked on the store directly
 * (the daemon's storage.url of -c FILE, or --db URL), as `quantctl data`
 * does.  Every change is written to the audit log with actor "quantctl".
 *
 * Passwords and secret values are read from the terminal without echo
 * (twice, to catch a typo) or, when stdin is not a terminal, as its first
 * line; never from the command line, where `ps` and shell history would
 * show them.  Master keys: --keys SPEC or $QUANTD_MASTER_KEYS, SPEC being
 * "ID=env:VAR" or "ID=file:PATH", comma-separated, the last one current
 * (core/vault/vault.h).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <quantd/sdk.h>

#include "auth/auth.h"
#include "cli/cmd.h"
#include "store/store.h"
#include "vault/vault.h"

#define ACTOR "quantctl"
#define SECRET_LINE 1100

struct user_opts {
	const char *db;
	const char *keys;
	const char *role;
	const char *plan;
	const char *scopes;
	const char *label;
	const char *pos[3];   /* positional arguments */
	int npos;
	int json;
	int enable;
};

/* Options common to the three commands; 0, or 2 after a usage message. */
static int
parse(const char *cmd, int argc, char **argv, struct user_opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			cli_help(cmd, stdout);
			return 1;
		}
		if (strcmp(a, "--json") == 0) {
			o->json = 1;
			continue;
		}
		if (strcmp(a, "--enable") == 0) {
			o->enable = 1;
			continue;
		}
		if (a[0] != '-') {
			if (o->npos == 3)
				goto bad;
			o->pos[o->npos++] = a;
			continue;
		}
		if (v == NULL)
			goto bad;
		i++;
		if (strcmp(a, "--db") == 0)
			o->db = v;
		else if (strcmp(a, "--keys") == 0)
			o->keys = v;
		else if (strcmp(a, "--role") == 0)
			o->role = v;
		else if (strcmp(a, "--plan") == 0)
			o->plan = v;
		else if (strcmp(a, "--scopes") == 0)
			o->scopes = v;
		else if (strcmp(a, "--label") == 0)
			o->label = v;
		else
			goto bad;
	}
	return 0;
bad:
	fprintf(stderr, "quantctl %s: bad or incomplete option near '%s'\n",
		cmd, i < argc ? argv[i] : argv[argc - 1]);
	cli_help(cmd, stderr);
	return 2;
}

/* The store, a vault with the given keys (maybe none) and an auth over
 * them; 0, or 1 after printing why. */
struct ctx {
	struct store *s;
	struct vault *v;
	struct auth *a;
};

static int
ctx_open(struct cli *c, const struct user_opts *o, int need_keys,
	struct ctx *x)
{
	const char *spec = o->keys ? o->keys : getenv("QUANTD_MASTER_KEYS");
	struct auth_config cfg;
	char *url, err[600];

	memset(x, 0, sizeof(*x));
	if (vault_new(&x->v) != QD_OK)
		return 1;
	if (spec != NULL && *spec != '\0' &&
	    vault_load(x->v, spec, err, sizeof(err)) != QD_OK) {
		fprintf(stderr, "quantctl: %s\n", err);
		return 1;
	}
	if (need_keys && vault_current(x->v) == NULL) {
		fprintf(stderr, "quantctl: no master key: give --keys "
			"ID=env:VAR (or file:PATH) or set QUANTD_MASTER_KEYS\n");
		return 1;
	}
	if ((url = cli_store_url(c, o->db)) == NULL)
		return 1;
	if (store_open(url, STORE_ROLE_ADMIN, &x->s, err, sizeof(err)) !=
	    QD_OK) {
		fprintf(stderr, "quantctl: %s\n", err);
		free(url);
		return 1;
	}
	free(url);
	auth_config_defaults(&cfg);  /* no jwt_secret: no token here */
	if (auth_new(&cfg, x->s, x->v, &x->a, err, sizeof(err)) != QD_OK) {
		fprintf(stderr, "quantctl: %s\n", err);
		return 1;
	}
	return 0;
}

static void
ctx_close(struct ctx *x)
{
	auth_free(x->a);
	store_close(x->s);
	vault_free(x->v);
}

/* One line of secret input: from the terminal without echo, asked twice,
 * or stdin's first line.  0, or -1 after printing why. */
static int
read_secret(const char *what, char *buf, size_t cap)
{
	char again[SECRET_LINE];
	struct termios old, quiet;
	FILE *tty = isatty(STDIN_FILENO) ? fopen("/dev/tty", "r+e") : NULL;
	int i, rc = -1;

	if (tty == NULL) {
		if (fgets(buf, (int)cap, stdin) == NULL) {
			fprintf(stderr, "quantctl: no %s on stdin\n", what);
			return -1;
		}
		buf[strcspn(buf, "\r\n")] = '\0';
		return 0;
	}
	tcgetattr(fileno(tty), &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	for (i = 0; i < 2; i++) {
		char *dst = i == 0 ? buf : again;
		size_t n = i == 0 ? cap : sizeof(again);

		fprintf(tty, "%s%s: ", i ? "again, " : "", what);
		fflush(tty);
		if (fgets(dst, (int)n, tty) == NULL)
			break;
		dst[strcspn(dst, "\r\n")] = '\0';
		fputc('\n', tty);
	}
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fclose(tty);
	if (i == 2 && strcmp(buf, again) == 0)
		rc = 0;
	else
		fprintf(stderr, "quantctl: the two entries differ\n");
	OPENSSL_cleanse(again, sizeof(again));
	return rc;
}

static int
status(int rc, struct ctx *x, const char *what)
{
	int why = rc == QD_ERR_INVALID || rc == QD_ERR_STATE;

	if (rc == QD_OK)
		return 0;
	if (why && *store_error(x->s))
		fprintf(stderr, "quantctl: %s: %s (%s)\n", what,
			qd_strerror(rc), store_error(x->s));
	else
		fprintf(stderr, "quantctl: %s: %s%s\n", what, qd_strerror(rc),
			why ? " (see --help)" : "");
	return 1;
}

/* ---- user ---------------------------------------------------------------- */

static int
user_row(void *arg, const struct store_user *u)
{
	cJSON *arr = arg, *o;
	char when[32];
	time_t t = (time_t)(u->created_ms / 1000);
	struct tm tm;

	if (arr != NULL) {
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "id", (double)u->id);
		cJSON_AddStringToObject(o, "name", u->name);
		cJSON_AddStringToObject(o, "role", u->role);
		cJSON_AddStringToObject(o, "plan", u->plan);
		cJSON_AddBoolToObject(o, "disabled", u->disabled);
		cJSON_AddNumberToObject(o, "created_ms", (double)u->created_ms);
		cJSON_AddItemToArray(arr, o);
		return 0;
	}
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%-6" PRId64 " %-24s %-7s %-11s %-9s %s\n", u->id, u->name,
		u->role, u->plan, u->disabled ? "disabled" : "active", when);
	return 0;
}

static int
print_json(cJSON *j)
{
	char *t = cJSON_PrintUnformatted(j);

	if (t != NULL)
		puts(t);
	free(t);
	cJSON_Delete(j);
	return 0;
}

int
cmd_user(struct cli *c, int argc, char **argv)
{
	static const char *const need_name[] = { "add", "passwd", "role",
		"plan", "disable" };
	char pw[SECRET_LINE];
	struct user_opts o;
	struct ctx x;
	const char *sub;
	int64_t id;
	size_t i;
	int rc, known = 0;

	if ((rc = parse("user", argc, argv, &o)) != 0)
		return rc == 1 ? 0 : rc;
	o.json |= c->json;
	sub = o.npos > 0 ? o.pos[0] : "";
	for (i = 0; i < QD_COUNTOF(need_name); i++)
		known |= strcmp(sub, need_name[i]) == 0;
	if (!(known && o.npos >= 2) && strcmp(sub, "list") != 0) {
		fprintf(stderr, "quantctl user: expected add|list|passwd|role|"
			"plan|disable and a user name\n");
		cli_help("user", stderr);
		return 2;
	}
	if (((strcmp(sub, "role") == 0 || strcmp(sub, "plan") == 0) &&
	    o.npos != 3) || (strcmp(sub, "role") != 0 &&
	    strcmp(sub, "plan") != 0 && o.npos > 2)) {
		cli_help("user", stderr);
		return 2;
	}
	if (ctx_open(c, &o, 0, &x) != 0) {
		ctx_close(&x);
		return 1;
	}
	if (strcmp(sub, "list") == 0) {
		cJSON *arr = o.json ? cJSON_CreateArray() : NULL;

		rc = store_users(x.s, user_row, arr);
		if (arr != NULL)
			print_json(arr);
		rc = status(rc, &x, "listing users");
	} else if (strcmp(sub, "add") == 0 || strcmp(sub, "passwd") == 0) {
		if (read_secret("password", pw, sizeof(pw)) != 0) {
			rc = 2;
		} else if (sub[0] == 'a') {
			rc = auth_user_add(x.a, ACTOR, o.pos[1], pw,
				o.role ? o.role : "trader",
				o.plan ? o.plan : "free", &id);
			if (rc == QD_ERR_INVALID && strlen(pw) < 8)
				fprintf(stderr, "quantctl: a password has at "
					"least 8 characters\n");
			rc = status(rc, &x, "adding the user");
			if (rc == 0)
				printf("user %s added (id %" PRId64 ")\n",
					o.pos[1], id);
		} else {
			rc = status(auth_user_passwd(x.a, ACTOR, o.pos[1], pw),
				&x, "changing the password");
		}
		OPENSSL_cleanse(pw, sizeof(pw));
	} else if (strcmp(sub, "role") == 0) {
		rc = status(auth_user_role(x.a, ACTOR, o.pos[1], o.pos[2]), &x,
			"changing the role");
	} else if (strcmp(sub, "plan") == 0) {
		rc = status(auth_user_plan(x.a, ACTOR, o.pos[1], o.pos[2]), &x,
			"changing the plan");
	} else {
		rc = status(auth_user_disable(x.a, ACTOR, o.pos[1], !o.enable),
			&x, o.enable ? "enabling the user" :
			"disabling the user");
	}
	ctx_close(&x);
	return rc;
}

/* ---- apikey -------------------------------------------------------------- */

struct key_list {
	struct store *s;
	cJSON *arr;
};

static int
key_row(void *arg, const struct store_api_key *k)
{
	struct key_list *l = arg;
	cJSON *o;

	if (l->arr != NULL) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", k->id);
		cJSON_AddNumberToObject(o, "user_id", (double)k->user_id);
		cJSON_AddStringToObject(o, "label", k->label);
		cJSON_AddStringToObject(o, "scopes", k->scopes);
		cJSON_AddNumberToObject(o, "created_ms", (double)k->created_ms);
		cJSON_AddNumberToObject(o, "revoked_ms", (double)k->revoked_ms);
		cJSON_AddItemToArray(l->arr, o);
		return 0;
	}
	printf("%-28s user %-6" PRId64 " %-16s %-8s %s\n", k->id, k->user_id,
		k->scopes, k->revoked_ms ? "revoked" : "active", k->label);
	return 0;
}

static int
user_id_of(void *arg, const struct store_user *u)
{
	*(int64_t *)arg = u->id;
	return 1;
}

int
cmd_apikey(struct cli *c, int argc, char **argv)
{
	struct auth_api_key_new k;
	struct user_opts o;
	struct ctx x;
	const char *sub;
	int rc, scopes;

	if ((rc = parse("apikey", argc, argv, &o)) != 0)
		return rc == 1 ? 0 : rc;
	o.json |= c->json;
	sub = o.npos > 0 ? o.pos[0] : "";
	scopes = auth_scopes_parse(o.scopes ? o.scopes : "read");
	if (!((strcmp(sub, "create") == 0 && o.npos == 2) ||
	    (strcmp(sub, "revoke") == 0 && o.npos == 2) ||
	    (strcmp(sub, "list") == 0 && o.npos <= 2)) || scopes < 0) {
		fprintf(stderr, "quantctl apikey: expected create USER "
			"[--scopes read,trade,admin] | list [USER] | "
			"revoke ID\n");
		cli_help("apikey", stderr);
		return 2;
	}
	if (ctx_open(c, &o, strcmp(sub, "create") == 0, &x) != 0) {
		ctx_close(&x);
		return 1;
	}
	if (strcmp(sub, "create") == 0) {
		rc = auth_apikey_create(x.a, ACTOR, o.pos[1], (unsigned)scopes,
			o.label, &k);
		if (rc == QD_ERR_DENIED)
			fprintf(stderr, "quantctl: the scopes exceed what "
				"the user's role allows (admin: all; trader: "
				"read,trade; viewer: read)\n");
		rc = status(rc, &x, "creating the key");
		if (rc == 0) {
			printf("id:     %s\nsecret: %s\n(the secret is shown "
				"this once)\n", k.id, k.secret);
			OPENSSL_cleanse(&k, sizeof(k));
		}
	} else if (strcmp(sub, "revoke") == 0) {
		rc = status(auth_apikey_revoke(x.a, ACTOR, o.pos[1]), &x,
			"revoking the key");
	} else {
		struct key_list l = { x.s, o.json ? cJSON_CreateArray() : NULL };
		int64_t uid = 0;

		rc = QD_OK;
		if (o.npos == 2)
			rc = store_user_get(x.s, o.pos[1], 0, user_id_of, &uid);
		if (rc == QD_OK)
			rc = store_api_keys(x.s, uid, key_row, &l);
		if (l.arr != NULL)
			print_json(l.arr);
		rc = status(rc, &x, "listing keys");
	}
	ctx_close(&x);
	return rc;
}

/* ---- secrets --------------------------------------------------------------- */

static int
cred_row(void *arg, const struct store_credential *cr)
{
	cJSON *arr = arg;

	if (arr != NULL) {
		cJSON_AddItemToArray(arr, store_credential_json(cr));
		return 0;
	}
	printf("%-40s key %s\n", cr->name, cr->sealed.key_id);
	return 0;
}

int
cmd_secrets(struct cli *c, int argc, char **argv)
{
	char value[SECRET_LINE], err[600];
	struct user_opts o;
	struct ctx x;
	const char *sub;
	size_t n;
	int rc;

	if ((rc = parse("secrets", argc, argv, &o)) != 0)
		return rc == 1 ? 0 : rc;
	o.json |= c->json;
	sub = o.npos > 0 ? o.pos[0] : "";
	if (!((strcmp(sub, "set") == 0 && o.npos == 2) ||
	    (strcmp(sub, "rotate") == 0 && o.npos == 1) ||
	    (strcmp(sub, "list") == 0 && o.npos == 1))) {
		fprintf(stderr, "quantctl secrets: expected set NAME | list | "
			"rotate\n");
		cli_help("secrets", stderr);
		return 2;
	}
	if (ctx_open(c, &o, strcmp(sub, "list") != 0, &x) != 0) {
		ctx_close(&x);
		return 1;
	}
	if (strcmp(sub, "set") == 0) {
		if (read_secret(o.pos[1], value, sizeof(value)) != 0) {
			rc = 2;
		} else {
			rc = vault_credential_set(x.v, x.s, o.pos[1], value);
			if (rc == QD_OK)
				auth_audit(x.a, ACTOR, "secret.set", o.pos[1],
					"", 1, vault_current(x.v));
			rc = status(rc, &x, "storing the secret");
		}
		OPENSSL_cleanse(value, sizeof(value));
	} else if (strcmp(sub, "rotate") == 0) {
		rc = vault_rotate(x.v, x.s, ACTOR, &n, err, sizeof(err));
		if (rc == QD_OK) {
			printf("%zu secrets re-sealed under key %s\n", n,
				vault_current(x.v));
			rc = 0;
		} else {
			fprintf(stderr, "quantctl: %s\n", err);
			rc = 1;
		}
	} else {
		cJSON *arr = o.json ? cJSON_CreateArray() : NULL;

		rc = store_credentials(x.s, cred_row, arr);
		if (arr != NULL)
			print_json(arr);
		rc = status(rc, &x, "listing secrets");
	}
	ctx_close(&x);
	return rc;
}
