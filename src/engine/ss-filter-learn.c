/* ss-filter-learn.c: learning folders, expiry and marking one message */
#define G_LOG_DOMAIN "ss-filter"

#include "config.h"

#include "ss-filter-private.h"

#include "ss-error.h"

/* ---------------------------------------------------------------------------------------- */
/* Learning                                                                                  */

gboolean
_ss_filter_keep_learn_error (SsFilter     *self,
                             const GError *error)
{
  if (g_error_matches (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_REFUSED))
    {
      if (self->learn_error == NULL)
        self->learn_error = g_error_copy (error);
      return TRUE;
    }
  if (_ss_filter_is_spamd_down (error))
    {
      if (self->spamd_error == NULL)
        self->spamd_error = g_error_copy (error);
      return TRUE;
    }
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

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
        {
          /* A correction: the personal learner learns it too, at once. */
          _ss_filter_learn_job (self, job, as_spam);
          g_ptr_array_add (learned, job);
        }
      else if (!_ss_filter_keep_learn_error (self, job->error))
        g_message ("UID %u: learning failed, will retry: %s", job->message->uid,
                   job->error->message);
    }

  for (guint i = 0; i < learned->len; i++)
    _ss_filter_list_sender (self, ((Job *) g_ptr_array_index (learned, i))->info, as_spam,
                            NULL, 0, 0, NULL);
  if (as_spam)
    {
      const MoveSpec spec = { SS_VERDICT_LEARNED_SPAM, self->spam_folder, "$Junk",
                              "$NotJunk $Uncertain" };
      self->stats.learned_spam += learned->len;
      return _ss_filter_move_jobs (self, learned, &spec, cancellable, error);
    }
  else
    {
      const MoveSpec spec = { SS_VERDICT_LEARNED_HAM, self->config->folder_inbox,
                              "$NotJunk", "$Junk $Uncertain" };
      self->stats.learned_ham += learned->len;
      return _ss_filter_move_jobs (self, learned, &spec, cancellable, error);
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

  if (!_ss_filter_folder_exists (self, folder))
    return TRUE;
  if (!_ss_filter_select_folder (self, folder, cancellable, error))
    return FALSE;
  uids = ss_imap_client_uid_search (self->imap, "UNDELETED", cancellable, error);
  if (uids == NULL || !_ss_filter_split_by_size (self, uids, small, large, cancellable, error))
    return FALSE;
  if (!_ss_filter_pipeline (self, "learning", kind, small, settle_learning, cancellable, error))
    return FALSE;
  if (large->len == 0 || self->learn_error != NULL)
    return TRUE;
  /* Too large to learn from: returned where the user wants them, never stuck here. */
  big = _ss_filter_header_jobs (self, large, cancellable, error);
  return big != NULL && _ss_filter_move_jobs (self, big, &big_spec, cancellable, error);
}

gboolean
ss_filter_run_learning (SsFilter      *self,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_return_val_if_fail (SS_IS_FILTER (self), FALSE);

  if (!_ss_filter_read_sent (self, cancellable, error))
    return FALSE;
  if (!learn_folder (self, self->false_positives, JOB_TELL_HAM, cancellable, error))
    return FALSE;
  if (self->learn_error == NULL && self->spamd_error == NULL &&
      !learn_folder (self, self->false_negatives, JOB_TELL_SPAM, cancellable, error))
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
                   "where they are: %s", self->false_positives, self->false_negatives,
                   self->learn_error->message);
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

  if (days == 0 || !_ss_filter_folder_exists (self, folder))
    return TRUE;
  if (!_ss_filter_select_folder (self, folder, cancellable, error))
    return FALSE;
  uids = ss_imap_client_uid_search (self->imap, search, cancellable, error);
  if (uids == NULL)
    return FALSE;
  if (uids->len == 0)
    return TRUE;
  jobs = _ss_filter_header_jobs (self, uids, cancellable, error);
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
      g_autoptr(SsRecord) record = _ss_filter_record_for (self, job->message, job->info,
                                                          SS_VERDICT_EXPIRED, "");
      _ss_filter_emit_record (self, record);
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

  /* Unfiltered: only mail someone has read, never mail still waiting for a verdict. In
   * place it is INBOX: never expired. */
  return expire_folder (self, self->spam_folder, "UNDELETED", self->config->spam_days,
                        cancellable, error) &&
         (self->in_place ||
          expire_folder (self, self->config->folder_unfiltered, "SEEN UNDELETED",
                         self->config->unfiltered_days, cancellable, error));
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

  if (!_ss_filter_select_folder (self, folder, cancellable, error))
    return NULL;
  if (self->mailbox.uidvalidity != uidvalidity)
    {
      g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_NO_MAILBOX,
                   "The folder \"%s\" was recreated on the server; the message cannot be "
                   "found by its old number", folder);
      return NULL;
    }
  g_array_append_val (uids, uid);
  messages = _ss_filter_fetch_messages (self, uids, SS_IMAP_FETCH_BODY, cancellable, error);
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
                          as_spam ? "$Junk" : "$NotJunk",
                          as_spam ? "$NotJunk $Uncertain" : "$Junk $Uncertain" };
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) _ss_filter_job_free);
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
  _ss_filter_learn_job (self, job, as_spam);
  if (g_strcmp0 (folder, spec.destination) == 0)
    {
      /* Already where it belongs (e.g. marked twice): learned, only the keyword changes. */
      g_autoptr(SsRecord) record = _ss_filter_record_for (self, job->message, job->info,
                                                          spec.verdict, spec.destination);
      guint32 one = uid;

      if (self->mailbox.keywords_ok &&
          !ss_imap_client_uid_store (self->imap, &one, 1, spec.add_keyword, spec.remove_keyword,
                                     cancellable, error))
        return NULL;
      record->dest_uidvalidity = uidvalidity;
      record->dest_uid = uid;
      _ss_filter_list_sender (self, job->info, as_spam, folder, uidvalidity, uid, record);
      _ss_filter_emit_record (self, record);
      return g_steal_pointer (&record);
    }
  if (!_ss_filter_move_jobs_full (self, jobs, &spec, records, cancellable, error))
    return NULL;
  if (spec.verdict == SS_VERDICT_LEARNED_SPAM)
    self->stats.learned_spam++;
  else
    self->stats.learned_ham++;
  _ss_filter_list_sender (self, job->info, as_spam, folder, uidvalidity, uid,
                          g_ptr_array_index (records, 0));
  return g_ptr_array_steal_index (records, 0);
}
