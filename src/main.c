/* main.c: decide headless or GUI before any GTK call */
#include "config.h"

#include <curl/curl.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <malloc.h>
#include <string.h>

#include "ss-headless.h"
#include "ss-message-info.h"

#if SS_WITH_GUI
# include "ss-application.h"
#endif

/* TRUE if option appears before a "--". */
static gboolean
has_option (int         argc,
            char      **argv,
            const char *option)
{
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        break;
      if (strcmp (argv[i], option) == 0)
        return TRUE;
    }
  return FALSE;
}

int
main (int    argc,
      char **argv)
{
  int ret;

  /* Answered before anything else: needs no schema, display or D-Bus. */
  if (has_option (argc, argv, "--version"))
    {
      g_print ("spamsieve %s\n", PACKAGE_VERSION);
      return 0;
    }

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* Each scan thread would otherwise get a malloc arena of its own (up to 8 per core), each
   * keeping its freed message buffers: two keep a long-running engine small. */
  mallopt (M_ARENA_MAX, 2);

  /* Before any thread exists: libcurl's global init is not thread-safe. */
  curl_global_init (CURL_GLOBAL_DEFAULT);
  ss_message_info_init ();

  if (!SS_WITH_GUI || has_option (argc, argv, "--headless"))
    ret = ss_headless_run (argc, argv);
  else
#if SS_WITH_GUI
    ret = ss_application_run (argc, argv);
#else
    ret = 1;
#endif

  curl_global_cleanup ();
  return ret;
}
