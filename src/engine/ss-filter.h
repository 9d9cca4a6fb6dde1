/* ss-filter.h: one filtering pass over a connected account (blocking; one thread) */
#pragma once

#include <gio/gio.h>

#include "ss-config.h"
#include "ss-imap-client.h"
#include "ss-journal.h"
#include "ss-learner.h"
#include "ss-record.h"
#include "ss-spamd-client.h"

G_BEGIN_DECLS

#define SS_TYPE_FILTER (ss_filter_get_type ())
G_DECLARE_FINAL_TYPE (SsFilter, ss_filter, SS, FILTER, GObject)

/* Called for each message handled, on the thread running the pass. */
typedef void (*SsRecordFunc) (const SsRecord *record,
                              gpointer        user_data);

/* Progress: n of total messages of the current step ("Unfiltered", "learning", "expire"). */
typedef void (*SsProgressFunc) (const char *step,
                                guint       n,
                                guint       total,
                                gpointer    user_data);

typedef struct
{
  guint scanned;
  guint spam;
  guint ham;
  guint skipped;
  guint unscanned;
  guint deferred;      /* left in Unfiltered to retry */
  guint learned_ham;
  guint learned_spam;
  guint confirmed;     /* verdicts the learner learned because the user left them be */
  guint expired;
  guint uncertain;     /* of scanned: in the uncertain band */
  /* Unfiltered mode, Unfiltered empty: unread mail of the last day in INBOX without
   * $Junk / $NotJunk, i.e. new mail that no server rule files into Unfiltered (checked at
   * most hourly; 0: none or not checked). */
  guint inbox_bypass;
} SsFilterStats;

SsFilter   *ss_filter_new              (const SsConfig  *config,
                                        SsImapClient    *imap,
                                        SsSpamdClient   *spamd,
                                        SsJournal       *journal);
void        ss_filter_set_dry_run      (SsFilter        *self,
                                        gboolean         dry_run);
/* The personal learner (may be NULL: spamd alone). Used only on the filter's thread. */
void        ss_filter_set_learner      (SsFilter        *self,
                                        SsLearner       *learner);
SsLearner  *ss_filter_get_learner      (SsFilter        *self);
void        ss_filter_set_record_func  (SsFilter        *self,
                                        SsRecordFunc     func,
                                        gpointer         user_data);
void        ss_filter_set_progress_func (SsFilter       *self,
                                        SsProgressFunc   func,
                                        gpointer         user_data);
/* Resolves folders (delimiter, \Junk), creates the missing Spam and learning folders.
 * A missing Unfiltered folder is SS_IMAP_ERROR_NO_MAILBOX. */
gboolean    ss_filter_prepare          (SsFilter        *self,
                                        GCancellable    *cancellable,
                                        GError         **error);
/* Scans and moves everything in Unfiltered until it is empty (or only retries are left). */
gboolean    ss_filter_run_unfiltered   (SsFilter        *self,
                                        GCancellable    *cancellable,
                                        GError         **error);
gboolean    ss_filter_run_learning     (SsFilter        *self,
                                        GCancellable    *cancellable,
                                        GError         **error);
/* Learns what the user moved since the last call (ss-filter-moves.c): new arrivals in the
 * spam folder as spam, $Junk arrivals in the inbox as ham; and runs the learning folders when
 * mail arrived there. Cheap when nothing changed: one STATUS per folder. */
/* Implicit confirmation: verdicts left uncorrected for confirm-minutes are learned by the
 * personal learner (ss-filter-confirm.c). */
gboolean    ss_filter_run_confirm      (SsFilter        *self,
                                        GCancellable    *cancellable,
                                        GError         **error);
gboolean    ss_filter_run_moves        (SsFilter        *self,
                                        GCancellable    *cancellable,
                                        GError         **error);
gboolean    ss_filter_run_expire       (SsFilter        *self,
                                        GCancellable    *cancellable,
                                        GError         **error);
/* Thread-safe: finish the moves in progress, cancel scans (those messages stay), stop. */
void        ss_filter_request_stop     (SsFilter        *self);
/* Learn one message as spam/ham and move it (INBOX → Spam with $Junk, or Spam → INBOX with
 * $NotJunk). Fails with SS_IMAP_ERROR_NO_MAILBOX if it is not there any more (another
 * client moved it, or UIDVALIDITY changed). Returns the record of the move. */
SsRecord   *ss_filter_mark             (SsFilter        *self,
                                        const char      *folder,
                                        guint32          uidvalidity,
                                        guint32          uid,
                                        gboolean         as_spam,
                                        GCancellable    *cancellable,
                                        GError         **error);
typedef struct
{
  guint ham;     /* learned as ham in this run */
  guint spam;
  guint known;   /* offered but learned before (journal), skipped */
} SsTrainStats;

/* Initial training (ss-filter-train.c): learns the newest max_ham read messages of INBOX as
 * ham and the newest max_spam of the spam folder as spam, through spamd (TELL) and the
 * learner if set; skips what was learned before. Moves nothing, changes no flag. Progress
 * steps "training-ham" and "training-spam". stats (may be NULL) is filled also on error or
 * cancel (G_IO_ERROR_CANCELLED; what was learned so far stays learned). After prepare. */
gboolean    ss_filter_train_existing   (SsFilter        *self,
                                        guint            max_ham,
                                        guint            max_spam,
                                        SsTrainStats    *stats,
                                        GCancellable    *cancellable,
                                        GError         **error);
const SsFilterStats *ss_filter_get_stats (SsFilter      *self);
/* The resolved spam folder (after prepare). */
const char *ss_filter_get_spam_folder  (SsFilter        *self);

G_END_DECLS
