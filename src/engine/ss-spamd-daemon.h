/* ss-spamd-daemon.h: the private spamd on a Unix socket (the zero-configuration default),
 * one per user, shared by all of their accounts and processes */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SS_TYPE_SPAMD_DAEMON (ss_spamd_daemon_get_type ())
G_DECLARE_FINAL_TYPE (SsSpamdDaemon, ss_spamd_daemon, SS, SPAMD_DAEMON, GObject)

/* program: path of spamd. runtime_dir: where the socket goes (e.g. $XDG_RUNTIME_DIR/spamsieve).
 * data_dir: Bayes and user prefs (e.g. $XDG_DATA_HOME/spamsieve). Starts spamd with
 * --allow-tell, -L (no network tests unless network_tests), max children = parallel, and
 * waits until it answers PING (or fails with SS_SPAMD_ERROR_START and spamd's own words). */
SsSpamdDaemon *ss_spamd_daemon_start        (const char     *program,
                                             const char     *runtime_dir,
                                             const char     *data_dir,
                                             guint           parallel,
                                             gboolean        network_tests,
                                             GCancellable   *cancellable,
                                             GError        **error);
/* "unix:/path/to/socket", for ss_spamd_client_new(). */
const char    *ss_spamd_daemon_get_address  (SsSpamdDaemon  *self);
/* Leaves spamd: the last of the user's processes and accounts to leave stops it (SIGTERM,
 * wait (bounded), SIGKILL if needed); the others leave it running. Also done on finalize. */
void           ss_spamd_daemon_stop         (SsSpamdDaemon  *self);

G_END_DECLS
