/* ss-filter-resume.c: finishing the moves the journal says were under way (crash, cut) */
#define G_LOG_DOMAIN "ss-filter"

#include "config.h"

#include "ss-filter-private.h"

#include "ss-error.h"

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

      if (!_ss_filter_select_folder (self, p->record->destination, cancellable, error) ||
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
  if (!_ss_filter_select_folder (self, unfiltered, cancellable, error))
    return FALSE;
  if (uids->len > 0 &&
      !ss_imap_client_uid_delete (self->imap, (guint32 *) uids->data, uids->len, cancellable,
                                  error))
    return FALSE;
  return _ss_filter_finish_records (self, copied, TRUE, error);
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
         _ss_filter_finish_records (self, records, TRUE, error);
}

static gboolean
move_resumed (SsFilter      *self,
              GPtrArray     *pendings,
              GCancellable  *cancellable,
              GError       **error)
{
  const char *inbox = self->config->folder_inbox;
  gboolean to_folder = g_strcmp0 (self->config->uncertain_action, "folder") == 0;
  const MoveSpec specs[] = {
    { SS_VERDICT_SPAM, self->spam_folder, "$Junk", "$NotJunk", TRUE },
    { SS_VERDICT_HAM, inbox, "$NotJunk", "$Junk", TRUE },
    { SS_VERDICT_UNSCANNED, inbox, NULL, NULL, TRUE },
    { SS_VERDICT_UNCERTAIN, to_folder ? self->config->uncertain_folder : inbox, "$Uncertain",
      NULL, TRUE },
  };

  for (guint k = 0; k < G_N_ELEMENTS (specs); k++)
    {
      g_autoptr(GPtrArray) jobs = NULL;

      jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) _ss_filter_job_free);

      for (guint i = 0; i < pendings->len; i++)
        {
          SsPending *p = g_ptr_array_index (pendings, i);
          if (p->record->verdict == specs[k].verdict)
            g_ptr_array_add (jobs, job_from_pending (p));
        }
      if (!_ss_filter_move_jobs (self, jobs, &specs[k], cancellable, error))
        return FALSE;
      if (specs[k].verdict == SS_VERDICT_SPAM)
        self->stats.spam += jobs->len;
      else if (specs[k].verdict == SS_VERDICT_HAM)
        self->stats.ham += jobs->len;
      else if (specs[k].verdict == SS_VERDICT_UNCERTAIN)
        self->stats.uncertain += jobs->len;
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
gboolean
_ss_filter_resume_pending (SsFilter      *self,
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
  return _ss_filter_finish_records (self, gone, TRUE, error) &&
         finish_copied (self, copied, cancellable, error) &&
         (moving->len == 0 ||
          heal_copies (self, moving, undeleted, to_move, cancellable, error)) &&
         move_resumed (self, to_move, cancellable, error);
}
