/* ss-test-spamd.c: a real spamd on loopback with a private Bayes database. */
#define G_LOG_DOMAIN "ss-test-servers"

#include "config.h"

#include "ss-test-servers.h"
#include "ss-harness-private.h"

#include <string.h>
#include <unistd.h>

struct _SsTestSpamd
{
  GSubprocess *process;
  char        *dir;
  char        *log_file;
  guint16      port;
  gboolean     allow_tell;
  RunAs        run_as;
};

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

  self->process = ss_harness_spawn ((const char * const *) argv->pdata, self->log_file,
                                    &self->run_as, env, error);
  if (self->process == NULL)
    return FALSE;
  if (ss_harness_wait_ready (self->process, ss_harness_probe_spamd_ping, self->port,
                             SPAMD_START_MS, 100, error))
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

      if (!ss_harness_make_dirs (sub, error))
        return FALSE;
    }
  if (geteuid () != 0)
    return TRUE;
  /* spamd refuses to run as root: the whole process runs as nobody, set before exec */
  self->run_as.drop = TRUE;
  return ss_harness_lookup_user (UNPRIVILEGED_USER, &self->run_as.uid, &self->run_as.gid, error)
         && ss_harness_chown_tree_to_nobody (self->dir, error);
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
      retry = ss_harness_file_contains (self->log_file, "Address already in use");
    }
  ss_harness_prefix_with_log (&local_error, "spamd did not start", self->log_file, NULL);
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
  ss_harness_terminate (self->process);
  g_clear_object (&self->process);
  ss_harness_wait_port_closed (self->port);
}

gboolean
ss_test_spamd_restart (SsTestSpamd *self,
                       GError     **error)
{
  ss_test_spamd_kill (self);
  if (launch_spamd (self, error))
    return TRUE;
  ss_harness_prefix_with_log (error, "spamd did not restart", self->log_file, NULL);
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
  if (!ss_harness_run_program (argv, &self->run_as, &dump, error))
    return FALSE;
  *n_spam = magic_value (dump, "non-token data: nspam");
  *n_ham = magic_value (dump, "non-token data: nham");
  return TRUE;
}

