/*
 * client_lws -- the lws side of core/net/client.c: the protocol callback
 * net.c registers for client connections.  Only net.c and client.c include
 * this (it pulls in libwebsockets.h).
 */
#ifndef QD_NET_CLIENT_LWS_H
#define QD_NET_CLIENT_LWS_H

#include <libwebsockets.h>

/** The name client connections are bound to. */
#define NETC_PROTOCOL "quantd-client"

int netc_lws_callback(struct lws *wsi, enum lws_callback_reasons reason,
	void *user, void *in, size_t len);

#endif
