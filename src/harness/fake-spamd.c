/* fake-spamd: the harness's stand-in spamd as a program, for the benchmark's engine cost.
 * Usage: fake-spamd [--mode=NAME] PORT   (127.0.0.1; PORT 0 = any, printed as "PORT=N") */
#include "config.h"

#include <stdio.h>

#include "ss-test-fake-spamd.h"

int
main (int   argc,
      char *argv[])
{
  g_autofree char *mode_name = NULL;
  const GOptionEntry entries[] = {
    { "mode", 0, 0, G_OPTION_ARG_STRING, &mode_name,
      "ham (default: answers at once, not spam), no-verdict, stall or close", "NAME" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("PORT - a stand-in spamd");
  g_autoptr(SsTestFakeSpamd) fake = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  SsTestFakeSpamdMode mode = SS_TEST_FAKE_SPAMD_HAM;
  guint64 port = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error)
      || (argc == 2 && !g_ascii_string_to_unsigned (argv[1], 10, 0, G_MAXUINT16, &port, &error)))
    {
      fprintf (stderr, "fake-spamd: %s\n", error->message);
      return 2;
    }
  if (argc != 2 || (mode_name != NULL && !ss_test_fake_spamd_mode_from_name (mode_name, &mode)))
    {
      fprintf (stderr, "usage: %s [--mode=ham|no-verdict|stall|close] PORT\n", argv[0]);
      return 2;
    }
  fake = ss_test_fake_spamd_new_full (mode, (guint16) port, NULL, &error);
  if (fake == NULL)
    {
      fprintf (stderr, "fake-spamd: %s\n", error->message);
      return 1;
    }
  printf ("PORT=%u\n", ss_test_fake_spamd_get_port (fake));
  fflush (stdout);
  loop = g_main_loop_new (NULL, FALSE);
  g_main_loop_run (loop);
  return 0;
}
