/* ss-fault-proxy.c: a fault-injecting TCP proxy (see ss-fault-proxy.h).
 *
 * One thread, one poll() loop over the listener, a wake pipe and both sockets of every
 * connection. Each direction has one buffer: a side is read only when the buffer for its
 * bytes is empty, and never beyond a planned fault offset, so a fault fires exactly when
 * the bytes before it have been written to the other side. */
#define G_LOG_DOMAIN "ss-fault-proxy"
#define _GNU_SOURCE   /* accept4, pipe2, POLLRDHUP */

#include "config.h"

#include "ss-fault-proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

#define BUF_SIZE  (16 * 1024)

/* Side of a connection: bytes read from side s travel in direction s (0 = to the server,
 * 1 = to the client), matching SsFaultDirection. */
enum { CLIENT = 0, SERVER = 1 };

typedef struct
{
  guint      id;
  int        fd[2];
  guint8     buf[2][BUF_SIZE];   /* buf[s]: read from side s, to be written to side !s */
  gsize      len[2];
  gsize      pos[2];
  guint64    forwarded[2];       /* written to the other side, per direction */
  gboolean   eof[2];             /* side s will send nothing more */
  gboolean   shut[2];            /* SHUT_WR sent to side s */
  gboolean   has_fault;
  gboolean   fired;
  SsFault    fault;              /* fault.pattern: owned copy, or NULL */
  gboolean   armed;              /* the offset is known (no pattern, or it was seen) */
  char       tail[64];           /* the last bytes read in the fault's direction */
  gsize      tail_len;
  gboolean   stalled;
  gint64     stall_until;        /* monotonic µs */
  gboolean   stall_ends;         /* resumes at stall_until, else torn down then */
  gboolean   hup_ignored[2];     /* a half-close seen during the stall, not polled again */
} Conn;

struct _SsFaultProxy
{
  char          *name;
  int            listen_fd;
  int            wake[2];
  guint16        port;
  GThread       *thread;

  GMutex         mutex;          /* everything below */
  guint16        target_port;
  GQueue         planned;        /* SsFault* */
  gboolean       random_on;
  SsFaultRandom  random;
  GRand         *rand;
  gboolean       refusing;
  gboolean       half_close;     /* clients half-close (spamd): their FIN is not a close */
  guint          stall_limit_ms;
  gboolean       cut_all;
  gboolean       quit;
  SsFaultProxyStats stats;
  guint          n_open;
};

static void
wake_up (SsFaultProxy *self)
{
  char c = 1;

  while (write (self->wake[1], &c, 1) < 0 && errno == EINTR)
    ;
}

static void
set_nonblocking (int fd)
{
  int flags = fcntl (fd, F_GETFL);

  fcntl (fd, F_SETFL, flags | O_NONBLOCK);
}

static void
conn_close (Conn *c)
{
  for (guint s = 0; s < 2; s++)
    if (c->fd[s] >= 0)
      {
        close (c->fd[s]);
        c->fd[s] = -1;
      }
}

static void
conn_free (Conn *c)
{
  conn_close (c);
  g_free ((char *) c->fault.pattern);
  g_free (c);
}

static void
fault_free (SsFault *fault)
{
  g_free ((char *) fault->pattern);
  g_free (fault);
}

/* The fault for a new connection (called with the mutex held). */
static void
plan_fault (SsFaultProxy *self,
            Conn         *c)
{
  SsFault *planned = g_queue_pop_head (&self->planned);
  const SsFaultRandom *r = &self->random;

  if (planned != NULL)
    {
      c->fault = *planned;        /* takes the pattern */
      c->has_fault = TRUE;
      c->armed = c->fault.pattern == NULL;
      g_free (planned);
      return;
    }
  if (!self->random_on || g_rand_int_range (self->rand, 0, 100) >= (gint32) r->probability_percent)
    return;
  c->has_fault = TRUE;
  c->fault.direction = g_rand_int_range (self->rand, 0, 100) < (gint32) r->to_client_percent
                       ? SS_FAULT_TO_CLIENT : SS_FAULT_TO_SERVER;
  c->fault.offset = (guint64) (g_rand_double (self->rand) *
                               (double) (c->fault.direction == SS_FAULT_TO_CLIENT
                                         ? r->max_offset_to_client : r->max_offset_to_server));
  c->fault.kind = g_rand_int_range (self->rand, 0, 100) < (gint32) r->stall_percent
                  ? SS_FAULT_STALL : SS_FAULT_CUT;
  c->fault.stall_ms = 0;
  c->armed = TRUE;
  if (c->fault.kind == SS_FAULT_STALL && r->short_stall_max_ms > 0 &&
      g_rand_int_range (self->rand, 0, 100) < (gint32) r->short_stall_percent)
    c->fault.stall_ms = (guint) g_rand_int_range (self->rand, 1,
                                                  (gint32) r->short_stall_max_ms + 1);
}

static int
connect_upstream (guint16 port)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = g_htons (port),
                              .sin_addr.s_addr = g_htonl (INADDR_LOOPBACK) };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;

  if (fd < 0)
    return -1;
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    {
      close (fd);
      return -1;
    }
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  set_nonblocking (fd);
  return fd;
}

static void
accept_one (SsFaultProxy *self,
            GPtrArray    *conns)
{
  int fd = accept4 (self->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  int one = 1;
  guint16 target;
  gboolean refusing;
  Conn *c;

  if (fd < 0)
    return;
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  g_mutex_lock (&self->mutex);
  target = self->target_port;
  refusing = self->refusing;
  self->stats.connections++;
  g_mutex_unlock (&self->mutex);

  c = g_new0 (Conn, 1);
  c->fd[CLIENT] = fd;
  c->fd[SERVER] = refusing ? -1 : connect_upstream (target);
  if (c->fd[SERVER] < 0)
    {
      g_mutex_lock (&self->mutex);
      self->stats.upstream_failures++;
      g_mutex_unlock (&self->mutex);
      close (fd);
      conn_free (c);
      return;
    }
  g_mutex_lock (&self->mutex);
  c->id = self->stats.connections;
  plan_fault (self, c);
  self->n_open++;
  g_mutex_unlock (&self->mutex);
  if (c->has_fault)
    g_debug ("%s #%u: %s %s at byte %" G_GUINT64_FORMAT "%s%s (stall %u ms)", self->name,
             c->id, c->fault.kind == SS_FAULT_CUT ? "cut" : "stall",
             c->fault.direction == SS_FAULT_TO_CLIENT ? "to client" : "to server",
             c->fault.offset, c->fault.pattern != NULL ? " after " : "",
             c->fault.pattern != NULL ? c->fault.pattern : "", c->fault.stall_ms);
  g_ptr_array_add (conns, c);
}

/* Fires the planned fault once its offset is reached. FALSE: the connection was cut. */
static gboolean
check_fault (SsFaultProxy *self,
             Conn         *c)
{
  guint d;

  if (!c->has_fault || c->fired || !c->armed)
    return TRUE;
  d = c->fault.direction;
  if (c->forwarded[d] < c->fault.offset)
    return TRUE;
  c->fired = TRUE;
  g_mutex_lock (&self->mutex);
  if (c->fault.kind == SS_FAULT_CUT)
    self->stats.cuts++;
  else
    {
      self->stats.stalls++;
      if (c->fault.stall_ms > 0)
        self->stats.short_stalls++;
    }
  g_mutex_unlock (&self->mutex);
  if (c->fault.kind == SS_FAULT_CUT)
    {
      conn_close (c);
      return FALSE;
    }
  c->stalled = TRUE;
  c->stall_ends = c->fault.stall_ms > 0;
  g_mutex_lock (&self->mutex);
  c->stall_until = g_get_monotonic_time () +
                   (gint64) (c->stall_ends ? c->fault.stall_ms : self->stall_limit_ms) * 1000;
  g_mutex_unlock (&self->mutex);
  return TRUE;
}

static gboolean
fault_pending (Conn *c,
               guint s)
{
  return c->has_fault && !c->fired && c->fault.direction == s;
}

/* A pattern fault: looks for the pattern in the bytes just read (after the tail of the
 * previous read); once found, the fault's offset becomes absolute. */
static void
scan_pattern (Conn *c,
              guint s)
{
  gsize plen = strlen (c->fault.pattern);
  g_autofree char *joined = g_malloc (c->tail_len + c->len[s]);
  gsize jlen = c->tail_len + c->len[s];
  guint64 start = c->forwarded[s] - c->tail_len;   /* stream offset of joined[0] */
  gsize keep;

  memcpy (joined, c->tail, c->tail_len);
  memcpy (joined + c->tail_len, c->buf[s], c->len[s]);
  for (gsize i = 0; i + plen <= jlen; i++)
    if (memcmp (joined + i, c->fault.pattern, plen) == 0)
      {
        c->armed = TRUE;
        c->fault.offset = MAX (start + i + c->fault.offset, c->forwarded[s]);
        return;
      }
  keep = MIN (jlen, MIN (plen - 1, sizeof c->tail));
  memcpy (c->tail, joined + jlen - keep, keep);
  c->tail_len = keep;
}

/* Reads from side s into its (empty) buffer, at most up to an armed fault's offset. */
static gboolean
read_side (Conn *c,
           guint s)
{
  gsize want = BUF_SIZE;
  gssize n;

  if (fault_pending (c, s) && c->armed)
    want = (gsize) MIN ((guint64) want, c->fault.offset - c->forwarded[s]);
  if (want == 0)
    return TRUE;
  n = recv (c->fd[s], c->buf[s], want, 0);
  if (n < 0)
    return errno == EAGAIN || errno == EINTR;
  if (n == 0)
    {
      c->eof[s] = TRUE;
      return TRUE;
    }
  c->len[s] = (gsize) n;
  c->pos[s] = 0;
  if (fault_pending (c, s) && !c->armed)
    scan_pattern (c, s);
  return TRUE;
}

/* Writes buffered bytes of direction s to side !s. */
static gboolean
write_side (SsFaultProxy *self,
            Conn         *c,
            guint         s)
{
  gsize want = c->len[s] - c->pos[s];
  gssize n;

  /* Never past an armed fault (a pattern found inside this buffer). */
  if (fault_pending (c, s) && c->armed)
    want = (gsize) MIN ((guint64) want, c->fault.offset - c->forwarded[s]);
  if (want == 0)
    return TRUE;
  n = send (c->fd[!s], c->buf[s] + c->pos[s], want, MSG_NOSIGNAL);
  if (n < 0)
    return errno == EAGAIN || errno == EINTR;
  c->pos[s] += (gsize) n;
  c->forwarded[s] += (guint64) n;
  g_mutex_lock (&self->mutex);
  if (s == CLIENT)
    self->stats.bytes_to_server += (guint64) n;
  else
    self->stats.bytes_to_client += (guint64) n;
  g_mutex_unlock (&self->mutex);
  if (c->pos[s] == c->len[s])
    c->len[s] = c->pos[s] = 0;
  return TRUE;
}

/* One connection after poll; FALSE when it is finished (closed). */
static gboolean
service (SsFaultProxy  *self,
         Conn          *c,
         struct pollfd *pfd)
{
  if (c->stalled)
    {
      gboolean half_close;

      if (c->fd[SERVER] >= 0 && (pfd[SERVER].revents & (POLLHUP | POLLERR)))
        {
          /* The server is gone (it answered and closed): what it sent is lost. */
          close (c->fd[SERVER]);
          c->fd[SERVER] = -1;
        }
      if (g_get_monotonic_time () >= c->stall_until)
        {
          if (!c->stall_ends || c->fd[SERVER] < 0)
            return FALSE;    /* the client gave up long ago, or there is no server left */
          c->stalled = FALSE;
        }
      else
        {
          g_mutex_lock (&self->mutex);
          half_close = self->half_close;
          g_mutex_unlock (&self->mutex);
          if ((pfd[CLIENT].revents & (POLLHUP | POLLERR)) ||
              ((pfd[CLIENT].revents & POLLRDHUP) && !half_close))
            return FALSE;    /* the client gave up: so does the server's side */
          /* A server's FIN, or a client's half-close, must not end the stall: only the
           * client's timeout may. Stop polling for it (it stays readable). */
          for (guint s = 0; s < 2; s++)
            if (pfd[s].revents & POLLRDHUP)
              c->hup_ignored[s] = TRUE;
          return TRUE;
        }
    }

  for (guint s = 0; s < 2; s++)
    {
      if ((pfd[!s].revents & (POLLOUT | POLLERR | POLLHUP)) && c->len[s] > c->pos[s] &&
          !write_side (self, c, s))
        return FALSE;
      if (!check_fault (self, c))
        return FALSE;
      if (c->stalled)
        return TRUE;
      if ((pfd[s].revents & (POLLIN | POLLERR | POLLHUP | POLLRDHUP)) && c->len[s] == 0 &&
          !c->eof[s] && !read_side (c, s))
        return FALSE;
      /* Try to pass it on at once; what remains waits for POLLOUT. */
      if (c->len[s] > c->pos[s] && !write_side (self, c, s))
        return FALSE;
      if (!check_fault (self, c))
        return FALSE;
      if (c->stalled)
        return TRUE;
      if (c->eof[s] && c->len[s] == 0 && !c->shut[!s])
        {
          shutdown (c->fd[!s], SHUT_WR);
          c->shut[!s] = TRUE;
        }
    }
  /* A side done both ways would only report POLLHUP from now on. */
  for (guint s = 0; s < 2; s++)
    if (c->eof[s] && c->shut[s] && c->fd[s] >= 0)
      {
        close (c->fd[s]);
        c->fd[s] = -1;
      }
  return !(c->eof[CLIENT] && c->eof[SERVER] && c->len[CLIENT] == 0 && c->len[SERVER] == 0);
}

static short
events_for (Conn *c,
            guint s)
{
  short events = 0;

  if (c->stalled)
    return c->hup_ignored[s] || c->eof[s] ? 0 : POLLRDHUP;
  if (c->len[s] == 0 && !c->eof[s])
    events |= POLLIN;
  if (c->len[!s] > c->pos[!s])
    events |= POLLOUT;
  return events;
}

static gpointer
proxy_thread (gpointer data)
{
  SsFaultProxy *self = data;
  g_autoptr(GPtrArray) conns = g_ptr_array_new ();
  g_autofree struct pollfd *pfds = NULL;
  guint n_alloc = 0;

  for (;;)
    {
      gboolean quit, cut_all;
      gint64 now = g_get_monotonic_time ();
      gint64 next = -1;
      guint n = 2;
      int timeout;

      g_mutex_lock (&self->mutex);
      quit = self->quit;
      cut_all = self->cut_all;
      self->cut_all = FALSE;
      g_mutex_unlock (&self->mutex);
      if (quit || cut_all)
        {
          for (guint i = 0; i < conns->len; i++)
            {
              conn_free (g_ptr_array_index (conns, i));
            }
          g_ptr_array_set_size (conns, 0);
          g_mutex_lock (&self->mutex);
          self->n_open = 0;
          g_mutex_unlock (&self->mutex);
          if (quit)
            return NULL;
        }

      if (n_alloc < 2 + 2 * conns->len)
        {
          n_alloc = 2 + 2 * conns->len + 16;
          pfds = g_renew (struct pollfd, pfds, n_alloc);
        }
      pfds[0] = (struct pollfd) { .fd = self->wake[0], .events = POLLIN };
      pfds[1] = (struct pollfd) { .fd = self->listen_fd, .events = POLLIN };
      for (guint i = 0; i < conns->len; i++)
        {
          Conn *c = g_ptr_array_index (conns, i);

          for (guint s = 0; s < 2; s++)
            pfds[n++] = (struct pollfd) { .fd = c->fd[s], .events = events_for (c, s) };
          if (c->stalled)
            next = next < 0 ? c->stall_until : MIN (next, c->stall_until);
        }
      timeout = next < 0 ? -1 : (int) MAX ((next - now + 999) / 1000, 0);
      if (poll (pfds, n, timeout) < 0 && errno != EINTR)
        g_error ("poll: %s", g_strerror (errno));

      if (pfds[0].revents & POLLIN)
        {
          char drain[64];
          while (read (self->wake[0], drain, sizeof drain) > 0)
            ;
        }
      for (guint i = 0, k = 2; i < conns->len; i++, k += 2)
        {
          Conn *c = g_ptr_array_index (conns, i);

          if (!service (self, c, &pfds[k]))
            {
              conn_free (c);
              g_ptr_array_index (conns, i) = NULL;
            }
        }
      for (guint i = 0; i < conns->len; i++)
        if (g_ptr_array_index (conns, i) == NULL)
          {
            g_ptr_array_remove_index (conns, i--);
            g_mutex_lock (&self->mutex);
            self->n_open--;
            g_mutex_unlock (&self->mutex);
          }
      if (pfds[1].revents & POLLIN)
        accept_one (self, conns);
      /* An offset of 0 fires before any byte moves. */
      for (guint i = 0; i < conns->len; i++)
        {
          Conn *c = g_ptr_array_index (conns, i);

          if (!check_fault (self, c))
            {
              conn_free (c);
              g_ptr_array_remove_index (conns, i--);
              g_mutex_lock (&self->mutex);
              self->n_open--;
              g_mutex_unlock (&self->mutex);
            }
        }
    }
}

SsFaultProxy *
ss_fault_proxy_new (const char  *name,
                    guint16      target_port,
                    GError     **error)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = 0,
                              .sin_addr.s_addr = g_htonl (INADDR_LOOPBACK) };
  socklen_t addr_len = sizeof addr;
  SsFaultProxy *self = g_new0 (SsFaultProxy, 1);
  int one = 1;

  self->name = g_strdup (name);
  self->target_port = target_port;
  self->stall_limit_ms = 30000;
  self->rand = g_rand_new_with_seed (0);
  g_mutex_init (&self->mutex);
  g_queue_init (&self->planned);
  self->listen_fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (self->listen_fd < 0 ||
      setsockopt (self->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind (self->listen_fd, (struct sockaddr *) &addr, sizeof addr) != 0 ||
      listen (self->listen_fd, 64) != 0 ||
      getsockname (self->listen_fd, (struct sockaddr *) &addr, &addr_len) != 0 ||
      pipe2 (self->wake, O_NONBLOCK | O_CLOEXEC) != 0)
    {
      int err = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "fault proxy %s: %s",
                   name, g_strerror (err));
      if (self->listen_fd >= 0)
        close (self->listen_fd);
      g_rand_free (self->rand);
      g_mutex_clear (&self->mutex);
      g_free (self->name);
      g_free (self);
      return NULL;
    }
  self->port = g_ntohs (addr.sin_port);
  self->thread = g_thread_new ("fault-proxy", proxy_thread, self);
  return self;
}

void
ss_fault_proxy_free (SsFaultProxy *self)
{
  if (self == NULL)
    return;
  g_mutex_lock (&self->mutex);
  self->quit = TRUE;
  g_mutex_unlock (&self->mutex);
  wake_up (self);
  g_thread_join (self->thread);
  close (self->listen_fd);
  close (self->wake[0]);
  close (self->wake[1]);
  g_queue_clear_full (&self->planned, (GDestroyNotify) fault_free);
  g_rand_free (self->rand);
  g_mutex_clear (&self->mutex);
  g_free (self->name);
  g_free (self);
}

guint16
ss_fault_proxy_get_port (SsFaultProxy *self)
{
  return self->port;
}

void
ss_fault_proxy_set_target (SsFaultProxy *self,
                           guint16       target_port)
{
  g_mutex_lock (&self->mutex);
  self->target_port = target_port;
  g_mutex_unlock (&self->mutex);
}

void
ss_fault_proxy_plan (SsFaultProxy  *self,
                     const SsFault *fault)
{
  SsFault *copy = g_memdup2 (fault, sizeof *fault);

  g_return_if_fail (fault->pattern == NULL ||
                    (*fault->pattern != '\0' && strlen (fault->pattern) < 64));
  copy->pattern = g_strdup (fault->pattern);
  g_mutex_lock (&self->mutex);
  g_queue_push_tail (&self->planned, copy);
  g_mutex_unlock (&self->mutex);
}

void
ss_fault_proxy_set_random (SsFaultProxy        *self,
                           const SsFaultRandom *random,
                           guint32              seed)
{
  g_mutex_lock (&self->mutex);
  self->random_on = random != NULL;
  if (random != NULL)
    {
      self->random = *random;
      g_rand_set_seed (self->rand, seed);
    }
  g_mutex_unlock (&self->mutex);
}

void
ss_fault_proxy_cut_all (SsFaultProxy *self)
{
  g_mutex_lock (&self->mutex);
  self->cut_all = TRUE;
  g_mutex_unlock (&self->mutex);
  wake_up (self);
}

void
ss_fault_proxy_set_refusing (SsFaultProxy *self,
                             gboolean      refusing)
{
  g_mutex_lock (&self->mutex);
  self->refusing = refusing;
  g_mutex_unlock (&self->mutex);
}

void
ss_fault_proxy_set_half_close (SsFaultProxy *self,
                               gboolean      half_close,
                               guint         stall_limit_ms)
{
  g_mutex_lock (&self->mutex);
  self->half_close = half_close;
  self->stall_limit_ms = stall_limit_ms > 0 ? stall_limit_ms : 30000;
  g_mutex_unlock (&self->mutex);
}

void
ss_fault_proxy_get_stats (SsFaultProxy      *self,
                          SsFaultProxyStats *stats)
{
  g_mutex_lock (&self->mutex);
  *stats = self->stats;
  g_mutex_unlock (&self->mutex);
}

guint
ss_fault_proxy_count_open (SsFaultProxy *self)
{
  guint n;

  g_mutex_lock (&self->mutex);
  n = self->n_open;
  g_mutex_unlock (&self->mutex);
  return n;
}
