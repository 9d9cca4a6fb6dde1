/* test-headless.c: spamsieve --headless --once against real dovecot and spamd.
 *
 * Every check of where mail ended up reads dovecot's maildir directly, not through the
 * code under test. The invariant checked after every run: each message that was in
 * Unfiltered is in exactly one folder, byte-identical, with its flags. */
#define G_LOG_DOMAIN "test-headless"

#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <string.h>

#include "ss-message-info.h"
#include "ss-test-headless.h"
#include "ss-test-servers.h"
#include "ss-test-utils.h"

typedef struct
{
  SsTestBed      bed;          /* first (ss_test_bed_setup); dir: settings, XDG dirs */
  char          *config_path;
  SsTestRun      run;          /* result of the last run */
} Fixture;

/* ---------------------------------------------------------------------------------------- */

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  ss_test_run_clear (&f->run);
  g_free (f->config_path);
  ss_test_bed_clear (&f->bed);
}

/* Writes the settings file: STARTTLS with the test CA, the shared spamd, plus extra lines
 * (whole groups, e.g. "[filter]\nchunk=4\n"); account_override replaces the [account] group. */
static void
write_config (Fixture    *f,
              const char *account_override,
              const char *spamd_address,
              const char *extra)
{
  g_free (f->config_path);
  f->config_path = ss_test_write_config (&f->bed, account_override, spamd_address, 4, 30,
                                         extra);
}

/* Runs spamsieve --headless --config F --once --json [extra_arg]. */
static void
run_spamsieve (Fixture    *f,
               const char *extra_arg)
{
  const char * const args[] = { "--once", "--json", extra_arg, NULL };

  ss_test_run_headless (&f->run, f->bed.dir, f->config_path, args);
}

static void
add (Fixture    *f,
     const char *folder,
     GBytes     *message,
     const char *flags)
{
  ss_test_add (f->bed.dovecot, folder, message, flags, 0);
}

static guint
count (Fixture    *f,
       const char *folder)
{
  return ss_test_count_stored (f->bed.dovecot, folder, NULL);
}

/* Where is this exact message now? Asserts it is in at most one of the folders. */
static const char *
locate (Fixture              *f,
        GBytes               *message,
        const char * const   *folders,
        SsTestStoredMessage **found)
{
  return ss_test_locate (f->bed.dovecot, message, folders, found);
}

static const char * const all_folders[] = { "Unfiltered", "INBOX", "Spam",
                                            "Spam/False Positives", "Spam/False Negatives",
                                            NULL };

static JsonObject *
record_for_subject (Fixture    *f,
                    const char *needle)
{
  for (guint i = 0; i < f->run.records->len; i++)
    {
      JsonObject *o = g_ptr_array_index (f->run.records, i);
      if (strstr (json_object_get_string_member (o, "subject"), needle) != NULL)
        return o;
    }
  return NULL;
}

static guint
count_verdict (Fixture    *f,
               const char *verdict)
{
  guint n = 0;

  for (guint i = 0; i < f->run.records->len; i++)
    if (g_strcmp0 (json_object_get_string_member (g_ptr_array_index (f->run.records, i), "verdict"),
                   verdict) == 0)
      n++;
  return n;
}

/* ---------------------------------------------------------------------------------------- */

/* The corpus sample and GTUBE, half of them already read: each lands in exactly one place,
 * byte-exact, read state kept, verdict keyword set, and --json agrees with the store. */
static void
test_corpus (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GPtrArray) corpus = ss_test_corpus_load (NULL);
  g_autoptr(GBytes) gtube = ss_test_data_load ("gtube.eml");
  guint n_spam = 0, n_ham = 0, n_uncertain = 0;

  for (guint i = 0; i < corpus->len; i++)
    add (f, "Unfiltered", g_ptr_array_index (corpus, i), i % 2 ? "S" : "");
  add (f, "Unfiltered", gtube, "");
  write_config (f, NULL, NULL, "[filter]\nchunk=5\n");

  run_spamsieve (f, NULL);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_cmpuint (count (f, "Unfiltered"), ==, 0);
  g_assert_cmpuint (count (f, "INBOX") + count (f, "Spam"), ==, corpus->len + 1);
  g_assert_cmpuint (f->run.records->len, ==, corpus->len + 1);

  for (guint i = 0; i < corpus->len; i++)
    {
      g_autoptr(SsTestStoredMessage) m = NULL;
      const char *where = locate (f, g_ptr_array_index (corpus, i), all_folders, &m);

      g_assert_nonnull (where);
      g_assert_cmpstr (m->flags, ==, i % 2 ? "S" : "");
      if (g_str_equal (where, "Spam"))
        {
          g_assert_true (ss_test_has_keyword (m, "$Junk"));
          g_assert_false (ss_test_has_keyword (m, "$NotJunk"));
          n_spam++;
        }
      else
        {
          /* good mail, or close to the line (the uncertain band): INBOX, marked which */
          g_assert_cmpstr (where, ==, "INBOX");
          g_assert_false (ss_test_has_keyword (m, "$Junk"));
          if (ss_test_has_keyword (m, "$Uncertain"))
            n_uncertain++;
          else
            {
              g_assert_true (ss_test_has_keyword (m, "$NotJunk"));
              n_ham++;
            }
        }
    }
  g_assert_cmpstr (locate (f, gtube, all_folders, NULL), ==, "Spam");
  g_assert_cmpuint (count_verdict (f, "spam"), ==, n_spam + 1);
  g_assert_cmpuint (count_verdict (f, "ham"), ==, n_ham);
  g_assert_cmpuint (count_verdict (f, "uncertain"), ==, n_uncertain);
  g_assert_cmpuint (count (f, "Spam"), ==, n_spam + 1);
  g_test_message ("corpus: %u spam, %u ham, %u uncertain", n_spam + 1, n_ham, n_uncertain);
  /* The sample is clearly mixed; SpamAssassin without network tests still catches most. */
  g_assert_cmpuint (n_spam, >, 0);
  g_assert_cmpuint (n_ham, >, 0);

  {
    JsonObject *o = record_for_subject (f, "GTUBE");
    g_assert_nonnull (o);
    g_assert_cmpstr (json_object_get_string_member (o, "verdict"), ==, "spam");
    g_assert_cmpstr (json_object_get_string_member (o, "destination"), ==, "Spam");
    g_assert_cmpfloat (json_object_get_double_member (o, "score"), >=, 100.0);
    g_assert_cmpfloat (json_object_get_double_member (o, "threshold"), >, 0.0);
    g_assert_cmpint (json_object_get_int_member (o, "uid"), >, 0);
  }
}

static void
test_adversarial_bodies (Fixture       *f,
                  gconstpointer  data)
{
  const char *names[] = { "adversarial-imap-syntax.eml", "adversarial-8bit.eml",
                          "adversarial-long-header.eml", "adversarial-encoded-words.eml",
                          "adversarial-no-headers.eml", "adversarial-binary.eml" };
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      GBytes *m = ss_test_data_load (names[i]);
      g_ptr_array_add (messages, m);
      add (f, "Unfiltered", m, "");
    }
  write_config (f, NULL, NULL, NULL);
  run_spamsieve (f, NULL);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_cmpuint (count (f, "Unfiltered"), ==, 0);
  for (guint i = 0; i < messages->len; i++)
    {
      const char *where = locate (f, g_ptr_array_index (messages, i), all_folders, NULL);
      g_test_message ("%s → %s", names[i], where);
      g_assert_true (g_strcmp0 (where, "INBOX") == 0 || g_strcmp0 (where, "Spam") == 0);
    }
  g_assert_cmpuint (f->run.records->len, ==, messages->len);
  /* Subjects come out decoded and valid UTF-8, whatever came in. */
  for (guint i = 0; i < f->run.records->len; i++)
    {
      const char *subject = json_object_get_string_member (g_ptr_array_index (f->run.records, i),
                                                           "subject");
      g_assert_true (g_utf8_validate (subject, -1, NULL));
    }
}

static GBytes *
make_large_message (gsize size)
{
  GString *s = g_string_new ("From: Big Sender <big@example.org>\r\n"
                             "To: tester@example.org\r\nSubject: A large attachment\r\n"
                             "Message-Id: <large-1@example.org>\r\n\r\n");

  while (s->len < size)
    g_string_append (s, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/\r\n");
  return g_string_free_to_bytes (s);
}

static void
test_max_size (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GBytes) large = make_large_message (20000);
  g_autoptr(GBytes) gtube = ss_test_data_load ("gtube.eml");
  JsonObject *o;

  add (f, "Unfiltered", large, "");
  add (f, "Unfiltered", gtube, "");
  write_config (f, NULL, NULL, "max-size=10000\n");
  run_spamsieve (f, NULL);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_cmpstr (locate (f, large, all_folders, NULL), ==, "INBOX");
  g_assert_cmpstr (locate (f, gtube, all_folders, NULL), ==, "Spam");
  o = record_for_subject (f, "A large attachment");
  g_assert_nonnull (o);
  g_assert_cmpstr (json_object_get_string_member (o, "verdict"), ==, "skipped");
  g_assert_cmpstr (json_object_get_string_member (o, "destination"), ==, "INBOX");
  g_assert_true (json_object_get_null_member (o, "score"));
}

static const SsTestDovecotOptions no_move_options = { .no_move = TRUE };
static const SsTestDovecotOptions dot_options = { .delimiter = '.' };
static const SsTestDovecotOptions no_unfiltered_options = { .no_unfiltered = TRUE };
static const SsTestDovecotOptions plaintext_options = { .plaintext_ok = TRUE };
static const SsTestDovecotOptions junk_options = { .special_use_junk = TRUE };

/* Without MOVE: COPY + \Deleted + UID EXPUNGE, and another client's \Deleted mail in
 * Unfiltered is not expunged with ours. */
static void
test_no_move (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GPtrArray) ham = ss_test_corpus_load ("ham");
  g_autoptr(GBytes) gtube = ss_test_data_load ("gtube.eml");
  g_autoptr(GBytes) other = ss_test_data_load ("adversarial-imap-syntax.eml");
  g_autoptr(SsTestStoredMessage) left = NULL;

  add (f, "Unfiltered", gtube, "");
  for (guint i = 0; i < 5; i++)
    add (f, "Unfiltered", g_ptr_array_index (ham, i), "S");
  add (f, "Unfiltered", other, "ST");   /* marked \Deleted by someone else */
  write_config (f, NULL, NULL, NULL);
  run_spamsieve (f, NULL);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_cmpstr (locate (f, gtube, all_folders, NULL), ==, "Spam");
  for (guint i = 0; i < 5; i++)
    g_assert_cmpstr (locate (f, g_ptr_array_index (ham, i), all_folders, NULL), ==, "INBOX");
  g_assert_cmpstr (locate (f, other, all_folders, &left), ==, "Unfiltered");
  g_assert_cmpstr (left->flags, ==, "ST");
  g_assert_cmpuint (f->run.records->len, ==, 6);
}

/* A server whose hierarchy delimiter is '.': folders from the settings still work. */
static void
test_dot_delimiter (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) ham = ss_test_corpus_load ("ham");
  g_autoptr(GBytes) gtube = ss_test_data_load ("gtube.eml");
  g_autoptr(GBytes) fp = g_bytes_ref (g_ptr_array_index (ham, 0));
  g_autoptr(SsTestStoredMessage) m = NULL;

  g_assert_cmpint (ss_test_dovecot_get_delimiter (f->bed.dovecot), ==, '.');
  add (f, "Unfiltered", gtube, "");
  add (f, "Spam/False Positives", fp, "S");
  write_config (f, NULL, NULL, NULL);
  run_spamsieve (f, NULL);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_cmpstr (locate (f, gtube, all_folders, NULL), ==, "Spam");
  g_assert_cmpstr (locate (f, fp, all_folders, &m), ==, "INBOX");
  g_assert_cmpstr (m->flags, ==, "S");
  g_assert_true (ss_test_has_keyword (m, "$NotJunk"));
  g_assert_true (ss_test_dovecot_folder_exists (f->bed.dovecot, "Spam/False Negatives"));
  g_assert_cmpuint (count_verdict (f, "learned-ham"), ==, 1);
}

static void
test_learning (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GPtrArray) ham = ss_test_corpus_load ("ham");
  g_autoptr(GPtrArray) spam = ss_test_corpus_load ("spam");
  g_autoptr(SsTestStoredMessage) a = NULL;
  g_autoptr(SsTestStoredMessage) b = NULL;
  GBytes *fp = g_ptr_array_index (ham, 1);
  GBytes *fn = g_ptr_array_index (spam, 1);
  g_autoptr(GError) error = NULL;
  guint spam_before = 0, ham_before = 0, spam_after = 0, ham_after = 0;

  ss_test_spamd_get_learned (f->bed.spamd, &spam_before, &ham_before, &error);
  g_assert_no_error (error);
  add (f, "Spam/False Positives", fp, "S");
  add (f, "Spam/False Negatives", fn, "");
  write_config (f, NULL, NULL, NULL);
  run_spamsieve (f, NULL);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_cmpstr (locate (f, fp, all_folders, &a), ==, "INBOX");
  g_assert_cmpstr (locate (f, fn, all_folders, &b), ==, "Spam");
  g_assert_cmpstr (a->flags, ==, "S");
  g_assert_cmpstr (b->flags, ==, "");
  g_assert_true (ss_test_has_keyword (a, "$NotJunk"));
  g_assert_true (ss_test_has_keyword (b, "$Junk"));
  g_assert_cmpuint (count_verdict (f, "learned-ham"), ==, 1);
  g_assert_cmpuint (count_verdict (f, "learned-spam"), ==, 1);
  /* spamd's own Bayes database counts them: really learned, not just moved. */
  ss_test_spamd_get_learned (f->bed.spamd, &spam_after, &ham_after, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (spam_after, ==, spam_before + 1);
  g_assert_cmpuint (ham_after, ==, ham_before + 1);
}

/* spamd without --allow-tell: a clear error, and the messages stay to be learned later. */
static void
test_learning_refused (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GPtrArray) ham = ss_test_corpus_load ("ham");
  g_autoptr(GBytes) gtube = ss_test_data_load ("gtube.eml");
  g_autofree char *address = NULL;
  SsTestSpamd *no_tell = ss_test_spamd_start_checked (FALSE);
  GBytes *fp = g_ptr_array_index (ham, 2);

  address = ss_test_spamd_dup_address (no_tell);
  add (f, "Unfiltered", gtube, "");
  add (f, "Spam/False Positives", fp, "");
  write_config (f, NULL, address, NULL);
  run_spamsieve (f, NULL);
  ss_test_spamd_stop (no_tell);
  g_assert_cmpint (f->run.exit_status, ==, 5);
  g_assert_nonnull (strstr (f->run.err, "allow-tell"));
  g_assert_cmpstr (locate (f, fp, all_folders, NULL), ==, "Spam/False Positives");
  /* Filtering itself went on. */
  g_assert_cmpstr (locate (f, gtube, all_folders, NULL), ==, "Spam");
}

static void
test_expire (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GPtrArray) spam = ss_test_corpus_load ("spam");
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  GBytes *old = g_ptr_array_index (spam, 0);
  GBytes *recent = g_ptr_array_index (spam, 1);
  GBytes *old_read = g_ptr_array_index (spam, 2);

  ss_test_add (f->bed.dovecot, "Spam", old, "", now - 90 * 86400);
  ss_test_add (f->bed.dovecot, "Spam", recent, "", now - 10 * 86400);
  ss_test_add (f->bed.dovecot, "Spam", old_read, "S", now - 61 * 86400);
  write_config (f, NULL, NULL, "[expire]\nspam-days=60\n");
  run_spamsieve (f, NULL);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_null (locate (f, old, all_folders, NULL));
  g_assert_null (locate (f, old_read, all_folders, NULL));
  g_assert_cmpstr (locate (f, recent, all_folders, NULL), ==, "Spam");
  g_assert_cmpuint (count_verdict (f, "expired"), ==, 2);

  /* 0 disables expiry. */
  ss_test_add (f->bed.dovecot, "Spam", old, "", now - 900 * 86400);
  write_config (f, NULL, NULL, "[expire]\nspam-days=0\n");
  run_spamsieve (f, NULL);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_cmpstr (locate (f, old, all_folders, NULL), ==, "Spam");
}

/* The Message-Id of the only "expired" record ("" if there is none or more than one). */
static const char *
expired_message_id (Fixture *f)
{
  const char *found = "";

  if (count_verdict (f, "expired") != 1)
    return "";
  for (guint i = 0; i < f->run.records->len; i++)
    {
      JsonObject *o = g_ptr_array_index (f->run.records, i);
      if (g_strcmp0 (json_object_get_string_member (o, "verdict"), "expired") == 0)
        found = json_object_get_string_member (o, "message_id");
    }
  return found;
}

/* unfiltered-days only takes mail someone has read: an old unread message waits for its
 * verdict. A pass would move both first, so --dry-run shows what expiry picks. */
static void
test_expire_unfiltered (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GPtrArray) ham = ss_test_corpus_load ("ham");
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  GBytes *old_read = g_ptr_array_index (ham, 0);
  GBytes *old_unread = g_ptr_array_index (ham, 1);
  GBytes *recent_read = g_ptr_array_index (ham, 2);
  g_autoptr(SsMessageInfo) info = NULL;

  ss_test_add (f->bed.dovecot, "Unfiltered", old_read, "S", now - 20 * 86400);
  ss_test_add (f->bed.dovecot, "Unfiltered", old_unread, "", now - 20 * 86400);
  ss_test_add (f->bed.dovecot, "Unfiltered", recent_read, "S", now - 3 * 86400);
  write_config (f, NULL, NULL, "[expire]\nunfiltered-days=14\n");
  run_spamsieve (f, "--dry-run");
  g_assert_cmpint (f->run.exit_status, ==, 0);
  info = ss_message_info_parse (g_bytes_get_data (old_read, NULL), g_bytes_get_size (old_read));
  g_assert_cmpstr (info->message_id, !=, "");
  g_assert_cmpstr (expired_message_id (f), ==, info->message_id);
  g_assert_cmpuint (count (f, "Unfiltered"), ==, 3);

  /* Off by default. */
  write_config (f, NULL, NULL, NULL);
  run_spamsieve (f, "--dry-run");
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_cmpuint (count_verdict (f, "expired"), ==, 0);
}

static void
test_dry_run (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GBytes) gtube = ss_test_data_load ("gtube.eml");
  g_autoptr(GPtrArray) ham = ss_test_corpus_load ("ham");
  GBytes *fp = g_ptr_array_index (ham, 0);
  GBytes *old = g_ptr_array_index (ham, 1);

  add (f, "Unfiltered", gtube, "");
  add (f, "Spam/False Positives", fp, "");
  ss_test_add (f->bed.dovecot, "Spam", old, "", 86400 * 365);
  write_config (f, NULL, NULL, NULL);
  run_spamsieve (f, "--dry-run");
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_cmpstr (locate (f, gtube, all_folders, NULL), ==, "Unfiltered");
  g_assert_cmpstr (locate (f, fp, all_folders, NULL), ==, "Spam/False Positives");
  g_assert_cmpstr (locate (f, old, all_folders, NULL), ==, "Spam");
  g_assert_cmpuint (count_verdict (f, "spam"), ==, 1);
  g_assert_cmpuint (count_verdict (f, "expired"), ==, 1);
  g_assert_true (json_object_get_boolean_member (record_for_subject (f, "GTUBE"), "dry_run"));
  g_assert_false (ss_test_dovecot_folder_exists (f->bed.dovecot, "Spam/False Negatives"));
}

static void
test_spamd_down (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GBytes) gtube = ss_test_data_load ("gtube.eml");
  g_autoptr(GError) error = NULL;
  /* A port that was just free: connection refused. */
  guint16 port = ss_test_pick_free_port (&error);
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", port);

  g_assert_no_error (error);

  add (f, "Unfiltered", gtube, "");
  write_config (f, NULL, address, NULL);
  run_spamsieve (f, NULL);
  g_assert_cmpint (f->run.exit_status, ==, 5);
  g_assert_nonnull (strstr (f->run.err, "spamd"));
  g_assert_cmpstr (locate (f, gtube, all_folders, NULL), ==, "Unfiltered");
  g_assert_cmpuint (f->run.records->len, ==, 0);
}

static void
age_failures (Fixture *f)
{
  g_autofree char *path = g_build_filename (f->bed.dir, "data", "spamsieve", "state.sqlite", NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE scan_failures SET first_failure = first_failure "
                                     "- 7200", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_changes (db), ==, 1);
  sqlite3_close (db);
}

/* A spamd that answers without a verdict: the message stays; after 3 tries spread over an
 * hour it goes to INBOX marked unscanned. */
static void
test_unscanned_after_retries (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GBytes) gtube = ss_test_data_load ("gtube.eml");
  g_autoptr(GError) error = NULL;
  g_autoptr(SsTestFakeSpamd) bad = ss_test_fake_spamd_new (SS_TEST_FAKE_SPAMD_NO_VERDICT,
                                                           &error);

  g_assert_no_error (error);
  add (f, "Unfiltered", gtube, "");
  write_config (f, NULL, ss_test_fake_spamd_get_address (bad), NULL);

  /* No verdict: never moved on a guess. */
  for (guint i = 0; i < 3; i++)
    {
      run_spamsieve (f, NULL);
      g_assert_cmpint (f->run.exit_status, ==, 5);
      g_assert_cmpstr (locate (f, gtube, all_folders, NULL), ==, "Unfiltered");
    }
  /* Three tries, but within seconds: still waiting. Pretend the first was 2 hours ago. */
  age_failures (f);
  run_spamsieve (f, NULL);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_cmpstr (locate (f, gtube, all_folders, NULL), ==, "INBOX");
  g_assert_cmpuint (count_verdict (f, "unscanned"), ==, 1);
}

static void
test_wrong_password (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GBytes) gtube = ss_test_data_load ("gtube.eml");

  g_free (ss_test_write_secret (f->bed.dir, "wrong"));
  add (f, "Unfiltered", gtube, "");
  write_config (f, NULL, NULL, NULL);
  run_spamsieve (f, NULL);
  g_assert_cmpint (f->run.exit_status, ==, 3);
  g_assert_nonnull (strstr (f->run.err, "Login refused"));
  g_assert_null (strstr (f->run.err, "wrong"));
  g_assert_cmpstr (locate (f, gtube, all_folders, NULL), ==, "Unfiltered");
}

/* One run with another [account] group: url_base and dovecot's IMAPS or plain port, tls
 * unless NULL, the password file, the test CA if with_ca. */
typedef struct
{
  const char *url_base;
  gboolean    imaps;
  const char *tls;
  gboolean    with_ca;
  int         status;         /* expected exit status */
  const char *where;          /* where GTUBE is afterwards */
  const char *err[3];         /* said on stderr (NULL-terminated) */
} AccountCase;

/* GTUBE in Unfiltered, then each run in turn. */
static void
run_account_cases (Fixture           *f,
                   const AccountCase *cases,
                   gsize              n_cases)
{
  g_autoptr(GBytes) gtube = ss_test_data_load ("gtube.eml");
  g_autofree char *secret = g_build_filename (f->bed.dir, "secret", NULL);

  add (f, "Unfiltered", gtube, "");
  for (gsize i = 0; i < n_cases; i++)
    {
      const AccountCase *c = &cases[i];
      guint16 port = c->imaps ? ss_test_dovecot_get_imaps_port (f->bed.dovecot)
                              : ss_test_dovecot_get_imap_port (f->bed.dovecot);
      g_autofree char *url = g_strdup_printf ("%s:%u", c->url_base, port);
      const char *ca = c->with_ca ? ss_test_dovecot_get_ca_file (f->bed.dovecot) : NULL;
      g_autofree char *account = ss_test_account_group (url, c->tls, secret, ca);

      write_config (f, account, NULL, NULL);
      run_spamsieve (f, NULL);
      g_assert_cmpint (f->run.exit_status, ==, c->status);
      for (guint j = 0; j < G_N_ELEMENTS (c->err) && c->err[j] != NULL; j++)
        g_assert_nonnull (strstr (f->run.err, c->err[j]));
      g_assert_cmpstr (locate (f, gtube, all_folders, NULL), ==, c->where);
    }
}

static void
test_server_unreachable (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint16 port = ss_test_pick_free_port (&error);
  g_autofree char *url = g_strdup_printf ("imap://127.0.0.1:%u", port);
  g_autofree char *secret = g_build_filename (f->bed.dir, "secret", NULL);
  g_autofree char *account = ss_test_account_group (url, NULL, secret, NULL);

  g_assert_no_error (error);
  write_config (f, account, NULL, NULL);
  run_spamsieve (f, NULL);
  g_assert_cmpint (f->run.exit_status, ==, 4);
}

static void
test_implicit_tls (Fixture       *f,
                   gconstpointer  data)
{
  static const AccountCase imaps = { "imaps://localhost", TRUE, NULL, TRUE, 0, "Spam" };

  run_account_cases (f, &imaps, 1);
}

/* Without the CA file the self-signed certificate is refused, clearly, for both modes. */
static void
test_unknown_certificate (Fixture       *f,
                          gconstpointer  data)
{
  static const AccountCase no_ca[] = {
    { "imaps://localhost", TRUE, NULL, FALSE, 4, "Unfiltered", { "certificate", "ca-file" } },
    { "imap://localhost", FALSE, NULL, FALSE, 4, "Unfiltered", { "certificate" } },
  };

  run_account_cases (f, no_ca, G_N_ELEMENTS (no_ca));
}

/* TLS chosen on the STARTTLS port: a hint in words, not OpenSSL's "wrong version number". */
static void
test_tls_on_starttls_port (Fixture       *f,
                           gconstpointer  data)
{
  static const AccountCase wrong_port = {
    "imaps://localhost", FALSE, NULL, TRUE, 4, "Unfiltered",
    { "did not answer with TLS", "probably expects STARTTLS" } };

  run_account_cases (f, &wrong_port, 1);
}

/* tls=none is possible when written explicitly (and the server allows it). */
static void
test_plaintext_explicit (Fixture       *f,
                gconstpointer  data)
{
  static const AccountCase plain = { "imap://127.0.0.1", FALSE, "none", FALSE, 0, "Spam" };

  run_account_cases (f, &plain, 1);
}

static void
test_missing_unfiltered (Fixture       *f,
                         gconstpointer  data)
{
  write_config (f, NULL, NULL, NULL);
  run_spamsieve (f, NULL);
  g_assert_cmpint (f->run.exit_status, ==, 1);
  g_assert_nonnull (strstr (f->run.err, "Unfiltered"));
  g_assert_nonnull (strstr (f->run.err, "does not exist"));
}

/* Runs once with these [folders] lines: spam goes to Junk, the learning folders are made
 * under it, no "Spam" folder appears. */
static void
assert_junk_folders (Fixture    *f,
                     const char *folders_group)
{
  g_autoptr(GBytes) gtube = ss_test_data_load ("gtube.eml");
  const char * const folders[] = { "Unfiltered", "INBOX", "Junk", "Spam", NULL };

  add (f, "Unfiltered", gtube, "");
  write_config (f, NULL, NULL, folders_group);
  run_spamsieve (f, NULL);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_cmpstr (locate (f, gtube, folders, NULL), ==, "Junk");
  g_assert_true (ss_test_dovecot_folder_exists (f->bed.dovecot, "Junk/False Positives"));
  g_assert_true (ss_test_dovecot_folder_exists (f->bed.dovecot, "Junk/False Negatives"));
  g_assert_false (ss_test_dovecot_folder_exists (f->bed.dovecot, "Spam"));
  g_assert_false (ss_test_dovecot_folder_exists (f->bed.dovecot, "Spam/False Positives"));
}

/* [folders] spam empty: the server's \Junk folder is used. */
static void
test_special_use_junk (Fixture       *f,
                       gconstpointer  data)
{
  assert_junk_folders (f, "[folders]\nspam=\n");
}

/* [folders] spam=Junk: the learning folders follow it. */
static void
test_learning_under_junk (Fixture       *f,
                          gconstpointer  data)
{
  assert_junk_folders (f, "[folders]\nspam=Junk\n");
}

static void
expect_bad_settings (Fixture    *f,
                     const char *text,
                     const char *needle)
{
  g_free (f->config_path);
  f->config_path = ss_test_write_file (f->bed.dir, "bad.conf", text, -1, 0600);
  run_spamsieve (f, NULL);
  g_assert_cmpint (f->run.exit_status, ==, 2);
  g_assert_nonnull (strstr (f->run.err, needle));
  /* One line. */
  g_assert_cmpuint (strlen (f->run.err), >, 0);
  g_assert_true (strchr (f->run.err, '\n') == f->run.err + strlen (f->run.err) - 1);
}

static void
test_bad_settings (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GBytes) gtube = ss_test_data_load ("gtube.eml");
  g_autofree char *open_secret = g_build_filename (f->bed.dir, "open-secret", NULL);
  g_autofree char *url = g_strdup_printf ("imap://127.0.0.1:%u",
                                          ss_test_dovecot_get_imap_port (f->bed.dovecot));
  g_autofree char *text = NULL;

  add (f, "Unfiltered", gtube, "");
  expect_bad_settings (f, "[account]\nurl=imap://x\nuser=u\nfrobnicate=1\n", "frobnicate");
  expect_bad_settings (f, "[account]\nurl=imap://x\nuser=u\n[spamd]\nparallel=0\n",
                       "parallel");
  expect_bad_settings (f, "[account]\nurl=imap://x\nuser=u\n[filter]\nchunk=ten\n", "chunk");
  expect_bad_settings (f, "[account]\nurl=ftp://x\nuser=u\n", "url");
  expect_bad_settings (f, "[account]\nurl=imap://x\nuser=u\npassword=hunter2\n", "password");
  expect_bad_settings (f, "this is not a settings file", "settings");

  g_assert_true (g_file_set_contents (open_secret, "secret\n", -1, NULL));
  g_assert_cmpint (g_chmod (open_secret, 0644), ==, 0);
  text = ss_test_account_group (url, NULL, open_secret, NULL);
  expect_bad_settings (f, text, "chmod 600");

  g_free (f->config_path);
  f->config_path = g_build_filename (f->bed.dir, "missing.conf", NULL);
  run_spamsieve (f, NULL);
  g_assert_cmpint (f->run.exit_status, ==, 2);
  g_assert_cmpstr (locate (f, gtube, all_folders, NULL), ==, "Unfiltered");
}

/* No [spamd] address: a private spamd on a Unix socket, started and stopped by spamsieve. */
static void
test_private_spamd (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GBytes) gtube = ss_test_data_load ("gtube.eml");
  g_autoptr(GPtrArray) ham = ss_test_corpus_load ("ham");
  g_autofree char *secret = g_build_filename (f->bed.dir, "secret", NULL);
  g_autofree char *account = ss_test_dovecot_account (f->bed.dovecot, secret);
  g_autofree char *text = ss_test_config_text (account, NULL, 2, 0, NULL);
  g_autofree char *socket_path = NULL;
  GBytes *fp = g_ptr_array_index (ham, 3);

  add (f, "Unfiltered", gtube, "");
  add (f, "Spam/False Positives", fp, "");
  g_free (f->config_path);
  f->config_path = ss_test_write_file (f->bed.dir, "private.conf", text, -1, 0600);
  run_spamsieve (f, NULL);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_cmpstr (locate (f, gtube, all_folders, NULL), ==, "Spam");
  g_assert_cmpstr (locate (f, fp, all_folders, NULL), ==, "INBOX");
  g_assert_cmpuint (count_verdict (f, "learned-ham"), ==, 1);
  /* Stopped on exit: the socket is gone. */
  socket_path = g_build_filename (f->bed.dir, "run", "spamsieve", "spamd.sock", NULL);
  g_assert_false (g_file_test (socket_path, G_FILE_TEST_EXISTS));
}

static const SsTestCase cases[] = {
  SS_TEST (corpus),
  SS_TEST (adversarial_bodies),
  SS_TEST (max_size),
  SS_TEST_WITH (no_move, &no_move_options),
  SS_TEST_WITH (dot_delimiter, &dot_options),
  SS_TEST_WITH (special_use_junk, &junk_options),
  SS_TEST (learning_under_junk),
  SS_TEST (learning),
  SS_TEST (learning_refused),
  SS_TEST (expire),
  SS_TEST (expire_unfiltered),
  SS_TEST (dry_run),
  SS_TEST (spamd_down),
  SS_TEST (unscanned_after_retries),
  SS_TEST (wrong_password),
  SS_TEST (server_unreachable),
  SS_TEST (implicit_tls),
  SS_TEST (unknown_certificate),
  SS_TEST (tls_on_starttls_port),
  SS_TEST_WITH (plaintext_explicit, &plaintext_options),
  SS_TEST_WITH (missing_unfiltered, &no_unfiltered_options),
  SS_TEST (bad_settings),
  SS_TEST (private_spamd),
};

SS_TEST_SUITE_MAIN ("/spamsieve/headless/", Fixture, ss_test_bed_setup, fixture_teardown,
                    TRUE, ss_message_info_init)
