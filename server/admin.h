/* The admin HTTP listener on the control loop: /metrics (Prometheus text),
 * /healthz, /stats (JSON). One request per connection (Connection: close);
 * requests are parsed with http-parser. */
#pragma once
#include <uv.h>

#include "server.h"

typedef struct admin admin_t;

/* Binds srv->cfg.admin_addr (port 0: any free port, written back into
 * srv->admin_bound) and starts serving on loop. 0 or a negative code with err
 * set. */
int admin_start(server_t *srv, uv_loop_t *loop, admin_t **out, char *err, size_t errlen);

/* Closes the listener and every admin connection; frees when the handles are
 * closed. NULL is a no-op. */
void admin_stop(admin_t *a);

/* Response bodies, also used by tests: each returns a malloc'd string and its
 * length, with the content type in *type. 404 → NULL. *code receives the HTTP
 * status. */
char *admin_render(server_t *srv, const char *path, int *code, const char **type, size_t *len);
