/* ss-filter-private.h: what the ss-filter*.c files share (never used outside them) */
#pragma once

#include "ss-filter.h"
#include "ss-message-info.h"
#include "ss-sender-lists.h"

G_BEGIN_DECLS

struct _SsFilter
{
  GObject          parent_instance;

  /* Owned */
  SsConfig        *config;
  SsImapClient    *imap;
  SsSpamdClient   *spamd;
  SsJournal       *journal;
  SsLearner       *learner;        /* may be NULL */
  SsSenderLists   *lists;          /* allow and block lists (ss-filter-lists.c) */
  char            *sent_folder;    /* the \\Sent SPECIAL-USE folder, or NULL */
  char            *account;
  char            *spam_folder;
  char            *false_positives; /* learning folders, under spam_folder by default */
  char            *false_negatives;
  GHashTable      *folders;        /* existing folder names (user form) */
  GThreadPool     *pool;
  GAsyncQueue     *done;           /* finished Job* */
  GError          *spamd_error;    /* spamd unreachable during this pass */
  GError          *learn_error;    /* TELL refused */
  GCancellable    *scan_cancellable; /* cancelled by ss_filter_request_stop() */

  SsRecordFunc     record_func;
  gpointer         record_data;
  SsProgressFunc   progress_func;
  gpointer         progress_data;

  SsImapMailbox    mailbox;        /* of the selected folder */
  SsFilterStats    stats;
  gint             stopping;       /* (atomic) */
  guint            n_submitted;
  guint            n_done;
  gboolean         dry_run;
  gboolean         in_place;       /* unfiltered = inbox: ham stays where it is */
  guint32          lowest_deferred; /* in place: lowest UID of this pass left for a retry */
  gint64           inbox_checked;  /* monotonic µs of the last INBOX bypass check, 0: never */
  gboolean         confirm_told_failed; /* a confirmation TELL failed: said once, then debug */
};

typedef enum {
  JOB_SCAN,
  JOB_TELL_SPAM,
  JOB_TELL_HAM,
} JobKind;

typedef struct
{
  JobKind         kind;
  SsImapMessage  *message;
  SsMessageInfo  *info;
  SsSpamdReply   *reply;
  GError         *error;
  GCancellable   *cancellable;
  SsRecord       *resumed;    /* from the journal: verdict known, not scanned again */
  double          combined;   /* fused spam probability; NaN until decided */
  double          logodds;    /* the same in log-odds */
  double          learner;    /* the learner's margin; NaN when it had no say */
  GBytes         *confirm_head; /* the learner's part, kept for implicit confirmation */
} Job;

typedef struct
{
  SsVerdictKind  verdict;
  const char    *destination;
  const char    *add_keyword;
  const char    *remove_keyword;
  gboolean       journaled;   /* leaving Unfiltered: each step recorded before the next */
} MoveSpec;

typedef gboolean (*SettleFunc) (SsFilter      *self,
                                GPtrArray     *ready,
                                GCancellable  *cancellable,
                                GError       **error);

/* ss-filter.c */
void       _ss_filter_emit_record    (SsFilter *self,
                                      SsRecord *record);
gboolean   _ss_filter_finish_records (SsFilter   *self,
                                      GPtrArray  *records,
                                      gboolean    journaled,
                                      GError    **error);
gboolean   _ss_filter_folder_exists  (SsFilter   *self,
                                      const char *name);
void       _ss_filter_job_free       (Job *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Job, _ss_filter_job_free)
SsRecord  *_ss_filter_job_record     (SsFilter       *self,
                                      Job            *job,
                                      const MoveSpec *spec);
gboolean   _ss_filter_move_jobs      (SsFilter        *self,
                                      GPtrArray       *jobs,
                                      const MoveSpec  *spec,
                                      GCancellable    *cancellable,
                                      GError         **error);
gboolean   _ss_filter_move_jobs_full (SsFilter        *self,
                                      GPtrArray       *jobs,
                                      const MoveSpec  *spec,
                                      GPtrArray       *records_out,
                                      GCancellable    *cancellable,
                                      GError         **error);
void       _ss_filter_progress       (SsFilter   *self,
                                      const char *step,
                                      guint       n,
                                      guint       total);
SsRecord  *_ss_filter_record_for     (SsFilter            *self,
                                      const SsImapMessage *message,
                                      const SsMessageInfo *info,
                                      SsVerdictKind        verdict,
                                      const char          *destination);
gboolean   _ss_filter_select_folder  (SsFilter      *self,
                                      const char    *folder,
                                      GCancellable  *cancellable,
                                      GError       **error);

/* ss-filter-scan.c */
GPtrArray *_ss_filter_collect        (SsFilter   *self,
                                      guint       target);
void       _ss_filter_learn_job      (SsFilter   *self,
                                      Job        *job,
                                      gboolean    is_spam);
GPtrArray *_ss_filter_fetch_messages (SsFilter          *self,
                                      GArray            *uids,
                                      SsImapFetchFlags   flags,
                                      GCancellable      *cancellable,
                                      GError           **error);
GPtrArray *_ss_filter_header_jobs    (SsFilter      *self,
                                      GArray        *uids,
                                      GCancellable  *cancellable,
                                      GError       **error);
gboolean   _ss_filter_is_spamd_down  (const GError *error);
/* A failed TELL: keeps a refusal or spamd being down (the first of each) for the caller to
 * report; TRUE if error was one of those or a cancellation, FALSE if the caller logs it. */
gboolean   _ss_filter_keep_learn_error (SsFilter     *self,
                                        const GError *error);
gboolean   _ss_filter_pipeline       (SsFilter      *self,
                                      const char    *step,
                                      JobKind        kind,
                                      GArray        *uids,
                                      SettleFunc     settle,
                                      GCancellable  *cancellable,
                                      GError       **error);
gboolean   _ss_filter_split_by_size  (SsFilter      *self,
                                      GArray        *uids,
                                      GArray        *small,
                                      GArray        *large,
                                      GCancellable  *cancellable,
                                      GError       **error);

/* ss-filter-lists.c */
void          _ss_filter_open_sender_lists  (SsFilter *self);
SsVerdictKind _ss_filter_apply_sender_lists (SsFilter      *self,
                                             Job           *job,
                                             SsVerdictKind  verdict);
/* folder/uidvalidity/uid: where a marked message was (NULL: a learning folder). */
void          _ss_filter_list_sender        (SsFilter            *self,
                                             const SsMessageInfo *info,
                                             gboolean             as_spam,
                                             const char          *folder,
                                             guint32              uidvalidity,
                                             guint32              uid,
                                             const SsRecord      *record);
gboolean      _ss_filter_read_sent          (SsFilter      *self,
                                             GCancellable  *cancellable,
                                             GError       **error);
/* ss-filter-confirm.c */
void       _ss_filter_keep_for_confirm (SsFilter  *self,
                                        GPtrArray *spam,
                                        GPtrArray *ham);

/* ss-filter-inplace.c */
gboolean   _ss_filter_stays          (SsFilter       *self,
                                      const MoveSpec *spec);
gboolean   _ss_filter_keep_jobs      (SsFilter        *self,
                                      GPtrArray       *jobs,
                                      const MoveSpec  *spec,
                                      GPtrArray       *records,
                                      GCancellable    *cancellable,
                                      GError         **error);
GArray    *_ss_filter_search_in_place (SsFilter      *self,
                                       GCancellable  *cancellable,
                                       GError       **error);
gboolean   _ss_filter_end_in_place   (SsFilter      *self,
                                      GHashTable    *handled,
                                      GError       **error);
void       _ss_filter_note_deferred  (SsFilter      *self,
                                      guint32        uid);
void       _ss_filter_check_bypass   (SsFilter      *self,
                                      guint          n_found,
                                      GCancellable  *cancellable);

/* ss-filter-resume.c */
gboolean   _ss_filter_resume_pending (SsFilter      *self,
                                      GHashTable    *handled,
                                      GCancellable  *cancellable,
                                      GError       **error);

G_END_DECLS
