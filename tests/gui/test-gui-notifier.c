/* test-gui-notifier.c: notifications (a notification daemon stand-in) for a session that
 * meets a refused login, then an unreachable server. */
#define G_LOG_DOMAIN "test-gui"

#include "config.h"

#include <string.h>

#include "ss-gui-test.h"
#include "ss-test-fake-spamd.h"
#include "ss-test-mailcheck.h"
#include "ss-test-utils.h"
#include "ss-notifier.h"
#include "ss-settings.h"
#include "ss-status.h"

typedef struct
{
  SsStatus       *status;
  SsStatusProblem problem;
} ProblemWait;

static gboolean
has_problem (gpointer data)
{
  ProblemWait *wait = data;

  return ss_status_get_problem (wait->status) == wait->problem;
}

static void
stop_session (SsSession *session)
{
  g_autoptr(GAsyncResult) result = NULL;

  ss_session_stop_async (session, NULL, ss_gui_keep_result, &result);
  ss_gui_await (&result, 30000);
  g_assert_true (ss_session_stop_finish (session, result, NULL));
}

static void
test_notifier (void)
{
  SsTestDovecot *dovecot = ss_gui_start_dovecot ();
  g_autofree char *spamd = ss_test_spamd_dup_address (ss_gui_shared_spamd ());
  g_autoptr(GSettings) settings = ss_settings_new ();
  g_autoptr(SsStatus) status = ss_status_new ();
  g_autoptr(SsNotifier) notifier = NULL;
  g_autoptr(SsSession) session = NULL;
  g_autoptr(SsConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = ss_test_mkdtemp ();
  g_autofree char *journal = g_build_filename (dir, "state.sqlite", NULL);
  GSubprocess *daemon = ss_gui_mock_start ("notification_daemon",
                                           "org.freedesktop.Notifications");
  ProblemWait login = { status, SS_STATUS_PROBLEM_LOGIN };
  ProblemWait unreachable = { status, SS_STATUS_PROBLEM_UNREACHABLE };

  notifier = ss_notifier_new (NULL, status, settings);
  ss_notifier_set_delays (notifier, 2, 1, 600);

  /* Login refused: exactly one notification, however often it is refused. */
  ss_gui_settings_for (settings, dovecot, spamd);
  config = ss_settings_dup_config (settings, &error);
  g_assert_no_error (error);
  session = ss_session_new (config, "wrong", journal);
  ss_status_set_has_account (status, TRUE);
  ss_status_set_session (status, session);
  ss_session_start (session);
  g_assert_true (ss_gui_wait (has_problem, &login, 30000));
  g_assert_true (ss_gui_wait (ss_gui_sent_at_least, GUINT_TO_POINTER (1), 10000));
  g_assert_cmpuint (ss_gui_count_notifications ("Login refused"), ==, 1);
  ss_session_reload (session, NULL, "still wrong");
  ss_gui_spin (500);
  g_assert_true (ss_gui_wait (has_problem, &login, 30000));
  ss_gui_spin (500);
  g_assert_cmpuint (ss_gui_count_notifications ("Login refused"), ==, 1);
  g_assert_cmpuint (ss_notifier_get_n_sent (notifier), ==, 1);

  /* The server goes away: one notification once it has been unreachable for a while. */
  g_free (config->url);
  config->url = g_strdup ("imap://127.0.0.1:1");
  g_assert_true (ss_config_validate (config, &error));
  ss_session_reload (session, config, "secret");
  g_assert_true (ss_gui_wait (has_problem, &unreachable, 30000));
  g_test_message ("unreachable: %s", ss_status_get_title (status));
  g_assert_true (g_str_has_prefix (ss_status_get_title (status), "Server unreachable, retrying"));
  g_assert_cmpuint (ss_gui_count_notifications ("Mail server unreachable"), ==, 0);
  g_assert_true (ss_gui_wait (ss_gui_sent_at_least, GUINT_TO_POINTER (2), 20000));
  g_assert_cmpuint (ss_gui_count_notifications ("Mail server unreachable"), ==, 1);
  ss_gui_spin (3000);
  g_assert_cmpuint (ss_gui_count_notifications ("Mail server unreachable"), ==, 1);

  stop_session (session);
  ss_status_set_session (status, NULL);
  g_clear_object (&notifier);
  ss_gui_mock_stop (daemon);
  ss_test_dovecot_stop (dovecot);
  ss_test_rmrf (dir);
}

static gboolean
unfiltered_empty (gpointer data)
{
  return ss_test_mail_count (data, "Unfiltered") == 0;
}

/* Uncertain mail: always notified (whatever notify-spam-summary says), summed up into one
 * notification per batch, and never a flood: more of it within the interval waits. */
static void
test_notifier_uncertain (void)
{
  static const char reply[] = "SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\n"
                              "Spam: True ; 5.5 / 5.0\r\n\r\n";
  g_autoptr(GBytes) reply_bytes = g_bytes_new_static (reply, strlen (reply));
  SsTestDovecot *dovecot = ss_gui_start_dovecot ();
  g_autoptr(GError) error = NULL;
  SsTestFakeSpamd *spamd = ss_test_fake_spamd_new_full (SS_TEST_FAKE_SPAMD_SCORE, 0,
                                                        reply_bytes, &error);
  g_autoptr(GSettings) settings = ss_settings_new ();
  g_autoptr(SsStatus) status = ss_status_new ();
  g_autoptr(SsNotifier) notifier = NULL;
  g_autoptr(SsSession) session = NULL;
  g_autoptr(SsConfig) config = NULL;
  g_autoptr(GPtrArray) mails = ss_test_mail_corpus (5, "uncertain");
  g_autofree char *dir = ss_test_mkdtemp ();
  g_autofree char *journal = g_build_filename (dir, "state.sqlite", NULL);
  GSubprocess *daemon = ss_gui_mock_start ("notification_daemon",
                                           "org.freedesktop.Notifications");

  g_assert_no_error (error);
  notifier = ss_notifier_new (NULL, status, settings);
  ss_notifier_set_delays (notifier, 2, 1, 600);
  ss_gui_settings_for (settings, dovecot, ss_test_fake_spamd_get_address (spamd));
  g_settings_set_boolean (settings, "notify-spam-summary", FALSE);
  config = ss_settings_dup_config (settings, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (config->uncertain_band, >, 0);

  for (guint i = 0; i < 3; i++)
    ss_test_add (dovecot, "Unfiltered",
                 ((SsTestMail *) g_ptr_array_index (mails, i))->content, "", 0);
  session = ss_session_new (config, "secret", journal);
  ss_status_set_has_account (status, TRUE);
  ss_status_set_session (status, session);
  ss_session_start (session);
  g_assert_true (ss_gui_wait (ss_gui_sent_at_least, GUINT_TO_POINTER (1), 60000));
  ss_gui_spin (1500);
  g_assert_cmpuint (ss_gui_count_notifications ("3 messages may be spam"), ==, 1);
  g_assert_cmpuint (ss_gui_count_notifications (NULL), ==, 1);

  /* Two more within the interval: counted, not shown yet. */
  for (guint i = 3; i < 5; i++)
    ss_test_add (dovecot, "Unfiltered",
                 ((SsTestMail *) g_ptr_array_index (mails, i))->content, "", 0);
  ss_session_check_now (session);
  g_assert_true (ss_gui_wait (unfiltered_empty, dovecot, 60000));
  ss_gui_spin (3000);
  g_assert_cmpuint (ss_gui_count_notifications (NULL), ==, 1);
  g_assert_cmpuint (ss_notifier_get_n_sent (notifier), ==, 1);

  stop_session (session);
  ss_status_set_session (status, NULL);
  g_clear_object (&notifier);
  ss_gui_mock_stop (daemon);
  ss_test_fake_spamd_free (spamd);
  ss_test_dovecot_stop (dovecot);
  ss_test_rmrf (dir);
}

void
ss_gui_add_notifier_tests (void)
{
  g_test_add_func ("/notifier", test_notifier);
  g_test_add_func ("/notifier-uncertain", test_notifier_uncertain);
}
