/* ss-tray.c: the tray icon as a StatusNotifierItem (KDE/freedesktop protocol) with its menu
 * exported as com.canonical.dbusmenu, both over GDBus. The icon follows SsStatus; the tooltip
 * says what SpamSieve does and today's counts (SsStats). */
#define G_LOG_DOMAIN "ss-tray"

#include "config.h"

#include "ss-tray.h"

#include "ss-account.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n.h>
#include <string.h>

#define WATCHER_NAME  "org.kde.StatusNotifierWatcher"
#define WATCHER_PATH  "/StatusNotifierWatcher"
#define ITEM_IFACE    "org.kde.StatusNotifierItem"
#define MENU_IFACE    "com.canonical.dbusmenu"
#define ICON_RESOURCE "/org/example/SpamSieve/icons/symbolic/apps/"

/* One entry of the exported menu; its dbusmenu id is its index (0 is the root). */
typedef struct
{
  char     *label;          /* NULL: a separator (and the root) */
  char     *action;         /* an action of actions ("check-now") */
  gboolean  hide_disabled;  /* hidden-when="action-disabled" */
} TrayItem;

struct _SsTray
{
  GObject             parent_instance;

  GDBusConnection    *connection;
  GActionGroup       *actions;
  SsStatus           *status;
  SsStats            *stats;
  guint               item_id;
  guint               menu_id;
  guint               watch_id;
  guint               revision;
  gboolean            registered;
  GCancellable       *cancellable;
  GArray             *items;         /* of TrayItem */
  GDBusInterfaceInfo *item_info;
  GDBusInterfaceInfo *menu_info;
  char               *icon_theme_path;  /* "" if no icon directory was found */
  GHashTable         *pixmaps;          /* icon name → its IconPixmap (a(iiay)), rendered once */
  GListModel         *accounts;         /* SsAccount, or NULL: only status */
  const char         *shown_icon;       /* what the last NewIcon / NewStatus announced */
  const char         *shown_sni_status;
};

G_DEFINE_FINAL_TYPE (SsTray, ss_tray, G_TYPE_OBJECT)

/* ---- menu items ---- */

static void
clear_item (gpointer data)
{
  TrayItem *item = data;

  g_free (item->label);
  g_free (item->action);
}

static void
add_item (SsTray     *self,
          const char *label,
          const char *action,
          gboolean    hide_disabled)
{
  TrayItem item = { g_strdup (label), g_strdup (action), hide_disabled };

  g_array_append_val (self->items, item);
}

/* The window's menu, flattened: a separator between sections; what the tray cannot run
 * (window actions, items marked hidden-in-tray) is left out. */
static void
add_menu_items (SsTray     *self,
                GMenuModel *menu,
                gboolean   *separate)
{
  for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autoptr(GMenuModel) section = g_menu_model_get_item_link (menu, i, G_MENU_LINK_SECTION);
      g_autofree char *label = NULL;
      g_autofree char *action = NULL;
      g_autofree char *hidden_when = NULL;
      gboolean hidden_in_tray = FALSE;

      if (section != NULL)
        {
          *separate = self->items->len > 1;
          add_menu_items (self, section, separate);
          continue;
        }
      g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_LABEL, "s", &label);
      g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_ACTION, "s", &action);
      g_menu_model_get_item_attribute (menu, i, "hidden-when", "s", &hidden_when);
      g_menu_model_get_item_attribute (menu, i, "hidden-in-tray", "b", &hidden_in_tray);
      if (label == NULL || action == NULL || !g_str_has_prefix (action, "app.") ||
          hidden_in_tray)
        continue;
      if (*separate)
        add_item (self, NULL, NULL, FALSE);
      *separate = FALSE;
      add_item (self, label, action + strlen ("app."),
                g_strcmp0 (hidden_when, "action-disabled") == 0);
    }
}

static gboolean
action_enabled (SsTray     *self,
                const char *action)
{
  return action != NULL && self->actions != NULL &&
         g_action_group_has_action (self->actions, action) &&
         g_action_group_get_action_enabled (self->actions, action);
}

static const TrayItem *
get_item (SsTray *self,
          int     id)
{
  return id >= 0 && (guint) id < self->items->len ? &g_array_index (self->items, TrayItem, id)
                                                  : NULL;
}

static gboolean
wants (const char * const *names,
       const char         *name)
{
  return names == NULL || names[0] == NULL || g_strv_contains (names, name);
}

static GVariant *
item_properties (SsTray             *self,
                 int                 id,
                 const char * const *names)
{
  GVariantBuilder b;
  const TrayItem *item = get_item (self, id);

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  if (id == 0 || item == NULL)
    {
      if (wants (names, "children-display"))
        g_variant_builder_add (&b, "{sv}", "children-display", g_variant_new_string ("submenu"));
    }
  else if (item->label == NULL)
    {
      if (wants (names, "type"))
        g_variant_builder_add (&b, "{sv}", "type", g_variant_new_string ("separator"));
    }
  else
    {
      if (wants (names, "label"))
        g_variant_builder_add (&b, "{sv}", "label", g_variant_new_string (item->label));
      if (wants (names, "enabled"))
        g_variant_builder_add (&b, "{sv}", "enabled",
                               g_variant_new_boolean (action_enabled (self, item->action)));
      if (wants (names, "visible"))
        g_variant_builder_add (&b, "{sv}", "visible", g_variant_new_boolean (TRUE));
    }
  return g_variant_builder_end (&b);
}

static GVariant *
item_layout (SsTray             *self,
             int                 id,
             int                 depth,
             const char * const *names)
{
  GVariantBuilder children;

  g_variant_builder_init (&children, G_VARIANT_TYPE ("av"));
  /* Items hidden while their action is disabled (Pause / Resume) are left out; a change
   * of the actions sends LayoutUpdated. */
  if (id == 0 && depth != 0)
    for (guint child = 1; child < self->items->len; child++)
      {
        const TrayItem *item = &g_array_index (self->items, TrayItem, child);

        if (!item->hide_disabled || action_enabled (self, item->action))
          g_variant_builder_add (&children, "v", item_layout (self, child, depth - 1, names));
      }
  return g_variant_new ("(i@a{sv}av)", id, item_properties (self, id, names), &children);
}

static void
activate (SsTray     *self,
          const char *action)
{
  if (action_enabled (self, action))
    g_action_group_activate_action (self->actions, action, NULL);
}

static void
menu_event (SsTray     *self,
            int         id,
            const char *event)
{
  const TrayItem *item = get_item (self, id);

  if (g_strcmp0 (event, "clicked") == 0 && item != NULL)
    activate (self, item->action);
}

static void
menu_method_call (SsTray                *self,
                  const char            *method_name,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation)
{
  if (g_str_equal (method_name, "GetLayout"))
    {
      int parent, depth;
      g_autofree const char **names = NULL;

      g_variant_get (parameters, "(ii^a&s)", &parent, &depth, &names);
      if (get_item (self, parent) == NULL)
        {
          g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR,
                                                 G_DBUS_ERROR_INVALID_ARGS, "No item %d", parent);
          return;
        }
      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(u@(ia{sv}av))", self->revision,
                                                            item_layout (self, parent, depth,
                                                                         names)));
    }
  else if (g_str_equal (method_name, "GetGroupProperties"))
    {
      g_autoptr(GVariant) ids = NULL;
      g_autofree const char **names = NULL;
      GVariantBuilder b;
      GVariantIter iter;
      gint32 id;

      g_variant_get (parameters, "(@ai^a&s)", &ids, &names);
      g_variant_builder_init (&b, G_VARIANT_TYPE ("a(ia{sv})"));
      g_variant_iter_init (&iter, ids);
      while (g_variant_iter_next (&iter, "i", &id))
        if (get_item (self, id) != NULL)
          g_variant_builder_add (&b, "(i@a{sv})", id, item_properties (self, id, names));
      if (g_variant_n_children (ids) == 0)
        for (id = 0; (guint) id < self->items->len; id++)
          g_variant_builder_add (&b, "(i@a{sv})", id, item_properties (self, id, names));
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(a(ia{sv}))", &b));
    }
  else if (g_str_equal (method_name, "GetProperty"))
    {
      const char *name;
      const char *just[2] = { NULL, NULL };
      g_autoptr(GVariant) props = NULL;
      g_autoptr(GVariant) value = NULL;
      int id;

      g_variant_get (parameters, "(i&s)", &id, &name);
      just[0] = name;
      if (get_item (self, id) != NULL)
        {
          props = g_variant_ref_sink (item_properties (self, id, just));
          value = g_variant_lookup_value (props, name, NULL);
        }
      if (value == NULL)
        g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR,
                                               G_DBUS_ERROR_INVALID_ARGS,
                                               "No property %s on item %d", name, id);
      else
        g_dbus_method_invocation_return_value (invocation, g_variant_new ("(v)", value));
    }
  else if (g_str_equal (method_name, "Event"))
    {
      const char *event;
      int id;

      g_variant_get (parameters, "(i&svu)", &id, &event, NULL, NULL);
      g_dbus_method_invocation_return_value (invocation, NULL);
      menu_event (self, id, event);
    }
  else if (g_str_equal (method_name, "EventGroup"))
    {
      g_autoptr(GVariantIter) iter = NULL;
      GVariantBuilder errors;
      const char *event;
      int id;

      g_variant_get (parameters, "(a(isvu))", &iter);
      g_variant_builder_init (&errors, G_VARIANT_TYPE ("ai"));
      while (g_variant_iter_loop (iter, "(i&svu)", &id, &event, NULL, NULL))
        {
          if (get_item (self, id) == NULL)
            g_variant_builder_add (&errors, "i", id);
          else
            menu_event (self, id, event);
        }
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(ai)", &errors));
    }
  else if (g_str_equal (method_name, "AboutToShow"))
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(b)", FALSE));
  else if (g_str_equal (method_name, "AboutToShowGroup"))
    {
      GVariantBuilder updates, errors;

      g_variant_builder_init (&updates, G_VARIANT_TYPE ("ai"));
      g_variant_builder_init (&errors, G_VARIANT_TYPE ("ai"));
      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(aiai)", &updates, &errors));
    }
  else
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR,
                                           G_DBUS_ERROR_UNKNOWN_METHOD, "No method %s",
                                           method_name);
}

static GVariant *
menu_get_property (SsTray      *self,
                   const char  *property_name,
                   GError     **error)
{
  if (g_str_equal (property_name, "Version"))
    return g_variant_new_uint32 (3);
  if (g_str_equal (property_name, "TextDirection"))
    return g_variant_new_string ("ltr");
  if (g_str_equal (property_name, "Status"))
    return g_variant_new_string ("normal");
  if (g_str_equal (property_name, "IconThemePath"))
    {
      const char *paths[] = { self->icon_theme_path, NULL };

      return g_variant_new_strv (paths, *self->icon_theme_path != '\0' ? 1 : 0);
    }
  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "No property %s",
               property_name);
  return NULL;
}

/* ---- the item ---- */

/* The icon theme directory holding the app's icons: the installed one (in the prefix built
 * for, else in a data dir of XDG_DATA_DIRS: a copy installed elsewhere), else (run from the
 * build tree, as ./tools/run does) the source tree's data/icons. */
static char *
find_icon_theme_path (void)
{
  const char * const *data_dirs = g_get_system_data_dirs ();
  g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (dirs, g_build_filename (SS_DATADIR, "icons", NULL));
  for (guint i = 0; data_dirs[i] != NULL; i++)
    g_ptr_array_add (dirs, g_build_filename (data_dirs[i], "icons", NULL));
  g_ptr_array_add (dirs, g_strdup (SS_SOURCE_ICONDIR));
  for (guint i = 0; i < dirs->len; i++)
    {
      const char *dir = g_ptr_array_index (dirs, i);
      g_autofree char *icon = g_build_filename (dir, "hicolor", "symbolic", "apps",
                                                SS_STATUS_ICON_IDLE ".svg", NULL);

      if (g_file_test (icon, G_FILE_TEST_IS_REGULAR))
        return g_strdup (dir);
    }
  return g_strdup ("");
}

/* One IconPixmap entry: size px, ARGB32 in network byte order. The symbolic icons are drawn
 * in a mid grey (hosts recolour only themed icons) that shows on light and dark panels. */
static GVariant *
render_pixmap (const char *resource,
               int         size)
{
  static const guint8 grey[3] = { 0x88, 0x8a, 0x85 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new_from_resource_at_scale (resource, size, size,
                                                                       TRUE, &error);
  const guint8 *pixels;
  guint8 *argb;
  int width, height, stride, channels;

  if (pixbuf == NULL)
    {
      g_warning ("Cannot render the tray icon %s: %s", resource, error->message);
      return NULL;
    }
  width = gdk_pixbuf_get_width (pixbuf);
  height = gdk_pixbuf_get_height (pixbuf);
  stride = gdk_pixbuf_get_rowstride (pixbuf);
  channels = gdk_pixbuf_get_n_channels (pixbuf);
  pixels = gdk_pixbuf_read_pixels (pixbuf);
  argb = g_malloc ((gsize) width * height * 4);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        const guint8 *in = pixels + y * stride + x * channels;
        guint8 *out = argb + ((gsize) y * width + x) * 4;

        out[0] = gdk_pixbuf_get_has_alpha (pixbuf) ? in[3] : 0xff;
        memcpy (out + 1, grey, 3);
      }
  return g_variant_new ("(ii@ay)", width, height,
                        g_variant_new_from_data (G_VARIANT_TYPE ("ay"), argb,
                                                 (gsize) width * height * 4, TRUE, g_free,
                                                 argb));
}

/* The IconPixmap of icon_name (one of the SS_STATUS_ICON_* in the resources) at the sizes
 * panels use, rendered on first use and kept. */
static GVariant *
icon_pixmap (SsTray     *self,
             const char *icon_name)
{
  static const int sizes[] = { 16, 22, 32, 48 };
  g_autofree char *resource = g_strconcat (ICON_RESOURCE, icon_name, ".svg", NULL);
  GVariant *pixmap = g_hash_table_lookup (self->pixmaps, icon_name);
  GVariantBuilder b;

  if (pixmap == NULL)
    {
      g_variant_builder_init (&b, G_VARIANT_TYPE ("a(iiay)"));
      for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
        {
          GVariant *entry = render_pixmap (resource, sizes[i]);

          if (entry != NULL)
            g_variant_builder_add_value (&b, entry);
        }
      pixmap = g_variant_ref_sink (g_variant_builder_end (&b));
      g_hash_table_insert (self->pixmaps, g_strdup (icon_name), pixmap);
    }
  return g_variant_ref (pixmap);
}

/* With several accounts, the worst one's state (a problem, then paused) is the icon's. */
static SsStatus *
shown_status (SsTray *self)
{
  SsAccount *worst;

  if (self->accounts == NULL || g_list_model_get_n_items (self->accounts) < 2)
    return self->status;
  worst = ss_account_list_worst (self->accounts);
  return worst != NULL ? ss_account_get_status (worst) : self->status;
}

static GVariant *
tooltip (SsTray *self)
{
  g_autofree char *title = NULL;
  g_autofree char *counts = NULL;
  g_autofree char *text = NULL;

  g_object_get (self->stats, "summary-text", &counts, NULL);
  if (self->accounts != NULL && g_list_model_get_n_items (self->accounts) >= 2)
    {
      /* "2 accounts" and one line per account; the counts are the first account's. */
      g_autofree char *summary = ss_account_list_summary (self->accounts);
      char *nl = strchr (summary, '\n');

      title = g_strdup_printf ("SpamSieve — %.*s", nl != NULL ? (int) (nl - summary)
                                                              : (int) strlen (summary), summary);
      text = g_strdup_printf ("%s\n%s", nl != NULL ? nl + 1 : "", counts);
    }
  else
    {
      title = g_strdup_printf ("SpamSieve — %s", ss_status_get_title (self->status));
      text = g_strdup_printf ("%s\n%s",
                              _("Moves spam out of Unfiltered with SpamAssassin."), counts);
    }
  return g_variant_new ("(s@a(iiay)ss)", ss_status_get_icon_name (shown_status (self)),
                        g_variant_new_array (G_VARIANT_TYPE ("(iiay)"), NULL, 0), title, text);
}

static GVariant *
item_get_property (SsTray      *self,
                   const char  *property_name,
                   GError     **error)
{
  if (g_str_equal (property_name, "Category"))
    return g_variant_new_string ("ApplicationStatus");
  if (g_str_equal (property_name, "Id"))
    return g_variant_new_string (APP_ID);
  if (g_str_equal (property_name, "Title"))
    return g_variant_new_string ("SpamSieve");
  if (g_str_equal (property_name, "Status"))
    return g_variant_new_string (ss_status_get_sni_status (shown_status (self)));
  if (g_str_equal (property_name, "WindowId"))
    return g_variant_new_int32 (0);
  if (g_str_equal (property_name, "IconThemePath"))
    return g_variant_new_string (self->icon_theme_path);
  if (g_str_equal (property_name, "IconName"))
    return g_variant_new_string (ss_status_get_icon_name (shown_status (self)));
  if (g_str_equal (property_name, "AttentionIconName"))
    return g_variant_new_string (SS_STATUS_ICON_ERROR);
  if (g_str_equal (property_name, "OverlayIconName") ||
      g_str_equal (property_name, "AttentionMovieName"))
    return g_variant_new_string ("");
  if (g_str_equal (property_name, "IconPixmap"))
    return icon_pixmap (self, ss_status_get_icon_name (shown_status (self)));
  if (g_str_equal (property_name, "AttentionIconPixmap"))
    return icon_pixmap (self, SS_STATUS_ICON_ERROR);
  if (g_str_equal (property_name, "OverlayIconPixmap"))
    return g_variant_new_array (G_VARIANT_TYPE ("(iiay)"), NULL, 0);
  if (g_str_equal (property_name, "ToolTip"))
    return tooltip (self);
  if (g_str_equal (property_name, "ItemIsMenu"))
    return g_variant_new_boolean (FALSE);
  if (g_str_equal (property_name, "Menu"))
    return g_variant_new_object_path (SS_TRAY_MENU_PATH);
  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "No property %s",
               property_name);
  return NULL;
}

static void
item_method_call (SsTray                *self,
                  const char            *method_name,
                  GDBusMethodInvocation *invocation)
{
  g_dbus_method_invocation_return_value (invocation, NULL);
  if (g_str_equal (method_name, "Activate"))
    activate (self, "toggle-window");
  else if (g_str_equal (method_name, "SecondaryActivate"))
    activate (self, "check-now");
  else if (g_str_equal (method_name, "ContextMenu"))
    /* Only hosts that cannot show our menu call this: give them the window. */
    activate (self, "show-window");
  /* Scroll: nothing to scroll through. */
}

/* One vtable for both objects: the interface decides. */
static void
method_call (GDBusConnection       *connection,
             const char            *sender,
             const char            *object_path,
             const char            *interface_name,
             const char            *method_name,
             GVariant              *parameters,
             GDBusMethodInvocation *invocation,
             gpointer               user_data)
{
  if (g_str_equal (interface_name, MENU_IFACE))
    menu_method_call (user_data, method_name, parameters, invocation);
  else
    item_method_call (user_data, method_name, invocation);
}

static GVariant *
get_property (GDBusConnection  *connection,
              const char       *sender,
              const char       *object_path,
              const char       *interface_name,
              const char       *property_name,
              GError          **error,
              gpointer          user_data)
{
  if (g_str_equal (interface_name, MENU_IFACE))
    return menu_get_property (user_data, property_name, error);
  return item_get_property (user_data, property_name, error);
}

static void
emit (SsTray     *self,
      const char *path,
      const char *iface,
      const char *signal,
      GVariant   *parameters)
{
  if (self->connection != NULL && self->item_id != 0)
    g_dbus_connection_emit_signal (self->connection, NULL, path, iface, signal, parameters,
                                   NULL);
}

static void
on_status_notify (SsTray     *self,
                  GParamSpec *pspec)
{
  const char *name = g_param_spec_get_name (pspec);

  if (g_str_equal (name, "icon-name"))
    emit (self, SS_TRAY_ITEM_PATH, ITEM_IFACE, "NewIcon", NULL);
  else if (g_str_equal (name, "sni-status"))
    emit (self, SS_TRAY_ITEM_PATH, ITEM_IFACE, "NewStatus",
          g_variant_new ("(s)", ss_status_get_sni_status (shown_status (self))));
  else if (g_str_equal (name, "title"))
    emit (self, SS_TRAY_ITEM_PATH, ITEM_IFACE, "NewToolTip", NULL);
}

static void
on_stats_notify (SsTray *self)
{
  emit (self, SS_TRAY_ITEM_PATH, ITEM_IFACE, "NewToolTip", NULL);
}

static void
on_action_enabled_changed (SsTray     *self,
                           const char *action,
                           gboolean    enabled)
{
  /* Properties of every item may have changed: tell hosts to fetch the layout again. */
  self->revision++;
  emit (self, SS_TRAY_MENU_PATH, MENU_IFACE, "LayoutUpdated",
        g_variant_new ("(ui)", self->revision, 0));
}

/* ---- registration ---- */

static void
register_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(SsTray) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result,
                                                             &error);

  if (reply == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("StatusNotifierWatcher refused the item: %s", error->message);
      return;
    }
  g_debug ("registered with the StatusNotifierWatcher");
  self->registered = TRUE;
}

static void
on_watcher_appeared (GDBusConnection *connection,
                     const char      *name,
                     const char      *owner,
                     gpointer         user_data)
{
  SsTray *self = user_data;

  self->registered = FALSE;
  g_dbus_connection_call (connection, owner, WATCHER_PATH, WATCHER_NAME,
                          "RegisterStatusNotifierItem",
                          g_variant_new ("(s)", g_dbus_connection_get_unique_name (connection)),
                          NULL, G_DBUS_CALL_FLAGS_NONE, -1, self->cancellable, register_cb,
                          g_object_ref (self));
}

static void
on_watcher_vanished (GDBusConnection *connection,
                     const char      *name,
                     gpointer         user_data)
{
  SsTray *self = user_data;

  /* No tray right now: SpamSieve keeps running; the window and notifications remain. */
  self->registered = FALSE;
}

/* ---- GObject ---- */

static void
ss_tray_dispose (GObject *object)
{
  SsTray *self = SS_TRAY (object);

  ss_tray_shutdown (self);
  g_clear_object (&self->status);
  g_clear_object (&self->accounts);
  g_clear_object (&self->stats);
  g_clear_object (&self->actions);
  g_clear_object (&self->connection);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->items, g_array_unref);
  g_clear_pointer (&self->item_info, g_dbus_interface_info_unref);
  g_clear_pointer (&self->menu_info, g_dbus_interface_info_unref);
  g_clear_pointer (&self->pixmaps, g_hash_table_unref);
  g_clear_pointer (&self->icon_theme_path, g_free);
  G_OBJECT_CLASS (ss_tray_parent_class)->dispose (object);
}

static void
ss_tray_class_init (SsTrayClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ss_tray_dispose;
}

static void
ss_tray_init (SsTray *self)
{
  self->cancellable = g_cancellable_new ();
  self->revision = 1;
  self->items = g_array_new (FALSE, TRUE, sizeof (TrayItem));
  g_array_set_clear_func (self->items, clear_item);
  self->icon_theme_path = find_icon_theme_path ();
  self->pixmaps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_variant_unref);
}

/* An interface of the app's resources (dbus/NAME.xml) */
static GDBusInterfaceInfo *
load_interface (const char *name)
{
  g_autofree char *path = g_strconcat ("/org/example/SpamSieve/dbus/", name, ".xml", NULL);
  g_autoptr(GBytes) xml = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  g_autoptr(GDBusNodeInfo) node = NULL;
  g_autoptr(GError) error = NULL;

  g_assert (xml != NULL);
  /* Resource data always ends in a NUL byte. */
  node = g_dbus_node_info_new_for_xml (g_bytes_get_data (xml, NULL), &error);
  g_assert_no_error (error);
  return g_dbus_interface_info_ref (g_dbus_node_info_lookup_interface (node, name));
}

SsTray *
ss_tray_new (GDBusConnection *connection,
             GActionGroup    *actions,
             GMenuModel      *menu,
             SsStatus        *status,
             SsStats         *stats)
{
  static const GDBusInterfaceVTable vtable = { method_call, get_property, NULL };
  g_autoptr(GError) error = NULL;
  gboolean separate = FALSE;
  SsTray *self;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);
  g_return_val_if_fail (G_IS_MENU_MODEL (menu), NULL);
  g_return_val_if_fail (SS_IS_STATUS (status) && SS_IS_STATS (stats), NULL);

  self = g_object_new (SS_TYPE_TRAY, NULL);
  self->connection = g_object_ref (connection);
  self->actions = actions != NULL ? g_object_ref (actions) : NULL;
  self->status = g_object_ref (status);
  self->stats = g_object_ref (stats);
  self->item_info = load_interface (ITEM_IFACE);
  self->menu_info = load_interface (MENU_IFACE);
  add_item (self, NULL, NULL, FALSE);                         /* the root */
  add_item (self, _("_Open SpamSieve"), "show-window", FALSE);
  add_menu_items (self, menu, &separate);

  self->item_id = g_dbus_connection_register_object (connection, SS_TRAY_ITEM_PATH,
                                                     self->item_info, &vtable,
                                                     self, NULL, &error);
  if (self->item_id == 0)
    {
      g_warning ("Cannot export the tray item: %s", error->message);
      return self;
    }
  self->menu_id = g_dbus_connection_register_object (connection, SS_TRAY_MENU_PATH,
                                                     self->menu_info, &vtable,
                                                     self, NULL, &error);
  if (self->menu_id == 0)
    g_warning ("Cannot export the tray menu: %s", error->message);

  g_signal_connect_object (status, "notify", G_CALLBACK (on_status_notify), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (stats, "notify::summary-text", G_CALLBACK (on_stats_notify), self,
                           G_CONNECT_SWAPPED);
  if (actions != NULL)
    g_signal_connect_object (actions, "action-enabled-changed",
                             G_CALLBACK (on_action_enabled_changed), self, G_CONNECT_SWAPPED);
  self->watch_id = g_bus_watch_name_on_connection (connection, WATCHER_NAME,
                                                   G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                   on_watcher_appeared, on_watcher_vanished,
                                                   self, NULL);
  return self;
}

void
ss_tray_set_accounts (SsTray     *self,
                      GListModel *accounts)
{
  SsStatus *shown;
  gboolean several;

  g_return_if_fail (SS_IS_TRAY (self));

  several = (self->accounts != NULL && g_list_model_get_n_items (self->accounts) >= 2) ||
            (accounts != NULL && g_list_model_get_n_items (accounts) >= 2);
  g_set_object (&self->accounts, accounts);
  /* One account: on_status_notify announces its changes, as before. */
  if (!several)
    {
      self->shown_icon = self->shown_sni_status = NULL;
      return;
    }
  /* Called on every state change of any account: announce only what changed (hosts fetch
   * the pixmaps again on NewIcon). The strings are static (the status table's). */
  shown = shown_status (self);
  if (g_strcmp0 (self->shown_icon, ss_status_get_icon_name (shown)) != 0)
    {
      self->shown_icon = ss_status_get_icon_name (shown);
      emit (self, SS_TRAY_ITEM_PATH, ITEM_IFACE, "NewIcon", NULL);
    }
  if (g_strcmp0 (self->shown_sni_status, ss_status_get_sni_status (shown)) != 0)
    {
      self->shown_sni_status = ss_status_get_sni_status (shown);
      emit (self, SS_TRAY_ITEM_PATH, ITEM_IFACE, "NewStatus",
            g_variant_new ("(s)", self->shown_sni_status));
    }
  emit (self, SS_TRAY_ITEM_PATH, ITEM_IFACE, "NewToolTip", NULL);
}

gboolean
ss_tray_is_registered (SsTray *self)
{
  g_return_val_if_fail (SS_IS_TRAY (self), FALSE);
  return self->registered;
}

void
ss_tray_shutdown (SsTray *self)
{
  g_return_if_fail (SS_IS_TRAY (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->watch_id, g_bus_unwatch_name);
  if (self->connection != NULL)
    {
      if (self->item_id != 0)
        g_dbus_connection_unregister_object (self->connection, self->item_id);
      if (self->menu_id != 0)
        g_dbus_connection_unregister_object (self->connection, self->menu_id);
    }
  self->item_id = 0;
  self->menu_id = 0;
  self->registered = FALSE;
}
