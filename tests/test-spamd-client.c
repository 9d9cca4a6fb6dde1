#define G_LOG_DOMAIN "test-spamd-client"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "ss-error.h"
#include "ss-spamd-client.h"
#include "ss-spamd-daemon.h"
#include "ss-test-servers.h"
#include "ss-test-utils.h"

/* One spamd (with --allow-tell) for the whole program: it takes seconds to start. */
typedef struct
{
  SsTestSpamd *spamd;
  char        *address;
  GBytes      *gtube;
  GPtrArray   *ham;
  GPtrArray   *corpus;
} TestEnv;

static TestEnv test_env;

/* ---- the harness's fake spamd ----------------------------------------------------------- */

static SsTestFakeSpamd *
fake_new (SsTestFakeSpamdMode  mode,
          const void          *reply,
          gsize                reply_len)
{
  g_autoptr(GBytes) bytes = g_bytes_new (reply, reply_len);
  g_autoptr(GError) error = NULL;
  SsTestFakeSpamd *fake = ss_test_fake_spamd_new_full (mode, 0, bytes, &error);

  g_assert_no_error (error);
  return fake;
}

static SsTestFakeSpamd *
fake_new_text (SsTestFakeSpamdMode  mode,
               const char          *reply)
{
  return fake_new (mode, reply, strlen (reply));
}

static SsSpamdClient *
client_new (const char *address,
            guint       timeout_ms)
{
  g_autoptr(GError) error = NULL;
  SsSpamdClient *client = ss_spamd_client_new (address, "tester", timeout_ms, &error);

  g_assert_no_error (error);
  g_assert_nonnull (client);
  return client;
}

static GBytes *
text_bytes (const char *text)
{
  return g_bytes_new_static (text, strlen (text));
}

/* A SYMBOLS request against a fake answering reply; returns the error. */
static GError *
symbols_error (SsTestFakeSpamdMode mode,
               const char *reply)
{
  g_autoptr(SsTestFakeSpamd) fake = fake_new_text (mode, reply);
  g_autoptr(SsSpamdClient) client = client_new (ss_test_fake_spamd_get_address (fake), 5000);
  g_autoptr(GBytes) message = text_bytes ("Subject: x\r\n\r\nbody\r\n");
  g_autoptr(SsSpamdReply) result = NULL;
  GError *error = NULL;

  result = ss_spamd_client_symbols_sync (client, message, NULL, &error);
  g_assert_null (result);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  return error;
}

/* ---- addresses -------------------------------------------------------------------------- */

static void
test_address_valid (void)
{
  const char *valid[] = {
    "127.0.0.1:783", "[::1]:783", "localhost:783", "spamd.example.org:65535",
    "unix:/run/spamd.sock",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(SsSpamdClient) client = ss_spamd_client_new (valid[i], NULL, 1000, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (ss_spamd_client_get_address (client), ==, valid[i]);
    }
}

static void
test_address_invalid (void)
{
  g_autofree char *long_path = g_strnfill (120, 'x');
  g_autofree char *long_unix = g_strconcat ("unix:/", long_path, NULL);
  const char *invalid[] = {
    "", "localhost", "localhost:", "localhost:0", "localhost:65536", "localhost:78x3",
    "localhost:+783", "::1:783", "[::1]783", "[::1]", "[127.0.0.1]:783", "[nothost]:783",
    "unix:", "unix:relative/path", "bad host:783", "host/x:783", ":783", long_unix,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(SsSpamdClient) client = ss_spamd_client_new (invalid[i], NULL, 1000, &error);

      g_test_message ("address “%s”", invalid[i]);
      g_assert_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG);
      g_assert_null (client);
    }
}

/* ---- fake servers ----------------------------------------------------------------------- */

static void
test_fake_request_format (void)
{
  g_autoptr(SsTestFakeSpamd) fake = fake_new_text (
    SS_TEST_FAKE_SPAMD_REPLY,
    "SPAMD/1.1 0 EX_OK\r\nContent-length: 9\r\nSpam: True ; 6.5 / 5.0\r\n\r\nRULE_A,RB");
  g_autoptr(GError) error = NULL;
  g_autoptr(SsSpamdClient) client = ss_spamd_client_new (ss_test_fake_spamd_get_address (fake),
                                                         "a.b-c!", 5000, &error);
  g_autoptr(GBytes) message = text_bytes ("hello");
  g_autoptr(SsSpamdReply) reply = NULL;
  g_autofree char *request = NULL;

  g_assert_no_error (error);
  reply = ss_spamd_client_symbols_sync (client, message, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (reply->is_spam);
  g_assert_cmpfloat (reply->score, ==, 6.5);
  g_assert_cmpuint (g_strv_length (reply->symbols), ==, 2);
  g_assert_cmpstr (reply->symbols[1], ==, "RB");

  /* the request is exact, and the client half-closed (the fake saw EOF) */
  request = ss_test_fake_spamd_dup_last_request (fake);
  g_assert_cmpstr (request, ==,
                   "SYMBOLS SPAMC/1.5\r\nContent-length: 5\r\nUser: a_b-c_\r\n\r\nhello");
}

static void
test_fake_tell_and_ping_format (void)
{
  g_autoptr(SsTestFakeSpamd) fake = fake_new_text (
    SS_TEST_FAKE_SPAMD_REPLY, "SPAMD/1.1 0 EX_OK\r\nDidSet: local\r\n\r\n\r\n");
  g_autoptr(SsSpamdClient) client = client_new (ss_test_fake_spamd_get_address (fake), 5000);
  g_autoptr(GBytes) message = text_bytes ("x");
  g_autoptr(GError) error = NULL;
  g_autofree char *tell = NULL;
  g_autofree char *ping = NULL;

  g_assert_true (ss_spamd_client_tell_sync (client, message, SS_SPAMD_CLASS_HAM, NULL, &error));
  g_assert_no_error (error);
  tell = ss_test_fake_spamd_dup_last_request (fake);
  g_assert_cmpstr (tell, ==, "TELL SPAMC/1.5\r\nContent-length: 1\r\nUser: tester\r\n"
                             "Message-class: ham\r\nSet: local\r\n\r\nx");

  /* a TELL reply is not a PONG */
  g_assert_false (ss_spamd_client_ping_sync (client, NULL, &error));
  g_assert_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_PROTOCOL);
  ping = ss_test_fake_spamd_dup_last_request (fake);
  g_assert_cmpstr (ping, ==, "PING SPAMC/1.5\r\n\r\n");
}

static void
test_fake_no_spam_header (void)
{
  g_autoptr(GError) error = symbols_error (SS_TEST_FAKE_SPAMD_REPLY, "SPAMD/1.1 0 EX_OK\r\n\r\n");
  g_autoptr(GError) malformed = symbols_error (
    SS_TEST_FAKE_SPAMD_REPLY, "SPAMD/1.1 0 EX_OK\r\nSpam: True ; nan / 5.0\r\n\r\n");

  g_assert_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_PROTOCOL);
  g_assert_error (malformed, SS_SPAMD_ERROR, SS_SPAMD_ERROR_PROTOCOL);
}

static void
test_fake_garbage (void)
{
  g_autoptr(GError) http = symbols_error (SS_TEST_FAKE_SPAMD_REPLY, "HTTP/1.0 200 OK\r\n\r\nhello");
  g_autoptr(GError) binary = symbols_error (SS_TEST_FAKE_SPAMD_REPLY,
                                                "\x16\x03\x01\x02\x00\x01");
  g_autoptr(GError) truncated = symbols_error (
    SS_TEST_FAKE_SPAMD_REPLY,
    "SPAMD/1.1 0 EX_OK\r\nContent-length: 50\r\nSpam: True ; 9.0 / 5.0\r\n\r\nGTUBE");
  g_autoptr(GError) version = symbols_error (SS_TEST_FAKE_SPAMD_REPLY,
                                             "SPAMD/2.0 0 EX_OK\r\nSpam: True ; 9.0 / 5.0\r\n\r\n");

  g_assert_error (http, SS_SPAMD_ERROR, SS_SPAMD_ERROR_PROTOCOL);
  g_assert_error (binary, SS_SPAMD_ERROR, SS_SPAMD_ERROR_PROTOCOL);
  g_assert_error (truncated, SS_SPAMD_ERROR, SS_SPAMD_ERROR_PROTOCOL);
  g_assert_error (version, SS_SPAMD_ERROR, SS_SPAMD_ERROR_PROTOCOL);
}

static void
test_fake_oversized (void)
{
  gsize len = 2 * 1024 * 1024;
  g_autofree char *reply = g_malloc (len);
  g_autoptr(SsTestFakeSpamd) fake = NULL;
  g_autoptr(SsSpamdClient) client = NULL;
  g_autoptr(GBytes) message = text_bytes ("x");
  g_autoptr(SsSpamdReply) result = NULL;
  g_autoptr(GError) error = NULL;

  memset (reply, 'A', len);
  memcpy (reply, "SPAMD/1.1 0 EX_OK\r\nSpam: True ; 9.0 / 5.0\r\n\r\n", 45);
  fake = fake_new (SS_TEST_FAKE_SPAMD_REPLY, reply, len);
  client = client_new (ss_test_fake_spamd_get_address (fake), 5000);
  result = ss_spamd_client_symbols_sync (client, message, NULL, &error);
  g_assert_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_PROTOCOL);
  g_assert_null (result);
}

static void
test_fake_close (void)
{
  g_autoptr(GError) error = symbols_error (SS_TEST_FAKE_SPAMD_CLOSE, "");

  g_assert_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_CONNECT);
}

static void
test_fake_refusal_and_codes (void)
{
  g_autoptr(GError) unavailable = symbols_error (SS_TEST_FAKE_SPAMD_REPLY,
                                                 "SPAMD/1.1 69 EX_UNAVAILABLE\r\n");
  g_autoptr(GError) protocol = symbols_error (
    SS_TEST_FAKE_SPAMD_REPLY, "SPAMD/1.0 76 Bad header line: (Content-Length mismatch)\r\n");

  g_assert_error (unavailable, SS_SPAMD_ERROR, SS_SPAMD_ERROR_REFUSED);
  g_assert_nonnull (strstr (unavailable->message, "EX_UNAVAILABLE"));
  g_assert_error (protocol, SS_SPAMD_ERROR, SS_SPAMD_ERROR_REFUSED);
  g_assert_nonnull (strstr (protocol->message, "EX_PROTOCOL"));
  g_assert_nonnull (strstr (protocol->message, "Content-Length mismatch"));
}

/* spamd refuses TELL after the headers, without reading a large body. */
static void
test_fake_early_refusal (void)
{
  g_autoptr(SsTestFakeSpamd) fake = fake_new_text (
    SS_TEST_FAKE_SPAMD_REPLY_AT_ONCE,
    "SPAMD/1.0 69 Service Unavailable: TELL commands are not enabled, set the --allow-tell "
    "switch.\r\n");
  g_autoptr(SsSpamdClient) client = client_new (ss_test_fake_spamd_get_address (fake), 5000);
  gsize len = 8 * 1024 * 1024;
  g_autoptr(GBytes) message = g_bytes_new_take (g_malloc0 (len), len);
  g_autoptr(GError) error = NULL;

  g_assert_false (ss_spamd_client_tell_sync (client, message, SS_SPAMD_CLASS_SPAM, NULL,
                                             &error));
  g_test_message ("%s", error->message);
  /* the reply may be lost to the reset, but never a success nor a timeout */
  g_assert_true (g_error_matches (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_REFUSED) ||
                 g_error_matches (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_CONNECT));
  if (error->code == SS_SPAMD_ERROR_REFUSED)
    g_assert_nonnull (strstr (error->message, "allow-tell"));
}

static void
test_fake_already_learned (void)
{
  g_autoptr(SsTestFakeSpamd) fake = fake_new_text (SS_TEST_FAKE_SPAMD_REPLY,
                                                     "SPAMD/1.1 0 EX_OK\r\n\r\n\r\n");
  g_autoptr(SsSpamdClient) client = client_new (ss_test_fake_spamd_get_address (fake), 5000);
  g_autoptr(GBytes) message = text_bytes ("Subject: x\r\n\r\nx\r\n");
  g_autoptr(GError) error = NULL;

  g_assert_true (ss_spamd_client_tell_sync (client, message, SS_SPAMD_CLASS_SPAM, NULL,
                                            &error));
  g_assert_no_error (error);
}

static void
test_fake_stall_timeout (void)
{
  g_autoptr(SsTestFakeSpamd) fake = fake_new_text (SS_TEST_FAKE_SPAMD_STALL, "");
  g_autoptr(SsSpamdClient) client = client_new (ss_test_fake_spamd_get_address (fake), 500);
  g_autoptr(GBytes) message = text_bytes ("Subject: x\r\n\r\nx\r\n");
  g_autoptr(SsSpamdReply) reply = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  gint64 elapsed_ms;

  reply = ss_spamd_client_symbols_sync (client, message, NULL, &error);
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  g_test_message ("timed out after %" G_GINT64_FORMAT " ms: %s", elapsed_ms, error->message);
  g_assert_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_TIMEOUT);
  g_assert_null (reply);
  g_assert_cmpint (elapsed_ms, >=, 450);
  g_assert_cmpint (elapsed_ms, <, 1500);
}

static gboolean
cancel_later (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

static gpointer
cancel_thread (gpointer data)
{
  g_usleep (200 * 1000);
  cancel_later (data);
  return NULL;
}

static void
test_cancel (void)
{
  g_autoptr(SsTestFakeSpamd) fake = fake_new_text (SS_TEST_FAKE_SPAMD_STALL, "");
  g_autoptr(SsSpamdClient) client = client_new (ss_test_fake_spamd_get_address (fake), 20000);
  g_autoptr(GBytes) message = text_bytes ("Subject: x\r\n\r\nx\r\n");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) cancelled = g_cancellable_new ();
  g_autoptr(SsSpamdReply) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) early = NULL;
  GThread *thread = g_thread_new ("cancel", cancel_thread, cancellable);
  gint64 start = g_get_monotonic_time ();

  reply = ss_spamd_client_symbols_sync (client, message, cancellable, &error);
  g_thread_join (thread);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (reply);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);

  g_cancellable_cancel (cancelled);
  g_assert_false (ss_spamd_client_ping_sync (client, cancelled, &early));
  g_assert_error (early, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* ---- connection failures ---------------------------------------------------------------- */

static void
assert_connect_error_fast (const char *address)
{
  g_autoptr(SsSpamdClient) client = client_new (address, 5000);
  g_autoptr(GBytes) message = text_bytes ("Subject: x\r\n\r\nx\r\n");
  g_autoptr(SsSpamdReply) reply = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  reply = ss_spamd_client_symbols_sync (client, message, NULL, &error);
  g_test_message ("%s", error->message);
  g_assert_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_CONNECT);
  g_assert_null (reply);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
}

static void
test_connect_refused (void)
{
  g_autoptr(GError) error = NULL;
  guint16 port = ss_test_pick_free_port (&error);
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", port);
  g_autofree char *dir = ss_test_mkdtemp ();
  g_autofree char *unix_address = g_strdup_printf ("unix:%s/none.sock", dir);

  g_assert_no_error (error);
  assert_connect_error_fast (address);
  assert_connect_error_fast (unix_address);
  ss_test_rmrf (dir);
}

static void
test_connect_unresolvable (void)
{
  g_autoptr(SsSpamdClient) client = client_new ("spamd.nonexistent.invalid:783", 2000);
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  g_assert_false (ss_spamd_client_ping_sync (client, NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_true (g_error_matches (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_CONNECT) ||
                 g_error_matches (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_TIMEOUT));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
}

/* ---- the real spamd --------------------------------------------------------------------- */

static SsSpamdReply *
scan (SsSpamdClient *client,
      GBytes        *message)
{
  g_autoptr(GError) error = NULL;
  SsSpamdReply *reply = ss_spamd_client_symbols_sync (client, message, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (reply);
  g_assert_true (reply->has_spam_header);
  return reply;
}

static void
test_spamd_ping (void)
{
  g_autoptr(SsSpamdClient) client = client_new (test_env.address, 10000);
  g_autofree char *by_name = g_strdup_printf ("localhost:%u",
                                              ss_test_spamd_get_port (test_env.spamd));
  g_autoptr(SsSpamdClient) named = client_new (by_name, 10000);
  g_autoptr(GError) error = NULL;

  g_assert_true (ss_spamd_client_ping_sync (client, NULL, &error));
  g_assert_no_error (error);
  /* resolved per request; ::1 may refuse before 127.0.0.1 answers */
  g_assert_true (ss_spamd_client_ping_sync (named, NULL, &error));
  g_assert_no_error (error);
}

static void
test_spamd_gtube (void)
{
  g_autoptr(SsSpamdClient) client = client_new (test_env.address, 30000);
  g_autoptr(SsSpamdReply) reply = NULL;
  gint64 start = g_get_monotonic_time ();

  reply = scan (client, test_env.gtube);
  g_test_message ("GTUBE: %.1f / %.1f in %.1f ms", reply->score, reply->threshold,
                  (g_get_monotonic_time () - start) / 1000.0);
  g_assert_true (reply->is_spam);
  g_assert_cmpfloat (reply->score, >=, 999.0);
  g_assert_cmpfloat (reply->threshold, ==, 5.0);
  g_assert_true (g_strv_contains ((const char * const *) reply->symbols, "GTUBE"));
}

static void
test_spamd_ham (void)
{
  g_autoptr(SsSpamdClient) client = client_new (test_env.address, 30000);
  gint64 start = g_get_monotonic_time ();

  g_assert_cmpuint (test_env.ham->len, >, 0);
  for (guint i = 0; i < test_env.ham->len; i++)
    {
      g_autoptr(SsSpamdReply) reply = scan (client, test_env.ham->pdata[i]);
      g_autofree char *symbols = g_strjoinv (",", reply->symbols);

      g_test_message ("ham %u: %.1f (%s)", i, reply->score, symbols);
      g_assert_false (reply->is_spam);
      g_assert_cmpfloat (reply->score, <, reply->threshold);
      g_assert_false (g_strv_contains ((const char * const *) reply->symbols, "GTUBE"));
    }
  g_test_message ("ham: %.1f ms per message",
                  (g_get_monotonic_time () - start) / 1000.0 / test_env.ham->len);
}

typedef struct
{
  GBytes       *message;
  SsSpamdReply *reply;
  GError       *error;
} ScanJob;

static void
scan_job (gpointer data,
          gpointer user_data)
{
  ScanJob *job = data;

  job->reply = ss_spamd_client_symbols_sync (user_data, job->message, NULL, &job->error);
}

static void
assert_same_verdict (SsSpamdReply *a,
                     SsSpamdReply *b)
{
  g_autofree char *sa = g_strjoinv (",", a->symbols);
  g_autofree char *sb = g_strjoinv (",", b->symbols);

  g_assert_cmpint (a->is_spam, ==, b->is_spam);
  g_assert_cmpfloat (a->score, ==, b->score);
  g_assert_cmpstr (sa, ==, sb);
}

static void
test_spamd_parallel (void)
{
  g_autoptr(SsSpamdClient) client = client_new (test_env.address, 60000);
  ScanJob jobs[20] = { { 0 } };
  GThreadPool *pool;
  gint64 start;

  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    jobs[i].message = i % 5 == 0 ? test_env.gtube
                                 : test_env.corpus->pdata[i % test_env.corpus->len];

  start = g_get_monotonic_time ();
  pool = g_thread_pool_new (scan_job, client, 10, TRUE, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    g_thread_pool_push (pool, &jobs[i], NULL);
  g_thread_pool_free (pool, FALSE, TRUE);
  g_test_message ("20 scans from 10 threads: %.0f ms, %.1f messages/s",
                  (g_get_monotonic_time () - start) / 1000.0,
                  20.0 * G_USEC_PER_SEC / (g_get_monotonic_time () - start));

  start = g_get_monotonic_time ();
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      g_autoptr(SsSpamdReply) sequential = scan (client, jobs[i].message);

      g_assert_no_error (jobs[i].error);
      g_assert_nonnull (jobs[i].reply);
      assert_same_verdict (jobs[i].reply, sequential);
      g_clear_pointer (&jobs[i].reply, ss_spamd_reply_free);
    }
  g_test_message ("20 sequential scans: %.0f ms", (g_get_monotonic_time () - start) / 1000.0);
}

static void
test_spamd_tell (void)
{
  g_autoptr(SsSpamdClient) client = client_new (test_env.address, 30000);
  g_autoptr(GError) error = NULL;
  GBytes *ham = test_env.ham->pdata[0];
  guint n_spam = 0, n_ham = 0;

  g_assert_true (ss_spamd_client_tell_sync (client, test_env.gtube, SS_SPAMD_CLASS_SPAM, NULL,
                                            &error));
  g_assert_no_error (error);
  /* already learned: spamd omits DidSet, still a success */
  g_assert_true (ss_spamd_client_tell_sync (client, test_env.gtube, SS_SPAMD_CLASS_SPAM, NULL,
                                            &error));
  g_assert_no_error (error);
  g_assert_true (ss_spamd_client_tell_sync (client, ham, SS_SPAMD_CLASS_HAM, NULL, &error));
  g_assert_no_error (error);

  g_assert_true (ss_test_spamd_get_learned (test_env.spamd, &n_spam, &n_ham, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_spam, ==, 1);
  g_assert_cmpuint (n_ham, ==, 1);
}

static void
test_spamd_tell_refused (void)
{
  g_autoptr(GError) error = NULL;
  SsTestSpamd *spamd = ss_test_spamd_start_checked (FALSE);
  g_autofree char *address = NULL;
  g_autoptr(SsSpamdClient) client = NULL;
  g_autoptr(SsSpamdReply) reply = NULL;

  address = ss_test_spamd_dup_address (spamd);
  client = client_new (address, 30000);

  g_assert_false (ss_spamd_client_tell_sync (client, test_env.gtube, SS_SPAMD_CLASS_SPAM, NULL,
                                             &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_REFUSED);
  g_assert_nonnull (strstr (error->message, "allow-tell"));
  g_assert_nonnull (strstr (error->message, "EX_UNAVAILABLE"));

  /* scanning still works there */
  reply = scan (client, test_env.gtube);
  g_assert_true (reply->is_spam);
  ss_test_spamd_stop (spamd);
}

/* Last of the shared-spamd tests: spamd goes away and comes back. */
static void
test_spamd_down (void)
{
  g_autoptr(SsSpamdClient) client = client_new (test_env.address, 5000);
  g_autoptr(SsSpamdReply) reply = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  ss_test_spamd_kill (test_env.spamd);
  start = g_get_monotonic_time ();
  reply = ss_spamd_client_symbols_sync (client, test_env.gtube, NULL, &error);
  g_test_message ("%s", error->message);
  g_assert_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_CONNECT);
  g_assert_null (reply);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
  g_clear_error (&error);

  g_assert_true (ss_test_spamd_restart (test_env.spamd, &error));
  g_assert_no_error (error);
  g_assert_true (ss_spamd_client_ping_sync (client, NULL, &error));
  g_assert_no_error (error);
}

/* ---- the private daemon ----------------------------------------------------------------- */

/* A private daemon's directories in a temp dir: DIR/run and DIR/data. */
typedef struct
{
  char *dir;
  char *runtime_dir;
  char *data_dir;
} DaemonDirs;

static DaemonDirs
daemon_dirs_new (void)
{
  DaemonDirs d = { ss_test_mkdtemp () };

  /* As root, spamd runs as another user who must be able to enter the temp dir. */
  if (geteuid () == 0)
    g_assert_cmpint (g_chmod (d.dir, 0711), ==, 0);
  d.runtime_dir = g_build_filename (d.dir, "run", NULL);
  d.data_dir = g_build_filename (d.dir, "data", NULL);
  return d;
}

static void
daemon_dirs_clear (DaemonDirs *d)
{
  if (d->dir != NULL)
    ss_test_rmrf (d->dir);
  g_clear_pointer (&d->dir, g_free);
  g_clear_pointer (&d->runtime_dir, g_free);
  g_clear_pointer (&d->data_dir, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DaemonDirs, daemon_dirs_clear)

static SsSpamdDaemon *
daemon_start (DaemonDirs    *d,
              const char    *program,
              guint          parallel,
              GCancellable  *cancellable,
              GError       **error)
{
  return ss_spamd_daemon_start (program, d->runtime_dir, d->data_dir, parallel, FALSE,
                                cancellable, error);
}

static gint64
read_pid (const char *runtime_dir)
{
  g_autofree char *path = g_build_filename (runtime_dir, "spamd.pid", NULL);
  g_autofree char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return g_ascii_strtoll (text, NULL, 10);
}

/* "sa-learn --dump magic" count of learned messages of kind ("nspam" or "nham"). */
static gint64
bayes_count (const char *bayes_path,
             const char *kind)
{
  const char *argv[] = { "sa-learn", "--dbpath", bayes_path, "--dump", "magic", NULL };
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH |
                     G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status, NULL))
    return -1;
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
      g_autofree char *suffix = g_strdup_printf ("non-token data: %s", kind);
      guint n = 0;

      if (!g_str_has_suffix (lines[i], suffix))
        continue;
      for (guint j = 0; fields[j] != NULL; j++)
        if (*fields[j] != '\0' && ++n == 3)
          return g_ascii_strtoll (fields[j], NULL, 10);
    }
  return -1;
}

static void
test_daemon_start_stop (void)
{
  g_auto(DaemonDirs) d = daemon_dirs_new ();
  g_autofree char *socket_path = g_build_filename (d.runtime_dir, "spamd.sock", NULL);
  g_autofree char *bayes = g_build_filename (d.data_dir, "spamd", "bayes", NULL);
  g_autofree char *bayes_toks = g_strconcat (bayes, "_toks", NULL);
  g_autoptr(SsSpamdDaemon) daemon = NULL;
  g_autoptr(SsSpamdClient) client = NULL;
  g_autoptr(SsSpamdReply) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sa_learn = g_find_program_in_path ("sa-learn");
  struct stat st;
  gint64 start = g_get_monotonic_time ();
  gint64 pid;

  daemon = daemon_start (&d, SPAMD_PROGRAM, 4, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("private spamd ready in %.2f s", (g_get_monotonic_time () - start) / 1e6);
  g_assert_cmpint (g_stat (d.runtime_dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_true (g_str_has_prefix (ss_spamd_daemon_get_address (daemon), "unix:/"));

  client = client_new (ss_spamd_daemon_get_address (daemon), 30000);
  g_assert_true (ss_spamd_client_ping_sync (client, NULL, &error));
  g_assert_no_error (error);
  reply = scan (client, test_env.gtube);
  g_assert_true (reply->is_spam);

  g_assert_true (ss_spamd_client_tell_sync (client, test_env.gtube, SS_SPAMD_CLASS_SPAM, NULL,
                                            &error));
  g_assert_no_error (error);
  g_assert_true (ss_spamd_client_tell_sync (client, test_env.ham->pdata[0], SS_SPAMD_CLASS_HAM,
                                            NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (bayes_toks, G_FILE_TEST_IS_REGULAR));
  if (sa_learn != NULL)
    {
      g_assert_cmpint (bayes_count (bayes, "nspam"), ==, 1);
      g_assert_cmpint (bayes_count (bayes, "nham"), ==, 1);
    }

  pid = read_pid (d.runtime_dir);
  start = g_get_monotonic_time ();
  ss_spamd_daemon_stop (daemon);
  g_test_message ("stopped in %.2f s", (g_get_monotonic_time () - start) / 1e6);
  g_assert_cmpint (kill ((pid_t) pid, 0), ==, -1);
  g_assert_cmpint (kill ((pid_t) -pid, 0), ==, -1);  /* its children too */
  g_assert_false (g_file_test (socket_path, G_FILE_TEST_EXISTS));
  g_assert_false (ss_spamd_client_ping_sync (client, NULL, &error));
  g_assert_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_CONNECT);

  g_clear_object (&daemon);  /* stop again on finalize: harmless */
}

static void
test_daemon_bad_program (void)
{
  const struct { const char *program; const char *said; } bad[] = {
    { "/bin/false", "exited with status 1" },
    { "/nonexistent/spamd", NULL },
  };
  g_auto(DaemonDirs) d = daemon_dirs_new ();

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(SsSpamdDaemon) daemon = daemon_start (&d, bad[i].program, 2, NULL, &error);

      g_assert_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_START);
      g_test_message ("%s: %s", bad[i].program, error->message);
      if (bad[i].said != NULL)
        g_assert_nonnull (strstr (error->message, bad[i].said));
      g_assert_null (daemon);
    }
}

/* Root whose data dir the spamd user cannot enter (root's home is 0700): the Bayes data goes
 * to /var/lib/spamsieve/spamd instead of failing, and learning works there. */
static void
test_daemon_unreachable_data_dir (void)
{
  g_auto(DaemonDirs) d = { 0 };
  g_autoptr(SsSpamdDaemon) daemon = NULL;
  g_autoptr(SsSpamdClient) client = NULL;
  g_autoptr(GBytes) gtube = ss_test_data_load ("gtube.eml");
  g_autoptr(GError) error = NULL;

  if (geteuid () != 0)
    {
      g_test_skip ("only as root");
      return;
    }
  d = daemon_dirs_new ();
  g_assert_cmpint (g_chmod (d.dir, 0700), ==, 0);
  daemon = daemon_start (&d, SPAMD_PROGRAM, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (daemon);
  client = ss_spamd_client_new (ss_spamd_daemon_get_address (daemon), NULL, 60000, &error);
  g_assert_no_error (error);
  g_assert_true (ss_spamd_client_tell_sync (client, gtube, SS_SPAMD_CLASS_SPAM, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test ("/var/lib/spamsieve/spamd", G_FILE_TEST_IS_DIR));
  ss_spamd_daemon_stop (daemon);
}

/* A spamd left behind (its owner crashed) is replaced; a second user shares the running one,
 * and spamd stops with the last user, whichever started it. */
static void
test_daemon_stale_and_shared (void)
{
  g_auto(DaemonDirs) d = daemon_dirs_new ();
  g_autofree char *socket_arg = g_strdup_printf ("--socketpath=%s/spamd.sock", d.runtime_dir);
  g_autofree char *pid_arg = g_strdup_printf ("--pidfile=%s/spamd.pid", d.runtime_dir);
  g_autofree char *pid_path = g_build_filename (d.runtime_dir, "spamd.pid", NULL);
  const char *argv[] = { SPAMD_PROGRAM, socket_arg, pid_arg, "--local", "--nouser-config",
                         "--syslog=stderr", geteuid () == 0 ? "--username=nobody" : NULL, NULL };
  g_autoptr(GSubprocess) stale = NULL;
  g_autoptr(SsSpamdDaemon) daemon = NULL;
  g_autoptr(SsSpamdDaemon) second = NULL;
  g_autoptr(SsSpamdDaemon) third = NULL;
  g_autoptr(SsSpamdClient) client = NULL;
  g_autoptr(GError) error = NULL;
  gint64 pid;

  g_assert_cmpint (g_mkdir (d.runtime_dir, 0700), ==, 0);
  stale = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 900 && !g_file_test (pid_path, G_FILE_TEST_EXISTS); i++)
    g_usleep (100 * 1000);
  g_assert_true (g_file_test (pid_path, G_FILE_TEST_EXISTS));

  /* nobody uses the stale one: it is replaced */
  daemon = daemon_start (&d, SPAMD_PROGRAM, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait (stale, NULL, NULL));
  pid = read_pid (d.runtime_dir);

  /* a second user shares it: same spamd, not a new one */
  second = daemon_start (&d, SPAMD_PROGRAM, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (second);
  g_assert_cmpstr (ss_spamd_daemon_get_address (second), ==,
                   ss_spamd_daemon_get_address (daemon));
  g_assert_cmpint (read_pid (d.runtime_dir), ==, pid);

  /* the first (which started it) leaves: spamd stays for the second */
  g_clear_object (&daemon);
  g_assert_cmpint (kill ((pid_t) pid, 0), ==, 0);
  client = client_new (ss_spamd_daemon_get_address (second), 10000);
  g_assert_true (ss_spamd_client_ping_sync (client, NULL, &error));
  g_assert_no_error (error);

  /* a third joins and leaves; then the last one stops it */
  third = daemon_start (&d, SPAMD_PROGRAM, 2, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&third);
  g_assert_true (ss_spamd_client_ping_sync (client, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&second);
  for (int i = 0; i < 100 && kill ((pid_t) pid, 0) == 0; i++)
    g_usleep (50 * 1000);  /* not our child: init reaps it */
  g_assert_cmpint (kill ((pid_t) pid, 0), ==, -1);
  g_assert_false (ss_spamd_client_ping_sync (client, NULL, &error));
  g_assert_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_CONNECT);
}

static void
test_daemon_cancel (void)
{
  g_auto(DaemonDirs) d = daemon_dirs_new ();
  g_autofree char *socket_path = g_build_filename (d.runtime_dir, "spamd.sock", NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(SsSpamdDaemon) daemon = NULL;
  g_autoptr(GError) error = NULL;
  GThread *thread = g_thread_new ("cancel", cancel_thread, cancellable);
  gint64 start = g_get_monotonic_time ();

  daemon = daemon_start (&d, SPAMD_PROGRAM, 2, cancellable, &error);
  g_thread_join (thread);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (daemon);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 7 * G_USEC_PER_SEC);
  g_assert_false (g_file_test (socket_path, G_FILE_TEST_EXISTS));
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/spamd-client/address/valid", test_address_valid);
  g_test_add_func ("/spamd-client/address/invalid", test_address_invalid);
  g_test_add_func ("/spamd-client/fake/request-format", test_fake_request_format);
  g_test_add_func ("/spamd-client/fake/tell-and-ping-format", test_fake_tell_and_ping_format);
  g_test_add_func ("/spamd-client/fake/no-spam-header", test_fake_no_spam_header);
  g_test_add_func ("/spamd-client/fake/garbage", test_fake_garbage);
  g_test_add_func ("/spamd-client/fake/oversized", test_fake_oversized);
  g_test_add_func ("/spamd-client/fake/close", test_fake_close);
  g_test_add_func ("/spamd-client/fake/refusal-codes", test_fake_refusal_and_codes);
  g_test_add_func ("/spamd-client/fake/early-refusal", test_fake_early_refusal);
  g_test_add_func ("/spamd-client/fake/already-learned", test_fake_already_learned);
  g_test_add_func ("/spamd-client/fake/stall-timeout", test_fake_stall_timeout);
  g_test_add_func ("/spamd-client/fake/cancel", test_cancel);
  g_test_add_func ("/spamd-client/connect/refused", test_connect_refused);
  g_test_add_func ("/spamd-client/connect/unresolvable", test_connect_unresolvable);
  if (!g_file_test (SPAMD_PROGRAM, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_message ("%s is not installed: skipping the tests that need spamd", SPAMD_PROGRAM);
      return g_test_run ();
    }

  g_test_add_func ("/spamd-client/spamd/ping", test_spamd_ping);
  g_test_add_func ("/spamd-client/spamd/gtube", test_spamd_gtube);
  g_test_add_func ("/spamd-client/spamd/ham", test_spamd_ham);
  g_test_add_func ("/spamd-client/spamd/parallel", test_spamd_parallel);
  g_test_add_func ("/spamd-client/spamd/tell", test_spamd_tell);
  g_test_add_func ("/spamd-client/spamd/tell-refused", test_spamd_tell_refused);
  g_test_add_func ("/spamd-client/spamd/down", test_spamd_down);
  g_test_add_func ("/spamd-client/daemon/start-stop", test_daemon_start_stop);
  g_test_add_func ("/spamd-client/daemon/bad-program", test_daemon_bad_program);
  g_test_add_func ("/spamd-client/daemon/unreachable-data-dir",
                   test_daemon_unreachable_data_dir);
  g_test_add_func ("/spamd-client/daemon/stale-and-shared", test_daemon_stale_and_shared);
  g_test_add_func ("/spamd-client/daemon/cancel", test_daemon_cancel);

  test_env.spamd = ss_test_spamd_start_checked (TRUE);
  test_env.address = ss_test_spamd_dup_address (test_env.spamd);
  test_env.gtube = ss_test_data_load ("gtube.eml");
  test_env.ham = ss_test_corpus_load ("ham");
  test_env.corpus = ss_test_corpus_load (NULL);

  status = g_test_run ();

  ss_test_spamd_stop (test_env.spamd);
  g_free (test_env.address);
  g_bytes_unref (test_env.gtube);
  g_ptr_array_unref (test_env.ham);
  g_ptr_array_unref (test_env.corpus);
  return status;
}
