/* ss-gui-test.c: helpers for the GUI tests */
#define G_LOG_DOMAIN "ss-gui-test"

#include "config.h"

#include <signal.h>
#include <string.h>

#include "ss-gui-test.h"

#include "ss-credentials.h"
#include "ss-screenshot.h"
#include "ss-settings.h"
#include "ss-tray.h"

gboolean
ss_gui_wait (SsGuiCondition cond,
             gpointer       data,
             guint          timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!cond (data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (5000);
    }
  return TRUE;
}

static gboolean
never (gpointer data)
{
  return FALSE;
}

void
ss_gui_spin (guint ms)
{
  ss_gui_wait (never, NULL, ms);
}

void
ss_gui_keep_result (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

static gboolean
has_result (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

void
ss_gui_await (GAsyncResult **result,
              guint          timeout_ms)
{
  g_assert_true (ss_gui_wait (has_result, result, timeout_ms));
}

gboolean
ss_gui_process_done (gpointer data)
{
  return g_subprocess_get_identifier (data) == NULL;
}

gboolean
ss_gui_name_owned (gpointer data)
{
  g_autoptr(GVariant) reply = ss_gui_call ("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                           "org.freedesktop.DBus", "NameHasOwner",
                                           g_variant_new ("(s)", (const char *) data), "(b)",
                                           NULL);
  gboolean owned = FALSE;

  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

GSubprocess *
ss_gui_mock_start (const char *template,
                   const char *bus_name)
{
  const char *python = g_getenv ("SS_PYTHON") != NULL ? g_getenv ("SS_PYTHON")
                                                       : "/usr/bin/python3";
  g_autoptr(GError) error = NULL;
  GSubprocess *mock;

  mock = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error, python, "-m", "dbusmock",
                           "--template", template, NULL);
  g_assert_no_error (error);
  if (!ss_gui_wait (ss_gui_name_owned, (gpointer) bus_name, 20000))
    g_error ("the mock %s did not appear on the bus", template);
  return mock;
}

void
ss_gui_mock_stop (GSubprocess *mock)
{
  if (mock == NULL)
    return;
  g_subprocess_send_signal (mock, SIGTERM);
  g_subprocess_wait (mock, NULL, NULL);
  g_object_unref (mock);
}

GVariant *
ss_gui_call (const char  *bus_name,
             const char  *object_path,
             const char  *interface,
             const char  *method,
             GVariant    *parameters,
             const char  *reply_type,
             GError     **error)
{
  static GDBusConnection *bus;
  g_autoptr(GAsyncResult) result = NULL;
  GError *local_error = NULL;
  GVariant *reply;

  /* A connection of its own: the callee may be this very process. */
  if (bus == NULL)
    {
      g_autofree char *address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL,
                                                                  NULL);

      bus = g_dbus_connection_new_for_address_sync (address,
                                                    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                    G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                    NULL, NULL, NULL);
      g_assert_nonnull (bus);
    }
  g_dbus_connection_call (bus, bus_name, object_path, interface, method, parameters,
                          reply_type != NULL ? G_VARIANT_TYPE (reply_type) : NULL,
                          G_DBUS_CALL_FLAGS_NONE, 20000, NULL, ss_gui_keep_result, &result);
  ss_gui_await (&result, 30000);
  reply = g_dbus_connection_call_finish (bus, result, &local_error);
  if (reply == NULL)
    {
      g_test_message ("%s.%s: %s", interface, method, local_error->message);
      g_propagate_error (error, local_error);
    }
  return reply;
}

GVariant *
ss_gui_get_property (const char *bus_name,
                     const char *object_path,
                     const char *interface,
                     const char *property)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = ss_gui_call (bus_name, object_path,
                                           "org.freedesktop.DBus.Properties", "Get",
                                           g_variant_new ("(ss)", interface, property), "(v)",
                                           &error);
  GVariant *value;

  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return value;
}

GPtrArray *
ss_gui_mock_get_calls (const char *bus_name,
                       const char *object_path,
                       const char *method)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = ss_gui_call (bus_name, object_path, "org.freedesktop.DBus.Mock",
                                           "GetMethodCalls", g_variant_new ("(s)", method),
                                           "(a(tav))", &error);
  g_autoptr(GVariantIter) iter = NULL;
  GPtrArray *calls = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  GVariant *args;

  g_assert_no_error (error);
  g_variant_get (reply, "(a(tav))", &iter);
  while (g_variant_iter_next (iter, "(t@av)", NULL, &args))
    g_ptr_array_add (calls, args);
  return calls;
}

GSubprocess *
ss_gui_watcher_start (void)
{
  const char *template = g_getenv ("SS_SNI_WATCHER_TEMPLATE");

  g_assert_nonnull (template);
  return ss_gui_mock_start (template, "org.kde.StatusNotifierWatcher");
}

gboolean
ss_gui_watcher_has (const char *unique_name)
{
  g_autoptr(GVariant) items = ss_gui_get_property ("org.kde.StatusNotifierWatcher",
                                                   "/StatusNotifierWatcher",
                                                   "org.kde.StatusNotifierWatcher",
                                                   "RegisteredStatusNotifierItems");
  g_autofree const char **names = g_variant_get_strv (items, NULL);

  return g_strv_contains (names, unique_name);
}

static void
walk_menu (GVariant   *layout,
           const char *label,
           int        *id,
           GString    *labels)
{
  g_autoptr(GVariant) props = g_variant_get_child_value (layout, 1);
  g_autoptr(GVariant) children = g_variant_get_child_value (layout, 2);
  const char *text;

  if (g_variant_lookup (props, "label", "&s", &text))
    {
      if (labels != NULL)
        g_string_append_printf (labels, "%s|", text);
      if (g_strcmp0 (text, label) == 0)
        g_variant_get_child (layout, 0, "i", id);
    }
  for (gsize i = 0; i < g_variant_n_children (children); i++)
    {
      g_autoptr(GVariant) boxed = g_variant_get_child_value (children, i);
      g_autoptr(GVariant) item = g_variant_get_variant (boxed);

      walk_menu (item, label, id, labels);
    }
}

int
ss_gui_tray_menu (const char *bus_name,
                  const char *label,
                  GString    *labels)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = ss_gui_call (bus_name, SS_TRAY_MENU_PATH,
                                           "com.canonical.dbusmenu", "GetLayout",
                                           g_variant_new ("(ii@as)", 0, -1,
                                                          g_variant_new_strv (NULL, 0)),
                                           "(u(ia{sv}av))", &error);
  g_autoptr(GVariant) layout = NULL;
  int id = -1;

  g_assert_no_error (error);
  layout = g_variant_get_child_value (reply, 1);
  walk_menu (layout, label, &id, labels);
  return id;
}

guint
ss_gui_count_notifications (const char *summary)
{
  g_autoptr(GPtrArray) calls = ss_gui_mock_get_calls ("org.freedesktop.Notifications",
                                                      "/org/freedesktop/Notifications",
                                                      "Notify");
  guint n = 0;

  for (guint i = 0; i < calls->len; i++)
    {
      GVariant *args = g_ptr_array_index (calls, i);
      g_autoptr(GVariant) boxed = g_variant_get_child_value (args, 3);
      g_autoptr(GVariant) text = g_variant_get_variant (boxed);

      if (summary == NULL || g_str_equal (g_variant_get_string (text, NULL), summary))
        n++;
    }
  return n;
}

gboolean
ss_gui_sent_at_least (gpointer data)
{
  return ss_gui_count_notifications (NULL) >= GPOINTER_TO_UINT (data);
}

GtkWidget *
ss_gui_child (gpointer    widget,
              GType       type,
              const char *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (widget), type, name);

  g_assert_nonnull (object);
  return GTK_WIDGET (object);
}

char *
ss_gui_screenshot_path (const char *name)
{
  const char *dir = g_getenv ("SS_SCREENSHOT_DIR");
  g_autofree char *file = g_strconcat (name, ".png", NULL);

  if (dir == NULL || *dir == '\0')
    dir = ".";
  g_mkdir_with_parents (dir, 0755);
  return g_build_filename (dir, file, NULL);
}

static gboolean
widget_drawn (gpointer data)
{
  GtkWidget *widget = data;

  return gtk_widget_get_mapped (widget) && gtk_widget_get_width (widget) > 0;
}

void
ss_gui_assert_screenshot (GtkWidget  *widget,
                          const char *name)
{
  g_autofree char *path = ss_gui_screenshot_path (name);
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GHashTable) colours = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autofree guchar *pixels = NULL;
  int width, height;
  gsize stride;

  g_assert_true (ss_gui_wait (widget_drawn, widget, 10000));
  /* Let pending layout and icons settle. */
  ss_gui_spin (600);
  g_assert_true (ss_screenshot_save (widget, path, &error));
  g_assert_no_error (error);

  texture = gdk_texture_new_from_filename (path, &error);
  g_assert_no_error (error);
  width = gdk_texture_get_width (texture);
  height = gdk_texture_get_height (texture);
  g_assert_cmpint (width, >, 100);
  g_assert_cmpint (height, >, 100);
  stride = (gsize) width * 4;
  pixels = g_malloc (stride * height);
  gdk_texture_download (texture, pixels, stride);
  for (int y = 0; y < height; y += 2)
    for (int x = 0; x < width; x += 2)
      {
        guint32 p;

        memcpy (&p, pixels + y * stride + x * 4, 4);
        g_hash_table_add (colours, GUINT_TO_POINTER (p));
      }
  /* A real UI has text (anti-aliased: many shades); a blank one has a handful. */
  g_test_message ("%s: %dx%d, %u colours", path, width, height, g_hash_table_size (colours));
  g_assert_cmpuint (g_hash_table_size (colours), >, 20);
}

SsTestDovecot *
ss_gui_start_dovecot (void)
{
  SsTestDovecotOptions options = { 0 };
  g_autoptr(GError) error = NULL;
  SsTestDovecot *dovecot = ss_test_dovecot_start (&options, &error);

  g_assert_no_error (error);
  g_assert_nonnull (dovecot);
  return dovecot;
}

SsTestSpamd *
ss_gui_shared_spamd (void)
{
  static SsTestSpamd *spamd;
  g_autoptr(GError) error = NULL;

  if (spamd == NULL)
    {
      spamd = ss_test_spamd_start (TRUE, &error);
      g_assert_no_error (error);
    }
  return spamd;
}

void
ss_gui_settings_for (GSettings     *settings,
                     SsTestDovecot *dovecot,
                     const char    *spamd_address)
{
  g_autofree char *url = g_strdup_printf ("imap://127.0.0.1:%u",
                                          ss_test_dovecot_get_imap_port (dovecot));

  g_settings_set_string (settings, "url", url);
  g_settings_set_enum (settings, "tls", SS_TLS_STARTTLS);
  g_settings_set_string (settings, "user", "tester");
  g_settings_set_string (settings, "ca-file", ss_test_dovecot_get_ca_file (dovecot));
  g_settings_set_string (settings, "spamd-address", spamd_address != NULL ? spamd_address : "");
  g_settings_set_uint (settings, "parallel", 4);
  g_settings_set_uint (settings, "timeout", 60);
}

void
ss_gui_store_password (GSettings  *settings,
                       const char *password)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsConfig) config = ss_settings_dup_config (settings, &error);
  g_autofree char *server = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  g_assert_no_error (error);
  server = ss_config_dup_server (config);
  ss_credentials_store_async (server, config->user, password, NULL, ss_gui_keep_result,
                              &result);
  ss_gui_await (&result, 20000);
  g_assert_true (ss_credentials_store_finish (result, &error));
  g_assert_no_error (error);
}
