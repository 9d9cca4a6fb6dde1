/* ss-status.h: the engine state in words and icons, for the window, the tray and
 * notifications (a presenter over SsSession; no widgets) */
#pragma once

#include <gio/gio.h>

#include "ss-session.h"

G_BEGIN_DECLS

#define SS_TYPE_STATUS (ss_status_get_type ())
G_DECLARE_FINAL_TYPE (SsStatus, ss_status, SS, STATUS, GObject)

typedef enum {
  SS_STATUS_PROBLEM_NONE,
  SS_STATUS_PROBLEM_LOGIN,        /* login refused / no password: open the settings */
  SS_STATUS_PROBLEM_SETTINGS,     /* failed, or settings invalid: open the settings */
  SS_STATUS_PROBLEM_UNREACHABLE,  /* backing off: retries by itself */
  SS_STATUS_PROBLEM_SPAMD,        /* spamd not answering (the mail server is fine): retries */
  SS_STATUS_PROBLEM_INBOX_BYPASS, /* Unfiltered empty, new mail in INBOX: filter in place? */
} SsStatusProblem;

/* The tray icons ("icon-name") */
#define SS_STATUS_ICON_IDLE     APP_ID "-symbolic"
#define SS_STATUS_ICON_SCANNING APP_ID "-scanning-symbolic"
#define SS_STATUS_ICON_PAUSED   APP_ID "-paused-symbolic"
#define SS_STATUS_ICON_ERROR    APP_ID "-error-symbolic"

/* How a problem is shown, the one table the window (banner, error page), the tray and the
 * notifications read. Strings are translated; all NULL for SS_STATUS_PROBLEM_NONE. */
typedef struct
{
  const char *icon_name;      /* of the error page: "dialog-password-symbolic" */
  const char *title;          /* "Login refused": status title, notification summary */
  const char *explanation;    /* what happens meanwhile, one or two sentences */
  const char *action;         /* detailed action of the button: "app.setup" */
  const char *action_label;   /* "Open Settings" */
  const char *sni_status;     /* "NeedsAttention" or "Active" */
} SsStatusProblemInfo;

SsStatusProblemInfo ss_status_problem_info  (SsStatusProblem problem);
/* The problem a session state shows; error_domain is ss_session_get_last_error_domain (). */
SsStatusProblem ss_status_problem_for_state (SsSessionState state,
                                             GQuark         error_domain);

SsStatus       *ss_status_new               (void);
void            ss_status_set_session       (SsStatus    *self,
                                             SsSession   *session);
SsSession      *ss_status_get_session       (SsStatus    *self);
/* Shown while there is no session (e.g. "Starting the demo servers…"); NULL to clear. */
void            ss_status_set_preparing     (SsStatus    *self,
                                             const char  *text);
/* A settings error ("settings: [account] url: …") in the words of the setup dialog
 * ("Server: enter the server as …"); other messages as they are. */
char           *ss_status_describe_config_error (const char *message);
/* Settings that do not validate (no session can run), shown as describe_config_error () says;
 * NULL to clear. */
void            ss_status_set_config_error  (SsStatus    *self,
                                             const char  *message);
void            ss_status_set_has_account   (SsStatus    *self,
                                             gboolean     has_account);
SsSessionState  ss_status_get_state         (SsStatus    *self);
SsStatusProblem ss_status_get_problem       (SsStatus    *self);
const char     *ss_status_get_title         (SsStatus    *self);
const char     *ss_status_get_detail        (SsStatus    *self);
const char     *ss_status_get_icon_name     (SsStatus    *self);
/* "Active", "Passive" or "NeedsAttention" (StatusNotifierItem) */
const char     *ss_status_get_sni_status    (SsStatus    *self);
/* When the current unreachable spell began (monotonic µs), 0 when reachable. */
gint64          ss_status_get_unreachable_since (SsStatus *self);

/* Properties (read-only unless said): "session" (rw), "has-account" (rw), "state",
 * "problem" (SsStatusProblem as int), "has-problem", "title", "detail", "icon-name",
 * "sni-status", "last-check-text" ("Last check 14:02"), "last-check-time" ("14:02"),
 * "paused", "running" (a session exists),
 * "problem-action" (detailed action name for the banner button), "problem-action-label". */

G_END_DECLS
