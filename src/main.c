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

static gboolean
wants_headless (int    argc,
                char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        break;
      if (strcmp (argv[i], "--headless") == 0)
        return TRUE;
    }
  return !SS_WITH_GUI;
}

int
main (int    argc,
      char **argv)
{
  int ret;

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

  if (wants_headless (argc, argv))
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
