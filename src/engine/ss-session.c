/* ss-session.c: the live engine as the main thread sees it. One worker thread
 * (ss-session-worker.c) owns the IMAP connection, the spamd client and the journal; the main
 * thread only sees properties, signals and the verdict list, all changed on the owner
 * context. Commands reach the worker as sources on its own GMainContext; each also
 * cancels "wake", which ends IDLE. */
#define G_LOG_DOMAIN "ss-session"

#include "config.h"

#include "ss-session-private.h"

#include "ss-error.h"


/* Debug knobs for the fault-injection tests, read once by ss_session_start(); the defaults
 * above are never changed by them:
 *   SS_DEBUG_TIMEOUT_MS=N      the IMAP client's stall timeout (default 60 s) and the
 *                              connect timeout, so that a stalled link is given up quickly;
 *   SS_DEBUG_BACKOFF_MAX_MS=N  caps the reconnect back-off (and the retry of messages spamd
 *                              gave no verdict for) at N ms instead of 1 s .. 5 min. */
#define DEBUG_TIMEOUT_ENV  "SS_DEBUG_TIMEOUT_MS"
#define DEBUG_BACKOFF_ENV  "SS_DEBUG_BACKOFF_MAX_MS"


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
  PROP_INBOX_BYPASS,
  PROP_VERDICTS,
  N_PROPS
};

enum {
  SIGNAL_RECORD,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];


void
_ss_session_command_free (Command *cmd)
{
  g_clear_pointer (&cmd->config, ss_config_free);
  if (cmd->password != NULL)
    {
      memset (cmd->password, 0, strlen (cmd->password));
      g_free (cmd->password);
    }
  /* A train command the worker never ran (it stopped first) still answers. */
  if (cmd->kind == CMD_TRAIN && cmd->task != NULL)
    g_task_return_new_error (cmd->task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             "The engine stopped before learning");
  g_clear_object (&cmd->task);
  g_free (cmd->folder);
  g_free (cmd);
}


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
    case PROP_INBOX_BYPASS: g_value_set_uint (value, self->inbox_bypass); break;
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
  /* Commands nobody ran are freed with their sources. */
  g_clear_pointer (&self->worker_context, g_main_context_unref);
  g_clear_pointer (&self->owner_context, g_main_context_unref);
  g_clear_object (&self->verdicts);
  g_clear_object (&self->wake);
  g_clear_pointer (&self->last_error, g_free);
  g_clear_pointer (&self->config, ss_config_free);
  g_clear_pointer (&self->password, g_free);
  g_clear_pointer (&self->journal_path, g_free);
  if (self->token_destroy != NULL)
    self->token_destroy (self->token_data);
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
  /* Unfiltered mode: new mail in INBOX that no rule filed into Unfiltered (SsFilterStats). */
  properties[PROP_INBOX_BYPASS] = g_param_spec_uint ("inbox-bypass", NULL, NULL, 0, G_MAXUINT,
                                                     0, RO);
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
  self->worker_context = g_main_context_new ();
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

void
ss_session_set_token_func (SsSession      *self,
                           SsTokenFunc     func,
                           gpointer        data,
                           GDestroyNotify  destroy)
{
  g_return_if_fail (SS_IS_SESSION (self));
  g_return_if_fail (self->thread == NULL);

  if (self->token_destroy != NULL)
    self->token_destroy (self->token_data);
  self->token_func = func;
  self->token_data = data;
  self->token_destroy = destroy;
}

static void
post_command (SsSession *self,
              Command   *cmd)
{
  g_autoptr(GSource) source = g_idle_source_new ();

  cmd->session = self;
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, _ss_session_command_dispatch, cmd,
                         (GDestroyNotify) _ss_session_command_free);
  g_source_set_static_name (source, "[spamsieve] session command");
  g_source_attach (source, self->worker_context);
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

GQuark
ss_session_get_last_error_domain (SsSession *self)
{
  g_return_val_if_fail (SS_IS_SESSION (self), 0);
  return self->last_error_domain;
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

guint
ss_session_get_inbox_bypass (SsSession *self)
{
  return self->inbox_bypass;
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

/* One row per message. The row a record is about: the one that says the message is where
 * the record took it from, or (a message the user dropped into a learning folder) the newest
 * with its Message-ID. */
static gboolean
learned_elsewhere (const SsRecord *r)
{
  return (r->verdict == SS_VERDICT_LEARNED_HAM || r->verdict == SS_VERDICT_LEARNED_SPAM) &&
         r->message_id != NULL && *r->message_id != '\0';
}

static SsVerdict *
find_row (SsSession      *self,
          const SsRecord *record)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->verdicts));
  SsVerdict *same_id = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SsVerdict) v = g_list_model_get_item (G_LIST_MODEL (self->verdicts), i);

      if (ss_verdict_is_about (v, record))
        {
          g_clear_object (&same_id);
          return g_steal_pointer (&v);
        }
      if (same_id == NULL && learned_elsewhere (record) &&
          g_strcmp0 (ss_verdict_get_record (v)->message_id, record->message_id) == 0)
        same_id = g_steal_pointer (&v);
    }
  return same_id;
}

static void
add_record (SsSession      *self,
            const SsRecord *record)
{
  g_autoptr(SsVerdict) verdict = find_row (self, record);

  if (verdict != NULL)
    ss_verdict_update (verdict, record);
  else
    {
      verdict = ss_verdict_new (record);
      g_list_store_insert (self->verdicts, 0, verdict);
    }
}

static char *
place_key (guint32     uidvalidity,
           guint32     uid,
           const char *folder)
{
  return g_strdup_printf ("%u:%u:%s", uidvalidity, uid, folder != NULL ? folder : "");
}

/* History from the journal (newest first): folded oldest first into rows as add_record()
 * does live, so a restart shows the same rows and counts. */
static void
add_history (SsSession *self,
             GPtrArray *history,
             gboolean   replace)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) by_place = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) by_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->verdicts));

  for (guint i = history->len; i-- > 0;)
    {
      const SsRecord *r = g_ptr_array_index (history, i);
      g_autofree char *from = place_key (r->uidvalidity, r->uid, r->folder);
      SsVerdict *v = g_hash_table_lookup (by_place, from);
      const SsRecord *now;

      if (v == NULL || !ss_verdict_is_about (v, r))
        v = learned_elsewhere (r) ? g_hash_table_lookup (by_id, r->message_id) : NULL;
      if (v != NULL)
        {
          g_autofree char *was = NULL;

          now = ss_verdict_get_record (v);
          was = place_key (now->dest_uidvalidity, now->dest_uid, now->destination);
          if (g_hash_table_lookup (by_place, was) == v)
            g_hash_table_remove (by_place, was);
          ss_verdict_update (v, r);
        }
      else
        {
          v = ss_verdict_new (r);
          g_ptr_array_add (rows, v);
        }
      now = ss_verdict_get_record (v);
      if (now->dest_uid != 0)
        g_hash_table_replace (by_place, place_key (now->dest_uidvalidity, now->dest_uid,
                                                   now->destination), v);
      if (now->message_id != NULL && *now->message_id != '\0')
        g_hash_table_replace (by_id, g_strdup (now->message_id), v);
    }
  /* Rows keep the place of their first record, newest first. */
  for (guint i = 0; i < rows->len / 2; i++)
    {
      gpointer tmp = rows->pdata[i];

      rows->pdata[i] = rows->pdata[rows->len - 1 - i];
      rows->pdata[rows->len - 1 - i] = tmp;
    }
  if (replace)
    g_list_store_splice (self->verdicts, 0, n, rows->pdata, rows->len);
  else
    g_list_store_splice (self->verdicts, n, 0, rows->pdata, rows->len);
}

static gboolean
event_dispatch (gpointer data)
{
  Event *event = data;
  SsSession *self = event->self;

  g_object_freeze_notify (G_OBJECT (self));
  if (event->set_state)
    {
      self->last_error_domain = event->error_domain;
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
    {
      SET_NOTIFY (last_check, event->last_check, PROP_LAST_CHECK);
      SET_NOTIFY (inbox_bypass, event->inbox_bypass, PROP_INBOX_BYPASS);
    }
  if (event->history != NULL)
    add_history (self, event->history, event->replace_history);
  if (event->record != NULL)
    {
      add_record (self, event->record);
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

void
_ss_session_post_event (SsSession *self,
                        Event     *event)
{
  event->self = g_object_ref (self);
  invoke_on_owner (self, event_dispatch, event, (GDestroyNotify) event_free);
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
  self->thread = g_thread_new ("spamsieve-engine", _ss_session_worker_main,
                           g_object_ref (self));
}

/* ---------------------------------------------------------------------------------------- */
/* Stop and mark: results travel back to the owner context                                  */

static gboolean
stop_done (gpointer data)
{
  SsSession *self = data;
  g_autoptr(GTask) task = g_steal_pointer (&self->stop_task);

  /* Posted as the worker's last act: the join only waits for its return. self->thread only
   * changes on this context. */
  g_thread_join (g_steal_pointer (&self->thread));
  if (task != NULL)
    g_task_return_boolean (task, TRUE);
  return G_SOURCE_REMOVE;
}

void
_ss_session_worker_finished (SsSession *self)
{
  /* The worker's reference goes with the source, released on the owner context. */
  invoke_on_owner (self, stop_done, self, g_object_unref);
}

void
ss_session_stop_async (SsSession          *self,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

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

void
_ss_session_mark_complete (SsSession *self,
                           GTask     *task,
                           SsRecord  *record,
                           GError    *error)
{
  MarkResult *result = g_new0 (MarkResult, 1);

  result->task = task;
  result->record = record;
  result->error = error;
  invoke_on_owner (self, mark_dispatch, result, (GDestroyNotify) mark_result_free);
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
  g_task_set_task_data (task, data, (GDestroyNotify) _ss_session_command_free);

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

/* ---------------------------------------------------------------------------------------- */
/* Initial training                                                                          */

typedef struct
{
  GTask        *task;
  SsTrainStats  stats;
  GError       *error;
} TrainResult;

static void
train_result_free (TrainResult *result)
{
  g_clear_object (&result->task);
  g_clear_error (&result->error);
  g_free (result);
}

static gboolean
train_dispatch (gpointer data)
{
  TrainResult *result = data;
  SsTrainStats *stats = g_task_get_task_data (result->task);

  *stats = result->stats;
  if (result->error != NULL)
    g_task_return_error (result->task, g_steal_pointer (&result->error));
  else
    g_task_return_boolean (result->task, TRUE);
  return G_SOURCE_REMOVE;
}

void
_ss_session_train_complete (SsSession          *self,
                            GTask              *task,
                            const SsTrainStats *stats,
                            GError             *error)
{
  TrainResult *result = g_new0 (TrainResult, 1);

  result->task = task;
  result->stats = *stats;
  result->error = error;
  invoke_on_owner (self, train_dispatch, result, (GDestroyNotify) train_result_free);
}

void
ss_session_train_async (SsSession          *self,
                        guint               max_ham,
                        guint               max_spam,
                        GCancellable       *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  Command *cmd;

  g_return_if_fail (SS_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ss_session_train_async);
  g_task_set_task_data (task, g_new0 (SsTrainStats, 1), g_free);
  if (self->thread == NULL || g_atomic_int_get (&self->stopping))
    {
      g_task_return_new_error (task, SS_ENGINE_ERROR, SS_ENGINE_ERROR_FAILED,
                               "The engine is not running");
      return;
    }
  cmd = g_new0 (Command, 1);
  cmd->kind = CMD_TRAIN;
  cmd->task = g_steal_pointer (&task);
  cmd->max_ham = max_ham;
  cmd->max_spam = max_spam;
  post_command (self, cmd);
}

gboolean
ss_session_train_finish (SsSession     *self,
                         GAsyncResult  *result,
                         SsTrainStats  *stats,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (stats != NULL)
    *stats = *(SsTrainStats *) g_task_get_task_data (G_TASK (result));
  return g_task_propagate_boolean (G_TASK (result), error);
}

SsRecord *
ss_session_mark_finish (SsSession     *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
