/* ss-train-page.h: the setup dialog's last step, "Learn from your existing mail": runs the
 * session's train command with a progress bar and a Cancel button */
#pragma once

#include <adwaita.h>

#include "ss-session.h"

G_BEGIN_DECLS

#define SS_TYPE_TRAIN_PAGE (ss_train_page_get_type ())
G_DECLARE_FINAL_TYPE (SsTrainPage, ss_train_page, SS, TRAIN_PAGE, AdwBin)

SsTrainPage *ss_train_page_new        (void);
/* Starts ss_session_train_async(); "finished" is emitted when the user is done (Done after
 * the end, or Cancel: which stops the training first). */
void         ss_train_page_start      (SsTrainPage *self,
                                       SsSession   *session,
                                       guint        max_ham,
                                       guint        max_spam);
gboolean     ss_train_page_is_running (SsTrainPage *self);
/* What the page says now (for tests). */
const char  *ss_train_page_get_text   (SsTrainPage *self);
double       ss_train_page_get_fraction (SsTrainPage *self);
/* Cancel while running, Done afterwards (for tests). */
void         ss_train_page_activate   (SsTrainPage *self);

G_END_DECLS
