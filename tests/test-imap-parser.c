/* test-imap-parser.c: the byte-exact, bounded IMAP response parser */
#define G_LOG_DOMAIN "test-imap-parser"

#include "config.h"

#include <string.h>

#include "ss-imap-parser.h"
#include "ss-test-utils.h"

/* ---------------------------------------------------------------------------------------- */
/* Helpers                                                                                   */

/* A tree as text: atoms bare, strings quoted (\xNN for bytes outside printable ASCII, \" \\),
 * NIL, lists in parens. Distinguishes every node type, so assertions on it are exact. */
static void
append_node (GString          *out,
             const SsImapNode *node)
{
  switch (node->type)
    {
    case SS_IMAP_NODE_ATOM:
      g_assert_cmpuint (strlen (node->data), ==, node->len);
      g_string_append_len (out, node->data, node->len);
      break;
    case SS_IMAP_NODE_NIL:
      g_assert_null (node->data);
      g_string_append (out, "NIL");
      break;
    case SS_IMAP_NODE_STRING:
      g_assert_cmpint (node->data[node->len], ==, '\0');
      g_string_append_c (out, '"');
      for (gsize i = 0; i < node->len; i++)
        {
          guint8 c = node->data[i];

          if (c == '"' || c == '\\')
            g_string_append_printf (out, "\\%c", c);
          else if (c >= 0x20 && c < 0x7f)
            g_string_append_c (out, c);
          else
            g_string_append_printf (out, "\\x%02x", c);
        }
      g_string_append_c (out, '"');
      break;
    case SS_IMAP_NODE_LIST:
    default:
      g_string_append_c (out, '(');
      for (guint i = 0; i < ss_imap_list_length (node); i++)
        {
          if (i > 0)
            g_string_append_c (out, ' ');
          append_node (out, ss_imap_list_get (node, i));
        }
      g_string_append_c (out, ')');
      break;
    }
}

static char *
node_to_string (const SsImapNode *node)
{
  GString *out = g_string_new (NULL);

  if (node == NULL)
    g_string_append (out, "<null>");
  else
    append_node (out, node);
  return g_string_free (out, FALSE);
}

static SsImapResponse *
parse_full_len (const void         *buf,
                gsize               len,
                const SsImapLimits *limits)
{
  g_autoptr(GError) error = NULL;
  SsImapResponse *response = NULL;
  gsize consumed = 0;
  SsImapParseResult result;

  result = ss_imap_parse_response (buf, len, limits, &consumed, &response, &error);
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, SS_IMAP_PARSE_DONE);
  g_assert_nonnull (response);
  g_assert_cmpuint (consumed, ==, len);
  return response;
}

/* Parses a whole string, which must be exactly one response. */
static SsImapResponse *
parse_full (const char *str)
{
  return parse_full_len (str, strlen (str), NULL);
}

static void
assert_parses (const char         *str,
               const SsImapLimits *limits)
{
  g_autoptr(SsImapResponse) response = parse_full_len (str, strlen (str), limits);
}

static void
assert_tokens_len (const char *input,
                   gsize       len,
                   const char *expected)
{
  g_autoptr(SsImapResponse) response = parse_full_len (input, len, NULL);
  g_autofree char *tokens = node_to_string (response->tokens);

  g_assert_cmpint (response->kind, ==, SS_IMAP_RESPONSE_UNTAGGED);
  g_assert_cmpint (response->status, ==, SS_IMAP_STATUS_NONE);
  g_assert_null (response->tag);
  g_assert_null (response->code);
  g_assert_null (response->text);
  g_assert_cmpstr (tokens, ==, expected);
}

static void
assert_tokens (const char *input,
               const char *expected)
{
  assert_tokens_len (input, strlen (input), expected);
}

static void
assert_fails_len (const void         *buf,
                  gsize               len,
                  const SsImapLimits *limits,
                  SsImapParseError    code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsImapResponse) response = NULL;
  gsize consumed = 12345;

  g_assert_cmpint (ss_imap_parse_response (buf, len, limits, &consumed, &response, &error), ==,
                   SS_IMAP_PARSE_FAILED);
  g_assert_error (error, SS_IMAP_PARSE_ERROR, (int) code);
  g_assert_null (response);
}

static void
assert_fails (const char       *str,
              SsImapParseError  code)
{
  assert_fails_len (str, strlen (str), NULL, code);
}

/* Returns the INCOMPLETE hint. */
static gsize
assert_incomplete_len (const void         *buf,
                       gsize               len,
                       const SsImapLimits *limits)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsImapResponse) response = NULL;
  gsize consumed = 0;

  g_assert_cmpint (ss_imap_parse_response (buf, len, limits, &consumed, &response, &error), ==,
                   SS_IMAP_PARSE_INCOMPLETE);
  g_assert_no_error (error);
  g_assert_null (response);
  g_assert_cmpuint (consumed, >, len);
  return consumed;
}

static void
small_limits (SsImapLimits *limits)
{
  ss_imap_limits_init_default (limits);
  limits->max_literal = 100;
  limits->max_line = 32;
  limits->max_response = 1000;
  limits->max_depth = 4;
  limits->max_tokens = 50;
}

/* ---------------------------------------------------------------------------------------- */
/* Untagged data responses                                                                   */

static void
test_fetch (void)
{
  static const char input[] =
    "* 3 FETCH (UID 7 FLAGS (\\Seen $Junk) RFC822.SIZE 1234 "
    "INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" BODY[] {5}\r\nhello)\r\n";
  g_autoptr(SsImapResponse) response = parse_full (input);
  g_autofree char *tokens = node_to_string (response->tokens);
  const SsImapNode *attrs = ss_imap_list_get (response->tokens, 2);
  const SsImapNode *body;
  guint32 uid = 0;
  guint64 size = 0;

  g_assert_cmpstr (tokens, ==,
                   "(3 FETCH (UID 7 FLAGS (\\Seen $Junk) RFC822.SIZE 1234 "
                   "INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" BODY[] \"hello\"))");
  g_assert_cmpuint (ss_imap_list_length (response->tokens), ==, 3);
  g_assert_cmpuint (ss_imap_list_length (attrs), ==, 10);
  g_assert_true (ss_imap_node_to_uint32 (ss_imap_fetch_get (attrs, "uid"), &uid));
  g_assert_cmpuint (uid, ==, 7);
  g_assert_true (ss_imap_node_to_uint64 (ss_imap_fetch_get (attrs, "RFC822.SIZE"), &size));
  g_assert_cmpuint (size, ==, 1234);
  body = ss_imap_fetch_get (attrs, "BODY[]");
  g_assert_nonnull (body);
  g_assert_cmpint (body->type, ==, SS_IMAP_NODE_STRING);
  g_assert_cmpuint (body->len, ==, 5);
  g_assert_cmpmem (body->data, body->len, "hello", 5);
}

static void
test_list (void)
{
  assert_tokens ("* LIST (\\HasNoChildren \\Junk) \"/\" \"Spam/False Positives\"\r\n",
                 "(LIST (\\HasNoChildren \\Junk) \"/\" \"Spam/False Positives\")");
  assert_tokens ("* LIST () \".\" {5}\r\nIN&AB\r\n", "(LIST () \".\" \"IN&AB\")");
  assert_tokens ("* LIST (\\Noselect) NIL \"\"\r\n", "(LIST (\\Noselect) NIL \"\")");
  assert_tokens ("* LSUB () \"/\" Junk]x\r\n", "(LSUB () \"/\" Junk]x)");
}

static void
test_simple_untagged (void)
{
  assert_tokens ("* SEARCH 1 2 3\r\n", "(SEARCH 1 2 3)");
  assert_tokens ("* SEARCH\r\n", "(SEARCH)");
  assert_tokens ("* ESEARCH (TAG \"A1\") UID ALL 1:5\r\n", "(ESEARCH (TAG \"A1\") UID ALL 1:5)");
  assert_tokens ("* 4 EXISTS\r\n", "(4 EXISTS)");
  assert_tokens ("* 2 EXPUNGE\r\n", "(2 EXPUNGE)");
  assert_tokens ("* 0 RECENT\r\n", "(0 RECENT)");
  assert_tokens ("* CAPABILITY IMAP4rev1 IDLE MOVE AUTH=PLAIN\r\n",
                 "(CAPABILITY IMAP4rev1 IDLE MOVE AUTH=PLAIN)");
  assert_tokens ("* FLAGS (\\Answered \\Seen)\r\n", "(FLAGS (\\Answered \\Seen))");
  assert_tokens ("* STATUS INBOX (MESSAGES 3)\r\n", "(STATUS INBOX (MESSAGES 3))");
  assert_tokens ("* VANISHED (EARLIER) 1:3\r\n", "(VANISHED (EARLIER) 1:3)");
  assert_tokens ("* ENABLED UTF8=ACCEPT\r\n", "(ENABLED UTF8=ACCEPT)");
  assert_tokens ("* ID (\"name\" \"Dovecot\")\r\n", "(ID (\"name\" \"Dovecot\"))");
  assert_tokens ("* ID NIL\r\n", "(ID NIL)");
  /* A word merely starting like a status word is data. */
  assert_tokens ("* OKAY 1\r\n", "(OKAY 1)");
  assert_tokens ("* NOOP\r\n", "(NOOP)");
}

static void
test_tolerance (void)
{
  /* Bare LF, several spaces, no space before/after parens. */
  assert_tokens ("* 4 EXISTS\n", "(4 EXISTS)");
  assert_tokens ("*    1   FETCH   (  UID   7  )   \r\n", "(1 FETCH (UID 7))");
  assert_tokens ("* 1 FETCH(FLAGS(\\Seen)UID 3)\r\n", "(1 FETCH (FLAGS (\\Seen) UID 3))");
  assert_tokens ("* 1 FETCH (BODY[] {2}\nab)\n", "(1 FETCH (BODY[] \"ab\"))");
  /* An empty list and nested empty lists. */
  assert_tokens ("* X () (()) ((a) b)\r\n", "(X () (()) ((a) b))");
}

static void
test_nil (void)
{
  assert_tokens ("* X NIL nil Nil \"NIL\" NILS NIL[]\r\n",
                 "(X NIL NIL NIL \"NIL\" NILS NIL[])");
  {
    g_autoptr(SsImapResponse) response = parse_full ("* X NIL \"NIL\"\r\n");

    g_assert_cmpint (ss_imap_list_get (response->tokens, 1)->type, ==, SS_IMAP_NODE_NIL);
    g_assert_cmpint (ss_imap_list_get (response->tokens, 2)->type, ==, SS_IMAP_NODE_STRING);
    g_assert_false (ss_imap_node_is_atom (ss_imap_list_get (response->tokens, 1), "NIL"));
  }
}

static void
test_quoted (void)
{
  g_autoptr(SsImapResponse) response = parse_full ("* X \"a\\\\b\\\"c\" \"\" \"\xc3\xbc\xff\"\r\n");
  const SsImapNode *s = ss_imap_list_get (response->tokens, 1);

  g_assert_cmpint (s->type, ==, SS_IMAP_NODE_STRING);
  g_assert_cmpuint (s->len, ==, 5);
  g_assert_cmpmem (s->data, s->len, "a\\b\"c", 5);
  g_assert_cmpuint (ss_imap_list_get (response->tokens, 2)->len, ==, 0);
  s = ss_imap_list_get (response->tokens, 3);
  g_assert_cmpuint (s->len, ==, 3);
  g_assert_cmpmem (s->data, s->len, "\xc3\xbc\xff", 3);

  /* Other backslashes are kept; parens, braces and brackets inside quotes are data. */
  assert_tokens ("* X \"\\Seen\" \"( ) { } [ ] {5}\"\r\n", "(X \"\\\\Seen\" \"( ) { } [ ] {5}\")");
  assert_fails ("* X \"abc\r\n", SS_IMAP_PARSE_ERROR_SYNTAX);
  assert_fails ("* X \"abc\\\"\r\n", SS_IMAP_PARSE_ERROR_SYNTAX);
  assert_fails_len ("* X \"a\0b\"\r\n", 11, NULL, SS_IMAP_PARSE_ERROR_SYNTAX);
  assert_fails ("* X \"a\rb\"\r\n", SS_IMAP_PARSE_ERROR_SYNTAX);
}

static void
test_section_atoms (void)
{
  g_autoptr(SsImapResponse) response = NULL;
  const SsImapNode *attrs;
  const SsImapNode *hdr;

  assert_tokens ("* 1 FETCH (BODY[HEADER.FIELDS (FROM SUBJECT)] {6}\r\nFrom:\n "
                 "BODY[]<0> \"x\" BINARY[1] \"y\" BODY[1.MIME] NIL)\r\n",
                 "(1 FETCH (BODY[HEADER.FIELDS (FROM SUBJECT)] \"From:\\x0a\" "
                 "BODY[]<0> \"x\" BINARY[1] \"y\" BODY[1.MIME] NIL))");
  /* Nested brackets and a ')' inside the section do not end the list. */
  assert_tokens ("* 1 FETCH (X[a[b] (c)]y 1)\r\n", "(1 FETCH (X[a[b] (c)]y 1))");

  response = parse_full ("* 1 FETCH (BODY[HEADER.FIELDS (FROM)] {3}\r\nabc BODY[] {2}\r\nxy)\r\n");
  attrs = ss_imap_list_get (response->tokens, 2);
  hdr = ss_imap_fetch_get (attrs, "BODY[HEADER.FIELDS (FROM)]");
  g_assert_nonnull (hdr);
  g_assert_cmpmem (hdr->data, hdr->len, "abc", 3);
  g_assert_cmpmem (ss_imap_fetch_get (attrs, "body[]")->data, 2, "xy", 2);
  g_assert_null (ss_imap_fetch_get (attrs, "BODY"));
  g_assert_null (ss_imap_fetch_get (attrs, "BODY[HEADER]"));

  assert_fails ("* 1 FETCH (BODY[HEADER\r\n", SS_IMAP_PARSE_ERROR_SYNTAX);
  assert_fails ("* 1 FETCH (BODY[\x01])\r\n", SS_IMAP_PARSE_ERROR_SYNTAX);
}

/* ---------------------------------------------------------------------------------------- */
/* Literals                                                                                  */

static GBytes *
make_fetch (const guint8 *body,
            gsize         body_len,
            const char   *literal_open)
{
  GByteArray *buf = g_byte_array_new ();
  g_autofree char *head = g_strdup_printf ("* 12 FETCH (UID 99 BODY[] %s%" G_GSIZE_FORMAT "}\r\n",
                                           literal_open, body_len);

  g_byte_array_append (buf, (const guint8 *) head, strlen (head));
  g_byte_array_append (buf, body, body_len);
  g_byte_array_append (buf, (const guint8 *) " FLAGS (\\Seen))\r\n", 17);
  return g_byte_array_free_to_bytes (buf);
}

static void
check_literal_body (const guint8 *body,
                    gsize         body_len,
                    const char   *literal_open)
{
  g_autoptr(GBytes) bytes = make_fetch (body, body_len, literal_open);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autoptr(SsImapResponse) response = parse_full_len (data, len, NULL);
  const SsImapNode *attrs = ss_imap_list_get (response->tokens, 2);
  const SsImapNode *node = ss_imap_fetch_get (attrs, "BODY[]");

  g_assert_cmpuint (ss_imap_list_length (attrs), ==, 6);
  g_assert_nonnull (node);
  g_assert_cmpint (node->type, ==, SS_IMAP_NODE_STRING);
  g_assert_cmpuint (node->len, ==, body_len);
  g_assert_true (memcmp (node->data, body, body_len) == 0);
  g_assert_cmpint (node->data[body_len], ==, '\0');
  g_assert_true (ss_imap_node_is_atom (ss_imap_list_get (attrs, 4), "FLAGS"));
}

static void
test_literal_byte_exact (void)
{
  static const char *bodies[] = {
    "A0005 OK done\r\n* 3 EXPUNGE\r\n{999}\r\n)\r\n",
    ")",
    "(",
    "\"",
    "{5}\r\n",
    "\r\n",
    "\n",
    "\r",
    "abc\rdef\nghi",
    "* BYE\r\nA1 OK\r\n+ go\r\n",
    "\xff\xfe\xc3\x28\xa0\xa1\xe2\x82\x28\xf0\x28\x8c\x28\x80",
    "~{3}\r\n",
    "",
  };
  static const guint8 nuls[] = { 0, 'a', 0, 0, '\r', '\n', 0 };
  g_autofree guint8 *big = g_malloc (12 * 1024 + 2);
  guint8 all[256];

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      check_literal_body ((const guint8 *) bodies[i], strlen (bodies[i]), "{");
      check_literal_body ((const guint8 *) bodies[i], strlen (bodies[i]), "~{");
    }
  check_literal_body (nuls, sizeof nuls, "{");

  for (guint i = 0; i < 256; i++)
    all[i] = (guint8) (255 - i);
  check_literal_body (all, sizeof all, "~{");

  /* A single 12 kB line, longer than anything a line-based reader would expect. */
  memset (big, 'x', 12 * 1024);
  big[12 * 1024] = '\r';
  big[12 * 1024 + 1] = '\n';
  check_literal_body (big, 12 * 1024 + 2, "{");
}

static void
test_literal_forms (void)
{
  assert_tokens ("* X {3+}\r\nabc\r\n", "(X \"abc\")");
  assert_tokens_len ("* X ~{3}\r\na\0c\r\n", 15, "(X \"a\\x00c\")");
  assert_tokens ("* X {0}\r\n\r\n", "(X \"\")");
  assert_tokens ("* X {00003}\r\nabc\r\n", "(X \"abc\")");
  assert_tokens ("* X {1}\r\n( {1}\r\n)\r\n", "(X \"(\" \")\")");
  assert_tokens ("* X ({1}\r\na{1}\r\nb)\r\n", "(X (\"a\" \"b\"))");
  assert_tokens ("* X ~ ~a\r\n", "(X ~ ~a)");

  assert_fails ("* X {}\r\n", SS_IMAP_PARSE_ERROR_SYNTAX);
  assert_fails ("* X {-5}\r\nabcde\r\n", SS_IMAP_PARSE_ERROR_SYNTAX);
  assert_fails ("* X {+5}\r\nabcde\r\n", SS_IMAP_PARSE_ERROR_SYNTAX);
  assert_fails ("* X { 5}\r\nabcde\r\n", SS_IMAP_PARSE_ERROR_SYNTAX);
  assert_fails ("* X {5 }\r\nabcde\r\n", SS_IMAP_PARSE_ERROR_SYNTAX);
  assert_fails ("* X {0x5}\r\nabcde\r\n", SS_IMAP_PARSE_ERROR_SYNTAX);
  assert_fails ("* X {5}x\r\nabcde\r\n", SS_IMAP_PARSE_ERROR_SYNTAX);
  assert_fails ("* X {5} \r\nabcde\r\n", SS_IMAP_PARSE_ERROR_SYNTAX);
  assert_fails ("* X {5\r\nabcde\r\n", SS_IMAP_PARSE_ERROR_SYNTAX);
  assert_fails ("* X {5++}\r\nabcde\r\n", SS_IMAP_PARSE_ERROR_SYNTAX);
}

static void
test_literal_too_large (void)
{
  SsImapLimits limits;

  /* Refused from the header line alone: no data has arrived. */
  assert_fails ("* 1 FETCH (BODY[] {4294967296}\r\n", SS_IMAP_PARSE_ERROR_TOO_LARGE);
  assert_fails ("* 1 FETCH (BODY[] {99999999999999999999}\r\n", SS_IMAP_PARSE_ERROR_TOO_LARGE);
  assert_fails ("* 1 FETCH (BODY[] {18446744073709551616}\r\n", SS_IMAP_PARSE_ERROR_TOO_LARGE);
  assert_fails ("* 1 FETCH (BODY[] ~{67108865}\r\n", SS_IMAP_PARSE_ERROR_TOO_LARGE);
  assert_fails ("* X {67108865+}\r\n", SS_IMAP_PARSE_ERROR_TOO_LARGE);
  /* Exactly the default maximum is acceptable: wait for it. */
  g_assert_cmpuint (assert_incomplete_len ("* X {67108864}\r\n", 16, NULL), ==, 16 + 67108864 + 1);

  small_limits (&limits);
  g_assert_cmpuint (assert_incomplete_len ("* X {100}\r\n", 11, &limits), ==, 11 + 100 + 1);
  assert_fails_len ("* X {101}\r\n", 11, &limits, SS_IMAP_PARSE_ERROR_TOO_LARGE);
  /* The whole response must fit max_response, literals included. */
  limits.max_literal = 5000;
  assert_fails_len ("* X {990}\r\n", 11, &limits, SS_IMAP_PARSE_ERROR_TOO_LARGE);
  g_assert_cmpuint (assert_incomplete_len ("* X {987}\r\n", 11, &limits), ==, 999);
}

static void
test_literal_incomplete_hint (void)
{
  static const char head[] = "* 1 FETCH (BODY[] {50000000}\r\n";
  gsize k = strlen (head);
  g_autofree guint8 *buf = g_malloc0 (k + 1000);

  memcpy (buf, head, k);
  g_assert_cmpuint (assert_incomplete_len (buf, k, NULL), ==, k + 50000000 + 1);
  g_assert_cmpuint (assert_incomplete_len (buf, k + 1000, NULL), ==, k + 50000000 + 1);
  /* Inside the header line: one more byte. */
  g_assert_cmpuint (assert_incomplete_len (buf, k - 1, NULL), ==, k);
  g_assert_cmpuint (assert_incomplete_len (buf, 1, NULL), ==, 2);
  g_assert_cmpuint (assert_incomplete_len (buf, 0, NULL), ==, 1);
}

/* Feeds a 4 MB literal the way the client does (retry only once the hint is reached): the
 * parser runs a handful of times, not once per chunk. */
static void
test_literal_streaming (void)
{
  gsize body_len = 4 * 1024 * 1024;
  g_autofree guint8 *body = g_malloc (body_len);
  g_autoptr(GBytes) bytes = NULL;
  const guint8 *data;
  gsize len;
  gsize avail = 0;
  gsize need = 1;
  guint calls = 0;

  for (gsize i = 0; i < body_len; i++)
    body[i] = (guint8) (i * 7 + (i >> 11));
  bytes = make_fetch (body, body_len, "{");
  data = g_bytes_get_data (bytes, &len);

  for (;;)
    {
      g_autoptr(SsImapResponse) response = NULL;
      gsize consumed = 0;
      SsImapParseResult result;

      avail = MIN (len, avail + 1500);
      if (avail < need)
        continue;
      calls++;
      result = ss_imap_parse_response (data, avail, NULL, &consumed, &response, NULL);
      if (result == SS_IMAP_PARSE_DONE)
        {
          const SsImapNode *node = ss_imap_fetch_get (ss_imap_list_get (response->tokens, 2),
                                                      "BODY[]");
          g_assert_cmpuint (consumed, ==, len);
          g_assert_cmpuint (node->len, ==, body_len);
          g_assert_true (memcmp (node->data, body, body_len) == 0);
          break;
        }
      g_assert_cmpint (result, ==, SS_IMAP_PARSE_INCOMPLETE);
      g_assert_cmpuint (consumed, >, avail);
      g_assert_cmpuint (consumed, <=, len);
      need = consumed;
    }
  g_assert_cmpuint (calls, <=, 3);
}

/* ---------------------------------------------------------------------------------------- */
/* Framing                                                                                   */

static void
test_back_to_back (void)
{
  static const char first[] = "* 1 FETCH (UID 10 BODY[] {12}\r\nA1 OK done\r\n)\r\n";
  static const char second[] = "* 2 FETCH (UID 11 BODY[] {5}\r\n)\r\n\r\n)\r\n";
  static const char third[] = "A1 OK Fetch completed.\r\n";
  g_autofree char *all = g_strconcat (first, second, third, "* 3 EX", NULL);
  gsize len = strlen (all);
  gsize off = 0;
  const char *expected[] = {
    "(1 FETCH (UID 10 BODY[] \"A1 OK done\\x0d\\x0a\"))",
    "(2 FETCH (UID 11 BODY[] \")\\x0d\\x0a\\x0d\\x0a\"))",
  };

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(SsImapResponse) response = NULL;
      g_autoptr(GError) error = NULL;
      gsize consumed = 0;

      g_assert_cmpint (ss_imap_parse_response ((const guint8 *) all + off, len - off, NULL,
                                               &consumed, &response, &error), ==,
                       SS_IMAP_PARSE_DONE);
      g_assert_no_error (error);
      if (i < 2)
        {
          g_autofree char *tokens = node_to_string (response->tokens);
          g_assert_cmpstr (tokens, ==, expected[i]);
        }
      else
        {
          g_assert_cmpstr (response->tag, ==, "A1");
          g_assert_cmpstr (response->text, ==, "Fetch completed.");
        }
      g_assert_cmpuint (consumed, ==, strlen (i == 0 ? first : i == 1 ? second : third));
      off += consumed;
    }
  g_assert_cmpuint (assert_incomplete_len (all + off, len - off, NULL), ==, len - off + 1);
}

/* Every prefix is INCOMPLETE with a hint in (prefix, full length]; the full buffer gives the
 * same tree as parsing it at once. */
static void
check_incremental (const char *input,
                   gsize       len)
{
  g_autoptr(SsImapResponse) whole = parse_full_len (input, len, NULL);
  g_autofree char *expected = node_to_string (whole->tokens);

  for (gsize k = 0; k < len; k++)
    {
      gsize hint = assert_incomplete_len (input, k, NULL);

      g_assert_cmpuint (hint, <=, len);
    }
  {
    g_autoptr(SsImapResponse) again = parse_full_len (input, len, NULL);
    g_autofree char *tokens = node_to_string (again->tokens);

    g_assert_cmpstr (tokens, ==, expected);
    g_assert_cmpstr (again->text, ==, whole->text);
  }
}

static void
test_incremental (void)
{
  static const char fetch[] =
    "* 3 FETCH (UID 7 FLAGS (\\Seen $Junk) BODY[HEADER.FIELDS (FROM)] {7}\r\nFrom:\r\n"
    " INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" BODY[] {29}\r\n"
    "A0005 OK done\r\n{999}\r\n)\r\n\"(\r\n)\r\n";
  static const char literal_last[] = "* LIST () \".\" {5}\r\nIN&AB\n";

  check_incremental (fetch, strlen (fetch));
  check_incremental (literal_last, strlen (literal_last));
  check_incremental ("A17 OK [COPYUID 5 1:3 7:9] Done\r\n", 33);
  check_incremental ("+ \r\n", 4);
  check_incremental ("* X {0}\r\n\r\n", 11);
}

static void
test_overlong_line (void)
{
  SsImapLimits limits;
  gsize big = 1024 * 1024 + 2;
  g_autofree char *buf = g_malloc (big + 2);

  /* Default max_line (1 MiB): refused while the CRLF is still missing. */
  memcpy (buf, "* X ", 4);
  memset (buf + 4, 'a', big - 4);
  assert_fails_len (buf, big, NULL, SS_IMAP_PARSE_ERROR_TOO_LARGE);
  assert_fails_len (buf, 1024 * 1024 + 1, NULL, SS_IMAP_PARSE_ERROR_TOO_LARGE);
  assert_incomplete_len (buf, 1024 * 1024, NULL);
  buf[1024 * 1024] = '\r';
  assert_incomplete_len (buf, 1024 * 1024 + 1, NULL);
  buf[1024 * 1024 + 1] = '\n';
  ss_imap_response_free (parse_full_len (buf, 1024 * 1024 + 2, NULL));
  g_clear_pointer (&buf, g_free);

  small_limits (&limits);
  /* 32 bytes of content are fine, 33 are not, with or without the CRLF present. */
  assert_parses ("* X 0123456789012345678901234567\r\n", &limits);
  assert_fails_len ("* X 01234567890123456789012345678\r\n", 35, &limits,
                    SS_IMAP_PARSE_ERROR_TOO_LARGE);
  assert_fails_len ("* X 01234567890123456789012345678", 33, &limits,
                    SS_IMAP_PARSE_ERROR_TOO_LARGE);
  assert_incomplete_len ("* X 0123456789012345678901234567\r", 33, &limits);
  /* The limit applies to each line between literals (literal bytes excluded). */
  assert_parses ("* X 012345678901234567890123 {3}\r\n"
                 "abc 0123456789012345678901234567890\r\n", &limits);
  assert_fails_len ("* X {3}\r\nabc 01234567890123456789012345678901\r\n", 47, &limits,
                    SS_IMAP_PARSE_ERROR_TOO_LARGE);
  assert_fails_len ("* X {3}\r\nabc 01234567890123456789012345678901", 45, &limits,
                    SS_IMAP_PARSE_ERROR_TOO_LARGE);
}

static void
test_max_response (void)
{
  SsImapLimits limits;
  GString *s = g_string_new ("* X");

  small_limits (&limits);
  limits.max_response = 40;
  while (s->len < 38)
    g_string_append (s, " {1}\r\nx");
  /* 3 + 7 * 5 = 38 bytes, then CRLF makes 40: exactly the limit. */
  g_string_set_size (s, 38);
  g_string_append (s, "\r\n");
  assert_parses (s->str, &limits);
  g_string_set_size (s, 38);
  g_string_append (s, " \r\n");
  assert_fails_len (s->str, s->len, &limits, SS_IMAP_PARSE_ERROR_TOO_LARGE);
  /* Refused as soon as more bytes than the limit are buffered without an end. */
  g_string_set_size (s, 38);
  g_string_append (s, "  ");
  assert_fails_len (s->str, s->len, &limits, SS_IMAP_PARSE_ERROR_TOO_LARGE);
  g_string_free (s, TRUE);
}

/* head, then open repeated n times, then close repeated n times, then tail. */
static char *
nested (const char *head,
        const char *open,
        const char *close,
        gsize       n,
        const char *tail)
{
  GString *s = g_string_new (head);

  for (gsize i = 0; i < n; i++)
    g_string_append (s, open);
  for (gsize i = 0; i < n; i++)
    g_string_append (s, close);
  g_string_append (s, tail);
  return g_string_free (s, FALSE);
}

static void
test_deep_nesting (void)
{
  const struct
  {
    const char *head, *open, *close;
    gsize       depth;
    const char *tail;
  } too_deep[] = {
    { "* X ", "(", ")", 33, "\r\n" },
    /* Far deeper, unterminated, and spread over literals: still TOO_DEEP, no stack overflow. */
    { "* X ", "(", "", 200000, "\r\n" },
    { "* X", " ({0}\r\n", "", 40, "\r\n" },
    /* Inside a response code too. */
    { "* OK [X ", "(", "", 33, "]\r\n" },
  };
  g_autofree char *deepest = nested ("* X ", "(", ")", 32, "\r\n");

  assert_parses (deepest, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (too_deep); i++)
    {
      g_autofree char *text = nested (too_deep[i].head, too_deep[i].open, too_deep[i].close,
                                      too_deep[i].depth, too_deep[i].tail);

      assert_fails_len (text, strlen (text), NULL, SS_IMAP_PARSE_ERROR_TOO_DEEP);
    }
}

static void
test_max_tokens (void)
{
  SsImapLimits limits;

  ss_imap_limits_init_default (&limits);
  limits.max_tokens = 5;
  /* The top-level list counts: 1 + 4 nodes. */
  assert_parses ("* A B () D\r\n", &limits);
  assert_fails_len ("* A B () D E\r\n", 14, &limits, SS_IMAP_PARSE_ERROR_TOO_LARGE);
  assert_fails_len ("* A (B C) {1}\r\nx\r\n", 18, &limits, SS_IMAP_PARSE_ERROR_TOO_LARGE);
  /* Code lists count as well. */
  assert_fails_len ("A1 OK [X (1 2 3 4)] t\r\n", 23, &limits, SS_IMAP_PARSE_ERROR_TOO_LARGE);
}

static void
test_syntax_errors (void)
{
  static const char *bad[] = {
    "\r\n",
    "\n",
    "*\r\n",
    "* \r\n",
    "*   \r\n",
    "*X\r\n",
    "* X )\r\n",
    "* X (\r\n",
    "* X (a (b)\r\n",
    "* X \x01\r\n",
    "* X a\rb\r\n",
    "* X \xc3\xbc\r\n",
    "* X {5}\r\n12345 \x80\r\n",
    "A1\r\n",
    "A1 \r\n",
    "A1 FETCH\r\n",
    "A1 BYE now\r\n",
    "A1 PREAUTH\r\n",
    "A+1 OK\r\n",
    "A\\1 OK\r\n",
    "(A1 OK\r\n",
    " A1 OK\r\n",
    "\xff OK\r\n",
    "* OK a\rb\r\n",
    "+ a\rb\r\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      assert_fails (bad[i], SS_IMAP_PARSE_ERROR_SYNTAX);
    }
  assert_fails_len ("* X a\0b\r\n", 9, NULL, SS_IMAP_PARSE_ERROR_SYNTAX);
  assert_fails_len ("* OK a\0b\r\n", 10, NULL, SS_IMAP_PARSE_ERROR_SYNTAX);
  assert_fails_len ("\0\r\n", 3, NULL, SS_IMAP_PARSE_ERROR_SYNTAX);
}

/* ---------------------------------------------------------------------------------------- */
/* Status responses                                                                          */

static void
assert_status (const char         *input,
               SsImapResponseKind  kind,
               const char         *tag,
               SsImapStatus        status,
               const char         *code,
               const char         *text)
{
  g_autoptr(SsImapResponse) response = parse_full (input);
  g_autofree char *code_str = response->code ? node_to_string (response->code) : NULL;

  g_assert_cmpint (response->kind, ==, kind);
  g_assert_cmpstr (response->tag, ==, tag);
  g_assert_cmpint (response->status, ==, status);
  g_assert_cmpstr (code_str, ==, code);
  g_assert_cmpstr (response->text, ==, text);
  g_assert_null (response->tokens);
  if (response->code != NULL)
    g_assert_cmpint (ss_imap_list_get (response->code, 0)->type, ==, SS_IMAP_NODE_ATOM);
}

static void
test_status_tagged (void)
{
  const SsImapResponseKind T = SS_IMAP_RESPONSE_TAGGED;

  assert_status ("A0001 OK LOGIN completed\r\n", T, "A0001", SS_IMAP_STATUS_OK, NULL,
                 "LOGIN completed");
  assert_status ("a2 ok done\r\n", T, "a2", SS_IMAP_STATUS_OK, NULL, "done");
  assert_status ("A3 NO [TRYCREATE] No such mailbox\r\n", T, "A3", SS_IMAP_STATUS_NO,
                 "(TRYCREATE)", "No such mailbox");
  assert_status ("A4 BAD Command unknown\r\n", T, "A4", SS_IMAP_STATUS_BAD, NULL,
                 "Command unknown");
  assert_status ("A5 OK\r\n", T, "A5", SS_IMAP_STATUS_OK, NULL, "");
  assert_status ("A5 OK \r\n", T, "A5", SS_IMAP_STATUS_OK, NULL, "");
  assert_status ("A6 OK [READ-WRITE]\r\n", T, "A6", SS_IMAP_STATUS_OK, "(READ-WRITE)", "");
  assert_status ("A6 OK [READ-WRITE] Select completed (0.001 + 0.000 secs).\r\n", T, "A6",
                 SS_IMAP_STATUS_OK, "(READ-WRITE)", "Select completed (0.001 + 0.000 secs).");
  assert_status ("A7 OK [COPYUID 1234 1:3,5 10:13] Moved\r\n", T, "A7", SS_IMAP_STATUS_OK,
                 "(COPYUID 1234 1:3,5 10:13)", "Moved");
  assert_status ("A8 OK [APPENDUID 38505 3955] APPEND completed\r\n", T, "A8",
                 SS_IMAP_STATUS_OK, "(APPENDUID 38505 3955)", "APPEND completed");
  assert_status ("A9 NO [NONEXISTENT] Unknown Mailbox: Spam\r\n", T, "A9", SS_IMAP_STATUS_NO,
                 "(NONEXISTENT)", "Unknown Mailbox: Spam");
  /* The text is free: unbalanced braces, parens and quotes are not tokens. */
  assert_status ("A1 NO foo {999}\r\n", T, "A1", SS_IMAP_STATUS_NO, NULL, "foo {999}");
  assert_status ("A1 NO ( \" ) ] [x\r\n", T, "A1", SS_IMAP_STATUS_NO, NULL, "( \" ) ] [x");
  assert_status ("A1 NO [ALERT] {5}\r\n", T, "A1", SS_IMAP_STATUS_NO, "(ALERT)", "{5}");
  /* 8-bit text is made valid UTF-8. */
  assert_status ("A1 NO Fehlschlag \xc3\xbc \xff\r\n", T, "A1", SS_IMAP_STATUS_NO, NULL,
                 "Fehlschlag \xc3\xbc \xef\xbf\xbd");
  /* Tags may contain ']' and '.' (any ASTRING-CHAR but '+'). */
  assert_status ("x.1] OK y\n", T, "x.1]", SS_IMAP_STATUS_OK, NULL, "y");
}

static void
test_status_untagged (void)
{
  const SsImapResponseKind U = SS_IMAP_RESPONSE_UNTAGGED;

  assert_status ("* OK [READ-WRITE] Select completed\r\n", U, NULL, SS_IMAP_STATUS_OK,
                 "(READ-WRITE)", "Select completed");
  assert_status ("* OK [PERMANENTFLAGS (\\Answered \\Seen \\*)] Flags permitted.\r\n", U, NULL,
                 SS_IMAP_STATUS_OK, "(PERMANENTFLAGS (\\Answered \\Seen \\*))",
                 "Flags permitted.");
  assert_status ("* OK [PERMANENTFLAGS ()] No permanent flags permitted\r\n", U, NULL,
                 SS_IMAP_STATUS_OK, "(PERMANENTFLAGS ())", "No permanent flags permitted");
  assert_status ("* OK [UIDVALIDITY 17] UIDs valid\r\n", U, NULL, SS_IMAP_STATUS_OK,
                 "(UIDVALIDITY 17)", "UIDs valid");
  assert_status ("* OK [UIDNEXT 4392]\r\n", U, NULL, SS_IMAP_STATUS_OK, "(UIDNEXT 4392)", "");
  assert_status ("* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE MOVE] "
                 "Dovecot ready.\r\n", U, NULL, SS_IMAP_STATUS_OK,
                 "(CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE MOVE)",
                 "Dovecot ready.");
  assert_status ("* NO [ALERT] Quota exceeded\r\n", U, NULL, SS_IMAP_STATUS_NO, "(ALERT)",
                 "Quota exceeded");
  assert_status ("* BAD junk\r\n", U, NULL, SS_IMAP_STATUS_BAD, NULL, "junk");
  assert_status ("* BYE Logging out\r\n", U, NULL, SS_IMAP_STATUS_BYE, NULL, "Logging out");
  assert_status ("* bye\r\n", U, NULL, SS_IMAP_STATUS_BYE, NULL, "");
  assert_status ("* PREAUTH IMAP4rev1 server logged in as Smith\r\n", U, NULL,
                 SS_IMAP_STATUS_PREAUTH, NULL, "IMAP4rev1 server logged in as Smith");
  assert_status ("* OK [HIGHESTMODSEQ 715194045007]\r\n", U, NULL, SS_IMAP_STATUS_OK,
                 "(HIGHESTMODSEQ 715194045007)", "");
  assert_status ("* OK [BADCHARSET (UTF-8 \"US-ASCII\")] x\r\n", U, NULL, SS_IMAP_STATUS_OK,
                 "(BADCHARSET (UTF-8 \"US-ASCII\"))", "x");
  assert_status ("* OK [REFERRAL imap://user;AUTH=*@SERVER2/] Try\r\n", U, NULL,
                 SS_IMAP_STATUS_OK, "(REFERRAL imap://user;AUTH=*@SERVER2/)", "Try");
  assert_status ("* OK [NIL] x\r\n", U, NULL, SS_IMAP_STATUS_OK, "(NIL)", "x");
  /* Tolerated: no space before the code, several spaces. */
  assert_status ("* OK[ALERT]  two spaces\r\n", U, NULL, SS_IMAP_STATUS_OK, "(ALERT)",
                 "two spaces");
  /* Codes that do not tokenize stay in the text. */
  assert_status ("* OK [ALERT \"unbalanced] x\r\n", U, NULL, SS_IMAP_STATUS_OK, NULL,
                 "[ALERT \"unbalanced] x");
  assert_status ("* OK [] x\r\n", U, NULL, SS_IMAP_STATUS_OK, NULL, "[] x");
  assert_status ("* OK [ ALERT] x\r\n", U, NULL, SS_IMAP_STATUS_OK, NULL, "[ ALERT] x");
  assert_status ("* OK [X {5}] x\r\n", U, NULL, SS_IMAP_STATUS_OK, NULL, "[X {5}] x");
  assert_status ("* OK [X {5}\r\n", U, NULL, SS_IMAP_STATUS_OK, NULL, "[X {5}");
  assert_status ("* OK [UIDNEXT 5\r\n", U, NULL, SS_IMAP_STATUS_OK, NULL, "[UIDNEXT 5");
  assert_status ("* OK [X (a] b)] c\r\n", U, NULL, SS_IMAP_STATUS_OK, NULL, "[X (a] b)] c");
}

static void
test_continuation (void)
{
  const SsImapResponseKind C = SS_IMAP_RESPONSE_CONTINUATION;

  assert_status ("+ Ready for literal data\r\n", C, NULL, SS_IMAP_STATUS_NONE, NULL,
                 "Ready for literal data");
  assert_status ("+\r\n", C, NULL, SS_IMAP_STATUS_NONE, NULL, "");
  assert_status ("+ \r\n", C, NULL, SS_IMAP_STATUS_NONE, NULL, "");
  assert_status ("+\n", C, NULL, SS_IMAP_STATUS_NONE, NULL, "");
  assert_status ("+ idling\r\n", C, NULL, SS_IMAP_STATUS_NONE, NULL, "idling");
  assert_status ("+ YGgGCSqGSIb3EgECAgIBAAD/////6jcyG4GE3KkTzBeBiVHeceP2CWY0SR0fAQAgAAQEBAQ=\r\n",
                 C, NULL, SS_IMAP_STATUS_NONE, NULL,
                 "YGgGCSqGSIb3EgECAgIBAAD/////6jcyG4GE3KkTzBeBiVHeceP2CWY0SR0fAQAgAAQEBAQ=");
  /* Not a literal, not a code. */
  assert_status ("+ {5} [x\r\n", C, NULL, SS_IMAP_STATUS_NONE, NULL, "{5} [x");
}

/* ---------------------------------------------------------------------------------------- */
/* Helpers                                                                                   */

static void
test_node_helpers (void)
{
  g_autoptr(SsImapResponse) response =
    parse_full ("* X 0 4294967295 4294967296 18446744073709551615 18446744073709551616 "
                "007 -1 +1 1a \"5\" NIL (1) \\Seen\r\n");
  const SsImapNode *t = response->tokens;
  guint32 u32 = 42;
  guint64 u64 = 42;

  g_assert_true (ss_imap_node_to_uint32 (ss_imap_list_get (t, 1), &u32));
  g_assert_cmpuint (u32, ==, 0);
  g_assert_true (ss_imap_node_to_uint32 (ss_imap_list_get (t, 2), &u32));
  g_assert_cmpuint (u32, ==, G_MAXUINT32);
  u32 = 42;
  g_assert_false (ss_imap_node_to_uint32 (ss_imap_list_get (t, 3), &u32));
  g_assert_cmpuint (u32, ==, 42);
  g_assert_true (ss_imap_node_to_uint64 (ss_imap_list_get (t, 3), &u64));
  g_assert_cmpuint (u64, ==, G_GUINT64_CONSTANT (4294967296));
  g_assert_true (ss_imap_node_to_uint64 (ss_imap_list_get (t, 4), &u64));
  g_assert_cmpuint (u64, ==, G_MAXUINT64);
  g_assert_false (ss_imap_node_to_uint64 (ss_imap_list_get (t, 5), &u64));
  g_assert_true (ss_imap_node_to_uint32 (ss_imap_list_get (t, 6), &u32));
  g_assert_cmpuint (u32, ==, 7);
  for (guint i = 7; i <= 12; i++)
    {
      g_assert_false (ss_imap_node_to_uint32 (ss_imap_list_get (t, i), &u32));
      g_assert_false (ss_imap_node_to_uint64 (ss_imap_list_get (t, i), &u64));
    }
  g_assert_false (ss_imap_node_to_uint32 (NULL, &u32));

  g_assert_true (ss_imap_node_is_atom (ss_imap_list_get (t, 13), "\\seen"));
  g_assert_true (ss_imap_node_is_atom (ss_imap_list_get (t, 0), "x"));
  g_assert_false (ss_imap_node_is_atom (ss_imap_list_get (t, 13), "\\See"));
  g_assert_false (ss_imap_node_is_atom (ss_imap_list_get (t, 13), "\\Seen2"));
  g_assert_false (ss_imap_node_is_atom (ss_imap_list_get (t, 10), "5"));
  g_assert_false (ss_imap_node_is_atom (NULL, "X"));

  g_assert_cmpuint (ss_imap_list_length (t), ==, 14);
  g_assert_cmpuint (ss_imap_list_length (ss_imap_list_get (t, 12)), ==, 1);
  g_assert_cmpuint (ss_imap_list_length (ss_imap_list_get (t, 0)), ==, 0);
  g_assert_cmpuint (ss_imap_list_length (NULL), ==, 0);
  g_assert_null (ss_imap_list_get (t, 14));
  g_assert_null (ss_imap_list_get (t, G_MAXUINT));
  g_assert_null (ss_imap_list_get (ss_imap_list_get (t, 0), 0));
  g_assert_null (ss_imap_list_get (NULL, 0));
}

static void
test_fetch_get (void)
{
  g_autoptr(SsImapResponse) response =
    parse_full ("* 1 FETCH (UID 5 \"FLAGS\" (\\Seen) flags (\\Deleted) BODY[]<0> {1}\r\nx "
                "BODY[] NIL RFC822.SIZE)\r\n");
  const SsImapNode *attrs = ss_imap_list_get (response->tokens, 2);
  g_autofree char *flags = node_to_string (ss_imap_fetch_get (attrs, "FLAGS"));

  /* The quoted "FLAGS" is not a name; and it is a value position anyway. */
  g_assert_cmpstr (flags, ==, "(\\Deleted)");
  g_assert_cmpint (ss_imap_fetch_get (attrs, "BODY[]")->type, ==, SS_IMAP_NODE_NIL);
  g_assert_cmpmem (ss_imap_fetch_get (attrs, "BODY[]<0>")->data, 1, "x", 1);
  /* A name without a value, and names in value positions, are not found. */
  g_assert_null (ss_imap_fetch_get (attrs, "RFC822.SIZE"));
  g_assert_null (ss_imap_fetch_get (attrs, "5"));
  g_assert_null (ss_imap_fetch_get (attrs, "BODY"));
  g_assert_null (ss_imap_fetch_get (response->tokens, "FETCH"));
  g_assert_nonnull (ss_imap_fetch_get (response->tokens, "1"));
  g_assert_null (ss_imap_fetch_get (ss_imap_list_get (response->tokens, 0), "1"));
  g_assert_null (ss_imap_fetch_get (NULL, "UID"));
}

static void
test_quote (void)
{
  static const struct { const char *in; const char *out; } cases[] = {
    { "INBOX", "\"INBOX\"" },
    { "", "\"\"" },
    { "Spam/False Positives", "\"Spam/False Positives\"" },
    { "a\"b\\c", "\"a\\\"b\\\\c\"" },
    { "\\", "\"\\\\\"" },
    { "tab\there", "\"tab\there\"" },
    { "&U,BTFw-", "\"&U,BTFw-\"" },
    { "Entw\xc3\xbcrfe", NULL },
    { "a\rb", NULL },
    { "a\nb", NULL },
    { "\x80", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *quoted = ss_imap_quote (cases[i].in);

      g_assert_cmpstr (quoted, ==, cases[i].out);
      if (quoted != NULL)
        {
          /* Round trip through the parser. */
          g_autofree char *line = g_strconcat ("* X ", quoted, "\r\n", NULL);
          g_autoptr(SsImapResponse) response = parse_full (line);
          const SsImapNode *s = ss_imap_list_get (response->tokens, 1);

          g_assert_cmpint (s->type, ==, SS_IMAP_NODE_STRING);
          g_assert_cmpstr (s->data, ==, cases[i].in);
        }
    }
}

static void
test_utf7 (void)
{
  static const struct { const char *utf8; const char *mutf7; } cases[] = {
    { "INBOX", "INBOX" },
    { "", "" },
    { "&", "&-" },
    { "a&b", "a&-b" },
    { "&&", "&-&-" },
    { "Entw\xc3\xbc" "rfe", "Entw&APw-rfe" },
    { "\xe5\x8f\xb0\xe5\x8c\x97", "&U,BTFw-" },
    { "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
      "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },
    { "\xf0\x9f\x98\x80", "&2D3eAA-" },
    { "\xc3\xbc\xf0\x9f\x98\x80x", "&APzYPd4A-x" },
    { "\t", "&AAk-" },
    { "\xc3\x9c" "n" "\xc3\xaf" "c" "\xc3\xb6" "d" "\xc3\xa9" " & Co",
      "&ANw-n&AO8-c&APY-d&AOk- &- Co" },
    { "Spam-&-Junk", "Spam-&--Junk" },
  };
  static const char *bad[] = {
    "&", "&APw", "&U,BTFw", "&APx-", "&AGE-", "&2D0-", "&3gA-", "&AAA-", "&APw!-", "&APwA-",
    "Entw\xc3\xbcrfe", "a\tb", "&2D3eAA", "&2D3e-", "\x7f", "&U,BTFw=-",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *enc = ss_imap_utf7_encode (cases[i].utf8);
      g_autofree char *dec = ss_imap_utf7_decode (cases[i].mutf7);

      g_assert_cmpstr (enc, ==, cases[i].mutf7);
      g_assert_cmpstr (dec, ==, cases[i].utf8);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *dec = ss_imap_utf7_decode (bad[i]);

      g_assert_null (dec);
    }

  /* Adjacent runs are not canonical but decodable. */
  {
    g_autofree char *dec = ss_imap_utf7_decode ("&U,BTFw-&ZeVnLIqe-");
    g_assert_cmpstr (dec, ==, "\xe5\x8f\xb0\xe5\x8c\x97\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
  }
  /* Invalid UTF-8 cannot be encoded. */
  g_assert_null (ss_imap_utf7_encode ("Entw\xfcrfe"));
  g_assert_null (ss_imap_utf7_encode ("\xed\xa0\x80"));
  g_assert_null (ss_imap_utf7_encode ("\xc3"));
}

static void
test_error_null (void)
{
  SsImapResponse *response = NULL;
  gsize consumed = 0;

  /* The caller may not want the error. */
  g_assert_cmpint (ss_imap_parse_response ((const guint8 *) "* )\r\n", 5, NULL, &consumed,
                                           &response, NULL), ==, SS_IMAP_PARSE_FAILED);
  g_assert_null (response);
  g_assert_cmpint (ss_imap_parse_response ((const guint8 *) "* OK [x\r\n", 9, NULL, &consumed,
                                           &response, NULL), ==, SS_IMAP_PARSE_DONE);
  g_assert_cmpstr (response->text, ==, "[x");
  ss_imap_response_free (response);
}

static void
test_limits_default (void)
{
  SsImapLimits limits;

  ss_imap_limits_init_default (&limits);
  g_assert_cmpuint (limits.max_literal, ==, 64 * 1024 * 1024);
  g_assert_cmpuint (limits.max_line, ==, 1024 * 1024);
  g_assert_cmpuint (limits.max_response, ==, 80 * 1024 * 1024);
  g_assert_cmpuint (limits.max_depth, ==, 32);
  g_assert_cmpuint (limits.max_tokens, ==, 1000000);
}

static const SsTestFunc tests[] = {
  SS_TEST_FUNC ("/spamsieve/imap-parser/fetch", test_fetch),
  SS_TEST_FUNC ("/spamsieve/imap-parser/list", test_list),
  SS_TEST_FUNC ("/spamsieve/imap-parser/simple-untagged", test_simple_untagged),
  SS_TEST_FUNC ("/spamsieve/imap-parser/tolerance", test_tolerance),
  SS_TEST_FUNC ("/spamsieve/imap-parser/nil", test_nil),
  SS_TEST_FUNC ("/spamsieve/imap-parser/quoted", test_quoted),
  SS_TEST_FUNC ("/spamsieve/imap-parser/section-atoms", test_section_atoms),
  SS_TEST_FUNC ("/spamsieve/imap-parser/literal-byte-exact", test_literal_byte_exact),
  SS_TEST_FUNC ("/spamsieve/imap-parser/literal-forms", test_literal_forms),
  SS_TEST_FUNC ("/spamsieve/imap-parser/literal-too-large", test_literal_too_large),
  SS_TEST_FUNC ("/spamsieve/imap-parser/literal-incomplete-hint", test_literal_incomplete_hint),
  SS_TEST_FUNC ("/spamsieve/imap-parser/literal-streaming", test_literal_streaming),
  SS_TEST_FUNC ("/spamsieve/imap-parser/back-to-back", test_back_to_back),
  SS_TEST_FUNC ("/spamsieve/imap-parser/incremental", test_incremental),
  SS_TEST_FUNC ("/spamsieve/imap-parser/overlong-line", test_overlong_line),
  SS_TEST_FUNC ("/spamsieve/imap-parser/max-response", test_max_response),
  SS_TEST_FUNC ("/spamsieve/imap-parser/deep-nesting", test_deep_nesting),
  SS_TEST_FUNC ("/spamsieve/imap-parser/max-tokens", test_max_tokens),
  SS_TEST_FUNC ("/spamsieve/imap-parser/syntax-errors", test_syntax_errors),
  SS_TEST_FUNC ("/spamsieve/imap-parser/status-tagged", test_status_tagged),
  SS_TEST_FUNC ("/spamsieve/imap-parser/status-untagged", test_status_untagged),
  SS_TEST_FUNC ("/spamsieve/imap-parser/continuation", test_continuation),
  SS_TEST_FUNC ("/spamsieve/imap-parser/node-helpers", test_node_helpers),
  SS_TEST_FUNC ("/spamsieve/imap-parser/fetch-get", test_fetch_get),
  SS_TEST_FUNC ("/spamsieve/imap-parser/quote", test_quote),
  SS_TEST_FUNC ("/spamsieve/imap-parser/utf7", test_utf7),
  SS_TEST_FUNC ("/spamsieve/imap-parser/error-null", test_error_null),
  SS_TEST_FUNC ("/spamsieve/imap-parser/limits-default", test_limits_default),
};

SS_TEST_FUNCS_MAIN (NULL)
