#define G_LOG_DOMAIN "ss-message-info"

#include "config.h"

#include "ss-message-info.h"

#include <string.h>

#include <gmime/gmime.h>

/* RFC 5322 line limit: also the bound of every field we hand out. */
#define FIELD_MAX 998

static gpointer
init_once (gpointer data)
{
  /* Immutable after this point: shared read-only by all parsing threads. */
  static const char *fallback_charsets[] = { "UTF-8", "windows-1252", NULL };
  GMimeParserOptions *options;

  g_mime_init ();
  options = g_mime_parser_options_new ();
  g_mime_parser_options_set_rfc2047_compliance_mode (options, GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_address_compliance_mode (options, GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_parameter_compliance_mode (options, GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_allow_addresses_without_domain (options, TRUE);
  g_mime_parser_options_set_fallback_charsets (options, fallback_charsets);
  return options;
}

static GMimeParserOptions *
get_parser_options (void)
{
  static GOnce once = G_ONCE_INIT;

  return g_once (&once, init_once, NULL);
}

void
ss_message_info_init (void)
{
  get_parser_options ();
}

/* Fields we show; everything else in a header is skipped before GMime sees it. */
static gboolean
is_wanted_field (const guint8 *line,
                 gsize         len)
{
  static const char *names[] = { "Subject", "From", "Message-Id", "Date" };
  gsize name_len = 0;
  gsize i;

  while (name_len < len && line[name_len] != ':' && line[name_len] != ' ' &&
         line[name_len] != '\t')
    name_len++;
  /* Obsolete syntax allows blanks before the colon. */
  for (i = name_len; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
    ;
  if (i == len || line[i] != ':')
    return FALSE;

  for (gsize n = 0; n < G_N_ELEMENTS (names); n++)
    if (strlen (names[n]) == name_len &&
        g_ascii_strncasecmp ((const char *) line, names[n], name_len) == 0)
      return TRUE;
  return FALSE;
}

/* The wanted header fields with their folded lines, up to the blank line (LF or CRLF) that
 * ends the header. Received, DKIM, ARC... (often 5-15 kB) are not worth GMime's time. */
static GByteArray *
extract_fields (const guint8 *data,
                gsize         len)
{
  GByteArray *out = g_byte_array_sized_new (1024);
  const guint8 *end = data + len;
  gboolean keep = FALSE;

  for (const guint8 *p = data; p < end; )
    {
      const guint8 *nl = memchr (p, '\n', end - p);
      const guint8 *next = nl != NULL ? nl + 1 : end;

      if (p[0] == '\n' || (p[0] == '\r' && p + 1 < end && p[1] == '\n'))
        break;
      if (p[0] != ' ' && p[0] != '\t')
        keep = is_wanted_field (p, next - p);
      if (keep)
        g_byte_array_append (out, p, next - p);
      p = next;
    }
  return out;
}

/* Cc controls, line/paragraph separators, and bidi embeddings, overrides and isolates
 * (which could reorder the rest of a line in a list of messages). */
static gboolean
is_control (gunichar c)
{
  return g_unichar_iscntrl (c) ||
         c == 0x2028 || c == 0x2029 ||
         (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2066 && c <= 0x2069);
}

/* Valid UTF-8; control characters and spaces collapse to one space; trimmed; at most
 * FIELD_MAX bytes, cut on a character boundary. */
static char *
sanitize (const char *text)
{
  g_autofree char *valid = NULL;
  GString *out;
  gboolean pending_space = FALSE;

  if (text == NULL || *text == '\0')
    return g_strdup ("");

  valid = g_utf8_make_valid (text, -1);
  out = g_string_sized_new (MIN (strlen (valid), FIELD_MAX) + 1);
  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gsize n = g_utf8_next_char (p) - p;

      if (c == ' ' || is_control (c))
        {
          pending_space = out->len > 0;
          continue;
        }
      if (out->len + pending_space + n > FIELD_MAX)
        break;
      if (pending_space)
        g_string_append_c (out, ' ');
      pending_space = FALSE;
      g_string_append_len (out, p, n);
    }
  return g_string_free (out, FALSE);
}

static const char *
raw_header (GMimeMessage *message,
            const char   *name)
{
  GMimeHeaderList *headers = g_mime_object_get_header_list (GMIME_OBJECT (message));
  GMimeHeader *header = g_mime_header_list_get_header (headers, name);

  return header != NULL ? g_mime_header_get_raw_value (header) : NULL;
}

/* Unfolds and decodes an unstructured header's raw value (encoded words, 8-bit text). */
static char *
decode_raw (GMimeParserOptions *options,
            const char         *raw)
{
  g_autofree char *unfolded = NULL;
  g_autofree char *decoded = NULL;

  if (raw == NULL)
    return g_strdup ("");
  unfolded = g_mime_utils_header_unfold (raw);
  decoded = g_mime_utils_header_decode_text (options, unfolded);
  return sanitize (decoded);
}

static char *
get_from (GMimeParserOptions *options,
          GMimeMessage       *message)
{
  InternetAddressList *list = g_mime_message_get_from (message);
  g_autofree char *text = NULL;

  if (list != NULL && internet_address_list_length (list) > 0)
    text = internet_address_list_to_string (list, NULL, FALSE);
  if (text != NULL && *text != '\0')
    return sanitize (text);
  /* Unparsable address: show the decoded text as sent. */
  return decode_raw (options, raw_header (message, "From"));
}

static char *
get_message_id (GMimeMessage *message)
{
  const char *id = g_mime_message_get_message_id (message);
  g_autofree char *stripped = NULL;
  const char *raw;

  if (id != NULL && *id != '\0')
    return sanitize (id);

  /* Not an addr-spec: keep the text between the angle brackets. */
  raw = raw_header (message, "Message-Id");
  if (raw == NULL)
    return g_strdup ("");
  stripped = g_strstrip (g_strdup (raw));
  if (stripped[0] == '<')
    memmove (stripped, stripped + 1, strlen (stripped));
  if (g_str_has_suffix (stripped, ">"))
    stripped[strlen (stripped) - 1] = '\0';
  return sanitize (stripped);
}

static SsMessageInfo *
info_new_empty (void)
{
  SsMessageInfo *info = g_new (SsMessageInfo, 1);

  info->message_id = g_strdup ("");
  info->from = g_strdup ("");
  info->subject = g_strdup ("");
  info->date = g_strdup ("");
  return info;
}

static void
info_fill (SsMessageInfo      *info,
           GMimeParserOptions *options,
           GMimeMessage       *message)
{
  const char *date = raw_header (message, "Date");

  g_free (info->message_id);
  info->message_id = get_message_id (message);
  g_free (info->from);
  info->from = get_from (options, message);
  g_free (info->subject);
  info->subject = decode_raw (options, raw_header (message, "Subject"));
  g_free (info->date);
  info->date = sanitize (date);
}

SsMessageInfo *
ss_message_info_parse (const guint8 *data,
                       gsize         len)
{
  GMimeParserOptions *options = get_parser_options ();
  SsMessageInfo *info = info_new_empty ();
  GByteArray *fields;
  GMimeStream *stream;
  GMimeParser *parser;
  GMimeMessage *message;

  g_return_val_if_fail (data != NULL || len == 0, info);

  /* Only (part of) the header: the body is never looked at. */
  fields = extract_fields (data, len);
  if (fields->len == 0)
    {
      g_byte_array_unref (fields);
      return info;
    }
  stream = g_mime_stream_mem_new_with_byte_array (fields);
  parser = g_mime_parser_new_with_stream (stream);
  message = g_mime_parser_construct_message (parser, options);
  if (message != NULL)
    info_fill (info, options, message);

  g_clear_object (&message);
  g_object_unref (parser);
  g_object_unref (stream);
  return info;
}

SsMessageInfo *
ss_message_info_copy (const SsMessageInfo *info)
{
  SsMessageInfo *copy;

  g_return_val_if_fail (info != NULL, NULL);

  copy = g_new (SsMessageInfo, 1);
  copy->message_id = g_strdup (info->message_id);
  copy->from = g_strdup (info->from);
  copy->subject = g_strdup (info->subject);
  copy->date = g_strdup (info->date);
  return copy;
}

void
ss_message_info_free (SsMessageInfo *info)
{
  if (info == NULL)
    return;

  g_free (info->message_id);
  g_free (info->from);
  g_free (info->subject);
  g_free (info->date);
  g_free (info);
}
