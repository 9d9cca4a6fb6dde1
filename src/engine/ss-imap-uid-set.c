/* ss-imap-uid-set.c: IMAP UID sequence sets ("1:5,9,12") */
#define G_LOG_DOMAIN "ss-imap-uid-set"

#include "config.h"

#include "ss-imap-uid-set.h"

#include <stdlib.h>
#include <string.h>

#include "ss-imap-parser.h"

static int
compare_uids (const void *a,
              const void *b)
{
  guint32 x = *(const guint32 *) a;
  guint32 y = *(const guint32 *) b;

  return x < y ? -1 : x > y;
}

static void
append_range (GString *set,
              guint32  first,
              guint32  last)
{
  if (set->len > 0)
    g_string_append_c (set, ',');
  if (first == last)
    g_string_append_printf (set, "%" G_GUINT32_FORMAT, first);
  else
    g_string_append_printf (set, "%" G_GUINT32_FORMAT ":%" G_GUINT32_FORMAT, first, last);
}

char *
ss_imap_uid_set_format (const guint32 *uids,
                        gsize          n_uids)
{
  g_autofree guint32 *sorted = NULL;
  g_autoptr(GString) set = NULL;
  gsize i = 0;

  if (n_uids == 0)
    return NULL;
  g_return_val_if_fail (uids != NULL, NULL);

  sorted = g_new (guint32, n_uids);
  memcpy (sorted, uids, n_uids * sizeof (guint32));
  qsort (sorted, n_uids, sizeof (guint32), compare_uids);

  /* 0 is not a UID: skip it rather than send an invalid set. */
  while (i < n_uids && sorted[i] == 0)
    i++;

  set = g_string_new (NULL);
  while (i < n_uids)
    {
      guint32 first = sorted[i];
      guint32 last = first;

      /* Extend over duplicates and consecutive UIDs (sorted, so the difference is >= 0). */
      while (i + 1 < n_uids && sorted[i + 1] - last <= 1)
        last = sorted[++i];
      append_range (set, first, last);
      i++;
    }
  if (set->len == 0)
    return NULL;
  return g_string_free (g_steal_pointer (&set), FALSE);
}

/* One UID: digits only, 1..2^32-1. */
static gboolean
parse_uid (const char **s,
           guint32     *uid,
           GError     **error)
{
  const char *p = *s;
  guint64 value = 0;

  if (!g_ascii_isdigit (*p))
    {
      g_set_error_literal (error, SS_IMAP_PARSE_ERROR, SS_IMAP_PARSE_ERROR_SYNTAX,
                           "Malformed UID set: expected a UID");
      return FALSE;
    }
  for (; g_ascii_isdigit (*p); p++)
    {
      value = value * 10 + (guint64) (*p - '0');
      if (value > G_MAXUINT32)
        {
          g_set_error_literal (error, SS_IMAP_PARSE_ERROR, SS_IMAP_PARSE_ERROR_SYNTAX,
                               "UID out of range");
          return FALSE;
        }
    }
  if (value == 0)
    {
      g_set_error_literal (error, SS_IMAP_PARSE_ERROR, SS_IMAP_PARSE_ERROR_SYNTAX,
                           "0 is not a UID");
      return FALSE;
    }
  *uid = (guint32) value;
  *s = p;
  return TRUE;
}

/* Appends first..last in ascending order if the running total stays within max_uids. */
static gboolean
append_uids (GArray   *out,
             guint32   first,
             guint32   last,
             gsize     max_uids,
             guint64  *total,
             GError  **error)
{
  guint32 lo = MIN (first, last);
  guint32 hi = MAX (first, last);
  guint64 count = (guint64) hi - lo + 1;

  if (count > (guint64) max_uids - *total)
    {
      g_set_error (error, SS_IMAP_PARSE_ERROR, SS_IMAP_PARSE_ERROR_TOO_LARGE,
                   "UID set larger than %" G_GSIZE_FORMAT " UIDs", max_uids);
      return FALSE;
    }
  *total += count;
  for (guint64 uid = lo; uid <= hi; uid++)
    {
      guint32 v = (guint32) uid;
      g_array_append_val (out, v);
    }
  return TRUE;
}

gboolean
ss_imap_uid_set_parse (const char  *set,
                       gsize        max_uids,
                       GArray      *out,
                       GError     **error)
{
  const char *p = set;
  guint orig_len;
  guint64 total = 0;

  g_return_val_if_fail (set != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (g_array_get_element_size (out) == sizeof (guint32), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  orig_len = out->len;
  for (;;)
    {
      guint32 first;
      guint32 last;

      if (!parse_uid (&p, &first, error))
        break;
      last = first;
      if (*p == ':')
        {
          p++;
          if (!parse_uid (&p, &last, error))
            break;
        }
      if (!append_uids (out, first, last, max_uids, &total, error))
        break;
      if (*p == '\0')
        return TRUE;
      if (*p != ',')
        {
          g_set_error_literal (error, SS_IMAP_PARSE_ERROR, SS_IMAP_PARSE_ERROR_SYNTAX,
                               "Malformed UID set: expected ',' or the end");
          break;
        }
      p++;
    }

  /* Leave out as it was. */
  g_array_set_size (out, orig_len);
  return FALSE;
}
