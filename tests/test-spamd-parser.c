#define G_LOG_DOMAIN "test-spamd-parser"

#include "config.h"

#include <string.h>

#include "ss-error.h"
#include "ss-spamd-parser.h"
#include "ss-test-utils.h"

static SsSpamdReply *
parse (const char *text,
       gboolean    is_symbols,
       GError    **error)
{
  return ss_spamd_parse_reply ((const guint8 *) text, strlen (text), is_symbols, error);
}

static SsSpamdReply *
parse_ok (const char *text,
          gboolean    is_symbols)
{
  g_autoptr(GError) error = NULL;
  SsSpamdReply *reply = parse (text, is_symbols, &error);

  g_assert_no_error (error);
  g_assert_nonnull (reply);
  g_assert_nonnull (reply->body);
  g_assert_nonnull (reply->symbols);
  return reply;
}

static void
assert_protocol_error (const char *text,
                       gboolean    is_symbols)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsSpamdReply) reply = parse (text, is_symbols, &error);

  g_assert_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_PROTOCOL);
  g_assert_null (reply);
}

static void
assert_symbols (SsSpamdReply *reply,
                const char   *joined)
{
  g_autofree char *got = g_strjoinv (",", reply->symbols);

  g_assert_cmpstr (got, ==, joined);
}

static void
test_symbols_spam (void)
{
  g_autoptr(SsSpamdReply) r = parse_ok (
    "SPAMD/1.1 0 EX_OK\r\nContent-length: 103\r\nSpam: True ; 1004.2 / 5.0\r\n\r\n"
    "GTUBE,MISSING_DATE,MISSING_HEADERS,MISSING_MID,NO_HEADERS_MESSAGE,NO_RECEIVED,NO_RELAYS,"
    "TVD_SPACE_RATIO", TRUE);

  g_assert_cmpuint (r->version_major, ==, 1);
  g_assert_cmpuint (r->version_minor, ==, 1);
  g_assert_cmpuint (r->code, ==, 0);
  g_assert_cmpstr (r->message, ==, "EX_OK");
  g_assert_cmpint (r->content_length, ==, 103);
  g_assert_true (r->has_spam_header);
  g_assert_true (r->is_spam);
  g_assert_cmpfloat (r->score, ==, 1004.2);
  g_assert_cmpfloat (r->threshold, ==, 5.0);
  g_assert_cmpuint (g_bytes_get_size (r->body), ==, 103);
  g_assert_cmpuint (g_strv_length (r->symbols), ==, 8);
  g_assert_cmpstr (r->symbols[0], ==, "GTUBE");
  g_assert_cmpstr (r->symbols[7], ==, "TVD_SPACE_RATIO");
  g_assert_false (r->did_set_local);
  g_assert_false (r->did_remove_local);
}

static void
test_symbols_ham_negative (void)
{
  g_autoptr(SsSpamdReply) r = parse_ok (
    "SPAMD/1.1 0 EX_OK\r\nContent-length: 18\r\nSpam: False ; -3.2 / 5.0\r\n\r\n"
    "BAYES_00,DKIM_OK\r\n", TRUE);

  g_assert_true (r->has_spam_header);
  g_assert_false (r->is_spam);
  g_assert_cmpfloat (r->score, ==, -3.2);
  g_assert_cmpfloat (r->threshold, ==, 5.0);
  assert_symbols (r, "BAYES_00,DKIM_OK");
}

static void
test_symbols_trailing_crlf (void)
{
  g_autoptr(SsSpamdReply) with = parse_ok (
    "SPAMD/1.1 0 EX_OK\r\nSpam: False ; 0.0 / 5.0\r\n\r\nA, B ,,C\r\n", TRUE);
  g_autoptr(SsSpamdReply) without = parse_ok (
    "SPAMD/1.1 0 EX_OK\r\nSpam: False ; 0.0 / 5.0\r\n\r\nA, B ,,C", TRUE);
  g_autoptr(SsSpamdReply) empty = parse_ok (
    "SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam: False ; 0.0 / 5.0\r\n\r\n", TRUE);
  g_autoptr(SsSpamdReply) only_crlf = parse_ok (
    "SPAMD/1.1 0 EX_OK\r\nContent-length: 2\r\nSpam: False ; 0.0 / 5.0\r\n\r\n\r\n", TRUE);

  assert_symbols (with, "A,B,C");
  assert_symbols (without, "A,B,C");
  g_assert_cmpint (with->content_length, ==, -1);
  g_assert_cmpuint (g_strv_length (empty->symbols), ==, 0);
  g_assert_cmpuint (g_strv_length (only_crlf->symbols), ==, 0);
}

static void
test_yes_no (void)
{
  g_autoptr(SsSpamdReply) yes = parse_ok (
    "SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam: Yes ; 7.5 / 5.0\r\n\r\n", FALSE);
  g_autoptr(SsSpamdReply) no = parse_ok (
    "SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam: No ; 1.5 / 5.0\r\n\r\n", FALSE);
  g_autoptr(SsSpamdReply) check = parse_ok (
    "SPAMD/1.1 0 EX_OK\r\nSpam: True;15.2/5.0\r\n\r\n", FALSE);

  g_assert_true (yes->has_spam_header);
  g_assert_true (yes->is_spam);
  g_assert_cmpfloat (yes->score, ==, 7.5);
  g_assert_true (no->has_spam_header);
  g_assert_false (no->is_spam);
  g_assert_cmpfloat (no->score, ==, 1.5);
  g_assert_true (check->is_spam);
  g_assert_cmpfloat (check->score, ==, 15.2);
  /* not a SYMBOLS request: no symbols even with a body */
  g_assert_cmpuint (g_strv_length (check->symbols), ==, 0);
}

static void
test_bad_spam_header (void)
{
  const char *values[] = {
    "Maybe ; 1.0 / 5.0", "true ; 1.0 / 5.0", "True ; 1.0", "True 1.0 / 5.0",
    "True ; 1e999 / 5.0", "True ; 1e3 / 5.0", "True ; nan / 5.0", "True ; inf / 5.0",
    "True ; 0x10 / 5.0", "True ; 1.0 / 5.0 extra", "True ; 1,5 / 5.0", "True ; - / 5.0",
    "True ; 1.0 / ", "", "True ; 1..0 / 5.0", "True ; 1.0 / 5.0 / 6.0",
    "True ; 1000000000000000000000000000000000000000 / 5.0",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autofree char *text = g_strdup_printf ("SPAMD/1.1 0 EX_OK\r\nSpam: %s\r\n\r\n",
                                               values[i]);
      g_autoptr(SsSpamdReply) r = parse_ok (text, TRUE);

      g_test_message ("Spam: %s", values[i]);
      g_assert_false (r->has_spam_header);
      g_assert_false (r->is_spam);
    }
}

static void
test_missing_or_duplicate_spam_header (void)
{
  g_autoptr(SsSpamdReply) none = parse_ok ("SPAMD/1.1 0 EX_OK\r\n\r\n", TRUE);
  g_autoptr(SsSpamdReply) twice = parse_ok (
    "SPAMD/1.1 0 EX_OK\r\nSpam: True ; 9.0 / 5.0\r\nSpam: False ; 0.0 / 5.0\r\n\r\n", TRUE);

  g_assert_cmpuint (none->code, ==, 0);
  g_assert_false (none->has_spam_header);
  g_assert_false (twice->has_spam_header);
  g_assert_false (twice->is_spam);
}

static void
test_unknown_headers_and_case (void)
{
  g_autoptr(SsSpamdReply) r = parse_ok (
    "SPAMD/1.1 0 EX_OK\r\nX-Future: whatever: with colon\r\ncontent-LENGTH:  5 \r\n"
    "sPaM:\tTrue ; 5.0 / 5.0 \r\nEmpty:\r\n\r\nRULE1", TRUE);

  g_assert_cmpint (r->content_length, ==, 5);
  g_assert_true (r->has_spam_header);
  g_assert_true (r->is_spam);
  assert_symbols (r, "RULE1");
}

static void
test_lf_only (void)
{
  g_autoptr(SsSpamdReply) r = parse_ok (
    "SPAMD/1.1 0 EX_OK\nContent-length: 7\nSpam: False ; 2.5 / 5.0\n\nA,B,C\r\n", TRUE);

  g_assert_true (r->has_spam_header);
  g_assert_cmpfloat (r->score, ==, 2.5);
  assert_symbols (r, "A,B,C");
}

static void
test_ping_and_errors (void)
{
  g_autoptr(SsSpamdReply) pong = parse_ok ("SPAMD/1.5 0 PONG\r\n", FALSE);
  g_autoptr(SsSpamdReply) refused = parse_ok (
    "SPAMD/1.0 69 Service Unavailable: TELL commands are not enabled, set the --allow-tell "
    "switch.\r\n", FALSE);
  g_autoptr(SsSpamdReply) unavailable = parse_ok ("SPAMD/1.1 69 EX_UNAVAILABLE\r\n", TRUE);

  g_assert_cmpuint (pong->version_minor, ==, 5);
  g_assert_cmpstr (pong->message, ==, "PONG");
  g_assert_cmpuint (g_bytes_get_size (pong->body), ==, 0);
  g_assert_cmpuint (refused->code, ==, 69);
  g_assert_cmpuint (refused->version_minor, ==, 0);
  g_assert_nonnull (strstr (refused->message, "--allow-tell"));
  g_assert_cmpuint (unavailable->code, ==, 69);
  g_assert_cmpstr (unavailable->message, ==, "EX_UNAVAILABLE");
  g_assert_false (unavailable->has_spam_header);
  g_assert_cmpuint (g_strv_length (unavailable->symbols), ==, 0);
}

static void
test_tell (void)
{
  g_autoptr(SsSpamdReply) set = parse_ok ("SPAMD/1.1 0 EX_OK\r\nDidSet: local\r\n\r\n\r\n", FALSE);
  g_autoptr(SsSpamdReply) removed = parse_ok (
    "SPAMD/1.1 0 EX_OK\r\nDidRemove: remote, local\r\n\r\n\r\n", FALSE);
  g_autoptr(SsSpamdReply) nothing = parse_ok ("SPAMD/1.1 0 EX_OK\r\n\r\n\r\n", FALSE);
  g_autoptr(SsSpamdReply) remote = parse_ok ("SPAMD/1.1 0 EX_OK\r\nDidSet: remote\r\n\r\n",
                                             FALSE);

  g_assert_true (set->did_set_local);
  g_assert_false (set->did_remove_local);
  g_assert_cmpuint (g_bytes_get_size (set->body), ==, 2);
  g_assert_true (removed->did_remove_local);
  g_assert_false (removed->did_set_local);
  g_assert_false (nothing->did_set_local);
  g_assert_false (nothing->did_remove_local);
  g_assert_false (remote->did_set_local);
}

static void
test_bad_status_lines (void)
{
  const char *replies[] = {
    "", "SPAMD/1.1 0 EX_OK", "SPAMD/1.1 0", "SPAMD/1.1 0 \r\n", "SPAMD/1.1 0\r\n",
    "SPAMD/1.1\r\n", "SPAMD/1 0 EX_OK\r\n", "SPAMD/.1 0 EX_OK\r\n", "SPAMD/1. 0 EX_OK\r\n",
    "SPAMC/1.1 0 EX_OK\r\n", "spamd/1.1 0 EX_OK\r\n", "SPAMD/1.1 -1 EX_OK\r\n",
    "SPAMD/1.1 1000 EX_OK\r\n", "SPAMD/1.1  0 EX_OK\r\n", "SPAMD/1.1 0x1 EX_OK\r\n",
    "SPAMD/99999999999.1 0 EX_OK\r\n", "SPAMD/1.1 0 EX\rOK\r\n", "HTTP/1.1 200 OK\r\n\r\n",
    "\r\n", "SPAMD/1.1 0  EX_OK\r\n", "SPAMD/1.1 +0 EX_OK\r\n",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (replies); i++)
    {
      g_test_message ("reply: %s", replies[i]);
      assert_protocol_error (replies[i], TRUE);
    }
}

static void
test_truncated (void)
{
  /* the headers never end */
  assert_protocol_error ("SPAMD/1.1 0 EX_OK\r\nSpam: True ; 9.0 / 5.0\r\n", TRUE);
  assert_protocol_error ("SPAMD/1.1 0 EX_OK\r\nSpam: True ; 9.0", TRUE);
  /* the body is shorter than announced */
  assert_protocol_error ("SPAMD/1.1 0 EX_OK\r\nContent-length: 10\r\n"
                         "Spam: True ; 9.0 / 5.0\r\n\r\nGTUBE", TRUE);
}

static void
test_content_length (void)
{
  assert_protocol_error ("SPAMD/1.1 0 EX_OK\r\nContent-length: 2\r\n"
                         "Spam: True ; 9.0 / 5.0\r\n\r\nGTUBE", TRUE);
  assert_protocol_error ("SPAMD/1.1 0 EX_OK\r\nContent-length: 99999999999999999999999\r\n"
                         "Spam: True ; 9.0 / 5.0\r\n\r\n", TRUE);
  assert_protocol_error ("SPAMD/1.1 0 EX_OK\r\nContent-length: 9223372036854775807\r\n"
                         "Spam: True ; 9.0 / 5.0\r\n\r\n", TRUE);
  assert_protocol_error ("SPAMD/1.1 0 EX_OK\r\nContent-length: -1\r\n\r\n", TRUE);
  assert_protocol_error ("SPAMD/1.1 0 EX_OK\r\nContent-length: 1e3\r\n\r\n", TRUE);
  assert_protocol_error ("SPAMD/1.1 0 EX_OK\r\nContent-length:\r\n\r\n", TRUE);
  assert_protocol_error ("SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nContent-length: 0\r\n\r\n",
                         TRUE);
}

static void
test_bad_headers (void)
{
  g_autoptr(GString) many = g_string_new ("SPAMD/1.1 0 EX_OK\r\n");
  g_autoptr(GString) longline = g_string_new ("SPAMD/1.1 0 EX_OK\r\nX: ");

  assert_protocol_error ("SPAMD/1.1 0 EX_OK\r\nno colon here\r\n\r\n", TRUE);
  assert_protocol_error ("SPAMD/1.1 0 EX_OK\r\n: empty name\r\n\r\n", TRUE);
  assert_protocol_error ("SPAMD/1.1 0 EX_OK\r\nBad Name: x\r\n\r\n", TRUE);
  assert_protocol_error ("SPAMD/1.1 0 EX_OK\r\nX: a\rb\r\n\r\n", TRUE);

  for (int i = 0; i < 300; i++)
    g_string_append_printf (many, "X-%d: y\r\n", i);
  g_string_append (many, "\r\n");
  assert_protocol_error (many->str, TRUE);

  for (int i = 0; i < 9000; i++)
    g_string_append_c (longline, 'a');
  g_string_append (longline, "\r\n\r\n");
  assert_protocol_error (longline->str, TRUE);
}

static void
test_bad_symbols (void)
{
  g_autoptr(GString) many = g_string_new ("SPAMD/1.1 0 EX_OK\r\nSpam: True ; 9.0 / 5.0\r\n\r\n");

  assert_protocol_error ("SPAMD/1.1 0 EX_OK\r\nSpam: True ; 9.0 / 5.0\r\n\r\nA B,C", TRUE);
  assert_protocol_error ("SPAMD/1.1 0 EX_OK\r\nSpam: True ; 9.0 / 5.0\r\n\r\nA\001,C", TRUE);
  for (int i = 0; i < 5000; i++)
    g_string_append_printf (many, "R%d,", i);
  assert_protocol_error (many->str, TRUE);
}

static void
test_binary_garbage (void)
{
  const guint8 nul[] = "SPAMD/1.1 0 EX\0OK\r\n\r\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(SsSpamdReply) r = ss_spamd_parse_reply (nul, sizeof nul - 1, TRUE, &error);

  g_assert_error (error, SS_SPAMD_ERROR, SS_SPAMD_ERROR_PROTOCOL);
  g_assert_null (r);
  assert_protocol_error ("\xff\xfe garbage \x80\r\n", TRUE);
  assert_protocol_error ("GTUBE,SPAM\r\n", TRUE);
}

static const SsTestFunc tests[] = {
  SS_TEST_FUNC ("/spamd-parser/symbols/spam", test_symbols_spam),
  SS_TEST_FUNC ("/spamd-parser/symbols/ham-negative", test_symbols_ham_negative),
  SS_TEST_FUNC ("/spamd-parser/symbols/trailing-crlf", test_symbols_trailing_crlf),
  SS_TEST_FUNC ("/spamd-parser/symbols/bad", test_bad_symbols),
  SS_TEST_FUNC ("/spamd-parser/spam-header/yes-no", test_yes_no),
  SS_TEST_FUNC ("/spamd-parser/spam-header/bad", test_bad_spam_header),
  SS_TEST_FUNC ("/spamd-parser/spam-header/missing", test_missing_or_duplicate_spam_header),
  SS_TEST_FUNC ("/spamd-parser/headers/unknown-and-case", test_unknown_headers_and_case),
  SS_TEST_FUNC ("/spamd-parser/headers/bad", test_bad_headers),
  SS_TEST_FUNC ("/spamd-parser/lf-only", test_lf_only),
  SS_TEST_FUNC ("/spamd-parser/ping-and-errors", test_ping_and_errors),
  SS_TEST_FUNC ("/spamd-parser/tell", test_tell),
  SS_TEST_FUNC ("/spamd-parser/status/bad", test_bad_status_lines),
  SS_TEST_FUNC ("/spamd-parser/truncated", test_truncated),
  SS_TEST_FUNC ("/spamd-parser/content-length", test_content_length),
  SS_TEST_FUNC ("/spamd-parser/garbage", test_binary_garbage),
};

SS_TEST_FUNCS_MAIN (NULL)
