/* ss-assembly.h: the engine put together from settings and a password, the same way for the
 * live session (ss-session-worker.c) and for headless --once: spamd (a private daemon unless
 * the settings name one), the IMAP login, the filter, and the cycle they run. Blocking, on
 * one thread. */
#pragma once

#include <gio/gio.h>

#include "ss-auth.h"
#include "ss-config.h"
#include "ss-filter.h"
#include "ss-imap-client.h"
#include "ss-journal.h"
#include "ss-learner.h"
#include "ss-spamd-client.h"
#include "ss-spamd-daemon.h"

G_BEGIN_DECLS

typedef struct
{
  SsSpamdDaemon *daemon;     /* (owned) (nullable) the private spamd, kept over reconnects */
  SsSpamdClient *spamd;      /* (owned) (nullable) */
  SsImapClient  *imap;       /* (owned) (nullable) */
  SsFilter      *filter;     /* (owned) (nullable) */
  gboolean       connected;  /* imap is logged in */
  SsTokenFunc    token_func; /* (nullable) OAuth2 tokens; NULL: ss_auth_token_from_command */
  gpointer       token_data;
  SsLearner     *learner;    /* (owned) (nullable) the account's personal learner, kept */
  char          *learner_path;
  guint64        learner_saved; /* learner's n_ham + n_spam when last saved or loaded */
} SsAssembly;

typedef enum {
  SS_CYCLE_LEARNING,
  SS_CYCLE_EXPIRING,
  SS_CYCLE_SCANNING,
} SsCycleStep;

typedef void (*SsCycleStepFunc) (SsCycleStep  step,
                                 gpointer     user_data);

/* Connects spamd (starting the private daemon first if needed) and IMAP, and builds the
 * filter; the caller sets the filter up and runs ss_filter_prepare(). imap_timeout_ms: 0 is
 * the IMAP client's default. On error what was built stays, for ss_assembly_disconnect().
 * With an OAuth2 auth mode password is ignored (may be NULL): a fresh token is asked from
 * token_func before the login, and once more (refresh) if the server refuses it. */
gboolean  ss_assembly_connect     (SsAssembly       *self,
                                   const SsConfig   *config,
                                   const char       *password,
                                   SsJournal        *journal,
                                   guint             imap_timeout_ms,
                                   GCancellable     *cancellable,
                                   GError          **error);
/* Logs out; drops the IMAP and spamd clients and the filter. The daemon stays. */
void      ss_assembly_disconnect  (SsAssembly       *self);
/* Disconnects and stops the private daemon. */
void      ss_assembly_clear       (SsAssembly       *self);

/* Saves the personal learner if it learned anything since it was loaded or last saved
 * (crash-safe; on the thread that uses the filter). Done by disconnect too. */
gboolean  ss_assembly_save_learner (SsAssembly      *self,
                                    GError         **error);

/* One cycle of a prepared filter: with maintenance, learning then expiry; then Unfiltered
 * until it is empty. A spamd that refuses to learn (no --allow-tell) does not stop the
 * cycle: that error goes to *refused. step_func (nullable) is told each step as it starts. */
gboolean  ss_assembly_run_cycle   (SsFilter         *filter,
                                   gboolean          maintenance,
                                   SsCycleStepFunc   step_func,
                                   gpointer          user_data,
                                   GError          **refused,
                                   GCancellable     *cancellable,
                                   GError          **error);

G_END_DECLS
