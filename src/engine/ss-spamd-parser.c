#define G_LOG_DOMAIN "ss-spamd-parser"

#include "config.h"

#include "ss-spamd-parser.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "ss-error.h"

/* Bounds: a reply beyond them is hostile or not spamd. */
#define MAX_LINE_LEN     8192  /* status or header line, terminator excluded */
#define MAX_HEADERS      256
#define MAX_NUMBER_LEN   32    /* digits of a score, threshold or length */
#define MAX_SYMBOLS      4096
#define MAX_SYMBOL_LEN   256

typedef struct
{
  const guint8 *buf;
  gsize         len;
  gsize         pos;
} Cursor;

typedef enum {
  LINE_OK,
  LINE_EOF,        /* nothing left */
  LINE_TRUNCATED,  /* bytes without a line terminator */
} LineStatus;

/* "Malformed spamd reply: ..." (SS_SPAMD_ERROR_PROTOCOL); returns FALSE. */
#define protocol_error(error, ...) \
  ss_error_set_prefixed ((error), SS_SPAMD_ERROR, SS_SPAMD_ERROR_PROTOCOL, \
                         "Malformed spamd reply", __VA_ARGS__)

/* Next line without its LF or CRLF terminator. Lines longer than MAX_LINE_LEN or holding
 * control bytes (a lone CR, NUL, ...) are rejected. */
static LineStatus
next_line (Cursor      *cur,
           const char **out_line,
           gsize       *out_len,
           GError     **error)
{
  const guint8 *start = cur->buf + cur->pos;
  gsize avail = cur->len - cur->pos;
  gsize limit = MIN (avail, (gsize) MAX_LINE_LEN + 2);
  const guint8 *lf = memchr (start, '\n', limit);
  gsize n;

  if (avail == 0)
    return LINE_EOF;
  if (lf == NULL)
    {
      if (avail > MAX_LINE_LEN + 1)
        protocol_error (error, "line longer than %d bytes", MAX_LINE_LEN);
      else
        protocol_error (error, "truncated line (no line terminator)");
      return LINE_TRUNCATED;
    }

  n = (gsize) (lf - start);
  cur->pos += n + 1;
  if (n > 0 && start[n - 1] == '\r')
    n--;
  if (n > MAX_LINE_LEN)
    {
      protocol_error (error, "line longer than %d bytes", MAX_LINE_LEN);
      return LINE_TRUNCATED;
    }
  for (gsize i = 0; i < n; i++)
    if ((start[i] < 0x20 && start[i] != '\t') || start[i] == 0x7f)
      {
        protocol_error (error, "control byte 0x%02x in a status or header line", start[i]);
        return LINE_TRUNCATED;
      }

  *out_line = (const char *) start;
  *out_len = n;
  return LINE_OK;
}

/* Strictly decimal, no sign, no spaces; overflow-checked. */
static gboolean
parse_uint (const char *s,
            gsize       len,
            guint64     max,
            guint64    *out)
{
  char tmp[MAX_NUMBER_LEN + 1];
  char *end = NULL;
  guint64 v;

  if (len == 0 || len > MAX_NUMBER_LEN)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (s[i]))
      return FALSE;
  memcpy (tmp, s, len);
  tmp[len] = '\0';

  errno = 0;
  v = g_ascii_strtoull (tmp, &end, 10);
  if (errno != 0 || end != tmp + len || v > max)
    return FALSE;
  *out = v;
  return TRUE;
}

/* [-+]?(D+(.D*)?|.D+), finite, locale-independent. No exponent, hex, inf or nan. */
static gboolean
parse_decimal (const char *s,
               gsize       len,
               double     *out)
{
  char tmp[MAX_NUMBER_LEN + 1];
  char *end = NULL;
  gsize i = 0;
  guint digits = 0;
  gboolean dot = FALSE;
  double v;

  if (len == 0 || len > MAX_NUMBER_LEN)
    return FALSE;
  if (s[0] == '-' || s[0] == '+')
    i++;
  for (; i < len; i++)
    {
      if (g_ascii_isdigit (s[i]))
        digits++;
      else if (s[i] == '.' && !dot)
        dot = TRUE;
      else
        return FALSE;
    }
  if (digits == 0)
    return FALSE;
  memcpy (tmp, s, len);
  tmp[len] = '\0';

  errno = 0;
  v = g_ascii_strtod (tmp, &end);
  if (errno != 0 || end != tmp + len || !isfinite (v))
    return FALSE;
  *out = v;
  return TRUE;
}

static gboolean
is_blank (char c)
{
  return c == ' ' || c == '\t';
}

/* Splits off the next token ending at a blank or at stop (not consumed). */
static gsize
token_len (const char *s,
           gsize       len,
           char        stop)
{
  gsize n = 0;

  while (n < len && !is_blank (s[n]) && s[n] != stop)
    n++;
  return n;
}

static void
skip_blanks (const char **s,
             gsize       *len)
{
  while (*len > 0 && is_blank (**s))
    {
      (*s)++;
      (*len)--;
    }
}

/* Consumes a token (optionally ending at stop) into out; FALSE if empty. */
static gboolean
take_token (const char **s,
            gsize       *len,
            char         stop,
            const char **out,
            gsize       *out_len)
{
  gsize n;

  skip_blanks (s, len);
  n = token_len (*s, *len, stop);
  if (n == 0)
    return FALSE;
  *out = *s;
  *out_len = n;
  *s += n;
  *len -= n;
  return TRUE;
}

static gboolean
take_char (const char **s,
           gsize       *len,
           char         c)
{
  skip_blanks (s, len);
  if (*len == 0 || **s != c)
    return FALSE;
  (*s)++;
  (*len)--;
  return TRUE;
}

/* "True ; 15.2 / 5.0" (Yes/No from REPORT_IFSPAM). */
static gboolean
parse_spam_value (const char   *s,
                  gsize         len,
                  SsSpamdReply *reply)
{
  const char *flag, *score, *threshold;
  gsize flag_len, score_len, threshold_len;

  if (!take_token (&s, &len, ';', &flag, &flag_len) ||
      !take_char (&s, &len, ';') ||
      !take_token (&s, &len, '/', &score, &score_len) ||
      !take_char (&s, &len, '/') ||
      !take_token (&s, &len, '\0', &threshold, &threshold_len))
    return FALSE;
  skip_blanks (&s, &len);
  if (len != 0)
    return FALSE;

  if ((flag_len == 4 && memcmp (flag, "True", 4) == 0) ||
      (flag_len == 3 && memcmp (flag, "Yes", 3) == 0))
    reply->is_spam = TRUE;
  else if ((flag_len == 5 && memcmp (flag, "False", 5) == 0) ||
           (flag_len == 2 && memcmp (flag, "No", 2) == 0))
    reply->is_spam = FALSE;
  else
    return FALSE;

  return parse_decimal (score, score_len, &reply->score) &&
         parse_decimal (threshold, threshold_len, &reply->threshold);
}

/* "local", "local,remote", ...: TRUE when the comma list holds "local". */
static gboolean
list_has_local (const char *s,
                gsize       len)
{
  while (len > 0)
    {
      const char *comma = memchr (s, ',', len);
      gsize n = comma != NULL ? (gsize) (comma - s) : len;
      const char *item = s;
      gsize item_len = n;

      skip_blanks (&item, &item_len);
      while (item_len > 0 && is_blank (item[item_len - 1]))
        item_len--;
      if (item_len == 5 && memcmp (item, "local", 5) == 0)
        return TRUE;
      s += n;
      len -= n;
      if (len > 0)
        {
          s++;
          len--;
        }
    }
  return FALSE;
}

static gsize
count_digits (const char *s,
              gsize       len)
{
  gsize n = 0;

  while (n < len && g_ascii_isdigit (s[n]))
    n++;
  return n;
}

static gboolean
parse_status_line (const char    *line,
                   gsize          len,
                   SsSpamdReply  *reply,
                   GError       **error)
{
  const char *p = line, *major, *minor, *code;
  gsize rest = len, major_len, minor_len, code_len;
  guint64 v;

  if (len < 6 || memcmp (line, "SPAMD/", 6) != 0)
    return protocol_error (error, "status line does not start with \"SPAMD/\"");
  p += 6;
  rest -= 6;

  major = p;
  major_len = count_digits (major, rest);
  if (major_len == rest || p[major_len] != '.')
    return protocol_error (error, "bad protocol version in status line");
  minor = p + major_len + 1;
  rest -= major_len + 1;
  minor_len = count_digits (minor, rest);
  if (!parse_uint (major, major_len, G_MAXUINT, &v))
    return protocol_error (error, "bad protocol version in status line");
  reply->version_major = (guint) v;
  if (!parse_uint (minor, minor_len, G_MAXUINT, &v))
    return protocol_error (error, "bad protocol version in status line");
  reply->version_minor = (guint) v;
  p = minor + minor_len;
  rest -= minor_len;

  if (rest == 0 || *p != ' ')
    return protocol_error (error, "status line lacks a response code");
  p++;
  rest--;
  code = p;
  code_len = count_digits (code, rest);
  if (!parse_uint (code, code_len, 999, &v))
    return protocol_error (error, "bad response code in status line");
  reply->code = (guint) v;
  p += code_len;
  rest -= code_len;

  if (rest < 2 || *p != ' ' || is_blank (p[1]))
    return protocol_error (error, "status line lacks a response message");
  reply->message = g_utf8_make_valid (p + 1, (gssize) rest - 1);
  return TRUE;
}

static gboolean
header_is (const char *name,
           gsize       name_len,
           const char *expected)
{
  return strlen (expected) == name_len && g_ascii_strncasecmp (name, expected, name_len) == 0;
}

/* One "Name: value" line. spam_headers counts Spam: headers (a second one is ambiguous). */
static gboolean
parse_header (const char    *line,
              gsize          len,
              SsSpamdReply  *reply,
              guint         *spam_headers,
              GError       **error)
{
  const char *colon = memchr (line, ':', len);
  const char *value;
  gsize name_len, value_len;

  if (colon == NULL || colon == line)
    return protocol_error (error, "header line not in \"Name: value\" form");
  name_len = (gsize) (colon - line);
  for (gsize i = 0; i < name_len; i++)
    if (is_blank (line[i]) || (guchar) line[i] >= 0x80)
      return protocol_error (error, "bad header name");

  value = colon + 1;
  value_len = len - name_len - 1;
  skip_blanks (&value, &value_len);
  while (value_len > 0 && is_blank (value[value_len - 1]))
    value_len--;

  if (header_is (line, name_len, "Content-length"))
    {
      guint64 v;

      if (reply->content_length >= 0)
        return protocol_error (error, "duplicate Content-length header");
      if (!parse_uint (value, value_len, G_MAXINT64, &v))
        return protocol_error (error, "bad Content-length value");
      reply->content_length = (gint64) v;
    }
  else if (header_is (line, name_len, "Spam"))
    {
      (*spam_headers)++;
      reply->has_spam_header = *spam_headers == 1 && parse_spam_value (value, value_len, reply);
      if (!reply->has_spam_header)
        {
          reply->is_spam = FALSE;
          reply->score = reply->threshold = 0;
        }
    }
  else if (header_is (line, name_len, "DidSet"))
    reply->did_set_local |= list_has_local (value, value_len);
  else if (header_is (line, name_len, "DidRemove"))
    reply->did_remove_local |= list_has_local (value, value_len);
  /* anything else is ignored, as the protocol requires */
  return TRUE;
}

/* Headers up to the blank line. A reply that ends right after its status line (PONG, error
 * replies) has no header block; ending inside the header block is truncation. */
static gboolean
parse_headers (Cursor        *cur,
               SsSpamdReply  *reply,
               GError       **error)
{
  guint spam_headers = 0;

  if (cur->pos == cur->len)
    return TRUE;

  for (guint n = 0; ; n++)
    {
      const char *line = NULL;
      gsize len = 0;
      LineStatus status = next_line (cur, &line, &len, error);

      if (status == LINE_TRUNCATED)
        return FALSE;
      if (status == LINE_EOF)
        return protocol_error (error, "truncated (no blank line after the headers)");
      if (len == 0)
        return TRUE;
      if (n >= MAX_HEADERS)
        return protocol_error (error, "more than %d headers", MAX_HEADERS);
      if (!parse_header (line, len, reply, &spam_headers, error))
        return FALSE;
    }
}

static gboolean
is_symbol_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The SYMBOLS body: "RULE_A,RULE_B" with or without a trailing CRLF. */
static gboolean
check_symbol (const char  *s,
              gsize        len,
              GError     **error)
{
  if (len > MAX_SYMBOL_LEN)
    return protocol_error (error, "rule name longer than %d bytes", MAX_SYMBOL_LEN);
  for (gsize i = 0; i < len; i++)
    if ((guchar) s[i] <= 0x20 || (guchar) s[i] >= 0x7f)
      return protocol_error (error, "bad byte 0x%02x in a rule name", (guchar) s[i]);
  return TRUE;
}

static char **
split_symbols (const char  *s,
               gsize        len,
               GError     **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);

  while (len > 0)
    {
      const char *comma = memchr (s, ',', len);
      gsize n = comma != NULL ? (gsize) (comma - s) : len;
      gsize a = 0, b = n;

      while (a < b && is_symbol_space (s[a]))
        a++;
      while (b > a && is_symbol_space (s[b - 1]))
        b--;
      if (b > a)
        {
          if (!check_symbol (s + a, b - a, error))
            return NULL;
          if (out->len >= MAX_SYMBOLS)
            {
              protocol_error (error, "more than %d rule names", MAX_SYMBOLS);
              return NULL;
            }
          g_ptr_array_add (out, g_strndup (s + a, b - a));
        }
      s += n;
      len -= n;
      if (len > 0)
        {
          s++;
          len--;
        }
    }

  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

static gboolean
parse_body (Cursor        *cur,
            gboolean       is_symbols,
            SsSpamdReply  *reply,
            GError       **error)
{
  const guint8 *body = cur->buf + cur->pos;
  gsize body_len = cur->len - cur->pos;

  if (reply->content_length >= 0 && (guint64) reply->content_length != (guint64) body_len)
    return protocol_error (error, "Content-length is %" G_GINT64_FORMAT
                           " but the body has %" G_GSIZE_FORMAT " bytes",
                           reply->content_length, body_len);

  reply->body = g_bytes_new (body, body_len);
  if (is_symbols && reply->code == 0)
    {
      reply->symbols = split_symbols ((const char *) body, body_len, error);
      if (reply->symbols == NULL)
        return FALSE;
    }
  else
    reply->symbols = g_new0 (char *, 1);
  return TRUE;
}

SsSpamdReply *
ss_spamd_parse_reply (const guint8  *buf,
                      gsize          len,
                      gboolean       is_symbols,
                      GError       **error)
{
  g_autoptr(SsSpamdReply) reply = g_new0 (SsSpamdReply, 1);
  Cursor cur = { buf, len, 0 };
  const char *line = NULL;
  gsize line_len = 0;
  LineStatus status;

  g_return_val_if_fail (buf != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  reply->content_length = -1;
  status = next_line (&cur, &line, &line_len, error);
  if (status == LINE_EOF)
    protocol_error (error, "empty reply");
  if (status != LINE_OK)
    return NULL;
  if (!parse_status_line (line, line_len, reply, error) ||
      !parse_headers (&cur, reply, error) ||
      !parse_body (&cur, is_symbols, reply, error))
    return NULL;

  return g_steal_pointer (&reply);
}

void
ss_spamd_reply_free (SsSpamdReply *reply)
{
  if (reply == NULL)
    return;
  g_free (reply->message);
  g_clear_pointer (&reply->body, g_bytes_unref);
  g_strfreev (reply->symbols);
  g_free (reply);
}
