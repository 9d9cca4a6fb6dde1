/* ss-application-actions.c: the app.* actions (also reachable over D-Bus, org.gtk.Actions) */
#define G_LOG_DOMAIN "ss-application"

#include "config.h"

#include <glib/gi18n.h>

#include "ss-application-private.h"
#include "ss-journal.h"
#include "ss-screenshot.h"
#include "ss-sender-lists.h"
#include "ss-senders-window.h"
#include "ss-settings.h"

static void
check_now_action (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  SsSession *session = _ss_application_shown_session (user_data);

  if (session != NULL)
    ss_session_check_now (session);
}

static void
pause_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  SsApplication *self = user_data;

  /* The account shown; persisted: it stays paused after a restart, as in the account list. */
  if (!self->demo_mode && self->shown != NULL)
    ss_account_set_paused (self->shown, TRUE);
  else if (self->session != NULL)
    ss_session_pause (self->session);
}

static void
resume_action (GSimpleAction *action,
               GVariant      *parameter,
               gpointer       user_data)
{
  SsApplication *self = user_data;

  if (!self->demo_mode && self->shown != NULL)
    ss_account_set_paused (self->shown, FALSE);
  else if (self->session != NULL)
    ss_session_resume (self->session);
}

static void
show_window_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  ss_application_show_window (user_data);
}

static void
toggle_window_action (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  ss_application_toggle_window (user_data);
}

static void
setup_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  ss_application_open_setup (user_data);
}

static void
accounts_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  ss_application_open_accounts (user_data);
}

static void
add_account_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  ss_application_open_account_setup (user_data, NULL);
}

static void
edit_account_action (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  ss_application_open_account_setup (user_data, g_variant_get_string (parameter, NULL));
}

static void
show_account_action (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  ss_application_show_account (user_data, g_variant_get_string (parameter, NULL));
}

static void
remove_account_action (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  ss_application_remove_account (user_data, g_variant_get_string (parameter, NULL));
}

/* The allowed and blocked senders of the account in the settings. */
static void
senders_action (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  SsApplication *self = user_data;
  g_autoptr(SsConfig) config = ss_settings_dup_config (self->settings, NULL);
  g_autofree char *server = NULL;
  g_autofree char *account = NULL;
  g_autofree char *journal = NULL;
  g_autofree char *path = NULL;

  /* The lists belong to an account: without valid settings, set one up first. */
  if (config == NULL)
    {
      ss_application_open_setup (self);
      return;
    }
  server = ss_config_dup_server (config);
  account = g_strdup_printf ("%s@%s", config->user, server);
  journal = self->demo != NULL ? g_strdup (ss_demo_get_journal_path (self->demo))
                               : ss_journal_default_path ();
  path = ss_sender_lists_path_for (journal, account);
  gtk_window_present (GTK_WINDOW (ss_senders_window_new (ss_application_get_window (self),
                                                         path)));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  ss_application_quit_cleanly (user_data);
}

static void
mark_spam_action (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  ss_application_mark (user_data, g_variant_get_string (parameter, NULL), TRUE, TRUE);
}

static void
mark_ham_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  ss_application_mark (user_data, g_variant_get_string (parameter, NULL), FALSE, TRUE);
}

/* The Undo button of a mark toast: the same, without another Undo. */
static void
undo_mark_action (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  const char *key;
  gboolean as_spam;

  g_variant_get (parameter, "(&sb)", &key, &as_spam);
  ss_application_mark (user_data, key, as_spam, FALSE);
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  SsApplication *self = user_data;
  const char *developers[] = { "The SpamSieve developers", NULL };
  const char *translators = _("translator-credits");
  GtkWidget *about = adw_about_window_new ();

  g_object_set (about,
                "application-name", "SpamSieve",
                "application-icon", APP_ID,
                "version", PACKAGE_VERSION,
                "comments", _("Filters spam out of your IMAP mail with SpamAssassin, "
                              "and learns from your corrections."),
                "developers", developers,
                "license-type", GTK_LICENSE_GPL_3_0,
                NULL);
  /* Only a real translation: NULL is refused with a critical, the msgid would show. */
  if (!g_str_equal (translators, "translator-credits"))
    adw_about_window_set_translator_credits (ADW_ABOUT_WINDOW (about), translators);
  gtk_window_set_transient_for (GTK_WINDOW (about), ss_application_get_window (self));
  gtk_window_set_modal (GTK_WINDOW (about), TRUE);
  gtk_window_present (GTK_WINDOW (about));
}

/* Tests and documentation: SPAMSIEVE_DEBUG_ACTIONS=1 adds
 * app.debug-screenshot(("main" | "setup", path)): renders that window to a PNG. */
static void
debug_screenshot_action (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  SsApplication *self = user_data;
  g_autoptr(GError) error = NULL;
  const char *which, *path;
  GtkWindow *window;

  g_variant_get (parameter, "(&s&s)", &which, &path);
  if (g_str_equal (which, "setup"))
    window = ss_application_get_setup_dialog (self);
  else if (g_str_equal (which, "accounts"))
    window = ss_application_get_accounts_window (self);
  else
    window = ss_application_get_window (self);
  if (window == NULL || !ss_screenshot_save (GTK_WIDGET (window), path, &error))
    g_warning ("screenshot of %s: %s", which, error != NULL ? error->message : "no window");
}

static const GActionEntry app_entries[] = {
  { "check-now", check_now_action },
  { "pause", pause_action },
  { "resume", resume_action },
  { "show-window", show_window_action },
  { "toggle-window", toggle_window_action },
  { "setup", setup_action },
  { "senders", senders_action },
  { "accounts", accounts_action },
  { "add-account", add_account_action },
  { "edit-account", edit_account_action, "s" },
  { "remove-account", remove_account_action, "s" },
  { "show-account", show_account_action, "s" },
  { "quit", quit_action },
  { "about", about_action },
  { "mark-spam", mark_spam_action, "s" },
  { "mark-ham", mark_ham_action, "s" },
  { "undo-mark", undo_mark_action, "(sb)" },
};

static const GActionEntry debug_entries[] = {
  { "debug-screenshot", debug_screenshot_action, "(ss)" },
};

static void
set_enabled (SsApplication *self,
             const char    *name,
             gboolean       enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  if (action != NULL)
    g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

void
_ss_application_update_actions (SsApplication *self)
{
  SsStatus *status = self->shown != NULL ? ss_account_get_status (self->shown) : self->status;
  gboolean running = _ss_application_shown_session (self) != NULL && !self->quitting;
  gboolean paused = ss_status_get_state (status) == SS_SESSION_PAUSED;

  set_enabled (self, "check-now", running && !paused);
  set_enabled (self, "pause", running && !paused);
  set_enabled (self, "resume", running && paused);
  set_enabled (self, "mark-spam", running);
  set_enabled (self, "mark-ham", running);
  set_enabled (self, "undo-mark", running);
  set_enabled (self, "setup", !self->demo_mode && !self->quitting);
  set_enabled (self, "accounts", !self->demo_mode && !self->quitting);
  set_enabled (self, "add-account", !self->demo_mode && !self->quitting);
  set_enabled (self, "edit-account", !self->demo_mode && !self->quitting);
  set_enabled (self, "remove-account", !self->quitting);
}

void
_ss_application_install_actions (SsApplication *self)
{
  static const struct
  {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.check-now", { "F5", "<Control>r", NULL } },
    { "app.setup", { "<Control>comma", NULL } },
    { "window.close", { "<Control>w", NULL } },
    { "win.search", { "<Control>f", NULL } },
    { "win.mark-selected-spam", { "<Control>j", NULL } },
    { "win.mark-selected-ham", { "<Control><Shift>j", NULL } },
  };

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_entries, G_N_ELEMENTS (app_entries),
                                   self);
  if (g_strcmp0 (g_getenv ("SPAMSIEVE_DEBUG_ACTIONS"), "1") == 0)
    g_action_map_add_action_entries (G_ACTION_MAP (self), debug_entries,
                                     G_N_ELEMENTS (debug_entries), self);
  for (gsize i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), accels[i].action,
                                           accels[i].accels);
  _ss_application_update_actions (self);
}
