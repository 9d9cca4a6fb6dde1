/* test-gui-setup.c: the setup dialog against the real keyring (or none) and real servers. */
#define G_LOG_DOMAIN "test-gui"

#include "config.h"

#include <string.h>

#include "ss-credentials.h"
#include "ss-gui-test.h"
#include "ss-settings.h"
#include "ss-setup-dialog.h"

static void
set_row (SsSetupDialog *dialog,
         const char    *name,
         const char    *text)
{
  gtk_editable_set_text (GTK_EDITABLE (ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG, name)), text);
}

static const char *
row_text (SsSetupDialog *dialog,
          const char    *name)
{
  return gtk_editable_get_text (GTK_EDITABLE (ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG, name)));
}

static gboolean
dialog_idle (gpointer data)
{
  return !ss_setup_dialog_is_busy (data);
}

typedef struct
{
  gboolean  saved;
  char     *password;
} Saved;

static void
on_saved (SsSetupDialog *dialog,
          const char    *password,
          Saved         *saved)
{
  saved->saved = TRUE;
  g_free (saved->password);
  saved->password = g_strdup (password);
}

static gboolean
is_saved (gpointer data)
{
  return ((Saved *) data)->saved;
}

static gboolean
password_shown (gpointer data)
{
  return g_strcmp0 (row_text (data, "password_row"), "s3cret pass") == 0 &&
         !ss_setup_dialog_is_busy (data);
}

/* The reveal button: the last button of the row (its suffix). */
static GtkWidget *
find_reveal (GtkWidget *widget)
{
  GtkWidget *found = GTK_IS_BUTTON (widget) ? widget : NULL;

  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *in_child = find_reveal (c);

      if (in_child != NULL)
        found = in_child;
    }
  return found;
}

static void
test_setup_keyring (void)
{
  g_autoptr(GSettings) settings = ss_settings_new ();
  SsSetupDialog *dialog = ss_setup_dialog_new (NULL, settings);
  Saved saved = { FALSE, NULL };
  g_autoptr(GAsyncResult) lookup = NULL;
  g_autoptr(GError) error = NULL;
  char *password;
  g_autofree char *url = NULL;
  g_autofree char *user = NULL;

  g_signal_connect (dialog, "saved", G_CALLBACK (on_saved), &saved);
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (dialog)), ==, "Set Up Account");

  set_row (dialog, "server_row", "mail.example.org:1143");
  adw_combo_row_set_selected (ADW_COMBO_ROW (ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG,
                                                    "security_row")), SS_TLS_STARTTLS);
  set_row (dialog, "user_row", "alice");
  set_row (dialog, "password_row", "s3cret pass");
  /* The password's reveal button has a name for screen readers. */
  {
    GtkWidget *reveal = find_reveal (ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG, "password_row"));

    g_assert_nonnull (reveal);
    gtk_test_accessible_assert_property (GTK_ACCESSIBLE (reveal), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                         "Show Password");
  }
  gtk_switch_set_active (GTK_SWITCH (ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG, "summary_switch")),
                         TRUE);
  ss_gui_assert_screenshot (GTK_WIDGET (dialog), "setup-dialog");

  /* An empty password is refused before anything is stored. */
  set_row (dialog, "password_row", "");
  gtk_widget_activate_action (GTK_WIDGET (dialog), "setup.save", NULL);
  g_assert_cmpstr (ss_setup_dialog_get_result_title (dialog), ==, "Enter the password.");
  set_row (dialog, "password_row", "s3cret pass");

  gtk_widget_activate_action (GTK_WIDGET (dialog), "setup.save", NULL);
  g_assert_true (ss_gui_wait (is_saved, &saved, 20000));
  g_assert_cmpstr (saved.password, ==, "s3cret pass");

  url = g_settings_get_string (settings, "url");
  user = g_settings_get_string (settings, "user");
  g_assert_cmpstr (url, ==, "imap://mail.example.org:1143");
  g_assert_cmpint (g_settings_get_enum (settings, "tls"), ==, SS_TLS_STARTTLS);
  g_assert_cmpstr (user, ==, "alice");
  g_assert_true (g_settings_get_boolean (settings, "notify-spam-summary"));

  /* In the keyring (schema org.example.SpamSieve.Account, server + user), read back. */
  ss_credentials_lookup_async ("mail.example.org:1143", "alice", NULL, ss_gui_keep_result,
                               &lookup);
  ss_gui_await (&lookup, 20000);
  password = ss_credentials_lookup_finish (lookup, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (password, ==, "s3cret pass");
  ss_credentials_password_free (password);

  /* A new dialog shows the stored settings and fetches the password from the keyring. */
  dialog = ss_setup_dialog_new (NULL, settings);
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (dialog)), ==, "Account Settings");
  g_assert_cmpstr (row_text (dialog, "server_row"), ==, "mail.example.org:1143");
  g_assert_cmpstr (row_text (dialog, "user_row"), ==, "alice");
  g_assert_true (ss_gui_wait (password_shown, dialog, 20000));
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_free (saved.password);
}

static void
test_setup_no_keyring (void)
{
  g_autoptr(GSettings) settings = ss_settings_new ();
  SsSetupDialog *dialog = ss_setup_dialog_new (NULL, settings);
  Saved saved = { FALSE, NULL };
  g_autofree char *url = NULL;

  g_assert_null (g_getenv ("SS_EXPECT_KEYRING"));
  g_signal_connect (dialog, "saved", G_CALLBACK (on_saved), &saved);
  gtk_window_present (GTK_WINDOW (dialog));
  set_row (dialog, "server_row", "mail.example.org");
  set_row (dialog, "user_row", "bob");
  set_row (dialog, "password_row", "pw");
  gtk_widget_activate_action (GTK_WIDGET (dialog), "setup.save", NULL);
  ss_gui_spin (200);
  g_assert_true (ss_gui_wait (dialog_idle, dialog, 30000));

  /* A clear message, the dialog stays, nothing half-saved. */
  g_assert_false (saved.saved);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  g_assert_nonnull (strstr (ss_setup_dialog_get_result_title (dialog), "no keyring"));
  url = g_settings_get_string (settings, "url");
  g_assert_cmpstr (url, ==, "");
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static GtkMenuButton *
find_menu_button (GtkWidget *widget)
{
  if (GTK_IS_MENU_BUTTON (widget))
    return GTK_MENU_BUTTON (widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkMenuButton *found = find_menu_button (c);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
probe_and_expect (SsSetupDialog *dialog,
                  const char    *action,
                  const char    *expect)
{
  gtk_widget_activate_action (GTK_WIDGET (dialog), action, NULL);
  g_assert_true (ss_setup_dialog_is_busy (dialog));
  g_assert_true (ss_gui_wait (dialog_idle, dialog, 60000));
  g_test_message ("%s: %s", action, ss_setup_dialog_get_result_title (dialog));
  g_assert_nonnull (strstr (ss_setup_dialog_get_result_title (dialog), expect));
}

/* The Mail Server description and the Filter subtitle name expect, never avoid. */
static void
assert_mode_texts (SsSetupDialog *dialog,
                   const char    *expect,
                   const char    *avoid)
{
  const char *description = adw_preferences_group_get_description (
    ADW_PREFERENCES_GROUP (ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG, "server_group")));
  const char *subtitle = adw_action_row_get_subtitle (
    ADW_ACTION_ROW (ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG, "mode_row")));
  g_autofree char *texts = g_strconcat (description, "\n", subtitle, NULL);

  g_test_message ("mode texts: %s", texts);
  g_assert_nonnull (strstr (texts, expect));
  g_assert_null (strstr (texts, avoid));
}

static void
test_setup_probe (void)
{
  SsTestDovecot *dovecot = ss_gui_start_dovecot ();
  g_autofree char *spamd = ss_test_spamd_dup_address (ss_gui_shared_spamd ());
  g_autoptr(GSettings) settings = ss_settings_new ();
  g_autofree char *server = g_strdup_printf ("127.0.0.1:%u",
                                             ss_test_dovecot_get_imap_port (dovecot));
  SsSetupDialog *dialog;
  GMenuModel *menu;
  AdwComboRow *mode_row;
  gboolean found = FALSE;

  /* Start from the right settings (CA file and all), then break one thing at a time. */
  ss_gui_settings_for (settings, dovecot, spamd);
  dialog = ss_setup_dialog_new (NULL, settings);
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_true (ss_gui_wait (dialog_idle, dialog, 20000));
  g_assert_cmpstr (row_text (dialog, "server_row"), ==, server);
  set_row (dialog, "password_row", "secret");

  probe_and_expect (dialog, "setup.test", "Connection works");
  probe_and_expect (dialog, "setup.load-folders", "folders on the server");

  /* The folder pickers now list the server's folders. */
  menu = gtk_menu_button_get_menu_model (find_menu_button (ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG,
                                                                  "unfiltered_row")));
  for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autofree char *label = NULL;

      g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_LABEL, "s", &label);
      found |= g_strcmp0 (label, "Unfiltered") == 0;
    }
  g_assert_true (found);

  set_row (dialog, "password_row", "wrong");
  probe_and_expect (dialog, "setup.test", "Login refused");
  set_row (dialog, "password_row", "secret");

  /* No such folder: no server rule fills it, so the dialog proposes filtering INBOX in
   * place, and tests that. */
  mode_row = ADW_COMBO_ROW (ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG, "mode_row"));
  g_assert_cmpuint (adw_combo_row_get_selected (mode_row), ==, 1);
  set_row (dialog, "unfiltered_row", "Nowhere");
  probe_and_expect (dialog, "setup.test", "Connection works");
  g_assert_cmpuint (adw_combo_row_get_selected (mode_row), ==, 0);
  g_assert_false (gtk_widget_get_visible (ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG,
                                                        "unfiltered_row")));
  g_assert_nonnull (strstr (ss_setup_dialog_get_result_detail (dialog),
                            "New mail is filtered in INBOX"));
  /* The texts speak of the chosen mode. */
  assert_mode_texts (dialog, "“INBOX” as it arrives", "Unfiltered");
  ss_gui_assert_screenshot (GTK_WIDGET (dialog), "setup-in-place");
  adw_combo_row_set_selected (mode_row, 1);
  set_row (dialog, "unfiltered_row", "Unfiltered");
  assert_mode_texts (dialog, "“Unfiltered”, where a rule", "good mail stays");
  set_row (dialog, "inbox_row", "Nowhere");
  probe_and_expect (dialog, "setup.test", "folder is missing");
  set_row (dialog, "inbox_row", "INBOX");

  adw_combo_row_set_selected (ADW_COMBO_ROW (ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG, "spamd_row")),
                              1);
  set_row (dialog, "spamd_address_row", "127.0.0.1:1");
  probe_and_expect (dialog, "setup.test", "spamd cannot be reached");
  set_row (dialog, "spamd_address_row", spamd);

  gtk_widget_activate_action (GTK_WIDGET (dialog), "setup.clear-ca", NULL);
  probe_and_expect (dialog, "setup.test", "certificate");

  set_row (dialog, "server_row", "no-such-host.invalid");
  probe_and_expect (dialog, "setup.test", "(DNS)");

  gtk_window_destroy (GTK_WINDOW (dialog));
  ss_test_dovecot_stop (dovecot);
}

void
ss_gui_add_setup_tests (void)
{
  g_test_add_func ("/setup/keyring", test_setup_keyring);
  g_test_add_func ("/setup/no-keyring", test_setup_no_keyring);
  g_test_add_func ("/setup/probe", test_setup_probe);
}
