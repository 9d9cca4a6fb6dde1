/* ss-status-window.h: the main window (state, counts, verdict list) */
#pragma once

#include <adwaita.h>

#include "ss-stats.h"
#include "ss-status.h"

G_BEGIN_DECLS

#define SS_TYPE_STATUS_WINDOW (ss_status_window_get_type ())
G_DECLARE_FINAL_TYPE (SsStatusWindow, ss_status_window, SS, STATUS_WINDOW, AdwApplicationWindow)

SsStatusWindow *ss_status_window_new          (GtkApplication *application,
                                               SsStatus       *status,
                                               SsStats        *stats,
                                               gboolean        demo);
void            ss_status_window_add_toast    (SsStatusWindow *self,
                                               AdwToast       *toast);
/* The rows as shown (filtered and sorted): a GListModel of SsVerdict. */
GListModel     *ss_status_window_get_rows     (SsStatusWindow *self);
/* Which page the window shows: "welcome", "preparing", "error", "empty" or "list". */
const char     *ss_status_window_get_page     (SsStatusWindow *self);
/* accounts: SsAccount, the first first. With two or more, a selector in the header names the
 * account shown; choosing another activates app.show-account(s id). With one: as before. */
void            ss_status_window_set_accounts (SsStatusWindow *self,
                                               GListModel     *accounts);
/* Shows that account's state, counts and history (status and stats of its SsAccount). */
void            ss_status_window_show_account (SsStatusWindow *self,
                                               SsStatus       *status,
                                               SsStats        *stats);
SsStatus       *ss_status_window_get_status   (SsStatusWindow *self);

G_END_DECLS
