/* test-servers.c (ss-test-serve): the test harness's dovecot + spamd, for benchmarks and demos.
 * Prints SS_*=value lines on stdout (SS_READY=1 last), runs until SIGTERM/SIGINT/SIGHUP,
 * then stops both servers and removes their directories. */
#define G_LOG_DOMAIN "ss-test-serve"

#include "config.h"

#include "ss-test-servers.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>

typedef struct
{
  SsTestDovecotOptions dovecot;
  gboolean             dot_delimiter;
  gboolean             no_dovecot;
  gboolean             no_spamd;
  gboolean             no_tell;
} ServeOptions;

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
parse_options (ServeOptions *options,
               int          *argc,
               char       ***argv,
               GError      **error)
{
  GOptionEntry entries[] = {
    { "no-move", 0, 0, G_OPTION_ARG_NONE, &options->dovecot.no_move,
      "Hide MOVE from CAPABILITY", NULL },
    { "no-idle", 0, 0, G_OPTION_ARG_NONE, &options->dovecot.no_idle,
      "Hide IDLE from CAPABILITY", NULL },
    { "dot-delimiter", 0, 0, G_OPTION_ARG_NONE, &options->dot_delimiter,
      "Use '.' as hierarchy delimiter (default '/')", NULL },
    { "no-unfiltered", 0, 0, G_OPTION_ARG_NONE, &options->dovecot.no_unfiltered,
      "Do not create the Unfiltered folder", NULL },
    { "special-use-junk", 0, 0, G_OPTION_ARG_NONE, &options->dovecot.special_use_junk,
      "Create Junk with \\Junk SPECIAL-USE", NULL },
    { "plaintext-ok", 0, 0, G_OPTION_ARG_NONE, &options->dovecot.plaintext_ok,
      "Allow LOGIN without TLS", NULL },
    { "no-dovecot", 0, 0, G_OPTION_ARG_NONE, &options->no_dovecot, "Start no dovecot", NULL },
    { "no-spamd", 0, 0, G_OPTION_ARG_NONE, &options->no_spamd, "Start no spamd", NULL },
    { "no-tell", 0, 0, G_OPTION_ARG_NONE, &options->no_tell, "spamd without --allow-tell",
      NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- run test dovecot + spamd");

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  options->dovecot.delimiter = options->dot_delimiter ? '.' : '/';
  return TRUE;
}

static void
print_dovecot (SsTestDovecot *dovecot)
{
  printf ("SS_IMAP_PORT=%u\n", ss_test_dovecot_get_imap_port (dovecot));
  printf ("SS_IMAPS_PORT=%u\n", ss_test_dovecot_get_imaps_port (dovecot));
  printf ("SS_CA_FILE=%s\n", ss_test_dovecot_get_ca_file (dovecot));
  printf ("SS_DIR=%s\n", ss_test_dovecot_get_dir (dovecot));
  printf ("SS_DELIMITER=%c\n", ss_test_dovecot_get_delimiter (dovecot));
  printf ("SS_USER=tester\nSS_PASSWORD=secret\n");
}

static void
print_spamd (SsTestSpamd *spamd)
{
  g_autofree char *address = ss_test_spamd_dup_address (spamd);

  printf ("SS_SPAMD_ADDRESS=%s\n", address);
  printf ("SS_SPAMD_DIR=%s\n", ss_test_spamd_get_dir (spamd));
}

int
main (int   argc,
      char *argv[])
{
  ServeOptions options = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  SsTestDovecot *dovecot = NULL;
  SsTestSpamd *spamd = NULL;
  int status = 0;

  if (!parse_options (&options, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  /* installed first: a signal during the (slow) start still stops us cleanly */
  g_unix_signal_add (SIGTERM, quit_loop, loop);
  g_unix_signal_add (SIGINT, quit_loop, loop);
  g_unix_signal_add (SIGHUP, quit_loop, loop);
  if (!options.no_dovecot)
    dovecot = ss_test_dovecot_start (&options.dovecot, &error);
  if (error == NULL && !options.no_spamd)
    spamd = ss_test_spamd_start (!options.no_tell, &error);
  if (error != NULL)
    {
      g_printerr ("ss-test-serve: %s\n", error->message);
      status = 1;
    }
  else
    {
      if (dovecot != NULL)
        print_dovecot (dovecot);
      if (spamd != NULL)
        print_spamd (spamd);
      printf ("SS_READY=1\n");
      fflush (stdout);
      g_main_loop_run (loop);
    }
  if (spamd != NULL)
    ss_test_spamd_stop (spamd);
  if (dovecot != NULL)
    ss_test_dovecot_stop (dovecot);
  return status;
}
