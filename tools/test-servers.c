/* test-servers.c (ss-test-serve): the test harness's dovecot + spamd, for benchmarks and demos.
 * Prints SS_*=value lines on stdout (SS_READY=1 last), runs until SIGTERM/SIGINT/SIGHUP,
 * then stops both servers and removes their directories.
 * With --commands it also reads commands on stdin, one a line, fields separated by a tab,
 * and answers each with one line on stdout ("OK" or "OK N", else "ERROR message"):
 *   create FOLDER      creates the folder (harness folder names: '/' separates levels)
 *   load FOLDER DIR    adds every file of DIR, in name order, to FOLDER, unread; N = count
 * End of stdin stops the servers as a signal does. */
#define G_LOG_DOMAIN "ss-test-serve"

#include "config.h"

#include "ss-test-servers.h"

#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct
{
  SsTestDovecotOptions dovecot;
  gboolean             dot_delimiter;
  gboolean             no_dovecot;
  gboolean             no_spamd;
  gboolean             no_tell;
  gboolean             commands;
  char               **oauth_tokens;
} ServeOptions;

typedef struct
{
  SsTestDovecot    *dovecot;
  GDataInputStream *input;
  GMainLoop        *loop;
} Commands;

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
    { "oauth-token", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->oauth_tokens,
      "Also accept XOAUTH2/OAUTHBEARER login with this access token (repeatable)", "TOKEN" },
    { "no-dovecot", 0, 0, G_OPTION_ARG_NONE, &options->no_dovecot, "Start no dovecot", NULL },
    { "no-spamd", 0, 0, G_OPTION_ARG_NONE, &options->no_spamd, "Start no spamd", NULL },
    { "no-tell", 0, 0, G_OPTION_ARG_NONE, &options->no_tell, "spamd without --allow-tell",
      NULL },
    { "commands", 0, 0, G_OPTION_ARG_NONE, &options->commands,
      "Read mail store commands on stdin", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- run test dovecot + spamd");

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  options->dovecot.delimiter = options->dot_delimiter ? '.' : '/';
  options->dovecot.oauth2 = options->oauth_tokens != NULL;
  return TRUE;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* Every file of dir, in name order (the order of their UIDs), into folder. */
static gboolean
load_folder (SsTestDovecot *dovecot,
             const char    *folder,
             const char    *dir_path,
             guint         *n_loaded,
             GError       **error)
{
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, error);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL || !ss_test_dovecot_create_folder (dovecot, folder, error))
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir_path, names->pdata[i], NULL);
      g_autoptr(GMappedFile) file = g_mapped_file_new (path, FALSE, error);
      g_autoptr(GBytes) bytes = NULL;

      if (file == NULL)
        return FALSE;
      bytes = g_mapped_file_get_bytes (file);
      if (!ss_test_dovecot_add_message (dovecot, folder, bytes, "", 0, error))
        return FALSE;
    }
  *n_loaded = names->len;
  return TRUE;
}

/* One command line: its answer ("OK", "OK N"), or NULL + error. */
static char *
run_command (SsTestDovecot *dovecot,
             const char    *line,
             GError       **error)
{
  g_auto(GStrv) words = g_strsplit (line, "\t", -1);
  guint n_words = g_strv_length (words);
  guint n = 0;

  if (dovecot == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "no dovecot");
      return NULL;
    }
  if (n_words == 2 && g_str_equal (words[0], "create"))
    return ss_test_dovecot_create_folder (dovecot, words[1], error) ? g_strdup ("OK") : NULL;
  if (n_words == 3 && g_str_equal (words[0], "load"))
    return load_folder (dovecot, words[1], words[2], &n, error)
           ? g_strdup_printf ("OK %u", n) : NULL;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "unknown command: %s", line);
  return NULL;
}

static void
on_command_line (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Commands *commands = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish (commands->input, result, NULL,
                                                                &error);
  g_autofree char *answer = NULL;

  if (line == NULL)
    {
      /* end of stdin: whoever drives us is gone */
      if (error != NULL)
        g_printerr ("ss-test-serve: stdin: %s\n", error->message);
      g_main_loop_quit (commands->loop);
      return;
    }
  answer = run_command (commands->dovecot, line, &error);
  if (answer != NULL)
    printf ("%s\n", answer);
  else
    printf ("ERROR %s\n", error->message);
  fflush (stdout);
  g_data_input_stream_read_line_async (commands->input, G_PRIORITY_DEFAULT, NULL,
                                       on_command_line, commands);
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
  Commands commands = { 0 };
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
  if (dovecot != NULL && options.oauth_tokens != NULL)
    ss_test_dovecot_set_oauth_tokens (dovecot, (const char * const *) options.oauth_tokens);
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
      if (options.commands)
        {
          g_autoptr(GInputStream) in = g_unix_input_stream_new (STDIN_FILENO, FALSE);

          commands.dovecot = dovecot;
          commands.loop = loop;
          commands.input = g_data_input_stream_new (in);
          g_data_input_stream_read_line_async (commands.input, G_PRIORITY_DEFAULT, NULL,
                                               on_command_line, &commands);
        }
      g_main_loop_run (loop);
      g_clear_object (&commands.input);
    }
  if (spamd != NULL)
    ss_test_spamd_stop (spamd);
  if (dovecot != NULL)
    ss_test_dovecot_stop (dovecot);
  g_strfreev (options.oauth_tokens);
  return status;
}
