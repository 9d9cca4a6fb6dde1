/* ss-test-utils.c: the test kit (see the header) */
#define G_LOG_DOMAIN "ss-test-utils"

#include "config.h"

#include "ss-test-utils.h"

#include <glib/gstdio.h>

/* ---- programs ----------------------------------------------------------------------------- */

SsTestSpamd *
ss_test_spamd_start_checked (gboolean allow_tell)
{
  g_autoptr(GError) error = NULL;
  SsTestSpamd *spamd = ss_test_spamd_start (allow_tell, &error);

  g_assert_no_error (error);
  g_assert_nonnull (spamd);
  return spamd;
}

void
ss_test_bed_init (SsTestBed                  *bed,
                  const SsTestDovecotOptions *options,
                  SsTestSpamd                *spamd)
{
  g_autoptr(GError) error = NULL;

  bed->dovecot = ss_test_dovecot_start (options, &error);
  g_assert_no_error (error);
  g_assert_nonnull (bed->dovecot);
  bed->dir = ss_test_mkdtemp ();
  bed->spamd = spamd;
  g_free (ss_test_write_secret (bed->dir, "secret"));
}

void
ss_test_bed_clear (SsTestBed *bed)
{
  g_clear_pointer (&bed->dovecot, ss_test_dovecot_stop);
  if (bed->dir != NULL)
    ss_test_rmrf (bed->dir);
  g_clear_pointer (&bed->dir, g_free);
  bed->spamd = NULL;
}

/* What a suite's setup and tests receive: the case's options and the program's spamd. */
typedef struct
{
  const SsTestDovecotOptions *options;
  SsTestSpamd                *spamd;
} CaseData;

int
ss_test_run_suite (int               *argc,
                   char            ***argv,
                   const SsTestSuite *suite)
{
  g_autofree CaseData *data = g_new0 (CaseData, suite->n_cases);
  /* In-process engines write under $XDG_DATA_HOME (the learner's model): never the user's. */
  g_autofree char *data_home = g_dir_make_tmp ("ss-test-data-XXXXXX", NULL);
  SsTestSpamd *spamd;
  int status;

  g_assert_nonnull (data_home);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_test_init (argc, argv, NULL);
  if (suite->prepare != NULL)
    suite->prepare ();
  spamd = ss_test_spamd_start_checked (suite->allow_tell);
  for (gsize i = 0; i < suite->n_cases; i++)
    {
      const SsTestCase *c = &suite->cases[i];
      g_autofree char *path = g_strconcat (suite->prefix, c->name, NULL);

      g_strdelimit (path + strlen (suite->prefix), "_", '-');

      data[i].options = c->options;
      data[i].spamd = spamd;
      g_test_add_vtable (path, suite->fixture_size, &data[i], suite->setup, c->func,
                         suite->teardown);
    }
  status = g_test_run ();
  ss_test_spamd_stop (spamd);
  ss_test_rmrf (data_home);
  return status;
}

int
ss_test_run_funcs (int               *argc,
                   char            ***argv,
                   const SsTestFunc  *tests,
                   gsize              n_tests,
                   void             (*prepare) (void))
{
  g_test_init (argc, argv, NULL);
  if (prepare != NULL)
    prepare ();
  for (gsize i = 0; i < n_tests; i++)
    g_test_add_func (tests[i].path, tests[i].func);
  return g_test_run ();
}

const SsTestDovecotOptions *
ss_test_case_options (gconstpointer setup_data)
{
  return ((const CaseData *) setup_data)->options;
}

SsTestSpamd *
ss_test_case_spamd (gconstpointer setup_data)
{
  return ((const CaseData *) setup_data)->spamd;
}

void
ss_test_bed_setup (SsTestBed     *bed,
                   gconstpointer  setup_data)
{
  ss_test_bed_init (bed, ss_test_case_options (setup_data), ss_test_case_spamd (setup_data));
}

/* ---- waiting on a main context ------------------------------------------------------------ */

static gboolean
timer_cb (gpointer data)
{
  return G_SOURCE_REMOVE;
}

void
ss_test_iterate (GMainContext *context,
                 guint         ms)
{
  GSource *timer = g_timeout_source_new (ms);

  g_source_set_callback (timer, timer_cb, NULL, NULL);
  g_source_attach (timer, context);
  g_main_context_iteration (context, TRUE);
  g_source_destroy (timer);
  g_source_unref (timer);
}

gboolean
ss_test_wait_until (GMainContext  *context,
                    SsTestCond     cond,
                    gpointer       object,
                    gconstpointer  data,
                    guint          timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!cond (object, data))
    {
      if (g_get_monotonic_time () >= deadline)
        return FALSE;
      ss_test_iterate (context, 50);
    }
  return TRUE;
}

void
ss_test_result_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      slot)
{
  *(GAsyncResult **) slot = g_object_ref (result);
}

static gboolean
result_is_set (gpointer      slot,
               gconstpointer data)
{
  return *(GAsyncResult **) slot != NULL;
}

GAsyncResult *
ss_test_wait_result (GMainContext  *context,
                     GAsyncResult **slot,
                     guint          timeout_ms)
{
  if (!ss_test_wait_until (context, result_is_set, slot, NULL, timeout_ms))
    g_error ("no answer to an asynchronous call within %u ms", timeout_ms);
  return *slot;
}

/* ---- settings and the spamsieve program ------------------------------------------------ */

char *
ss_test_account_group (const char *url,
                       const char *tls,
                       const char *password_file,
                       const char *ca_file)
{
  GString *text = g_string_new ("[account]\n");

  g_string_append_printf (text, "url=%s\n", url);
  if (tls != NULL)
    g_string_append_printf (text, "tls=%s\n", tls);
  g_string_append (text, "user=tester\n");
  if (password_file != NULL)
    g_string_append_printf (text, "password-file=%s\n", password_file);
  if (ca_file != NULL)
    g_string_append_printf (text, "ca-file=%s\n", ca_file);
  return g_string_free (text, FALSE);
}

char *
ss_test_dovecot_account (SsTestDovecot *dovecot,
                         const char    *password_file)
{
  g_autofree char *url = g_strdup_printf ("imap://127.0.0.1:%u",
                                          ss_test_dovecot_get_imap_port (dovecot));

  return ss_test_account_group (url, "starttls", password_file,
                                ss_test_dovecot_get_ca_file (dovecot));
}

char *
ss_test_config_text (const char *account,
                     const char *spamd_address,
                     guint       parallel,
                     guint       timeout_s,
                     const char *extra)
{
  GString *text = g_string_new (account);

  g_string_append (text, "[spamd]\n");
  if (spamd_address != NULL)
    g_string_append_printf (text, "address=%s\n", spamd_address);
  g_string_append_printf (text, "parallel=%u\n", parallel);
  if (timeout_s != 0)
    g_string_append_printf (text, "timeout=%u\n", timeout_s);
  if (extra != NULL)
    g_string_append (text, extra);
  return g_string_free (text, FALSE);
}

char *
ss_test_write_file (const char *dir,
                    const char *name,
                    const char *data,
                    gssize      len,
                    int         mode)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, data, len, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
  return path;
}

char *
ss_test_write_config (SsTestBed  *bed,
                      const char *account,
                      const char *spamd_address,
                      guint       parallel,
                      guint       timeout_s,
                      const char *extra)
{
  g_autofree char *secret = g_build_filename (bed->dir, "secret", NULL);
  g_autofree char *usual = account == NULL ? ss_test_dovecot_account (bed->dovecot, secret)
                                           : NULL;
  g_autofree char *spamd = spamd_address == NULL ? ss_test_spamd_dup_address (bed->spamd)
                                                 : NULL;
  g_autofree char *text = ss_test_config_text (account != NULL ? account : usual,
                                               spamd_address != NULL ? spamd_address : spamd,
                                               parallel, timeout_s, extra);

  return ss_test_write_file (bed->dir, "spamsieve.conf", text, -1, 0600);
}

char *
ss_test_write_secret (const char *dir,
                      const char *password)
{
  g_autofree char *text = g_strconcat (password, "\n", NULL);

  return ss_test_write_file (dir, "secret", text, -1, 0600);
}

GSubprocessLauncher *
ss_test_launcher_new (const char       *dir,
                      GSubprocessFlags  flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);
  g_autofree char *data_home = g_build_filename (dir, "data", NULL);
  g_autofree char *runtime = g_build_filename (dir, "run", NULL);

  g_assert_cmpint (g_mkdir_with_parents (runtime, 0700), ==, 0);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", runtime, TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", dir, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  return launcher;
}

GSubprocess *
ss_test_spawn_headless (GSubprocessLauncher *launcher,
                        const char          *config_path,
                        const char * const  *args)
{
  const char *program = g_getenv ("SS_SPAMSIEVE");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *proc;

  g_assert_nonnull (program);
  g_ptr_array_add (argv, (gpointer) program);
  g_ptr_array_add (argv, "--headless");
  g_ptr_array_add (argv, "--config");
  g_ptr_array_add (argv, (gpointer) config_path);
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return proc;
}

/* ---- stored mail -------------------------------------------------------------------------- */

gboolean
ss_test_has_keyword (const SsTestStoredMessage *message,
                     const char                *keyword)
{
  return message->keywords != NULL &&
         g_strv_contains ((const char * const *) message->keywords, keyword);
}

void
ss_test_add (SsTestDovecot *dovecot,
             const char    *folder,
             GBytes        *message,
             const char    *flags,
             gint64         when)
{
  g_autoptr(GError) error = NULL;

  ss_test_dovecot_add_message (dovecot, folder, message, flags, when, &error);
  g_assert_no_error (error);
}

void
ss_test_drag (SsTestDovecot *dovecot,
              const char    *from,
              GBytes        *message,
              const char    *to)
{
  g_assert_cmpuint (ss_test_dovecot_remove_message (dovecot, from, message), ==, 1);
  ss_test_add (dovecot, to, message, "S", 0);
}

guint
ss_test_count_stored (SsTestDovecot *dovecot,
                      const char    *folder,
                      GBytes        *content)
{
  g_autoptr(GPtrArray) stored = ss_test_dovecot_list_messages (dovecot, folder);
  guint n = 0;

  for (guint i = 0; i < stored->len; i++)
    {
      SsTestStoredMessage *m = g_ptr_array_index (stored, i);

      n += content == NULL || g_bytes_equal (m->content, content);
    }
  return n;
}

SsTestStoredMessage *
ss_test_find_stored (SsTestDovecot *dovecot,
                     const char    *folder,
                     GBytes        *content)
{
  const char * const folders[] = { folder, NULL };
  SsTestStoredMessage *found = NULL;

  ss_test_locate (dovecot, content, folders, &found);
  return found;
}

const char *
ss_test_locate (SsTestDovecot        *dovecot,
                GBytes               *content,
                const char * const   *folders,
                SsTestStoredMessage **found)
{
  const char *where = NULL;

  for (guint i = 0; folders[i] != NULL; i++)
    {
      g_autoptr(GPtrArray) stored = ss_test_dovecot_list_messages (dovecot, folders[i]);

      for (guint j = 0; j < stored->len; j++)
        {
          SsTestStoredMessage *m = g_ptr_array_index (stored, j);

          if (!g_bytes_equal (m->content, content))
            continue;
          if (where != NULL)
            g_error ("message found twice: in %s and %s", where, folders[i]);
          where = folders[i];
          /* The last entry moves to j: look at j again (j-- wraps, then j++). */
          if (found != NULL)
            *found = g_ptr_array_steal_index_fast (stored, j--);
        }
    }
  return where;
}

/* ---- an SsSession in-process -------------------------------------------------------------- */

void
ss_test_session_init (SsTestSession *t,
                      const char    *dir)
{
  t->context = g_main_context_new ();
  g_main_context_push_thread_default (t->context);
  t->journal = g_build_filename (dir, "state.sqlite", NULL);
  t->records = g_ptr_array_new_with_free_func ((GDestroyNotify) ss_record_free);
  t->record_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  t->states = g_ptr_array_new_with_free_func (g_free);
}

void
ss_test_session_clear (SsTestSession *t)
{
  if (t->session != NULL)
    ss_test_session_stop (t, 60000);
  while (g_main_context_pending (t->context))
    g_main_context_iteration (t->context, FALSE);
  g_main_context_pop_thread_default (t->context);
  g_clear_pointer (&t->context, g_main_context_unref);
  g_clear_pointer (&t->journal, g_free);
  g_clear_pointer (&t->records, g_ptr_array_unref);
  g_clear_pointer (&t->record_times, g_array_unref);
  g_clear_pointer (&t->states, g_ptr_array_unref);
}

static void
on_record (SsSession      *session,
           const SsRecord *record,
           SsTestSession  *t)
{
  gint64 now = g_get_monotonic_time ();

  g_assert_true (g_main_context_is_owner (t->context));
  g_ptr_array_add (t->records, ss_record_copy (record));
  g_array_append_val (t->record_times, now);
}

static void
on_state (SsSession     *session,
          GParamSpec    *pspec,
          SsTestSession *t)
{
  SsSessionState state = ss_session_get_state (session);

  g_assert_true (g_main_context_is_owner (t->context));
  g_ptr_array_add (t->states, g_strdup (ss_session_state_to_string (state)));
  if (state == SS_SESSION_BACKING_OFF &&
      ss_session_get_retry_at (session) >= g_get_real_time () / G_USEC_PER_SEC)
    t->saw_retry_at = TRUE;
}

void
ss_test_session_start (SsTestSession  *t,
                       const SsConfig *config,
                       const char     *password)
{
  g_assert_null (t->session);
  t->session = ss_session_new (config, password, t->journal);
  g_signal_connect (t->session, "record", G_CALLBACK (on_record), t);
  g_signal_connect (t->session, "notify::state", G_CALLBACK (on_state), t);
  ss_session_start (t->session);
}

static void
stop_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ss_session_stop_finish (SS_SESSION (object), result, &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static gboolean
flag_is_set (gpointer      flag,
             gconstpointer data)
{
  return *(const gboolean *) flag;
}

gint64
ss_test_session_stop (SsTestSession *t,
                      guint          timeout_ms)
{
  gboolean done = FALSE;
  gint64 start = g_get_monotonic_time ();
  gint64 elapsed;
  gpointer weak = t->session;

  ss_session_stop_async (t->session, NULL, stop_done_cb, &done);
  if (!ss_test_wait_until (t->context, flag_is_set, &done, NULL, timeout_ms))
    g_error ("the session did not stop within %u ms", timeout_ms);
  elapsed = (g_get_monotonic_time () - start) / 1000;
  g_assert_cmpstr (ss_test_session_state (t), ==, "stopped");
  g_signal_handlers_disconnect_by_data (t->session, t);
  g_object_add_weak_pointer (G_OBJECT (t->session), &weak);
  g_clear_object (&t->session);
  while (g_main_context_pending (t->context))
    g_main_context_iteration (t->context, FALSE);
  g_assert_null (weak);
  return elapsed;
}

void
ss_test_session_iterate (SsTestSession *t,
                         guint          ms)
{
  ss_test_iterate (t->context, ms);
}

const char *
ss_test_session_state (SsTestSession *t)
{
  return ss_session_state_to_string (ss_session_get_state (t->session));
}

gboolean
ss_test_session_wait (SsTestSession *t,
                      SsTestCond     cond,
                      gconstpointer  data,
                      guint          timeout_ms)
{
  return ss_test_wait_until (t->context, cond, t, data, timeout_ms);
}

gboolean
ss_test_session_in_state (gpointer      t,
                          gconstpointer state)
{
  return g_str_equal (ss_test_session_state (t), state);
}

gboolean
ss_test_session_has_records (gpointer      t,
                             gconstpointer n)
{
  return ((SsTestSession *) t)->records->len >= GPOINTER_TO_UINT (n);
}

void
ss_test_session_wait_state (SsTestSession *t,
                            const char    *state,
                            guint          timeout_ms)
{
  if (!ss_test_session_wait (t, ss_test_session_in_state, state, timeout_ms))
    g_error ("state did not become %s within %u ms (it is %s: %s)", state, timeout_ms,
             ss_test_session_state (t), ss_session_get_last_error (t->session));
}

void
ss_test_session_wait_records (SsTestSession *t,
                              guint          n,
                              guint          timeout_ms)
{
  if (!ss_test_session_wait (t, ss_test_session_has_records, GUINT_TO_POINTER (n), timeout_ms))
    g_error ("%u of %u records within %u ms (state %s: %s)", t->records->len, n, timeout_ms,
             ss_test_session_state (t), ss_session_get_last_error (t->session));
}

SsRecord *
ss_test_session_mark (SsTestSession *t,
                      const char    *folder,
                      guint32        uidvalidity,
                      guint32        uid,
                      gboolean       as_spam)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  SsRecord *record;

  ss_session_mark_async (t->session, folder, uidvalidity, uid, as_spam, NULL,
                         ss_test_result_cb, &result);
  ss_test_wait_result (t->context, &result, 60000);
  record = ss_session_mark_finish (t->session, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (record);
  return record;
}

SsRecord *
ss_test_session_mark_record (SsTestSession  *t,
                             const SsRecord *where,
                             gboolean        as_spam)
{
  return ss_test_session_mark (t, where->destination, where->dest_uidvalidity, where->dest_uid,
                               as_spam);
}

void
ss_test_spamd_learned_checked (SsTestSpamd *spamd,
                               guint       *n_spam,
                               guint       *n_ham)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ss_test_spamd_get_learned (spamd, n_spam, n_ham, &error));
  g_assert_no_error (error);
}

void
ss_test_bed_session_setup (SsTestBedSession *f,
                           gconstpointer     data)
{
  ss_test_bed_setup (&f->bed, data);
  ss_test_session_init (&f->run, f->bed.dir);
}

void
ss_test_bed_session_teardown (SsTestBedSession *f,
                              gconstpointer     data)
{
  ss_test_session_clear (&f->run);
  ss_test_bed_clear (&f->bed);
}
