/* ss-session.h: the live engine as seen from the main thread (UI or headless CLI).
 *
 * SsSession owns a worker thread that connects, filters, waits with IDLE, reconnects with
 * back-off, learns and expires. Everything it reports (properties, signals, the verdicts
 * list) changes only on the main context that called ss_session_start(). No call blocks. */
#pragma once

#include <gio/gio.h>

#include "ss-auth.h"
#include "ss-config.h"
#include "ss-filter.h"
#include "ss-record.h"
#include "ss-verdict.h"

G_BEGIN_DECLS

#define SS_TYPE_SESSION (ss_session_get_type ())
G_DECLARE_FINAL_TYPE (SsSession, ss_session, SS, SESSION, GObject)

typedef enum {
  SS_SESSION_STOPPED,        /* not started, or stopped */
  SS_SESSION_CONNECTING,     /* connecting / TLS / logging in */
  SS_SESSION_WATCHING,       /* IDLE (or polling) on Unfiltered */
  SS_SESSION_SCANNING,       /* progress-n of progress-total */
  SS_SESSION_LEARNING,       /* learning folders or a mark request */
  SS_SESSION_EXPIRING,
  SS_SESSION_BACKING_OFF,    /* retry-at; last-error says why */
  SS_SESSION_LOGIN_REFUSED,  /* waits for new credentials (ss_session_reload) */
  SS_SESSION_PAUSED,
  SS_SESSION_FAILED,         /* needs a settings change: last-error says what */
} SsSessionState;

GType           ss_session_state_get_type   (void) G_GNUC_CONST;
#define SS_TYPE_SESSION_STATE (ss_session_state_get_type ())
const char     *ss_session_state_to_string  (SsSessionState state);

/* journal_path: NULL = ss_journal_default_path(). password may be NULL when
 * config->password_file is set (it is then read by the worker). */
SsSession      *ss_session_new              (const SsConfig *config,
                                             const char     *password,
                                             const char     *journal_path);
/* OAuth2 (an auth mode other than password): where the worker gets access tokens, called on
 * the worker thread (it may block that thread, never the owner's); NULL: token-command.
 * Before ss_session_start(); destroy frees data with the session. */
void            ss_session_set_token_func   (SsSession      *self,
                                             SsTokenFunc     func,
                                             gpointer        data,
                                             GDestroyNotify  destroy);
void            ss_session_start            (SsSession      *self);
/* Finishes what is in flight (no half-done move), logs out, joins the worker. */
void            ss_session_stop_async       (SsSession          *self,
                                             GCancellable       *cancellable,
                                             GAsyncReadyCallback callback,
                                             gpointer            user_data);
gboolean        ss_session_stop_finish      (SsSession      *self,
                                             GAsyncResult   *result,
                                             GError        **error);
void            ss_session_check_now        (SsSession      *self);
void            ss_session_pause            (SsSession      *self);
void            ss_session_resume           (SsSession      *self);
/* New settings and/or password (NULL keeps the current one); reconnects. */
void            ss_session_reload           (SsSession      *self,
                                             const SsConfig *config,
                                             const char     *password);

/* Mark a message the engine handled as spam (learn + move to Spam with $Junk) or ham
 * (learn + move to INBOX with $NotJunk). The message is addressed where it is now. */
void            ss_session_mark_async       (SsSession          *self,
                                             const char         *folder,
                                             guint32             uidvalidity,
                                             guint32             uid,
                                             gboolean            as_spam,
                                             GCancellable       *cancellable,
                                             GAsyncReadyCallback callback,
                                             gpointer            user_data);
/* The record of the message after the move (its new folder/UID), or NULL + error. */
SsRecord       *ss_session_mark_finish      (SsSession      *self,
                                             GAsyncResult   *result,
                                             GError        **error);

/* Initial training from existing mail (ss_filter_train_existing) on the worker, between
 * passes: connects first if needed. Progress shows in "progress-n"/"progress-total" (per
 * folder: ham, then spam) with state LEARNING. Cancel with cancellable. */
void            ss_session_train_async      (SsSession          *self,
                                             guint               max_ham,
                                             guint               max_spam,
                                             GCancellable       *cancellable,
                                             GAsyncReadyCallback callback,
                                             gpointer            user_data);
/* stats (may be NULL) is filled also on error: what was learned before it. */
gboolean        ss_session_train_finish     (SsSession          *self,
                                             GAsyncResult       *result,
                                             SsTrainStats       *stats,
                                             GError            **error);

SsSessionState  ss_session_get_state        (SsSession      *self);
const char     *ss_session_get_last_error   (SsSession      *self);
/* The error domain of last-error (SS_SPAMD_ERROR: spamd, not the mail server), 0 if none. */
GQuark          ss_session_get_last_error_domain (SsSession *self);
guint           ss_session_get_progress_n   (SsSession      *self);
guint           ss_session_get_progress_total (SsSession    *self);
gint64          ss_session_get_retry_at     (SsSession      *self);  /* unix seconds, 0 */
gint64          ss_session_get_last_check   (SsSession      *self);  /* unix seconds, 0 */
/* Unfiltered mode: unread mail in INBOX nobody judged while Unfiltered stays empty (no server
 * rule files new mail there); 0: none. SsFilterStats.inbox_bypass of the last cycle. */
guint           ss_session_get_inbox_bypass (SsSession      *self);
/* SsVerdict items, newest first: history from the journal, then live records. */
GListModel     *ss_session_get_verdicts     (SsSession      *self);
SsConfig       *ss_session_get_config       (SsSession      *self);

/* Properties: "state" (SsSessionState), "last-error", "progress-n", "progress-total",
 * "retry-at", "last-check", "verdicts".
 * Signals: "record" (SsRecord*: boxed SS_TYPE_RECORD) per message handled. */

G_END_DECLS
