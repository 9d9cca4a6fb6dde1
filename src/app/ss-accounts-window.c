/* ss-accounts-window.c: one row per account: "user@server", its state line, a switch that
 * pauses it, edit and remove buttons; "Add Account" opens the setup dialog for a new one. */
#define G_LOG_DOMAIN "ss-accounts-window"

#include "config.h"

#include "ss-accounts-window.h"

#include <glib/gi18n.h>

#include "ss-account.h"
#include "ss-settings.h"

struct _SsAccountsWindow
{
  AdwWindow            parent_instance;

  GListModel          *accounts;
  AdwPreferencesPage  *page;
  AdwPreferencesGroup *group;
  GPtrArray           *rows;          /* AdwActionRow, in list order */
  AdwMessageDialog    *confirmation;  /* weak */
};

G_DEFINE_FINAL_TYPE (SsAccountsWindow, ss_accounts_window, ADW_TYPE_WINDOW)

static void
on_switch_active (GtkSwitch  *sw,
                  GParamSpec *pspec,
                  SsAccount  *account)
{
  gboolean paused = !gtk_switch_get_active (sw);

  if (paused != ss_account_get_paused (account))
    ss_account_set_paused (account, paused);
}

static void
on_paused_changed (GtkSwitch *sw,
                   const char *key,
                   GSettings  *settings)
{
  gboolean active = !g_settings_get_boolean (settings, "paused");

  if (gtk_switch_get_active (sw) != active)
    gtk_switch_set_active (sw, active);
}

static void
update_title (AdwActionRow *row,
              const char   *key,
              GSettings    *settings)
{
  SsAccount *account = g_object_get_data (G_OBJECT (row), "account");
  g_autofree char *label = ss_account_dup_label (account);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), label);
  gtk_widget_set_visible (g_object_get_data (G_OBJECT (row), "remove"),
                          ss_settings_has_account (settings));
}

static void
on_remove_response (AdwMessageDialog *dialog,
                    const char       *response,
                    SsAccountsWindow *self)
{
  const char *id = g_object_get_data (G_OBJECT (dialog), "account-id");

  if (g_str_equal (response, "remove"))
    gtk_widget_activate_action (GTK_WIDGET (self), "app.remove-account", "s", id);
}

static void
on_remove_clicked (GtkButton        *button,
                   SsAccountsWindow *self)
{
  SsAccount *account = g_object_get_data (G_OBJECT (button), "account");
  g_autofree char *label = ss_account_dup_label (account);
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Remove Account?"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("SpamSieve stops filtering %s and forgets its settings and "
                                    "its password. The mail on the server stays as it is."),
                                  label);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"), "remove", _("_Remove"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "account-id",
                          g_strdup (ss_account_get_id (account)), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_remove_response), self, 0);
  g_set_weak_pointer (&self->confirmation, ADW_MESSAGE_DIALOG (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
}

static GtkWidget *
icon_button (const char *icon_name,
             const char *tooltip)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon_name);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  tooltip, -1);
  return button;
}

static GtkWidget *
account_row (SsAccountsWindow *self,
             SsAccount        *account)
{
  GSettings *settings = ss_account_get_settings (account);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *sw = gtk_switch_new ();
  GtkWidget *next = gtk_image_new_from_icon_name ("go-next-symbolic");
  g_autofree char *label = ss_account_dup_label (account);

  g_object_set_data_full (G_OBJECT (row), "account", g_object_ref (account), g_object_unref);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), label);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  g_object_bind_property (ss_account_get_status (account), "title", row, "subtitle",
                          G_BINDING_SYNC_CREATE);
  g_signal_connect_object (settings, "changed::user", G_CALLBACK (update_title), row,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (settings, "changed::url", G_CALLBACK (update_title), row,
                           G_CONNECT_SWAPPED);

  /* The row opens the account's settings (as rows in GNOME Settings do). */
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (row), "app.edit-account");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (row), "s", ss_account_get_id (account));
  gtk_widget_set_tooltip_text (row, _("Edit Account"));
  {
    GtkWidget *remove = icon_button ("user-trash-symbolic", _("Remove Account"));

    /* Nothing to remove before it is set up (the first account after removing it). */
    gtk_widget_set_visible (remove, ss_settings_has_account (settings));
    g_object_set_data (G_OBJECT (remove), "account", account);
    g_object_set_data (G_OBJECT (row), "remove", remove);
    g_signal_connect_object (remove, "clicked", G_CALLBACK (on_remove_clicked), self, 0);
    adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
  }

  gtk_widget_set_valign (sw, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (sw, _("Filter this account"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (sw), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Filter this account"), -1);
  gtk_switch_set_active (GTK_SWITCH (sw), !ss_account_get_paused (account));
  g_signal_connect_object (sw, "notify::active", G_CALLBACK (on_switch_active), account, 0);
  g_signal_connect_object (settings, "changed::paused", G_CALLBACK (on_paused_changed), sw,
                           G_CONNECT_SWAPPED);
  g_object_set_data (G_OBJECT (row), "switch", sw);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), sw);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), next);
  return row;
}

static void
rebuild (SsAccountsWindow *self)
{
  guint n = g_list_model_get_n_items (self->accounts);

  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->group, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SsAccount) account = g_list_model_get_item (self->accounts, i);
      GtkWidget *row = account_row (self, account);

      g_ptr_array_add (self->rows, row);
      adw_preferences_group_add (self->group, row);
    }
}

static void
ss_accounts_window_dispose (GObject *object)
{
  SsAccountsWindow *self = SS_ACCOUNTS_WINDOW (object);

  if (self->accounts != NULL)
    g_signal_handlers_disconnect_by_data (self->accounts, self);
  g_clear_object (&self->accounts);
  g_clear_weak_pointer (&self->confirmation);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  G_OBJECT_CLASS (ss_accounts_window_parent_class)->dispose (object);
}

static void
ss_accounts_window_class_init (SsAccountsWindowClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ss_accounts_window_dispose;
}

static void
ss_accounts_window_init (SsAccountsWindow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *add = gtk_button_new ();
  GtkWidget *add_content = adw_button_content_new ();

  self->rows = g_ptr_array_new ();
  gtk_window_set_title (GTK_WINDOW (self), _("Accounts"));
  gtk_window_set_default_size (GTK_WINDOW (self), 520, 420);
  gtk_box_append (GTK_BOX (box), header);

  self->page = ADW_PREFERENCES_PAGE (adw_preferences_page_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->page), TRUE);
  self->group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->group, _("Mail Accounts"));
  adw_preferences_group_set_description (self->group,
                                         _("Each account is filtered on its own. Switch one "
                                           "off to pause it."));
  adw_button_content_set_icon_name (ADW_BUTTON_CONTENT (add_content), "list-add-symbolic");
  adw_button_content_set_label (ADW_BUTTON_CONTENT (add_content), _("_Add Account"));
  adw_button_content_set_use_underline (ADW_BUTTON_CONTENT (add_content), TRUE);
  gtk_button_set_child (GTK_BUTTON (add), add_content);
  gtk_widget_add_css_class (add, "flat");
  gtk_widget_set_valign (add, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (add), "app.add-account");
  adw_preferences_group_set_header_suffix (self->group, add);
  adw_preferences_page_add (self->page, self->group);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->page));
  adw_window_set_content (ADW_WINDOW (self), box);
}

SsAccountsWindow *
ss_accounts_window_new (GtkWindow  *parent,
                        GListModel *accounts)
{
  SsAccountsWindow *self = g_object_new (SS_TYPE_ACCOUNTS_WINDOW,
                                         "transient-for", parent,
                                         "application", parent != NULL
                                           ? gtk_window_get_application (parent) : NULL,
                                         NULL);

  self->accounts = g_object_ref (accounts);
  g_signal_connect_swapped (accounts, "items-changed", G_CALLBACK (rebuild), self);
  rebuild (self);
  return self;
}

AdwActionRow *
ss_accounts_window_get_row (SsAccountsWindow *self,
                            const char       *id)
{
  g_return_val_if_fail (SS_IS_ACCOUNTS_WINDOW (self), NULL);
  for (guint i = 0; i < self->rows->len; i++)
    {
      SsAccount *account = g_object_get_data (g_ptr_array_index (self->rows, i), "account");

      if (g_strcmp0 (ss_account_get_id (account), id) == 0)
        return g_ptr_array_index (self->rows, i);
    }
  return NULL;
}

GtkSwitch *
ss_accounts_window_get_switch (SsAccountsWindow *self,
                               const char       *id)
{
  AdwActionRow *row = ss_accounts_window_get_row (self, id);

  return row != NULL ? g_object_get_data (G_OBJECT (row), "switch") : NULL;
}

AdwMessageDialog *
ss_accounts_window_get_confirmation (SsAccountsWindow *self)
{
  g_return_val_if_fail (SS_IS_ACCOUNTS_WINDOW (self), NULL);
  return self->confirmation;
}
