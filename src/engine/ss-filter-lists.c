/* ss-filter-lists.c: the filter's allow and block lists: the rule after a scan, listing
 * senders on marks and learning-folder corrections, and people written to (\Sent) */
#define G_LOG_DOMAIN "ss-filter"

#include "config.h"

#include "ss-filter-private.h"

#include <gmime/gmime.h>

#define SENT_FIRST_RUN  2000   /* newest messages of \Sent read the first time */
#define SENT_CHUNK      200

void
_ss_filter_open_sender_lists (SsFilter *self)
{
  g_autofree char *path = ss_sender_lists_path_for (ss_journal_get_path (self->journal),
                                                    self->account);
  g_autoptr(GError) error = NULL;

  self->lists = ss_sender_lists_open (path, &error);
  if (self->lists == NULL)
    {
      g_message ("Allow and block lists: %s; using empty ones", error->message);
      self->lists = ss_sender_lists_open (NULL, NULL);
    }
  ss_sender_lists_set_settings (self->lists, self->config->lists_allow,
                                self->config->lists_block);
}

SsVerdictKind
_ss_filter_apply_sender_lists (SsFilter      *self,
                               Job           *job,
                               SsVerdictKind  verdict)
{
  g_autofree char *address = NULL;
  const char *rule = NULL;
  guint n;

  if (job->reply == NULL || job->info == NULL)
    return verdict;
  address = ss_sender_address (job->info->from);
  if (address == NULL)
    return verdict;
  verdict = ss_sender_lists_rule (ss_sender_lists_lookup (self->lists, address),
                                  job->reply->score, SS_SENDER_LISTS_CERTAIN_SPAM,
                                  verdict, &rule);
  if (rule == NULL)
    return verdict;
  /* The record says why. */
  n = job->reply->symbols != NULL ? g_strv_length (job->reply->symbols) : 0;
  job->reply->symbols = g_renew (char *, job->reply->symbols, n + 2);
  job->reply->symbols[n] = g_strdup (rule);
  job->reply->symbols[n + 1] = NULL;
  return verdict;
}

/* A mark or a learning-folder correction: "Not spam" allows the sender, "Spam" blocks it.
 * A mark back the other way of a message a mark just listed (Undo) only undoes that. */
void
_ss_filter_list_sender (SsFilter            *self,
                        const SsMessageInfo *info,
                        gboolean             as_spam,
                        const char          *folder,
                        guint32              uidvalidity,
                        guint32              uid,
                        const SsRecord      *record)
{
  SsSenderStatus status = as_spam ? SS_SENDER_BLOCKED : SS_SENDER_ALLOWED;
  SsSenderStatus previous = SS_SENDER_UNLISTED;
  g_autofree char *address = NULL;
  g_autofree char *own = NULL;
  g_autoptr(GError) error = NULL;

  if (self->dry_run)
    return;
  if (folder != NULL &&
      ss_sender_lists_undo_mark (self->lists, folder, uidvalidity, uid, status, &error))
    return;
  if (error != NULL)
    {
      g_message ("Allow and block lists: %s", error->message);
      return;
    }
  address = ss_sender_address (info != NULL ? info->from : NULL);
  own = ss_sender_address (self->config->user);
  /* Spam often forges the user's own address: never list it. */
  if (address == NULL || g_strcmp0 (address, own) == 0)
    return;
  if (!ss_sender_lists_add (self->lists, address, status, &previous, &error))
    {
      g_message ("Allow and block lists: %s", error->message);
      return;
    }
  if (record != NULL && record->dest_uid != 0)
    ss_sender_lists_note_mark (self->lists, record->destination, record->dest_uidvalidity,
                               record->dest_uid, address, status, previous);
}

/* ---------------------------------------------------------------------------------------- */
/* People written to                                                                         */

static void
add_recipients (GBytes    *header,
                GPtrArray *out)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (header, &len);
  GMimeStream *stream = g_mime_stream_mem_new_with_buffer (data, len);
  GMimeParser *parser = g_mime_parser_new_with_stream (stream);
  GMimeMessage *message = g_mime_parser_construct_message (parser, NULL);
  const GMimeAddressType types[] = { GMIME_ADDRESS_TYPE_TO, GMIME_ADDRESS_TYPE_CC };

  g_object_unref (parser);
  g_object_unref (stream);
  if (message == NULL)
    return;
  for (guint t = 0; t < G_N_ELEMENTS (types); t++)
    {
      InternetAddressList *list = g_mime_message_get_addresses (message, types[t]);
      g_autofree char *text = list != NULL ? internet_address_list_to_string (list, NULL, FALSE)
                                           : NULL;
      g_auto(GStrv) addresses = ss_sender_addresses (text);

      for (guint i = 0; addresses[i] != NULL; i++)
        g_ptr_array_add (out, g_steal_pointer (&addresses[i]));
    }
  g_object_unref (message);
}

static int
compare_uids (gconstpointer a,
              gconstpointer b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;

  return x < y ? -1 : x > y;
}

/* Reads the recipients of what the user sent since last time (headers only; the newest
 * SENT_FIRST_RUN the first time) into the allow list. */
gboolean
_ss_filter_read_sent (SsFilter      *self,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autoptr(GArray) uids = NULL;
  g_autoptr(GPtrArray) addresses = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *criteria = NULL;
  guint32 uidvalidity = 0, last_uid = 0, newest = 0;
  guint start = 0;

  if (self->sent_folder == NULL || self->dry_run)
    return TRUE;
  ss_sender_lists_get_sent_mark (self->lists, &uidvalidity, &last_uid);
  if (!_ss_filter_select_folder (self, self->sent_folder, cancellable, error))
    return FALSE;
  if (self->mailbox.uidvalidity != uidvalidity)
    last_uid = 0;
  if (self->mailbox.uidnext != 0 && self->mailbox.uidnext - 1 <= last_uid)
    return TRUE;
  criteria = g_strdup_printf ("UID %u:* UNDELETED", last_uid + 1);
  uids = ss_imap_client_uid_search (self->imap, criteria, cancellable, error);
  if (uids == NULL)
    return FALSE;
  /* "n:*" also matches the last message when it is below n. */
  for (guint i = 0; i < uids->len; i++)
    if (g_array_index (uids, guint32, i) <= last_uid)
      g_array_remove_index (uids, i--);
  if (uids->len == 0)
    return TRUE;
  g_array_sort (uids, compare_uids);
  newest = g_array_index (uids, guint32, uids->len - 1);
  if (last_uid == 0 && uids->len > SENT_FIRST_RUN)
    start = uids->len - SENT_FIRST_RUN;
  for (guint off = start; off < uids->len; off += SENT_CHUNK)
    {
      g_autoptr(GArray) chunk = g_array_new (FALSE, FALSE, sizeof (guint32));
      g_autoptr(GPtrArray) messages = NULL;

      g_array_append_vals (chunk, &g_array_index (uids, guint32, off),
                           MIN (SENT_CHUNK, uids->len - off));
      messages = _ss_filter_fetch_messages (self, chunk, SS_IMAP_FETCH_HEADER, cancellable,
                                            error);
      if (messages == NULL)
        return FALSE;
      for (guint i = 0; i < messages->len; i++)
        {
          SsImapMessage *m = g_ptr_array_index (messages, i);
          if (m->body != NULL)
            add_recipients (m->body, addresses);
        }
    }
  g_ptr_array_add (addresses, NULL);
  g_debug ("\\Sent: %u new messages, %u recipients", uids->len - start, addresses->len - 1);
  return ss_sender_lists_add_sent (self->lists, (char **) addresses->pdata,
                                   self->mailbox.uidvalidity, newest, error);
}
