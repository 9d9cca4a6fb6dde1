/* ss-senders-window.h: the allowed and blocked senders, editable (a preferences window) */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SS_TYPE_SENDERS_WINDOW (ss_senders_window_get_type ())
G_DECLARE_FINAL_TYPE (SsSendersWindow, ss_senders_window, SS, SENDERS_WINDOW,
                      AdwPreferencesWindow)

/* Edits the lists saved at lists_path (ss_sender_lists_path_for ()); the engine reads the
 * file again when it changes, so edits apply to the next message. */
GtkWidget *ss_senders_window_new (GtkWindow  *parent,
                                  const char *lists_path);

G_END_DECLS
