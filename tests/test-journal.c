/* test-journal.c: the SQLite state on its own: records and pending steps round-trip through
 * the reused statements, a corrupt file is moved aside and rebuilt, a locked one is
 * reported and left alone. */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "ss-error.h"
#include "ss-journal.h"
#include "ss-journal-moves.h"
#include "ss-test-servers.h"
#include "ss-test-utils.h"

static SsRecord *
make_record (guint32     uid,
             const char *subject)
{
  SsRecord *r = ss_record_new ();

  r->time = g_get_real_time () / G_USEC_PER_SEC;
  r->folder = g_strdup ("Unfiltered");
  r->uidvalidity = 7;
  r->uid = uid;
  r->message_id = g_strdup_printf ("m%u@example.org", uid);
  r->from = g_strdup ("a@example.org");
  r->subject = g_strdup (subject);
  r->scanned = TRUE;
  r->score = 6.5;
  r->threshold = 5.0;
  r->rules = g_strsplit ("GTUBE,BAYES_99", ",", -1);
  r->verdict = SS_VERDICT_SPAM;
  r->destination = g_strdup ("Spam");
  return r;
}

/* A temp dir, removed at the end, and where the journal goes in it: DIR/sub/state.sqlite. */
typedef struct
{
  char *dir;
  char *path;
} Place;

static Place
place_new (void)
{
  Place p = { ss_test_mkdtemp () };

  p.path = g_build_filename (p.dir, "sub", "state.sqlite", NULL);
  return p;
}

static void
place_clear (Place *p)
{
  ss_test_rmrf (p->dir);
  g_clear_pointer (&p->dir, g_free);
  g_clear_pointer (&p->path, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Place, place_clear)

/* Many writes through the same cached statements, then read back newest first. */
static void
test_round_trip (void)
{
  g_auto(Place) place = place_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SsJournal) journal = ss_journal_open (place.path, &error);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) pending = NULL;

  g_assert_no_error (error);
  for (guint uid = 1; uid <= 300; uid++)
    {
      g_autofree char *subject = g_strdup_printf ("subject %u", uid);
      g_autoptr(SsRecord) r = make_record (uid, subject);
      SsPending p = { uid, SS_PENDING_MOVING, r, 1000 + uid, 42 };

      g_assert_true (ss_journal_begin (journal, &error));
      g_assert_true (ss_journal_put_pending (journal, "acct", &p, &error));
      g_assert_true (ss_journal_commit (journal, &error));
      g_assert_no_error (error);
      if (uid % 3 != 0)
        {
          g_assert_true (ss_journal_delete_pending (journal, "acct", "Unfiltered", 7, uid,
                                                    &error));
          g_assert_true (ss_journal_add_record (journal, "acct", r, &error));
        }
      g_assert_no_error (error);
    }
  records = ss_journal_list_records (journal, "acct", 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 200);
  g_assert_cmpstr (((SsRecord *) g_ptr_array_index (records, 0))->subject, ==, "subject 299");
  g_assert_cmpstr (((SsRecord *) g_ptr_array_index (records, 199))->subject, ==, "subject 1");
  g_assert_cmpstr (((SsRecord *) g_ptr_array_index (records, 0))->rules[1], ==, "BAYES_99");
  pending = ss_journal_list_pending (journal, "acct", "Unfiltered", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pending->len, ==, 100);
  for (guint i = 0; i < pending->len; i++)
    {
      SsPending *p = g_ptr_array_index (pending, i);

      g_assert_cmpuint (p->uid % 3, ==, 0);
      g_assert_cmpuint (p->size, ==, 1000 + p->uid);
      g_assert_cmpuint (p->dest_uidnext, ==, 42);
      g_assert_cmpint (p->step, ==, SS_PENDING_MOVING);
    }
  /* Another account sees nothing. */
  g_clear_pointer (&records, g_ptr_array_unref);
  records = ss_journal_list_records (journal, "other", 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 0);
}

static guint
count_aside (const char *dir)
{
  g_autofree char *sub = g_build_filename (dir, "sub", NULL);
  g_autoptr(GDir) d = g_dir_open (sub, 0, NULL);
  const char *name;
  guint n = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    n += g_str_has_prefix (name, "state.sqlite.corrupt-");
  return n;
}

/* Garbage where the database should be: kept aside for inspection, a new one works. */
static void
test_corrupt (void)
{
  g_auto(Place) place = place_new ();
  g_autofree char *sub = g_path_get_dirname (place.path);
  g_autoptr(GError) error = NULL;
  g_autoptr(SsJournal) journal = NULL;
  g_autoptr(SsRecord) r = make_record (1, "after the rebuild");
  g_autoptr(GPtrArray) records = NULL;
  char garbage[8192];

  memset (garbage, 'x', sizeof garbage);
  memcpy (garbage, "SQLite format 3", 16);   /* a header, then nonsense */
  g_assert_cmpint (g_mkdir_with_parents (sub, 0700), ==, 0);
  g_assert_true (g_file_set_contents (place.path, garbage, sizeof garbage, NULL));

  g_test_expect_message ("ss-journal", G_LOG_LEVEL_MESSAGE, "*moved to*corrupt-*");
  journal = ss_journal_open (place.path, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_nonnull (journal);
  g_assert_cmpuint (count_aside (place.dir), ==, 1);
  g_assert_true (ss_journal_add_record (journal, "acct", r, &error));
  g_assert_no_error (error);
  records = ss_journal_list_records (journal, "acct", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 1);
}

/* Another process holds the database exclusively: an error that says so, and the file is
 * neither moved nor replaced (it is not corrupt). */
static void
test_locked (void)
{
  g_auto(Place) place = place_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SsJournal) first = ss_journal_open (place.path, &error);
  g_autoptr(SsJournal) second = NULL;
  sqlite3 *other = NULL;
  gint64 start;

  g_assert_no_error (error);
  g_clear_object (&first);
  g_assert_cmpint (sqlite3_open (place.path, &other), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (other, "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; "
                                 "CREATE TABLE held (x);", NULL, NULL, NULL), ==, SQLITE_OK);

  start = g_get_monotonic_time ();
  second = ss_journal_open (place.path, &error);
  g_test_message ("locked: %s after %.1f s", error != NULL ? error->message : "(no error)",
                  (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC);
  g_assert_null (second);
  g_assert_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_JOURNAL);
  g_assert_nonnull (strstr (error->message, "locked"));
  g_assert_cmpuint (count_aside (place.dir), ==, 0);
  g_assert_true (g_file_test (place.path, G_FILE_TEST_EXISTS));
  sqlite3_exec (other, "ROLLBACK;", NULL, NULL, NULL);
  sqlite3_close (other);
}

static gpointer
open_in_thread (gpointer path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsJournal) journal = ss_journal_open (path, &error);

  return journal != NULL ? NULL : g_strdup (error->message);
}

/* Two accounts start together on a new state file: every session gets the journal (the
 * switch to WAL does not wait on the busy handler: without the retry 22 of these 1,600
 * openings failed, and such a session kept no history). */
static void
test_open_together (void)
{
  g_auto(Place) place = place_new ();
  guint failed = 0;

  for (guint round = 0; round < 400; round++)
    {
      g_autofree char *path = g_strdup_printf ("%s.%u", place.path, round);
      GThread *threads[4];

      for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
        threads[i] = g_thread_new ("open", open_in_thread, path);
      for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
        {
          g_autofree char *message = g_thread_join (threads[i]);

          if (message != NULL)
            g_test_message ("round %u: %s", round, message);
          failed += message != NULL;
        }
    }
  g_assert_cmpuint (failed, ==, 0);
}

/* In-place mode's watermark: per folder and UIDVALIDITY; a new UIDVALIDITY drops the old. */
static void
test_watermark (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsJournal) journal = ss_journal_open (NULL, &error);
  g_autoptr(SsRecord) record = ss_record_new ();
  gboolean found = TRUE;
  guint32 uid = 1;
  guint n = 9;

  g_assert_no_error (error);
  g_assert_true (ss_journal_get_scanned_upto (journal, "a", "INBOX", 7, &found, &uid, &error));
  g_assert_false (found);
  g_assert_cmpuint (uid, ==, 0);
  g_assert_true (ss_journal_set_scanned_upto (journal, "a", "INBOX", 7, 40, &error));
  g_assert_true (ss_journal_set_scanned_upto (journal, "a", "INBOX", 7, 55, &error));
  g_assert_true (ss_journal_get_scanned_upto (journal, "a", "INBOX", 7, &found, &uid, &error));
  g_assert_true (found);
  g_assert_cmpuint (uid, ==, 55);
  g_assert_true (ss_journal_get_scanned_upto (journal, "b", "INBOX", 7, &found, &uid, &error));
  g_assert_false (found);
  g_assert_true (ss_journal_set_scanned_upto (journal, "a", "INBOX", 8, 3, &error));
  g_assert_true (ss_journal_get_scanned_upto (journal, "a", "INBOX", 7, &found, &uid, &error));
  g_assert_false (found);
  g_assert_no_error (error);

  g_assert_true (ss_journal_count_since (journal, "a", "Unfiltered", 0, &n, &error));
  g_assert_cmpuint (n, ==, 0);
  record->folder = g_strdup ("Unfiltered");
  record->verdict = SS_VERDICT_HAM;
  record->destination = g_strdup ("INBOX");
  record->message_id = g_strdup ("");
  record->from = g_strdup ("");
  record->subject = g_strdup ("");
  record->rules = g_new0 (char *, 1);
  record->time = g_get_real_time () / G_USEC_PER_SEC;
  g_assert_true (ss_journal_add_record (journal, "a", record, &error));
  g_assert_true (ss_journal_count_since (journal, "a", "Unfiltered", record->time - 10, &n,
                                         &error));
  g_assert_cmpuint (n, ==, 1);
  g_assert_true (ss_journal_count_since (journal, "a", "Unfiltered", record->time + 10, &n,
                                         &error));
  g_assert_cmpuint (n, ==, 0);
  g_assert_no_error (error);
}

/* A state file from before the moves tables (history only, no indexes): opening it adds
 * them, its rows stay, and the moves' queries work on it. */
static void
test_migrate_moves (void)
{
  g_auto(Place) place = place_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SsJournal) journal = NULL;
  g_autofree char *sub = g_path_get_dirname (place.path);
  g_autofree char *destination = NULL;
  sqlite3 *old = NULL;
  guint32 uidvalidity = 0, uidnext = 0, dest_uid = 0;
  gboolean found = FALSE, learned = TRUE, own = FALSE;

  g_assert_cmpint (g_mkdir_with_parents (sub, 0700), ==, 0);
  g_assert_cmpint (sqlite3_open (place.path, &old), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (old,
    "CREATE TABLE history ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, time INTEGER NOT NULL,"
    "  folder TEXT, uidvalidity INTEGER, uid INTEGER, message_id TEXT, sender TEXT,"
    "  subject TEXT, scanned INTEGER, score REAL, threshold REAL, rules TEXT,"
    "  verdict TEXT NOT NULL, destination TEXT, dest_uidvalidity INTEGER, dest_uid INTEGER);"
    "INSERT INTO history (account, time, folder, uidvalidity, uid, message_id, verdict, "
    "  destination, dest_uidvalidity, dest_uid) "
    "  VALUES ('a', 1, 'Unfiltered', 7, 3, 'old@example.org', 'spam', 'Spam', 9, 12);",
    NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (old);

  journal = ss_journal_open (place.path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_aside (place.dir), ==, 0);
  g_assert_true (ss_journal_last_destination (journal, "a", "old@example.org", &destination,
                                              &dest_uid, &error));
  g_assert_cmpstr (destination, ==, "Spam");
  g_assert_cmpuint (dest_uid, ==, 12);
  g_assert_true (ss_journal_is_own_arrival (journal, "a", "Spam", 9, 12, &own, &error));
  g_assert_true (own);
  g_assert_true (ss_journal_is_own_arrival (journal, "a", "Spam", 9, 13, &own, &error));
  g_assert_false (own);

  g_assert_true (ss_journal_get_watermark (journal, "a", "Spam", &uidvalidity, &uidnext,
                                           &found, &error));
  g_assert_false (found);
  g_assert_true (ss_journal_set_watermark (journal, "a", "Spam", 9, 20, &error));
  g_assert_true (ss_journal_set_watermark (journal, "a", "Spam", 9, 25, &error));
  g_assert_true (ss_journal_get_watermark (journal, "a", "Spam", &uidvalidity, &uidnext,
                                           &found, &error));
  g_assert_true (found);
  g_assert_cmpuint (uidvalidity, ==, 9);
  g_assert_cmpuint (uidnext, ==, 25);

  g_assert_true (ss_journal_is_move_learned (journal, "a", "Spam", 9, 21, &learned, &error));
  g_assert_false (learned);
  g_assert_true (ss_journal_note_move_learned (journal, "a", "Spam", 9, 21, &error));
  g_assert_true (ss_journal_note_move_learned (journal, "a", "Spam", 9, 21, &error));
  g_assert_true (ss_journal_is_move_learned (journal, "a", "Spam", 9, 21, &learned, &error));
  g_assert_true (learned);
  g_assert_true (ss_journal_is_move_learned (journal, "a", "Spam", 10, 21, &learned, &error));
  g_assert_false (learned);
  g_assert_no_error (error);

  /* The tables and indexes are there for the next opening too. */
  g_clear_object (&journal);
  g_assert_cmpint (sqlite3_open (place.path, &old), ==, SQLITE_OK);
  {
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint (sqlite3_prepare_v2 (old, "SELECT count(*) FROM sqlite_master WHERE name "
                                         "IN ('watermarks', 'learned_moves', 'history_dest', "
                                         "'history_message_id')", -1, &stmt, NULL),
                     ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 4);
    sqlite3_finalize (stmt);
  }
  sqlite3_close (old);
}

static const SsTestFunc tests[] = {
  SS_TEST_FUNC ("/spamsieve/journal/watermark", test_watermark),
  SS_TEST_FUNC ("/spamsieve/journal/round-trip", test_round_trip),
  SS_TEST_FUNC ("/spamsieve/journal/corrupt", test_corrupt),
  SS_TEST_FUNC ("/spamsieve/journal/locked", test_locked),
  SS_TEST_FUNC ("/spamsieve/journal/open-together", test_open_together),
  SS_TEST_FUNC ("/spamsieve/journal/migrate-moves", test_migrate_moves),
};

SS_TEST_FUNCS_MAIN (NULL)
