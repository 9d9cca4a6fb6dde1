/* test-decision.c: the fused verdict (ss_decide): spamd alone agrees with spamd, the learner
 * can overrule it both ways, the uncertain band and threshold, and NaN inputs. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ss-decision.h"
#include "ss-verdict.h"

/* With no learner opinion, the default cut-off is spamd's own: score >= required is spam. */
static void
test_spamd_alone (void)
{
  SsDecision d;

  d = ss_decide (5.0, 5.0, 0, 0.5, 0);
  g_assert_cmpint (d.kind, ==, SS_DECISION_SPAM);
  g_assert_cmpfloat_with_epsilon (d.combined, 0.5, 1e-9);
  d = ss_decide (4.9, 5.0, 0, 0.5, 0);
  g_assert_cmpint (d.kind, ==, SS_DECISION_HAM);
  g_assert_cmpfloat (d.combined, <, 0.5);
  d = ss_decide (-3.0, 5.0, 0, 0.5, 0);
  g_assert_cmpint (d.kind, ==, SS_DECISION_HAM);
  g_assert_cmpfloat (d.combined, <, 0.001);
  d = ss_decide (1000.0, 5.0, 0, 0.5, 0);
  g_assert_cmpint (d.kind, ==, SS_DECISION_SPAM);
  g_assert_cmpfloat (d.combined, <=, 1.0);
  g_assert_cmpfloat (d.combined, >, 0.999);
}

/* The learner's log-odds add to spamd's: a confident learner overrules a near-miss. */
static void
test_learner_overrules (void)
{
  SsDecision d;

  d = ss_decide (6.0, 5.0, -3.0, 0.5, 0);    /* spamd: spam by 1 point; learner: ham */
  g_assert_cmpint (d.kind, ==, SS_DECISION_HAM);
  g_assert_cmpfloat_with_epsilon (d.combined, 1 / (1 + exp (2.0)), 1e-9);
  d = ss_decide (3.0, 5.0, 4.0, 0.5, 0);     /* spamd: ham by 2 points; learner: spam */
  g_assert_cmpint (d.kind, ==, SS_DECISION_SPAM);
  /* certain spam stays spam against a mild ham opinion */
  d = ss_decide (25.0, 5.0, -5.0, 0.5, 0);
  g_assert_cmpint (d.kind, ==, SS_DECISION_SPAM);
}

static void
test_band (void)
{
  SsDecision d;

  d = ss_decide (5.5, 5.0, 0, 0.5, 0.2);     /* p = 0.62: inside 0.3..0.7 */
  g_assert_cmpint (d.kind, ==, SS_DECISION_UNCERTAIN);
  d = ss_decide (4.5, 5.0, 0, 0.5, 0.2);     /* p = 0.38 */
  g_assert_cmpint (d.kind, ==, SS_DECISION_UNCERTAIN);
  d = ss_decide (6.0, 5.0, 0, 0.5, 0.2);     /* p = 0.73 */
  g_assert_cmpint (d.kind, ==, SS_DECISION_SPAM);
  d = ss_decide (4.0, 5.0, 0, 0.5, 0.2);     /* p = 0.27 */
  g_assert_cmpint (d.kind, ==, SS_DECISION_HAM);
  d = ss_decide (5.5, 5.0, 0, 0.5, 0);       /* band off */
  g_assert_cmpint (d.kind, ==, SS_DECISION_SPAM);
  /* the default, 45 %: 0.05..0.95 */
  d = ss_decide (5.0 - 2.9, 5.0, 0, 0.5, 0.45);   /* p = 0.052 */
  g_assert_cmpint (d.kind, ==, SS_DECISION_UNCERTAIN);
  d = ss_decide (5.0 - 3.0, 5.0, 0, 0.5, 0.45);   /* p = 0.047 */
  g_assert_cmpint (d.kind, ==, SS_DECISION_HAM);
  d = ss_decide (5.0 + 3.0, 5.0, 0, 0.5, 0.45);   /* p = 0.953 */
  g_assert_cmpint (d.kind, ==, SS_DECISION_SPAM);
  /* Another threshold: the band is the same share of the way to 0 and to 1, so a wide band
   * never covers a whole side. Threshold 0.8, band 0.45: 0.08..0.98. */
  d = ss_decide (5.0 - 2.3, 5.0, 0, 0.8, 0.45);   /* p = 0.091 */
  g_assert_cmpint (d.kind, ==, SS_DECISION_UNCERTAIN);
  d = ss_decide (5.0 - 2.6, 5.0, 0, 0.8, 0.45);   /* p = 0.069 */
  g_assert_cmpint (d.kind, ==, SS_DECISION_HAM);
  d = ss_decide (5.0 + 4.2, 5.0, 0, 0.8, 0.45);   /* p = 0.985 */
  g_assert_cmpint (d.kind, ==, SS_DECISION_SPAM);
  d = ss_decide (5.0 + 3.6, 5.0, 0, 0.8, 0.45);   /* p = 0.973 */
  g_assert_cmpint (d.kind, ==, SS_DECISION_UNCERTAIN);
}

static void
test_threshold (void)
{
  /* stricter (higher) cut-off: 0.62 is not spam at 0.8, is at 0.6 */
  g_assert_cmpint (ss_decide (5.5, 5.0, 0, 0.8, 0).kind, ==, SS_DECISION_HAM);
  g_assert_cmpint (ss_decide (5.5, 5.0, 0, 0.6, 0).kind, ==, SS_DECISION_SPAM);
  /* out-of-range thresholds are clamped, never make everything spam or ham */
  g_assert_cmpint (ss_decide (-50, 5.0, 0, 0.0, 0).kind, ==, SS_DECISION_HAM);
  g_assert_cmpint (ss_decide (50, 5.0, 0, 1.0, 0).kind, ==, SS_DECISION_SPAM);
}

static void
test_nan (void)
{
  SsDecision d;

  /* no spamd score: the learner alone */
  d = ss_decide (NAN, NAN, 2.0, 0.5, 0);
  g_assert_cmpint (d.kind, ==, SS_DECISION_SPAM);
  d = ss_decide (NAN, 5.0, -2.0, 0.5, 0);
  g_assert_cmpint (d.kind, ==, SS_DECISION_HAM);
  /* nothing known: even odds, uncertain when the band is on */
  d = ss_decide (NAN, NAN, NAN, NAN, 0.1);
  g_assert_cmpfloat_with_epsilon (d.combined, 0.5, 1e-9);
  g_assert_cmpint (d.kind, ==, SS_DECISION_UNCERTAIN);
}

/* An uncertain row: offered both ways in the window; its record's JSON says so. */
static void
test_uncertain_row (void)
{
  g_autoptr(SsRecord) r = ss_record_new ();
  g_autoptr(SsVerdict) v = NULL;
  g_autofree char *json = NULL;
  g_autofree char *key = NULL;
  gboolean can_spam = FALSE, can_ham = FALSE;

  r->folder = g_strdup ("Unfiltered");
  r->uidvalidity = 1;
  r->uid = 5;
  r->scanned = TRUE;
  r->score = 5.5;
  r->threshold = 5.0;
  r->combined = 0.6225;
  r->logodds = 0.5;
  r->learner = 0;
  r->verdict = SS_VERDICT_UNCERTAIN;
  r->destination = g_strdup ("INBOX");
  r->dest_uidvalidity = 7;
  r->dest_uid = 3;
  v = ss_verdict_new (r);
  g_object_get (v, "can-mark-spam", &can_spam, "can-mark-ham", &can_ham, NULL);
  g_assert_true (can_spam);
  g_assert_true (can_ham);
  key = ss_verdict_dup_key (v);
  g_assert_cmpstr (key, ==, "7:3:INBOX");
  json = ss_record_to_json (r);
  g_assert_nonnull (strstr (json, "\"combined\":0.6225,\"logodds\":0.500,\"learner\":0.000,"
                                  "\"verdict\":\"uncertain\""));
  g_assert_nonnull (strstr (json, "\"key\":\"7:3:INBOX\",\"dest_uidvalidity\":7,"
                                  "\"dest_uid\":3"));
  /* not scanned: null, and no key where the place is unknown */
  r->scanned = FALSE;
  r->dest_uid = 0;
  g_clear_pointer (&json, g_free);
  json = ss_record_to_json (r);
  g_assert_nonnull (strstr (json, "\"combined\":null,\"logodds\":null,\"learner\":null,"));
  g_assert_nonnull (strstr (json, "\"key\":null"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/spamsieve/decision/spamd-alone", test_spamd_alone);
  g_test_add_func ("/spamsieve/decision/learner-overrules", test_learner_overrules);
  g_test_add_func ("/spamsieve/decision/band", test_band);
  g_test_add_func ("/spamsieve/decision/threshold", test_threshold);
  g_test_add_func ("/spamsieve/decision/nan", test_nan);
  g_test_add_func ("/spamsieve/decision/uncertain-row", test_uncertain_row);
  return g_test_run ();
}
