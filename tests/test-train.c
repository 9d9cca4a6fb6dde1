/* test-train.c: initial training from existing mail (spamsieve --headless --train-existing,
 * ss_filter_train_existing) against real dovecot and spamd.
 *
 * What spamd learned is read from its own Bayes database (sa-learn --dump magic); where mail
 * is and its flags are read from dovecot's maildir, not through the code under test. The
 * test spamd serves every test, so each test gives its messages Message-IDs of its own (spamd
 * learns a Message-ID once) and checks differences of its counts. */
#define G_LOG_DOMAIN "test-train"

#include "config.h"

#include <gio/gio.h>
#include <sqlite3.h>
#include <string.h>

#include "ss-assembly.h"
#include "ss-message-info.h"
#include "ss-test-servers.h"
#include "ss-test-utils.h"

typedef struct
{
  SsTestBed  bed;          /* first (ss_test_bed_setup) */
  char      *config_path;
  int        exit_status;
  char      *out;
  char      *err;
} Fixture;

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_free (f->out);
  g_free (f->err);
  g_free (f->config_path);
  ss_test_bed_clear (&f->bed);
}

static void
write_config (Fixture    *f,
              const char *spamd_address,
              const char *extra)
{
  g_free (f->config_path);
  f->config_path = ss_test_write_config (&f->bed, NULL, spamd_address, 4, 60, extra);
}

/* spamsieve --headless --config F args... */
static void
run_spamsieve (Fixture            *f,
               const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher =
    ss_test_launcher_new (f->bed.dir, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                      G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) proc = ss_test_spawn_headless (launcher, f->config_path, args);
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&f->out, g_free);
  g_clear_pointer (&f->err, g_free);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &f->out, &f->err, &error);
  g_assert_no_error (error);
  f->exit_status = g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc) : -1;
  g_test_message ("exit %d; stdout: %s; stderr: %s", f->exit_status, f->out, f->err);
}

static void
run_train (Fixture *f)
{
  const char * const args[] = { "--train-existing", NULL };

  run_spamsieve (f, args);
}

/* message with its Message-ID replaced by <tag@test.invalid>, and tag added to its end. */
static GBytes *
with_message_id (GBytes     *message,
                 const char *tag)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (message, &len);
  g_autofree char *text = g_strndup (data, len);
  g_autoptr(GRegex) re = g_regex_new ("^Message-ID:.*\\n([ \\t].*\\n)*",
                                      G_REGEX_CASELESS | G_REGEX_MULTILINE | G_REGEX_RAW, 0, NULL);
  g_autofree char *stripped = g_regex_replace_literal (re, text, -1, 0, "", 0, NULL);
  char *out;

  g_assert_nonnull (stripped);
  /* spamd also knows a message by a hash of its Date and body: the body gets the tag too. */
  out = g_strdup_printf ("Message-ID: <%s@test.invalid>\n%s\n%s\n", tag, stripped, tag);

  return g_bytes_new_take (out, strlen (out));
}

/* Adds n messages of kind ("ham"/"spam", from the corpus) to folder with flags; message i
 * has the Message-ID prefix-i and the date base + i (the last added is the newest). */
static void
add_corpus (Fixture    *f,
            const char *kind,
            guint       first,
            guint       n,
            const char *folder,
            const char *flags,
            const char *prefix,
            gint64      base)
{
  g_autoptr(GPtrArray) corpus = ss_test_corpus_load (kind);

  g_assert_cmpuint (first + n, <=, corpus->len);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *tag = g_strdup_printf ("%s-%u", prefix, i);
      g_autoptr(GBytes) message = with_message_id (g_ptr_array_index (corpus, first + i), tag);

      ss_test_add (f->bed.dovecot, folder, message, flags, base + i);
    }
}

static gint
compare_lines (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* Every folder's messages as sorted "checksum flags keywords" lines: what must not change. */
static char *
snapshot (Fixture *f)
{
  static const char * const folders[] = { "Unfiltered", "INBOX", "Spam",
                                          "Spam/False Positives", "Spam/False Negatives",
                                          NULL };
  g_autoptr(GString) all = g_string_new (NULL);

  for (guint k = 0; folders[k] != NULL; k++)
    {
      g_autoptr(GPtrArray) stored = ss_test_dovecot_list_messages (f->bed.dovecot, folders[k]);
      g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);

      for (guint i = 0; i < stored->len; i++)
        {
          SsTestStoredMessage *m = g_ptr_array_index (stored, i);
          g_autofree char *sum = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, m->content);
          g_autofree char *keywords = g_strjoinv (",", m->keywords);

          g_ptr_array_add (lines, g_strdup_printf ("%s %s [%s] %s", folders[k], m->flags,
                                                   keywords, sum));
        }
      g_ptr_array_sort (lines, compare_lines);
      for (guint i = 0; i < lines->len; i++)
        g_string_append_printf (all, "%s\n", (char *) g_ptr_array_index (lines, i));
    }
  return g_string_free (g_steal_pointer (&all), FALSE);
}

static gint64
now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC - 1000;
}

static void
assert_summary (Fixture *f,
                guint    ham,
                guint    spam,
                guint    known)
{
  g_autofree char *want = g_strdup_printf ("trained: %u ham, %u spam (%u already known)\n",
                                           ham, spam, known);

  g_assert_cmpstr (f->out, ==, want);
}

/* The Message-IDs the journal holds as trained, sorted, joined with ",". */
static char *
trained_ids (Fixture *f,
             gboolean spam)
{
  g_autofree char *path = g_build_filename (f->bed.dir, "data", "spamsieve", "state.sqlite",
                                            NULL);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT message_id FROM trained WHERE spam = ?1 "
                                           "ORDER BY message_id", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  sqlite3_bind_int (stmt, 1, spam);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (ids, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  g_ptr_array_add (ids, NULL);
  return g_strjoinv (",", (char **) ids->pdata);
}

/* ---------------------------------------------------------------------------------------- */

/* Read INBOX mail is learned as ham, the Spam folder as spam, by spamd's Bayes; unread mail is
 * not; nothing moves, no flag changes; a second run learns nothing new. */
static void
test_learns_and_moves_nothing (Fixture       *f,
                               gconstpointer  data)
{
  gint64 base = now () - 100000;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  guint spam0, ham0, spam1, ham1, spam2, ham2;

  add_corpus (f, "ham", 0, 8, "INBOX", "S", "a-ham", base);
  add_corpus (f, "ham", 8, 3, "INBOX", "", "a-unread", base);
  add_corpus (f, "ham", 11, 2, "INBOX", "SF", "a-flagged", base + 50);
  add_corpus (f, "spam", 0, 6, "Spam", "", "a-spam", base);
  add_corpus (f, "spam", 6, 2, "Unfiltered", "", "a-unfiltered", base);
  write_config (f, NULL, NULL);
  before = snapshot (f);
  ss_test_spamd_learned_checked (f->bed.spamd, &spam0, &ham0);

  run_train (f);
  g_assert_cmpint (f->exit_status, ==, 0);
  assert_summary (f, 10, 6, 0);
  ss_test_spamd_learned_checked (f->bed.spamd, &spam1, &ham1);
  g_assert_cmpuint (ham1 - ham0, ==, 10);
  g_assert_cmpuint (spam1 - spam0, ==, 6);
  after = snapshot (f);
  g_assert_cmpstr (after, ==, before);

  /* Idempotent: all known, spamd learns nothing more. */
  run_train (f);
  g_assert_cmpint (f->exit_status, ==, 0);
  assert_summary (f, 0, 0, 16);
  ss_test_spamd_learned_checked (f->bed.spamd, &spam2, &ham2);
  g_assert_cmpuint (ham2, ==, ham1);
  g_assert_cmpuint (spam2, ==, spam1);
  g_free (after);
  after = snapshot (f);
  g_assert_cmpstr (after, ==, before);
}

/* [training] max-ham / max-spam: the newest ones first; a larger limit later adds the rest. */
static void
test_limit_newest_first (Fixture       *f,
                         gconstpointer  data)
{
  gint64 base = now () - 100000;
  guint spam0, ham0, spam1, ham1;
  g_autofree char *ham_ids = NULL;
  g_autofree char *spam_ids = NULL;

  add_corpus (f, "ham", 0, 6, "INBOX", "S", "b-ham", base);
  add_corpus (f, "spam", 0, 5, "Spam", "", "b-spam", base);
  write_config (f, NULL, "[training]\nmax-ham=2\nmax-spam=3\n");
  ss_test_spamd_learned_checked (f->bed.spamd, &spam0, &ham0);
  run_train (f);
  g_assert_cmpint (f->exit_status, ==, 0);
  assert_summary (f, 2, 3, 0);
  ss_test_spamd_learned_checked (f->bed.spamd, &spam1, &ham1);
  g_assert_cmpuint (ham1 - ham0, ==, 2);
  g_assert_cmpuint (spam1 - spam0, ==, 3);
  ham_ids = trained_ids (f, FALSE);
  spam_ids = trained_ids (f, TRUE);
  g_assert_cmpstr (ham_ids, ==, "b-ham-4@test.invalid,b-ham-5@test.invalid");
  g_assert_cmpstr (spam_ids, ==,
                   "b-spam-2@test.invalid,b-spam-3@test.invalid,b-spam-4@test.invalid");

  /* The same limit again: the newest ones are known, nothing older is reached for. */
  run_train (f);
  g_assert_cmpint (f->exit_status, ==, 0);
  assert_summary (f, 0, 0, 5);

  write_config (f, NULL, "[training]\nmax-ham=100\n");
  run_train (f);
  g_assert_cmpint (f->exit_status, ==, 0);
  assert_summary (f, 4, 2, 5);
}

/* A message learned by a correction before (history: learned-spam) is not learned again. */
static void
test_correction_known (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GPtrArray) spam = ss_test_corpus_load ("spam");
  g_autoptr(GBytes) fn = with_message_id (g_ptr_array_index (spam, 0), "c-corrected");
  const char * const once[] = { "--once", NULL };

  ss_test_add (f->bed.dovecot, "Spam/False Negatives", fn, "", 0);
  add_corpus (f, "spam", 1, 2, "Spam", "", "c-spam", now ());
  write_config (f, NULL, NULL);
  run_spamsieve (f, once);
  g_assert_cmpint (f->exit_status, ==, 0);
  g_assert_cmpuint (ss_test_count_stored (f->bed.dovecot, "Spam", fn), ==, 1);
  run_train (f);
  g_assert_cmpint (f->exit_status, ==, 0);
  assert_summary (f, 0, 2, 1);
}

/* spamd without --allow-tell: spamd's exit code, nothing journaled as trained. */
static void
test_refused (Fixture       *f,
              gconstpointer  data)
{
  SsTestSpamd *no_tell = ss_test_spamd_start_checked (FALSE);
  g_autofree char *address = ss_test_spamd_dup_address (no_tell);

  add_corpus (f, "ham", 0, 2, "INBOX", "S", "d-ham", now ());
  write_config (f, address, NULL);
  run_train (f);
  ss_test_spamd_stop (no_tell);
  g_assert_cmpint (f->exit_status, ==, 5);
  assert_summary (f, 0, 0, 0);
  g_assert_nonnull (strstr (f->err, "refused"));
}

/* A wrong password: the login exit code, as for the other headless runs. */
static void
test_login_refused (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *secret = ss_test_write_secret (f->bed.dir, "wrong");

  write_config (f, NULL, NULL);
  run_train (f);
  g_assert_cmpint (f->exit_status, ==, 3);
}

static void
count_progress (const char *step,
                guint       n,
                guint       total,
                gpointer    user_data)
{
  g_assert_true (g_str_has_prefix (step, "training-"));
  g_assert_cmpuint (n, <=, total);
  (*(guint *) user_data)++;
}

/* The engine in-process with a personal learner: its counts rise by what was trained. */
static void
test_learner_counts (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(SsConfig) config = NULL;
  g_autoptr(SsJournal) journal = NULL;
  g_autoptr(SsLearner) learner = ss_learner_new_full (16);
  g_autoptr(GError) error = NULL;
  SsAssembly parts = { 0 };
  SsTrainStats stats = { 0 };
  guint steps = 0;

  add_corpus (f, "ham", 0, 5, "INBOX", "S", "e-ham", now ());
  add_corpus (f, "spam", 0, 4, "Spam", "", "e-spam", now ());
  write_config (f, NULL, NULL);
  config = ss_config_load_file (f->config_path, &error);
  g_assert_no_error (error);
  journal = ss_journal_open (NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ss_assembly_connect (&parts, config, "secret", journal, 0, NULL, &error));
  g_assert_no_error (error);
  ss_filter_set_learner (parts.filter, learner);
  g_assert_true (ss_filter_prepare (parts.filter, NULL, &error));
  ss_filter_set_progress_func (parts.filter, count_progress, &steps);
  g_assert_true (ss_filter_train_existing (parts.filter, 100, 100, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.ham, ==, 5);
  g_assert_cmpuint (stats.spam, ==, 4);
  g_assert_cmpuint (ss_learner_get_n_ham (learner), ==, 5);
  g_assert_cmpuint (ss_learner_get_n_spam (learner), ==, 4);

  /* Again: nothing new for the learner either. */
  g_assert_true (ss_filter_train_existing (parts.filter, 100, 100, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.known, ==, 9);
  g_assert_cmpuint (ss_learner_get_n_ham (learner), ==, 5);
  g_assert_cmpuint (ss_learner_get_n_spam (learner), ==, 4);
  g_assert_cmpuint (steps, >=, 4);   /* start and end of each folder */
  ss_assembly_clear (&parts);
}

static void
on_progress_total (SsSession  *session,
                   GParamSpec *pspec,
                   guint      *max_total)
{
  *max_total = MAX (*max_total, ss_session_get_progress_total (session));
}

/* The session's train command: runs on the worker, reports progress on the test's context,
 * learns what spamd counts; a second run only finds known messages; a cancelled one stops. */
static void
test_session_command (Fixture       *f,
                      gconstpointer  data)
{
  SsTestSession run = { 0 };
  g_autoptr(SsConfig) config = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) stopped = NULL;
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  SsTrainStats stats = { 0 };
  guint spam0, ham0, spam1, ham1, max_total = 0;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gint64 t0;

  add_corpus (f, "ham", 0, 7, "INBOX", "S", "f-ham", now ());
  add_corpus (f, "spam", 0, 5, "Spam", "", "f-spam", now ());
  write_config (f, NULL, NULL);
  config = ss_config_load_file (f->config_path, &error);
  g_assert_no_error (error);
  before = snapshot (f);
  ss_test_spamd_learned_checked (f->bed.spamd, &spam0, &ham0);

  ss_test_session_init (&run, f->bed.dir);
  ss_test_session_start (&run, config, "secret");
  g_signal_connect (run.session, "notify::progress-total", G_CALLBACK (on_progress_total),
                    &max_total);
  t0 = g_get_monotonic_time ();
  ss_session_train_async (run.session, 1000, 1000, NULL, ss_test_result_cb, &result);
  /* Never blocks the caller. */
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 100 * 1000);
  ss_test_wait_result (run.context, &result, 120000);
  g_assert_true (ss_session_train_finish (run.session, result, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.ham, ==, 7);
  g_assert_cmpuint (stats.spam, ==, 5);
  g_assert_cmpuint (max_total, >=, 5);
  ss_test_spamd_learned_checked (f->bed.spamd, &spam1, &ham1);
  g_assert_cmpuint (ham1 - ham0, ==, 7);
  g_assert_cmpuint (spam1 - spam0, ==, 5);

  g_clear_object (&result);
  ss_session_train_async (run.session, 1000, 1000, NULL, ss_test_result_cb, &result);
  ss_test_wait_result (run.context, &result, 120000);
  g_assert_true (ss_session_train_finish (run.session, result, &stats, &error));
  g_assert_cmpuint (stats.ham + stats.spam, ==, 0);
  g_assert_cmpuint (stats.known, ==, 12);

  /* Cancelled before it starts: an error, nothing learned. */
  add_corpus (f, "ham", 7, 3, "INBOX", "S", "f-more", now ());
  g_free (before);
  before = snapshot (f);
  g_clear_object (&result);
  g_cancellable_cancel (cancel);
  ss_session_train_async (run.session, 1000, 1000, cancel, ss_test_result_cb, &result);
  ss_test_wait_result (run.context, &result, 120000);
  g_assert_false (ss_session_train_finish (run.session, result, &stats, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (stats.ham + stats.spam, ==, 0);

  /* Stopped during a training: the train task answers (done or cancelled), the stop ends. */
  add_corpus (f, "spam", 5, 6, "Spam", "", "f-late", now ());
  g_free (before);
  before = snapshot (f);
  g_clear_object (&result);
  g_clear_error (&error);
  ss_session_train_async (run.session, 1000, 1000, NULL, ss_test_result_cb, &result);
  ss_test_iterate (run.context, 300);
  ss_session_stop_async (run.session, NULL, ss_test_result_cb, &stopped);
  ss_test_wait_result (run.context, &result, 60000);
  if (!ss_session_train_finish (run.session, result, &stats, &error))
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_test_message ("stopped while training: %u spam learned", stats.spam);
  ss_test_wait_result (run.context, &stopped, 60000);
  g_assert_true (ss_session_stop_finish (run.session, stopped, NULL));
  g_clear_object (&result);   /* they hold the session */
  g_clear_object (&stopped);
  ss_test_session_clear (&run);
  after = snapshot (f);
  g_assert_cmpstr (after, ==, before);
}

/* --help lists the option. */
static void
test_help (Fixture       *f,
           gconstpointer  data)
{
  const char * const args[] = { "--help", NULL };

  write_config (f, NULL, NULL);
  run_spamsieve (f, args);
  g_assert_cmpint (f->exit_status, ==, 0);
  g_assert_nonnull (strstr (f->out, "--train-existing"));
}

static const SsTestCase cases[] = {
  SS_TEST (learns_and_moves_nothing),
  SS_TEST (limit_newest_first),
  SS_TEST (correction_known),
  SS_TEST (refused),
  SS_TEST (login_refused),
  SS_TEST (learner_counts),
  SS_TEST (session_command),
  SS_TEST (help),
};

SS_TEST_SUITE_MAIN ("/spamsieve/train/", Fixture, ss_test_bed_setup, fixture_teardown,
                    TRUE, ss_message_info_init)
