/* test-test-servers.c: the dovecot/spamd test harness works, checked from the outside */
#define G_LOG_DOMAIN "test-test-servers"

#include "config.h"

#include "ss-test-servers.h"
#include "ss-test-utils.h"

#include <string.h>

#define GTUBE "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

/* ---------------------------------------------------------------------------------------- */
/* A tiny IMAP client: lines, literals, STARTTLS. Every I/O error fails the test. */

typedef struct
{
  GSocketConnection *socket;
  GIOStream         *stream;  /* socket or TLS on top of it */
  GDataInputStream  *in;
  guint              tag;
  char              *greeting;
} Imap;

static void
imap_set_stream (Imap      *imap,
                 GIOStream *stream)
{
  if (imap->in != NULL)
    g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (imap->in), FALSE);
  g_clear_object (&imap->in);
  if (imap->stream != G_IO_STREAM (imap->socket))
    g_clear_object (&imap->stream);
  imap->stream = stream;
  imap->in = g_data_input_stream_new (g_io_stream_get_input_stream (stream));
  g_data_input_stream_set_newline_type (imap->in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
}

static GIOStream *
tls_wrap (GIOStream  *base,
          const char *ca_file,
          const char *host,
          GError    **error)
{
  g_autoptr(GSocketConnectable) identity = g_network_address_new (host, 993);
  g_autoptr(GIOStream) tls = g_tls_client_connection_new (base, identity, error);

  if (tls == NULL)
    return NULL;
  if (ca_file != NULL)
    {
      g_autoptr(GTlsDatabase) database = g_tls_file_database_new (ca_file, error);

      if (database == NULL)
        return NULL;
      g_tls_connection_set_database (G_TLS_CONNECTION (tls), database);
    }
  if (!g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, error))
    return NULL;
  return g_steal_pointer (&tls);
}

static char *
imap_read_line (Imap *imap)
{
  g_autoptr(GError) error = NULL;
  char *line = g_data_input_stream_read_line (imap->in, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (line);
  return line;
}

static void
imap_free (Imap *imap)
{
  g_clear_object (&imap->in);
  if (imap->stream != G_IO_STREAM (imap->socket))
    g_clear_object (&imap->stream);
  g_clear_object (&imap->socket);
  g_free (imap->greeting);
  g_free (imap);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Imap, imap_free)

/* Connects to 127.0.0.1:port; with ca_file and implicit_tls, IMAPS checked for host. */
static Imap *
imap_connect (guint16     port,
              const char *ca_file,
              const char *host,
              GError    **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string ("127.0.0.1", port);
  g_autoptr(Imap) imap = g_new0 (Imap, 1);

  g_socket_client_set_enable_proxy (client, FALSE);
  imap->socket = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, error);
  if (imap->socket == NULL)
    return NULL;
  g_socket_set_timeout (g_socket_connection_get_socket (imap->socket), 30);
  if (host == NULL)
    imap_set_stream (imap, G_IO_STREAM (imap->socket));
  else
    {
      GIOStream *tls = tls_wrap (G_IO_STREAM (imap->socket), ca_file, host, error);

      if (tls == NULL)
        return NULL;
      imap_set_stream (imap, tls);
    }
  imap->greeting = imap_read_line (imap);
  g_assert_true (g_str_has_prefix (imap->greeting, "* OK"));
  return g_steal_pointer (&imap);
}

static void
imap_write (Imap       *imap,
            const void *data,
            gsize       len)
{
  g_autoptr(GError) error = NULL;
  GOutputStream *out = g_io_stream_get_output_stream (imap->stream);

  g_output_stream_write_all (out, data, len, NULL, NULL, &error);
  g_assert_no_error (error);
}

/* Appends a response line to the transcript, reading a trailing {N} literal too. */
static void
imap_read_response_line (Imap    *imap,
                         GString *transcript,
                         char   **line_out)
{
  g_autofree char *line = imap_read_line (imap);
  const char *brace = strrchr (line, '{');

  g_string_append_printf (transcript, "%s\r\n", line);
  while (brace != NULL && g_str_has_suffix (line, "}"))
    {
      g_autoptr(GError) error = NULL;
      guint64 n = g_ascii_strtoull (brace + 1, NULL, 10);
      g_autofree char *literal = g_malloc (n + 1);
      gsize got = 0;

      g_input_stream_read_all (G_INPUT_STREAM (imap->in), literal, n, &got, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (got, ==, n);
      g_string_append_len (transcript, literal, n);
      g_free (line);
      line = imap_read_line (imap);
      g_string_append_printf (transcript, "%s\r\n", line);
      brace = strrchr (line, '{');
    }
  *line_out = g_steal_pointer (&line);
}

/* Sends "tN command" (+ an optional LITERAL+ literal) and returns everything up to the tagged
 * reply; *ok tells whether that reply was OK. */
static char *
imap_command_full (Imap       *imap,
                   GBytes     *literal,
                   gboolean   *ok,
                   const char *format,
                   ...)
{
  g_autofree char *tag = g_strdup_printf ("t%u", ++imap->tag);
  g_autofree char *command = NULL;
  g_autofree char *prefix = g_strconcat (tag, " ", NULL);
  g_autoptr(GString) transcript = g_string_new (NULL);
  va_list args;

  va_start (args, format);
  command = g_strdup_vprintf (format, args);
  va_end (args);
  imap_write (imap, prefix, strlen (prefix));
  imap_write (imap, command, strlen (command));
  if (literal != NULL)
    {
      g_autofree char *head = g_strdup_printf (" {%zu+}\r\n", g_bytes_get_size (literal));

      imap_write (imap, head, strlen (head));
      imap_write (imap, g_bytes_get_data (literal, NULL), g_bytes_get_size (literal));
    }
  imap_write (imap, "\r\n", 2);
  for (;;)
    {
      g_autofree char *line = NULL;

      imap_read_response_line (imap, transcript, &line);
      if (g_str_has_prefix (line, prefix))
        {
          *ok = g_str_has_prefix (line + strlen (prefix), "OK");
          return g_string_free (g_steal_pointer (&transcript), FALSE);
        }
    }
}

#define imap_ok(imap, ...) imap_expect (imap, TRUE, __VA_ARGS__)
#define imap_no(imap, ...) imap_expect (imap, FALSE, __VA_ARGS__)

static char *
imap_expect (Imap       *imap,
             gboolean    want_ok,
             const char *command)
{
  gboolean ok = FALSE;
  char *transcript = imap_command_full (imap, NULL, &ok, "%s", command);

  if (ok != want_ok)
    g_error ("%s: expected %s, got:\n%s", command, want_ok ? "OK" : "NO/BAD", transcript);
  return transcript;
}

static void
imap_starttls (Imap       *imap,
               const char *ca_file)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = imap_ok (imap, "STARTTLS");
  GIOStream *tls = tls_wrap (G_IO_STREAM (imap->socket), ca_file, "localhost", &error);

  g_assert_no_error (error);
  imap_set_stream (imap, tls);
}

/* STARTTLS + LOGIN on the plain port, the way SpamSieve connects by default. */
static Imap *
imap_login (SsTestDovecot *dovecot)
{
  g_autoptr(GError) error = NULL;
  Imap *imap = imap_connect (ss_test_dovecot_get_imap_port (dovecot), NULL, NULL, &error);
  g_autofree char *reply = NULL;

  g_assert_no_error (error);
  imap_starttls (imap, ss_test_dovecot_get_ca_file (dovecot));
  reply = imap_ok (imap, "LOGIN tester secret");
  return imap;
}

/* The first literal of a transcript (FETCH BODY[]). */
static GBytes *
first_literal (const char *transcript,
               gsize       transcript_len)
{
  const char *brace = strchr (transcript, '{');
  const char *end = brace != NULL ? strstr (brace, "}\r\n") : NULL;
  guint64 n;

  g_assert_nonnull (end);
  n = g_ascii_strtoull (brace + 1, NULL, 10);
  g_assert_cmpuint (end + 3 + n - transcript, <=, transcript_len);
  return g_bytes_new (end + 3, n);
}

static SsTestDovecot *
start_dovecot (const SsTestDovecotOptions *options)
{
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  SsTestDovecot *dovecot = ss_test_dovecot_start (options, &error);

  g_assert_no_error (error);
  g_test_message ("dovecot started in %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - start) / 1000);
  return dovecot;
}

/* dovecot logged nothing worse than Info (failed logins are Info with auth_verbose). */
static void
assert_clean_log (SsTestDovecot *dovecot)
{
  g_autofree char *log = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (ss_test_dovecot_get_log_file (dovecot), &log, NULL, &error);
  g_assert_no_error (error);
  if (strstr (log, "Warning:") != NULL || strstr (log, "Error:") != NULL
      || strstr (log, "Fatal:") != NULL || strstr (log, "Panic:") != NULL)
    g_error ("dovecot logged problems:\n%s", log);
}

static void
assert_bytes_equal (GBytes *actual,
                    GBytes *expected)
{
  gsize actual_len = 0, expected_len = 0;
  const guint8 *a = g_bytes_get_data (actual, &actual_len);
  const guint8 *e = g_bytes_get_data (expected, &expected_len);

  g_assert_cmpmem (a, actual_len, e, expected_len);
}

/* ---------------------------------------------------------------------------------------- */
/* dovecot */

static void
test_dovecot_login (void)
{
  g_autoptr(GError) error = NULL;
  SsTestDovecot *dovecot = start_dovecot (NULL);
  const char *ca = ss_test_dovecot_get_ca_file (dovecot);
  guint16 imaps = ss_test_dovecot_get_imaps_port (dovecot);
  g_autofree char *reply = NULL;
  g_autoptr(Imap) plain = NULL;
  g_autoptr(Imap) secure = NULL;
  g_autoptr(Imap) untrusted = NULL;

  g_assert_cmpint (ss_test_dovecot_get_delimiter (dovecot), ==, '/');
  g_assert_true (g_file_test (ca, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (ss_test_dovecot_get_dir (dovecot), G_FILE_TEST_IS_DIR));
  g_assert_cmpuint (ss_test_dovecot_get_imap_port (dovecot), !=, imaps);

  /* plain port: STARTTLS offered, no LOGIN before it */
  plain = imap_connect (ss_test_dovecot_get_imap_port (dovecot), NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (plain->greeting, " STARTTLS"));
  g_free (imap_no (plain, "LOGIN tester secret"));
  imap_starttls (plain, ca);
  g_free (imap_no (plain, "LOGIN tester wrong"));
  g_free (imap_ok (plain, "LOGIN tester secret"));
  reply = imap_ok (plain, "CAPABILITY");
  g_assert_nonnull (strstr (reply, " MOVE "));
  g_assert_nonnull (strstr (reply, " IDLE "));
  g_assert_null (strstr (reply, "SPECIAL-USE"));
  g_free (reply);
  reply = imap_ok (plain, "LIST \"\" \"*\"");
  g_assert_nonnull (strstr (reply, "\"/\" INBOX\r\n"));
  g_assert_nonnull (strstr (reply, "\"/\" Unfiltered\r\n"));
  g_free (reply);
  reply = imap_ok (plain, "SELECT INBOX");
  g_assert_nonnull (strstr (reply, "* 0 EXISTS\r\n"));

  /* IMAPS, certificate checked against the IP address SAN */
  secure = imap_connect (imaps, ca, "127.0.0.1", &error);
  g_assert_no_error (error);
  g_free (imap_ok (secure, "LOGIN tester secret"));

  /* without the test CA the certificate is refused */
  untrusted = imap_connect (imaps, NULL, "localhost", &error);
  g_assert_null (untrusted);
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);

  g_assert_true (ss_test_dovecot_folder_exists (dovecot, "INBOX"));
  g_assert_true (ss_test_dovecot_folder_exists (dovecot, "Unfiltered"));
  g_assert_false (ss_test_dovecot_folder_exists (dovecot, "Nope"));
  assert_clean_log (dovecot);
  ss_test_dovecot_stop (dovecot);
}

static SsTestStoredMessage *
the_only_message (GPtrArray *messages)
{
  g_assert_cmpuint (messages->len, ==, 1);
  return messages->pdata[0];
}

/* IDLE (inotify on the maildir) reports a message added behind dovecot's back at once. */
static void
assert_idle_sees_new_message (SsTestDovecot *dovecot,
                              Imap          *imap,
                              GBytes        *message)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cont = NULL;
  g_autofree char *exists = NULL;
  g_autofree char *done = NULL;
  gint64 start;

  imap_write (imap, "i1 IDLE\r\n", strlen ("i1 IDLE\r\n"));
  cont = imap_read_line (imap);
  g_assert_true (g_str_has_prefix (cont, "+ "));
  start = g_get_monotonic_time ();
  ss_test_dovecot_add_message (dovecot, "INBOX", message, "", 0, &error);
  g_assert_no_error (error);
  exists = imap_read_line (imap);
  g_assert_cmpstr (exists, ==, "* 2 EXISTS");
  g_test_message ("IDLE saw the new message after %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - start) / 1000);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  imap_write (imap, "DONE\r\n", strlen ("DONE\r\n"));
  do
    {
      g_free (done);
      done = imap_read_line (imap);
    }
  while (!g_str_has_prefix (done, "i1 "));
  g_assert_true (g_str_has_prefix (done, "i1 OK"));
}

static void
test_dovecot_store (void)
{
  g_autoptr(GError) error = NULL;
  SsTestDovecot *dovecot = start_dovecot (NULL);
  g_autoptr(GBytes) gtube = ss_test_data_load ("gtube.eml");
  g_autoptr(GBytes) fetched = NULL;
  g_autoptr(GBytes) literal = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(Imap) imap = imap_login (dovecot);
  g_autofree char *spam_dir = NULL;
  g_autofree char *reply = imap_ok (imap, "SELECT INBOX");
  SsTestStoredMessage *stored;

  /* a message dropped into cur/ shows up on the next NOOP, with its flags and date */
  ss_test_dovecot_add_message (dovecot, "INBOX", gtube, "S", 1600000000, &error);
  g_assert_no_error (error);
  g_free (reply);
  reply = imap_ok (imap, "NOOP");
  g_assert_nonnull (strstr (reply, "* 1 EXISTS\r\n"));
  g_free (reply);
  reply = imap_ok (imap, "FETCH 1 (FLAGS INTERNALDATE BODY.PEEK[])");
  g_assert_nonnull (strstr (reply, "\\Seen"));
  g_assert_nonnull (strstr (reply, "INTERNALDATE \"13-Sep-2020 12:26:40 +0000\""));
  literal = first_literal (reply, strlen (reply));
  fetched = ss_test_as_fetched (gtube);
  assert_bytes_equal (literal, fetched);

  assert_idle_sees_new_message (dovecot, imap, gtube);
  g_free (reply);
  reply = imap_ok (imap, "STORE 2 +FLAGS.SILENT (\\Deleted)");
  g_free (reply);
  reply = imap_ok (imap, "EXPUNGE");

  messages = ss_test_dovecot_list_messages (dovecot, "INBOX");
  stored = the_only_message (messages);
  assert_bytes_equal (stored->content, gtube);
  g_assert_cmpstr (stored->flags, ==, "S");
  g_assert_cmpuint (g_strv_length (stored->keywords), ==, 0);

  /* keywords set over IMAP are read back through dovecot-keywords */
  g_free (reply);
  reply = imap_ok (imap, "STORE 1 +FLAGS ($Junk \\Flagged)");
  g_ptr_array_unref (messages);
  messages = ss_test_dovecot_list_messages (dovecot, "INBOX");
  stored = the_only_message (messages);
  g_assert_cmpstr (stored->flags, ==, "FS");
  g_assert_cmpstrv (stored->keywords, ((const char * const[]) { "$Junk", NULL }));

  /* nested folders become maildir++ ".A.B" directories, created on demand */
  ss_test_dovecot_add_message (dovecot, "Spam/False Positives", gtube, "SF", 0, &error);
  g_assert_no_error (error);
  spam_dir = g_build_filename (ss_test_dovecot_get_dir (dovecot), "Maildir",
                               ".Spam.False Positives", "cur", NULL);
  g_assert_true (g_file_test (spam_dir, G_FILE_TEST_IS_DIR));
  g_free (reply);
  reply = imap_ok (imap, "LIST \"\" \"*\"");
  g_assert_nonnull (strstr (reply, "\"/\" \"Spam/False Positives\"\r\n"));
  g_free (reply);
  reply = imap_ok (imap, "SELECT \"Spam/False Positives\"");
  g_assert_nonnull (strstr (reply, "* 1 EXISTS\r\n"));
  g_ptr_array_unref (messages);
  messages = ss_test_dovecot_list_messages (dovecot, "Spam/False Positives");
  g_assert_cmpstr (the_only_message (messages)->flags, ==, "FS");

  /* non-ASCII names are modified UTF-7, as dovecot names them */
  ss_test_dovecot_create_folder (dovecot, "Entw\xc3\xbc" "rfe", &error);
  g_assert_no_error (error);
  g_free (reply);
  reply = imap_ok (imap, "LIST \"\" \"Entw*\"");
  g_assert_nonnull (strstr (reply, "\"/\" Entw&APw-rfe\r\n"));
  g_assert_true (ss_test_dovecot_folder_exists (dovecot, "Entw\xc3\xbc" "rfe"));

  g_assert_false (ss_test_dovecot_create_folder (dovecot, "a.b", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_ptr_array_unref (messages);
  messages = ss_test_dovecot_list_messages (dovecot, "Missing");
  g_assert_cmpuint (messages->len, ==, 0);
  assert_clean_log (dovecot);
  ss_test_dovecot_stop (dovecot);
}

static GPtrArray *
exactness_samples (void)
{
  static const char * const names[] = {
    "gtube.eml", "adversarial-imap-syntax.eml", "adversarial-8bit.eml",
    "adversarial-long-header.eml", "adversarial-encoded-words.eml",
    "adversarial-no-headers.eml", "adversarial-binary.eml",
  };
  GPtrArray *samples = ss_test_corpus_load (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_ptr_array_add (samples, ss_test_data_load (names[i]));
  return samples;
}

/* Every sample is in folder, byte for byte, and nothing else. */
static void
assert_folder_holds (SsTestDovecot *dovecot,
                     const char    *folder,
                     GPtrArray     *samples)
{
  g_assert_cmpuint (ss_test_count_stored (dovecot, folder, NULL), ==, samples->len);
  for (guint i = 0; i < samples->len; i++)
    if (ss_test_count_stored (dovecot, folder, samples->pdata[i]) == 0)
      g_error ("%s: sample %u is not stored byte for byte", folder, i);
}

/* What the harness promises about dovecot: FETCH + APPEND and MOVE keep the bytes. */
static void
test_dovecot_bytes_exact (void)
{
  SsTestDovecot *dovecot = start_dovecot (NULL);
  g_autoptr(GPtrArray) samples = exactness_samples ();
  g_autoptr(GPtrArray) left = NULL;
  g_autoptr(Imap) imap = imap_login (dovecot);

  g_free (imap_ok (imap, "CREATE Exact"));
  g_free (imap_ok (imap, "CREATE Moved"));
  for (guint i = 0; i < samples->len; i++)
    {
      g_autoptr(GBytes) wire = ss_test_as_fetched (samples->pdata[i]);
      gboolean ok = FALSE;
      g_autofree char *reply = imap_command_full (imap, wire, &ok, "APPEND Exact");

      g_assert_true (ok);
    }
  assert_folder_holds (dovecot, "Exact", samples);

  g_free (imap_ok (imap, "SELECT Exact"));
  for (guint i = 0; i < samples->len; i++)
    {
      g_autofree char *command = g_strdup_printf ("FETCH %u BODY.PEEK[]", i + 1);
      g_autofree char *reply = imap_ok (imap, command);
      g_autoptr(GBytes) literal = first_literal (reply, strlen (reply));
      g_autoptr(GBytes) expected = ss_test_as_fetched (samples->pdata[i]);

      assert_bytes_equal (literal, expected);
    }
  g_free (imap_ok (imap, "MOVE 1:* Moved"));
  assert_folder_holds (dovecot, "Moved", samples);
  left = ss_test_dovecot_list_messages (dovecot, "Exact");
  g_assert_cmpuint (left->len, ==, 0);
  assert_clean_log (dovecot);
  ss_test_dovecot_stop (dovecot);
}

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* The words of the "* CAPABILITY" line of a CAPABILITY transcript, sorted, "+"-joined. */
static char *
capability_words (const char *transcript,
                  const char *drop1,
                  const char *drop2,
                  const char *add)
{
  const char *line = strstr (transcript, "* CAPABILITY ");
  g_autofree char *text = g_strndup (line + 13, strcspn (line + 13, "\r"));
  g_auto(GStrv) words = g_strsplit (text, " ", -1);
  g_autoptr(GPtrArray) kept = g_ptr_array_new ();

  for (guint i = 0; words[i] != NULL; i++)
    if (g_strcmp0 (words[i], drop1) != 0 && g_strcmp0 (words[i], drop2) != 0)
      g_ptr_array_add (kept, words[i]);
  if (add != NULL)
    g_ptr_array_add (kept, (char *) add);
  g_ptr_array_sort (kept, compare_strings);
  g_ptr_array_add (kept, NULL);
  return g_strjoinv ("+", (char **) kept->pdata);
}

/* Exactly the stock list minus MOVE and IDLE: the harness's list matches this dovecot. */
static void
assert_stock_minus_move_idle (SsTestDovecot *stock_dovecot,
                              const char    *reply)
{
  g_autoptr(Imap) stock = imap_login (stock_dovecot);
  g_autofree char *stock_reply = imap_ok (stock, "CAPABILITY");
  g_autofree char *expected = capability_words (stock_reply, "MOVE", "IDLE", "SPECIAL-USE");
  g_autofree char *actual = capability_words (reply, NULL, NULL, NULL);

  g_assert_cmpstr (actual, ==, expected);
}

static void
test_dovecot_options (void)
{
  g_autoptr(GError) error = NULL;
  SsTestDovecotOptions options = {
    .no_move = TRUE, .no_idle = TRUE, .delimiter = '.', .no_unfiltered = TRUE,
    .special_use_junk = TRUE, .plaintext_ok = TRUE,
  };
  SsTestDovecot *other = start_dovecot (NULL);
  SsTestDovecot *dovecot = start_dovecot (&options);
  g_autoptr(GBytes) gtube = ss_test_data_load ("gtube.eml");
  g_autoptr(GPtrArray) sub = NULL;
  g_autoptr(Imap) imap = NULL;
  g_autofree char *reply = NULL;

  /* two servers side by side: nothing shared */
  g_assert_cmpstr (ss_test_dovecot_get_dir (other), !=, ss_test_dovecot_get_dir (dovecot));
  g_assert_cmpuint (ss_test_dovecot_get_imap_port (other), !=,
                    ss_test_dovecot_get_imap_port (dovecot));
  g_assert_cmpint (ss_test_dovecot_get_delimiter (dovecot), ==, '.');

  /* plaintext_ok: LOGIN without TLS */
  imap = imap_connect (ss_test_dovecot_get_imap_port (dovecot), NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (strstr (imap->greeting, " MOVE"));
  g_free (imap_ok (imap, "LOGIN tester secret"));
  reply = imap_ok (imap, "CAPABILITY");
  g_assert_null (strstr (reply, " MOVE"));
  g_assert_null (strstr (reply, " IDLE"));
  g_assert_nonnull (strstr (reply, " UIDPLUS"));
  g_assert_nonnull (strstr (reply, " LITERAL+"));
  g_assert_nonnull (strstr (reply, " SPECIAL-USE"));
  assert_stock_minus_move_idle (other, reply);

  ss_test_dovecot_add_message (dovecot, "Spam/Sub", gtube, "", 0, &error);
  g_assert_no_error (error);
  g_free (reply);
  reply = imap_ok (imap, "LIST \"\" \"*\"");
  g_assert_nonnull (strstr (reply, "(\\HasNoChildren \\Junk) \".\" Junk\r\n"));
  g_assert_nonnull (strstr (reply, "\".\" Spam.Sub\r\n"));
  g_assert_null (strstr (reply, "Unfiltered"));
  g_assert_false (ss_test_dovecot_folder_exists (dovecot, "Unfiltered"));
  g_free (reply);
  reply = imap_ok (imap, "SELECT Spam.Sub");
  g_assert_nonnull (strstr (reply, "* 1 EXISTS\r\n"));
  sub = ss_test_dovecot_list_messages (dovecot, "Spam/Sub");
  g_assert_cmpstr (the_only_message (sub)->flags, ==, "");
  assert_clean_log (dovecot);
  ss_test_dovecot_stop (dovecot);
  ss_test_dovecot_stop (other);
}

/* ---------------------------------------------------------------------------------------- */
/* spamd, spoken to in raw SPAMC/1.5 */

static char *
read_to_eof (GInputStream *in,
             GError      **error)
{
  g_autoptr(GString) reply = g_string_new (NULL);
  char buf[4096];
  gssize n;

  while ((n = g_input_stream_read (in, buf, sizeof buf, NULL, error)) > 0)
    g_string_append_len (reply, buf, n);
  if (n < 0)
    return NULL;
  return g_string_free (g_steal_pointer (&reply), FALSE);
}

static char *
spamd_request (guint16     port,
               const char *head,
               GBytes     *body,
               GError    **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string ("127.0.0.1", port);
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GString) request = g_string_new (head);
  GOutputStream *out;

  g_socket_client_set_enable_proxy (client, FALSE);
  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, error);
  if (connection == NULL)
    return NULL;
  if (body != NULL)
    g_string_append_printf (request, "Content-length: %zu\r\n", g_bytes_get_size (body));
  g_string_append (request, "\r\n");
  if (body != NULL)
    g_string_append_len (request, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  if (!g_output_stream_write_all (out, request->str, request->len, NULL, NULL, error)
      || !g_socket_shutdown (g_socket_connection_get_socket (connection), FALSE, TRUE, error))
    return NULL;
  return read_to_eof (g_io_stream_get_input_stream (G_IO_STREAM (connection)), error);
}

static char *
spamd_ok (SsTestSpamd *spamd,
          const char  *head,
          GBytes      *body)
{
  g_autoptr(GError) error = NULL;
  char *reply = spamd_request (ss_test_spamd_get_port (spamd), head, body, &error);

  g_assert_no_error (error);
  return reply;
}

static SsTestSpamd *
start_spamd (gboolean allow_tell)
{
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  SsTestSpamd *spamd = ss_test_spamd_start (allow_tell, &error);

  g_assert_no_error (error);
  g_test_message ("spamd started in %.1f s", (g_get_monotonic_time () - start) / 1e6);
  return spamd;
}

/* The score in a "Spam: True ; 1000.0 / 5.0" header. */
static double
spam_score (const char *reply)
{
  const char *spam = strstr (reply, "\r\nSpam: ");
  const char *semicolon = spam != NULL ? strchr (spam, ';') : NULL;

  g_assert_nonnull (semicolon);
  return g_ascii_strtod (semicolon + 1, NULL);
}

static void
test_spamd_gtube (void)
{
  g_autoptr(GError) error = NULL;
  SsTestSpamd *spamd = start_spamd (TRUE);
  g_autoptr(GBytes) gtube = ss_test_data_load ("gtube.eml");
  g_autofree char *address = ss_test_spamd_dup_address (spamd);
  g_autofree char *expected = g_strdup_printf ("127.0.0.1:%u", ss_test_spamd_get_port (spamd));
  g_autofree char *toks = g_build_filename (ss_test_spamd_get_dir (spamd), "bayes",
                                            "bayes_toks", NULL);
  g_autofree char *reply = spamd_ok (spamd, "PING SPAMC/1.5\r\n", NULL);
  gint64 start;
  guint n_spam = 0, n_ham = 0;

  g_assert_cmpstr (address, ==, expected);
  g_assert_true (g_str_has_prefix (reply, "SPAMD/1.5 0 PONG\r\n"));

  g_free (reply);
  start = g_get_monotonic_time ();
  reply = spamd_ok (spamd, "SYMBOLS SPAMC/1.5\r\n", gtube);
  g_test_message ("GTUBE scanned in %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - start) / 1000);
  g_assert_true (g_str_has_prefix (reply, "SPAMD/1.1 0 EX_OK\r\n"));
  g_assert_nonnull (strstr (reply, "\r\nSpam: True ; "));
  g_assert_cmpfloat (spam_score (reply), >=, 1000.0);
  g_assert_nonnull (strstr (strstr (reply, "\r\n\r\n"), "GTUBE"));

  /* TELL learns into the private Bayes DB */
  g_free (reply);
  reply = spamd_ok (spamd, "TELL SPAMC/1.5\r\nMessage-class: spam\r\nSet: local\r\n"
                    "User: tester\r\n", gtube);
  g_assert_nonnull (strstr (reply, "\r\nDidSet: local\r\n"));
  g_assert_true (g_file_test (toks, G_FILE_TEST_IS_REGULAR));
  ss_test_spamd_get_learned (spamd, &n_spam, &n_ham, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n_spam, ==, 1);
  g_assert_cmpuint (n_ham, ==, 0);
  g_assert_true (g_file_test (ss_test_spamd_get_log_file (spamd), G_FILE_TEST_IS_REGULAR));
  ss_test_spamd_stop (spamd);
}

static void
test_spamd_restart (void)
{
  g_autoptr(GError) error = NULL;
  SsTestSpamd *spamd = start_spamd (FALSE);
  guint16 port = ss_test_spamd_get_port (spamd);
  g_autoptr(GBytes) gtube = ss_test_data_load ("gtube.eml");
  g_autofree char *reply = spamd_ok (spamd, "TELL SPAMC/1.5\r\nMessage-class: spam\r\n"
                                     "Set: local\r\n", gtube);
  char *none;

  /* without allow_tell spamd refuses to learn (EX_UNAVAILABLE) */
  g_assert_true (g_str_has_prefix (reply, "SPAMD/1.0 69 "));

  ss_test_spamd_kill (spamd);
  none = spamd_request (port, "PING SPAMC/1.5\r\n", NULL, &error);
  g_assert_null (none);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_clear_error (&error);

  ss_test_spamd_restart (spamd, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ss_test_spamd_get_port (spamd), ==, port);
  g_free (reply);
  reply = spamd_ok (spamd, "PING SPAMC/1.5\r\n", NULL);
  g_assert_true (g_str_has_prefix (reply, "SPAMD/1.5 0 PONG\r\n"));

  /* restart while running */
  ss_test_spamd_restart (spamd, &error);
  g_assert_no_error (error);
  g_free (reply);
  reply = spamd_ok (spamd, "SYMBOLS SPAMC/1.5\r\n", gtube);
  g_assert_nonnull (strstr (reply, "\r\nSpam: True ; "));
  ss_test_spamd_stop (spamd);
}

/* The committed corpus is clear-cut for spamd -L (see tests/data/ATTRIBUTION.md). */
static void
test_spamd_corpus_verdicts (void)
{
  SsTestSpamd *spamd = start_spamd (FALSE);
  g_autoptr(GPtrArray) spam = ss_test_corpus_load ("spam");
  g_autoptr(GPtrArray) ham = ss_test_corpus_load ("ham");

  for (guint i = 0; i < spam->len; i++)
    {
      g_autofree char *reply = spamd_ok (spamd, "CHECK SPAMC/1.5\r\n", spam->pdata[i]);

      if (spam_score (reply) < 8.0)
        g_error ("spam %u scored %.1f", i + 1, spam_score (reply));
    }
  for (guint i = 0; i < ham->len; i++)
    {
      g_autofree char *reply = spamd_ok (spamd, "CHECK SPAMC/1.5\r\n", ham->pdata[i]);

      if (spam_score (reply) > 2.5)
        g_error ("ham %u scored %.1f", i + 1, spam_score (reply));
    }
  ss_test_spamd_stop (spamd);
}

/* ---------------------------------------------------------------------------------------- */
/* Test data and helpers */

static void
assert_clean_sample (GBytes *message)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (message, &len);

  g_assert_cmpuint (len, >, 0);
  g_assert_false (len >= 5 && memcmp (data, "From ", 5) == 0);
  g_assert_null (memchr (data, '\0', len));
  g_assert_null (g_strstr_len (data, len, "\r\n"));
}

static void
test_corpus (void)
{
  g_autoptr(GPtrArray) all = ss_test_corpus_load (NULL);
  g_autoptr(GPtrArray) spam = ss_test_corpus_load ("spam");
  g_autoptr(GPtrArray) ham = ss_test_corpus_load ("ham");
  g_autoptr(GPtrArray) samples = exactness_samples ();
  g_autoptr(GBytes) gtube = ss_test_data_load ("gtube.eml");

  g_assert_cmpuint (ham->len, ==, 24);
  g_assert_cmpuint (spam->len, ==, 12);
  g_assert_cmpuint (all->len, ==, 36);
  /* sorted by name: ham-* before spam-* */
  g_assert_true (g_bytes_equal (all->pdata[0], ham->pdata[0]));
  g_assert_true (g_bytes_equal (all->pdata[24], spam->pdata[0]));
  for (guint i = 0; i < samples->len; i++)
    assert_clean_sample (samples->pdata[i]);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (gtube, NULL), g_bytes_get_size (gtube),
                                  GTUBE));
}

static void
test_byte_helpers (void)
{
  g_autoptr(GBytes) mixed = g_bytes_new_static ("a\r\nb\nc\rd\0e\n", 11);
  g_autoptr(GBytes) fetched = ss_test_as_fetched (mixed);
  g_autoptr(GBytes) appended = ss_test_as_appended (fetched);
  g_autoptr(GError) error = NULL;
  guint16 port = ss_test_pick_free_port (&error);
  g_autofree char *tmp = ss_test_mkdtemp ();
  g_autofree char *sub = g_build_filename (tmp, "a", "b", NULL);

  g_assert_cmpmem (g_bytes_get_data (fetched, NULL), g_bytes_get_size (fetched),
                   "a\r\nb\r\nc\rd\x80" "e\r\n", 13);
  g_assert_cmpmem (g_bytes_get_data (appended, NULL), g_bytes_get_size (appended),
                   "a\nb\nc\rd\x80" "e\n", 10);
  g_assert_no_error (error);
  g_assert_cmpuint (port, >, 0);
  g_assert_cmpint (g_mkdir_with_parents (sub, 0700), ==, 0);
  ss_test_rmrf (tmp);
  g_assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
}

static const SsTestFunc tests[] = {
  SS_TEST_FUNC ("/spamsieve/test-servers/data/corpus", test_corpus),
  SS_TEST_FUNC ("/spamsieve/test-servers/data/byte-helpers", test_byte_helpers),
  SS_TEST_FUNC ("/spamsieve/test-servers/dovecot/login", test_dovecot_login),
  SS_TEST_FUNC ("/spamsieve/test-servers/dovecot/store", test_dovecot_store),
  SS_TEST_FUNC ("/spamsieve/test-servers/dovecot/bytes-exact", test_dovecot_bytes_exact),
  SS_TEST_FUNC ("/spamsieve/test-servers/dovecot/options", test_dovecot_options),
  SS_TEST_FUNC ("/spamsieve/test-servers/spamd/gtube", test_spamd_gtube),
  SS_TEST_FUNC ("/spamsieve/test-servers/spamd/restart", test_spamd_restart),
  SS_TEST_FUNC ("/spamsieve/test-servers/spamd/corpus-verdicts", test_spamd_corpus_verdicts),
};

SS_TEST_FUNCS_MAIN (NULL)
