/* test-gui-goa.c: GNOME Online Accounts. A stand-in goa-daemon (goa_stub.py, python3-gi's
 * Goa skeletons) offers a Google mail account whose IMAP server is a real dovecot checking
 * OAuth2 tokens against the harness's introspection endpoint. The setup dialog lists the
 * account, picking it fills server and user, "Test" logs in with a GOA token, saving stores
 * only the account id; the whole app then logs in with GOA's tokens (refreshed through
 * EnsureCredentials after a refusal) and filters. */
#define G_LOG_DOMAIN "test-gui"

#include "config.h"

#include <string.h>

#include "ss-application-private.h"
#include "ss-goa-group.h"
#include "ss-gui-test.h"
#include "ss-settings.h"
#include "ss-setup-dialog.h"
#include "ss-test-utils.h"

typedef struct
{
  SsTestDovecot *dovecot;
  GSubprocess   *stub;
  char          *state;   /* the stub's directory */
  char          *good;
  char          *bad;
} Goa;

static void
goa_start (Goa *goa)
{
  const char *python = g_getenv ("SS_PYTHON") != NULL ? g_getenv ("SS_PYTHON")
                                                       : "/usr/bin/python3";
  SsTestDovecotOptions options = { .oauth2 = TRUE };
  g_autoptr(GError) error = NULL;
  g_autofree char *host = NULL;
  g_autofree char *id1 = g_uuid_string_random ();
  g_autofree char *id2 = g_uuid_string_random ();
  const char *valid[2] = { NULL, NULL };

  goa->dovecot = ss_test_dovecot_start (&options, &error);
  g_assert_no_error (error);
  goa->good = g_strconcat ("ya29.goa-good-", id1, NULL);
  goa->bad = g_strconcat ("ya29.goa-expired-", id2, NULL);
  valid[0] = goa->good;
  ss_test_dovecot_set_oauth_tokens (goa->dovecot, valid);
  goa->state = g_dir_make_tmp ("spamsieve-goa-XXXXXX", &error);
  g_assert_no_error (error);
  host = g_strdup_printf ("127.0.0.1:%u", ss_test_dovecot_get_imap_port (goa->dovecot));
  goa->stub = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, python,
                                g_getenv ("SS_GOA_STUB"), goa->state, host, "tester", NULL);
  g_assert_no_error (error);
  g_assert_true (ss_gui_wait (ss_gui_name_owned, (gpointer) "org.gnome.OnlineAccounts",
                              20000));
}

static void
goa_stop (Goa *goa)
{
  ss_gui_mock_stop (goa->stub);
  ss_test_dovecot_stop (goa->dovecot);
  ss_test_rmrf (goa->state);
  g_free (goa->state);
  g_free (goa->good);
  g_free (goa->bad);
}

/* The tokens the stub hands out: the first, then the next after each EnsureCredentials. */
static void
goa_set_tokens (Goa        *goa,
                const char *first,
                const char *second)
{
  g_autofree char *path = g_build_filename (goa->state, "tokens", NULL);
  g_autofree char *text = g_strdup_printf ("%s\n%s\n", first, second != NULL ? second : "");
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

static void
goa_calls (Goa   *goa,
           guint *get,
           guint *ensure)
{
  g_autofree char *path = g_build_filename (goa->state, "calls", NULL);
  g_autofree char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpint (sscanf (text, "get %u ensure %u", get, ensure), ==, 2);
}

static gboolean
accounts_listed (gpointer data)
{
  return ss_goa_group_get_n_accounts (data) > 0;
}

static gboolean
dialog_idle (gpointer data)
{
  return !ss_setup_dialog_is_busy (data);
}

static const char *
row_text (SsSetupDialog *dialog,
          const char    *name)
{
  return gtk_editable_get_text (GTK_EDITABLE (ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG, name)));
}

static void
on_saved (SsSetupDialog *dialog,
          const char    *password,
          gboolean      *saved)
{
  g_assert_null (password);
  *saved = TRUE;
}

static gboolean
is_true (gpointer data)
{
  return *(gboolean *) data;
}

/* No GSettings key holds the token. */
static void
assert_token_not_in_settings (GSettings  *settings,
                              const char *token)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;

  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autoptr(GVariant) value = g_settings_get_value (settings, keys[i]);
      g_autofree char *text = g_variant_print (value, FALSE);

      g_assert_null (strstr (text, token));
    }
}

static void
test_goa_setup (void)
{
  Goa goa = { 0 };
  g_autoptr(GSettings) settings = ss_settings_new ();
  SsSetupDialog *dialog;
  SsGoaGroup *group;
  AdwActionRow *row;
  gboolean saved = FALSE;
  g_autofree char *server = NULL;
  g_autofree char *goa_account = NULL;
  g_autofree char *auth = NULL;
  g_autofree char *url = NULL;
  guint get = 0, ensure = 0;

  goa_start (&goa);
  goa_set_tokens (&goa, goa.good, NULL);
  /* The test CA: GOA has no such setting; the dialog keeps the stored one. */
  g_settings_set_string (settings, "ca-file", ss_test_dovecot_get_ca_file (goa.dovecot));

  dialog = ss_setup_dialog_new (NULL, settings);
  g_signal_connect (dialog, "saved", G_CALLBACK (on_saved), &saved);
  gtk_window_present (GTK_WINDOW (dialog));
  group = SS_GOA_GROUP (ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG, "goa_group"));
  g_assert_true (ss_gui_wait (accounts_listed, group, 20000));
  /* The mail account only, not the Nextcloud one without mail. */
  g_assert_cmpuint (ss_goa_group_get_n_accounts (group), ==, 1);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (group)));
  row = ss_goa_group_get_row (group, "account_1");
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, "tester@example.org");
  ss_gui_assert_screenshot (GTK_WIDGET (dialog), "setup-goa");

  /* Pick it: server and user come from GOA. */
  adw_action_row_activate (row);
  g_assert_cmpstr (ss_goa_group_get_account_id (group), ==, "account_1");
  server = g_strdup_printf ("127.0.0.1:%u", ss_test_dovecot_get_imap_port (goa.dovecot));
  g_assert_cmpstr (row_text (dialog, "server_row"), ==, server);
  g_assert_cmpstr (row_text (dialog, "user_row"), ==, "tester");
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (
                      ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG, "security_row"))), ==,
                    SS_TLS_STARTTLS);
  g_assert_false (gtk_widget_get_visible (ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG,
                                                        "password_row")));

  /* Test: a login to dovecot with GOA's token. */
  gtk_widget_activate_action (GTK_WIDGET (dialog), "setup.test", NULL);
  g_assert_true (ss_gui_wait (dialog_idle, dialog, 60000));
  g_test_message ("test: %s", ss_setup_dialog_get_result_title (dialog));
  g_assert_cmpstr (ss_setup_dialog_get_result_title (dialog), ==, "Connection works");
  goa_calls (&goa, &get, &ensure);
  g_assert_cmpuint (get, ==, 1);

  /* Save: the account id, no password, no token. */
  gtk_widget_activate_action (GTK_WIDGET (dialog), "setup.save", NULL);
  g_assert_true (ss_gui_wait (is_true, &saved, 20000));
  goa_account = g_settings_get_string (settings, "goa-account");
  auth = g_settings_get_string (settings, "auth");
  url = g_settings_get_string (settings, "url");
  g_assert_cmpstr (goa_account, ==, "account_1");
  g_assert_cmpstr (auth, ==, "xoauth2");
  g_assert_true (g_str_has_suffix (url, server));
  assert_token_not_in_settings (settings, goa.good);
  assert_token_not_in_settings (settings, "ya29.");

  /* A new dialog has the online account picked again. */
  dialog = ss_setup_dialog_new (NULL, settings);
  gtk_window_present (GTK_WINDOW (dialog));
  group = SS_GOA_GROUP (ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG, "goa_group"));
  g_assert_true (ss_gui_wait (accounts_listed, group, 20000));
  g_assert_cmpstr (ss_goa_group_get_account_id (group), ==, "account_1");
  gtk_window_destroy (GTK_WINDOW (dialog));
  goa_stop (&goa);
}

/* ---- the whole app with a GOA account ---- */

typedef struct
{
  SsApplication *app;
  Goa           *goa;
  gboolean       done;
} AppRun;

static gboolean
unfiltered_empty (gpointer data)
{
  AppRun *run = data;

  return ss_test_count_stored (run->goa->dovecot, "Unfiltered", NULL) == 0;
}

static gboolean
run_goa_app (gpointer data)
{
  AppRun *run = data;
  SsSession *session = ss_application_get_session (run->app);

  g_assert_nonnull (session);
  if (!ss_gui_wait (unfiltered_empty, run, 90000))
    g_error ("not filtered; session: %s", ss_session_get_last_error (session));
  run->done = TRUE;
  g_action_group_activate_action (G_ACTION_GROUP (run->app), "quit", NULL);
  return G_SOURCE_REMOVE;
}

static void
on_app_activate (GApplication *app,
                 AppRun       *run)
{
  static gboolean once;

  if (!once)
    g_idle_add (run_goa_app, run);
  once = TRUE;
}

static void
test_goa_app (void)
{
  Goa goa = { 0 };
  AppRun run = { 0 };
  g_autoptr(GSettings) settings = ss_settings_new ();
  g_autofree char *spamd = ss_test_spamd_dup_address (ss_gui_shared_spamd ());
  g_autoptr(GBytes) gtube = ss_test_data_load ("gtube.eml");
  g_autoptr(GPtrArray) ham = ss_test_corpus_load ("ham");
  g_autoptr(GError) error = NULL;
  g_autofree char *log = NULL;
  char *argv[] = { (char *) "spamsieve", NULL };
  guint get = 0, ensure = 0, active = 0;

  goa_start (&goa);
  /* The first token has expired: refused, EnsureCredentials, the next one works. */
  goa_set_tokens (&goa, goa.bad, goa.good);
  g_assert_true (ss_test_dovecot_add_message (goa.dovecot, "Unfiltered", gtube, "", 0, &error));
  g_assert_true (ss_test_dovecot_add_message (goa.dovecot, "Unfiltered", ham->pdata[0], "", 0,
                                              &error));
  ss_gui_settings_for (settings, goa.dovecot, spamd);
  g_settings_set_string (settings, "auth", "xoauth2");
  g_settings_set_string (settings, "goa-account", "account_1");

  run.goa = &goa;
  run.app = ss_application_new (FALSE);
  g_signal_connect_after (run.app, "activate", G_CALLBACK (on_app_activate), &run);
  g_assert_cmpint (g_application_run (G_APPLICATION (run.app), 1, argv), ==, 0);
  g_assert_true (run.done);
  g_clear_object (&run.app);

  g_assert_cmpuint (ss_test_count_stored (goa.dovecot, "Spam", NULL), ==, 1);
  g_assert_cmpuint (ss_test_count_stored (goa.dovecot, "INBOX", NULL), ==, 1);
  goa_calls (&goa, &get, &ensure);
  g_assert_cmpuint (get, ==, 2);
  g_assert_cmpuint (ensure, ==, 1);
  g_assert_cmpuint (ss_test_dovecot_get_oauth_requests (goa.dovecot, &active), ==, 2);
  g_assert_cmpuint (active, ==, 1);
  g_assert_true (g_file_get_contents (ss_test_dovecot_get_log_file (goa.dovecot), &log, NULL,
                                      NULL));
  g_assert_nonnull (strstr (log, "method=XOAUTH2"));
  assert_token_not_in_settings (settings, "ya29.");
  goa_stop (&goa);
}

void
ss_gui_add_goa_tests (void)
{
  g_test_add_func ("/goa/setup", test_goa_setup);
  g_test_add_func ("/goa/app", test_goa_app);
}
