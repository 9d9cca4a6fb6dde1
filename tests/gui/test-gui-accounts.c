/* test-gui-accounts.c: several accounts in the app: a second account added through the
 * accounts window and the setup dialog against a second real dovecot, both filtering, both in
 * the window and the tray; one paused, one removed (its settings and keyring entry go). */
#define G_LOG_DOMAIN "test-gui"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ss-application-private.h"
#include "ss-credentials.h"
#include "ss-gui-test.h"
#include "ss-settings.h"
#include "ss-setup-dialog.h"
#include "ss-status-window.h"
#include "ss-test-utils.h"
#include "ss-verdict.h"

typedef struct
{
  SsApplication *app;
  SsTestDovecot *first;
  SsTestDovecot *second;
  char          *spamd;
  gboolean       restart;     /* scenario_restart: a2 set up before the app starts */
  const char    *scenario_page;
  gboolean       done;
} Fixture;

static SsAccount *
account_at (Fixture *f,
            guint    i)
{
  GListModel *accounts = ss_application_get_accounts (f->app);
  g_autoptr(SsAccount) account = NULL;

  if (i >= g_list_model_get_n_items (accounts))
    return NULL;
  account = g_list_model_get_item (accounts, i);
  return account;   /* the list keeps it */
}

static gboolean
first_watching (gpointer data)
{
  Fixture *f = data;

  return ss_status_get_state (ss_application_get_status (f->app)) == SS_SESSION_WATCHING;
}

static gboolean
first_paused (gpointer data)
{
  Fixture *f = data;

  return ss_status_get_state (ss_application_get_status (f->app)) == SS_SESSION_PAUSED;
}

static gboolean
second_watching (gpointer data)
{
  SsAccount *account = account_at (data, 1);

  return account != NULL &&
         ss_status_get_state (ss_account_get_status (account)) == SS_SESSION_WATCHING;
}

static gboolean
second_paused (gpointer data)
{
  SsAccount *account = account_at (data, 1);

  return account != NULL &&
         ss_status_get_state (ss_account_get_status (account)) == SS_SESSION_PAUSED;
}

static gboolean
gtube_in_spam (gpointer data)
{
  g_autoptr(GPtrArray) spam = ss_test_dovecot_list_messages (data, "Spam");

  return spam->len >= 1;
}

static guint
count_in (SsTestDovecot *dovecot,
          const char    *folder)
{
  g_autoptr(GPtrArray) stored = ss_test_dovecot_list_messages (dovecot, folder);

  return stored->len;
}

static gboolean
kept_has_one (gpointer data)
{
  return count_in (data, "Kept") == 1;
}

static gboolean
spam_empty (gpointer data)
{
  return count_in (data, "Spam") == 0;
}

/* The window lists one row, the GTUBE message of the second account. */
static gboolean
window_lists_gtube (gpointer data)
{
  GListModel *rows = ss_status_window_get_rows (data);
  g_autoptr(SsVerdict) first = NULL;

  if (g_list_model_get_n_items (rows) != 1)
    return FALSE;
  first = g_list_model_get_item (rows, 0);
  return strstr (ss_verdict_get_record (first)->subject, "GTUBE") != NULL;
}

static gboolean
dialog_idle (gpointer data)
{
  return !ss_setup_dialog_is_busy (data);
}

static gboolean
dialog_gone (gpointer data)
{
  return ss_application_get_setup_dialog (data) == NULL;
}

/* The first button below widget whose tooltip is tooltip. */
static GtkWidget *
find_button (GtkWidget  *widget,
             const char *tooltip)
{
  if (GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_widget_get_tooltip_text (widget), tooltip) == 0)
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_button (c, tooltip);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The tray's ToolTip: title and text (freed by the caller), icon name. */
static void
tray_tooltip (Fixture  *f,
              char    **title,
              char    **text,
              char    **icon)
{
  GDBusConnection *connection = g_application_get_dbus_connection (G_APPLICATION (f->app));
  const char *me = g_dbus_connection_get_unique_name (connection);
  g_autoptr(GVariant) value = ss_gui_get_property (me, SS_TRAY_ITEM_PATH,
                                                   "org.kde.StatusNotifierItem", "ToolTip");

  g_variant_get (value, "(s@a(iiay)ss)", icon, NULL, title, text);
  g_test_message ("tray: %s / %s / %s", *icon, *title, *text);
}

static char *
stored_password (SsTestDovecot *dovecot)
{
  g_autofree char *server = g_strdup_printf ("127.0.0.1:%u",
                                             ss_test_dovecot_get_imap_port (dovecot));
  g_autoptr(GError) error = NULL;
  char *password = ss_credentials_lookup_wait (server, "tester", 20, &error);

  g_assert_no_error (error);
  return password;
}

static gboolean
tray_is_ok (gpointer data)
{
  return ss_application_get_tray_registered (data);
}

/* The second server, as a user types it (no TLS on loopback: no CA file to pick). */
static void
fill_and_save (Fixture       *f,
               SsSetupDialog *dialog,
               const char    *server)
{
  gtk_editable_set_text (GTK_EDITABLE (ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG,
                                                     "server_row")), server);
  adw_combo_row_set_selected (ADW_COMBO_ROW (ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG,
                                                           "security_row")), SS_TLS_NONE);
  gtk_editable_set_text (GTK_EDITABLE (ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG, "user_row")),
                         "tester");
  gtk_editable_set_text (GTK_EDITABLE (ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG,
                                                     "password_row")), "second pw");
  adw_combo_row_set_selected (ADW_COMBO_ROW (ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG,
                                                           "spamd_row")), 1 /* network */);
  gtk_editable_set_text (GTK_EDITABLE (ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG,
                                                     "spamd_address_row")), f->spamd);
  gtk_widget_activate_action (GTK_WIDGET (dialog), "setup.save", NULL);
}

/* The open setup dialog saved with server's login, which another account has: refused. */
static void
save_refused (Fixture    *f,
              const char *server)
{
  SsSetupDialog *dialog = SS_SETUP_DIALOG (ss_application_get_setup_dialog (f->app));

  g_assert_nonnull (dialog);
  g_assert_true (ss_gui_wait (dialog_idle, dialog, 20000));
  g_test_expect_message ("ss-application", G_LOG_LEVEL_MESSAGE, "*already in the list*");
  fill_and_save (f, dialog, server);
  g_assert_true (ss_gui_wait (dialog_gone, f->app, 30000));
  g_test_assert_expected_messages ();
}

static void
scenario (Fixture *f)
{
  GtkWindow *window;
  GtkWindow *accounts_window;
  SsSetupDialog *dialog;
  SsAccount *second;
  AdwActionRow *row;
  AdwMessageDialog *confirm;
  GtkWidget *remove;
  g_autofree char *second_label = NULL;
  g_autofree char *first_label = NULL;
  g_autofree char *server = NULL;
  g_autofree char *title = NULL;
  g_autofree char *text = NULL;
  g_autofree char *icon = NULL;
  g_autofree char *password = NULL;
  g_auto(GStrv) ids = NULL;
  g_autoptr(GSettings) removed = NULL;
  g_autofree char *removed_user = NULL;
  int min_width = 0;
  GtkWidget *dropdown;
  GListModel *labels;
  GListModel *rows;
  g_autoptr(SsVerdict) gtube = NULL;
  g_autofree char *key = NULL;

  g_assert_true (ss_gui_wait (first_watching, f, 120000));
  g_assert_true (ss_gui_wait (tray_is_ok, f->app, 10000));
  window = ss_application_get_window (f->app);
  g_assert_nonnull (window);
  /* One account: the window and the tray look as they always did. */
  g_assert_cmpstr (adw_window_title_get_title (ADW_WINDOW_TITLE (
                     ss_gui_child (window, SS_TYPE_STATUS_WINDOW, "window_title"))), ==,
                   "SpamSieve");
  tray_tooltip (f, &title, &text, &icon);
  g_assert_cmpstr (title, ==, "SpamSieve — Watching Unfiltered");
  g_clear_pointer (&title, g_free);
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&icon, g_free);

  /* The accounts window lists the one account; Add Account opens an empty setup dialog. */
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "accounts", NULL);
  accounts_window = ss_application_get_accounts_window (f->app);
  g_assert_nonnull (accounts_window);
  g_assert_nonnull (ss_accounts_window_get_row (SS_ACCOUNTS_WINDOW (accounts_window), ""));
  g_assert_nonnull (find_button (GTK_WIDGET (accounts_window), "Remove Account"));
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "add-account", NULL);
  dialog = SS_SETUP_DIALOG (ss_application_get_setup_dialog (f->app));
  g_assert_nonnull (dialog);
  g_assert_true (ss_gui_wait (dialog_idle, dialog, 20000));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (
                     ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG, "user_row"))), ==, "");
  /* "Start at login" is the app's, not the account's. */
  g_assert_false (gtk_widget_is_visible (ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG,
                                                       "autostart_switch")));

  server = g_strdup_printf ("127.0.0.1:%u", ss_test_dovecot_get_imap_port (f->second));
  fill_and_save (f, dialog, server);

  /* Both accounts filter, each with its own session: GTUBE lands in the second's Spam. */
  g_assert_true (ss_gui_wait (second_watching, f, 120000));
  g_assert_true (ss_gui_wait (gtube_in_spam, f->second, 60000));
  g_assert_cmpuint (g_list_model_get_n_items (ss_application_get_accounts (f->app)), ==, 2);
  second = account_at (f, 1);
  g_assert_cmpstr (ss_account_get_id (second), ==, "a2");
  g_assert_true (ss_account_get_session (second) != ss_application_get_session (f->app));
  g_assert_true (first_watching (f));
  ids = g_settings_get_strv (ss_application_get_settings (f->app), "accounts");
  g_assert_cmpuint (g_strv_length (ids), ==, 1);
  g_assert_cmpstr (ids[0], ==, "a2");
  /* Each account's password under its own server in the keyring. */
  password = stored_password (f->second);
  g_assert_cmpstr (password, ==, "second pw");
  g_clear_pointer (&password, g_free);
  password = stored_password (f->first);
  g_assert_cmpstr (password, ==, "secret");
  g_clear_pointer (&password, g_free);
  /* The training step of the dialog; then it is closed. */
  if (ss_application_get_setup_dialog (f->app) != NULL)
    gtk_window_close (ss_application_get_setup_dialog (f->app));
  g_assert_true (ss_gui_wait (dialog_gone, f->app, 30000));

  /* The same account again is refused: two sessions would fight over one mailbox. */
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "add-account", NULL);
  save_refused (f, server);
  g_assert_cmpuint (g_list_model_get_n_items (ss_application_get_accounts (f->app)), ==, 2);
  {
    g_autoptr(GSettings) a3 = g_settings_new_with_path ("org.example.SpamSieve.Account",
                                                        "/org/example/SpamSieve/accounts/a3/");
    g_autofree char *user = g_settings_get_string (a3, "user");
    g_auto(GStrv) listed = g_settings_get_strv (ss_application_get_settings (f->app),
                                                "accounts");

    g_assert_cmpstr (user, ==, "");
    g_assert_cmpuint (g_strv_length (listed), ==, 1);
  }
  password = stored_password (f->second);
  g_assert_cmpstr (password, ==, "second pw");
  g_clear_pointer (&password, g_free);

  /* In the window: both rows; the main window names the account it shows. */
  second_label = ss_account_dup_label (second);
  first_label = ss_account_dup_label (account_at (f, 0));
  g_assert_true (g_str_has_prefix (second_label, "tester@127.0.0.1:"));
  g_assert_cmpstr (first_label, !=, second_label);
  row = ss_accounts_window_get_row (SS_ACCOUNTS_WINDOW (accounts_window), "a2");
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, second_label);
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, "Watching Unfiltered");
  /* The main window: a selector of the account shown, the first by default. */
  dropdown = adw_header_bar_get_title_widget (ADW_HEADER_BAR (
               ss_gui_child (window, SS_TYPE_STATUS_WINDOW, "header_bar")));
  g_assert_true (GTK_IS_DROP_DOWN (dropdown));
  labels = gtk_drop_down_get_model (GTK_DROP_DOWN (dropdown));
  g_assert_cmpuint (g_list_model_get_n_items (labels), ==, 2);
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (labels), 0), ==, first_label);
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (labels), 1), ==, second_label);
  g_assert_cmpuint (gtk_drop_down_get_selected (GTK_DROP_DOWN (dropdown)), ==, 0);
  g_assert_true (ss_status_window_get_status (SS_STATUS_WINDOW (window)) ==
                 ss_application_get_status (f->app));

  /* Choosing the second shows its history; a mark there goes to its server. */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), 1);
  g_assert_true (ss_status_window_get_status (SS_STATUS_WINDOW (window)) ==
                 ss_account_get_status (second));
  g_assert_true (ss_gui_wait (window_lists_gtube, window, 10000));
  ss_gui_spin (300);
  ss_gui_assert_screenshot (GTK_WIDGET (window), "accounts-main-window");
  /* Still usable at 360 px with the selector in the header. */
  gtk_widget_measure (GTK_WIDGET (window), GTK_ORIENTATION_HORIZONTAL, -1, &min_width, NULL,
                      NULL, NULL);
  g_test_message ("main window minimum width with two accounts: %d px", min_width);
  g_assert_cmpint (min_width, <=, 360);
  gtk_window_set_default_size (window, 360, 640);
  ss_gui_spin (500);
  ss_gui_assert_screenshot (GTK_WIDGET (window), "accounts-main-window-narrow");
  gtk_window_set_default_size (window, 960, 640);
  ss_gui_spin (300);
  rows = ss_status_window_get_rows (SS_STATUS_WINDOW (window));
  gtube = g_list_model_get_item (rows, 0);
  key = ss_verdict_dup_key (gtube);
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "mark-ham",
                                  g_variant_new_string (key));
  g_assert_true (ss_gui_wait (spam_empty, f->second, 60000));
  g_assert_cmpuint (count_in (f->second, "INBOX"), ==, 1);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), 0);
  g_assert_true (ss_status_window_get_status (SS_STATUS_WINDOW (window)) ==
                 ss_application_get_status (f->app));

  /* In the tray: "2 accounts", a line each. */
  tray_tooltip (f, &title, &text, &icon);
  g_assert_cmpstr (title, ==, "SpamSieve — 2 accounts");
  g_assert_nonnull (strstr (text, first_label));
  g_assert_nonnull (strstr (text, second_label));
  g_assert_cmpstr (icon, ==, SS_STATUS_ICON_IDLE);
  g_clear_pointer (&title, g_free);
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&icon, g_free);

  /* Pause the second with its switch: logged out, persisted; the tray shows it. */
  gtk_switch_set_active (ss_accounts_window_get_switch (SS_ACCOUNTS_WINDOW (accounts_window),
                                                        "a2"), FALSE);
  g_assert_true (ss_gui_wait (second_paused, f, 30000));
  g_assert_true (g_settings_get_boolean (ss_account_get_settings (second), "paused"));
  g_assert_false (g_settings_get_boolean (ss_application_get_settings (f->app), "paused"));
  g_assert_true (first_watching (f));
  ss_gui_spin (300);
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, "Paused");
  tray_tooltip (f, &title, &text, &icon);
  g_assert_cmpstr (icon, ==, SS_STATUS_ICON_PAUSED);
  {
    g_autofree char *line = g_strdup_printf ("%s: Paused", second_label);

    g_assert_nonnull (strstr (text, line));
  }
  g_clear_pointer (&title, g_free);
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&icon, g_free);

  /* A row opens that account's settings. */
  g_assert_true (gtk_widget_activate (GTK_WIDGET (row)));
  dialog = SS_SETUP_DIALOG (ss_application_get_setup_dialog (f->app));
  g_assert_nonnull (dialog);
  g_assert_true (ss_gui_wait (dialog_idle, dialog, 20000));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (
                     ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG, "server_row"))), ==, server);
  gtk_window_close (GTK_WINDOW (dialog));
  g_assert_true (ss_gui_wait (dialog_gone, f->app, 10000));

  /* The first account edited into the second's login is refused too: paused, not a second
   * session on that mailbox. Then its own settings come back and it runs again. */
  {
    GSettings *settings = ss_application_get_settings (f->app);
    g_autoptr(SsConfig) before = ss_settings_load_config (settings);

    ss_application_open_setup (f->app);
    save_refused (f, server);
    g_assert_true (g_settings_get_boolean (settings, "paused"));
    g_assert_true (ss_gui_wait (first_paused, f, 30000));
    ss_settings_store_config (settings, before);
    g_settings_set_boolean (settings, "paused", FALSE);
    g_assert_true (ss_gui_wait (first_watching, f, 60000));
  }

  gtk_window_set_default_size (accounts_window, 520, 420);
  ss_gui_spin (500);
  ss_gui_assert_screenshot (GTK_WIDGET (accounts_window), "accounts");
  gtk_widget_measure (GTK_WIDGET (accounts_window), GTK_ORIENTATION_HORIZONTAL, -1, &min_width,
                      NULL, NULL, NULL);
  g_test_message ("accounts window minimum width: %d px", min_width);
  g_assert_cmpint (min_width, <=, 360);
  gtk_window_set_default_size (accounts_window, 360, 420);
  ss_gui_spin (500);
  ss_gui_assert_screenshot (GTK_WIDGET (accounts_window), "accounts-narrow");

  /* Resume, then remove it (after the confirmation). */
  gtk_switch_set_active (ss_accounts_window_get_switch (SS_ACCOUNTS_WINDOW (accounts_window),
                                                        "a2"), TRUE);
  g_assert_true (ss_gui_wait (second_watching, f, 60000));
  remove = find_button (GTK_WIDGET (row), "Remove Account");
  g_assert_nonnull (remove);
  g_signal_emit_by_name (remove, "clicked");
  confirm = ss_accounts_window_get_confirmation (SS_ACCOUNTS_WINDOW (accounts_window));
  g_assert_nonnull (confirm);
  adw_message_dialog_response (confirm, "remove");
  g_assert_cmpuint (g_list_model_get_n_items (ss_application_get_accounts (f->app)), ==, 1);
  g_assert_null (ss_accounts_window_get_row (SS_ACCOUNTS_WINDOW (accounts_window), "a2"));
  g_clear_pointer (&ids, g_strfreev);
  ids = g_settings_get_strv (ss_application_get_settings (f->app), "accounts");
  g_assert_cmpuint (g_strv_length (ids), ==, 0);
  removed = g_settings_new_with_path ("org.example.SpamSieve.Account",
                                      "/org/example/SpamSieve/accounts/a2/");
  removed_user = g_settings_get_string (removed, "user");
  g_assert_cmpstr (removed_user, ==, "");
  password = stored_password (f->second);
  g_assert_null (password);
  password = stored_password (f->first);
  g_assert_cmpstr (password, ==, "secret");
  g_assert_true (first_watching (f));
  ss_gui_spin (300);
  tray_tooltip (f, &title, &text, &icon);
  g_assert_cmpstr (title, ==, "SpamSieve — Watching Unfiltered");
  g_assert_true (adw_header_bar_get_title_widget (ADW_HEADER_BAR (
                   ss_gui_child (window, SS_TYPE_STATUS_WINDOW, "header_bar"))) ==
                 ss_gui_child (window, SS_TYPE_STATUS_WINDOW, "window_title"));
}

/* Accounts set up earlier start with the app, the paused one paused; resuming it and a
 * change of its settings behind the app's back (gsettings set) apply at once. */
/* The first session's history lists the second server's GTUBE message. */
static gboolean
history_has_gtube (gpointer data)
{
  Fixture *f = data;
  SsSession *session = ss_application_get_session (f->app);
  GListModel *verdicts = session != NULL ? ss_session_get_verdicts (session) : NULL;

  for (guint i = 0; verdicts != NULL && i < g_list_model_get_n_items (verdicts); i++)
    {
      g_autoptr(SsVerdict) v = g_list_model_get_item (verdicts, i);
      const SsRecord *r = ss_verdict_get_record (v);

      if (r->subject != NULL && strstr (r->subject, "GTUBE") != NULL)
        return TRUE;
    }
  return FALSE;
}

static gboolean
page_is (gpointer data)
{
  Fixture *f = data;
  GtkWindow *window = ss_application_get_window (f->app);

  return window != NULL &&
         g_strcmp0 (ss_status_window_get_page (SS_STATUS_WINDOW (window)), f->scenario_page) == 0;
}

static gboolean
notified (gpointer data)
{
  return ss_gui_count_notifications (data) > 0;
}

static void
scenario_restart (Fixture *f)
{
  g_autofree char *summary = NULL;
  SsAccount *second;
  GSettings *settings;
  g_autoptr(GPtrArray) ham = ss_test_corpus_load ("ham");
  g_autoptr(GError) error = NULL;

  g_assert_true (ss_gui_wait (first_watching, f, 120000));
  g_assert_cmpuint (g_list_model_get_n_items (ss_application_get_accounts (f->app)), ==, 2);
  second = account_at (f, 1);
  g_assert_cmpstr (ss_account_get_id (second), ==, "a2");
  g_assert_true (ss_gui_wait (second_paused, f, 30000));
  /* Paused: nothing filtered there. */
  ss_gui_spin (1000);
  g_assert_cmpuint (count_in (f->second, "Unfiltered"), ==, 1);

  /* Resumed from the window's header (app.resume acts on the account shown). */
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "show-account",
                                  g_variant_new_string ("a2"));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (f->app), "resume"));
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "resume", NULL);
  g_assert_true (ss_gui_wait (second_watching, f, 60000));
  g_assert_true (ss_gui_wait (gtube_in_spam, f->second, 60000));
  settings = ss_account_get_settings (second);
  g_assert_false (g_settings_get_boolean (settings, "paused"));

  /* Its good mail goes to another folder from now on: set behind the app's back. */
  {
    g_autoptr(GSettings) behind = g_settings_new_with_path ("org.example.SpamSieve.Account",
                                                            "/org/example/SpamSieve/accounts/a2/");

    g_assert_true (ss_test_dovecot_create_folder (f->second, "Kept", &error));
    g_assert_no_error (error);
    g_settings_set_string (behind, "folder-inbox", "Kept");
  }
  ss_gui_spin (1000);
  g_assert_true (ss_test_dovecot_add_message (f->second, "Unfiltered",
                                              g_ptr_array_index (ham, 6), "", 0, &error));
  g_assert_no_error (error);
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "check-now", NULL);
  g_assert_true (ss_gui_wait (kept_has_one, f->second, 60000));
  /* The first account was not touched by any of it. */
  g_assert_true (first_watching (f));
  g_assert_cmpuint (count_in (f->first, "Kept"), ==, 0);

  /* Its password changes on the server side: its own notification, named, says so. */
  {
    g_autoptr(GSettings) behind = g_settings_new_with_path ("org.example.SpamSieve.Account",
                                                            "/org/example/SpamSieve/accounts/a2/");
    g_autofree char *label = ss_account_dup_label (second);

    summary = g_strdup_printf ("%s: Login refused", label);
    ss_gui_store_password (behind, "not it");
    g_settings_set_uint (behind, "timeout", 61);
    g_assert_true (ss_gui_wait (notified, summary, 60000));
    g_assert_true (first_watching (f));
    g_assert_cmpuint (ss_gui_count_notifications ("Login refused"), ==, 0);
    /* The password is right again. */
    ss_gui_store_password (behind, "second pw");
  }

  /* Removing the first account: the second takes its place at /org/example/SpamSieve/,
   * the first session switches to it (history included); the first's password goes. */
  {
    g_autofree char *url = g_strdup_printf ("imap://127.0.0.1:%u",
                                            ss_test_dovecot_get_imap_port (f->second));
    g_autofree char *first_password = NULL;
    g_autofree char *now = NULL;

    g_action_group_activate_action (G_ACTION_GROUP (f->app), "remove-account",
                                    g_variant_new_string (""));
    g_assert_cmpuint (g_list_model_get_n_items (ss_application_get_accounts (f->app)), ==, 1);
    now = g_settings_get_string (ss_application_get_settings (f->app), "url");
    g_assert_cmpstr (now, ==, url);
    g_assert_true (ss_gui_wait (history_has_gtube, f, 60000));
    g_assert_true (ss_gui_wait (first_watching, f, 60000));
    first_password = stored_password (f->first);
    g_assert_null (first_password);
  }

  /* Removing the only account: back to the first start (nothing set up, no session). */
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "remove-account",
                                  g_variant_new_string (""));
  g_assert_null (ss_application_get_session (f->app));
  g_assert_false (ss_settings_has_account (ss_application_get_settings (f->app)));
  g_assert_null (stored_password (f->second));
  f->scenario_page = "welcome";
  g_assert_true (ss_gui_wait (page_is, f, 10000));
}

static gboolean
run_scenario (gpointer data)
{
  Fixture *f = data;

  if (f->restart)
    scenario_restart (f);
  else
    scenario (f);
  f->done = TRUE;
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "quit", NULL);
  return G_SOURCE_REMOVE;
}

static void
on_activate (GApplication *app,
             Fixture      *f)
{
  static gboolean once;

  if (once)
    return;
  once = TRUE;
  g_idle_add (run_scenario, f);
}

static void
run_test (gboolean restart)
{
  Fixture f = { .restart = restart };
  SsTestDovecotOptions options = { .plaintext_ok = TRUE, .password = "second pw" };
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = ss_settings_new ();
  g_autoptr(GBytes) gtube = ss_test_data_load ("gtube.eml");
  GSubprocess *watcher = ss_gui_watcher_start ();
  GSubprocess *daemon = ss_gui_mock_start ("notification_daemon",
                                           "org.freedesktop.Notifications");
  char *argv[] = { (char *) "spamsieve", NULL };
  int status;

  f.spamd = ss_test_spamd_dup_address (ss_gui_shared_spamd ());
  f.first = ss_gui_start_dovecot ();
  f.second = ss_test_dovecot_start (&options, &error);
  g_assert_no_error (error);
  g_assert_true (ss_test_dovecot_add_message (f.second, "Unfiltered", gtube, "", 0, &error));
  g_assert_no_error (error);
  ss_gui_settings_for (settings, f.first, f.spamd);
  ss_gui_store_password (settings, "secret");
  if (restart)
    {
      /* As the accounts window leaves it: a2 listed, its settings, its password, paused. */
      g_autoptr(GSettings) a2 = g_settings_new_with_path ("org.example.SpamSieve.Account",
                                                          "/org/example/SpamSieve/accounts/a2/");
      g_autofree char *url = g_strdup_printf ("imap://127.0.0.1:%u",
                                              ss_test_dovecot_get_imap_port (f.second));

      g_settings_set_string (a2, "url", url);
      g_settings_set_enum (a2, "tls", SS_TLS_NONE);
      g_settings_set_string (a2, "user", "tester");
      g_settings_set_string (a2, "spamd-address", f.spamd);
      g_settings_set_boolean (a2, "paused", TRUE);
      ss_gui_store_password (a2, "second pw");
      g_settings_set_strv (settings, "accounts", (const char *const[]) { "a2", NULL });
    }

  f.app = ss_application_new (FALSE);
  g_signal_connect_after (f.app, "activate", G_CALLBACK (on_activate), &f);
  status = g_application_run (G_APPLICATION (f.app), 1, argv);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (f.done);
  g_clear_object (&f.app);

  ss_gui_mock_stop (daemon);
  ss_gui_mock_stop (watcher);
  ss_test_dovecot_stop (f.second);
  ss_test_dovecot_stop (f.first);
  g_free (f.spamd);
}

static void
test_accounts (void)
{
  run_test (FALSE);
}

static void
test_accounts_restart (void)
{
  run_test (TRUE);
}

void
ss_gui_add_accounts_tests (void)
{
  g_test_add_func ("/accounts/add", test_accounts);
  g_test_add_func ("/accounts/restart", test_accounts_restart);
}
