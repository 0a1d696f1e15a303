/*
 * ctl -- the daemon's control socket, spoken by quantctl.
 *
 * A Unix stream socket (mode 0600).  A client connects, writes one request
 * line (JSON, at most 64 KiB, newline-terminated), reads one reply line
 * (JSON) and the daemon closes the connection.  The loop's thread reads
 * the requests; a handler answers at once (its reply is queued on the
 * loop) or takes the connection over (ctl_defer()) and answers later from
 * any thread: the reply is then written by a thread of its own, and may
 * carry a file's bytes as a JSON string, read a piece at a time (a large
 * job result costs the loop's thread no disk work and the daemon no more
 * memory than a piece).  Requests:
 *   {"cmd":"plugin.list"}                 plugins, instances and refusals
 *   {"cmd":"plugin.info","name":NAME}     one plugin's descriptor and params
 *   {"cmd":"instance.restart","name":N}   restart one instance
 *   {"cmd":"instance.stop","name":N}      stop one instance
 *   {"cmd":"reload"}                      same as SIGHUP
 *   {"cmd":"metrics"}                     {"ok":true,"content_type":...,
 *                                         "text":...}: Prometheus text
 *   {"cmd":"job.result","id":N}           a finished job's file (and
 *                                         job.report, job.trades;
 *                                         core/daemon/jobs.h), given
 *                                         later by a thread
 * Replies: {"ok":true,...} or {"error":{"code":"...","message":"..."}}.
 */
#ifndef QD_CTL_H
#define QD_CTL_H

#include <stddef.h>

struct loop;
struct ctl;
struct ctl_conn;
struct ctl_later;

/** Replies taken over with ctl_defer() and not yet done, at most. */
#define CTL_LATER_MAX 64

/** The bytes of a file ctl_later_file() sends, at most (the jobs' result
 *  files are served up to this size). */
#define CTL_FILE_MAX ((size_t)64 << 20)
/** The bytes around them (head and tail together), at most. */
#define CTL_FRAME_MAX ((size_t)4096)
/**
 * The longest reply the daemon sends, its newline included: a file of
 * CTL_FILE_MAX bytes that all need \u00XX (6 bytes each) in its frame.
 * A reply made whole in memory that would be longer is answered with the
 * internal error instead; ctl_request() reads replies up to this size.
 */
#define CTL_REPLY_MAX (6 * CTL_FILE_MAX + CTL_FRAME_MAX + 1)

/**
 * Handle one request (NUL-terminated, no newline).  Return a malloc'd reply
 * (one line of JSON, no newline); NULL means an internal error, unless
 * the handler took the connection over: ctl_defer(conn).  `conn` is the
 * control socket's connection, or NULL when the handler is called
 * otherwise (the API runs the same commands).
 */
typedef char *(*ctl_handler)(void *arg, const char *request,
	struct ctl_conn *conn);

/**
 * Listen on `path` (a stale socket file is replaced; a live daemon there is
 * an error).  Returns NULL on failure (logged).
 */
struct ctl *ctl_listen(struct loop *l, const char *path, ctl_handler fn,
	void *arg);
/**
 * Close the socket and unlink its path, then wait for the replies in
 * flight (their clients' connections shut down first, so that a client
 * that stopped reading holds nothing up).  Every ctl_defer() must have
 * been answered (ctl_later_reply(), ctl_later_file()) by then, or this
 * waits for it.
 */
void ctl_close(struct ctl *c);

/**
 * Take over connection `conn` (loop thread, within the handler's call) to
 * answer it later, from any thread, with exactly one ctl_later_reply() or
 * ctl_later_file(); the handler then returns NULL.  NULL -- conn is NULL,
 * CTL_LATER_MAX replies are in flight, out of memory -- leaves the
 * connection to the handler's own reply.
 */
struct ctl_later *ctl_defer(struct ctl_conn *conn);

/**
 * Answer `l` with `reply` (one line of JSON, no newline; malloc'd, taken
 * over; NULL: the internal error) and close the connection.  Any thread;
 * returns at once (a thread of its own writes it).  `l` is freed.
 */
void ctl_later_reply(struct ctl_later *l, char *reply);

/**
 * Answer `l` with `head` (raw JSON text, copied), the `len` bytes of file
 * `fd` (read-only, taken over) as the inside of a JSON string, `tail`
 * (copied) and the newline, then close the connection: e.g. head
 * {"ok":true,"body":"  and tail "}.  A file longer than CTL_FILE_MAX, or
 * a head and tail longer than CTL_FRAME_MAX, is answered with the
 * internal error.  Any thread; returns at once.  A thread of its own
 * reads the file a piece at a time and writes each piece as it goes (at
 * most 10 s for a client to take one); the client finds the reply cut
 * short (no newline) if the file cannot be read.
 * The bytes are escaped as cJSON prints a string (\" \\ \b \f \n \r \t,
 * other control bytes \u00XX, every other byte as it is).  `l` is freed.
 */
void ctl_later_file(struct ctl_later *l, const char *head, int fd,
	size_t len, const char *tail);

/** The reply {"error":{"code":code,"message":msg}}, malloc'd (NULL when
 *  out of memory, which the socket answers as an internal error). */
char *ctl_error(const char *code, const char *msg);

/** ctl_error() naming the request's member at fault, when `field` is not
 *  NULL: {"error":{"code","message","field"}}. */
char *ctl_error_field(const char *code, const char *msg, const char *field);

/**
 * Client: send `request`, wait up to timeout_ms for the reply to begin and
 * as long for each piece of it after (a reply of hundreds of MiB takes
 * what it takes).  Returns 0 with a malloc'd reply (its newline removed),
 * -1 if no daemon listens at path (errno ENOENT or ECONNREFUSED), -2 on
 * any other failure (errno set: ETIMEDOUT; EMSGSIZE for a reply longer
 * than CTL_REPLY_MAX, which no daemon sends; ECONNRESET when the
 * connection ends before the reply's newline).  The buffer grows with the
 * reply: a short one costs little.
 */
int ctl_request(const char *path, const char *request, char **reply,
	int timeout_ms);

#endif
