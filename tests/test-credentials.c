#define G_LOG_DOMAIN "test-credentials"

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "ss-credentials.h"
#include "ss-error.h"
#include "ss-test-utils.h"

/* ---- password file ---- */

typedef struct
{
  char *dir;
} FileFixture;

static void
file_setup (FileFixture   *fx,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fx->dir = g_dir_make_tmp ("test-credentials-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
file_teardown (FileFixture   *fx,
               gconstpointer  data)
{
  g_autoptr(GDir) dir = g_dir_open (fx->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fx->dir, name, NULL);

      if (g_rmdir (path) != 0)
        g_assert_cmpint (g_unlink (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (fx->dir), ==, 0);
  g_free (fx->dir);
}

static char *
write_file (FileFixture *fx,
            const char  *name,
            const char  *contents,
            gssize       len,
            int          mode)
{
  return ss_test_write_file (fx->dir, name, contents, len, mode);
}

/* Reads path: expected is the password, or NULL for a refusal whose one-line message names
 * path and contains fragment. */
static void
check_read (const char *path,
            const char *expected,
            const char *fragment)
{
  g_autoptr(GError) error = NULL;
  char *password = ss_credentials_read_file (path, &error);

  if (expected != NULL)
    {
      g_assert_no_error (error);
      g_assert_cmpstr (password, ==, expected);
      ss_credentials_password_free (password);
      return;
    }
  g_assert_null (password);
  g_assert_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CREDENTIALS);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, fragment));
  g_assert_null (strchr (error->message, '\n'));
}

static void
test_file_ok (FileFixture   *fx,
              gconstpointer  data)
{
  g_autofree char *lf = write_file (fx, "lf", "hunter2 with spaces \nsecond line\n", -1, 0600);
  g_autofree char *crlf = write_file (fx, "crlf", "crlf-secret\r\n", -1, 0600);
  g_autofree char *bare = write_file (fx, "bare", "no-newline", -1, 0400);

  check_read (lf, "hunter2 with spaces ", NULL);
  check_read (crlf, "crlf-secret", NULL);
  check_read (bare, "no-newline", NULL);
  ss_credentials_password_free (NULL);
}

static void
test_file_mode (FileFixture   *fx,
                gconstpointer  data)
{
  g_autofree char *world = write_file (fx, "world", "pw\n", -1, 0644);
  g_autofree char *group = write_file (fx, "group", "pw\n", -1, 0640);
  g_autofree char *fix = g_strdup_printf ("chmod 600 %s", world);

  check_read (world, NULL, fix);
  check_read (group, NULL, "chmod 600");
}

static void
test_file_symlink (FileFixture   *fx,
                   gconstpointer  data)
{
  g_autofree char *target = write_file (fx, "target", "pw\n", -1, 0600);
  g_autofree char *link = g_build_filename (fx->dir, "link", NULL);

  g_assert_cmpint (symlink (target, link), ==, 0);
  check_read (link, NULL, "symbolic link");
}

static void
test_file_missing (FileFixture   *fx,
                   gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fx->dir, "absent", NULL);

  check_read (path, NULL, "No such file or directory");
}

static void
test_file_empty (FileFixture   *fx,
                 gconstpointer  data)
{
  g_autofree char *empty = write_file (fx, "empty", "", 0, 0600);
  g_autofree char *blank = write_file (fx, "blank", "\r\nsecond line\n", -1, 0600);

  check_read (empty, NULL, "is empty");
  check_read (blank, NULL, "is empty");
}

static void
test_file_limits (FileFixture   *fx,
                  gconstpointer  data)
{
  g_autofree char *big = g_strnfill (4097, 'x');
  g_autofree char *exact = g_strnfill (4096, 'y');
  g_autofree char *big_path = write_file (fx, "big", big, -1, 0600);
  g_autofree char *exact_path = write_file (fx, "exact", exact, -1, 0600);
  g_autofree char *nul_path = write_file (fx, "nul", "a\0b\n", 4, 0600);
  g_autofree char *subdir = g_build_filename (fx->dir, "subdir", NULL);

  check_read (exact_path, exact, NULL);
  check_read (big_path, NULL, "larger than 4 KiB");
  check_read (nul_path, NULL, "NUL byte");
  g_assert_cmpint (g_mkdir (subdir, 0700), ==, 0);
  check_read (subdir, NULL, "not a regular file");
}

static void
test_file_owner (FileFixture   *fx,
                 gconstpointer  data)
{
  g_autofree char *path = write_file (fx, "foreign", "pw\n", -1, 0600);

  if (geteuid () != 0)
    {
      g_test_skip ("needs root to give a file away");
      return;
    }
  g_assert_cmpint (chown (path, 65534, 65534), ==, 0);
  check_read (path, NULL, "not by you");
}

/* ---- keyring ---- */

/* Only the private bus of with-keyring.sh: a developer's real keyring is never touched. */
static gboolean
keyring_usable (void)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) reply = NULL;
  gboolean has_owner = FALSE;

  if (g_getenv ("SS_IN_PRIVATE_BUS") == NULL)
    {
      g_test_skip ("no private secret service (run under tests/with-keyring.sh)");
      return FALSE;
    }

  /* Under with-keyring.sh the service must be there: fail rather than skip. */
  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_assert_nonnull (bus);
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", "org.freedesktop.secrets"),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, 5000,
                                       NULL, NULL);
  g_assert_nonnull (reply);
  g_variant_get (reply, "(b)", &has_owner);
  g_assert_true (has_owner);
  return TRUE;
}

/* The answer of a keyring call, from the default main context. */
static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  return ss_test_wait_result (NULL, slot, 30000);
}

static void
store (const char *server,
       const char *user,
       const char *password)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  ss_credentials_store_async (server, user, password, NULL, ss_test_result_cb, &result);
  g_assert_true (ss_credentials_store_finish (wait_for (&result), &error));
  g_assert_no_error (error);
}

static char *
lookup (const char *server,
        const char *user)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) sync_error = NULL;
  g_autofree char *sync = NULL;
  char *password;

  ss_credentials_lookup_async (server, user, NULL, ss_test_result_cb, &result);
  password = ss_credentials_lookup_finish (wait_for (&result), &error);
  g_assert_no_error (error);

  /* The sync lookup must agree. */
  sync = ss_credentials_lookup_sync (server, user, NULL, &sync_error);
  g_assert_no_error (sync_error);
  g_assert_cmpstr (sync, ==, password);
  return password;
}

static void
clear (const char *server,
       const char *user)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ss_credentials_clear_sync (server, user, NULL, &error));
  g_assert_no_error (error);
}

static void
test_keyring_store_lookup (void)
{
  g_autofree char *password = NULL;

  if (!keyring_usable ())
    return;

  store ("mail.example.org", "ann", "s3cret with ünïcode");
  password = lookup ("mail.example.org", "ann");
  g_assert_cmpstr (password, ==, "s3cret with ünïcode");
  /* Not tested: storing over an existing item. gnome-keyring 42 then logs a g_warning ()
   * ("asked to register item ..."), fatal under the tests' G_DEBUG=fatal-warnings. */
  clear ("mail.example.org", "ann");
}

static void
test_keyring_unknown (void)
{
  g_autofree char *password = NULL;

  if (!keyring_usable ())
    return;

  password = lookup ("nothing.example.org", "nobody");
  g_assert_null (password);
}

static void
test_keyring_clear (void)
{
  g_autofree char *password = NULL;

  if (!keyring_usable ())
    return;

  store ("clear.example.org:1993", "ann", "to be cleared");
  clear ("clear.example.org:1993", "ann");
  password = lookup ("clear.example.org:1993", "ann");
  g_assert_null (password);
  /* Nothing left to clear is not an error. */
  clear ("clear.example.org:1993", "ann");
}

static void
test_keyring_apart (void)
{
  const struct { const char *server; const char *user; const char *password; } accounts[] = {
    { "apart.example.org", "ann", "ann's" },
    { "apart.example.org", "bob", "bob's" },
    { "apart.example.org:1993", "ann", "ann's other port" },
  };

  if (!keyring_usable ())
    return;

  for (gsize i = 0; i < G_N_ELEMENTS (accounts); i++)
    store (accounts[i].server, accounts[i].user, accounts[i].password);
  for (gsize i = 0; i < G_N_ELEMENTS (accounts); i++)
    {
      g_autofree char *password = lookup (accounts[i].server, accounts[i].user);

      g_assert_cmpstr (password, ==, accounts[i].password);
    }

  /* Clearing one leaves the others. */
  clear (accounts[0].server, accounts[0].user);
  for (gsize i = 0; i < G_N_ELEMENTS (accounts); i++)
    {
      g_autofree char *password = lookup (accounts[i].server, accounts[i].user);

      g_assert_cmpstr (password, ==, i == 0 ? NULL : accounts[i].password);
      clear (accounts[i].server, accounts[i].user);
    }
}

static void
test_keyring_cancelled (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;

  if (!keyring_usable ())
    return;

  g_cancellable_cancel (cancellable);
  ss_credentials_lookup_async ("mail.example.org", "ann", cancellable, ss_test_result_cb, &result);
  password = ss_credentials_lookup_finish (wait_for (&result), &error);
  g_assert_null (password);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD_FILE_TEST(path, func) \
  g_test_add (path, FileFixture, NULL, file_setup, func, file_teardown)
  ADD_FILE_TEST ("/credentials/file/ok", test_file_ok);
  ADD_FILE_TEST ("/credentials/file/mode", test_file_mode);
  ADD_FILE_TEST ("/credentials/file/symlink", test_file_symlink);
  ADD_FILE_TEST ("/credentials/file/missing", test_file_missing);
  ADD_FILE_TEST ("/credentials/file/empty", test_file_empty);
  ADD_FILE_TEST ("/credentials/file/limits", test_file_limits);
  ADD_FILE_TEST ("/credentials/file/owner", test_file_owner);
#undef ADD_FILE_TEST

  g_test_add_func ("/credentials/keyring/store-lookup", test_keyring_store_lookup);
  g_test_add_func ("/credentials/keyring/unknown", test_keyring_unknown);
  g_test_add_func ("/credentials/keyring/clear", test_keyring_clear);
  g_test_add_func ("/credentials/keyring/apart", test_keyring_apart);
  g_test_add_func ("/credentials/keyring/cancelled", test_keyring_cancelled);

  return g_test_run ();
}
