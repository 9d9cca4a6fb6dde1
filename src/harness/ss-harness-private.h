/* ss-harness-private.h: what the harness's files share (processes, files, users, probes) */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

G_BEGIN_DECLS

#define DOVECOT_PROGRAM        "/usr/sbin/dovecot"
#define SA_LEARN_PROGRAM       "/usr/bin/sa-learn"
#define DOVECOT_START_MS       10000
#define SPAMD_START_MS         60000
#define STOP_MS                10000
#define START_ATTEMPTS         3
#define LOG_TAIL_BYTES         4000
#define UNPRIVILEGED_USER      "nobody"
#define IMAP_USER              "tester"
#define IMAP_PASSWORD          "secret"

/* Who a child process runs as; drop = setuid before exec (we are root). */
typedef struct
{
  gboolean drop;
  gboolean new_group;      /* own process group, to kill it whole */
  gboolean outlive_thread; /* no PR_SET_PDEATHSIG (started from a short-lived thread) */
  uid_t    uid;
  gid_t    gid;
  pid_t    parent;
} RunAs;

typedef gboolean (*ProbeFunc) (guint16 port, GError **error);

/* Files and users */
gboolean     ss_harness_lookup_user          (const char  *name,
                                              uid_t       *uid,
                                              gid_t       *gid,
                                              GError     **error);
char        *ss_harness_current_group_name   (void);
char        *ss_harness_current_user_name    (void);
const char  *ss_harness_first_user           (const char * const *names);
gboolean     ss_harness_make_dirs            (const char  *path,
                                              GError     **error);
gboolean     ss_harness_write_file           (const char  *path,
                                              const char  *text,
                                              int          mode,
                                              GError     **error);
gboolean     ss_harness_chown_tree_to_nobody (const char  *path,
                                              GError     **error);
gboolean     ss_harness_file_contains        (const char  *path,
                                              const char  *needle);

/* Processes: output to log_file, env as NAME, VALUE pairs */
GSubprocess *ss_harness_spawn                (const char * const *argv,
                                              const char         *log_file,
                                              RunAs              *run_as,
                                              const char * const *env,
                                              GError            **error);
gboolean     ss_harness_run_program          (const char * const *argv,
                                              RunAs              *run_as,
                                              char              **out_stdout,
                                              GError            **error);
void         ss_harness_terminate            (GSubprocess *process);
gboolean     ss_harness_wait_ready           (GSubprocess *process,
                                              ProbeFunc    probe,
                                              guint16      port,
                                              guint        timeout_ms,
                                              guint        interval_ms,
                                              GError     **error);
void         ss_harness_kill_group           (GSubprocess *process,
                                              guint16      port);
/* Adds "what: " and the tail of the logs to the error. */
void         ss_harness_prefix_with_log      (GError    **error,
                                              const char *what,
                                              const char *log_file,
                                              const char *extra_file);

/* Sockets */
gboolean     ss_harness_probe_tcp            (guint16  port,
                                              GError **error);
gboolean     ss_harness_probe_imap_greeting  (guint16  port,
                                              GError **error);
gboolean     ss_harness_probe_spamd_ping     (guint16  port,
                                              GError **error);
void         ss_harness_wait_port_closed     (guint16  port);

/* The token-introspection endpoint dovecot's oauth2 passdb asks (ss-test-oauth.c): tokens in
 * the valid set are active for user; every other token is inactive. */
typedef struct _SsTestOAuth SsTestOAuth;
SsTestOAuth *ss_test_oauth_start             (const char         *user,
                                              GError            **error);
void         ss_test_oauth_stop              (SsTestOAuth        *self);
guint16      ss_test_oauth_get_port          (SsTestOAuth        *self);
void         ss_test_oauth_set_tokens        (SsTestOAuth        *self,
                                              const char * const *tokens);
guint        ss_test_oauth_get_requests      (SsTestOAuth        *self,
                                              guint              *n_active);

G_END_DECLS
