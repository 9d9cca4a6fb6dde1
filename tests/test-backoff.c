#include "config.h"

#include "ss-backoff.h"
#include "ss-test-utils.h"

static void
test_growth (void)
{
  SsBackoff b;
  const guint expected_max[] = { 1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000,
                                 300000, 300000, 300000 };

  ss_backoff_init (&b, 1000, 300000);
  for (guint i = 0; i < G_N_ELEMENTS (expected_max); i++)
    {
      SsBackoff copy = b;
      guint hi = ss_backoff_next (&b, 0.999999);
      guint lo = ss_backoff_next (&copy, 0.0);

      g_assert_cmpuint (hi, <=, expected_max[i]);
      g_assert_cmpuint (hi, >=, expected_max[i] - 1);
      g_assert_cmpuint (lo, ==, expected_max[i] / 2);
    }
}

static void
test_reset (void)
{
  SsBackoff b;

  ss_backoff_init (&b, 1000, 300000);
  for (guint i = 0; i < 20; i++)
    ss_backoff_next (&b, 0.5);
  g_assert_cmpuint (ss_backoff_next (&b, 0.0), ==, 150000);
  ss_backoff_reset (&b);
  g_assert_cmpuint (ss_backoff_next (&b, 0.0), ==, 500);
  g_assert_cmpuint (ss_backoff_next (&b, 0.0), ==, 1000);
}

static void
test_bounds (void)
{
  SsBackoff b;

  ss_backoff_init (&b, 0, 0);
  g_assert_cmpuint (b.min_ms, ==, 1);
  g_assert_cmpuint (ss_backoff_next (&b, 7.0), ==, 1);   /* out-of-range random clamped */
  for (guint i = 0; i < 100; i++)                         /* no overflow after many tries */
    g_assert_cmpuint (ss_backoff_next (&b, 0.5), <=, 1);
}

static const SsTestFunc tests[] = {
  SS_TEST_FUNC ("/spamsieve/backoff/growth", test_growth),
  SS_TEST_FUNC ("/spamsieve/backoff/reset", test_reset),
  SS_TEST_FUNC ("/spamsieve/backoff/bounds", test_bounds),
};

SS_TEST_FUNCS_MAIN (NULL)
