/* ss-demo.h: spamsieve --demo: a throwaway dovecot (the server harness of src/harness) and a
 * private spamd in a temporary directory, fed with sample messages, so that SpamSieve can be
 * seen working without an account. */
#pragma once

#include <gio/gio.h>

#include "ss-config.h"

G_BEGIN_DECLS

#define SS_TYPE_DEMO (ss_demo_get_type ())
G_DECLARE_FINAL_TYPE (SsDemo, ss_demo, SS, DEMO, GObject)

SsDemo     *ss_demo_new               (void);
/* Starts dovecot and spamd on a thread (spamd takes a while). */
void        ss_demo_start_async       (SsDemo              *self,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
/* The settings to run a session against the demo servers (and its password). */
SsConfig   *ss_demo_start_finish      (SsDemo              *self,
                                       GAsyncResult        *result,
                                       char               **password,
                                       GError             **error);
/* Where the session keeps its journal during the demo. */
const char *ss_demo_get_journal_path  (SsDemo              *self);
/* Drops the sample messages into Unfiltered one by one, spread over duration_s. */
void        ss_demo_feed              (SsDemo              *self,
                                       guint                duration_s);
guint       ss_demo_get_n_fed         (SsDemo              *self);
guint       ss_demo_get_n_messages    (SsDemo              *self);
/* Stops the servers and removes the temporary directory (also on dispose). */
void        ss_demo_stop              (SsDemo              *self);

G_END_DECLS
