/*
 * ctl.c -- control socket server (libevent) and client (blocking).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "ctl/ctl.h"
#include "log/log.h"
#include "loop/loop.h"

#define MAX_REQUEST (64 * 1024)

struct ctl {
	struct evconnlistener *lst;
	char *path;
	ctl_handler fn;
	void *arg;
};

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	(void)arg;
	bufferevent_free(bev);
}

static void
conn_written(struct bufferevent *bev, void *arg)
{
	(void)arg;
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		bufferevent_free(bev);
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct ctl *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line, *reply;

	line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
	if (line == NULL) {
		if (evbuffer_get_length(in) > MAX_REQUEST) {
			static const char tl[] = "{\"error\":{\"code\":"
				"\"too_large\",\"message\":\"request longer "
				"than 64 KiB\"}}\n";

			bufferevent_disable(bev, EV_READ);
			bufferevent_setcb(bev, NULL, conn_written, conn_event,
				c);
			bufferevent_write(bev, tl, sizeof(tl) - 1);
		}
		return;
	}
	reply = strlen(line) == len ? c->fn(c->arg, line) : NULL;
	/* a request may carry a secret (quantctl secrets set, notify
	 * channel set --secret-stdin): not left in freed memory */
	explicit_bzero(line, len);
	free(line);
	bufferevent_disable(bev, EV_READ);
	bufferevent_setcb(bev, NULL, conn_written, conn_event, c);
	if (reply == NULL) {
		static const char ie[] = "{\"error\":{\"code\":\"internal\","
			"\"message\":\"the request could not be handled\"}}\n";

		bufferevent_write(bev, ie, sizeof(ie) - 1);
		return;
	}
	bufferevent_write(bev, reply, strlen(reply));
	bufferevent_write(bev, "\n", 1);
	free(reply);
}

static void
on_accept(struct evconnlistener *lst, evutil_socket_t fd, struct sockaddr *sa,
	int salen, void *arg)
{
	struct ctl *c = arg;
	struct bufferevent *bev;
	struct timeval tv = { 10, 0 };

	(void)sa;
	(void)salen;
	bev = bufferevent_socket_new(evconnlistener_get_base(lst), fd,
		BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		close(fd);
		return;
	}
	bufferevent_setcb(bev, conn_read, NULL, conn_event, c);
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_enable(bev, EV_READ);
}

struct ctl *
ctl_listen(struct loop *l, const char *path, ctl_handler fn, void *arg)
{
	struct ctl *c;
	struct sockaddr_un sun;
	char *reply = NULL;
	mode_t old;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_error("ctl", "control socket path %s is longer than %zu "
			"bytes; set control_socket to a shorter path", path,
			sizeof(sun.sun_path) - 1);
		return NULL;
	}
	if (ctl_request(path, "{\"cmd\":\"ping\"}", &reply, 500) == 0) {
		free(reply);
		log_error("ctl", "another quantd is already serving %s; stop "
			"it or set another control_socket", path);
		return NULL;
	}
	unlink(path);
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->path = strdup(path)) == NULL) {
		free(c);
		return NULL;
	}
	c->fn = fn;
	c->arg = arg;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	old = umask(077);
	c->lst = evconnlistener_new_bind(loop_base(l), on_accept, c,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
		(struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (c->lst == NULL) {
		log_error("ctl", "cannot listen on %s: %s", path,
			strerror(errno));
		free(c->path);
		free(c);
		return NULL;
	}
	return c;
}

void
ctl_close(struct ctl *c)
{
	if (c == NULL)
		return;
	evconnlistener_free(c->lst);
	unlink(c->path);
	free(c->path);
	free(c);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
ctl_request(const char *path, const char *request, char **reply,
	int timeout_ms)
{
	struct sockaddr_un sun;
	int fd, saved;
	size_t len = strlen(request), off = 0, n = 0, cap = 4096;
	char *buf = NULL;
	int64_t deadline = now_ms() + timeout_ms;

	*reply = NULL;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -2;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -2;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return (saved == ENOENT || saved == ECONNREFUSED) ? -1 : -2;
	}
	while (off < len + 1) {
		const char *p = off < len ? request + off : "\n";
		size_t want = off < len ? len - off : 1;
		ssize_t w = send(fd, p, want, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if ((buf = malloc(cap)) == NULL)
		goto fail;
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int64_t left = deadline - now_ms();
		ssize_t r;
		int pr;

		if (left <= 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			errno = pr == 0 ? ETIMEDOUT : errno;
			goto fail;
		}
		if (n + 1 >= cap) {
			char *nb;

			if (cap >= 64u << 20 ||
			    (nb = realloc(buf, cap * 2)) == NULL)
				goto fail;
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	*reply = buf;
	return 0;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return -2;
}

char *
ctl_error_field(const char *code, const char *msg, const char *field)
{
	cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o,
		"error");
	char *s;

	cJSON_AddStringToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", msg);
	if (field != NULL)
		cJSON_AddStringToObject(e, "field", field);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

char *
ctl_error(const char *code, const char *msg)
{
	return ctl_error_field(code, msg, NULL);
}
