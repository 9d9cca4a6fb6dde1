/* ss-imap-client.c: libcurl connects, negotiates TLS and logs in (CURLOPT_CONNECT_ONLY); the
 * tagged protocol on top runs over curl_easy_send/recv with our own byte-exact parser. */
#define G_LOG_DOMAIN "ss-imap-client"

#include "config.h"

#include "ss-imap-client.h"

#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "ss-error.h"
#include "ss-imap-uid-set.h"

#define DEFAULT_TIMEOUT_MS (60 * 1000)
#define RECV_BLOCK         (256 * 1024)
#define MAX_UIDS_PER_CMD   2000

struct _SsImapClient
{
  GObject        parent_instance;

  /* Owned */
  SsConfig      *config;
  CURL          *curl;
  GByteArray    *rbuf;
  char          *selected;
  char         **caps;
  char          *bye_text;
  GArray        *copyuid_src;   /* from the last COPYUID response code */
  GArray        *copyuid_dst;

  curl_socket_t  fd;
  gsize          rpos;          /* start of unparsed data in rbuf */
  gsize          need;          /* parser hint: bytes after rpos worth a retry */
  SsImapLimits   limits;
  SsImapMailbox  mailbox;
  guint32        copyuid_validity;
  guint          tag;
  guint          timeout_ms;
  char           delimiter;
  char           errbuf[CURL_ERROR_SIZE];
};

G_DEFINE_FINAL_TYPE (SsImapClient, ss_imap_client, G_TYPE_OBJECT)

typedef gboolean (*UntaggedFunc) (SsImapClient   *self,
                                  SsImapResponse *response,
                                  gpointer        user_data,
                                  GError        **error);

static void
close_connection (SsImapClient *self)
{
  g_clear_pointer (&self->curl, curl_easy_cleanup);
  self->fd = CURL_SOCKET_BAD;
  if (self->rbuf != NULL)
    g_byte_array_set_size (self->rbuf, 0);
  self->rpos = 0;
  self->need = 0;
  g_clear_pointer (&self->selected, g_free);
}

static void
ss_imap_client_finalize (GObject *object)
{
  SsImapClient *self = (SsImapClient *) object;

  close_connection (self);
  g_clear_pointer (&self->rbuf, g_byte_array_unref);
  g_clear_pointer (&self->caps, g_strfreev);
  g_clear_pointer (&self->bye_text, g_free);
  g_clear_pointer (&self->copyuid_src, g_array_unref);
  g_clear_pointer (&self->copyuid_dst, g_array_unref);
  g_clear_pointer (&self->config, ss_config_free);

  G_OBJECT_CLASS (ss_imap_client_parent_class)->finalize (object);
}

static void
ss_imap_client_class_init (SsImapClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ss_imap_client_finalize;
}

static void
ss_imap_client_init (SsImapClient *self)
{
  self->fd = CURL_SOCKET_BAD;
  self->rbuf = g_byte_array_new ();
  self->timeout_ms = DEFAULT_TIMEOUT_MS;
  self->delimiter = '/';
  self->copyuid_src = g_array_new (FALSE, FALSE, sizeof (guint32));
  self->copyuid_dst = g_array_new (FALSE, FALSE, sizeof (guint32));
  ss_imap_limits_init_default (&self->limits);
}

SsImapClient *
ss_imap_client_new (const SsConfig *config)
{
  SsImapClient *self;

  g_return_val_if_fail (config != NULL, NULL);

  self = g_object_new (SS_TYPE_IMAP_CLIENT, NULL);
  self->config = ss_config_copy (config);
  /* A message may be max-size or bigger (skipped ones are only fetched as headers), but
   * never trust the server beyond a generous bound. */
  self->limits.max_literal = MAX (self->limits.max_literal, config->max_size + 1024);
  return self;
}

void
ss_imap_client_set_timeout (SsImapClient *self,
                            guint         timeout_ms)
{
  g_return_if_fail (SS_IS_IMAP_CLIENT (self));
  self->timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
}

gboolean
ss_imap_client_is_connected (SsImapClient *self)
{
  g_return_val_if_fail (SS_IS_IMAP_CLIENT (self), FALSE);
  return self->curl != NULL;
}

gboolean
ss_imap_client_has_capability (SsImapClient *self,
                               const char   *capability)
{
  g_return_val_if_fail (SS_IS_IMAP_CLIENT (self), FALSE);

  for (guint i = 0; self->caps != NULL && self->caps[i] != NULL; i++)
    if (g_ascii_strcasecmp (self->caps[i], capability) == 0)
      return TRUE;
  return FALSE;
}

char
ss_imap_client_get_delimiter (SsImapClient *self)
{
  return self->delimiter;
}

const char *
ss_imap_client_get_selected (SsImapClient *self)
{
  return self->selected;
}

/* ---------------------------------------------------------------------------------------- */
/* Socket I/O                                                                               */

static gboolean
set_io_error (SsImapClient *self,
              GError      **error,
              int           code,
              const char   *what)
{
  g_set_error (error, SS_IMAP_ERROR, code, "%s (%s)", what, self->config->host);
  close_connection (self);
  return FALSE;
}

/* Waits until fd is ready for events, the timeout passes or cancellable fires. */
static gboolean
wait_socket (SsImapClient  *self,
             short          events,
             GCancellable  *cancellable,
             GError       **error)
{
  struct pollfd fds[2] = { { .fd = self->fd, .events = events } };
  int cancel_fd = cancellable != NULL ? g_cancellable_get_fd (cancellable) : -1;
  int nfds = 1;
  int r;

  if (cancel_fd >= 0)
    {
      fds[1].fd = cancel_fd;
      fds[1].events = POLLIN;
      nfds = 2;
    }

  do
    r = poll (fds, nfds, (int) self->timeout_ms);
  while (r < 0 && errno == EINTR);

  if (cancel_fd >= 0)
    g_cancellable_release_fd (cancellable);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    {
      close_connection (self);
      return FALSE;
    }
  if (r < 0)
    return set_io_error (self, error, SS_IMAP_ERROR_CONNECT, g_strerror (errno));
  if (r == 0)
    {
      g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_TIMEOUT,
                   "No answer from %s for %u s", self->config->host, self->timeout_ms / 1000);
      close_connection (self);
      return FALSE;
    }
  return TRUE;
}

static gboolean
send_all (SsImapClient  *self,
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
        return set_io_error (self, error, SS_IMAP_ERROR_CONNECT, curl_easy_strerror (rc));
      data += sent;
      len -= sent;
    }
  return TRUE;
}

/* One non-blocking read into rbuf. *got is FALSE when nothing was there (CURLE_AGAIN). */
static gboolean
recv_once (SsImapClient  *self,
           gboolean      *got,
           GError       **error)
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
    return set_io_error (self, error, SS_IMAP_ERROR_CONNECT, curl_easy_strerror (rc));
  if (n == 0)
    {
      if (self->bye_text != NULL)
        {
          g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_BYE,
                       "Server %s closed the connection: %s", self->config->host,
                       self->bye_text);
          close_connection (self);
          return FALSE;
        }
      return set_io_error (self, error, SS_IMAP_ERROR_CONNECT, "Connection closed by the server");
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

      if (!recv_once (self, &got, error))
        return FALSE;
      if (got)
        return TRUE;
      if (!wait_socket (self, POLLIN, cancellable, error))
        return FALSE;
    }
}

/* A complete response from rbuf, or NULL: with *error set the stream is broken, else more
 * bytes are needed. */
static SsImapResponse *
parse_buffered (SsImapClient  *self,
                GError       **error)
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
      close_connection (self);
      return NULL;
    }
}

static SsImapResponse *
read_response (SsImapClient  *self,
               GCancellable  *cancellable,
               GError       **error)
{
  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      SsImapResponse *response = parse_buffered (self, &local_error);

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
    {
      GStrvBuilder *builder = g_strv_builder_new ();

      for (guint i = 1; i < ss_imap_list_length (code); i++)
        {
          const SsImapNode *cap = ss_imap_list_get (code, i);
          if (cap->type == SS_IMAP_NODE_ATOM)
            g_strv_builder_add (builder, cap->data);
        }
      g_strfreev (self->caps);
      self->caps = g_strv_builder_end (builder);
      g_strv_builder_unref (builder);
    }
}

/* Untagged responses every command may see. */
static void
handle_common (SsImapClient   *self,
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
    {
      GStrvBuilder *builder = g_strv_builder_new ();

      for (guint i = 1; i < ss_imap_list_length (response->tokens); i++)
        {
          const SsImapNode *cap = ss_imap_list_get (response->tokens, i);
          if (cap->type == SS_IMAP_NODE_ATOM)
            g_strv_builder_add (builder, cap->data);
        }
      g_strfreev (self->caps);
      self->caps = g_strv_builder_end (builder);
      g_strv_builder_unref (builder);
    }
  else if (ss_imap_node_to_uint32 (first, &n) && ss_imap_node_is_atom (second, "EXISTS"))
    self->mailbox.exists = n;
  else if (ss_imap_node_to_uint32 (first, &n) && ss_imap_node_is_atom (second, "EXPUNGE"))
    self->mailbox.exists = self->mailbox.exists > 0 ? self->mailbox.exists - 1 : 0;
}

static gboolean
tagged_error (SsImapClient   *self,
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

/* Sends "TAG <command>\r\n" and reads until the tagged reply. Untagged responses go to
 * handle_common, then to func. Returns the tagged response code via the self fields. */
static gboolean
run_command (SsImapClient  *self,
             UntaggedFunc   func,
             gpointer       user_data,
             GCancellable  *cancellable,
             GError       **error,
             const char    *format,
             ...) G_GNUC_PRINTF (6, 7);

static gboolean
run_command (SsImapClient  *self,
             UntaggedFunc   func,
             gpointer       user_data,
             GCancellable  *cancellable,
             GError       **error,
             const char    *format,
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

  if (!send_all (self, line, strlen (line), cancellable, error))
    return FALSE;

  for (;;)
    {
      g_autoptr(SsImapResponse) response = read_response (self, cancellable, error);

      if (response == NULL)
        return FALSE;

      if (response->kind == SS_IMAP_RESPONSE_TAGGED)
        {
          if (g_strcmp0 (response->tag, tag) != 0)
            {
              g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_PROTOCOL,
                           "Unexpected tag %s from %s", response->tag, self->config->host);
              close_connection (self);
              return FALSE;
            }
          g_debug ("< %s %s", tag, response->text ? response->text : "");
          if (response->code != NULL)
            handle_code (self, response);
          if (response->status == SS_IMAP_STATUS_OK)
            return TRUE;
          return tagged_error (self, response, verb, error);
        }
      if (response->kind == SS_IMAP_RESPONSE_CONTINUATION)
        {
          g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_PROTOCOL,
                       "Unexpected continuation from %s", self->config->host);
          close_connection (self);
          return FALSE;
        }
      handle_common (self, response);
      if (func != NULL && !func (self, response, user_data, error))
        return FALSE;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Connect                                                                                   */

static int
progress_cb (void       *clientp,
             curl_off_t  dltotal,
             curl_off_t  dlnow,
             curl_off_t  ultotal,
             curl_off_t  ulnow)
{
  return g_cancellable_is_cancelled (clientp) ? 1 : 0;
}

static void
set_connect_error (SsImapClient *self,
                   CURLcode      rc,
                   GError      **error)
{
  const char *host = self->config->host;
  const char *detail = self->errbuf[0] ? self->errbuf : curl_easy_strerror (rc);

  switch (rc)
    {
    case CURLE_LOGIN_DENIED:
      g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_LOGIN,
                   "Login refused by %s for user %s", host, self->config->user);
      break;
    case CURLE_PEER_FAILED_VERIFICATION:
      g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_TLS,
                   "The certificate of %s is not trusted (%s); if the server uses a "
                   "self-signed certificate, set ca-file", host, detail);
      break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
      g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_TLS,
                   "TLS with %s failed: %s", host, detail);
      break;
    case CURLE_USE_SSL_FAILED:
      g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_TLS,
                   "%s does not offer STARTTLS; use imaps:// or, only on a trusted "
                   "network, tls=none", host);
      break;
    case CURLE_OPERATION_TIMEDOUT:
      g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_TIMEOUT,
                   "Connecting to %s timed out", host);
      break;
    case CURLE_ABORTED_BY_CALLBACK:
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
      break;
    case CURLE_WEIRD_SERVER_REPLY:
      g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_PROTOCOL,
                   "Unexpected reply from %s: %s", host, detail);
      break;
    default:
      g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_CONNECT,
                   "Cannot connect to %s port %u: %s", host, self->config->port, detail);
      break;
    }
}


/* Three unanswered keepalive probes (30 s apart, after 60 s of silence) end a connection
 * that died silently, e.g. across a suspend: after about 2.5 minutes instead of 5.5. */
static int
set_keepalive_count (void          *data,
                     curl_socket_t  fd,
                     curlsocktype   purpose)
{
  int count = 3;

  if (purpose == CURLSOCKTYPE_IPCXN)
    setsockopt (fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
  return CURL_SOCKOPT_OK;
}

static void
setup_curl (SsImapClient *self,
            const char   *password,
            GCancellable *cancellable)
{
  const SsConfig *config = self->config;
  gboolean v6 = strchr (config->host, ':') != NULL;
  g_autofree char *url = g_strdup_printf ("%s://%s%s%s:%u/",
                                          config->tls == SS_TLS_IMPLICIT ? "imaps" : "imap",
                                          v6 ? "[" : "", config->host, v6 ? "]" : "",
                                          config->port);
  CURL *curl = self->curl;

  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "imap,imaps");
  curl_easy_setopt (curl, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_USERNAME, config->user);
  curl_easy_setopt (curl, CURLOPT_PASSWORD, password);
  curl_easy_setopt (curl, CURLOPT_USE_SSL,
                    config->tls == SS_TLS_NONE ? (long) CURLUSESSL_NONE : (long) CURLUSESSL_ALL);
  curl_easy_setopt (curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt (curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (config->ca_file != NULL)
    curl_easy_setopt (curl, CURLOPT_CAINFO, config->ca_file);
  curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT_MS, (long) self->timeout_ms);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, (long) self->timeout_ms);
  curl_easy_setopt (curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt (curl, CURLOPT_TCP_KEEPIDLE, 60L);
  curl_easy_setopt (curl, CURLOPT_TCP_KEEPINTVL, 30L);
  curl_easy_setopt (curl, CURLOPT_SOCKOPTFUNCTION, set_keepalive_count);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, self->errbuf);
  if (cancellable != NULL)
    {
      curl_easy_setopt (curl, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt (curl, CURLOPT_XFERINFOFUNCTION, progress_cb);
      curl_easy_setopt (curl, CURLOPT_XFERINFODATA, cancellable);
    }
}

static gboolean
list_delimiter_cb (SsImapClient   *self,
                   SsImapResponse *response,
                   gpointer        user_data,
                   GError        **error)
{
  const SsImapNode *delim = ss_imap_list_get (response->tokens, 2);

  if (ss_imap_node_is_atom (ss_imap_list_get (response->tokens, 0), "LIST") &&
      delim != NULL && delim->type == SS_IMAP_NODE_STRING && delim->len == 1)
    self->delimiter = delim->data[0];
  return TRUE;
}

gboolean
ss_imap_client_connect (SsImapClient  *self,
                        const char    *password,
                        GCancellable  *cancellable,
                        GError       **error)
{
  CURLcode rc;
  curl_socket_t fd = CURL_SOCKET_BAD;

  g_return_val_if_fail (SS_IS_IMAP_CLIENT (self), FALSE);
  g_return_val_if_fail (password != NULL, FALSE);

  close_connection (self);
  g_clear_pointer (&self->bye_text, g_free);
  g_clear_pointer (&self->caps, g_strfreev);
  memset (&self->mailbox, 0, sizeof self->mailbox);
  self->errbuf[0] = '\0';
  self->curl = curl_easy_init ();
  setup_curl (self, password, cancellable);

  g_debug ("connecting to %s:%u as %s", self->config->host, self->config->port,
           self->config->user);
  rc = curl_easy_perform (self->curl);
  /* The password stays in libcurl's copy only as long as the handle; drop the option. */
  curl_easy_setopt (self->curl, CURLOPT_PASSWORD, NULL);
  curl_easy_setopt (self->curl, CURLOPT_NOPROGRESS, 1L);
  curl_easy_setopt (self->curl, CURLOPT_TIMEOUT_MS, 0L);
  if (rc != CURLE_OK)
    {
      set_connect_error (self, rc, error);
      close_connection (self);
      return FALSE;
    }
  if (curl_easy_getinfo (self->curl, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK ||
      fd == CURL_SOCKET_BAD)
    return set_io_error (self, error, SS_IMAP_ERROR_CONNECT, "No socket after login");
  self->fd = fd;

  if (!run_command (self, NULL, NULL, cancellable, error, "CAPABILITY"))
    return FALSE;
  if (!ss_imap_client_has_capability (self, "IMAP4rev1") &&
      !ss_imap_client_has_capability (self, "IMAP4rev2"))
    return set_io_error (self, error, SS_IMAP_ERROR_PROTOCOL, "Not an IMAP4rev1 server");
  return run_command (self, list_delimiter_cb, NULL, cancellable, error, "LIST \"\" \"\"");
}

void
ss_imap_client_disconnect (SsImapClient *self)
{
  g_return_if_fail (SS_IS_IMAP_CLIENT (self));

  if (self->curl != NULL)
    {
      guint timeout = self->timeout_ms;

      self->timeout_ms = MIN (timeout, 2000);
      run_command (self, NULL, NULL, NULL, NULL, "LOGOUT");
      self->timeout_ms = timeout;
    }
  close_connection (self);
}

/* ---------------------------------------------------------------------------------------- */
/* Folder names                                                                             */

/* User form ("Spam/False Positives") to the quoted wire form in the server's hierarchy. */
static char *
wire_mailbox (SsImapClient *self,
              const char   *folder,
              GError      **error)
{
  g_autofree char *server = NULL;
  g_autofree char *utf7 = NULL;
  char *quoted;

  if (g_ascii_strcasecmp (folder, "INBOX") == 0)
    return g_strdup ("INBOX");

  server = g_strdup (folder);
  if (self->delimiter != '/')
    g_strdelimit (server, "/", self->delimiter);
  utf7 = ss_imap_utf7_encode (server);
  quoted = utf7 != NULL ? ss_imap_quote (utf7) : NULL;
  if (quoted == NULL)
    g_set_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG,
                 "Folder name \"%s\" cannot be used", folder);
  return quoted;
}

/* Server name (wire, after string decoding) back to the user form. */
static char *
user_mailbox (SsImapClient     *self,
              const SsImapNode *node,
              char              delimiter)
{
  g_autofree char *utf8 = NULL;
  char *name;

  if (node == NULL || (node->type != SS_IMAP_NODE_ATOM && node->type != SS_IMAP_NODE_STRING))
    return NULL;
  utf8 = ss_imap_utf7_decode (node->data);
  name = utf8 != NULL ? g_steal_pointer (&utf8) : g_utf8_make_valid (node->data, node->len);
  if (g_ascii_strcasecmp (name, "INBOX") == 0)
    {
      g_free (name);
      return g_strdup ("INBOX");
    }
  if (delimiter != '\0' && delimiter != '/')
    {
      /* A '/' inside a level cannot be expressed in the user form; keep it visible. */
      for (char *p = name; *p; p++)
        if (*p == delimiter)
          *p = '/';
    }
  return name;
}

static gboolean
list_cb (SsImapClient   *self,
         SsImapResponse *response,
         gpointer        user_data,
         GError        **error)
{
  GPtrArray *folders = user_data;
  const SsImapNode *attrs = ss_imap_list_get (response->tokens, 1);
  const SsImapNode *delim = ss_imap_list_get (response->tokens, 2);
  g_autoptr(SsImapFolder) folder = NULL;
  char d = '\0';

  if (!ss_imap_node_is_atom (ss_imap_list_get (response->tokens, 0), "LIST") ||
      attrs == NULL || attrs->type != SS_IMAP_NODE_LIST)
    return TRUE;
  if (delim != NULL && delim->type == SS_IMAP_NODE_STRING && delim->len == 1)
    d = delim->data[0];

  folder = g_new0 (SsImapFolder, 1);
  folder->name = user_mailbox (self, ss_imap_list_get (response->tokens, 3), d);
  if (folder->name == NULL)
    return TRUE;
  for (guint i = 0; i < ss_imap_list_length (attrs); i++)
    {
      const SsImapNode *attr = ss_imap_list_get (attrs, i);

      if (ss_imap_node_is_atom (attr, "\\Junk"))
        folder->junk = TRUE;
      else if (ss_imap_node_is_atom (attr, "\\Noselect") ||
               ss_imap_node_is_atom (attr, "\\NonExistent"))
        folder->noselect = TRUE;
    }
  g_ptr_array_add (folders, g_steal_pointer (&folder));
  return TRUE;
}

GPtrArray *
ss_imap_client_list (SsImapClient  *self,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autoptr(GPtrArray) folders = g_ptr_array_new_with_free_func ((GDestroyNotify) ss_imap_folder_free);
  gboolean extended = ss_imap_client_has_capability (self, "SPECIAL-USE") &&
                      ss_imap_client_has_capability (self, "LIST-EXTENDED");

  g_return_val_if_fail (SS_IS_IMAP_CLIENT (self), NULL);

  if (!run_command (self, list_cb, folders, cancellable, error,
                    extended ? "LIST \"\" \"*\" RETURN (SPECIAL-USE)" : "LIST \"\" \"*\""))
    return NULL;
  return g_steal_pointer (&folders);
}

gboolean
ss_imap_client_create (SsImapClient  *self,
                       const char    *folder,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autofree char *wire = wire_mailbox (self, folder, error);
  g_autoptr(GError) local_error = NULL;

  if (wire == NULL)
    return FALSE;
  if (!run_command (self, NULL, NULL, cancellable, &local_error, "CREATE %s", wire))
    {
      /* [ALREADYEXISTS] or a race with another client: fine if it is there now. */
      if (!g_error_matches (local_error, SS_IMAP_ERROR, SS_IMAP_ERROR_NO))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_debug ("CREATE %s: %s", folder, local_error->message);
    }
  /* Subscribed folders show up in mail clients; best effort. */
  run_command (self, NULL, NULL, cancellable, NULL, "SUBSCRIBE %s", wire);
  return self->curl != NULL || (g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_CONNECT,
                                             "Connection lost"), FALSE);
}

gboolean
ss_imap_client_select (SsImapClient  *self,
                       const char    *folder,
                       SsImapMailbox *out,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autofree char *wire = wire_mailbox (self, folder, error);
  g_autoptr(GError) local_error = NULL;

  if (wire == NULL)
    return FALSE;
  g_clear_pointer (&self->selected, g_free);
  memset (&self->mailbox, 0, sizeof self->mailbox);
  if (!run_command (self, NULL, NULL, cancellable, &local_error, "SELECT %s", wire))
    {
      if (g_error_matches (local_error, SS_IMAP_ERROR, SS_IMAP_ERROR_NO) ||
          g_error_matches (local_error, SS_IMAP_ERROR, SS_IMAP_ERROR_NO_MAILBOX))
        {
          g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_NO_MAILBOX,
                       "Cannot open folder \"%s\": %s", folder, local_error->message);
          return FALSE;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  self->selected = g_strdup (folder);
  if (out != NULL)
    *out = self->mailbox;
  return TRUE;
}

/* ---------------------------------------------------------------------------------------- */
/* Messages                                                                                  */

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

  if (!run_command (self, search_cb, uids, cancellable, error, "UID SEARCH %s", criteria))
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

  for (gsize off = 0; off < n_uids; off += MAX_UIDS_PER_CMD)
    {
      g_autofree char *set = ss_imap_uid_set_format (uids + off,
                                                     MIN (n_uids - off, MAX_UIDS_PER_CMD));

      if (!run_command (self, fetch_cb, &data, cancellable, error,
                        "UID FETCH %s %s", set, fetch_items (flags)))
        return FALSE;
    }
  return TRUE;
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
  g_return_val_if_fail (SS_IS_IMAP_CLIENT (self), FALSE);

  for (gsize off = 0; off < n_uids; off += MAX_UIDS_PER_CMD)
    {
      g_autofree char *set = ss_imap_uid_set_format (uids + off,
                                                     MIN (n_uids - off, MAX_UIDS_PER_CMD));

      if (add != NULL &&
          !run_command (self, NULL, NULL, cancellable, error,
                        "UID STORE %s +FLAGS.SILENT (%s)", set, add))
        return FALSE;
      if (remove != NULL &&
          !run_command (self, NULL, NULL, cancellable, error,
                        "UID STORE %s -FLAGS.SILENT (%s)", set, remove))
        return FALSE;
    }
  return TRUE;
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

/* Expunges exactly set: UID EXPUNGE, or a plain EXPUNGE only if nothing else is \Deleted. */
static gboolean
expunge_exactly (SsImapClient  *self,
                 const guint32 *uids,
                 gsize          n_uids,
                 const char    *set,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autoptr(GArray) deleted = NULL;
  g_autoptr(GHashTable) ours = NULL;

  if (ss_imap_client_has_capability (self, "UIDPLUS"))
    return run_command (self, NULL, NULL, cancellable, error, "UID EXPUNGE %s", set);

  deleted = ss_imap_client_uid_search (self, "DELETED", cancellable, error);
  if (deleted == NULL)
    return FALSE;
  ours = g_hash_table_new (NULL, NULL);
  for (gsize i = 0; i < n_uids; i++)
    g_hash_table_add (ours, GUINT_TO_POINTER (uids[i]));
  for (guint i = 0; i < deleted->len; i++)
    if (!g_hash_table_contains (ours, GUINT_TO_POINTER (g_array_index (deleted, guint32, i))))
      {
        /* Someone else's \Deleted mail would go too: leave ours marked, remove nothing. */
        g_debug ("not expunging: other messages are marked \\Deleted");
        return TRUE;
      }
  return run_command (self, NULL, NULL, cancellable, error, "EXPUNGE");
}

/* \Deleted on exactly set, then expunge exactly those. */
static gboolean
delete_set (SsImapClient  *self,
            const guint32 *uids,
            gsize          n_uids,
            const char    *set,
            GCancellable  *cancellable,
            GError       **error)
{
  return run_command (self, NULL, NULL, cancellable, error,
                      "UID STORE %s +FLAGS.SILENT (\\Deleted)", set) &&
         expunge_exactly (self, uids, n_uids, set, cancellable, error);
}

static gboolean
move_batch (SsImapClient  *self,
            const guint32 *uids,
            gsize          n_uids,
            const char    *wire,
            gboolean       copy_only,
            GArray        *src_out,
            GArray        *dst_out,
            guint32       *validity,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autofree char *set = ss_imap_uid_set_format (uids, n_uids);
  gboolean move = !copy_only && ss_imap_client_has_capability (self, "MOVE");

  if (!run_command (self, NULL, NULL, cancellable, error, "UID %s %s %s",
                    move ? "MOVE" : "COPY", set, wire))
    return FALSE;
  take_copyuid (self, src_out, dst_out, validity);
  if (move || copy_only)
    return TRUE;
  return delete_set (self, uids, n_uids, set, cancellable, error);
}

static gboolean
transfer (SsImapClient  *self,
          const guint32 *uids,
          gsize          n_uids,
          const char    *folder,
          gboolean       copy_only,
          GArray        *src_uids_out,
          GArray        *dest_uids_out,
          guint32       *dest_uidvalidity,
          GCancellable  *cancellable,
          GError       **error)
{
  g_autofree char *wire = NULL;

  g_return_val_if_fail (SS_IS_IMAP_CLIENT (self), FALSE);

  if (n_uids == 0)
    return TRUE;
  wire = wire_mailbox (self, folder, error);
  if (wire == NULL)
    return FALSE;
  for (gsize off = 0; off < n_uids; off += MAX_UIDS_PER_CMD)
    if (!move_batch (self, uids + off, MIN (n_uids - off, MAX_UIDS_PER_CMD), wire, copy_only,
                     src_uids_out, dest_uids_out, dest_uidvalidity, cancellable, error))
      return FALSE;
  return TRUE;
}

gboolean
ss_imap_client_uid_move (SsImapClient  *self,
                         const guint32 *uids,
                         gsize          n_uids,
                         const char    *folder,
                         GArray        *src_uids_out,
                         GArray        *dest_uids_out,
                         guint32       *dest_uidvalidity,
                         GCancellable  *cancellable,
                         GError       **error)
{
  return transfer (self, uids, n_uids, folder, FALSE, src_uids_out, dest_uids_out,
                   dest_uidvalidity, cancellable, error);
}

gboolean
ss_imap_client_uid_copy (SsImapClient  *self,
                         const guint32 *uids,
                         gsize          n_uids,
                         const char    *folder,
                         GArray        *src_uids_out,
                         GArray        *dest_uids_out,
                         guint32       *dest_uidvalidity,
                         GCancellable  *cancellable,
                         GError       **error)
{
  return transfer (self, uids, n_uids, folder, TRUE, src_uids_out, dest_uids_out,
                   dest_uidvalidity, cancellable, error);
}

gboolean
ss_imap_client_uid_delete (SsImapClient  *self,
                           const guint32 *uids,
                           gsize          n_uids,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_return_val_if_fail (SS_IS_IMAP_CLIENT (self), FALSE);

  for (gsize off = 0; off < n_uids; off += MAX_UIDS_PER_CMD)
    {
      gsize n = MIN (n_uids - off, MAX_UIDS_PER_CMD);
      g_autofree char *set = ss_imap_uid_set_format (uids + off, n);

      if (!delete_set (self, uids + off, n, set, cancellable, error))
        return FALSE;
    }
  return TRUE;
}

/* Handles one untagged response while idling; TRUE when it announces new mail. */
static gboolean
idle_untagged (SsImapClient   *self,
               SsImapResponse *response)
{
  guint32 before = self->mailbox.exists;

  handle_common (self, response);
  return self->mailbox.exists > before;
}

/* Waits until the socket is readable, wake fires or deadline (monotonic µs) passes. */
static int
idle_wait (SsImapClient *self,
           GCancellable *wake,
           gint64        deadline)
{
  struct pollfd fds[2] = { { .fd = self->fd, .events = POLLIN } };
  int wake_fd = wake != NULL ? g_cancellable_get_fd (wake) : -1;
  gint64 left = deadline - g_get_monotonic_time ();
  int r;

  if (left <= 0)
    return 0;
  if (wake_fd >= 0)
    {
      fds[1].fd = wake_fd;
      fds[1].events = POLLIN;
    }
  do
    r = poll (fds, wake_fd >= 0 ? 2 : 1, (int) MIN (left / 1000 + 1, G_MAXINT));
  while (r < 0 && errno == EINTR);
  if (wake_fd >= 0)
    g_cancellable_release_fd (wake);
  if (r > 0 && g_cancellable_is_cancelled (wake))
    return 2;
  return r > 0 ? 1 : r;
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
      g_autoptr(SsImapResponse) response = parse_buffered (self, &local_error);
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
            return set_io_error (self, error, SS_IMAP_ERROR_PROTOCOL,
                                 "Unexpected response during IDLE");
          if (idle_untagged (self, response))
            {
              *result = SS_IMAP_IDLE_NEW_MAIL;
              return TRUE;
            }
          continue;
        }
      /* Drain what TLS may hold before sleeping on the socket. */
      if (!recv_once (self, &got, error))
        return FALSE;
      if (got)
        continue;
      r = idle_wait (self, wake, deadline);
      if (r < 0)
        return set_io_error (self, error, SS_IMAP_ERROR_CONNECT, g_strerror (errno));
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
  if (!send_all (self, line, strlen (line), NULL, error))
    return FALSE;

  /* Until "+ idling"; a tagged answer here means the server refused. */
  for (;;)
    {
      g_autoptr(SsImapResponse) response = read_response (self, NULL, error);

      if (response == NULL)
        return FALSE;
      if (response->kind == SS_IMAP_RESPONSE_CONTINUATION)
        break;
      if (response->kind == SS_IMAP_RESPONSE_TAGGED)
        return tagged_error (self, response, "IDLE", error);
      if (idle_untagged (self, response))
        got = SS_IMAP_IDLE_NEW_MAIL;
    }

  if (got != SS_IMAP_IDLE_NEW_MAIL && !idle_until_event (self, wake, deadline, &got, error))
    return FALSE;

  g_debug ("> DONE (%s)", got == SS_IMAP_IDLE_NEW_MAIL ? "new mail" :
                          got == SS_IMAP_IDLE_WOKEN ? "woken" : "timeout");
  if (!send_all (self, "DONE\r\n", 6, NULL, error))
    return FALSE;
  for (;;)
    {
      g_autoptr(SsImapResponse) response = read_response (self, NULL, error);

      if (response == NULL)
        return FALSE;
      if (response->kind == SS_IMAP_RESPONSE_TAGGED)
        {
          if (g_strcmp0 (response->tag, tag) != 0)
            return set_io_error (self, error, SS_IMAP_ERROR_PROTOCOL, "Unexpected tag");
          if (response->status != SS_IMAP_STATUS_OK)
            return tagged_error (self, response, "IDLE", error);
          break;
        }
      if (response->kind == SS_IMAP_RESPONSE_UNTAGGED && idle_untagged (self, response))
        got = SS_IMAP_IDLE_NEW_MAIL;
    }
  *result = got;
  return TRUE;
}

static gboolean
status_cb (SsImapClient   *self,
           SsImapResponse *response,
           gpointer        user_data,
           GError        **error)
{
  const SsImapNode *items = ss_imap_list_get (response->tokens, 2);
  guint32 *uidnext = user_data;

  if (ss_imap_node_is_atom (ss_imap_list_get (response->tokens, 0), "STATUS"))
    ss_imap_node_to_uint32 (ss_imap_fetch_get (items, "UIDNEXT"), uidnext);
  return TRUE;
}

gboolean
ss_imap_client_status_uidnext (SsImapClient  *self,
                               const char    *folder,
                               guint32       *uidnext,
                               GCancellable  *cancellable,
                               GError       **error)
{
  g_autofree char *wire = wire_mailbox (self, folder, error);

  *uidnext = 0;
  if (wire == NULL)
    return FALSE;
  return run_command (self, status_cb, uidnext, cancellable, error, "STATUS %s (UIDNEXT)", wire);
}

gboolean
ss_imap_client_noop (SsImapClient  *self,
                     GCancellable  *cancellable,
                     GError       **error)
{
  return run_command (self, NULL, NULL, cancellable, error, "NOOP");
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

void
ss_imap_folder_free (SsImapFolder *folder)
{
  if (folder == NULL)
    return;
  g_free (folder->name);
  g_free (folder);
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
