// sources: core/sandbox/frame.c
/*
 * fuzz_frames.c -- the frame decoder on arbitrary bytes from a "child": a
 * stream of frames is split by header, every header validated, and each
 * payload read with the decoding sequence of its type (the layouts proxy.c
 * reads).  The cursor must never read outside the payload, strings must end
 * inside it, and a frame must be rejected rather than crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
decode(const struct frame_hdr *h, const unsigned char *p)
{
	struct frame_in in;
	const char *s;
	uint64_t n;

	frame_in_init(&in, p, h->len);
	switch (h->type) {
	case F_LOG:
		frame_get_u32(&in);
		s = frame_get_str(&in, 4096);
		if (s != NULL && strlen(s) > 4096)
			abort();
		break;
	case F_ORDER_SUBMIT:
		frame_get_u32(&in);
		frame_get_u32(&in);
		frame_get_u32(&in);
		frame_get_u32(&in);
		frame_get_u32(&in);
		frame_get_f64(&in);
		frame_get_f64(&in);
		frame_get_f64(&in);
		frame_get_str(&in, 128);
		break;
	case F_STATE_SAVE:
		n = frame_get_u64(&in);
		if (n <= FRAME_MAX)
			frame_get_bytes(&in, n);
		break;
	case F_SUBSCRIBE:
	case F_TIMER_ADD:
		frame_get_u64(&in);
		frame_get_u64(&in);
		break;
	case F_SYMBOL_INTERN:
		frame_get_str(&in, 64);
		break;
	case F_FAIL:
		frame_get_u32(&in);
		frame_get_str(&in, 1024);
		break;
	case F_DONE:
	case F_RETIRED:
		frame_get_u32(&in);
		frame_get_u32(&in);
		break;
	case F_PROGRESS:
		frame_get_u32(&in);
		break;
	default:
		frame_get_u64(&in);
		break;
	}
	if (in.left > h->len)
		abort();
	(void)frame_in_done(&in);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (size - off >= FRAME_HDR) {
		struct frame_hdr h;
		const char *why = NULL;

		if (frame_check_header(data + off, &h, &why) != 0) {
			if (why == NULL)
				abort();
			return 0;
		}
		if (h.len > size - off - FRAME_HDR)
			return 0;   /* truncated: the host waits, then kills */
		decode(&h, data + off + FRAME_HDR);
		off += FRAME_HDR + h.len;
	}
	return 0;
}
