/* ss-setup-dialog.h: account settings (first run and later); the password goes to the keyring */
#pragma once

#include <adwaita.h>

#include "ss-session.h"
#include "ss-train-page.h"

G_BEGIN_DECLS

#define SS_TYPE_SETUP_DIALOG (ss_setup_dialog_get_type ())
G_DECLARE_FINAL_TYPE (SsSetupDialog, ss_setup_dialog, SS, SETUP_DIALOG, AdwWindow)

/* Reads the current settings (and the password from the keyring, asynchronously). On Save:
 * the password is stored in the keyring, then the settings in GSettings, then "saved"
 * (const char *password) is emitted and the dialog closes. */
SsSetupDialog *ss_setup_dialog_new              (GtkWindow     *parent,
                                                 GSettings     *settings);
/* "" when nothing is shown; for tests and accessibility checks. */
const char    *ss_setup_dialog_get_result_title (SsSetupDialog *self);
const char    *ss_setup_dialog_get_result_detail (SsSetupDialog *self);
/* Pending keyring/IMAP work (TRUE while the keyring lookup or a test runs). */
gboolean       ss_setup_dialog_is_busy          (SsSetupDialog *self);

/* The last step, "Learn from your existing mail" (SsTrainPage): called from a "saved" handler,
 * it keeps the dialog open for the training, which runs on session's worker. */
void           ss_setup_dialog_start_training   (SsSetupDialog *self,
                                                 SsSession     *session,
                                                 guint          max_ham,
                                                 guint          max_spam);
/* NULL until started (for tests). */
SsTrainPage   *ss_setup_dialog_get_train_page   (SsSetupDialog *self);

G_END_DECLS
