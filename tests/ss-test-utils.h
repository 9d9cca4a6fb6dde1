/* ss-test-utils.h: the test kit every test program links (GLib/GIO only, no GTK): main-loop
 * waits, async results, settings files, the spamsieve program, stored-mail lookups and the
 * in-process session a live-engine test watches. */
#pragma once

#include <gio/gio.h>

#include "ss-session.h"
#include "ss-test-servers.h"

G_BEGIN_DECLS

/* ---- programs ----------------------------------------------------------------------------- */

/* A spamd for the whole program (allow_tell: --allow-tell); fails the program if it does not
 * start. */
SsTestSpamd  *ss_test_spamd_start_checked   (gboolean        allow_tell);
/* ss_test_spamd_get_learned(), failing the test on error. */
void          ss_test_spamd_learned_checked (SsTestSpamd    *spamd,
                                             guint          *n_spam,
                                             guint          *n_ham);

/* One dovecot, a scratch directory holding the test user's password file (dir/secret), and
 * the program's spamd (not owned). */
typedef struct
{
  SsTestDovecot *dovecot;
  char          *dir;
  SsTestSpamd   *spamd;
} SsTestBed;

/* options may be NULL. */
void          ss_test_bed_init              (SsTestBed                  *bed,
                                             const SsTestDovecotOptions *options,
                                             SsTestSpamd                *spamd);
void          ss_test_bed_clear             (SsTestBed                  *bed);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SsTestBed, ss_test_bed_clear)

/* A test of a program whose tests each get a fresh bed: its path below the suite's prefix,
 * the dovecot options (may be NULL) and the test function. */
typedef struct
{
  const char                 *name;
  const SsTestDovecotOptions *options;
  GTestFixtureFunc            func;
} SsTestCase;

/* The tests of such a program. setup receives an opaque pointer to hand to
 * ss_test_bed_setup(); tests receive it too. */
typedef struct
{
  const char       *prefix;         /* e.g. "/spamsieve/session/" */
  gsize             fixture_size;
  GTestFixtureFunc  setup;
  GTestFixtureFunc  teardown;
  const SsTestCase *cases;
  gsize             n_cases;
  gboolean          allow_tell;     /* the program's spamd takes TELL */
  void            (*prepare) (void);  /* after g_test_init(), before spamd starts; or NULL */
} SsTestSuite;

/* g_test_init(), the program's spamd, the suite's tests, g_test_run(); then stops spamd.
 * Returns g_test_run()'s status. */
int           ss_test_run_suite             (int               *argc,
                                             char            ***argv,
                                             const SsTestSuite *suite);

/* A row of cases[]. SS_TEST (stem) runs test_stem as ".../stem" ('_' read as '-'), on the
 * default dovecot; SS_TEST_WITH adds dovecot options; SS_TEST_CASE names everything. */
#define SS_TEST_CASE(name, options, func) { name, options, (GTestFixtureFunc) func }
#define SS_TEST_WITH(stem, options)       SS_TEST_CASE (#stem, options, test_##stem)
#define SS_TEST(stem)                     SS_TEST_WITH (stem, NULL)

/* main() of a program whose tests are cases[], each on a fixture_type set up and torn down by
 * setup and teardown (with ss_test_bed_setup as setup, fixture_type starts with its SsTestBed). */
#define SS_TEST_SUITE_MAIN(prefix, fixture_type, setup, teardown, allow_tell_, prepare_) \
  int                                                                                   \
  main (int    argc,                                                                    \
        char **argv)                                                                    \
  {                                                                                     \
    static const SsTestSuite suite = {                                                  \
      prefix, sizeof (fixture_type), (GTestFixtureFunc) setup,                          \
      (GTestFixtureFunc) teardown, cases, G_N_ELEMENTS (cases), allow_tell_, prepare_   \
    };                                                                                  \
                                                                                        \
    return ss_test_run_suite (&argc, &argv, &suite);                                    \
  }

/* In a suite's setup: ss_test_bed_init() with the case's options and the program's spamd. */
void          ss_test_bed_setup             (SsTestBed         *bed,
                                             gconstpointer      setup_data);
/* The same from a test of a suite without fixture (setup and teardown NULL, size 0). */
const SsTestDovecotOptions *ss_test_case_options (gconstpointer setup_data);
SsTestSpamd  *ss_test_case_spamd            (gconstpointer      setup_data);

/* A program of plain test functions: tests[] rows SS_TEST_FUNC (path, func). g_test_init(),
 * prepare (may be NULL), the tests, g_test_run(). */
typedef struct
{
  const char *path;
  GTestFunc   func;
} SsTestFunc;

#define SS_TEST_FUNC(path, func) { path, func }

int           ss_test_run_funcs             (int               *argc,
                                             char            ***argv,
                                             const SsTestFunc  *tests,
                                             gsize              n_tests,
                                             void             (*prepare) (void));

#define SS_TEST_FUNCS_MAIN(prepare_)                                                     \
  int                                                                                   \
  main (int    argc,                                                                    \
        char **argv)                                                                    \
  {                                                                                     \
    return ss_test_run_funcs (&argc, &argv, tests, G_N_ELEMENTS (tests), prepare_);     \
  }

/* ---- waiting on a main context ------------------------------------------------------------ */

/* Runs context (NULL: the global default) for up to ms, less if something is dispatched. */
void          ss_test_iterate               (GMainContext   *context,
                                             guint           ms);

typedef gboolean (*SsTestCond) (gpointer      object,
                                gconstpointer data);

/* Iterates context until cond (object, data) holds; FALSE if it did not within timeout_ms. */
gboolean      ss_test_wait_until            (GMainContext   *context,
                                             SsTestCond      cond,
                                             gpointer        object,
                                             gconstpointer   data,
                                             guint           timeout_ms);

/* A GAsyncReadyCallback that stores a reference to its result in *(GAsyncResult **) slot. */
void          ss_test_result_cb             (GObject        *source,
                                             GAsyncResult   *result,
                                             gpointer        slot);
/* Iterates context until *slot is set by ss_test_result_cb; fails the test after timeout_ms.
 * Returns *slot (still owned by the caller's slot). */
GAsyncResult *ss_test_wait_result           (GMainContext   *context,
                                             GAsyncResult  **slot,
                                             guint           timeout_ms);

/* ---- settings and the spamsieve program ------------------------------------------------ */

/* An [account] group for user tester: url, then tls, password-file and ca-file lines for those
 * that are not NULL. */
char         *ss_test_account_group         (const char     *url,
                                             const char     *tls,
                                             const char     *password_file,
                                             const char     *ca_file);
/* The usual account: STARTTLS to dovecot's plain port on 127.0.0.1 with the test CA. */
char         *ss_test_dovecot_account       (SsTestDovecot  *dovecot,
                                             const char     *password_file);
/* account, a [spamd] group (address unless NULL, parallel, timeout unless 0), then extra
 * (whole groups or lines, may be NULL). */
char         *ss_test_config_text           (const char     *account,
                                             const char     *spamd_address,
                                             guint           parallel,
                                             guint           timeout_s,
                                             const char     *extra);
/* Writes len bytes of data (-1: up to its NUL) to dir/name and sets mode; returns the path. */
char         *ss_test_write_file            (const char     *dir,
                                             const char     *name,
                                             const char     *data,
                                             gssize          len,
                                             int             mode);
/* bed->dir/spamsieve.conf from ss_test_config_text(); account NULL: ss_test_dovecot_account()
 * with the password file bed->dir/secret; spamd_address NULL: the bed's spamd. Returns the
 * path. */
char         *ss_test_write_config          (SsTestBed      *bed,
                                             const char     *account,
                                             const char     *spamd_address,
                                             guint           parallel,
                                             guint           timeout_s,
                                             const char     *extra);
/* dir/secret holding password and a newline, mode 0600; returns the path. */
char         *ss_test_write_secret          (const char     *dir,
                                             const char     *password);

/* A launcher for spamsieve ($SS_SPAMSIEVE) with its XDG data, runtime and home directories
 * under dir, and G_MESSAGES_DEBUG unset. */
GSubprocessLauncher *ss_test_launcher_new   (const char      *dir,
                                             GSubprocessFlags flags);
/* spamsieve --headless --config config_path, then args (NULL-terminated, may be NULL). */
GSubprocess  *ss_test_spawn_headless        (GSubprocessLauncher *launcher,
                                             const char          *config_path,
                                             const char * const  *args);

/* ---- stored mail -------------------------------------------------------------------------- */

#ifndef SS_TEST_STORED_MESSAGE_AUTOPTR
#define SS_TEST_STORED_MESSAGE_AUTOPTR
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsTestStoredMessage, ss_test_stored_message_free)
#endif

gboolean      ss_test_has_keyword           (const SsTestStoredMessage *message,
                                             const char                *keyword);
/* Adds message to folder with flags and INTERNALDATE when (0: now); fails the test on error. */
void          ss_test_add                   (SsTestDovecot  *dovecot,
                                             const char     *folder,
                                             GBytes         *message,
                                             const char     *flags,
                                             gint64          when);
/* Moves message (read) from one folder to another as another mail client would: gone from
 * from (exactly one copy there, else the test fails), a new message in to. */
void          ss_test_drag                  (SsTestDovecot  *dovecot,
                                             const char     *from,
                                             GBytes         *message,
                                             const char     *to);
/* How many copies of content folder holds (content NULL: how many messages). */
guint         ss_test_count_stored          (SsTestDovecot  *dovecot,
                                             const char     *folder,
                                             GBytes         *content);
/* The copy of content stored in folder (free it), or NULL. */
SsTestStoredMessage *ss_test_find_stored    (SsTestDovecot  *dovecot,
                                             const char     *folder,
                                             GBytes         *content);
/* Which of folders holds content now (NULL: none); fails the test if more than one copy is
 * stored. With found, the stored copy (free it). */
const char   *ss_test_locate                (SsTestDovecot        *dovecot,
                                             GBytes               *content,
                                             const char * const   *folders,
                                             SsTestStoredMessage **found);

/* ---- an SsSession in-process -------------------------------------------------------------- */

/* A session on the test's own main context, and what it said: its "record" signals and state
 * changes, as dispatched there. */
typedef struct
{
  GMainContext *context;        /* pushed as the thread default while the test runs */
  char         *journal;
  SsSession    *session;
  GPtrArray    *records;        /* SsRecord*, in signal order */
  GArray       *record_times;   /* gint64 monotonic µs at dispatch, per record */
  GPtrArray    *states;         /* state nicks, in order (each change) */
  gboolean      saw_retry_at;   /* backing-off with a retry-at in the future */
} SsTestSession;

/* The journal goes to dir/state.sqlite. */
void          ss_test_session_init          (SsTestSession  *t,
                                             const char     *dir);
/* The fixture of a suite whose tests watch a session on their bed: setup and teardown for
 * SS_TEST_SUITE_MAIN (the journal in bed.dir, the session stopped at the end). */
typedef struct
{
  SsTestBed     bed;
  SsTestSession run;
} SsTestBedSession;

void          ss_test_bed_session_setup     (SsTestBedSession *f,
                                             gconstpointer     data);
void          ss_test_bed_session_teardown  (SsTestBedSession *f,
                                             gconstpointer     data);
/* Stops a running session first (60 s at most). */
void          ss_test_session_clear         (SsTestSession  *t);
void          ss_test_session_start         (SsTestSession  *t,
                                             const SsConfig *config,
                                             const char     *password);
/* Stops the session, asserting it ends within timeout_ms in state "stopped" and is then
 * finalized (the worker released it). Returns the ms the stop took. */
gint64        ss_test_session_stop          (SsTestSession  *t,
                                             guint           timeout_ms);
void          ss_test_session_iterate       (SsTestSession  *t,
                                             guint           ms);
const char   *ss_test_session_state         (SsTestSession  *t);
/* Waits for the state (nick), or n records in all; fails the test after timeout_ms. */
void          ss_test_session_wait_state    (SsTestSession  *t,
                                             const char     *state,
                                             guint           timeout_ms);
void          ss_test_session_wait_records  (SsTestSession  *t,
                                             guint           n,
                                             guint           timeout_ms);
/* ss_test_wait_until() on the session's context with t as the object, and two conditions for
 * it: the state is the nick data; at least GPOINTER_TO_UINT (data) records came. */
gboolean      ss_test_session_wait          (SsTestSession  *t,
                                             SsTestCond      cond,
                                             gconstpointer   data,
                                             guint           timeout_ms);
gboolean      ss_test_session_in_state      (gpointer        t,
                                             gconstpointer   state);
gboolean      ss_test_session_has_records   (gpointer        t,
                                             gconstpointer   n);
/* Marks the message at folder/uidvalidity/uid as spam or not through the session's command
 * API and returns the record it answers (free it); fails the test on error or after 60 s. */
SsRecord     *ss_test_session_mark          (SsTestSession  *t,
                                             const char     *folder,
                                             guint32         uidvalidity,
                                             guint32         uid,
                                             gboolean        as_spam);
/* The same for where the record where says the message is (its destination). */
SsRecord     *ss_test_session_mark_record   (SsTestSession  *t,
                                             const SsRecord *where,
                                             gboolean        as_spam);

G_END_DECLS
