#define G_LOG_DOMAIN "ss-record"

#include "config.h"

#include "ss-record.h"

#include <math.h>

static const char * const verdict_names[] = {
  [SS_VERDICT_SPAM] = "spam",
  [SS_VERDICT_HAM] = "ham",
  [SS_VERDICT_SKIPPED] = "skipped",
  [SS_VERDICT_UNSCANNED] = "unscanned",
  [SS_VERDICT_LEARNED_HAM] = "learned-ham",
  [SS_VERDICT_LEARNED_SPAM] = "learned-spam",
  [SS_VERDICT_EXPIRED] = "expired",
  [SS_VERDICT_UNCERTAIN] = "uncertain",
};

G_DEFINE_BOXED_TYPE (SsRecord, ss_record, ss_record_copy, ss_record_free)

const char *
ss_verdict_kind_to_string (SsVerdictKind verdict)
{
  g_return_val_if_fail (verdict < G_N_ELEMENTS (verdict_names), "unknown");
  return verdict_names[verdict];
}

gboolean
ss_verdict_kind_from_string (const char *str,
                        SsVerdictKind  *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (verdict_names); i++)
    if (g_strcmp0 (str, verdict_names[i]) == 0)
      {
        *out = i;
        return TRUE;
      }
  return FALSE;
}

SsRecord *
ss_record_new (void)
{
  SsRecord *record = g_new0 (SsRecord, 1);

  record->time = g_get_real_time () / G_USEC_PER_SEC;
  record->combined = NAN;
  record->learner = NAN;
  record->logodds = NAN;
  return record;
}

SsRecord *
ss_record_copy (const SsRecord *record)
{
  SsRecord *copy = g_memdup2 (record, sizeof *record);

  copy->folder = g_strdup (record->folder);
  copy->message_id = g_strdup (record->message_id);
  copy->from = g_strdup (record->from);
  copy->subject = g_strdup (record->subject);
  copy->rules = g_strdupv (record->rules);
  copy->destination = g_strdup (record->destination);
  return copy;
}

void
ss_record_free (SsRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->folder);
  g_free (record->message_id);
  g_free (record->from);
  g_free (record->subject);
  g_strfreev (record->rules);
  g_free (record->destination);
  g_free (record);
}

void
ss_json_append_string (GString    *out,
                       const char *str)
{
  g_autofree char *valid = g_utf8_make_valid (str != NULL ? str : "", -1);

  g_string_append_c (out, '"');
  for (const char *p = valid; *p; p++)
    {
      guchar c = *p;

      if (c == '"' || c == '\\')
        g_string_append_printf (out, "\\%c", c);
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, c);
    }
  g_string_append_c (out, '"');
}

/* ,"name":value in a printf format, or null when not known (or NaN) */
static void
append_member (GString    *out,
               const char *name,
               gboolean    known,
               const char *format,
               double      value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (out, ",\"%s\":", name);
  if (known && !isnan (value))
    g_string_append (out, g_ascii_formatd (buf, sizeof buf, format, value));
  else
    g_string_append (out, "null");
}

char *
ss_record_to_json (const SsRecord *record)
{
  GString *out = g_string_new ("{\"uid\":");

  g_string_append_printf (out, "%u,\"uidvalidity\":%u,\"folder\":", record->uid,
                          record->uidvalidity);
  ss_json_append_string (out, record->folder);
  g_string_append (out, ",\"message_id\":");
  ss_json_append_string (out, record->message_id);
  g_string_append (out, ",\"from\":");
  ss_json_append_string (out, record->from);
  g_string_append (out, ",\"subject\":");
  ss_json_append_string (out, record->subject);
  append_member (out, "score", record->scanned, "%.1f", record->score);
  append_member (out, "threshold", record->scanned, "%.1f", record->threshold);
  append_member (out, "combined", record->scanned, "%.4f", record->combined);
  append_member (out, "logodds", record->scanned, "%.3f", record->logodds);
  append_member (out, "learner", record->scanned, "%.3f", record->learner);
  g_string_append (out, ",\"verdict\":");
  ss_json_append_string (out, ss_verdict_kind_to_string (record->verdict));
  g_string_append (out, ",\"destination\":");
  ss_json_append_string (out, record->destination);
  /* Where the message is now, as ss_verdict_dup_key() writes it (null when unknown). */
  g_string_append (out, ",\"key\":");
  if (record->dest_uid != 0 && record->destination != NULL && *record->destination != '\0')
    {
      g_autofree char *key = g_strdup_printf ("%u:%u:%s", record->dest_uidvalidity,
                                              record->dest_uid, record->destination);
      ss_json_append_string (out, key);
    }
  else
    g_string_append (out, "null");
  g_string_append_printf (out, ",\"dest_uidvalidity\":%u,\"dest_uid\":%u",
                          record->dest_uidvalidity, record->dest_uid);
  g_string_append (out, ",\"rules\":[");
  for (guint i = 0; record->rules != NULL && record->rules[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      ss_json_append_string (out, record->rules[i]);
    }
  g_string_append_printf (out, "],\"time\":%" G_GINT64_FORMAT ",\"dry_run\":%s}", record->time,
                          record->dry_run ? "true" : "false");
  return g_string_free (out, FALSE);
}
