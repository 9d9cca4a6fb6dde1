/* test-moves.c: the user's own moves, learned by the live engine (SsSession in-process)
 * against a real dovecot and spamd. "Another mail program" is a second IMAP connection of the
 * test's own doing a UID MOVE; what spamd learned is read from its Bayes database. */
#define G_LOG_DOMAIN "test-moves"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "ss-assembly.h"
#include "ss-imap-client.h"
#include "ss-session.h"
#include "ss-test-mailcheck.h"
#include "ss-test-servers.h"
#include "ss-test-utils.h"

/* The engine looks for moves every 30 s between IDLEs: a move must be learned within a
 * minute. */
#define MOVE_LEARNED_MS 60000

typedef SsTestBedSession Fixture;

static SsConfig *
make_config (Fixture *f)
{
  g_autofree char *spamd = ss_test_spamd_dup_address (f->bed.spamd);
  g_autofree char *account = ss_test_dovecot_account (f->bed.dovecot, NULL);
  /* No uncertain band: these tests need plain spam / ham verdicts to move around. */
  g_autofree char *text = ss_test_config_text (account, spamd, 2, 30,
                                               "[filter]\nuncertain-band=0\n");
  g_autoptr(GError) error = NULL;
  SsConfig *config = ss_config_load_data (text, strlen (text), &error);

  g_assert_no_error (error);
  return config;
}

static void
start_session (Fixture *f)
{
  g_autoptr(SsConfig) config = make_config (f);

  ss_test_session_start (&f->run, config, "secret");
}

/* a and b into Unfiltered, spamd's learned counts before, then a session that filters both
 * and watches. */
static void
filter_two (Fixture    *f,
            SsTestMail *a,
            SsTestMail *b,
            guint      *n_spam,
            guint      *n_ham)
{
  ss_test_add (f->bed.dovecot, "Unfiltered", a->content, a->flags, 0);
  ss_test_add (f->bed.dovecot, "Unfiltered", b->content, b->flags, 0);
  ss_test_spamd_learned_checked (f->bed.spamd, n_spam, n_ham);
  start_session (f);
  ss_test_session_wait_records (&f->run, 2, 60000);
  ss_test_session_wait_state (&f->run, "watching", 30000);
}

/* The newest record of mail with verdict, or NULL. */
static const SsRecord *
find_record (Fixture       *f,
             SsTestMail    *mail,
             SsVerdictKind  verdict)
{
  for (guint i = f->run.records->len; i > 0; i--)
    {
      const SsRecord *r = g_ptr_array_index (f->run.records, i - 1);

      if (g_strcmp0 (r->message_id, mail->message_id) == 0 && r->verdict == verdict)
        return r;
    }
  return NULL;
}

/* Records of moves learned with verdict: a learned move stays where it is (a click's record
 * goes from one folder to another). */
static guint
count_moves (Fixture       *f,
             SsVerdictKind  verdict)
{
  guint n = 0;

  for (guint i = 0; i < f->run.records->len; i++)
    {
      const SsRecord *r = g_ptr_array_index (f->run.records, i);

      n += r->verdict == verdict && g_strcmp0 (r->folder, r->destination) == 0;
    }
  return n;
}

typedef struct
{
  SsTestMail    *mail;
  SsVerdictKind  verdict;
} Wanted;

static gboolean
has_record (gpointer      t,
            gconstpointer data)
{
  const Wanted *w = data;
  SsTestSession *run = t;

  for (guint i = 0; i < run->records->len; i++)
    {
      const SsRecord *r = g_ptr_array_index (run->records, i);

      if (g_strcmp0 (r->message_id, w->mail->message_id) == 0 && r->verdict == w->verdict)
        return TRUE;
    }
  return FALSE;
}

static gboolean
never (gpointer      t,
       gconstpointer data)
{
  return FALSE;
}

/* Waits for the record of a learned move; returns how long it took (ms). */
static gint64
wait_learned (Fixture       *f,
              SsTestMail    *mail,
              SsVerdictKind  verdict)
{
  Wanted w = { mail, verdict };
  gint64 start = g_get_monotonic_time ();

  if (!ss_test_session_wait (&f->run, has_record, &w, MOVE_LEARNED_MS))
    g_error ("<%s> was not learned as %s within %d s", mail->message_id,
             ss_verdict_kind_to_string (verdict), MOVE_LEARNED_MS / 1000);
  return (g_get_monotonic_time () - start) / 1000;
}

/* Another mail program moves the message (folder, uid) to dest, with UID MOVE. */
static void
user_move (Fixture    *f,
           const char *folder,
           guint32     uid,
           const char *dest)
{
  g_autoptr(SsConfig) config = make_config (f);
  g_autoptr(SsImapClient) client = ss_imap_client_new (config);
  g_autoptr(GError) error = NULL;
  SsImapMailbox mailbox;

  g_assert_cmpuint (uid, >, 0);
  g_assert_true (ss_imap_client_connect (client, "secret", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ss_imap_client_select (client, folder, &mailbox, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ss_imap_client_uid_move (client, &uid, 1, dest, NULL, NULL, NULL, NULL,
                                          &error));
  g_assert_no_error (error);
  ss_imap_client_disconnect (client);
}

static void
assert_keywords (Fixture    *f,
                 const char *folder,
                 SsTestMail *mail,
                 const char *has,
                 const char *has_not)
{
  g_autoptr(SsTestStoredMessage) m = ss_test_find_stored (f->bed.dovecot, folder,
                                                          mail->content);

  g_assert_nonnull (m);
  g_assert_true (ss_test_has_keyword (m, has));
  g_assert_false (ss_test_has_keyword (m, has_not));
}

/* ---------------------------------------------------------------------------------------- */

/* Ham that another program moves into Spam is learned as spam, soon and once; what was in
 * Spam at the first start, and what SpamSieve itself put there, is not. */
static void
test_moved_into_spam (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus (37, "into");
  SsTestMail *ham = g_ptr_array_index (mails, 0);
  SsTestMail *gtube = g_ptr_array_index (mails, 36);
  SsTestMail *old_spam = g_ptr_array_index (mails, 24);   /* spam-001 */
  guint spam0, ham0, spam1, ham1;
  gint64 ms;

  ss_test_add (f->bed.dovecot, "Spam", old_spam->content, "", 0);
  filter_two (f, ham, gtube, &spam0, &ham0);
  g_assert_nonnull (find_record (f, ham, SS_VERDICT_HAM));
  g_assert_nonnull (find_record (f, gtube, SS_VERDICT_SPAM));

  user_move (f, "INBOX", find_record (f, ham, SS_VERDICT_HAM)->dest_uid, "Spam");
  ms = wait_learned (f, ham, SS_VERDICT_LEARNED_SPAM);
  g_test_message ("a move into Spam was learned after %" G_GINT64_FORMAT " ms", ms);
  assert_keywords (f, "Spam", ham, "$Junk", "$NotJunk");
  g_assert_cmpstr (find_record (f, ham, SS_VERDICT_LEARNED_SPAM)->destination, ==, "Spam");

  ss_test_spamd_learned_checked (f->bed.spamd, &spam1, &ham1);
  g_test_message ("spamd learned: spam %u -> %u, ham %u -> %u", spam0, spam1, ham0, ham1);
  g_assert_cmpuint (spam1, ==, spam0 + 1);
  g_assert_cmpuint (ham1, ==, ham0);
  g_assert_cmpuint (count_moves (f, SS_VERDICT_LEARNED_SPAM), ==, 1);
  g_assert_cmpuint (count_moves (f, SS_VERDICT_LEARNED_HAM), ==, 0);
  g_assert_cmpstr (ss_test_mail_locate (f->bed.dovecot, old_spam), ==, "Spam");
}

/* Spam that another program moves back to the inbox (with SpamSieve's $Junk still on it) is
 * learned as ham and gets $NotJunk; a "Spam" click afterwards (SpamSieve's own move into
 * Spam) is learned by the click only, not again as a move. */
static void
test_moved_back (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus (37, "back");
  SsTestMail *ham = g_ptr_array_index (mails, 1);
  SsTestMail *gtube = g_ptr_array_index (mails, 36);
  g_autoptr(SsRecord) marked = NULL;
  const SsRecord *r;
  guint spam0, ham0, spam1, ham1;
  gint64 ms;

  filter_two (f, ham, gtube, &spam0, &ham0);
  assert_keywords (f, "Spam", gtube, "$Junk", "$NotJunk");

  user_move (f, "Spam", find_record (f, gtube, SS_VERDICT_SPAM)->dest_uid, "INBOX");
  ms = wait_learned (f, gtube, SS_VERDICT_LEARNED_HAM);
  g_test_message ("a move out of Spam was learned after %" G_GINT64_FORMAT " ms", ms);
  assert_keywords (f, "INBOX", gtube, "$NotJunk", "$Junk");
  r = find_record (f, gtube, SS_VERDICT_LEARNED_HAM);
  g_assert_cmpstr (r->destination, ==, "INBOX");
  g_assert_cmpuint (r->dest_uid, >, 0);
  ss_test_spamd_learned_checked (f->bed.spamd, &spam1, &ham1);
  g_assert_cmpuint (spam1, ==, spam0);
  g_assert_cmpuint (ham1, ==, ham0 + 1);

  /* SpamSieve's own move: the click learns, the move is not learned again. */
  marked = ss_test_session_mark (&f->run, "INBOX", r->dest_uidvalidity, r->dest_uid, TRUE);
  g_assert_cmpstr (marked->destination, ==, "Spam");
  /* Past the next look for moves. */
  g_assert_false (ss_test_session_wait (&f->run, never, NULL, 40000));
  ss_test_spamd_learned_checked (f->bed.spamd, &spam1, &ham1);
  g_test_message ("spamd learned: spam %u -> %u, ham %u -> %u", spam0, spam1, ham0, ham1);
  /* Relearned: the message counts as spam now, no longer as ham. */
  g_assert_cmpuint (spam1, ==, spam0 + 1);
  g_assert_cmpuint (ham1, ==, ham0);
  g_assert_cmpuint (count_moves (f, SS_VERDICT_LEARNED_SPAM), ==, 0);
  g_assert_cmpuint (count_moves (f, SS_VERDICT_LEARNED_HAM), ==, 1);
}

/* The watermark and the learned moves survive a restart: a move made while SpamSieve was
 * not running is learned at the next start, and an earlier one is not learned again. */
static void
test_once_across_restarts (Fixture       *f,
                           gconstpointer  data)
{
  /* Messages no other test of this program teaches spamd (one spamd serves them all, and
   * Bayes knows a message it has seen even under another Message-Id). */
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus (7, "restart");
  SsTestMail *first = g_ptr_array_index (mails, 4);
  SsTestMail *second = g_ptr_array_index (mails, 6);
  guint32 second_uid;
  guint spam0, ham0, spam1, ham1;

  filter_two (f, first, second, &spam0, &ham0);
  g_assert_nonnull (find_record (f, second, SS_VERDICT_HAM));
  second_uid = find_record (f, second, SS_VERDICT_HAM)->dest_uid;

  user_move (f, "INBOX", find_record (f, first, SS_VERDICT_HAM)->dest_uid, "Spam");
  wait_learned (f, first, SS_VERDICT_LEARNED_SPAM);
  ss_test_session_stop (&f->run, 30000);
  g_ptr_array_set_size (f->run.records, 0);

  /* While SpamSieve is not running. */
  user_move (f, "INBOX", second_uid, "Spam");
  start_session (f);
  wait_learned (f, second, SS_VERDICT_LEARNED_SPAM);
  ss_test_session_wait_state (&f->run, "watching", 30000);
  g_assert_null (find_record (f, first, SS_VERDICT_LEARNED_SPAM));
  g_assert_cmpuint (count_moves (f, SS_VERDICT_LEARNED_SPAM), ==, 1);
  ss_test_spamd_learned_checked (f->bed.spamd, &spam1, &ham1);
  g_test_message ("spamd learned: spam %u -> %u, ham %u -> %u", spam0, spam1, ham0, ham1);
  g_assert_cmpuint (spam1, ==, spam0 + 2);
  g_assert_cmpuint (ham1, ==, ham0);
  assert_keywords (f, "Spam", first, "$Junk", "$NotJunk");
  assert_keywords (f, "Spam", second, "$Junk", "$NotJunk");
}

/* The filter alone (as headless --once runs it), with a personal learner: each move is learned
 * by it once, a second look learns nothing, and a move back is learned the other way. */
static void
test_filter_learner (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus (9, "learner");
  SsTestMail *mail = g_ptr_array_index (mails, 8);
  g_autoptr(SsConfig) config = make_config (f);
  g_autofree char *path = g_build_filename (f->bed.dir, "filter.sqlite", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(SsJournal) journal = ss_journal_open (path, &error);
  SsLearner *learner = ss_learner_new ();
  SsAssembly parts = { 0 };
  g_autoptr(GArray) uids = NULL;
  SsImapMailbox mailbox;

  g_assert_no_error (error);
  ss_test_add (f->bed.dovecot, "INBOX", mail->content, "S", 0);
  g_assert_true (ss_assembly_connect (&parts, config, "secret", journal, 0, NULL, &error));
  g_assert_no_error (error);
  ss_filter_set_learner (parts.filter, learner);
  g_assert_true (ss_filter_prepare (parts.filter, NULL, &error));
  g_assert_no_error (error);
  /* First sight: what is there is no move. */
  g_assert_true (ss_filter_run_moves (parts.filter, NULL, &error));
  g_assert_no_error (error);

  g_assert_true (ss_imap_client_select (parts.imap, "INBOX", &mailbox, NULL, &error));
  uids = ss_imap_client_uid_search (parts.imap, "ALL", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uids->len, ==, 1);
  user_move (f, "INBOX", g_array_index (uids, guint32, 0), "Spam");
  for (guint i = 0; i < 2; i++)
    {
      g_assert_true (ss_filter_run_moves (parts.filter, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (ss_learner_get_n_spam (learner), ==, 1);
      g_assert_cmpuint (ss_learner_get_n_ham (learner), ==, 0);
      g_assert_cmpuint (ss_filter_get_stats (parts.filter)->learned_spam, ==, 1);
    }
  assert_keywords (f, "Spam", mail, "$Junk", "$NotJunk");

  g_clear_pointer (&uids, g_array_unref);
  g_assert_true (ss_imap_client_select (parts.imap, "Spam", &mailbox, NULL, &error));
  uids = ss_imap_client_uid_search (parts.imap, "ALL", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uids->len, ==, 1);
  user_move (f, "Spam", g_array_index (uids, guint32, 0), "INBOX");
  g_assert_true (ss_filter_run_moves (parts.filter, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ss_learner_get_n_spam (learner), ==, 1);
  g_assert_cmpuint (ss_learner_get_n_ham (learner), ==, 1);
  assert_keywords (f, "INBOX", mail, "$NotJunk", "$Junk");

  ss_assembly_clear (&parts);
  ss_learner_unref (learner);
}

static const SsTestCase cases[] = {
  SS_TEST (moved_into_spam),
  SS_TEST (moved_back),
  SS_TEST (once_across_restarts),
  SS_TEST (filter_learner),
};

SS_TEST_SUITE_MAIN ("/spamsieve/moves/", Fixture, ss_test_bed_session_setup,
                    ss_test_bed_session_teardown,
                    TRUE, NULL)
