/* ss-imap-client-status.c: STATUS (UIDVALIDITY UIDNEXT MESSAGES) of a folder, selected or
 * not: the cheap question "did anything arrive there?" */
#define G_LOG_DOMAIN "ss-imap-client"

#include "config.h"

#include "ss-imap-client-private.h"

#include <string.h>

static gboolean
status_items_cb (SsImapClient   *self,
                 SsImapResponse *response,
                 gpointer        user_data,
                 GError        **error)
{
  const SsImapNode *items = ss_imap_list_get (response->tokens, 2);
  SsImapStatusItems *out = user_data;

  if (!ss_imap_node_is_atom (ss_imap_list_get (response->tokens, 0), "STATUS"))
    return TRUE;
  ss_imap_node_to_uint32 (ss_imap_fetch_get (items, "UIDVALIDITY"), &out->uidvalidity);
  ss_imap_node_to_uint32 (ss_imap_fetch_get (items, "UIDNEXT"), &out->uidnext);
  ss_imap_node_to_uint32 (ss_imap_fetch_get (items, "MESSAGES"), &out->messages);
  return TRUE;
}

gboolean
ss_imap_client_status (SsImapClient       *self,
                       const char         *folder,
                       SsImapStatusItems  *out,
                       GCancellable       *cancellable,
                       GError            **error)
{
  g_autofree char *wire = NULL;

  g_return_val_if_fail (SS_IS_IMAP_CLIENT (self), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  wire = _ss_imap_client_wire_mailbox (self, folder, error);
  if (wire == NULL)
    return FALSE;
  return _ss_imap_client_run_command (self, status_items_cb, out, cancellable, error,
                                      "STATUS %s (UIDVALIDITY UIDNEXT MESSAGES)", wire);
}
