/* ss-autostart.h: the XDG autostart entry ($XDG_CONFIG_HOME/autostart/APP_ID.desktop) */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char     *ss_autostart_dup_path     (void);
gboolean  ss_autostart_is_enabled   (void);
/* Writes the entry (Exec with --background) or removes it. Removing a missing entry is
 * success. */
gboolean  ss_autostart_set_enabled  (gboolean   enabled,
                                     GError   **error);

G_END_DECLS
