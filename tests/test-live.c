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

typedef struct
{
  SsTestDovecot    *dovecot;
  char             *dir;          /* scratch: settings, password, XDG dirs */
  char             *config_path;
  GSubprocess      *proc;
  GDataInputStream *out;
  GPtrArray        *lines;        /* JsonObject*, every line of stdout so far */
  gboolean          eof;
  GString          *err;          /* stderr, collected by a thread */
  GThread          *err_thread;
} Fixture;

static SsTestSpamd *shared_spamd;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = NULL;

  f->dovecot = ss_test_dovecot_start (data, &error);
  g_assert_no_error (error);
  f->dir = ss_test_mkdtemp ();
  secret = g_build_filename (f->dir, "secret", NULL);
  g_assert_true (g_file_set_contents (secret, "secret\n", -1, NULL));
  g_assert_cmpint (g_chmod (secret, 0600), ==, 0);
  f->lines = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  f->err = g_string_new (NULL);
}

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
  ss_test_dovecot_stop (f->dovecot);
  ss_test_rmrf (f->dir);
  g_free (f->dir);
  g_free (f->config_path);
  g_ptr_array_unref (f->lines);
  g_string_free (f->err, TRUE);
}

static void
write_config (Fixture    *f,
              const char *extra)
{
  g_autofree char *spamd = ss_test_spamd_dup_address (shared_spamd);
  g_autofree char *text = NULL;

  text = g_strdup_printf ("[account]\nurl=imap://127.0.0.1:%u\ntls=starttls\nuser=tester\n"
                          "password-file=%s/secret\nca-file=%s\n"
                          "[spamd]\naddress=%s\nparallel=2\ntimeout=30\n%s",
                          ss_test_dovecot_get_imap_port (f->dovecot), f->dir,
                          ss_test_dovecot_get_ca_file (f->dovecot), spamd,
                          extra != NULL ? extra : "");
  g_free (f->config_path);
  f->config_path = g_build_filename (f->dir, "spamsieve.conf", NULL);
  g_assert_true (g_file_set_contents (f->config_path, text, -1, NULL));
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
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data_home = g_build_filename (f->dir, "data", NULL);
  g_autofree char *runtime = g_build_filename (f->dir, "run", NULL);
  const char *program = g_getenv ("SS_SPAMSIEVE");
  const char *argv[] = { program, "--headless", "--config", f->config_path, "--json", NULL };

  g_assert_nonnull (program);
  g_mkdir_with_parents (runtime, 0700);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", runtime, TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", f->dir, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  f->proc = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  f->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (f->proc));
  f->err_thread = g_thread_new ("stderr", read_stderr, f);
}

typedef struct
{
  char     *line;
  GError   *error;
  gboolean  done;
} LineRead;

static void
line_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  LineRead *read = user_data;

  read->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                          NULL, &read->error);
  read->done = TRUE;
}

static gboolean
timeout_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* The next line of stdout as JSON (also kept in f->lines), or NULL at EOF. Fails the test
 * if nothing comes within timeout_ms. */
static JsonObject *
next_line (Fixture *f,
           guint    timeout_ms)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  LineRead read = { 0 };
  guint timer;
  JsonNode *root;

  if (f->eof)
    return NULL;
  timer = g_timeout_add (timeout_ms, timeout_cb, cancellable);
  g_data_input_stream_read_line_async (f->out, G_PRIORITY_DEFAULT, cancellable, line_cb, &read);
  while (!read.done)
    g_main_context_iteration (NULL, TRUE);
  if (!g_cancellable_is_cancelled (cancellable))
    g_source_remove (timer);
  if (read.error != NULL)
    g_error ("no line from spamsieve within %u ms: %s", timeout_ms, read.error->message);
  if (read.line == NULL)
    {
      f->eof = TRUE;
      return NULL;
    }
  json_parser_load_from_data (parser, read.line, -1, &error);
  if (error != NULL)
    g_error ("not JSON: \"%s\": %s", read.line, error->message);
  g_free (read.line);
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
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus (40, "sigterm");
  SsTestMailCensus census;
  gint64 ms;

  ss_test_mail_add_all (f->dovecot, "Unfiltered", mails);
  write_config (f, "[filter]\nchunk=4\n");
  spawn_live (f);
  read_until (f, 1, NULL, 60000);
  ms = signal_and_wait (f, SIGTERM, 0, 5000);
  g_assert_cmpint (ms, <, 5000);
  ss_test_mail_check (f->dovecot, mails, TRUE, FALSE, &census);
  g_test_message ("%u in Unfiltered, %u in INBOX, %u in Spam; %u records", census.in_unfiltered,
                  census.in_inbox, census.in_spam, count_records (f));
  g_assert_cmpuint (census.in_unfiltered, >, 0);
  g_assert_cmpuint (census.in_inbox + census.in_spam, ==, count_records (f));
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

  ss_test_dovecot_add_message (f->dovecot, "Unfiltered", gtube->content, "", 0, NULL);
  write_config (f, NULL);
  spawn_live (f);
  read_until (f, 1, "watching", 60000);
  /* Mail arriving while it watches comes through as a record too. */
  ss_test_dovecot_add_message (f->dovecot, "Unfiltered", ham->content, "S", 0, NULL);
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
  g_assert_cmpstr (ss_test_mail_locate (f->dovecot, gtube), ==, "Spam");
  g_assert_cmpstr (ss_test_mail_locate (f->dovecot, ham), ==, "INBOX");
}

/* A wrong password: one "login-refused" event and no retries; the right password in the
 * file and SIGHUP: it logs in and the mail flows. */
static void
test_sighup_reload (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus (37, "sighup");
  SsTestMail *gtube = g_ptr_array_index (mails, 36);
  g_autofree char *secret = g_build_filename (f->dir, "secret", NULL);
  JsonObject *o;
  guint refused = 0;

  g_assert_true (g_file_set_contents_full (secret, "wrong\n", -1, G_FILE_SET_CONTENTS_NONE,
                                           0600, NULL));
  ss_test_dovecot_add_message (f->dovecot, "Unfiltered", gtube->content, "", 0, NULL);
  write_config (f, NULL);
  spawn_live (f);
  read_until (f, 0, "login-refused", 30000);
  o = g_ptr_array_index (f->lines, f->lines->len - 1);
  g_assert_nonnull (strstr (json_object_get_string_member (o, "error"), "Login refused"));
  g_assert_cmpstr (ss_test_mail_locate (f->dovecot, gtube), ==, "Unfiltered");

  g_assert_true (g_file_set_contents_full (secret, "secret\n", -1, G_FILE_SET_CONTENTS_NONE,
                                           0600, NULL));
  g_subprocess_send_signal (f->proc, SIGHUP);
  read_until (f, 1, "watching", 30000);
  signal_and_wait (f, SIGTERM, 0, 10000);
  for (guint i = 0; i < f->lines->len; i++)
    refused += is_state (g_ptr_array_index (f->lines, i), "login-refused");
  g_assert_cmpuint (refused, ==, 1);
  g_assert_nonnull (strstr (f->err->str, "settings reloaded"));
  g_assert_cmpstr (ss_test_mail_locate (f->dovecot, gtube), ==, "Spam");
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

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  shared_spamd = ss_test_spamd_start (FALSE, &error);
  g_assert_no_error (error);

#define ADD(path, func) \
  g_test_add ("/spamsieve/live/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("sigterm-mid-pass", test_sigterm_mid_pass);
  ADD ("json-events", test_json_events);
  ADD ("sighup-reload", test_sighup_reload);
  ADD ("idle-cpu", test_idle_cpu);
#undef ADD

  ret = g_test_run ();
  ss_test_spamd_stop (shared_spamd);
  return ret;
}
