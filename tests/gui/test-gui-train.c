/* test-gui-train.c: the setup dialog's last step, "Learn from your existing mail", against
 * real dovecot and spamd: progress, the result, Done and Cancel. */
#define G_LOG_DOMAIN "test-gui"

#include "config.h"

#include <string.h>

#include "ss-gui-test.h"
#include "ss-settings.h"
#include "ss-setup-dialog.h"
#include "ss-test-utils.h"

typedef struct
{
  SsSession *session;
  char      *journal;
  guint      max_ham;
} Saved;

/* What the app does on "saved" (ss-application.c): start the session, then the step. */
static void
on_saved (SsSetupDialog *dialog,
          const char    *password,
          Saved         *saved)
{
  g_autoptr(GSettings) settings = ss_settings_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SsConfig) config = ss_settings_dup_config (settings, &error);

  g_assert_no_error (error);
  saved->session = ss_session_new (config, password, saved->journal);
  ss_session_start (saved->session);
  ss_setup_dialog_start_training (dialog, saved->session, saved->max_ham,
                                  config->train_max_spam);
}

static gboolean
dialog_idle (gpointer data)
{
  return !ss_setup_dialog_is_busy (data);
}

static gboolean
training_done (gpointer data)
{
  SsTrainPage *page = ss_setup_dialog_get_train_page (data);

  return page != NULL && !ss_train_page_is_running (page);
}

static gboolean
has_page (gpointer data)
{
  return ss_setup_dialog_get_train_page (data) != NULL;
}

static gboolean
is_null (gpointer data)
{
  return *(gpointer *) data == NULL;
}

static void
stop_session (SsSession *session)
{
  g_autoptr(GAsyncResult) result = NULL;

  ss_session_stop_async (session, NULL, ss_gui_keep_result, &result);
  ss_gui_await (&result, 60000);
  g_assert_true (ss_session_stop_finish (session, result, NULL));
}

static SsSetupDialog *
open_and_save (GSettings *settings,
               Saved     *saved)
{
  SsSetupDialog *dialog = ss_setup_dialog_new (NULL, settings);

  g_signal_connect (dialog, "saved", G_CALLBACK (on_saved), saved);
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_true (ss_gui_wait (dialog_idle, dialog, 20000));
  gtk_editable_set_text (GTK_EDITABLE (ss_gui_child (dialog, SS_TYPE_SETUP_DIALOG,
                                                     "password_row")), "secret");
  gtk_widget_activate_action (GTK_WIDGET (dialog), "setup.save", NULL);
  /* Saved (the password goes to the keyring first): the step follows, the dialog stays. */
  g_assert_true (ss_gui_wait (has_page, dialog, 20000));
  return dialog;
}

static void
test_setup_train (void)
{
  SsTestDovecot *dovecot = ss_gui_start_dovecot ();
  SsTestSpamd *spamd = ss_gui_shared_spamd ();
  g_autofree char *address = ss_test_spamd_dup_address (spamd);
  g_autofree char *dir = ss_test_mkdtemp ();
  g_autoptr(GSettings) settings = ss_settings_new ();
  g_autoptr(GPtrArray) ham = ss_test_corpus_load ("ham");
  g_autoptr(GPtrArray) spam = ss_test_corpus_load ("spam");
  Saved saved = { NULL, g_build_filename (dir, "state.sqlite", NULL), 1000 };
  SsSetupDialog *dialog;
  SsTrainPage *page;
  guint n_spam0, n_ham0, n_spam1, n_ham1;

  for (guint i = 0; i < 3; i++)
    ss_test_add (dovecot, "INBOX", g_ptr_array_index (ham, i), "S", 0);
  ss_test_add (dovecot, "INBOX", g_ptr_array_index (ham, 3), "", 0);   /* unread: not ham */
  for (guint i = 0; i < 2; i++)
    ss_test_add (dovecot, "Spam", g_ptr_array_index (spam, i), "", 0);
  g_assert_true (ss_test_spamd_get_learned (spamd, &n_spam0, &n_ham0, NULL));
  ss_gui_settings_for (settings, dovecot, address);

  dialog = open_and_save (settings, &saved);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  /* The work runs on the session's worker. */
  page = ss_setup_dialog_get_train_page (dialog);
  g_assert_nonnull (page);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (page)));
  g_assert_true (ss_gui_wait (training_done, dialog, 120000));
  g_test_message ("%s", ss_train_page_get_text (page));
  g_assert_cmpstr (ss_train_page_get_text (page), ==,
                   "Learned 3 good messages and 2 spam messages (0 learned before).");
  g_assert_cmpfloat (ss_train_page_get_fraction (page), ==, 1.0);
  ss_gui_assert_screenshot (GTK_WIDGET (dialog), "setup-train");
  g_assert_true (ss_test_spamd_get_learned (spamd, &n_spam1, &n_ham1, NULL));
  g_assert_cmpuint (n_ham1 - n_ham0, ==, 3);
  g_assert_cmpuint (n_spam1 - n_spam0, ==, 2);
  /* Nothing moved or flagged. */
  g_assert_cmpuint (ss_test_count_stored (dovecot, "INBOX", NULL), ==, 4);
  g_assert_cmpuint (ss_test_count_stored (dovecot, "Spam", NULL), ==, 2);

  /* Done closes the dialog. */
  ss_train_page_activate (page);
  g_assert_true (ss_gui_wait (is_null, &dialog, 5000));
  stop_session (saved.session);
  g_clear_object (&saved.session);

  /* Again, cancelled at once: the dialog closes after the worker stopped. */
  dialog = open_and_save (settings, &saved);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  page = ss_setup_dialog_get_train_page (dialog);
  g_assert_nonnull (page);
  ss_train_page_activate (page);
  g_assert_true (ss_gui_wait (is_null, &dialog, 60000));
  stop_session (saved.session);
  g_clear_object (&saved.session);

  ss_test_rmrf (dir);
  g_free (saved.journal);
  ss_test_dovecot_stop (dovecot);
}

void
ss_gui_add_train_tests (void)
{
  g_test_add_func ("/setup/train", test_setup_train);
}
