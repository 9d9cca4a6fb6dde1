/* fake-spamd.c: a stand-in for spamd that answers at once, so that a benchmark measures only
 * IMAP and the engine. Speaks just enough of the SPAMC protocol:
 *   PING            -> "SPAMD/1.5 0 PONG\r\n"
 *   anything else   -> reads the request to EOF (or to its Content-length), then
 *                      "SPAMD/1.1 0 EX_OK\r\nSpam: False ; 0.0 / 5.0\r\n\r\n"
 *                      (TELL also gets "DidSet: local")
 * and closes the connection. One thread per connection.
 * Usage: fake-spamd PORT   (listens on 127.0.0.1; PORT 0 = any, printed as "PORT=N")
 * Build: cc -O2 -pthread -o fake-spamd fake-spamd.c */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEAD_MAX 8192

static int
write_all (int fd, const char *buf, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, buf, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return -1;
      buf += n;
      len -= (size_t) n;
    }
  return 0;
}

/* Content-length of the header block, or -1. */
static long
content_length (const char *head)
{
  const char *p = head;

  while ((p = strchr (p, '\n')) != NULL)
    {
      p++;
      if (strncasecmp (p, "Content-length:", 15) == 0)
        return strtol (p + 15, NULL, 10);
    }
  return -1;
}

static void *
serve (void *data)
{
  int fd = (int) (long) data;
  char head[HEAD_MAX + 1];
  char buf[65536];
  size_t have = 0;
  char *end = NULL;
  long body_left;
  const char *reply;

  /* The header block, up to the blank line */
  while (end == NULL && have < HEAD_MAX)
    {
      ssize_t n = read (fd, head + have, HEAD_MAX - have);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      have += (size_t) n;
      head[have] = '\0';
      end = strstr (head, "\r\n\r\n");
      /* PING has no body and its client may wait for us before closing */
      if (end == NULL && strncmp (head, "PING ", 5) == 0 && strstr (head, "\r\n") != NULL
          && have >= 2 && head[have - 2] == '\r' && head[have - 1] == '\n')
        break;
    }
  head[have] = '\0';
  if (strncmp (head, "PING ", 5) == 0)
    {
      write_all (fd, "SPAMD/1.5 0 PONG\r\n", 18);
      close (fd);
      return NULL;
    }
  /* The body: to Content-length, or to EOF when there is none */
  body_left = content_length (head);
  if (end != NULL && body_left >= 0)
    body_left -= (long) (have - (size_t) (end + 4 - head));
  while (body_left != 0)
    {
      ssize_t n = read (fd, buf, sizeof buf);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      if (body_left > 0)
        body_left = body_left > n ? body_left - n : 0;
    }
  if (strncmp (head, "TELL ", 5) == 0)
    reply = "SPAMD/1.1 0 EX_OK\r\nDidSet: local\r\n\r\n";
  else
    reply = "SPAMD/1.1 0 EX_OK\r\nSpam: False ; 0.0 / 5.0\r\n\r\n";
  write_all (fd, reply, strlen (reply));
  close (fd);
  return NULL;
}

int
main (int argc, char *argv[])
{
  struct sockaddr_in addr = { .sin_family = AF_INET };
  socklen_t len = sizeof addr;
  pthread_attr_t attr;
  int one = 1;
  int lfd;

  if (argc != 2)
    {
      fprintf (stderr, "usage: %s PORT\n", argv[0]);
      return 2;
    }
  signal (SIGPIPE, SIG_IGN);
  addr.sin_port = htons ((unsigned short) atoi (argv[1]));
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  lfd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  setsockopt (lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (lfd < 0 || bind (lfd, (struct sockaddr *) &addr, sizeof addr) != 0
      || listen (lfd, 128) != 0 || getsockname (lfd, (struct sockaddr *) &addr, &len) != 0)
    {
      perror ("fake-spamd");
      return 1;
    }
  printf ("PORT=%u\n", ntohs (addr.sin_port));
  fflush (stdout);
  pthread_attr_init (&attr);
  pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize (&attr, 256 * 1024);
  for (;;)
    {
      pthread_t thread;
      int fd = accept4 (lfd, NULL, NULL, SOCK_CLOEXEC);

      if (fd < 0)
        {
          if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE)
            continue;
          perror ("accept");
          return 1;
        }
      setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (pthread_create (&thread, &attr, serve, (void *) (long) fd) != 0)
        close (fd);
    }
}
