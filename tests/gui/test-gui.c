/* test-gui.c: the desktop app under Xvfb, a private session bus and a real keyring
 * (tests/with-display.sh). Each test path runs as its own meson test (one GTK app per
 * process). Servers are real: dovecot and spamd from tests/ss-test-servers.h; the tray host
 * and the notification daemon are python-dbusmock stand-ins.
 *
 * Screenshots land in $SS_SCREENSHOT_DIR (the build dir) and are checked non-blank. */
#define G_LOG_DOMAIN "test-gui"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>

#include "ss-account-probe.h"
#include "ss-application-private.h"
#include "ss-autostart.h"
#include "ss-credentials.h"
#include "ss-error.h"
#include "ss-gui-test.h"
#include "ss-notifier.h"
#include "ss-settings.h"
#include "ss-setup-dialog.h"
#include "ss-stats.h"
#include "ss-status.h"
#include "ss-status-window.h"
#include "ss-tray.h"
#include "ss-verdict.h"

#ifndef SS_TEST_STORED_MESSAGE_AUTOPTR
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsTestStoredMessage, ss_test_stored_message_free)
#endif

#define APP_PATH "/org/example/SpamSieve"

/* ---------------------------------------------------------------------------------------- */
/* small helpers                                                                             */

static SsRecord *
make_record (SsVerdictKind  kind,
             const char    *message_id,
             gint64         time)
{
  SsRecord *r = ss_record_new ();

  r->time = time;
  r->folder = g_strdup ("Unfiltered");
  r->uidvalidity = 1;
  r->uid = 1;
  r->message_id = g_strdup (message_id);
  r->from = g_strdup ("Ann <ann@example.org>");
  r->subject = g_strdup ("Hello");
  r->scanned = kind == SS_VERDICT_SPAM || kind == SS_VERDICT_HAM;
  r->score = kind == SS_VERDICT_SPAM ? 9.5 : -1.0;
  r->threshold = 5.0;
  r->rules = g_new0 (char *, 1);
  r->verdict = kind;
  r->destination = g_strdup (kind == SS_VERDICT_SPAM || kind == SS_VERDICT_LEARNED_SPAM
                             ? "Spam" : "INBOX");
  r->dest_uidvalidity = 7;
  r->dest_uid = 3;
  return r;
}

static GtkWidget *
child (gpointer     widget,
       GType        type,
       const char  *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (widget), type, name);

  g_assert_nonnull (object);
  return GTK_WIDGET (object);
}

static void
set_row (SsSetupDialog *dialog,
         const char    *name,
         const char    *text)
{
  gtk_editable_set_text (GTK_EDITABLE (child (dialog, SS_TYPE_SETUP_DIALOG, name)), text);
}

static const char *
row_text (SsSetupDialog *dialog,
          const char    *name)
{
  return gtk_editable_get_text (GTK_EDITABLE (child (dialog, SS_TYPE_SETUP_DIALOG, name)));
}

static gboolean
dialog_idle (gpointer data)
{
  return !ss_setup_dialog_is_busy (data);
}

static SsTestSpamd *
shared_spamd (void)
{
  static SsTestSpamd *spamd;
  g_autoptr(GError) error = NULL;

  if (spamd == NULL)
    {
      spamd = ss_test_spamd_start (TRUE, &error);
      g_assert_no_error (error);
    }
  return spamd;
}

static SsTestDovecot *
start_dovecot (void)
{
  SsTestDovecotOptions options = { 0 };
  g_autoptr(GError) error = NULL;
  SsTestDovecot *dovecot = ss_test_dovecot_start (&options, &error);

  g_assert_no_error (error);
  g_assert_nonnull (dovecot);
  return dovecot;
}

static void
add_message (SsTestDovecot *dovecot,
             GBytes        *message)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ss_test_dovecot_add_message (dovecot, "Unfiltered", message, "", 0, &error));
  g_assert_no_error (error);
}

/* gtube + 3 ham + 2 corpus spam: returns how many were added; *gtube keeps a ref. */
static guint
add_sample (SsTestDovecot  *dovecot,
            GBytes        **gtube)
{
  g_autoptr(GPtrArray) ham = ss_test_corpus_load ("ham");
  g_autoptr(GPtrArray) spam = ss_test_corpus_load ("spam");
  guint n = 0;

  *gtube = ss_test_data_load ("gtube.eml");
  add_message (dovecot, *gtube);
  n++;
  /* Latin-script subjects (the screenshots have no CJK fonts): ham-003..005, spam-008/009. */
  for (guint i = 2; i < 5 && i < ham->len; i++, n++)
    add_message (dovecot, g_ptr_array_index (ham, i));
  for (guint i = 7; i < 9 && i < spam->len; i++, n++)
    add_message (dovecot, g_ptr_array_index (spam, i));
  return n;
}

static guint
count_in (SsTestDovecot *dovecot,
          const char    *folder,
          GBytes        *message)
{
  g_autoptr(GPtrArray) stored = ss_test_dovecot_list_messages (dovecot, folder);
  guint n = 0;

  for (guint i = 0; i < stored->len; i++)
    {
      SsTestStoredMessage *m = g_ptr_array_index (stored, i);

      if (message == NULL || g_bytes_equal (m->content, message))
        n++;
    }
  return n;
}

static SsVerdict *
find_verdict (GListModel *model,
              const char *subject_part)
{
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(SsVerdict) v = g_list_model_get_item (model, i);
      const SsRecord *r = ss_verdict_get_record (v);

      if (r->subject != NULL && strstr (r->subject, subject_part) != NULL)
        return g_steal_pointer (&v);
    }
  return NULL;
}

static char *
sni_template (void)
{
  const char *path = g_getenv ("SS_SNI_WATCHER_TEMPLATE");

  g_assert_nonnull (path);
  return g_strdup (path);
}

/* ---------------------------------------------------------------------------------------- */
/* Units: stats, status words, settings, autostart, error descriptions                       */

static void
test_stats (void)
{
  g_autoptr(GListStore) store = g_list_store_new (SS_TYPE_VERDICT);
  g_autoptr(SsStats) stats = ss_stats_new ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 old = now - 3 * 86400;
  const struct
  {
    SsVerdictKind kind;
    const char   *id;
    gint64        time;
  } rows[] = {
    { SS_VERDICT_SPAM, "a", now },
    { SS_VERDICT_SPAM, "b", now },
    { SS_VERDICT_HAM, "c", now },
    { SS_VERDICT_HAM, "d", old },
    { SS_VERDICT_LEARNED_HAM, "e", now },    /* a mark replaced a spam row in place */
    { SS_VERDICT_LEARNED_SPAM, "d", now },   /* learned from a folder: its scan is row d */
    { SS_VERDICT_SKIPPED, "f", old },
  };
  g_autofree char *today = NULL;
  g_autofree char *accuracy = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autoptr(SsRecord) r = make_record (rows[i].kind, rows[i].id, rows[i].time);
      g_autoptr(SsVerdict) v = ss_verdict_new (r);

      g_list_store_append (store, v);
    }
  ss_stats_set_model (stats, G_LIST_MODEL (store));

  /* total: scanned a b c d + e (replaced spam) = 5; spam a b e = 3; ham c d = 2 */
  g_assert_cmpuint (ss_stats_get_total (stats)->scanned, ==, 5);
  g_assert_cmpuint (ss_stats_get_total (stats)->spam, ==, 3);
  g_assert_cmpuint (ss_stats_get_total (stats)->ham, ==, 2);
  g_assert_cmpuint (ss_stats_get_total (stats)->learned, ==, 2);
  g_assert_cmpuint (ss_stats_get_total (stats)->false_positives, ==, 1);
  g_assert_cmpuint (ss_stats_get_total (stats)->false_negatives, ==, 1);
  g_assert_cmpuint (ss_stats_get_total (stats)->other, ==, 1);
  g_assert_cmpuint (ss_stats_get_today (stats)->scanned, ==, 4);
  g_assert_cmpfloat_with_epsilon (ss_stats_get_accuracy (stats), 60.0, 0.001);

  g_object_get (stats, "today-text", &today, "accuracy-text", &accuracy, NULL);
  g_assert_cmpstr (today, ==, "4 scanned · 3 spam · 1 ham · 2 learned");
  g_assert_cmpstr (accuracy, ==, "60.0 % correct · 1 false positive, 1 false negative");

  /* No rows: no accuracy. */
  g_list_store_remove_all (store);
  ss_stats_update (stats);
  g_assert_cmpfloat (ss_stats_get_accuracy (stats), <, 0);
}

static void
test_status_words (void)
{
  g_autoptr(SsStatus) status = ss_status_new ();

  g_assert_cmpstr (ss_status_get_title (status), ==, "Not set up");
  g_assert_cmpstr (ss_status_get_sni_status (status), ==, "Passive");
  ss_status_set_has_account (status, TRUE);
  ss_status_set_preparing (status, "Starting");
  g_assert_cmpstr (ss_status_get_title (status), ==, "Starting");
  ss_status_set_config_error (status, "settings: [account] url: missing");
  g_assert_cmpint (ss_status_get_problem (status), ==, SS_STATUS_PROBLEM_SETTINGS);
  g_assert_cmpstr (ss_status_get_icon_name (status), ==, APP_ID "-error-symbolic");
  g_assert_cmpstr (ss_status_get_sni_status (status), ==, "NeedsAttention");
  g_assert_cmpstr (ss_status_get_detail (status), ==, "settings: [account] url: missing");
}

static void
test_settings_roundtrip (void)
{
  g_autoptr(GSettings) settings = ss_settings_new ();
  g_autoptr(SsConfig) config = NULL;
  g_autoptr(SsConfig) again = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (settings);
  g_assert_false (ss_settings_has_account (settings));
  config = ss_settings_dup_config (settings, &error);
  g_assert_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG);
  g_assert_null (config);
  g_clear_error (&error);

  g_settings_set_string (settings, "url", "imaps://Mail.Example.org:10993");
  g_settings_set_string (settings, "user", "ann");
  g_settings_set_string (settings, "spamd-address", "unix:/run/spamd.sock");
  g_settings_set_uint (settings, "parallel", 3);
  config = ss_settings_dup_config (settings, &error);
  g_assert_no_error (error);
  g_assert_true (ss_settings_has_account (settings));
  g_assert_cmpstr (config->host, ==, "mail.example.org");
  g_assert_cmpuint (config->port, ==, 10993);
  g_assert_cmpint (config->tls, ==, SS_TLS_IMPLICIT);
  g_assert_null (config->ca_file);
  g_assert_null (config->password_file);
  g_assert_cmpstr (config->folder_unfiltered, ==, "Unfiltered");
  g_assert_cmpstr (config->spamd_address, ==, "unix:/run/spamd.sock");
  g_assert_cmpuint (config->spamd_parallel, ==, 3);

  /* Back through ss_settings_store_config: the same values. */
  g_free (config->folder_inbox);
  config->folder_inbox = g_strdup ("Mail/Good");
  ss_settings_store_config (settings, config);
  again = ss_settings_dup_config (settings, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->folder_inbox, ==, "Mail/Good");
  g_assert_cmpstr (again->url, ==, "imaps://Mail.Example.org:10993");

  /* Cross-field rules are the engine's: starttls with imaps:// is refused. */
  g_settings_set_enum (settings, "tls", SS_TLS_STARTTLS);
  g_clear_pointer (&again, ss_config_free);
  again = ss_settings_dup_config (settings, &error);
  g_assert_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "tls"));
  g_settings_reset (settings, "tls");
}

static void
test_autostart (void)
{
  g_autofree char *path = ss_autostart_dup_path ();
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *exec = NULL;

  g_assert_true (g_str_has_prefix (path, g_get_user_config_dir ()));
  g_assert_true (g_str_has_suffix (path, "/autostart/" APP_ID ".desktop"));
  g_assert_false (ss_autostart_is_enabled ());
  g_assert_true (ss_autostart_set_enabled (TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (ss_autostart_is_enabled ());
  g_assert_true (g_key_file_load_from_file (keyfile, path, G_KEY_FILE_NONE, &error));
  exec = g_key_file_get_string (keyfile, "Desktop Entry", "Exec", &error);
  g_assert_true (g_str_has_suffix (exec, " --background"));
  g_assert_true (g_key_file_get_boolean (keyfile, "Desktop Entry", "X-GNOME-Autostart-enabled",
                                         NULL));
  g_assert_cmpstr (g_key_file_get_string (keyfile, "Desktop Entry", "Type", NULL), ==,
                   "Application");
  g_assert_true (ss_autostart_set_enabled (FALSE, &error));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  /* Removing twice is fine. */
  g_assert_true (ss_autostart_set_enabled (FALSE, &error));
  g_assert_no_error (error);
}

static void
test_error_words (void)
{
  const struct
  {
    GQuark      domain;
    int         code;
    const char *message;
    const char *expect;
  } cases[] = {
    { 0, G_RESOLVER_ERROR_NOT_FOUND, "x", "(DNS)" },
    { 0, SS_IMAP_ERROR_CONNECT, "Cannot connect", "refused the connection" },
    { 0, SS_IMAP_ERROR_TLS, "The certificate of x is not trusted", "certificate is not trusted" },
    { 0, SS_IMAP_ERROR_LOGIN, "Login refused", "Login refused" },
    { 0, SS_IMAP_ERROR_NO_MAILBOX, "no folder", "folder is missing" },
    { 0, SS_SPAMD_ERROR_CONNECT, "refused", "spamd cannot be reached" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GQuark domain = i == 0 ? G_RESOLVER_ERROR : i < 5 ? SS_IMAP_ERROR : SS_SPAMD_ERROR;
      g_autoptr(GError) error = g_error_new_literal (domain, cases[i].code, cases[i].message);
      g_autofree char *text = ss_account_probe_describe_error (error);

      g_assert_nonnull (strstr (text, cases[i].expect));
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Setup dialog + the real keyring                                                            */

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

typedef struct
{
  gboolean  done;
  char     *password;
  GError   *error;
} Lookup;

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Lookup *lookup = user_data;

  lookup->password = ss_credentials_lookup_finish (result, &lookup->error);
  lookup->done = TRUE;
}

static gboolean
lookup_done (gpointer data)
{
  return ((Lookup *) data)->done;
}

static gboolean
password_shown (gpointer data)
{
  return g_strcmp0 (row_text (data, "password_row"), "s3cret pass") == 0 &&
         !ss_setup_dialog_is_busy (data);
}

static void
test_setup_keyring (void)
{
  g_autoptr(GSettings) settings = ss_settings_new ();
  SsSetupDialog *dialog = ss_setup_dialog_new (NULL, settings);
  Saved saved = { FALSE, NULL };
  Lookup lookup = { FALSE, NULL, NULL };
  g_autofree char *url = NULL;
  g_autofree char *user = NULL;

  g_signal_connect (dialog, "saved", G_CALLBACK (on_saved), &saved);
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (dialog)), ==, "Set Up Account");

  set_row (dialog, "server_row", "mail.example.org:1143");
  adw_combo_row_set_selected (ADW_COMBO_ROW (child (dialog, SS_TYPE_SETUP_DIALOG,
                                                    "security_row")), SS_TLS_STARTTLS);
  set_row (dialog, "user_row", "alice");
  set_row (dialog, "password_row", "s3cret pass");
  gtk_switch_set_active (GTK_SWITCH (child (dialog, SS_TYPE_SETUP_DIALOG, "summary_switch")),
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
  ss_credentials_lookup_async ("mail.example.org:1143", "alice", NULL, lookup_cb, &lookup);
  g_assert_true (ss_gui_wait (lookup_done, &lookup, 20000));
  g_assert_no_error (lookup.error);
  g_assert_cmpstr (lookup.password, ==, "s3cret pass");
  ss_credentials_password_free (lookup.password);

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

static void
test_setup_probe (void)
{
  SsTestDovecot *dovecot = start_dovecot ();
  g_autofree char *spamd = ss_test_spamd_dup_address (shared_spamd ());
  g_autoptr(GSettings) settings = ss_settings_new ();
  g_autofree char *server = g_strdup_printf ("127.0.0.1:%u",
                                             ss_test_dovecot_get_imap_port (dovecot));
  SsSetupDialog *dialog;
  GMenuModel *menu;
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
  menu = gtk_menu_button_get_menu_model (find_menu_button (child (dialog, SS_TYPE_SETUP_DIALOG,
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

  set_row (dialog, "unfiltered_row", "Nowhere");
  probe_and_expect (dialog, "setup.test", "folder is missing");
  set_row (dialog, "unfiltered_row", "Unfiltered");

  adw_combo_row_set_selected (ADW_COMBO_ROW (child (dialog, SS_TYPE_SETUP_DIALOG, "spamd_row")),
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

/* ---------------------------------------------------------------------------------------- */
/* Tray                                                                                      */

typedef struct
{
  GSimpleActionGroup *group;
  GPtrArray          *activated;
} Actions;

static void
record_activation (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  Actions *actions = user_data;

  g_ptr_array_add (actions->activated, g_strdup (g_action_get_name (G_ACTION (action))));
}

static gboolean
tray_registered (gpointer data)
{
  return ss_tray_is_registered (data);
}

static gboolean
tray_unregistered (gpointer data)
{
  return !ss_tray_is_registered (data);
}

static gboolean
watcher_has (const char *unique_name)
{
  g_autoptr(GVariant) items = ss_gui_get_property ("org.kde.StatusNotifierWatcher",
                                                   "/StatusNotifierWatcher",
                                                   "org.kde.StatusNotifierWatcher",
                                                   "RegisteredStatusNotifierItems");
  g_autofree const char **names = g_variant_get_strv (items, NULL);

  return g_strv_contains (names, unique_name);
}

static void
collect_labels (GVariant  *layout,
                GString   *out)
{
  g_autoptr(GVariant) props = g_variant_get_child_value (layout, 1);
  g_autoptr(GVariant) children = g_variant_get_child_value (layout, 2);
  const char *label;

  if (g_variant_lookup (props, "label", "&s", &label))
    g_string_append_printf (out, "%s|", label);
  for (gsize i = 0; i < g_variant_n_children (children); i++)
    {
      g_autoptr(GVariant) boxed = g_variant_get_child_value (children, i);
      g_autoptr(GVariant) item = g_variant_get_variant (boxed);

      collect_labels (item, out);
    }
}

static gboolean
has_activation (gpointer data)
{
  Actions *actions = data;

  return actions->activated->len > 0;
}

static void
test_tray (void)
{
  const char *names[] = { "toggle-window", "show-window", "check-now", "pause", "resume",
                          "setup", "quit" };
  Actions actions = { g_simple_action_group_new (),
                      g_ptr_array_new_with_free_func (g_free) };
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(SsStatus) status = ss_status_new ();
  g_autoptr(SsStats) stats = ss_stats_new ();
  g_autoptr(SsTray) tray = NULL;
  g_autofree char *template = sni_template ();
  const char *me = g_dbus_connection_get_unique_name (bus);
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) layout = NULL;
  g_autoptr(GString) labels = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  GSubprocess *watcher;
  const char *title, *text, *icon;

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      GActionEntry entry = { names[i], record_activation };

      g_action_map_add_action_entries (G_ACTION_MAP (actions.group), &entry, 1, &actions);
    }

  /* No watcher: fine, nothing registered, nothing breaks. */
  tray = ss_tray_new (bus, G_ACTION_GROUP (actions.group), status, stats);
  ss_gui_spin (300);
  g_assert_false (ss_tray_is_registered (tray));

  /* The watcher appears: the item registers with its unique name. */
  watcher = ss_gui_mock_start (template, "org.kde.StatusNotifierWatcher");
  g_assert_true (ss_gui_wait (tray_registered, tray, 10000));
  g_assert_true (watcher_has (me));

  value = ss_gui_get_property (me, SS_TRAY_ITEM_PATH, "org.kde.StatusNotifierItem", "Category");
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, "ApplicationStatus");
  g_clear_pointer (&value, g_variant_unref);
  value = ss_gui_get_property (me, SS_TRAY_ITEM_PATH, "org.kde.StatusNotifierItem", "Id");
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, APP_ID);
  g_clear_pointer (&value, g_variant_unref);
  value = ss_gui_get_property (me, SS_TRAY_ITEM_PATH, "org.kde.StatusNotifierItem", "Title");
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, "SpamSieve");
  g_clear_pointer (&value, g_variant_unref);
  value = ss_gui_get_property (me, SS_TRAY_ITEM_PATH, "org.kde.StatusNotifierItem", "Status");
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, "Passive");
  g_clear_pointer (&value, g_variant_unref);
  value = ss_gui_get_property (me, SS_TRAY_ITEM_PATH, "org.kde.StatusNotifierItem", "IconName");
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, APP_ID "-symbolic");
  g_clear_pointer (&value, g_variant_unref);
  value = ss_gui_get_property (me, SS_TRAY_ITEM_PATH, "org.kde.StatusNotifierItem",
                               "ItemIsMenu");
  g_assert_false (g_variant_get_boolean (value));
  g_clear_pointer (&value, g_variant_unref);
  value = ss_gui_get_property (me, SS_TRAY_ITEM_PATH, "org.kde.StatusNotifierItem", "Menu");
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, SS_TRAY_MENU_PATH);
  g_clear_pointer (&value, g_variant_unref);
  value = ss_gui_get_property (me, SS_TRAY_ITEM_PATH, "org.kde.StatusNotifierItem", "ToolTip");
  g_assert_cmpstr (g_variant_get_type_string (value), ==, "(sa(iiay)ss)");
  g_variant_get (value, "(&s@a(iiay)&s&s)", &icon, NULL, &title, &text);
  g_assert_cmpstr (title, ==, "SpamSieve — Not set up");
  g_assert_nonnull (strstr (text, "SpamAssassin"));
  g_assert_nonnull (strstr (text, "Today: 0 scanned, 0 spam"));
  g_clear_pointer (&value, g_variant_unref);

  /* State changes show: a settings problem needs attention. */
  ss_status_set_has_account (status, TRUE);
  ss_status_set_config_error (status, "broken");
  value = ss_gui_get_property (me, SS_TRAY_ITEM_PATH, "org.kde.StatusNotifierItem", "Status");
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, "NeedsAttention");
  g_clear_pointer (&value, g_variant_unref);
  value = ss_gui_get_property (me, SS_TRAY_ITEM_PATH, "org.kde.StatusNotifierItem", "IconName");
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, APP_ID "-error-symbolic");
  g_clear_pointer (&value, g_variant_unref);

  /* The menu. */
  value = ss_gui_get_property (me, SS_TRAY_MENU_PATH, "com.canonical.dbusmenu", "Version");
  g_assert_cmpuint (g_variant_get_uint32 (value), >=, 3);
  reply = ss_gui_call (me, SS_TRAY_MENU_PATH, "com.canonical.dbusmenu", "GetLayout",
                       g_variant_new ("(ii@as)", 0, -1, g_variant_new_strv (NULL, 0)),
                       "(u(ia{sv}av))", &error);
  g_assert_no_error (error);
  layout = g_variant_get_child_value (reply, 1);
  collect_labels (layout, labels);
  g_assert_cmpstr (labels->str, ==,
                   "_Open SpamSieve|_Check Now|_Pause Filtering|_Settings|_Quit|");
  g_clear_pointer (&reply, g_variant_unref);
  reply = ss_gui_call (me, SS_TRAY_MENU_PATH, "com.canonical.dbusmenu", "AboutToShow",
                       g_variant_new ("(i)", 0), "(b)", &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);

  /* Clicking "Check now" (id 2) activates app.check-now. */
  reply = ss_gui_call (me, SS_TRAY_MENU_PATH, "com.canonical.dbusmenu", "Event",
                       g_variant_new ("(isvu)", 2, "clicked", g_variant_new_int32 (0), 0), NULL,
                       &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);
  g_assert_true (ss_gui_wait (has_activation, &actions, 5000));
  g_assert_cmpstr (g_ptr_array_index (actions.activated, 0), ==, "check-now");
  g_ptr_array_set_size (actions.activated, 0);

  /* A left click toggles the window. */
  reply = ss_gui_call (me, SS_TRAY_ITEM_PATH, "org.kde.StatusNotifierItem", "Activate",
                       g_variant_new ("(ii)", 0, 0), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ss_gui_wait (has_activation, &actions, 5000));
  g_assert_cmpstr (g_ptr_array_index (actions.activated, 0), ==, "toggle-window");

  /* The watcher goes and comes back: the item registers again. */
  ss_gui_mock_stop (watcher);
  g_assert_true (ss_gui_wait (tray_unregistered, tray, 10000));
  watcher = ss_gui_mock_start (template, "org.kde.StatusNotifierWatcher");
  g_assert_true (ss_gui_wait (tray_registered, tray, 10000));
  g_assert_true (watcher_has (me));

  ss_tray_shutdown (tray);
  ss_gui_mock_stop (watcher);
  g_object_unref (actions.group);
  g_ptr_array_unref (actions.activated);
}

/* ---------------------------------------------------------------------------------------- */
/* Notifications                                                                             */

static guint
count_notifications (const char *summary)
{
  g_autoptr(GPtrArray) calls = ss_gui_mock_get_calls ("org.freedesktop.Notifications",
                                                      "/org/freedesktop/Notifications",
                                                      "Notify");
  guint n = 0;

  for (guint i = 0; i < calls->len; i++)
    {
      GVariant *args = g_ptr_array_index (calls, i);
      g_autoptr(GVariant) boxed = g_variant_get_child_value (args, 3);
      g_autoptr(GVariant) text = g_variant_get_variant (boxed);

      if (summary == NULL || g_str_equal (g_variant_get_string (text, NULL), summary))
        n++;
    }
  return n;
}

typedef struct
{
  SsStatus       *status;
  SsStatusProblem problem;
} ProblemWait;

static gboolean
has_problem (gpointer data)
{
  ProblemWait *wait = data;

  return ss_status_get_problem (wait->status) == wait->problem;
}

static gboolean
session_stopped (gpointer data)
{
  return *(gboolean *) data;
}

static void
stop_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_assert_true (ss_session_stop_finish (SS_SESSION (object), result, NULL));
  *(gboolean *) user_data = TRUE;
}

static void
stop_session (SsSession *session)
{
  gboolean stopped = FALSE;

  ss_session_stop_async (session, NULL, stop_cb, &stopped);
  g_assert_true (ss_gui_wait (session_stopped, &stopped, 30000));
}

static gboolean
sent_at_least (gpointer data)
{
  return count_notifications (NULL) >= GPOINTER_TO_UINT (data);
}

static void
test_notifier (void)
{
  SsTestDovecot *dovecot = start_dovecot ();
  g_autofree char *spamd = ss_test_spamd_dup_address (shared_spamd ());
  g_autoptr(GSettings) settings = ss_settings_new ();
  g_autoptr(SsStatus) status = ss_status_new ();
  g_autoptr(SsNotifier) notifier = NULL;
  g_autoptr(SsSession) session = NULL;
  g_autoptr(SsConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = ss_test_mkdtemp ();
  g_autofree char *journal = g_build_filename (dir, "state.sqlite", NULL);
  GSubprocess *daemon = ss_gui_mock_start ("notification_daemon",
                                           "org.freedesktop.Notifications");
  ProblemWait login = { status, SS_STATUS_PROBLEM_LOGIN };
  ProblemWait unreachable = { status, SS_STATUS_PROBLEM_UNREACHABLE };

  notifier = ss_notifier_new (NULL, status, settings);
  ss_notifier_set_delays (notifier, 2, 1, 600);

  /* Login refused: exactly one notification, however often it is refused. */
  ss_gui_settings_for (settings, dovecot, spamd);
  config = ss_settings_dup_config (settings, &error);
  g_assert_no_error (error);
  session = ss_session_new (config, "wrong", journal);
  ss_status_set_has_account (status, TRUE);
  ss_status_set_session (status, session);
  ss_session_start (session);
  g_assert_true (ss_gui_wait (has_problem, &login, 30000));
  g_assert_true (ss_gui_wait (sent_at_least, GUINT_TO_POINTER (1), 10000));
  g_assert_cmpuint (count_notifications ("Login refused"), ==, 1);
  ss_session_reload (session, NULL, "still wrong");
  ss_gui_spin (500);
  g_assert_true (ss_gui_wait (has_problem, &login, 30000));
  ss_gui_spin (500);
  g_assert_cmpuint (count_notifications ("Login refused"), ==, 1);
  g_assert_cmpuint (ss_notifier_get_n_sent (notifier), ==, 1);

  /* The server goes away: one notification once it has been unreachable for a while. */
  g_free (config->url);
  config->url = g_strdup ("imap://127.0.0.1:1");
  g_assert_true (ss_config_validate (config, &error));
  ss_session_reload (session, config, "secret");
  g_assert_true (ss_gui_wait (has_problem, &unreachable, 30000));
  g_test_message ("unreachable: %s", ss_status_get_title (status));
  g_assert_true (g_str_has_prefix (ss_status_get_title (status), "Server unreachable, retrying"));
  g_assert_cmpuint (count_notifications ("Mail server unreachable"), ==, 0);
  g_assert_true (ss_gui_wait (sent_at_least, GUINT_TO_POINTER (2), 20000));
  g_assert_cmpuint (count_notifications ("Mail server unreachable"), ==, 1);
  ss_gui_spin (3000);
  g_assert_cmpuint (count_notifications ("Mail server unreachable"), ==, 1);

  stop_session (session);
  ss_status_set_session (status, NULL);
  g_clear_object (&notifier);
  ss_gui_mock_stop (daemon);
  ss_test_dovecot_stop (dovecot);
  ss_test_rmrf (dir);
}

/* ---------------------------------------------------------------------------------------- */
/* The whole app, in this process                                                            */

typedef struct
{
  SsApplication  *app;
  SsTestDovecot  *dovecot;
  GBytes         *gtube;
  guint           n_messages;
  const char     *scenario;
  gboolean        done;
} AppFixture;

static gboolean
verdicts_at_least (gpointer data)
{
  AppFixture *f = data;
  SsSession *session = ss_application_get_session (f->app);

  return session != NULL &&
         g_list_model_get_n_items (ss_session_get_verdicts (session)) >= f->n_messages &&
         ss_status_get_state (ss_application_get_status (f->app)) == SS_SESSION_WATCHING;
}

static gboolean
window_page_is (gpointer data)
{
  AppFixture *f = data;
  GtkWindow *window = ss_application_get_window (f->app);

  return window != NULL &&
         g_strcmp0 (ss_status_window_get_page (SS_STATUS_WINDOW (window)), f->scenario) == 0;
}

static gboolean
window_visible (gpointer data)
{
  GtkWindow *window = ss_application_get_window (data);

  return window != NULL && gtk_widget_get_visible (GTK_WIDGET (window));
}

static gboolean
window_hidden (gpointer data)
{
  return !window_visible (data);
}

static gboolean
app_tray_registered (gpointer data)
{
  return ss_application_get_tray_registered (data);
}

typedef struct
{
  SsVerdict  *verdict;
  const char *verdict_name;
} VerdictWait;

static gboolean
verdict_is (gpointer data)
{
  VerdictWait *wait = data;
  g_autofree char *verdict = NULL;
  gboolean busy;

  g_object_get (wait->verdict, "verdict", &verdict, "busy", &busy, NULL);
  return !busy && g_strcmp0 (verdict, wait->verdict_name) == 0;
}

static gboolean
process_done (gpointer data)
{
  return g_subprocess_get_identifier (data) == NULL;
}

static void
gdbus_activate (const char *action,
                const char *key)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *arg = g_strdup_printf ("[<'%s'>]", key);
  g_autoptr(GSubprocess) gdbus = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                                                   "gdbus", "call", "--session",
                                                   "--dest", APP_ID,
                                                   "--object-path", APP_PATH,
                                                   "--method", "org.gtk.Actions.Activate",
                                                   action, arg, "{}", NULL);

  g_assert_no_error (error);
  /* The app answers from this very main loop: wait without blocking it. */
  g_assert_true (ss_gui_wait (process_done, gdbus, 30000));
  g_assert_true (g_subprocess_get_successful (gdbus));
}

static void
check_tray_of_app (AppFixture *f)
{
  GDBusConnection *connection = g_application_get_dbus_connection (G_APPLICATION (f->app));
  const char *me = g_dbus_connection_get_unique_name (connection);
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  const char *title, *text, *icon;

  g_assert_true (ss_gui_wait (app_tray_registered, f->app, 10000));
  g_assert_true (watcher_has (me));
  value = ss_gui_get_property (me, SS_TRAY_ITEM_PATH, "org.kde.StatusNotifierItem", "ToolTip");
  g_variant_get (value, "(&s@a(iiay)&s&s)", &icon, NULL, &title, &text);
  g_test_message ("tooltip: %s / %s", title, text);
  g_assert_cmpstr (title, ==, "SpamSieve — Watching Unfiltered");
  g_assert_nonnull (strstr (text, "Today: "));
  g_assert_cmpstr (icon, ==, APP_ID "-symbolic");

  /* Activate toggles the real window. */
  g_assert_true (window_visible (f->app));
  reply = ss_gui_call (me, SS_TRAY_ITEM_PATH, "org.kde.StatusNotifierItem", "Activate",
                       g_variant_new ("(ii)", 0, 0), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ss_gui_wait (window_hidden, f->app, 5000));
  g_clear_pointer (&reply, g_variant_unref);
  reply = ss_gui_call (me, SS_TRAY_ITEM_PATH, "org.kde.StatusNotifierItem", "Activate",
                       g_variant_new ("(ii)", 0, 0), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ss_gui_wait (window_visible, f->app, 5000));
}

static void
scenario_verdicts (AppFixture *f)
{
  SsSession *session;
  GtkWindow *window;
  GListModel *rows;
  g_autoptr(SsVerdict) gtube = NULL;
  g_autofree char *key = NULL;
  g_autofree char *undo_key = NULL;
  VerdictWait learned = { NULL, "learned-ham" };
  VerdictWait back = { NULL, "learned-spam" };
  const SsCounts *today;

  g_assert_true (ss_gui_wait (verdicts_at_least, f, 180000));
  session = ss_application_get_session (f->app);
  window = ss_application_get_window (f->app);
  g_assert_nonnull (window);
  f->scenario = "list";
  g_assert_true (ss_gui_wait (window_page_is, f, 5000));
  rows = ss_status_window_get_rows (SS_STATUS_WINDOW (window));
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, f->n_messages);
  ss_stats_update (ss_application_get_stats (f->app));
  today = ss_stats_get_today (ss_application_get_stats (f->app));
  g_assert_cmpuint (today->scanned, ==, f->n_messages);
  g_assert_cmpuint (today->spam, >=, 1);
  g_assert_cmpstr (adw_window_title_get_subtitle (ADW_WINDOW_TITLE (
                     child (window, SS_TYPE_STATUS_WINDOW, "window_title"))), ==,
                   "Watching Unfiltered");
  ss_gui_assert_screenshot (GTK_WIDGET (window), "main-window");

  check_tray_of_app (f);

  /* app.mark-ham on the GTUBE row (spam) over D-Bus: moved to INBOX and learned. */
  gtube = find_verdict (ss_session_get_verdicts (session), "GTUBE");
  g_assert_nonnull (gtube);
  g_assert_cmpstr (ss_verdict_get_record (gtube)->destination, ==, "Spam");
  key = ss_verdict_dup_key (gtube);
  g_test_message ("mark-ham %s", key);
  gdbus_activate ("mark-ham", key);
  learned.verdict = gtube;
  g_assert_true (ss_gui_wait (verdict_is, &learned, 60000));
  g_assert_cmpstr (ss_verdict_get_record (gtube)->destination, ==, "INBOX");
  g_assert_cmpuint (count_in (f->dovecot, "INBOX", f->gtube), ==, 1);
  g_assert_cmpuint (count_in (f->dovecot, "Spam", f->gtube), ==, 0);

  /* Undo (the toast's action) marks it back. */
  undo_key = ss_verdict_dup_key (gtube);
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "undo-mark",
                                  g_variant_new ("(sb)", undo_key, TRUE));
  back.verdict = gtube;
  g_assert_true (ss_gui_wait (verdict_is, &back, 60000));
  g_assert_cmpuint (count_in (f->dovecot, "Spam", f->gtube), ==, 1);
  g_assert_cmpuint (count_in (f->dovecot, "INBOX", f->gtube), ==, 0);

  /* The keyboard path: the selected row, Ctrl+Shift+J (win.mark-selected-ham). */
  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(SsVerdict) v = g_list_model_get_item (rows, i);

      if (v == gtube)
        gtk_selection_model_select_item (GTK_SELECTION_MODEL (
            gtk_column_view_get_model (GTK_COLUMN_VIEW (child (window, SS_TYPE_STATUS_WINDOW,
                                                               "column_view")))), i, TRUE);
    }
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.mark-selected-ham",
                                             NULL));
  g_assert_true (ss_gui_wait (verdict_is, &learned, 60000));
  g_assert_cmpuint (count_in (f->dovecot, "INBOX", f->gtube), ==, 1);

  /* Every message is in exactly one place. */
  g_assert_cmpuint (count_in (f->dovecot, "Unfiltered", NULL), ==, 0);
  g_assert_cmpuint (count_in (f->dovecot, "INBOX", NULL) + count_in (f->dovecot, "Spam", NULL),
                    ==, f->n_messages);

  /* The spam summary (setting on) arrived, once. */
  g_assert_true (ss_gui_wait (sent_at_least, GUINT_TO_POINTER (1), 20000));
  g_assert_cmpuint (count_notifications (NULL), ==, 1);

  /* Closing the window only hides it: the engine keeps running. */
  gtk_window_close (window);
  g_assert_true (ss_gui_wait (window_hidden, f->app, 5000));
  ss_gui_spin (300);
  g_assert_cmpint (ss_status_get_state (ss_application_get_status (f->app)), ==,
                   SS_SESSION_WATCHING);
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "show-window", NULL);
  g_assert_true (ss_gui_wait (window_visible, f->app, 5000));

  /* A bad key is refused without harm. */
  g_test_expect_message ("ss-application", G_LOG_LEVEL_WARNING, "*Not a message key*");
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "mark-ham",
                                  g_variant_new_string ("garbage"));
  g_test_assert_expected_messages ();
}

static gboolean
notified (gpointer data)
{
  return count_notifications (data) > 0;
}

static gboolean
autostart_is (gpointer data)
{
  return ss_autostart_is_enabled () == GPOINTER_TO_INT (data);
}

static void
scenario_login_refused (AppFixture *f)
{
  GSettings *settings = ss_application_get_settings (f->app);
  GtkWindow *window;

  f->scenario = "error";
  g_assert_true (ss_gui_wait (window_page_is, f, 60000));
  window = ss_application_get_window (f->app);
  g_assert_cmpint (ss_status_get_problem (ss_application_get_status (f->app)), ==,
                   SS_STATUS_PROBLEM_LOGIN);
  ss_gui_assert_screenshot (GTK_WIDGET (window), "error-state");
  g_assert_true (ss_gui_wait (notified, "Login refused", 20000));

  /* The autostart switch writes and removes the autostart entry. */
  g_settings_set_boolean (settings, "autostart", TRUE);
  g_assert_true (ss_gui_wait (autostart_is, GINT_TO_POINTER (TRUE), 5000));
  g_settings_set_boolean (settings, "autostart", FALSE);
  g_assert_true (ss_gui_wait (autostart_is, GINT_TO_POINTER (FALSE), 5000));
  g_settings_reset (settings, "autostart");

  /* Open Settings leads to the dialog. */
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "setup", NULL);
  g_assert_nonnull (ss_application_get_setup_dialog (f->app));
}

static void
scenario_no_keyring (AppFixture *f)
{
  const char *detail;

  f->scenario = "error";
  g_assert_true (ss_gui_wait (window_page_is, f, 60000));
  g_assert_null (ss_application_get_session (f->app));
  g_assert_cmpint (ss_status_get_problem (ss_application_get_status (f->app)), ==,
                   SS_STATUS_PROBLEM_SETTINGS);
  detail = ss_status_get_detail (ss_application_get_status (f->app));
  g_test_message ("no keyring: %s", detail);
  g_assert_nonnull (strstr (detail, "keyring"));
}

static void
scenario_german (AppFixture *f)
{
  GtkWindow *window;
  const char *subtitle;

  g_assert_true (ss_gui_wait (verdicts_at_least, f, 180000));
  window = ss_application_get_window (f->app);
  f->scenario = "list";
  g_assert_true (ss_gui_wait (window_page_is, f, 5000));
  subtitle = adw_window_title_get_subtitle (ADW_WINDOW_TITLE (
               child (window, SS_TYPE_STATUS_WINDOW, "window_title")));
  g_test_message ("German subtitle: %s", subtitle);
  g_assert_cmpstr (subtitle, !=, "Watching Unfiltered");
  g_assert_nonnull (strstr (subtitle, "Unfiltered"));
  g_assert_cmpstr (_("Not Spam"), !=, "Not Spam");
  ss_gui_assert_screenshot (GTK_WIDGET (window), "german");

  g_action_group_activate_action (G_ACTION_GROUP (f->app), "setup", NULL);
  g_assert_nonnull (ss_application_get_setup_dialog (f->app));
  ss_gui_assert_screenshot (GTK_WIDGET (ss_application_get_setup_dialog (f->app)),
                            "german-setup");
}

static gboolean
demo_done (gpointer data)
{
  AppFixture *f = data;
  SsSession *session = ss_application_get_session (f->app);

  return session != NULL && f->app->demo != NULL &&
         ss_demo_get_n_fed (f->app->demo) == ss_demo_get_n_messages (f->app->demo) &&
         g_list_model_get_n_items (ss_session_get_verdicts (session)) >=
           ss_demo_get_n_messages (f->app->demo) &&
         ss_status_get_state (ss_application_get_status (f->app)) == SS_SESSION_WATCHING;
}

static void
scenario_demo (AppFixture *f)
{
  GtkWindow *window = ss_application_get_window (f->app);
  SsStats *stats = ss_application_get_stats (f->app);

  f->scenario = "preparing";
  g_assert_true (ss_gui_wait (window_page_is, f, 5000));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (f->app), "setup"));
  g_assert_true (ss_gui_wait (demo_done, f, 240000));
  ss_stats_update (stats);
  g_test_message ("demo: %u scanned, %u spam", ss_stats_get_total (stats)->scanned,
                  ss_stats_get_total (stats)->spam);
  g_assert_cmpuint (ss_stats_get_total (stats)->scanned, ==,
                    ss_demo_get_n_messages (f->app->demo));
  g_assert_cmpuint (ss_stats_get_total (stats)->spam, >=, 1);
  ss_gui_assert_screenshot (GTK_WIDGET (window), "demo");
}

static gboolean
run_scenario (gpointer data)
{
  AppFixture *f = data;

  if (g_str_equal (f->scenario, "verdicts"))
    scenario_verdicts (f);
  else if (g_str_equal (f->scenario, "login-refused"))
    scenario_login_refused (f);
  else if (g_str_equal (f->scenario, "no-keyring"))
    scenario_no_keyring (f);
  else if (g_str_equal (f->scenario, "german"))
    scenario_german (f);
  else if (g_str_equal (f->scenario, "demo"))
    scenario_demo (f);
  f->done = TRUE;
  /* Quit: from the tray menu (item 7) when there is one, else app.quit as the app menu and
   * Ctrl+Q do. Either stops the engine cleanly, then quits. */
  if (ss_application_get_tray_registered (f->app))
    {
      GDBusConnection *connection = g_application_get_dbus_connection (G_APPLICATION (f->app));
      g_autoptr(GVariant) reply = NULL;
      g_autoptr(GError) error = NULL;

      reply = ss_gui_call (g_dbus_connection_get_unique_name (connection), SS_TRAY_MENU_PATH,
                           "com.canonical.dbusmenu", "Event",
                           g_variant_new ("(isvu)", 7, "clicked", g_variant_new_int32 (0), 0),
                           NULL, &error);
      g_assert_no_error (error);
    }
  else
    g_action_group_activate_action (G_ACTION_GROUP (f->app), "quit", NULL);
  return G_SOURCE_REMOVE;
}

static void
on_activate (GApplication *app,
             AppFixture   *f)
{
  static gboolean once;

  if (once)
    return;
  once = TRUE;
  ss_notifier_set_delays (f->app->notifier, 2, 2, 600);
  g_idle_add (run_scenario, f);
}

static int
run_app (AppFixture *f,
         gboolean    demo)
{
  char *argv[] = { (char *) "spamsieve", NULL };

  f->app = ss_application_new (demo);
  g_signal_connect_after (f->app, "activate", G_CALLBACK (on_activate), f);
  return g_application_run (G_APPLICATION (f->app), 1, argv);
}

static void
app_test (const char *scenario,
          const char *password)
{
  AppFixture f = { 0 };
  g_autofree char *spamd = ss_test_spamd_dup_address (shared_spamd ());
  g_autoptr(GSettings) settings = ss_settings_new ();
  g_autofree char *template = sni_template ();
  GSubprocess *watcher = ss_gui_mock_start (template, "org.kde.StatusNotifierWatcher");
  GSubprocess *daemon = ss_gui_mock_start ("notification_daemon",
                                           "org.freedesktop.Notifications");
  int status;

  f.scenario = scenario;
  f.dovecot = start_dovecot ();
  f.n_messages = add_sample (f.dovecot, &f.gtube);
  ss_gui_settings_for (settings, f.dovecot, spamd);
  g_settings_set_boolean (settings, "notify-spam-summary", g_str_equal (scenario, "verdicts"));
  if (password != NULL)
    ss_gui_store_password (settings, password);

  status = run_app (&f, FALSE);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (f.done);
  /* Quit stopped the engine cleanly. */
  if (ss_application_get_session (f.app) != NULL)
    g_assert_cmpint (ss_session_get_state (ss_application_get_session (f.app)), ==,
                     SS_SESSION_STOPPED);
  g_clear_object (&f.app);

  ss_gui_mock_stop (daemon);
  ss_gui_mock_stop (watcher);
  ss_test_dovecot_stop (f.dovecot);
  g_bytes_unref (f.gtube);
}

static void
test_app_verdicts (void)
{
  app_test ("verdicts", "secret");
}

static void
test_app_login_refused (void)
{
  app_test ("login-refused", "not the password");
}

static void
test_app_no_keyring (void)
{
  app_test ("no-keyring", NULL);
}

static void
test_app_german (void)
{
  app_test ("german", "secret");
}

static gboolean
no_demo_dirs (gpointer data)
{
  g_autoptr(GDir) dir = g_dir_open (g_get_tmp_dir (), 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "spamsieve-demo-"))
      return FALSE;
  return TRUE;
}

static void
test_app_demo (void)
{
  AppFixture f = { 0 };
  int status;

  f.scenario = "demo";
  status = run_app (&f, TRUE);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (f.done);
  g_clear_object (&f.app);
  /* The throwaway servers and their directory are gone. */
  g_assert_true (no_demo_dirs (NULL));
}

/* ---------------------------------------------------------------------------------------- */
/* The program: options, single instance, --background, D-Bus actions                        */

static gboolean
name_has_owner (gpointer data)
{
  g_autoptr(GVariant) reply = ss_gui_call ("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                           "org.freedesktop.DBus", "NameHasOwner",
                                           g_variant_new ("(s)", (const char *) data), "(b)",
                                           NULL);
  gboolean owned = FALSE;

  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

static void
test_program (void)
{
  const char *program = g_getenv ("SS_SPAMSIEVE");
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) help = NULL;
  g_autoptr(GSubprocess) first = NULL;
  g_autoptr(GSubprocess) second = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) list = NULL;
  g_autofree char *out = NULL;
  g_autofree const char **actions = NULL;

  g_assert_nonnull (program);
  help = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, program, "--help", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (help, NULL, NULL, &out, NULL, &error));
  g_assert_nonnull (strstr (out, "--background"));
  g_assert_nonnull (strstr (out, "--demo"));

  /* --background: registers, shows no window, keeps running. */
  first = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, program, "--background", NULL);
  g_assert_no_error (error);
  g_assert_true (ss_gui_wait (name_has_owner, (gpointer) APP_ID, 20000));

  /* A second instance hands over and exits at once. */
  second = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, program, "--background", NULL);
  g_assert_no_error (error);
  g_assert_true (ss_gui_wait (process_done, second, 20000));
  g_assert_true (g_subprocess_get_successful (second));
  g_assert_nonnull (g_subprocess_get_identifier (first));

  /* The actions are on the bus. */
  reply = ss_gui_call (APP_ID, APP_PATH, "org.gtk.Actions", "List", NULL, "(as)", &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(@as)", &list);
  actions = g_variant_get_strv (list, NULL);
  for (const char * const *want = (const char * const[]) { "check-now", "pause", "resume",
                                                           "show-window", "setup", "quit",
                                                           "mark-spam", "mark-ham", NULL };
       *want != NULL; want++)
    g_assert_true (g_strv_contains (actions, *want));

  /* Quit over D-Bus ends it cleanly. */
  g_clear_pointer (&reply, g_variant_unref);
  reply = ss_gui_call (APP_ID, APP_PATH, "org.gtk.Actions", "Activate",
                       g_variant_new ("(s@av@a{sv})", "quit",
                                      g_variant_new_array (G_VARIANT_TYPE_VARIANT, NULL, 0),
                                      g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)),
                       NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ss_gui_wait (process_done, first, 20000));
  g_assert_true (g_subprocess_get_successful (first));
}

int
main (int    argc,
      char **argv)
{
  const char *localedir = g_getenv ("SPAMSIEVE_LOCALEDIR");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/units/stats", test_stats);
  g_test_add_func ("/units/status-words", test_status_words);
  g_test_add_func ("/units/settings", test_settings_roundtrip);
  g_test_add_func ("/units/autostart", test_autostart);
  g_test_add_func ("/units/error-words", test_error_words);
  g_test_add_func ("/setup/keyring", test_setup_keyring);
  g_test_add_func ("/setup/no-keyring", test_setup_no_keyring);
  g_test_add_func ("/setup/probe", test_setup_probe);
  g_test_add_func ("/tray", test_tray);
  g_test_add_func ("/notifier", test_notifier);
  g_test_add_func ("/app/verdicts", test_app_verdicts);
  g_test_add_func ("/app/login-refused", test_app_login_refused);
  g_test_add_func ("/app/no-keyring", test_app_no_keyring);
  g_test_add_func ("/app/german", test_app_german);
  g_test_add_func ("/app/demo", test_app_demo);
  g_test_add_func ("/program", test_program);
  return g_test_run ();
}
