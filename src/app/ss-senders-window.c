/* ss-senders-window.c: a preferences page with the allowed and the blocked senders: an entry
 * to add an address (or @domain) to each, a remove button on every entry */
#include "config.h"

#include "ss-senders-window.h"

#include <glib/gi18n.h>

#include "ss-sender-lists.h"

typedef struct
{
  SsSendersWindow      *self;
  SsSenderStatus        status;
  AdwPreferencesGroup  *group;
  AdwEntryRow          *add_row;
  GPtrArray            *rows;      /* the entry rows shown (not owned) */
} ListView;

struct _SsSendersWindow
{
  AdwPreferencesWindow  parent_instance;

  SsSenderLists        *lists;
  ListView              allowed;
  ListView              blocked;
};

G_DEFINE_FINAL_TYPE (SsSendersWindow, ss_senders_window, ADW_TYPE_PREFERENCES_WINDOW)

static void refresh (ListView *view);

static void
show_error (SsSendersWindow *self,
            const GError    *error)
{
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                    adw_toast_new (error->message));
}

static void
remove_clicked (GtkButton *button,
                ListView  *view)
{
  const char *address = g_object_get_data (G_OBJECT (button), "address");
  g_autoptr(GError) error = NULL;

  if (!ss_sender_lists_restore (view->self->lists, address, SS_SENDER_UNLISTED, &error))
    show_error (view->self, error);
  refresh (view);
}

static void
add_applied (AdwEntryRow *row,
             ListView    *view)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
  g_autoptr(GError) error = NULL;

  if (*text == '\0')
    return;
  if (!ss_sender_lists_add (view->self->lists, text, view->status, NULL, &error))
    {
      show_error (view->self, error);
      return;
    }
  gtk_editable_set_text (GTK_EDITABLE (row), "");
  refresh (&view->self->allowed);
  refresh (&view->self->blocked);
}

static void
refresh (ListView *view)
{
  g_auto(GStrv) entries = ss_sender_lists_dup_saved (view->self->lists, view->status);

  for (guint i = 0; i < view->rows->len; i++)
    adw_preferences_group_remove (view->group, g_ptr_array_index (view->rows, i));
  g_ptr_array_set_size (view->rows, 0);
  for (guint i = 0; entries[i] != NULL; i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
      g_autofree char *tip = g_strdup_printf (_("Remove %s"), entries[i]);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), entries[i]);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (remove, "flat");
      gtk_widget_set_tooltip_text (remove, tip);
      gtk_accessible_update_property (GTK_ACCESSIBLE (remove),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, tip, -1);
      g_object_set_data_full (G_OBJECT (remove), "address", g_strdup (entries[i]), g_free);
      g_signal_connect (remove, "clicked", G_CALLBACK (remove_clicked), view);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
      adw_preferences_group_add (view->group, row);
      g_ptr_array_add (view->rows, row);
    }
}

static void
build_list (SsSendersWindow     *self,
            ListView            *view,
            SsSenderStatus       status,
            AdwPreferencesPage  *page,
            const char          *title,
            const char          *description)
{
  view->self = self;
  view->status = status;
  view->rows = g_ptr_array_new ();
  view->group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (view->group, title);
  adw_preferences_group_set_description (view->group, description);
  view->add_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (view->add_row),
                                 _("Add an address or @domain"));
  adw_entry_row_set_show_apply_button (view->add_row, TRUE);
  g_signal_connect (view->add_row, "apply", G_CALLBACK (add_applied), view);
  g_signal_connect (view->add_row, "entry-activated", G_CALLBACK (add_applied), view);
  adw_preferences_group_add (view->group, GTK_WIDGET (view->add_row));
  adw_preferences_page_add (page, view->group);
}

static void
ss_senders_window_finalize (GObject *object)
{
  SsSendersWindow *self = (SsSendersWindow *) object;

  g_clear_object (&self->lists);
  g_clear_pointer (&self->allowed.rows, g_ptr_array_unref);
  g_clear_pointer (&self->blocked.rows, g_ptr_array_unref);
  G_OBJECT_CLASS (ss_senders_window_parent_class)->finalize (object);
}

static void
ss_senders_window_class_init (SsSendersWindowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ss_senders_window_finalize;
}

static void
ss_senders_window_init (SsSendersWindow *self)
{
  AdwPreferencesPage *page = ADW_PREFERENCES_PAGE (adw_preferences_page_new ());

  gtk_window_set_title (GTK_WINDOW (self), _("Senders"));
  gtk_window_set_default_size (GTK_WINDOW (self), 520, 600);
  adw_preferences_window_set_search_enabled (ADW_PREFERENCES_WINDOW (self), FALSE);
  adw_preferences_page_set_title (page, _("Senders"));
  adw_preferences_page_set_icon_name (page, "system-users-symbolic");
  build_list (self, &self->allowed, SS_SENDER_ALLOWED, page, _("Allowed Senders"),
              _("Their mail goes to your inbox, unless SpamAssassin is certain it is spam "
                "(a sender's address is easy to forge). \"Not spam\" and the people you "
                "write to are added here."));
  build_list (self, &self->blocked, SS_SENDER_BLOCKED, page, _("Blocked Senders"),
              _("Their mail always goes to Spam. \"Spam\" adds the sender here."));
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self), page);
}

GtkWidget *
ss_senders_window_new (GtkWindow  *parent,
                       const char *lists_path)
{
  SsSendersWindow *self = g_object_new (SS_TYPE_SENDERS_WINDOW,
                                        "transient-for", parent,
                                        "modal", parent != NULL,
                                        NULL);
  g_autoptr(GError) error = NULL;

  self->lists = ss_sender_lists_open (lists_path, &error);
  if (self->lists == NULL)
    {
      self->lists = ss_sender_lists_open (NULL, NULL);
      show_error (self, error);
    }
  refresh (&self->allowed);
  refresh (&self->blocked);
  return GTK_WIDGET (self);
}
