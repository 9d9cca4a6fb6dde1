/* ss-test-fake-spamd.c: a stand-in spamd. One thread accepts; each connection is served on a
 * thread of a pool (the engine scans several messages at once); freeing cancels them all. */
#define G_LOG_DOMAIN "ss-test-servers"

#include "config.h"

#include "ss-test-fake-spamd.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#define HEAD_MAX        8192
#define IO_TIMEOUT_S    20
#define LISTEN_BACKLOG  128

struct _SsTestFakeSpamd
{
  SsTestFakeSpamdMode mode;
  GBytes             *reply;
  GSocketListener    *listener;
  GCancellable       *cancellable;
  GThread            *accept_thread;
  GThreadPool        *pool;
  char               *address;
  guint16             port;
  guint               n_requests;  /* atomic */
  guint               n_tell_spam; /* atomic: TELLs with Message-class: spam */
  guint               n_tell_ham;  /* atomic */
  gint                refuse_tell; /* atomic */
  GMutex              lock;
  GByteArray         *request;     /* the last request read to EOF (lock) */
  GPtrArray          *held;        /* stalled connections (accept thread only) */
};

static const char * const mode_names[] = {
  [SS_TEST_FAKE_SPAMD_HAM] = "ham",
  [SS_TEST_FAKE_SPAMD_NO_VERDICT] = "no-verdict",
  [SS_TEST_FAKE_SPAMD_STALL] = "stall",
  [SS_TEST_FAKE_SPAMD_CLOSE] = "close",
};

gboolean
ss_test_fake_spamd_mode_from_name (const char          *name,
                                   SsTestFakeSpamdMode *mode)
{
  for (guint i = 0; i < G_N_ELEMENTS (mode_names); i++)
    if (mode_names[i] != NULL && g_strcmp0 (name, mode_names[i]) == 0)
      {
        *mode = i;
        return TRUE;
      }
  return FALSE;
}

static void
send_text (SsTestFakeSpamd   *self,
           GSocketConnection *connection,
           const char        *text,
           gsize              len)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));

  g_output_stream_write_all (out, text, len, NULL, self->cancellable, NULL);
}

/* Content-length of a header block, or -1. */
static gssize
content_length (const char *head)
{
  const char *p = head;

  while ((p = strchr (p, '\n')) != NULL)
    {
      p++;
      if (g_ascii_strncasecmp (p, "Content-length:", 15) == 0)
        return (gssize) g_ascii_strtoll (p + 15, NULL, 10);
    }
  return -1;
}

/* HAM and NO_VERDICT: the header block (or a whole PING line), then the body to its
 * Content-length or to EOF, then one answer. */
static void
serve_by_rule (SsTestFakeSpamd   *self,
               GSocketConnection *connection)
{
  GSocket *socket = g_socket_connection_get_socket (connection);
  char head[HEAD_MAX + 1];
  char buf[65536];
  gsize have = 0;
  char *end = NULL;
  gssize body_left;
  gssize n;
  const char *reply;

  while (end == NULL && have < HEAD_MAX)
    {
      n = g_socket_receive (socket, head + have, HEAD_MAX - have, self->cancellable, NULL);
      if (n <= 0)
        break;
      have += (gsize) n;
      head[have] = '\0';
      end = strstr (head, "\r\n\r\n");
      /* PING has no body and its client may wait for us before closing */
      if (end == NULL && g_str_has_prefix (head, "PING ") && g_str_has_suffix (head, "\r\n"))
        break;
    }
  head[have] = '\0';
  if (g_str_has_prefix (head, "PING "))
    {
      send_text (self, connection, "SPAMD/1.5 0 PONG\r\n", 18);
      return;
    }
  body_left = content_length (head);
  if (end != NULL && body_left >= 0)
    body_left -= (gssize) (have - (gsize) (end + 4 - head));
  while (body_left != 0)
    {
      n = g_socket_receive (socket, buf, sizeof buf, self->cancellable, NULL);
      if (n <= 0)
        break;
      if (body_left > 0)
        body_left = body_left > n ? body_left - n : 0;
    }
  if (self->mode == SS_TEST_FAKE_SPAMD_NO_VERDICT)
    reply = "SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\n\r\n";
  else if (g_str_has_prefix (head, "TELL ") && g_atomic_int_get (&self->refuse_tell))
    reply = "SPAMD/1.0 69 Service Unavailable: TELL commands are not enabled, set the "
            "--allow-tell switch.\r\n";
  else if (g_str_has_prefix (head, "TELL "))
    {
      reply = "SPAMD/1.1 0 EX_OK\r\nDidSet: local\r\n\r\n";
      if (strstr (head, "Message-class: spam") != NULL)
        g_atomic_int_inc (&self->n_tell_spam);
      else if (strstr (head, "Message-class: ham") != NULL)
        g_atomic_int_inc (&self->n_tell_ham);
    }
  else if (self->mode == SS_TEST_FAKE_SPAMD_SCORE && self->reply != NULL)
    {
      send_text (self, connection, g_bytes_get_data (self->reply, NULL),
                 g_bytes_get_size (self->reply));
      return;
    }
  else
    reply = "SPAMD/1.1 0 EX_OK\r\nSpam: False ; 0.0 / 5.0\r\n\r\n";
  send_text (self, connection, reply, strlen (reply));
}

/* REPLY: keeps the request when the client half-closed; REPLY_AT_ONCE does not read. */
static void
serve_reply (SsTestFakeSpamd   *self,
             GSocketConnection *connection)
{
  GSocket *socket = g_socket_connection_get_socket (connection);
  g_autoptr(GByteArray) request = g_byte_array_new ();
  guint8 buf[65536];
  gssize n;

  if (self->mode == SS_TEST_FAKE_SPAMD_REPLY)
    {
      while ((n = g_socket_receive (socket, (char *) buf, sizeof buf, self->cancellable,
                                    NULL)) > 0)
        g_byte_array_append (request, buf, (guint) n);
      g_mutex_lock (&self->lock);
      g_clear_pointer (&self->request, g_byte_array_unref);
      self->request = n == 0 ? g_byte_array_ref (request) : NULL;
      g_mutex_unlock (&self->lock);
    }
  if (self->reply != NULL)
    send_text (self, connection, g_bytes_get_data (self->reply, NULL),
               g_bytes_get_size (self->reply));
}

static void
serve (gpointer data,
       gpointer user_data)
{
  g_autoptr(GSocketConnection) connection = data;
  SsTestFakeSpamd *self = user_data;
  GSocket *socket = g_socket_connection_get_socket (connection);

  g_socket_set_timeout (socket, IO_TIMEOUT_S);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  if (self->mode == SS_TEST_FAKE_SPAMD_HAM || self->mode == SS_TEST_FAKE_SPAMD_NO_VERDICT ||
      self->mode == SS_TEST_FAKE_SPAMD_SCORE)
    serve_by_rule (self, connection);
  else
    serve_reply (self, connection);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
}

static gpointer
accept_thread (gpointer data)
{
  SsTestFakeSpamd *self = data;

  for (;;)
    {
      g_autoptr(GSocketConnection) connection = NULL;

      connection = g_socket_listener_accept (self->listener, NULL, self->cancellable, NULL);
      if (connection == NULL)
        {
          if (g_cancellable_is_cancelled (self->cancellable))
            return NULL;
          g_usleep (10 * 1000);  /* EMFILE and the like: try again */
          continue;
        }
      g_atomic_int_inc (&self->n_requests);
      if (self->mode == SS_TEST_FAKE_SPAMD_STALL)
        g_ptr_array_add (self->held, g_steal_pointer (&connection));
      else if (self->mode != SS_TEST_FAKE_SPAMD_CLOSE)
        g_thread_pool_push (self->pool, g_steal_pointer (&connection), NULL);
    }
}

SsTestFakeSpamd *
ss_test_fake_spamd_new_full (SsTestFakeSpamdMode   mode,
                             guint16               port,
                             GBytes               *reply,
                             GError              **error)
{
  g_autoptr(SsTestFakeSpamd) self = g_new0 (SsTestFakeSpamd, 1);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string ("127.0.0.1", port);
  g_autoptr(GSocketAddress) effective = NULL;

  self->mode = mode;
  self->reply = reply != NULL ? g_bytes_ref (reply) : NULL;
  self->cancellable = g_cancellable_new ();
  self->held = g_ptr_array_new_with_free_func (g_object_unref);
  g_mutex_init (&self->lock);
  self->listener = g_socket_listener_new ();
  g_socket_listener_set_backlog (self->listener, LISTEN_BACKLOG);
  if (!g_socket_listener_add_address (self->listener, address, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &effective, error))
    return NULL;
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  self->address = g_strdup_printf ("127.0.0.1:%u", self->port);
  self->pool = g_thread_pool_new (serve, self, -1, FALSE, error);
  if (self->pool == NULL)
    return NULL;
  self->accept_thread = g_thread_new ("fake-spamd", accept_thread, self);
  return g_steal_pointer (&self);
}

SsTestFakeSpamd *
ss_test_fake_spamd_new (SsTestFakeSpamdMode   mode,
                        GError              **error)
{
  return ss_test_fake_spamd_new_full (mode, 0, NULL, error);
}

void
ss_test_fake_spamd_free (SsTestFakeSpamd *self)
{
  if (self == NULL)
    return;
  g_cancellable_cancel (self->cancellable);
  if (self->accept_thread != NULL)
    g_thread_join (self->accept_thread);
  if (self->pool != NULL)
    g_thread_pool_free (self->pool, FALSE, TRUE);
  g_socket_listener_close (self->listener);
  g_object_unref (self->listener);
  g_object_unref (self->cancellable);
  g_ptr_array_unref (self->held);
  g_clear_pointer (&self->request, g_byte_array_unref);
  g_clear_pointer (&self->reply, g_bytes_unref);
  g_mutex_clear (&self->lock);
  g_free (self->address);
  g_free (self);
}

guint16
ss_test_fake_spamd_get_port (SsTestFakeSpamd *self)
{
  return self->port;
}

const char *
ss_test_fake_spamd_get_address (SsTestFakeSpamd *self)
{
  return self->address;
}

void
ss_test_fake_spamd_set_refuse_tell (SsTestFakeSpamd *self,
                                    gboolean         refuse)
{
  g_atomic_int_set (&self->refuse_tell, refuse ? 1 : 0);
}

void
ss_test_fake_spamd_get_n_tells (SsTestFakeSpamd *self,
                                guint           *n_spam,
                                guint           *n_ham)
{
  *n_spam = (guint) g_atomic_int_get (&self->n_tell_spam);
  *n_ham = (guint) g_atomic_int_get (&self->n_tell_ham);
}

guint
ss_test_fake_spamd_get_n_requests (SsTestFakeSpamd *self)
{
  return (guint) g_atomic_int_get (&self->n_requests);
}

char *
ss_test_fake_spamd_dup_last_request (SsTestFakeSpamd *self)
{
  char *text = NULL;

  g_mutex_lock (&self->lock);
  if (self->request != NULL)
    text = g_strndup ((const char *) self->request->data, self->request->len);
  g_mutex_unlock (&self->lock);
  return text;
}
