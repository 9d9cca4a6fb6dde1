/* ss-test-headless.c: see ss-test-headless.h */
#include "config.h"

#include "ss-test-headless.h"

#include "ss-test-utils.h"

void
ss_test_run_clear (SsTestRun *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
  g_clear_pointer (&run->records, g_ptr_array_unref);
}

static void
parse_records (SsTestRun *run)
{
  g_auto(GStrv) lines = g_strsplit (run->out, "\n", -1);

  run->records = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      JsonNode *root;

      if (*lines[i] == '\0')
        continue;
      json_parser_load_from_data (parser, lines[i], -1, &error);
      g_assert_no_error (error);
      root = json_parser_get_root (parser);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
      g_ptr_array_add (run->records, json_object_ref (json_node_get_object (root)));
    }
}

void
ss_test_run_headless (SsTestRun          *run,
                      const char         *dir,
                      const char         *config_path,
                      const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher =
    ss_test_launcher_new (dir, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) proc = ss_test_spawn_headless (launcher, config_path, args);
  g_autoptr(GError) error = NULL;

  ss_test_run_clear (run);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  run->exit_status = g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc)
                                                       : -1;
  g_test_message ("exit %d; stderr: %s", run->exit_status, run->err);
  parse_records (run);
}
