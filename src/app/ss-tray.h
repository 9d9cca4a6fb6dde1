/* ss-tray.h: a StatusNotifierItem (+ com.canonical.dbusmenu) over GDBus */
#pragma once

#include <gio/gio.h>

#include "ss-stats.h"
#include "ss-status.h"

G_BEGIN_DECLS

#define SS_TYPE_TRAY (ss_tray_get_type ())
G_DECLARE_FINAL_TYPE (SsTray, ss_tray, SS, TRAY, GObject)

#define SS_TRAY_ITEM_PATH "/StatusNotifierItem"
#define SS_TRAY_MENU_PATH "/MenuBar"

/* Exports the item and its menu on connection and registers with
 * org.kde.StatusNotifierWatcher whenever one appears. The menu is "Open SpamSieve"
 * ("show-window") and then the app.* items of menu (the window's primary menu), as actions
 * of actions; clicks on the icon activate "toggle-window" and "check-now". The icon is
 * named (IconThemePath: the installed icons, else the source tree's) and sent as pixmaps.
 * No watcher is normal: the item simply waits for one. */
SsTray   *ss_tray_new               (GDBusConnection *connection,
                                     GActionGroup    *actions,
                                     GMenuModel      *menu,
                                     SsStatus        *status,
                                     SsStats         *stats);
/* Several accounts (SsAccount, the first first; NULL: none): the icon and status are the
 * worst account's, the tooltip "2 accounts" with one line per account. Call again when an
 * account's state changed. */
void      ss_tray_set_accounts      (SsTray          *self,
                                     GListModel      *accounts);
/* TRUE once the current watcher accepted the registration. */
gboolean  ss_tray_is_registered     (SsTray          *self);
/* Unexports and stops watching (also done on dispose). */
void      ss_tray_shutdown          (SsTray          *self);

G_END_DECLS
