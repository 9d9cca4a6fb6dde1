/* ss-session-worker.c: the session's worker thread: connect, filter, watch with IDLE,
 * back off, learn and expire, and run the commands the main thread posts. It only talks to
 * the main thread through events (ss-session.c) and the command sources on its own
 * GMainContext, which only this thread iterates. */
#define G_LOG_DOMAIN "ss-session"

#include "config.h"

#include "ss-session-private.h"

#include "ss-assembly.h"
#include "ss-backoff.h"
#include "ss-credentials.h"
#include "ss-error.h"

#define IDLE_MAX_MS        (25 * 60 * 1000)  /* re-issue IDLE at least this often */
#define FAILED_RETRY_MS    (5 * 60 * 1000)   /* a "final" error is retried this rarely */
#define BACKOFF_MIN_MS     1000
#define BACKOFF_MAX_MS     (5 * 60 * 1000)
#define HISTORY_LOAD       5000
#define MOVES_POLL_MS      (30 * 1000)       /* the user's moves are looked for this often */

typedef struct
{
  SsSession      *self;
  SsConfig       *config;
  char           *password;
  SsJournal      *journal;
  SsAssembly      parts;             /* spamd, IMAP, the filter */
  SsBackoff       backoff;
  SsBackoff       deferred_backoff;  /* retrying messages spamd gave no verdict for */
  guint           deferred_retry_ms; /* 0: none left in Unfiltered after the last pass */
  gint64          next_maintenance;  /* monotonic µs */
  gint64          cycle_start;       /* monotonic µs */
  gint64          next_moves;        /* monotonic µs: next look for the user's moves */
  gboolean        maintenance;       /* this cycle learns and expires first */
  gboolean        paused;
  gboolean        waiting;           /* login refused or failed: until reload / retry */
  gboolean        check_now;
  gboolean        stop;
  gboolean        marking;
} Worker;

static void
worker_state (Worker         *w,
              SsSessionState  state,
              const GError   *error,
              gint64          retry_at)
{
  Event *event = g_new0 (Event, 1);

  event->set_state = TRUE;
  event->state = state;
  event->error = error != NULL ? g_strdup (error->message) : NULL;
  event->error_domain = error != NULL ? error->domain : 0;
  event->retry_at = retry_at;
  _ss_session_post_event (w->self, event);
}

static void
on_record (const SsRecord *record,
           gpointer        user_data)
{
  Worker *w = user_data;
  Event *event;

  /* A message moved: the link works, so the next failure starts from a short delay. */
  ss_backoff_reset (&w->backoff);
  if (w->marking)
    return;
  event = g_new0 (Event, 1);
  event->record = ss_record_copy (record);
  _ss_session_post_event (w->self, event);
}

static void
on_progress (const char *step,
             guint       n,
             guint       total,
             gpointer    user_data)
{
  Worker *w = user_data;
  Event *event = g_new0 (Event, 1);

  event->set_progress = TRUE;
  event->progress_n = n;
  event->progress_total = total;
  _ss_session_post_event (w->self, event);
}

static void
worker_disconnect (Worker *w)
{
  if (w->parts.filter != NULL)
    {
      g_mutex_lock (&w->self->mutex);
      w->self->filter = NULL;
      g_mutex_unlock (&w->self->mutex);
    }
  ss_assembly_disconnect (&w->parts);
}

static gboolean
worker_ensure_password (Worker  *w,
                        GError **error)
{
  if (w->password != NULL || ss_auth_mode_of (w->config) != SS_AUTH_PASSWORD)
    return TRUE;
  if (w->config->password_file != NULL)
    {
      w->password = ss_credentials_read_file (w->config->password_file, error);
      return w->password != NULL;
    }
  g_set_error_literal (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CREDENTIALS,
                       "No password: enter it in the settings");
  return FALSE;
}

static gboolean
worker_connect (Worker  *w,
                GError **error)
{
  SsFilter *filter;

  worker_state (w, SS_SESSION_CONNECTING, NULL, 0);
  if (!worker_ensure_password (w, error) ||
      !ss_assembly_connect (&w->parts, w->config, w->password, w->journal,
                            w->self->debug_timeout_ms, NULL, error))
    return FALSE;
  filter = w->parts.filter;
  ss_filter_set_record_func (filter, on_record, w);
  ss_filter_set_progress_func (filter, on_progress, w);
  g_mutex_lock (&w->self->mutex);
  w->self->filter = filter;
  g_mutex_unlock (&w->self->mutex);
  if (g_atomic_int_get (&w->self->stopping))
    ss_filter_request_stop (filter);
  return ss_filter_prepare (filter, NULL, error);
}

/* ---------------------------------------------------------------------------------------- */

static void
worker_mark (Worker  *w,
             Command *cmd)
{
  g_autoptr(GError) error = NULL;
  SsRecord *record = NULL;

  if (!w->parts.connected)
    g_set_error_literal (&error, SS_IMAP_ERROR, SS_IMAP_ERROR_CONNECT,
                         "Not connected to the mail server; try again when it is back");
  else
    {
      worker_state (w, SS_SESSION_LEARNING, NULL, 0);
      w->marking = TRUE;
      record = ss_filter_mark (w->parts.filter, cmd->folder, cmd->uidvalidity, cmd->uid,
                               cmd->as_spam, NULL, &error);
      w->marking = FALSE;
    }
  _ss_session_mark_complete (w->self, g_steal_pointer (&cmd->task), record,
                             g_steal_pointer (&error));
}

/* Initial training; connects first when needed (e.g. right after start). */
static void
worker_train (Worker  *w,
              Command *cmd)
{
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable = g_task_get_cancellable (cmd->task);
  SsTrainStats stats = { 0 };

  if (w->paused || w->waiting)
    g_set_error_literal (&error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_FAILED,
                         w->paused ? "Filtering is paused" : "The mail server refused the login");
  else if (w->parts.connected || worker_connect (w, &error))
    {
      g_autoptr(GError) save_error = NULL;

      worker_state (w, SS_SESSION_LEARNING, NULL, 0);
      ss_filter_train_existing (w->parts.filter, cmd->max_ham, cmd->max_spam, &stats,
                                cancellable, &error);
      /* What was learned survives a crash before the next cycle. */
      if (!ss_assembly_save_learner (&w->parts, &save_error))
        g_warning ("Could not save the personal learner: %s", save_error->message);
    }
  _ss_session_train_complete (w->self, g_steal_pointer (&cmd->task), &stats,
                              g_steal_pointer (&error));
}

static char *worker_account      (Worker   *w);
static void  worker_load_history (Worker   *w,
                                 gboolean  replace);

static void
worker_command (Worker  *w,
                Command *cmd)
{
  switch (cmd->kind)
    {
    case CMD_CHECK_NOW:
      w->check_now = TRUE;
      w->waiting = FALSE;
      ss_backoff_reset (&w->backoff);
      break;
    case CMD_PAUSE:
      w->paused = TRUE;
      break;
    case CMD_RESUME:
      w->paused = FALSE;
      w->waiting = FALSE;
      w->check_now = TRUE;
      break;
    case CMD_RELOAD:
      worker_disconnect (w);
      if (cmd->config != NULL)
        {
          g_autofree char *before = worker_account (w);
          g_autofree char *after = NULL;

          ss_config_free (w->config);
          w->config = g_steal_pointer (&cmd->config);
          g_clear_object (&w->parts.daemon);
          after = worker_account (w);
          if (w->journal != NULL && strcmp (before, after) != 0)
            worker_load_history (w, TRUE);
        }
      g_clear_pointer (&w->password, g_free);
      w->password = g_steal_pointer (&cmd->password);
      w->waiting = FALSE;
      w->next_maintenance = 0;
      ss_backoff_reset (&w->backoff);
      break;
    case CMD_MARK:
      worker_mark (w, cmd);
      break;
    case CMD_STOP:
      w->stop = TRUE;
      break;
    case CMD_TRAIN:
      worker_train (w, cmd);
      break;
    }
}

gboolean
_ss_session_command_dispatch (gpointer data)
{
  Command *cmd = data;

  g_assert (cmd->session->worker != NULL);
  worker_command (cmd->session->worker, cmd);
  return G_SOURCE_REMOVE;
}

/* Runs the queued commands; returns after handling them. */
static void
worker_commands (Worker *w)
{
  g_cancellable_reset (w->self->wake);
  while (g_main_context_iteration (w->self->worker_context, FALSE))
    ;
}

static gboolean
worker_has_commands (Worker *w)
{
  return g_main_context_pending (w->self->worker_context);
}

static gboolean
wake_up (gpointer user_data)
{
  return G_SOURCE_REMOVE;
}

/* Sleeps until ms pass (0 = forever) or a command comes; the commands that came are run. */
static void
worker_sleep (Worker *w,
              guint   ms)
{
  g_autoptr(GSource) timeout = NULL;

  if (ms > 0)
    {
      timeout = g_timeout_source_new (ms);
      g_source_set_callback (timeout, wake_up, NULL, NULL);
      g_source_attach (timeout, w->self->worker_context);
    }
  g_main_context_iteration (w->self->worker_context, TRUE);
  if (timeout != NULL)
    g_source_destroy (timeout);
}

static void
worker_failed (Worker *w,
               GError *error)
{
  worker_disconnect (w);
  if (w->stop || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_message ("%s", error->message);
  if (g_error_matches (error, SS_IMAP_ERROR, SS_IMAP_ERROR_LOGIN) ||
      g_error_matches (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CREDENTIALS))
    {
      /* Never hammer the server with a refused password: wait for new credentials. */
      g_clear_pointer (&w->password, g_free);
      w->waiting = TRUE;
      worker_state (w, SS_SESSION_LOGIN_REFUSED, error, 0);
    }
  else if (!ss_error_is_transient (error) &&
           !g_error_matches (error, SS_IMAP_ERROR, SS_IMAP_ERROR_NO_MAILBOX))
    {
      gint64 retry = g_get_real_time () / G_USEC_PER_SEC + FAILED_RETRY_MS / 1000;

      w->waiting = TRUE;
      worker_state (w, SS_SESSION_FAILED, error, retry);
      worker_sleep (w, FAILED_RETRY_MS);
      w->waiting = FALSE;
    }
  else
    {
      guint delay = ss_backoff_next (&w->backoff, g_random_double ());
      gint64 retry = g_get_real_time () / G_USEC_PER_SEC + (delay + 999) / 1000;

      worker_state (w, SS_SESSION_BACKING_OFF, error, retry);
      worker_sleep (w, delay);
    }
}

static void
on_step (SsCycleStep  step,
         gpointer     user_data)
{
  static const SsSessionState states[] = {
    [SS_CYCLE_LEARNING] = SS_SESSION_LEARNING,
    [SS_CYCLE_EXPIRING] = SS_SESSION_EXPIRING,
    [SS_CYCLE_SCANNING] = SS_SESSION_SCANNING,
  };
  Worker *w = user_data;

  /* Learning and expiry are done: the next ones are due one interval from now. */
  if (step == SS_CYCLE_SCANNING && w->maintenance)
    w->next_maintenance = w->cycle_start +
                          (gint64) w->config->maintenance_minutes * 60 * G_USEC_PER_SEC;
  worker_state (w, states[step], NULL, 0);
}

static gboolean
worker_cycle (Worker  *w,
              GError **error)
{
  SsFilter *filter = w->parts.filter;
  g_autoptr(GError) refused = NULL;
  guint deferred = ss_filter_get_stats (filter)->deferred;
  Event *event;

  w->cycle_start = g_get_monotonic_time ();
  w->maintenance = w->cycle_start >= w->next_maintenance;
  if (!ss_assembly_run_cycle (filter, w->maintenance, on_step, w, &refused, NULL, error))
    return FALSE;
  if (refused != NULL)
    g_message ("%s", refused->message);
  {
    g_autoptr(GError) save_error = NULL;

    /* Once a cycle, on this thread: what the learner learned survives a crash. */
    if (!ss_assembly_save_learner (&w->parts, &save_error))
      g_warning ("Could not save the personal learner: %s", save_error->message);
  }
  /* Messages spamd gave no verdict for (a timeout, a broken reply) stay in Unfiltered; they
   * are tried again after a back-off, not only when new mail or maintenance comes. */
  if (ss_filter_get_stats (filter)->deferred > deferred)
    w->deferred_retry_ms = ss_backoff_next (&w->deferred_backoff, g_random_double ());
  else
    {
      w->deferred_retry_ms = 0;
      ss_backoff_reset (&w->deferred_backoff);
    }
  ss_backoff_reset (&w->backoff);
  event = g_new0 (Event, 1);
  event->set_check = TRUE;
  event->last_check = g_get_real_time () / G_USEC_PER_SEC;
  event->inbox_bypass = ss_filter_get_stats (filter)->inbox_bypass;
  event->set_progress = TRUE;
  _ss_session_post_event (w->self, event);
  return TRUE;
}

/* Learns the user's moves (and learning-folder drops) when a look is due: a few STATUS
 * commands when nothing changed. */
static gboolean
worker_moves (Worker  *w,
              GError **error)
{
  g_autoptr(GError) local_error = NULL;

  if (g_get_monotonic_time () < w->next_moves)
    return TRUE;
  w->next_moves = g_get_monotonic_time () + (gint64) MOVES_POLL_MS * 1000;
  if (ss_filter_run_moves (w->parts.filter, NULL, &local_error))
    return TRUE;
  if (!g_error_matches (local_error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_REFUSED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_message ("%s", local_error->message);
  return TRUE;
}

/* Waits for new mail in Unfiltered (IDLE, else polling), a command, or maintenance; between
 * IDLEs, every MOVES_POLL_MS, looks for the user's moves. */
static gboolean
worker_watch (Worker  *w,
              GError **error)
{
  for (;;)
    {
      gint64 now;
      guint max_ms;
      SsImapIdleResult result;

      if (!worker_moves (w, error))
        return FALSE;
      now = g_get_monotonic_time ();
      max_ms = (guint) CLAMP ((w->next_maintenance - now) / 1000, 1000, IDLE_MAX_MS);
      if (w->check_now || w->stop || worker_has_commands (w))
        return TRUE;
      if (w->deferred_retry_ms > 0)
        max_ms = MIN (max_ms, w->deferred_retry_ms);
      worker_state (w, SS_SESSION_WATCHING, NULL, 0);
      if (!ss_imap_client_has_capability (w->parts.imap, "IDLE"))
        {
          /* Polling: the moves are looked for at each poll. */
          worker_sleep (w, MIN (max_ms, w->config->poll_seconds * 1000));
          return TRUE;
        }
      max_ms = MIN (max_ms,
                    (guint) CLAMP ((w->next_moves - now) / 1000, 1000, MOVES_POLL_MS));
      if (g_strcmp0 (ss_imap_client_get_selected (w->parts.imap),
                     w->config->folder_unfiltered) != 0)
        {
          SsImapMailbox mailbox;

          if (!ss_imap_client_select (w->parts.imap, w->config->folder_unfiltered, &mailbox,
                                      NULL, error))
            return FALSE;
          /* Mail that came while another folder was selected is no EXISTS in IDLE: after a
           * cycle Unfiltered is empty but for retries, so anything there is for the cycle. */
          if (mailbox.exists > 0 && w->deferred_retry_ms == 0)
            return TRUE;
        }
      if (!ss_imap_client_idle (w->parts.imap, w->self->wake, max_ms, &result, error))
        return FALSE;
      /* Only a timeout that made a look for moves due goes round again: anything else
       * (new mail, a command, maintenance, a retry) is the cycle's. */
      if (result != SS_IMAP_IDLE_TIMEOUT || g_get_monotonic_time () < w->next_moves ||
          g_get_monotonic_time () >= w->next_maintenance ||
          w->deferred_retry_ms > 0)
        return TRUE;
    }
}

static char *
worker_account (Worker *w)
{
  return ss_config_dup_account_id (w->config);
}

/* Posts the account's recent records; replace: they take the place of those shown. */
static void
worker_load_history (Worker   *w,
                     gboolean  replace)
{
  g_autofree char *account = worker_account (w);
  g_autoptr(GError) error = NULL;
  Event *event = g_new0 (Event, 1);

  event->replace_history = replace;
  event->history = ss_journal_list_records (w->journal, account, HISTORY_LOAD, &error);
  if (event->history == NULL)
    g_message ("%s", error->message);
  _ss_session_post_event (w->self, event);
}

static void
worker_run (Worker *w)
{
  while (!w->stop)
    {
      g_autoptr(GError) error = NULL;

      worker_commands (w);
      if (w->stop)
        break;
      if (w->paused)
        {
          worker_disconnect (w);
          worker_state (w, SS_SESSION_PAUSED, NULL, 0);
          worker_sleep (w, 0);
          continue;
        }
      if (w->waiting)
        {
          /* Login refused: any other command (a mark, say) must not log in again with the
           * same password; only reload, check-now and resume do. */
          worker_sleep (w, 0);
          continue;
        }
      if (!w->parts.connected && !worker_connect (w, &error))
        {
          worker_failed (w, error);
          continue;
        }
      w->check_now = FALSE;
      if (!worker_cycle (w, &error) || (!w->check_now && !w->stop &&
                                        !worker_has_commands (w) &&
                                        !worker_watch (w, &error)))
        worker_failed (w, error);
    }
}

gpointer
_ss_session_worker_main (gpointer data)
{
  Worker w = { .self = data };
  g_autoptr(GError) error = NULL;
  SsSession *self = w.self;

  self->worker = &w;

  g_mutex_lock (&self->mutex);
  w.config = ss_config_copy (self->config);
  w.password = g_strdup (self->password);
  g_mutex_unlock (&self->mutex);
  w.parts.token_func = self->token_func;
  w.parts.token_data = self->token_data;
  if (self->debug_backoff_max_ms > 0)
    {
      guint max_ms = self->debug_backoff_max_ms;

      ss_backoff_init (&w.backoff, MIN (BACKOFF_MIN_MS, max_ms), max_ms);
      ss_backoff_init (&w.deferred_backoff, MIN (BACKOFF_MIN_MS, max_ms), max_ms);
    }
  else
    {
      ss_backoff_init (&w.backoff, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
      ss_backoff_init (&w.deferred_backoff, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
    }

  w.journal = ss_journal_open (self->journal_path, &error);
  if (w.journal == NULL)
    {
      g_message ("%s; history is not kept", error->message);
      g_clear_error (&error);
      w.journal = ss_journal_open (NULL, &error);
    }
  worker_load_history (&w, FALSE);
  worker_run (&w);

  worker_disconnect (&w);
  ss_assembly_clear (&w.parts);
  g_clear_object (&w.journal);
  ss_config_free (w.config);
  g_free (w.password);
  self->worker = NULL;
  worker_state (&w, SS_SESSION_STOPPED, NULL, 0);
  _ss_session_worker_finished (self);
  return NULL;
}
