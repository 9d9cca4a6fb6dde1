/* ss-filter.c: fetch chunk → scan (N in flight) → move, plus learning and expiry.
 *
 * The IMAP connection is driven from one thread; scans run on a thread pool of `parallel`
 * workers, each a blocking spamd request. The next chunk is fetched while spamd works on
 * the previous one, so spamd never waits for IMAP. A message is only moved once its verdict
 * is known; on any doubt it stays in Unfiltered.
 *
 * This file: the object, folders, records and moving. The pipeline and Unfiltered are in
 * ss-filter-scan.c, crash resume in ss-filter-resume.c, learning/expiry/marking in
 * ss-filter-learn.c. */
#define G_LOG_DOMAIN "ss-filter"

#include "config.h"

#include "ss-filter-private.h"

#include "ss-error.h"

G_DEFINE_FINAL_TYPE (SsFilter, ss_filter, G_TYPE_OBJECT)

void
_ss_filter_job_free (Job *job)
{
  ss_imap_message_free (job->message);
  g_clear_pointer (&job->info, ss_message_info_free);
  g_clear_pointer (&job->reply, ss_spamd_reply_free);
  g_clear_error (&job->error);
  g_clear_object (&job->cancellable);
  g_clear_pointer (&job->resumed, ss_record_free);
  g_clear_pointer (&job->confirm_head, g_bytes_unref);
  g_free (job);
}


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
  /* Moves go by UID; the body is not needed any more, but by the learner (which runs on
   * the filter's thread: it scores or learns it in settle). It reads at most
   * SS_LEARNER_PREFIX bytes without CRs: a copy of twice that is kept, not the message. */
  if (self->learner != NULL && len > 2 * SS_LEARNER_PREFIX)
    {
      GBytes *head = g_bytes_new (bytes, 2 * SS_LEARNER_PREFIX);

      g_bytes_unref (job->message->body);
      job->message->body = head;
    }
  else if (self->learner == NULL)
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
        _ss_filter_job_free (job);
      g_clear_pointer (&self->done, g_async_queue_unref);
    }
  g_clear_object (&self->imap);
  g_clear_object (&self->spamd);
  g_clear_object (&self->journal);
  g_clear_pointer (&self->learner, ss_learner_unref);
  g_clear_object (&self->lists);
  G_OBJECT_CLASS (ss_filter_parent_class)->dispose (object);
}

static void
ss_filter_finalize (GObject *object)
{
  SsFilter *self = (SsFilter *) object;

  g_clear_pointer (&self->config, ss_config_free);
  g_clear_pointer (&self->account, g_free);
  g_clear_pointer (&self->spam_folder, g_free);
  g_clear_pointer (&self->false_positives, g_free);
  g_clear_pointer (&self->false_negatives, g_free);
  g_clear_pointer (&self->sent_folder, g_free);
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

/* After the spam folder is known: the learning folders' defaults live under it. */
static void
set_learning_folders (SsFilter *self)
{
  g_free (self->false_positives);
  self->false_positives = ss_config_dup_false_positives (self->config, self->spam_folder);
  g_free (self->false_negatives);
  self->false_negatives = ss_config_dup_false_negatives (self->config, self->spam_folder);
}

SsFilter *
ss_filter_new (const SsConfig *config,
               SsImapClient   *imap,
               SsSpamdClient  *spamd,
               SsJournal      *journal)
{
  SsFilter *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (SS_IS_IMAP_CLIENT (imap), NULL);
  g_return_val_if_fail (SS_IS_SPAMD_CLIENT (spamd), NULL);
  g_return_val_if_fail (SS_IS_JOURNAL (journal), NULL);

  self = g_object_new (SS_TYPE_FILTER, NULL);
  self->config = ss_config_copy (config);
  self->imap = g_object_ref (imap);
  self->spamd = g_object_ref (spamd);
  self->journal = g_object_ref (journal);
  self->account = ss_config_dup_account_id (config);
  self->spam_folder = g_strdup (*config->folder_spam ? config->folder_spam : "Spam");
  self->in_place = ss_config_is_in_place (config);
  set_learning_folders (self);
  _ss_filter_open_sender_lists (self);
  self->pool = g_thread_pool_new (job_run, self, MAX (config->spamd_parallel, 1), FALSE, NULL);
  return self;
}

void
ss_filter_set_learner (SsFilter  *self,
                       SsLearner *learner)
{
  g_return_if_fail (SS_IS_FILTER (self));

  if (learner != NULL)
    ss_learner_ref (learner);
  g_clear_pointer (&self->learner, ss_learner_unref);
  self->learner = learner;
}

SsLearner *
ss_filter_get_learner (SsFilter *self)
{
  g_return_val_if_fail (SS_IS_FILTER (self), NULL);

  return self->learner;
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

void
_ss_filter_progress (SsFilter   *self,
                     const char *step,
                     guint       n,
                     guint       total)
{
  if (self->progress_func != NULL)
    self->progress_func (step, n, total, self->progress_data);
}

/* ---------------------------------------------------------------------------------------- */
/* Folders                                                                                  */

gboolean
_ss_filter_folder_exists (SsFilter   *self,
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
  const char *create[4];
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
      if (folder->sent && !folder->noselect && self->sent_folder == NULL)
        self->sent_folder = g_strdup (folder->name);
      if (folder->junk && *c->folder_spam == '\0')
        {
          g_free (self->spam_folder);
          self->spam_folder = g_strdup (folder->name);
        }
    }

  if (!_ss_filter_folder_exists (self, c->folder_unfiltered))
    {
      g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_NO_MAILBOX,
                   "The folder \"%s\" does not exist on %s: create it and have new mail "
                   "delivered there", c->folder_unfiltered, c->host);
      return FALSE;
    }

  set_learning_folders (self);
  create[0] = self->spam_folder;
  create[1] = self->false_positives;
  create[2] = self->false_negatives;
  create[3] = g_strcmp0 (c->uncertain_action, "folder") == 0 ? c->uncertain_folder : NULL;
  for (guint i = 0; i < G_N_ELEMENTS (create); i++)
    {
      if (create[i] == NULL || _ss_filter_folder_exists (self, create[i]) || self->dry_run)
        continue;
      if (!ss_imap_client_create (self->imap, create[i], cancellable, error))
        return FALSE;
      g_hash_table_add (self->folders, g_strdup (create[i]));
    }
  return TRUE;
}

gboolean
_ss_filter_select_folder (SsFilter      *self,
                          const char    *folder,
                          GCancellable  *cancellable,
                          GError       **error)
{
  return ss_imap_client_select (self->imap, folder, &self->mailbox, cancellable, error);
}

/* ---------------------------------------------------------------------------------------- */
/* Records                                                                                  */

void
_ss_filter_emit_record (SsFilter *self,
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

SsRecord *
_ss_filter_record_for (SsFilter            *self,
                       const SsImapMessage *message,
                       const SsMessageInfo *info,
                       SsVerdictKind        verdict,
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
SsRecord *
_ss_filter_job_record (SsFilter       *self,
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
    record = _ss_filter_record_for (self, job->message, job->info, spec->verdict,
                                    spec->destination);
  record->verdict = spec->verdict;
  g_free (record->destination);
  record->destination = g_strdup (spec->destination);
  if (job->reply != NULL)
    {
      record->combined = job->combined;
      record->logodds = job->logodds;
      record->learner = job->learner;
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
gboolean
_ss_filter_finish_records (SsFilter   *self,
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
gboolean
_ss_filter_move_jobs_full (SsFilter       *self,
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
      g_ptr_array_add (records, _ss_filter_job_record (self, job, spec));
    }
  if (_ss_filter_stays (self, spec))
    {
      /* In place: no move, a keyword at most (ss-filter-inplace.c). */
      if (!_ss_filter_keep_jobs (self, jobs, spec, records, cancellable, error))
        return FALSE;
      if (records_out != NULL)
        while (records->len > 0)
          g_ptr_array_add (records_out, g_ptr_array_steal_index (records, 0));
      return TRUE;
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
  if (!_ss_filter_finish_records (self, records, journaled, error))
    return FALSE;
  if (records_out != NULL)
    while (records->len > 0)
      g_ptr_array_add (records_out, g_ptr_array_steal_index (records, 0));
  return TRUE;
}

gboolean
_ss_filter_move_jobs (SsFilter       *self,
                      GPtrArray      *jobs,
                      const MoveSpec *spec,
                      GCancellable   *cancellable,
                      GError        **error)
{
  return _ss_filter_move_jobs_full (self, jobs, spec, NULL, cancellable, error);
}
