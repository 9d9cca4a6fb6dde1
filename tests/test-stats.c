/* test-stats.c: SsStats counts and accuracy over a list of verdicts (no GTK, no servers) */
#define G_LOG_DOMAIN "test-stats"

#include "config.h"

#include "ss-stats.h"
#include "ss-verdict.h"

static SsRecord *
make_record (SsVerdictKind  kind,
             const char    *message_id,
             gint64         time)
{
  SsRecord *r = ss_record_new ();

  r->time = time;
  r->folder = g_strdup ("Unfiltered");
  r->uidvalidity = 1;
  r->uid = 1;
  r->message_id = g_strdup (message_id);
  r->from = g_strdup ("Ann <ann@example.org>");
  r->subject = g_strdup ("Hello");
  r->scanned = kind == SS_VERDICT_SPAM || kind == SS_VERDICT_HAM;
  r->score = kind == SS_VERDICT_SPAM ? 9.5 : -1.0;
  r->threshold = 5.0;
  r->rules = g_new0 (char *, 1);
  r->verdict = kind;
  r->destination = g_strdup (kind == SS_VERDICT_SPAM || kind == SS_VERDICT_LEARNED_SPAM
                             ? "Spam" : "INBOX");
  r->dest_uidvalidity = 7;
  r->dest_uid = 3;
  return r;
}

static void
test_stats (void)
{
  g_autoptr(GListStore) store = g_list_store_new (SS_TYPE_VERDICT);
  g_autoptr(SsStats) stats = ss_stats_new ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 old = now - 3 * 86400;
  const struct
  {
    SsVerdictKind kind;
    const char   *id;
    gint64        time;
  } rows[] = {
    { SS_VERDICT_SPAM, "a", now },
    { SS_VERDICT_SPAM, "b", now },
    { SS_VERDICT_HAM, "c", now },
    { SS_VERDICT_HAM, "d", old },
    { SS_VERDICT_LEARNED_HAM, "e", now },    /* a mark replaced a spam row in place */
    { SS_VERDICT_LEARNED_SPAM, "d", now },   /* learned from a folder: its scan is row d */
    { SS_VERDICT_SKIPPED, "f", old },
  };
  g_autofree char *today = NULL;
  g_autofree char *accuracy = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autoptr(SsRecord) r = make_record (rows[i].kind, rows[i].id, rows[i].time);
      g_autoptr(SsVerdict) v = ss_verdict_new (r);

      g_list_store_append (store, v);
    }
  ss_stats_set_model (stats, G_LIST_MODEL (store));

  /* total: scanned a b c d + e (replaced spam) = 5; spam a b e = 3; ham c d = 2 */
  g_assert_cmpuint (ss_stats_get_total (stats)->scanned, ==, 5);
  g_assert_cmpuint (ss_stats_get_total (stats)->spam, ==, 3);
  g_assert_cmpuint (ss_stats_get_total (stats)->ham, ==, 2);
  g_assert_cmpuint (ss_stats_get_total (stats)->learned, ==, 2);
  g_assert_cmpuint (ss_stats_get_total (stats)->false_positives, ==, 1);
  g_assert_cmpuint (ss_stats_get_total (stats)->false_negatives, ==, 1);
  g_assert_cmpuint (ss_stats_get_total (stats)->other, ==, 1);
  g_assert_cmpuint (ss_stats_get_today (stats)->scanned, ==, 4);
  g_assert_cmpfloat_with_epsilon (ss_stats_get_accuracy (stats), 60.0, 0.001);

  g_object_get (stats, "today-text", &today, "accuracy-text", &accuracy, NULL);
  g_assert_cmpstr (today, ==, "4 scanned · 3 spam · 1 ham · 2 learned");
  g_assert_cmpstr (accuracy, ==, "60.0 % correct · 1 false positive, 1 false negative");

  /* No rows: no accuracy. */
  g_list_store_remove_all (store);
  ss_stats_update (stats);
  g_assert_cmpfloat (ss_stats_get_accuracy (stats), <, 0);
}

/* "Not spam" then Undo on a spam row: the row and the counts are as before the mark. */
static void
test_undo (void)
{
  g_autoptr(GListStore) store = g_list_store_new (SS_TYPE_VERDICT);
  g_autoptr(SsStats) stats = ss_stats_new ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(SsRecord) scan = make_record (SS_VERDICT_SPAM, "a", now - 60);
  g_autoptr(SsRecord) ham = make_record (SS_VERDICT_HAM, "b", now - 60);
  g_autoptr(SsRecord) as_ham = make_record (SS_VERDICT_LEARNED_HAM, "a", now);
  g_autoptr(SsRecord) undo = make_record (SS_VERDICT_LEARNED_SPAM, "a", now);
  g_autoptr(SsVerdict) row = ss_verdict_new (scan);
  g_autoptr(SsVerdict) other = ss_verdict_new (ham);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  const SsRecord *r;

  g_list_store_append (store, row);
  g_list_store_append (store, other);
  ss_stats_set_model (stats, G_LIST_MODEL (store));
  g_object_get (stats, "accuracy-text", &before, NULL);
  g_assert_cmpstr (before, ==, "100 % correct · no corrections");

  /* The mark's records carry no scan: the row keeps its own. */
  as_ham->scanned = undo->scanned = FALSE;
  as_ham->score = undo->score = 0;
  as_ham->dest_uid = 8;
  g_free (undo->folder);
  undo->folder = g_strdup ("INBOX");
  undo->uid = 8;
  undo->dest_uid = 9;
  ss_verdict_update (row, as_ham);
  ss_stats_update (stats);
  g_assert_cmpuint (ss_stats_get_total (stats)->scanned, ==, 2);
  g_assert_cmpuint (ss_stats_get_total (stats)->spam, ==, 1);
  g_assert_cmpuint (ss_stats_get_total (stats)->false_positives, ==, 1);
  g_assert_cmpuint (ss_stats_get_total (stats)->false_negatives, ==, 0);
  r = ss_verdict_get_record (row);
  g_assert_true (r->scanned);
  g_assert_cmpfloat (r->score, ==, 9.5);
  g_assert_cmpstr (r->destination, ==, "INBOX");

  ss_verdict_update (row, undo);
  ss_stats_update (stats);
  r = ss_verdict_get_record (row);
  g_assert_cmpint (r->verdict, ==, SS_VERDICT_SPAM);
  g_assert_true (r->scanned);
  g_assert_cmpfloat (r->score, ==, 9.5);
  g_assert_cmpint (r->time, ==, now - 60);
  g_assert_cmpstr (r->destination, ==, "Spam");
  g_assert_cmpuint (r->dest_uid, ==, 9);
  g_assert_cmpuint (ss_stats_get_total (stats)->learned, ==, 0);
  g_assert_cmpuint (ss_stats_get_total (stats)->scanned, ==, 2);
  g_assert_cmpuint (ss_stats_get_total (stats)->spam, ==, 1);
  g_object_get (stats, "accuracy-text", &after, NULL);
  g_assert_cmpstr (after, ==, before);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/spamsieve/stats/counts", test_stats);
  g_test_add_func ("/spamsieve/stats/undo", test_undo);
  return g_test_run ();
}
