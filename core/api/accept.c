/*
 * accept.c -- the API's listening socket and each connection's first
 * request's headers, before libwebsockets sees them (net thread).
 *
 * libwebsockets 4.1 closes a connection whose headers overflow its buffer
 * without a word.  So quantd accepts the API's connections itself: each
 * waits, as a raw descriptor in lws' own loop, while its bytes are read
 * into the connection's buffer, until the blank line that ends the first
 * request's headers.  Then the socket and the bytes read go to lws
 * together, as though lws had accepted it.  Headers longer than
 * API_HEADER_MAX bytes, request line included, are answered with a JSON
 * 431 instead; a client that has not sent its headers whole within
 * timeout_s is dropped, as lws would.
 *
 * Over TLS the bytes are ciphertext: those connections go to lws as they
 * are accepted.  The later requests of a kept-alive connection are lws'
 * alone too; its buffer (net.c) holds twice API_HEADER_MAX, so whatever
 * passed here fits it.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "api/internal.h"
#include "log/log.h"
#include "metrics/metrics.h"

/* A connection's state while its headers come in (the protocol's
 * per-session data; the listening socket's own is unused). */
struct waiting {
	int refused;                /* answered 431: reading what is left */
	int backoff_us;             /* see on_readable() */
	size_t len;                 /* bytes seen in the socket */
	size_t drained;             /* bytes thrown away after the 431 */
	char buf[API_HEADER_MAX + 2];   /* one past the cap, and a NUL */
};

/* After the 431, what is still coming is read and dropped (so that
 * closing does not reset the connection before the client has read the
 * answer), up to this many bytes or seconds. */
#define DRAIN_MAX (1024 * 1024)
#define DRAIN_S 2

/* The listening socket sleeps this long when the process is out of
 * descriptors (accepting again at once would spin). */
#define FULL_PAUSE_US 100000

static int
bind_one(const struct addrinfo *ai)
{
	int fd, one = 1, zero = 0;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* "all addresses" over IPv6 takes IPv4's too */
	if (ai->ai_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
			sizeof(zero));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(fd, SOMAXCONN) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int
api_listen_open(struct api *a, char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char port[8];
	int fd = -1, rc, e = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(port, sizeof(port), "%d", a->port);
	if ((rc = getaddrinfo(a->listen_host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s", gai_strerror(rc));
		return -1;
	}
	/* All addresses: IPv6's "::" first, which takes IPv4 too. */
	for (int pass = 0; pass < 2 && fd < 0; pass++)
		for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
			if (a->listen_host == NULL &&
			    (ai->ai_family == AF_INET6) != (pass == 0))
				continue;
			if (a->listen_host != NULL && pass == 1)
				break;
			if ((fd = bind_one(ai)) < 0)
				e = errno;
		}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(e ? e : EADDRNOTAVAIL));
		return -1;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		a->port = ntohs(ss.ss_family == AF_INET6 ?
			((struct sockaddr_in6 *)&ss)->sin6_port :
			((struct sockaddr_in *)&ss)->sin_port);
	a->listen_fd = fd;
	return 0;
}

size_t
api_accept_session_size(void)
{
	return sizeof(struct waiting);
}

int
api_listen_adopt(struct api *a)
{
	lws_sock_file_fd_type d;

	d.filefd = a->listen_fd;
	a->listen_wsi = lws_adopt_descriptor_vhost(a->vh,
		LWS_ADOPT_RAW_FILE_DESC, d, API_ACCEPT_PROTOCOL, NULL);
	if (a->listen_wsi == NULL)
		return -1;
	a->listen_fd = -1;          /* lws closes it with the vhost */
	return 0;
}

/* Count a refused request as the server counts the others. */
static void
count_refused(struct api *a, const char *line, const char *status)
{
	char method[16];
	size_t n = strcspn(line, " \r\n");
	int m;

	if (a->m_requests == NULL)
		return;
	snprintf(method, sizeof(method), "%.*s", (int)(n < 15 ? n : 15),
		line);
	m = api_method_parse(method);
	metrics_counter_add(metrics_counter(a->m_requests, (const char *[]){
		"other", m >= 0 ? api_method_name((enum api_method)m) : "other",
		status }), 1);
}

/* Answer headers too long: the JSON error and the security headers every
 * answer carries; then only reading until the client is done. */
static void
refuse(struct api *a, struct waiting *w, struct lws *wsi, int fd)
{
	char out[1024];
	char body[160];
	int bn, n;

	/* a request line alone past the cap: its path is too long */
	int uri = memchr(w->buf, '\n', API_HEADER_MAX) == NULL;

	bn = snprintf(body, sizeof(body), "{\"error\":{\"code\":\"%s\","
		"\"message\":\"the request%s over %d bytes\"}}",
		uri ? "uri_too_long" : "headers_too_large",
		uri ? " line is" : "'s headers are", API_HEADER_MAX);
	n = snprintf(out, sizeof(out), "HTTP/1.1 %s\r\n"
		"content-type: application/json\r\n"
		"content-length: %d\r\n"
		"connection: close\r\n"
		"x-content-type-options: nosniff\r\n"
		"x-frame-options: DENY\r\n"
		"referrer-policy: no-referrer\r\n"
		"content-security-policy: default-src 'none'; "
		"frame-ancestors 'none'\r\n"
		"cache-control: no-store\r\n"
		"\r\n%s", uri ? "414 URI Too Long" :
		"431 Request Header Fields Too Large", bn, body);
	/* Well under any socket's send buffer: it goes whole or the
	 * client is gone. */
	(void)send(fd, out, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)shutdown(fd, SHUT_WR);
	w->buf[w->len] = '\0';
	count_refused(a, w->buf, uri ? "414" : "431");
	w->refused = 1;
	lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, DRAIN_S);
}

/* Where the headers end in buf (just past the blank line), or 0. */
static size_t
headers_end(const struct waiting *w)
{
	/* the newline that ends the blank line, and the one before it
	 * (a CR between them is allowed) */
	for (size_t i = 0; i < w->len; i++) {
		if (w->buf[i] != '\n')
			continue;
		if (i >= 1 && w->buf[i - 1] == '\n')
			return i + 1;
		if (i >= 2 && w->buf[i - 1] == '\r' && w->buf[i - 2] == '\n')
			return i + 1;
	}
	return 0;
}

/* The connection's headers are whole, and still in the socket: the
 * socket goes to lws under a new descriptor.  The raw one lws closes next
 * first becomes /dev/null's: lws shuts a raw descriptor's socket down as
 * it closes it, which would end the connection for both.  0, or -1 when
 * the connection could not be given over (it is then dropped). */
static int
hand_over(struct api *a, int fd)
{
	int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0), null;

	if (nfd < 0)
		goto fail;
	if ((null = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		close(nfd);
		goto fail;
	}
	if (dup3(null, fd, O_CLOEXEC) < 0) {
		close(null);
		close(nfd);
		goto fail;
	}
	close(null);
	/* On failure lws has closed the descriptor or never owned it;
	 * either way it is not ours to close again. */
	(void)lws_adopt_socket_vhost(a->vh, nfd);
	return 0;
fail:
	log_warn("api", "a connection is dropped: %s", strerror(errno));
	return -1;
}

/*
 * The connection is readable.  Its bytes are looked at, not read, until
 * its headers are whole; so while they are not, the socket stays readable
 * and is not polled for a while (1 ms, doubling to 64 ms while nothing new
 * comes), or the loop would spin.  A client sends its headers in one
 * piece, usually: it never waits.  0 to keep waiting, -1 to close.
 */
static int
on_readable(struct api *a, struct waiting *w, struct lws *wsi)
{
	int fd = lws_get_socket_fd(wsi);
	size_t end;
	ssize_t n;

	if (w->refused) {
		char sink[4096];

		while ((n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT)) > 0)
			if ((w->drained += (size_t)n) > DRAIN_MAX)
				return -1;
		return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	}
	n = recv(fd, w->buf, API_HEADER_MAX + 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0)
		return -1;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if ((size_t)n > w->len)
		w->backoff_us = 1000;
	else if (w->backoff_us < 64000)
		w->backoff_us *= 2;
	w->len = (size_t)n;
	if ((end = headers_end(w)) > 0 && end <= API_HEADER_MAX) {
		(void)hand_over(a, fd);
		return -1;
	}
	if (w->len > API_HEADER_MAX) {
		refuse(a, w, wsi, fd);
		/* what is there and what follows is read and dropped */
		return on_readable(a, w, wsi);
	}
	lws_rx_flow_control(wsi, 0);
	lws_set_timer_usecs(wsi, w->backoff_us);
	return 0;
}

/* Accept what is waiting; over TLS straight to lws, else each to wait
 * for its headers. */
static void
accept_some(struct api *a)
{
	int lfd = lws_get_socket_fd(a->listen_wsi), one = 1;

	for (int i = 0; i < 64; i++) {
		lws_sock_file_fd_type d;
		struct lws *w;
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				if (!a->accept_paused)
					log_warn("api", "cannot accept a "
						"connection: %s; accepting "
						"again in %d ms",
						strerror(errno),
						FULL_PAUSE_US / 1000);
				a->accept_paused = 1;
				lws_rx_flow_control(a->listen_wsi, 0);
				lws_set_timer_usecs(a->listen_wsi,
					FULL_PAUSE_US);
			}
			return;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			sizeof(one));
		if (a->tls_cert != NULL) {
			(void)lws_adopt_socket_vhost(a->vh, fd);
			continue;
		}
		d.filefd = fd;
		w = lws_adopt_descriptor_vhost(a->vh, LWS_ADOPT_RAW_FILE_DESC,
			d, API_ACCEPT_PROTOCOL, NULL);
		if (w == NULL) {
			close(fd);
			continue;
		}
		lws_set_timeout(w, PENDING_TIMEOUT_USER_OK,
			(int)a->timeout_s);
	}
}

int
api_accept_callback(struct lws *wsi, enum lws_callback_reasons reason,
	void *user, void *in, size_t len)
{
	struct lws_vhost *vh = lws_get_vhost(wsi);
	struct api *a = vh ? lws_get_vhost_user(vh) : NULL;

	(void)in;
	(void)len;
	if (a == NULL || atomic_load(&a->stopped))
		return 0;
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (wsi != a->listen_wsi)
			return on_readable(a, user, wsi);
		accept_some(a);
		return 0;
	case LWS_CALLBACK_TIMER:
		/* the listening socket after a pause, or a connection to
		 * look at again */
		if (wsi == a->listen_wsi)
			a->accept_paused = 0;
		lws_rx_flow_control(wsi, 1);
		return 0;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		if (wsi == a->listen_wsi)
			a->listen_wsi = NULL;
		return 0;
	default:
		return 0;
	}
}
