/* ss-screenshot.h: render a widget (a window) to a PNG, for tests and documentation */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The widget must be mapped. Renders it with its window's renderer. */
gboolean ss_screenshot_save (GtkWidget   *widget,
                             const char  *path,
                             GError     **error);

G_END_DECLS
