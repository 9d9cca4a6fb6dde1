/* ss-imap-client-messages.c: UID SEARCH, FETCH, STORE, MOVE/COPY and delete */
#define G_LOG_DOMAIN "ss-imap-client"

#include "config.h"

#include "ss-imap-client-private.h"

#include <string.h>

#include "ss-error.h"
#include "ss-imap-uid-set.h"

#define MAX_UIDS_PER_CMD 2000

/* At most MAX_UIDS_PER_CMD uids of one call, with their sequence-set text. */
typedef struct
{
  const guint32 *uids;
  gsize          n_uids;
  const char    *set;
  GCancellable  *cancellable;
  gpointer       data;          /* the caller's */
} Batch;

/* The command (or few) for one batch. */
typedef gboolean (*BatchFunc) (SsImapClient  *self,
                               const Batch   *batch,
                               GError       **error);

static gboolean
for_each_batch (SsImapClient   *self,
                const guint32  *uids,
                gsize           n_uids,
                BatchFunc       func,
                gpointer        data,
                GCancellable   *cancellable,
                GError        **error)
{
  for (gsize off = 0; off < n_uids; off += MAX_UIDS_PER_CMD)
    {
      gsize n = MIN (n_uids - off, MAX_UIDS_PER_CMD);
      g_autofree char *set = ss_imap_uid_set_format (uids + off, n);
      Batch batch = { uids + off, n, set, cancellable, data };

      if (!func (self, &batch, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
search_cb (SsImapClient   *self,
           SsImapResponse *response,
           gpointer        user_data,
           GError        **error)
{
  GArray *uids = user_data;

  if (!ss_imap_node_is_atom (ss_imap_list_get (response->tokens, 0), "SEARCH"))
    return TRUE;
  for (guint i = 1; i < ss_imap_list_length (response->tokens); i++)
    {
      guint32 uid;

      if (ss_imap_node_to_uint32 (ss_imap_list_get (response->tokens, i), &uid) && uid > 0)
        g_array_append_val (uids, uid);
    }
  return TRUE;
}

static int
cmp_uid (gconstpointer a,
         gconstpointer b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;
  return x < y ? -1 : x > y;
}

GArray *
ss_imap_client_uid_search (SsImapClient  *self,
                           const char    *criteria,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_autoptr(GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));

  g_return_val_if_fail (SS_IS_IMAP_CLIENT (self), NULL);

  if (!_ss_imap_client_run_command (self, search_cb, uids, cancellable, error,
                                    "UID SEARCH %s", criteria))
    return NULL;
  g_array_sort (uids, cmp_uid);
  return g_steal_pointer (&uids);
}

static gint64
parse_internal_date (const SsImapNode *node)
{
  static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  char mon[4] = { 0 };
  int day, year, hh, mm, ss, zone;
  g_autoptr(GTimeZone) tz = NULL;
  g_autoptr(GDateTime) dt = NULL;
  g_autofree char *offset = NULL;
  const char *found;

  if (node == NULL || node->type != SS_IMAP_NODE_STRING ||
      sscanf (node->data, "%2d-%3c-%4d %2d:%2d:%2d %5d", &day, mon, &year, &hh, &mm, &ss,
              &zone) != 7)
    return 0;
  found = strstr (months, mon);
  if (found == NULL || (found - months) % 3 != 0)
    return 0;
  offset = g_strdup_printf ("%+03d:%02d", zone / 100, ABS (zone) % 100);
  tz = g_time_zone_new_identifier (offset);
  if (tz == NULL)
    return 0;
  dt = g_date_time_new (tz, year, (int) ((found - months) / 3) + 1, day, hh, mm, ss);
  return dt != NULL ? g_date_time_to_unix (dt) : 0;
}

static char **
parse_flags (const SsImapNode *node)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  char **flags;

  for (guint i = 0; i < ss_imap_list_length (node); i++)
    {
      const SsImapNode *flag = ss_imap_list_get (node, i);
      if (flag->type == SS_IMAP_NODE_ATOM)
        g_strv_builder_add (builder, flag->data);
    }
  flags = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return flags;
}

typedef struct
{
  SsImapFetchFlags   flags;
  SsImapMessageFunc  func;
  gpointer           user_data;
} FetchData;

static gboolean
fetch_cb (SsImapClient   *self,
          SsImapResponse *response,
          gpointer        user_data,
          GError        **error)
{
  FetchData *data = user_data;
  const SsImapNode *attrs = ss_imap_list_get (response->tokens, 2);
  const SsImapNode *body = NULL;
  g_autoptr(SsImapMessage) message = NULL;
  guint32 uid = 0;

  if (!ss_imap_node_is_atom (ss_imap_list_get (response->tokens, 1), "FETCH") ||
      attrs == NULL || attrs->type != SS_IMAP_NODE_LIST ||
      !ss_imap_node_to_uint32 (ss_imap_fetch_get (attrs, "UID"), &uid))
    return TRUE;

  if (data->flags & SS_IMAP_FETCH_BODY)
    body = ss_imap_fetch_get (attrs, "BODY[]");
  else if (data->flags & SS_IMAP_FETCH_HEADER)
    body = ss_imap_fetch_get (attrs, "BODY[HEADER]");
  /* Unsolicited FETCH (a flag change) or a partial answer: not ours. */
  if (data->flags != SS_IMAP_FETCH_META &&
      (body == NULL || body->type != SS_IMAP_NODE_STRING))
    return TRUE;
  if (ss_imap_fetch_get (attrs, "FLAGS") == NULL)
    return TRUE;

  message = g_new0 (SsImapMessage, 1);
  message->uid = uid;
  ss_imap_node_to_uint64 (ss_imap_fetch_get (attrs, "RFC822.SIZE"), &message->size);
  message->internal_date = parse_internal_date (ss_imap_fetch_get (attrs, "INTERNALDATE"));
  message->flags = parse_flags (ss_imap_fetch_get (attrs, "FLAGS"));
  if (body != NULL)
    message->body = g_bytes_new (body->data, body->len);
  data->func (g_steal_pointer (&message), data->user_data);
  return TRUE;
}

static const char *
fetch_items (SsImapFetchFlags flags)
{
  if (flags & SS_IMAP_FETCH_BODY)
    return "(UID RFC822.SIZE FLAGS INTERNALDATE BODY.PEEK[])";
  if (flags & SS_IMAP_FETCH_HEADER)
    return "(UID RFC822.SIZE FLAGS INTERNALDATE BODY.PEEK[HEADER])";
  return "(UID RFC822.SIZE FLAGS INTERNALDATE)";
}

static gboolean
fetch_batch (SsImapClient  *self,
             const Batch   *batch,
             GError       **error)
{
  FetchData *fetch = batch->data;

  return _ss_imap_client_run_command (self, fetch_cb, fetch, batch->cancellable, error,
                                      "UID FETCH %s %s", batch->set, fetch_items (fetch->flags));
}

gboolean
ss_imap_client_uid_fetch (SsImapClient      *self,
                          const guint32     *uids,
                          gsize              n_uids,
                          SsImapFetchFlags   flags,
                          SsImapMessageFunc  func,
                          gpointer           user_data,
                          GCancellable      *cancellable,
                          GError           **error)
{
  FetchData data = { flags, func, user_data };

  g_return_val_if_fail (SS_IS_IMAP_CLIENT (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  return for_each_batch (self, uids, n_uids, fetch_batch, &data, cancellable, error);
}

typedef struct
{
  const char *add;
  const char *remove;
} StoreData;

static gboolean
store_batch (SsImapClient  *self,
             const Batch   *batch,
             GError       **error)
{
  StoreData *store = batch->data;

  if (store->add != NULL &&
      !_ss_imap_client_run_command (self, NULL, NULL, batch->cancellable, error,
                                    "UID STORE %s +FLAGS.SILENT (%s)", batch->set, store->add))
    return FALSE;
  return store->remove == NULL ||
         _ss_imap_client_run_command (self, NULL, NULL, batch->cancellable, error,
                                      "UID STORE %s -FLAGS.SILENT (%s)", batch->set,
                                      store->remove);
}

gboolean
ss_imap_client_uid_store (SsImapClient  *self,
                          const guint32 *uids,
                          gsize          n_uids,
                          const char    *add,
                          const char    *remove,
                          GCancellable  *cancellable,
                          GError       **error)
{
  StoreData data = { add, remove };

  g_return_val_if_fail (SS_IS_IMAP_CLIENT (self), FALSE);

  return for_each_batch (self, uids, n_uids, store_batch, &data, cancellable, error);
}

static void
take_copyuid (SsImapClient *self,
              GArray       *src_out,
              GArray       *dst_out,
              guint32      *validity)
{
  if (src_out != NULL)
    g_array_append_vals (src_out, self->copyuid_src->data, self->copyuid_src->len);
  if (dst_out != NULL)
    g_array_append_vals (dst_out, self->copyuid_dst->data, self->copyuid_dst->len);
  if (validity != NULL && self->copyuid_src->len > 0)
    *validity = self->copyuid_validity;
}

/* Expunges exactly the batch: UID EXPUNGE, or a plain EXPUNGE only if nothing else is \Deleted. */
static gboolean
expunge_exactly (SsImapClient  *self,
                 const Batch   *batch,
                 GError       **error)
{
  g_autoptr(GArray) deleted = NULL;
  g_autoptr(GHashTable) ours = NULL;

  if (ss_imap_client_has_capability (self, "UIDPLUS"))
    return _ss_imap_client_run_command (self, NULL, NULL, batch->cancellable, error,
                                        "UID EXPUNGE %s", batch->set);

  deleted = ss_imap_client_uid_search (self, "DELETED", batch->cancellable, error);
  if (deleted == NULL)
    return FALSE;
  ours = g_hash_table_new (NULL, NULL);
  for (gsize i = 0; i < batch->n_uids; i++)
    g_hash_table_add (ours, GUINT_TO_POINTER (batch->uids[i]));
  for (guint i = 0; i < deleted->len; i++)
    if (!g_hash_table_contains (ours, GUINT_TO_POINTER (g_array_index (deleted, guint32, i))))
      {
        /* Someone else's \Deleted mail would go too: leave ours marked, remove nothing. */
        g_debug ("not expunging: other messages are marked \\Deleted");
        return TRUE;
      }
  return _ss_imap_client_run_command (self, NULL, NULL, batch->cancellable, error, "EXPUNGE");
}

/* \Deleted on exactly the batch, then expunge exactly those. */
static gboolean
delete_batch (SsImapClient  *self,
              const Batch   *batch,
              GError       **error)
{
  return _ss_imap_client_run_command (self, NULL, NULL, batch->cancellable, error,
                                      "UID STORE %s +FLAGS.SILENT (\\Deleted)", batch->set) &&
         expunge_exactly (self, batch, error);
}

typedef struct
{
  const char *wire;            /* destination folder */
  gboolean    copy_only;
  GArray     *src_out;
  GArray     *dst_out;
  guint32    *validity;
} TransferData;

static gboolean
transfer_batch (SsImapClient  *self,
                const Batch   *batch,
                GError       **error)
{
  TransferData *t = batch->data;
  gboolean move = !t->copy_only && ss_imap_client_has_capability (self, "MOVE");

  if (!_ss_imap_client_run_command (self, NULL, NULL, batch->cancellable, error, "UID %s %s %s",
                                    move ? "MOVE" : "COPY", batch->set, t->wire))
    return FALSE;
  take_copyuid (self, t->src_out, t->dst_out, t->validity);
  if (move || t->copy_only)
    return TRUE;
  return delete_batch (self, batch, error);
}

gboolean
ss_imap_client_uid_transfer (SsImapClient   *self,
                             SsImapTransfer  how,
                             const guint32  *uids,
                             gsize           n_uids,
                             const char     *folder,
                             GArray         *src_uids_out,
                             GArray         *dest_uids_out,
                             guint32        *dest_uidvalidity,
                             GCancellable   *cancellable,
                             GError        **error)
{
  g_autofree char *wire = NULL;
  TransferData data = { NULL, how == SS_IMAP_TRANSFER_COPY, src_uids_out, dest_uids_out,
                        dest_uidvalidity };

  g_return_val_if_fail (SS_IS_IMAP_CLIENT (self), FALSE);

  if (n_uids == 0)
    return TRUE;
  wire = _ss_imap_client_wire_mailbox (self, folder, error);
  if (wire == NULL)
    return FALSE;
  data.wire = wire;
  return for_each_batch (self, uids, n_uids, transfer_batch, &data, cancellable, error);
}

gboolean
ss_imap_client_uid_delete (SsImapClient  *self,
                           const guint32 *uids,
                           gsize          n_uids,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_return_val_if_fail (SS_IS_IMAP_CLIENT (self), FALSE);

  return for_each_batch (self, uids, n_uids, delete_batch, NULL, cancellable, error);
}

void
ss_imap_message_free (SsImapMessage *message)
{
  if (message == NULL)
    return;
  g_strfreev (message->flags);
  g_clear_pointer (&message->body, g_bytes_unref);
  g_free (message);
}

gboolean
ss_imap_message_has_flag (const SsImapMessage *message,
                          const char          *flag)
{
  for (guint i = 0; message->flags != NULL && message->flags[i] != NULL; i++)
    if (g_ascii_strcasecmp (message->flags[i], flag) == 0)
      return TRUE;
  return FALSE;
}
