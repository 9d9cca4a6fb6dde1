/* ss-goa-group.c: password or a GNOME Online Accounts mail account, as radio rows */
#define G_LOG_DOMAIN "ss-goa-group"

#include "config.h"

#include "ss-goa-group.h"

#include <glib/gi18n.h>

struct _SsGoaGroup
{
  AdwPreferencesGroup  parent_instance;

  GCancellable        *cancellable;
  GoaClient           *client;
  GPtrArray           *accounts;      /* GoaObject* in row order */
  GPtrArray           *rows;          /* AdwActionRow*: [0] password, then the accounts */
  GtkCheckButton      *first_check;
  char                *selected_id;   /* NULL: password */
};

G_DEFINE_FINAL_TYPE (SsGoaGroup, ss_goa_group, ADW_TYPE_PREFERENCES_GROUP)

enum {
  PROP_0,
  PROP_ACCOUNT_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GtkCheckButton *
row_check (AdwActionRow *row)
{
  return g_object_get_data (G_OBJECT (row), "check");
}

static void
set_selected (SsGoaGroup *self,
              const char *id,
              gboolean    notify)
{
  if (g_strcmp0 (self->selected_id, id) == 0)
    return;
  g_free (self->selected_id);
  self->selected_id = g_strdup (id);
  if (notify)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACCOUNT_ID]);
}

static void
on_check_toggled (GtkCheckButton *check,
                  SsGoaGroup     *self)
{
  if (gtk_check_button_get_active (check))
    set_selected (self, g_object_get_data (G_OBJECT (check), "account-id"), TRUE);
}

static AdwActionRow *
add_row (SsGoaGroup *self,
         const char *title,
         const char *subtitle,
         const char *id)
{
  AdwActionRow *row = ADW_ACTION_ROW (adw_action_row_new ());
  GtkWidget *check = gtk_check_button_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (row, subtitle);
  g_object_set_data_full (G_OBJECT (check), "account-id", g_strdup (id), g_free);
  if (self->first_check != NULL)
    gtk_check_button_set_group (GTK_CHECK_BUTTON (check), self->first_check);
  else
    self->first_check = GTK_CHECK_BUTTON (check);
  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  adw_action_row_add_prefix (row, check);
  adw_action_row_set_activatable_widget (row, check);
  g_object_set_data (G_OBJECT (row), "check", check);
  g_signal_connect (check, "toggled", G_CALLBACK (on_check_toggled), self);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self), GTK_WIDGET (row));
  g_ptr_array_add (self->rows, row);
  return row;
}

static void
clear_rows (SsGoaGroup *self)
{
  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (ADW_PREFERENCES_GROUP (self), self->rows->pdata[i]);
  g_ptr_array_set_size (self->rows, 0);
  g_ptr_array_set_size (self->accounts, 0);
  self->first_check = NULL;
}

static void
apply_selection (SsGoaGroup *self)
{
  AdwActionRow *row = ss_goa_group_get_row (self, self->selected_id);

  if (row == NULL)
    {
      /* The stored account is gone from GOA: back to the password. */
      row = ss_goa_group_get_row (self, NULL);
      set_selected (self, NULL, TRUE);
    }
  if (row != NULL)
    gtk_check_button_set_active (row_check (row), TRUE);
}

static void
rebuild (SsGoaGroup *self)
{
  g_autolist(GoaObject) accounts = ss_goa_list_mail_accounts (self->client);

  clear_rows (self);
  gtk_widget_set_visible (GTK_WIDGET (self), accounts != NULL);
  if (accounts == NULL)
    return;
  add_row (self, _("Password"), _("Sign in with the server’s password (below)"), NULL);
  for (GList *l = accounts; l != NULL; l = l->next)
    {
      GoaObject *object = l->data;
      g_autofree char *identity = NULL;
      g_autofree char *provider = ss_goa_describe (object, &identity);
      g_autofree char *title = g_strdup_printf (_("%s (Online Accounts)"), provider);

      g_ptr_array_add (self->accounts, g_object_ref (object));
      add_row (self, title, identity, goa_account_get_id (goa_object_peek_account (object)));
    }
  apply_selection (self);
}

static void
client_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(SsGoaGroup) self = user_data;
  g_autoptr(GError) error = NULL;
  GoaClient *client = goa_client_new_finish (result, &error);

  if (client != NULL && self->rows == NULL)
    {
      /* Disposed meanwhile. */
      g_object_unref (client);
      return;
    }
  if (client == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("GNOME Online Accounts: %s", error->message);
      return;
    }
  self->client = client;
  g_signal_connect_swapped (client, "account-added", G_CALLBACK (rebuild), self);
  g_signal_connect_swapped (client, "account-removed", G_CALLBACK (rebuild), self);
  g_signal_connect_swapped (client, "account-changed", G_CALLBACK (rebuild), self);
  rebuild (self);
}

GoaObject *
ss_goa_group_get_account (SsGoaGroup *self)
{
  g_return_val_if_fail (SS_IS_GOA_GROUP (self), NULL);

  for (guint i = 0; self->selected_id != NULL && i < self->accounts->len; i++)
    {
      GoaObject *object = self->accounts->pdata[i];

      if (g_strcmp0 (goa_account_get_id (goa_object_peek_account (object)),
                     self->selected_id) == 0)
        return object;
    }
  return NULL;
}

const char *
ss_goa_group_get_account_id (SsGoaGroup *self)
{
  GoaObject *object = ss_goa_group_get_account (self);

  return object != NULL ? goa_account_get_id (goa_object_peek_account (object)) : NULL;
}

void
ss_goa_group_select (SsGoaGroup *self,
                     const char *id)
{
  g_return_if_fail (SS_IS_GOA_GROUP (self));

  set_selected (self, id != NULL && *id != '\0' ? id : NULL, FALSE);
  if (self->rows->len > 0)
    apply_selection (self);
}

AdwActionRow *
ss_goa_group_get_row (SsGoaGroup *self,
                      const char *id)
{
  g_return_val_if_fail (SS_IS_GOA_GROUP (self), NULL);

  for (guint i = 0; i < self->rows->len; i++)
    {
      GtkCheckButton *check = row_check (self->rows->pdata[i]);

      if (g_strcmp0 (g_object_get_data (G_OBJECT (check), "account-id"), id) == 0)
        return self->rows->pdata[i];
    }
  return NULL;
}

guint
ss_goa_group_get_n_accounts (SsGoaGroup *self)
{
  g_return_val_if_fail (SS_IS_GOA_GROUP (self), 0);
  return self->accounts->len;
}

static void
ss_goa_group_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  SsGoaGroup *self = SS_GOA_GROUP (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT_ID:
      g_value_set_string (value, self->selected_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ss_goa_group_dispose (GObject *object)
{
  SsGoaGroup *self = SS_GOA_GROUP (object);

  g_cancellable_cancel (self->cancellable);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->accounts, g_ptr_array_unref);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  G_OBJECT_CLASS (ss_goa_group_parent_class)->dispose (object);
}

static void
ss_goa_group_finalize (GObject *object)
{
  g_free (SS_GOA_GROUP (object)->selected_id);
  G_OBJECT_CLASS (ss_goa_group_parent_class)->finalize (object);
}

static void
ss_goa_group_class_init (SsGoaGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ss_goa_group_get_property;
  object_class->dispose = ss_goa_group_dispose;
  object_class->finalize = ss_goa_group_finalize;
  properties[PROP_ACCOUNT_ID] =
    g_param_spec_string ("account-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ss_goa_group_init (SsGoaGroup *self)
{
  self->cancellable = g_cancellable_new ();
  self->accounts = g_ptr_array_new_with_free_func (g_object_unref);
  self->rows = g_ptr_array_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self), _("Sign-in"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self),
    _("A Google or Microsoft account from GNOME Online Accounts signs in without a password; "
      "SpamSieve asks it for a fresh access token each time."));
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
  goa_client_new (self->cancellable, client_cb, g_object_ref (self));
}
