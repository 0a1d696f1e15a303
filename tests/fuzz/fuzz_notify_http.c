// sources:
/*
 * fuzz_notify_http.c -- the HTTP notifiers' reading of a channel's answer
 * (plugins/common/notify_http.h: nh_answer, nh_retry_after) on arbitrary
 * bytes: the first two bytes are the HTTP status (0..599), the third
 * whether a Retry-After header comes, from the fourth on the body (and,
 * with the header, its first 16 bytes are the header's value).  Exactly
 * one notify_done per answer, a status the SDK knows, a detail that is
 * one printable line; a 429 says retry_after_ms=N with N > 0; anything
 * else aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/common/notify_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int calls, last_status, hdr;
static const uint8_t *hdr_at;
static size_t hdr_len;

static void
done(qd_ctx *ctx, uint64_t req, int status, const char *detail)
{
	const char *p;

	(void)ctx;
	if (req != 7 || status > 0 || status < QD_ERR_INTERNAL)
		abort();
	for (p = detail; p != NULL && *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			abort();
	if (status == QD_ERR_LIMIT && (detail == NULL ||
	    strncmp(detail, "retry_after_ms=", 15) != 0 ||
	    strtoll(detail + 15, NULL, 10) <= 0))
		abort();
	calls++;
	last_status = status;
}

static int
header(qd_ctx *ctx, const char *name, char *buf, size_t cap)
{
	size_t n = hdr_len < cap - 1 ? hdr_len : cap - 1;

	(void)ctx;
	if (!hdr || strcmp(name, "retry-after") != 0)
		return QD_ERR_NOTFOUND;
	memcpy(buf, hdr_at, n);
	buf[n] = '\0';
	return QD_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct qd_host_api api;
	static struct nh h;
	int status;

	if (size < 3)
		return 0;
	api.size = sizeof(api);
	api.notify_done = done;
	api.http_header = header;
	status = (data[0] << 8 | data[1]) % 600;
	hdr = data[2] & 1;
	hdr_at = data + 3;
	hdr_len = size - 3 < 16 ? size - 3 : 16;
	memset(&h, 0, sizeof(h));
	h.api = &api;
	h.pend[0].http = 99;
	h.pend[0].req = 7;
	h.n = 1;
	calls = 0;
	if (nh_answer(&h, 98, status, (const char *)data + 3, size - 3) != -1 ||
	    calls != 0)
		abort();        /* not ours: untouched */
	if (nh_answer(&h, 99, status, (const char *)data + 3, size - 3) != 0 ||
	    calls != 1 || h.n != 0)
		abort();
	if ((status >= 200 && status < 300) != (last_status == QD_OK))
		abort();
	return 0;
}
