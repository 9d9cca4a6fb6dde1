/* ss-imap-client-io.c: the socket under an SsImapClient (curl_easy_send/recv, poll) and the
 * tagged command path on top of it. */
#define G_LOG_DOMAIN "ss-imap-client"

#include "config.h"

#include "ss-imap-client-private.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "ss-error.h"
#include "ss-imap-uid-set.h"

#define RECV_BLOCK (256 * 1024)

/* ---------------------------------------------------------------------------------------- */
/* Socket I/O                                                                               */

gboolean
_ss_imap_client_set_io_error (SsImapClient *self,
                              GError      **error,
                              int           code,
                              const char   *what)
{
  g_set_error (error, SS_IMAP_ERROR, code, "%s (%s)", what, self->config->host);
  _ss_imap_client_close_connection (self);
  return FALSE;
}

int
_ss_imap_client_poll (SsImapClient *self,
                      short         events,
                      GCancellable *wake,
                      int           timeout_ms)
{
  struct pollfd fds[2] = { { .fd = self->fd, .events = events } };
  int wake_fd = wake != NULL ? g_cancellable_get_fd (wake) : -1;
  int r, saved_errno;

  if (wake_fd >= 0)
    {
      fds[1].fd = wake_fd;
      fds[1].events = POLLIN;
    }
  do
    r = poll (fds, wake_fd >= 0 ? 2 : 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  saved_errno = errno;
  if (wake_fd >= 0)
    g_cancellable_release_fd (wake);
  errno = saved_errno;
  if (r > 0 && g_cancellable_is_cancelled (wake))
    return 2;
  return r > 0 ? 1 : r;
}

/* Waits until fd is ready for events, the timeout passes or cancellable fires. */
static gboolean
wait_socket (SsImapClient  *self,
             short          events,
             GCancellable  *cancellable,
             GError       **error)
{
  int r = _ss_imap_client_poll (self, events, cancellable, (int) self->timeout_ms);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    {
      _ss_imap_client_close_connection (self);
      return FALSE;
    }
  if (r < 0)
    return _ss_imap_client_set_io_error (self, error, SS_IMAP_ERROR_CONNECT, g_strerror (errno));
  if (r == 0)
    {
      g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_TIMEOUT,
                   "No answer from %s for %u s", self->config->host, self->timeout_ms / 1000);
      _ss_imap_client_close_connection (self);
      return FALSE;
    }
  return TRUE;
}

gboolean
_ss_imap_client_send_all (SsImapClient  *self,
                          const char    *data,
                          gsize          len,
                          GCancellable  *cancellable,
                          GError       **error)
{
  while (len > 0)
    {
      size_t sent = 0;
      CURLcode rc = curl_easy_send (self->curl, data, len, &sent);

      if (rc == CURLE_AGAIN)
        {
          if (!wait_socket (self, POLLOUT, cancellable, error))
            return FALSE;
          continue;
        }
      if (rc != CURLE_OK)
        return _ss_imap_client_set_io_error (self, error, SS_IMAP_ERROR_CONNECT,
                                             curl_easy_strerror (rc));
      data += sent;
      len -= sent;
    }
  return TRUE;
}

gboolean
_ss_imap_client_recv_once (SsImapClient *self,
                           gboolean     *got,
                           GError      **error)
{
  GByteArray *buf = self->rbuf;
  gsize old, want = RECV_BLOCK;
  size_t n = 0;
  CURLcode rc;

  if (self->rpos > 0 && self->rpos >= buf->len / 2)
    {
      memmove (buf->data, buf->data + self->rpos, buf->len - self->rpos);
      g_byte_array_set_size (buf, buf->len - self->rpos);
      self->rpos = 0;
    }
  old = buf->len;
  if (self->need > buf->len - self->rpos)
    want = CLAMP (self->need - (buf->len - self->rpos), RECV_BLOCK, 8 * RECV_BLOCK);
  g_byte_array_set_size (buf, old + want);
  rc = curl_easy_recv (self->curl, buf->data + old, want, &n);
  g_byte_array_set_size (buf, old + (rc == CURLE_OK ? n : 0));

  *got = FALSE;
  if (rc == CURLE_AGAIN)
    return TRUE;
  if (rc != CURLE_OK)
    return _ss_imap_client_set_io_error (self, error, SS_IMAP_ERROR_CONNECT,
                                         curl_easy_strerror (rc));
  if (n == 0)
    {
      if (self->bye_text != NULL)
        {
          g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_BYE,
                       "Server %s closed the connection: %s", self->config->host,
                       self->bye_text);
          _ss_imap_client_close_connection (self);
          return FALSE;
        }
      return _ss_imap_client_set_io_error (self, error, SS_IMAP_ERROR_CONNECT,
                                           "Connection closed by the server");
    }
  *got = TRUE;
  return TRUE;
}

/* Appends at least one byte from the server to rbuf (waits up to the timeout). */
static gboolean
fill_buffer (SsImapClient  *self,
             GCancellable  *cancellable,
             GError       **error)
{
  for (;;)
    {
      gboolean got = FALSE;

      if (!_ss_imap_client_recv_once (self, &got, error))
        return FALSE;
      if (got)
        return TRUE;
      if (!wait_socket (self, POLLIN, cancellable, error))
        return FALSE;
    }
}

SsImapResponse *
_ss_imap_client_parse_buffered (SsImapClient *self,
                                GError      **error)
{
  gsize avail = self->rbuf->len - self->rpos;
  g_autoptr(GError) local_error = NULL;
  SsImapResponse *response = NULL;
  gsize consumed = 0;

  if (avail == 0 || avail < self->need)
    return NULL;
  switch (ss_imap_parse_response (self->rbuf->data + self->rpos, avail, &self->limits,
                                  &consumed, &response, &local_error))
    {
    case SS_IMAP_PARSE_DONE:
      self->rpos += consumed;
      self->need = 0;
      if (self->rpos == self->rbuf->len)
        {
          g_byte_array_set_size (self->rbuf, 0);
          self->rpos = 0;
        }
      return response;
    case SS_IMAP_PARSE_INCOMPLETE:
      self->need = MAX (consumed, avail + 1);
      return NULL;
    case SS_IMAP_PARSE_FAILED:
    default:
      g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_PROTOCOL, "Bad data from %s: %s",
                   self->config->host, local_error->message);
      _ss_imap_client_close_connection (self);
      return NULL;
    }
}

SsImapResponse *
_ss_imap_client_read_response (SsImapClient *self,
                               GCancellable *cancellable,
                               GError      **error)
{
  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      SsImapResponse *response = _ss_imap_client_parse_buffered (self, &local_error);

      if (response != NULL)
        return response;
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      if (!fill_buffer (self, cancellable, error))
        return NULL;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Commands                                                                                  */

/* "CAPABILITY cap1 cap2 ..." (a response or a response code) replaces the known ones. */
static void
take_capabilities (SsImapClient     *self,
                   const SsImapNode *list)
{
  GStrvBuilder *builder = g_strv_builder_new ();

  for (guint i = 1; i < ss_imap_list_length (list); i++)
    {
      const SsImapNode *cap = ss_imap_list_get (list, i);
      if (cap->type == SS_IMAP_NODE_ATOM)
        g_strv_builder_add (builder, cap->data);
    }
  g_strfreev (self->caps);
  self->caps = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
}

static void
handle_code (SsImapClient   *self,
             SsImapResponse *response)
{
  const SsImapNode *code = response->code;
  const SsImapNode *name = ss_imap_list_get (code, 0);
  guint32 value;

  if (name == NULL)
    return;
  if (ss_imap_node_is_atom (name, "UIDVALIDITY") &&
      ss_imap_node_to_uint32 (ss_imap_list_get (code, 1), &value))
    self->mailbox.uidvalidity = value;
  else if (ss_imap_node_is_atom (name, "UIDNEXT") &&
           ss_imap_node_to_uint32 (ss_imap_list_get (code, 1), &value))
    self->mailbox.uidnext = value;
  else if (ss_imap_node_is_atom (name, "PERMANENTFLAGS"))
    {
      const SsImapNode *flags = ss_imap_list_get (code, 1);

      self->mailbox.keywords_ok = FALSE;
      for (guint i = 0; i < ss_imap_list_length (flags); i++)
        if (ss_imap_node_is_atom (ss_imap_list_get (flags, i), "\\*"))
          self->mailbox.keywords_ok = TRUE;
    }
  else if (ss_imap_node_is_atom (name, "READ-ONLY"))
    self->mailbox.read_only = TRUE;
  else if (ss_imap_node_is_atom (name, "COPYUID") &&
           ss_imap_node_to_uint32 (ss_imap_list_get (code, 1), &value))
    {
      const SsImapNode *src = ss_imap_list_get (code, 2);
      const SsImapNode *dst = ss_imap_list_get (code, 3);

      g_array_set_size (self->copyuid_src, 0);
      g_array_set_size (self->copyuid_dst, 0);
      self->copyuid_validity = value;
      if (src == NULL || dst == NULL || src->type != SS_IMAP_NODE_ATOM ||
          dst->type != SS_IMAP_NODE_ATOM ||
          !ss_imap_uid_set_parse (src->data, 100000, self->copyuid_src, NULL) ||
          !ss_imap_uid_set_parse (dst->data, 100000, self->copyuid_dst, NULL) ||
          self->copyuid_src->len != self->copyuid_dst->len)
        {
          g_array_set_size (self->copyuid_src, 0);
          g_array_set_size (self->copyuid_dst, 0);
        }
    }
  else if (ss_imap_node_is_atom (name, "CAPABILITY"))
    take_capabilities (self, code);
}

void
_ss_imap_client_handle_common (SsImapClient   *self,
                               SsImapResponse *response)
{
  const SsImapNode *first = ss_imap_list_get (response->tokens, 0);
  const SsImapNode *second = ss_imap_list_get (response->tokens, 1);
  guint32 n;

  if (response->code != NULL)
    handle_code (self, response);

  if (response->status == SS_IMAP_STATUS_BYE)
    {
      g_free (self->bye_text);
      self->bye_text = g_strdup (response->text);
    }
  else if (ss_imap_node_is_atom (first, "CAPABILITY"))
    take_capabilities (self, response->tokens);
  else if (ss_imap_node_to_uint32 (first, &n) && ss_imap_node_is_atom (second, "EXISTS"))
    self->mailbox.exists = n;
  else if (ss_imap_node_to_uint32 (first, &n) && ss_imap_node_is_atom (second, "EXPUNGE"))
    self->mailbox.exists = self->mailbox.exists > 0 ? self->mailbox.exists - 1 : 0;
}

gboolean
_ss_imap_client_tagged_error (SsImapClient   *self,
                              SsImapResponse *response,
                              const char     *command,
                              GError        **error)
{
  const SsImapNode *code = ss_imap_list_get (response->code, 0);
  int err = response->status == SS_IMAP_STATUS_BAD ? SS_IMAP_ERROR_BAD : SS_IMAP_ERROR_NO;

  if (ss_imap_node_is_atom (code, "NONEXISTENT"))
    err = SS_IMAP_ERROR_NO_MAILBOX;
  g_set_error (error, SS_IMAP_ERROR, err, "%s refused by %s: %s",
               command, self->config->host, response->text ? response->text : "");
  return FALSE;
}

gboolean
_ss_imap_client_run_command (SsImapClient *self,
                             UntaggedFunc  func,
                             gpointer      user_data,
                             GCancellable *cancellable,
                             GError      **error,
                             const char   *format,
                             ...)
{
  g_autofree char *command = NULL;
  g_autofree char *line = NULL;
  g_autofree char *tag = NULL;
  g_autofree char *verb = NULL;
  va_list args;

  if (self->curl == NULL)
    {
      g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_CONNECT, "Not connected to %s",
                   self->config->host);
      return FALSE;
    }

  va_start (args, format);
  command = g_strdup_vprintf (format, args);
  va_end (args);
  verb = g_strndup (command, strcspn (command, " "));
  tag = g_strdup_printf ("S%u", ++self->tag);
  line = g_strdup_printf ("%s %s\r\n", tag, command);
  g_debug ("> %s %.200s", tag, command);

  g_array_set_size (self->copyuid_src, 0);
  g_array_set_size (self->copyuid_dst, 0);

  if (!_ss_imap_client_send_all (self, line, strlen (line), cancellable, error))
    return FALSE;

  for (;;)
    {
      g_autoptr(SsImapResponse) response = NULL;

      response = _ss_imap_client_read_response (self, cancellable, error);

      if (response == NULL)
        return FALSE;

      if (response->kind == SS_IMAP_RESPONSE_TAGGED)
        {
          if (g_strcmp0 (response->tag, tag) != 0)
            {
              g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_PROTOCOL,
                           "Unexpected tag %s from %s", response->tag, self->config->host);
              _ss_imap_client_close_connection (self);
              return FALSE;
            }
          g_debug ("< %s %s", tag, response->text ? response->text : "");
          if (response->code != NULL)
            handle_code (self, response);
          if (response->status == SS_IMAP_STATUS_OK)
            return TRUE;
          return _ss_imap_client_tagged_error (self, response, verb, error);
        }
      if (response->kind == SS_IMAP_RESPONSE_CONTINUATION)
        {
          g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_PROTOCOL,
                       "Unexpected continuation from %s", self->config->host);
          _ss_imap_client_close_connection (self);
          return FALSE;
        }
      _ss_imap_client_handle_common (self, response);
      if (func != NULL && !func (self, response, user_data, error))
        return FALSE;
    }
}

