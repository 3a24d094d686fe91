/* The network side of `pricelane lookup`: the line protocol over TCP or UDP
 * (UDP with a tag per request, timeouts and retries). */
#pragma once

/* Looks up codes[0..n) at server "HOST:PORT", printing one JSON answer line
 * per code, in order. Returns the exit status: 0 all ok, 1 some answer not
 * ok, 2 the server could not be reached or answered garbage. */
int pl_netclient_lookup(const char *server, int udp, const char *store, int member, int n,
                        char **codes);
