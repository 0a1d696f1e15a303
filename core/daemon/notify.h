/*
 * notify -- the daemon's notification commands (control socket): the
 * outbox's pending and dead rows, sending dead ones again, and users' own
 * channels (notify.channels, notify.channel.*; the API's /me/channels).
 */
#ifndef QD_DAEMON_NOTIFY_H
#define QD_DAEMON_NOTIFY_H

#include <cjson/cJSON.h>

struct outbox;

/** Handle a "notify.*" request; a malloc'd JSON reply.  `ob` NULL: the
 *  daemon has no outbox (an error reply says so). */
char *notify_request(struct outbox *ob, const char *cmd, const cJSON *req);

#endif
