/* ss-session.c: the live engine. One worker thread owns the IMAP connection, the spamd
 * client and the journal; the main thread only sees properties, signals and the verdict
 * list, all changed on the owner context. Commands reach the worker through a locked queue
 * and a "wake" cancellable that also ends IDLE. */
#define G_LOG_DOMAIN "ss-session"

#include "config.h"

#include "ss-session.h"

#include <gio/gio.h>

#include "ss-backoff.h"
#include "ss-credentials.h"
#include "ss-error.h"
#include "ss-filter.h"
#include "ss-imap-client.h"
#include "ss-journal.h"
#include "ss-spamd-client.h"
#include "ss-spamd-daemon.h"

#define IDLE_MAX_MS        (25 * 60 * 1000)  /* re-issue IDLE at least this often */
#define FAILED_RETRY_MS    (5 * 60 * 1000)   /* a "final" error is retried this rarely */
#define BACKOFF_MIN_MS     1000
#define BACKOFF_MAX_MS     (5 * 60 * 1000)
#define HISTORY_LOAD       5000

/* Debug knobs for the fault-injection tests, read once by ss_session_start(); the defaults
 * above are never changed by them:
 *   SS_DEBUG_TIMEOUT_MS=N      the IMAP client's stall timeout (default 60 s) and the
 *                              connect timeout, so that a stalled link is given up quickly;
 *   SS_DEBUG_BACKOFF_MAX_MS=N  caps the reconnect back-off (and the retry of messages spamd
 *                              gave no verdict for) at N ms instead of 1 s .. 5 min. */
#define DEBUG_TIMEOUT_ENV  "SS_DEBUG_TIMEOUT_MS"
#define DEBUG_BACKOFF_ENV  "SS_DEBUG_BACKOFF_MAX_MS"

struct _SsSession
{
  GObject         parent_instance;

  /* Owner context only */
  GMainContext   *owner_context;
  GListStore     *verdicts;
  SsSessionState  state;
  char           *last_error;
  guint           progress_n;
  guint           progress_total;
  gint64          retry_at;
  gint64          last_check;
  GTask          *stop_task;
  GThread        *thread;

  /* Shared (mutex) */
  GMutex          mutex;
  GQueue          commands;       /* Command* */
  SsConfig       *config;
  char           *password;
  SsFilter       *filter;         /* the worker's current filter, for request_stop */
  GCancellable   *wake;           /* (owned) cancelled to wake the worker */
  char           *journal_path;
  gint            stopping;       /* (atomic) */

  /* Set by ss_session_start() before the worker exists; read-only afterwards */
  guint           debug_timeout_ms;      /* 0: the IMAP client's default */
  guint           debug_backoff_max_ms;  /* 0: BACKOFF_MAX_MS */
};

G_DEFINE_FINAL_TYPE (SsSession, ss_session, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (SsSessionState, ss_session_state,
  G_DEFINE_ENUM_VALUE (SS_SESSION_STOPPED, "stopped"),
  G_DEFINE_ENUM_VALUE (SS_SESSION_CONNECTING, "connecting"),
  G_DEFINE_ENUM_VALUE (SS_SESSION_WATCHING, "watching"),
  G_DEFINE_ENUM_VALUE (SS_SESSION_SCANNING, "scanning"),
  G_DEFINE_ENUM_VALUE (SS_SESSION_LEARNING, "learning"),
  G_DEFINE_ENUM_VALUE (SS_SESSION_EXPIRING, "expiring"),
  G_DEFINE_ENUM_VALUE (SS_SESSION_BACKING_OFF, "backing-off"),
  G_DEFINE_ENUM_VALUE (SS_SESSION_LOGIN_REFUSED, "login-refused"),
  G_DEFINE_ENUM_VALUE (SS_SESSION_PAUSED, "paused"),
  G_DEFINE_ENUM_VALUE (SS_SESSION_FAILED, "failed"))

enum {
  PROP_0,
  PROP_STATE,
  PROP_LAST_ERROR,
  PROP_PROGRESS_N,
  PROP_PROGRESS_TOTAL,
  PROP_RETRY_AT,
  PROP_LAST_CHECK,
  PROP_VERDICTS,
  N_PROPS
};

enum {
  SIGNAL_RECORD,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef enum {
  CMD_CHECK_NOW,
  CMD_PAUSE,
  CMD_RESUME,
  CMD_RELOAD,
  CMD_MARK,
  CMD_STOP,
} CommandKind;

typedef struct
{
  CommandKind  kind;
  SsConfig    *config;     /* RELOAD */
  char        *password;   /* RELOAD */
  GTask       *task;       /* MARK */
  char        *folder;     /* MARK */
  guint32      uidvalidity;
  guint32      uid;
  gboolean     as_spam;
} Command;

static void
command_free (Command *cmd)
{
  g_clear_pointer (&cmd->config, ss_config_free);
  if (cmd->password != NULL)
    {
      memset (cmd->password, 0, strlen (cmd->password));
      g_free (cmd->password);
    }
  g_clear_object (&cmd->task);
  g_free (cmd->folder);
  g_free (cmd);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Command, command_free)

const char *
ss_session_state_to_string (SsSessionState state)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (SS_TYPE_SESSION_STATE);
  GEnumValue *value = g_enum_get_value (klass, state);

  return value != NULL ? value->value_nick : "unknown";
}

/* ---------------------------------------------------------------------------------------- */
/* Main-thread side                                                                          */

static void
ss_session_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  SsSession *self = SS_SESSION (object);

  switch (prop_id)
    {
    case PROP_STATE: g_value_set_enum (value, self->state); break;
    case PROP_LAST_ERROR: g_value_set_string (value, self->last_error); break;
    case PROP_PROGRESS_N: g_value_set_uint (value, self->progress_n); break;
    case PROP_PROGRESS_TOTAL: g_value_set_uint (value, self->progress_total); break;
    case PROP_RETRY_AT: g_value_set_int64 (value, self->retry_at); break;
    case PROP_LAST_CHECK: g_value_set_int64 (value, self->last_check); break;
    case PROP_VERDICTS: g_value_set_object (value, self->verdicts); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ss_session_finalize (GObject *object)
{
  SsSession *self = (SsSession *) object;

  /* The worker holds a reference while it runs: it is gone here. */
  g_assert (self->thread == NULL);
  g_queue_clear_full (&self->commands, (GDestroyNotify) command_free);
  g_clear_pointer (&self->owner_context, g_main_context_unref);
  g_clear_object (&self->verdicts);
  g_clear_object (&self->wake);
  g_clear_pointer (&self->last_error, g_free);
  g_clear_pointer (&self->config, ss_config_free);
  g_clear_pointer (&self->password, g_free);
  g_clear_pointer (&self->journal_path, g_free);
  g_mutex_clear (&self->mutex);
  G_OBJECT_CLASS (ss_session_parent_class)->finalize (object);
}

#define RO (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY)

static void
ss_session_class_init (SsSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ss_session_get_property;
  object_class->finalize = ss_session_finalize;

  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, SS_TYPE_SESSION_STATE,
                                              SS_SESSION_STOPPED, RO);
  properties[PROP_LAST_ERROR] = g_param_spec_string ("last-error", NULL, NULL, NULL, RO);
  properties[PROP_PROGRESS_N] = g_param_spec_uint ("progress-n", NULL, NULL, 0, G_MAXUINT, 0,
                                                   RO);
  properties[PROP_PROGRESS_TOTAL] = g_param_spec_uint ("progress-total", NULL, NULL, 0,
                                                       G_MAXUINT, 0, RO);
  properties[PROP_RETRY_AT] = g_param_spec_int64 ("retry-at", NULL, NULL, 0, G_MAXINT64, 0, RO);
  properties[PROP_LAST_CHECK] = g_param_spec_int64 ("last-check", NULL, NULL, 0, G_MAXINT64, 0,
                                                    RO);
  properties[PROP_VERDICTS] = g_param_spec_object ("verdicts", NULL, NULL, G_TYPE_LIST_MODEL,
                                                   RO);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_RECORD] = g_signal_new ("record", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                         SS_TYPE_RECORD | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
ss_session_init (SsSession *self)
{
  g_mutex_init (&self->mutex);
  g_queue_init (&self->commands);
  self->verdicts = g_list_store_new (SS_TYPE_VERDICT);
  self->wake = g_cancellable_new ();
}

SsSession *
ss_session_new (const SsConfig *config,
                const char     *password,
                const char     *journal_path)
{
  SsSession *self;

  g_return_val_if_fail (config != NULL, NULL);

  self = g_object_new (SS_TYPE_SESSION, NULL);
  self->config = ss_config_copy (config);
  self->password = g_strdup (password);
  self->journal_path = journal_path != NULL ? g_strdup (journal_path)
                                            : ss_journal_default_path ();
  return self;
}

static void
post_command (SsSession *self,
              Command   *cmd)
{
  g_mutex_lock (&self->mutex);
  g_queue_push_tail (&self->commands, cmd);
  g_mutex_unlock (&self->mutex);
  g_cancellable_cancel (self->wake);
}

static void
post_simple (SsSession   *self,
             CommandKind  kind)
{
  Command *cmd = g_new0 (Command, 1);

  cmd->kind = kind;
  post_command (self, cmd);
}

void
ss_session_check_now (SsSession *self)
{
  g_return_if_fail (SS_IS_SESSION (self));
  post_simple (self, CMD_CHECK_NOW);
}

void
ss_session_pause (SsSession *self)
{
  g_return_if_fail (SS_IS_SESSION (self));
  post_simple (self, CMD_PAUSE);
}

void
ss_session_resume (SsSession *self)
{
  g_return_if_fail (SS_IS_SESSION (self));
  post_simple (self, CMD_RESUME);
}

void
ss_session_reload (SsSession      *self,
                   const SsConfig *config,
                   const char     *password)
{
  Command *cmd = g_new0 (Command, 1);

  g_return_if_fail (SS_IS_SESSION (self));

  cmd->kind = CMD_RELOAD;
  cmd->config = config != NULL ? ss_config_copy (config) : NULL;
  cmd->password = g_strdup (password);
  post_command (self, cmd);
}

SsSessionState
ss_session_get_state (SsSession *self)
{
  g_return_val_if_fail (SS_IS_SESSION (self), SS_SESSION_STOPPED);
  return self->state;
}

const char *
ss_session_get_last_error (SsSession *self)
{
  g_return_val_if_fail (SS_IS_SESSION (self), NULL);
  return self->last_error;
}

guint
ss_session_get_progress_n (SsSession *self)
{
  return self->progress_n;
}

guint
ss_session_get_progress_total (SsSession *self)
{
  return self->progress_total;
}

gint64
ss_session_get_retry_at (SsSession *self)
{
  return self->retry_at;
}

gint64
ss_session_get_last_check (SsSession *self)
{
  return self->last_check;
}

GListModel *
ss_session_get_verdicts (SsSession *self)
{
  g_return_val_if_fail (SS_IS_SESSION (self), NULL);
  return G_LIST_MODEL (self->verdicts);
}

SsConfig *
ss_session_get_config (SsSession *self)
{
  SsConfig *copy;

  g_return_val_if_fail (SS_IS_SESSION (self), NULL);
  g_mutex_lock (&self->mutex);
  copy = ss_config_copy (self->config);
  g_mutex_unlock (&self->mutex);
  return copy;
}

/* ---------------------------------------------------------------------------------------- */
/* Events from the worker, delivered on the owner context                                   */

typedef struct
{
  SsSession      *self;        /* (owned) */
  SsSessionState  state;
  char           *error;
  guint           progress_n;
  guint           progress_total;
  gint64          retry_at;
  gint64          last_check;
  gboolean        set_state;
  gboolean        set_progress;
  gboolean        set_check;
  SsRecord       *record;
  GPtrArray      *history;     /* SsRecord*, newest first */
  gboolean        replace_history;   /* another account: drop the rows shown so far */
} Event;

static void
event_free (Event *event)
{
  g_clear_object (&event->self);
  g_free (event->error);
  g_clear_pointer (&event->record, ss_record_free);
  g_clear_pointer (&event->history, g_ptr_array_unref);
  g_free (event);
}

#define SET_NOTIFY(field, value, prop) \
  G_STMT_START { \
    if (self->field != (value)) \
      { \
        self->field = (value); \
        g_object_notify_by_pspec (G_OBJECT (self), properties[prop]); \
      } \
  } G_STMT_END

static gboolean
event_dispatch (gpointer data)
{
  Event *event = data;
  SsSession *self = event->self;

  g_object_freeze_notify (G_OBJECT (self));
  if (event->set_state)
    {
      if (g_strcmp0 (self->last_error, event->error) != 0)
        {
          g_free (self->last_error);
          self->last_error = g_strdup (event->error);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
        }
      SET_NOTIFY (retry_at, event->retry_at, PROP_RETRY_AT);
      SET_NOTIFY (state, event->state, PROP_STATE);
    }
  if (event->set_progress)
    {
      SET_NOTIFY (progress_n, event->progress_n, PROP_PROGRESS_N);
      SET_NOTIFY (progress_total, event->progress_total, PROP_PROGRESS_TOTAL);
    }
  if (event->set_check)
    SET_NOTIFY (last_check, event->last_check, PROP_LAST_CHECK);
  if (event->history != NULL)
    {
      g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
      guint n = g_list_model_get_n_items (G_LIST_MODEL (self->verdicts));

      for (guint i = 0; i < event->history->len; i++)
        g_ptr_array_add (items, ss_verdict_new (g_ptr_array_index (event->history, i)));
      if (event->replace_history)
        g_list_store_splice (self->verdicts, 0, n, items->pdata, items->len);
      else
        g_list_store_splice (self->verdicts, n, 0, items->pdata, items->len);
    }
  if (event->record != NULL)
    {
      g_autoptr(SsVerdict) verdict = ss_verdict_new (event->record);

      g_list_store_insert (self->verdicts, 0, verdict);
      g_signal_emit (self, signals[SIGNAL_RECORD], 0, event->record);
    }
  g_object_thaw_notify (G_OBJECT (self));
  return G_SOURCE_REMOVE;
}

/* Runs func on the owner context, always from its own dispatch: never on the calling thread
 * (g_main_context_invoke() would run it right here when nobody iterates the owner context
 * at that moment, i.e. signals and list changes on the worker thread). Sources of one
 * priority are dispatched in the order they were attached, so events keep their order. */
static void
invoke_on_owner (SsSession      *self,
                 GSourceFunc     func,
                 gpointer        data,
                 GDestroyNotify  notify)
{
  /* Our reference to the source outlives its dispatch, which may end the owner's last use of
   * the context (e.g. stop_done): keep the context alive until the source is released. */
  g_autoptr(GMainContext) context = g_main_context_ref (self->owner_context);
  g_autoptr(GSource) source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, notify);
  g_source_set_static_name (source, "[spamsieve] session event");
  g_source_attach (source, context);
}

static void
post_event (SsSession *self,
            Event     *event)
{
  event->self = g_object_ref (self);
  invoke_on_owner (self, event_dispatch, event, (GDestroyNotify) event_free);
}

/* ---------------------------------------------------------------------------------------- */
/* The worker                                                                                */

typedef struct
{
  SsSession      *self;
  SsConfig       *config;
  char           *password;
  SsJournal      *journal;
  SsSpamdDaemon  *daemon;
  SsSpamdClient  *spamd;
  SsImapClient   *imap;
  SsFilter       *filter;
  SsBackoff       backoff;
  SsBackoff       deferred_backoff;  /* retrying messages spamd gave no verdict for */
  guint           deferred_retry_ms; /* 0: none left in Unfiltered after the last pass */
  gint64          next_maintenance;  /* monotonic µs */
  gboolean        connected;
  gboolean        paused;
  gboolean        waiting;           /* login refused or failed: until reload / retry */
  gboolean        check_now;
  gboolean        stop;
  gboolean        marking;
} Worker;

static void
worker_state (Worker         *w,
              SsSessionState  state,
              const char     *error,
              gint64          retry_at)
{
  Event *event = g_new0 (Event, 1);

  event->set_state = TRUE;
  event->state = state;
  event->error = g_strdup (error);
  event->retry_at = retry_at;
  post_event (w->self, event);
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
  post_event (w->self, event);
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
  post_event (w->self, event);
}

static void
worker_disconnect (Worker *w)
{
  if (w->filter != NULL)
    {
      g_mutex_lock (&w->self->mutex);
      w->self->filter = NULL;
      g_mutex_unlock (&w->self->mutex);
    }
  if (w->imap != NULL && w->connected)
    ss_imap_client_disconnect (w->imap);
  g_clear_object (&w->filter);
  g_clear_object (&w->imap);
  g_clear_object (&w->spamd);
  w->connected = FALSE;
}

static gboolean
worker_ensure_password (Worker  *w,
                        GError **error)
{
  if (w->password != NULL)
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
worker_spamd (Worker  *w,
              GError **error)
{
  const char *address = w->config->spamd_address;

  if (address == NULL || *address == '\0')
    {
      if (w->daemon == NULL)
        {
          g_autofree char *run_dir = g_build_filename (g_get_user_runtime_dir (), "spamsieve",
                                                       NULL);
          g_autofree char *data_dir = g_build_filename (g_get_user_data_dir (), "spamsieve",
                                                        NULL);

          w->daemon = ss_spamd_daemon_start (SPAMD_PROGRAM, run_dir, data_dir,
                                             w->config->spamd_parallel, FALSE, NULL, error);
          if (w->daemon == NULL)
            return FALSE;
        }
      address = ss_spamd_daemon_get_address (w->daemon);
    }
  w->spamd = ss_spamd_client_new (address, NULL, w->config->spamd_timeout * 1000, error);
  return w->spamd != NULL;
}

static gboolean
worker_connect (Worker  *w,
                GError **error)
{
  worker_state (w, SS_SESSION_CONNECTING, NULL, 0);
  if (!worker_ensure_password (w, error) || !worker_spamd (w, error))
    return FALSE;
  w->imap = ss_imap_client_new (w->config);
  if (w->self->debug_timeout_ms > 0)
    ss_imap_client_set_timeout (w->imap, w->self->debug_timeout_ms);
  if (!ss_imap_client_connect (w->imap, w->password, NULL, error))
    return FALSE;
  w->connected = TRUE;
  w->filter = ss_filter_new (w->config, w->imap, w->spamd, w->journal);
  ss_filter_set_record_func (w->filter, on_record, w);
  ss_filter_set_progress_func (w->filter, on_progress, w);
  g_mutex_lock (&w->self->mutex);
  w->self->filter = w->filter;
  g_mutex_unlock (&w->self->mutex);
  if (g_atomic_int_get (&w->self->stopping))
    ss_filter_request_stop (w->filter);
  return ss_filter_prepare (w->filter, NULL, error);
}

/* ---------------------------------------------------------------------------------------- */

static void
mark_complete (Worker  *w,
               Command *cmd,
               SsRecord *record,
               GError  *error);

static void
worker_mark (Worker  *w,
             Command *cmd)
{
  g_autoptr(GError) error = NULL;
  SsRecord *record = NULL;

  if (!w->connected)
    g_set_error_literal (&error, SS_IMAP_ERROR, SS_IMAP_ERROR_CONNECT,
                         "Not connected to the mail server; try again when it is back");
  else
    {
      worker_state (w, SS_SESSION_LEARNING, NULL, 0);
      w->marking = TRUE;
      record = ss_filter_mark (w->filter, cmd->folder, cmd->uidvalidity, cmd->uid,
                               cmd->as_spam, NULL, &error);
      w->marking = FALSE;
    }
  mark_complete (w, cmd, record, g_steal_pointer (&error));
}

static char *worker_account      (Worker   *w);
static void  worker_load_history (Worker   *w,
                                 gboolean  replace);

/* Takes the queued commands; returns after handling them. */
static void
worker_commands (Worker *w)
{
  GQueue pending = G_QUEUE_INIT;
  Command *cmd;

  g_mutex_lock (&w->self->mutex);
  pending = w->self->commands;
  g_queue_init (&w->self->commands);
  g_cancellable_reset (w->self->wake);
  g_mutex_unlock (&w->self->mutex);

  while ((cmd = g_queue_pop_head (&pending)) != NULL)
    {
      g_autoptr(Command) owned = cmd;

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
              g_clear_object (&w->daemon);
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
        }
    }
}

/* Sleeps until a command arrives or ms pass (0 = forever). */
static void
worker_sleep (Worker *w,
              guint   ms)
{
  GPollFD pfd;

  if (!g_cancellable_make_pollfd (w->self->wake, &pfd))
    return;
  g_poll (&pfd, 1, ms > 0 ? (int) ms : -1);
  g_cancellable_release_fd (w->self->wake);
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
      worker_state (w, SS_SESSION_LOGIN_REFUSED, error->message, 0);
    }
  else if (!ss_error_is_transient (error) &&
           !g_error_matches (error, SS_IMAP_ERROR, SS_IMAP_ERROR_NO_MAILBOX))
    {
      gint64 retry = g_get_real_time () / G_USEC_PER_SEC + FAILED_RETRY_MS / 1000;

      w->waiting = TRUE;
      worker_state (w, SS_SESSION_FAILED, error->message, retry);
      worker_sleep (w, FAILED_RETRY_MS);
      w->waiting = FALSE;
    }
  else
    {
      guint delay = ss_backoff_next (&w->backoff, g_random_double ());
      gint64 retry = g_get_real_time () / G_USEC_PER_SEC + (delay + 999) / 1000;

      worker_state (w, SS_SESSION_BACKING_OFF, error->message, retry);
      worker_sleep (w, delay);
    }
}

static gboolean
worker_cycle (Worker  *w,
              GError **error)
{
  gint64 now = g_get_monotonic_time ();
  guint deferred;
  Event *event;

  if (now >= w->next_maintenance)
    {
      g_autoptr(GError) learn_error = NULL;

      worker_state (w, SS_SESSION_LEARNING, NULL, 0);
      if (!ss_filter_run_learning (w->filter, NULL, &learn_error))
        {
          /* A spamd without --allow-tell does not stop filtering; it is reported. */
          if (!g_error_matches (learn_error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_REFUSED))
            {
              g_propagate_error (error, g_steal_pointer (&learn_error));
              return FALSE;
            }
          g_message ("%s", learn_error->message);
        }
      worker_state (w, SS_SESSION_EXPIRING, NULL, 0);
      if (!ss_filter_run_expire (w->filter, NULL, error))
        return FALSE;
      w->next_maintenance = now + (gint64) w->config->maintenance_minutes * 60 * G_USEC_PER_SEC;
    }
  worker_state (w, SS_SESSION_SCANNING, NULL, 0);
  deferred = ss_filter_get_stats (w->filter)->deferred;
  if (!ss_filter_run_unfiltered (w->filter, NULL, error))
    return FALSE;
  /* Messages spamd gave no verdict for (a timeout, a broken reply) stay in Unfiltered; they
   * are tried again after a back-off, not only when new mail or maintenance comes. */
  if (ss_filter_get_stats (w->filter)->deferred > deferred)
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
  event->set_progress = TRUE;
  post_event (w->self, event);
  return TRUE;
}

/* Waits for new mail in Unfiltered (IDLE, else polling), a command, or maintenance. */
static gboolean
worker_watch (Worker  *w,
              GError **error)
{
  gint64 until_maintenance = (w->next_maintenance - g_get_monotonic_time ()) / 1000;
  guint max_ms = (guint) CLAMP (until_maintenance, 1000, IDLE_MAX_MS);
  SsImapIdleResult result;

  if (w->deferred_retry_ms > 0)
    max_ms = MIN (max_ms, w->deferred_retry_ms);
  worker_state (w, SS_SESSION_WATCHING, NULL, 0);
  if (!ss_imap_client_has_capability (w->imap, "IDLE"))
    {
      worker_sleep (w, MIN (max_ms, w->config->poll_seconds * 1000));
      return TRUE;
    }
  if (g_strcmp0 (ss_imap_client_get_selected (w->imap), w->config->folder_unfiltered) != 0 &&
      !ss_imap_client_select (w->imap, w->config->folder_unfiltered, NULL, NULL, error))
    return FALSE;
  return ss_imap_client_idle (w->imap, w->self->wake, max_ms, &result, error);
}

/* A record whose message was later moved again (a mark) no longer says where it is: newest
 * first, a later record's source is an older record's destination. Such rows keep their
 * verdict for the history but cannot be marked any more. */
static void
supersede_moved (GPtrArray *records)
{
  g_autoptr(GHashTable) moved = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < records->len; i++)
    {
      SsRecord *r = g_ptr_array_index (records, i);
      g_autofree char *here = g_strdup_printf ("%u:%u:%s", r->dest_uidvalidity, r->dest_uid,
                                               r->destination);

      if (r->dest_uid != 0 && g_hash_table_contains (moved, here))
        r->dest_uid = 0;
      g_hash_table_add (moved, g_strdup_printf ("%u:%u:%s", r->uidvalidity, r->uid, r->folder));
    }
}

static char *
worker_account (Worker *w)
{
  g_autofree char *server = ss_config_dup_server (w->config);

  return g_strdup_printf ("%s@%s", w->config->user, server);
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
  else
    supersede_moved (event->history);
  post_event (w->self, event);
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
      if (!w->connected && !worker_connect (w, &error))
        {
          worker_failed (w, error);
          continue;
        }
      w->check_now = FALSE;
      if (!worker_cycle (w, &error) || (!w->check_now && !w->stop &&
                                        g_queue_is_empty (&w->self->commands) &&
                                        !worker_watch (w, &error)))
        worker_failed (w, error);
    }
}

static gpointer
worker_main (gpointer data)
{
  Worker w = { .self = data };
  g_autoptr(GError) error = NULL;
  SsSession *self = w.self;

  g_mutex_lock (&self->mutex);
  w.config = ss_config_copy (self->config);
  w.password = g_strdup (self->password);
  g_mutex_unlock (&self->mutex);
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
  if (w.daemon != NULL)
    ss_spamd_daemon_stop (w.daemon);
  g_clear_object (&w.daemon);
  g_clear_object (&w.journal);
  ss_config_free (w.config);
  g_free (w.password);
  worker_state (&w, SS_SESSION_STOPPED, NULL, 0);
  return NULL;
}

static guint
debug_knob (const char *name)
{
  const char *value = g_getenv (name);
  guint64 n = 0;

  if (value == NULL || !g_ascii_string_to_unsigned (value, 10, 1, G_MAXUINT, &n, NULL))
    return 0;
  g_message ("%s=%" G_GUINT64_FORMAT " (debug setting)", name, n);
  return (guint) n;
}

void
ss_session_start (SsSession *self)
{
  g_return_if_fail (SS_IS_SESSION (self));
  g_return_if_fail (self->thread == NULL);

  g_clear_pointer (&self->owner_context, g_main_context_unref);
  self->owner_context = g_main_context_ref_thread_default ();
  g_atomic_int_set (&self->stopping, 0);
  self->debug_timeout_ms = debug_knob (DEBUG_TIMEOUT_ENV);
  self->debug_backoff_max_ms = debug_knob (DEBUG_BACKOFF_ENV);
  /* The worker keeps the session alive until it has stopped. */
  self->thread = g_thread_new ("spamsieve-engine", worker_main, g_object_ref (self));
}

/* ---------------------------------------------------------------------------------------- */
/* Stop and mark: results travel back to the owner context                                  */

static gboolean
stop_done (gpointer data)
{
  SsSession *self = data;
  g_autoptr(GTask) task = g_steal_pointer (&self->stop_task);

  /* The worker was joined by stop_thread; self->thread only changes on this context. */
  if (self->thread != NULL)
    {
      g_clear_pointer (&self->thread, g_thread_unref);
      g_object_unref (self);   /* the worker's reference */
    }
  if (task != NULL)
    g_task_return_boolean (task, TRUE);
  return G_SOURCE_REMOVE;
}

typedef struct
{
  SsSession *self;     /* (owned) */
  GThread   *worker;   /* (owned) consumed by the join */
} StopData;

static gpointer
stop_thread (gpointer data)
{
  StopData *stop = data;

  /* Wait for the worker without blocking the owner context. */
  g_thread_join (stop->worker);
  invoke_on_owner (stop->self, stop_done, stop->self, g_object_unref);
  g_free (stop);
  return NULL;
}

void
ss_session_stop_async (SsSession          *self,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  StopData *stop;

  g_return_if_fail (SS_IS_SESSION (self));
  g_task_set_source_tag (task, ss_session_stop_async);

  if (self->thread == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (self->stop_task != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING, "Already stopping");
      return;
    }
  self->stop_task = g_steal_pointer (&task);
  g_atomic_int_set (&self->stopping, 1);
  g_mutex_lock (&self->mutex);
  if (self->filter != NULL)
    ss_filter_request_stop (self->filter);
  g_mutex_unlock (&self->mutex);
  post_simple (self, CMD_STOP);
  /* The worker's reference goes in stop_done; the joiner holds one too. */
  stop = g_new0 (StopData, 1);
  stop->self = g_object_ref (self);
  stop->worker = g_thread_ref (self->thread);
  g_thread_unref (g_thread_new ("spamsieve-stop", stop_thread, stop));
}

gboolean
ss_session_stop_finish (SsSession     *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct
{
  GTask    *task;
  SsRecord *record;
  GError   *error;
} MarkResult;

static SsVerdict *
find_verdict (SsSession  *self,
              const char *folder,
              guint32     uidvalidity,
              guint32     uid)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->verdicts));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SsVerdict) v = g_list_model_get_item (G_LIST_MODEL (self->verdicts), i);
      const SsRecord *r = ss_verdict_get_record (v);

      if (r->dest_uid == uid && r->dest_uidvalidity == uidvalidity &&
          g_strcmp0 (r->destination, folder) == 0)
        return g_steal_pointer (&v);
    }
  return NULL;
}

static gboolean
mark_dispatch (gpointer data)
{
  MarkResult *result = data;
  SsSession *self = g_task_get_source_object (result->task);
  Command *cmd = g_task_get_task_data (result->task);
  g_autoptr(SsVerdict) verdict = find_verdict (self, cmd->folder, cmd->uidvalidity, cmd->uid);

  if (verdict != NULL)
    {
      if (result->record != NULL)
        ss_verdict_update (verdict, result->record);
      g_object_set (verdict, "busy", FALSE, NULL);
    }
  if (result->record != NULL)
    g_signal_emit (self, signals[SIGNAL_RECORD], 0, result->record);
  if (result->error != NULL)
    g_task_return_error (result->task, g_steal_pointer (&result->error));
  else
    g_task_return_pointer (result->task, g_steal_pointer (&result->record),
                           (GDestroyNotify) ss_record_free);
  return G_SOURCE_REMOVE;
}

static void
mark_result_free (MarkResult *result)
{
  g_clear_object (&result->task);
  g_clear_pointer (&result->record, ss_record_free);
  g_clear_error (&result->error);
  g_free (result);
}

static void
mark_complete (Worker   *w,
               Command  *cmd,
               SsRecord *record,
               GError   *error)
{
  MarkResult *result = g_new0 (MarkResult, 1);

  result->task = g_steal_pointer (&cmd->task);
  result->record = record;
  result->error = error;
  invoke_on_owner (w->self, mark_dispatch, result, (GDestroyNotify) mark_result_free);
}

void
ss_session_mark_async (SsSession          *self,
                       const char         *folder,
                       guint32             uidvalidity,
                       guint32             uid,
                       gboolean            as_spam,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SsVerdict) verdict = NULL;
  Command *cmd;
  Command *data;

  g_return_if_fail (SS_IS_SESSION (self));
  g_return_if_fail (folder != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ss_session_mark_async);
  data = g_new0 (Command, 1);
  data->folder = g_strdup (folder);
  data->uidvalidity = uidvalidity;
  data->uid = uid;
  g_task_set_task_data (task, data, (GDestroyNotify) command_free);

  if (self->thread == NULL)
    {
      g_task_return_new_error (task, SS_ENGINE_ERROR, SS_ENGINE_ERROR_FAILED,
                               "The engine is not running");
      return;
    }
  verdict = find_verdict (self, folder, uidvalidity, uid);
  if (verdict != NULL)
    g_object_set (verdict, "busy", TRUE, NULL);

  cmd = g_new0 (Command, 1);
  cmd->kind = CMD_MARK;
  cmd->task = g_steal_pointer (&task);
  cmd->folder = g_strdup (folder);
  cmd->uidvalidity = uidvalidity;
  cmd->uid = uid;
  cmd->as_spam = as_spam;
  post_command (self, cmd);
}

SsRecord *
ss_session_mark_finish (SsSession     *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
