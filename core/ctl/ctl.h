/*
 * ctl -- the daemon's control socket, spoken by quantctl.
 *
 * A Unix stream socket (mode 0600).  A client connects, writes one request
 * line (JSON, at most 64 KiB, newline-terminated), reads one reply line
 * (JSON) and the daemon closes the connection.  Requests:
 *   {"cmd":"plugin.list"}                 plugins, instances and refusals
 *   {"cmd":"plugin.info","name":NAME}     one plugin's descriptor and params
 *   {"cmd":"instance.restart","name":N}   restart one instance
 *   {"cmd":"instance.stop","name":N}      stop one instance
 *   {"cmd":"reload"}                      same as SIGHUP
 *   {"cmd":"metrics"}                     {"ok":true,"content_type":...,
 *                                         "text":...}: Prometheus text
 * Replies: {"ok":true,...} or {"error":{"code":"...","message":"..."}}.
 */
#ifndef QD_CTL_H
#define QD_CTL_H

#include <stddef.h>

struct loop;
struct ctl;

/**
 * Handle one request (NUL-terminated, no newline).  Return a malloc'd reply
 * (one line of JSON, no newline); NULL means an internal error.
 */
typedef char *(*ctl_handler)(void *arg, const char *request);

/**
 * Listen on `path` (a stale socket file is replaced; a live daemon there is
 * an error).  Returns NULL on failure (logged).
 */
struct ctl *ctl_listen(struct loop *l, const char *path, ctl_handler fn,
	void *arg);
/** Close the socket and unlink its path. */
void ctl_close(struct ctl *c);

/** The reply {"error":{"code":code,"message":msg}}, malloc'd (NULL when
 *  out of memory, which the socket answers as an internal error). */
char *ctl_error(const char *code, const char *msg);

/** ctl_error() naming the request's member at fault, when `field` is not
 *  NULL: {"error":{"code","message","field"}}. */
char *ctl_error_field(const char *code, const char *msg, const char *field);

/**
 * Client: send `request`, wait up to timeout_ms for the reply.  Returns 0
 * with a malloc'd reply, -1 if no daemon listens at path (errno ENOENT or
 * ECONNREFUSED), -2 on any other failure (errno set).
 */
int ctl_request(const char *path, const char *request, char **reply,
	int timeout_ms);

#endif
