/* ss-gui-test.h: helpers for the GUI tests (run under tests/with-display.sh) */
#pragma once

#include <gtk/gtk.h>

#include "ss-config.h"
#include "ss-test-servers.h"

G_BEGIN_DECLS

typedef gboolean (*SsGuiCondition) (gpointer data);

/* Iterates the default main context until cond (data) is TRUE or timeout_ms pass. */
gboolean     ss_gui_wait             (SsGuiCondition  cond,
                                      gpointer        data,
                                      guint           timeout_ms);
/* Iterates for ms milliseconds. */
void         ss_gui_spin             (guint           ms);
/* An async call's callback with user_data a GAsyncResult ** (NULL before): keeps a ref of
 * the result there. ss_gui_await iterates until it is set (asserted within timeout_ms). */
void         ss_gui_keep_result      (GObject        *object,
                                      GAsyncResult   *result,
                                      gpointer        user_data);
void         ss_gui_await            (GAsyncResult  **result,
                                      guint           timeout_ms);
/* Condition: the GSubprocess data has exited. */
gboolean     ss_gui_process_done     (gpointer        data);

/* Condition: the bus name data has an owner on the session bus. */
gboolean     ss_gui_name_owned       (gpointer        data);
/* A python-dbusmock service on the session bus: template is a name ("notification_daemon")
 * or a path; waits until bus_name is owned. */
GSubprocess *ss_gui_mock_start       (const char     *template,
                                      const char     *bus_name);
void         ss_gui_mock_stop        (GSubprocess    *mock);
/* org.freedesktop.DBus.Mock.GetCalls on object_path of bus_name: the calls of method, as an
 * array of their argument tuples (av). */
GPtrArray   *ss_gui_mock_get_calls   (const char     *bus_name,
                                      const char     *object_path,
                                      const char     *method);

/* A D-Bus call from a separate connection, iterating the default context meanwhile (so that
 * the callee may live in this process). NULL + g_test_message on error. */
GVariant    *ss_gui_call             (const char     *bus_name,
                                      const char     *object_path,
                                      const char     *interface,
                                      const char     *method,
                                      GVariant       *parameters,
                                      const char     *reply_type,
                                      GError        **error);
GVariant    *ss_gui_get_property     (const char     *bus_name,
                                      const char     *object_path,
                                      const char     *interface,
                                      const char     *property);

/* The StatusNotifierWatcher stand-in ($SS_SNI_WATCHER_TEMPLATE), and whether it lists the
 * item of unique_name. */
GSubprocess *ss_gui_watcher_start    (void);
gboolean     ss_gui_watcher_has      (const char     *unique_name);
/* The dbusmenu of the tray item of bus_name (GetLayout): appends the labels in order
 * ("_Open SpamSieve|_Check Now|") to labels (if not NULL); the id of the item labelled
 * label, -1 if none. */
int          ss_gui_tray_menu        (const char     *bus_name,
                                      const char     *label,
                                      GString        *labels);
/* Notify calls the notification daemon stand-in got, those with that summary (NULL: all);
 * ss_gui_sent_at_least is a condition on the count of all (data: GUINT_TO_POINTER (n)). */
guint        ss_gui_count_notifications (const char  *summary);
gboolean     ss_gui_sent_at_least    (gpointer        data);

/* The template child name of widget (asserted). */
GtkWidget   *ss_gui_child            (gpointer        widget,
                                      GType           type,
                                      const char     *name);

/* Where screenshots go ($SS_SCREENSHOT_DIR, else the current directory). */
char        *ss_gui_screenshot_path  (const char     *name);
/* Saves widget as name.png and checks it is not blank (several colours, not one flat
 * area). */
void         ss_gui_assert_screenshot (GtkWidget     *widget,
                                       const char    *name);

/* A dovecot of its own (stopped by the caller), and one spamd shared by the process. */
SsTestDovecot *ss_gui_start_dovecot  (void);
SsTestSpamd  *ss_gui_shared_spamd    (void);

/* Writes the account of dovecot (STARTTLS with its CA, user "tester") and spamd address
 * into the GSettings of schema org.example.SpamSieve. */
void         ss_gui_settings_for     (GSettings      *settings,
                                      SsTestDovecot  *dovecot,
                                      const char     *spamd_address);
/* Stores a password in the keyring for that account (synchronously, with a timeout). */
void         ss_gui_store_password   (GSettings      *settings,
                                      const char     *password);

/* The tests of each test-gui-*.c file, registered by main () in test-gui.c. */
void         ss_gui_add_setup_tests    (void);
void         ss_gui_add_tray_tests     (void);
void         ss_gui_add_notifier_tests (void);
void         ss_gui_add_app_tests      (void);
void         ss_gui_add_senders_tests  (void);
void         ss_gui_add_goa_tests      (void);
void         ss_gui_add_train_tests    (void);
void         ss_gui_add_accounts_tests (void);

G_END_DECLS
