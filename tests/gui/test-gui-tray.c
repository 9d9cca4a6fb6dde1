/* test-gui-tray.c: the StatusNotifierItem and its dbusmenu against a watcher stand-in. */
#define G_LOG_DOMAIN "test-gui"

#include "config.h"

#include <string.h>

#include "ss-gui-test.h"
#include "ss-stats.h"
#include "ss-status.h"
#include "ss-tray.h"

typedef struct
{
  GSimpleActionGroup *group;
  GPtrArray          *activated;
} Actions;

static void
record_activation (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  Actions *actions = user_data;

  g_ptr_array_add (actions->activated, g_strdup (g_action_get_name (G_ACTION (action))));
}

static void
set_enabled (GSimpleActionGroup *group,
             const char         *name,
             gboolean            enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (group), name);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

static gboolean
tray_registered (gpointer data)
{
  return ss_tray_is_registered (data);
}

static gboolean
tray_unregistered (gpointer data)
{
  return !ss_tray_is_registered (data);
}

static void
count_signal (GDBusConnection *connection,
              const char      *sender,
              const char      *object_path,
              const char      *interface,
              const char      *signal,
              GVariant        *parameters,
              gpointer         user_data)
{
  (*(guint *) user_data)++;
}

static gboolean
is_positive (gpointer data)
{
  return *(guint *) data > 0;
}

static gboolean
has_activation (gpointer data)
{
  Actions *actions = data;

  return actions->activated->len > 0;
}

/* The string property of the item of bus_name is expected. */
static void
assert_item_string (const char *bus_name,
                    const char *property,
                    const char *expected)
{
  g_autoptr(GVariant) value = ss_gui_get_property (bus_name, SS_TRAY_ITEM_PATH,
                                                   "org.kde.StatusNotifierItem", property);

  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, expected);
}

/* dir is an icon theme directory with name as a file hicolor/SIZE/apps/name.{svg,png}. */
static gboolean
theme_has_icon (const char *dir,
                const char *name)
{
  g_autofree char *hicolor = g_build_filename (dir, "hicolor", NULL);
  g_autoptr(GDir) sizes = g_dir_open (hicolor, 0, NULL);
  const char *size;

  while (sizes != NULL && (size = g_dir_read_name (sizes)) != NULL)
    for (int i = 0; i < 2; i++)
      {
        g_autofree char *file = g_strconcat (name, i == 0 ? ".svg" : ".png", NULL);
        g_autofree char *path = g_build_filename (hicolor, size, "apps", file, NULL);

        if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
          return TRUE;
      }
  return FALSE;
}

/* The IconPixmap entry of size px in pixmaps (a(iiay)): ARGB32, size*size*4 bytes, not all
 * transparent, the top-left pixel (outside the icons' round corner) transparent, which also
 * shows alpha comes first. Returns its bytes. */
static GBytes *
pixmap_of_size (GVariant *pixmaps,
                int       size)
{
  for (gsize i = 0; i < g_variant_n_children (pixmaps); i++)
    {
      g_autoptr(GVariant) data = NULL;
      const guint8 *argb;
      gsize length;
      int width, height;
      gboolean opaque = FALSE;

      g_variant_get_child (pixmaps, i, "(ii@ay)", &width, &height, &data);
      if (width != size)
        continue;
      g_assert_cmpint (height, ==, size);
      argb = g_variant_get_fixed_array (data, &length, 1);
      g_assert_cmpuint (length, ==, (gsize) width * height * 4);
      g_assert_cmpuint (argb[0], ==, 0);
      for (gsize p = 0; p < length && !opaque; p += 4)
        opaque = argb[p] != 0;   /* alpha first: network byte order */
      g_assert_true (opaque);
      return g_variant_get_data_as_bytes (data);
    }
  g_assert_not_reached ();
}

/* The IconPixmap of the item of bus_name: checked at 22 and 48 px; the 48 px bytes. */
static GBytes *
icon_pixmap (const char *bus_name)
{
  g_autoptr(GVariant) pixmaps = ss_gui_get_property (bus_name, SS_TRAY_ITEM_PATH,
                                                     "org.kde.StatusNotifierItem",
                                                     "IconPixmap");

  g_bytes_unref (pixmap_of_size (pixmaps, 22));
  return pixmap_of_size (pixmaps, 48);
}

static void
test_tray (void)
{
  const char *names[] = { "toggle-window", "show-window", "check-now", "pause", "resume",
                          "setup", "quit" };
  Actions actions = { g_simple_action_group_new (),
                      g_ptr_array_new_with_free_func (g_free) };
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(SsStatus) status = ss_status_new ();
  g_autoptr(SsStats) stats = ss_stats_new ();
  g_autoptr(SsTray) tray = NULL;
  const char *me = g_dbus_connection_get_unique_name (bus);
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GString) labels = g_string_new (NULL);
  g_autoptr(GtkBuilder) menus = gtk_builder_new_from_resource ("/org/example/SpamSieve/gtk/"
                                                               "menus.ui");
  GMenuModel *menu = G_MENU_MODEL (gtk_builder_get_object (menus, "primary-menu"));
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) idle_pixmap = NULL;
  g_autoptr(GBytes) error_pixmap = NULL;
  guint new_icons = 0;
  guint new_icon_id;
  GSubprocess *watcher;
  const char *title, *text, *icon;
  int check_now;

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      GActionEntry entry = { names[i], record_activation };

      g_action_map_add_action_entries (G_ACTION_MAP (actions.group), &entry, 1, &actions);
    }
  /* As in the app while filtering: Resume is disabled. */
  set_enabled (actions.group, "resume", FALSE);

  /* No watcher: fine, nothing registered, nothing breaks. */
  tray = ss_tray_new (bus, G_ACTION_GROUP (actions.group), menu, status, stats);
  ss_gui_spin (300);
  g_assert_false (ss_tray_is_registered (tray));

  /* The watcher appears: the item registers with its unique name. */
  watcher = ss_gui_watcher_start ();
  g_assert_true (ss_gui_wait (tray_registered, tray, 10000));
  g_assert_true (ss_gui_watcher_has (me));

  assert_item_string (me, "Category", "ApplicationStatus");
  assert_item_string (me, "Id", APP_ID);
  assert_item_string (me, "Title", "SpamSieve");
  assert_item_string (me, "Status", "Active");
  assert_item_string (me, "IconName", APP_ID "-symbolic");
  /* Drawn where the icon is not installed (the build tree): a theme path that has it, and
   * pixmaps. */
  value = ss_gui_get_property (me, SS_TRAY_ITEM_PATH, "org.kde.StatusNotifierItem",
                               "IconThemePath");
  g_assert_true (g_file_test (g_variant_get_string (value, NULL), G_FILE_TEST_IS_DIR));
  g_assert_true (theme_has_icon (g_variant_get_string (value, NULL), APP_ID "-symbolic"));
  g_assert_true (theme_has_icon (g_variant_get_string (value, NULL), APP_ID "-error-symbolic"));
  g_clear_pointer (&value, g_variant_unref);
  idle_pixmap = icon_pixmap (me);
  value = ss_gui_get_property (me, SS_TRAY_ITEM_PATH, "org.kde.StatusNotifierItem",
                               "ItemIsMenu");
  g_assert_false (g_variant_get_boolean (value));
  g_clear_pointer (&value, g_variant_unref);
  assert_item_string (me, "Menu", SS_TRAY_MENU_PATH);
  value = ss_gui_get_property (me, SS_TRAY_ITEM_PATH, "org.kde.StatusNotifierItem", "ToolTip");
  g_assert_cmpstr (g_variant_get_type_string (value), ==, "(sa(iiay)ss)");
  g_variant_get (value, "(&s@a(iiay)&s&s)", &icon, NULL, &title, &text);
  g_assert_cmpstr (title, ==, "SpamSieve — Not set up");
  g_assert_nonnull (strstr (text, "SpamAssassin"));
  g_assert_nonnull (strstr (text, "Today: 0 scanned, 0 spam"));
  g_clear_pointer (&value, g_variant_unref);

  /* State changes show: a settings problem needs attention. */
  new_icon_id = g_dbus_connection_signal_subscribe (bus, me, "org.kde.StatusNotifierItem",
                                                    "NewIcon", SS_TRAY_ITEM_PATH, NULL,
                                                    G_DBUS_SIGNAL_FLAGS_NONE, count_signal,
                                                    &new_icons, NULL);
  ss_status_set_has_account (status, TRUE);
  ss_status_set_config_error (status, "broken");
  g_assert_true (ss_gui_wait (is_positive, &new_icons, 5000));
  g_dbus_connection_signal_unsubscribe (bus, new_icon_id);
  assert_item_string (me, "Status", "NeedsAttention");
  assert_item_string (me, "IconName", APP_ID "-error-symbolic");
  error_pixmap = icon_pixmap (me);
  g_assert_false (g_bytes_equal (idle_pixmap, error_pixmap));

  /* The menu. */
  value = ss_gui_get_property (me, SS_TRAY_MENU_PATH, "com.canonical.dbusmenu", "Version");
  g_assert_cmpuint (g_variant_get_uint32 (value), >=, 3);
  check_now = ss_gui_tray_menu (me, "_Check Now", labels);
  g_assert_cmpstr (labels->str, ==,
                   "_Open SpamSieve|_Check Now|_Pause Filtering|_Settings|_Quit|");
  /* Paused: Resume instead of Pause. */
  set_enabled (actions.group, "pause", FALSE);
  set_enabled (actions.group, "resume", TRUE);
  g_string_truncate (labels, 0);
  ss_gui_tray_menu (me, NULL, labels);
  g_assert_cmpstr (labels->str, ==,
                   "_Open SpamSieve|_Check Now|_Resume Filtering|_Settings|_Quit|");
  reply = ss_gui_call (me, SS_TRAY_MENU_PATH, "com.canonical.dbusmenu", "AboutToShow",
                       g_variant_new ("(i)", 0), "(b)", &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);

  /* Clicking "Check now" activates app.check-now. */
  reply = ss_gui_call (me, SS_TRAY_MENU_PATH, "com.canonical.dbusmenu", "Event",
                       g_variant_new ("(isvu)", check_now, "clicked", g_variant_new_int32 (0),
                                      0), NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);
  g_assert_true (ss_gui_wait (has_activation, &actions, 5000));
  g_assert_cmpstr (g_ptr_array_index (actions.activated, 0), ==, "check-now");
  g_ptr_array_set_size (actions.activated, 0);

  /* A left click toggles the window. */
  reply = ss_gui_call (me, SS_TRAY_ITEM_PATH, "org.kde.StatusNotifierItem", "Activate",
                       g_variant_new ("(ii)", 0, 0), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ss_gui_wait (has_activation, &actions, 5000));
  g_assert_cmpstr (g_ptr_array_index (actions.activated, 0), ==, "toggle-window");

  /* The watcher goes and comes back: the item registers again. */
  ss_gui_mock_stop (watcher);
  g_assert_true (ss_gui_wait (tray_unregistered, tray, 10000));
  watcher = ss_gui_watcher_start ();
  g_assert_true (ss_gui_wait (tray_registered, tray, 10000));
  g_assert_true (ss_gui_watcher_has (me));

  ss_tray_shutdown (tray);
  ss_gui_mock_stop (watcher);
  g_object_unref (actions.group);
  g_ptr_array_unref (actions.activated);
}

void
ss_gui_add_tray_tests (void)
{
  g_test_add_func ("/tray", test_tray);
}
