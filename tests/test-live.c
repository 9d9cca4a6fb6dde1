/* test-live.c: spamsieve --headless in live mode (no --once) as a subprocess, against a real
 * dovecot and spamd: its --json event stream, and how it ends and reloads on signals.
 *
 * Where mail is, is read from dovecot's maildir directly. With -m slow, one more case runs
 * the engine idle for SS_TEST_IDLE_SECONDS (default 600) and reports its CPU time. */
#define G_LOG_DOMAIN "test-live"

#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "ss-test-mailcheck.h"
#include "ss-test-servers.h"
#include "ss-test-utils.h"

typedef struct
{
  SsTestBed         bed;          /* first (ss_test_bed_setup); dir: settings, XDG dirs */
  char             *config_path;
  GSubprocess      *proc;
  GDataInputStream *out;
  GPtrArray        *lines;        /* JsonObject*, every line of stdout so far */
  gboolean          eof;
  GString          *err;          /* stderr, collected by a thread */
  GThread          *err_thread;
} Fixture;

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->proc != NULL)
    {
      g_subprocess_force_exit (f->proc);
      g_subprocess_wait (f->proc, NULL, NULL);
    }
  if (f->err_thread != NULL)
    g_thread_join (f->err_thread);
  g_clear_object (&f->out);
  g_clear_object (&f->proc);
  ss_test_bed_clear (&f->bed);
  g_free (f->config_path);
  g_clear_pointer (&f->lines, g_ptr_array_unref);
  if (f->err != NULL)
    g_string_free (f->err, TRUE);
}

/* Settings: the usual account with the password file, the shared spamd, plus extra groups. */
static void
write_config (Fixture    *f,
              const char *extra)
{
  g_free (f->config_path);
  f->config_path = ss_test_write_config (&f->bed, NULL, NULL, 2, 30, extra);
}

static gpointer
read_stderr (gpointer data)
{
  Fixture *f = data;
  GInputStream *in = g_subprocess_get_stderr_pipe (f->proc);
  char buf[4096];
  gssize n;

  /* Only appended here until the process exits; read by the test after the join. */
  while ((n = g_input_stream_read (in, buf, sizeof buf, NULL, NULL)) > 0)
    g_string_append_len (f->err, buf, n);
  return NULL;
}

/* spamsieve --headless --config F --json (live). */
static void
spawn_live (Fixture *f)
{
  const char * const args[] = { "--json", NULL };
  g_autoptr(GSubprocessLauncher) launcher =
    ss_test_launcher_new (f->bed.dir, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                      G_SUBPROCESS_FLAGS_STDERR_PIPE);

  f->lines = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  f->err = g_string_new (NULL);
  f->proc = ss_test_spawn_headless (launcher, f->config_path, args);
  f->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (f->proc));
  f->err_thread = g_thread_new ("stderr", read_stderr, f);
}

/* The next line of stdout as JSON (also kept in f->lines), or NULL at EOF. Fails the test
 * if nothing comes within timeout_ms. */
static JsonObject *
next_line (Fixture *f,
           guint    timeout_ms)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  JsonNode *root;

  if (f->eof)
    return NULL;
  g_data_input_stream_read_line_async (f->out, G_PRIORITY_DEFAULT, NULL, ss_test_result_cb,
                                       &result);
  ss_test_wait_result (NULL, &result, timeout_ms);
  line = g_data_input_stream_read_line_finish_utf8 (f->out, result, NULL, &error);
  if (error != NULL)
    g_error ("reading spamsieve's output: %s", error->message);
  if (line == NULL)
    {
      f->eof = TRUE;
      return NULL;
    }
  json_parser_load_from_data (parser, line, -1, &error);
  if (error != NULL)
    g_error ("not JSON: \"%s\": %s", line, error->message);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  g_ptr_array_add (f->lines, json_object_ref (json_node_get_object (root)));
  return json_node_get_object (root);
}

static gboolean
is_state (JsonObject *o,
          const char *state)
{
  return json_object_has_member (o, "event") &&
         g_strcmp0 (json_object_get_string_member (o, "event"), "state") == 0 &&
         (state == NULL || g_strcmp0 (json_object_get_string_member (o, "state"), state) == 0);
}

static gboolean
is_record (JsonObject *o)
{
  return !json_object_has_member (o, "event") && json_object_has_member (o, "verdict");
}

/* Reads lines until n records have come (in total) and then the state given. */
static void
read_until (Fixture    *f,
            guint       n_records,
            const char *state,
            guint       timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  guint seen = 0;

  for (guint i = 0; i < f->lines->len; i++)
    seen += is_record (g_ptr_array_index (f->lines, i));
  for (;;)
    {
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
      JsonObject *o;

      if (left <= 0)
        g_error ("%u of %u records, no \"%s\" within %u ms", seen, n_records,
                 state != NULL ? state : "-", timeout_ms);
      o = next_line (f, (guint) left);
      if (o == NULL)
        g_error ("spamsieve ended early; stderr: %s", f->err->str);
      if (is_record (o))
        seen++;
      if (seen >= n_records && (state == NULL || is_state (o, state)))
        return;
    }
}

static guint
count_records (Fixture *f)
{
  guint n = 0;

  for (guint i = 0; i < f->lines->len; i++)
    n += is_record (g_ptr_array_index (f->lines, i));
  return n;
}

/* Sends sig and reads to EOF; returns the ms until the process was gone. Asserts the
 * exit status. */
static gint64
signal_and_wait (Fixture *f,
                 int      sig,
                 int      expected_status,
                 guint    timeout_ms)
{
  gint64 start = g_get_monotonic_time ();
  gint64 ms;

  g_subprocess_send_signal (f->proc, sig);
  while (next_line (f, timeout_ms) != NULL)
    ;
  g_assert_true (g_subprocess_wait (f->proc, NULL, NULL));
  ms = (g_get_monotonic_time () - start) / 1000;
  g_thread_join (g_steal_pointer (&f->err_thread));
  g_test_message ("exit after %" G_GINT64_FORMAT " ms; stderr:\n%s", ms, f->err->str);
  g_assert_true (g_subprocess_get_if_exited (f->proc));
  g_assert_cmpint (g_subprocess_get_exit_status (f->proc), ==, expected_status);
  g_clear_object (&f->proc);
  return ms;
}

/* ---------------------------------------------------------------------------------------- */

/* SIGTERM while a pass is running: out within 5 s, status 0, no message half-moved, and
 * every message moved was reported. */
static void
test_sigterm_mid_pass (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus_added (f->bed.dovecot, 40, "sigterm");
  gint64 ms;

  write_config (f, "[filter]\nchunk=4\n");
  spawn_live (f);
  read_until (f, 1, NULL, 60000);
  ms = signal_and_wait (f, SIGTERM, 0, 5000);
  g_assert_cmpint (ms, <, 5000);
  ss_test_mail_check_stopped (f->bed.dovecot, mails, count_records (f));
  g_assert_true (is_state (g_ptr_array_index (f->lines, f->lines->len - 1), "stopped"));
}

/* --json in live mode: state events and records in one stream, in a sensible order. */
static void
test_json_events (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus (37, "json");
  SsTestMail *gtube = g_ptr_array_index (mails, 36);
  SsTestMail *ham = g_ptr_array_index (mails, 0);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *expected[] = { "connecting", "scanning", "watching" };
  guint next = 0, n_records = 0, n_events = 0;
  gboolean gtube_seen = FALSE;

  ss_test_add (f->bed.dovecot, "Unfiltered", gtube->content, "", 0);
  write_config (f, NULL);
  spawn_live (f);
  read_until (f, 1, "watching", 60000);
  /* Mail arriving while it watches comes through as a record too. */
  ss_test_add (f->bed.dovecot, "Unfiltered", ham->content, "S", 0);
  read_until (f, 2, "watching", 30000);
  signal_and_wait (f, SIGINT, 0, 10000);

  for (guint i = 0; i < f->lines->len; i++)
    {
      JsonObject *o = g_ptr_array_index (f->lines, i);

      if (is_state (o, NULL))
        {
          const char *state = json_object_get_string_member (o, "state");

          n_events++;
          g_assert_true (json_object_has_member (o, "error"));
          g_assert_true (json_object_get_null_member (o, "error"));
          g_assert_cmpint (json_object_get_int_member (o, "retry_at"), ==, 0);
          g_assert_cmpint (json_object_get_int_member (o, "time"), >=, now);
          if (next < G_N_ELEMENTS (expected) && g_str_equal (state, expected[next]))
            next++;
        }
      else
        {
          g_assert_true (is_record (o));
          n_records++;
          /* Records come while scanning, after the engine connected. */
          g_assert_cmpuint (next, >=, 2);
          g_assert_cmpstr (json_object_get_string_member (o, "folder"), ==, "Unfiltered");
          g_assert_false (json_object_get_boolean_member (o, "dry_run"));
          if (g_strcmp0 (json_object_get_string_member (o, "message_id"),
                         gtube->message_id) == 0)
            {
              gtube_seen = TRUE;
              g_assert_cmpstr (json_object_get_string_member (o, "verdict"), ==, "spam");
              g_assert_cmpstr (json_object_get_string_member (o, "destination"), ==, "Spam");
            }
          else
            {
              g_assert_cmpstr (json_object_get_string_member (o, "message_id"), ==,
                               ham->message_id);
              g_assert_cmpstr (json_object_get_string_member (o, "destination"), ==, "INBOX");
            }
        }
    }
  g_assert_cmpuint (next, ==, G_N_ELEMENTS (expected));
  g_assert_true (gtube_seen);
  g_assert_cmpuint (n_records, ==, 2);
  g_assert_cmpuint (n_events, >=, 5);
  g_assert_true (is_state (g_ptr_array_index (f->lines, f->lines->len - 1), "stopped"));
  g_assert_cmpstr (ss_test_mail_locate (f->bed.dovecot, gtube), ==, "Spam");
  g_assert_cmpstr (ss_test_mail_locate (f->bed.dovecot, ham), ==, "INBOX");
}

/* A wrong password: one "login-refused" event and no retries; the right password in the
 * file and SIGHUP: it logs in and the mail flows. */
static void
test_sighup_reload (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus (37, "sighup");
  SsTestMail *gtube = g_ptr_array_index (mails, 36);
  JsonObject *o;
  guint refused = 0;

  g_free (ss_test_write_secret (f->bed.dir, "wrong"));
  ss_test_add (f->bed.dovecot, "Unfiltered", gtube->content, "", 0);
  write_config (f, NULL);
  spawn_live (f);
  read_until (f, 0, "login-refused", 30000);
  o = g_ptr_array_index (f->lines, f->lines->len - 1);
  g_assert_nonnull (strstr (json_object_get_string_member (o, "error"), "Login refused"));
  g_assert_cmpstr (ss_test_mail_locate (f->bed.dovecot, gtube), ==, "Unfiltered");

  g_free (ss_test_write_secret (f->bed.dir, "secret"));
  g_subprocess_send_signal (f->proc, SIGHUP);
  read_until (f, 1, "watching", 30000);
  signal_and_wait (f, SIGTERM, 0, 10000);
  for (guint i = 0; i < f->lines->len; i++)
    refused += is_state (g_ptr_array_index (f->lines, i), "login-refused");
  g_assert_cmpuint (refused, ==, 1);
  g_assert_nonnull (strstr (f->err->str, "settings reloaded"));
  g_assert_cmpstr (ss_test_mail_locate (f->bed.dovecot, gtube), ==, "Spam");
}

/* CPU seconds (user + system) of a process, from /proc/PID/stat. */
static double
cpu_seconds (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  /* After "(comm)": state is field 3, utime 14, stime 15 (1-based). */
  after = strrchr (text, ')');
  g_assert_nonnull (after);
  fields = g_strsplit (after + 2, " ", -1);
  g_assert_cmpuint (g_strv_length (fields), >, 13);
  return (double) (g_ascii_strtoull (fields[11], NULL, 10) +
                   g_ascii_strtoull (fields[12], NULL, 10)) / (double) sysconf (_SC_CLK_TCK);
}

/* -m slow: the live engine idle against the harness (IDLE on Unfiltered, default
 * maintenance) for SS_TEST_IDLE_SECONDS, default 600; reports the CPU time it used. */
static void
test_idle_cpu (Fixture       *f,
               gconstpointer  data)
{
  const char *env = g_getenv ("SS_TEST_IDLE_SECONDS");
  guint seconds = env != NULL ? (guint) g_ascii_strtoull (env, NULL, 10) : 600;
  const char *pid;
  double before, after;

  if (!g_test_slow ())
    {
      g_test_skip ("takes 10 minutes: run with -m slow");
      return;
    }
  write_config (f, NULL);
  spawn_live (f);
  read_until (f, 0, "watching", 60000);
  pid = g_subprocess_get_identifier (f->proc);
  before = cpu_seconds (pid);
  g_usleep ((gulong) seconds * G_USEC_PER_SEC);
  after = cpu_seconds (pid);
  g_test_message ("idle for %u s: %.2f CPU s (%.2f before, during startup and the first "
                  "pass); %.4f %% of one core", seconds, after - before, before,
                  100.0 * (after - before) / seconds);
  /* An idle engine sits in poll(): well under a second for ten minutes. */
  g_assert_cmpfloat (after - before, <, 0.01 * seconds);
  signal_and_wait (f, SIGTERM, 0, 10000);
}

/* Settings for the account on a second dovecot (its own password file), in f->bed.dir/other;
 * spamd_address NULL: a private spamd. */
static char *
other_account_config (Fixture       *f,
                      SsTestDovecot *other,
                      const char    *spamd_address)
{
  g_autofree char *dir = g_build_filename (f->bed.dir, "other", NULL);
  g_autofree char *secret = NULL;
  g_autofree char *account = NULL;
  g_autofree char *text = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  secret = ss_test_write_secret (dir, "secret");
  account = ss_test_dovecot_account (other, secret);
  text = ss_test_config_text (account, spamd_address, 2, 30, NULL);
  return ss_test_write_file (dir, "second.conf", text, -1, 0600);
}

/* Two processes of one user, each with a private spamd (no [spamd] address), on two accounts:
 * the second uses the spamd the first started (before: "another process already runs a
 * spamd"); the first keeps it after the second leaves, and it stops with the last one. */
static void
test_shared_private_spamd (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus (37, "shared");
  SsTestMail *gtube = g_ptr_array_index (mails, 36);   /* as in json_events: GTUBE */
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = g_build_filename (f->bed.dir, "secret", NULL);
  g_autofree char *account = ss_test_dovecot_account (f->bed.dovecot, secret);
  g_autofree char *text = ss_test_config_text (account, NULL, 2, 30, NULL);
  g_autofree char *run = g_build_filename (f->bed.dir, "run", "spamsieve", NULL);
  g_autofree char *socket_path = g_build_filename (run, "spamd.sock", NULL);
  g_autofree char *pid_path = g_build_filename (run, "spamd.pid", NULL);
  g_autofree char *pid_before = NULL;
  g_autofree char *pid_after = NULL;
  g_autofree char *other_config = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) second = NULL;
  g_autofree char *second_err = NULL;
  SsTestDovecot *other = ss_test_dovecot_start (NULL, &error);

  g_assert_no_error (error);
  g_free (f->config_path);
  f->config_path = ss_test_write_file (f->bed.dir, "first.conf", text, -1, 0600);
  ss_test_add (f->bed.dovecot, "Unfiltered", gtube->content, "", 0);
  spawn_live (f);
  read_until (f, 1, "watching", 120000);
  g_assert_true (g_file_get_contents (pid_path, &pid_before, NULL, NULL));

  /* The second account, in another process of the same user (same XDG_RUNTIME_DIR). */
  other_config = other_account_config (f, other, NULL);
  ss_test_add (other, "Unfiltered", gtube->content, "", 0);
  launcher = ss_test_launcher_new (f->bed.dir, G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                               G_SUBPROCESS_FLAGS_STDERR_PIPE);
  second = ss_test_spawn_headless (launcher, other_config, (const char *[]) { "--once", NULL });
  g_assert_true (g_subprocess_communicate_utf8 (second, NULL, NULL, NULL, &second_err, &error));
  g_assert_no_error (error);
  g_test_message ("second process: %s", second_err);
  g_assert_cmpint (g_subprocess_get_exit_status (second), ==, 0);
  g_assert_cmpstr (ss_test_mail_locate (other, gtube), ==, "Spam");

  /* Still the first one's spamd, still there. */
  g_assert_true (g_file_test (socket_path, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_get_contents (pid_path, &pid_after, NULL, NULL));
  g_assert_cmpstr (pid_after, ==, pid_before);
  g_assert_cmpint (kill ((pid_t) g_ascii_strtoll (pid_after, NULL, 10), 0), ==, 0);

  /* The first one, now the last user, stops it. */
  signal_and_wait (f, SIGTERM, 0, 15000);
  g_assert_cmpstr (ss_test_mail_locate (f->bed.dovecot, gtube), ==, "Spam");
  g_assert_false (g_file_test (socket_path, G_FILE_TEST_EXISTS));
  for (int i = 0; i < 100 && kill ((pid_t) g_ascii_strtoll (pid_after, NULL, 10), 0) == 0; i++)
    g_usleep (50 * 1000);
  g_assert_cmpint (kill ((pid_t) g_ascii_strtoll (pid_after, NULL, 10), 0), ==, -1);
  ss_test_dovecot_stop (other);
}

/* One process, two accounts (--config twice): both filtered, each record and state event
 * names its account; the same account twice is refused. */
static void
test_two_accounts (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus (37, "two");
  SsTestMail *gtube = g_ptr_array_index (mails, 36);
  SsTestMail *ham = g_ptr_array_index (mails, 0);
  g_autoptr(GError) error = NULL;
  g_autofree char *spamd = ss_test_spamd_dup_address (f->bed.spamd);
  g_autofree char *other_config = NULL;
  g_autofree char *first_id = NULL;
  g_autofree char *second_id = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) twice = NULL;
  g_autofree char *twice_err = NULL;
  const char *args[] = { "--json", "--config", NULL, NULL };
  SsTestDovecot *other = ss_test_dovecot_start (NULL, &error);
  guint first_records = 0, second_records = 0;
  gboolean first_watching = FALSE, second_watching = FALSE;

  g_assert_no_error (error);
  write_config (f, NULL);
  other_config = other_account_config (f, other, spamd);
  first_id = g_strdup_printf ("tester@127.0.0.1:%u", ss_test_dovecot_get_imap_port (f->bed.dovecot));
  second_id = g_strdup_printf ("tester@127.0.0.1:%u", ss_test_dovecot_get_imap_port (other));
  ss_test_add (f->bed.dovecot, "Unfiltered", gtube->content, "", 0);
  ss_test_add (other, "Unfiltered", gtube->content, "", 0);
  ss_test_add (other, "Unfiltered", ham->content, "S", 0);

  /* spawn_live with a second --config */
  {
    g_autoptr(GSubprocessLauncher) live_launcher =
      ss_test_launcher_new (f->bed.dir, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);

    args[2] = other_config;
    f->lines = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
    f->err = g_string_new (NULL);
    f->proc = ss_test_spawn_headless (live_launcher, f->config_path, args);
    f->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (f->proc));
    f->err_thread = g_thread_new ("stderr", read_stderr, f);
  }
  while (!first_watching || !second_watching || first_records < 1 || second_records < 2)
    {
      JsonObject *o = next_line (f, 120000);
      const char *id;

      g_assert_nonnull (o);
      g_assert_true (json_object_has_member (o, "account"));
      id = json_object_get_string_member (o, "account");
      g_assert_true (g_str_equal (id, first_id) || g_str_equal (id, second_id));
      if (is_record (o))
        (g_str_equal (id, first_id) ? &first_records : &second_records)[0]++;
      else if (is_state (o, "watching"))
        *(g_str_equal (id, first_id) ? &first_watching : &second_watching) = TRUE;
    }
  g_assert_cmpuint (first_records, ==, 1);
  g_assert_cmpuint (second_records, ==, 2);
  signal_and_wait (f, SIGTERM, 0, 15000);
  g_assert_cmpstr (ss_test_mail_locate (f->bed.dovecot, gtube), ==, "Spam");
  g_assert_cmpstr (ss_test_mail_locate (other, gtube), ==, "Spam");
  g_assert_cmpstr (ss_test_mail_locate (other, ham), ==, "INBOX");

  /* The same account twice: refused, nothing runs. */
  launcher = ss_test_launcher_new (f->bed.dir, G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                               G_SUBPROCESS_FLAGS_STDERR_PIPE);
  args[2] = f->config_path;
  args[0] = "--once";
  twice = ss_test_spawn_headless (launcher, f->config_path, args);
  g_assert_true (g_subprocess_communicate_utf8 (twice, NULL, NULL, NULL, &twice_err, &error));
  g_assert_no_error (error);
  g_test_message ("%s", twice_err);
  g_assert_cmpint (g_subprocess_get_exit_status (twice), ==, 2);
  g_assert_nonnull (strstr (twice_err, "one settings file per account"));
  ss_test_dovecot_stop (other);
}

static const SsTestCase cases[] = {
  SS_TEST (sigterm_mid_pass),
  SS_TEST (json_events),
  SS_TEST (sighup_reload),
  SS_TEST (idle_cpu),
  SS_TEST (shared_private_spamd),
  SS_TEST (two_accounts),
};

SS_TEST_SUITE_MAIN ("/spamsieve/live/", Fixture, ss_test_bed_setup, fixture_teardown,
                    FALSE, NULL)
