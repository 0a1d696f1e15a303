/*
 * account -- the API's account routes, run on a worker thread of their
 * own: sign-in (argon2id costs tens of milliseconds and 64 MiB on purpose,
 * which the core thread must never wait for), tokens, registration, the
 * caller's 2FA, password and API keys, and the admins' users, plans and
 * audit log.  The worker has its own store connection and struct auth;
 * it answers each request itself (api_respond() is safe from any thread).
 *
 * Commands (the route table's `cmd`, routes.c):
 *   auth.login auth.refresh auth.logout auth.register      (no caller)
 *   me.get me.password me.2fa.enroll me.2fa.confirm me.2fa.disable
 *   me.keys me.keys.create me.keys.revoke                  (the caller)
 *   users.list users.add users.update audit.list plans.list (admins)
 */
#ifndef QD_ACCOUNT_H
#define QD_ACCOUNT_H

#include "auth/auth.h"

struct account;
struct api_request;

/** Settings of the worker. */
struct account_config {
	const char *store_url;
	const struct auth_config *auth;
	const char *master_keys;   /**< vault keys, or NULL */
	int registration_open;
};

/** Start the worker (its store, vault and auth).  NULL with err set. */
struct account *account_start(const struct account_config *c, char *err,
	size_t errlen);

/**
 * Queue `req` (an account route) for the worker, which answers it; `who`
 * is the authenticated caller, NULL for the routes that need none.
 * Core thread.
 */
void account_submit(struct account *ac, struct api_request *req,
	const struct auth_identity *who);

/** Whether route command `cmd` is one of the worker's. */
int account_route(const char *cmd);

/** Answer what is still queued (503), stop and free.  NULL: nothing. */
void account_stop(struct account *ac);

#endif
