/* ss-filter-train.c: initial training from existing mail. Ham is the newest read mail of
 * INBOX, spam the newest mail of the spam folder; each is told to spamd (TELL) and given to
 * the personal learner. Folders are opened with EXAMINE and bodies fetched with BODY.PEEK,
 * so nothing moves and no flag changes. The journal's "trained" table (and the corrections in
 * the history) make a second run skip what was learned already. */
#define G_LOG_DOMAIN "ss-filter"

#include "config.h"

#include "ss-filter-private.h"

#include "ss-error.h"

/* Looked at beyond the newest max UIDs: room for too-large and $Junk/$NotJunk ones. */
#define CANDIDATE_SLACK 64

typedef struct
{
  SsFilter      *self;
  const char    *folder;
  gboolean       as_spam;
  GCancellable  *cancellable;   /* of the TELL jobs */
  GHashTable    *known;         /* ss_journal_list_trained () */
  GPtrArray     *prefixes;      /* (GBytes*) heads of the learned messages, for the learner */
  GHashTable    *heads;         /* uid → GBytes: head of a message in flight */
  guint          n_known;
} Train;

static gboolean
is_known (Train               *t,
          guint32              uid,
          const SsMessageInfo *info)
{
  g_autofree char *key = ss_journal_trained_key (t->folder, t->self->mailbox.uidvalidity, uid);
  g_autofree char *mid = NULL;

  if (g_hash_table_contains (t->known, key))
    return TRUE;
  if (info == NULL || info->message_id == NULL || *info->message_id == '\0')
    return FALSE;
  mid = g_strconcat ("mid:", info->message_id, NULL);
  return g_hash_table_contains (t->known, mid);
}

/* On the filter's thread, as each body arrives: skip known messages, queue the others. */
static void
submit_train (SsImapMessage *message,
              gpointer       user_data)
{
  Train *t = user_data;
  SsFilter *self = t->self;
  gsize len = 0;
  const guint8 *bytes = g_bytes_get_data (message->body, &len);
  g_autoptr(SsMessageInfo) info = ss_message_info_parse (bytes, len);
  Job *job;

  if (is_known (t, message->uid, info))
    {
      t->n_known++;
      ss_imap_message_free (message);
      return;
    }
  if (self->learner != NULL)
    g_hash_table_insert (t->heads, GUINT_TO_POINTER (message->uid),
                         g_bytes_new_from_bytes (message->body, 0,
                                                 MIN (len, 2 * SS_LEARNER_PREFIX)));
  job = g_new0 (Job, 1);
  job->kind = t->as_spam ? JOB_TELL_SPAM : JOB_TELL_HAM;
  job->message = message;
  job->cancellable = g_object_ref (t->cancellable);
  self->n_submitted++;
  g_thread_pool_push (self->pool, job, NULL);
}

/* Journals the learned ones (one commit) and keeps their heads for the learner. */
static gboolean
settle_train (Train      *t,
              GPtrArray  *ready,
              guint      *n_learned,
              GError    **error)
{
  SsFilter *self = t->self;

  if (!ss_journal_begin (self->journal, error))
    return FALSE;
  for (guint i = 0; i < ready->len; i++)
    {
      Job *job = g_ptr_array_index (ready, i);
      guint32 uid = job->message->uid;
      GBytes *head = NULL;

      g_hash_table_steal_extended (t->heads, GUINT_TO_POINTER (uid), NULL, (gpointer *) &head);
      if (job->error != NULL)
        {
          g_clear_pointer (&head, g_bytes_unref);
          if (!_ss_filter_keep_learn_error (self, job->error))
            g_message ("UID %u: learning failed: %s", uid, job->error->message);
          continue;
        }
      if (!ss_journal_add_trained (self->journal, self->account, t->folder,
                                   self->mailbox.uidvalidity, uid,
                                   job->info != NULL ? job->info->message_id : NULL,
                                   t->as_spam, error))
        {
          g_clear_pointer (&head, g_bytes_unref);
          ss_journal_rollback (self->journal);
          return FALSE;
        }
      if (head != NULL)
        g_ptr_array_add (t->prefixes, head);
      (*n_learned)++;
    }
  return ss_journal_commit (self->journal, error);
}

static gint
newest_first (gconstpointer a,
              gconstpointer b)
{
  const SsImapMessage *x = *(SsImapMessage * const *) a;
  const SsImapMessage *y = *(SsImapMessage * const *) b;

  if (x->internal_date != y->internal_date)
    return x->internal_date > y->internal_date ? -1 : 1;
  return x->uid > y->uid ? -1 : x->uid < y->uid;
}

/* The newest max messages of the folder worth learning from, newest first, less those
 * known by UID (counted in n_known). */
static GArray *
pick_candidates (Train         *t,
                 guint          max,
                 GCancellable  *cancellable,
                 GError       **error)
{
  SsFilter *self = t->self;
  g_autoptr(GArray) uids = NULL;
  g_autoptr(GPtrArray) meta = NULL;
  GArray *picked = g_array_new (FALSE, FALSE, sizeof (guint32));
  guint keep = max + CANDIDATE_SLACK;

  /* Ham: what the user read (and so saw); spam: anything left in the spam folder. */
  uids = ss_imap_client_uid_search (self->imap, t->as_spam ? "UNDELETED" : "SEEN UNDELETED",
                                    cancellable, error);
  if (uids == NULL)
    return g_array_unref (picked), NULL;
  if (uids->len > keep)
    g_array_remove_range (uids, 0, uids->len - keep);
  meta = _ss_filter_fetch_messages (self, uids, SS_IMAP_FETCH_META, cancellable, error);
  if (meta == NULL)
    return g_array_unref (picked), NULL;
  g_ptr_array_sort (meta, newest_first);
  /* The newest max count, known ones included: a second run does not reach further back. */
  for (guint i = 0; i < meta->len && picked->len + t->n_known < max; i++)
    {
      SsImapMessage *m = g_ptr_array_index (meta, i);

      /* Marked the other way by SpamSieve or another client: not a clean example. */
      if (m->size > self->config->max_size ||
          ss_imap_message_has_flag (m, t->as_spam ? "$NotJunk" : "$Junk"))
        continue;
      /* Known by its UID: not fetched again (by Message-ID: seen in submit_train). */
      if (is_known (t, m->uid, NULL))
        t->n_known++;
      else
        g_array_append_val (picked, m->uid);
    }
  return picked;
}

static gboolean
train_folder (Train         *t,
              guint          max,
              guint         *n_learned,
              GCancellable  *cancellable,
              GError       **error)
{
  SsFilter *self = t->self;
  const char *step = t->as_spam ? "training-spam" : "training-ham";
  g_autoptr(GArray) uids = NULL;
  guint chunk = MAX (self->config->chunk, 1);
  gboolean ok = TRUE;

  if (max == 0 || !_ss_filter_folder_exists (self, t->folder))
    return TRUE;
  if (!ss_imap_client_examine (self->imap, t->folder, &self->mailbox, cancellable, error))
    return FALSE;
  uids = pick_candidates (t, max, cancellable, error);
  if (uids == NULL)
    return FALSE;
  _ss_filter_progress (self, step, 0, uids->len);
  for (guint off = 0; ok && off < uids->len; off += chunk)
    {
      guint n = MIN (chunk, uids->len - off);
      g_autoptr(GPtrArray) ready = NULL;

      ok = ss_imap_client_uid_fetch (self->imap, &g_array_index (uids, guint32, off), n,
                                     SS_IMAP_FETCH_BODY, submit_train, t, cancellable, error);
      /* Settled chunk by chunk: what spamd learned is journaled before the next (also after
       * a failed fetch, for what was queued before it). */
      ready = _ss_filter_collect (self, self->n_submitted);
      if (ok)
        ok = settle_train (t, ready, n_learned, error);
      else
        settle_train (t, ready, n_learned, NULL);
      _ss_filter_progress (self, step, off + n, uids->len);
      if (self->spamd_error != NULL || self->learn_error != NULL ||
          g_cancellable_is_cancelled (t->cancellable))
        break;
    }
  return ok;
}

/* Interleaved ham and spam, so the online learner is not biased to the class seen last. */
static void
feed_learner (SsLearner *learner,
              GPtrArray *ham,
              GPtrArray *spam)
{
  for (guint i = 0; i < MAX (ham->len, spam->len); i++)
    {
      gsize len = 0;
      const guint8 *bytes;

      if (i < ham->len)
        {
          bytes = g_bytes_get_data (g_ptr_array_index (ham, i), &len);
          ss_learner_learn (learner, bytes, len, FALSE);
        }
      if (i < spam->len)
        {
          bytes = g_bytes_get_data (g_ptr_array_index (spam, i), &len);
          ss_learner_learn (learner, bytes, len, TRUE);
        }
    }
}

static void
on_cancelled (GCancellable *cancellable,
              GCancellable *jobs)
{
  g_cancellable_cancel (jobs);
}

gboolean
ss_filter_train_existing (SsFilter       *self,
                          guint           max_ham,
                          guint           max_spam,
                          SsTrainStats   *stats,
                          GCancellable   *cancellable,
                          GError        **error)
{
  g_autoptr(GCancellable) jobs = g_cancellable_new ();
  g_autoptr(GHashTable) known = NULL;
  g_autoptr(GHashTable) heads = g_hash_table_new_full (NULL, NULL, NULL,
                                                       (GDestroyNotify) g_bytes_unref);
  g_autoptr(GPtrArray) ham_heads = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GPtrArray) spam_heads = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  Train ham = { self, self->config->folder_inbox, FALSE, jobs, NULL, ham_heads, heads, 0 };
  Train spam = { self, self->spam_folder, TRUE, jobs, NULL, spam_heads, heads, 0 };
  SsTrainStats local = { 0 };
  gulong ids[2] = { 0, 0 };
  gboolean ok;

  g_return_val_if_fail (SS_IS_FILTER (self), FALSE);

  if (stats == NULL)
    stats = &local;
  *stats = (SsTrainStats) { 0 };
  known = ss_journal_list_trained (self->journal, self->account, error);
  if (known == NULL)
    return FALSE;
  ham.known = spam.known = known;
  /* Cancelling the caller's cancellable or ss_filter_request_stop() stops the TELLs. */
  if (cancellable != NULL)
    ids[0] = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), jobs, NULL);
  ids[1] = g_cancellable_connect (self->scan_cancellable, G_CALLBACK (on_cancelled), jobs, NULL);

  ok = train_folder (&ham, max_ham, &stats->ham, cancellable, error);
  if (ok && self->spamd_error == NULL && self->learn_error == NULL &&
      !g_cancellable_is_cancelled (jobs))
    ok = train_folder (&spam, max_spam, &stats->spam, cancellable, error);

  g_cancellable_disconnect (self->scan_cancellable, ids[1]);
  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, ids[0]);
  stats->known = ham.n_known + spam.n_known;
  /* What spamd learned (and the journal recorded) goes to the learner too, even after a
   * failure or a cancel: a second run will not offer it again. */
  if (self->learner != NULL)
    feed_learner (self->learner, ham_heads, spam_heads);
  self->stats.learned_ham += stats->ham;
  self->stats.learned_spam += stats->spam;

  if (!ok)
    {
      g_clear_error (&self->spamd_error);
      g_clear_error (&self->learn_error);
      return FALSE;
    }
  if (self->spamd_error != NULL)
    {
      g_clear_error (&self->learn_error);
      g_propagate_error (error, g_steal_pointer (&self->spamd_error));
      return FALSE;
    }
  if (self->learn_error != NULL)
    {
      g_set_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_REFUSED,
                   "spamd refused to learn: %s", self->learn_error->message);
      g_clear_error (&self->learn_error);
      return FALSE;
    }
  return !g_cancellable_set_error_if_cancelled (jobs, error);
}
