/* ss-imap-client.c: libcurl connects, negotiates TLS and logs in (CURLOPT_CONNECT_ONLY); the
 * tagged protocol on top runs over curl_easy_send/recv with our own byte-exact parser.
 * This file: the object, connect, folders. The socket and the command path are in
 * ss-imap-client-io.c, message commands in -messages.c, IDLE in -idle.c. */
#define G_LOG_DOMAIN "ss-imap-client"

#include "config.h"

#include "ss-imap-client-private.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "ss-auth.h"
#include "ss-error.h"

G_DEFINE_FINAL_TYPE (SsImapClient, ss_imap_client, G_TYPE_OBJECT)

void
_ss_imap_client_close_connection (SsImapClient *self)
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

  _ss_imap_client_close_connection (self);
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
  self->timeout_ms = SS_IMAP_DEFAULT_TIMEOUT_MS;
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
  self->timeout_ms = timeout_ms > 0 ? timeout_ms : SS_IMAP_DEFAULT_TIMEOUT_MS;
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

/* OpenSSL's words for "the peer sent no TLS": a plain IMAP greeting read as a record. */
static gboolean
is_not_tls (const char *detail)
{
  static const char * const signs[] = {
    "wrong version number", "packet length too long", "unexpected eof",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (signs); i++)
    if (strstr (detail, signs[i]) != NULL)
      return TRUE;
  return FALSE;
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
                   "Login refused by %s for user %s%s", host, self->config->user,
                   ss_auth_mode_of (self->config) != SS_AUTH_PASSWORD
                   ? " (the access token was not accepted)" : "");
      break;
    case CURLE_PEER_FAILED_VERIFICATION:
      g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_TLS,
                   "The certificate of %s is not trusted (%s); if the server uses a "
                   "self-signed certificate, set ca-file", host, detail);
      break;
    case CURLE_SSL_CONNECT_ERROR:
      if (self->config->tls == SS_TLS_IMPLICIT && is_not_tls (detail))
        {
          /* The raw OpenSSL text helps nobody in the window: it goes to the log only. */
          g_message ("TLS with %s:%u failed: %s", host, self->config->port, detail);
          g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_TLS,
                       "The server at %s:%u did not answer with TLS: this port probably "
                       "expects STARTTLS (imap://, usually port 143)", host,
                       self->config->port);
          break;
        }
      G_GNUC_FALLTHROUGH;
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
      if (self->config->tls != SS_TLS_IMPLICIT && self->config->port == 993)
        /* A TLS port waits for the client's hello; a plain client waits for the greeting. */
        g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_TIMEOUT,
                     "Connecting to %s timed out: port 993 usually expects TLS from the "
                     "start (imaps://)", host);
      else
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
  if (ss_auth_mode_of (config) == SS_AUTH_PASSWORD)
    curl_easy_setopt (curl, CURLOPT_PASSWORD, password);
  else
    {
      /* SASL XOAUTH2 / OAUTHBEARER: password is the access token. */
      curl_easy_setopt (curl, CURLOPT_LOGIN_OPTIONS,
                        ss_auth_login_options (ss_auth_mode_of (config)));
      curl_easy_setopt (curl, CURLOPT_XOAUTH2_BEARER, password);
    }
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

  _ss_imap_client_close_connection (self);
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
  curl_easy_setopt (self->curl, CURLOPT_XOAUTH2_BEARER, NULL);
  curl_easy_setopt (self->curl, CURLOPT_NOPROGRESS, 1L);
  curl_easy_setopt (self->curl, CURLOPT_TIMEOUT_MS, 0L);
  if (rc != CURLE_OK)
    {
      set_connect_error (self, rc, error);
      _ss_imap_client_close_connection (self);
      return FALSE;
    }
  if (curl_easy_getinfo (self->curl, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK ||
      fd == CURL_SOCKET_BAD)
    return _ss_imap_client_set_io_error (self, error, SS_IMAP_ERROR_CONNECT,
                                         "No socket after login");
  self->fd = fd;

  if (!_ss_imap_client_run_command (self, NULL, NULL, cancellable, error, "CAPABILITY"))
    return FALSE;
  if (!ss_imap_client_has_capability (self, "IMAP4rev1") &&
      !ss_imap_client_has_capability (self, "IMAP4rev2"))
    return _ss_imap_client_set_io_error (self, error, SS_IMAP_ERROR_PROTOCOL,
                                         "Not an IMAP4rev1 server");
  return _ss_imap_client_run_command (self, list_delimiter_cb, NULL, cancellable, error,
                                      "LIST \"\" \"\"");
}

void
ss_imap_client_disconnect (SsImapClient *self)
{
  g_return_if_fail (SS_IS_IMAP_CLIENT (self));

  if (self->curl != NULL)
    {
      guint timeout = self->timeout_ms;

      self->timeout_ms = MIN (timeout, 2000);
      _ss_imap_client_run_command (self, NULL, NULL, NULL, NULL, "LOGOUT");
      self->timeout_ms = timeout;
    }
  _ss_imap_client_close_connection (self);
}

/* ---------------------------------------------------------------------------------------- */
/* Folder names                                                                             */

char *
_ss_imap_client_wire_mailbox (SsImapClient  *self,
                              const char    *folder,
                              GError       **error)
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
      else if (ss_imap_node_is_atom (attr, "\\Sent"))
        folder->sent = TRUE;
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
  g_autoptr(GPtrArray) folders = NULL;
  gboolean extended = ss_imap_client_has_capability (self, "SPECIAL-USE") &&
                      ss_imap_client_has_capability (self, "LIST-EXTENDED");

  g_return_val_if_fail (SS_IS_IMAP_CLIENT (self), NULL);

  folders = g_ptr_array_new_with_free_func ((GDestroyNotify) ss_imap_folder_free);
  if (!_ss_imap_client_run_command (self, list_cb, folders, cancellable, error, "%s",
                                    extended ? "LIST \"\" \"*\" RETURN (SPECIAL-USE)"
                                             : "LIST \"\" \"*\""))
    return NULL;
  return g_steal_pointer (&folders);
}

/* "VERB folder", folder in the user form. */
static gboolean
folder_command (SsImapClient  *self,
                const char    *verb,
                const char    *folder,
                GCancellable  *cancellable,
                GError       **error)
{
  g_autofree char *wire = _ss_imap_client_wire_mailbox (self, folder, error);

  return wire != NULL &&
         _ss_imap_client_run_command (self, NULL, NULL, cancellable, error, "%s %s", verb, wire);
}

gboolean
ss_imap_client_create (SsImapClient  *self,
                       const char    *folder,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!folder_command (self, "CREATE", folder, cancellable, &local_error))
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
  folder_command (self, "SUBSCRIBE", folder, cancellable, NULL);
  return self->curl != NULL || (g_set_error (error, SS_IMAP_ERROR, SS_IMAP_ERROR_CONNECT,
                                             "Connection lost"), FALSE);
}

static gboolean
open_folder (SsImapClient  *self,
             const char    *verb,
             const char    *folder,
             SsImapMailbox *out,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autofree char *wire = _ss_imap_client_wire_mailbox (self, folder, error);
  g_autoptr(GError) local_error = NULL;

  if (wire == NULL)
    return FALSE;
  g_clear_pointer (&self->selected, g_free);
  memset (&self->mailbox, 0, sizeof self->mailbox);
  if (!_ss_imap_client_run_command (self, NULL, NULL, cancellable, &local_error, "%s %s", verb, wire))
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

gboolean
ss_imap_client_select (SsImapClient  *self,
                       const char    *folder,
                       SsImapMailbox *out,
                       GCancellable  *cancellable,
                       GError       **error)
{
  return open_folder (self, "SELECT", folder, out, cancellable, error);
}

gboolean
ss_imap_client_examine (SsImapClient  *self,
                        const char    *folder,
                        SsImapMailbox *out,
                        GCancellable  *cancellable,
                        GError       **error)
{
  return open_folder (self, "EXAMINE", folder, out, cancellable, error);
}

/* ---------------------------------------------------------------------------------------- */
/* Status, NOOP                                                                             */

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
  g_autofree char *wire = _ss_imap_client_wire_mailbox (self, folder, error);

  *uidnext = 0;
  if (wire == NULL)
    return FALSE;
  return _ss_imap_client_run_command (self, status_cb, uidnext, cancellable, error,
                                      "STATUS %s (UIDNEXT)", wire);
}

gboolean
ss_imap_client_noop (SsImapClient  *self,
                     GCancellable  *cancellable,
                     GError       **error)
{
  return _ss_imap_client_run_command (self, NULL, NULL, cancellable, error, "NOOP");
}

void
ss_imap_folder_free (SsImapFolder *folder)
{
  if (folder == NULL)
    return;
  g_free (folder->name);
  g_free (folder);
}
