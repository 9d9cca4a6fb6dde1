/* test-lists.c: allow and block lists in the live engine (SsSession in-process) against a
 * real dovecot, with a stand-in spamd that gives every message one fixed score (so the list
 * alone decides) or the real spamd (GTUBE: certain spam).
 *
 * An allowed sender with a moderate spam score goes to INBOX; one with a certain-spam score
 * (fixed 20, or GTUBE through real SpamAssassin) to Spam whatever the list says; a blocked
 * sender with a ham score to Spam; "Not spam" allows the sender (the next message lands in
 * INBOX) and Undo takes that back; the learning folders list senders; people the user wrote
 * to (the \Sent folder) are allowed, read again incrementally after a restart. */
#define G_LOG_DOMAIN "test-lists"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "ss-sender-lists.h"
#include "ss-session.h"
#include "ss-test-fake-spamd.h"
#include "ss-test-mailcheck.h"
#include "ss-test-servers.h"
#include "ss-test-utils.h"

#define GTUBE "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

typedef struct
{
  SsTestBed        bed;
  SsTestSession    run;
  SsTestFakeSpamd *fake;
  SsConfig        *config;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  ss_test_bed_setup (&f->bed, data);
  ss_test_session_init (&f->run, f->bed.dir);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  ss_test_session_clear (&f->run);
  g_clear_pointer (&f->fake, ss_test_fake_spamd_free);
  g_clear_pointer (&f->config, ss_config_free);
  ss_test_bed_clear (&f->bed);
}

/* A stand-in spamd answering every SYMBOLS and TELL with this score. */
static char *
fake_spamd (Fixture *f,
            double   score)
{
  g_autofree char *body = g_strdup ("FIXED_SCORE");
  g_autofree char *reply = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_formatd (number, sizeof number, "%.1f", score);
  reply = g_strdup_printf ("SPAMD/1.1 0 EX_OK\r\nContent-length: %zu\r\nSpam: %s ; %s / 5.0\r\n"
                           "DidSet: local\r\n\r\n%s", strlen (body),
                           score >= 5.0 ? "True" : "False", number, body);
  bytes = g_bytes_new (reply, strlen (reply));
  f->fake = ss_test_fake_spamd_new_full (SS_TEST_FAKE_SPAMD_REPLY, 0, bytes, &error);
  g_assert_no_error (error);
  return g_strdup (ss_test_fake_spamd_get_address (f->fake));
}

static void
start (Fixture    *f,
       const char *spamd,
       const char *extra)
{
  g_autofree char *account = ss_test_dovecot_account (f->bed.dovecot, NULL);
  g_autofree char *own = spamd == NULL ? ss_test_spamd_dup_address (f->bed.spamd) : NULL;
  g_autofree char *text = ss_test_config_text (account, spamd != NULL ? spamd : own, 2, 30,
                                               extra);
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&f->config, ss_config_free);
  f->config = ss_config_load_data (text, strlen (text), &error);
  g_assert_no_error (error);
  ss_test_session_start (&f->run, f->config, "secret");
}

/* The account's saved lists, as the engine left them. */
static SsSenderLists *
saved_lists (Fixture *f)
{
  g_autofree char *server = ss_config_dup_server (f->config);
  g_autofree char *account = g_strdup_printf ("%s@%s", f->config->user, server);
  g_autofree char *path = ss_sender_lists_path_for (f->run.journal, account);
  g_autoptr(GError) error = NULL;
  SsSenderLists *lists = ss_sender_lists_open (path, &error);

  g_assert_no_error (error);
  return lists;
}

static SsSenderStatus
saved_status (Fixture    *f,
              const char *address)
{
  g_autoptr(SsSenderLists) lists = saved_lists (f);

  return ss_sender_lists_lookup (lists, address);
}

static GBytes *
message_from (const char *from,
              const char *id,
              const char *body)
{
  char *text = g_strdup_printf (
    "From: %s\r\nTo: Tester <tester@example.org>\r\nSubject: about %s\r\n"
    "Message-ID: <%s@lists.test>\r\nDate: Thu, 03 Dec 2026 10:00:00 +0000\r\n"
    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n%s\r\n",
    from, id, id, body != NULL ? body : "Shall we meet on Tuesday?");

  return g_bytes_new_take (text, strlen (text));
}

static void
add (Fixture    *f,
     const char *folder,
     const char *from,
     const char *id,
     const char *body)
{
  g_autoptr(GBytes) message = message_from (from, id, body);

  ss_test_add (f->bed.dovecot, folder, message, "", 0);
}

static const SsRecord *
scan_record (Fixture    *f,
             const char *id)
{
  g_autofree char *message_id = g_strdup_printf ("%s@lists.test", id);

  for (guint i = 0; i < f->run.records->len; i++)
    {
      const SsRecord *r = g_ptr_array_index (f->run.records, i);

      if (g_strcmp0 (r->message_id, message_id) == 0 &&
          (r->verdict == SS_VERDICT_SPAM || r->verdict == SS_VERDICT_HAM))
        return r;
    }
  return NULL;
}

static gboolean
has_scan_record (gpointer      object,
                 gconstpointer data)
{
  return scan_record (object, data) != NULL;
}

/* Waits for the scan of message id; returns its record. */
static const SsRecord *
wait_scan (Fixture    *f,
           const char *id)
{
  if (!ss_test_wait_until (f->run.context, has_scan_record, f, id, 60000))
    {
      for (guint i = 0; i < f->run.records->len; i++)
        {
          const SsRecord *r = g_ptr_array_index (f->run.records, i);
          g_test_message ("record <%s> %s -> %s", r->message_id,
                          ss_verdict_kind_to_string (r->verdict), r->destination);
        }
      g_error ("no verdict for %s", id);
    }
  return scan_record (f, id);
}

static gboolean
has_rule (const SsRecord *r,
          const char     *rule)
{
  return r->rules != NULL && g_strv_contains ((const char * const *) r->rules, rule);
}

static void
assert_lands (Fixture       *f,
              const char    *id,
              const char    *folder,
              const char    *rule)
{
  const SsRecord *r = wait_scan (f, id);

  g_test_message ("%s: %s, score %.1f", id, r->destination, r->score);
  g_assert_cmpstr (r->destination, ==, folder);
  g_assert_cmpint (r->verdict, ==, strcmp (folder, "Spam") == 0 ? SS_VERDICT_SPAM
                                                                 : SS_VERDICT_HAM);
  if (rule != NULL)
    g_assert_true (has_rule (r, rule));
  else
    {
      g_assert_false (has_rule (r, SS_SENDER_RULE_ALLOW));
      g_assert_false (has_rule (r, SS_SENDER_RULE_BLOCK));
    }
}

/* ---------------------------------------------------------------------------------------- */

/* Score 8 (spam, not certain): the allowed sender and domain go to INBOX, others to Spam. */
static void
test_allow_moderate_spam (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *spamd = fake_spamd (f, 8.0);

  add (f, "Unfiltered", "Friend <Friend@Example.ORG>", "friend", NULL);
  add (f, "Unfiltered", "mum@family.example", "mum", NULL);
  add (f, "Unfiltered", "Stranger <stranger@example.com>", "stranger", NULL);
  start (f, spamd, "[lists]\nallow = friend@example.org, @family.example\n");
  assert_lands (f, "friend", "INBOX", SS_SENDER_RULE_ALLOW);
  assert_lands (f, "mum", "INBOX", SS_SENDER_RULE_ALLOW);
  assert_lands (f, "stranger", "Spam", NULL);
}

/* Score 20 (certain spam): an allowed From never rescues it. */
static void
test_allow_never_rescues_certain_spam (Fixture       *f,
                                       gconstpointer  data)
{
  g_autofree char *spamd = fake_spamd (f, 20.0);

  add (f, "Unfiltered", "Friend <friend@example.org>", "forged", NULL);
  start (f, spamd, "[lists]\nallow = friend@example.org\n");
  assert_lands (f, "forged", "Spam", SS_SENDER_RULE_SPOOFED);
  g_assert_false (has_rule (scan_record (f, "forged"), SS_SENDER_RULE_ALLOW));
}

/* The same through real SpamAssassin: GTUBE with an allowed (forged) From. */
static void
test_allow_never_rescues_gtube (Fixture       *f,
                                gconstpointer  data)
{
  const SsRecord *r;

  add (f, "Unfiltered", "Friend <friend@example.org>", "gtube", GTUBE);
  add (f, "Unfiltered", "Friend <friend@example.org>", "plain", NULL);
  start (f, NULL, "[lists]\nallow = friend@example.org\n");
  r = wait_scan (f, "gtube");
  g_assert_cmpfloat (r->score, >=, SS_SENDER_LISTS_CERTAIN_SPAM);
  assert_lands (f, "gtube", "Spam", SS_SENDER_RULE_SPOOFED);
  assert_lands (f, "plain", "INBOX", SS_SENDER_RULE_ALLOW);
}

/* Score 0 (ham): the blocked sender goes to Spam, others to INBOX. */
static void
test_block_ham (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *spamd = fake_spamd (f, 0.0);

  add (f, "Unfiltered", "Pest <pest@example.net>", "pest", NULL);
  add (f, "Unfiltered", "someone@bulk.example", "bulk", NULL);
  add (f, "Unfiltered", "Friend <friend@example.org>", "friend", NULL);
  start (f, spamd, "[lists]\nblock = pest@example.net @bulk.example\n");
  assert_lands (f, "pest", "Spam", SS_SENDER_RULE_BLOCK);
  assert_lands (f, "bulk", "Spam", SS_SENDER_RULE_BLOCK);
  assert_lands (f, "friend", "INBOX", NULL);
}

/* "Not spam" allows the sender: the next message lands in INBOX. Undo (the mark back) takes
 * the entry away again: the one after goes to Spam. "Spam" blocks. */
static void
test_mark_and_undo (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *spamd = fake_spamd (f, 8.0);
  g_autoptr(SsRecord) marked = NULL;
  g_autoptr(SsRecord) undone = NULL;
  g_autoptr(SsRecord) blocked = NULL;

  add (f, "Unfiltered", "Shop <news@shop.example>", "first", NULL);
  start (f, spamd, NULL);
  assert_lands (f, "first", "Spam", NULL);
  g_assert_cmpint (saved_status (f, "news@shop.example"), ==, SS_SENDER_UNLISTED);

  marked = ss_test_session_mark_record (&f->run, scan_record (f, "first"), FALSE);
  g_assert_cmpstr (marked->destination, ==, "INBOX");
  g_assert_cmpint (saved_status (f, "news@shop.example"), ==, SS_SENDER_ALLOWED);
  add (f, "Unfiltered", "Shop <NEWS@shop.example>", "second", NULL);
  assert_lands (f, "second", "INBOX", SS_SENDER_RULE_ALLOW);

  /* Undo: the same message marked back where it went. */
  undone = ss_test_session_mark_record (&f->run, marked, TRUE);
  g_assert_cmpstr (undone->destination, ==, "Spam");
  g_assert_cmpint (saved_status (f, "news@shop.example"), ==, SS_SENDER_UNLISTED);
  add (f, "Unfiltered", "Shop <news@shop.example>", "third", NULL);
  assert_lands (f, "third", "Spam", NULL);

  /* "Spam" on a message in INBOX blocks its sender. */
  blocked = ss_test_session_mark_record (&f->run, scan_record (f, "second"), TRUE);
  g_assert_cmpstr (blocked->destination, ==, "Spam");
  g_assert_cmpint (saved_status (f, "news@shop.example"), ==, SS_SENDER_BLOCKED);
}

/* Corrections through the learning folders list senders too. */
static void
test_learning_folders (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *spamd = fake_spamd (f, 8.0);
  g_autoptr(GError) error = NULL;

  g_assert_true (ss_test_dovecot_create_folder (f->bed.dovecot, "Spam", &error));
  g_assert_true (ss_test_dovecot_create_folder (f->bed.dovecot, "Spam/False Positives",
                                                &error));
  g_assert_true (ss_test_dovecot_create_folder (f->bed.dovecot, "Spam/False Negatives",
                                                &error));
  g_assert_no_error (error);
  add (f, "Spam/False Positives", "Fan <fan@example.com>", "fp", NULL);
  add (f, "Spam/False Negatives", "Pest <pest@example.net>", "fn", NULL);
  start (f, spamd, NULL);
  ss_test_session_wait_state (&f->run, "watching", 60000);
  g_assert_cmpint (saved_status (f, "fan@example.com"), ==, SS_SENDER_ALLOWED);
  g_assert_cmpint (saved_status (f, "pest@example.net"), ==, SS_SENDER_BLOCKED);
  add (f, "Unfiltered", "fan@example.com", "fan-next", NULL);
  assert_lands (f, "fan-next", "INBOX", SS_SENDER_RULE_ALLOW);
}

/* People written to (To and Cc of the \Sent folder) are allowed; after a restart only new
 * sent mail is read, and its recipients are allowed too. */
static void
test_sent_recipients (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *spamd = fake_spamd (f, 8.0);
  static const char sent_text[] =
    "From: Tester <tester@example.org>\r\nTo: Pal <Pal@Example.org>, other@example.org\r\n"
    "Cc: \"Team, all\" <team@example.org>\r\nSubject: plans\r\nMessage-ID: <sent1@lists.test>\r\n"
    "\r\nSee you.\r\n";
  static const char sent2_text[] =
    "From: Tester <tester@example.org>\r\nTo: newpal@example.org\r\nSubject: hi\r\n"
    "Message-ID: <sent2@lists.test>\r\n\r\nHi.\r\n";
  g_autoptr(GBytes) sent = g_bytes_new_static (sent_text, strlen (sent_text));
  g_autoptr(GBytes) sent2 = g_bytes_new_static (sent2_text, strlen (sent2_text));
  guint32 uidvalidity = 0, last_uid = 0;

  ss_test_add (f->bed.dovecot, "Sent", sent, "S", 0);
  add (f, "Unfiltered", "Pal <pal@example.org>", "pal", NULL);
  add (f, "Unfiltered", "team@example.org", "team", NULL);
  add (f, "Unfiltered", "newpal@example.org", "newpal-early", NULL);
  start (f, spamd, NULL);
  assert_lands (f, "pal", "INBOX", SS_SENDER_RULE_ALLOW);
  assert_lands (f, "team", "INBOX", SS_SENDER_RULE_ALLOW);
  assert_lands (f, "newpal-early", "Spam", NULL);
  g_assert_cmpint (saved_status (f, "other@example.org"), ==, SS_SENDER_ALLOWED);
  g_assert_cmpint (saved_status (f, "tester@example.org"), ==, SS_SENDER_UNLISTED);
  {
    g_autoptr(SsSenderLists) lists = saved_lists (f);
    ss_sender_lists_get_sent_mark (lists, &uidvalidity, &last_uid);
    g_assert_cmpuint (uidvalidity, !=, 0);
    g_assert_cmpuint (last_uid, ==, 1);
  }

  ss_test_session_stop (&f->run, 60000);
  ss_test_add (f->bed.dovecot, "Sent", sent2, "S", 0);
  ss_test_session_clear (&f->run);
  ss_test_session_init (&f->run, f->bed.dir);
  add (f, "Unfiltered", "newpal@example.org", "newpal", NULL);
  start (f, spamd, NULL);
  assert_lands (f, "newpal", "INBOX", SS_SENDER_RULE_ALLOW);
  {
    g_autoptr(SsSenderLists) lists = saved_lists (f);
    ss_sender_lists_get_sent_mark (lists, &uidvalidity, &last_uid);
    g_assert_cmpuint (last_uid, ==, 2);
  }
}

static const SsTestDovecotOptions sent_options = { .special_use_sent = TRUE };

static const SsTestCase cases[] = {
  SS_TEST (allow_moderate_spam),
  SS_TEST (allow_never_rescues_certain_spam),
  SS_TEST (allow_never_rescues_gtube),
  SS_TEST (block_ham),
  SS_TEST (mark_and_undo),
  SS_TEST (learning_folders),
  SS_TEST_WITH (sent_recipients, &sent_options),
};

SS_TEST_SUITE_MAIN ("/spamsieve/lists/", Fixture, fixture_setup, fixture_teardown,
                    FALSE, NULL)
