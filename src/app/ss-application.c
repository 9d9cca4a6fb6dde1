/* ss-application.c: one instance per session; the engine runs as long as the app (closing the
 * window only hides it), the tray and notifications lead back to it. */
#define G_LOG_DOMAIN "ss-application"

#include "config.h"

#include "ss-application-private.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>

#include "ss-autostart.h"
#include "ss-settings.h"

G_DEFINE_FINAL_TYPE (SsApplication, ss_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "background", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Start in the background (tray icon only)"), NULL },
  { "demo", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Run against a throwaway local mail server with sample messages"), NULL },
  /* Both are answered by main() before the app exists; listed here for --help. */
  { "headless", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Run without a window (see spamsieve --headless --help)"), NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
  { NULL }
};

/* ---- engine ---- */

static void
on_status_notify (SsApplication *self)
{
  _ss_application_update_actions (self);
}

static void
apply_config (SsApplication  *self,
              const SsConfig *config,
              const char     *password)
{
  ss_status_set_config_error (self->status, NULL);
  ss_status_set_preparing (self->status, NULL);
  g_clear_pointer (&self->applied_config, ss_config_free);
  self->applied_config = ss_config_copy (config);
  if (self->session != NULL)
    {
      ss_session_reload (self->session, config, password);
      return;
    }
  self->session = ss_account_session_new (config, password,
                                          self->demo != NULL
                                            ? ss_demo_get_journal_path (self->demo) : NULL,
                                          self->status, self->stats,
                                          !self->demo_mode &&
                                          g_settings_get_boolean (self->settings, "paused"));
  _ss_application_update_actions (self);
}

static void
apply_unless_quitting (GObject        *owner,
                       const SsConfig *config,
                       const char     *password)
{
  SsApplication *self = SS_APPLICATION (owner);

  if (!self->quitting)
    apply_config (self, config, password);
}

static void
start_from_settings (SsApplication *self)
{
  ss_account_load_settings (self->settings, self->status, self->cancellable,
                            apply_unless_quitting, G_OBJECT (self));
}

static void
demo_started_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(SsApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;
  g_autoptr(SsConfig) config = ss_demo_start_finish (SS_DEMO (object), result, &password,
                                                     &error);

  if (self->quitting)
    return;
  if (config == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("The demo could not start: %s"),
                                                  error->message);

      g_printerr ("spamsieve: %s\n", message);
      ss_status_set_preparing (self->status, NULL);
      ss_status_set_config_error (self->status, message);
      return;
    }
  apply_config (self, config, password);
  ss_demo_feed (self->demo, 60);
}

static void
start_demo (SsApplication *self)
{
  ss_status_set_has_account (self->status, TRUE);
  ss_status_set_preparing (self->status, _("Starting a demo mail server and SpamAssassin…"));
  self->demo = ss_demo_new ();
  ss_demo_start_async (self->demo, self->cancellable, demo_started_cb, g_object_ref (self));
}

/* ---- windows ---- */

static SsStatusWindow *
ensure_window (SsApplication *self)
{
  if (self->window == NULL)
    {
      self->window = ss_status_window_new (GTK_APPLICATION (self), self->status, self->stats,
                                           self->demo_mode);
      g_object_add_weak_pointer (G_OBJECT (self->window), (gpointer *) &self->window);
      gtk_window_set_hide_on_close (GTK_WINDOW (self->window), TRUE);
      if (self->shown != NULL && !ss_account_is_first (self->shown))
        ss_status_window_show_account (self->window, ss_account_get_status (self->shown),
                                       ss_account_get_stats (self->shown));
      if (self->accounts != NULL)
        ss_status_window_set_accounts (self->window, G_LIST_MODEL (self->accounts));
    }
  return self->window;
}

void
ss_application_show_window (SsApplication *self)
{
  gtk_window_present (GTK_WINDOW (ensure_window (self)));
}

void
ss_application_toggle_window (SsApplication *self)
{
  if (self->window != NULL && gtk_widget_get_visible (GTK_WIDGET (self->window)))
    gtk_widget_set_visible (GTK_WIDGET (self->window), FALSE);
  else
    ss_application_show_window (self);
}

static void
on_setup_saved (SsApplication *self,
                const char    *password)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsConfig) config = ss_settings_dup_config (self->settings, &error);

  ss_status_set_has_account (self->status, TRUE);
  if (config == NULL)
    {
      ss_status_set_config_error (self->status, error->message);
      return;
    }
  if (_ss_application_refuse_duplicate (self, _ss_application_find_account (self, ""), FALSE))
    return;
  apply_config (self, config, password);
  ss_application_toast (self, adw_toast_new (_("Settings saved")));
  /* The setup dialog's last step: learn from the mail already there (idempotent). */
  if (self->setup_dialog != NULL && self->session != NULL)
    ss_setup_dialog_start_training (self->setup_dialog, self->session,
                                    config->train_max_ham, config->train_max_spam);
}

void
ss_application_open_setup (SsApplication *self)
{
  if (self->demo_mode)
    return;
  ss_application_show_window (self);
  if (self->setup_dialog == NULL)
    {
      /* Above the accounts window when opened from there. */
      GtkWindow *parent = self->accounts_window != NULL &&
                          gtk_widget_get_visible (GTK_WIDGET (self->accounts_window))
                            ? GTK_WINDOW (self->accounts_window) : GTK_WINDOW (self->window);

      self->setup_dialog = ss_setup_dialog_new (parent, self->settings);
      g_object_add_weak_pointer (G_OBJECT (self->setup_dialog),
                                 (gpointer *) &self->setup_dialog);
      g_signal_connect_object (self->setup_dialog, "saved", G_CALLBACK (on_setup_saved), self,
                               G_CONNECT_SWAPPED);
    }
  gtk_window_present (GTK_WINDOW (self->setup_dialog));
}

void
ss_application_toast (SsApplication *self,
                      AdwToast      *toast)
{
  if (self->window != NULL)
    ss_status_window_add_toast (self->window, toast);
  else
    g_object_unref (g_object_ref_sink (toast));
}

/* ---- marks ---- */

typedef struct
{
  SsApplication *self;
  SsStats       *stats;
  gboolean       as_spam;
  gboolean       offer_undo;
} MarkData;

static void
on_mark_toast_dismissed (AdwToast      *toast,
                         SsApplication *self)
{
  if (self->mark_toast == toast)
    g_clear_weak_pointer (&self->mark_toast);
  g_clear_handle_id (&self->settings_idle_id, g_source_remove);
  g_clear_pointer (&self->applied_config, ss_config_free);
}

static void
mark_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  MarkData *data = user_data;
  SsApplication *self = data->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(SsRecord) record = ss_session_mark_finish (SS_SESSION (object), result, &error);
  AdwToast *toast;

  ss_stats_update (data->stats);
  if (record == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Could not mark the message: %s"),
                                               error->message);

      g_message ("%s", text);
      toast = adw_toast_new (text);
      adw_toast_set_timeout (toast, 8);
    }
  else
    {
      g_autofree char *text = NULL;

      if (data->as_spam)
        text = g_strdup_printf (_("Learned as spam and moved to %s"), record->destination);
      else
        text = g_strdup_printf (_("Learned as not spam and moved to %s"), record->destination);
      toast = adw_toast_new (text);
      if (data->offer_undo && record->dest_uid != 0)
        {
          g_autofree char *key = g_strdup_printf ("%u:%u:%s", record->dest_uidvalidity,
                                                  record->dest_uid, record->destination);

          adw_toast_set_button_label (toast, _("_Undo"));
          adw_toast_set_action_name (toast, "app.undo-mark");
          adw_toast_set_action_target_value (toast, g_variant_new ("(sb)", key,
                                                                   !data->as_spam));
        }
    }
  /* The newest mark's toast shows at once, in place of the previous one: queued behind it
   * (normal priority), each Undo waited for the toasts before it to time out, and timeouts
   * stop while the window has no focus, so after a few marks no Undo toast appeared. */
  if (self->mark_toast != NULL)
    adw_toast_dismiss (self->mark_toast);
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  g_set_weak_pointer (&self->mark_toast, toast);
  g_signal_connect_object (toast, "dismissed", G_CALLBACK (on_mark_toast_dismissed), self, 0);
  ss_application_toast (self, toast);
  g_object_unref (data->stats);
  g_object_unref (data->self);
  g_free (data);
}

void
ss_application_mark (SsApplication *self,
                     const char    *key,
                     gboolean       as_spam,
                     gboolean       offer_undo)
{
  g_autofree char *folder = NULL;
  guint32 uidvalidity, uid;
  SsSession *session;
  MarkData *data;

  if (!ss_verdict_parse_key (key, &folder, &uidvalidity, &uid))
    {
      g_warning ("Not a message key: “%s” (expected UIDVALIDITY:UID:FOLDER)", key);
      return;
    }
  /* The account the window shows, whose history the key comes from. */
  session = _ss_application_shown_session (self);
  if (session == NULL)
    {
      ss_application_toast (self, adw_toast_new (_("SpamSieve is not connected to an account")));
      return;
    }
  data = g_new0 (MarkData, 1);
  data->self = g_object_ref (self);
  data->stats = g_object_ref (self->shown != NULL ? ss_account_get_stats (self->shown)
                                                  : self->stats);
  data->as_spam = as_spam;
  data->offer_undo = offer_undo;
  ss_session_mark_async (session, folder, uidvalidity, uid, as_spam, NULL, mark_cb, data);
}

/* ---- quitting ---- */

static void
finish_quit (SsApplication *self)
{
  if (self->demo != NULL)
    ss_demo_stop (self->demo);
  if (self->tray != NULL)
    ss_tray_shutdown (self->tray);
  g_application_quit (G_APPLICATION (self));
}

static void
stop_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(SsApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!ss_session_stop_finish (SS_SESSION (object), result, &error))
    g_message ("Stopping the engine: %s", error->message);
  if (--self->n_stopping == 0)
    finish_quit (self);
}

static void
account_stop_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(SsApplication) self = user_data;

  ss_account_stop_finish (SS_ACCOUNT (object), result);
  if (--self->n_stopping == 0)
    finish_quit (self);
}

void
ss_application_quit_cleanly (SsApplication *self)
{
  GList *windows;

  if (self->quitting)
    return;
  self->quitting = TRUE;
  g_cancellable_cancel (self->cancellable);
  _ss_application_update_actions (self);
  windows = gtk_application_get_windows (GTK_APPLICATION (self));
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_widget_set_visible (l->data, FALSE);
  /* Every account's session ends cleanly; the last one to stop quits. */
  self->n_stopping = 1;
  if (self->session != NULL)
    {
      self->n_stopping++;
      ss_session_stop_async (self->session, NULL, stop_cb, g_object_ref (self));
    }
  for (guint i = 1; self->accounts != NULL &&
                    i < g_list_model_get_n_items (G_LIST_MODEL (self->accounts)); i++)
    {
      g_autoptr(SsAccount) account = g_list_model_get_item (G_LIST_MODEL (self->accounts), i);

      self->n_stopping++;
      ss_account_stop_async (account, account_stop_cb, g_object_ref (self));
    }
  if (--self->n_stopping == 0)
    finish_quit (self);
}

static gboolean
on_signal (gpointer data)
{
  SsApplication *self = data;

  /* A second signal while the engine finishes: do not wait any longer. */
  if (self->quitting)
    g_application_quit (G_APPLICATION (self));
  else
    ss_application_quit_cleanly (self);
  return G_SOURCE_CONTINUE;
}

/* ---- settings ---- */

static void
on_autostart_changed (SsApplication *self)
{
  g_autoptr(GError) error = NULL;
  gboolean enabled = g_settings_get_boolean (self->settings, "autostart");

  if (enabled == ss_autostart_is_enabled ())
    return;
  if (!ss_autostart_set_enabled (enabled, &error))
    {
      g_warning ("%s", error->message);
      ss_application_toast (self, adw_toast_new (error->message));
    }
}

/* A change made behind the app's back (gsettings set, dconf-editor) applies at once; the
 * setup dialog's own save has already been applied, so it compares equal. */
static gboolean
settings_changed_idle (gpointer data)
{
  SsApplication *self = data;
  g_autoptr(SsConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  self->settings_idle_id = 0;
  if (self->quitting || self->demo_mode || !ss_settings_has_account (self->settings))
    return G_SOURCE_REMOVE;
  config = ss_settings_dup_config (self->settings, &error);
  if (config != NULL && self->applied_config != NULL &&
      ss_settings_config_equal (config, self->applied_config))
    return G_SOURCE_REMOVE;
  g_message ("The settings changed: applying them");
  start_from_settings (self);
  return G_SOURCE_REMOVE;
}

static void
on_settings_changed (SsApplication *self,
                     const char    *key)
{
  if (g_strcmp0 (key, "paused") == 0)
    {
      /* The switch in the account list, or gsettings set. */
      if (self->session != NULL && !self->demo_mode)
        {
          if (g_settings_get_boolean (self->settings, "paused"))
            ss_session_pause (self->session);
          else
            ss_session_resume (self->session);
        }
      return;
    }
  if (g_strcmp0 (key, "autostart") == 0 || g_strcmp0 (key, "accounts") == 0 ||
      self->settings_idle_id != 0)
    return;
  /* Several keys change together (a dconf load): apply them once. */
  self->settings_idle_id = g_timeout_add (200, settings_changed_idle, self);
}

/* ---- GApplication ---- */

static int
ss_application_handle_local_options (GApplication *app,
                                     GVariantDict *options)
{
  SsApplication *self = SS_APPLICATION (app);
  g_autoptr(GError) error = NULL;

  if (g_variant_dict_contains (options, "background"))
    {
      self->background = TRUE;
      /* Already running: nothing to show, nothing to start. */
      if (!g_application_register (app, NULL, &error))
        {
          g_printerr ("spamsieve: %s\n", error->message);
          return 1;
        }
      if (g_application_get_is_remote (app))
        return 0;
    }
  return -1;
}

static void
ss_application_startup (GApplication *app)
{
  SsApplication *self = SS_APPLICATION (app);
  GDBusConnection *connection;

  G_APPLICATION_CLASS (ss_application_parent_class)->startup (app);

  gtk_window_set_default_icon_name (APP_ID);
  self->settings = ss_settings_new ();
  self->status = ss_status_new ();
  self->stats = ss_stats_new ();
  self->cancellable = g_cancellable_new ();
  g_signal_connect_swapped (self->status, "notify", G_CALLBACK (on_status_notify), self);
  _ss_application_install_actions (self);

  connection = g_application_get_dbus_connection (app);
  if (connection != NULL)
    self->tray = ss_tray_new (connection, G_ACTION_GROUP (self),
                              G_MENU_MODEL (gtk_application_get_menu_by_id (
                                  GTK_APPLICATION (self), "primary-menu")),
                              self->status, self->stats);
  self->notifier = ss_notifier_new (G_ACTION_GROUP (self), self->status, self->settings);
  /* The first account is this one; further accounts start their own sessions. */
  self->accounts = g_list_store_new (SS_TYPE_ACCOUNT);
  _ss_application_load_accounts (self);

  if (!self->demo_mode)
    {
      g_signal_connect_swapped (self->settings, "changed::autostart",
                                G_CALLBACK (on_autostart_changed), self);
      g_signal_connect_swapped (self->settings, "changed", G_CALLBACK (on_settings_changed),
                                self);
      if (g_settings_get_boolean (self->settings, "autostart"))
        on_autostart_changed (self);
    }

  self->sigterm_id = g_unix_signal_add (SIGTERM, on_signal, self);
  self->sigint_id = g_unix_signal_add (SIGINT, on_signal, self);

  /* The engine runs while the window is closed: only Quit ends it. */
  g_application_hold (app);
  if (self->demo_mode)
    start_demo (self);
  else
    start_from_settings (self);
}

static void
ss_application_activate (GApplication *app)
{
  SsApplication *self = SS_APPLICATION (app);
  gboolean first = !self->activated;

  self->activated = TRUE;
  if (self->quitting)
    return;
  if (first && self->background)
    {
      /* --background: the tray (and notifications) are the way in. */
      ensure_window (self);
      return;
    }
  ss_application_show_window (self);
  if (first && !self->demo_mode && !ss_settings_has_account (self->settings))
    ss_application_open_setup (self);
}

static void
ss_application_shutdown (GApplication *app)
{
  SsApplication *self = SS_APPLICATION (app);

  g_clear_handle_id (&self->sigterm_id, g_source_remove);
  g_clear_handle_id (&self->sigint_id, g_source_remove);
  if (self->tray != NULL)
    ss_tray_shutdown (self->tray);
  if (self->demo != NULL)
    ss_demo_stop (self->demo);
  G_APPLICATION_CLASS (ss_application_parent_class)->shutdown (app);
}

static void
ss_application_dispose (GObject *object)
{
  SsApplication *self = SS_APPLICATION (object);

  if (self->status != NULL)
    g_signal_handlers_disconnect_by_data (self->status, self);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_weak_pointer (&self->mark_toast);
  g_clear_handle_id (&self->settings_idle_id, g_source_remove);
  g_clear_pointer (&self->applied_config, ss_config_free);
  g_clear_object (&self->tray);
  g_clear_object (&self->notifier);
  g_clear_object (&self->accounts);
  g_clear_object (&self->demo);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);
  g_clear_object (&self->stats);
  g_clear_object (&self->status);
  /* A session that never stopped (no quit) keeps itself alive until its worker ends. */
  g_clear_object (&self->session);
  G_OBJECT_CLASS (ss_application_parent_class)->dispose (object);
}

static void
ss_application_class_init (SsApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = ss_application_dispose;
  app_class->handle_local_options = ss_application_handle_local_options;
  app_class->startup = ss_application_startup;
  app_class->activate = ss_application_activate;
  app_class->shutdown = ss_application_shutdown;
}

static void
ss_application_init (SsApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_description (G_APPLICATION (self),
    _("Without a window (a server, a cron job):\n"
      "  spamsieve --headless --config FILE [--once] [--json] [--dry-run]\n"
      "spamsieve --headless --help lists its options; README.md describes the settings file."));
}

SsApplication *
ss_application_new (gboolean demo)
{
  SsApplication *self;

  self = g_object_new (SS_TYPE_APPLICATION,
                       "application-id", demo ? APP_ID ".Demo" : APP_ID,
                       "resource-base-path", "/org/example/SpamSieve",
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       NULL);
  self->demo_mode = demo;
  return self;
}

SsSession *
ss_application_get_session (SsApplication *self)
{
  g_return_val_if_fail (SS_IS_APPLICATION (self), NULL);
  return self->session;
}

SsStatus *
ss_application_get_status (SsApplication *self)
{
  g_return_val_if_fail (SS_IS_APPLICATION (self), NULL);
  return self->status;
}

SsStats *
ss_application_get_stats (SsApplication *self)
{
  g_return_val_if_fail (SS_IS_APPLICATION (self), NULL);
  return self->stats;
}

GSettings *
ss_application_get_settings (SsApplication *self)
{
  g_return_val_if_fail (SS_IS_APPLICATION (self), NULL);
  return self->settings;
}

GtkWindow *
ss_application_get_window (SsApplication *self)
{
  g_return_val_if_fail (SS_IS_APPLICATION (self), NULL);
  return self->window != NULL ? GTK_WINDOW (self->window) : NULL;
}

GtkWindow *
ss_application_get_setup_dialog (SsApplication *self)
{
  g_return_val_if_fail (SS_IS_APPLICATION (self), NULL);
  return self->setup_dialog != NULL ? GTK_WINDOW (self->setup_dialog) : NULL;
}

GListModel *
ss_application_get_accounts (SsApplication *self)
{
  g_return_val_if_fail (SS_IS_APPLICATION (self), NULL);
  return G_LIST_MODEL (self->accounts);
}

GtkWindow *
ss_application_get_accounts_window (SsApplication *self)
{
  g_return_val_if_fail (SS_IS_APPLICATION (self), NULL);
  return self->accounts_window != NULL ? GTK_WINDOW (self->accounts_window) : NULL;
}

gboolean
ss_application_get_tray_registered (SsApplication *self)
{
  g_return_val_if_fail (SS_IS_APPLICATION (self), FALSE);
  return self->tray != NULL && ss_tray_is_registered (self->tray);
}

int
ss_application_run (int    argc,
                    char **argv)
{
  g_autoptr(SsApplication) app = NULL;
  g_autoptr(GSettings) probe = NULL;
  const char *localedir = g_getenv ("SPAMSIEVE_LOCALEDIR");
  gboolean demo = FALSE;
  gboolean help = FALSE;

  /* Running from a build tree: translations from there. */
  if (localedir != NULL && *localedir != '\0')
    bindtextdomain (GETTEXT_PACKAGE, localedir);
  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--"))
        break;
      if (g_str_equal (argv[i], "--demo"))
        demo = TRUE;
      if (g_str_has_prefix (argv[i], "--help") || g_str_equal (argv[i], "-h"))
        help = TRUE;
    }
  /* --help needs no schema; everything else does. */
  if (!help)
    {
      probe = ss_settings_new ();
      if (probe == NULL)
        return 1;
    }
  g_set_application_name ("SpamSieve");
  app = ss_application_new (demo);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
