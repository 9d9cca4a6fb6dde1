/* ss-headless.c: spamsieve --headless: the engine without a GUI, for servers and cron */
#define G_LOG_DOMAIN "ss-headless"

#include "config.h"

#include "ss-headless.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <stdio.h>

#include "ss-assembly.h"
#include "ss-credentials.h"
#include "ss-error.h"
#include "ss-session.h"

#define KEYRING_TIMEOUT_S 20

typedef struct
{
  char     *config_path;
  gboolean  once;
  gboolean  json;
  gboolean  dry_run;
  gboolean  headless;
} Options;

static void
options_clear (Options *options)
{
  g_free (options->config_path);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

enum {
  EXIT_FAILED = 1,
  EXIT_SETTINGS = 2,
  EXIT_LOGIN = 3,
  EXIT_SERVER = 4,
  EXIT_SPAMD = 5,
};

static int
exit_code_for (const GError *error)
{
  if (error->domain == SS_ENGINE_ERROR)
    return error->code == SS_ENGINE_ERROR_CONFIG ? EXIT_SETTINGS :
           error->code == SS_ENGINE_ERROR_CREDENTIALS ? EXIT_LOGIN : EXIT_FAILED;
  if (error->domain == SS_IMAP_ERROR)
    switch (error->code)
      {
      case SS_IMAP_ERROR_LOGIN:
        return EXIT_LOGIN;
      case SS_IMAP_ERROR_CONNECT:
      case SS_IMAP_ERROR_TLS:
      case SS_IMAP_ERROR_TIMEOUT:
        return EXIT_SERVER;
      default:
        return EXIT_FAILED;
      }
  if (error->domain == SS_SPAMD_ERROR)
    return EXIT_SPAMD;
  return EXIT_FAILED;
}

static int
fail (const GError *error)
{
  g_autofree char *line = g_strdup (error->message);

  /* One line, whatever the server said. */
  g_strdelimit (line, "\r\n", ' ');
  fprintf (stderr, "spamsieve: %s\n", line);
  return exit_code_for (error);
}

static gboolean
parse_options (int       *argc,
               char    ***argv,
               Options   *options,
               GError   **error)
{
  const GOptionEntry entries[] = {
    { "headless", 0, 0, G_OPTION_ARG_NONE, &options->headless,
      N_("Run without a window (for servers)"), NULL },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &options->config_path,
      N_("Settings file (see README)"), N_("FILE") },
    { "once", 0, 0, G_OPTION_ARG_NONE, &options->once,
      N_("Filter, learn and expire once, then exit"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &options->json,
      N_("Print one JSON object per message handled"), NULL },
    { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &options->dry_run,
      N_("Scan and report; move and delete nothing"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);

  g_option_context_set_summary (context, _("Filter an IMAP folder through SpamAssassin."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (options->config_path == NULL)
    {
      g_set_error_literal (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG,
                           _("--headless needs --config FILE"));
      return FALSE;
    }
  return TRUE;
}

static char *
get_password (const SsConfig  *config,
              GError         **error)
{
  g_autofree char *server = NULL;
  g_autoptr(GError) local_error = NULL;
  char *password;

  if (config->password_file != NULL)
    {
      password = ss_credentials_read_file (config->password_file, &local_error);
      /* A password file that is unsafe or missing is a settings problem. */
      if (password == NULL)
        g_set_error_literal (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG,
                             local_error->message);
      return password;
    }

  server = ss_config_dup_server (config);
  password = ss_credentials_lookup_wait (server, config->user, KEYRING_TIMEOUT_S, &local_error);
  if (password != NULL)
    return password;
  g_set_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CREDENTIALS,
               "No password for %s on %s: set password-file in the settings or store it "
               "in the keyring%s%s", config->user, server,
               local_error != NULL ? ": " : "",
               local_error != NULL ? local_error->message : "");
  return NULL;
}

static void
print_record (const SsRecord *record,
              gpointer        user_data)
{
  const Options *options = user_data;

  if (options->json)
    {
      g_autofree char *json = ss_record_to_json (record);
      printf ("%s\n", json);
    }
  else if (record->scanned)
    printf ("%-12s %6.1f/%-5.1f %-10s %s — %s\n", ss_verdict_kind_to_string (record->verdict),
            record->score, record->threshold, *record->destination ? record->destination : "-",
            record->from, record->subject);
  else
    printf ("%-12s %12s %-10s %s — %s\n", ss_verdict_kind_to_string (record->verdict), "",
            *record->destination ? record->destination : "-", record->from, record->subject);
  fflush (stdout);
}

static void
print_summary (const SsFilterStats *s,
               const Options       *options)
{
  if (options->json)
    return;
  fprintf (stderr, "spamsieve: %u scanned (%u spam, %u ham), %u skipped, %u unscanned, "
           "%u left to retry, %u learned as ham, %u learned as spam, %u expired%s\n",
           s->scanned, s->spam, s->ham, s->skipped, s->unscanned, s->deferred,
           s->learned_ham, s->learned_spam, s->expired,
           options->dry_run ? " (dry run: nothing moved)" : "");
}

/* Unfiltered stays empty while INBOX gets mail nobody judged: say so (engine: ss-filter-inplace.c). */
static void
print_bypass_hint (guint           count,
                   const SsConfig *config,
                   const Options  *options)
{
  if (options->json)
    {
      g_autoptr(GString) line = g_string_new ("{\"event\":\"hint\",\"hint\":\"inbox-bypass\","
                                              "\"folder\":");

      ss_json_append_string (line, config->folder_inbox);
      g_string_append (line, ",\"unfiltered\":");
      ss_json_append_string (line, config->folder_unfiltered);
      g_string_append_printf (line, ",\"count\":%u}", count);
      printf ("%s\n", line->str);
      fflush (stdout);
    }
  else if (count > 0)
    fprintf (stderr, "spamsieve: hint: %s is empty, but %u new message(s) in %s were not "
             "filtered: no server rule files new mail into %s. Filter %s directly with "
             "[folders] unfiltered=%s\n", config->folder_unfiltered, count,
             config->folder_inbox, config->folder_unfiltered, config->folder_inbox,
             config->folder_inbox);
}

/* Learning, expiry, then Unfiltered: the live session's cycle, once. */
static gboolean
run_cycle_once (SsAssembly      *parts,
                const SsConfig  *config,
                const Options   *options,
                GError         **error)
{
  g_autoptr(GError) refused = NULL;
  const SsFilterStats *stats;
  gboolean ok;

  ss_filter_set_dry_run (parts->filter, options->dry_run);
  ss_filter_set_record_func (parts->filter, print_record, (gpointer) options);
  ok = ss_spamd_client_ping_sync (parts->spamd, NULL, error) &&
       ss_filter_prepare (parts->filter, NULL, error) &&
       ss_assembly_run_cycle (parts->filter, TRUE, NULL, NULL, &refused, NULL, error);
  stats = ss_filter_get_stats (parts->filter);
  print_summary (stats, options);
  if (stats->inbox_bypass > 0)
    print_bypass_hint (stats->inbox_bypass, config, options);
  if (ok && refused != NULL)
    {
      /* Reported once the rest of the cycle ran. */
      g_propagate_error (error, g_steal_pointer (&refused));
      return FALSE;
    }
  if (ok && stats->deferred > 0)
    {
      g_set_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_PROTOCOL,
                   "spamd gave no verdict for %u message(s); they stay in %s and will be "
                   "retried", stats->deferred, config->folder_unfiltered);
      return FALSE;
    }
  return ok;
}

static gboolean
run_once (const SsConfig  *config,
          const Options   *options,
          GError         **error)
{
  SsAssembly parts = { 0 };
  g_autoptr(SsJournal) journal = NULL;
  g_autofree char *journal_path = ss_journal_default_path ();
  g_autofree char *password = NULL;
  gboolean ok;

  password = get_password (config, error);
  if (password == NULL)
    return FALSE;
  journal = ss_journal_open (journal_path, error);
  if (journal == NULL)
    return FALSE;
  ok = ss_assembly_connect (&parts, config, password, journal, 0, NULL, error);
  ss_credentials_password_free (g_steal_pointer (&password));
  ok = ok && run_cycle_once (&parts, config, options, error);
  ss_assembly_clear (&parts);
  return ok;
}

/* ---------------------------------------------------------------------------------------- */
/* Live mode                                                                                 */

typedef struct
{
  const Options *options;
  SsSession     *session;
  GMainLoop     *loop;
  gboolean       stopping;
} Live;

static void
on_state (SsSession  *session,
          GParamSpec *pspec,
          Live       *live)
{
  SsSessionState state = ss_session_get_state (session);
  const char *error = ss_session_get_last_error (session);

  if (live->options->json)
    {
      g_autoptr(GString) line = g_string_new ("{\"event\":\"state\",\"state\":");

      ss_json_append_string (line, ss_session_state_to_string (state));
      g_string_append (line, ",\"error\":");
      if (error != NULL)
        ss_json_append_string (line, error);
      else
        g_string_append (line, "null");
      g_string_append_printf (line, ",\"retry_at\":%" G_GINT64_FORMAT ",\"time\":%" G_GINT64_FORMAT
                              "}", ss_session_get_retry_at (session),
                              g_get_real_time () / G_USEC_PER_SEC);
      printf ("%s\n", line->str);
      fflush (stdout);
    }
  else if (error != NULL)
    fprintf (stderr, "spamsieve: %s: %s\n", ss_session_state_to_string (state), error);
  else
    fprintf (stderr, "spamsieve: %s\n", ss_session_state_to_string (state));
}

static void
on_inbox_bypass (SsSession  *session,
                 GParamSpec *pspec,
                 Live       *live)
{
  g_autoptr(SsConfig) config = ss_session_get_config (session);

  print_bypass_hint (ss_session_get_inbox_bypass (session), config, live->options);
}

static void
on_record (SsSession      *session,
           const SsRecord *record,
           Live           *live)
{
  print_record (record, (gpointer) live->options);
}

static void
on_stopped (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Live *live = user_data;

  ss_session_stop_finish (SS_SESSION (object), result, NULL);
  g_main_loop_quit (live->loop);
}

static gboolean
on_quit_signal (gpointer user_data)
{
  Live *live = user_data;

  if (!live->stopping)
    {
      live->stopping = TRUE;
      ss_session_stop_async (live->session, NULL, on_stopped, live);
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_reload_signal (gpointer user_data)
{
  Live *live = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SsConfig) config = ss_config_load_file (live->options->config_path, &error);
  g_autofree char *password = NULL;

  if (config != NULL)
    password = get_password (config, &error);
  if (password == NULL)
    {
      fprintf (stderr, "spamsieve: not reloaded: %s\n", error->message);
      return G_SOURCE_CONTINUE;
    }
  fprintf (stderr, "spamsieve: settings reloaded\n");
  ss_session_reload (live->session, config, password);
  return G_SOURCE_CONTINUE;
}

static int
run_live (const SsConfig *config,
          const Options  *options)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *password = get_password (config, &error);
  g_autoptr(SsSession) session = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  Live live = { options };
  guint sources[3];

  if (password == NULL)
    return fail (error);
  session = ss_session_new (config, password, NULL);
  loop = g_main_loop_new (NULL, FALSE);
  live.session = session;
  live.loop = loop;
  g_signal_connect (session, "notify::state", G_CALLBACK (on_state), &live);
  g_signal_connect (session, "record", G_CALLBACK (on_record), &live);
  g_signal_connect (session, "notify::inbox-bypass", G_CALLBACK (on_inbox_bypass), &live);
  sources[0] = g_unix_signal_add (SIGTERM, on_quit_signal, &live);
  sources[1] = g_unix_signal_add (SIGINT, on_quit_signal, &live);
  sources[2] = g_unix_signal_add (SIGHUP, on_reload_signal, &live);
  ss_session_start (session);
  g_main_loop_run (loop);
  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    g_source_remove (sources[i]);
  g_signal_handlers_disconnect_by_data (session, &live);
  return 0;
}

int
ss_headless_run (int    argc,
                 char **argv)
{
  g_auto(Options) options = { 0 };
  g_autoptr(SsConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  if (!parse_options (&argc, &argv, &options, &error))
    {
      fprintf (stderr, "spamsieve: %s\n", error->message);
      return EXIT_SETTINGS;
    }
  config = ss_config_load_file (options.config_path, &error);
  if (config == NULL)
    return fail (error);
  if (!options.once)
    {
      if (options.dry_run)
        {
          fprintf (stderr, "spamsieve: --dry-run needs --once\n");
          return EXIT_SETTINGS;
        }
      return run_live (config, &options);
    }
  if (!run_once (config, &options, &error))
    return fail (error);
  return 0;
}
