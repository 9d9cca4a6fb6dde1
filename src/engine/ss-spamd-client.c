#define G_LOG_DOMAIN "ss-spamd-client"

#include "config.h"

#include "ss-spamd-client.h"

#include <string.h>
#include <gio/gunixsocketaddress.h>

#include "ss-error.h"

#define DEFAULT_TIMEOUT_MS 30000
#define MAX_REPLY          (1024 * 1024)  /* SYMBOLS, TELL, PING replies */
#define MAX_USER_LEN       64
#define READ_CHUNK         16384
#define EX_UNAVAILABLE     69

/* Immutable after construction: shared by every thread without locking. */
struct _SsSpamdClient
{
  GObject         parent_instance;

  char           *address;     /* as given */
  char           *user;        /* sanitized to [-A-Za-z0-9_] */
  guint           timeout_ms;
  GSocketAddress *sockaddr;    /* numeric host or Unix path: resolved once */
  char           *hostname;    /* a DNS name: resolved per request */
  guint16         port;
};

G_DEFINE_FINAL_TYPE (SsSpamdClient, ss_spamd_client, G_TYPE_OBJECT)

/* The state of one request, on the caller's stack. */
typedef struct
{
  SsSpamdClient *client;
  GCancellable  *cancellable;
  gint64         deadline;     /* g_get_monotonic_time () units */
  const char    *command;
} Request;

static void
ss_spamd_client_finalize (GObject *object)
{
  SsSpamdClient *self = SS_SPAMD_CLIENT (object);

  g_free (self->address);
  g_free (self->user);
  g_free (self->hostname);
  g_clear_object (&self->sockaddr);

  G_OBJECT_CLASS (ss_spamd_client_parent_class)->finalize (object);
}

static void
ss_spamd_client_class_init (SsSpamdClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ss_spamd_client_finalize;
}

static void
ss_spamd_client_init (SsSpamdClient *self)
{
}

/* ---- construction ---------------------------------------------------------------------- */

static gboolean
config_error (GError     **error,
              const char  *address,
              const char  *why)
{
  g_set_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG,
               "Invalid spamd address “%s”: %s (expected host:port, [IPv6]:port or "
               "unix:/path)", address, why);
  return FALSE;
}

static gboolean
parse_port (const char *s,
            guint16    *out)
{
  guint64 v = 0;

  if (*s == '\0' || strspn (s, "0123456789") != strlen (s) ||
      !g_ascii_string_to_unsigned (s, 10, 1, 65535, &v, NULL))
    return FALSE;
  *out = (guint16) v;
  return TRUE;
}

static gboolean
parse_unix_address (SsSpamdClient  *self,
                    const char     *path,
                    GError        **error)
{
  if (!g_path_is_absolute (path))
    return config_error (error, self->address, "the socket path must be absolute");
  if (strlen (path) >= 108)
    return config_error (error, self->address, "the socket path is too long");
  self->sockaddr = g_unix_socket_address_new (path);
  return TRUE;
}

static gboolean
is_hostname (const char *host)
{
  for (const char *p = host; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.' && *p != '_')
      return FALSE;
  return *host != '\0' && strlen (host) <= 253;
}

/* host:port or [v6]:port. Numeric hosts become a socket address now. */
static gboolean
parse_inet_address (SsSpamdClient  *self,
                    const char     *address,
                    GError        **error)
{
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  const char *colon;

  if (address[0] == '[')
    {
      const char *close = strchr (address, ']');

      if (close == NULL || close[1] != ':')
        return config_error (error, address, "unterminated [IPv6] address or missing port");
      host = g_strndup (address + 1, (gsize) (close - address - 1));
      colon = close + 1;
      inet = g_inet_address_new_from_string (host);
      if (inet == NULL || g_inet_address_get_family (inet) != G_SOCKET_FAMILY_IPV6)
        return config_error (error, address, "not an IPv6 address between the brackets");
    }
  else
    {
      colon = strrchr (address, ':');
      if (colon == NULL)
        return config_error (error, address, "missing port");
      host = g_strndup (address, (gsize) (colon - address));
      if (strchr (host, ':') != NULL)
        return config_error (error, address, "IPv6 addresses must be written [addr]:port");
      inet = g_inet_address_new_from_string (host);
      if (inet == NULL && !is_hostname (host))
        return config_error (error, address, "bad host name");
    }

  if (!parse_port (colon + 1, &self->port))
    return config_error (error, address, "the port must be a number from 1 to 65535");
  if (inet != NULL)
    self->sockaddr = g_inet_socket_address_new (inet, self->port);
  else
    self->hostname = g_steal_pointer (&host);
  return TRUE;
}

/* spamd's User: header, restricted like a login name. */
static char *
sanitize_user (const char *user)
{
  GString *out = g_string_new (NULL);

  if (user == NULL || *user == '\0')
    user = g_get_user_name ();
  for (const char *p = user; *p != '\0' && out->len < MAX_USER_LEN; p++)
    g_string_append_c (out, g_ascii_isalnum (*p) || *p == '-' || *p == '_' ? *p : '_');
  if (out->len == 0)
    g_string_append (out, "nobody");
  return g_string_free (out, FALSE);
}

SsSpamdClient *
ss_spamd_client_new (const char  *address,
                     const char  *user,
                     guint        timeout_ms,
                     GError     **error)
{
  g_autoptr(SsSpamdClient) self = NULL;

  g_return_val_if_fail (address != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (SS_TYPE_SPAMD_CLIENT, NULL);
  self->address = g_strdup (address);
  self->user = sanitize_user (user);
  self->timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;

  if (g_str_has_prefix (address, "unix:"))
    {
      if (!parse_unix_address (self, address + 5, error))
        return NULL;
    }
  else if (!parse_inet_address (self, address, error))
    return NULL;

  return g_steal_pointer (&self);
}

const char *
ss_spamd_client_get_address (SsSpamdClient *self)
{
  g_return_val_if_fail (SS_IS_SPAMD_CLIENT (self), NULL);

  return self->address;
}

/* ---- I/O helpers ------------------------------------------------------------------------ */

static gboolean
timeout_error (Request  *req,
               GError  **error)
{
  g_set_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_TIMEOUT,
               "spamd at %s did not complete %s within %u ms", req->client->address,
               req->command, req->client->timeout_ms);
  return FALSE;
}

/* Turns a GIO error into SS_SPAMD_ERROR_CONNECT or _TIMEOUT; cancellation stays as is. */
static gboolean
io_error (Request     *req,
          GError      *local,
          const char  *what,
          GError     **error)
{
  if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, local);
  else if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      g_error_free (local);
      timeout_error (req, error);
    }
  else
    {
      g_set_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_CONNECT, "spamd at %s: %s: %s",
                   req->client->address, what, local->message);
      g_error_free (local);
    }
  return FALSE;
}

/* Waits for condition until the request deadline. */
static gboolean
wait_for (Request      *req,
          GSocket      *sock,
          GIOCondition  condition,
          GError      **error)
{
  gint64 remaining = req->deadline - g_get_monotonic_time ();

  if (remaining <= 0)
    return timeout_error (req, error);
  return g_socket_condition_timed_wait (sock, condition, remaining, req->cancellable, error);
}

/* ---- name resolution with a deadline ---------------------------------------------------- */

typedef struct
{
  GList    *addresses;
  GError   *error;
  gboolean  done;
} Lookup;

static void
lookup_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Lookup *lookup = user_data;

  lookup->addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result,
                                                        &lookup->error);
  lookup->done = TRUE;
}

static gboolean
lookup_expired (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_REMOVE;
}

static void
forward_cancel (GCancellable *cancellable,
                gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

/* GResolver has no timeout in GLib 2.74: run the lookup on a private context and cancel it
 * at the deadline (the threaded resolver returns at once on cancellation). */
static GList *
resolve_host (Request  *req,
              GError  **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GCancellable) inner = g_cancellable_new ();
  g_autoptr(GResolver) resolver = g_resolver_get_default ();
  g_autoptr(GSource) timer = NULL;
  gint64 remaining = req->deadline - g_get_monotonic_time ();
  Lookup lookup = { NULL, NULL, FALSE };
  gulong handler = 0;

  if (remaining <= 0)
    {
      timeout_error (req, error);
      return NULL;
    }

  g_main_context_push_thread_default (context);
  if (req->cancellable != NULL)
    handler = g_cancellable_connect (req->cancellable, G_CALLBACK (forward_cancel), inner, NULL);
  timer = g_timeout_source_new ((guint) ((remaining + 999) / 1000));
  g_source_set_callback (timer, lookup_expired, inner, NULL);
  g_source_attach (timer, context);
  g_resolver_lookup_by_name_async (resolver, req->client->hostname, inner, lookup_done, &lookup);
  while (!lookup.done)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timer);
  g_cancellable_disconnect (req->cancellable, handler);
  g_main_context_pop_thread_default (context);

  if (lookup.error == NULL)
    return lookup.addresses;
  if (g_cancellable_set_error_if_cancelled (req->cancellable, error))
    g_clear_error (&lookup.error);
  else if (g_cancellable_is_cancelled (inner))
    {
      g_clear_error (&lookup.error);
      timeout_error (req, error);
    }
  else
    io_error (req, g_steal_pointer (&lookup.error), "cannot resolve host", error);
  return NULL;
}

/* ---- connect ---------------------------------------------------------------------------- */

static GSocket *
connect_one (Request         *req,
             GSocketAddress  *address,
             GError         **error)
{
  g_autoptr(GSocket) sock = NULL;
  g_autoptr(GError) local = NULL;

  sock = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                       G_SOCKET_PROTOCOL_DEFAULT, error);
  if (sock == NULL)
    return NULL;
  g_socket_set_blocking (sock, FALSE);

  /* A Unix socket with a full backlog says EAGAIN: retry until the deadline. */
  while (!g_socket_connect (sock, address, req->cancellable, &local))
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_PENDING))
        {
          g_clear_error (&local);
          if (wait_for (req, sock, G_IO_OUT, &local) &&
              g_socket_check_connect_result (sock, &local))
            break;
          io_error (req, g_steal_pointer (&local), "cannot connect", error);
          return NULL;
        }
      if (!g_error_matches (local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK) ||
          g_get_monotonic_time () >= req->deadline)
        {
          io_error (req, g_steal_pointer (&local), "cannot connect", error);
          return NULL;
        }
      g_clear_error (&local);
      g_usleep (10 * 1000);
    }

  return g_steal_pointer (&sock);
}

static GSocket *
connect_request (Request  *req,
                 GError  **error)
{
  g_autolist(GInetAddress) addresses = NULL;
  g_autoptr(GError) last = NULL;

  if (g_cancellable_set_error_if_cancelled (req->cancellable, error))
    return NULL;
  if (req->client->sockaddr != NULL)
    return connect_one (req, req->client->sockaddr, error);

  addresses = resolve_host (req, error);
  if (addresses == NULL)
    return NULL;
  for (GList *l = addresses; l != NULL; l = l->next)
    {
      g_autoptr(GSocketAddress) address = g_inet_socket_address_new (l->data, req->client->port);
      GSocket *sock;

      g_clear_error (&last);
      sock = connect_one (req, address, &last);
      if (sock != NULL)
        return sock;
      if (!g_error_matches (last, SS_SPAMD_ERROR, SS_SPAMD_ERROR_CONNECT))
        break;  /* timeout or cancelled: no time for the next address */
    }
  g_propagate_error (error, g_steal_pointer (&last));
  return NULL;
}

/* ---- send and receive ------------------------------------------------------------------- */

/* Header and body in one writev (no copy of the body), partial writes resumed. */
static gboolean
send_request (Request   *req,
              GSocket   *sock,
              GString   *header,
              GBytes    *body,
              GError   **error)
{
  GOutputVector vectors[2] = {
    { header->str, header->len },
    { NULL, 0 },
  };
  GOutputVector *v = vectors;
  guint n = 1;

  if (body != NULL && g_bytes_get_size (body) > 0)
    {
      vectors[1].buffer = g_bytes_get_data (body, &vectors[1].size);
      n = 2;
    }

  while (n > 0)
    {
      g_autoptr(GError) local = NULL;
      gssize sent = g_socket_send_message (sock, NULL, v, (gint) n, NULL, 0, 0,
                                           req->cancellable, &local);

      if (sent < 0 && g_error_matches (local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_clear_error (&local);
          if (!wait_for (req, sock, G_IO_OUT, &local))
            return io_error (req, g_steal_pointer (&local), "sending the request", error);
          continue;
        }
      if (sent < 0)
        return io_error (req, g_steal_pointer (&local), "sending the request", error);

      while (n > 0 && (gsize) sent >= v->size)
        {
          sent -= (gssize) v->size;
          v++;
          n--;
        }
      if (n > 0)
        {
          v->buffer = (const guint8 *) v->buffer + sent;
          v->size -= (gsize) sent;
        }
    }

  return TRUE;
}

/* Reads to EOF (spamd closes after its reply) into reply, at most MAX_REPLY bytes. */
static gboolean
receive_reply (Request     *req,
               GSocket     *sock,
               GByteArray  *reply,
               GError     **error)
{
  guint8 chunk[READ_CHUNK];

  for (;;)
    {
      g_autoptr(GError) local = NULL;
      gssize got = g_socket_receive (sock, (char *) chunk, sizeof chunk, req->cancellable, &local);

      if (got < 0 && g_error_matches (local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_clear_error (&local);
          if (!wait_for (req, sock, G_IO_IN, &local))
            return io_error (req, g_steal_pointer (&local), "reading the reply", error);
          continue;
        }
      if (got < 0)
        return io_error (req, g_steal_pointer (&local), "reading the reply", error);
      if (got == 0)
        return TRUE;
      if (reply->len + (gsize) got > MAX_REPLY)
        {
          g_set_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_PROTOCOL,
                       "spamd at %s sent a reply larger than %d bytes",
                       req->client->address, MAX_REPLY);
          return FALSE;
        }
      g_byte_array_append (reply, chunk, (guint) got);
    }
}

/* ---- requests --------------------------------------------------------------------------- */

static const char *
ex_name (guint code)
{
  static const char * const names[] = {
    "EX_USAGE", "EX_DATAERR", "EX_NOINPUT", "EX_NOUSER", "EX_NOHOST", "EX_UNAVAILABLE",
    "EX_SOFTWARE", "EX_OSERR", "EX_OSFILE", "EX_CANTCREAT", "EX_IOERR", "EX_TEMPFAIL",
    "EX_PROTOCOL", "EX_NOPERM", "EX_CONFIG", "EX_TIMEOUT",
  };

  if (code >= 64 && code < 64 + G_N_ELEMENTS (names))
    return names[code - 64];
  return "unknown code";
}

static gboolean
check_reply (Request       *req,
             SsSpamdReply  *reply,
             GError       **error)
{
  g_autofree char *detail = NULL;
  const char *name;

  if (reply->version_major != 1)
    {
      g_set_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_PROTOCOL,
                   "spamd at %s speaks protocol SPAMD/%u.%u, not 1.x", req->client->address,
                   reply->version_major, reply->version_minor);
      return FALSE;
    }
  if (reply->code == 0)
    return TRUE;

  name = ex_name (reply->code);
  if (!g_str_equal (name, reply->message))
    detail = g_strdup_printf (" (%s)", reply->message);
  g_set_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_REFUSED, "spamd at %s refused %s: %u %s%s%s",
               req->client->address, req->command, reply->code, name,
               detail != NULL ? detail : "",
               g_str_equal (req->command, "TELL") && reply->code == EX_UNAVAILABLE
                 ? "; learning needs spamd started with --allow-tell" : "");
  return FALSE;
}

/* After a failed send or a reset, spamd may still have answered (it refuses some requests
 * before reading the body): only a complete error reply is believed then. */
static SsSpamdReply *
parse_after_failure (Request     *req,
                     GByteArray  *data,
                     GError      *failure,
                     GError     **error)
{
  g_autoptr(SsSpamdReply) reply = NULL;

  if (data != NULL && data->len > 0)
    reply = ss_spamd_parse_reply (data->data, data->len, FALSE, NULL);
  if (reply != NULL && reply->code != 0)
    {
      g_error_free (failure);
      check_reply (req, reply, error);
      return NULL;
    }
  g_propagate_error (error, failure);
  return NULL;
}

static SsSpamdReply *
parse_reply (Request     *req,
             GByteArray  *data,
             gboolean     is_symbols,
             GError     **error)
{
  g_autoptr(SsSpamdReply) reply = NULL;
  g_autoptr(GError) local = NULL;

  if (data->len == 0)
    {
      g_set_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_CONNECT,
                   "spamd at %s closed the connection without a reply", req->client->address);
      return NULL;
    }
  reply = ss_spamd_parse_reply (data->data, data->len, is_symbols, &local);
  if (reply == NULL)
    {
      g_set_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_PROTOCOL, "spamd at %s, %s: %s",
                   req->client->address, req->command, local->message);
      return NULL;
    }
  if (!check_reply (req, reply, error))
    return NULL;
  return g_steal_pointer (&reply);
}

/* One connection: connect, send, half-close, read to EOF, parse. */
static SsSpamdReply *
run_request (Request     *req,
             GString     *header,
             GBytes      *body,
             gboolean     is_symbols,
             GError     **error)
{
  g_autoptr(GSocket) sock = NULL;
  g_autoptr(GByteArray) data = g_byte_array_sized_new (1024);
  GError *failure = NULL;
  GError *read_failure = NULL;

  req->deadline = g_get_monotonic_time () + (gint64) req->client->timeout_ms * 1000;
  sock = connect_request (req, error);
  if (sock == NULL)
    return NULL;

  if (send_request (req, sock, header, body, &failure))
    g_socket_shutdown (sock, FALSE, TRUE, NULL);
  else if (!g_error_matches (failure, SS_SPAMD_ERROR, SS_SPAMD_ERROR_CONNECT))
    {
      g_propagate_error (error, failure);
      return NULL;
    }

  /* even after a failed send: spamd may have answered before reading the body */
  if (!receive_reply (req, sock, data, &read_failure))
    {
      if (!g_error_matches (read_failure, SS_SPAMD_ERROR, SS_SPAMD_ERROR_CONNECT))
        {
          g_clear_error (&failure);
          g_propagate_error (error, read_failure);
          return NULL;
        }
      if (failure == NULL)
        failure = read_failure;
      else
        g_clear_error (&read_failure);
    }
  g_socket_close (sock, NULL);
  if (failure != NULL)
    return parse_after_failure (req, data, failure, error);
  return parse_reply (req, data, is_symbols, error);
}

static GString *
build_header (Request    *req,
              GBytes     *body,
              const char *extra)
{
  GString *header = g_string_new (NULL);

  g_string_append_printf (header, "%s SPAMC/1.5\r\n", req->command);
  if (body != NULL)
    g_string_append_printf (header, "Content-length: %" G_GSIZE_FORMAT "\r\n",
                            g_bytes_get_size (body));
  g_string_append_printf (header, "User: %s\r\n", req->client->user);
  if (extra != NULL)
    g_string_append (header, extra);
  g_string_append (header, "\r\n");
  return header;
}

SsSpamdReply *
ss_spamd_client_symbols_sync (SsSpamdClient  *self,
                              GBytes         *message,
                              GCancellable   *cancellable,
                              GError        **error)
{
  Request req = { self, cancellable, 0, "SYMBOLS" };
  g_autoptr(GString) header = NULL;
  g_autoptr(SsSpamdReply) reply = NULL;

  g_return_val_if_fail (SS_IS_SPAMD_CLIENT (self), NULL);
  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  header = build_header (&req, message, NULL);
  reply = run_request (&req, header, message, TRUE, error);
  if (reply == NULL)
    return NULL;
  if (!reply->has_spam_header)
    {
      /* never guess a verdict */
      g_set_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_PROTOCOL,
                   "spamd at %s answered SYMBOLS without a well-formed Spam: header",
                   self->address);
      return NULL;
    }
  return g_steal_pointer (&reply);
}

gboolean
ss_spamd_client_tell_sync (SsSpamdClient  *self,
                           GBytes         *message,
                           SsSpamdClass    klass,
                           GCancellable   *cancellable,
                           GError        **error)
{
  Request req = { self, cancellable, 0, "TELL" };
  g_autoptr(GString) header = NULL;
  g_autoptr(SsSpamdReply) reply = NULL;

  g_return_val_if_fail (SS_IS_SPAMD_CLIENT (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (klass == SS_SPAMD_CLASS_SPAM || klass == SS_SPAMD_CLASS_HAM, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  header = build_header (&req, message,
                         klass == SS_SPAMD_CLASS_SPAM
                           ? "Message-class: spam\r\nSet: local\r\n"
                           : "Message-class: ham\r\nSet: local\r\n");
  reply = run_request (&req, header, message, FALSE, error);
  if (reply == NULL)
    return FALSE;

  /* spamd 4.0.1 omits DidSet when nothing changed: the message was already learned as this
   * class (or Bayes is off). Learning is idempotent, so that is a success too. */
  if (!reply->did_set_local)
    g_debug ("spamd at %s learned nothing new (already learned?)", self->address);
  return TRUE;
}

gboolean
ss_spamd_client_ping_sync (SsSpamdClient  *self,
                           GCancellable   *cancellable,
                           GError        **error)
{
  Request req = { self, cancellable, 0, "PING" };
  g_autoptr(GString) header = g_string_new ("PING SPAMC/1.5\r\n\r\n");
  g_autoptr(SsSpamdReply) reply = NULL;

  g_return_val_if_fail (SS_IS_SPAMD_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  reply = run_request (&req, header, NULL, FALSE, error);
  if (reply == NULL)
    return FALSE;
  if (!g_str_equal (reply->message, "PONG"))
    {
      g_set_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_PROTOCOL,
                   "spamd at %s answered PING with “%s”", self->address, reply->message);
      return FALSE;
    }
  return TRUE;
}
