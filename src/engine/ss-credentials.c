#define G_LOG_DOMAIN "ss-credentials"

#include "config.h"

#include "ss-credentials.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libsecret/secret.h>

#include "ss-error.h"

#define PASSWORD_FILE_MAX 4096

static const SecretSchema ss_secret_schema = {
  .name = SS_SECRET_SCHEMA_NAME,
  .flags = SECRET_SCHEMA_NONE,
  .attributes = {
    { .name = "server", .type = SECRET_SCHEMA_ATTRIBUTE_STRING },
    { .name = "user", .type = SECRET_SCHEMA_ATTRIBUTE_STRING },
    { .name = NULL, .type = 0 },
  },
};

void
ss_credentials_password_free (char *password)
{
  if (password == NULL)
    return;

  secret_password_wipe (password);
  g_free (password);
}

/* ---- password file ---- */

/* SS_ENGINE_ERROR_CREDENTIALS; returns FALSE. */
#define credentials_error(error, ...) \
  ss_error_set_prefixed ((error), SS_ENGINE_ERROR, SS_ENGINE_ERROR_CREDENTIALS, NULL, __VA_ARGS__)

static int
open_password_file (const char  *path,
                    GError     **error)
{
  /* O_NONBLOCK: a FIFO must not hang us before fstat () turns it down. */
  int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  int saved_errno = errno;

  if (fd >= 0)
    return fd;
  if (saved_errno == ELOOP)
    credentials_error (error, "password file %s is a symbolic link; "
                       "set password-file to the file itself", path);
  else
    credentials_error (error, "cannot open password file %s: %s",
                       path, g_strerror (saved_errno));
  return -1;
}

static gboolean
check_password_file (int          fd,
                     const char  *path,
                     GError     **error)
{
  struct stat st;

  if (fstat (fd, &st) != 0)
    return credentials_error (error, "cannot stat password file %s: %s",
                              path, g_strerror (errno));
  if (!S_ISREG (st.st_mode))
    return credentials_error (error, "password file %s is not a regular file", path);
  if (st.st_uid != geteuid ())
    return credentials_error (error, "password file %s is owned by uid %u, not by you "
                              "(uid %u); fix: chown %u %s", path, (guint) st.st_uid,
                              (guint) geteuid (), (guint) geteuid (), path);
  if ((st.st_mode & 077) != 0)
    return credentials_error (error, "password file %s is open to group or others "
                              "(mode %03o); fix: chmod 600 %s",
                              path, (guint) (st.st_mode & 0777), path);
  if (st.st_size > PASSWORD_FILE_MAX)
    return credentials_error (error, "password file %s is larger than 4 KiB", path);
  return TRUE;
}

/* Reads at most size bytes; returns the count or -1. */
static gssize
read_all (int    fd,
          char  *buf,
          gsize  size)
{
  gsize total = 0;

  while (total < size)
    {
      gssize n = read (fd, buf + total, size - total);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 0)
        break;
      total += n;
    }
  return total;
}

/* The first line of buf, without its CR/LF. */
static char *
first_line (const char  *buf,
            gsize        len,
            const char  *path,
            GError     **error)
{
  const char *nl = memchr (buf, '\n', len);
  gsize line_len = nl != NULL ? (gsize) (nl - buf) : len;

  if (line_len > 0 && buf[line_len - 1] == '\r')
    line_len--;
  if (line_len == 0)
    {
      credentials_error (error, "password file %s is empty (its first line is the password)",
                         path);
      return NULL;
    }
  if (memchr (buf, '\0', line_len) != NULL)
    {
      credentials_error (error, "password file %s contains a NUL byte", path);
      return NULL;
    }
  return g_strndup (buf, line_len);
}

char *
ss_credentials_read_file (const char  *path,
                          GError     **error)
{
  char buf[PASSWORD_FILE_MAX + 1];
  char *password = NULL;
  gssize len;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  fd = open_password_file (path, error);
  if (fd < 0)
    return NULL;

  if (check_password_file (fd, path, error))
    {
      /* One byte more than allowed: the file may have grown since fstat (). */
      len = read_all (fd, buf, sizeof buf);
      if (len < 0)
        credentials_error (error, "cannot read password file %s: %s", path, g_strerror (errno));
      else if (len > PASSWORD_FILE_MAX)
        credentials_error (error, "password file %s is larger than 4 KiB", path);
      else
        password = first_line (buf, len, path, error);
      explicit_bzero (buf, sizeof buf);
    }
  close (fd);
  return password;
}

/* ---- keyring ---- */

/* libsecret returns non-pageable memory that g_free () must not see: hand out an ordinary
 * copy (freed with ss_credentials_password_free () or g_free ()), wipe the original. */
static char *
take_secret (char *secret)
{
  char *password;

  if (secret == NULL)
    return NULL;
  password = g_strdup (secret);
  secret_password_free (secret);
  return password;
}

static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *secret = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    {
      g_prefix_error (&error, "Keyring: ");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, take_secret (secret),
                         (GDestroyNotify) ss_credentials_password_free);
}

void
ss_credentials_lookup_async (const char          *server,
                             const char          *user,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (server != NULL && user != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, ss_credentials_lookup_async);
  secret_password_lookup (&ss_secret_schema, cancellable, lookup_cb, task,
                          "server", server, "user", user, NULL);
}

char *
ss_credentials_lookup_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ss_credentials_lookup_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

char *
ss_credentials_lookup_sync (const char    *server,
                            const char    *user,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  char *secret;

  g_return_val_if_fail (server != NULL && user != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  secret = secret_password_lookup_sync (&ss_secret_schema, cancellable, &local_error,
                                        "server", server, "user", user, NULL);
  if (local_error != NULL)
    {
      g_prefix_error (&local_error, "Keyring: ");
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return take_secret (secret);
}

static void
keep_result (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

char *
ss_credentials_lookup_wait (const char  *server,
                            const char  *user,
                            guint        timeout_s,
                            GError     **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GSource) timeout = g_timeout_source_new_seconds (timeout_s);
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (server != NULL && user != NULL, NULL);

  g_source_set_callback (timeout, cancel_cb, cancellable, NULL);
  g_source_attach (timeout, context);
  g_main_context_push_thread_default (context);
  ss_credentials_lookup_async (server, user, cancellable, keep_result, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  g_source_destroy (timeout);
  return ss_credentials_lookup_finish (result, error);
}

static void
store_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!secret_password_store_finish (result, &error))
    {
      g_prefix_error (&error, "Keyring: ");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
ss_credentials_store_async (const char          *server,
                            const char          *user,
                            const char          *password,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autofree char *label = NULL;
  GTask *task;

  g_return_if_fail (server != NULL && user != NULL && password != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, ss_credentials_store_async);
  label = g_strdup_printf ("SpamSieve: %s on %s", user, server);
  secret_password_store (&ss_secret_schema, SECRET_COLLECTION_DEFAULT, label, password,
                         cancellable, store_cb, task, "server", server, "user", user, NULL);
}

gboolean
ss_credentials_store_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ss_credentials_store_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
ss_credentials_clear_sync (const char    *server,
                           const char    *user,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (server != NULL && user != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* FALSE without an error only means that nothing was stored: not a failure. */
  secret_password_clear_sync (&ss_secret_schema, cancellable, &local_error,
                              "server", server, "user", user, NULL);
  if (local_error != NULL)
    {
      g_prefix_error (&local_error, "Keyring: ");
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}
