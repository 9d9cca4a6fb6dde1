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

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/spamsieve/status/words", test_status_words);
  return g_test_run ();
}
