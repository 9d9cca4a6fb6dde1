/* ss-application.h: the desktop app (single instance, tray, engine kept running) */
#pragma once

#include <adwaita.h>

#include "ss-session.h"
#include "ss-stats.h"
#include "ss-status.h"

G_BEGIN_DECLS

#define SS_TYPE_APPLICATION (ss_application_get_type ())
G_DECLARE_FINAL_TYPE (SsApplication, ss_application, SS, APPLICATION, AdwApplication)

/* main () of the GUI: options --background, --demo (and GApplication's own, e.g.
 * --gapplication-service). */
int             ss_application_run          (int            argc,
                                             char         **argv);
/* demo: run against a throwaway local server (application id APP_ID ".Demo"). */
SsApplication  *ss_application_new          (gboolean       demo);

SsSession      *ss_application_get_session  (SsApplication *self);
SsStatus       *ss_application_get_status   (SsApplication *self);
SsStats        *ss_application_get_stats    (SsApplication *self);
GSettings      *ss_application_get_settings (SsApplication *self);
/* The main window, NULL until first shown. */
GtkWindow      *ss_application_get_window   (SsApplication *self);
/* The settings dialog if open. */
GtkWindow      *ss_application_get_setup_dialog (SsApplication *self);
gboolean        ss_application_get_tray_registered (SsApplication *self);
/* SsAccount items: the first account, then the further ones ("accounts" in GSettings). */
GListModel     *ss_application_get_accounts (SsApplication *self);
/* The accounts window, NULL until opened (app.accounts). */
GtkWindow      *ss_application_get_accounts_window (SsApplication *self);

G_END_DECLS
