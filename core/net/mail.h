/*
 * mail -- the host's SMTP client: e-mails notifiers send (api->mail_send)
 * go out from a thread of their own through libcurl's SMTP (STARTTLS or
 * implicit TLS, AUTH), so no plugin opens a socket and the core thread
 * never waits on a mail server.
 *
 * The core thread queues a message (copied, the password too, wiped once
 * sent); the mail thread sends the queued messages one after the other
 * (each bounded by its timeout) and hands each outcome back to the core
 * thread, where done(owner, id, status, detail) runs -- unless the owner
 * was forgotten meanwhile (its instance stopped).  Outcomes: QD_OK (the
 * server accepted it), QD_ERR_DENIED (login refused, TLS refused),
 * QD_ERR_INVALID (a recipient or sender refused), QD_ERR_TIMEOUT,
 * QD_ERR_IO (connection, server errors); the detail names libcurl's error
 * and the server's last reply code, never the password.
 */
#ifndef QD_NET_MAIL_H
#define QD_NET_MAIL_H

#include <stdint.h>
#include <quantd/sdk.h>

struct loop;
struct mailer;

typedef void (*mailer_fn)(void *owner, uint64_t id, int status,
	const char *detail);

/** Start the mail thread; TLS peers are checked against `ca_file` (PEM;
 *  NULL: the system's store).  NULL on failure (logged). */
struct mailer *mailer_start(struct loop *loop, const char *ca_file);
/** Stop (a message being sent is cut short), drop what is queued, free. */
void mailer_stop(struct mailer *m);

/**
 * Queue `msg` (checked by the caller: sdk.h's rules) with `password`
 * (NULL: none); *id identifies it in done().  QD_OK, QD_ERR_NOMEM,
 * QD_ERR_LIMIT (more than 1024 queued).  Core thread.
 */
int mailer_send(struct mailer *m, const struct qd_mail *msg,
	const char *password, mailer_fn done, void *owner, uint64_t *id);

/** No done() call for `owner` from now on.  Core thread. */
void mailer_forget(struct mailer *m, void *owner);

#endif
