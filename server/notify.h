/* The service manager's readiness protocol (sd_notify(3)): a datagram of
 * "KEY=VALUE" lines to the AF_UNIX socket named by $NOTIFY_SOCKET. Written
 * here rather than linked from libsystemd: it is one sendto, documented by
 * systemd as a stable interface meant to be implemented by services, and
 * the server gains no library for it. */
#pragma once

/* Sends `state` (e.g. "READY=1", "RELOADING=1", "STOPPING=1") when
 * $NOTIFY_SOCKET is set: a path, or an abstract name written with a
 * leading '@'. Returns 1 sent, 0 no socket named (not under a service
 * manager), or a negative errno (a name too long: -ENAMETOOLONG; a name
 * that is neither a path nor abstract: -EINVAL; socket or sendto failed).
 * A failure is reported and changes nothing else: the server serves
 * either way. */
int notify_state(const char *state);
