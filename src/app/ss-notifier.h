/* ss-notifier.h: desktop notifications (libnotify): one per event, never a flood */
#pragma once

#include <gio/gio.h>

#include "ss-status.h"

G_BEGIN_DECLS

#define SS_TYPE_NOTIFIER (ss_notifier_get_type ())
G_DECLARE_FINAL_TYPE (SsNotifier, ss_notifier, SS, NOTIFIER, GObject)

/* Watches status (and its session's records). A problem's notification offers the action of
 * the status table ("setup", "check-now" on actions); a click shows the window
 * ("show-window"). settings: "notify-spam-summary". */
SsNotifier *ss_notifier_new                   (GActionGroup *actions,
                                               SsStatus     *status,
                                               GSettings    *settings);
/* Tuning (seconds), for tests: how long the server must stay unreachable before a
 * notification (default 180), how long spam is collected into one summary (default 120),
 * and the least time between two notifications of the same kind (default 600). */
void        ss_notifier_set_delays            (SsNotifier   *self,
                                               guint         unreachable_s,
                                               guint         summary_s,
                                               guint         min_interval_s);
/* Several accounts: summaries start with label ("ann@mail.example.org: Login refused"); a
 * click shows that account (app.show-account(s id)), "setup" opens its settings
 * (app.edit-account). NULL: the first account, as before. */
void        ss_notifier_set_account           (SsNotifier   *self,
                                               const char   *id,
                                               const char   *label);
/* Notifications shown so far (for tests). */
guint       ss_notifier_get_n_sent            (SsNotifier   *self);

G_END_DECLS
