/* ss-fault-proxy.h: a TCP proxy on loopback that forwards bytes between the code under test
 * and a real server (dovecot, spamd), and breaks connections on purpose.
 *
 * A fault fires when the bytes forwarded in one direction of a connection reach a chosen
 * offset: CUT closes both sides at once (the bytes before the offset were delivered, none
 * after), STALL stops forwarding in both directions but keeps both sockets open (forever,
 * or for a given time, after which forwarding resumes). An endless stall ends when the
 * client closes its socket (it gave up after its timeout; the server's side is closed
 * then), or after the stall limit. A server closing its side is not passed on during a
 * stall: the client has to notice the silence by itself.
 *
 * Faults are planned per connection when it is accepted: explicitly (ss_fault_proxy_plan)
 * or at random (ss_fault_proxy_set_random, seeded). The proxy runs its own thread with a
 * poll() loop; every function here is thread-safe. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SsFaultProxy SsFaultProxy;

typedef enum {
  SS_FAULT_CUT,
  SS_FAULT_STALL,
} SsFaultKind;

typedef enum {
  SS_FAULT_TO_SERVER,   /* bytes from the client to the server */
  SS_FAULT_TO_CLIENT,   /* bytes from the server to the client */
} SsFaultDirection;

typedef struct
{
  SsFaultKind       kind;
  SsFaultDirection  direction;
  guint64           offset;      /* bytes forwarded in direction before the fault fires */
  guint             stall_ms;    /* STALL: resume after this long; 0 = never */
  const char       *pattern;     /* if set (≤ 63 bytes): offset counts from the start of
                                  * its first occurrence in direction (e.g. the fault
                                  * right before " OK [COPYUID" reaches the client) */
} SsFault;

typedef struct
{
  guint             probability_percent;  /* of a new connection getting a fault, 0..100 */
  guint             stall_percent;        /* of those faults being stalls, else cuts */
  guint             short_stall_percent;  /* of stalls that resume (after 1..max ms) */
  guint             short_stall_max_ms;
  guint64           max_offset_to_server; /* offsets are uniform in [0, max] */
  guint64           max_offset_to_client;
  guint             to_client_percent;    /* of faults in the server-to-client direction */
} SsFaultRandom;

typedef struct
{
  guint             connections;          /* accepted */
  guint             cuts;                 /* fired */
  guint             stalls;               /* fired (short and endless) */
  guint             short_stalls;         /* of which resumed */
  guint             upstream_failures;    /* the server refused the connection */
  guint64           bytes_to_server;
  guint64           bytes_to_client;
} SsFaultProxyStats;

/* Listens on 127.0.0.1 (a free port) and forwards to 127.0.0.1:target_port. name is used in
 * g_debug() output only. */
SsFaultProxy *ss_fault_proxy_new          (const char          *name,
                                           guint16              target_port,
                                           GError             **error);
/* Closes every connection and the listener, joins the thread, frees. */
void          ss_fault_proxy_free         (SsFaultProxy        *self);
guint16       ss_fault_proxy_get_port     (SsFaultProxy        *self);
/* The upstream port can change (a restarted server on another port). */
void          ss_fault_proxy_set_target   (SsFaultProxy        *self,
                                           guint16              target_port);

/* The next connection accepted gets this fault (planned faults are used first, in order,
 * before random ones). */
void          ss_fault_proxy_plan         (SsFaultProxy        *self,
                                           const SsFault       *fault);
/* Random faults from a GRand seeded with seed; NULL switches them off (for connections
 * accepted from now on; faults already planned on open connections still fire). */
void          ss_fault_proxy_set_random   (SsFaultProxy        *self,
                                           const SsFaultRandom *random,
                                           guint32              seed);
/* Cuts every open connection now (not counted as a fault). */
void          ss_fault_proxy_cut_all      (SsFaultProxy        *self);
/* Stops forwarding new connections: they are accepted and closed at once (a server that is
 * down but whose port is open); FALSE forwards again. */
void          ss_fault_proxy_set_refusing (SsFaultProxy        *self,
                                           gboolean             refusing);
/* For protocols whose client half-closes after its request (spamd): a client's FIN does not
 * end a stall then, and endless stalls are torn down after stall_limit_ms (0: 30 s), which
 * should exceed the client's timeout. */
void          ss_fault_proxy_set_half_close (SsFaultProxy      *self,
                                           gboolean             half_close,
                                           guint                stall_limit_ms);
void          ss_fault_proxy_get_stats    (SsFaultProxy        *self,
                                           SsFaultProxyStats   *stats);
guint         ss_fault_proxy_count_open   (SsFaultProxy        *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsFaultProxy, ss_fault_proxy_free)

G_END_DECLS
