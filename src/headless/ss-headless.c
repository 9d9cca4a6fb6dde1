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
  char    **config_paths;   /* one per account: --config may be given several times */
  gboolean  once;
  gboolean  json;
  gboolean  dry_run;
  gboolean  headless;
  gboolean  train_existing;
} Options;

static void
options_clear (Options *options)
{
  g_strfreev (options->config_paths);
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
           error->code == SS_ENGINE_ERROR_CREDENTIALS ||
           error->code == SS_ENGINE_ERROR_TOKEN ? EXIT_LOGIN : EXIT_FAILED;
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
    { "config", 'c', 0, G_OPTION_ARG_FILENAME_ARRAY, &options->config_paths,
      N_("Settings file (see README); repeat it to filter several accounts"), N_("FILE") },
    { "once", 0, 0, G_OPTION_ARG_NONE, &options->once,
      N_("Filter, learn and expire once, then exit"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &options->json,
      N_("Print one JSON object per message handled"), NULL },
    { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &options->dry_run,
      N_("Scan and report; move and delete nothing"), NULL },
    { "train-existing", 0, 0, G_OPTION_ARG_NONE, &options->train_existing,
      N_("Learn from existing mail (read INBOX mail as good, the spam folder as spam), "
         "then exit; moves nothing"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);

  g_option_context_set_summary (context, _("Filter an IMAP folder through SpamAssassin."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (options->config_paths == NULL)
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

  /* OAuth2: no password; the assembly runs token-command before each login. */
  if (ss_auth_mode_of (config) != SS_AUTH_PASSWORD)
    return g_strdup ("");
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

/* One account of this process: its settings file, and its session in live mode. */
typedef struct
{
  const Options *options;
  const char    *config_path;
  SsConfig      *config;
  char          *id;          /* user@server */
  gboolean       several;     /* more than one account: say which in the text output */
  SsSession     *session;     /* live mode */
} Account;

static void
account_clear (Account *account)
{
  g_clear_pointer (&account->config, ss_config_free);
  g_clear_pointer (&account->id, g_free);
  g_clear_object (&account->session);
}

/* The object with "account":"user@server" first. */
static void
print_json_line (const Account *account,
                 const char    *object)
{
  g_autoptr(GString) line = g_string_new ("{\"account\":");

  ss_json_append_string (line, account->id);
  if (object[1] != '}')
    g_string_append_c (line, ',');
  g_string_append (line, object + 1);
  printf ("%s\n", line->str);
  fflush (stdout);
}

static void
print_record (const SsRecord *record,
              gpointer        user_data)
{
  const Account *account = user_data;

  if (account->options->json)
    {
      g_autofree char *json = ss_record_to_json (record);
      print_json_line (account, json);
      return;
    }
  if (account->several)
    printf ("%s: ", account->id);
  if (record->scanned)
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
               const Account       *account)
{
  if (account->options->json)
    return;
  fprintf (stderr, "spamsieve: %s%s%u scanned (%u spam, %u ham, %u uncertain), %u skipped, "
           "%u unscanned, %u left to retry, %u learned as ham, %u learned as spam, "
           "%u expired%s\n",
           account->several ? account->id : "", account->several ? ": " : "",
           s->scanned, s->spam, s->ham, s->uncertain, s->skipped, s->unscanned, s->deferred,
           s->learned_ham, s->learned_spam, s->expired,
           account->options->dry_run ? " (dry run: nothing moved)" : "");
}

/* Unfiltered stays empty while INBOX gets mail nobody judged: say so (engine: ss-filter-inplace.c). */
static void
print_bypass_hint (guint           count,
                   const SsConfig *config,
                   const Account  *account)
{
  if (account->options->json)
    {
      g_autoptr(GString) line = g_string_new ("{\"event\":\"hint\",\"hint\":\"inbox-bypass\","
                                              "\"folder\":");

      ss_json_append_string (line, config->folder_inbox);
      g_string_append (line, ",\"unfiltered\":");
      ss_json_append_string (line, config->folder_unfiltered);
      g_string_append_printf (line, ",\"count\":%u}", count);
      print_json_line (account, line->str);
    }
  else if (count > 0)
    fprintf (stderr, "spamsieve: %s%shint: %s is empty, but %u new message(s) in %s were not "
             "filtered: no server rule files new mail into %s. Filter %s directly with "
             "[folders] unfiltered=%s\n", account->several ? account->id : "",
             account->several ? ": " : "", config->folder_unfiltered, count,
             config->folder_inbox, config->folder_unfiltered, config->folder_inbox,
             config->folder_inbox);
}

/* Learning, expiry, then Unfiltered: the live session's cycle, once. */
static gboolean
run_cycle_once (SsAssembly      *parts,
                Account         *account,
                GError         **error)
{
  g_autoptr(GError) refused = NULL;
  const SsFilterStats *stats;
  gboolean ok;

  ss_filter_set_dry_run (parts->filter, account->options->dry_run);
  ss_filter_set_record_func (parts->filter, print_record, account);
  ok = ss_spamd_client_ping_sync (parts->spamd, NULL, error) &&
       ss_filter_prepare (parts->filter, NULL, error) &&
       ss_assembly_run_cycle (parts->filter, TRUE, NULL, NULL, &refused, NULL, error);
  stats = ss_filter_get_stats (parts->filter);
  print_summary (stats, account);
  if (stats->inbox_bypass > 0)
    print_bypass_hint (stats->inbox_bypass, account->config, account);
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
                   "retried", stats->deferred, account->config->folder_unfiltered);
      return FALSE;
    }
  return ok;
}

/* Password, journal, spamd, IMAP login and filter for one account. */
static gboolean
connect_account (Account     *account,
                 SsAssembly  *parts,
                 GError     **error)
{
  g_autoptr(SsJournal) journal = NULL;
  g_autofree char *journal_path = ss_journal_default_path ();
  g_autofree char *password = NULL;
  gboolean ok;

  password = get_password (account->config, error);
  if (password == NULL)
    return FALSE;
  journal = ss_journal_open (journal_path, error);
  if (journal == NULL)
    return FALSE;
  ok = ss_assembly_connect (parts, account->config, password, journal, 0, NULL, error);
  ss_credentials_password_free (g_steal_pointer (&password));
  return ok;
}

static gboolean
run_once (Account  *account,
          GError  **error)
{
  SsAssembly parts = { 0 };
  gboolean ok;

  ok = connect_account (account, &parts, error) && run_cycle_once (&parts, account, error);
  ss_assembly_clear (&parts);
  return ok;
}

/* --train-existing: initial training, once. */
static gboolean
run_train (Account  *account,
           GError  **error)
{
  SsAssembly parts = { 0 };
  const SsConfig *config = account->config;
  SsTrainStats stats = { 0 };
  gboolean ok;

  ok = connect_account (account, &parts, error) &&
       ss_spamd_client_ping_sync (parts.spamd, NULL, error) &&
       ss_filter_prepare (parts.filter, NULL, error) &&
       ss_filter_train_existing (parts.filter, config->train_max_ham, config->train_max_spam,
                                 &stats, NULL, error);
  printf ("%s%strained: %u ham, %u spam (%u already known)\n",
          account->several ? account->id : "", account->several ? ": " : "",
          stats.ham, stats.spam, stats.known);
  fflush (stdout);
  ss_assembly_clear (&parts);
  return ok;
}

/* ---------------------------------------------------------------------------------------- */
/* Live mode                                                                                 */

typedef struct
{
  Account       *accounts;
  guint          n_accounts;
  guint          n_running;
  GMainLoop     *loop;
  gboolean       stopping;
} Live;

static void
on_state (SsSession  *session,
          GParamSpec *pspec,
          Account    *account)
{
  SsSessionState state = ss_session_get_state (session);
  const char *error = ss_session_get_last_error (session);
  const char *prefix = account->several ? account->id : "";
  const char *colon = account->several ? ": " : "";

  if (account->options->json)
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
      print_json_line (account, line->str);
    }
  else if (error != NULL)
    fprintf (stderr, "spamsieve: %s%s%s: %s\n", prefix, colon,
             ss_session_state_to_string (state), error);
  else
    fprintf (stderr, "spamsieve: %s%s%s\n", prefix, colon, ss_session_state_to_string (state));
}

static void
on_inbox_bypass (SsSession  *session,
                 GParamSpec *pspec,
                 Account    *account)
{
  g_autoptr(SsConfig) config = ss_session_get_config (session);

  print_bypass_hint (ss_session_get_inbox_bypass (session), config, account);
}

static void
on_record (SsSession      *session,
           const SsRecord *record,
           Account        *account)
{
  print_record (record, account);
}

static void
on_stopped (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Live *live = user_data;

  ss_session_stop_finish (SS_SESSION (object), result, NULL);
  if (--live->n_running == 0)
    g_main_loop_quit (live->loop);
}

static gboolean
on_quit_signal (gpointer user_data)
{
  Live *live = user_data;

  if (!live->stopping)
    {
      live->stopping = TRUE;
      for (guint i = 0; i < live->n_accounts; i++)
        ss_session_stop_async (live->accounts[i].session, NULL, on_stopped, live);
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_reload_signal (gpointer user_data)
{
  Live *live = user_data;

  for (guint i = 0; i < live->n_accounts; i++)
    {
      Account *account = &live->accounts[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(SsConfig) config = ss_config_load_file (account->config_path, &error);
      g_autofree char *password = NULL;

      if (config != NULL)
        password = get_password (config, &error);
      if (password == NULL)
        {
          fprintf (stderr, "spamsieve: %s not reloaded: %s\n", account->config_path,
                   error->message);
          continue;
        }
      fprintf (stderr, "spamsieve: settings reloaded (%s)\n", account->config_path);
      ss_session_reload (account->session, config, password);
    }
  return G_SOURCE_CONTINUE;
}

static int
run_live (Account *accounts,
          guint    n_accounts)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Live live = { accounts, n_accounts, 0, loop };
  guint sources[3];

  /* All passwords first: a missing one stops before anything starts. */
  for (guint i = 0; i < n_accounts; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *password = get_password (accounts[i].config, &error);

      if (password == NULL)
        return fail (error);
      accounts[i].session = ss_session_new (accounts[i].config, password, NULL);
      g_signal_connect (accounts[i].session, "notify::state", G_CALLBACK (on_state),
                        &accounts[i]);
      g_signal_connect (accounts[i].session, "record", G_CALLBACK (on_record), &accounts[i]);
      g_signal_connect (accounts[i].session, "notify::inbox-bypass",
                        G_CALLBACK (on_inbox_bypass), &accounts[i]);
    }
  sources[0] = g_unix_signal_add (SIGTERM, on_quit_signal, &live);
  sources[1] = g_unix_signal_add (SIGINT, on_quit_signal, &live);
  sources[2] = g_unix_signal_add (SIGHUP, on_reload_signal, &live);
  for (guint i = 0; i < n_accounts; i++, live.n_running++)
    ss_session_start (accounts[i].session);
  g_main_loop_run (loop);
  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    g_source_remove (sources[i]);
  for (guint i = 0; i < n_accounts; i++)
    g_signal_handlers_disconnect_by_data (accounts[i].session, &accounts[i]);
  return 0;
}

/* Loads every settings file; two files for one account are refused (they would fight). */
static gboolean
load_accounts (const Options  *options,
               GArray         *accounts,
               GError        **error)
{
  guint n = g_strv_length (options->config_paths);

  for (guint i = 0; i < n; i++)
    {
      Account account = { options, options->config_paths[i] };

      account.config = ss_config_load_file (account.config_path, error);
      if (account.config == NULL)
        return FALSE;
      account.id = ss_config_dup_account_id (account.config);
      account.several = n > 1;
      g_array_append_val (accounts, account);
      for (guint j = 0; j < i; j++)
        if (g_strcmp0 (g_array_index (accounts, Account, j).id, account.id) == 0)
          {
            g_set_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG,
                         "%s and %s are both for %s: one settings file per account",
                         options->config_paths[j], account.config_path, account.id);
            return FALSE;
          }
    }
  return TRUE;
}

int
ss_headless_run (int    argc,
                 char **argv)
{
  g_auto(Options) options = { 0 };
  g_autoptr(GArray) accounts = g_array_new (FALSE, TRUE, sizeof (Account));
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_array_set_clear_func (accounts, (GDestroyNotify) account_clear);
  if (!parse_options (&argc, &argv, &options, &error))
    {
      fprintf (stderr, "spamsieve: %s\n", error->message);
      return EXIT_SETTINGS;
    }
  if (!load_accounts (&options, accounts, &error))
    return fail (error);
  if (!options.once && !options.train_existing)
    {
      if (options.dry_run)
        {
          fprintf (stderr, "spamsieve: --dry-run needs --once\n");
          return EXIT_SETTINGS;
        }
      return run_live ((Account *) accounts->data, accounts->len);
    }
  /* Each account in turn; one failing does not stop the others. The first failure's
   * exit status is the process's. */
  for (guint i = 0; i < accounts->len; i++)
    {
      Account *account = &g_array_index (accounts, Account, i);
      g_autoptr(GError) local = NULL;

      if (!(options.train_existing ? run_train (account, &local) : run_once (account, &local)))
        {
          int code;

          if (account->several)
            g_prefix_error (&local, "%s: ", account->id);
          code = fail (local);
          if (status == 0)
            status = code;
        }
    }
  return status;
}
