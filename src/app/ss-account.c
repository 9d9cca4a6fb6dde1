/* ss-account.c: one account of the app (settings, session, status, stats) */
#define G_LOG_DOMAIN "ss-account"

#include "config.h"

#include "ss-account.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "ss-credentials.h"
#include "ss-goa.h"
#include "ss-settings.h"

struct _SsAccount
{
  GObject       parent_instance;

  char         *id;              /* "" for the first account */
  GSettings    *settings;
  SsStatus     *status;
  SsStats      *stats;
  SsSession    *session;         /* further accounts only; the first's is the app's */
  SsConfig     *applied_config;  /* what the session was last given */
  GCancellable *cancellable;
  guint         changed_id;      /* a settings change waiting to be applied */
  gboolean      forgotten;
};

G_DEFINE_FINAL_TYPE (SsAccount, ss_account, G_TYPE_OBJECT)

static void
ss_account_dispose (GObject *object)
{
  SsAccount *self = SS_ACCOUNT (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->changed_id, g_source_remove);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  g_clear_object (&self->status);
  g_clear_object (&self->stats);
  /* A session that never stopped keeps itself alive until its worker ends. */
  g_clear_object (&self->session);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->applied_config, ss_config_free);
  G_OBJECT_CLASS (ss_account_parent_class)->dispose (object);
}

static void
ss_account_finalize (GObject *object)
{
  g_free (SS_ACCOUNT (object)->id);
  G_OBJECT_CLASS (ss_account_parent_class)->finalize (object);
}

static void
ss_account_class_init (SsAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ss_account_dispose;
  object_class->finalize = ss_account_finalize;
}

static void
ss_account_init (SsAccount *self)
{
  self->cancellable = g_cancellable_new ();
}

SsAccount *
ss_account_new_first (GSettings *settings,
                      SsStatus  *status,
                      SsStats   *stats)
{
  SsAccount *self = g_object_new (SS_TYPE_ACCOUNT, NULL);

  self->id = g_strdup ("");
  self->settings = g_object_ref (settings);
  self->status = g_object_ref (status);
  self->stats = g_object_ref (stats);
  return self;
}

static void on_settings_changed (SsAccount *self, const char *key);

SsAccount *
ss_account_new (const char *id)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autofree char *path = NULL;
  SsAccount *self;

  g_return_val_if_fail (id != NULL && *id != '\0', NULL);

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, SS_ACCOUNT_SCHEMA_ID, TRUE);
  if (schema == NULL)
    {
      fprintf (stderr, "spamsieve: the GSettings schema %s is not installed\n",
               SS_ACCOUNT_SCHEMA_ID);
      return NULL;
    }
  path = g_strconcat (SS_ACCOUNTS_PATH, id, "/", NULL);
  self = g_object_new (SS_TYPE_ACCOUNT, NULL);
  self->id = g_strdup (id);
  self->settings = g_settings_new_full (schema, NULL, path);
  self->status = ss_status_new ();
  self->stats = ss_stats_new ();
  g_signal_connect_swapped (self->settings, "changed", G_CALLBACK (on_settings_changed), self);
  return self;
}

char *
ss_account_new_id (const char * const *used)
{
  for (guint n = 2;; n++)
    {
      g_autofree char *id = g_strdup_printf ("a%u", n);

      if (used == NULL || !g_strv_contains (used, id))
        return g_steal_pointer (&id);
    }
}

const char *
ss_account_get_id (SsAccount *self)
{
  g_return_val_if_fail (SS_IS_ACCOUNT (self), NULL);
  return self->id;
}

gboolean
ss_account_is_first (SsAccount *self)
{
  g_return_val_if_fail (SS_IS_ACCOUNT (self), FALSE);
  return *self->id == '\0';
}

GSettings *
ss_account_get_settings (SsAccount *self)
{
  g_return_val_if_fail (SS_IS_ACCOUNT (self), NULL);
  return self->settings;
}

SsStatus *
ss_account_get_status (SsAccount *self)
{
  g_return_val_if_fail (SS_IS_ACCOUNT (self), NULL);
  return self->status;
}

SsStats *
ss_account_get_stats (SsAccount *self)
{
  g_return_val_if_fail (SS_IS_ACCOUNT (self), NULL);
  return self->stats;
}

SsSession *
ss_account_get_session (SsAccount *self)
{
  g_return_val_if_fail (SS_IS_ACCOUNT (self), NULL);
  return ss_status_get_session (self->status);
}

char *
ss_account_dup_label (SsAccount *self)
{
  g_autoptr(SsConfig) config = NULL;

  g_return_val_if_fail (SS_IS_ACCOUNT (self), NULL);
  config = ss_settings_load_config (self->settings);
  if (config->user == NULL || *config->user == '\0' || !ss_config_parse_url (config, NULL))
    return g_strdup (_("New account"));
  return ss_config_dup_account_id (config);
}

gboolean
ss_account_get_paused (SsAccount *self)
{
  g_return_val_if_fail (SS_IS_ACCOUNT (self), FALSE);
  return g_settings_get_boolean (self->settings, "paused");
}

void
ss_account_set_paused (SsAccount *self,
                       gboolean   paused)
{
  SsSession *session;

  g_return_if_fail (SS_IS_ACCOUNT (self));
  if (g_settings_get_boolean (self->settings, "paused") != paused)
    g_settings_set_boolean (self->settings, "paused", paused);
  session = ss_status_get_session (self->status);
  if (session == NULL)
    return;
  if (paused)
    ss_session_pause (session);
  else
    ss_session_resume (session);
}

/* ---- the engine of a further account ---- */

void
ss_account_apply (SsAccount      *self,
                  const SsConfig *config,
                  const char     *password)
{
  g_return_if_fail (SS_IS_ACCOUNT (self));
  g_return_if_fail (!ss_account_is_first (self));

  if (self->forgotten)
    return;
  ss_status_set_has_account (self->status, TRUE);
  ss_status_set_config_error (self->status, NULL);
  g_clear_pointer (&self->applied_config, ss_config_free);
  self->applied_config = ss_config_copy (config);
  if (self->session != NULL)
    {
      ss_session_reload (self->session, config, password);
      return;
    }
  /* One journal for all accounts (rows keyed by account id); learner and lists per account. */
  self->session = ss_account_session_new (config, password, NULL, self->status, self->stats,
                                          g_settings_get_boolean (self->settings, "paused"));
}

SsSession *
ss_account_session_new (const SsConfig *config,
                        const char     *password,
                        const char     *journal_path,
                        SsStatus       *status,
                        SsStats        *stats,
                        gboolean        paused)
{
  SsSession *session = ss_session_new (config, password, journal_path);

  /* OAuth2 tokens from GNOME Online Accounts (or the token command), asked per login. */
  ss_session_set_token_func (session, ss_goa_tokens_func, ss_goa_tokens_new (),
                             (GDestroyNotify) ss_goa_tokens_free);
  ss_stats_set_model (stats, ss_session_get_verdicts (session));
  ss_status_set_session (status, session);
  /* Paused in the account list: logged out until resumed. */
  if (paused)
    ss_session_pause (session);
  ss_session_start (session);
  return session;
}

typedef struct
{
  GObject            *owner;
  SsStatus           *status;
  SsConfig           *config;
  SsAccountApplyFunc  apply;
} Lookup;

static void
lookup_free (Lookup *lookup)
{
  g_object_unref (lookup->owner);
  g_object_unref (lookup->status);
  ss_config_free (lookup->config);
  g_free (lookup);
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Lookup *lookup = user_data;
  g_autoptr(GError) error = NULL;
  char *password = ss_credentials_lookup_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    ;
  else if (error != NULL)
    {
      /* No keyring (or a broken one): say so instead of "login refused". Saving the settings
       * again (with a keyring running) starts the engine. */
      g_autofree char *message = g_strdup_printf (_("The password could not be read from the "
                                                    "keyring: %s"), error->message);

      g_message ("%s", message);
      ss_status_set_config_error (lookup->status, message);
    }
  else
    /* Nothing stored: the session says "no password" and waits for the settings. */
    lookup->apply (lookup->owner, lookup->config, password);
  ss_credentials_password_free (password);
  lookup_free (lookup);
}

void
ss_account_load_settings (GSettings          *settings,
                          SsStatus           *status,
                          GCancellable       *cancellable,
                          SsAccountApplyFunc  apply,
                          GObject            *owner)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *server = NULL;
  SsConfig *config;
  Lookup *lookup;

  ss_status_set_has_account (status, ss_settings_has_account (settings));
  if (!ss_settings_has_account (settings))
    return;
  config = ss_settings_dup_config (settings, &error);
  if (config == NULL)
    {
      ss_status_set_config_error (status, error->message);
      return;
    }
  ss_status_set_config_error (status, NULL);
  if (ss_auth_mode_of (config) != SS_AUTH_PASSWORD)
    {
      /* No password: the session asks for a token before each login. */
      apply (owner, config, NULL);
      ss_config_free (config);
      return;
    }
  lookup = g_new0 (Lookup, 1);
  lookup->owner = g_object_ref (owner);
  lookup->status = g_object_ref (status);
  lookup->config = config;
  lookup->apply = apply;
  server = ss_config_dup_server (config);
  ss_credentials_lookup_async (server, config->user, cancellable, lookup_cb, lookup);
}

static void
apply_unless_forgotten (GObject        *owner,
                        const SsConfig *config,
                        const char     *password)
{
  SsAccount *self = SS_ACCOUNT (owner);

  if (!self->forgotten)
    ss_account_apply (self, config, password);
}

void
ss_account_start (SsAccount *self)
{
  g_return_if_fail (SS_IS_ACCOUNT (self));
  g_return_if_fail (!ss_account_is_first (self));

  if (self->forgotten)
    return;
  ss_account_load_settings (self->settings, self->status, self->cancellable,
                            apply_unless_forgotten, G_OBJECT (self));
}

static gboolean
settings_changed_idle (gpointer data)
{
  SsAccount *self = data;
  g_autoptr(SsConfig) config = NULL;

  self->changed_id = 0;
  if (self->forgotten || !ss_settings_has_account (self->settings))
    return G_SOURCE_REMOVE;
  config = ss_settings_dup_config (self->settings, NULL);
  if (config != NULL && self->applied_config != NULL &&
      ss_settings_config_equal (config, self->applied_config))
    return G_SOURCE_REMOVE;
  ss_account_start (self);
  return G_SOURCE_REMOVE;
}

/* A change made behind the app's back (gsettings set) applies at once, as for the first. */
static void
on_settings_changed (SsAccount  *self,
                     const char *key)
{
  if (g_strcmp0 (key, "paused") == 0)
    {
      gboolean paused = g_settings_get_boolean (self->settings, "paused");

      if (self->session != NULL)
        {
          if (paused)
            ss_session_pause (self->session);
          else
            ss_session_resume (self->session);
        }
      return;
    }
  if (self->changed_id != 0 || self->forgotten)
    return;
  self->changed_id = g_timeout_add (200, settings_changed_idle, self);
}

static void
stop_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!ss_session_stop_finish (SS_SESSION (object), result, &error))
    g_message ("Stopping the engine of an account: %s", error->message);
  g_task_return_boolean (task, TRUE);
}

void
ss_account_stop_async (SsAccount          *self,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  GTask *task;

  g_return_if_fail (SS_IS_ACCOUNT (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, ss_account_stop_async);
  g_cancellable_cancel (self->cancellable);
  if (self->session != NULL)
    ss_session_stop_async (self->session, NULL, stop_cb, task);
  else
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
}

void
ss_account_stop_finish (SsAccount    *self,
                        GAsyncResult *result)
{
  g_return_if_fail (g_task_is_valid (result, self));
  g_task_propagate_boolean (G_TASK (result), NULL);
}

void
ss_account_forget (SsAccount *self,
                   gboolean   clear_password)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(SsConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) keys = NULL;

  g_return_if_fail (SS_IS_ACCOUNT (self));

  self->forgotten = TRUE;
  g_clear_handle_id (&self->changed_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (self->settings, self);
  config = ss_settings_load_config (self->settings);
  if (clear_password && config->user != NULL && *config->user != '\0' &&
      ss_config_parse_url (config, NULL))
    {
      g_autofree char *server = ss_config_dup_server (config);

      if (!ss_credentials_clear_sync (server, config->user, NULL, &error))
        g_message ("Removing the password of %s@%s from the keyring: %s", config->user, server,
                   error->message);
    }
  g_object_get (self->settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    g_settings_reset (self->settings, keys[i]);
}

/* ---- summaries ---- */

int
ss_account_get_severity (SsAccount *self)
{
  g_return_val_if_fail (SS_IS_ACCOUNT (self), 0);
  if (ss_status_get_problem (self->status) != SS_STATUS_PROBLEM_NONE)
    return 2;
  if (ss_status_get_state (self->status) == SS_SESSION_PAUSED)
    return 1;
  return 0;
}

SsAccount *
ss_account_list_worst (GListModel *accounts)
{
  SsAccount *worst = NULL;
  guint n = g_list_model_get_n_items (accounts);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SsAccount) account = g_list_model_get_item (accounts, i);

      if (worst == NULL || ss_account_get_severity (account) > ss_account_get_severity (worst))
        worst = account;
    }
  return worst;
}

char *
ss_account_list_summary (GListModel *accounts)
{
  GString *text = g_string_new (NULL);
  guint n = g_list_model_get_n_items (accounts);

  g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "%u account", "%u accounts", n), n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SsAccount) account = g_list_model_get_item (accounts, i);
      g_autofree char *label = ss_account_dup_label (account);

      g_string_append_printf (text, "\n%s: %s", label, ss_status_get_title (account->status));
    }
  return g_string_free (text, FALSE);
}
