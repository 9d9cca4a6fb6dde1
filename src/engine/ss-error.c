#define G_LOG_DOMAIN "ss-error"

#include "config.h"

#include <gio/gio.h>

#include "ss-error.h"

G_DEFINE_QUARK (ss-imap-error-quark, ss_imap_error)
G_DEFINE_QUARK (ss-spamd-error-quark, ss_spamd_error)
G_DEFINE_QUARK (ss-engine-error-quark, ss_engine_error)

gboolean
ss_error_set_prefixed (GError     **error,
                       GQuark       domain,
                       int          code,
                       const char  *prefix,
                       const char  *format,
                       ...)
{
  va_list args;

  va_start (args, format);
  ss_error_set_prefixed_valist (error, domain, code, prefix, format, args);
  va_end (args);
  return FALSE;
}

gboolean
ss_error_set_prefixed_valist (GError     **error,
                              GQuark       domain,
                              int          code,
                              const char  *prefix,
                              const char  *format,
                              va_list      args)
{
  g_autofree char *message = g_strdup_vprintf (format, args);

  if (prefix != NULL)
    g_set_error (error, domain, code, "%s: %s", prefix, message);
  else
    g_set_error_literal (error, domain, code, message);
  return FALSE;
}

gboolean
ss_error_is_transient (const GError *error)
{
  g_return_val_if_fail (error != NULL, FALSE);

  if (error->domain == SS_IMAP_ERROR)
    return error->code == SS_IMAP_ERROR_CONNECT ||
           error->code == SS_IMAP_ERROR_PROTOCOL ||
           error->code == SS_IMAP_ERROR_TIMEOUT ||
           error->code == SS_IMAP_ERROR_BYE ||
           error->code == SS_IMAP_ERROR_NO ||
           error->code == SS_IMAP_ERROR_BAD;
  if (error->domain == SS_SPAMD_ERROR)
    return error->code != SS_SPAMD_ERROR_START;
  if (error->domain == G_IO_ERROR)
    return !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  return g_error_matches (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_TOKEN);
}
