/*
 * client -- WebSocket and HTTP(S) clients for plugins, on the net thread.
 *
 * The core thread opens connections and sends through these functions,
 * which never block: each copies what it needs and posts it to the net
 * thread (net_post).  The net thread runs the connection on the one lws
 * context and hands every event back through one inbox that the core
 * thread drains (a loop_post wake-up when it goes from empty to not, and a
 * 50 ms timer as a safety net), so events of a connection arrive in order
 * and none is dropped for want of queue space.
 *
 * URLs: ws:// wss:// http:// https://; TLS verifies the peer against the
 * system CA store.  Messages are reassembled from fragments; lws answers
 * pings.  Limits (per connection): a message or a response body of at most
 * `max_message` bytes (a bigger one closes the WebSocket with 1009, fails
 * the HTTP request with status 0), at most `max_send_queue` messages waiting
 * to be sent (ws_send fails with QD_ERR_LIMIT past it), a connect timeout,
 * and an idle timeout for WebSockets (no frame received for that long
 * closes with 1006).  An HTTP request has a total timeout.
 *
 * Host names are resolved by a resolver thread of the client (Debian's
 * libwebsockets has no asynchronous resolver): a slow DNS server delays
 * only the connections waiting for it, never the net or the core thread.
 * The connection then goes to the address found, with the URL's host name
 * in the Host header and in TLS's SNI (the certificate must be for it).
 *
 * NETC_PUBLIC_ONLY (users' URLs, see net/ipclass.h): the connection goes
 * only to a public unicast address.  The address is classified where it
 * is chosen -- a numeric host, or the lookup's answer (the first public
 * one of them; none: refused) -- and the address the socket is connected
 * to is checked again before the request is sent.  Redirects are not
 * followed (the 3xx is the answer).  A refusal is a failed connection
 * whose event has `refused` set and a reason such as "refused: 127.0.0.1
 * is a loopback address, not a public one".
 */
#ifndef QD_NET_CLIENT_H
#define QD_NET_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <quantd/sdk.h>

struct net;
struct loop;
struct net_client;

enum netc_type {
	NETC_WS_OPEN = 1,     /**< connected */
	NETC_WS_MESSAGE,      /**< a whole message: data, len */
	NETC_WS_CLOSE,        /**< closed (by either side or failed): code,
	                       *   reason; the id is gone afterwards */
	NETC_HTTP_RESPONSE,   /**< status (0 = failed, reason says why),
	                       *   body: data, len; the id is gone afterwards */
};

struct netc_event {
	enum netc_type type;
	uint64_t id;
	int code;             /**< WebSocket close code, or HTTP status */
	const char *data;     /**< message or body (NUL-terminated), or NULL */
	size_t len;
	const char *reason;   /**< close reason or error, or "" */
	/** HTTP answers: the headers, "name\0value\0" pairs with lower-case
	 *  names (netc_header() reads one), or NULL. */
	const char *headers;
	size_t headers_len;
	/** 1: NETC_PUBLIC_ONLY refused the destination (reason says why). */
	int refused;
};

/** Connection flags (netc_ws_open_flags, netc_http_flags). */
#define NETC_PUBLIC_ONLY 0x1u

/**
 * Host and port of a ws://, wss://, http:// or https:// URL, parsed as a
 * connection to it would be (the default port by scheme): 0, or -1 for
 * anything else, a URL with user information ("user@host") included.
 */
int netc_url_host(const char *url, char *host, size_t cap, int *port);

/** The value of header `name` (case-insensitive) of an HTTP answer, or
 *  NULL. */
const char *netc_header(const struct netc_event *ev, const char *name);

/** Called on the core thread for each event of a connection. */
typedef void (*netc_fn)(void *owner, const struct netc_event *ev);

struct netc_limits {
	size_t max_message;       /**< bytes; default 4 MiB */
	size_t max_send_queue;    /**< messages; default 1024 */
	int connect_timeout_s;    /**< default 10 */
	int idle_timeout_s;       /**< WebSockets; default 120 */
	int http_timeout_s;       /**< default 30 */
};

/** A client on `n`'s context; events come back to `core`.  NULL on
 *  failure.  Core thread. */
struct net_client *netc_new(struct net *n, struct loop *core,
	const struct netc_limits *limits);
/** Close every connection and free; before net_stop(). */
void netc_free(struct net_client *c);

/**
 * Open a WebSocket to `url` with extra request headers.  QD_OK and *id
 * (events follow: NETC_WS_OPEN, then messages, then one NETC_WS_CLOSE),
 * QD_ERR_INVALID for a URL that is not ws:// or wss://, QD_ERR_LIMIT when
 * the net thread's queue is full.
 */
int netc_ws_open(struct net_client *c, const char *url,
	const struct qd_kv *headers, uint32_t n_headers, netc_fn fn,
	void *owner, uint64_t *id);
/** netc_ws_open() with `flags` (NETC_PUBLIC_ONLY). */
int netc_ws_open_flags(struct net_client *c, unsigned flags,
	const char *url, const struct qd_kv *headers, uint32_t n_headers,
	netc_fn fn, void *owner, uint64_t *id);
/** Queue a text message.  QD_ERR_NOTFOUND for an unknown or closed id. */
int netc_ws_send(struct net_client *c, uint64_t id, const char *data,
	size_t len);
/** Close (code 1000); the NETC_WS_CLOSE event follows. */
int netc_ws_close(struct net_client *c, uint64_t id);

/**
 * Send an HTTP request (GET, POST, PUT, DELETE, ...); one
 * NETC_HTTP_RESPONSE follows.  timeout_s 0 = the default.
 */
int netc_http(struct net_client *c, const char *method, const char *url,
	const struct qd_kv *headers, uint32_t n_headers, const char *body,
	size_t body_len, int timeout_s, netc_fn fn, void *owner,
	uint64_t *id);
/** netc_http() with `flags` (NETC_PUBLIC_ONLY). */
int netc_http_flags(struct net_client *c, unsigned flags,
	const char *method, const char *url, const struct qd_kv *headers,
	uint32_t n_headers, const char *body, size_t body_len, int timeout_s,
	netc_fn fn, void *owner, uint64_t *id);

/** Close every connection of `owner` and drop its pending events, with
 *  no callback (an instance that stops). */
void netc_forget(struct net_client *c, void *owner);

#endif
