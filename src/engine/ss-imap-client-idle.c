/* ss-imap-client-idle.c: IDLE (RFC 2177) on the selected folder */
#define G_LOG_DOMAIN "ss-imap-client"

#include "config.h"

#include "ss-imap-client-private.h"

#include <errno.h>
#include <poll.h>

#include "ss-error.h"

/* Handles one untagged response while idling; TRUE when it announces new mail. */
static gboolean
idle_untagged (SsImapClient   *self,
               SsImapResponse *response)
{
  guint32 before = self->mailbox.exists;

  _ss_imap_client_handle_common (self, response);
  return self->mailbox.exists > before;
}

/* Waits until the socket is readable, wake fires or deadline (monotonic µs) passes. */
static int
idle_wait (SsImapClient *self,
           GCancellable *wake,
           gint64        deadline)
{
  gint64 left = deadline - g_get_monotonic_time ();

  if (left <= 0)
    return 0;
  return _ss_imap_client_poll (self, POLLIN, wake, (int) MIN (left / 1000 + 1, G_MAXINT));
}

static gboolean
idle_until_event (SsImapClient     *self,
                  GCancellable     *wake,
                  gint64            deadline,
                  SsImapIdleResult *result,
                  GError          **error)
{
  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(SsImapResponse) response = _ss_imap_client_parse_buffered (self, &local_error);
      gboolean got = FALSE;
      int r;

      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (response != NULL)
        {
          if (response->kind != SS_IMAP_RESPONSE_UNTAGGED)
            return _ss_imap_client_set_io_error (self, error, SS_IMAP_ERROR_PROTOCOL,
                                                 "Unexpected response during IDLE");
          if (idle_untagged (self, response))
            {
              *result = SS_IMAP_IDLE_NEW_MAIL;
              return TRUE;
            }
          continue;
        }
      /* Drain what TLS may hold before sleeping on the socket. */
      if (!_ss_imap_client_recv_once (self, &got, error))
        return FALSE;
      if (got)
        continue;
      r = idle_wait (self, wake, deadline);
      if (r < 0)
        return _ss_imap_client_set_io_error (self, error, SS_IMAP_ERROR_CONNECT,
                                             g_strerror (errno));
      if (r == 0 || r == 2)
        {
          *result = r == 0 ? SS_IMAP_IDLE_TIMEOUT : SS_IMAP_IDLE_WOKEN;
          return TRUE;
        }
    }
}

gboolean
ss_imap_client_idle (SsImapClient     *self,
                     GCancellable     *wake,
                     guint             max_ms,
                     SsImapIdleResult *result,
                     GError          **error)
{
  g_autofree char *tag = NULL;
  g_autofree char *line = NULL;
  gint64 deadline = g_get_monotonic_time () + (gint64) max_ms * 1000;
  SsImapIdleResult got = SS_IMAP_IDLE_TIMEOUT;

  g_return_val_if_fail (SS_IS_IMAP_CLIENT (self), FALSE);
  g_return_val_if_fail (result != NULL, FALSE);

  if (!ss_imap_client_has_capability (self, "IDLE"))
    {
      g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_UNSUPPORTED, "%s has no IDLE",
                   self->config->host);
      return FALSE;
    }
  tag = g_strdup_printf ("S%u", ++self->tag);
  line = g_strdup_printf ("%s IDLE\r\n", tag);
  g_debug ("> %s IDLE", tag);
  if (!_ss_imap_client_send_all (self, line, strlen (line), NULL, error))
    return FALSE;

  /* Until "+ idling"; a tagged answer here means the server refused. */
  for (;;)
    {
      g_autoptr(SsImapResponse) response = _ss_imap_client_read_response (self, NULL, error);

      if (response == NULL)
        return FALSE;
      if (response->kind == SS_IMAP_RESPONSE_CONTINUATION)
        break;
      if (response->kind == SS_IMAP_RESPONSE_TAGGED)
        return _ss_imap_client_tagged_error (self, response, "IDLE", error);
      if (idle_untagged (self, response))
        got = SS_IMAP_IDLE_NEW_MAIL;
    }

  if (got != SS_IMAP_IDLE_NEW_MAIL && !idle_until_event (self, wake, deadline, &got, error))
    return FALSE;

  g_debug ("> DONE (%s)", got == SS_IMAP_IDLE_NEW_MAIL ? "new mail" :
                          got == SS_IMAP_IDLE_WOKEN ? "woken" : "timeout");
  if (!_ss_imap_client_send_all (self, "DONE\r\n", 6, NULL, error))
    return FALSE;
  for (;;)
    {
      g_autoptr(SsImapResponse) response = _ss_imap_client_read_response (self, NULL, error);

      if (response == NULL)
        return FALSE;
      if (response->kind == SS_IMAP_RESPONSE_TAGGED)
        {
          if (g_strcmp0 (response->tag, tag) != 0)
            return _ss_imap_client_set_io_error (self, error, SS_IMAP_ERROR_PROTOCOL,
                                                 "Unexpected tag");
          if (response->status != SS_IMAP_STATUS_OK)
            return _ss_imap_client_tagged_error (self, response, "IDLE", error);
          break;
        }
      if (response->kind == SS_IMAP_RESPONSE_UNTAGGED && idle_untagged (self, response))
        got = SS_IMAP_IDLE_NEW_MAIL;
    }
  *result = got;
  return TRUE;
}
