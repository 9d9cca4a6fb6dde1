/* ss-verdict.h: one row of the verdict list (a GObject over an SsRecord) */
#pragma once

#include <glib-object.h>

#include "ss-record.h"

G_BEGIN_DECLS

#define SS_TYPE_VERDICT (ss_verdict_get_type ())
G_DECLARE_FINAL_TYPE (SsVerdict, ss_verdict, SS, VERDICT, GObject)

SsVerdict      *ss_verdict_new             (const SsRecord *record);
const SsRecord *ss_verdict_get_record      (SsVerdict      *self);
/* A later record of the same message (mark, Undo, learning folder, expiry): the row takes
 * its verdict and place and keeps its scan; back at the place of its first verdict, it
 * takes that verdict again (an Undo leaves no correction). Notifies changed properties. */
void            ss_verdict_update          (SsVerdict      *self,
                                            const SsRecord *record);
/* The record the row was made from (its scan, usually). */
const SsRecord *ss_verdict_get_original    (SsVerdict      *self);
/* TRUE when record is about this row's message: it moved it from where the row says it is. */
gboolean        ss_verdict_is_about        (SsVerdict      *self,
                                            const SsRecord *record);
/* "UIDVALIDITY:UID:FOLDER" of where the message is now; used by app.mark-spam/-ham. */
char           *ss_verdict_dup_key         (SsVerdict      *self);
gboolean        ss_verdict_parse_key       (const char     *key,
                                            char          **folder,
                                            guint32        *uidvalidity,
                                            guint32        *uid);
/* A Unix time as the app shows it: local "HH:MM" today, else date and time ("time-text"). */
char           *ss_verdict_format_time     (gint64          time);

/* Properties (read-only): "time" (gint64), "time-text" (local "HH:MM" today, else date),
 * "from", "subject", "message-id", "score" (double), "threshold", "scanned" (bool),
 * "score-text" ("12.3" or "—"), "verdict" (string: spam, ham, ...), "destination",
 * "rules" (GStrv), "rules-text" (comma separated), "is-spam" (bool: now in the spam folder),
 * "can-mark-spam", "can-mark-ham" (bool), "busy" (bool, read-write: a mark is running). */

G_END_DECLS
