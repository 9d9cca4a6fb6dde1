/* test-oauth.c: OAuth2 login (SASL XOAUTH2 and OAUTHBEARER) of spamsieve --headless against a
 * real dovecot whose oauth2 passdb asks a local token-introspection endpoint (the harness's
 * options.oauth2). The token comes from [account] token-command: a script that prints the
 * next line of a tokens file on each call and counts its calls. */
#define G_LOG_DOMAIN "test-oauth"

#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "ss-auth.h"
#include "ss-config.h"
#include "ss-error.h"
#include "ss-test-servers.h"
#include "ss-test-utils.h"

typedef struct
{
  SsTestBed  bed;          /* first (ss_test_bed_setup) */
  char      *config_path;
  char      *good;         /* a token the endpoint accepts */
  char      *bad;          /* an expired one */
  int        exit_status;
  char      *out;
  char      *err;
} Fixture;

static const SsTestDovecotOptions oauth_options = { .oauth2 = TRUE };

/* Prints line N of DIR/tokens on its N-th call (the last line once past the end), counts
 * its calls in DIR/calls; without DIR/tokens it fails like a token service that is down. */
static const char token_script[] =
  "n=$(cat \"$1/calls\" 2>/dev/null || echo 0); n=$((n+1)); echo $n > \"$1/calls\"\n"
  "if [ ! -f \"$1/tokens\" ]; then echo 'cannot reach the token service' >&2; exit 7; fi\n"
  "line=$(sed -n \"${n}p\" \"$1/tokens\")\n"
  "[ -n \"$line\" ] || line=$(tail -n 1 \"$1/tokens\")\n"
  "printf '%s\\n' \"$line\"\n";

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_free (f->out);
  g_free (f->err);
  g_free (f->good);
  g_free (f->bad);
  g_free (f->config_path);
  ss_test_bed_clear (&f->bed);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *id1 = g_uuid_string_random ();
  g_autofree char *id2 = g_uuid_string_random ();

  ss_test_bed_setup (&f->bed, data);
  f->good = g_strconcat ("ya29.good-", id1, NULL);
  f->bad = g_strconcat ("ya29.expired-", id2, NULL);
  {
    const char * const valid[] = { f->good, NULL };

    ss_test_dovecot_set_oauth_tokens (f->bed.dovecot, valid);
  }
  g_free (ss_test_write_file (f->bed.dir, "token.sh", token_script, -1, 0700));
}

/* The tokens the command prints, in order (NULL: it fails). */
static void
set_command_tokens (Fixture            *f,
                    const char * const *tokens)
{
  g_autofree char *path = g_build_filename (f->bed.dir, "tokens", NULL);
  g_autofree char *text = NULL;

  g_unlink (path);
  if (tokens != NULL)
    {
      g_autofree char *joined = g_strjoinv ("\n", (char **) tokens);

      text = g_strconcat (joined, "\n", NULL);
      g_free (ss_test_write_file (f->bed.dir, "tokens", text, -1, 0600));
    }
}

static guint
command_calls (Fixture *f)
{
  g_autofree char *path = g_build_filename (f->bed.dir, "calls", NULL);
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  return (guint) g_ascii_strtoull (text, NULL, 10);
}

static void
write_config (Fixture    *f,
              const char *auth)
{
  g_autofree char *account = ss_test_dovecot_account (f->bed.dovecot, NULL);
  g_autofree char *oauth = g_strdup_printf ("%sauth=%s\ntoken-command=/bin/sh '%s/token.sh' "
                                            "'%s'\n", account, auth, f->bed.dir, f->bed.dir);

  g_free (f->config_path);
  f->config_path = ss_test_write_config (&f->bed, oauth, NULL, 4, 30, NULL);
}

static GSubprocess *
spawn (Fixture            *f,
       const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher =
    ss_test_launcher_new (f->bed.dir, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                      G_SUBPROCESS_FLAGS_STDERR_PIPE);

  /* Debug messages on: the token must not be in them either. */
  g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "all", TRUE);
  return ss_test_spawn_headless (launcher, f->config_path, args);
}

static void
run_once (Fixture *f)
{
  const char * const args[] = { "--once", "--json", NULL };
  g_autoptr(GSubprocess) proc = spawn (f, args);
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&f->out, g_free);
  g_clear_pointer (&f->err, g_free);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &f->out, &f->err, &error);
  g_assert_no_error (error);
  f->exit_status = g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc) : -1;
  g_test_message ("exit %d; stderr: %s", f->exit_status, f->err);
}

static void
assert_no_token (Fixture    *f,
                 const char *text)
{
  g_assert_null (strstr (text, f->good));
  g_assert_null (strstr (text, f->bad));
  g_assert_null (strstr (text, "ya29."));
}

/* GTUBE and a ham message in Unfiltered; after a successful pass both are filtered. */
static void
add_mail (Fixture *f)
{
  g_autoptr(GBytes) gtube = ss_test_data_load ("gtube.eml");
  g_autoptr(GPtrArray) ham = ss_test_corpus_load ("ham");

  ss_test_add (f->bed.dovecot, "Unfiltered", gtube, "", 0);
  ss_test_add (f->bed.dovecot, "Unfiltered", g_ptr_array_index (ham, 0), "", 0);
}

static void
assert_filtered (Fixture *f)
{
  g_assert_cmpuint (ss_test_count_stored (f->bed.dovecot, "Unfiltered", NULL), ==, 0);
  g_assert_cmpuint (ss_test_count_stored (f->bed.dovecot, "Spam", NULL), ==, 1);
  g_assert_cmpuint (ss_test_count_stored (f->bed.dovecot, "INBOX", NULL), ==, 1);
}

static void
check_valid_token (Fixture    *f,
                   const char *auth,
                   const char *method)
{
  const char * const tokens[] = { f->good, NULL };
  g_autofree char *log = NULL;
  g_autofree char *expected = g_strdup_printf ("method=%s", method);
  guint active = 0;

  add_mail (f);
  set_command_tokens (f, tokens);
  write_config (f, auth);
  run_once (f);
  g_assert_cmpint (f->exit_status, ==, 0);
  assert_filtered (f);
  g_assert_cmpuint (command_calls (f), ==, 1);
  g_assert_cmpuint (ss_test_dovecot_get_oauth_requests (f->bed.dovecot, &active), ==, 1);
  g_assert_cmpuint (active, ==, 1);
  g_assert_true (g_file_get_contents (ss_test_dovecot_get_log_file (f->bed.dovecot), &log,
                                      NULL, NULL));
  g_assert_nonnull (strstr (log, expected));
  assert_no_token (f, f->err);
  assert_no_token (f, f->out);
}

static void
test_xoauth2 (Fixture       *f,
              gconstpointer  data)
{
  check_valid_token (f, "xoauth2", "XOAUTH2");
}

static void
test_oauthbearer (Fixture       *f,
                  gconstpointer  data)
{
  check_valid_token (f, "oauthbearer", "OAUTHBEARER");
}

/* The first token has expired: refused, the command is run once more, the fresh one works. */
static void
check_refresh (Fixture    *f,
               const char *auth)
{
  const char * const tokens[] = { f->bad, f->good, NULL };
  guint active = 0;

  add_mail (f);
  set_command_tokens (f, tokens);
  write_config (f, auth);
  run_once (f);
  g_assert_cmpint (f->exit_status, ==, 0);
  assert_filtered (f);
  g_assert_cmpuint (command_calls (f), ==, 2);
  g_assert_cmpuint (ss_test_dovecot_get_oauth_requests (f->bed.dovecot, &active), ==, 2);
  g_assert_cmpuint (active, ==, 1);
  g_assert_nonnull (strstr (f->err, "refused; asking for a fresh one"));
  assert_no_token (f, f->err);
}

static void
test_refresh_xoauth2 (Fixture       *f,
                      gconstpointer  data)
{
  check_refresh (f, "xoauth2");
}

static void
test_refresh_oauthbearer (Fixture       *f,
                          gconstpointer  data)
{
  check_refresh (f, "oauthbearer");
}

/* Every token is refused: refreshed once, then "login refused", exit 3, mail untouched. */
static void
check_refused (Fixture    *f,
               const char *auth)
{
  const char * const tokens[] = { f->bad, NULL };
  guint active = 0;

  add_mail (f);
  set_command_tokens (f, tokens);
  write_config (f, auth);
  run_once (f);
  g_assert_cmpint (f->exit_status, ==, 3);
  g_assert_nonnull (strstr (f->err, "Login refused"));
  g_assert_cmpuint (command_calls (f), ==, 2);
  g_assert_cmpuint (ss_test_dovecot_get_oauth_requests (f->bed.dovecot, &active), ==, 2);
  g_assert_cmpuint (active, ==, 0);
  g_assert_cmpuint (ss_test_count_stored (f->bed.dovecot, "Unfiltered", NULL), ==, 2);
  assert_no_token (f, f->err);
}

static void
test_refused_xoauth2 (Fixture       *f,
                      gconstpointer  data)
{
  check_refused (f, "xoauth2");
}

static void
test_refused_oauthbearer (Fixture       *f,
                          gconstpointer  data)
{
  check_refused (f, "oauthbearer");
}

/* The command fails: its exit status and stderr are reported, exit 3, no login tried. */
static void
test_command_fails (Fixture       *f,
                    gconstpointer  data)
{
  add_mail (f);
  set_command_tokens (f, NULL);
  write_config (f, "xoauth2");
  run_once (f);
  g_assert_cmpint (f->exit_status, ==, 3);
  g_assert_nonnull (strstr (f->err, "exit status 7"));
  g_assert_nonnull (strstr (f->err, "cannot reach the token service"));
  g_assert_cmpuint (ss_test_dovecot_get_oauth_requests (f->bed.dovecot, NULL), ==, 0);
  g_assert_cmpuint (ss_test_count_stored (f->bed.dovecot, "Unfiltered", NULL), ==, 2);
}

static gboolean
unfiltered_empty (gpointer      object,
                  gconstpointer data)
{
  return ss_test_count_stored (object, "Unfiltered", NULL) == 0;
}

static char *
read_proc (GSubprocess *proc,
           const char  *what)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/%s", g_subprocess_get_identifier (proc),
                                           what);
  char *text = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &text, &len, NULL));
  for (gsize i = 0; i < len; i++)   /* NUL-separated */
    if (text[i] == '\0')
      text[i] = ' ';
  return text;
}

/* Live mode: filters with the token; neither its argv nor its environment holds it. */
static void
test_live_not_in_argv (Fixture       *f,
                       gconstpointer  data)
{
  const char * const tokens[] = { f->good, NULL };
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cmdline = NULL;
  g_autofree char *environ_text = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  add_mail (f);
  set_command_tokens (f, tokens);
  write_config (f, "oauthbearer");
  proc = spawn (f, NULL);
  g_assert_true (ss_test_wait_until (NULL, unfiltered_empty, f->bed.dovecot, NULL, 60000));
  assert_filtered (f);
  cmdline = read_proc (proc, "cmdline");
  environ_text = read_proc (proc, "environ");
  assert_no_token (f, cmdline);
  assert_no_token (f, environ_text);
  g_subprocess_send_signal (proc, SIGTERM);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_test_message ("stderr: %s", err);
  assert_no_token (f, err);
  assert_no_token (f, out);
  g_assert_cmpuint (command_calls (f), ==, 1);
}

/* Live mode: a token command that fails (token service down) is retried with back-off,
 * not taken as a refused login; once it prints a token, mail is filtered. */
static void
test_live_command_recovers (Fixture       *f,
                            gconstpointer  data)
{
  const char * const tokens[] = { f->good, NULL };
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  add_mail (f);
  set_command_tokens (f, NULL);
  write_config (f, "xoauth2");
  proc = spawn (f, NULL);
  ss_test_iterate (NULL, 2500);
  g_assert_cmpuint (command_calls (f), >=, 2);
  g_assert_cmpuint (ss_test_count_stored (f->bed.dovecot, "Unfiltered", NULL), ==, 2);
  set_command_tokens (f, tokens);
  g_assert_true (ss_test_wait_until (NULL, unfiltered_empty, f->bed.dovecot, NULL, 60000));
  assert_filtered (f);
  g_subprocess_send_signal (proc, SIGTERM);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_test_message ("stderr: %s", err);
  g_assert_nonnull (strstr (err, "cannot reach the token service"));
  g_assert_null (strstr (err, "login-refused"));
  assert_no_token (f, err);
}

/* Settings: the mode must be known; a token mode needs a token-command and no password file. */
static void
test_settings (Fixture       *f,
               gconstpointer  data)
{
  static const struct { const char *extra; const char *said; } cases[] = {
    { "auth=kerberos\n", "[account] auth: must be password, xoauth2 or oauthbearer" },
    { "auth=xoauth2\n", "[account] token-command: missing" },
    { "auth=xoauth2\ntoken-command=/bin/true\npassword-file=/tmp/x\n",
      "[account] password-file: not used with auth=xoauth2" },
    { "auth=oauthbearer\ntoken-command=/bin/echo 'unclosed\n",
      "[account] token-command: cannot be split" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strconcat ("[account]\nurl=imaps://example.org\nuser=u\n",
                                           cases[i].extra, NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(SsConfig) config = ss_config_load_data (text, strlen (text), &error);

      g_assert_null (config);
      g_assert_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, cases[i].said));
    }
}

/* The token command runs without a shell and only its first line counts. */
static void
test_command_first_line (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = ss_auth_run_token_command ("/usr/bin/printf 'tok;en $HOME\\nsecond\\n'",
                                                      5, NULL, &error);
  g_autofree char *none = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "tok;en $HOME");
  /* No input: cat ends at once, with nothing printed. */
  none = ss_auth_run_token_command ("/bin/cat", 5, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_TOKEN);
  g_assert_nonnull (strstr (error->message, "printed no token"));
  g_clear_error (&error);
  none = ss_auth_run_token_command ("/bin/sleep 10", 1, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_TOKEN);
  g_assert_nonnull (strstr (error->message, "within 1 s"));
}

static const SsTestCase cases[] = {
  SS_TEST_WITH (xoauth2, &oauth_options),
  SS_TEST_WITH (oauthbearer, &oauth_options),
  SS_TEST_WITH (refresh_xoauth2, &oauth_options),
  SS_TEST_WITH (refresh_oauthbearer, &oauth_options),
  SS_TEST_WITH (refused_xoauth2, &oauth_options),
  SS_TEST_WITH (refused_oauthbearer, &oauth_options),
  SS_TEST_WITH (command_fails, &oauth_options),
  SS_TEST_WITH (live_not_in_argv, &oauth_options),
  SS_TEST_WITH (live_command_recovers, &oauth_options),
  SS_TEST_WITH (settings, &oauth_options),
  SS_TEST_WITH (command_first_line, &oauth_options),
};

SS_TEST_SUITE_MAIN ("/spamsieve/oauth/", Fixture, fixture_setup, fixture_teardown, FALSE, NULL)
