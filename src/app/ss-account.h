/* ss-account.h: one mail account of the app: its settings, engine session, status and
 * statistics. The first account (id "") is the one at /org/example/SpamSieve/, whose engine
 * SsApplication drives (demo, setup, removal move it), through the same two steps as every
 * further account here: ss_account_load_settings () and ss_account_session_new (). */
#pragma once

#include <gio/gio.h>

#include "ss-session.h"
#include "ss-stats.h"
#include "ss-status.h"

G_BEGIN_DECLS

#define SS_TYPE_ACCOUNT (ss_account_get_type ())
G_DECLARE_FINAL_TYPE (SsAccount, ss_account, SS, ACCOUNT, GObject)

#define SS_ACCOUNT_SCHEMA_ID "org.example.SpamSieve.Account"
#define SS_ACCOUNTS_PATH     "/org/example/SpamSieve/accounts/"

/* The first account: wraps the app's own settings, status and stats (no engine here). */
SsAccount      *ss_account_new_first        (GSettings   *settings,
                                             SsStatus    *status,
                                             SsStats     *stats);
/* A further account: settings at SS_ACCOUNTS_PATH id/, its own status and stats. NULL (with
 * a message) when the schema is not installed. */
SsAccount      *ss_account_new              (const char  *id);
/* A fresh id no account in used has ("a2", "a3", …). */
char           *ss_account_new_id           (const char * const *used);

const char     *ss_account_get_id           (SsAccount   *self);
gboolean        ss_account_is_first         (SsAccount   *self);
GSettings      *ss_account_get_settings     (SsAccount   *self);
SsStatus       *ss_account_get_status       (SsAccount   *self);
SsStats        *ss_account_get_stats        (SsAccount   *self);
SsSession      *ss_account_get_session      (SsAccount   *self);
/* "user@server" (ss_config_dup_account_id), or "New account" before it is set up. */
char           *ss_account_dup_label        (SsAccount   *self);
gboolean        ss_account_get_paused       (SsAccount   *self);
/* Persists "paused" and pauses (logs out) or resumes the account's session. */
void            ss_account_set_paused       (SsAccount   *self,
                                             gboolean     paused);

/* What every account does to get running, the first (SsApplication) and the further ones
 * (here): read its settings and, for a password login, the keyring, then call apply
 * (owner, config, password) from the main loop; a problem goes to status instead. */
typedef void  (*SsAccountApplyFunc)         (GObject        *owner,
                                             const SsConfig *config,
                                             const char     *password);
void            ss_account_load_settings    (GSettings          *settings,
                                             SsStatus           *status,
                                             GCancellable       *cancellable,
                                             SsAccountApplyFunc  apply,
                                             GObject            *owner);
/* A new session for config (journal_path: NULL for the user's), wired to status and stats
 * and to GNOME Online Accounts for tokens; paused (logged out) if asked; started. */
SsSession      *ss_account_session_new      (const SsConfig *config,
                                             const char     *password,
                                             const char     *journal_path,
                                             SsStatus       *status,
                                             SsStats        *stats,
                                             gboolean        paused);

/* Further accounts only: the password from the keyring, then the session (paused if the
 * settings say so); again after a change of the settings. */
void            ss_account_start            (SsAccount   *self);
/* Further accounts only: settings just saved by the setup dialog, with their password. */
void            ss_account_apply            (SsAccount      *self,
                                             const SsConfig *config,
                                             const char     *password);
/* Stops the session (if any); the callback gets the account as source object. */
void            ss_account_stop_async       (SsAccount          *self,
                                             GAsyncReadyCallback callback,
                                             gpointer            user_data);
void            ss_account_stop_finish      (SsAccount          *self,
                                             GAsyncResult       *result);
/* Removing: stops watching the settings, resets every key and (clear_password) clears the
 * keyring entry. */
void            ss_account_forget           (SsAccount   *self,
                                             gboolean     clear_password);

/* 0 fine, 1 paused, 2 a problem: the tray and the window show the worst account. */
int             ss_account_get_severity     (SsAccount   *self);
/* The worst account of a list of SsAccount (first on ties), not a new reference. */
SsAccount      *ss_account_list_worst       (GListModel  *accounts);
/* "2 accounts: ann@x watching, bob@y paused" lines for the tray: one per account. */
char           *ss_account_list_summary     (GListModel  *accounts);

G_END_DECLS
