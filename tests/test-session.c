/* test-session.c: the live engine (SsSession) in-process, on a test main context, against a
 * real dovecot and spamd.
 *
 * Where mail is, is read from dovecot's maildir directly; what the engine says comes from
 * its "record" signal, "state" property and verdict list, all dispatched on the test's own
 * GMainContext. One spamd (with --allow-tell) serves every test of the program. */
#define G_LOG_DOMAIN "test-session"

#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ss-error.h"
#include "ss-journal.h"
#include "ss-session.h"
#include "ss-spamd-client.h"
#include "ss-test-mailcheck.h"
#include "ss-test-servers.h"
#include "ss-test-utils.h"

typedef SsTestBedSession Fixture;   /* bed.dir: scratch for the journal */

static gboolean
unfiltered_empty (gpointer      dovecot,
                  gconstpointer data)
{
  return ss_test_mail_count (dovecot, "Unfiltered") == 0;
}

/* Settings: STARTTLS with the test CA, the shared spamd, plus extra groups. */
static SsConfig *
make_config (Fixture    *f,
             guint       parallel,
             const char *extra)
{
  g_autofree char *spamd = ss_test_spamd_dup_address (f->bed.spamd);
  g_autofree char *account = ss_test_dovecot_account (f->bed.dovecot, NULL);
  g_autofree char *text = ss_test_config_text (account, spamd, parallel, 30, extra);
  g_autoptr(GError) error = NULL;
  SsConfig *config;

  config = ss_config_load_data (text, strlen (text), &error);
  g_assert_no_error (error);
  return config;
}

static void
start_session (Fixture    *f,
               const char *password,
               guint       parallel,
               const char *extra)
{
  g_autoptr(SsConfig) config = make_config (f, parallel, extra);

  ss_test_session_start (&f->run, config, password);
}

static void
add_mail (Fixture    *f,
          SsTestMail *mail)
{
  ss_test_add (f->bed.dovecot, "Unfiltered", mail->content, mail->flags, 0);
}

/* The state changes so far, for messages (valid until the next call). */
static const char *
states_text (Fixture *f)
{
  static char *text;

  g_free (text);
  g_ptr_array_add (f->run.states, NULL);
  text = g_strjoinv (" ", (char **) f->run.states->pdata);
  g_ptr_array_set_size (f->run.states, f->run.states->len - 1);
  return text;
}

/* The record the engine sent for mail (fails the test if there is none). */
static const SsRecord *
record_for_mail (Fixture    *f,
                 SsTestMail *mail)
{
  for (guint i = 0; i < f->run.records->len; i++)
    {
      const SsRecord *r = g_ptr_array_index (f->run.records, i);
      if (g_strcmp0 (r->message_id, mail->message_id) == 0)
        return r;
    }
  g_error ("no record for <%s>", mail->message_id);
}

static int
cmp_gint64 (gconstpointer a,
            gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

/* ---------------------------------------------------------------------------------------- */

/* How long spamd takes for these bytes, asked directly (as the engine will send them). */
static gint64
direct_scan_ms (Fixture    *f,
                SsTestMail *mail)
{
  g_autofree char *address = ss_test_spamd_dup_address (f->bed.spamd);
  g_autoptr(GError) error = NULL;
  g_autoptr(SsSpamdClient) client = ss_spamd_client_new (address, NULL, 30000, &error);
  g_autoptr(GBytes) fetched = ss_test_as_fetched (mail->content);
  g_autoptr(SsSpamdReply) reply = NULL;
  gint64 start = g_get_monotonic_time ();

  g_assert_no_error (error);
  reply = ss_spamd_client_symbols_sync (client, fetched, NULL, &error);
  g_assert_no_error (error);
  return (g_get_monotonic_time () - start) / 1000;
}

/* Appends one message at a time while the engine idles in IDLE: it is handled within a
 * second plus its scan time. */
static void
test_idle_latency (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus (10, "idle");
  g_autoptr(GArray) beyond = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GString) figures = g_string_new (NULL);
  gint64 median, p95;

  start_session (f, "secret", 4, NULL);
  ss_test_session_wait_state (&f->run, "watching", 30000);

  for (guint i = 0; i < mails->len; i++)
    {
      SsTestMail *mail = g_ptr_array_index (mails, i);
      gint64 scan_ms = direct_scan_ms (f, mail);
      gint64 start, latency_ms, extra;
      const char *where;

      /* Back in IDLE (the state is set just before the IDLE command goes out). */
      ss_test_session_wait_state (&f->run, "watching", 30000);
      ss_test_session_iterate (&f->run, 200);
      start = g_get_monotonic_time ();
      add_mail (f, mail);
      ss_test_session_wait_records (&f->run, i + 1, 30000);
      latency_ms = (g_array_index (f->run.record_times, gint64, i) - start) / 1000;
      where = ss_test_mail_locate (f->bed.dovecot, mail);
      g_assert_true (g_strcmp0 (where, "INBOX") == 0 || g_strcmp0 (where, "Spam") == 0);
      g_assert_cmpstr (((SsRecord *) g_ptr_array_index (f->run.records, i))->message_id, ==,
                       mail->message_id);
      extra = latency_ms - scan_ms;
      g_array_append_val (beyond, extra);
      g_string_append_printf (figures, " %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT, latency_ms,
                              scan_ms);
      /* Never anywhere near a poll interval or an IDLE re-issue. */
      g_assert_cmpint (latency_ms, <, 1000 + scan_ms + 2000);
    }
  g_array_sort (beyond, cmp_gint64);
  median = g_array_index (beyond, gint64, beyond->len / 2);
  p95 = g_array_index (beyond, gint64, (beyond->len * 95 + 99) / 100 - 1);
  g_test_message ("IDLE latency (total/scan ms):%s", figures->str);
  g_test_message ("IDLE latency beyond the scan: median %" G_GINT64_FORMAT " ms, p95 %"
                  G_GINT64_FORMAT " ms, max %" G_GINT64_FORMAT " ms", median, p95,
                  g_array_index (beyond, gint64, beyond->len - 1));
  g_assert_cmpint (median, <, 1000);
  g_assert_cmpint (p95, <, 1000);
  g_assert_cmpuint (f->run.records->len, ==, mails->len);
}

/* Without IDLE the engine polls every poll-seconds: mail that arrives just after a check
 * waits for the next one, and no longer. */
static void
test_poll_fallback (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus (3, "poll");
  g_autoptr(GString) figures = g_string_new (NULL);

  start_session (f, "secret", 4, "[live]\npoll-seconds=5\n");
  ss_test_session_wait_state (&f->run, "watching", 30000);

  for (guint i = 0; i < mails->len; i++)
    {
      SsTestMail *mail = g_ptr_array_index (mails, i);
      gint64 scan_ms = direct_scan_ms (f, mail);
      gint64 start, latency_ms;

      /* Right after a check: "watching" is set before the worker sleeps. */
      ss_test_session_wait_state (&f->run, "scanning", 10000);
      ss_test_session_wait_state (&f->run, "watching", 10000);
      start = g_get_monotonic_time ();
      add_mail (f, mail);
      ss_test_session_wait_records (&f->run, i + 1, 20000);
      latency_ms = (g_array_index (f->run.record_times, gint64, i) - start) / 1000;
      g_string_append_printf (figures, " %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT, latency_ms,
                              scan_ms);
      /* It waited for the next poll (so IDLE was not used) ... */
      g_assert_cmpint (latency_ms, >=, 4000);
      /* ... and not longer than one interval plus the scan. */
      g_assert_cmpint (latency_ms, <, 5000 + scan_ms + 1500);
      g_assert_nonnull (ss_test_mail_locate (f->bed.dovecot, mail));
      g_assert_cmpstr (ss_test_mail_locate (f->bed.dovecot, mail), !=, "Unfiltered");
    }
  g_test_message ("poll latency (total/scan ms, poll-seconds=5):%s", figures->str);
}

static guint
count_in_file (const char *path,
               const char *needle)
{
  g_autofree char *text = NULL;
  guint n = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  for (const char *p = strstr (text, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

/* A refused password is tried once, then the engine waits for new credentials: no second
 * login while it waits, not even when asked to mark a message. Reloading with the right
 * password brings it back. */
static void
test_login_refused (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus (37, "login");
  SsTestMail *gtube = g_ptr_array_index (mails, 36);
  const char *log = ss_test_dovecot_get_log_file (f->bed.dovecot);
  const char *needle = "Password mismatch";
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SsRecord) record = NULL;
  gint64 until;

  add_mail (f, gtube);
  start_session (f, "wrong", 4, NULL);
  ss_test_session_wait_state (&f->run, "login-refused", 30000);
  g_assert_nonnull (strstr (ss_session_get_last_error (f->run.session), "Login refused"));
  g_assert_null (strstr (ss_session_get_last_error (f->run.session), "wrong"));
  /* dovecot writes its log line around the refusal; give it a moment. */
  until = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (count_in_file (log, needle) == 0 && g_get_monotonic_time () < until)
    ss_test_session_iterate (&f->run, 100);
  g_assert_cmpuint (count_in_file (log, needle), ==, 1);

  /* A mark while refused fails without logging in again. */
  ss_session_mark_async (f->run.session, "Unfiltered", 1, 1, TRUE, NULL, ss_test_result_cb,
                         &result);
  ss_test_wait_result (f->run.context, &result, 10000);
  record = ss_session_mark_finish (f->run.session, result, &error);
  g_assert_null (record);
  g_assert_nonnull (error);

  /* About ten seconds more: still one failed login, still waiting, mail untouched. */
  until = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < until)
    ss_test_session_iterate (&f->run, 200);
  g_assert_cmpuint (count_in_file (log, needle), ==, 1);
  g_assert_cmpuint (count_in_file (log, "auth failed"), <=, 1);
  g_assert_cmpstr (ss_test_session_state (&f->run), ==,
                   "login-refused");
  g_assert_cmpstr (ss_test_mail_locate (f->bed.dovecot, gtube), ==, "Unfiltered");
  g_assert_cmpuint (f->run.records->len, ==, 0);

  ss_session_reload (f->run.session, NULL, "secret");
  ss_test_session_wait_records (&f->run, 1, 30000);
  ss_test_session_wait_state (&f->run, "watching", 30000);
  g_assert_cmpstr (ss_test_mail_locate (f->bed.dovecot, gtube), ==, "Spam");
  g_assert_cmpuint (count_in_file (log, needle), ==, 1);
}

/* spamd dies in the middle of a pass and comes back: the engine backs off, retries, and
 * every message ends up in exactly one place, byte-identical, flags kept. */
static void
test_spamd_restart (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus_added (f->bed.dovecot, 40, "restart");
  g_autoptr(GError) error = NULL;
  SsTestMailCensus census;
  guint handled_before;

  start_session (f, "secret", 2, "[filter]\nchunk=4\n");
  ss_test_session_wait_records (&f->run, 3, 60000);
  ss_test_spamd_kill (f->bed.spamd);
  handled_before = f->run.records->len;
  if (!ss_test_session_wait (&f->run, ss_test_session_in_state, "backing-off", 30000))
    g_error ("no back-off after spamd died (state %s)",
             ss_test_session_state (&f->run));
  g_assert_true (f->run.saw_retry_at);
  g_assert_nonnull (strstr (ss_session_get_last_error (f->run.session), "spamd"));
  /* A few seconds without spamd: retries, no verdicts, nothing moved. */
  for (guint i = 0; i < 30; i++)
    ss_test_session_iterate (&f->run, 100);
  g_test_message ("%u of %u handled before spamd died; %u since",
                  handled_before, mails->len, f->run.records->len - handled_before);
  g_assert_true (ss_test_spamd_restart (f->bed.spamd, &error));
  g_assert_no_error (error);

  if (!ss_test_wait_until (f->run.context, unfiltered_empty, f->bed.dovecot, NULL, 120000))
    g_error ("Unfiltered not emptied after spamd came back (state %s: %s)",
             ss_test_session_state (&f->run),
             ss_session_get_last_error (f->run.session));
  ss_test_session_wait_state (&f->run, "watching", 30000);
  g_assert_cmpuint (handled_before, <, mails->len);
  ss_test_mail_check (f->bed.dovecot, mails, FALSE, FALSE, &census);
  g_test_message ("after the restart: %u in INBOX, %u in Spam", census.in_inbox,
                  census.in_spam);
  g_assert_cmpuint (f->run.records->len, ==, mails->len);
  for (guint i = 0; i < mails->len; i++)
    record_for_mail (f, g_ptr_array_index (mails, i));
}

static SsVerdict *
find_verdict (Fixture        *f,
              const SsRecord *record)
{
  GListModel *verdicts = ss_session_get_verdicts (f->run.session);

  for (guint i = 0; i < g_list_model_get_n_items (verdicts); i++)
    {
      g_autoptr(SsVerdict) v = g_list_model_get_item (verdicts, i);
      const SsRecord *r = ss_verdict_get_record (v);

      if (g_strcmp0 (r->message_id, record->message_id) == 0)
        return g_steal_pointer (&v);
    }
  return NULL;
}

/* Marking through the command API: learned by spamd, moved, keyword swapped, and the row in
 * the verdict list is the same object, updated. */
static void
test_mark (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus (37, "mark");
  SsTestMail *gtube = g_ptr_array_index (mails, 36);
  SsTestMail *ham = g_ptr_array_index (mails, 0);   /* ham-001 */
  g_autoptr(SsVerdict) gtube_row = NULL;
  g_autoptr(SsVerdict) ham_row = NULL;
  g_autoptr(SsRecord) marked_ham = NULL;
  g_autoptr(SsRecord) marked_spam = NULL;
  g_autoptr(GError) error = NULL;
  SsTestStoredMessage *m;
  guint spam0, ham0, spam1, ham1, n_rows;
  const SsRecord *r;

  add_mail (f, gtube);
  add_mail (f, ham);
  start_session (f, "secret", 4, NULL);
  ss_test_session_wait_records (&f->run, 2, 60000);
  ss_test_session_wait_state (&f->run, "watching", 30000);
  g_assert_cmpstr (record_for_mail (f, gtube)->destination, ==, "Spam");
  g_assert_cmpstr (record_for_mail (f, ham)->destination, ==, "INBOX");
  g_assert_true (ss_test_spamd_get_learned (f->bed.spamd, &spam0, &ham0, &error));
  g_assert_no_error (error);

  gtube_row = find_verdict (f, record_for_mail (f, gtube));
  ham_row = find_verdict (f, record_for_mail (f, ham));
  g_assert_nonnull (gtube_row);
  g_assert_nonnull (ham_row);
  n_rows = g_list_model_get_n_items (ss_session_get_verdicts (f->run.session));

  /* The spam row as ham: INBOX with $NotJunk, learned as ham. */
  marked_ham = ss_test_session_mark_record (&f->run, record_for_mail (f, gtube), FALSE);
  g_assert_cmpstr (marked_ham->destination, ==, "INBOX");
  g_assert_cmpint (marked_ham->verdict, ==, SS_VERDICT_LEARNED_HAM);
  g_assert_cmpuint (marked_ham->dest_uid, >, 0);
  m = ss_test_find_stored (f->bed.dovecot, "INBOX", gtube->content);
  g_assert_nonnull (m);
  g_assert_true (ss_test_has_keyword (m, "$NotJunk"));
  g_assert_false (ss_test_has_keyword (m, "$Junk"));
  ss_test_stored_message_free (m);
  g_assert_cmpstr (ss_test_mail_locate (f->bed.dovecot, gtube), ==, "INBOX");
  r = ss_verdict_get_record (gtube_row);
  g_assert_cmpstr (r->destination, ==, "INBOX");
  g_assert_cmpint (r->verdict, ==, SS_VERDICT_LEARNED_HAM);
  g_assert_cmpuint (r->dest_uid, ==, marked_ham->dest_uid);

  /* The ham row as spam: Spam with $Junk, learned as spam. */
  marked_spam = ss_test_session_mark_record (&f->run, record_for_mail (f, ham), TRUE);
  g_assert_cmpstr (marked_spam->destination, ==, "Spam");
  g_assert_cmpint (marked_spam->verdict, ==, SS_VERDICT_LEARNED_SPAM);
  m = ss_test_find_stored (f->bed.dovecot, "Spam", ham->content);
  g_assert_nonnull (m);
  g_assert_true (ss_test_has_keyword (m, "$Junk"));
  g_assert_false (ss_test_has_keyword (m, "$NotJunk"));
  g_assert_cmpstr (m->flags, ==, ham->flags);
  ss_test_stored_message_free (m);
  g_assert_cmpstr (ss_test_mail_locate (f->bed.dovecot, ham), ==, "Spam");
  r = ss_verdict_get_record (ham_row);
  g_assert_cmpstr (r->destination, ==, "Spam");
  g_assert_cmpint (r->verdict, ==, SS_VERDICT_LEARNED_SPAM);

  /* Updated in place: no new rows. */
  g_assert_cmpuint (g_list_model_get_n_items (ss_session_get_verdicts (f->run.session)), ==,
                    n_rows);
  g_assert_true (ss_test_spamd_get_learned (f->bed.spamd, &spam1, &ham1, &error));
  g_assert_no_error (error);
  g_test_message ("spamd learned: spam %u -> %u, ham %u -> %u", spam0, spam1, ham0, ham1);
  g_assert_cmpuint (ham1, ==, ham0 + 1);
  g_assert_cmpuint (spam1, ==, spam0 + 1);
}

static guint
n_verdicts (SsTestSession *t)
{
  return g_list_model_get_n_items (ss_session_get_verdicts (t->session));
}

static gboolean
has_verdicts (gpointer      t,
              gconstpointer n)
{
  return n_verdicts (t) >= GPOINTER_TO_UINT (n);
}

static gboolean
has_no_verdicts (gpointer      t,
                 gconstpointer data)
{
  return n_verdicts (t) == 0;
}

/* A new session on the same journal shows the earlier verdicts (once its history event has
 * arrived), newest first, with where each message went. */
static void
test_history (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus_added (f->bed.dovecot, 3, "history");
  g_autoptr(GPtrArray) earlier = g_ptr_array_new_with_free_func ((GDestroyNotify) ss_record_free);
  GListModel *verdicts;

  start_session (f, "secret", 4, NULL);
  ss_test_session_wait_records (&f->run, mails->len, 60000);
  for (guint i = 0; i < f->run.records->len; i++)
    g_ptr_array_add (earlier, ss_record_copy (g_ptr_array_index (f->run.records, i)));
  ss_test_session_stop (&f->run, 30000);
  g_ptr_array_set_size (f->run.records, 0);

  start_session (f, "secret", 4, NULL);
  g_assert_true (ss_test_session_wait (&f->run, has_verdicts, GUINT_TO_POINTER (mails->len),
                                       30000));
  verdicts = ss_session_get_verdicts (f->run.session);
  g_assert_cmpuint (g_list_model_get_n_items (verdicts), ==, mails->len);
  for (guint i = 0; i < earlier->len; i++)
    {
      const SsRecord *before = g_ptr_array_index (earlier, i);
      g_autoptr(SsVerdict) v = g_list_model_get_item (verdicts, earlier->len - 1 - i);
      const SsRecord *now = ss_verdict_get_record (v);

      g_assert_cmpstr (now->message_id, ==, before->message_id);
      g_assert_cmpstr (now->destination, ==, before->destination);
      g_assert_cmpint (now->verdict, ==, before->verdict);
      g_assert_cmpuint (now->dest_uid, ==, before->dest_uid);
      g_assert_cmpuint (now->dest_uidvalidity, ==, before->dest_uidvalidity);
      g_assert_cmpstr (now->subject, ==, before->subject);
    }
  /* Nothing was handled again. */
  ss_test_session_wait_state (&f->run, "watching", 30000);
  g_assert_cmpuint (f->run.records->len, ==, 0);

  /* Settings for another account: its (empty) history replaces this one's; back again,
   * this one's returns. */
  {
    g_autoptr(SsConfig) other = make_config (f, 4, NULL);
    g_autoptr(SsConfig) same = make_config (f, 4, NULL);

    g_free (other->user);
    other->user = g_strdup ("someone-else");
    ss_session_reload (f->run.session, other, "wrong");
    g_assert_true (ss_test_session_wait (&f->run, has_no_verdicts, NULL, 30000));
    ss_session_reload (f->run.session, same, "secret");
    g_assert_true (ss_test_session_wait (&f->run, has_verdicts, GUINT_TO_POINTER (mails->len),
                                       30000));
    g_assert_cmpuint (g_list_model_get_n_items (verdicts), ==, mails->len);
  }
}

/* Undo leaves the row as it was, and one row per message survives a restart: "Not spam" on a
 * spam row then Undo gives back the spam verdict with its score, at its new place; a second
 * row keeps its correction; a new session on the journal shows the same rows.
 * Registered after "mark": both teach the one spamd the same bodies (GTUBE, ham-001), and
 * "mark" counts what spamd learned. */
static void
test_undo_history (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus (37, "undo");
  SsTestMail *gtube = g_ptr_array_index (mails, 36);
  SsTestMail *ham = g_ptr_array_index (mails, 0);
  g_autoptr(SsVerdict) gtube_row = NULL;
  g_autoptr(SsRecord) scan = NULL;
  g_autoptr(SsRecord) as_ham = NULL;
  g_autoptr(SsRecord) undone = NULL;
  g_autoptr(SsRecord) as_spam = NULL;
  g_autoptr(GPtrArray) before = g_ptr_array_new_with_free_func ((GDestroyNotify) ss_record_free);
  GListModel *verdicts;
  const SsRecord *r;

  add_mail (f, gtube);
  add_mail (f, ham);
  start_session (f, "secret", 4, NULL);
  ss_test_session_wait_records (&f->run, 2, 60000);
  ss_test_session_wait_state (&f->run, "watching", 30000);
  scan = ss_record_copy (record_for_mail (f, gtube));
  g_assert_cmpint (scan->verdict, ==, SS_VERDICT_SPAM);
  gtube_row = find_verdict (f, scan);

  as_ham = ss_test_session_mark_record (&f->run, scan, FALSE);
  /* The toast's Undo: back to spam. */
  undone = ss_test_session_mark_record (&f->run, as_ham, TRUE);
  g_assert_cmpstr (undone->destination, ==, "Spam");
  g_assert_cmpstr (ss_test_mail_locate (f->bed.dovecot, gtube), ==, "Spam");
  r = ss_verdict_get_record (gtube_row);
  g_assert_cmpint (r->verdict, ==, SS_VERDICT_SPAM);
  g_assert_true (r->scanned);
  g_assert_cmpfloat (r->score, ==, scan->score);
  g_assert_cmpint (r->time, ==, scan->time);
  g_assert_cmpstr (r->destination, ==, "Spam");
  g_assert_cmpuint (r->dest_uid, ==, undone->dest_uid);
  g_assert_cmpuint (ss_verdict_get_original (gtube_row)->verdict, ==, SS_VERDICT_SPAM);

  /* A correction that stays. */
  as_spam = ss_test_session_mark_record (&f->run, record_for_mail (f, ham), TRUE);
  verdicts = ss_session_get_verdicts (f->run.session);
  g_assert_cmpuint (g_list_model_get_n_items (verdicts), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(SsVerdict) v = g_list_model_get_item (verdicts, i);

      g_ptr_array_add (before, ss_record_copy (ss_verdict_get_record (v)));
    }
  ss_test_session_stop (&f->run, 30000);
  g_ptr_array_set_size (f->run.records, 0);

  start_session (f, "secret", 4, NULL);
  g_assert_true (ss_test_session_wait (&f->run, has_verdicts, GUINT_TO_POINTER (2), 30000));
  ss_test_session_wait_state (&f->run, "watching", 30000);
  verdicts = ss_session_get_verdicts (f->run.session);
  g_assert_cmpuint (g_list_model_get_n_items (verdicts), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(SsVerdict) v = g_list_model_get_item (verdicts, i);
      const SsRecord *was = g_ptr_array_index (before, i);

      r = ss_verdict_get_record (v);
      g_test_message ("row %u: %s %s %.1f", i, r->message_id,
                      ss_verdict_kind_to_string (r->verdict), r->score);
      g_assert_cmpstr (r->message_id, ==, was->message_id);
      g_assert_cmpint (r->verdict, ==, was->verdict);
      g_assert_cmpint (r->scanned, ==, was->scanned);
      g_assert_cmpfloat (r->score, ==, was->score);
      g_assert_cmpint (r->time, ==, was->time);
      g_assert_cmpstr (r->destination, ==, was->destination);
      g_assert_cmpuint (r->dest_uid, ==, was->dest_uid);
      /* The ham row still carries its correction; the gtube row none. */
      if (g_strcmp0 (r->message_id, gtube->message_id) == 0)
        g_assert_cmpint (r->verdict, ==, SS_VERDICT_SPAM);
      else
        {
          g_assert_cmpint (r->verdict, ==, SS_VERDICT_LEARNED_SPAM);
          g_assert_cmpint (ss_verdict_get_original (v)->verdict, ==, SS_VERDICT_HAM);
          g_assert_cmpuint (r->dest_uid, ==, as_spam->dest_uid);
        }
    }
  g_assert_cmpuint (f->run.records->len, ==, 0);
}

/* A message the user dropped into a learning folder has a record there (another folder and
 * UID, the same Message-ID): on reload it joins the message's row, which keeps its scan. */
static void
test_history_learned_elsewhere (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus (37, "elsewhere");
  SsTestMail *gtube = g_ptr_array_index (mails, 36);
  g_autoptr(SsConfig) config = make_config (f, 4, NULL);
  g_autofree char *account = ss_config_dup_account_id (config);
  g_autoptr(SsRecord) learned = NULL;
  g_autoptr(SsVerdict) row = NULL;
  g_autoptr(GError) error = NULL;
  GListModel *verdicts;
  const SsRecord *r;
  double score;

  add_mail (f, gtube);
  start_session (f, "secret", 4, NULL);
  ss_test_session_wait_records (&f->run, 1, 60000);
  learned = ss_record_copy (record_for_mail (f, gtube));
  score = learned->score;
  ss_test_session_stop (&f->run, 30000);
  g_ptr_array_set_size (f->run.records, 0);

  /* What the engine journals when it learns a message from Spam/False Positives. */
  {
    g_autoptr(SsJournal) journal = ss_journal_open (f->run.journal, &error);

    g_assert_no_error (error);
    g_free (learned->folder);
    learned->folder = g_strdup ("Spam/False Positives");
    learned->uid = 1;
    learned->uidvalidity = 99;
    learned->scanned = FALSE;
    learned->score = 0;
    learned->verdict = SS_VERDICT_LEARNED_HAM;
    g_free (learned->destination);
    learned->destination = g_strdup ("INBOX");
    learned->dest_uid = 42;
    learned->time += 60;
    g_assert_true (ss_journal_add_record (journal, account, learned, &error));
    g_assert_no_error (error);
  }

  start_session (f, "secret", 4, NULL);
  g_assert_true (ss_test_session_wait (&f->run, has_verdicts, GUINT_TO_POINTER (1), 30000));
  ss_test_session_wait_state (&f->run, "watching", 30000);
  verdicts = ss_session_get_verdicts (f->run.session);
  g_assert_cmpuint (g_list_model_get_n_items (verdicts), ==, 1);
  row = g_list_model_get_item (verdicts, 0);
  r = ss_verdict_get_record (row);
  g_assert_cmpint (r->verdict, ==, SS_VERDICT_LEARNED_HAM);
  g_assert_true (r->scanned);
  g_assert_cmpfloat (r->score, ==, score);
  g_assert_cmpstr (r->destination, ==, "INBOX");
  g_assert_cmpuint (r->dest_uid, ==, 42);
  g_assert_cmpint (ss_verdict_get_original (row)->verdict, ==, SS_VERDICT_SPAM);
}

/* Stop in the middle of a pass: quickly, and no message half-moved. */
static void
test_stop_mid_pass (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus_added (f->bed.dovecot, 40, "stop");
  gint64 ms;

  start_session (f, "secret", 2, "[filter]\nchunk=4\n");
  ss_test_session_wait_records (&f->run, 1, 60000);
  g_assert_cmpstr (ss_test_session_state (&f->run), ==,
                   "scanning");
  ms = ss_test_session_stop (&f->run, 5000);
  g_test_message ("stopped in %" G_GINT64_FORMAT " ms after %u records", ms, f->run.records->len);
  g_assert_cmpint (ms, <, 5000);
  /* It was a stop mid-pass, and every move that happened was reported. */
  ss_test_mail_check_stopped (f->bed.dovecot, mails, f->run.records->len);
}

/* Unfiltered is deleted and created again behind the engine's back (a new UIDVALIDITY):
 * the engine gets back to it and takes the new mail; nothing is lost. */
static void
test_uidvalidity_change (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus (4, "uidvalidity");
  g_autofree char *folder_dir = g_build_filename (ss_test_dovecot_get_dir (f->bed.dovecot),
                                                  "Maildir", ".Unfiltered", NULL);
  g_autoptr(GPtrArray) after = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  SsTestMailCensus census;
  guint32 old_validity;

  add_mail (f, g_ptr_array_index (mails, 0));
  add_mail (f, g_ptr_array_index (mails, 1));
  start_session (f, "secret", 4, NULL);
  ss_test_session_wait_records (&f->run, 2, 60000);
  ss_test_session_wait_state (&f->run, "watching", 30000);
  old_validity = ((SsRecord *) g_ptr_array_index (f->run.records, 0))->uidvalidity;
  g_assert_cmpuint (old_validity, >, 0);

  /* Gone: the maildir folder with its dovecot-uidlist. */
  ss_test_rmrf (folder_dir);
  g_assert_false (g_file_test (folder_dir, G_FILE_TEST_EXISTS));
  for (guint i = 0; i < 20; i++)
    ss_test_session_iterate (&f->run, 100);
  g_test_message ("states so far: %s", states_text (f));
  /* Back, newer UIDVALIDITY (dovecot uses the time), with new mail. */
  g_usleep (1100 * 1000);
  g_assert_true (ss_test_dovecot_create_folder (f->bed.dovecot, "Unfiltered", &error));
  g_assert_no_error (error);
  add_mail (f, g_ptr_array_index (mails, 2));
  add_mail (f, g_ptr_array_index (mails, 3));
  g_ptr_array_add (after, g_ptr_array_index (mails, 2));
  g_ptr_array_add (after, g_ptr_array_index (mails, 3));
  /* Retried with back-off (1 s, 2 s, ... if it noticed the folder gone). */
  if (!ss_test_session_wait (&f->run, ss_test_session_has_records, GUINT_TO_POINTER (4),
                             60000))
    g_error ("the new mail was not handled (state %s: %s; states: %s)",
             ss_test_session_state (&f->run),
             ss_session_get_last_error (f->run.session), states_text (f));
  g_test_message ("states: %s", states_text (f));
  ss_test_mail_check (f->bed.dovecot, mails, FALSE, FALSE, &census);
  for (guint i = 2; i < 4; i++)
    {
      const SsRecord *r = record_for_mail (f, g_ptr_array_index (mails, i));

      g_assert_cmpuint (r->uidvalidity, !=, old_validity);
    }
  g_assert_cmpuint (f->run.records->len, ==, 4);
}

/* A correction made in another mail client while the session watches (a drag from Spam into
 * Spam/False Positives) takes effect within a minute: spamd learns it as ham, it goes to
 * INBOX, and its one row says so. */
static void
test_correction_while_watching (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus (37, "watching");
  SsTestMail *gtube = g_ptr_array_index (mails, 36);
  g_autoptr(GError) error = NULL;
  const SsRecord *learned = NULL;
  guint spam0, ham0, spam1, ham1;
  gint64 start, took;

  add_mail (f, gtube);
  start_session (f, "secret", 4, NULL);
  ss_test_session_wait_records (&f->run, 1, 60000);
  ss_test_session_wait_state (&f->run, "watching", 30000);
  g_assert_cmpstr (record_for_mail (f, gtube)->destination, ==, "Spam");
  g_assert_true (ss_test_spamd_get_learned (f->bed.spamd, &spam0, &ham0, &error));
  g_assert_no_error (error);

  start = g_get_monotonic_time ();
  ss_test_drag (f->bed.dovecot, "Spam", gtube->content, "Spam/False Positives");
  ss_test_session_wait_records (&f->run, 2, 90000);
  took = g_get_monotonic_time () - start;
  g_test_message ("learned %.1f s after the drag", took / 1e6);
  g_assert_cmpint (took, <, 60 * G_USEC_PER_SEC);
  for (guint i = 0; i < f->run.records->len; i++)
    {
      const SsRecord *r = g_ptr_array_index (f->run.records, i);

      if (r->verdict == SS_VERDICT_LEARNED_HAM)
        learned = r;
    }
  g_assert_nonnull (learned);
  g_assert_cmpstr (learned->message_id, ==, gtube->message_id);
  g_assert_cmpstr (learned->destination, ==, "INBOX");
  g_assert_cmpuint (ss_test_count_stored (f->bed.dovecot, "INBOX", gtube->content), ==, 1);
  g_assert_cmpuint (ss_test_count_stored (f->bed.dovecot, "Spam/False Positives", NULL), ==, 0);
  g_assert_cmpuint (ss_test_count_stored (f->bed.dovecot, "Spam", NULL), ==, 0);
  g_assert_true (ss_test_spamd_get_learned (f->bed.spamd, &spam1, &ham1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ham1, ==, ham0 + 1);
  g_assert_cmpuint (g_list_model_get_n_items (ss_session_get_verdicts (f->run.session)), ==, 1);
}

static const SsTestDovecotOptions no_idle_options = { .no_idle = TRUE };

static const SsTestCase cases[] = {
  SS_TEST (idle_latency),
  SS_TEST_WITH (poll_fallback, &no_idle_options),
  SS_TEST (login_refused),
  SS_TEST (spamd_restart),
  SS_TEST (mark),
  SS_TEST (history),
  SS_TEST (undo_history),
  SS_TEST (history_learned_elsewhere),
  SS_TEST (correction_while_watching),
  SS_TEST (stop_mid_pass),
  SS_TEST (uidvalidity_change),
};

SS_TEST_SUITE_MAIN ("/spamsieve/session/", Fixture, ss_test_bed_session_setup,
                    ss_test_bed_session_teardown,
                    TRUE, NULL)
