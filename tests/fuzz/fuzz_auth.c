// sources: core/auth/auth.c core/vault/vault.c core/limit/limit.c core/host/sign.c core/store/store.c core/store/units.c core/store/sqlite.c core/store/pg.c core/store/auth.c core/store/migrations.c core/csv/csv.c core/util/file.c
// libs: libjwt liboath libargon2 libqrencode sqlite3 libpq libcrypto
/*
 * fuzz_auth.c -- what an API client controls of authentication, from
 * arbitrary bytes: the first byte chooses
 *   'J'  an access token (the rest): auth_token_verify() must refuse it
 *        with a reason (it cannot be signed with the secret) or, for the
 *        valid tokens of the corpus, accept it; never crash;
 *   else a signed request: the rest split on '\n' into key id, timestamp,
 *        nonce, signature, method, path and query, body; it must be
 *        refused (no key of the fuzzer's store signs it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <quantd/sdk.h>

#include "auth/auth.h"
#include "store/store.h"
#include "vault/vault.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct auth *a;

static void
init(void)
{
	static struct store *s;
	static struct vault *v;
	struct auth_config c;
	struct auth_api_key_new k;
	char path[64], err[600];
	int64_t id;

	setenv("QD_FUZZ_JWT", "fuzz-secret-of-at-least-thirty-two-bytes", 1);
	setenv("QD_FUZZ_MK", "000102030405060708090a0b0c0d0e0f"
		"101112131415161718191a1b1c1d1e1f", 1);
	snprintf(path, sizeof(path), "/tmp/qd-fuzz-auth-%d.db", (int)getpid());
	unlink(path);
	if (store_open(path, STORE_ROLE_ADMIN, &s, err, sizeof(err)) != QD_OK ||
	    vault_new(&v) != QD_OK ||
	    vault_load(v, "m=env:QD_FUZZ_MK", err, sizeof(err)) != QD_OK)
		abort();
	unlink(path);  /* the open connection keeps it */
	auth_config_defaults(&c);
	c.jwt_secret = "env:QD_FUZZ_JWT";
	c.argon_t_cost = 1;
	c.argon_m_cost_kib = 64;
	if (auth_new(&c, s, v, &a, err, sizeof(err)) != QD_OK ||
	    auth_user_add(a, "fuzz", "u", "fuzz password", "trader", "free",
	    &id) != QD_OK ||
	    auth_apikey_create(a, "fuzz", "u", AUTH_SCOPE_READ, "", &k) !=
	    QD_OK)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_identity id;
	struct auth_signed_request r;
	const char *f[7] = { "", "", "", "", "", "", "" };
	char *buf, *p;
	int n = 0;

	if (a == NULL)
		init();
	if (size == 0 || (buf = malloc(size)) == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	if (data[0] == 'J') {
		enum auth_reason rc = auth_token_verify(a, buf,
			1700000000000LL, &id);

		if (rc != AUTH_OK && id.user[0] != '\0')
			abort();  /* a refusal leaves no identity */
		free(buf);
		return 0;
	}
	for (p = buf; n < 6 && p != NULL; n++) {
		f[n] = p;
		if ((p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
	}
	memset(&r, 0, sizeof(r));
	r.key_id = f[0];
	r.timestamp = f[1];
	r.nonce = f[2];
	r.signature = f[3];
	r.method = f[4];
	r.path_query = f[5];
	r.body = p;
	r.body_len = p ? strlen(p) : 0;
	if (auth_apikey_verify(a, &r, 0, 1700000000000LL, &id) == AUTH_OK)
		abort();  /* nobody outside knows the key's secret */
	free(buf);
	return 0;
}
