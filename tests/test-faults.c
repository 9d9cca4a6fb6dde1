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
 * inside IMAP responses and literals rather than inside TLS records. */
#define G_LOG_DOMAIN "test-faults"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "ss-fault-proxy.h"
#include "ss-session.h"
#include "ss-test-mailcheck.h"
#include "ss-test-servers.h"

typedef struct
{
  SsTestDovecot *dovecot;
  SsFaultProxy  *imap_proxy;
  SsFaultProxy  *spamd_proxy;
  char          *dir;
  char          *journal;
  GMainContext  *context;
  SsSession     *session;
  GHashTable    *records;       /* message-id -> number of records */
  guint          n_records;
} Fixture;

static SsTestSpamd *shared_spamd;
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

/* Without MOVE: as many faults in the commands as in the answers, so that some land
 * between a COPY and its EXPUNGE. */
static const SsFaultRandom imap_faults_no_move = {
  .probability_percent = 100,
  .stall_percent = 35,
  .short_stall_percent = 60,
  .short_stall_max_ms = 800,
  .max_offset_to_server = 2 * 1024,
  .max_offset_to_client = 100 * 1024,
  .to_client_percent = 50,
};

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

  f->dovecot = ss_test_dovecot_start (data, &error);
  g_assert_no_error (error);
  f->imap_proxy = ss_fault_proxy_new ("imap", ss_test_dovecot_get_imap_port (f->dovecot),
                                      &error);
  g_assert_no_error (error);
  f->spamd_proxy = ss_fault_proxy_new ("spamd", ss_test_spamd_get_port (shared_spamd), &error);
  g_assert_no_error (error);
  /* spamc half-closes after its request; its timeout is 5 s. */
  ss_fault_proxy_set_half_close (f->spamd_proxy, TRUE, 10000);
  f->dir = ss_test_mkdtemp ();
  f->journal = g_build_filename (f->dir, "state.sqlite", NULL);
  f->context = g_main_context_new ();
  g_main_context_push_thread_default (f->context);
  f->records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static gboolean
timer_cb (gpointer data)
{
  return G_SOURCE_REMOVE;
}

static void
iterate (Fixture *f,
         guint    ms)
{
  GSource *timer = g_timeout_source_new (ms);

  g_source_set_callback (timer, timer_cb, NULL, NULL);
  g_source_attach (timer, f->context);
  g_main_context_iteration (f->context, TRUE);
  g_source_destroy (timer);
  g_source_unref (timer);
}

static void
stop_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_assert_true (ss_session_stop_finish (SS_SESSION (object), result, NULL));
  *(gboolean *) user_data = TRUE;
}

static void
stop_session (Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  gboolean done = FALSE;

  ss_session_stop_async (f->session, NULL, stop_done_cb, &done);
  while (!done)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("the session did not stop within 30 s");
      iterate (f, 100);
    }
  g_signal_handlers_disconnect_by_data (f->session, f);
  g_clear_object (&f->session);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->session != NULL)
    stop_session (f);
  while (g_main_context_pending (f->context))
    g_main_context_iteration (f->context, FALSE);
  g_main_context_pop_thread_default (f->context);
  g_main_context_unref (f->context);
  ss_fault_proxy_free (f->imap_proxy);
  ss_fault_proxy_free (f->spamd_proxy);
  ss_test_dovecot_stop (f->dovecot);
  ss_test_rmrf (f->dir);
  g_free (f->dir);
  g_free (f->journal);
  g_hash_table_unref (f->records);
}

static void
on_record (SsSession      *session,
           const SsRecord *record,
           Fixture        *f)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (f->records, record->message_id));

  g_hash_table_insert (f->records, g_strdup (record->message_id), GUINT_TO_POINTER (n + 1));
  f->n_records++;
}

static void
start_session (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsConfig) config = NULL;
  g_autofree char *text = NULL;

  text = g_strdup_printf ("[account]\nurl=imap://127.0.0.1:%u\ntls=none\nuser=tester\n"
                          "[spamd]\naddress=127.0.0.1:%u\nparallel=4\ntimeout=5\n"
                          "[filter]\nchunk=4\n",
                          ss_fault_proxy_get_port (f->imap_proxy),
                          ss_fault_proxy_get_port (f->spamd_proxy));
  config = ss_config_load_data (text, strlen (text), &error);
  g_assert_no_error (error);
  f->session = ss_session_new (config, "secret", f->journal);
  g_signal_connect (f->session, "record", G_CALLBACK (on_record), f);
  ss_session_start (f->session);
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
  const char *state = f->session != NULL
                      ? ss_session_state_to_string (ss_session_get_state (f->session))
                      : "-";
  const char *error = f->session != NULL ? ss_session_get_last_error (f->session) : NULL;

  ss_fault_proxy_get_stats (f->imap_proxy, &imap);
  ss_fault_proxy_get_stats (f->spamd_proxy, &spamd);
  g_test_message ("%s: %u left in Unfiltered, %u records; IMAP: %u connections, %u cuts, "
                  "%u stalls (%u ended), %" G_GUINT64_FORMAT " KB to the engine; spamd: %u "
                  "connections, %u cuts, %u stalls (%u ended); state %s%s%s", when, left,
                  f->n_records, imap.connections, imap.cuts, imap.stalls, imap.short_stalls,
                  imap.bytes_to_client / 1024, spamd.connections, spamd.cuts, spamd.stalls,
                  spamd.short_stalls, state, error != NULL ? ": " : "",
                  error != NULL ? error : "");
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
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus (n_messages, "fault");
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = start + (gint64) timeout_s * G_USEC_PER_SEC;
  gint64 next_report = start + 15 * G_USEC_PER_SEC;
  SsFaultProxyStats imap, spamd;
  guint left = n_messages;
  guint faults, doubles = 0;
  GHashTableIter iter;
  gpointer value;

  g_test_message ("seed %u (SS_FAULT_SEED=%u in the environment repeats the program)", seed,
                  base_seed);
  ss_test_mail_add_all (f->dovecot, "Unfiltered", mails);
  ss_fault_proxy_set_random (f->imap_proxy, imap_random, seed);
  ss_fault_proxy_set_random (f->spamd_proxy, &spamd_faults, seed ^ 0x5a5a5a5a);
  start_session (f);

  while (left > 0)
    {
      for (guint i = 0; i < 5; i++)
        iterate (f, 100);
      left = ss_test_mail_count (f->dovecot, "Unfiltered");
      if (g_get_monotonic_time () > next_report)
        {
          report (f, "progress", left);
          next_report += 15 * G_USEC_PER_SEC;
        }
      if (g_get_monotonic_time () > deadline)
        {
          report (f, "timed out", left);
          g_error ("%u of %u messages still in Unfiltered after %u s", left, n_messages,
                   timeout_s);
        }
    }
  g_test_message ("Unfiltered emptied in %.1f s",
                  (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC);

  /* No new faults; the engine settles (a planned one may still fire on an open link). */
  ss_fault_proxy_set_random (f->imap_proxy, NULL, 0);
  ss_fault_proxy_set_random (f->spamd_proxy, NULL, 0);
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (ss_session_get_state (f->session) != SS_SESSION_WATCHING)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("the engine did not settle");
      iterate (f, 100);
    }
  stop_session (f);
  report (f, "end", 0);

  ss_test_mail_check (f->dovecot, mails, FALSE, FALSE, census);
  g_test_message ("%u in INBOX, %u in Spam, %u duplicates", census->in_inbox, census->in_spam,
                  census->duplicates);

  /* Each message handled once: at most one record each (a record can be missing when the
   * answer to a MOVE was cut; the mail itself is checked above). */
  g_hash_table_iter_init (&iter, f->records);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    doubles += GPOINTER_TO_UINT (value) > 1;
  g_test_message ("%u records for %u messages (%u distinct, %u with more than one)",
                  f->n_records, n_messages, g_hash_table_size (f->records), doubles);
  g_assert_cmpuint (g_hash_table_size (f->records), <=, n_messages);

  ss_fault_proxy_get_stats (f->imap_proxy, &imap);
  ss_fault_proxy_get_stats (f->spamd_proxy, &spamd);
  faults = faults_fired (&imap) + faults_fired (&spamd);
  *cuts = imap.cuts + spamd.cuts;
  g_test_message ("faults injected and survived: %u (IMAP %u cuts + %u stalls, spamd %u cuts "
                  "+ %u stalls; %u stalls ended by themselves)", faults, imap.cuts,
                  imap.stalls, spamd.cuts, spamd.stalls, imap.short_stalls + spamd.short_stalls);
  g_assert_cmpuint (doubles, ==, 0);
  return faults;
}

/* 300 messages, at least 200 random cuts (and stalls besides), UID MOVE. */
static void
test_move (Fixture       *f,
           gconstpointer  data)
{
  SsTestMailCensus census;
  guint cuts;
  guint faults = run_pass (f, 300, &imap_faults, base_seed, 420, &census, &cuts);

  g_assert_cmpuint (census.duplicates, ==, 0);
  g_assert_cmpuint (cuts, >=, 200);
  g_assert_cmpuint (faults, >, cuts);
}

/* Without MOVE: COPY + STORE \Deleted + EXPUNGE. A cut between the COPY and the EXPUNGE
 * leaves the message in both places until the journal heals it. */
static void
test_no_move (Fixture       *f,
              gconstpointer  data)
{
  SsTestMailCensus census;
  guint cuts;
  guint faults = run_pass (f, 80, &imap_faults_no_move, base_seed + 1, 300, &census, &cuts);

  g_assert_cmpuint (faults, >=, 40);
  g_assert_cmpuint (census.duplicates, ==, 0);
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
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus (n_messages, "planned");
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  SsFaultProxyStats stats;

  ss_test_mail_add_all (f->dovecot, "Unfiltered", mails);
  ss_fault_proxy_plan (f->imap_proxy, &fault);
  start_session (f);
  while (ss_test_mail_count (f->dovecot, "Unfiltered") > 0 || f->n_records < n_messages ||
         ss_session_get_state (f->session) != SS_SESSION_WATCHING)
    {
      if (g_get_monotonic_time () > deadline)
        {
          report (f, "timed out", ss_test_mail_count (f->dovecot, "Unfiltered"));
          g_error ("not done within 120 s");
        }
      iterate (f, 100);
    }
  stop_session (f);
  ss_fault_proxy_get_stats (f->imap_proxy, &stats);
  g_assert_cmpuint (stats.cuts, ==, 1);
  ss_test_mail_check (f->dovecot, mails, FALSE, FALSE, &census);
  g_test_message ("%u in INBOX, %u in Spam, %u duplicates; %u records", census.in_inbox,
                  census.in_spam, census.duplicates, f->n_records);
  g_assert_cmpuint (census.duplicates, ==, 0);
  g_assert_cmpuint (f->n_records, ==, n_messages);
  g_assert_cmpuint (g_hash_table_size (f->records), ==, n_messages);
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

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  const char *seed_env;
  int ret;

  /* Before any thread exists; read once by ss_session_start(). */
  g_setenv ("SS_DEBUG_TIMEOUT_MS", "1500", TRUE);
  g_setenv ("SS_DEBUG_BACKOFF_MAX_MS", "200", TRUE);

  g_test_init (&argc, &argv, NULL);

  seed_env = g_getenv ("SS_FAULT_SEED");
  base_seed = seed_env != NULL ? (guint32) g_ascii_strtoull (seed_env, NULL, 10)
                               : g_random_int ();

  shared_spamd = ss_test_spamd_start (FALSE, &error);
  g_assert_no_error (error);

#define ADD(path, options, func) \
  g_test_add ("/spamsieve/faults/" path, Fixture, options, fixture_setup, func, \
              fixture_teardown)
  ADD ("move", &plaintext_options, test_move);
  ADD ("no-move", &no_move_options, test_no_move);
  ADD ("move-answer-lost", &plaintext_options, test_move_answer_lost);
  ADD ("copy-answer-lost", &no_move_options, test_copy_answer_lost);
  ADD ("expunge-lost", &no_move_options, test_expunge_lost);
#undef ADD

  ret = g_test_run ();
  ss_test_spamd_stop (shared_spamd);
  return ret;
}
