/* ss-demo.c: a private dovecot (generated config, self-signed certificate made with the
 * openssl CLI, one maildir user) and a private spamd (the engine's SsSpamdDaemon), all in a
 * temporary directory that is removed on stop. Messages are dropped into the maildir's
 * Unfiltered folder the way a delivery agent would (tmp/ then rename into new/). */
#define G_LOG_DOMAIN "ss-demo"

#include "config.h"

#include "ss-demo.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ss-error.h"
#include "ss-spamd-daemon.h"

#define DEMO_USER        "demo"
#define START_TIMEOUT_MS 15000

struct _SsDemo
{
  GObject        parent_instance;

  char          *dir;
  char          *maildir;          /* .../mail/demo/Maildir */
  char          *journal_path;
  char          *password;
  guint16        port;
  uid_t          mail_uid;
  gid_t          mail_gid;
  GSubprocess   *dovecot;
  SsSpamdDaemon *spamd;
  GPtrArray     *messages;         /* paths, in feeding order */
  guint          n_fed;
  guint          feed_id;
  guint          serial;
};

G_DEFINE_FINAL_TYPE (SsDemo, ss_demo, G_TYPE_OBJECT)

static void
ss_demo_dispose (GObject *object)
{
  ss_demo_stop (SS_DEMO (object));
  G_OBJECT_CLASS (ss_demo_parent_class)->dispose (object);
}

static void
ss_demo_finalize (GObject *object)
{
  SsDemo *self = SS_DEMO (object);

  g_free (self->dir);
  g_free (self->maildir);
  g_free (self->journal_path);
  g_free (self->password);
  g_clear_pointer (&self->messages, g_ptr_array_unref);
  G_OBJECT_CLASS (ss_demo_parent_class)->finalize (object);
}

static void
ss_demo_class_init (SsDemoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ss_demo_dispose;
  object_class->finalize = ss_demo_finalize;
}

static void
ss_demo_init (SsDemo *self)
{
  self->messages = g_ptr_array_new_with_free_func (g_free);
}

SsDemo *
ss_demo_new (void)
{
  return g_object_new (SS_TYPE_DEMO, NULL);
}

char *
ss_demo_dup_messages_dir (void)
{
  g_autofree char *installed = g_build_filename (SS_DATADIR, "spamsieve", "demo", NULL);

  if (g_file_test (installed, G_FILE_TEST_IS_DIR))
    return g_steal_pointer (&installed);
  return g_build_filename (SS_SOURCE_DIR, "tests", "data", "corpus", NULL);
}

/* ---- helpers (worker thread) ---- */

static gboolean
demo_error (GError    **error,
            const char *format,
            ...) G_GNUC_PRINTF (2, 3);

static gboolean
demo_error (GError    **error,
            const char *format,
            ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_FAILED, message);
  return FALSE;
}

static gboolean
mkdirs (const char  *path,
        GError     **error)
{
  if (g_mkdir_with_parents (path, 0755) != 0)
    return demo_error (error, "Cannot create %s: %s", path, g_strerror (errno));
  return TRUE;
}

static guint16
free_port (GError **error)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, error);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  if (socket == NULL || !g_socket_bind (socket, any, FALSE, error))
    return 0;
  bound = g_socket_get_local_address (socket, error);
  if (bound == NULL)
    return 0;
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static gboolean
run (const char * const *argv,
     GError            **error)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *err = NULL;

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE, error);
  if (process == NULL || !g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, &err, error))
    return FALSE;
  if (!g_subprocess_get_successful (process))
    return demo_error (error, "%s failed: %s", argv[0], err != NULL ? g_strstrip (err) : "");
  return TRUE;
}

/* The mail user: ourselves, or an unprivileged account when we are root (dovecot refuses
 * to run mail processes as root). */
static gboolean
pick_users (SsDemo      *self,
            const char **internal_user,
            const char **login_user,
            char       **mail_user,
            GError     **error)
{
  struct passwd *pw;

  if (getuid () != 0)
    {
      pw = getpwuid (getuid ());
      if (pw == NULL)
        return demo_error (error, "Cannot find my own user name");
      *mail_user = g_strdup (pw->pw_name);
      *internal_user = *login_user = NULL;
      self->mail_uid = pw->pw_uid;
      self->mail_gid = pw->pw_gid;
      return TRUE;
    }
  pw = getpwnam ("nobody");
  if (pw == NULL || getpwnam ("dovecot") == NULL || getpwnam ("dovenull") == NULL)
    return demo_error (error, "Running as root needs the users nobody, dovecot and dovenull");
  *mail_user = g_strdup ("nobody");
  *internal_user = "dovecot";
  *login_user = "dovenull";
  self->mail_uid = pw->pw_uid;
  self->mail_gid = pw->pw_gid;
  return TRUE;
}

static gboolean
chown_tree (SsDemo     *self,
            const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (getuid () != 0)
    return TRUE;
  if (chown (path, self->mail_uid, self->mail_gid) != 0)
    return FALSE;
  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) ? !chown_tree (self, child)
                                                  : chown (child, self->mail_uid,
                                                           self->mail_gid) != 0)
        return FALSE;
    }
  return TRUE;
}

static gboolean
write_dovecot_config (SsDemo      *self,
                      const char  *conf,
                      GError     **error)
{
  const char *internal_user = NULL;
  const char *login_user = NULL;
  g_autofree char *mail_user = NULL;
  g_autofree char *text = NULL;
  g_autofree char *passwd = g_build_filename (self->dir, "passwd", NULL);
  g_autofree char *passwd_line = NULL;
  g_autofree char *users = NULL;
  const char *dh = "/usr/share/dovecot/dh.pem";
  g_autofree char *dh_line = NULL;

  if (!pick_users (self, &internal_user, &login_user, &mail_user, error))
    return FALSE;
  if (internal_user != NULL)
    users = g_strdup_printf ("default_internal_user = %s\ndefault_login_user = %s\n",
                             internal_user, login_user);
  else
    /* Without root: everything runs as us, and nothing can chroot. */
    users = g_strdup_printf ("default_internal_user = %s\ndefault_login_user = %s\n"
                             "service anvil {\n  chroot =\n}\n"
                             "service imap-login {\n  chroot =\n}\n",
                             mail_user, mail_user);
  dh_line = g_file_test (dh, G_FILE_TEST_EXISTS) ? g_strdup_printf ("ssl_dh = <%s\n", dh)
                                                 : g_strdup ("");
  passwd_line = g_strdup_printf ("%s:{PLAIN}%s\n", DEMO_USER, self->password);
  if (!g_file_set_contents_full (passwd, passwd_line, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644,
                                 error))
    return FALSE;

  text = g_strdup_printf (
    "# Generated by spamsieve --demo; removed when the demo ends.\n"
    "instance_name = spamsieve-demo-%d\n"
    "base_dir = %s/run\n"
    "state_dir = %s/state\n"
    "log_path = %s/dovecot.log\n"
    "protocols = imap\n"
    "listen = 127.0.0.1\n"
    "ssl = required\n"
    "ssl_cert = <%s/cert.pem\n"
    "ssl_key = <%s/key.pem\n"
    "%s"
    "disable_plaintext_auth = yes\n"
    "auth_mechanisms = plain login\n"
    "first_valid_uid = 0\n"
    "%s"
    "passdb {\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%%n %s\n}\n"
    "userdb {\n  driver = static\n  args = uid=%u gid=%u home=%s/mail/%%n\n}\n"
    "mail_location = maildir:~/Maildir:LAYOUT=fs\n"
    "namespace inbox {\n  inbox = yes\n  separator = /\n}\n"
    "service imap-login {\n"
    "  inet_listener imap {\n    address = 127.0.0.1\n    port = %u\n  }\n"
    "  inet_listener imaps {\n    port = 0\n  }\n"
    "}\n",
    (int) getpid (), self->dir, self->dir, self->dir, self->dir, self->dir, dh_line, users,
    passwd, (guint) self->mail_uid, (guint) self->mail_gid, self->dir, self->port);
  return g_file_set_contents (conf, text, -1, error);
}

static gboolean
wait_for_port (guint16   port,
               GError  **error)
{
  gint64 deadline = g_get_monotonic_time () + START_TIMEOUT_MS * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(GSocketClient) client = g_socket_client_new ();
      g_autoptr(GSocketConnection) connection = NULL;

      connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
      if (connection != NULL)
        return TRUE;
      g_usleep (100 * 1000);
    }
  return demo_error (error, "dovecot did not start listening on port %u", port);
}

static char *
log_tail (const char *path)
{
  g_autofree char *text = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &text, &len, NULL))
    return g_strdup ("");
  return g_strdup (g_strstrip (len > 600 ? text + len - 600 : text));
}

static gboolean
start_dovecot (SsDemo        *self,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autofree char *conf = g_build_filename (self->dir, "dovecot.conf", NULL);
  g_autofree char *key = g_build_filename (self->dir, "key.pem", NULL);
  g_autofree char *cert = g_build_filename (self->dir, "cert.pem", NULL);
  g_autofree char *log = g_build_filename (self->dir, "dovecot.log", NULL);
  g_autofree char *mail = g_build_filename (self->dir, "mail", NULL);
  g_autofree char *run_dir = g_build_filename (self->dir, "run", NULL);
  g_autofree char *state_dir = g_build_filename (self->dir, "state", NULL);
  g_autofree char *unfiltered = NULL;
  g_autofree char *program = g_find_program_in_path ("dovecot");
  const char *openssl[] = { "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", key, "-out", cert, "-days", "30",
                            "-subj", "/CN=localhost",
                            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", NULL };
  const char *sub[] = { "cur", "new", "tmp" };
  g_autoptr(GError) local_error = NULL;

  if (program == NULL && g_file_test ("/usr/sbin/dovecot", G_FILE_TEST_IS_EXECUTABLE))
    program = g_strdup ("/usr/sbin/dovecot");
  if (program == NULL)
    return demo_error (error, "dovecot is not installed (package dovecot-imapd)");

  self->maildir = g_build_filename (self->dir, "mail", DEMO_USER, "Maildir", NULL);
  unfiltered = g_build_filename (self->maildir, "Unfiltered", NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (sub); i++)
    {
      g_autofree char *a = g_build_filename (self->maildir, sub[i], NULL);
      g_autofree char *b = g_build_filename (unfiltered, sub[i], NULL);

      if (!mkdirs (a, error) || !mkdirs (b, error))
        return FALSE;
    }
  if (!run (openssl, error))
    return FALSE;
  g_chmod (key, 0600);
  self->port = free_port (error);
  if (self->port == 0 || !write_dovecot_config (self, conf, error))
    return FALSE;
  if (!chown_tree (self, mail))
    return demo_error (error, "Cannot hand %s to the mail user: %s", mail, g_strerror (errno));
  if (!mkdirs (run_dir, error) || !mkdirs (state_dir, error))
    return FALSE;

  self->dovecot = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                    G_SUBPROCESS_FLAGS_STDERR_SILENCE, error,
                                    program, "-F", "-c", conf, NULL);
  if (self->dovecot == NULL)
    return FALSE;
  if (!wait_for_port (self->port, &local_error))
    {
      g_autofree char *tail = log_tail (log);

      return demo_error (error, "%s: %s", local_error->message, tail);
    }
  return TRUE;
}

/* The sample shown by the demo (installed by data/meson.build; in the source tree they are
 * part of tests/data/corpus). Ham and spam alternate, so that both show up early. */
static const char * const demo_messages[] = {
  "ham-004", "spam-007", "ham-005", "spam-008", "ham-006", "spam-009",
  "ham-007", "spam-010", "ham-008", "spam-011", "ham-009", "spam-012",
};

static void
load_messages (SsDemo *self)
{
  g_autofree char *dir = ss_demo_dup_messages_dir ();

  for (gsize i = 0; i < G_N_ELEMENTS (demo_messages); i++)
    {
      g_autofree char *name = g_strconcat (demo_messages[i], ".eml", NULL);
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (self->messages, g_steal_pointer (&path));
    }
}

static void
start_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  SsDemo *self = source_object;
  g_autoptr(GError) error = NULL;
  g_autofree char *spamd_run = NULL;
  g_autofree char *spamd_data = NULL;

  self->dir = g_dir_make_tmp ("spamsieve-demo-XXXXXX", &error);
  if (self->dir == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Others (the mail and spamd users when we are root) must pass through. */
  g_chmod (self->dir, 0755);
  self->password = g_uuid_string_random ();
  self->journal_path = g_build_filename (self->dir, "state.sqlite", NULL);
  load_messages (self);
  if (self->messages->len == 0)
    {
      g_autofree char *dir = ss_demo_dup_messages_dir ();

      demo_error (&error, "No sample messages in %s", dir);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!start_dovecot (self, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  spamd_run = g_build_filename (self->dir, "spamd-run", NULL);
  spamd_data = g_build_filename (self->dir, "spamd-data", NULL);
  self->spamd = ss_spamd_daemon_start (SPAMD_PROGRAM, spamd_run, spamd_data, 4, FALSE,
                                       cancellable, &error);
  if (self->spamd == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
ss_demo_start_async (SsDemo              *self,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SS_IS_DEMO (self));
  g_return_if_fail (self->dir == NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ss_demo_start_async);
  g_task_run_in_thread (task, start_thread);
}

SsConfig *
ss_demo_start_finish (SsDemo        *self,
                      GAsyncResult  *result,
                      char         **password,
                      GError       **error)
{
  g_autoptr(SsConfig) config = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  config = ss_config_new_default ();
  g_free (config->url);
  config->url = g_strdup_printf ("imap://127.0.0.1:%u", self->port);
  config->tls = SS_TLS_STARTTLS;
  g_free (config->user);
  config->user = g_strdup (DEMO_USER);
  g_free (config->ca_file);
  config->ca_file = g_build_filename (self->dir, "cert.pem", NULL);
  g_free (config->spamd_address);
  config->spamd_address = g_strdup (ss_spamd_daemon_get_address (self->spamd));
  config->spamd_parallel = 4;
  config->poll_seconds = 5;
  if (!ss_config_validate (config, error))
    return NULL;
  if (password != NULL)
    *password = g_strdup (self->password);
  return g_steal_pointer (&config);
}

const char *
ss_demo_get_journal_path (SsDemo *self)
{
  g_return_val_if_fail (SS_IS_DEMO (self), NULL);
  return self->journal_path;
}

/* ---- feeding ---- */

static gboolean
deliver (SsDemo     *self,
         const char *path)
{
  g_autofree char *contents = NULL;
  g_autofree char *name = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *dest = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  if (!g_file_get_contents (path, &contents, &len, &error))
    {
      g_message ("demo: %s", error->message);
      return FALSE;
    }
  name = g_strdup_printf ("%" G_GINT64_FORMAT ".P%dQ%u.spamsieve-demo",
                          g_get_real_time () / G_USEC_PER_SEC, (int) getpid (), ++self->serial);
  tmp = g_build_filename (self->maildir, "Unfiltered", "tmp", name, NULL);
  dest = g_build_filename (self->maildir, "Unfiltered", "new", name, NULL);
  if (!g_file_set_contents_full (tmp, contents, len, G_FILE_SET_CONTENTS_NONE, 0644, &error))
    {
      g_message ("demo: %s", error->message);
      return FALSE;
    }
  if (getuid () == 0 && chown (tmp, self->mail_uid, self->mail_gid) != 0)
    g_message ("demo: chown %s: %s", tmp, g_strerror (errno));
  if (g_rename (tmp, dest) != 0)
    {
      g_message ("demo: rename %s: %s", tmp, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
feed_next (gpointer data)
{
  SsDemo *self = data;

  if (self->maildir == NULL || self->n_fed >= self->messages->len)
    {
      self->feed_id = 0;
      return G_SOURCE_REMOVE;
    }
  deliver (self, g_ptr_array_index (self->messages, self->n_fed));
  self->n_fed++;
  return G_SOURCE_CONTINUE;
}

void
ss_demo_feed (SsDemo *self,
              guint   duration_s)
{
  guint interval_ms;

  g_return_if_fail (SS_IS_DEMO (self));
  g_return_if_fail (self->maildir != NULL);

  g_clear_handle_id (&self->feed_id, g_source_remove);
  interval_ms = MAX (200, duration_s * 1000 / MAX (1, self->messages->len));
  /* The first one right away, so that something happens at once. */
  feed_next (self);
  self->feed_id = g_timeout_add (interval_ms, feed_next, self);
}

guint
ss_demo_get_n_fed (SsDemo *self)
{
  g_return_val_if_fail (SS_IS_DEMO (self), 0);
  return self->n_fed;
}

guint
ss_demo_get_n_messages (SsDemo *self)
{
  g_return_val_if_fail (SS_IS_DEMO (self), 0);
  return self->messages->len;
}

/* ---- stopping ---- */

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

void
ss_demo_stop (SsDemo *self)
{
  g_return_if_fail (SS_IS_DEMO (self));

  g_clear_handle_id (&self->feed_id, g_source_remove);
  if (self->dovecot != NULL)
    {
      const char *id = g_subprocess_get_identifier (self->dovecot);
      pid_t pid = id != NULL ? (pid_t) g_ascii_strtoll (id, NULL, 10) : 0;
      gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

      /* dovecot -F stops its children on SIGTERM; GLib reaps it. Bounded wait. */
      g_subprocess_send_signal (self->dovecot, SIGTERM);
      while (pid > 0 && kill (pid, 0) == 0 && g_get_monotonic_time () < deadline)
        g_usleep (50 * 1000);
      g_subprocess_force_exit (self->dovecot);
      g_clear_object (&self->dovecot);
    }
  if (self->spamd != NULL)
    ss_spamd_daemon_stop (self->spamd);
  g_clear_object (&self->spamd);
  if (self->dir != NULL)
    remove_tree (self->dir);
  g_clear_pointer (&self->dir, g_free);
  g_clear_pointer (&self->maildir, g_free);
}
