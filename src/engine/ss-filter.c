/* ss-filter.c: fetch chunk → scan (N in flight) → move, plus learning and expiry.
 *
 * The IMAP connection is driven from one thread; scans run on a thread pool of `parallel`
 * workers, each a blocking spamd request. The next chunk is fetched while spamd works on
 * the previous one, so spamd never waits for IMAP. A message is only moved once its verdict
 * is known; on any doubt it stays in Unfiltered. */
#define G_LOG_DOMAIN "ss-filter"

#include "config.h"

#include "ss-filter.h"

#include "ss-error.h"
#include "ss-message-info.h"

#define UNSCANNED_TRIES   3
#define UNSCANNED_SPREAD  3600   /* seconds between first and last failed try */

struct _SsFilter
{
  GObject          parent_instance;

  /* Owned */
  SsConfig        *config;
  SsImapClient    *imap;
  SsSpamdClient   *spamd;
  SsJournal       *journal;
  char            *account;
  char            *spam_folder;
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
};

G_DEFINE_FINAL_TYPE (SsFilter, ss_filter, G_TYPE_OBJECT)

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
} Job;

static void
job_free (Job *job)
{
  ss_imap_message_free (job->message);
  g_clear_pointer (&job->info, ss_message_info_free);
  g_clear_pointer (&job->reply, ss_spamd_reply_free);
  g_clear_error (&job->error);
  g_clear_object (&job->cancellable);
  g_clear_pointer (&job->resumed, ss_record_free);
  g_free (job);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Job, job_free)

/* Runs on a pool thread. */
static void
job_run (gpointer data,
         gpointer user_data)
{
  Job *job = data;
  SsFilter *self = user_data;
  GBytes *body = job->message->body;
  gsize len = 0;
  const guint8 *bytes = g_bytes_get_data (body, &len);

  job->info = ss_message_info_parse (bytes, len);
  if (job->kind == JOB_SCAN)
    job->reply = ss_spamd_client_symbols_sync (self->spamd, body, job->cancellable, &job->error);
  else
    ss_spamd_client_tell_sync (self->spamd, body,
                               job->kind == JOB_TELL_SPAM ? SS_SPAMD_CLASS_SPAM : SS_SPAMD_CLASS_HAM,
                               job->cancellable, &job->error);
  /* Moves go by UID; the body is not needed any more. */
  g_clear_pointer (&job->message->body, g_bytes_unref);
  g_async_queue_push (self->done, job);
}

static void
ss_filter_dispose (GObject *object)
{
  SsFilter *self = (SsFilter *) object;

  if (self->pool != NULL)
    g_thread_pool_free (g_steal_pointer (&self->pool), FALSE, TRUE);
  if (self->done != NULL)
    {
      Job *job;
      while ((job = g_async_queue_try_pop (self->done)) != NULL)
        job_free (job);
      g_clear_pointer (&self->done, g_async_queue_unref);
    }
  g_clear_object (&self->imap);
  g_clear_object (&self->spamd);
  g_clear_object (&self->journal);
  G_OBJECT_CLASS (ss_filter_parent_class)->dispose (object);
}

static void
ss_filter_finalize (GObject *object)
{
  SsFilter *self = (SsFilter *) object;

  g_clear_pointer (&self->config, ss_config_free);
  g_clear_pointer (&self->account, g_free);
  g_clear_pointer (&self->spam_folder, g_free);
  g_clear_pointer (&self->folders, g_hash_table_unref);
  g_clear_error (&self->spamd_error);
  g_clear_error (&self->learn_error);
  g_clear_object (&self->scan_cancellable);
  G_OBJECT_CLASS (ss_filter_parent_class)->finalize (object);
}

static void
ss_filter_class_init (SsFilterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ss_filter_dispose;
  object_class->finalize = ss_filter_finalize;
}

static void
ss_filter_init (SsFilter *self)
{
  self->done = g_async_queue_new ();
  self->scan_cancellable = g_cancellable_new ();
  self->folders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

SsFilter *
ss_filter_new (const SsConfig *config,
               SsImapClient   *imap,
               SsSpamdClient  *spamd,
               SsJournal      *journal)
{
  SsFilter *self;
  g_autofree char *server = NULL;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (SS_IS_IMAP_CLIENT (imap), NULL);
  g_return_val_if_fail (SS_IS_SPAMD_CLIENT (spamd), NULL);
  g_return_val_if_fail (SS_IS_JOURNAL (journal), NULL);

  self = g_object_new (SS_TYPE_FILTER, NULL);
  self->config = ss_config_copy (config);
  self->imap = g_object_ref (imap);
  self->spamd = g_object_ref (spamd);
  self->journal = g_object_ref (journal);
  server = ss_config_dup_server (config);
  self->account = g_strdup_printf ("%s@%s", config->user, server);
  self->spam_folder = g_strdup (*config->folder_spam ? config->folder_spam : "Spam");
  self->pool = g_thread_pool_new (job_run, self, MAX (config->spamd_parallel, 1), FALSE, NULL);
  return self;
}

void
ss_filter_set_dry_run (SsFilter *self,
                       gboolean  dry_run)
{
  g_return_if_fail (SS_IS_FILTER (self));
  self->dry_run = !!dry_run;
}

void
ss_filter_set_record_func (SsFilter     *self,
                           SsRecordFunc  func,
                           gpointer      user_data)
{
  g_return_if_fail (SS_IS_FILTER (self));
  self->record_func = func;
  self->record_data = user_data;
}

void
ss_filter_set_progress_func (SsFilter       *self,
                             SsProgressFunc  func,
                             gpointer        user_data)
{
  g_return_if_fail (SS_IS_FILTER (self));
  self->progress_func = func;
  self->progress_data = user_data;
}

const SsFilterStats *
ss_filter_get_stats (SsFilter *self)
{
  g_return_val_if_fail (SS_IS_FILTER (self), NULL);
  return &self->stats;
}

void
ss_filter_request_stop (SsFilter *self)
{
  g_return_if_fail (SS_IS_FILTER (self));
  g_atomic_int_set (&self->stopping, 1);
  g_cancellable_cancel (self->scan_cancellable);
}

const char *
ss_filter_get_spam_folder (SsFilter *self)
{
  g_return_val_if_fail (SS_IS_FILTER (self), NULL);
  return self->spam_folder;
}

static void
progress (SsFilter   *self,
          const char *step,
          guint       n,
          guint       total)
{
  if (self->progress_func != NULL)
    self->progress_func (step, n, total, self->progress_data);
}

/* ---------------------------------------------------------------------------------------- */
/* Folders                                                                                  */

static gboolean
folder_exists (SsFilter   *self,
               const char *name)
{
  return g_ascii_strcasecmp (name, "INBOX") == 0 || g_hash_table_contains (self->folders, name);
}

gboolean
ss_filter_prepare (SsFilter      *self,
                   GCancellable  *cancellable,
                   GError       **error)
{
  const SsConfig *c = self->config;
  const char *create[] = { NULL, c->folder_false_positives, c->folder_false_negatives };
  g_autoptr(GPtrArray) folders = NULL;

  g_return_val_if_fail (SS_IS_FILTER (self), FALSE);

  folders = ss_imap_client_list (self->imap, cancellable, error);
  if (folders == NULL)
    return FALSE;
  g_hash_table_remove_all (self->folders);
  for (guint i = 0; i < folders->len; i++)
    {
      SsImapFolder *folder = g_ptr_array_index (folders, i);

      if (!folder->noselect)
        g_hash_table_add (self->folders, g_strdup (folder->name));
      if (folder->junk && *c->folder_spam == '\0')
        {
          g_free (self->spam_folder);
          self->spam_folder = g_strdup (folder->name);
        }
    }

  if (!folder_exists (self, c->folder_unfiltered))
    {
      g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_NO_MAILBOX,
                   "The folder \"%s\" does not exist on %s: create it and have new mail "
                   "delivered there", c->folder_unfiltered, c->host);
      return FALSE;
    }

  create[0] = self->spam_folder;
  for (guint i = 0; i < G_N_ELEMENTS (create); i++)
    {
      if (folder_exists (self, create[i]) || self->dry_run)
        continue;
      if (!ss_imap_client_create (self->imap, create[i], cancellable, error))
        return FALSE;
      g_hash_table_add (self->folders, g_strdup (create[i]));
    }
  return TRUE;
}

static gboolean
select_folder (SsFilter      *self,
               const char    *folder,
               GCancellable  *cancellable,
               GError       **error)
{
  return ss_imap_client_select (self->imap, folder, &self->mailbox, cancellable, error);
}

/* ---------------------------------------------------------------------------------------- */
/* Records                                                                                  */

static void
emit_record (SsFilter *self,
             SsRecord *record)
{
  g_autoptr(GError) local_error = NULL;

  record->dry_run = self->dry_run;
  if (!self->dry_run && !ss_journal_add_record (self->journal, self->account, record,
                                                &local_error))
    g_message ("%s", local_error->message);
  if (self->record_func != NULL)
    self->record_func (record, self->record_data);
}

static SsRecord *
record_for (SsFilter            *self,
            const SsImapMessage *message,
            const SsMessageInfo *info,
            SsVerdictKind            verdict,
            const char          *destination)
{
  SsRecord *record = ss_record_new ();

  record->folder = g_strdup (ss_imap_client_get_selected (self->imap));
  record->uidvalidity = self->mailbox.uidvalidity;
  record->uid = message->uid;
  record->message_id = g_strdup (info != NULL ? info->message_id : "");
  record->from = g_strdup (info != NULL ? info->from : "");
  record->subject = g_strdup (info != NULL ? info->subject : "");
  record->verdict = verdict;
  record->destination = g_strdup (destination);
  record->rules = g_new0 (char *, 1);
  return record;
}

/* ---------------------------------------------------------------------------------------- */
/* Moving                                                                                    */

typedef struct
{
  SsVerdictKind  verdict;
  const char    *destination;
  const char    *add_keyword;
  const char    *remove_keyword;
  gboolean       journaled;   /* leaving Unfiltered: each step recorded before the next */
} MoveSpec;

static guint32
dest_uid_for (GArray  *src,
              GArray  *dst,
              guint32  uid)
{
  for (guint i = 0; i < src->len && i < dst->len; i++)
    if (g_array_index (src, guint32, i) == uid)
      return g_array_index (dst, guint32, i);
  return 0;
}

static void
set_dest_uids (GPtrArray *records,
               GArray    *src,
               GArray    *dst,
               guint32    dest_validity)
{
  for (guint i = 0; i < records->len; i++)
    {
      SsRecord *record = g_ptr_array_index (records, i);

      record->dest_uidvalidity = dest_validity;
      record->dest_uid = dest_uid_for (src, dst, record->uid);
    }
}

/* The record of a job, before its move. */
static SsRecord *
job_record (SsFilter       *self,
            Job            *job,
            const MoveSpec *spec)
{
  SsRecord *record;

  if (job->resumed != NULL)
    {
      record = ss_record_copy (job->resumed);
      record->time = g_get_real_time () / G_USEC_PER_SEC;
    }
  else
    record = record_for (self, job->message, job->info, spec->verdict, spec->destination);
  record->verdict = spec->verdict;
  g_free (record->destination);
  record->destination = g_strdup (spec->destination);
  if (job->reply != NULL)
    {
      record->scanned = TRUE;
      record->score = job->reply->score;
      record->threshold = job->reply->threshold;
      g_strfreev (record->rules);
      record->rules = g_strdupv (job->reply->symbols);
    }
  return record;
}

static gboolean
journal_pending (SsFilter      *self,
                 GPtrArray     *jobs,
                 GPtrArray     *records,
                 SsPendingStep  step,
                 guint32        dest_uidnext,
                 GError       **error)
{
  if (!ss_journal_begin (self->journal, error))
    return FALSE;
  for (guint i = 0; i < jobs->len; i++)
    {
      Job *job = g_ptr_array_index (jobs, i);
      SsPending pending = { job->message->uid, step, g_ptr_array_index (records, i),
                            job->message->size, dest_uidnext };

      if (!ss_journal_put_pending (self->journal, self->account, &pending, error))
        {
          ss_journal_rollback (self->journal);
          return FALSE;
        }
    }
  return ss_journal_commit (self->journal, error);
}

/* The move is confirmed: history in, pending out, in one step; then the records go out. */
static gboolean
finish_records (SsFilter   *self,
                GPtrArray  *records,
                gboolean    journaled,
                GError    **error)
{
  if (!self->dry_run)
    {
      if (!ss_journal_begin (self->journal, error))
        return FALSE;
      for (guint i = 0; i < records->len; i++)
        {
          SsRecord *r = g_ptr_array_index (records, i);

          if ((journaled && !ss_journal_delete_pending (self->journal, self->account, r->folder,
                                                        r->uidvalidity, r->uid, error)) ||
              (r->verdict != SS_VERDICT_UNSCANNED &&
               !ss_journal_clear_scan_failure (self->journal, self->account, r->folder,
                                               r->uidvalidity, r->uid, error)) ||
              !ss_journal_add_record (self->journal, self->account, r, error))
            {
              ss_journal_rollback (self->journal);
              return FALSE;
            }
        }
      if (!ss_journal_commit (self->journal, error))
        return FALSE;
    }
  for (guint i = 0; i < records->len; i++)
    {
      SsRecord *r = g_ptr_array_index (records, i);

      r->dry_run = self->dry_run;
      if (self->record_func != NULL)
        self->record_func (r, self->record_data);
    }
  return TRUE;
}

/* STATUS UIDNEXT of dest before a COPY: what a healed retry searches from. */
static guint32
dest_uidnext (SsFilter     *self,
              const char   *dest,
              GCancellable *cancellable,
              GError      **error)
{
  guint32 uidnext = 0;

  if (ss_imap_client_has_capability (self->imap, "MOVE"))
    return 0;
  if (!ss_imap_client_status_uidnext (self->imap, dest, &uidnext, cancellable, error))
    return G_MAXUINT32;
  return uidnext;
}

/* Moves the jobs' messages (from the selected folder) and emits their records. */
static gboolean
move_jobs_full (SsFilter       *self,
                GPtrArray      *jobs,
                const MoveSpec *spec,
                GPtrArray      *records_out,
                GCancellable   *cancellable,
                GError        **error)
{
  g_autoptr(GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GArray) src = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GArray) dst = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) ss_record_free);
  gboolean journaled = spec->journaled && !self->dry_run;
  guint32 dest_validity = 0;

  if (jobs->len == 0)
    return TRUE;
  for (guint i = 0; i < jobs->len; i++)
    {
      Job *job = g_ptr_array_index (jobs, i);
      g_array_append_val (uids, job->message->uid);
      g_ptr_array_add (records, job_record (self, job, spec));
    }

  if (journaled)
    {
      guint32 uidnext = dest_uidnext (self, spec->destination, cancellable, error);

      if (uidnext == G_MAXUINT32 ||
          !journal_pending (self, jobs, records, SS_PENDING_MOVING, uidnext, error))
        return FALSE;
    }
  if (!self->dry_run)
    {
      if (self->mailbox.keywords_ok && spec->add_keyword != NULL &&
          !ss_imap_client_uid_store (self->imap, (guint32 *) uids->data, uids->len,
                                     spec->add_keyword, spec->remove_keyword,
                                     cancellable, error))
        return FALSE;
      if (journaled && !ss_imap_client_has_capability (self->imap, "MOVE"))
        {
          /* COPY, record it, then remove the originals: a cut in between is healed. */
          if (!ss_imap_client_uid_copy (self->imap, (guint32 *) uids->data, uids->len,
                                        spec->destination, src, dst, &dest_validity,
                                        cancellable, error))
            return FALSE;
          set_dest_uids (records, src, dst, dest_validity);
          if (!journal_pending (self, jobs, records, SS_PENDING_COPIED, 0, error) ||
              !ss_imap_client_uid_delete (self->imap, (guint32 *) uids->data, uids->len,
                                          cancellable, error))
            return FALSE;
        }
      else if (!ss_imap_client_uid_move (self->imap, (guint32 *) uids->data, uids->len,
                                         spec->destination, src, dst, &dest_validity,
                                         cancellable, error))
        return FALSE;
    }

  set_dest_uids (records, src, dst, dest_validity);
  if (!finish_records (self, records, journaled, error))
    return FALSE;
  if (records_out != NULL)
    while (records->len > 0)
      g_ptr_array_add (records_out, g_ptr_array_steal_index (records, 0));
  return TRUE;
}

static gboolean
move_jobs (SsFilter       *self,
           GPtrArray      *jobs,
           const MoveSpec *spec,
           GCancellable   *cancellable,
           GError        **error)
{
  return move_jobs_full (self, jobs, spec, NULL, cancellable, error);
}

/* ---------------------------------------------------------------------------------------- */
/* The scan pipeline                                                                         */

typedef struct
{
  SsFilter     *self;
  JobKind       kind;
  GCancellable *cancellable;
} SubmitData;

static void
submit_message (SsImapMessage *message,
                gpointer       user_data)
{
  SubmitData *data = user_data;
  Job *job = g_new0 (Job, 1);

  job->kind = data->kind;
  job->message = message;
  job->cancellable = data->cancellable != NULL ? g_object_ref (data->cancellable) : NULL;
  data->self->n_submitted++;
  g_thread_pool_push (data->self->pool, job, NULL);
}

/* Waits until at least target jobs are done, then takes every finished one. */
static GPtrArray *
collect (SsFilter *self,
         guint     target)
{
  GPtrArray *ready = g_ptr_array_new_with_free_func ((GDestroyNotify) job_free);
  Job *job;

  while (self->n_done < target)
    {
      g_ptr_array_add (ready, g_async_queue_pop (self->done));
      self->n_done++;
    }
  while ((job = g_async_queue_try_pop (self->done)) != NULL)
    {
      g_ptr_array_add (ready, job);
      self->n_done++;
    }
  return ready;
}

/* After an error: wait for what is in flight and drop it (those messages stay put). */
static void
drain (SsFilter *self)
{
  g_autoptr(GPtrArray) rest = collect (self, self->n_submitted);
}

static gboolean
is_spamd_down (const GError *error)
{
  return g_error_matches (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_CONNECT);
}

static gboolean
is_stopping (SsFilter *self)
{
  return g_atomic_int_get (&self->stopping);
}

/* A failed scan: counted, and after enough tries over enough time, given up on. */
static gboolean
scan_failed (SsFilter *self,
             Job      *job)
{
  SsScanFailure failure = { 0 };
  g_autoptr(GError) local_error = NULL;

  if (g_error_matches (job->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  if (is_spamd_down (job->error))
    {
      if (self->spamd_error == NULL)
        self->spamd_error = g_error_copy (job->error);
      return FALSE;
    }
  if (self->dry_run)
    return FALSE;
  if (!ss_journal_note_scan_failure (self->journal, self->account,
                                     ss_imap_client_get_selected (self->imap),
                                     self->mailbox.uidvalidity, job->message->uid,
                                     job->error->message, &failure, &local_error))
    {
      g_message ("%s", local_error->message);
      return FALSE;
    }
  g_message ("UID %u: scan failed (try %u): %s", job->message->uid, failure.tries,
             job->error->message);
  return failure.tries >= UNSCANNED_TRIES &&
         failure.last_failure - failure.first_failure >= UNSCANNED_SPREAD;
}

static gboolean
journal_verdicts (SsFilter        *self,
                  GPtrArray      **groups,
                  const MoveSpec **specs,
                  GError         **error)
{
  if (!ss_journal_begin (self->journal, error))
    return FALSE;
  for (guint g = 0; g < 3; g++)
    for (guint i = 0; i < groups[g]->len; i++)
      {
        Job *job = g_ptr_array_index (groups[g], i);
        g_autoptr(SsRecord) record = job_record (self, job, specs[g]);
        SsPending pending = { job->message->uid, SS_PENDING_VERDICT, record, job->message->size,
                              0 };

        if (!ss_journal_put_pending (self->journal, self->account, &pending, error))
          {
            ss_journal_rollback (self->journal);
            return FALSE;
          }
      }
  return ss_journal_commit (self->journal, error);
}

static gboolean
settle_scans (SsFilter      *self,
              GPtrArray     *ready,
              GCancellable  *cancellable,
              GError       **error)
{
  const char *inbox = self->config->folder_inbox;
  const MoveSpec spam_spec = { SS_VERDICT_SPAM, self->spam_folder, "$Junk", "$NotJunk", TRUE };
  const MoveSpec ham_spec = { SS_VERDICT_HAM, inbox, "$NotJunk", "$Junk", TRUE };
  const MoveSpec unscanned_spec = { SS_VERDICT_UNSCANNED, inbox, NULL, NULL, TRUE };
  g_autoptr(GPtrArray) spam = g_ptr_array_new ();
  g_autoptr(GPtrArray) ham = g_ptr_array_new ();
  g_autoptr(GPtrArray) unscanned = g_ptr_array_new ();

  for (guint i = 0; i < ready->len; i++)
    {
      Job *job = g_ptr_array_index (ready, i);

      if (job->error != NULL)
        {
          if (scan_failed (self, job))
            g_ptr_array_add (unscanned, job);
          else
            self->stats.deferred++;
        }
      else
        g_ptr_array_add (job->reply->is_spam ? spam : ham, job);
    }

  /* Step one: the verdicts, before anything moves. */
  if (!self->dry_run &&
      !journal_verdicts (self, (GPtrArray *[]) { spam, ham, unscanned },
                         (const MoveSpec *[]) { &spam_spec, &ham_spec, &unscanned_spec }, error))
    return FALSE;
  if (!move_jobs (self, spam, &spam_spec, cancellable, error) ||
      !move_jobs (self, ham, &ham_spec, cancellable, error) ||
      !move_jobs (self, unscanned, &unscanned_spec, cancellable, error))
    return FALSE;
  self->stats.scanned += spam->len + ham->len;
  self->stats.spam += spam->len;
  self->stats.ham += ham->len;
  self->stats.unscanned += unscanned->len;
  return TRUE;
}

typedef gboolean (*SettleFunc) (SsFilter      *self,
                                GPtrArray     *ready,
                                GCancellable  *cancellable,
                                GError       **error);

/* Fetches uids chunk by chunk into the pool; settles chunk k while chunk k+1 is scanned. */
static gboolean
pipeline (SsFilter      *self,
          const char    *step,
          JobKind        kind,
          GArray        *uids,
          SettleFunc     settle,
          GCancellable  *cancellable,
          GError       **error)
{
  SubmitData data = { self, kind, self->scan_cancellable };
  guint chunk = MAX (self->config->chunk, 1);
  guint base = self->n_done;

  for (guint off = 0; off < uids->len; off += chunk)
    {
      guint mark = self->n_submitted;

      if (!ss_imap_client_uid_fetch (self->imap, &g_array_index (uids, guint32, off),
                                     MIN (chunk, uids->len - off), SS_IMAP_FETCH_BODY,
                                     submit_message, &data, cancellable, error))
        {
          drain (self);
          return FALSE;
        }
      /* Chunk k is queued for spamd; now settle chunk k-1. */
      if (off > 0)
        {
          g_autoptr(GPtrArray) ready = collect (self, mark);

          if (!settle (self, ready, cancellable, error))
            {
              drain (self);
              return FALSE;
            }
          progress (self, step, self->n_done - base, uids->len);
        }
      if (self->spamd_error != NULL || self->learn_error != NULL || is_stopping (self))
        break;
    }

  {
    g_autoptr(GPtrArray) ready = collect (self, self->n_submitted);

    if (!settle (self, ready, cancellable, error))
      return FALSE;
    progress (self, step, self->n_done - base, uids->len);
  }
  return TRUE;
}

/* ---------------------------------------------------------------------------------------- */
/* Unfiltered                                                                                */

static void
collect_message (SsImapMessage *message,
                 gpointer       user_data)
{
  g_ptr_array_add (user_data, message);
}

static GPtrArray *
fetch_messages (SsFilter          *self,
                GArray            *uids,
                SsImapFetchFlags   flags,
                GCancellable      *cancellable,
                GError           **error)
{
  g_autoptr(GPtrArray) messages =
    g_ptr_array_new_with_free_func ((GDestroyNotify) ss_imap_message_free);

  if (uids->len > 0 &&
      !ss_imap_client_uid_fetch (self->imap, (guint32 *) uids->data, uids->len, flags,
                                 collect_message, messages, cancellable, error))
    return NULL;
  return g_steal_pointer (&messages);
}

/* Jobs for messages that are not scanned (too large): header only, moved as they are. */
static GPtrArray *
header_jobs (SsFilter      *self,
             GArray        *uids,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(GPtrArray) messages = fetch_messages (self, uids, SS_IMAP_FETCH_HEADER,
                                                  cancellable, error);
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) job_free);

  if (messages == NULL)
    return NULL;
  for (guint i = 0; i < messages->len; i++)
    {
      Job *job = g_new0 (Job, 1);
      gsize len = 0;
      const guint8 *bytes;

      job->message = g_ptr_array_steal_index_fast (messages, i--);
      bytes = g_bytes_get_data (job->message->body, &len);
      job->info = ss_message_info_parse (bytes, len);
      g_clear_pointer (&job->message->body, g_bytes_unref);
      g_ptr_array_add (jobs, job);
    }
  return g_steal_pointer (&jobs);
}

static gboolean
deliver_skipped (SsFilter      *self,
                 GArray        *uids,
                 GCancellable  *cancellable,
                 GError       **error)
{
  const MoveSpec spec = { SS_VERDICT_SKIPPED, self->config->folder_inbox, NULL, NULL };
  g_autoptr(GPtrArray) jobs = NULL;

  if (uids->len == 0)
    return TRUE;
  jobs = header_jobs (self, uids, cancellable, error);
  if (jobs == NULL || !move_jobs (self, jobs, &spec, cancellable, error))
    return FALSE;
  self->stats.skipped += jobs->len;
  return TRUE;
}

/* Splits uids by size: small ones to scan, large ones to deliver unscanned. */
static gboolean
split_by_size (SsFilter      *self,
               GArray        *uids,
               GArray        *small,
               GArray        *large,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autoptr(GPtrArray) meta = fetch_messages (self, uids, SS_IMAP_FETCH_META, cancellable,
                                              error);

  if (meta == NULL)
    return FALSE;
  for (guint i = 0; i < meta->len; i++)
    {
      SsImapMessage *m = g_ptr_array_index (meta, i);
      g_array_append_val (m->size > self->config->max_size ? large : small, m->uid);
    }
  return TRUE;
}

static GArray *
search_new (SsFilter      *self,
            GHashTable    *handled,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autoptr(GArray) uids = ss_imap_client_uid_search (self->imap, "UNDELETED", cancellable,
                                                      error);

  if (uids == NULL)
    return NULL;
  for (guint i = 0; i < uids->len; i++)
    {
      guint32 uid = g_array_index (uids, guint32, i);

      if (!g_hash_table_add (handled, GUINT_TO_POINTER (uid)))
        g_array_remove_index (uids, i--);
    }
  return g_steal_pointer (&uids);
}

/* ---------------------------------------------------------------------------------------- */
/* Resuming after a crash or a cut connection                                               */

static Job *
job_from_pending (SsPending *p)
{
  Job *job = g_new0 (Job, 1);

  job->message = g_new0 (SsImapMessage, 1);
  job->message->uid = p->uid;
  job->message->size = p->size;
  job->resumed = ss_record_copy (p->record);
  return job;
}

/* Without MOVE, a COPY may have landed before the cut: look for our copy in dest (newer
 * than the UIDNEXT recorded before the COPY, same size and Message-Id). */
static gboolean
find_own_copy (SsFilter      *self,
               SsPending     *p,
               guint32       *found,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autofree char *quoted = ss_imap_quote (p->record->message_id);
  g_autofree char *criteria = NULL;
  g_autoptr(GArray) uids = NULL;

  criteria = g_strdup_printf ("UID %u:* LARGER %" G_GUINT64_FORMAT " SMALLER %" G_GUINT64_FORMAT
                              "%s%s", MAX (p->dest_uidnext, 1), p->size > 0 ? p->size - 1 : 0,
                              p->size + 1,
                              quoted != NULL && *p->record->message_id ? " HEADER Message-ID " : "",
                              quoted != NULL && *p->record->message_id ? quoted : "");
  uids = ss_imap_client_uid_search (self->imap, criteria, cancellable, error);
  if (uids == NULL)
    return FALSE;
  /* "UID n:*" also matches the last message when all are below n: check the range. */
  *found = 0;
  for (guint i = 0; i < uids->len; i++)
    if (g_array_index (uids, guint32, i) >= p->dest_uidnext)
      *found = g_array_index (uids, guint32, i);
  return TRUE;
}

/* Sorts pending copies (no MOVE) into already-copied (healed now) and still to move. */
static gboolean
heal_copies (SsFilter      *self,
             GPtrArray     *moving,
             GHashTable    *undeleted,
             GPtrArray     *to_move,
             GCancellable  *cancellable,
             GError       **error)
{
  const char *unfiltered = self->config->folder_unfiltered;
  g_autoptr(GPtrArray) copied = g_ptr_array_new_with_free_func ((GDestroyNotify) ss_record_free);
  g_autoptr(GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));

  for (guint i = 0; i < moving->len; i++)
    {
      SsPending *p = g_ptr_array_index (moving, i);
      guint32 found = 0;

      if (!select_folder (self, p->record->destination, cancellable, error) ||
          !find_own_copy (self, p, &found, cancellable, error))
        return FALSE;
      if (found == 0 && !g_hash_table_contains (undeleted, GUINT_TO_POINTER (p->uid)))
        {
          /* We set \Deleted only once the copy exists: someone else deleted it. */
          g_message ("UID %u: deleted by another client before it was moved; left as it is",
                     p->uid);
          ss_journal_delete_pending (self->journal, self->account, unfiltered,
                                     p->record->uidvalidity, p->uid, NULL);
          continue;
        }
      if (found == 0)
        {
          g_ptr_array_add (to_move, p);
          continue;
        }
      g_message ("UID %u: its copy in %s (UID %u) survived a cut; removing the original",
                 p->uid, p->record->destination, found);
      p->record->dest_uidvalidity = self->mailbox.uidvalidity;
      p->record->dest_uid = found;
      g_ptr_array_add (copied, ss_record_copy (p->record));
      g_array_append_val (uids, p->uid);
    }
  if (!select_folder (self, unfiltered, cancellable, error))
    return FALSE;
  if (uids->len > 0 &&
      !ss_imap_client_uid_delete (self->imap, (guint32 *) uids->data, uids->len, cancellable,
                                  error))
    return FALSE;
  return finish_records (self, copied, TRUE, error);
}

/* The COPY was confirmed before the cut: only the originals remain to be removed. */
static gboolean
finish_copied (SsFilter      *self,
               GPtrArray     *copied,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) ss_record_free);
  g_autoptr(GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));

  for (guint i = 0; i < copied->len; i++)
    {
      SsPending *p = g_ptr_array_index (copied, i);

      g_array_append_val (uids, p->uid);
      g_ptr_array_add (records, ss_record_copy (p->record));
    }
  if (uids->len == 0)
    return TRUE;
  return ss_imap_client_uid_delete (self->imap, (guint32 *) uids->data, uids->len, cancellable,
                                    error) &&
         finish_records (self, records, TRUE, error);
}

static gboolean
move_resumed (SsFilter      *self,
              GPtrArray     *pendings,
              GCancellable  *cancellable,
              GError       **error)
{
  const char *inbox = self->config->folder_inbox;
  const MoveSpec specs[] = {
    { SS_VERDICT_SPAM, self->spam_folder, "$Junk", "$NotJunk", TRUE },
    { SS_VERDICT_HAM, inbox, "$NotJunk", "$Junk", TRUE },
    { SS_VERDICT_UNSCANNED, inbox, NULL, NULL, TRUE },
  };

  for (guint k = 0; k < G_N_ELEMENTS (specs); k++)
    {
      g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) job_free);

      for (guint i = 0; i < pendings->len; i++)
        {
          SsPending *p = g_ptr_array_index (pendings, i);
          if (p->record->verdict == specs[k].verdict)
            g_ptr_array_add (jobs, job_from_pending (p));
        }
      if (!move_jobs (self, jobs, &specs[k], cancellable, error))
        return FALSE;
      if (specs[k].verdict == SS_VERDICT_SPAM)
        self->stats.spam += jobs->len;
      else if (specs[k].verdict == SS_VERDICT_HAM)
        self->stats.ham += jobs->len;
      else
        self->stats.unscanned += jobs->len;
      if (specs[k].verdict != SS_VERDICT_UNSCANNED)
        self->stats.scanned += jobs->len;
    }
  return TRUE;
}

/* UIDs in the selected folder matching criteria, as a set. */
static GHashTable *
search_set (SsFilter      *self,
            const char    *criteria,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autoptr(GArray) uids = ss_imap_client_uid_search (self->imap, criteria, cancellable, error);
  GHashTable *set;

  if (uids == NULL)
    return NULL;
  set = g_hash_table_new (NULL, NULL);
  for (guint i = 0; i < uids->len; i++)
    g_hash_table_add (set, GUINT_TO_POINTER (g_array_index (uids, guint32, i)));
  return set;
}

/* Messages the journal says were on their way out of Unfiltered: finish each one. A
 * message already marked \Deleted still counts as present: the cut may have come between
 * our STORE \Deleted and the UID EXPUNGE. */
static gboolean
resume_pending (SsFilter      *self,
                GHashTable    *handled,
                GCancellable  *cancellable,
                GError       **error)
{
  const char *folder = self->config->folder_unfiltered;
  g_autoptr(GPtrArray) pending = ss_journal_list_pending (self->journal, self->account, folder,
                                                          error);
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func ((GDestroyNotify) ss_record_free);
  g_autoptr(GPtrArray) moving = g_ptr_array_new ();
  g_autoptr(GPtrArray) copied = g_ptr_array_new ();
  g_autoptr(GPtrArray) to_move = g_ptr_array_new ();
  g_autoptr(GHashTable) present = NULL;
  g_autoptr(GHashTable) undeleted = NULL;
  gboolean has_move = ss_imap_client_has_capability (self->imap, "MOVE");

  if (pending == NULL)
    return FALSE;
  if (pending->len == 0)
    return TRUE;
  present = search_set (self, "ALL", cancellable, error);
  if (present == NULL)
    return FALSE;
  undeleted = search_set (self, "UNDELETED", cancellable, error);
  if (undeleted == NULL)
    return FALSE;

  for (guint i = 0; i < pending->len; i++)
    {
      SsPending *p = g_ptr_array_index (pending, i);
      gpointer key = GUINT_TO_POINTER (p->uid);

      if (p->record->uidvalidity != self->mailbox.uidvalidity)
        {
          /* The folder was recreated: old numbers mean nothing, its mail is scanned anew. */
          ss_journal_delete_pending (self->journal, self->account, folder,
                                     p->record->uidvalidity, p->uid, NULL);
          continue;
        }
      g_hash_table_add (handled, key);
      if (!g_hash_table_contains (present, key))
        g_ptr_array_add (gone, ss_record_copy (p->record));   /* the move had happened */
      else if (p->step == SS_PENDING_COPIED)
        g_ptr_array_add (copied, p);
      else if (p->step == SS_PENDING_MOVING && !has_move)
        g_ptr_array_add (moving, p);
      else if (!g_hash_table_contains (undeleted, key))
        {
          g_message ("UID %u: deleted by another client before it was moved; left as it is",
                     p->uid);
          ss_journal_delete_pending (self->journal, self->account, folder,
                                     p->record->uidvalidity, p->uid, NULL);
        }
      else
        g_ptr_array_add (to_move, p);
    }
  g_message ("resuming %u message(s) from the journal", pending->len);
  return finish_records (self, gone, TRUE, error) &&
         finish_copied (self, copied, cancellable, error) &&
         (moving->len == 0 ||
          heal_copies (self, moving, undeleted, to_move, cancellable, error)) &&
         move_resumed (self, to_move, cancellable, error);
}

gboolean
ss_filter_run_unfiltered (SsFilter      *self,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autoptr(GHashTable) handled = g_hash_table_new (NULL, NULL);

  g_return_val_if_fail (SS_IS_FILTER (self), FALSE);

  if (!select_folder (self, self->config->folder_unfiltered, cancellable, error))
    return FALSE;
  if (!self->dry_run && !resume_pending (self, handled, cancellable, error))
    return FALSE;

  /* Until empty: mail that arrives during the pass is taken too. */
  for (;;)
    {
      g_autoptr(GArray) uids = search_new (self, handled, cancellable, error);
      g_autoptr(GArray) small = g_array_new (FALSE, FALSE, sizeof (guint32));
      g_autoptr(GArray) large = g_array_new (FALSE, FALSE, sizeof (guint32));

      if (uids == NULL)
        return FALSE;
      if (uids->len == 0)
        break;
      if (!split_by_size (self, uids, small, large, cancellable, error) ||
          !deliver_skipped (self, large, cancellable, error) ||
          !pipeline (self, "Unfiltered", JOB_SCAN, small, settle_scans, cancellable, error))
        return FALSE;
      if (self->spamd_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&self->spamd_error));
          return FALSE;
        }
      if (is_stopping (self))
        return !g_cancellable_set_error_if_cancelled (self->scan_cancellable, error);
    }
  return TRUE;
}

/* ---------------------------------------------------------------------------------------- */
/* Learning                                                                                  */

static gboolean
settle_learning (SsFilter      *self,
                 GPtrArray     *ready,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autoptr(GPtrArray) learned = g_ptr_array_new ();
  gboolean as_spam = FALSE;

  for (guint i = 0; i < ready->len; i++)
    {
      Job *job = g_ptr_array_index (ready, i);

      as_spam = job->kind == JOB_TELL_SPAM;
      if (job->error == NULL)
        g_ptr_array_add (learned, job);
      else if (g_error_matches (job->error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_REFUSED))
        {
          if (self->learn_error == NULL)
            self->learn_error = g_error_copy (job->error);
        }
      else if (is_spamd_down (job->error))
        {
          if (self->spamd_error == NULL)
            self->spamd_error = g_error_copy (job->error);
        }
      else if (!g_error_matches (job->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("UID %u: learning failed, will retry: %s", job->message->uid,
                   job->error->message);
    }

  if (as_spam)
    {
      const MoveSpec spec = { SS_VERDICT_LEARNED_SPAM, self->spam_folder, "$Junk", "$NotJunk" };
      self->stats.learned_spam += learned->len;
      return move_jobs (self, learned, &spec, cancellable, error);
    }
  else
    {
      const MoveSpec spec = { SS_VERDICT_LEARNED_HAM, self->config->folder_inbox,
                              "$NotJunk", "$Junk" };
      self->stats.learned_ham += learned->len;
      return move_jobs (self, learned, &spec, cancellable, error);
    }
}

static gboolean
learn_folder (SsFilter      *self,
              const char    *folder,
              JobKind        kind,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autoptr(GArray) uids = NULL;
  g_autoptr(GArray) small = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GArray) large = g_array_new (FALSE, FALSE, sizeof (guint32));
  gboolean as_spam = kind == JOB_TELL_SPAM;
  const MoveSpec big_spec = { SS_VERDICT_SKIPPED,
                              as_spam ? self->spam_folder : self->config->folder_inbox,
                              as_spam ? "$Junk" : "$NotJunk", as_spam ? "$NotJunk" : "$Junk" };
  g_autoptr(GPtrArray) big = NULL;

  if (!folder_exists (self, folder))
    return TRUE;
  if (!select_folder (self, folder, cancellable, error))
    return FALSE;
  uids = ss_imap_client_uid_search (self->imap, "UNDELETED", cancellable, error);
  if (uids == NULL || !split_by_size (self, uids, small, large, cancellable, error))
    return FALSE;
  if (!pipeline (self, "learning", kind, small, settle_learning, cancellable, error))
    return FALSE;
  if (large->len == 0 || self->learn_error != NULL)
    return TRUE;
  /* Too large to learn from: returned where the user wants them, never stuck here. */
  big = header_jobs (self, large, cancellable, error);
  return big != NULL && move_jobs (self, big, &big_spec, cancellable, error);
}

gboolean
ss_filter_run_learning (SsFilter      *self,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_return_val_if_fail (SS_IS_FILTER (self), FALSE);

  if (!learn_folder (self, self->config->folder_false_positives, JOB_TELL_HAM,
                     cancellable, error))
    return FALSE;
  if (self->learn_error == NULL && self->spamd_error == NULL &&
      !learn_folder (self, self->config->folder_false_negatives, JOB_TELL_SPAM,
                     cancellable, error))
    return FALSE;
  if (self->spamd_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->spamd_error));
      return FALSE;
    }
  if (self->learn_error != NULL)
    {
      g_set_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_REFUSED,
                   "spamd refused to learn, so the messages in \"%s\" and \"%s\" stay "
                   "where they are: %s", self->config->folder_false_positives,
                   self->config->folder_false_negatives, self->learn_error->message);
      g_clear_error (&self->learn_error);
      return FALSE;
    }
  return TRUE;
}

/* ---------------------------------------------------------------------------------------- */
/* Expiry                                                                                    */

static char *
imap_date_days_ago (guint days)
{
  static const char *months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) then = g_date_time_add_days (now, -(int) days);

  return g_strdup_printf ("%d-%s-%04d", g_date_time_get_day_of_month (then),
                          months[g_date_time_get_month (then) - 1],
                          g_date_time_get_year (then));
}

static gboolean
expire_folder (SsFilter      *self,
               const char    *folder,
               const char    *criteria,
               guint          days,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autofree char *date = imap_date_days_ago (days);
  g_autofree char *search = g_strdup_printf ("%s BEFORE %s", criteria, date);
  g_autoptr(GArray) uids = NULL;
  g_autoptr(GPtrArray) jobs = NULL;

  if (days == 0 || !folder_exists (self, folder))
    return TRUE;
  if (!select_folder (self, folder, cancellable, error))
    return FALSE;
  uids = ss_imap_client_uid_search (self->imap, search, cancellable, error);
  if (uids == NULL)
    return FALSE;
  if (uids->len == 0)
    return TRUE;
  jobs = header_jobs (self, uids, cancellable, error);
  if (jobs == NULL)
    return FALSE;
  g_array_set_size (uids, 0);
  for (guint i = 0; i < jobs->len; i++)
    g_array_append_val (uids, ((Job *) g_ptr_array_index (jobs, i))->message->uid);
  if (!self->dry_run &&
      !ss_imap_client_uid_delete (self->imap, (guint32 *) uids->data, uids->len,
                                  cancellable, error))
    return FALSE;
  for (guint i = 0; i < jobs->len; i++)
    {
      Job *job = g_ptr_array_index (jobs, i);
      g_autoptr(SsRecord) record = record_for (self, job->message, job->info,
                                               SS_VERDICT_EXPIRED, "");
      emit_record (self, record);
    }
  self->stats.expired += jobs->len;
  return TRUE;
}

gboolean
ss_filter_run_expire (SsFilter      *self,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_return_val_if_fail (SS_IS_FILTER (self), FALSE);

  /* Unfiltered: only mail someone has read, never mail still waiting for a verdict. */
  return expire_folder (self, self->spam_folder, "UNDELETED", self->config->spam_days,
                        cancellable, error) &&
         expire_folder (self, self->config->folder_unfiltered, "SEEN UNDELETED",
                        self->config->unfiltered_days, cancellable, error);
}

gboolean
ss_filter_run_once (SsFilter      *self,
                    GCancellable  *cancellable,
                    GError       **error)
{
  g_autoptr(GError) learn_error = NULL;

  g_return_val_if_fail (SS_IS_FILTER (self), FALSE);

  if (!ss_spamd_client_ping_sync (self->spamd, cancellable, error) ||
      !ss_filter_prepare (self, cancellable, error) ||
      !ss_filter_run_unfiltered (self, cancellable, error))
    return FALSE;
  /* A refused TELL is reported after expiry ran; anything else stops here. */
  if (!ss_filter_run_learning (self, cancellable, &learn_error) &&
      !g_error_matches (learn_error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_REFUSED))
    {
      g_propagate_error (error, g_steal_pointer (&learn_error));
      return FALSE;
    }
  if (!ss_filter_run_expire (self, cancellable, error))
    return FALSE;
  if (learn_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&learn_error));
      return FALSE;
    }
  return TRUE;
}

/* ---------------------------------------------------------------------------------------- */
/* Marking one message                                                                      */

static SsImapMessage *
fetch_one (SsFilter      *self,
           const char    *folder,
           guint32        uidvalidity,
           guint32        uid,
           GCancellable  *cancellable,
           GError       **error)
{
  g_autoptr(GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GPtrArray) messages = NULL;

  if (!select_folder (self, folder, cancellable, error))
    return NULL;
  if (self->mailbox.uidvalidity != uidvalidity)
    {
      g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_NO_MAILBOX,
                   "The folder \"%s\" was recreated on the server; the message cannot be "
                   "found by its old number", folder);
      return NULL;
    }
  g_array_append_val (uids, uid);
  messages = fetch_messages (self, uids, SS_IMAP_FETCH_BODY, cancellable, error);
  if (messages == NULL)
    return NULL;
  if (messages->len == 0)
    {
      g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_NO_MAILBOX,
                   "The message is no longer in \"%s\" (moved or deleted by another "
                   "mail program)", folder);
      return NULL;
    }
  return g_ptr_array_steal_index (messages, 0);
}

SsRecord *
ss_filter_mark (SsFilter      *self,
                const char    *folder,
                guint32        uidvalidity,
                guint32        uid,
                gboolean       as_spam,
                GCancellable  *cancellable,
                GError       **error)
{
  const MoveSpec spec = { as_spam ? SS_VERDICT_LEARNED_SPAM : SS_VERDICT_LEARNED_HAM,
                          as_spam ? self->spam_folder : self->config->folder_inbox,
                          as_spam ? "$Junk" : "$NotJunk", as_spam ? "$NotJunk" : "$Junk" };
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) job_free);
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) ss_record_free);
  Job *job;
  gsize len = 0;
  const guint8 *bytes;

  g_return_val_if_fail (SS_IS_FILTER (self), NULL);

  job = g_new0 (Job, 1);
  g_ptr_array_add (jobs, job);
  job->message = fetch_one (self, folder, uidvalidity, uid, cancellable, error);
  if (job->message == NULL)
    return NULL;
  bytes = g_bytes_get_data (job->message->body, &len);
  job->info = ss_message_info_parse (bytes, len);
  if (!ss_spamd_client_tell_sync (self->spamd, job->message->body,
                                  as_spam ? SS_SPAMD_CLASS_SPAM : SS_SPAMD_CLASS_HAM,
                                  cancellable, error))
    return NULL;
  g_clear_pointer (&job->message->body, g_bytes_unref);
  if (g_strcmp0 (folder, spec.destination) == 0)
    {
      /* Already where it belongs (e.g. marked twice): learned, only the keyword changes. */
      g_autoptr(SsRecord) record = record_for (self, job->message, job->info, spec.verdict,
                                               spec.destination);
      guint32 one = uid;

      if (self->mailbox.keywords_ok &&
          !ss_imap_client_uid_store (self->imap, &one, 1, spec.add_keyword, spec.remove_keyword,
                                     cancellable, error))
        return NULL;
      record->dest_uidvalidity = uidvalidity;
      record->dest_uid = uid;
      emit_record (self, record);
      return g_steal_pointer (&record);
    }
  if (!move_jobs_full (self, jobs, &spec, records, cancellable, error))
    return NULL;
  if (spec.verdict == SS_VERDICT_LEARNED_SPAM)
    self->stats.learned_spam++;
  else
    self->stats.learned_ham++;
  return g_ptr_array_steal_index (records, 0);
}
