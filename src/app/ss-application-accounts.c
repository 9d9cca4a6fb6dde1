/* ss-application-accounts.c: the further accounts of the app: loaded from the "accounts" key,
 * added through the setup dialog, edited, removed; the tray sums them up. */
#define G_LOG_DOMAIN "ss-application"

#include "config.h"

#include <glib/gi18n.h>

#include "ss-application-private.h"
#include "ss-credentials.h"
#include "ss-settings.h"

SsAccount *
_ss_application_find_account (SsApplication *self,
                              const char    *id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->accounts));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SsAccount) account = g_list_model_get_item (G_LIST_MODEL (self->accounts), i);

      if (g_strcmp0 (ss_account_get_id (account), id) == 0)
        return account;
    }
  return NULL;
}

static void
on_account_status_notify (SsApplication *self)
{
  _ss_application_accounts_changed (self);
  _ss_application_update_actions (self);
}

SsSession *
_ss_application_shown_session (SsApplication *self)
{
  if (self->shown == NULL || ss_account_is_first (self->shown))
    return self->session;
  return ss_account_get_session (self->shown);
}

void
ss_application_show_account (SsApplication *self,
                             const char    *id)
{
  SsAccount *account = _ss_application_find_account (self, id);

  if (account == NULL)
    account = _ss_application_find_account (self, "");
  self->shown = account;
  if (self->window != NULL)
    ss_status_window_show_account (self->window, ss_account_get_status (account),
                                   ss_account_get_stats (account));
  _ss_application_accounts_changed (self);
  _ss_application_update_actions (self);
}

static void
add_account (SsApplication *self,
             SsAccount     *account)
{
  /* Each further account notifies on its own (login refused, caught spam), named. */
  if (!ss_account_is_first (account))
    {
      g_autofree char *label = ss_account_dup_label (account);
      SsNotifier *notifier = ss_notifier_new (G_ACTION_GROUP (self),
                                              ss_account_get_status (account),
                                              ss_account_get_settings (account));

      ss_notifier_set_account (notifier, ss_account_get_id (account), label);
      g_object_set_data_full (G_OBJECT (account), "notifier", notifier, g_object_unref);
    }
  g_signal_connect_object (ss_account_get_status (account), "notify::title",
                           G_CALLBACK (on_account_status_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (ss_account_get_status (account), "notify::problem",
                           G_CALLBACK (on_account_status_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (ss_account_get_status (account), "notify::state",
                           G_CALLBACK (on_account_status_notify), self, G_CONNECT_SWAPPED);
  g_list_store_append (self->accounts, account);
}

void
_ss_application_load_accounts (SsApplication *self)
{
  g_auto(GStrv) ids = NULL;
  g_autoptr(SsAccount) first = ss_account_new_first (self->settings, self->status, self->stats);

  add_account (self, first);
  self->shown = first;
  if (self->demo_mode)
    return;
  ids = g_settings_get_strv (self->settings, "accounts");
  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autoptr(SsAccount) account = NULL;

      if (*ids[i] == '\0' || strchr (ids[i], '/') != NULL ||
          _ss_application_find_account (self, ids[i]) != NULL)
        continue;
      account = ss_account_new (ids[i]);
      if (account == NULL)
        continue;
      add_account (self, account);
      ss_account_start (account);
    }
  _ss_application_accounts_changed (self);
}

void
_ss_application_accounts_changed (SsApplication *self)
{
  if (self->tray != NULL)
    ss_tray_set_accounts (self->tray, G_LIST_MODEL (self->accounts));
  if (self->window != NULL)
    ss_status_window_set_accounts (self->window, G_LIST_MODEL (self->accounts));
}

void
ss_application_open_accounts (SsApplication *self)
{
  if (self->demo_mode)
    return;
  ss_application_show_window (self);
  if (self->accounts_window == NULL)
    {
      self->accounts_window = ss_accounts_window_new (GTK_WINDOW (self->window),
                                                      G_LIST_MODEL (self->accounts));
      g_object_add_weak_pointer (G_OBJECT (self->accounts_window),
                                 (gpointer *) &self->accounts_window);
      gtk_window_set_modal (GTK_WINDOW (self->accounts_window), TRUE);
    }
  gtk_window_present (GTK_WINDOW (self->accounts_window));
}

static gboolean same_login_elsewhere (SsApplication *self,
                                      SsAccount     *account);
static void     remove_further       (SsApplication *self,
                                      SsAccount     *account,
                                      gboolean       clear_password);

/* Two sessions on one mailbox would fight over every message (the headless runner refuses
 * it too): a new account that is already listed is not added, an edited one is paused. */
gboolean
_ss_application_refuse_duplicate (SsApplication *self,
                                  SsAccount     *account,
                                  gboolean       is_new)
{
  g_autofree char *label = NULL;
  g_autofree char *text = NULL;

  if (account == NULL || !same_login_elsewhere (self, account))
    return FALSE;
  label = ss_account_dup_label (account);
  text = g_strdup_printf (_("%s is already in the list of accounts"), label);
  g_message ("%s", text);
  if (is_new)
    ss_account_forget (account, FALSE);
  else
    ss_account_set_paused (account, TRUE);
  ss_application_toast (self, adw_toast_new (text));
  return TRUE;
}

/* ---- the setup dialog for a further account ---- */

static void
on_account_saved (SsSetupDialog *dialog,
                  const char    *password,
                  SsApplication *self)
{
  SsAccount *account = g_object_get_data (G_OBJECT (dialog), "account");
  g_autoptr(GError) error = NULL;
  g_autoptr(SsConfig) config = ss_settings_dup_config (ss_account_get_settings (account),
                                                       &error);
  SsSession *session;
  gboolean is_new = _ss_application_find_account (self, ss_account_get_id (account)) == NULL;

  if (config != NULL && _ss_application_refuse_duplicate (self, account, is_new))
    return;
  if (is_new)
    {
      g_auto(GStrv) ids = g_settings_get_strv (self->settings, "accounts");
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
      g_auto(GStrv) more = NULL;

      g_strv_builder_addv (builder, (const char **) ids);
      g_strv_builder_add (builder, ss_account_get_id (account));
      more = g_strv_builder_end (builder);
      g_settings_set_strv (self->settings, "accounts", (const char * const *) more);
      add_account (self, account);
    }
  if (config == NULL)
    {
      ss_status_set_config_error (ss_account_get_status (account), error->message);
      return;
    }
  ss_account_apply (account, config, password);
  _ss_application_accounts_changed (self);
  ss_application_toast (self, adw_toast_new (_("Account saved")));
  session = ss_account_get_session (account);
  if (session != NULL)
    ss_setup_dialog_start_training (dialog, session, config->train_max_ham,
                                    config->train_max_spam);
}

void
ss_application_open_account_setup (SsApplication *self,
                                   const char    *id)
{
  g_autoptr(SsAccount) account = NULL;
  GtkWindow *parent;

  if (self->demo_mode || self->quitting)
    return;
  if (id != NULL && *id == '\0')
    {
      ss_application_open_setup (self);
      return;
    }
  if (self->setup_dialog != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->setup_dialog));
      return;
    }
  if (id != NULL)
    {
      SsAccount *found = _ss_application_find_account (self, id);

      if (found == NULL)
        return;
      account = g_object_ref (found);
    }
  else
    {
      g_auto(GStrv) used = g_settings_get_strv (self->settings, "accounts");
      g_autofree char *new_id = ss_account_new_id ((const char * const *) used);

      account = ss_account_new (new_id);
      if (account == NULL)
        return;
    }
  ss_application_show_window (self);
  parent = self->accounts_window != NULL ? GTK_WINDOW (self->accounts_window)
                                         : GTK_WINDOW (self->window);
  self->setup_dialog = ss_setup_dialog_new (parent, ss_account_get_settings (account));
  g_object_add_weak_pointer (G_OBJECT (self->setup_dialog), (gpointer *) &self->setup_dialog);
  g_object_set_data_full (G_OBJECT (self->setup_dialog), "account", g_object_ref (account),
                          g_object_unref);
  /* "Start at login" belongs to the app (the first account's key): not shown here. */
  {
    GObject *autostart = gtk_widget_get_template_child (GTK_WIDGET (self->setup_dialog),
                                                        SS_TYPE_SETUP_DIALOG,
                                                        "autostart_switch");
    GtkWidget *row = autostart != NULL ? gtk_widget_get_ancestor (GTK_WIDGET (autostart),
                                                                  ADW_TYPE_ACTION_ROW)
                                       : NULL;

    if (row != NULL)
      gtk_widget_set_visible (row, FALSE);
  }
  g_signal_connect_object (self->setup_dialog, "saved", G_CALLBACK (on_account_saved), self, 0);
  gtk_window_present (GTK_WINDOW (self->setup_dialog));
}

/* ---- removing ---- */

static void
removed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  ss_account_stop_finish (SS_ACCOUNT (object), result);
  g_object_unref (user_data);
}

/* Another account with the same user@server shares the keyring entry: it stays then. */
static gboolean
same_login_elsewhere (SsApplication *self,
                      SsAccount     *account)
{
  g_autofree char *label = ss_account_dup_label (account);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->accounts));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SsAccount) other = g_list_model_get_item (G_LIST_MODEL (self->accounts), i);
      g_autofree char *other_label = ss_account_dup_label (other);

      if (other != account && g_str_equal (label, other_label))
        return TRUE;
    }
  return FALSE;
}

static void
first_stopped_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!ss_session_stop_finish (SS_SESSION (object), result, &error))
    g_message ("Stopping the engine of a removed account: %s", error->message);
  g_object_unref (object);
}

/* The first account's password, unless another account logs in the same way. */
static void
clear_first_password (SsApplication *self)
{
  g_autoptr(SsConfig) config = ss_settings_load_config (self->settings);
  g_autoptr(GError) error = NULL;
  g_autofree char *server = NULL;

  if (config->user == NULL || *config->user == '\0' || !ss_config_parse_url (config, NULL) ||
      same_login_elsewhere (self, _ss_application_find_account (self, "")))
    return;
  server = ss_config_dup_server (config);
  if (!ss_credentials_clear_sync (server, config->user, NULL, &error))
    g_message ("Removing the password of %s@%s from the keyring: %s", config->user, server,
               error->message);
}

/* Removing the first account: the next one takes its place (its settings move to
 * /org/example/SpamSieve/ and the first session is reloaded with them: the engine switches
 * account, history included); the only account leaves the app as on its first start. */
static void
remove_first (SsApplication *self)
{
  g_autoptr(SsAccount) next = NULL;
  g_autoptr(SsConfig) config = NULL;
  gboolean paused;

  if (self->setup_dialog != NULL &&
      g_object_get_data (G_OBJECT (self->setup_dialog), "account") == NULL)
    gtk_window_destroy (GTK_WINDOW (self->setup_dialog));
  clear_first_password (self);
  if (g_list_model_get_n_items (G_LIST_MODEL (self->accounts)) < 2)
    {
      g_autoptr(GSettingsSchema) schema = NULL;
      g_auto(GStrv) keys = NULL;
      SsSession *session = g_steal_pointer (&self->session);

      g_clear_pointer (&self->applied_config, ss_config_free);
      ss_status_set_session (self->status, NULL);
      ss_stats_set_model (self->stats, NULL);
      if (session != NULL)
        ss_session_stop_async (session, NULL, first_stopped_cb, NULL);
      g_object_get (self->settings, "settings-schema", &schema, NULL);
      keys = g_settings_schema_list_keys (schema);
      for (guint i = 0; keys[i] != NULL; i++)
        if (!g_str_equal (keys[i], "accounts") && !g_str_equal (keys[i], "autostart"))
          g_settings_reset (self->settings, keys[i]);
      ss_status_set_has_account (self->status, FALSE);
      _ss_application_accounts_changed (self);
      _ss_application_update_actions (self);
      return;
    }
  next = g_list_model_get_item (G_LIST_MODEL (self->accounts), 1);
  config = ss_settings_load_config (ss_account_get_settings (next));
  paused = ss_account_get_paused (next);
  /* Its keyring entry stays: the first account now logs in with it. */
  remove_further (self, next, FALSE);
  ss_settings_store_config (self->settings, config);
  g_settings_set_boolean (self->settings, "paused", paused);
  _ss_application_accounts_changed (self);
}

void
ss_application_remove_account (SsApplication *self,
                               const char    *id)
{
  SsAccount *account = _ss_application_find_account (self, id);

  if (account == NULL)
    return;
  if (ss_account_is_first (account))
    remove_first (self);
  else
    remove_further (self, account, !same_login_elsewhere (self, account));
}

static void
remove_further (SsApplication *self,
                SsAccount     *account,
                gboolean       clear_password)
{
  g_auto(GStrv) ids = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) rest = NULL;
  const char *id = ss_account_get_id (account);
  guint position;

  g_object_ref (account);
  /* Its settings open: saving them would bring it back. */
  if (self->setup_dialog != NULL &&
      g_object_get_data (G_OBJECT (self->setup_dialog), "account") == account)
    gtk_window_destroy (GTK_WINDOW (self->setup_dialog));
  ids = g_settings_get_strv (self->settings, "accounts");
  for (guint i = 0; ids[i] != NULL; i++)
    if (!g_str_equal (ids[i], id))
      g_strv_builder_add (builder, ids[i]);
  rest = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "accounts", (const char * const *) rest);
  g_signal_handlers_disconnect_by_data (ss_account_get_status (account), self);
  g_object_set_data (G_OBJECT (account), "notifier", NULL);
  if (g_list_store_find (self->accounts, account, &position))
    g_list_store_remove (self->accounts, position);
  if (self->shown == account)
    ss_application_show_account (self, "");
  /* The journal keeps its rows (history); the learner's files stay too. */
  ss_account_forget (account, clear_password);
  ss_account_stop_async (account, removed_cb, g_object_ref (self));
  g_object_unref (account);
  _ss_application_accounts_changed (self);
}
