/*
 * api -- the HTTP API server: REST under /api/v1, the dashboard's static
 * files at /, /healthz and /readyz, served from the net thread's
 * libwebsockets context on one vhost (TLS when a certificate is configured,
 * HTTP/1.1 keep-alive).
 *
 * Threads.  The net thread reads a request (method, path, query, the
 * headers the API uses, the body up to body_max), answers what needs no
 * state of the daemon itself (static files, /healthz, CORS preflights, 404
 * and 405 from the route table, every malformed request) and hands the rest
 * to the core thread as a struct api_request through loop_post().  The core
 * thread's handler answers with api_respond(), at once or later (a job's
 * result); the answer goes back through a list the net thread drains when
 * lws_cancel_service() wakes it.  A connection closed meanwhile drops its
 * answer, nothing else.  When the core's queue is full the client gets 503
 * with Retry-After: the core is never blocked by the API.
 *
 * Errors are JSON, always: {"error":{"code":"...","message":"..."}} with the
 * status that says what happened (api_status_for() maps the codes).  Every
 * response carries the security headers (nosniff, frame denial, no
 * referrer, a strict content security policy for the dashboard; HSTS over
 * TLS); CORS is off unless origins are configured.
 *
 * Limits against hostile clients: request headers at most 8 KiB in all
 * (lws refuses more), the body at most body_max (413 as soon as
 * Content-Length or the bytes read pass it), a client that sends nothing
 * for timeout_s seconds is dropped (slowloris), as is one that takes no
 * slice of its answer for timeout_s (an answer may take longer in all),
 * at most max_conns connections (the next one is closed at once).
 *
 * Metrics (when a registry is given): quantd_api_requests_total by route
 * pattern, method and status, quantd_api_request_duration_seconds by
 * route (from the request's headers to its last byte written),
 * quantd_api_ws_clients and quantd_api_ws_slow_closed_total, all updated
 * on the net thread.
 */
#ifndef QD_API_H
#define QD_API_H

#include <stddef.h>
#include <stdint.h>

struct api;
struct loop;
struct metrics;
struct net;
struct api_request;

/** What a gate decides of a request the cache could answer. */
enum api_gate {
	API_GATE_CORE,     /**< undecided: the core thread handles it */
	API_GATE_PASS,     /**< let through (and counted): send the entry */
	API_GATE_REFUSE,   /**< refused (and counted): send the refusal */
};

/** A refusal a gate makes: status, body (malloc'd JSON, taken over) and
 *  Retry-After seconds (0: none). */
struct api_refusal {
	int status;
	char *body;
	int retry_after;
};

/**
 * The gate in front of the answer cache (the cache's section below):
 * called on the NET thread for a request the cache would answer; must not
 * block (no store, no core state: only what is safe to share between
 * threads).  Fills `out` when it says API_GATE_REFUSE.
 */
typedef enum api_gate (*api_gate_fn)(void *arg,
	const struct api_request *req, struct api_refusal *out);

/** The server's settings ("api" in the configuration). */
struct api_config {
	const char *listen;      /**< "host:port"; port 0 picks one (tests) */
	const char *tls_cert;    /**< PEM certificate chain file, or NULL */
	const char *tls_key;     /**< PEM private key file, or NULL */
	const char *static_dir;  /**< the dashboard's files, or NULL: none */
	const char *cors_origins;/**< comma-separated allowed origins ("*" for
	                              any), or NULL: CORS off */
	size_t body_max;         /**< request body cap, bytes (0: 1 MiB) */
	unsigned timeout_s;      /**< idle client limit (0: 10 s) */
	struct metrics *metrics; /**< where requests are counted, or NULL */
	api_gate_fn gate;        /**< in front of the answer cache, or NULL:
	                              nothing is answered from the cache on
	                              the net thread */
	void *gate_arg;
};

/** HTTP methods the router knows. */
enum api_method {
	API_GET,
	API_HEAD,
	API_POST,
	API_PUT,
	API_PATCH,
	API_DELETE,
	API_OPTIONS,
	API_METHOD_COUNT
};

/** At most this many path parameters ({name}) and query parameters. */
#define API_MAX_PARAMS 8
#define API_MAX_QUERY 16

/** A name and its value, both NUL-terminated and percent-decoded. */
struct api_kv {
	const char *key;
	const char *value;
};

/** A request on its way to the core thread (the core's to read; freed by
 *  api_respond()). */
struct api_request {
	uint64_t conn;               /**< the connection, for the answer */
	int64_t t0_ns;               /**< when its headers arrived */
	enum api_method method;
	int route;                   /**< index into the route table */
	const char *path;            /**< decoded, without the query */
	struct api_kv params[API_MAX_PARAMS];  /**< path parameters */
	size_t n_params;
	struct api_kv query[API_MAX_QUERY];
	size_t n_query;
	const char *authorization;   /**< the header, or NULL */
	const char *api_key;         /**< X-QD-Key, X-QD-Timestamp,       */
	const char *api_ts;          /**< X-QD-Nonce and X-QD-Signature:  */
	const char *api_nonce;       /**< an API key's signed request, or */
	const char *api_signature;   /**< NULL                            */
	const char *content_type;
	const char *peer;            /**< the client's address */
	const char *body;            /**< NUL-terminated (len bytes), or NULL */
	size_t body_len;
	struct api *api;
	struct api_request *prev_, *next_;  /**< the API's: requests owed an
	                                         answer, freed by api_stop() */
};

/**
 * The core thread's handler: answer `req` with api_respond() exactly once,
 * now or later.  Runs on the core thread.
 */
typedef void (*api_handler_fn)(void *arg, struct api_request *req);

/**
 * Start serving on the net thread of `n`; requests go to fn(arg, ...) on
 * `core`.  Returns NULL on failure (logged: the address, the TLS files).
 * Core thread; the listening socket exists when this returns.
 */
struct api *api_start(struct net *n, struct loop *core,
	const struct api_config *cfg, api_handler_fn fn, void *arg);

/** The port listened on (useful with port 0). */
int api_port(const struct api *a);

/** Stop listening and close every connection.  Core thread, before
 *  net_stop(), once the core loop no longer runs; answers made after it
 *  are dropped.  The server's memory stays until api_free(). */
void api_stop(struct api *a);

/** Free what api_stop() left, after net_stop() (libwebsockets may call
 *  the server until its thread ends).  Requests still owed an answer are
 *  freed, so a handler holding one must have let it go.  NULL: nothing. */
void api_free(struct api *a);

/** /readyz answers 200 once the daemon says it is ready, 503 before. */
void api_set_ready(struct api *a, int ready);

/**
 * Answer `req` (any thread: the core's handlers, a worker) and free it: `status` with `body` (JSON unless
 * content_type says otherwise; taken over, freed by the API; NULL: empty).
 * `retry_after` > 0 adds a Retry-After header (seconds).
 */
void api_respond(struct api_request *req, int status, char *body,
	const char *content_type, int retry_after);

/** api_respond() with `len` bytes of the open file `fd` (taken over:
 *  closed by the API), read a slice at a time as the client takes them,
 *  never whole in memory.  The file must not shrink meanwhile (an
 *  unlinked file stays readable). */
void api_respond_fd(struct api_request *req, int status, int fd, size_t len,
	const char *content_type);

/** api_respond() with a copy of `len` bytes of `body` (the caller keeps
 *  it): one copy, for answers kept in a cache. */
void api_respond_copy(struct api_request *req, int status, const char *body,
	size_t len, const char *content_type);

/** api_respond() with {"error":{"code":code,"message":msg}}. */
void api_respond_error(struct api_request *req, int status,
	const char *code, const char *msg);

/** The HTTP status for an error code of the control protocol
 *  ("not_found" -> 404, "bad_request" -> 400, ...; unknown: 500). */
int api_status_for(const char *code);

/** The value of query parameter `key`, or NULL. */
const char *api_query(const struct api_request *req, const char *key);
/** The value of path parameter `key`, or NULL. */
const char *api_param(const struct api_request *req, const char *key);

/* ---- answers kept on the net thread (cache.c) ----------------------------- */

/*
 * A GET of a route marked `cache` can be answered by the net thread alone,
 * with no trip to the core thread.  The core publishes the body of a
 * successful answer under the request's key -- its control request,
 * api_command_request(), so two requests asking the same thing in other
 * words share an entry -- with api_cache_put(); it replaces or drops
 * entries when the data under them changes (api_cache_clear(): a candle
 * closed), and each lives ttl_ms at most.
 *
 * A request whose key has a live entry goes through the gate first
 * (api_config.gate): the gate authenticates, checks the scope, takes the
 * caller's rate-limit token and says PASS (the entry's bytes are sent,
 * byte for byte what the core would send), REFUSE (its error is sent) or
 * CORE (it cannot decide here: the request goes to the core thread as any
 * other, which does every check itself).  A gate takes a token only when
 * it decides, so each request is counted exactly once, here or there; the
 * request metrics count every answer on the net thread either way.
 * Without a gate nothing is answered from the cache on the net thread.
 *
 * Entries are immutable pages shared by reference (a connection sending
 * one keeps it alive after a clear); at most API_CACHE_SLOTS are kept, the
 * oldest put replaced first, each at most API_CACHE_BODY_MAX bytes.
 */
#define API_CACHE_SLOTS 64
#define API_CACHE_BODY_MAX (4 * 1024 * 1024)

/**
 * Keep `len` bytes of `body` (copied) as the answer to the requests whose
 * key is `key`, for at most ttl_ms, replacing an entry of the same key.
 * Any thread.  QD_OK, QD_ERR_LIMIT for a body over API_CACHE_BODY_MAX,
 * QD_ERR_NOMEM.
 */
int api_cache_put(struct api *a, const char *key, const char *body,
	size_t len, int64_t ttl_ms);

/**
 * Answer `req` (as api_respond()) with the live entry of `key`, sharing
 * its bytes: 1 when answered (req is freed), 0 when there is none.  Any
 * thread.
 */
int api_cache_respond(struct api_request *req, const char *key);

/** Drop every entry (the data under them changed).  Any thread. */
void api_cache_clear(struct api *a);

/* ---- WebSocket /ws --------------------------------------------------------- */

/*
 * Clients connect to /ws and speak JSON text messages (at most
 * API_WS_MSG_MAX bytes; binary frames and bigger messages close the
 * connection).  The core thread decides everything: it gets every event of
 * a connection (api_ws_fn) and answers with the calls below, which are
 * delivered in the order made.  The net thread fans published messages
 * out to a channel's subscribers, each client through its own queue (at
 * most API_WS_QUEUE messages): a client that falls that far behind is
 * closed with 1008 "too slow" and never holds anything up; a client with
 * a delay gets each message that many milliseconds after it was made.
 */
#define API_WS_MSG_MAX 4096
#define API_WS_QUEUE 4096
#define API_WS_MAX_SUBS 64

enum api_ws_kind {
	API_WS_OPEN,      /**< connected: peer and authorization are set */
	API_WS_TEXT,      /**< a message: text, len */
	API_WS_CLOSED,    /**< gone; its subscriptions are already dropped */
};

/** One event of a WebSocket connection, valid for the call. */
struct api_ws_event {
	enum api_ws_kind kind;
	uint64_t conn;
	const char *peer;           /**< API_WS_OPEN */
	const char *authorization;  /**< API_WS_OPEN: the header, or NULL */
	const char *text;           /**< API_WS_TEXT: NUL-terminated */
	size_t len;
};

typedef void (*api_ws_fn)(void *arg, const struct api_ws_event *ev);

/** Where WebSocket events go (core thread, before clients come); without
 *  a handler /ws is refused. */
void api_set_ws(struct api *a, api_ws_fn fn, void *arg);

/** Send `text` to one client (core thread). */
void api_ws_send(struct api *a, uint64_t conn, const char *text);
/** Subscribe (on != 0) or unsubscribe a client to `channel` (core
 *  thread).  Returns 0, or QD_ERR_LIMIT past API_WS_MAX_SUBS. */
int api_ws_subscribe(struct api *a, uint64_t conn, const char *channel,
	int on);
/** Whether `conn` is subscribed to `channel` (core thread). */
int api_ws_subscribed(const struct api *a, uint64_t conn,
	const char *channel);
/** How many channels `conn` is subscribed to (core thread). */
size_t api_ws_subscriptions(const struct api *a, uint64_t conn);
/** Hold each message to `conn` for `delay_ms` before it goes out. */
void api_ws_delay(struct api *a, uint64_t conn, unsigned delay_ms);
/** Close a client with a WebSocket close code and reason. */
void api_ws_close(struct api *a, uint64_t conn, int code,
	const char *reason);
/** Send `text` to every subscriber of `channel` (core thread). */
void api_publish(struct api *a, const char *channel, const char *text);
/** Whether `channel` has a subscriber: publish only then (core thread). */
int api_wanted(const struct api *a, const char *channel);

/* ---- the bridge to the daemon's control commands (routes.c) ------------ */

/**
 * The control request (JSON text, malloc'd) for a route with a command:
 * path parameters as strings, the query parameters the route takes (typed),
 * the members of the body's JSON object.  NULL with the reason in err: the
 * client's mistake (400).
 */
char *api_command_request(const struct api_request *req, char *err,
	size_t errlen);

/** Answer `req` with a control reply (taken over): 200 with its members
 *  but "ok", or its error with the status of the error's code. */
void api_command_respond(struct api_request *req, char *reply);

/*
 * Control commands whose requests carry secrets (a credential, a user
 * channel's HMAC key, bot token or Discord webhook URL): every copy of
 * such a request -- the API request's body, the JSON texts, the parsed
 * objects -- is wiped before it is freed, so that the secret does not
 * linger in freed memory (core dumps, a later read of the heap).
 */
struct cJSON;
/** 1 for secrets.set, notify.channel.set and notify.channels.set. */
int api_command_secret(const char *cmd);
/** Wipe every string value inside `o`, nested objects and arrays
 *  included (member names stay); NULL is a no-op. */
void api_json_wipe(struct cJSON *o);
/** Wipe and free a malloc'd text; NULL is a no-op. */
void api_text_wipe_free(char *s);

/* ---- routing (pure; also used by the fuzz target) ----------------------- */

/** What a route needs of the caller. */
enum api_scope {
	API_SCOPE_NONE,   /**< anyone (health, the OpenAPI document) */
	API_SCOPE_READ,
	API_SCOPE_TRADE,
	API_SCOPE_ADMIN,
};

/** One route: a method and a pattern of literal segments and {params}. */
struct api_route {
	enum api_method method;
	const char *pattern;      /**< "/api/v1/instances/{name}/restart" */
	enum api_scope scope;
	const char *op;           /**< the OpenAPI operationId */
	const char *cmd;          /**< the control command it runs, or NULL:
	                               answered by the API itself */
	const char *args;         /**< query parameters it takes, as
	                               "name:type,..." (type s string, i
	                               integer, n number, b boolean); they
	                               become the command's fields (a path
	                               parameter named here gets its type) */
	int own;                  /**< the command acts for the caller: it
	                               gets the caller's name as "user"; 2:
	                               and "admin": true for an admin, who
	                               acts on every user's */
	int cache;                /**< a GET of public data whose successful
	                               answers may be kept (api_cache_put());
	                               never with `own` */
};

/** The OpenAPI 3.1 document (core/api/openapi.json, compiled in). */
extern const char api_openapi_json[];

/** The route table (routes.c), ended by a NULL pattern. */
extern const struct api_route api_routes[];

/** Result of api_route_match(). */
enum api_match {
	API_MATCH_OK,             /**< *route set, params filled */
	API_MATCH_NONE,           /**< no pattern matches the path: 404 */
	API_MATCH_METHOD,         /**< the path exists for other methods: 405 */
	API_MATCH_BAD,            /**< a malformed path: 400 */
};

/**
 * Find the route for `method` and the decoded `path` in `routes`.  Path
 * parameters are copied into `buf` (cap bytes) and pointed to by params.
 * `allow` (may be NULL) gets the methods the path has, as a bit mask of
 * 1 << enum api_method, for a 405's Allow header.
 */
enum api_match api_route_match(const struct api_route *routes,
	enum api_method method, const char *path, int *route,
	struct api_kv *params, size_t *n_params, char *buf, size_t cap,
	unsigned *allow);

/** "GET" ... ; the method for a name, or -1. */
const char *api_method_name(enum api_method m);
int api_method_parse(const char *name);

/**
 * Decode %XX escapes of `in` (len bytes) into out (cap bytes, NUL-ended).
 * Returns the decoded length, or -1 for a bad escape, an encoded NUL, a
 * result that is not valid UTF-8, or no room.
 */
long api_url_decode(const char *in, size_t len, char *out, size_t cap);

/** Whether `s` (len bytes) is valid UTF-8 (no overlongs, no surrogates). */
int api_utf8_valid(const char *s, size_t len);

#endif
