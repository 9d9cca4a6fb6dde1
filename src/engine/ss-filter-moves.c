/* ss-filter-moves.c: learning the user's own moves. A message another mail program moved into
 * the spam folder is learned as spam; one moved from Spam back to the inbox (it still carries
 * the $Junk SpamSieve gave it) is learned as ham and gets $NotJunk. Only arrivals are looked
 * at: per folder the journal keeps UIDVALIDITY and the UIDNEXT seen last (a STATUS tells
 * whether anything came), and each learned move once. What SpamSieve moved there itself is
 * known from its history (the UID from COPYUID, else the Message-ID). */
#define G_LOG_DOMAIN "ss-filter"

#include "config.h"

#include "ss-filter-private.h"

#include "ss-error.h"
#include "ss-journal-moves.h"

/* Whether SpamSieve itself put the message (folder, uid) where it is. */
static gboolean
is_own_arrival (SsFilter      *self,
                const char    *folder,
                Job           *job,
                gboolean      *own,
                char         **last_destination,
                GError       **error)
{
  guint32 dest_uid = 0;

  *last_destination = NULL;
  if (!ss_journal_is_own_arrival (self->journal, self->account, folder,
                                  self->mailbox.uidvalidity, job->message->uid, own, error))
    return FALSE;
  if (*own)
    return TRUE;
  if (job->info == NULL)
    return TRUE;
  if (!ss_journal_last_destination (self->journal, self->account, job->info->message_id,
                                    last_destination, &dest_uid, error))
    return FALSE;
  /* Moved there without a known UID (no UIDPLUS): matched by Message-ID. */
  *own = g_strcmp0 (*last_destination, folder) == 0 && dest_uid == 0;
  return TRUE;
}

/* Learns one message the user moved, fixes its keywords and records it. */
static gboolean
learn_move (SsFilter      *self,
            const char    *folder,
            Job           *job,
            gboolean       as_spam,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autoptr(GArray) one = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) tell_error = NULL;
  g_autoptr(SsRecord) record = NULL;
  guint32 uid = job->message->uid;

  g_array_append_val (one, uid);
  if (job->message->size <= self->config->max_size)
    {
      SsImapMessage *message;
      gsize len = 0;
      const guint8 *bytes;

      messages = _ss_filter_fetch_messages (self, one, SS_IMAP_FETCH_BODY, cancellable, error);
      if (messages == NULL)
        return FALSE;
      if (messages->len == 0)
        return TRUE;   /* gone meanwhile */
      message = g_ptr_array_index (messages, 0);
      if (!ss_spamd_client_tell_sync (self->spamd, message->body,
                                      as_spam ? SS_SPAMD_CLASS_SPAM : SS_SPAMD_CLASS_HAM,
                                      cancellable, &tell_error))
        {
          if (_ss_filter_is_spamd_down (tell_error) ||
              g_error_matches (tell_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_propagate_error (error, g_steal_pointer (&tell_error));
              return FALSE;
            }
          g_message ("UID %u in \"%s\": spamd did not learn it: %s", uid, folder,
                     tell_error->message);
        }
      bytes = g_bytes_get_data (message->body, &len);
      if (self->learner != NULL)
        ss_learner_learn (self->learner, bytes, len, as_spam);
    }
  if (self->mailbox.keywords_ok &&
      !ss_imap_client_uid_store (self->imap, &uid, 1, as_spam ? "$Junk" : "$NotJunk",
                                 as_spam ? "$NotJunk" : "$Junk", cancellable, error))
    return FALSE;
  if (!ss_journal_note_move_learned (self->journal, self->account, folder,
                                     self->mailbox.uidvalidity, uid, error))
    return FALSE;
  g_message ("UID %u moved to \"%s\" by the user: learned as %s", uid, folder,
             as_spam ? "spam" : "ham");
  record = _ss_filter_record_for (self, job->message, job->info,
                                  as_spam ? SS_VERDICT_LEARNED_SPAM : SS_VERDICT_LEARNED_HAM,
                                  folder);
  record->dest_uidvalidity = self->mailbox.uidvalidity;
  record->dest_uid = uid;
  _ss_filter_emit_record (self, record);
  if (as_spam)
    self->stats.learned_spam++;
  else
    self->stats.learned_ham++;
  return TRUE;
}

/* The arrivals since the watermark that the user moved there, learned. */
static gboolean
learn_arrivals (SsFilter      *self,
                const char    *folder,
                gboolean       spam_folder,
                guint32        from_uid,
                guint32       *next_uid,
                GCancellable  *cancellable,
                GError       **error)
{
  g_autofree char *criteria = NULL;
  g_autoptr(GArray) uids = NULL;
  g_autoptr(GArray) unknown = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GPtrArray) jobs = NULL;

  if (!_ss_filter_select_folder (self, folder, cancellable, error))
    return FALSE;
  *next_uid = MAX (self->mailbox.uidnext, from_uid);
  /* Into Spam: anything; into the inbox: only what carries a verdict keyword. */
  criteria = g_strdup_printf ("UID %u:* UNDELETED%s", from_uid,
                              spam_folder ? "" : " OR KEYWORD $Junk KEYWORD $NotJunk");
  uids = ss_imap_client_uid_search (self->imap, criteria, cancellable, error);
  if (uids == NULL)
    return FALSE;
  for (guint i = 0; i < uids->len; i++)
    {
      guint32 uid = g_array_index (uids, guint32, i);
      gboolean known = FALSE;

      if (uid < from_uid)
        continue;   /* "n:*" always holds the last message */
      *next_uid = MAX (*next_uid, uid + 1);
      if (!ss_journal_is_move_learned (self->journal, self->account, folder,
                                       self->mailbox.uidvalidity, uid, &known, error) ||
          (!known && !ss_journal_is_own_arrival (self->journal, self->account, folder,
                                                 self->mailbox.uidvalidity, uid, &known,
                                                 error)))
        return FALSE;
      if (!known)
        g_array_append_val (unknown, uid);
    }
  if (unknown->len == 0)
    return TRUE;
  jobs = _ss_filter_header_jobs (self, unknown, cancellable, error);
  if (jobs == NULL)
    return FALSE;
  for (guint i = 0; i < jobs->len; i++)
    {
      Job *job = g_ptr_array_index (jobs, i);
      g_autofree char *last = NULL;
      gboolean own = FALSE;
      gboolean as_spam = spam_folder;

      if (!is_own_arrival (self, folder, job, &own, &last, error))
        return FALSE;
      if (own)
        continue;
      /* In the inbox: $Junk (SpamSieve's or the user's) is a move out of Spam; $NotJunk alone
       * only when SpamSieve last put the message in Spam (another program's "Not junk"). */
      if (!spam_folder && !ss_imap_message_has_flag (job->message, "$Junk") &&
          g_strcmp0 (last, self->spam_folder) != 0)
        continue;
      if (!learn_move (self, folder, job, as_spam, cancellable, error))
        return FALSE;
    }
  return TRUE;
}

/* The folder's STATUS and its watermark (*found: there is one). */
static gboolean
status_and_watermark (SsFilter           *self,
                      const char         *folder,
                      SsImapStatusItems  *items,
                      guint32            *validity,
                      guint32            *next,
                      gboolean           *found,
                      GCancellable       *cancellable,
                      GError            **error)
{
  return ss_imap_client_status (self->imap, folder, items, cancellable, error) &&
         ss_journal_get_watermark (self->journal, self->account, folder, validity, next,
                                   found, error);
}

static gboolean
watch_folder (SsFilter      *self,
              const char    *folder,
              gboolean       spam_folder,
              GCancellable  *cancellable,
              GError       **error)
{
  SsImapStatusItems items;
  guint32 validity = 0, next = 0;
  gboolean found = FALSE;

  if (!_ss_filter_folder_exists (self, folder))
    return TRUE;
  if (!status_and_watermark (self, folder, &items, &validity, &next, &found, cancellable,
                             error))
    return FALSE;
  /* First sight (or the folder was recreated): what is there now is no move. */
  if (!found || validity != items.uidvalidity)
    return ss_journal_set_watermark (self->journal, self->account, folder,
                                     items.uidvalidity, items.uidnext, error);
  if (items.uidnext <= next)
    return TRUE;
  if (!learn_arrivals (self, folder, spam_folder, next, &next, cancellable, error))
    return FALSE;
  if (self->mailbox.uidvalidity != validity)
    return TRUE;   /* recreated between STATUS and SELECT: seen anew next time */
  return ss_journal_set_watermark (self->journal, self->account, folder, validity, next,
                                   error);
}

/* Whether a learning folder received mail since it was last looked at. */
static gboolean
learning_arrived (SsFilter      *self,
                  const char    *folder,
                  gboolean      *arrived,
                  GCancellable  *cancellable,
                  GError       **error)
{
  SsImapStatusItems items;
  guint32 validity = 0, next = 0;
  gboolean found = FALSE;

  if (!_ss_filter_folder_exists (self, folder))
    return TRUE;
  if (!status_and_watermark (self, folder, &items, &validity, &next, &found, cancellable,
                             error))
    return FALSE;
  if (found && validity == items.uidvalidity && next == items.uidnext)
    return TRUE;   /* nothing new: no write either */
  if (items.messages > 0)
    *arrived = TRUE;
  return ss_journal_set_watermark (self->journal, self->account, folder,
                                   items.uidvalidity, items.uidnext, error);
}

gboolean
ss_filter_run_moves (SsFilter      *self,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autoptr(GError) refused = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  gboolean arrived = FALSE;

  g_return_val_if_fail (SS_IS_FILTER (self), FALSE);

  if (self->dry_run)
    return TRUE;
  if (!learning_arrived (self, self->false_positives, &arrived, cancellable, error) ||
      !learning_arrived (self, self->false_negatives, &arrived, cancellable, error))
    return FALSE;
  /* A spamd that refuses TELL leaves the learning folders alone, not the moves. */
  if (arrived && !ss_filter_run_learning (self, cancellable, &refused) &&
      !g_error_matches (refused, SS_SPAMD_ERROR, SS_SPAMD_ERROR_REFUSED))
    {
      g_propagate_error (error, g_steal_pointer (&refused));
      return FALSE;
    }
  /* Moves of our own still pending in the journal (a crash or a cut mid-move) are not the
   * user's: wait until the next scan pass has resumed them (the watermarks stay). */
  pending = ss_journal_list_pending (self->journal, self->account,
                                     self->config->folder_unfiltered, error);
  if (pending == NULL)
    return FALSE;
  if (pending->len > 0)
    g_debug ("%u message(s) of ours still on their way: the user's moves later", pending->len);
  else if (!watch_folder (self, self->spam_folder, TRUE, cancellable, error) ||
           !watch_folder (self, self->config->folder_inbox, FALSE, cancellable, error))
    return FALSE;
  if (refused != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&refused));
      return FALSE;
    }
  return TRUE;
}
