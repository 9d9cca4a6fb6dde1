/* ss-filter-confirm.c: implicit confirmation. A verdict the user leaves standing (no
 * correction within [filter] confirm-minutes) is learned by the personal learner and by
 * spamd's Bayes as the verdict said: so both see all of the user's mail, not only the
 * mistakes. The learner's part of each scanned message (its head, 12 KB at most) waits in
 * the journal until then. */
#define G_LOG_DOMAIN "ss-filter"

#include "config.h"

#include "ss-filter-private.h"

/* Keeps the heads of messages just judged spam or ham, to be confirmed later: one
 * transaction per batch. Only with a learner, outside dry runs, and for messages with a
 * Message-ID (corrections are matched by it). Takes the jobs' kept heads. A failure costs
 * only the learning of these messages. */
void
_ss_filter_keep_for_confirm (SsFilter  *self,
                             GPtrArray *spam,
                             GPtrArray *ham)
{
  g_autoptr(GError) error = NULL;

  if (self->learner == NULL || self->dry_run || spam->len + ham->len == 0 ||
      !ss_journal_begin (self->journal, &error))
    goto out;
  for (guint g = 0; g < 2; g++)
    {
      GPtrArray *jobs = g == 0 ? spam : ham;

      for (guint i = 0; i < jobs->len; i++)
        {
          Job *job = g_ptr_array_index (jobs, i);
          g_autoptr(GBytes) head = g_steal_pointer (&job->confirm_head);

          if (head == NULL || job->info == NULL || job->info->message_id == NULL ||
              *job->info->message_id == '\0')
            continue;
          if (!ss_journal_put_confirm (self->journal, self->account, job->info->message_id,
                                       g == 0, head, &error))
            {
              ss_journal_rollback (self->journal);
              goto out;
            }
        }
    }
  ss_journal_commit (self->journal, &error);
out:
  if (error != NULL)
    g_message ("%s", error->message);
}

/* The learner learns it now; spamd's Bayes through a TELL of the kept head, in the pool. */
static void
learn_confirmed (const guint8 *head,
                 gsize         len,
                 gboolean      is_spam,
                 gpointer      user_data)
{
  SsFilter *self = user_data;
  Job *job;

  ss_learner_learn (self->learner, head, len, is_spam);
  self->stats.confirmed++;
  job = g_new0 (Job, 1);
  job->kind = is_spam ? JOB_TELL_SPAM : JOB_TELL_HAM;
  job->message = g_new0 (SsImapMessage, 1);
  job->message->body = g_bytes_new (head, len);
  job->cancellable = g_object_ref (self->scan_cancellable);
  self->n_submitted++;
  g_thread_pool_push (self->pool, job, NULL);
}

/* Learns every kept head older than confirm-minutes whose message was not corrected since
 * (the learner, and spamd's Bayes, so that it too learns all of the user's mail rather than
 * the corrections alone), and forgets them all. A TELL that fails costs only spamd's
 * learning of that message: the cycle goes on. */
gboolean
ss_filter_run_confirm (SsFilter      *self,
                       GCancellable  *cancellable,
                       GError       **error)
{
  gint64 until = g_get_real_time () / G_USEC_PER_SEC -
                 (gint64) self->config->confirm_minutes * 60;
  g_autoptr(GPtrArray) done = NULL;
  guint failed = 0;
  gboolean ok;

  g_return_val_if_fail (SS_IS_FILTER (self), FALSE);

  if (self->learner == NULL || self->dry_run)
    return TRUE;
  ok = ss_journal_take_confirmed (self->journal, self->account, until, learn_confirmed, self,
                                  error);
  done = _ss_filter_collect (self, self->n_submitted);
  for (guint i = 0; i < done->len; i++)
    {
      Job *job = g_ptr_array_index (done, i);

      if (job->error == NULL || failed++ > 0)
        continue;
      /* e.g. a spamd of your own without --allow-tell: said once, not every cycle */
      if (!self->confirm_told_failed)
        g_message ("SpamAssassin did not learn a confirmed message (the learner did): %s",
                   job->error->message);
      else
        g_debug ("SpamAssassin did not learn a confirmed message: %s", job->error->message);
    }
  self->confirm_told_failed = self->confirm_told_failed || failed > 0;
  return ok;
}
