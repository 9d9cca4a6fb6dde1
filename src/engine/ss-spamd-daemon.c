#define G_LOG_DOMAIN "ss-spamd-daemon"

#include "config.h"

#include "ss-spamd-daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "ss-error.h"
#include "ss-spamd-client.h"

/*
 * The private spamd:
 *   spamd --socketpath=RUN/spamd.sock --socketmode=0600 --pidfile=RUN/spamd.pid
 *         --syslog=stderr (captured in RUN/spamd.log) --allow-tell --nouser-config
 *         --helper-home-dir=DATA/spamd --cf="bayes_path DATA/spamd/bayes"
 *         --cf="lock_method flock" --max-children=P --min-children=.. --min-spare=..
 *         [--local] [--username=USER when root]
 * --nouser-config keeps ~/.spamassassin out of the picture: Bayes lives in DATA/spamd only.
 * As root spamd refuses to scan (it must drop privileges): we pass --username with an
 * unprivileged account (debian-spamd, spamd or nobody), hand DATA/spamd over to it, open
 * DATA to it for search only (0711), and check it can reach DATA/spamd at all.
 * One spamd per runtime dir, shared by all of the user's accounts and processes: each user
 * holds a shared flock on RUN/spamd.users for its lifetime; RUN/spamd.lock (exclusive, held
 * only while starting or stopping) orders those steps. The first user starts spamd, later
 * ones attach to it, the last one to leave stops it. A spamd found with no users (its owner
 * crashed) is replaced. spamd and its children share a process group, killed as a whole.
 */

#define START_TIMEOUT_S   90
#define STOP_GRACE_MS     5000
#define POLL_MS           100
#define PING_TIMEOUT_MS   2000
#define LOG_TAIL_BYTES    2048
#define UNIX_PATH_MAX     108

struct _SsSpamdDaemon
{
  GObject      parent_instance;

  GSubprocess *process;
  pid_t        pgid;          /* spamd leads its own process group (with its children) */
  char        *socket_path;
  char        *pid_path;
  char        *log_path;
  char        *address;       /* "unix:" + socket_path */
  int          users_fd;      /* shared flock on RUN/spamd.users while we use spamd */
  char        *lock_path;     /* RUN/spamd.lock: taken while starting or stopping */
};

G_DEFINE_FINAL_TYPE (SsSpamdDaemon, ss_spamd_daemon, G_TYPE_OBJECT)

static void
ss_spamd_daemon_dispose (GObject *object)
{
  SsSpamdDaemon *self = SS_SPAMD_DAEMON (object);

  ss_spamd_daemon_stop (self);

  G_OBJECT_CLASS (ss_spamd_daemon_parent_class)->dispose (object);
}

static void
ss_spamd_daemon_finalize (GObject *object)
{
  SsSpamdDaemon *self = SS_SPAMD_DAEMON (object);

  g_free (self->socket_path);
  g_free (self->pid_path);
  g_free (self->log_path);
  g_free (self->address);
  g_free (self->lock_path);

  G_OBJECT_CLASS (ss_spamd_daemon_parent_class)->finalize (object);
}

static void
ss_spamd_daemon_class_init (SsSpamdDaemonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ss_spamd_daemon_dispose;
  object_class->finalize = ss_spamd_daemon_finalize;
}

static void
ss_spamd_daemon_init (SsSpamdDaemon *self)
{
  self->users_fd = -1;
}

/* "Cannot start spamd: ..." (SS_SPAMD_ERROR_START); returns FALSE. */
#define start_error(error, ...) \
  ss_error_set_prefixed ((error), SS_SPAMD_ERROR, SS_SPAMD_ERROR_START, "Cannot start spamd", \
                         __VA_ARGS__)

/* ---- directories ------------------------------------------------------------------------ */

/* mkdir -p path (0700); it must be a real directory owned by owner. */
static gboolean
make_private_dir (const char  *path,
                  uid_t        owner,
                  GError     **error)
{
  struct stat st;

  if (g_mkdir_with_parents (path, 0700) != 0)
    return start_error (error, "cannot create %s: %s", path, g_strerror (errno));
  if (lstat (path, &st) != 0 || !S_ISDIR (st.st_mode))
    return start_error (error, "%s is not a directory", path);
  if (st.st_uid != owner && st.st_uid != geteuid ())
    return start_error (error, "%s belongs to another user (uid %u)", path, (guint) st.st_uid);
  if ((st.st_mode & 077) != 0 && g_chmod (path, 0700) != 0)
    return start_error (error, "cannot chmod %s: %s", path, g_strerror (errno));
  return TRUE;
}

/* The unprivileged account spamd switches to when we are root (a copy: no static buffers). */
typedef struct
{
  char  name[64];
  uid_t uid;
  gid_t gid;
} SpamdUser;

static gboolean
find_spamd_user (SpamdUser *out)
{
  static const char * const candidates[] = { "debian-spamd", "spamd", "nobody" };

  for (gsize i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      struct passwd pwbuf, *pw = NULL;
      char buf[4096];

      if (getpwnam_r (candidates[i], &pwbuf, buf, sizeof buf, &pw) == 0 && pw != NULL &&
          pw->pw_uid != 0)
        {
          g_strlcpy (out->name, candidates[i], sizeof out->name);
          out->uid = pw->pw_uid;
          out->gid = pw->pw_gid;
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
user_can_search (const struct stat *st,
                 uid_t              uid,
                 const gid_t       *groups,
                 int                n_groups)
{
  if (st->st_uid == uid)
    return (st->st_mode & S_IXUSR) != 0;
  for (int i = 0; i < n_groups; i++)
    if (groups[i] == st->st_gid)
      return (st->st_mode & S_IXGRP) != 0;
  return (st->st_mode & S_IXOTH) != 0;
}

/* Where root's private spamd keeps Bayes data when root's data dir is unreachable. */
#define ROOT_STATE_DIR "/var/lib/spamsieve"

/* Every ancestor of dir must be searchable by the spamd user, or learning fails silently. */
static gboolean
check_reachable (const char       *dir,
                 const SpamdUser  *pw,
                 GError          **error)
{
  gid_t groups[64];
  int n_groups = G_N_ELEMENTS (groups);
  g_autofree char *path = g_strdup (dir);

  if (getgrouplist (pw->name, pw->gid, groups, &n_groups) < 0)
    n_groups = G_N_ELEMENTS (groups);

  for (;;)
    {
      g_autofree char *parent = g_path_get_dirname (path);
      struct stat st;

      if (stat (parent, &st) != 0)
        return start_error (error, "cannot stat %s: %s", parent, g_strerror (errno));
      if (!user_can_search (&st, pw->uid, groups, n_groups))
        return start_error (error, "spamd runs as “%s” (we are root) but cannot enter %s "
                            "(mode %04o): choose a data directory it can reach",
                            pw->name, parent, (guint) (st.st_mode & 07777));
      if (g_str_equal (parent, path))
        return TRUE;
      g_free (path);
      path = g_steal_pointer (&parent);
    }
}

/* Root: hand the Bayes directory (and what spamd left in it) to the spamd user. lchown
 * never follows the symlinks that user could plant there. */
static gboolean
give_to_user (const char       *dir,
              const SpamdUser  *pw,
              GError          **error)
{
  g_autoptr(GDir) entries = NULL;
  const char *name;

  if (lchown (dir, pw->uid, pw->gid) != 0)
    return start_error (error, "cannot chown %s: %s", dir, g_strerror (errno));
  entries = g_dir_open (dir, 0, NULL);
  while (entries != NULL && (name = g_dir_read_name (entries)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      struct stat st;

      if (lstat (path, &st) == 0 && st.st_uid != pw->uid)
        (void) lchown (path, pw->uid, pw->gid);
    }
  return check_reachable (dir, pw, error);
}

/* DATA/spamd for Bayes and helper homes. Returns it, and the user to run as when root. */
static char *
prepare_state_dir (const char   *data_dir,
                   SpamdUser    *user,
                   gboolean     *out_as_user,
                   GError      **error)
{
  g_autofree char *state_dir = g_build_filename (data_dir, "spamd", NULL);
  g_autoptr(GError) local_error = NULL;

  *out_as_user = FALSE;
  if (strpbrk (data_dir, "\r\n") != NULL)
    {
      start_error (error, "the data directory name contains a line break");
      return NULL;
    }
  if (!make_private_dir (data_dir, geteuid (), error))
    return NULL;
  if (geteuid () != 0)
    return make_private_dir (state_dir, geteuid (), error) ? g_steal_pointer (&state_dir) : NULL;

  *out_as_user = TRUE;
  if (!find_spamd_user (user))
    {
      start_error (error, "running as root, but there is no unprivileged user for spamd");
      return NULL;
    }
  if (!make_private_dir (state_dir, user->uid, error))
    return NULL;
  /* the data dir stays root's: the spamd user may only pass through it */
  if (g_chmod (data_dir, 0711) != 0)
    {
      start_error (error, "cannot chmod %s: %s", data_dir, g_strerror (errno));
      return NULL;
    }
  if (!give_to_user (state_dir, user, &local_error))
    {
      /* root's own data dir (under /root, 0700) is out of the spamd user's reach: keep the
       * Bayes data in a system place instead of failing. */
      g_autofree char *fallback = g_build_filename (ROOT_STATE_DIR, "spamd", NULL);

      g_debug ("%s; using %s", local_error->message, fallback);
      g_clear_error (&local_error);
      g_free (state_dir);
      state_dir = g_steal_pointer (&fallback);
      if (g_mkdir_with_parents (ROOT_STATE_DIR, 0755) != 0 ||
          !make_private_dir (state_dir, user->uid, error) ||
          !give_to_user (state_dir, user, error))
        return NULL;
    }
  return g_steal_pointer (&state_dir);
}

/* ---- processes -------------------------------------------------------------------------- */

static gboolean
process_alive (pid_t pid)
{
  return pid > 0 && (kill (pid, 0) == 0 || errno == EPERM);
}

static gboolean
wait_gone (pid_t  pid,
           gint64 deadline)
{
  while (process_alive (pid))
    {
      if (g_get_monotonic_time () >= deadline)
        return FALSE;
      g_usleep (20 * 1000);
    }
  return TRUE;
}

/* Takes RUN/spamd.lock (polling, so that cancelling works); returns its fd or -1. Others
 * hold it only while they start or stop spamd. */
static int
take_control_lock (const char    *path,
                   GCancellable  *cancellable,
                   GError       **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (START_TIMEOUT_S + 10) * G_USEC_PER_SEC;
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

  if (fd < 0)
    {
      start_error (error, "cannot open %s: %s", path, g_strerror (errno));
      return -1;
    }
  while (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      int saved = errno;

      if (saved != EWOULDBLOCK)
        start_error (error, "cannot lock %s: %s", path, g_strerror (saved));
      else if (g_get_monotonic_time () >= deadline)
        start_error (error, "another process has been starting spamd for too long (%s)", path);
      else if (!g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          g_usleep (POLL_MS * 1000);
          continue;
        }
      close (fd);
      return -1;
    }
  return fd;
}

static void
release_control_lock (int fd)
{
  if (fd >= 0)
    close (fd);  /* drops the flock */
}

/* Opens RUN/spamd.users and takes it exclusively if nobody else uses spamd (*alone), else
 * shared. Close-on-exec, so spamd does not inherit it. Called under the control lock. */
static gboolean
join_users (SsSpamdDaemon  *self,
            const char     *runtime_dir,
            gboolean       *alone,
            GError        **error)
{
  g_autofree char *path = g_build_filename (runtime_dir, "spamd.users", NULL);

  self->users_fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (self->users_fd < 0)
    return start_error (error, "cannot open %s: %s", path, g_strerror (errno));
  *alone = flock (self->users_fd, LOCK_EX | LOCK_NB) == 0;
  if (!*alone && flock (self->users_fd, LOCK_SH) != 0)
    return start_error (error, "cannot lock %s: %s", path, g_strerror (errno));
  return TRUE;
}

/* Stops a spamd we did not spawn ourselves (left by a crashed user, or started by another
 * process): only a process whose command line names our socket is touched. */
static void
stop_instance (const char *pid_path,
               const char *socket_path,
               const char *what)
{
  g_autofree char *text = NULL;
  g_autofree char *cmdline_path = NULL;
  g_autofree char *cmdline = NULL;
  gsize len = 0;
  guint64 pid = 0;

  if (!g_file_get_contents (pid_path, &text, NULL, NULL) ||
      !g_ascii_string_to_unsigned (g_strstrip (text), 10, 2, G_MAXINT32, &pid, NULL))
    return;
  cmdline_path = g_strdup_printf ("/proc/%" G_GUINT64_FORMAT "/cmdline", pid);
  if (!g_file_get_contents (cmdline_path, &cmdline, &len, NULL))
    return;
  for (gsize i = 0; i + 1 < len; i++)
    if (cmdline[i] == '\0')
      cmdline[i] = ' ';
  if (strstr (cmdline, socket_path) == NULL)
    return;

  g_message ("Stopping %s (pid %" G_GUINT64_FORMAT ")", what, pid);
  kill ((pid_t) pid, SIGTERM);
  if (!wait_gone ((pid_t) pid, g_get_monotonic_time () + STOP_GRACE_MS * 1000))
    kill ((pid_t) pid, SIGKILL);
  kill (-(pid_t) pid, SIGKILL);  /* its children, if it led its group as we start it */
}

static void
child_setup (gpointer user_data)
{
  /* its own process group, so that its children can be killed with it */
  setpgid (0, 0);
}

static GStrv
build_argv (const char       *program,
            const char       *runtime_dir,
            const char       *state_dir,
            guint             parallel,
            gboolean          network_tests,
            const SpamdUser  *user)
{
  GPtrArray *argv = g_ptr_array_new ();
  guint min_children = MIN (parallel, 2);

  g_ptr_array_add (argv, g_strdup (program));
  g_ptr_array_add (argv, g_strdup ("--allow-tell"));
  g_ptr_array_add (argv, g_strdup ("--nouser-config"));
  g_ptr_array_add (argv, g_strdup ("--syslog=stderr"));
  g_ptr_array_add (argv, g_strdup_printf ("--socketpath=%s/spamd.sock", runtime_dir));
  g_ptr_array_add (argv, g_strdup ("--socketmode=0600"));
  g_ptr_array_add (argv, g_strdup_printf ("--pidfile=%s/spamd.pid", runtime_dir));
  g_ptr_array_add (argv, g_strdup_printf ("--helper-home-dir=%s", state_dir));
  g_ptr_array_add (argv, g_strdup_printf ("--cf=bayes_path %s/bayes", state_dir));
  g_ptr_array_add (argv, g_strdup ("--cf=lock_method flock"));
  g_ptr_array_add (argv, g_strdup_printf ("--max-children=%u", parallel));
  g_ptr_array_add (argv, g_strdup_printf ("--min-children=%u", min_children));
  g_ptr_array_add (argv, g_strdup_printf ("--min-spare=%u", MIN (min_children, parallel - 1)));
  g_ptr_array_add (argv, g_strdup_printf ("--max-spare=%u", parallel));
  if (!network_tests)
    g_ptr_array_add (argv, g_strdup ("--local"));
  if (user != NULL)
    g_ptr_array_add (argv, g_strdup_printf ("--username=%s", user->name));
  g_ptr_array_add (argv, NULL);
  return (GStrv) g_ptr_array_free (argv, FALSE);
}

static gboolean
spawn (SsSpamdDaemon  *self,
       const char    **argv,
       GError        **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) local = NULL;
  const char *identifier;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_stdout_file_path (launcher, self->log_path);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  g_subprocess_launcher_set_cwd (launcher, "/");

  self->process = g_subprocess_launcher_spawnv (launcher, argv, &local);
  if (self->process == NULL)
    return start_error (error, "%s", local->message);
  identifier = g_subprocess_get_identifier (self->process);
  self->pgid = identifier != NULL ? (pid_t) g_ascii_strtoll (identifier, NULL, 10) : 0;
  return TRUE;
}

/* The end of spamd's log, for error messages. */
static char *
log_tail (SsSpamdDaemon *self)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  const char *start;

  if (!g_file_get_contents (self->log_path, &text, &len, NULL) || len == 0)
    return g_strdup ("(spamd wrote nothing)");
  start = text + (len > LOG_TAIL_BYTES ? len - LOG_TAIL_BYTES : 0);
  if (start != text && strchr (start, '\n') != NULL)
    start = strchr (start, '\n') + 1;
  return g_utf8_make_valid (start, (gssize) (text + len - start));
}

static gboolean
process_running (SsSpamdDaemon *self)
{
  return self->process != NULL && g_subprocess_get_identifier (self->process) != NULL;
}

/* Sleeps up to POLL_MS; FALSE if cancelled. */
static gboolean
nap (GCancellable *cancellable)
{
  GPollFD fd;

  if (!g_cancellable_make_pollfd (cancellable, &fd))
    {
      g_usleep (POLL_MS * 1000);
      return TRUE;
    }
  g_poll (&fd, 1, POLL_MS);
  g_cancellable_release_fd (cancellable);
  return !g_cancellable_is_cancelled (cancellable);
}

static gboolean
exited_error (SsSpamdDaemon  *self,
              GError        **error)
{
  g_subprocess_wait (self->process, NULL, NULL);
  if (g_subprocess_get_if_signaled (self->process))
    return start_error (error, "spamd was killed by signal %d during startup",
                        g_subprocess_get_term_sig (self->process));
  return start_error (error, "spamd exited with status %d during startup",
                      g_subprocess_get_exit_status (self->process));
}

/* Polls until spamd answers PING, exits, the deadline passes, or we are cancelled. */
static gboolean
wait_ready (SsSpamdDaemon  *self,
            GCancellable   *cancellable,
            GError        **error)
{
  g_autoptr(SsSpamdClient) client = ss_spamd_client_new (self->address, NULL, PING_TIMEOUT_MS,
                                                         error);
  gint64 deadline = g_get_monotonic_time () + (gint64) START_TIMEOUT_S * G_USEC_PER_SEC;

  if (client == NULL)
    return FALSE;
  for (;;)
    {
      g_autoptr(GError) local = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (g_file_test (self->socket_path, G_FILE_TEST_EXISTS) &&
          ss_spamd_client_ping_sync (client, cancellable, &local))
        return TRUE;
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (!process_running (self))
        return exited_error (self, error);
      if (g_get_monotonic_time () >= deadline)
        return start_error (error, "spamd did not answer PING within %d s", START_TIMEOUT_S);
      nap (cancellable);
    }
}

static void stop_own_process (SsSpamdDaemon *self);
static void leave_users      (SsSpamdDaemon *self);

/* An already running spamd (started by another user of this runtime dir) answers. */
static gboolean
answers_ping (SsSpamdDaemon *self,
              GCancellable  *cancellable)
{
  g_autoptr(SsSpamdClient) client = ss_spamd_client_new (self->address, NULL, PING_TIMEOUT_MS,
                                                         NULL);

  return client != NULL && g_file_test (self->socket_path, G_FILE_TEST_EXISTS) &&
         ss_spamd_client_ping_sync (client, cancellable, NULL);
}

/* Stops spamd and reports why it failed, with the end of its log (not when cancelled). */
static void
fail_start (SsSpamdDaemon  *self,
            GError         *local,
            GError        **error)
{
  g_autofree char *tail = NULL;

  /* we hold the control lock: stop our own spamd directly */
  stop_own_process (self);
  g_clear_object (&self->process);
  g_unlink (self->socket_path);
  g_unlink (self->pid_path);
  leave_users (self);
  if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, local);
      return;
    }
  tail = log_tail (self);
  g_set_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_START, "%s\nEnd of %s:\n%s",
               local->message, self->log_path, tail);
  g_error_free (local);
}

SsSpamdDaemon *
ss_spamd_daemon_start (const char    *program,
                       const char    *runtime_dir,
                       const char    *data_dir,
                       guint          parallel,
                       gboolean       network_tests,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autoptr(SsSpamdDaemon) self = NULL;
  g_autofree char *state_dir = NULL;
  g_auto(GStrv) argv = NULL;
  SpamdUser user = { "", 0, 0 };
  gboolean as_user = FALSE;
  gboolean alone = FALSE;
  int control_fd;
  GError *local = NULL;

  g_return_val_if_fail (program != NULL && runtime_dir != NULL && data_dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_test (program, G_FILE_TEST_IS_EXECUTABLE) ||
      g_file_test (program, G_FILE_TEST_IS_DIR))
    {
      start_error (error, "%s is not an executable program", program);
      return NULL;
    }

  self = g_object_new (SS_TYPE_SPAMD_DAEMON, NULL);
  self->socket_path = g_build_filename (runtime_dir, "spamd.sock", NULL);
  self->pid_path = g_build_filename (runtime_dir, "spamd.pid", NULL);
  self->log_path = g_build_filename (runtime_dir, "spamd.log", NULL);
  self->address = g_strconcat ("unix:", self->socket_path, NULL);
  if (strlen (self->socket_path) >= UNIX_PATH_MAX)
    {
      start_error (error, "the socket path %s is too long", self->socket_path);
      return NULL;
    }
  self->lock_path = g_build_filename (runtime_dir, "spamd.lock", NULL);
  if (!make_private_dir (runtime_dir, geteuid (), error))
    return NULL;
  control_fd = take_control_lock (self->lock_path, cancellable, error);
  if (control_fd < 0 || !join_users (self, runtime_dir, &alone, error))
    {
      release_control_lock (control_fd);
      return NULL;
    }
  if (!alone && answers_ping (self, cancellable))
    {
      g_debug ("Using the spamd another process started in %s", runtime_dir);
      release_control_lock (control_fd);
      return g_steal_pointer (&self);
    }
  state_dir = prepare_state_dir (data_dir, &user, &as_user, error);
  if (state_dir == NULL)
    {
      release_control_lock (control_fd);
      return NULL;
    }

  stop_instance (self->pid_path, self->socket_path, "a stale spamd");
  argv = build_argv (program, runtime_dir, state_dir, CLAMP (parallel, 1, 64), network_tests,
                     as_user ? &user : NULL);
  if (!spawn (self, (const char **) argv, error))
    {
      release_control_lock (control_fd);
      return NULL;
    }

  if (!wait_ready (self, cancellable, &local))
    {
      fail_start (self, g_steal_pointer (&local), error);
      release_control_lock (control_fd);
      return NULL;
    }
  /* Others may join now. */
  flock (self->users_fd, LOCK_SH);
  release_control_lock (control_fd);

  return g_steal_pointer (&self);
}

const char *
ss_spamd_daemon_get_address (SsSpamdDaemon *self)
{
  g_return_val_if_fail (SS_IS_SPAMD_DAEMON (self), NULL);

  return self->address;
}

/* After the parent: its children (same group) get the rest of the grace period. */
static void
kill_group (SsSpamdDaemon *self,
            gint64         deadline)
{
  if (self->pgid <= 0)
    return;
  while (kill (-self->pgid, 0) == 0 && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  kill (-self->pgid, SIGKILL);
  self->pgid = 0;
}

static void
leave_users (SsSpamdDaemon *self)
{
  if (self->users_fd >= 0)
    close (self->users_fd);
  self->users_fd = -1;
}

/* Stops the spamd we started ourselves. */
static void
stop_own_process (SsSpamdDaemon *self)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) STOP_GRACE_MS * 1000;

  if (process_running (self))
    {
      g_subprocess_send_signal (self->process, SIGTERM);
      while (process_running (self) && g_get_monotonic_time () < deadline)
        g_usleep (20 * 1000);
      if (process_running (self))
        {
          g_warning ("spamd ignored SIGTERM for %d ms: killing it", STOP_GRACE_MS);
          g_subprocess_force_exit (self->process);
        }
      g_subprocess_wait (self->process, NULL, NULL);
    }
  kill_group (self, deadline);
}

/* The last user stops spamd, whoever started it; the others just leave. */
void
ss_spamd_daemon_stop (SsSpamdDaemon *self)
{
  int control_fd;
  gboolean last;

  g_return_if_fail (SS_IS_SPAMD_DAEMON (self));

  if (self->users_fd < 0)
    {
      /* never joined, or a failed start: stop what we spawned, if anything */
      if (self->process != NULL)
        stop_own_process (self);
      g_clear_object (&self->process);
      return;
    }

  control_fd = take_control_lock (self->lock_path, NULL, NULL);
  last = flock (self->users_fd, LOCK_EX | LOCK_NB) == 0;
  if (last)
    {
      if (self->process != NULL)
        stop_own_process (self);
      else
        stop_instance (self->pid_path, self->socket_path, "the shared spamd (its last user)");
      g_unlink (self->socket_path);
      g_unlink (self->pid_path);
    }
  else if (self->process != NULL)
    g_debug ("Leaving spamd running for its other users");
  /* Not ours to wait for any more if others still use it: GLib reaps it if it exits. */
  g_clear_object (&self->process);
  self->pgid = 0;
  leave_users (self);
  release_control_lock (control_fd);
}
