/* ss-test-servers.c: real dovecot and spamd on loopback, in temporary directories */
#define G_LOG_DOMAIN "ss-test-servers"

#include "config.h"

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw */
#endif

#include "ss-test-servers.h"

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

#define DOVECOT_PROGRAM        "/usr/sbin/dovecot"
#define SA_LEARN_PROGRAM       "/usr/bin/sa-learn"
#define DOVECOT_START_MS       10000
#define SPAMD_START_MS         60000
#define STOP_MS                10000
#define START_ATTEMPTS         3
#define LOG_TAIL_BYTES         4000
#define UNPRIVILEGED_USER      "nobody"
#define IMAP_USER              "tester"
#define IMAP_PASSWORD          "secret"

/* Who a child process runs as; drop = setuid before exec (we are root). */
typedef struct
{
  gboolean drop;
  gboolean new_group;  /* own process group, to kill it whole */
  uid_t    uid;
  gid_t    gid;
  pid_t    parent;
} RunAs;

struct _SsTestDovecot
{
  GSubprocess *process;
  char        *dir;
  char        *maildir;
  char        *ca_file;
  char        *log_file;
  guint16      imap_port;
  guint16      imaps_port;
  char         delimiter;
  gboolean     chown_files;
  uid_t        mail_uid;
  gid_t        mail_gid;
  guint        counter;    /* makes maildir file names unique */
  char        *internal_user;
  char        *login_user;
  char        *internal_group;  /* NULL: dovecot's default */
};

struct _SsTestSpamd
{
  GSubprocess *process;
  char        *dir;
  char        *log_file;
  guint16      port;
  gboolean     allow_tell;
  RunAs        run_as;
};

/* dovecot 2.3.19's post-login capabilities with mailbox_list_index = no (which drops NOTIFY);
 * SPECIAL-USE is added when a special-use mailbox is configured */
static const char * const dovecot_capabilities[] = {
  "IMAP4rev1", "SASL-IR", "LOGIN-REFERRALS", "ID", "ENABLE", "IDLE", "SORT", "SORT=DISPLAY",
  "THREAD=REFERENCES", "THREAD=REFS", "THREAD=ORDEREDSUBJECT", "MULTIAPPEND", "URL-PARTIAL",
  "CATENATE", "UNSELECT", "CHILDREN", "NAMESPACE", "UIDPLUS", "LIST-EXTENDED", "I18NLEVEL=1",
  "CONDSTORE", "QRESYNC", "ESEARCH", "ESORT", "SEARCHRES", "WITHIN", "CONTEXT=SEARCH",
  "LIST-STATUS", "BINARY", "MOVE", "SNIPPET=FUZZY", "PREVIEW=FUZZY", "PREVIEW", "STATUS=SIZE",
  "SAVEDATE", "LITERAL+", NULL
};

/* ---------------------------------------------------------------------------------------- */
/* Files and users */

static const char *
data_dir (void)
{
  const char *dir = g_getenv ("SS_TEST_DATA");

  if (dir != NULL && *dir != '\0')
    return dir;
#ifdef SS_TEST_DATA
  return SS_TEST_DATA;
#else
  return "tests/data";
#endif
}

static gboolean
lookup_user (const char *name,
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

static char *
current_group_name (void)
{
  struct group grp, *result = NULL;
  char buf[4096];

  if (getgrgid_r (getgid (), &grp, buf, sizeof buf, &result) != 0 || result == NULL)
    return g_strdup_printf ("%u", (guint) getgid ());
  return g_strdup (grp.gr_name);
}

static char *
current_user_name (void)
{
  struct passwd pwd, *result = NULL;
  char buf[4096];

  if (getpwuid_r (getuid (), &pwd, buf, sizeof buf, &result) != 0 || result == NULL)
    return g_strdup (g_get_user_name ());
  return g_strdup (pwd.pw_name);
}

/* The first of names that exists (dovecot's own users are not everywhere). */
static const char *
first_user (const char * const *names)
{
  uid_t uid;
  gid_t gid;

  for (guint i = 0; names[i + 1] != NULL; i++)
    if (lookup_user (names[i], &uid, &gid, NULL))
      return names[i];
  return names[g_strv_length ((char **) names) - 1];
}

static gboolean
make_dirs (const char *path,
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

static gboolean
write_file (const char *path,
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

  if (!lookup_user (UNPRIVILEGED_USER, &uid, &gid, NULL))
    return -1;
  return lchown (path, uid, gid) == 0 ? 0 : -1;
}

static gboolean
chown_tree_to_nobody (const char *path,
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

static gboolean
file_contains (const char *path,
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
  prctl (PR_SET_PDEATHSIG, SIGTERM);
  if (getppid () != run_as->parent)
    _exit (125);
}

static GSubprocess *
spawn (const char * const *argv,
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
static gboolean
run_program (const char * const *argv,
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

static void
terminate (GSubprocess *process)
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

typedef gboolean (*ProbeFunc) (guint16 port, GError **error);

/* Probes every interval_ms until it succeeds, the process exits or time runs out. */
static gboolean
wait_ready (GSubprocess *process,
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

static gboolean
probe_tcp (guint16  port,
           GError **error)
{
  g_autoptr(GSocketConnection) connection = connect_local (port, error);

  return connection != NULL;
}

static gboolean
probe_imap_greeting (guint16  port,
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

static gboolean
probe_spamd_ping (guint16  port,
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
static void
wait_port_closed (guint16 port)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) STOP_MS * 1000;

  while (probe_tcp (port, NULL))
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
static void
kill_group (GSubprocess *process,
            guint16      port)
{
  const char *id = process != NULL ? g_subprocess_get_identifier (process) : NULL;

  if (id == NULL)
    return;
  kill (-(pid_t) g_ascii_strtoll (id, NULL, 10), SIGKILL);
  g_subprocess_wait (process, NULL, NULL);
  wait_port_closed (port);
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

/* ---------------------------------------------------------------------------------------- */
/* Maildir++ folder names */

static void
append_mbase64 (GString         *out,
                const gunichar2 *utf16,
                glong            n_units)
{
  g_autofree guchar *bytes = g_new (guchar, n_units * 2);
  g_autofree char *b64 = NULL;

  for (glong i = 0; i < n_units; i++)
    {
      bytes[2 * i] = utf16[i] >> 8;
      bytes[2 * i + 1] = utf16[i] & 0xff;
    }
  b64 = g_base64_encode (bytes, n_units * 2);
  g_strdelimit (b64, "/", ',');
  g_string_append_c (out, '&');
  g_string_append_len (out, b64, strcspn (b64, "="));
  g_string_append_c (out, '-');
}

static gboolean
is_mutf7_direct (gunichar c)
{
  return c >= 0x20 && c <= 0x7e;
}

/* RFC 3501 modified UTF-7, as dovecot names maildir++ folders by default. */
static void
append_mutf7 (GString    *out,
              const char *utf8)
{
  const char *p = utf8;

  while (*p != '\0')
    {
      const char *start = p;
      g_autofree gunichar2 *utf16 = NULL;
      glong n_units = 0;

      if (is_mutf7_direct (g_utf8_get_char (p)))
        {
          g_string_append (out, *p == '&' ? "&-" : (char[]) { *p, '\0' });
          p++;
          continue;
        }
      while (*p != '\0' && !is_mutf7_direct (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      utf16 = g_utf8_to_utf16 (start, p - start, NULL, &n_units, NULL);
      append_mbase64 (out, utf16, n_units);
    }
}

static gboolean
valid_component (const char *name)
{
  if (*name == '\0' || strchr (name, '.') != NULL || *name == '~')
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return FALSE;
  return TRUE;
}

/* "Spam/False Positives" -> MAILDIR/.Spam.False Positives; "INBOX" -> MAILDIR. */
static char *
folder_path (SsTestDovecot *self,
             const char    *folder,
             GError       **error)
{
  g_auto(GStrv) parts = NULL;
  g_autoptr(GString) name = g_string_new (NULL);

  if (g_ascii_strcasecmp (folder, "INBOX") == 0)
    return g_strdup (self->maildir);
  parts = g_strsplit (folder, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (!g_utf8_validate (parts[i], -1, NULL) || !valid_component (parts[i]))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "folder name not usable with maildir++: \"%s\"", folder);
          return NULL;
        }
      g_string_append_c (name, '.');
      append_mutf7 (name, parts[i]);
    }
  return g_build_filename (self->maildir, name->str, NULL);
}

static void
chown_mail (SsTestDovecot *self,
            const char    *path)
{
  if (self->chown_files && lchown (path, self->mail_uid, self->mail_gid) != 0)
    g_warning ("chown %s: %s", path, g_strerror (errno));
}

static gboolean
ensure_folder_dir (SsTestDovecot *self,
                   const char    *path,
                   GError       **error)
{
  static const char * const subdirs[] = { "cur", "new", "tmp" };
  g_autofree char *marker = g_build_filename (path, "maildirfolder", NULL);

  if (!make_dirs (path, error))
    return FALSE;
  chown_mail (self, path);
  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *sub = g_build_filename (path, subdirs[i], NULL);

      if (!make_dirs (sub, error))
        return FALSE;
      chown_mail (self, sub);
    }
  if (g_strcmp0 (path, self->maildir) != 0 && !g_file_test (marker, G_FILE_TEST_EXISTS))
    {
      if (!write_file (marker, "", 0600, error))
        return FALSE;
      chown_mail (self, marker);
    }
  return TRUE;
}

gboolean
ss_test_dovecot_create_folder (SsTestDovecot *self,
                               const char    *folder,
                               GError       **error)
{
  g_autofree char *path = folder_path (self, folder, error);

  return path != NULL && ensure_folder_dir (self, path, error);
}

gboolean
ss_test_dovecot_folder_exists (SsTestDovecot *self,
                               const char    *folder)
{
  g_autofree char *path = folder_path (self, folder, NULL);
  g_autofree char *cur = path != NULL ? g_build_filename (path, "cur", NULL) : NULL;

  return cur != NULL && g_file_test (cur, G_FILE_TEST_IS_DIR);
}

/* ---------------------------------------------------------------------------------------- */
/* Maildir messages */

/* Letters only, each once, in ASCII order (as maildir requires). */
static char *
sort_flags (const char *flags)
{
  GString *sorted = g_string_new (NULL);

  for (int c = 'A'; c <= 'z'; c++)
    if (g_ascii_isalpha (c) && flags != NULL && strchr (flags, c) != NULL)
      g_string_append_c (sorted, c);
  return g_string_free (sorted, FALSE);
}

static char *
unique_name (SsTestDovecot *self,
             gint64         seconds)
{
  g_autofree char *host = g_strdup (g_get_host_name ());
  gint64 now = g_get_real_time ();

  g_strdelimit (host, "/:.", '_');
  return g_strdup_printf ("%" G_GINT64_FORMAT ".M%06dP%dQ%uR%08x.%s", seconds,
                          (int) (now % G_USEC_PER_SEC), (int) getpid (), ++self->counter,
                          g_random_int (), host);
}

static gboolean
set_mtime (const char *path,
           gint64      seconds,
           GError    **error)
{
  struct timespec times[2] = { { seconds, 0 }, { seconds, 0 } };

  if (utimensat (AT_FDCWD, path, times, 0) != 0)
    {
      int err = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "utimensat %s: %s", path,
                   g_strerror (err));
      return FALSE;
    }
  return TRUE;
}

gboolean
ss_test_dovecot_add_message (SsTestDovecot *self,
                             const char    *folder,
                             GBytes        *message,
                             const char    *flags,
                             gint64         internal_date,
                             GError       **error)
{
  g_autofree char *dir = folder_path (self, folder, error);
  g_autofree char *sorted = sort_flags (flags);
  gint64 date = internal_date != 0 ? internal_date : g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *base = unique_name (self, date);
  g_autofree char *cur_name = g_strdup_printf ("%s:2,%s", base, sorted);
  g_autofree char *tmp_path = NULL;
  g_autofree char *cur_path = NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (message, &len);

  if (dir == NULL || !ensure_folder_dir (self, dir, error))
    return FALSE;
  tmp_path = g_build_filename (dir, "tmp", base, NULL);
  cur_path = g_build_filename (dir, "cur", cur_name, NULL);
  if (!g_file_set_contents_full (tmp_path, data, len, G_FILE_SET_CONTENTS_NONE, 0600, error)
      || !set_mtime (tmp_path, date, error))
    return FALSE;
  chown_mail (self, tmp_path);
  if (g_rename (tmp_path, cur_path) != 0)
    {
      int err = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "rename to %s: %s",
                   cur_path, g_strerror (err));
      return FALSE;
    }
  return TRUE;
}

void
ss_test_stored_message_free (SsTestStoredMessage *message)
{
  if (message == NULL)
    return;
  g_clear_pointer (&message->content, g_bytes_unref);
  g_free (message->flags);
  g_strfreev (message->keywords);
  g_free (message);
}

/* dovecot-keywords: "N name" lines; keyword N is the maildir flag letter 'a' + N. */
static GStrv
read_keyword_names (const char *folder_dir)
{
  g_autofree char *path = g_build_filename (folder_dir, "dovecot-keywords", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GStrv names = g_new0 (char *, 27);

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return names;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *end = NULL;
      guint64 index = g_ascii_strtoull (lines[i], &end, 10);

      if (end != lines[i] && *end == ' ' && index < 26 && names[index] == NULL)
        names[index] = g_strdup (end + 1);
    }
  return names;
}

static SsTestStoredMessage *
stored_message_new (GBytes     *content,
                    const char *file_name,
                    GStrv       keyword_names)
{
  SsTestStoredMessage *message = g_new0 (SsTestStoredMessage, 1);
  const char *info = g_strrstr (file_name, ":2,");
  g_autoptr(GStrvBuilder) keywords = g_strv_builder_new ();
  GString *flags = g_string_new (NULL);

  for (const char *p = info != NULL ? info + 3 : ""; *p != '\0'; p++)
    {
      if (g_ascii_isupper (*p))
        g_string_append_c (flags, *p);
      else if (g_ascii_islower (*p) && keyword_names[*p - 'a'] != NULL)
        g_strv_builder_add (keywords, keyword_names[*p - 'a']);
      else if (g_ascii_islower (*p))
        {
          g_autofree char *unknown = g_strdup_printf ("(unknown keyword %c)", *p);

          g_strv_builder_add (keywords, unknown);
        }
    }
  message->content = g_bytes_ref (content);
  message->flags = g_string_free (flags, FALSE);
  message->keywords = g_strv_builder_end (keywords);
  return message;
}

/* FALSE if a file vanished under us (dovecot renamed it): the caller lists again. */
static gboolean
list_subdir (const char *folder_dir,
             const char *sub,
             GStrv       keyword_names,
             GPtrArray  *messages)
{
  g_autofree char *path = g_build_filename (folder_dir, sub, NULL);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (path, name, NULL);
      g_autofree char *data = NULL;
      g_autoptr(GBytes) content = NULL;
      gsize len = 0;

      if (name[0] == '.')
        continue;
      if (!g_file_get_contents (file, &data, &len, NULL))
        return FALSE;
      content = g_bytes_new_take (g_steal_pointer (&data), len);
      g_ptr_array_add (messages, stored_message_new (content, name, keyword_names));
    }
  return TRUE;
}

GPtrArray *
ss_test_dovecot_list_messages (SsTestDovecot *self,
                               const char    *folder)
{
  g_autofree char *dir = folder_path (self, folder, NULL);

  for (guint attempt = 0; attempt < 10; attempt++)
    {
      g_autoptr(GPtrArray) messages = NULL;
      g_auto(GStrv) keyword_names = NULL;

      messages = g_ptr_array_new_with_free_func ((GDestroyNotify) ss_test_stored_message_free);
      if (dir == NULL)
        return g_steal_pointer (&messages);
      keyword_names = read_keyword_names (dir);
      if (list_subdir (dir, "new", keyword_names, messages)
          && list_subdir (dir, "cur", keyword_names, messages))
        return g_steal_pointer (&messages);
      g_usleep (10 * 1000);
    }
  g_error ("%s: files keep vanishing while listing", folder);
  return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* dovecot */

static void
dovecot_free (SsTestDovecot *self)
{
  if (self == NULL)
    return;
  kill_group (self->process, self->imap_port);
  g_clear_object (&self->process);
  if (self->dir != NULL)
    ss_test_rmrf (self->dir);
  g_free (self->dir);
  g_free (self->maildir);
  g_free (self->ca_file);
  g_free (self->log_file);
  g_free (self->internal_user);
  g_free (self->login_user);
  g_free (self->internal_group);
  g_free (self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsTestDovecot, dovecot_free)

static gboolean
make_certificates (const char *dir,
                   GError    **error)
{
  g_autofree char *ca_key = g_build_filename (dir, "ca.key", NULL);
  g_autofree char *ca_pem = g_build_filename (dir, "ca.pem", NULL);
  g_autofree char *key = g_build_filename (dir, "server.key", NULL);
  g_autofree char *pem = g_build_filename (dir, "server.pem", NULL);
  const char * const ca_argv[] = {
    "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
    "-nodes", "-keyout", ca_key, "-out", ca_pem, "-days", "3650",
    "-subj", "/CN=SpamSieve test CA",
    "-addext", "basicConstraints=critical,CA:TRUE",
    "-addext", "keyUsage=critical,keyCertSign,cRLSign", NULL
  };
  const char * const server_argv[] = {
    "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
    "-nodes", "-keyout", key, "-out", pem, "-days", "3650", "-subj", "/CN=localhost",
    "-CA", ca_pem, "-CAkey", ca_key,
    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
    "-addext", "basicConstraints=critical,CA:FALSE",
    "-addext", "extendedKeyUsage=serverAuth",
    "-addext", "keyUsage=critical,digitalSignature", NULL
  };

  if (!make_dirs (dir, error)
      || !run_program (ca_argv, NULL, NULL, error)
      || !run_program (server_argv, NULL, NULL, error))
    return FALSE;
  g_unlink (ca_key);
  return TRUE;
}

/* Accounts: as root, dovecot's own users and "nobody" for the mail; else all the caller. */
static gboolean
dovecot_users (SsTestDovecot *self,
               GError       **error)
{
  static const char * const internal[] = { "dovecot", UNPRIVILEGED_USER, NULL };
  static const char * const login[] = { "dovenull", UNPRIVILEGED_USER, NULL };

  if (geteuid () != 0)
    {
      self->mail_uid = getuid ();
      self->mail_gid = getgid ();
      self->internal_user = current_user_name ();
      self->login_user = current_user_name ();
      self->internal_group = current_group_name ();
      return TRUE;
    }
  self->chown_files = TRUE;
  self->internal_user = g_strdup (first_user (internal));
  self->login_user = g_strdup (first_user (login));
  return lookup_user (UNPRIVILEGED_USER, &self->mail_uid, &self->mail_gid, error);
}

static char *
capability_list (const SsTestDovecotOptions *options)
{
  g_autoptr(GString) caps = g_string_new (NULL);

  for (guint i = 0; dovecot_capabilities[i] != NULL; i++)
    {
      const char *cap = dovecot_capabilities[i];

      if ((options->no_move && strcmp (cap, "MOVE") == 0)
          || (options->no_idle && strcmp (cap, "IDLE") == 0))
        continue;
      g_string_append_printf (caps, "%s%s", caps->len > 0 ? " " : "", cap);
    }
  if (options->special_use_junk)
    g_string_append (caps, " SPECIAL-USE");
  return g_string_free (g_steal_pointer (&caps), FALSE);
}

static void
append_config_global (GString                    *conf,
                      SsTestDovecot              *self,
                      const SsTestDovecotOptions *options)
{
  g_autofree char *instance = g_path_get_basename (self->dir);

  g_string_append_printf (conf,
    "# Generated by SpamSieve's test harness (tests/ss-test-servers.c)\n"
    "protocols = imap\n"
    "listen = 127.0.0.1\n"
    "base_dir = %s/run\n"
    "state_dir = %s/state\n"
    "instance_name = %s\n"
    "log_path = %s\n"
    "info_log_path = %s\n"
    "default_internal_user = %s\n"
    "default_login_user = %s\n"
    "first_valid_uid = 1\n"
    "first_valid_gid = 1\n"
    "ssl = yes\n"
    "ssl_cert = <%s/tls/server.pem\n"
    "ssl_key = <%s/tls/server.key\n"
    "ssl_min_protocol = TLSv1.2\n"
    "disable_plaintext_auth = %s\n"
    "auth_mechanisms = plain login\n"
    "auth_verbose = yes\n"
    "auth_failure_delay = 0\n"
    "mail_location = maildir:%s\n"
    "mail_fsync = never\n"
    "mailbox_list_index = no\n" /* else LIST misses folders made by add_message */
    "mail_max_userip_connections = 100\n",
    self->dir, self->dir, instance, self->log_file, self->log_file, self->internal_user,
    self->login_user, self->dir, self->dir, options->plaintext_ok ? "no" : "yes", self->maildir);
  if (self->internal_group != NULL)
    g_string_append_printf (conf, "default_internal_group = %s\n", self->internal_group);
  if (options->no_move || options->no_idle)
    {
      g_autofree char *caps = capability_list (options);

      g_string_append_printf (conf, "imap_capability = %s\n", caps);
    }
}

/* Dovecot counts loopback as secure: %c (TLS / secured) picks passwd.TLS or a nologin file. */
static void
append_config_auth (GString                    *conf,
                    SsTestDovecot              *self,
                    const SsTestDovecotOptions *options)
{
  g_string_append_printf (conf,
    "passdb {\n"
    "  driver = passwd-file\n"
    "  args = scheme=PLAIN %s/passwd%s\n"
    "}\n"
    "userdb {\n"
    "  driver = static\n"
    "  args = uid=%u gid=%u home=%s/home allow_all_users=yes\n"
    "}\n",
    self->dir, options->plaintext_ok ? "" : ".%c", (guint) self->mail_uid,
    (guint) self->mail_gid, self->dir);
}

static void
append_config_namespace (GString                    *conf,
                         const SsTestDovecotOptions *options)
{
  g_string_append_printf (conf,
    "namespace inbox {\n"
    "  inbox = yes\n"
    "  prefix =\n"
    "  separator = %c\n"
    "%s"
    "}\n",
    options->delimiter != 0 ? options->delimiter : '/',
    options->special_use_junk ? "  mailbox Junk {\n    special_use = \\Junk\n  }\n" : "");
}

static void
append_config_services (GString *conf,
                        guint16  imap_port,
                        guint16  imaps_port)
{
  g_string_append_printf (conf,
    "service imap-login {\n"
    "  inet_listener imap {\n"
    "    address = 127.0.0.1\n"
    "    port = %u\n"
    "  }\n"
    "  inet_listener imaps {\n"
    "    address = 127.0.0.1\n"
    "    port = %u\n"
    "    ssl = yes\n"
    "  }\n"
    "%s"
    "}\n",
    imap_port, imaps_port, geteuid () == 0 ? "" : "  chroot =\n");
  /* no auth penalty: failed-login tests would wait 2, 4, 8, 15 s */
  g_string_append_printf (conf,
    "service anvil {\n"
    "  unix_listener anvil-auth-penalty {\n"
    "    mode = 0\n"
    "  }\n"
    "%s"
    "}\n",
    geteuid () == 0 ? "" : "  chroot =\n");
}

static gboolean
write_dovecot_config (SsTestDovecot              *self,
                      const SsTestDovecotOptions *options,
                      const char                 *path,
                      GError                    **error)
{
  g_autoptr(GString) conf = g_string_new (NULL);

  append_config_global (conf, self, options);
  append_config_auth (conf, self, options);
  append_config_namespace (conf, options);
  append_config_services (conf, self->imap_port, self->imaps_port);
  return write_file (path, conf->str, 0644, error);
}

static gboolean
write_passwd_files (SsTestDovecot *self,
                    GError       **error)
{
  static const char *const refused[] = { "passwd.secured", "passwd." };
  const char *ok = IMAP_USER ":{PLAIN}" IMAP_PASSWORD "::::::\n";
  const char *no = IMAP_USER ":{PLAIN}" IMAP_PASSWORD
                   "::::::nologin=y reason=Plaintext_authentication_disallowed_without_TLS\n";
  g_autofree char *plain = g_build_filename (self->dir, "passwd", NULL);
  g_autofree char *tls = g_build_filename (self->dir, "passwd.TLS", NULL);

  if (!write_file (plain, ok, 0644, error) || !write_file (tls, ok, 0644, error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *path = g_build_filename (self->dir, refused[i], NULL);

      if (!write_file (path, no, 0644, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
prepare_dovecot_dir (SsTestDovecot              *self,
                     const SsTestDovecotOptions *options,
                     GError                    **error)
{
  g_autofree char *tls = g_build_filename (self->dir, "tls", NULL);
  g_autofree char *home = g_build_filename (self->dir, "home", NULL);

  /* dovecot's unprivileged processes must reach Maildir and the sockets */
  if (geteuid () == 0 && g_chmod (self->dir, 0755) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "chmod %s failed", self->dir);
      return FALSE;
    }
  if (!dovecot_users (self, error)
      || !make_certificates (tls, error)
      || !write_passwd_files (self, error)
      || !make_dirs (home, error)
      || !ensure_folder_dir (self, self->maildir, error))
    return FALSE;
  chown_mail (self, home);
  if (!options->no_unfiltered && !ss_test_dovecot_create_folder (self, "Unfiltered", error))
    return FALSE;
  return !options->special_use_junk || ss_test_dovecot_create_folder (self, "Junk", error);
}

static gboolean
pick_two_ports (SsTestDovecot *self,
                GError       **error)
{
  do
    {
      self->imap_port = ss_test_pick_free_port (error);
      self->imaps_port = ss_test_pick_free_port (error);
    }
  while (self->imap_port != 0 && self->imap_port == self->imaps_port);
  return self->imap_port != 0 && self->imaps_port != 0;
}

/* One try on fresh ports; *retry says whether a port was taken meanwhile. */
static gboolean
launch_dovecot (SsTestDovecot              *self,
                const SsTestDovecotOptions *options,
                gboolean                   *retry,
                GError                    **error)
{
  g_autofree char *conf = g_build_filename (self->dir, "dovecot.conf", NULL);
  g_autofree char *out = g_build_filename (self->dir, "dovecot.out", NULL);
  const char * const argv[] = { DOVECOT_PROGRAM, "-F", "-c", conf, NULL };
  RunAs run_as = { .new_group = TRUE };

  *retry = FALSE;
  if (!pick_two_ports (self, error) || !write_dovecot_config (self, options, conf, error))
    return FALSE;
  self->process = spawn (argv, out, &run_as, NULL, error);
  if (self->process == NULL)
    return FALSE;
  if (wait_ready (self->process, probe_imap_greeting, self->imap_port, DOVECOT_START_MS, 10,
                  error)
      && wait_ready (self->process, probe_tcp, self->imaps_port, DOVECOT_START_MS, 10, error))
    return TRUE;
  kill_group (self->process, self->imap_port);
  g_clear_object (&self->process);
  *retry = file_contains (self->log_file, "Address already in use")
           || file_contains (out, "Address already in use");
  return FALSE;
}

static void
prefix_with_log (GError    **error,
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

SsTestDovecot *
ss_test_dovecot_start (const SsTestDovecotOptions *options,
                       GError                    **error)
{
  static const SsTestDovecotOptions defaults = { 0 };
  g_autoptr(SsTestDovecot) self = g_new0 (SsTestDovecot, 1);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *out = NULL;
  gboolean retry = TRUE;

  options = options != NULL ? options : &defaults;
  self->delimiter = options->delimiter != 0 ? options->delimiter : '/';
  g_return_val_if_fail (self->delimiter == '/' || self->delimiter == '.', NULL);
  self->dir = g_dir_make_tmp ("spamsieve-dovecot-XXXXXX", error);
  if (self->dir == NULL)
    return NULL;
  self->maildir = g_build_filename (self->dir, "Maildir", NULL);
  self->ca_file = g_build_filename (self->dir, "tls", "ca.pem", NULL);
  self->log_file = g_build_filename (self->dir, "dovecot.log", NULL);
  out = g_build_filename (self->dir, "dovecot.out", NULL);
  if (!prepare_dovecot_dir (self, options, error))
    return NULL;
  for (guint i = 0; retry && i < START_ATTEMPTS; i++)
    {
      g_clear_error (&local_error);
      if (launch_dovecot (self, options, &retry, &local_error))
        return g_steal_pointer (&self);
    }
  prefix_with_log (&local_error, "dovecot did not start", self->log_file, out);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return NULL;
}

void
ss_test_dovecot_stop (SsTestDovecot *self)
{
  dovecot_free (self);
}

guint16
ss_test_dovecot_get_imap_port (SsTestDovecot *self)
{
  return self->imap_port;
}

guint16
ss_test_dovecot_get_imaps_port (SsTestDovecot *self)
{
  return self->imaps_port;
}

const char *
ss_test_dovecot_get_ca_file (SsTestDovecot *self)
{
  return self->ca_file;
}

const char *
ss_test_dovecot_get_dir (SsTestDovecot *self)
{
  return self->dir;
}

const char *
ss_test_dovecot_get_log_file (SsTestDovecot *self)
{
  return self->log_file;
}

char
ss_test_dovecot_get_delimiter (SsTestDovecot *self)
{
  return self->delimiter;
}

/* ---------------------------------------------------------------------------------------- */
/* spamd */

static void
spamd_free (SsTestSpamd *self)
{
  if (self == NULL)
    return;
  ss_test_spamd_kill (self);
  if (self->dir != NULL)
    ss_test_rmrf (self->dir);
  g_free (self->dir);
  g_free (self->log_file);
  g_free (self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsTestSpamd, spamd_free)

/* -x: no per-user files; --cf: a private Bayes DB, no autolearn, Debian's .pre files kept. */
static GPtrArray *
spamd_argv (SsTestSpamd *self)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_strdup (SPAMD_PROGRAM));
  g_ptr_array_add (argv, g_strdup_printf ("--listen=127.0.0.1:%u", self->port));
  g_ptr_array_add (argv, g_strdup ("--local"));
  g_ptr_array_add (argv, g_strdup ("--nouser-config"));
  g_ptr_array_add (argv, g_strdup ("--max-children=10"));
  g_ptr_array_add (argv, g_strdup ("--syslog=stderr"));
  g_ptr_array_add (argv, g_strdup_printf ("--pidfile=%s/spamd.pid", self->dir));
  g_ptr_array_add (argv, g_strdup_printf ("--helper-home-dir=%s/home", self->dir));
  g_ptr_array_add (argv, g_strdup_printf ("--cf=bayes_path %s/bayes/bayes", self->dir));
  g_ptr_array_add (argv, g_strdup ("--cf=bayes_auto_learn 0"));
  g_ptr_array_add (argv, g_strdup ("--cf=lock_method flock"));
  g_ptr_array_add (argv, g_strdup ("--cf=ifplugin Mail::SpamAssassin::Plugin::AWL"));
  g_ptr_array_add (argv, g_strdup_printf ("--cf=auto_welcomelist_path %s/bayes/awl",
                                          self->dir));
  g_ptr_array_add (argv, g_strdup ("--cf=endif"));
  if (self->allow_tell)
    g_ptr_array_add (argv, g_strdup ("--allow-tell"));
  g_ptr_array_add (argv, NULL);
  return argv;
}

static gboolean
launch_spamd (SsTestSpamd *self,
              GError     **error)
{
  g_autoptr(GPtrArray) argv = spamd_argv (self);
  g_autofree char *home = g_build_filename (self->dir, "home", NULL);
  g_autofree char *tmp = g_build_filename (self->dir, "tmp", NULL);
  const char * const env[] = { "HOME", home, "TMPDIR", tmp, "LC_ALL", "C", NULL };

  self->process = spawn ((const char * const *) argv->pdata, self->log_file, &self->run_as,
                         env, error);
  if (self->process == NULL)
    return FALSE;
  if (wait_ready (self->process, probe_spamd_ping, self->port, SPAMD_START_MS, 100, error))
    return TRUE;
  ss_test_spamd_kill (self);
  return FALSE;
}

static gboolean
prepare_spamd_dir (SsTestSpamd *self,
                   GError     **error)
{
  static const char * const subdirs[] = { "home", "bayes", "tmp" };

  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *sub = g_build_filename (self->dir, subdirs[i], NULL);

      if (!make_dirs (sub, error))
        return FALSE;
    }
  if (geteuid () != 0)
    return TRUE;
  /* spamd refuses to run as root: the whole process runs as nobody, set before exec */
  self->run_as.drop = TRUE;
  return lookup_user (UNPRIVILEGED_USER, &self->run_as.uid, &self->run_as.gid, error)
         && chown_tree_to_nobody (self->dir, error);
}

SsTestSpamd *
ss_test_spamd_start (gboolean allow_tell,
                     GError **error)
{
  g_autoptr(SsTestSpamd) self = g_new0 (SsTestSpamd, 1);
  g_autoptr(GError) local_error = NULL;
  gboolean retry = TRUE;

  self->allow_tell = allow_tell;
  self->dir = g_dir_make_tmp ("spamsieve-spamd-XXXXXX", error);
  if (self->dir == NULL)
    return NULL;
  self->log_file = g_build_filename (self->dir, "spamd.log", NULL);
  if (!prepare_spamd_dir (self, error))
    return NULL;
  for (guint i = 0; retry && i < START_ATTEMPTS; i++)
    {
      g_clear_error (&local_error);
      self->port = ss_test_pick_free_port (error);
      if (self->port == 0)
        return NULL;
      if (launch_spamd (self, &local_error))
        return g_steal_pointer (&self);
      retry = file_contains (self->log_file, "Address already in use");
    }
  prefix_with_log (&local_error, "spamd did not start", self->log_file, NULL);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return NULL;
}

void
ss_test_spamd_stop (SsTestSpamd *self)
{
  spamd_free (self);
}

guint16
ss_test_spamd_get_port (SsTestSpamd *self)
{
  return self->port;
}

char *
ss_test_spamd_dup_address (SsTestSpamd *self)
{
  return g_strdup_printf ("127.0.0.1:%u", self->port);
}

const char *
ss_test_spamd_get_dir (SsTestSpamd *self)
{
  return self->dir;
}

const char *
ss_test_spamd_get_log_file (SsTestSpamd *self)
{
  return self->log_file;
}

void
ss_test_spamd_kill (SsTestSpamd *self)
{
  if (self->process == NULL)
    return;
  terminate (self->process);
  g_clear_object (&self->process);
  wait_port_closed (self->port);
}

gboolean
ss_test_spamd_restart (SsTestSpamd *self,
                       GError     **error)
{
  ss_test_spamd_kill (self);
  if (launch_spamd (self, error))
    return TRUE;
  prefix_with_log (error, "spamd did not restart", self->log_file, NULL);
  return FALSE;
}

static guint
magic_value (const char *dump,
             const char *name)
{
  g_auto(GStrv) lines = g_strsplit (dump, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = NULL;

      if (!g_str_has_suffix (lines[i], name))
        continue;
      fields = g_strsplit_set (g_strstrip (lines[i]), " \t", -1);
      for (guint j = 0, seen = 0; fields[j] != NULL; j++)
        if (*fields[j] != '\0' && ++seen == 3)
          return (guint) g_ascii_strtoull (fields[j], NULL, 10);
    }
  return 0;
}

gboolean
ss_test_spamd_get_learned (SsTestSpamd *self,
                           guint       *n_spam,
                           guint       *n_ham,
                           GError     **error)
{
  g_autofree char *prefix = g_build_filename (self->dir, "bayes", "bayes", NULL);
  g_autofree char *toks = g_strconcat (prefix, "_toks", NULL);
  g_autofree char *dump = NULL;
  const char * const argv[] = { SA_LEARN_PROGRAM, "--dbpath", prefix, "--dump", "magic", NULL };

  *n_spam = *n_ham = 0;
  if (!g_file_test (toks, G_FILE_TEST_EXISTS))
    return TRUE;
  if (!run_program (argv, &self->run_as, &dump, error))
    return FALSE;
  *n_spam = magic_value (dump, "non-token data: nspam");
  *n_ham = magic_value (dump, "non-token data: nham");
  return TRUE;
}

/* ---------------------------------------------------------------------------------------- */
/* Message bytes, test data, temporary directories */

GBytes *
ss_test_as_appended (GBytes *message)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (message, &len);
  GByteArray *out = g_byte_array_sized_new (len);

  for (gsize i = 0; i < len; i++)
    if (!(data[i] == '\r' && i + 1 < len && data[i + 1] == '\n'))
      g_byte_array_append (out, (const guint8 *) data + i, 1);
  return g_byte_array_free_to_bytes (out);
}

GBytes *
ss_test_as_fetched (GBytes *message)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (message, &len);
  GByteArray *out = g_byte_array_sized_new (len + len / 16);

  for (gsize i = 0; i < len; i++)
    {
      guint8 c = data[i] == '\0' ? 0x80 : (guint8) data[i];

      if (c == '\n' && (i == 0 || data[i - 1] != '\r'))
        g_byte_array_append (out, (const guint8 *) "\r", 1);
      g_byte_array_append (out, &c, 1);
    }
  return g_byte_array_free_to_bytes (out);
}

static gint
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

GPtrArray *
ss_test_corpus_load (const char *kind)
{
  g_autofree char *dir_path = g_build_filename (data_dir (), "corpus", NULL);
  g_autofree char *prefix = kind != NULL ? g_strconcat (kind, "-", NULL) : NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, &error);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  const char *name;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".eml") && (prefix == NULL || g_str_has_prefix (name, prefix)))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *relative = g_build_filename ("corpus", names->pdata[i], NULL);

      g_ptr_array_add (messages, ss_test_data_load (relative));
    }
  return messages;
}

GBytes *
ss_test_data_load (const char *name)
{
  g_autofree char *path = g_build_filename (data_dir (), name, NULL);
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize len = 0;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (data, len);
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
