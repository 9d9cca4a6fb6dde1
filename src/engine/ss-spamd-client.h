/* ss-spamd-client.h: native SPAMC/1.5 client; blocking, thread-safe (one connection per call) */
#pragma once

#include <gio/gio.h>

#include "ss-spamd-parser.h"

G_BEGIN_DECLS

#define SS_TYPE_SPAMD_CLIENT (ss_spamd_client_get_type ())
G_DECLARE_FINAL_TYPE (SsSpamdClient, ss_spamd_client, SS, SPAMD_CLIENT, GObject)

typedef enum {
  SS_SPAMD_CLASS_SPAM,
  SS_SPAMD_CLASS_HAM,
} SsSpamdClass;

/* address: "host:port", "[v6]:port" or "unix:/path" (else SS_ENGINE_ERROR_CONFIG; numeric
 * hosts are resolved here, names per request). user: sent as "User:" (NULL: the local user
 * name), reduced to [-A-Za-z0-9_]. timeout_ms: a deadline per request, connect and DNS
 * included (0: 30 s). Cancellation gives G_IO_ERROR_CANCELLED. */
SsSpamdClient *ss_spamd_client_new          (const char     *address,
                                             const char     *user,
                                             guint           timeout_ms,
                                             GError        **error);
const char    *ss_spamd_client_get_address  (SsSpamdClient  *self);
/* SYMBOLS: the verdict and rule names. Errors: SS_SPAMD_ERROR_*; never a guessed verdict. */
SsSpamdReply  *ss_spamd_client_symbols_sync (SsSpamdClient  *self,
                                             GBytes         *message,
                                             GCancellable   *cancellable,
                                             GError        **error);
/* TELL with "Message-class: spam|ham" and "Set: local". Fails with SS_SPAMD_ERROR_REFUSED
 * (and spamd's message) when spamd was started without --allow-tell. A message already
 * learned as klass (spamd 4.0.1 then omits "DidSet: local") counts as success. */
gboolean       ss_spamd_client_tell_sync    (SsSpamdClient  *self,
                                             GBytes         *message,
                                             SsSpamdClass    klass,
                                             GCancellable   *cancellable,
                                             GError        **error);
gboolean       ss_spamd_client_ping_sync    (SsSpamdClient  *self,
                                             GCancellable   *cancellable,
                                             GError        **error);

G_END_DECLS
