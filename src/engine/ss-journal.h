/* ss-journal.h: the engine's SQLite state: scan retries and verdict history */
#pragma once

#include <gio/gio.h>

#include "ss-record.h"

G_BEGIN_DECLS

#define SS_TYPE_JOURNAL (ss_journal_get_type ())
G_DECLARE_FINAL_TYPE (SsJournal, ss_journal, SS, JOURNAL, GObject)

typedef struct
{
  guint   tries;
  gint64  first_failure;
  gint64  last_failure;
} SsScanFailure;

/* Opens (creates) the database at path; NULL path: in memory. A corrupt file is moved aside
 * to PATH.corrupt-TIME and a new one created (reported via g_message). */
SsJournal *ss_journal_open                (const char     *path,
                                           GError        **error);
/* The default path: $XDG_DATA_HOME/spamsieve/state.sqlite. */
char      *ss_journal_default_path        (void);
/* Records one more failed scan of a message and returns the totals so far. */
gboolean   ss_journal_note_scan_failure   (SsJournal      *self,
                                           const char     *account,
                                           const char     *folder,
                                           guint32         uidvalidity,
                                           guint32         uid,
                                           const char     *reason,
                                           SsScanFailure  *out,
                                           GError        **error);
gboolean   ss_journal_clear_scan_failure  (SsJournal      *self,
                                           const char     *account,
                                           const char     *folder,
                                           guint32         uidvalidity,
                                           guint32         uid,
                                           GError        **error);
gboolean   ss_journal_add_record          (SsJournal      *self,
                                           const char     *account,
                                           const SsRecord *record,
                                           GError        **error);
/* Newest first, at most limit records: GPtrArray of SsRecord*. */
GPtrArray *ss_journal_list_records        (SsJournal      *self,
                                           const char     *account,
                                           guint           limit,
                                           GError        **error);

G_END_DECLS
