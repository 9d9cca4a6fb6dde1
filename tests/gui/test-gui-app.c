/* test-gui-app.c: the whole app in this process (real servers, keyring, tray and
 * notification stand-ins), one scenario per test; and the installed program as a process:
 * options, single instance, --background, D-Bus actions. */
#define G_LOG_DOMAIN "test-gui"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ss-application-private.h"
#include "ss-autostart.h"
#include "ss-gui-test.h"
#include "ss-settings.h"
#include "ss-status-window.h"
#include "ss-test-mailcheck.h"
#include "ss-test-utils.h"
#include "ss-verdict.h"

#ifndef SS_TEST_STORED_MESSAGE_AUTOPTR
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsTestStoredMessage, ss_test_stored_message_free)
#endif

#define APP_PATH "/org/example/SpamSieve"

static void
add_message (SsTestDovecot *dovecot,
             GBytes        *message)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ss_test_dovecot_add_message (dovecot, "Unfiltered", message, "", 0, &error));
  g_assert_no_error (error);
}

/* gtube + 3 ham + 2 corpus spam: returns how many were added; *gtube keeps a ref. */
static guint
add_sample (SsTestDovecot  *dovecot,
            GBytes        **gtube)
{
  g_autoptr(GPtrArray) ham = ss_test_corpus_load ("ham");
  g_autoptr(GPtrArray) spam = ss_test_corpus_load ("spam");
  guint n = 0;

  *gtube = ss_test_data_load ("gtube.eml");
  add_message (dovecot, *gtube);
  n++;
  /* Latin-script subjects (the screenshots have no CJK fonts): ham-003..005, spam-008/009. */
  for (guint i = 2; i < 5 && i < ham->len; i++, n++)
    add_message (dovecot, g_ptr_array_index (ham, i));
  for (guint i = 7; i < 9 && i < spam->len; i++, n++)
    add_message (dovecot, g_ptr_array_index (spam, i));
  return n;
}

/* Messages stored in folder */
static guint
count_in (SsTestDovecot *dovecot,
          const char    *folder)
{
  g_autoptr(GPtrArray) stored = ss_test_dovecot_list_messages (dovecot, folder);

  return stored->len;
}

static SsVerdict *
find_verdict (GListModel *model,
              const char *subject_part)
{
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(SsVerdict) v = g_list_model_get_item (model, i);
      const SsRecord *r = ss_verdict_get_record (v);

      if (r->subject != NULL && strstr (r->subject, subject_part) != NULL)
        return g_steal_pointer (&v);
    }
  return NULL;
}

typedef struct
{
  SsApplication  *app;
  SsTestDovecot  *dovecot;
  GBytes         *gtube;
  guint           n_messages;
  const char     *scenario;
  gboolean        done;
} AppFixture;

static gboolean
verdicts_at_least (gpointer data)
{
  AppFixture *f = data;
  SsSession *session = ss_application_get_session (f->app);

  return session != NULL &&
         g_list_model_get_n_items (ss_session_get_verdicts (session)) >= f->n_messages &&
         ss_status_get_state (ss_application_get_status (f->app)) == SS_SESSION_WATCHING;
}

static gboolean
window_page_is (gpointer data)
{
  AppFixture *f = data;
  GtkWindow *window = ss_application_get_window (f->app);

  return window != NULL &&
         g_strcmp0 (ss_status_window_get_page (SS_STATUS_WINDOW (window)), f->scenario) == 0;
}

static gboolean
window_visible (gpointer data)
{
  GtkWindow *window = ss_application_get_window (data);

  return window != NULL && gtk_widget_get_visible (GTK_WIDGET (window));
}

static gboolean
window_hidden (gpointer data)
{
  return !window_visible (data);
}

static gboolean
app_tray_registered (gpointer data)
{
  return ss_application_get_tray_registered (data);
}

typedef struct
{
  SsVerdict  *verdict;
  const char *verdict_name;
} VerdictWait;

static gboolean
verdict_is (gpointer data)
{
  VerdictWait *wait = data;
  g_autofree char *verdict = NULL;
  gboolean busy;

  g_object_get (wait->verdict, "verdict", &verdict, "busy", &busy, NULL);
  return !busy && g_strcmp0 (verdict, wait->verdict_name) == 0;
}

/* The title of a toast widget: its label outside buttons. */
static const char *
toast_title (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget))
    return gtk_label_get_text (GTK_LABEL (widget));
  if (GTK_IS_BUTTON (widget))
    return NULL;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      const char *title = gtk_widget_get_visible (c) ? toast_title (c) : NULL;

      if (title != NULL)
        return title;
    }
  return NULL;
}

/* The toasts the window shows (or hides, while they go): their titles. */
static void
collect_toasts (GtkWidget *widget,
                GPtrArray *titles)
{
  if (g_str_equal (G_OBJECT_TYPE_NAME (widget), "AdwToastWidget"))
    {
      g_ptr_array_add (titles, (gpointer) toast_title (widget));
      return;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    collect_toasts (c, titles);
}

typedef struct
{
  SsTestDovecot *dovecot;
  SsTestMail    *mail;
} MailWait;

static gboolean
mail_is_in_kept (gpointer data)
{
  MailWait *wait = data;
  const char * const folders[] = { "Kept", NULL };

  return ss_test_locate (wait->dovecot, wait->mail->content, folders, NULL) != NULL;
}

typedef struct
{
  GtkWidget  *window;
  const char *title;
} ToastWait;

/* Exactly one toast is up, and it is this one. */
static gboolean
toast_is (gpointer data)
{
  ToastWait *wait = data;
  g_autoptr(GPtrArray) titles = g_ptr_array_new ();

  collect_toasts (wait->window, titles);
  return titles->len == 1 && g_strcmp0 (g_ptr_array_index (titles, 0), wait->title) == 0;
}

static void
gdbus_activate (const char *action,
                const char *key)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *arg = g_strdup_printf ("[<'%s'>]", key);
  g_autoptr(GSubprocess) gdbus = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                                                   "gdbus", "call", "--session",
                                                   "--dest", APP_ID,
                                                   "--object-path", APP_PATH,
                                                   "--method", "org.gtk.Actions.Activate",
                                                   action, arg, "{}", NULL);

  g_assert_no_error (error);
  /* The app answers from this very main loop: wait without blocking it. */
  g_assert_true (ss_gui_wait (ss_gui_process_done, gdbus, 30000));
  g_assert_true (g_subprocess_get_successful (gdbus));
}

static void
check_tray_of_app (AppFixture *f)
{
  GDBusConnection *connection = g_application_get_dbus_connection (G_APPLICATION (f->app));
  const char *me = g_dbus_connection_get_unique_name (connection);
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  const char *title, *text, *icon;

  g_assert_true (ss_gui_wait (app_tray_registered, f->app, 10000));
  g_assert_true (ss_gui_watcher_has (me));
  value = ss_gui_get_property (me, SS_TRAY_ITEM_PATH, "org.kde.StatusNotifierItem", "ToolTip");
  g_variant_get (value, "(&s@a(iiay)&s&s)", &icon, NULL, &title, &text);
  g_test_message ("tooltip: %s / %s", title, text);
  g_assert_cmpstr (title, ==, "SpamSieve — Watching Unfiltered");
  g_assert_nonnull (strstr (text, "Today: "));
  g_assert_cmpstr (icon, ==, APP_ID "-symbolic");

  /* Activate toggles the real window. */
  g_assert_true (window_visible (f->app));
  reply = ss_gui_call (me, SS_TRAY_ITEM_PATH, "org.kde.StatusNotifierItem", "Activate",
                       g_variant_new ("(ii)", 0, 0), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ss_gui_wait (window_hidden, f->app, 5000));
  g_clear_pointer (&reply, g_variant_unref);
  reply = ss_gui_call (me, SS_TRAY_ITEM_PATH, "org.kde.StatusNotifierItem", "Activate",
                       g_variant_new ("(ii)", 0, 0), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ss_gui_wait (window_visible, f->app, 5000));
}

static void
scenario_verdicts (AppFixture *f)
{
  SsSession *session;
  GtkWindow *window;
  GListModel *rows;
  g_autoptr(SsVerdict) gtube = NULL;
  g_autofree char *key = NULL;
  g_autofree char *undo_key = NULL;
  VerdictWait learned = { NULL, "learned-ham" };
  VerdictWait back = { NULL, "spam" };
  ToastWait toast = { NULL, NULL };
  g_autofree char *score_before = NULL;
  g_autofree char *score_after = NULL;
  g_autofree char *accuracy_before = NULL;
  g_autofree char *accuracy_after = NULL;
  SsTestMail gtube_mail = { f->gtube, (char *) "", (char *) "GTUBE" };
  const SsCounts *today;

  g_assert_true (ss_gui_wait (verdicts_at_least, f, 180000));
  session = ss_application_get_session (f->app);
  window = ss_application_get_window (f->app);
  g_assert_nonnull (window);
  f->scenario = "list";
  g_assert_true (ss_gui_wait (window_page_is, f, 5000));
  rows = ss_status_window_get_rows (SS_STATUS_WINDOW (window));
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, f->n_messages);
  ss_stats_update (ss_application_get_stats (f->app));
  today = ss_stats_get_today (ss_application_get_stats (f->app));
  g_assert_cmpuint (today->scanned, ==, f->n_messages);
  g_assert_cmpuint (today->spam, >=, 1);
  g_assert_cmpstr (adw_window_title_get_subtitle (ADW_WINDOW_TITLE (
                     ss_gui_child (window, SS_TYPE_STATUS_WINDOW, "window_title"))), ==,
                   "Watching Unfiltered");
  ss_gui_assert_screenshot (GTK_WIDGET (window), "main-window");
  /* Usable down to 360 px wide (the metainfo says so): the cards wrap, the list scrolls. */
  {
    int min_width = 0;

    gtk_widget_measure (GTK_WIDGET (window), GTK_ORIENTATION_HORIZONTAL, -1, &min_width, NULL,
                        NULL, NULL);
    g_test_message ("window minimum width: %d px", min_width);
    g_assert_cmpint (min_width, <=, 360);
    gtk_window_set_default_size (window, 360, 720);
    ss_gui_spin (500);
    ss_gui_assert_screenshot (GTK_WIDGET (window), "narrow-window");
    gtk_window_set_default_size (window, 960, 640);
    ss_gui_spin (300);
  }
  /* The main menu is the app's primary-menu (gtk/menus.ui), which the tray exports too. */
  g_assert_true (gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (
                   ss_gui_child (window, SS_TYPE_STATUS_WINDOW, "menu_button"))) ==
                 G_MENU_MODEL (gtk_application_get_menu_by_id (GTK_APPLICATION (f->app),
                                                               "primary-menu")));

  check_tray_of_app (f);

  /* app.mark-ham on the GTUBE row (spam) over D-Bus: moved to INBOX and learned. */
  gtube = find_verdict (ss_session_get_verdicts (session), "GTUBE");
  g_assert_nonnull (gtube);
  g_assert_cmpstr (ss_verdict_get_record (gtube)->destination, ==, "Spam");
  g_object_get (gtube, "score-text", &score_before, NULL);
  g_object_get (ss_application_get_stats (f->app), "accuracy-text", &accuracy_before, NULL);
  key = ss_verdict_dup_key (gtube);
  g_test_message ("mark-ham %s", key);
  gdbus_activate ("mark-ham", key);
  learned.verdict = gtube;
  g_assert_true (ss_gui_wait (verdict_is, &learned, 60000));
  g_assert_cmpstr (ss_verdict_get_record (gtube)->destination, ==, "INBOX");
  g_assert_cmpstr (ss_test_mail_locate (f->dovecot, &gtube_mail), ==, "INBOX");
  toast.window = GTK_WIDGET (window);
  toast.title = "Learned as not spam and moved to INBOX";
  g_assert_true (ss_gui_wait (toast_is, &toast, 5000));

  /* Undo (the toast's action) marks it back: the row is as it was, its score too, and so
   * are the counts; its toast replaces the previous one at once. */
  undo_key = ss_verdict_dup_key (gtube);
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "undo-mark",
                                  g_variant_new ("(sb)", undo_key, TRUE));
  back.verdict = gtube;
  g_assert_true (ss_gui_wait (verdict_is, &back, 60000));
  g_assert_cmpstr (ss_test_mail_locate (f->dovecot, &gtube_mail), ==, "Spam");
  g_object_get (gtube, "score-text", &score_after, NULL);
  g_assert_cmpstr (score_after, ==, score_before);
  ss_stats_update (ss_application_get_stats (f->app));
  g_object_get (ss_application_get_stats (f->app), "accuracy-text", &accuracy_after, NULL);
  g_assert_cmpstr (accuracy_after, ==, accuracy_before);
  toast.title = "Learned as spam and moved to Spam";
  g_assert_true (ss_gui_wait (toast_is, &toast, 3000));

  /* The keyboard path: the selected row, Ctrl+Shift+J (win.mark-selected-ham). */
  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(SsVerdict) v = g_list_model_get_item (rows, i);

      if (v == gtube)
        gtk_selection_model_select_item (GTK_SELECTION_MODEL (
            gtk_column_view_get_model (GTK_COLUMN_VIEW (ss_gui_child (window, SS_TYPE_STATUS_WINDOW,
                                                               "column_view")))), i, TRUE);
    }
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.mark-selected-ham",
                                             NULL));
  g_assert_true (ss_gui_wait (verdict_is, &learned, 60000));
  g_assert_cmpstr (ss_test_mail_locate (f->dovecot, &gtube_mail), ==, "INBOX");
  /* The third mark in a row still shows its toast (with Undo) at once. */
  toast.title = "Learned as not spam and moved to INBOX";
  g_assert_true (ss_gui_wait (toast_is, &toast, 3000));

  /* Every message is in exactly one place. */
  g_assert_cmpuint (count_in (f->dovecot, "Unfiltered"), ==, 0);
  g_assert_cmpuint (count_in (f->dovecot, "INBOX") + count_in (f->dovecot, "Spam"),
                    ==, f->n_messages);

  /* The spam summary (setting on) arrived, once. */
  g_assert_true (ss_gui_wait (ss_gui_sent_at_least, GUINT_TO_POINTER (1), 20000));
  g_assert_cmpuint (ss_gui_count_notifications (NULL), ==, 1);

  /* Closing the window only hides it: the engine keeps running. */
  gtk_window_close (window);
  g_assert_true (ss_gui_wait (window_hidden, f->app, 5000));
  ss_gui_spin (300);
  g_assert_cmpint (ss_status_get_state (ss_application_get_status (f->app)), ==,
                   SS_SESSION_WATCHING);
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "show-window", NULL);
  g_assert_true (ss_gui_wait (window_visible, f->app, 5000));

  /* A setting changed behind the app's back (gsettings set) applies at once: new ham goes to
   * the new inbox folder, no restart. */
  {
    g_autoptr(GPtrArray) ham = ss_test_corpus_load ("ham");
    g_autoptr(GError) error = NULL;
    SsTestMail kept = { g_ptr_array_index (ham, 6), (char *) "", (char *) "kept" };

    g_assert_true (ss_test_dovecot_create_folder (f->dovecot, "Kept", &error));
    g_assert_no_error (error);
    g_settings_set_string (f->app->settings, "folder-inbox", "Kept");
    ss_gui_spin (1000);
    add_message (f->dovecot, kept.content);
    g_action_group_activate_action (G_ACTION_GROUP (f->app), "check-now", NULL);
    g_assert_true (ss_gui_wait (mail_is_in_kept, &(MailWait) { f->dovecot, &kept }, 60000));
  }

  /* The About window opens without a critical (fatal here). */
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "about", NULL);
  ss_gui_spin (300);
  {
    GListModel *windows = gtk_window_get_toplevels ();   /* owned by GTK */
    GtkWindow *about = NULL;

    for (guint i = 0; i < g_list_model_get_n_items (windows); i++)
      {
        g_autoptr(GtkWindow) w = g_list_model_get_item (windows, i);

        if (ADW_IS_ABOUT_WINDOW (w))
          about = w;
      }
    g_assert_nonnull (about);
    gtk_window_close (about);
  }

  /* A bad key is refused without harm. */
  g_test_expect_message ("ss-application", G_LOG_LEVEL_WARNING, "*Not a message key*");
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "mark-ham",
                                  g_variant_new_string ("garbage"));
  g_test_assert_expected_messages ();
}

static gboolean
notified (gpointer data)
{
  return ss_gui_count_notifications (data) > 0;
}

static gboolean
autostart_is (gpointer data)
{
  return ss_autostart_is_enabled () == GPOINTER_TO_INT (data);
}

static void
scenario_login_refused (AppFixture *f)
{
  GSettings *settings = ss_application_get_settings (f->app);
  GtkWindow *window;

  f->scenario = "error";
  g_assert_true (ss_gui_wait (window_page_is, f, 60000));
  window = ss_application_get_window (f->app);
  g_assert_cmpint (ss_status_get_problem (ss_application_get_status (f->app)), ==,
                   SS_STATUS_PROBLEM_LOGIN);
  ss_gui_assert_screenshot (GTK_WIDGET (window), "error-state");
  g_assert_true (ss_gui_wait (notified, "Login refused", 20000));

  /* The autostart switch writes and removes the autostart entry. */
  g_settings_set_boolean (settings, "autostart", TRUE);
  g_assert_true (ss_gui_wait (autostart_is, GINT_TO_POINTER (TRUE), 5000));
  g_settings_set_boolean (settings, "autostart", FALSE);
  g_assert_true (ss_gui_wait (autostart_is, GINT_TO_POINTER (FALSE), 5000));
  g_settings_reset (settings, "autostart");

  /* Open Settings leads to the dialog. */
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "setup", NULL);
  g_assert_nonnull (ss_application_get_setup_dialog (f->app));
}

static void
scenario_no_keyring (AppFixture *f)
{
  const char *detail;

  f->scenario = "error";
  g_assert_true (ss_gui_wait (window_page_is, f, 60000));
  g_assert_null (ss_application_get_session (f->app));
  g_assert_cmpint (ss_status_get_problem (ss_application_get_status (f->app)), ==,
                   SS_STATUS_PROBLEM_SETTINGS);
  detail = ss_status_get_detail (ss_application_get_status (f->app));
  g_test_message ("no keyring: %s", detail);
  g_assert_nonnull (strstr (detail, "keyring"));
}

static void
scenario_german (AppFixture *f)
{
  GtkWindow *window;
  const char *subtitle;

  g_assert_true (ss_gui_wait (verdicts_at_least, f, 180000));
  window = ss_application_get_window (f->app);
  f->scenario = "list";
  g_assert_true (ss_gui_wait (window_page_is, f, 5000));
  subtitle = adw_window_title_get_subtitle (ADW_WINDOW_TITLE (
               ss_gui_child (window, SS_TYPE_STATUS_WINDOW, "window_title")));
  g_test_message ("German subtitle: %s", subtitle);
  g_assert_cmpstr (subtitle, !=, "Watching Unfiltered");
  g_assert_nonnull (strstr (subtitle, "Unfiltered"));
  g_assert_cmpstr (_("Not Spam"), !=, "Not Spam");
  ss_gui_assert_screenshot (GTK_WIDGET (window), "german");

  g_action_group_activate_action (G_ACTION_GROUP (f->app), "setup", NULL);
  g_assert_nonnull (ss_application_get_setup_dialog (f->app));
  ss_gui_assert_screenshot (GTK_WIDGET (ss_application_get_setup_dialog (f->app)),
                            "german-setup");
}

static gboolean
demo_done (gpointer data)
{
  AppFixture *f = data;
  SsSession *session = ss_application_get_session (f->app);

  return session != NULL && f->app->demo != NULL &&
         ss_demo_get_n_fed (f->app->demo) == ss_demo_get_n_messages (f->app->demo) &&
         g_list_model_get_n_items (ss_session_get_verdicts (session)) >=
           ss_demo_get_n_messages (f->app->demo) &&
         ss_status_get_state (ss_application_get_status (f->app)) == SS_SESSION_WATCHING;
}

/* "Uncertain" above the list shows exactly the uncertain rows (the demo has one: a ham
 * spamd scores 2.4, 7 % with an untrained learner), "All" all of them again. */
static void
assert_uncertain_filter (AppFixture     *f,
                         SsStatusWindow *window)
{
  GListModel *verdicts = ss_session_get_verdicts (ss_application_get_session (f->app));
  GListModel *rows = ss_status_window_get_rows (window);
  guint n_uncertain = 0;

  for (guint i = 0; i < g_list_model_get_n_items (verdicts); i++)
    {
      g_autoptr(SsVerdict) v = g_list_model_get_item (verdicts, i);

      n_uncertain += ss_verdict_get_record (v)->verdict == SS_VERDICT_UNCERTAIN;
    }
  g_assert_cmpuint (n_uncertain, >=, 1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.filter", "s",
                                             "uncertain"));
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, n_uncertain);
  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(SsVerdict) v = g_list_model_get_item (rows, i);

      g_assert_cmpint (ss_verdict_get_record (v)->verdict, ==, SS_VERDICT_UNCERTAIN);
    }
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.filter", "s", "all"));
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, g_list_model_get_n_items (verdicts));
}

static void
scenario_demo (AppFixture *f)
{
  GtkWindow *window = ss_application_get_window (f->app);
  SsStats *stats = ss_application_get_stats (f->app);

  f->scenario = "preparing";
  g_assert_true (ss_gui_wait (window_page_is, f, 5000));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (f->app), "setup"));
  g_assert_true (ss_gui_wait (demo_done, f, 240000));
  ss_stats_update (stats);
  g_test_message ("demo: %u scanned, %u spam", ss_stats_get_total (stats)->scanned,
                  ss_stats_get_total (stats)->spam);
  g_assert_cmpuint (ss_stats_get_total (stats)->scanned, ==,
                    ss_demo_get_n_messages (f->app->demo));
  g_assert_cmpuint (ss_stats_get_total (stats)->spam, >=, 1);
  ss_gui_assert_screenshot (GTK_WIDGET (window), "demo");
  assert_uncertain_filter (f, SS_STATUS_WINDOW (window));
}

static gboolean
run_scenario (gpointer data)
{
  AppFixture *f = data;

  if (g_str_equal (f->scenario, "verdicts"))
    scenario_verdicts (f);
  else if (g_str_equal (f->scenario, "login-refused"))
    scenario_login_refused (f);
  else if (g_str_equal (f->scenario, "no-keyring"))
    scenario_no_keyring (f);
  else if (g_str_equal (f->scenario, "german"))
    scenario_german (f);
  else if (g_str_equal (f->scenario, "demo"))
    scenario_demo (f);
  f->done = TRUE;
  /* Quit: from the tray menu when there is one, else app.quit as the app menu and Ctrl+Q
   * do. Either stops the engine cleanly, then quits. */
  if (ss_application_get_tray_registered (f->app))
    {
      GDBusConnection *connection = g_application_get_dbus_connection (G_APPLICATION (f->app));
      const char *me = g_dbus_connection_get_unique_name (connection);
      int quit = ss_gui_tray_menu (me, _("_Quit"), NULL);
      g_autoptr(GVariant) reply = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_cmpint (quit, >, 0);
      reply = ss_gui_call (me, SS_TRAY_MENU_PATH, "com.canonical.dbusmenu", "Event",
                           g_variant_new ("(isvu)", quit, "clicked", g_variant_new_int32 (0), 0),
                           NULL, &error);
      g_assert_no_error (error);
    }
  else
    g_action_group_activate_action (G_ACTION_GROUP (f->app), "quit", NULL);
  return G_SOURCE_REMOVE;
}

static void
on_activate (GApplication *app,
             AppFixture   *f)
{
  static gboolean once;

  if (once)
    return;
  once = TRUE;
  ss_notifier_set_delays (f->app->notifier, 2, 2, 600);
  g_idle_add (run_scenario, f);
}

static int
run_app (AppFixture *f,
         gboolean    demo)
{
  char *argv[] = { (char *) "spamsieve", NULL };

  f->app = ss_application_new (demo);
  g_signal_connect_after (f->app, "activate", G_CALLBACK (on_activate), f);
  return g_application_run (G_APPLICATION (f->app), 1, argv);
}

static void
app_test (const char *scenario,
          const char *password)
{
  AppFixture f = { 0 };
  g_autofree char *spamd = ss_test_spamd_dup_address (ss_gui_shared_spamd ());
  g_autoptr(GSettings) settings = ss_settings_new ();
  GSubprocess *watcher = ss_gui_watcher_start ();
  GSubprocess *daemon = ss_gui_mock_start ("notification_daemon",
                                           "org.freedesktop.Notifications");
  int status;

  f.scenario = scenario;
  f.dovecot = ss_gui_start_dovecot ();
  f.n_messages = add_sample (f.dovecot, &f.gtube);
  ss_gui_settings_for (settings, f.dovecot, spamd);
  g_settings_set_boolean (settings, "notify-spam-summary", g_str_equal (scenario, "verdicts"));
  if (password != NULL)
    ss_gui_store_password (settings, password);

  status = run_app (&f, FALSE);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (f.done);
  /* Quit stopped the engine cleanly. */
  if (ss_application_get_session (f.app) != NULL)
    g_assert_cmpint (ss_session_get_state (ss_application_get_session (f.app)), ==,
                     SS_SESSION_STOPPED);
  g_clear_object (&f.app);

  ss_gui_mock_stop (daemon);
  ss_gui_mock_stop (watcher);
  ss_test_dovecot_stop (f.dovecot);
  g_bytes_unref (f.gtube);
}

static void
test_app_verdicts (void)
{
  app_test ("verdicts", "secret");
}

static void
test_app_login_refused (void)
{
  app_test ("login-refused", "not the password");
}

static void
test_app_no_keyring (void)
{
  app_test ("no-keyring", NULL);
}

static void
test_app_german (void)
{
  app_test ("german", "secret");
}

static gboolean
no_demo_dirs (gpointer data)
{
  g_autoptr(GDir) dir = g_dir_open (g_get_tmp_dir (), 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "spamsieve-demo-"))
      return FALSE;
  return TRUE;
}

static void
test_app_demo (void)
{
  AppFixture f = { 0 };
  int status;

  f.scenario = "demo";
  status = run_app (&f, TRUE);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (f.done);
  g_clear_object (&f.app);
  /* The throwaway servers and their directory are gone. */
  g_assert_true (no_demo_dirs (NULL));
}

/* ---------------------------------------------------------------------------------------- */
/* The program: options, single instance, --background, D-Bus actions                        */

static void
test_program (void)
{
  const char *program = g_getenv ("SS_SPAMSIEVE");
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) help = NULL;
  g_autoptr(GSubprocess) first = NULL;
  g_autoptr(GSubprocess) second = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) list = NULL;
  g_autofree char *out = NULL;
  g_autofree const char **actions = NULL;

  g_assert_nonnull (program);
  help = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, program, "--help", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (help, NULL, NULL, &out, NULL, &error));
  g_assert_nonnull (strstr (out, "--background"));
  g_assert_nonnull (strstr (out, "--demo"));
  g_assert_nonnull (strstr (out, "--headless --config FILE"));
  g_clear_object (&help);
  g_clear_pointer (&out, g_free);

  /* --version needs no schema, display or bus. */
  {
    g_autoptr(GSubprocessLauncher) bare = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);

    g_subprocess_launcher_unsetenv (bare, "GSETTINGS_SCHEMA_DIR");
    g_subprocess_launcher_unsetenv (bare, "DISPLAY");
    g_subprocess_launcher_unsetenv (bare, "DBUS_SESSION_BUS_ADDRESS");
    help = g_subprocess_launcher_spawn (bare, &error, program, "--version", NULL);
    g_assert_no_error (error);
    g_assert_true (g_subprocess_communicate_utf8 (help, NULL, NULL, &out, NULL, &error));
    g_assert_true (g_subprocess_get_successful (help));
    g_assert_cmpstr (out, ==, "spamsieve " PACKAGE_VERSION "\n");
  }

  /* --background: registers, shows no window, keeps running. */
  first = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, program, "--background", NULL);
  g_assert_no_error (error);
  g_assert_true (ss_gui_wait (ss_gui_name_owned, (gpointer) APP_ID, 20000));

  /* A second instance hands over and exits at once. */
  second = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, program, "--background", NULL);
  g_assert_no_error (error);
  g_assert_true (ss_gui_wait (ss_gui_process_done, second, 20000));
  g_assert_true (g_subprocess_get_successful (second));
  g_assert_nonnull (g_subprocess_get_identifier (first));

  /* The actions are on the bus. */
  reply = ss_gui_call (APP_ID, APP_PATH, "org.gtk.Actions", "List", NULL, "(as)", &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(@as)", &list);
  actions = g_variant_get_strv (list, NULL);
  for (const char * const *want = (const char * const[]) { "check-now", "pause", "resume",
                                                           "show-window", "setup", "quit",
                                                           "mark-spam", "mark-ham", NULL };
       *want != NULL; want++)
    g_assert_true (g_strv_contains (actions, *want));

  /* Quit over D-Bus ends it cleanly. */
  g_clear_pointer (&reply, g_variant_unref);
  reply = ss_gui_call (APP_ID, APP_PATH, "org.gtk.Actions", "Activate",
                       g_variant_new ("(s@av@a{sv})", "quit",
                                      g_variant_new_array (G_VARIANT_TYPE_VARIANT, NULL, 0),
                                      g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)),
                       NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ss_gui_wait (ss_gui_process_done, first, 20000));
  g_assert_true (g_subprocess_get_successful (first));
}

void
ss_gui_add_app_tests (void)
{
  g_test_add_func ("/app/verdicts", test_app_verdicts);
  g_test_add_func ("/app/login-refused", test_app_login_refused);
  g_test_add_func ("/app/no-keyring", test_app_no_keyring);
  g_test_add_func ("/app/german", test_app_german);
  g_test_add_func ("/app/demo", test_app_demo);
  g_test_add_func ("/program", test_program);
}
