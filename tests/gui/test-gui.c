/* test-gui.c: the desktop app under Xvfb, a private session bus and a real keyring
 * (tests/with-display.sh). Each test path runs as its own meson test (one GTK app per
 * process). Servers are real: dovecot and spamd from tests/ss-test-servers.h; the tray host
 * and the notification daemon are python-dbusmock stand-ins. The tests live in
 * test-gui-*.c by subject; this file has main () and the small units that need the app.
 * (The GTK-free status and stats tests are tests/test-status.c and tests/test-stats.c.)
 *
 * Screenshots land in $SS_SCREENSHOT_DIR (the build dir) and are checked non-blank. */
#define G_LOG_DOMAIN "test-gui"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>

#include "ss-account-probe.h"
#include "ss-autostart.h"
#include "ss-error.h"
#include "ss-gui-test.h"
#include "ss-settings.h"

/* ---------------------------------------------------------------------------------------- */
/* Units that need the app: settings, autostart, error descriptions                           */

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
  /* The Desktop Entry spec allows double quotes only; a build tree's schema goes along. */
  g_assert_null (strchr (exec, '\''));
  g_assert_true (g_str_has_prefix (exec, "env \"GSETTINGS_SCHEMA_DIR="));
  {
    g_autofree char *validate = g_find_program_in_path ("desktop-file-validate");
    g_autofree char *out = NULL;
    int status = -1;

    if (validate != NULL)
      {
        const char *argv[] = { validate, path, NULL };

        g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL,
                                     NULL, NULL, &out, NULL, &status, &error));
        g_assert_no_error (error);
        g_assert_cmpstr (out, ==, "");
        g_assert_true (g_spawn_check_wait_status (status, NULL));
      }
  }
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
    { 0, SS_IMAP_ERROR_TLS, "The server at x:143 did not answer with TLS: this port probably "
      "expects STARTTLS (imap://, usually port 143)", "This port expects STARTTLS" },
    { 0, SS_IMAP_ERROR_TIMEOUT, "Connecting to x timed out: port 993 usually expects TLS",
      "port 993 expects TLS" },
    { 0, SS_SPAMD_ERROR_CONNECT, "refused", "spamd cannot be reached" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GQuark domain = i == 0 ? G_RESOLVER_ERROR
                      : i + 1 < G_N_ELEMENTS (cases) ? SS_IMAP_ERROR : SS_SPAMD_ERROR;
      g_autoptr(GError) error = g_error_new_literal (domain, cases[i].code, cases[i].message);
      g_autofree char *text = ss_account_probe_describe_error (error);

      g_assert_nonnull (strstr (text, cases[i].expect));
    }
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
  /* the app's own icons, as its resource-base-path gives them to the app */
  gtk_icon_theme_add_resource_path (gtk_icon_theme_get_for_display (gdk_display_get_default ()),
                                    "/org/example/SpamSieve/icons");

  g_test_add_func ("/units/settings", test_settings_roundtrip);
  g_test_add_func ("/units/autostart", test_autostart);
  g_test_add_func ("/units/error-words", test_error_words);
  ss_gui_add_setup_tests ();
  ss_gui_add_tray_tests ();
  ss_gui_add_notifier_tests ();
  ss_gui_add_app_tests ();
  ss_gui_add_senders_tests ();
  ss_gui_add_goa_tests ();
  ss_gui_add_train_tests ();
  ss_gui_add_accounts_tests ();
  return g_test_run ();
}
