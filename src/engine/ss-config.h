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
  char      *auth;              /* "password" (default), "xoauth2", "oauthbearer" (ss-auth.h) */
  char      *token_command;     /* NULL: none; PROGRAM ARGS... printing an access token */
  char      *goa_account;       /* app only: GNOME Online Accounts id; NULL: none */
  /* [folders]: names as the user writes them, "/" separating levels */
  char      *folder_unfiltered;
  char      *folder_inbox;
  char      *folder_spam;       /* "" : the server's \Junk folder, else "Spam" */
  char      *folder_false_positives; /* "" : "<spam>/False Positives" */
  char      *folder_false_negatives; /* "" : "<spam>/False Negatives" */
  /* [spamd] */
  char      *spamd_address;     /* "host:port", "unix:/path"; NULL: a private spamd */
  guint      spamd_parallel;    /* 1..64, default 10 */
  guint      spamd_timeout;     /* seconds per scan, default 120 */
  guint64    max_size;          /* bytes, default 512000 */
  gboolean   spamd_network_tests; /* private spamd without -L (default FALSE) */
  /* [filter] */
  guint      chunk;             /* 1..1000, default 32 */
  gboolean   learner;           /* the personal learner decides with spamd (default TRUE) */
  guint      confirm_minutes;   /* uncorrected verdicts learned after this long (default 60) */
  guint      threshold;         /* fused spam probability cut-off, percent, default 50 */
  guint      uncertain_band;    /* half-width of the uncertain band, percent; 0 = off */
  char      *uncertain_action;  /* "keyword" (INBOX + $Uncertain) or "folder" */
  char      *uncertain_folder;  /* with "folder" */
  guint      first_scan_days;   /* in-place: unread mail this recent on the first pass */
  /* [expire] */
  guint      unfiltered_days;   /* 0 = off (default) */
  guint      spam_days;         /* 0 = off, default 60 */
  /* [live] (live engine) */
  guint      poll_seconds;      /* default 60 */
  guint      maintenance_minutes; /* default 15 */
  /* [lists]: addresses or "@domain", separated by commas or spaces (NULL: none) */
  char      *lists_allow;
  char      *lists_block;
  /* [training]: initial training from existing mail (--train-existing, setup) */
  guint      train_max_ham;     /* newest read INBOX messages learned, default 1000 */
  guint      train_max_spam;    /* newest spam folder messages learned, default 1000 */
  /* desktop app only (GSettings; not in the key file, the engine does not read them) */
  gboolean   autostart;
  gboolean   notify_spam_summary;
} SsConfig;

typedef enum {
  SS_CONFIG_TEXT,      /* string, checked by ss_config_validate () */
  SS_CONFIG_OPTIONAL,  /* string; empty means unset (NULL) */
  SS_CONFIG_PATH,      /* optional file name; the key file resolves "~/" and relative names */
  SS_CONFIG_TLS,       /* SsTlsMode; GSettings: the Tls enum of nicks */
  SS_CONFIG_UINT,      /* guint within min..max */
  SS_CONFIG_UINT64,    /* guint64 within min..max */
  SS_CONFIG_BOOL,      /* gboolean */
} SsConfigKind;

/* One setting, the only place it is described: the key file parser, the GSettings mapping
 * (src/app/ss-settings.c) and the schema test all walk ss_config_get_keys (). */
typedef struct
{
  const char   *group;          /* key file [group]; NULL: not in the key file */
  const char   *key;            /* key file key */
  const char   *gsettings_key;  /* NULL: not in GSettings */
  SsConfigKind  kind;
  gsize         offset;         /* of the field in SsConfig */
  guint64       min;            /* numbers: the range */
  guint64       max;
  guint64       default_number; /* numbers, TLS mode, booleans */
  const char   *default_text;   /* strings; NULL: unset (GSettings: "") */
  const char   *label;          /* what the setup dialog calls it; untranslated (N_) */
} SsConfigKey;

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
/* "user@server": the account's name in the journal, the learner's file and --json. */
char     *ss_config_dup_account_id (const SsConfig *self);

/* Checks url alone and sets host and port from it (ss_config_validate () does this too). */
gboolean  ss_config_parse_url      (SsConfig       *self,
                                    GError        **error);
/* The url for what a user typed as the server: "host[:port]" (IPv6 as "[addr]:port") gets the
 * scheme of tls; a text with "://" is taken as the whole url. The reverse of dup_server. */
char     *ss_config_url_for_server (const char     *server,
                                    SsTlsMode       tls);
/* IMAP folder names: INBOX is case-insensitive, every other name is compared exactly. */
gboolean  ss_config_same_folder    (const char     *a,
                                    const char     *b);
/* In-place mode: unfiltered = inbox, so new mail is filtered where it arrives (ham stays,
 * with $NotJunk; spam moves). */
gboolean  ss_config_is_in_place    (const SsConfig *self);
/* The learning folders in use: as set, or when empty "False Positives" / "False Negatives"
 * under spam_folder, the spam folder in use (set, or the server's \Junk folder, or "Spam"). */
char     *ss_config_dup_false_positives (const SsConfig *self,
                                         const char     *spam_folder);
char     *ss_config_dup_false_negatives (const SsConfig *self,
                                         const char     *spam_folder);

/* Every setting, in key file order. */
const SsConfigKey *ss_config_get_keys    (gsize             *n_keys);  /* n_keys may be NULL */
/* The key a "settings: [group] key: …" message of this file names, and in detail what it
 * says about it; NULL for other messages. */
const SsConfigKey *ss_config_find_error_key (const char     *message,
                                             const char    **detail);
/* "implicit", "starttls", "none": the key file's and the GSettings enum's names. */
const char        *ss_config_tls_nick    (SsTlsMode          tls);
/* The field as a GVariant of the key's GSettings type ("s" with NULL as "", the TLS mode as its
 * nick, "u", "t", "b"); floating, as g_variant_new () returns. */
GVariant          *ss_config_get_variant (const SsConfig    *self,
                                          const SsConfigKey *key);
/* Sets the field from such a GVariant; FALSE (nothing set) for a wrong type or an unknown nick. */
gboolean           ss_config_set_variant (SsConfig          *self,
                                          const SsConfigKey *key,
                                          GVariant          *value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsConfig, ss_config_free)

G_END_DECLS
