/* ss-test-fake-spamd.h: a stand-in spamd on 127.0.0.1 that answers by rule instead of asking
 * SpamAssassin: protocol and error tests, and the benchmark's engine cost (program fake-spamd). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  SS_TEST_FAKE_SPAMD_HAM,           /* PING: PONG; else reads the request (to Content-length or
                                     * EOF) and says "Spam: False ; 0.0 / 5.0" (TELL: DidSet) */
  SS_TEST_FAKE_SPAMD_NO_VERDICT,    /* like HAM, but EX_OK without a Spam header */
  SS_TEST_FAKE_SPAMD_REPLY,         /* reads to EOF (see dup_last_request), sends the reply */
  SS_TEST_FAKE_SPAMD_REPLY_AT_ONCE, /* sends the reply without reading (an early refusal) */
  SS_TEST_FAKE_SPAMD_STALL,         /* accepts and never answers */
  SS_TEST_FAKE_SPAMD_CLOSE,         /* accepts and closes */
  SS_TEST_FAKE_SPAMD_SCORE,         /* like HAM (PING, TELL), but scans get the given reply:
                                     * a fixed score for every message */
} SsTestFakeSpamdMode;

typedef struct _SsTestFakeSpamd SsTestFakeSpamd;

/* Listens on 127.0.0.1:port (0: any) and serves each connection on its own thread until
 * freed. reply: what the REPLY modes send (NULL: nothing). */
SsTestFakeSpamd *ss_test_fake_spamd_new_full        (SsTestFakeSpamdMode   mode,
                                                     guint16               port,
                                                     GBytes               *reply,
                                                     GError              **error);
SsTestFakeSpamd *ss_test_fake_spamd_new             (SsTestFakeSpamdMode   mode,
                                                     GError              **error);
void             ss_test_fake_spamd_free            (SsTestFakeSpamd      *self);
guint16          ss_test_fake_spamd_get_port        (SsTestFakeSpamd      *self);
/* "127.0.0.1:PORT" */
const char      *ss_test_fake_spamd_get_address     (SsTestFakeSpamd      *self);
/* Connections accepted so far. */
guint            ss_test_fake_spamd_get_n_requests  (SsTestFakeSpamd      *self);
/* TELLs answered so far, by Message-class. */
void             ss_test_fake_spamd_get_n_tells     (SsTestFakeSpamd      *self,
                                                     guint                *n_spam,
                                                     guint                *n_ham);
/* From now on TELLs get spamd's refusal without --allow-tell (and are not counted). */
void             ss_test_fake_spamd_set_refuse_tell (SsTestFakeSpamd      *self,
                                                     gboolean              refuse);
/* The last request read to its EOF (REPLY mode), or NULL. */
char            *ss_test_fake_spamd_dup_last_request (SsTestFakeSpamd     *self);
/* "ham", "no-verdict", "stall", "close" (the modes that need no reply). */
gboolean         ss_test_fake_spamd_mode_from_name  (const char           *name,
                                                     SsTestFakeSpamdMode  *mode);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsTestFakeSpamd, ss_test_fake_spamd_free)

G_END_DECLS
