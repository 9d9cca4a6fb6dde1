/* ss-test-servers.h: the mail-server harness of the tests, the demo and the benchmark: real
 * dovecot and spamd on loopback in temporary directories, and a fake spamd (GLib/GIO only). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _SsTestDovecot SsTestDovecot;
typedef struct _SsTestSpamd   SsTestSpamd;

typedef struct
{
  gboolean    no_move;          /* hide MOVE from CAPABILITY (imap_capability) */
  gboolean    no_idle;          /* hide IDLE */
  char        delimiter;        /* hierarchy delimiter: '/' (default when 0) or '.' */
  gboolean    no_unfiltered;    /* do not create the Unfiltered folder */
  gboolean    special_use_junk; /* announce a folder "Junk" with \Junk SPECIAL-USE */
  gboolean    special_use_sent; /* announce a folder "Sent" with \Sent SPECIAL-USE (created) */
  gboolean    plaintext_ok;     /* allow LOGIN without TLS (tests of tls=none) */
  gboolean    outlive_thread;   /* no PR_SET_PDEATHSIG: may start from a short-lived thread */
  const char *password;         /* of user "tester"; NULL: "secret" */
  gboolean    oauth2;           /* also SASL XOAUTH2 + OAUTHBEARER: tokens checked by a local
                                 * introspection endpoint (ss_test_dovecot_set_oauth_tokens) */
} SsTestDovecotOptions;

/* Starts dovecot with: plain IMAP on 127.0.0.1 (STARTTLS offered, plaintext auth allowed only
 * after STARTTLS unless plaintext_ok), IMAPS on another port, a self-signed CA + server cert
 * for "localhost"/127.0.0.1, one user "tester" / password "secret" (maildir), and folders
 * INBOX and Unfiltered (unless no_unfiltered). Returns NULL + error if dovecot fails.
 * Dovecot counts any loopback connection as secure, so "LOGIN before STARTTLS" is refused by
 * the passdb instead (NO [CONTACTADMIN]); pre-login CAPABILITY does not say LOGINDISABLED.
 * Maildir++ on disk: folder "A/B" is DIR/Maildir/.A.B whatever the delimiter; names are
 * stored in modified UTF-7 and may not contain '.'. Junk (special_use_junk) is created.
 * Servers get SIGTERM when the thread that started them dies (PR_SET_PDEATHSIG, unless
 * outlive_thread): start them from a thread that outlives them. ss_test_dovecot_stop()
 * SIGKILLs dovecot's process group (on SIGTERM its master always sleeps 1 s), then removes
 * the directory. */
SsTestDovecot *ss_test_dovecot_start        (const SsTestDovecotOptions *options,
                                             GError                    **error);
void           ss_test_dovecot_stop         (SsTestDovecot  *self);   /* also frees */
guint16        ss_test_dovecot_get_imap_port   (SsTestDovecot *self);
guint16        ss_test_dovecot_get_imaps_port  (SsTestDovecot *self);
const char    *ss_test_dovecot_get_ca_file     (SsTestDovecot *self);  /* PEM of the test CA */
const char    *ss_test_dovecot_get_dir         (SsTestDovecot *self);  /* temp dir (for scratch files) */
char           ss_test_dovecot_get_delimiter   (SsTestDovecot *self);

/* With options->oauth2: the access tokens accepted for "tester" from now on (replacing the
 * earlier set; any other token is inactive, i.e. refused), and how many tokens dovecot asked
 * the endpoint about (*n_active: how many of them were accepted). */
void           ss_test_dovecot_set_oauth_tokens (SsTestDovecot      *self,
                                                 const char * const *tokens);
guint          ss_test_dovecot_get_oauth_requests (SsTestDovecot    *self,
                                                   guint            *n_active);

/* Mail store access that does NOT go through IMAP (independent of the code under test).
 * folder uses '/' as separator whatever the server delimiter is; "INBOX" is the inbox.
 * flags: a string of maildir flag letters ("S" = \Seen, "F" = \Flagged, "" = unread).
 * internal_date: seconds since the epoch (0 = now); it becomes the IMAP INTERNALDATE. */
gboolean       ss_test_dovecot_add_message  (SsTestDovecot  *self,
                                             const char     *folder,
                                             GBytes         *message,
                                             const char     *flags,
                                             gint64          internal_date,
                                             GError        **error);
gboolean       ss_test_dovecot_create_folder (SsTestDovecot *self,
                                              const char    *folder,
                                              GError       **error);
gboolean       ss_test_dovecot_folder_exists (SsTestDovecot *self,
                                              const char    *folder);

typedef struct
{
  GBytes *content;    /* the exact bytes stored */
  char   *flags;      /* maildir flag letters, sorted, e.g. "S" */
  char  **keywords;   /* IMAP keywords set on it, e.g. { "$Junk", NULL } */
  char   *path;       /* its maildir file when listed (dovecot may rename it later) */
} SsTestStoredMessage;

/* All messages currently in folder (new/ and cur/), in no particular order: a GPtrArray of
 * SsTestStoredMessage* (free func set). Returns an empty array if the folder is missing. */
GPtrArray     *ss_test_dovecot_list_messages (SsTestDovecot *self,
                                              const char    *folder);
void           ss_test_stored_message_free   (SsTestStoredMessage *message);
/* Deletes folder's messages whose bytes are content (their maildir files), as an expunge by
 * another client would. Returns how many went. */
guint          ss_test_dovecot_remove_message (SsTestDovecot *self,
                                               const char    *folder,
                                               GBytes        *content);

/* spamd on 127.0.0.1:random port, -L (no network tests), with its own Bayes/home dir in a
 * temp dir, run as an unprivileged user when root. allow_tell adds --allow-tell. */
SsTestSpamd   *ss_test_spamd_start          (gboolean        allow_tell,
                                             GError        **error);
void           ss_test_spamd_stop           (SsTestSpamd    *self);   /* also frees */
guint16        ss_test_spamd_get_port       (SsTestSpamd    *self);
char          *ss_test_spamd_dup_address    (SsTestSpamd    *self);   /* "127.0.0.1:PORT" */
/* Kill spamd (SIGTERM, wait) and start it again on the same port (restart tests). */
gboolean       ss_test_spamd_restart        (SsTestSpamd    *self,
                                             GError        **error);
/* Kill without restart (spamd-down tests); ss_test_spamd_restart brings it back. */
void           ss_test_spamd_kill           (SsTestSpamd    *self);

/* Test corpus (tests/data): a GPtrArray of GBytes for the committed sample.
 * kind: "spam", "ham", or NULL for both. Sorted by file name. */
GPtrArray     *ss_test_corpus_load          (const char     *kind);
/* A file of tests/data as GBytes (aborts the test if missing). */
GBytes        *ss_test_data_load            (const char     *name);

/* What dovecot does to message bytes (verified against 2.3.19, maildir, mail_save_crlf = no):
 * an IMAP APPEND stores CRLF as LF (bare CR, bare LF and NUL are kept), FETCH BODY[] returns
 * every bare LF as CRLF and NUL as 0x80; COPY and MOVE keep the file as it is. So an LF-only,
 * NUL-free message (all of tests/data) survives FETCH + APPEND byte for byte. */
GBytes        *ss_test_as_appended          (GBytes         *message);  /* CRLF -> LF */
GBytes        *ss_test_as_fetched           (GBytes         *message);  /* LF->CRLF, NUL->0x80 */

/* Extras: the dovecot log, spamd's dir and log, and the Bayes counts of spamd's private DB
 * (DIR/bayes/bayes_*; via sa-learn --dump magic, about 1 s). */
const char    *ss_test_dovecot_get_log_file (SsTestDovecot  *self);
const char    *ss_test_spamd_get_dir        (SsTestSpamd    *self);
const char    *ss_test_spamd_get_log_file   (SsTestSpamd    *self);
gboolean       ss_test_spamd_get_learned    (SsTestSpamd    *self,
                                             guint          *n_spam,
                                             guint          *n_ham,
                                             GError        **error);

/* A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then closed); also
 * useful as a port where nothing listens. Returns 0 + error on failure. */
guint16        ss_test_pick_free_port       (GError        **error);

/* Temporary directory removed by ss_test_rmrf(). */
char          *ss_test_mkdtemp              (void);
void           ss_test_rmrf                 (const char     *path);

G_END_DECLS

#include "ss-test-fake-spamd.h"
