/* ss-notifier.c: tells the user about problems that need them (login refused, settings),
 * about a server that stays unreachable, about mail left uncertain (to check), and, if they
 * want, sums up the spam caught. Mail is summed up: one notification per batch.
 * Every kind has at most one notification on screen (it is replaced, not stacked) and a
 * minimum interval between two of them. libnotify is used only here. */
#define G_LOG_DOMAIN "ss-notifier"

#include "config.h"

#include "ss-notifier.h"

#include <glib/gi18n.h>
#include <libnotify/notify.h>
#include <string.h>

typedef enum {
  KIND_LOGIN,
  KIND_SETTINGS,
  KIND_UNREACHABLE,
  KIND_SUMMARY,
  KIND_UNCERTAIN,
  N_KINDS
} Kind;

/* Messages collected into one notification (spam caught, uncertain mail). */
typedef struct
{
  guint  pending;
  char  *last_subject;
  guint  timer;
} Batch;

struct _SsNotifier
{
  GObject              parent_instance;

  GActionGroup        *actions;
  SsStatus            *status;
  GSettings           *settings;
  SsSession           *session;
  gulong               record_id;

  NotifyNotification  *shown[N_KINDS];
  gint64               last_sent[N_KINDS];   /* monotonic µs, 0 = never */
  gboolean             notified[N_KINDS];    /* for the current spell of this problem */
  guint                n_sent;

  guint                unreachable_s;
  guint                summary_s;
  guint                min_interval_s;
  guint                unreachable_timer;
  Batch                batch[N_KINDS];       /* KIND_SUMMARY, KIND_UNCERTAIN */
  char                *account_id;          /* a further account's, else NULL */
  char                *account_label;
};

G_DEFINE_FINAL_TYPE (SsNotifier, ss_notifier, G_TYPE_OBJECT)

static void
on_action (NotifyNotification *notification,
           char               *action,
           gpointer            user_data)
{
  SsNotifier *self = user_data;
  /* A problem's action is an app action ("app.setup"); the default one shows the window. */
  const char *name = g_str_has_prefix (action, "app.") ? action + strlen ("app.")
                                                        : "show-window";

  if (self->actions == NULL)
    return;
  if (self->account_id != NULL)
    {
      /* A further account: the window shows it, its own settings open. */
      if (g_action_group_has_action (self->actions, "show-account"))
        g_action_group_activate_action (self->actions, "show-account",
                                        g_variant_new_string (self->account_id));
      if (g_str_equal (name, "setup"))
        {
          g_action_group_activate_action (self->actions, "edit-account",
                                          g_variant_new_string (self->account_id));
          return;
        }
    }
  if (g_action_group_has_action (self->actions, name))
    g_action_group_activate_action (self->actions, name, NULL);
}

static gboolean
may_send (SsNotifier *self,
          Kind        kind)
{
  gint64 last = self->last_sent[kind];

  return last == 0 ||
         g_get_monotonic_time () - last >= (gint64) self->min_interval_s * G_USEC_PER_SEC;
}

static void
send (SsNotifier *self,
      Kind        kind,
      const char *summary,
      const char *body,
      const char *action,
      const char *action_label,
      const char *category)
{
  g_autoptr(GError) error = NULL;
  NotifyNotification *n = self->shown[kind];
  g_autofree char *named = NULL;

  /* Several accounts: say whose. */
  if (self->account_label != NULL)
    summary = named = g_strdup_printf ("%s: %s", self->account_label, summary);
  if (n == NULL)
    {
      n = notify_notification_new (summary, body, APP_ID);
      self->shown[kind] = n;
    }
  else
    {
      /* Same notification, new text: replaced on screen, not stacked. */
      notify_notification_update (n, summary, body, APP_ID);
      notify_notification_clear_actions (n);
    }
  notify_notification_set_hint_string (n, "desktop-entry", APP_ID);
  notify_notification_set_category (n, category);
  notify_notification_set_urgency (n, kind == KIND_SUMMARY || kind == KIND_UNCERTAIN ?
                                      NOTIFY_URGENCY_LOW : NOTIFY_URGENCY_NORMAL);
  notify_notification_add_action (n, "default", _("Open"), on_action, self, NULL);
  if (action != NULL)
    notify_notification_add_action (n, action, action_label, on_action, self, NULL);

  self->last_sent[kind] = g_get_monotonic_time ();
  self->notified[kind] = TRUE;
  if (!notify_notification_show (n, &error))
    {
      g_debug ("no notification shown (%s)", error->message);
      return;
    }
  self->n_sent++;
}

static void
close_kind (SsNotifier *self,
            Kind        kind)
{
  if (self->shown[kind] != NULL)
    notify_notification_close (self->shown[kind], NULL);
}

/* A problem as the status table words it, with the engine's own words below. */
static void
send_problem (SsNotifier      *self,
              Kind             kind,
              SsStatusProblem  problem)
{
  SsStatusProblemInfo info = ss_status_problem_info (problem);
  const char *detail = ss_status_get_detail (self->status);
  g_autofree char *body = g_strdup_printf ("%s\n%s", info.explanation,
                                           detail != NULL ? detail : "");

  send (self, kind, info.title, body, info.action, info.action_label, "network.error");
}

static gboolean
unreachable_timeout (gpointer data)
{
  SsNotifier *self = data;

  self->unreachable_timer = 0;
  if (ss_status_get_problem (self->status) != SS_STATUS_PROBLEM_UNREACHABLE ||
      self->notified[KIND_UNREACHABLE])
    return G_SOURCE_REMOVE;
  if (may_send (self, KIND_UNREACHABLE))
    send_problem (self, KIND_UNREACHABLE, SS_STATUS_PROBLEM_UNREACHABLE);
  return G_SOURCE_REMOVE;
}

static void
on_status_changed (SsNotifier *self)
{
  SsStatusProblem problem = ss_status_get_problem (self->status);

  if (problem == SS_STATUS_PROBLEM_LOGIN && !self->notified[KIND_LOGIN] &&
      may_send (self, KIND_LOGIN))
    send_problem (self, KIND_LOGIN, problem);
  else if (problem == SS_STATUS_PROBLEM_SETTINGS && !self->notified[KIND_SETTINGS] &&
           may_send (self, KIND_SETTINGS))
    send_problem (self, KIND_SETTINGS, problem);

  if (problem == SS_STATUS_PROBLEM_UNREACHABLE)
    {
      if (!self->notified[KIND_UNREACHABLE] && self->unreachable_timer == 0)
        self->unreachable_timer = g_timeout_add_seconds (self->unreachable_s,
                                                         unreachable_timeout, self);
    }
  else if (ss_status_get_unreachable_since (self->status) == 0)
    {
      g_clear_handle_id (&self->unreachable_timer, g_source_remove);
      if (self->notified[KIND_UNREACHABLE])
        close_kind (self, KIND_UNREACHABLE);
      self->notified[KIND_UNREACHABLE] = FALSE;
    }

  /* A problem that is over may be notified again when it comes back (after the interval). */
  if (problem != SS_STATUS_PROBLEM_LOGIN && ss_status_get_state (self->status) !=
      SS_SESSION_CONNECTING)
    {
      if (self->notified[KIND_LOGIN] && problem == SS_STATUS_PROBLEM_NONE)
        close_kind (self, KIND_LOGIN);
      self->notified[KIND_LOGIN] = FALSE;
    }
  if (problem != SS_STATUS_PROBLEM_SETTINGS && ss_status_get_state (self->status) !=
      SS_SESSION_CONNECTING)
    self->notified[KIND_SETTINGS] = FALSE;
}

static gboolean summary_timeout   (gpointer data);
static gboolean uncertain_timeout (gpointer data);

static void
batch_schedule (SsNotifier *self,
                Kind        kind,
                guint       seconds)
{
  Batch *batch = &self->batch[kind];

  if (batch->timer == 0)
    batch->timer = g_timeout_add_seconds (MAX (1, seconds), kind == KIND_SUMMARY ?
                                          summary_timeout : uncertain_timeout, self);
}

/* The batch's notification; later when the last one of its kind was too recent. */
static void
batch_send (SsNotifier *self,
            Kind        kind)
{
  Batch *batch = &self->batch[kind];
  g_autofree char *summary = NULL;
  g_autofree char *body = NULL;
  const char *subject = batch->last_subject != NULL ? batch->last_subject : "";

  if (batch->pending == 0)
    return;
  if (!may_send (self, kind))
    {
      /* Keep counting; one notification when the interval is over. */
      gint64 wait_us = (gint64) self->min_interval_s * G_USEC_PER_SEC -
                       (g_get_monotonic_time () - self->last_sent[kind]);

      batch_schedule (self, kind, wait_us / G_USEC_PER_SEC);
      return;
    }
  if (kind == KIND_SUMMARY)
    {
      summary = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u spam message caught",
                                              "%u spam messages caught", batch->pending),
                                 batch->pending);
      /* TRANSLATORS: %s is the subject of the latest spam */
      body = g_strdup_printf (_("Moved to the spam folder. Latest: “%s”"), subject);
    }
  else
    {
      summary = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u message may be spam",
                                              "%u messages may be spam", batch->pending),
                                 batch->pending);
      /* TRANSLATORS: %s is the subject of the latest uncertain message */
      body = g_strdup_printf (_("Left in the inbox and marked uncertain: tell SpamSieve "
                                "whether it is spam. Latest: “%s”"), subject);
    }
  batch->pending = 0;
  send (self, kind, summary, body, NULL, NULL, "email.arrived");
}

static gboolean
summary_timeout (gpointer data)
{
  SsNotifier *self = data;

  self->batch[KIND_SUMMARY].timer = 0;
  batch_send (self, KIND_SUMMARY);
  return G_SOURCE_REMOVE;
}

static gboolean
uncertain_timeout (gpointer data)
{
  SsNotifier *self = data;

  self->batch[KIND_UNCERTAIN].timer = 0;
  batch_send (self, KIND_UNCERTAIN);
  return G_SOURCE_REMOVE;
}

static void
batch_add (SsNotifier *self,
           Kind        kind,
           const char *subject)
{
  Batch *batch = &self->batch[kind];

  batch->pending++;
  g_free (batch->last_subject);
  batch->last_subject = g_strdup (subject);
  batch_schedule (self, kind, self->summary_s);
}

/* Spam caught: summed up if the user wants it. Uncertain mail: always (the user is asked to
 * decide), summed up the same way, so never a flood. */
static void
on_record (SsSession      *session,
           const SsRecord *record,
           SsNotifier     *self)
{
  if (record->dry_run)
    return;
  if (record->verdict == SS_VERDICT_UNCERTAIN)
    batch_add (self, KIND_UNCERTAIN, record->subject);
  else if (record->verdict == SS_VERDICT_SPAM && self->settings != NULL &&
           g_settings_get_boolean (self->settings, "notify-spam-summary"))
    batch_add (self, KIND_SUMMARY, record->subject);
}

static void
on_session_changed (SsNotifier *self)
{
  SsSession *session = ss_status_get_session (self->status);

  if (self->session != NULL)
    g_clear_signal_handler (&self->record_id, self->session);
  g_set_object (&self->session, session);
  if (session != NULL)
    self->record_id = g_signal_connect (session, "record", G_CALLBACK (on_record), self);
}

static void
ss_notifier_dispose (GObject *object)
{
  SsNotifier *self = SS_NOTIFIER (object);

  if (self->session != NULL)
    g_clear_signal_handler (&self->record_id, self->session);
  g_clear_object (&self->session);
  if (self->status != NULL)
    g_signal_handlers_disconnect_by_data (self->status, self);
  g_clear_handle_id (&self->unreachable_timer, g_source_remove);
  for (guint i = 0; i < N_KINDS; i++)
    {
      g_clear_handle_id (&self->batch[i].timer, g_source_remove);
      g_clear_pointer (&self->batch[i].last_subject, g_free);
      if (self->shown[i] != NULL)
        notify_notification_clear_actions (self->shown[i]);
      g_clear_object (&self->shown[i]);
    }
  g_clear_object (&self->status);
  g_clear_object (&self->actions);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->account_id, g_free);
  g_clear_pointer (&self->account_label, g_free);
  G_OBJECT_CLASS (ss_notifier_parent_class)->dispose (object);
}

static void
ss_notifier_class_init (SsNotifierClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ss_notifier_dispose;
}

static void
ss_notifier_init (SsNotifier *self)
{
  self->unreachable_s = 180;
  self->summary_s = 120;
  self->min_interval_s = 600;
}

SsNotifier *
ss_notifier_new (GActionGroup *actions,
                 SsStatus     *status,
                 GSettings    *settings)
{
  SsNotifier *self;

  g_return_val_if_fail (SS_IS_STATUS (status), NULL);

  if (!notify_is_initted ())
    notify_init ("SpamSieve");
  self = g_object_new (SS_TYPE_NOTIFIER, NULL);
  self->actions = actions != NULL ? g_object_ref (actions) : NULL;
  self->status = g_object_ref (status);
  self->settings = settings != NULL ? g_object_ref (settings) : NULL;
  g_signal_connect_swapped (status, "notify::problem", G_CALLBACK (on_status_changed), self);
  g_signal_connect_swapped (status, "notify::state", G_CALLBACK (on_status_changed), self);
  g_signal_connect_swapped (status, "notify::session", G_CALLBACK (on_session_changed), self);
  on_session_changed (self);
  on_status_changed (self);
  return self;
}

void
ss_notifier_set_delays (SsNotifier *self,
                        guint       unreachable_s,
                        guint       summary_s,
                        guint       min_interval_s)
{
  g_return_if_fail (SS_IS_NOTIFIER (self));
  self->unreachable_s = MAX (1, unreachable_s);
  self->summary_s = MAX (1, summary_s);
  self->min_interval_s = min_interval_s;
}

void
ss_notifier_set_account (SsNotifier *self,
                         const char *id,
                         const char *label)
{
  g_return_if_fail (SS_IS_NOTIFIER (self));

  g_free (self->account_id);
  g_free (self->account_label);
  self->account_id = g_strdup (id);
  self->account_label = g_strdup (label);
}

guint
ss_notifier_get_n_sent (SsNotifier *self)
{
  g_return_val_if_fail (SS_IS_NOTIFIER (self), 0);
  return self->n_sent;
}
