/* ss-test-process.c: the harness's common ground: users, files, child processes (spawned
 * with a log file, optionally as nobody, killed with their group), readiness probes, ports
 * and temporary directories. */
#define G_LOG_DOMAIN "ss-test-servers"

#include "config.h"

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw */
#endif

#include "ss-test-servers.h"
#include "ss-harness-private.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib/gstdio.h>

/* ---------------------------------------------------------------------------------------- */
/* Files and users */

gboolean
ss_harness_lookup_user (const char *name,
                        uid_t      *uid,
                        gid_t      *gid,
                        GError    **error)
{
  struct passwd pwd, *result = NULL;
  char buf[4096];
  int err = getpwnam_r (name, &pwd, buf, sizeof buf, &result);

  if (result == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no user %s: %s", name,
                   err != 0 ? g_strerror (err) : "not found");
      return FALSE;
    }
  *uid = pwd.pw_uid;
  *gid = pwd.pw_gid;
  return TRUE;
}

char *
ss_harness_current_group_name (void)
{
  struct group grp, *result = NULL;
  char buf[4096];

  if (getgrgid_r (getgid (), &grp, buf, sizeof buf, &result) != 0 || result == NULL)
    return g_strdup_printf ("%u", (guint) getgid ());
  return g_strdup (grp.gr_name);
}

char *
ss_harness_current_user_name (void)
{
  struct passwd pwd, *result = NULL;
  char buf[4096];

  if (getpwuid_r (getuid (), &pwd, buf, sizeof buf, &result) != 0 || result == NULL)
    return g_strdup (g_get_user_name ());
  return g_strdup (pwd.pw_name);
}

/* The first of names that exists (dovecot's own users are not everywhere). */
const char *
ss_harness_first_user (const char * const *names)
{
  uid_t uid;
  gid_t gid;

  for (guint i = 0; names[i + 1] != NULL; i++)
    if (ss_harness_lookup_user (names[i], &uid, &gid, NULL))
      return names[i];
  return names[g_strv_length ((char **) names) - 1];
}

gboolean
ss_harness_make_dirs (const char *path,
                      GError    **error)
{
  if (g_mkdir_with_parents (path, 0700) != 0)
    {
      int err = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "mkdir %s: %s", path,
                   g_strerror (err));
      return FALSE;
    }
  return TRUE;
}

gboolean
ss_harness_write_file (const char *path,
                       const char *text,
                       int         mode,
                       GError    **error)
{
  return g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_NONE, mode, error);
}

/* nftw() has no user data: look the owner up for each entry (a few dozen files). */
static int
chown_nobody_entry (const char        *path,
                    const struct stat *st,
                    int                flag,
                    struct FTW        *ftw)
{
  uid_t uid;
  gid_t gid;

  if (!ss_harness_lookup_user (UNPRIVILEGED_USER, &uid, &gid, NULL))
    return -1;
  return lchown (path, uid, gid) == 0 ? 0 : -1;
}

gboolean
ss_harness_chown_tree_to_nobody (const char *path,
                                 GError    **error)
{
  if (nftw (path, chown_nobody_entry, 32, FTW_PHYS) != 0)
    {
      int err = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "chown %s: %s", path,
                   g_strerror (err));
      return FALSE;
    }
  return TRUE;
}

static int
remove_entry (const char        *path,
              const struct stat *st,
              int                flag,
              struct FTW        *ftw)
{
  remove (path);
  return 0;
}

static char *
read_tail (const char *path,
           gsize       max)
{
  g_autofree char *text = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &text, &len, NULL))
    return g_strdup ("(no log)");
  if (len <= max)
    return g_steal_pointer (&text);
  return g_strdup_printf ("...%s", text + len - max);
}

gboolean
ss_harness_file_contains (const char *path,
                          const char *needle)
{
  g_autofree char *text = NULL;

  return g_file_get_contents (path, &text, NULL, NULL) && strstr (text, needle) != NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* Processes */

static void
child_setup (gpointer user_data)
{
  const RunAs *run_as = user_data;

  if (run_as->drop
      && (setgroups (0, NULL) != 0 || setgid (run_as->gid) != 0 || setuid (run_as->uid) != 0))
    _exit (126);
  if (run_as->new_group)
    setpgid (0, 0);
  /* Die with the test process, even when it crashes (after setuid: that clears it) */
  if (!run_as->outlive_thread)
    prctl (PR_SET_PDEATHSIG, SIGTERM);
  if (getppid () != run_as->parent)
    _exit (125);
}

GSubprocess *
ss_harness_spawn (const char * const *argv,
                  const char         *log_file,
                  RunAs              *run_as,
                  const char * const *env,
                  GError            **error)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  int fd = g_open (log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

  if (fd < 0)
    {
      int err = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "open %s: %s", log_file,
                   g_strerror (err));
      return NULL;
    }
  g_subprocess_launcher_take_stdout_fd (launcher, fd);
  g_subprocess_launcher_take_stderr_fd (launcher, fcntl (fd, F_DUPFD_CLOEXEC, 0));
  for (guint i = 0; env != NULL && env[i] != NULL; i += 2)
    g_subprocess_launcher_setenv (launcher, env[i], env[i + 1], TRUE);
  run_as->parent = getpid ();
  g_subprocess_launcher_set_child_setup (launcher, child_setup, run_as, NULL);
  return g_subprocess_launcher_spawnv (launcher, argv, error);
}

/* Runs a short helper program to completion; its output goes into the error message. */
gboolean
ss_harness_run_program (const char * const *argv,
                        RunAs              *run_as,
                        char              **out_stdout,
                        GError            **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  if (run_as != NULL)
    {
      run_as->parent = getpid ();
      g_subprocess_launcher_set_child_setup (launcher, child_setup, run_as, NULL);
    }
  process = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (process == NULL || !g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, error))
    return FALSE;
  if (!g_subprocess_get_successful (process))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s failed: %s%s", argv[0], out, err);
      return FALSE;
    }
  if (out_stdout != NULL)
    *out_stdout = g_steal_pointer (&out);
  return TRUE;
}

static gboolean
process_running (GSubprocess *process)
{
  return process != NULL && g_subprocess_get_identifier (process) != NULL;
}

/* GSubprocess notices the exit in GLib's worker thread: no main loop is needed. */
static gboolean
wait_exit (GSubprocess *process,
           guint        timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (process_running (process))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (10 * 1000);
    }
  return TRUE;
}

void
ss_harness_terminate (GSubprocess *process)
{
  if (process == NULL)
    return;
  if (process_running (process))
    g_subprocess_send_signal (process, SIGTERM);
  if (!wait_exit (process, STOP_MS))
    {
      g_warning ("pid %s ignored SIGTERM, killing it", g_subprocess_get_identifier (process));
      g_subprocess_force_exit (process);
      g_subprocess_wait (process, NULL, NULL);
    }
}

static char *
describe_exit (GSubprocess *process)
{
  if (g_subprocess_get_if_signaled (process))
    return g_strdup_printf ("killed by signal %d", g_subprocess_get_term_sig (process));
  return g_strdup_printf ("exited with status %d", g_subprocess_get_exit_status (process));
}


/* Probes every interval_ms until it succeeds, the process exits or time runs out. */
gboolean
ss_harness_wait_ready (GSubprocess *process,
                       ProbeFunc    probe,
                       guint16      port,
                       guint        timeout_ms,
                       guint        interval_ms,
                       GError     **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      g_autoptr(GError) last = NULL;

      if (probe (port, &last))
        return TRUE;
      if (!process_running (process))
        {
          g_autofree char *how = describe_exit (process);

          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "it %s", how);
          return FALSE;
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "not ready after %u ms: %s",
                       timeout_ms, last->message);
          return FALSE;
        }
      g_usleep (interval_ms * 1000);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Sockets */

static GSocketConnection *
connect_local (guint16  port,
               GError **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string ("127.0.0.1", port);

  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, 5);
  return g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, error);
}

/* Reads until EOF, a CRLF (when stop_at_line) or max bytes. */
static char *
read_reply (GSocketConnection *connection,
            gboolean           stop_at_line,
            gsize              max,
            GError           **error)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  g_autoptr(GString) reply = g_string_new (NULL);
  char buf[512];

  while (reply->len < max && !(stop_at_line && strstr (reply->str, "\r\n") != NULL))
    {
      gssize n = g_input_stream_read (in, buf, sizeof buf, NULL, error);

      if (n < 0)
        return NULL;
      if (n == 0)
        break;
      g_string_append_len (reply, buf, n);
    }
  return g_string_free (g_steal_pointer (&reply), FALSE);
}

gboolean
ss_harness_probe_tcp (guint16  port,
                      GError **error)
{
  g_autoptr(GSocketConnection) connection = connect_local (port, error);

  return connection != NULL;
}

gboolean
ss_harness_probe_imap_greeting (guint16  port,
                                GError **error)
{
  g_autoptr(GSocketConnection) connection = connect_local (port, error);
  g_autofree char *greeting = NULL;

  if (connection == NULL)
    return FALSE;
  g_socket_set_timeout (g_socket_connection_get_socket (connection), 5);
  greeting = read_reply (connection, TRUE, 4096, error);
  if (greeting == NULL)
    return FALSE;
  if (!g_str_has_prefix (greeting, "* OK"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "bad IMAP greeting: %s", greeting);
      return FALSE;
    }
  return TRUE;
}

gboolean
ss_harness_probe_spamd_ping (guint16  port,
                             GError **error)
{
  static const char ping[] = "PING SPAMC/1.5\r\n\r\n";
  g_autoptr(GSocketConnection) connection = connect_local (port, error);
  g_autofree char *reply = NULL;
  GOutputStream *out;

  if (connection == NULL)
    return FALSE;
  g_socket_set_timeout (g_socket_connection_get_socket (connection), 10);
  out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  if (!g_output_stream_write_all (out, ping, strlen (ping), NULL, NULL, error))
    return FALSE;
  reply = read_reply (connection, FALSE, 4096, error);
  if (reply == NULL)
    return FALSE;
  if (!g_str_has_prefix (reply, "SPAMD/1.5 0 PONG"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "bad PING reply: %s", reply);
      return FALSE;
    }
  return TRUE;
}

/* Waits until nothing accepts on port (spamd's children may outlive the parent briefly). */
void
ss_harness_wait_port_closed (guint16 port)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) STOP_MS * 1000;

  while (ss_harness_probe_tcp (port, NULL))
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_warning ("port %u still accepts connections", port);
          return;
        }
      g_usleep (20 * 1000);
    }
}

/* Kills a process and every process in its group at once (dovecot's master, asked with
 * SIGTERM, always sleeps a second before it exits). */
void
ss_harness_kill_group (GSubprocess *process,
                       guint16      port)
{
  const char *id = process != NULL ? g_subprocess_get_identifier (process) : NULL;

  if (id == NULL)
    return;
  kill (-(pid_t) g_ascii_strtoll (id, NULL, 10), SIGKILL);
  g_subprocess_wait (process, NULL, NULL);
  ss_harness_wait_port_closed (port);
}

guint16
ss_test_pick_free_port (GError **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) bound = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                         error);
  if (socket == NULL || !g_socket_bind (socket, any, FALSE, error))
    return 0;
  bound = g_socket_get_local_address (socket, error);
  if (bound == NULL)
    return 0;
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

void
ss_harness_prefix_with_log (GError    **error,
                            const char *what,
                            const char *log_file,
                            const char *extra_file)
{
  g_autofree char *log = read_tail (log_file, LOG_TAIL_BYTES);
  g_autofree char *extra = extra_file != NULL ? read_tail (extra_file, LOG_TAIL_BYTES) : NULL;

  g_prefix_error (error, "%s: ", what);
  if (error != NULL && *error != NULL)
    {
      char *message = g_strdup_printf ("%s\n--- %s ---\n%s%s%s", (*error)->message, log_file,
                                       log, extra != NULL ? "\n--- stdout/stderr ---\n" : "",
                                       extra != NULL ? extra : "");

      g_free ((*error)->message);
      (*error)->message = message;
    }
}

char *
ss_test_mkdtemp (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("spamsieve-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
ss_test_rmrf (const char *path)
{
  /* a server that just stopped may still be writing: try a few times */
  for (guint attempt = 0; attempt < 5 && g_file_test (path, G_FILE_TEST_EXISTS); attempt++)
    {
      if (attempt > 0)
        g_usleep (50 * 1000);
      nftw (path, remove_entry, 32, FTW_DEPTH | FTW_PHYS);
    }
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    g_warning ("could not remove %s", path);
}
