// sources: core/notify/channel.c core/net/ipclass.c core/net/client.c core/net/net.c core/loop/loop.c core/loop/queue.c core/log/log.c
// libs: libcjson libwebsockets libssl libcrypto
/*
 * fuzz_channel.c -- a user's channel settings from arbitrary bytes (the
 * body of PUT /api/v1/me/channels/{kind}, quantctl notify channel set) and
 * lists of channel kinds (an alert's "channels"): for every kind, with and
 * without the right to give references, a body is either refused with a
 * reason that never holds a value given as a secret, or accepted with a
 * target and a secret (or a reference) as its kind needs them; a kind list
 * that parses formats back to the same mask.  Never a crash or a leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <quantd/sdk.h>

#include "notify/channel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether the secret member of `o` shows up in err.  Only a secret with a
 * '~' counts: no message has one, so a secret that happens to be a piece
 * of a message's fixed text is no leak. */
static int
leaks(const cJSON *o, enum channel_kind k, const char *err)
{
	const char *name = channel_secret_name(k);
	const cJSON *m = name ? cJSON_GetObjectItemCaseSensitive(o, name) :
	    NULL;

	const cJSON *it;

	if (!cJSON_IsString(m) || strchr(m->valuestring, '~') == NULL)
		return 0;
	/* a member's name is echoed when it is unknown: not the secret */
	cJSON_ArrayForEach(it, o)
		if (strstr(it->string, m->valuestring) != NULL)
			return 0;
	return strstr(err, m->valuestring) != NULL;
}

static void
check_kind(const cJSON *o, enum channel_kind k, int may_ref)
{
	struct channel_settings s;
	char err[300];
	int rc;

	err[0] = '\0';
	rc = channel_settings_parse(k, o, may_ref, &s, err, sizeof(err));
	if (rc != QD_OK) {
		if (rc != QD_ERR_INVALID && rc != QD_ERR_DENIED)
			abort();
		if (err[0] == '\0' || leaks(o, k, err) || s.secret != NULL)
			abort();
		return;
	}
	if (channel_target_key(k) != NULL && s.target[0] == '\0')
		abort();
	if (channel_secret_name(k) != NULL &&
	    (s.secret == NULL) == (s.secret_ref[0] == '\0'))
		abort();
	if (!may_ref && s.secret_ref[0] != '\0')
		abort();
	if (strpbrk(s.target, " \r\n\t") != NULL)
		abort();
	/* the early SSRF check: an answer, and a reason when it refuses
	 * that never quotes the Discord URL (it holds the token) */
	err[0] = '\0';
	rc = channel_settings_check_public(&s, err, sizeof(err));
	if (rc != QD_OK && (rc != QD_ERR_INVALID || err[0] == '\0' ||
	    (s.secret != NULL && strlen(s.secret) > 8 &&
	    strstr(err, s.secret) != NULL)))
		abort();
	channel_settings_clear(&s);
	if (s.secret != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), list[64];
	cJSON *o;
	int k, mask;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	mask = channel_mask_parse(text);
	if (mask >= 0 && channel_mask_parse(channel_mask_format((unsigned)mask,
	    list, sizeof(list))) != mask)
		abort();
	o = cJSON_ParseWithLength(text, size);
	for (k = 0; k < CHANNEL_KINDS; k++) {
		check_kind(o, (enum channel_kind)k, 0);
		check_kind(o, (enum channel_kind)k, 1);
	}
	if (channel_kind_parse(text) >= 0 &&
	    strcmp(channel_kind_name((enum channel_kind)
	    channel_kind_parse(text)), text) != 0)
		abort();
	cJSON_Delete(o);
	free(text);
	return 0;
}
