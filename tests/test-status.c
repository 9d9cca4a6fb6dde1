/* test-status.c: SsStatus words, icons and problems (no GTK, no servers) */
#define G_LOG_DOMAIN "test-status"

#include "config.h"

#include "ss-status.h"

static void
test_status_words (void)
{
  g_autoptr(SsStatus) status = ss_status_new ();

  g_assert_cmpstr (ss_status_get_title (status), ==, "Not set up");
  g_assert_cmpstr (ss_status_get_sni_status (status), ==, "Passive");
  ss_status_set_has_account (status, TRUE);
  ss_status_set_preparing (status, "Starting");
  g_assert_cmpstr (ss_status_get_title (status), ==, "Starting");
  ss_status_set_config_error (status, "settings: [account] url: missing");
  g_assert_cmpint (ss_status_get_problem (status), ==, SS_STATUS_PROBLEM_SETTINGS);
  g_assert_cmpstr (ss_status_get_icon_name (status), ==, APP_ID "-error-symbolic");
  g_assert_cmpstr (ss_status_get_sni_status (status), ==, "NeedsAttention");
  g_assert_cmpstr (ss_status_get_detail (status), ==, "settings: [account] url: missing");
}

/* One table says how each problem is shown; the status words follow it. */
static void
test_status_problems (void)
{
  g_autoptr(SsStatus) status = ss_status_new ();
  g_autofree char *action = NULL;
  g_autofree char *label = NULL;
  SsStatusProblemInfo none = ss_status_problem_info (SS_STATUS_PROBLEM_NONE);

  g_assert_null (none.title);
  g_assert_null (none.action);
  for (SsStatusProblem p = SS_STATUS_PROBLEM_LOGIN; p <= SS_STATUS_PROBLEM_UNREACHABLE; p++)
    {
      SsStatusProblemInfo info = ss_status_problem_info (p);

      g_assert_nonnull (info.icon_name);
      g_assert_nonnull (info.title);
      g_assert_nonnull (info.explanation);
      g_assert_true (g_str_has_prefix (info.action, "app."));
      g_assert_nonnull (info.action_label);
      g_assert_nonnull (info.sni_status);
    }
  g_assert_cmpstr (ss_status_problem_info (SS_STATUS_PROBLEM_LOGIN).title, ==, "Login refused");
  g_assert_cmpstr (ss_status_problem_info (SS_STATUS_PROBLEM_UNREACHABLE).action, ==,
                   "app.check-now");

  ss_status_set_has_account (status, TRUE);
  ss_status_set_config_error (status, "broken");
  g_object_get (status, "problem-action", &action, "problem-action-label", &label, NULL);
  g_assert_cmpstr (ss_status_get_title (status), ==, "Settings need attention");
  g_assert_cmpstr (action, ==, "app.setup");
  g_assert_cmpstr (label, ==, "Open Settings");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/spamsieve/status/words", test_status_words);
  g_test_add_func ("/spamsieve/status/problems", test_status_problems);
  return g_test_run ();
}
