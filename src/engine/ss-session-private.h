/* ss-session-private.h: what ss-session.c (main thread) and ss-session-worker.c (the worker
 * thread) share. Not for use outside those two files. */
#pragma once

#include "ss-session.h"

#include "ss-filter.h"

G_BEGIN_DECLS

struct _SsSession
{
  GObject         parent_instance;

  /* Owner context only */
  GMainContext   *owner_context;
  GListStore     *verdicts;
  SsSessionState  state;
  char           *last_error;
  GQuark          last_error_domain;
  guint           progress_n;
  guint           progress_total;
  gint64          retry_at;
  gint64          last_check;
  guint           inbox_bypass;
  GTask          *stop_task;
  GThread        *thread;

  /* Commands: sources on worker_context, which only the worker thread iterates */
  GMainContext   *worker_context; /* (owned) */
  gpointer        worker;         /* the running worker's state; worker thread only */

  /* Shared (mutex) */
  GMutex          mutex;
  SsConfig       *config;
  char           *password;
  SsFilter       *filter;         /* the worker's current filter, for request_stop */
  GCancellable   *wake;           /* (owned) cancelled with each command: ends IDLE */
  char           *journal_path;
  gint            stopping;       /* (atomic) */

  /* Set by ss_session_start() before the worker exists; read-only afterwards */
  guint           debug_timeout_ms;      /* 0: the IMAP client's default */
  guint           debug_backoff_max_ms;  /* 0: BACKOFF_MAX_MS */
  SsTokenFunc     token_func;            /* (nullable) */
  gpointer        token_data;
  GDestroyNotify  token_destroy;
};

typedef enum {
  CMD_CHECK_NOW,
  CMD_PAUSE,
  CMD_RESUME,
  CMD_RELOAD,
  CMD_MARK,
  CMD_STOP,
  CMD_TRAIN,
} CommandKind;

typedef struct
{
  CommandKind  kind;
  SsSession   *session;    /* (unowned) outlives its commands */
  SsConfig    *config;     /* RELOAD */
  char        *password;   /* RELOAD */
  GTask       *task;       /* MARK */
  char        *folder;     /* MARK */
  guint32      uidvalidity;
  guint32      uid;
  gboolean     as_spam;
  guint        max_ham;    /* TRAIN (task: TRAIN too) */
  guint        max_spam;
} Command;

void      _ss_session_command_free   (Command   *cmd);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Command, _ss_session_command_free)

/* Runs a command on the worker thread: the callback of the source post_command() attaches
 * to worker_context. */
gboolean  _ss_session_command_dispatch (gpointer data);

/* What the worker reports; applied on the owner context, in the order posted. */
typedef struct
{
  SsSession      *self;        /* (owned) */
  SsSessionState  state;
  char           *error;
  GQuark          error_domain;
  guint           progress_n;
  guint           progress_total;
  gint64          retry_at;
  gint64          last_check;
  guint           inbox_bypass;  /* with set_check */
  gboolean        set_state;
  gboolean        set_progress;
  gboolean        set_check;
  SsRecord       *record;
  GPtrArray      *history;     /* SsRecord*, newest first */
  gboolean        replace_history;   /* another account: drop the rows shown so far */
} Event;

/* Takes event; from any thread. */
void      _ss_session_post_event     (SsSession *self,
                                      Event     *event);
/* Completes a mark task on the owner context; takes task, record and error. */
void      _ss_session_mark_complete  (SsSession *self,
                                      GTask     *task,
                                      SsRecord  *record,
                                      GError    *error);

/* Completes a train task on the owner context; takes task and error. */
void      _ss_session_train_complete (SsSession          *self,
                                      GTask              *task,
                                      const SsTrainStats *stats,
                                      GError             *error);

/* The worker thread's function; data is a reference to the session. Its last act is
 * _ss_session_worker_finished(), which hands that reference to the owner context, joins the
 * thread there and completes the stop task. */
gpointer  _ss_session_worker_main    (gpointer   data);
void      _ss_session_worker_finished (SsSession *self);

G_END_DECLS
