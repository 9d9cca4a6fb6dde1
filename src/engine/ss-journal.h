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
 * to PATH.corrupt-TIME and a new one created (reported via g_message); one that another
 * process holds locked for 5 s is an error, and left as it is. */
SsJournal *ss_journal_open                (const char     *path,
                                           GError        **error);
/* The file's path; NULL when in memory. */
const char *ss_journal_get_path           (SsJournal      *self);
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

typedef enum {
  SS_JOURNAL_SCAN_FAILURES,
  SS_JOURNAL_PENDING,         /* see SsPending below */
} SsJournalTable;

/* Deletes the row of one message from table (nothing there is fine). */
gboolean   ss_journal_forget              (SsJournal      *self,
                                           SsJournalTable  table,
                                           const char     *account,
                                           const char     *folder,
                                           guint32         uidvalidity,
                                           guint32         uid,
                                           GError        **error);
/* ss_journal_clear_scan_failure / _delete_pending (self, account, folder, uidvalidity, uid,
 * error) */
#define ss_journal_clear_scan_failure(self, ...) \
  ss_journal_forget ((self), SS_JOURNAL_SCAN_FAILURES, __VA_ARGS__)
#define ss_journal_delete_pending(self, ...) \
  ss_journal_forget ((self), SS_JOURNAL_PENDING, __VA_ARGS__)

gboolean   ss_journal_add_record          (SsJournal      *self,
                                           const char     *account,
                                           const SsRecord *record,
                                           GError        **error);
/* Newest first, at most limit records: GPtrArray of SsRecord*. */
GPtrArray *ss_journal_list_records        (SsJournal      *self,
                                           const char     *account,
                                           guint           limit,
                                           GError        **error);

/* A message on its way out of Unfiltered (isync-style journal): its verdict is recorded
 * before any move, and the move before it is sent, so a restart resumes instead of
 * rescanning, and a COPY that was cut before its EXPUNGE is recognised. */
typedef enum {
  SS_PENDING_VERDICT = 1,   /* scanned, verdict known, nothing moved yet */
  SS_PENDING_MOVING  = 2,   /* MOVE or COPY sent to dest */
  SS_PENDING_COPIED  = 3,   /* without MOVE: the COPY is confirmed (record->dest_uid), the
                             * original not yet expunged */
} SsPendingStep;

typedef struct
{
  guint32        uid;
  SsPendingStep  step;
  SsRecord      *record;       /* verdict, score, rules, from, subject, destination */
  guint64        size;
  guint32        dest_uidnext; /* MOVING without MOVE: the destination's UIDNEXT before COPY */
} SsPending;

void       ss_pending_free                (SsPending      *pending);

/* Transactions: every step is one commit. With SS_DEBUG_CRASH_AFTER=N in the environment
 * the process exits (status 99) right after the N-th commit: the crash-recovery tests. */
gboolean   ss_journal_begin               (SsJournal      *self,
                                           GError        **error);
gboolean   ss_journal_commit              (SsJournal      *self,
                                           GError        **error);
void       ss_journal_rollback            (SsJournal      *self);
gboolean   ss_journal_put_pending         (SsJournal      *self,
                                           const char     *account,
                                           const SsPending *pending,
                                           GError        **error);
/* Pending messages of folder (any UIDVALIDITY: rows of an old one are returned too, so the
 * caller can drop them). GPtrArray of SsPending*. */
GPtrArray *ss_journal_list_pending        (SsJournal      *self,
                                           const char     *account,
                                           const char     *folder,
                                           GError        **error);

/* Initial training (ss-filter-train.c): one row per message learned from existing mail. */
gboolean   ss_journal_add_trained         (SsJournal      *self,
                                           const char     *account,
                                           const char     *folder,
                                           guint32         uidvalidity,
                                           guint32         uid,
                                           const char     *message_id,
                                           gboolean        is_spam,
                                           GError        **error);
/* What counts as learned already: a set of ss_journal_trained_key() strings and
 * "mid:MESSAGE-ID" for trained messages and for corrections in the history. */
GHashTable *ss_journal_list_trained       (SsJournal      *self,
                                           const char     *account,
                                           GError        **error);
char      *ss_journal_trained_key         (const char     *folder,
                                           guint32         uidvalidity,
                                           guint32         uid);

/* In-place mode: the highest UID of folder already scanned (found FALSE: none yet). Not
 * the moves check's watermark (ss-journal-moves.h), which follows UIDNEXT for another use. */
gboolean   ss_journal_get_scanned_upto    (SsJournal      *self,
                                           const char     *account,
                                           const char     *folder,
                                           guint32         uidvalidity,
                                           gboolean       *found,
                                           guint32        *uid,
                                           GError        **error);
gboolean   ss_journal_set_scanned_upto    (SsJournal      *self,
                                           const char     *account,
                                           const char     *folder,
                                           guint32         uidvalidity,
                                           guint32         uid,
                                           GError        **error);

/* Implicit confirmation: the head of a message judged spam or ham, kept until confirmed. */
gboolean   ss_journal_put_confirm         (SsJournal      *self,
                                           const char     *account,
                                           const char     *message_id,
                                           gboolean        is_spam,
                                           GBytes         *head,
                                           GError        **error);
typedef void (*SsConfirmedFunc) (const guint8 *head,
                                 gsize         len,
                                 gboolean      is_spam,
                                 gpointer      user_data);
/* Calls func for every head kept at or before until (unix seconds) whose message got no
 * correction (learned-ham / learned-spam history) since, then forgets all those heads. */
gboolean   ss_journal_take_confirmed      (SsJournal      *self,
                                           const char     *account,
                                           gint64          until,
                                           SsConfirmedFunc func,
                                           gpointer        user_data,
                                           GError        **error);

/* How many history records of folder are from since (unix seconds) on. */
gboolean   ss_journal_count_since         (SsJournal      *self,
                                           const char     *account,
                                           const char     *folder,
                                           gint64          since,
                                           guint          *count,
                                           GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsPending, ss_pending_free)

G_END_DECLS
