/* test-gui-senders.c: the allowed and blocked senders window edits the engine's saved lists:
 * an address typed into either list is saved there (and moves off the other), the remove
 * button takes it off, and what another writer (the engine) saved is shown. */
#define G_LOG_DOMAIN "test-gui"

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>

#include "ss-gui-test.h"
#include "ss-sender-lists.h"
#include "ss-senders-window.h"

static void
collect (GtkWidget *widget,
         GType      type,
         GPtrArray *out)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    g_ptr_array_add (out, widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    collect (c, type, out);
}

/* The remove button of address, or NULL. */
static GtkWidget *
remove_button (GtkWidget  *window,
               const char *address)
{
  g_autoptr(GPtrArray) buttons = g_ptr_array_new ();

  collect (window, GTK_TYPE_BUTTON, buttons);
  for (guint i = 0; i < buttons->len; i++)
    if (g_strcmp0 (g_object_get_data (buttons->pdata[i], "address"), address) == 0)
      return buttons->pdata[i];
  return NULL;
}

static SsSenderStatus
saved_status (const char *path,
              const char *address)
{
  g_autoptr(SsSenderLists) lists = ss_sender_lists_open (path, NULL);

  return ss_sender_lists_lookup (lists, address);
}

static void
test_senders_window (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ss-gui-senders-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "lists.ini", NULL);
  g_autoptr(SsSenderLists) engine = ss_sender_lists_open (path, NULL);
  g_autoptr(GPtrArray) entries = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GtkWidget *window;

  g_assert_true (ss_sender_lists_add (engine, "friend@example.org", SS_SENDER_ALLOWED, NULL,
                                      &error));
  g_assert_no_error (error);
  window = ss_senders_window_new (NULL, path);
  gtk_window_present (GTK_WINDOW (window));
  ss_gui_spin (300);
  g_assert_nonnull (remove_button (window, "friend@example.org"));

  collect (window, ADW_TYPE_ENTRY_ROW, entries);
  g_assert_cmpuint (entries->len, ==, 2);   /* allowed, then blocked */

  /* Typed into the blocked list: saved, shown, and seen by the engine at once. */
  gtk_editable_set_text (GTK_EDITABLE (entries->pdata[1]), " Pest@Example.NET ");
  g_signal_emit_by_name (entries->pdata[1], "apply");
  ss_gui_spin (100);
  g_assert_cmpint (saved_status (path, "pest@example.net"), ==, SS_SENDER_BLOCKED);
  g_assert_cmpint (ss_sender_lists_lookup (engine, "pest@example.net"), ==, SS_SENDER_BLOCKED);
  g_assert_nonnull (remove_button (window, "pest@example.net"));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entries->pdata[1])), ==, "");

  /* Typed into the allowed list: moves off the blocked list. */
  gtk_editable_set_text (GTK_EDITABLE (entries->pdata[0]), "pest@example.net");
  g_signal_emit_by_name (entries->pdata[0], "apply");
  ss_gui_spin (100);
  g_assert_cmpint (saved_status (path, "pest@example.net"), ==, SS_SENDER_ALLOWED);

  /* Not an address: nothing saved. */
  gtk_editable_set_text (GTK_EDITABLE (entries->pdata[0]), "nobody");
  g_signal_emit_by_name (entries->pdata[0], "apply");
  ss_gui_spin (100);
  g_assert_cmpint (saved_status (path, "nobody"), ==, SS_SENDER_UNLISTED);

  ss_gui_assert_screenshot (window, "senders");

  /* Remove. */
  g_signal_emit_by_name (remove_button (window, "friend@example.org"), "clicked");
  ss_gui_spin (100);
  g_assert_null (remove_button (window, "friend@example.org"));
  g_assert_cmpint (saved_status (path, "friend@example.org"), ==, SS_SENDER_UNLISTED);
  g_assert_cmpint (ss_sender_lists_lookup (engine, "friend@example.org"), ==,
                   SS_SENDER_UNLISTED);

  gtk_window_destroy (GTK_WINDOW (window));
  g_unlink (path);
  g_rmdir (dir);
}

void
ss_gui_add_senders_tests (void)
{
  g_test_add_func ("/units/senders", test_senders_window);
}
