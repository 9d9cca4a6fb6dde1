/* ss-status.c: what SpamSieve is doing, in words: "Watching Unfiltered", "Scanning 12 of 40",
 * "Login refused", "Server unreachable, retrying in 40 s". */
#define G_LOG_DOMAIN "ss-status"

#include "config.h"

#include "ss-status.h"

#include <glib/gi18n.h>

#include "ss-error.h"

struct _SsStatus
{
  GObject          parent_instance;

  SsSession       *session;
  gulong           notify_id;
  char            *preparing;
  char            *config_error;
  gboolean         has_account;

  /* derived */
  SsSessionState   state;
  SsStatusProblem  problem;
  char            *title;
  char            *detail;
  char            *last_check_text;
  char            *last_check_time;
  const char      *icon_name;
  const char      *sni_status;
  gint64           unreachable_since;
  guint            countdown_id;
};

G_DEFINE_FINAL_TYPE (SsStatus, ss_status, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SESSION,
  PROP_HAS_ACCOUNT,
  PROP_STATE,
  PROP_PROBLEM,
  PROP_HAS_PROBLEM,
  PROP_TITLE,
  PROP_DETAIL,
  PROP_ICON_NAME,
  PROP_SNI_STATUS,
  PROP_LAST_CHECK_TEXT,
  PROP_LAST_CHECK_TIME,
  PROP_PAUSED,
  PROP_RUNNING,
  PROP_PROBLEM_ACTION,
  PROP_PROBLEM_ACTION_LABEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const struct
{
  const char *icon_name;
  const char *title;
  const char *explanation;
  const char *action;
  const char *action_label;
  const char *sni_status;
} problems[] = {
  [SS_STATUS_PROBLEM_NONE] = { NULL, NULL, NULL, NULL, NULL, NULL },
  [SS_STATUS_PROBLEM_LOGIN] = {
    "dialog-password-symbolic", N_("Login refused"),
    N_("The mail server refused the password or sign-in. SpamSieve waits until you correct "
       "it in the settings."),
    "app.setup", N_("Open Settings"), "NeedsAttention" },
  [SS_STATUS_PROBLEM_SETTINGS] = {
    "dialog-warning-symbolic", N_("Settings need attention"),
    N_("SpamSieve stopped: the settings need a change."),
    "app.setup", N_("Open Settings"), "NeedsAttention" },
  [SS_STATUS_PROBLEM_UNREACHABLE] = {
    "network-offline-symbolic", N_("Mail server unreachable"),
    N_("SpamSieve cannot reach the mail server and keeps trying. New mail stays in "
       "Unfiltered meanwhile."),
    "app.check-now", N_("Retry Now"), "Active" },
  [SS_STATUS_PROBLEM_SPAMD] = {
    "dialog-warning-symbolic", N_("SpamAssassin (spamd) is not answering"),
    N_("The mail server is fine, but the spam checker does not answer; SpamSieve keeps "
       "trying. New mail stays in Unfiltered meanwhile."),
    "app.check-now", N_("Retry Now"), "Active" },
  [SS_STATUS_PROBLEM_INBOX_BYPASS] = {
    "mail-inbox-symbolic", N_("New mail goes to INBOX, not to Unfiltered"),
    N_("No rule on the mail server files new mail into Unfiltered, so SpamSieve never sees "
       "it. Filter INBOX directly: in the settings, choose to filter “New mail in INBOX”."),
    "app.setup", N_("Open Settings"), "Active" },
};

SsStatusProblemInfo
ss_status_problem_info (SsStatusProblem problem)
{
  SsStatusProblemInfo info = { NULL, NULL, NULL, NULL, NULL, NULL };

  g_return_val_if_fail (problem < G_N_ELEMENTS (problems), info);
  if (problem == SS_STATUS_PROBLEM_NONE)
    return info;
  info.icon_name = problems[problem].icon_name;
  info.title = _(problems[problem].title);
  info.explanation = _(problems[problem].explanation);
  info.action = problems[problem].action;
  info.action_label = _(problems[problem].action_label);
  info.sni_status = problems[problem].sni_status;
  return info;
}

SsStatusProblem
ss_status_problem_for_state (SsSessionState state,
                             GQuark         error_domain)
{
  switch (state)
    {
    case SS_SESSION_BACKING_OFF:
      return error_domain == SS_SPAMD_ERROR ? SS_STATUS_PROBLEM_SPAMD
                                            : SS_STATUS_PROBLEM_UNREACHABLE;
    case SS_SESSION_LOGIN_REFUSED:
      return SS_STATUS_PROBLEM_LOGIN;
    case SS_SESSION_FAILED:
      return SS_STATUS_PROBLEM_SETTINGS;
    default:
      return SS_STATUS_PROBLEM_NONE;
    }
}

char *
ss_status_describe_config_error (const char *message)
{
  const char *detail = NULL;
  const SsConfigKey *key;

  g_return_val_if_fail (message != NULL, NULL);

  key = ss_config_find_error_key (message, &detail);
  if (key == NULL)
    return g_strdup (message);
  g_debug ("%s", message);
  if (g_str_equal (key->key, "url"))
    /* TRANSLATORS: %s is "Server", the label of the server field */
    return g_strdup_printf (_("%s: enter the server as mail.example.org or "
                              "mail.example.org:993"), _(key->label));
  /* TRANSLATORS: a setting's label and what is wrong with it: "Spam folder: must not be empty" */
  return g_strdup_printf (_("%s: %s"), _(key->label), detail);
}

/* "40 s", "3 min", "2 h" */
static char *
format_delay (gint64 seconds)
{
  if (seconds < 0)
    seconds = 0;
  if (seconds < 90)
    /* TRANSLATORS: a delay in seconds, e.g. "retrying in 40 s" */
    return g_strdup_printf (_("%d s"), (int) seconds);
  if (seconds < 90 * 60)
    /* TRANSLATORS: a delay in minutes */
    return g_strdup_printf (_("%d min"), (int) ((seconds + 30) / 60));
  /* TRANSLATORS: a delay in hours */
  return g_strdup_printf (_("%d h"), (int) ((seconds + 1800) / 3600));
}

/* "14:02" today, else date and time (as in the verdict list); "—" never */
static char *
format_check_time (gint64 when)
{
  if (when <= 0)
    return g_strdup ("—");
  return ss_verdict_format_time (when);
}

static char *
format_last_check (gint64 when)
{
  g_autofree char *time_text = NULL;

  if (when <= 0)
    return g_strdup (_("Not checked yet"));
  time_text = format_check_time (when);
  /* TRANSLATORS: %s is a time ("14:02") or a date and time */
  return g_strdup_printf (_("Last check %s"), time_text);
}

static gboolean countdown_tick (gpointer data);

static void
recompute (SsStatus *self)
{
  g_autoptr(SsConfig) config = NULL;
  g_autofree char *title = NULL;
  g_autofree char *detail = NULL;
  g_autofree char *last_check = NULL;
  g_autofree char *check_time = NULL;
  SsSessionState state = SS_SESSION_STOPPED;
  SsStatusProblem problem = SS_STATUS_PROBLEM_NONE;
  const char *icon = SS_STATUS_ICON_IDLE;
  const char *sni = "Active";
  const char *error = NULL;
  SsSessionState old_state = self->state;
  SsStatusProblem old_problem = self->problem;
  const char *old_icon = self->icon_name;
  const char *old_sni = self->sni_status;
  gboolean countdown = FALSE;

  if (self->session != NULL)
    {
      state = ss_session_get_state (self->session);
      error = ss_session_get_last_error (self->session);
      config = ss_session_get_config (self->session);
      last_check = format_last_check (ss_session_get_last_check (self->session));
      check_time = format_check_time (ss_session_get_last_check (self->session));
    }
  else
    {
      last_check = g_strdup ("");
      check_time = g_strdup ("—");
    }

  if (self->session == NULL)
    {
      if (self->config_error != NULL)
        {
          detail = g_strdup (self->config_error);
          problem = SS_STATUS_PROBLEM_SETTINGS;
        }
      else if (self->preparing != NULL)
        title = g_strdup (self->preparing);
      else if (!self->has_account)
        {
          title = g_strdup (_("Not set up"));
          detail = g_strdup (_("Connect your mail account to start filtering."));
          /* Not Passive: real hosts (xfce4-panel) hide passive items, and the tray is the
           * way to the setup for an app started in the background. */
          sni = "Active";
        }
      else
        title = g_strdup (_("Starting…"));
    }
  else
    switch (state)
      {
      case SS_SESSION_STOPPED:
        title = g_strdup (_("Stopped"));
        sni = "Passive";
        break;
      case SS_SESSION_CONNECTING:
        title = g_strdup_printf (_("Connecting to %s"), config->host);
        break;
      case SS_SESSION_WATCHING:
        if (ss_session_get_inbox_bypass (self->session) > 0)
          {
            problem = SS_STATUS_PROBLEM_INBOX_BYPASS;
            detail = g_strdup (_(problems[problem].explanation));
          }
        else
          title = g_strdup_printf (_("Watching %s"), config->folder_unfiltered);
        break;
      case SS_SESSION_SCANNING:
        {
          guint n = ss_session_get_progress_n (self->session);
          guint total = ss_session_get_progress_total (self->session);

          if (total > 0)
            title = g_strdup_printf (_("Scanning %u of %u"), MIN (n + 1, total), total);
          else
            title = g_strdup_printf (_("Checking %s"), config->folder_unfiltered);
          icon = SS_STATUS_ICON_SCANNING;
        }
        break;
      case SS_SESSION_LEARNING:
        title = g_strdup (_("Learning from your corrections"));
        icon = SS_STATUS_ICON_SCANNING;
        break;
      case SS_SESSION_EXPIRING:
        title = g_strdup (_("Removing old spam"));
        icon = SS_STATUS_ICON_SCANNING;
        break;
      case SS_SESSION_BACKING_OFF:
        {
          gint64 retry_at = ss_session_get_retry_at (self->session);
          gint64 left = retry_at - g_get_real_time () / G_USEC_PER_SEC;
          g_autofree char *delay = format_delay (left);

          problem = ss_status_problem_for_state (state,
                                                 ss_session_get_last_error_domain (self->session));
          if (problem == SS_STATUS_PROBLEM_SPAMD && left > 0)
            title = g_strdup_printf (_("SpamAssassin not answering, retrying in %s"), delay);
          else if (problem == SS_STATUS_PROBLEM_SPAMD)
            title = g_strdup (_("SpamAssassin not answering, retrying now"));
          else if (left > 0)
            title = g_strdup_printf (_("Server unreachable, retrying in %s"), delay);
          else
            title = g_strdup (_("Server unreachable, retrying now"));
          detail = g_strdup (error);
          countdown = left > 0;
        }
        break;
      case SS_SESSION_LOGIN_REFUSED:
        detail = g_strdup (error);
        problem = ss_status_problem_for_state (state, 0);
        break;
      case SS_SESSION_PAUSED:
        title = g_strdup (_("Paused"));
        icon = SS_STATUS_ICON_PAUSED;
        break;
      case SS_SESSION_FAILED:
        detail = g_strdup (error);
        problem = ss_status_problem_for_state (state, 0);
        break;
      default:
        title = g_strdup (ss_session_state_to_string (state));
        break;
      }
  if (problem != SS_STATUS_PROBLEM_NONE)
    {
      SsStatusProblemInfo info = ss_status_problem_info (problem);

      /* The unreachable title counts down; the others are the table's. */
      if (title == NULL)
        title = g_strdup (info.title);
      icon = SS_STATUS_ICON_ERROR;
      sni = info.sni_status;
    }

  if (problem == SS_STATUS_PROBLEM_UNREACHABLE)
    {
      if (self->unreachable_since == 0)
        self->unreachable_since = g_get_monotonic_time ();
    }
  else if (state != SS_SESSION_CONNECTING)
    /* A reconnect attempt does not end the spell; only another state does. */
    self->unreachable_since = 0;

  if (countdown && self->countdown_id == 0)
    self->countdown_id = g_timeout_add_seconds (1, countdown_tick, self);
  else if (!countdown)
    g_clear_handle_id (&self->countdown_id, g_source_remove);

  g_object_freeze_notify (G_OBJECT (self));
  self->state = state;
  self->problem = problem;
  self->icon_name = icon;
  self->sni_status = sni;
  if (old_state != state)
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
    }
  if (old_problem != problem)
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROBLEM]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_PROBLEM]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROBLEM_ACTION]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROBLEM_ACTION_LABEL]);
    }
  if (old_icon != icon)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ICON_NAME]);
  if (old_sni != sni)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SNI_STATUS]);
  if (g_strcmp0 (self->title, title) != 0)
    {
      g_free (self->title);
      self->title = g_steal_pointer (&title);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
    }
  if (g_strcmp0 (self->detail, detail) != 0)
    {
      g_free (self->detail);
      self->detail = g_steal_pointer (&detail);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DETAIL]);
    }
  if (g_strcmp0 (self->last_check_text, last_check) != 0)
    {
      g_free (self->last_check_text);
      self->last_check_text = g_steal_pointer (&last_check);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_CHECK_TEXT]);
    }
  if (g_strcmp0 (self->last_check_time, check_time) != 0)
    {
      g_free (self->last_check_time);
      self->last_check_time = g_steal_pointer (&check_time);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_CHECK_TIME]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static gboolean
countdown_tick (gpointer data)
{
  SsStatus *self = data;

  recompute (self);
  return self->countdown_id != 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
on_session_notify (SsSession  *session,
                   GParamSpec *pspec,
                   SsStatus   *self)
{
  recompute (self);
}

static void
ss_status_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  SsStatus *self = SS_STATUS (object);

  switch (prop_id)
    {
    case PROP_SESSION: g_value_set_object (value, self->session); break;
    case PROP_HAS_ACCOUNT: g_value_set_boolean (value, self->has_account); break;
    case PROP_STATE: g_value_set_enum (value, self->state); break;
    case PROP_PROBLEM: g_value_set_int (value, self->problem); break;
    case PROP_HAS_PROBLEM:
      g_value_set_boolean (value, self->problem != SS_STATUS_PROBLEM_NONE);
      break;
    case PROP_TITLE: g_value_set_string (value, self->title); break;
    case PROP_DETAIL: g_value_set_string (value, self->detail); break;
    case PROP_ICON_NAME: g_value_set_string (value, self->icon_name); break;
    case PROP_SNI_STATUS: g_value_set_string (value, self->sni_status); break;
    case PROP_LAST_CHECK_TEXT: g_value_set_string (value, self->last_check_text); break;
    case PROP_LAST_CHECK_TIME: g_value_set_string (value, self->last_check_time); break;
    case PROP_PAUSED: g_value_set_boolean (value, self->state == SS_SESSION_PAUSED); break;
    case PROP_RUNNING: g_value_set_boolean (value, self->session != NULL); break;
    case PROP_PROBLEM_ACTION:
      g_value_set_string (value, ss_status_problem_info (self->problem).action);
      break;
    case PROP_PROBLEM_ACTION_LABEL:
      {
        const char *label = ss_status_problem_info (self->problem).action_label;

        g_value_set_string (value, label != NULL ? label : "");
      }
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ss_status_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  SsStatus *self = SS_STATUS (object);

  switch (prop_id)
    {
    case PROP_SESSION: ss_status_set_session (self, g_value_get_object (value)); break;
    case PROP_HAS_ACCOUNT: ss_status_set_has_account (self, g_value_get_boolean (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ss_status_dispose (GObject *object)
{
  SsStatus *self = SS_STATUS (object);

  if (self->session != NULL)
    g_clear_signal_handler (&self->notify_id, self->session);
  g_clear_object (&self->session);
  g_clear_handle_id (&self->countdown_id, g_source_remove);
  G_OBJECT_CLASS (ss_status_parent_class)->dispose (object);
}

static void
ss_status_finalize (GObject *object)
{
  SsStatus *self = SS_STATUS (object);

  g_free (self->preparing);
  g_free (self->config_error);
  g_free (self->title);
  g_free (self->detail);
  g_free (self->last_check_text);
  g_free (self->last_check_time);
  G_OBJECT_CLASS (ss_status_parent_class)->finalize (object);
}

#define RO (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY)
#define RW (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY)

static void
ss_status_class_init (SsStatusClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ss_status_get_property;
  object_class->set_property = ss_status_set_property;
  object_class->dispose = ss_status_dispose;
  object_class->finalize = ss_status_finalize;

  properties[PROP_SESSION] = g_param_spec_object ("session", NULL, NULL, SS_TYPE_SESSION, RW);
  properties[PROP_HAS_ACCOUNT] = g_param_spec_boolean ("has-account", NULL, NULL, FALSE, RW);
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, SS_TYPE_SESSION_STATE,
                                              SS_SESSION_STOPPED, RO);
  properties[PROP_PROBLEM] = g_param_spec_int ("problem", NULL, NULL, 0, G_MAXINT, 0, RO);
  properties[PROP_HAS_PROBLEM] = g_param_spec_boolean ("has-problem", NULL, NULL, FALSE, RO);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, RO);
  properties[PROP_DETAIL] = g_param_spec_string ("detail", NULL, NULL, NULL, RO);
  properties[PROP_ICON_NAME] = g_param_spec_string ("icon-name", NULL, NULL, NULL, RO);
  properties[PROP_SNI_STATUS] = g_param_spec_string ("sni-status", NULL, NULL, NULL, RO);
  properties[PROP_LAST_CHECK_TEXT] = g_param_spec_string ("last-check-text", NULL, NULL, NULL,
                                                          RO);
  properties[PROP_LAST_CHECK_TIME] = g_param_spec_string ("last-check-time", NULL, NULL, NULL,
                                                          RO);
  properties[PROP_PAUSED] = g_param_spec_boolean ("paused", NULL, NULL, FALSE, RO);
  properties[PROP_RUNNING] = g_param_spec_boolean ("running", NULL, NULL, FALSE, RO);
  properties[PROP_PROBLEM_ACTION] = g_param_spec_string ("problem-action", NULL, NULL, NULL,
                                                         RO);
  properties[PROP_PROBLEM_ACTION_LABEL] = g_param_spec_string ("problem-action-label", NULL,
                                                               NULL, NULL, RO);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ss_status_init (SsStatus *self)
{
  self->icon_name = SS_STATUS_ICON_IDLE;
  self->sni_status = "Passive";
  recompute (self);
}

SsStatus *
ss_status_new (void)
{
  return g_object_new (SS_TYPE_STATUS, NULL);
}

void
ss_status_set_session (SsStatus  *self,
                       SsSession *session)
{
  g_return_if_fail (SS_IS_STATUS (self));
  g_return_if_fail (session == NULL || SS_IS_SESSION (session));

  if (self->session == session)
    return;
  if (self->session != NULL)
    g_clear_signal_handler (&self->notify_id, self->session);
  g_set_object (&self->session, session);
  if (session != NULL)
    self->notify_id = g_signal_connect (session, "notify", G_CALLBACK (on_session_notify),
                                        self);
  recompute (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SESSION]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

SsSession *
ss_status_get_session (SsStatus *self)
{
  g_return_val_if_fail (SS_IS_STATUS (self), NULL);
  return self->session;
}

void
ss_status_set_preparing (SsStatus   *self,
                         const char *text)
{
  g_return_if_fail (SS_IS_STATUS (self));
  g_free (self->preparing);
  self->preparing = g_strdup (text);
  recompute (self);
}

void
ss_status_set_config_error (SsStatus   *self,
                            const char *message)
{
  g_return_if_fail (SS_IS_STATUS (self));
  g_free (self->config_error);
  self->config_error = message != NULL ? ss_status_describe_config_error (message) : NULL;
  recompute (self);
}

void
ss_status_set_has_account (SsStatus *self,
                           gboolean  has_account)
{
  g_return_if_fail (SS_IS_STATUS (self));
  if (self->has_account == !!has_account)
    return;
  self->has_account = !!has_account;
  recompute (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_ACCOUNT]);
}

SsSessionState
ss_status_get_state (SsStatus *self)
{
  g_return_val_if_fail (SS_IS_STATUS (self), SS_SESSION_STOPPED);
  return self->state;
}

SsStatusProblem
ss_status_get_problem (SsStatus *self)
{
  g_return_val_if_fail (SS_IS_STATUS (self), SS_STATUS_PROBLEM_NONE);
  return self->problem;
}

const char *
ss_status_get_title (SsStatus *self)
{
  g_return_val_if_fail (SS_IS_STATUS (self), NULL);
  return self->title;
}

const char *
ss_status_get_detail (SsStatus *self)
{
  g_return_val_if_fail (SS_IS_STATUS (self), NULL);
  return self->detail;
}

const char *
ss_status_get_icon_name (SsStatus *self)
{
  g_return_val_if_fail (SS_IS_STATUS (self), NULL);
  return self->icon_name;
}

const char *
ss_status_get_sni_status (SsStatus *self)
{
  g_return_val_if_fail (SS_IS_STATUS (self), NULL);
  return self->sni_status;
}

gint64
ss_status_get_unreachable_since (SsStatus *self)
{
  g_return_val_if_fail (SS_IS_STATUS (self), 0);
  return self->unreachable_since;
}
