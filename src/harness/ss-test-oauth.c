/* ss-test-oauth.c: a token-introspection endpoint (RFC 7662 style) for dovecot's oauth2
 * passdb: POST token=... is answered {"active":true,"username":"tester"} for a token in the
 * valid set, {"active":false} otherwise. One thread accepts and answers, one request per
 * connection (Connection: close). */
#define G_LOG_DOMAIN "ss-test-servers"

#include "config.h"

#include "ss-harness-private.h"

#include <string.h>

#define REQUEST_MAX 16384

struct _SsTestOAuth
{
  GSocketListener *listener;
  GCancellable    *cancellable;
  GThread         *thread;
  guint16          port;
  char            *user;
  GMutex           lock;
  GHashTable      *valid;       /* token -> token (lock) */
  guint            n_requests;  /* (lock) */
  guint            n_active;    /* answered active (lock) */
};

/* The value of "token" in a form-encoded body, or NULL. */
static char *
form_token (const char *body)
{
  g_auto(GStrv) pairs = g_strsplit (body, "&", -1);

  for (guint i = 0; pairs[i] != NULL; i++)
    if (g_str_has_prefix (pairs[i], "token="))
      {
        g_strdelimit (pairs[i], "+", ' ');
        return g_uri_unescape_string (pairs[i] + 6, NULL);
      }
  return NULL;
}

static gssize
content_length (const char *head)
{
  for (const char *p = head; (p = strchr (p, '\n')) != NULL; )
    {
      p++;
      if (g_ascii_strncasecmp (p, "Content-Length:", 15) == 0)
        return (gssize) g_ascii_strtoll (p + 15, NULL, 10);
    }
  return 0;
}

static void
serve (SsTestOAuth       *self,
       GSocketConnection *connection)
{
  GSocket *socket = g_socket_connection_get_socket (connection);
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  char buf[REQUEST_MAX + 1];
  gsize have = 0;
  char *end = NULL;
  g_autofree char *token = NULL;
  g_autofree char *body = NULL;
  g_autofree char *reply = NULL;
  gboolean active;

  g_socket_set_timeout (socket, 10);
  for (;;)
    {
      gssize n;

      if (end != NULL && have - (gsize) (end + 4 - buf) >= (gsize) content_length (buf))
        break;
      if (have >= REQUEST_MAX)
        return;
      n = g_socket_receive (socket, buf + have, REQUEST_MAX - have, self->cancellable, NULL);
      if (n <= 0)
        return;
      have += (gsize) n;
      buf[have] = '\0';
      end = strstr (buf, "\r\n\r\n");
    }
  token = form_token (end + 4);
  g_mutex_lock (&self->lock);
  active = token != NULL && g_hash_table_contains (self->valid, token);
  self->n_requests++;
  if (active)
    self->n_active++;
  g_mutex_unlock (&self->lock);
  if (active)
    body = g_strdup_printf ("{\"active\": true, \"username\": \"%s\"}", self->user);
  else
    body = g_strdup ("{\"active\": false}");
  reply = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                           "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                           strlen (body), body);
  g_output_stream_write_all (out, reply, strlen (reply), NULL, self->cancellable, NULL);
}

static gpointer
accept_thread (gpointer data)
{
  SsTestOAuth *self = data;

  while (!g_cancellable_is_cancelled (self->cancellable))
    {
      g_autoptr(GSocketConnection) connection =
        g_socket_listener_accept (self->listener, NULL, self->cancellable, NULL);

      if (connection == NULL)
        continue;
      serve (self, connection);
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
    }
  return NULL;
}

SsTestOAuth *
ss_test_oauth_start (const char  *user,
                     GError     **error)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  SsTestOAuth *self = g_new0 (SsTestOAuth, 1);

  self->user = g_strdup (user);
  self->valid = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_mutex_init (&self->lock);
  self->cancellable = g_cancellable_new ();
  self->listener = g_socket_listener_new ();
  if (!g_socket_listener_add_address (self->listener, address, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &bound, error))
    {
      ss_test_oauth_stop (self);
      return NULL;
    }
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  self->thread = g_thread_new ("test-oauth", accept_thread, self);
  return self;
}

void
ss_test_oauth_stop (SsTestOAuth *self)
{
  if (self == NULL)
    return;
  g_cancellable_cancel (self->cancellable);
  if (self->thread != NULL)
    g_thread_join (self->thread);
  g_socket_listener_close (self->listener);
  g_clear_object (&self->listener);
  g_clear_object (&self->cancellable);
  g_hash_table_unref (self->valid);
  g_mutex_clear (&self->lock);
  g_free (self->user);
  g_free (self);
}

guint16
ss_test_oauth_get_port (SsTestOAuth *self)
{
  return self->port;
}

void
ss_test_oauth_set_tokens (SsTestOAuth        *self,
                          const char * const *tokens)
{
  g_mutex_lock (&self->lock);
  g_hash_table_remove_all (self->valid);
  for (guint i = 0; tokens != NULL && tokens[i] != NULL; i++)
    g_hash_table_add (self->valid, g_strdup (tokens[i]));
  g_mutex_unlock (&self->lock);
}

guint
ss_test_oauth_get_requests (SsTestOAuth *self,
                            guint       *n_active)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->n_requests;
  if (n_active != NULL)
    *n_active = self->n_active;
  g_mutex_unlock (&self->lock);
  return n;
}
