#define G_LOG_DOMAIN "test-message-info"

#include "config.h"

#include <string.h>

#include "ss-message-info.h"
#include "ss-test-utils.h"

static SsMessageInfo *
parse_text (const char *text)
{
  return ss_message_info_parse ((const guint8 *) text, strlen (text));
}

/* Every field, whatever the input: valid UTF-8, no control characters, bounded. */
static void
assert_field_sane (const char *field)
{
  g_assert_nonnull (field);
  g_assert_true (g_utf8_validate (field, -1, NULL));
  g_assert_cmpuint (strlen (field), <=, 998);
  for (const char *p = field; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      g_assert_false (g_unichar_iscntrl (c));
      g_assert_false (c >= 0x202A && c <= 0x202E);
    }
}

static void
assert_info_sane (const SsMessageInfo *info)
{
  const char *fields[] = { info->message_id, info->from, info->subject, info->date };

  for (gsize i = 0; i < G_N_ELEMENTS (fields); i++)
    assert_field_sane (fields[i]);
}

/* Parses text: sane fields, and those given (not NULL) as expected. */
static void
check_parse (const char *text,
             const char *message_id,
             const char *from,
             const char *subject,
             const char *date)
{
  g_autoptr(SsMessageInfo) info = parse_text (text);

  assert_info_sane (info);
  if (message_id != NULL)
    g_assert_cmpstr (info->message_id, ==, message_id);
  if (from != NULL)
    g_assert_cmpstr (info->from, ==, from);
  if (subject != NULL)
    g_assert_cmpstr (info->subject, ==, subject);
  if (date != NULL)
    g_assert_cmpstr (info->date, ==, date);
}

static void
test_ascii (void)
{
  check_parse ("Message-Id: <abc.123@example.org>\r\n"
               "From: Ann Example <ann@example.org>\r\n"
               "To: bob@example.org\r\n"
               "Subject: Hello world\r\n"
               "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
               "\r\n"
               "Subject: not a header, the body\r\n",
               "abc.123@example.org", "Ann Example <ann@example.org>", "Hello world",
               "Mon, 1 Jan 2024 10:00:00 +0000");
}

static void
test_rfc2047_utf8_b (void)
{
  check_parse ("From: =?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <juergen@example.org>\n"
               "Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=\n"
               "\n",
               NULL, "Jürgen Müller <juergen@example.org>", "Grüße aus Köln", NULL);
}

static void
test_rfc2047_latin1_q (void)
{
  /* Adjacent encoded words join without the space between them. */
  check_parse ("From: =?ISO-8859-1?Q?Andr=E9_Cr=E8me?= <andre@example.org>\n"
               "Subject: =?iso-8859-1?q?Caf=E9_cr=E8me?= =?iso-8859-1?q?_br=FBl=E9e?=\n"
               "\n",
               NULL, "André Crème <andre@example.org>", "Café crème brûlée", NULL);
}

static void
test_rfc2047_broken (void)
{
  /* Invalid base64 and unterminated words stay as text. */
  g_autoptr(SsMessageInfo) bad_b64 = parse_text ("Subject: =?UTF-8?B?###?= =?UTF-8?Q?open\n\n");
  g_autoptr(SsMessageInfo) bad_charset =
    parse_text ("Subject: =?x-no-such-charset?Q?caf=E9?=\n\n");
  /* Encoded bytes that are not UTF-8 in a UTF-8 word. */
  g_autoptr(SsMessageInfo) bad_bytes = parse_text ("Subject: =?UTF-8?B?/w==?=x\n\n");

  assert_info_sane (bad_b64);
  g_assert_nonnull (strstr (bad_b64->subject, "open"));
  assert_info_sane (bad_charset);
  g_assert_cmpstr (bad_charset->subject, !=, "");
  assert_info_sane (bad_bytes);
  g_assert_true (g_str_has_suffix (bad_bytes->subject, "x"));

  /* Broken encoder: word glued to text (accepted in loose mode). */
  check_parse ("Subject: Re:=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\n\n", NULL, NULL, "Re:Grüße", NULL);
  /* Encoded CR, LF, TAB: become single spaces. */
  check_parse ("Subject: =?UTF-8?Q?a=0D=0Ab=09=09c?=\n\n", NULL, NULL, "a b c", NULL);
  /* A right-to-left override must not reorder what follows in a list. */
  check_parse ("From: =?UTF-8?Q?=E2=80=AEevil?= <x@example.org>\n\n", NULL,
               "evil <x@example.org>", NULL, NULL);
}

static void
test_raw_8bit (void)
{
  g_autoptr(SsMessageInfo) garbage = parse_text (
    "Subject: \xff\xfe\xc3 end\nDate: \x80\x81\n\n");

  check_parse ("From: Jürgen <j@example.org>\nSubject: Grüße aus Köln\n\n", NULL,
               "Jürgen <j@example.org>", "Grüße aus Köln", NULL);
  check_parse ("From: J\xfcrgen <j@example.org>\nSubject: Caf\xe9 cr\xe8me\n\n", NULL,
               "Jürgen <j@example.org>", "Café crème", NULL);
  assert_info_sane (garbage);
  g_assert_true (g_str_has_suffix (garbage->subject, " end"));
}

static void
test_folded (void)
{
  check_parse ("Subject: part one\r\n"
               "\tpart two\r\n"
               "    part   three\r\n"
               "From: Ann\r\n"
               " <ann@example.org>\r\n"
               "\r\n",
               NULL, "Ann <ann@example.org>", "part one part two part three", NULL);
}

static void
test_crlf_and_lf (void)
{
  const char *lf =
    "Message-ID: <x@y>\nFrom: a@example.org\nSubject: same\nDate: today\n\nbody\n";
  g_auto(GStrv) lines = g_strsplit (lf, "\n", -1);
  g_autofree char *crlf = g_strjoinv ("\r\n", lines);

  /* The same fields either way. */
  check_parse (lf, "x@y", "a@example.org", "same", "today");
  check_parse (crlf, "x@y", "a@example.org", "same", "today");
}

static void
test_missing (void)
{
  const char *inputs[] = {
    "X-Other: 1\n\nSubject: in the body\n",
    "",
    "\n",
    "\r\nSubject: in the body\r\n",
    "no header at all",
    "Subject:\nFrom:\nMessage-Id:\nDate:\n\n",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (inputs); i++)
    check_parse (inputs[i], "", "", "", "");
}

static void
test_long_subject (void)
{
  g_autoptr(GString) text = g_string_new ("Subject: a");
  g_autoptr(SsMessageInfo) info = NULL;
  g_autoptr(SsMessageInfo) ascii = NULL;

  /* 1 + 3 × 4000 bytes: the cut must land after a whole "€". */
  for (int i = 0; i < 4000; i++)
    g_string_append (text, "€");
  g_string_append (text, "\n\n");
  info = parse_text (text->str);
  assert_info_sane (info);
  g_assert_cmpuint (strlen (info->subject), ==, 1 + 3 * 332);
  g_assert_true (g_str_has_prefix (text->str + strlen ("Subject: "), info->subject));

  g_string_assign (text, "Subject: ");
  for (int i = 0; i < 12000; i++)
    g_string_append_c (text, 'x');
  g_string_append (text, "\n\n");
  ascii = parse_text (text->str);
  g_assert_cmpuint (strlen (ascii->subject), ==, 998);
}

static void
test_header_only (void)
{
  /* Without the final newline, and without the blank line. */
  check_parse ("Subject: hi there\r\nFrom: a@example.org", NULL, "a@example.org", "hi there",
               NULL);
  check_parse ("Subject: hi there\r\nFrom: a@example.org\r\n", NULL, "a@example.org",
               "hi there", NULL);
}

static void
test_message_id (void)
{
  const struct { const char *header; const char *expected; } cases[] = {
    { "Message-Id: <abc@example.org>\n\n", "abc@example.org" },
    { "Message-ID:   <abc@example.org>   \n\n", "abc@example.org" },
    { "message-id: abc@example.org\n\n", "abc@example.org" },
    { "Message-Id: (comment) <abc@example.org>\n\n", "abc@example.org" },
    { "Message-Id:\n <folded@example.org>\n\n", "folded@example.org" },
    { "Message-Id: <no-domain>\n\n", "no-domain" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    check_parse (cases[i].header, cases[i].expected, NULL, NULL, NULL);
}

static void
test_other_fields (void)
{
  check_parse ("From sender@example.org Mon Jan  1 10:00:00 2024\n"
               "Received: from x\n"
               "  Subject: folded into Received, not a field\n"
               "X-Subject: not this one\n"
               "Subject : blank before the colon\n"
               "Subject: only the first Subject counts\n"
               "FROM: Ann <ann@example.org>\n"
               "\n",
               NULL, "Ann <ann@example.org>", "blank before the colon", NULL);
}

static void
test_copy (void)
{
  g_autoptr(SsMessageInfo) info = parse_text ("Subject: s\nFrom: f@x\nDate: d\n"
                                              "Message-Id: <m@x>\n\n");
  g_autoptr(SsMessageInfo) copy = ss_message_info_copy (info);

  g_assert_true (copy->subject != info->subject);
  g_assert_cmpstr (copy->subject, ==, "s");
  g_assert_cmpstr (copy->from, ==, "f@x");
  g_assert_cmpstr (copy->date, ==, "d");
  g_assert_cmpstr (copy->message_id, ==, "m@x");
}

/* A typical 5 kB message: ~3 kB of header (Received, DKIM, ...) and a short body. */
static char *
typical_message (void)
{
  GString *text = g_string_new (NULL);

  for (int i = 0; i < 8; i++)
    g_string_append_printf (text,
                            "Received: from mx%d.example.net (mx%d.example.net [192.0.2.%d])\r\n"
                            "\tby mail.example.org (Postfix) with ESMTPS id 4F%04dABC\r\n"
                            "\tfor <bob@example.org>; Mon, 1 Jan 2024 10:00:%02d +0000\r\n",
                            i, i, i, i, i);
  g_string_append (text,
                   "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.net;\r\n"
                   "\ts=sel; h=from:to:subject:date:message-id;\r\n"
                   "\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n"
                   "\tb=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZSwganVzdCBmaWxsZXIgdGV4dA==\r\n"
                   "Message-ID: <20240101100000.12345@mx0.example.net>\r\n"
                   "From: =?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <juergen@example.net>\r\n"
                   "To: Bob <bob@example.org>\r\n"
                   "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?= and some more words\r\n"
                   "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
                   "MIME-Version: 1.0\r\n"
                   "Content-Type: text/plain; charset=utf-8\r\n"
                   "Content-Transfer-Encoding: 8bit\r\n"
                   "\r\n");
  while (text->len < 5000)
    g_string_append (text, "Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n");
  return g_string_free (text, FALSE);
}

static void
test_speed (void)
{
  g_autofree char *message = typical_message ();
  const int rounds = 2000;
  gint64 start;
  double per_parse_us;

  start = g_get_monotonic_time ();
  for (int i = 0; i < rounds; i++)
    ss_message_info_free (parse_text (message));
  per_parse_us = (double) (g_get_monotonic_time () - start) / rounds;

  g_test_message ("parse of a %zu-byte message: %.1f µs", strlen (message), per_parse_us);
  /* Loose bound (slow CI, MALLOC_CHECK_): catches pathological regressions only. */
  g_assert_cmpfloat (per_parse_us, <, 1000.0);
}

static gpointer
parse_in_thread (gpointer data)
{
  for (int i = 0; i < 300; i++)
    {
      g_autoptr(SsMessageInfo) info = parse_text (data);

      g_assert_cmpstr (info->from, ==, "Jürgen Müller <juergen@example.net>");
      g_assert_cmpstr (info->subject, ==, "Grüße aus Köln and some more words");
      g_assert_cmpstr (info->message_id, ==, "20240101100000.12345@mx0.example.net");
    }
  return NULL;
}

static void
test_threads (void)
{
  g_autofree char *message = typical_message ();
  GThread *threads[4];

  for (gsize i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("parse", parse_in_thread, message);
  for (gsize i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
}

/* Twice: a second call is harmless. */
static void
prepare (void)
{
  ss_message_info_init ();
  ss_message_info_init ();
}

static const SsTestFunc tests[] = {
  SS_TEST_FUNC ("/message-info/ascii", test_ascii),
  SS_TEST_FUNC ("/message-info/rfc2047-utf8-b", test_rfc2047_utf8_b),
  SS_TEST_FUNC ("/message-info/rfc2047-latin1-q", test_rfc2047_latin1_q),
  SS_TEST_FUNC ("/message-info/rfc2047-broken", test_rfc2047_broken),
  SS_TEST_FUNC ("/message-info/raw-8bit", test_raw_8bit),
  SS_TEST_FUNC ("/message-info/folded", test_folded),
  SS_TEST_FUNC ("/message-info/crlf-and-lf", test_crlf_and_lf),
  SS_TEST_FUNC ("/message-info/missing", test_missing),
  SS_TEST_FUNC ("/message-info/long-subject", test_long_subject),
  SS_TEST_FUNC ("/message-info/header-only", test_header_only),
  SS_TEST_FUNC ("/message-info/message-id", test_message_id),
  SS_TEST_FUNC ("/message-info/other-fields", test_other_fields),
  SS_TEST_FUNC ("/message-info/copy", test_copy),
  SS_TEST_FUNC ("/message-info/speed", test_speed),
  SS_TEST_FUNC ("/message-info/threads", test_threads),
};

SS_TEST_FUNCS_MAIN (prepare)
