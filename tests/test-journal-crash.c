/* test-journal-crash.c: crash at every journal step of a 50-message pass, resume, and prove
 * that every message is in exactly one folder, byte-identical, flags kept (isync's JLimit).
 *
 * SS_DEBUG_CRASH_AFTER=N makes spamsieve exit right after its N-th journal commit. For
 * N = 1, 2, ... until a pass completes without reaching N: a fresh server with the same 50
 * messages, a crashed run, then a normal run that must finish the job. Done with MOVE and
 * without it (COPY + EXPUNGE, where a crash between the two must be healed, not duplicated),
 * and in place (unfiltered = INBOX: ham stays and gets $NotJunk, spam moves). */
#define G_LOG_DOMAIN "test-journal-crash"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "ss-test-servers.h"
#include "ss-test-utils.h"

#define N_MESSAGES 50

static const char * const folders[] = { "Unfiltered", "INBOX", "Spam", NULL };

/* 50 distinct messages: the corpus sample, each with an added header line. */
static GPtrArray *
make_messages (void)
{
  g_autoptr(GPtrArray) corpus = ss_test_corpus_load (NULL);
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (guint i = 0; i < N_MESSAGES; i++)
    {
      GBytes *base = g_ptr_array_index (corpus, i % corpus->len);
      GString *s = g_string_new (NULL);
      gsize len;
      const char *data = g_bytes_get_data (base, &len);

      g_string_append_printf (s, "X-Crash-Test: %u\n", i);
      g_string_append_len (s, data, len);
      g_ptr_array_add (messages, g_string_free_to_bytes (s));
    }
  return messages;
}

/* spamsieve --headless --once on bed (crash_after > 0: exit after that journal commit);
 * returns the exit status, stderr in *err_out. */
static int
run_spamsieve (SsTestBed  *bed,
               const char *config,
               guint       crash_after,
               char      **err_out)
{
  const char * const args[] = { "--once", NULL };
  g_autoptr(GSubprocessLauncher) launcher =
    ss_test_launcher_new (bed->dir, G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                    G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *n = g_strdup_printf ("%u", crash_after);

  if (crash_after > 0)
    g_subprocess_launcher_setenv (launcher, "SS_DEBUG_CRASH_AFTER", n, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "SS_DEBUG_CRASH_AFTER");
  proc = ss_test_spawn_headless (launcher, config, args);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, NULL, err_out, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  return g_subprocess_get_exit_status (proc);
}

/* How often each message is stored, and checks of where and how (one listing per folder). */
static void
check_store (SsTestDovecot *dovecot,
             GPtrArray     *messages,
             gboolean       finished,
             gboolean       duplicates_allowed,
             gboolean       in_place)
{
  /* Flag kept: even messages were added read (in place: flagged, as all are unread). */
  char flag = in_place ? 'F' : 'S';

  g_autoptr(GHashTable) index = g_hash_table_new (g_bytes_hash, g_bytes_equal);
  g_autofree guint *copies = g_new0 (guint, messages->len);

  for (guint i = 0; i < messages->len; i++)
    g_hash_table_insert (index, g_ptr_array_index (messages, i), GUINT_TO_POINTER (i + 1));
  for (guint f = 0; folders[f] != NULL; f++)
    {
      g_autoptr(GPtrArray) stored = ss_test_dovecot_list_messages (dovecot, folders[f]);

      for (guint j = 0; j < stored->len; j++)
        {
          SsTestStoredMessage *s = g_ptr_array_index (stored, j);
          guint i = GPOINTER_TO_UINT (g_hash_table_lookup (index, s->content));

          /* Not one of ours: index 0. */
          if (i-- == 0)
            continue;
          /* Read state kept: even messages were added read. Another client's view of a
           * half-done COPY (\Deleted original) is the only other flag allowed. */
          if (strchr (s->flags, 'T') == NULL)
            {
              copies[i]++;
              g_assert_cmpint (strchr (s->flags, flag) != NULL, ==, i % 2 == 0);
              if (in_place)
                g_assert_null (strchr (s->flags, 'S'));
            }
          if (finished)
            g_assert_cmpstr (folders[f], !=, "Unfiltered");
          /* In place, a finished pass has marked every message it left in INBOX, ham or
           * uncertain (a crash between verdict and keyword is redone). */
          if (finished && in_place && g_str_equal (folders[f], "INBOX"))
            g_assert_true (ss_test_has_keyword (s, "$NotJunk") ||
                           ss_test_has_keyword (s, "$Uncertain"));
        }
    }
  for (guint i = 0; i < messages->len; i++)
    if (copies[i] != 1 && !(duplicates_allowed && copies[i] == 2))
      g_error ("message %u is stored %u times", i, copies[i]);
}

static void
crash_run (gconstpointer data,
           gboolean      in_place)
{
  const SsTestDovecotOptions *options = ss_test_case_options (data);
  g_autoptr(GPtrArray) messages = make_messages ();
  guint crashes = 0;

  for (guint n = 1; n < 200; n++)
    {
      g_auto(SsTestBed) bed = { 0 };
      g_autofree char *config = NULL;
      g_autofree char *err = NULL;
      int status;

      ss_test_bed_init (&bed, options, ss_test_case_spamd (data));
      for (guint i = 0; i < messages->len; i++)
        ss_test_add (bed.dovecot, in_place ? "INBOX" : "Unfiltered",
                     g_ptr_array_index (messages, i),
                     i % 2 == 0 ? (in_place ? "F" : "S") : "", 0);
      config = ss_test_write_config (&bed, NULL, NULL, 4, 0,
                                     in_place ? "[folders]\nunfiltered=INBOX\n"
                                                "[filter]\nchunk=25\n"
                                              : "[filter]\nchunk=25\n");

      status = run_spamsieve (&bed, config, n, &err);
      if (status == 0)
        {
          /* The pass needs fewer than n journal writes: every step has been crashed at. */
          check_store (bed.dovecot, messages, TRUE, FALSE, in_place);
          break;
        }
      g_assert_cmpint (status, ==, 99);
      crashes++;
      /* Right after the crash nothing is lost (a cut COPY may show twice without MOVE). */
      check_store (bed.dovecot, messages, FALSE, options != NULL && options->no_move, in_place);

      g_clear_pointer (&err, g_free);
      status = run_spamsieve (&bed, config, 0, &err);
      g_test_message ("crash after write %u, resumed: exit %d %s", n, status, err);
      g_assert_cmpint (status, ==, 0);
      check_store (bed.dovecot, messages, TRUE, FALSE, in_place);
      /* What the crashed run moved itself is resumed, never learned as the user's move. */
      g_assert_null (strstr (err, "by the user"));
    }
  g_test_message ("%u crash points, each resumed with every message in exactly one folder",
                  crashes);
  /* Each chunk writes verdicts, then per destination the move and its confirmation. */
  g_assert_cmpuint (crashes, >=, in_place ? 4 : 6);
}

static void
crash_loop (gpointer      fixture,
            gconstpointer data)
{
  crash_run (data, FALSE);
}

static void
crash_loop_in_place (gpointer      fixture,
                     gconstpointer data)
{
  crash_run (data, TRUE);
}

static const SsTestDovecotOptions no_move = { .no_move = TRUE };

static const SsTestCase cases[] = {
  SS_TEST_CASE ("move", NULL, crash_loop),
  SS_TEST_CASE ("copy-expunge", &no_move, crash_loop),
  SS_TEST_CASE ("in-place", NULL, crash_loop_in_place),
  SS_TEST_CASE ("in-place-copy-expunge", &no_move, crash_loop_in_place),
};

/* No fixture: each crash point gets its own bed. */
static const SsTestSuite suite = {
  "/spamsieve/journal-crash/", 0, NULL, NULL, cases, G_N_ELEMENTS (cases), TRUE, NULL
};

int
main (int    argc,
      char **argv)
{
  return ss_test_run_suite (&argc, &argv, &suite);
}
