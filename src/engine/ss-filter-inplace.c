/* ss-filter-inplace.c: filtering INBOX where mail arrives (unfiltered = inbox).
 *
 * Ham stays with its UID and flags (a $NotJunk keyword added), spam moves as usual. A message
 * is looked at once: the journal keeps the highest UID seen per UIDVALIDITY (the watermark),
 * and $Junk / $NotJunk, which other clients set too, exclude a message from the search. The
 * first pass (no watermark yet) takes only unread mail of the last first-scan-days days. */
#define G_LOG_DOMAIN "ss-filter"

#include "config.h"

#include "ss-filter-private.h"

#define UNJUDGED "UNDELETED UNKEYWORD $Junk UNKEYWORD $NotJunk UNKEYWORD $Uncertain"

/* A verdict whose destination is the folder the message is in: it stays. */
gboolean
_ss_filter_stays (SsFilter       *self,
                  const MoveSpec *spec)
{
  const char *selected = ss_imap_client_get_selected (self->imap);

  return self->in_place && selected != NULL && spec->destination != NULL &&
         ss_config_same_folder (spec->destination, selected);
}

/* The jobs stay where they are: keywords stored, records (and the pending rows) finished. */
gboolean
_ss_filter_keep_jobs (SsFilter        *self,
                      GPtrArray       *jobs,
                      const MoveSpec  *spec,
                      GPtrArray       *records,
                      GCancellable    *cancellable,
                      GError         **error)
{
  g_autoptr(GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));

  for (guint i = 0; i < jobs->len; i++)
    {
      Job *job = g_ptr_array_index (jobs, i);
      SsRecord *record = g_ptr_array_index (records, i);

      g_array_append_val (uids, job->message->uid);
      record->dest_uidvalidity = self->mailbox.uidvalidity;
      record->dest_uid = job->message->uid;
    }
  if (!self->dry_run && self->mailbox.keywords_ok && spec->add_keyword != NULL &&
      !ss_imap_client_uid_store (self->imap, (guint32 *) uids->data, uids->len,
                                 spec->add_keyword, spec->remove_keyword, cancellable, error))
    return FALSE;
  return _ss_filter_finish_records (self, records, spec->journaled && !self->dry_run, error);
}

static char *
imap_date_days_ago (guint days)
{
  static const char *months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) then = g_date_time_add_days (now, -(gint) days);

  return g_strdup_printf ("%d-%s-%04d", g_date_time_get_day_of_month (then),
                          months[g_date_time_get_month (then) - 1],
                          g_date_time_get_year (then));
}

/* The messages of the selected folder not judged yet, above the watermark. */
GArray *
_ss_filter_search_in_place (SsFilter      *self,
                            GCancellable  *cancellable,
                            GError       **error)
{
  const char *folder = ss_imap_client_get_selected (self->imap);
  g_autofree char *criteria = NULL;
  g_autoptr(GArray) uids = NULL;
  gboolean found = FALSE;
  guint32 mark = 0;

  if (!ss_journal_get_scanned_upto (self->journal, self->account, folder,
                                 self->mailbox.uidvalidity, &found, &mark, error))
    return NULL;
  if (found)
    criteria = g_strdup_printf ("UID %u:* " UNJUDGED, mark + 1);
  else if (self->config->first_scan_days == 0)
    return g_array_new (FALSE, FALSE, sizeof (guint32));
  else
    {
      g_autofree char *date = imap_date_days_ago (self->config->first_scan_days);
      criteria = g_strdup_printf ("UNSEEN SINCE %s " UNJUDGED, date);
    }
  uids = ss_imap_client_uid_search (self->imap, criteria, cancellable, error);
  if (uids == NULL)
    return NULL;
  /* "UID n:*" also matches the last message when all are below n. */
  for (guint i = 0; i < uids->len; i++)
    if (g_array_index (uids, guint32, i) <= mark)
      g_array_remove_index (uids, i--);
  return g_steal_pointer (&uids);
}

/* After a pass: the watermark moves to what was there at SELECT and what was handled since,
 * but stays below a message left for a retry. */
gboolean
_ss_filter_end_in_place (SsFilter    *self,
                         GHashTable  *handled,
                         GError     **error)
{
  const char *folder = ss_imap_client_get_selected (self->imap);
  gboolean found = FALSE;
  guint32 mark = 0;
  guint32 top = self->mailbox.uidnext > 0 ? self->mailbox.uidnext - 1 : 0;
  GHashTableIter iter;
  gpointer key;

  if (self->dry_run || folder == NULL)
    return TRUE;
  g_hash_table_iter_init (&iter, handled);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    top = MAX (top, GPOINTER_TO_UINT (key));
  if (self->lowest_deferred > 0)
    top = MIN (top, self->lowest_deferred - 1);
  if (!ss_journal_get_scanned_upto (self->journal, self->account, folder,
                                 self->mailbox.uidvalidity, &found, &mark, error))
    return FALSE;
  if (found && top <= mark)
    return TRUE;
  return ss_journal_begin (self->journal, error) &&
         (ss_journal_set_scanned_upto (self->journal, self->account, folder,
                                    self->mailbox.uidvalidity, top, error) ||
          (ss_journal_rollback (self->journal), FALSE)) &&
         ss_journal_commit (self->journal, error);
}

/* A message whose scan failed and is tried again later: the watermark stays below it. */
void
_ss_filter_note_deferred (SsFilter *self,
                          guint32   uid)
{
  if (self->in_place && (self->lowest_deferred == 0 || uid < self->lowest_deferred))
    self->lowest_deferred = uid;
}

#define BYPASS_CHECK_INTERVAL (G_USEC_PER_SEC * (gint64) 3600)

/* Unfiltered mode: Unfiltered is empty and got nothing, yet INBOX has unread mail of the last
 * day nobody judged: new mail goes to INBOX, not to Unfiltered. Errors only skip the check. */
void
_ss_filter_check_bypass (SsFilter     *self,
                         guint         n_found,
                         GCancellable *cancellable)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GArray) uids = NULL;
  g_autofree char *date = NULL;
  g_autofree char *criteria = NULL;
  const char *unfiltered = self->config->folder_unfiltered;
  gint64 now = g_get_monotonic_time ();
  guint recent = 0;

  if (self->in_place)
    return;
  if (n_found > 0 || self->mailbox.exists > 0)
    {
      self->stats.inbox_bypass = 0;
      return;
    }
  if (self->inbox_checked != 0 && now - self->inbox_checked < BYPASS_CHECK_INTERVAL)
    return;
  self->inbox_checked = now;
  /* Mail came through Unfiltered in the last day: the rule works (skipped and unscanned mail
   * reaches INBOX without a keyword). */
  if (!ss_journal_count_since (self->journal, self->account, unfiltered,
                               g_get_real_time () / G_USEC_PER_SEC - 24 * 3600, &recent,
                               &local_error))
    {
      g_message ("%s", local_error->message);
      return;
    }
  if (recent > 0)
    {
      self->stats.inbox_bypass = 0;
      return;
    }
  date = imap_date_days_ago (1);
  criteria = g_strdup_printf ("UNSEEN SINCE %s " UNJUDGED, date);
  if (!_ss_filter_select_folder (self, self->config->folder_inbox, cancellable, &local_error) ||
      (uids = ss_imap_client_uid_search (self->imap, criteria, cancellable,
                                         &local_error)) == NULL ||
      !_ss_filter_select_folder (self, unfiltered, cancellable, &local_error))
    {
      g_message ("checking %s for mail that bypassed %s: %s", self->config->folder_inbox,
                 unfiltered, local_error->message);
      return;
    }
  self->stats.inbox_bypass = uids->len;
  if (uids->len > 0)
    g_message ("%s is empty, but %u new message(s) arrived in %s: no server rule files new "
               "mail into %s (or filter %s in place: [folders] unfiltered=%s)", unfiltered,
               uids->len, self->config->folder_inbox, unfiltered, self->config->folder_inbox,
               self->config->folder_inbox);
}
