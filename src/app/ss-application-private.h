/* ss-application-private.h: shared by ss-application.c and ss-application-actions.c */
#pragma once

#include "ss-account.h"
#include "ss-accounts-window.h"
#include "ss-application.h"
#include "ss-demo.h"
#include "ss-notifier.h"
#include "ss-setup-dialog.h"
#include "ss-status-window.h"
#include "ss-tray.h"

G_BEGIN_DECLS

struct _SsApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
  SsStatus       *status;
  SsStats        *stats;
  SsSession      *session;
  SsTray         *tray;
  SsNotifier     *notifier;
  SsDemo         *demo;
  SsStatusWindow *window;
  SsSetupDialog  *setup_dialog;     /* weak */
  GListStore     *accounts;         /* SsAccount: the first (settings, status, ...), then more */
  SsAccountsWindow *accounts_window; /* weak */
  SsAccount      *shown;            /* the account the window shows (in accounts) */
  guint           n_stopping;       /* sessions still stopping while quitting */
  AdwToast       *mark_toast;       /* weak: the toast of the last mark, while it shows */
  SsConfig       *applied_config;   /* what the engine was last given */
  guint           settings_idle_id; /* a GSettings change waiting to be applied */
  GCancellable   *cancellable;

  gboolean        demo_mode;
  gboolean        background;       /* --background: the first activation shows nothing */
  gboolean        activated;
  gboolean        quitting;
  guint           sigterm_id;
  guint           sigint_id;
};

void  _ss_application_install_actions (SsApplication *self);
void  _ss_application_update_actions  (SsApplication *self);

void  ss_application_show_window      (SsApplication *self);
void  ss_application_toggle_window    (SsApplication *self);
void  ss_application_open_setup       (SsApplication *self);
/* Several accounts (ss-application-accounts.c). */
void  _ss_application_load_accounts   (SsApplication *self);
void  _ss_application_accounts_changed (SsApplication *self);
void  ss_application_open_accounts    (SsApplication *self);
/* The setup dialog for a new account (id NULL) or a further one. */
void  ss_application_open_account_setup (SsApplication *self,
                                         const char    *id);
void  ss_application_remove_account   (SsApplication *self,
                                       const char    *id);
SsAccount *_ss_application_find_account (SsApplication *self,
                                         const char    *id);
/* The window shows this account (id "": the first); actions (check now, pause, marks) act on
 * the account shown. */
void  ss_application_show_account     (SsApplication *self,
                                       const char    *id);
SsSession *_ss_application_shown_session (SsApplication *self);
/* TRUE (and a toast; is_new: forgotten, else paused) when account logs in where another
 * listed account does. */
gboolean   _ss_application_refuse_duplicate (SsApplication *self,
                                             SsAccount     *account,
                                             gboolean       is_new);
/* key: "UIDVALIDITY:UID:FOLDER" (ss_verdict_dup_key). Undo toast unless undoing. */
void  ss_application_mark             (SsApplication *self,
                                       const char    *key,
                                       gboolean       as_spam,
                                       gboolean       offer_undo);
/* Stops the engine cleanly (ss_session_stop_async), then quits. */
void  ss_application_quit_cleanly     (SsApplication *self);
void  ss_application_toast            (SsApplication *self,
                                       AdwToast      *toast);

G_END_DECLS
