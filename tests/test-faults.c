/* test-faults.c: the live engine (SsSession in-process) through fault-injecting proxies
 * (tests/ss-fault-proxy.c) in front of a real dovecot and a real spamd.
 *
 * A corpus pass of hundreds of messages runs while both links are cut and stalled at
 * random byte offsets in both directions (seeded; the seed is printed, SS_FAULT_SEED=N
 * repeats a run). Afterwards dovecot's maildir is read directly: every message that was in
 * Unfiltered is in exactly one of INBOX and Spam, byte-identical, flags kept.
 *
 * The engine's timeouts must fire for stalls: this program sets the session's debug knobs
 * (see ss-session.c) SS_DEBUG_TIMEOUT_MS=1500 (IMAP stall timeout, 60 s by default) and
 * SS_DEBUG_BACKOFF_MAX_MS=200 (reconnect back-off, 1 s .. 5 min by default), and spamd's
 * timeout is 5 s in the settings. IMAP runs without TLS (tls=none) so that the offsets fall
 * inside IMAP responses and literals rather than inside TLS records.
 *
 * The same pass runs in place ([folders] unfiltered=INBOX): the messages arrive unread in
 * INBOX, spam ends in Spam, ham stays in its maildir file (so with its UID), and a restart
 * afterwards asks spamd nothing: what the journal and the keywords say was judged is never
 * scanned again. */
#define G_LOG_DOMAIN "test-faults"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "ss-fault-proxy.h"
#include "ss-session.h"
#include "ss-test-mailcheck.h"
#include "ss-test-servers.h"
#include "ss-test-utils.h"

typedef struct
{
  SsTestBed      bed;
  SsFaultProxy  *imap_proxy;
  SsFaultProxy  *spamd_proxy;
  SsTestSession  run;
  gboolean       in_place;   /* unfiltered=INBOX */
  const char    *watched;    /* where the messages arrive */
} Fixture;

static guint32 base_seed;

/* Every IMAP connection gets one fault, anywhere in the first 100 KB from the server (a
 * chunk of 4 bodies is ~25 KB) or the first 3 KB of commands. A stall that ends does so
 * before the 1.5 s timeout: the engine must simply wait. */
static const SsFaultRandom imap_faults = {
  .probability_percent = 100,
  .stall_percent = 35,
  .short_stall_percent = 60,
  .short_stall_max_ms = 800,
  .max_offset_to_server = 3 * 1024,
  .max_offset_to_client = 100 * 1024,
  .to_client_percent = 80,
};


/* Without MOVE: the same, but as many faults in the commands as in the answers, so that some
 * land between a COPY and its EXPUNGE. */
static SsFaultRandom
imap_faults_no_move (void)
{
  SsFaultRandom faults = imap_faults;

  faults.max_offset_to_server = 2 * 1024;
  faults.to_client_percent = 50;
  return faults;
}

/* A spamd request (one connection per message): 70 % get a fault, mostly in the ~300 byte
 * reply (a truncated reply: no verdict, the message stays and is scanned again), else in
 * the ~6 KB request (spamd looks unreachable: the pass stops and the engine backs off).
 * An endless stall costs the 5 s timeout, so most stalls end by themselves. */
static const SsFaultRandom spamd_faults = {
  .probability_percent = 70,
  .stall_percent = 25,
  .short_stall_percent = 85,
  .short_stall_max_ms = 800,
  .max_offset_to_server = 6 * 1024,
  .max_offset_to_client = 250,
  .to_client_percent = 85,
};

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  ss_test_bed_setup (&f->bed, data);
  f->imap_proxy = ss_fault_proxy_new ("imap", ss_test_dovecot_get_imap_port (f->bed.dovecot),
                                      &error);
  g_assert_no_error (error);
  f->spamd_proxy = ss_fault_proxy_new ("spamd", ss_test_spamd_get_port (f->bed.spamd), &error);
  g_assert_no_error (error);
  /* spamc half-closes after its request; its timeout is 5 s. */
  ss_fault_proxy_set_half_close (f->spamd_proxy, TRUE, 10000);
  ss_test_session_init (&f->run, f->bed.dir);
  f->watched = "Unfiltered";
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  ss_test_session_clear (&f->run);
  ss_fault_proxy_free (f->imap_proxy);
  ss_fault_proxy_free (f->spamd_proxy);
  ss_test_bed_clear (&f->bed);
}

/* The engine through both proxies, IMAP without TLS. */
static void
start_session (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsConfig) config = NULL;
  g_autofree char *url = g_strdup_printf ("imap://127.0.0.1:%u",
                                          ss_fault_proxy_get_port (f->imap_proxy));
  g_autofree char *spamd = g_strdup_printf ("127.0.0.1:%u",
                                            ss_fault_proxy_get_port (f->spamd_proxy));
  g_autofree char *account = ss_test_account_group (url, "none", NULL, NULL);
  g_autofree char *text = ss_test_config_text (account, spamd, 4, 5,
                                               f->in_place ? "[folders]\nunfiltered=INBOX\n"
                                                             "[filter]\nchunk=4\n"
                                                           : "[filter]\nchunk=4\n");

  config = ss_config_load_data (text, strlen (text), &error);
  g_assert_no_error (error);
  ss_test_session_start (&f->run, config, "secret");
}

/* How many messages have more than one record; *distinct: how many have any. */
static guint
count_doubles (Fixture *f,
               guint   *distinct)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint doubles = 0;

  for (guint i = 0; i < f->run.records->len; i++)
    {
      const SsRecord *record = g_ptr_array_index (f->run.records, i);
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (seen, record->message_id));

      doubles += n == 1;
      g_hash_table_insert (seen, record->message_id, GUINT_TO_POINTER (n + 1));
    }
  *distinct = g_hash_table_size (seen);
  return doubles;
}

static guint
faults_fired (const SsFaultProxyStats *s)
{
  return s->cuts + s->stalls;
}

static void
report (Fixture    *f,
        const char *when,
        guint       left)
{
  SsFaultProxyStats imap, spamd;
  const char *state = f->run.session != NULL ? ss_test_session_state (&f->run) : "-";
  const char *error = f->run.session != NULL ? ss_session_get_last_error (f->run.session)
                                             : NULL;

  ss_fault_proxy_get_stats (f->imap_proxy, &imap);
  ss_fault_proxy_get_stats (f->spamd_proxy, &spamd);
  g_test_message ("%s: %u left in %s, %u records; IMAP: %u connections, %u cuts, "
                  "%u stalls (%u ended), %" G_GUINT64_FORMAT " KB to the engine; spamd: %u "
                  "connections, %u cuts, %u stalls (%u ended); state %s%s%s", when, left,
                  f->watched, f->run.records->len, imap.connections, imap.cuts, imap.stalls,
                  imap.short_stalls, imap.bytes_to_client / 1024, spamd.connections, spamd.cuts,
                  spamd.stalls, spamd.short_stalls, state, error != NULL ? ": " : "",
                  error != NULL ? error : "");
}

/* Base names of the maildir files of INBOX not marked \Deleted: a file that keeps its name
 * keeps its UID (dovecot-uidlist maps names to UIDs). */
static GHashTable *
inbox_files (Fixture *f)
{
  GHashTable *names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char * const subdirs[] = { "cur", "new" };

  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *path = g_build_filename (ss_test_dovecot_get_dir (f->bed.dovecot),
                                                "Maildir", subdirs[i], NULL);
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          const char *info = strstr (name, ":2,");

          if (name[0] != '.' && (info == NULL || strchr (info + 3, 'T') == NULL))
            g_hash_table_add (names, info != NULL ? g_strndup (name, info - name)
                                                  : g_strdup (name));
        }
    }
  return names;
}

/* Messages still to be judged: in Unfiltered, or in place those in INBOX without a verdict
 * keyword. */
static guint
count_left (Fixture *f)
{
  g_autoptr(GPtrArray) stored = NULL;
  guint left = 0;

  if (!f->in_place)
    return ss_test_mail_count (f->bed.dovecot, "Unfiltered");
  stored = ss_test_dovecot_list_messages (f->bed.dovecot, "INBOX");
  for (guint i = 0; i < stored->len; i++)
    {
      SsTestStoredMessage *m = g_ptr_array_index (stored, i);

      left += strchr (m->flags, 'T') == NULL && !ss_test_has_keyword (m, "$NotJunk") &&
              !ss_test_has_keyword (m, "$Uncertain");
    }
  return left;
}

/* The messages, added where the engine watches. In place the first pass takes unread mail
 * only: they arrive unread (\Seen dropped from the flag cycle). */
static GPtrArray *
add_corpus (Fixture *f,
            guint    n_messages)
{
  GPtrArray *mails;

  if (!f->in_place)
    return ss_test_mail_corpus_added (f->bed.dovecot, n_messages, "fault");
  mails = ss_test_mail_corpus (n_messages, "fault");
  for (guint i = 0; i < mails->len; i++)
    {
      SsTestMail *mail = g_ptr_array_index (mails, i);
      g_auto(GStrv) parts = g_strsplit (mail->flags, "S", -1);

      g_free (mail->flags);
      mail->flags = g_strjoinv ("", parts);
    }
  ss_test_mail_add_all (f->bed.dovecot, "INBOX", mails);
  return mails;
}

/* In place, after the pass: every ham is still the file it was added as, and a restart
 * without faults scans nothing and reports nothing. */
static void
check_in_place (Fixture    *f,
                GHashTable *files_before)
{
  g_autoptr(GHashTable) files = inbox_files (f);
  SsFaultProxyStats before, after;
  guint records = f->run.records->len;
  GHashTableIter iter;
  gpointer name;

  g_hash_table_iter_init (&iter, files);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    if (!g_hash_table_contains (files_before, name))
      g_error ("INBOX has a new file %s: a message left its place (new UID)",
               (const char *) name);
  g_test_message ("%u ham in INBOX, all in their original files",
                  g_hash_table_size (files));

  ss_fault_proxy_get_stats (f->spamd_proxy, &before);
  start_session (f);
  if (!ss_test_session_wait (&f->run, ss_test_session_in_state, "watching", 60000))
    g_error ("the restarted engine did not reach watching");
  ss_test_session_stop (&f->run, 30000);
  ss_fault_proxy_get_stats (f->spamd_proxy, &after);
  g_test_message ("restart: %u spamd requests, %u new records",
                  after.connections - before.connections, f->run.records->len - records);
  g_assert_cmpuint (after.connections, ==, before.connections);
  g_assert_cmpuint (f->run.records->len, ==, records);
}

/* The corpus pass under random faults; returns the number of faults that fired (cuts and
 * stalls), and the cuts alone in *cuts. */
static guint
run_pass (Fixture             *f,
          guint                n_messages,
          const SsFaultRandom *imap_random,
          guint32              seed,
          guint                timeout_s,
          SsTestMailCensus    *census,
          guint               *cuts)
{
  g_autoptr(GPtrArray) mails = add_corpus (f, n_messages);
  g_autoptr(GHashTable) files_before = inbox_files (f);
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = start + (gint64) timeout_s * G_USEC_PER_SEC;
  gint64 next_report = start + 15 * G_USEC_PER_SEC;
  SsFaultProxyStats imap, spamd;
  guint left = n_messages;
  guint faults, doubles, distinct;

  g_test_message ("seed %u (SS_FAULT_SEED=%u in the environment repeats the program)", seed,
                  base_seed);
  ss_fault_proxy_set_random (f->imap_proxy, imap_random, seed);
  ss_fault_proxy_set_random (f->spamd_proxy, &spamd_faults, seed ^ 0x5a5a5a5a);
  start_session (f);

  while (left > 0)
    {
      /* In place the count reads every message: less often. */
      for (guint i = 0; i < (f->in_place ? 20 : 5); i++)
        ss_test_session_iterate (&f->run, 100);
      left = count_left (f);
      if (g_get_monotonic_time () > next_report)
        {
          report (f, "progress", left);
          next_report += 15 * G_USEC_PER_SEC;
        }
      if (g_get_monotonic_time () > deadline)
        {
          report (f, "timed out", left);
          g_error ("%u of %u messages still in %s after %u s", left, n_messages, f->watched,
                   timeout_s);
        }
    }
  g_test_message ("%s judged in %.1f s", f->watched,
                  (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC);

  /* No new faults; the engine settles (a planned one may still fire on an open link). */
  ss_fault_proxy_set_random (f->imap_proxy, NULL, 0);
  ss_fault_proxy_set_random (f->spamd_proxy, NULL, 0);
  if (!ss_test_session_wait (&f->run, ss_test_session_in_state, "watching", 60000))
    g_error ("the engine did not settle");
  ss_test_session_stop (&f->run, 30000);
  report (f, "end", 0);

  ss_test_mail_check (f->bed.dovecot, mails, FALSE, FALSE, census);
  g_test_message ("%u in INBOX, %u in Spam, %u duplicates", census->in_inbox, census->in_spam,
                  census->duplicates);

  /* Each message handled once: at most one record each (a record can be missing when the
   * answer to a MOVE was cut; the mail itself is checked above). */
  doubles = count_doubles (f, &distinct);
  g_test_message ("%u records for %u messages (%u distinct, %u with more than one)",
                  f->run.records->len, n_messages, distinct, doubles);
  g_assert_cmpuint (distinct, <=, n_messages);

  ss_fault_proxy_get_stats (f->imap_proxy, &imap);
  ss_fault_proxy_get_stats (f->spamd_proxy, &spamd);
  faults = faults_fired (&imap) + faults_fired (&spamd);
  *cuts = imap.cuts + spamd.cuts;
  g_test_message ("faults injected and survived: %u (IMAP %u cuts + %u stalls, spamd %u cuts "
                  "+ %u stalls; %u stalls ended by themselves)", faults, imap.cuts,
                  imap.stalls, spamd.cuts, spamd.stalls, imap.short_stalls + spamd.short_stalls);
  g_assert_cmpuint (doubles, ==, 0);
  if (f->in_place)
    check_in_place (f, files_before);
  return faults;
}

/* The engine filters INBOX in place. */
static void
set_in_place (Fixture *f)
{
  f->in_place = TRUE;
  f->watched = "INBOX";
}

/* 300 messages (in place 150: the pass is the same, CI time is not), at least 2 random cuts
 * per 3 messages (and stalls besides), UID MOVE. */
static void
test_move (Fixture       *f,
           gconstpointer  data)
{
  SsTestMailCensus census;
  guint cuts;
  guint n = f->in_place ? 150 : 300;
  guint faults = run_pass (f, n, &imap_faults, base_seed, 420, &census, &cuts);

  g_assert_cmpuint (census.duplicates, ==, 0);
  g_assert_cmpuint (cuts, >=, n * 2 / 3);
  g_assert_cmpuint (faults, >, cuts);
}

/* Without MOVE: COPY + STORE \Deleted + EXPUNGE. A cut between the COPY and the EXPUNGE
 * leaves the message in both places until the journal heals it. */
static void
test_no_move (Fixture       *f,
              gconstpointer  data)
{
  const SsFaultRandom random = imap_faults_no_move ();
  SsTestMailCensus census;
  guint cuts;
  guint faults = run_pass (f, 80, &random, base_seed + 1, 300, &census, &cuts);

  g_assert_cmpuint (faults, >=, 40);
  g_assert_cmpuint (census.duplicates, ==, 0);
}

/* The same passes in place: ham keeps its place, spam moves (MOVE, or COPY + EXPUNGE). */
static void
test_in_place_move (Fixture       *f,
                    gconstpointer  data)
{
  set_in_place (f);
  test_move (f, data);
}

static void
test_in_place_no_move (Fixture       *f,
                       gconstpointer  data)
{
  set_in_place (f);
  test_no_move (f, data);
}

/* Unfiltered is empty, n records came, and the engine is back to watching. */
static gboolean
all_handled (gpointer      data,
             gconstpointer n)
{
  Fixture *f = data;

  return ss_test_mail_count (f->bed.dovecot, "Unfiltered") == 0 &&
         f->run.records->len >= GPOINTER_TO_UINT (n) &&
         ss_session_get_state (f->run.session) == SS_SESSION_WATCHING;
}

/* One cut on the first IMAP connection, where pattern first passes in direction; then the
 * engine must put every message in exactly one place, once, and report each once. */
static void
run_planned_cut (Fixture          *f,
                 SsFaultDirection  direction,
                 const char       *pattern)
{
  const guint n_messages = 6;
  const SsFault fault = { SS_FAULT_CUT, direction, 0, 0, pattern };
  SsTestMailCensus census;
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus_added (f->bed.dovecot, n_messages, "planned");
  SsFaultProxyStats stats;
  guint distinct;

  ss_fault_proxy_plan (f->imap_proxy, &fault);
  start_session (f);
  if (!ss_test_wait_until (f->run.context, all_handled, f, GUINT_TO_POINTER (n_messages),
                           120000))
    {
      report (f, "timed out", ss_test_mail_count (f->bed.dovecot, "Unfiltered"));
      g_error ("not done within 120 s");
    }
  ss_test_session_stop (&f->run, 30000);
  ss_fault_proxy_get_stats (f->imap_proxy, &stats);
  g_assert_cmpuint (stats.cuts, ==, 1);
  ss_test_mail_check (f->bed.dovecot, mails, FALSE, FALSE, &census);
  g_test_message ("%u in INBOX, %u in Spam, %u duplicates; %u records", census.in_inbox,
                  census.in_spam, census.duplicates, f->run.records->len);
  g_assert_cmpuint (census.duplicates, ==, 0);
  g_assert_cmpuint (f->run.records->len, ==, n_messages);
  g_assert_cmpuint (count_doubles (f, &distinct), ==, 0);
  g_assert_cmpuint (distinct, ==, n_messages);
}

/* The answer to a UID MOVE is lost (the server did move): the engine learns it after the
 * reconnect and reports each message once. */
static void
test_move_answer_lost (Fixture       *f,
                       gconstpointer  data)
{
  run_planned_cut (f, SS_FAULT_TO_CLIENT, "OK Move completed");
}

/* Without MOVE, the answer to a UID COPY is lost (the copies exist): after the reconnect
 * the originals must go, not be copied a second time. */
static void
test_copy_answer_lost (Fixture       *f,
                       gconstpointer  data)
{
  run_planned_cut (f, SS_FAULT_TO_CLIENT, "OK [COPYUID");
}

/* Without MOVE, the connection breaks after the originals were marked \Deleted, before
 * the UID EXPUNGE reaches the server: the originals must still go. */
static void
test_expunge_lost (Fixture       *f,
                   gconstpointer  data)
{
  run_planned_cut (f, SS_FAULT_TO_SERVER, "UID EXPUNGE");
}

static const SsTestDovecotOptions plaintext_options = { .plaintext_ok = TRUE };
static const SsTestDovecotOptions no_move_options = { .plaintext_ok = TRUE, .no_move = TRUE };

/* Before any thread exists: the session reads its debug knobs once, in ss_session_start(). */
static void
prepare (void)
{
  const char *seed_env = g_getenv ("SS_FAULT_SEED");

  g_setenv ("SS_DEBUG_TIMEOUT_MS", "1500", TRUE);
  g_setenv ("SS_DEBUG_BACKOFF_MAX_MS", "200", TRUE);
  base_seed = seed_env != NULL ? (guint32) g_ascii_strtoull (seed_env, NULL, 10)
                               : g_random_int ();
}

static const SsTestCase cases[] = {
  SS_TEST_WITH (move, &plaintext_options),
  SS_TEST_WITH (no_move, &no_move_options),
  SS_TEST_WITH (in_place_move, &plaintext_options),
  SS_TEST_WITH (in_place_no_move, &no_move_options),
  SS_TEST_WITH (move_answer_lost, &plaintext_options),
  SS_TEST_WITH (copy_answer_lost, &no_move_options),
  SS_TEST_WITH (expunge_lost, &no_move_options),
};

SS_TEST_SUITE_MAIN ("/spamsieve/faults/", Fixture, fixture_setup, fixture_teardown,
                    FALSE, prepare)
