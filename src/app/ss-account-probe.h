/* ss-account-probe.h: "Test connection" and the folder list for the setup dialog.
 * Runs on a GTask thread: DNS, IMAP connect + login, LIST, the configured folders, spamd. */
#pragma once

#include <gio/gio.h>

#include "ss-config.h"

G_BEGIN_DECLS

#define SS_TYPE_ACCOUNT_PROBE (ss_account_probe_get_type ())
G_DECLARE_FINAL_TYPE (SsAccountProbe, ss_account_probe, SS, ACCOUNT_PROBE, GObject)

typedef enum {
  SS_ACCOUNT_PROBE_FULL         = 0,
  SS_ACCOUNT_PROBE_FOLDERS_ONLY = 1 << 0,  /* connect and LIST; no folder or spamd checks */
} SsAccountProbeFlags;

/* config must have passed ss_config_validate (). */
SsAccountProbe *ss_account_probe_new            (const SsConfig      *config,
                                                 const char          *password);
void            ss_account_probe_run_async      (SsAccountProbe      *self,
                                                 SsAccountProbeFlags  flags,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
/* Errors keep the engine's domain and code (SS_IMAP_ERROR_*, SS_SPAMD_ERROR_*), or
 * G_RESOLVER_ERROR for a name that does not resolve. */
gboolean        ss_account_probe_run_finish     (SsAccountProbe      *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);
/* After a run that got as far as LIST (even if a later step failed): the folders that can
 * hold mail, sorted, user form ("/" separated). NULL before. */
const char * const *ss_account_probe_get_folders (SsAccountProbe     *self);
/* After a successful full run: one line per finding, translated ("Spam will be created"). */
const char     *ss_account_probe_get_summary    (SsAccountProbe      *self);

/* What failed, in the user's words: "Login refused: …" (translated, one sentence). The
 * engine's own message (error->message) is the detail. */
char           *ss_account_probe_describe_error (const GError        *error);

G_END_DECLS
