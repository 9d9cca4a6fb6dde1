/* test-status.c: SsStatus words, icons and problems (no GTK, no servers) */
#define G_LOG_DOMAIN "test-status"

#include "config.h"

#include "ss-status.h"

#include <string.h>

#include "ss-error.h"

static void
test_status_words (void)
{
  g_autoptr(SsStatus) status = ss_status_new ();

  g_assert_cmpstr (ss_status_get_title (status), ==, "Not set up");
  g_assert_cmpstr (ss_status_get_sni_status (status), ==, "Active");
  ss_status_set_has_account (status, TRUE);
  ss_status_set_preparing (status, "Starting");
  g_assert_cmpstr (ss_status_get_title (status), ==, "Starting");
  ss_status_set_config_error (status, "settings: [account] url: missing");
  g_assert_cmpint (ss_status_get_problem (status), ==, SS_STATUS_PROBLEM_SETTINGS);
  g_assert_cmpstr (ss_status_get_icon_name (status), ==, APP_ID "-error-symbolic");
  g_assert_cmpstr (ss_status_get_sni_status (status), ==, "NeedsAttention");
  g_assert_cmpstr (ss_status_get_detail (status), ==,
                   "Server: enter the server as mail.example.org or mail.example.org:993");
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
  for (SsStatusProblem p = SS_STATUS_PROBLEM_LOGIN; p <= SS_STATUS_PROBLEM_INBOX_BYPASS; p++)
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
  g_assert_cmpstr (ss_status_problem_info (SS_STATUS_PROBLEM_INBOX_BYPASS).title, ==,
                   "New mail goes to INBOX, not to Unfiltered");

  ss_status_set_has_account (status, TRUE);
  ss_status_set_config_error (status, "broken");
  g_object_get (status, "problem-action", &action, "problem-action-label", &label, NULL);
  g_assert_cmpstr (ss_status_get_title (status), ==, "Settings need attention");
  g_assert_cmpstr (action, ==, "app.setup");
  g_assert_cmpstr (label, ==, "Open Settings");
}

/* spamd down is its own problem: the mail server is fine. */
static void
test_status_spamd_down (void)
{
  SsStatusProblemInfo info = ss_status_problem_info (SS_STATUS_PROBLEM_SPAMD);

  g_assert_cmpint (ss_status_problem_for_state (SS_SESSION_BACKING_OFF, SS_SPAMD_ERROR), ==,
                   SS_STATUS_PROBLEM_SPAMD);
  g_assert_cmpint (ss_status_problem_for_state (SS_SESSION_BACKING_OFF, SS_IMAP_ERROR), ==,
                   SS_STATUS_PROBLEM_UNREACHABLE);
  g_assert_cmpint (ss_status_problem_for_state (SS_SESSION_LOGIN_REFUSED, SS_IMAP_ERROR), ==,
                   SS_STATUS_PROBLEM_LOGIN);
  g_assert_cmpint (ss_status_problem_for_state (SS_SESSION_WATCHING, 0), ==,
                   SS_STATUS_PROBLEM_NONE);
  g_assert_cmpstr (info.title, ==, "SpamAssassin (spamd) is not answering");
  g_assert_null (strstr (info.title, "unreachable"));
  g_assert_cmpstr (info.action, ==, "app.check-now");
}

/* Settings errors name the field as the setup dialog does, not the file's [group] key. */
static void
test_status_config_words (void)
{
  const struct
  {
    const char *message;
    const char *words;
  } cases[] = {
    { "settings: [account] url: \"ftp://x\" must start with imaps:// (TLS) or imap:// (STARTTLS)",
      "Server: enter the server as mail.example.org or mail.example.org:993" },
    { "settings: [folders] spam: must not be empty", "Spam folder: must not be empty" },
    { "settings: [account] user: missing (the IMAP login name)",
      "User name: missing (the IMAP login name)" },
    { "settings: line 3: not valid UTF-8", "settings: line 3: not valid UTF-8" },
    { "broken", "broken" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *words = ss_status_describe_config_error (cases[i].message);

      g_assert_cmpstr (words, ==, cases[i].words);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/spamsieve/status/words", test_status_words);
  g_test_add_func ("/spamsieve/status/problems", test_status_problems);
  g_test_add_func ("/spamsieve/status/spamd-down", test_status_spamd_down);
  g_test_add_func ("/spamsieve/status/config-words", test_status_config_words);
  return g_test_run ();
}
