/* ss-filter-scan.c: the scan pipeline (fetch chunk → N parallel spamd scans → move) and
 * the Unfiltered pass */
#define G_LOG_DOMAIN "ss-filter"

#include "config.h"

#include "ss-filter-private.h"

#include <math.h>

#include "ss-decision.h"
#include "ss-error.h"

#define UNSCANNED_TRIES   3
#define UNSCANNED_SPREAD  3600   /* seconds between first and last failed try */

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
GPtrArray *
_ss_filter_collect (SsFilter *self,
                    guint     target)
{
  GPtrArray *ready = g_ptr_array_new_with_free_func ((GDestroyNotify) _ss_filter_job_free);
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
  g_autoptr(GPtrArray) rest = _ss_filter_collect (self, self->n_submitted);
}

gboolean
_ss_filter_is_spamd_down (const GError *error)
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
  if (_ss_filter_is_spamd_down (job->error))
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
  for (guint g = 0; groups[g] != NULL; g++)
    for (guint i = 0; i < groups[g]->len; i++)
      {
        Job *job = g_ptr_array_index (groups[g], i);
        g_autoptr(SsRecord) record = _ss_filter_job_record (self, job, specs[g]);
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

/* The learner learns a message's body (kept for it by job_run), then the body goes. */
void
_ss_filter_learn_job (SsFilter *self,
                      Job      *job,
                      gboolean  is_spam)
{
  gsize len = 0;
  const guint8 *bytes;

  if (self->learner != NULL && !self->dry_run && job->message->body != NULL)
    {
      bytes = g_bytes_get_data (job->message->body, &len);
      ss_learner_learn (self->learner, bytes, len, is_spam);
    }
  g_clear_pointer (&job->message->body, g_bytes_unref);
}

/* spamd's reply and the learner's margin, fused (ss-decision.c); drops the body. */
static SsDecisionKind
decide (SsFilter *self,
        Job      *job)
{
  const SsConfig *c = self->config;
  double margin = NAN;
  SsDecision d;

  if (self->learner != NULL && job->message->body != NULL)
    {
      gsize len = 0;
      const guint8 *bytes = g_bytes_get_data (job->message->body, &len);
      margin = ss_learner_score (self->learner, bytes, len);
      g_clear_pointer (&job->confirm_head, g_bytes_unref);
      job->confirm_head = g_steal_pointer (&job->message->body);
    }
  g_clear_pointer (&job->message->body, g_bytes_unref);
  d = ss_decide (job->reply->score, job->reply->threshold, margin, c->threshold / 100.0,
                 c->uncertain_band / 100.0);
  job->combined = d.combined;
  job->logodds = d.logodds;
  job->learner = margin;
  return d.kind;
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
  gboolean to_folder = g_strcmp0 (self->config->uncertain_action, "folder") == 0;
  const MoveSpec uncertain_spec = { SS_VERDICT_UNCERTAIN,
                                    to_folder ? self->config->uncertain_folder : inbox,
                                    "$Uncertain", NULL, TRUE };
  g_autoptr(GPtrArray) spam = g_ptr_array_new ();
  g_autoptr(GPtrArray) ham = g_ptr_array_new ();
  g_autoptr(GPtrArray) unscanned = g_ptr_array_new ();
  g_autoptr(GPtrArray) uncertain = g_ptr_array_new ();

  for (guint i = 0; i < ready->len; i++)
    {
      Job *job = g_ptr_array_index (ready, i);

      if (job->error != NULL)
        {
          if (scan_failed (self, job))
            g_ptr_array_add (unscanned, job);
          else
            {
              self->stats.deferred++;
              _ss_filter_note_deferred (self, job->message->uid);
            }
        }
      else
        {
          SsDecisionKind kind = decide (self, job);
          SsVerdictKind verdict = kind == SS_DECISION_SPAM ? SS_VERDICT_SPAM :
                                  kind == SS_DECISION_HAM ? SS_VERDICT_HAM :
                                                            SS_VERDICT_UNCERTAIN;

          /* Allow and block lists (ss-filter-lists.c) have the last word. */
          verdict = _ss_filter_apply_sender_lists (self, job, verdict);
          g_ptr_array_add (verdict == SS_VERDICT_SPAM ? spam :
                           verdict == SS_VERDICT_HAM ? ham : uncertain, job);
        }
    }

  /* Step one: the verdicts, before anything moves. */
  if (!self->dry_run &&
      !journal_verdicts (self, (GPtrArray *[]) { spam, ham, unscanned, uncertain, NULL },
                         (const MoveSpec *[]) { &spam_spec, &ham_spec, &unscanned_spec,
                                                &uncertain_spec }, error))
    return FALSE;
  if (!_ss_filter_move_jobs (self, spam, &spam_spec, cancellable, error) ||
      !_ss_filter_move_jobs (self, ham, &ham_spec, cancellable, error) ||
      !_ss_filter_move_jobs (self, unscanned, &unscanned_spec, cancellable, error) ||
      !_ss_filter_move_jobs (self, uncertain, &uncertain_spec, cancellable, error))
    return FALSE;
  /* Kept until the user had the time to correct them. Uncertain mail in INBOX is shown to the
   * user with one-click Spam: left there, it is confirmed as ham (not learning it would teach
   * the learner only the spam side of the line). In a folder of its own it waits for the user. */
  if (!to_folder)
    {
      g_autoptr(GPtrArray) kept = g_ptr_array_copy (ham, NULL, NULL);

      g_ptr_array_extend (kept, uncertain, NULL, NULL);
      _ss_filter_keep_for_confirm (self, spam, kept);
    }
  else
    _ss_filter_keep_for_confirm (self, spam, ham);
  self->stats.scanned += spam->len + ham->len + uncertain->len;
  self->stats.uncertain += uncertain->len;
  self->stats.spam += spam->len;
  self->stats.ham += ham->len;
  self->stats.unscanned += unscanned->len;
  return TRUE;
}


/* Fetches uids chunk by chunk into the pool; settles chunk k while chunk k+1 is scanned. */
gboolean
_ss_filter_pipeline (SsFilter      *self,
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
          g_autoptr(GPtrArray) ready = _ss_filter_collect (self, mark);

          if (!settle (self, ready, cancellable, error))
            {
              drain (self);
              return FALSE;
            }
          _ss_filter_progress (self, step, self->n_done - base, uids->len);
        }
      if (self->spamd_error != NULL || self->learn_error != NULL || is_stopping (self))
        break;
    }

  {
    g_autoptr(GPtrArray) ready = _ss_filter_collect (self, self->n_submitted);

    if (!settle (self, ready, cancellable, error))
      return FALSE;
    _ss_filter_progress (self, step, self->n_done - base, uids->len);
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

GPtrArray *
_ss_filter_fetch_messages (SsFilter          *self,
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
GPtrArray *
_ss_filter_header_jobs (SsFilter      *self,
                        GArray        *uids,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autoptr(GPtrArray) messages = _ss_filter_fetch_messages (self, uids, SS_IMAP_FETCH_HEADER,
                                                             cancellable, error);
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) _ss_filter_job_free);

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
  jobs = _ss_filter_header_jobs (self, uids, cancellable, error);
  if (jobs == NULL || !_ss_filter_move_jobs (self, jobs, &spec, cancellable, error))
    return FALSE;
  self->stats.skipped += jobs->len;
  return TRUE;
}

/* Splits uids by size: small ones to scan, large ones to deliver unscanned. */
gboolean
_ss_filter_split_by_size (SsFilter      *self,
                          GArray        *uids,
                          GArray        *small,
                          GArray        *large,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autoptr(GPtrArray) meta = _ss_filter_fetch_messages (self, uids, SS_IMAP_FETCH_META,
                                                         cancellable, error);

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
  g_autoptr(GArray) uids = self->in_place
    ? _ss_filter_search_in_place (self, cancellable, error)
    : ss_imap_client_uid_search (self->imap, "UNDELETED", cancellable, error);

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


gboolean
ss_filter_run_unfiltered (SsFilter      *self,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autoptr(GHashTable) handled = g_hash_table_new (NULL, NULL);

  g_return_val_if_fail (SS_IS_FILTER (self), FALSE);

  if (!_ss_filter_select_folder (self, self->config->folder_unfiltered, cancellable, error))
    return FALSE;
  self->lowest_deferred = 0;
  if (!self->dry_run && !_ss_filter_resume_pending (self, handled, cancellable, error))
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
      if (!_ss_filter_split_by_size (self, uids, small, large, cancellable, error) ||
          !deliver_skipped (self, large, cancellable, error) ||
          !_ss_filter_pipeline (self, "Unfiltered", JOB_SCAN, small, settle_scans,
                                cancellable, error))
        return FALSE;
      if (self->spamd_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&self->spamd_error));
          return FALSE;
        }
      if (is_stopping (self))
        return !g_cancellable_set_error_if_cancelled (self->scan_cancellable, error);
    }
  _ss_filter_check_bypass (self, g_hash_table_size (handled), cancellable);
  return !self->in_place || _ss_filter_end_in_place (self, handled, error);
}
