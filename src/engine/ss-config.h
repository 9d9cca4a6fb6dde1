/* ss-config.h: account and filter settings (headless: a GKeyFile; app: GSettings) */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SS_TLS_IMPLICIT,   /* imaps:// */
  SS_TLS_STARTTLS,   /* imap:// with STARTTLS required */
  SS_TLS_NONE,       /* plain text: only when written explicitly */
} SsTlsMode;

typedef struct
{
  /* [account] */
  char      *url;               /* imap[s]://host[:port] (no user, no path) */
  char      *host;              /* parsed from url */
  guint16    port;              /* parsed from url or the scheme's default (143/993) */
  SsTlsMode  tls;
  char      *user;
  char      *password_file;     /* NULL: keyring */
  char      *ca_file;           /* NULL: system CAs */
  /* [folders]: names as the user writes them, "/" separating levels */
  char      *folder_unfiltered;
  char      *folder_inbox;
  char      *folder_spam;       /* "" : the server's \Junk folder, else "Spam" */
  char      *folder_false_positives;
  char      *folder_false_negatives;
  /* [spamd] */
  char      *spamd_address;     /* "host:port", "unix:/path"; NULL: a private spamd */
  guint      spamd_parallel;    /* 1..64, default 10 */
  guint      spamd_timeout;     /* seconds per scan, default 120 */
  guint64    max_size;          /* bytes, default 512000 */
  /* [filter] */
  guint      chunk;             /* 1..1000, default 32 */
  /* [expire] */
  guint      unfiltered_days;   /* 0 = off (default) */
  guint      spam_days;         /* 0 = off, default 60 */
  /* [live] (live engine) */
  guint      poll_seconds;      /* default 60 */
  guint      maintenance_minutes; /* default 15 */
} SsConfig;

SsConfig *ss_config_new_default    (void);
/* Loads and validates a settings file. Unknown groups or keys, bad values, a missing url or
 * user: SS_ENGINE_ERROR_CONFIG with a one-line message naming the group and key.
 * Trailing "  # comment" after a value or a [group] is allowed and ignored. */
SsConfig *ss_config_load_file      (const char     *path,
                                    GError        **error);
/* Same from memory (tests). */
SsConfig *ss_config_load_data      (const char     *data,
                                    gsize           len,
                                    GError        **error);
/* Checks cross-field rules (e.g. tls=none only with imap://, parallel range) after the fields
 * were set by any source (GSettings in the app). */
gboolean  ss_config_validate       (SsConfig       *self,
                                    GError        **error);
SsConfig *ss_config_copy           (const SsConfig *self);
void      ss_config_free           (SsConfig       *self);
/* "host" or "host:port" when the port is not the scheme default: the keyring's "server". */
char     *ss_config_dup_server     (const SsConfig *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsConfig, ss_config_free)

G_END_DECLS
