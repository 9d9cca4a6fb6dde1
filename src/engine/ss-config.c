#define G_LOG_DOMAIN "ss-config"

#include "config.h"

#include "ss-config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "ss-error.h"

#define SETTINGS_MAX_BYTES (1024 * 1024)
#define IMAP_PORT          143
#define IMAPS_PORT         993

typedef enum
{
  KEY_TEXT,      /* plain string, checked by validate () */
  KEY_OPTIONAL,  /* empty means unset (NULL) */
  KEY_PATH,      /* optional file name: "~/" and relative paths resolved */
  KEY_TLS,
  KEY_UINT,
  KEY_UINT64,
} KeyKind;

typedef struct
{
  const char *group;
  const char *key;
  KeyKind     kind;
  gsize       offset;
  guint64     min;
  guint64     max;
} KeySpec;

#define FIELD(f) offsetof (SsConfig, f)

static const KeySpec key_specs[] = {
  { "account", "url", KEY_TEXT, FIELD (url) },
  { "account", "tls", KEY_TLS, FIELD (tls) },
  { "account", "user", KEY_TEXT, FIELD (user) },
  { "account", "password-file", KEY_PATH, FIELD (password_file) },
  { "account", "ca-file", KEY_PATH, FIELD (ca_file) },
  { "folders", "unfiltered", KEY_TEXT, FIELD (folder_unfiltered) },
  { "folders", "inbox", KEY_TEXT, FIELD (folder_inbox) },
  { "folders", "spam", KEY_TEXT, FIELD (folder_spam) },
  { "folders", "false-positives", KEY_TEXT, FIELD (folder_false_positives) },
  { "folders", "false-negatives", KEY_TEXT, FIELD (folder_false_negatives) },
  { "spamd", "address", KEY_OPTIONAL, FIELD (spamd_address) },
  { "spamd", "parallel", KEY_UINT, FIELD (spamd_parallel), 1, 64 },
  { "spamd", "max-size", KEY_UINT64, FIELD (max_size), 1024, 256 * 1024 * 1024 },
  { "spamd", "timeout", KEY_UINT, FIELD (spamd_timeout), 5, 3600 },
  { "filter", "chunk", KEY_UINT, FIELD (chunk), 1, 1000 },
  { "expire", "unfiltered-days", KEY_UINT, FIELD (unfiltered_days), 0, 36500 },
  { "expire", "spam-days", KEY_UINT, FIELD (spam_days), 0, 36500 },
  { "live", "poll-seconds", KEY_UINT, FIELD (poll_seconds), 5, 86400 },
  { "live", "maintenance-minutes", KEY_UINT, FIELD (maintenance_minutes), 1, 1440 },
};

/* Every string field, for copy and free. */
static const gsize string_fields[] = {
  FIELD (url), FIELD (host), FIELD (user), FIELD (password_file), FIELD (ca_file),
  FIELD (folder_unfiltered), FIELD (folder_inbox), FIELD (folder_spam),
  FIELD (folder_false_positives), FIELD (folder_false_negatives), FIELD (spamd_address),
};

/* The folder keys, in the order they are compared for distinctness. */
static const struct
{
  const char *key;
  gsize       offset;
} folder_fields[] = {
  { "unfiltered", FIELD (folder_unfiltered) },
  { "inbox", FIELD (folder_inbox) },
  { "spam", FIELD (folder_spam) },
  { "false-positives", FIELD (folder_false_positives) },
  { "false-negatives", FIELD (folder_false_negatives) },
};

#define STRING_AT(self, offset) G_STRUCT_MEMBER (char *, (self), (offset))

/* ---- errors ---- */

static gboolean G_GNUC_PRINTF (4, 5)
key_error (GError    **error,
           const char *group,
           const char *key,
           const char *format,
           ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG,
               "settings: [%s] %s: %s", group, key, detail);
  return FALSE;
}

static gboolean G_GNUC_PRINTF (3, 4)
line_error (GError   **error,
            guint      lineno,
            const char *format,
            ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG,
               "settings: line %u: %s", lineno, detail);
  return FALSE;
}

/* A value as it may appear in a one-line message: "quoted", controls escaped, shortened. */
static char *
quote (const char *value)
{
  g_autofree char *valid = g_utf8_make_valid (value != NULL ? value : "", -1);
  GString *out = g_string_new ("\"");
  guint n = 0;

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p), n++)
    {
      if (n == 60)
        {
          g_string_append (out, "…");
          break;
        }
      if ((guchar) *p < 0x20 || *p == 0x7f)
        g_string_append_printf (out, "\\x%02x", (guchar) *p);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
    }
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

static gboolean
has_control (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return TRUE;
  return FALSE;
}

/* ---- reading the file ---- */

/* Cuts a trailing "<whitespace># comment" (or a whole-line comment) and trims. */
static void
strip_comment (char *line)
{
  char *p = line + strspn (line, " \t");

  if (*p == '#')
    *p = '\0';
  for (; *p != '\0'; p++)
    if (*p == '#' && (p[-1] == ' ' || p[-1] == '\t'))
      {
        *p = '\0';
        break;
      }
  g_strstrip (line);
}

/* Checks one cleaned line's shape; tracks the group and catches duplicate keys. */
static gboolean
check_line (const char  *line,
            guint        lineno,
            char       **group,
            GHashTable  *seen,
            GError     **error)
{
  const char *eq;
  g_autofree char *key = NULL;

  if (*line == '\0')
    return TRUE;
  if (*line == '[')
    {
      gsize len = strlen (line);

      if (len < 3 || line[len - 1] != ']')
        return line_error (error, lineno, "%s is not a valid [group] header", line);
      g_free (*group);
      *group = g_strndup (line + 1, len - 2);
      return TRUE;
    }

  eq = strchr (line, '=');
  if (eq == NULL)
    return line_error (error, lineno, "expected key=value, a [group] or a # comment");
  key = g_strstrip (g_strndup (line, eq - line));
  if (*key == '\0')
    return line_error (error, lineno, "missing key name before \"=\"");
  if (*group == NULL)
    return line_error (error, lineno, "%s is outside a [group]", key);
  /* GKeyFile would silently hide a localised "key[xx]": none is known here. */
  if (strpbrk (key, "[]") != NULL)
    return key_error (error, *group, key, "unknown key");
  if (!g_hash_table_add (seen, g_strconcat (*group, "\n", key, NULL)))
    return key_error (error, *group, key, "duplicate key");
  return TRUE;
}

/* The text GKeyFile gets: inline comments stripped, structure and duplicates checked. */
static char *
preprocess (const char  *data,
            gsize        len,
            GError     **error)
{
  g_autoptr(GString) out = g_string_sized_new (len + 1);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *group = NULL;
  const char *end = data + len;
  const char *bad = NULL;
  guint lineno = 0;

  if (memchr (data, '\0', len) != NULL)
    {
      g_set_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG,
                   "settings: the file contains a NUL byte");
      return NULL;
    }
  if (!g_utf8_validate_len (data, len, &bad))
    {
      guint bad_line = 1;

      for (const char *p = data; p < bad; p++)
        bad_line += *p == '\n';
      line_error (error, bad_line, "not valid UTF-8");
      return NULL;
    }

  for (const char *p = data; p < end; )
    {
      const char *nl = memchr (p, '\n', end - p);
      const char *eol = nl != NULL ? nl : end;
      g_autofree char *line = g_strndup (p, eol - p);

      lineno++;
      strip_comment (line);
      if (!check_line (line, lineno, &group, seen, error))
        return NULL;
      g_string_append (out, line);
      g_string_append_c (out, '\n');
      p = nl != NULL ? nl + 1 : end;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Decimal digits only; the end pointer must reach the end (no "10x", "-1", "1e3", ""). */
static gboolean
parse_decimal (const char *text,
               guint64    *value)
{
  char *end = NULL;

  if (!g_ascii_isdigit (text[0]))
    return FALSE;
  errno = 0;
  *value = g_ascii_strtoull (text, &end, 10);
  return errno == 0 && end != text && *end == '\0';
}

static gboolean
check_range (const KeySpec  *spec,
             guint64         value,
             GError        **error)
{
  if (value >= spec->min && value <= spec->max)
    return TRUE;
  return key_error (error, spec->group, spec->key,
                    "\"%" G_GUINT64_FORMAT "\" is out of range (%" G_GUINT64_FORMAT
                    "–%" G_GUINT64_FORMAT ")", value, spec->min, spec->max);
}

static gboolean
parse_tls (const char *text,
           SsTlsMode  *tls)
{
  if (g_str_equal (text, "implicit"))
    *tls = SS_TLS_IMPLICIT;
  else if (g_str_equal (text, "starttls"))
    *tls = SS_TLS_STARTTLS;
  else if (g_str_equal (text, "none"))
    *tls = SS_TLS_NONE;
  else
    return FALSE;
  return TRUE;
}

/* "~/x" → $HOME/x; relative names are relative to base_dir (NULL: the current directory). */
static char *
resolve_path (const char *path,
              const char *base_dir)
{
  g_autofree char *expanded = NULL;

  if (g_str_has_prefix (path, "~/"))
    expanded = g_build_filename (g_get_home_dir (), path + 2, NULL);
  return g_canonicalize_filename (expanded != NULL ? expanded : path, base_dir);
}

static void
set_string (SsConfig *self,
            gsize     offset,
            char     *value)
{
  g_free (STRING_AT (self, offset));
  STRING_AT (self, offset) = value;
}

static gboolean
read_number (SsConfig       *self,
             const KeySpec  *spec,
             const char     *text,
             GError        **error)
{
  guint64 value;

  if (!parse_decimal (text, &value))
    {
      g_autofree char *quoted = quote (text);

      return key_error (error, spec->group, spec->key, "%s is not a decimal number", quoted);
    }
  if (!check_range (spec, value, error))
    return FALSE;
  if (spec->kind == KEY_UINT64)
    G_STRUCT_MEMBER (guint64, self, spec->offset) = value;
  else
    G_STRUCT_MEMBER (guint, self, spec->offset) = (guint) value;
  return TRUE;
}

static gboolean
read_key (SsConfig       *self,
          GKeyFile       *keyfile,
          const KeySpec  *spec,
          const char     *base_dir,
          GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *value = g_key_file_get_string (keyfile, spec->group, spec->key,
                                                  &local_error);

  if (value == NULL)
    return key_error (error, spec->group, spec->key, "%s", local_error->message);

  switch (spec->kind)
    {
    case KEY_TEXT:
      set_string (self, spec->offset, g_steal_pointer (&value));
      return TRUE;
    case KEY_OPTIONAL:
      set_string (self, spec->offset, *value != '\0' ? g_steal_pointer (&value) : NULL);
      return TRUE;
    case KEY_PATH:
      set_string (self, spec->offset, *value != '\0' ? resolve_path (value, base_dir) : NULL);
      return TRUE;
    case KEY_TLS:
      if (!parse_tls (value, &self->tls))
        {
          g_autofree char *quoted = quote (value);

          return key_error (error, spec->group, spec->key,
                            "%s is not implicit, starttls or none", quoted);
        }
      return TRUE;
    case KEY_UINT:
    case KEY_UINT64:
      return read_number (self, spec, value, error);
    default:
      break;
    }
  g_return_val_if_reached (FALSE);
}

static const KeySpec *
find_spec (const char *group,
           const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS (key_specs); i++)
    if (g_str_equal (key_specs[i].group, group) &&
        (key == NULL || g_str_equal (key_specs[i].key, key)))
      return &key_specs[i];
  return NULL;
}

static gboolean
read_group (SsConfig    *self,
            GKeyFile    *keyfile,
            const char  *group,
            const char  *base_dir,
            gboolean    *tls_set,
            GError     **error)
{
  g_auto(GStrv) keys = NULL;

  if (find_spec (group, NULL) == NULL)
    {
      g_set_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG,
                   "settings: [%s]: unknown group", group);
      return FALSE;
    }

  keys = g_key_file_get_keys (keyfile, group, NULL, NULL);
  for (gsize i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      const KeySpec *spec = find_spec (group, keys[i]);

      /* Never read the value: it must not end up in a message or a log. */
      if (g_str_equal (group, "account") && g_str_equal (keys[i], "password"))
        return key_error (error, group, keys[i],
                          "a password is never read from the settings file; "
                          "use password-file (mode 0600) or the keyring");
      if (spec == NULL)
        return key_error (error, group, keys[i], "unknown key");
      if (!read_key (self, keyfile, spec, base_dir, error))
        return FALSE;
      if (spec->kind == KEY_TLS)
        *tls_set = TRUE;
    }
  return TRUE;
}

static gboolean
url_is_imaps (const char *url)
{
  return url != NULL && g_ascii_strncasecmp (url, "imaps:", 6) == 0;
}

static SsConfig *
load_internal (const char  *data,
               gsize        len,
               const char  *base_dir,
               GError     **error)
{
  g_autoptr(SsConfig) self = ss_config_new_default ();
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) groups = NULL;
  gboolean tls_set = FALSE;

  text = preprocess (data, len, error);
  if (text == NULL)
    return NULL;
  if (!g_key_file_load_from_data (keyfile, text, -1, G_KEY_FILE_NONE, &local_error))
    {
      g_set_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG,
                   "settings: %s", local_error->message);
      return NULL;
    }

  groups = g_key_file_get_groups (keyfile, NULL);
  for (gsize i = 0; groups[i] != NULL; i++)
    if (!read_group (self, keyfile, groups[i], base_dir, &tls_set, error))
      return NULL;

  /* The scheme picks the TLS mode unless it was written down. */
  if (!tls_set)
    self->tls = url_is_imaps (self->url) ? SS_TLS_IMPLICIT : SS_TLS_STARTTLS;

  if (!ss_config_validate (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

/* ---- validation ---- */

/* Never echo a URL that may carry credentials ("imaps://user:secret@host"). */
static char *
quote_url (const char *url)
{
  if (strchr (url, '@') != NULL)
    return g_strdup ("the url");
  return quote (url);
}

static gboolean
check_url_parts (GUri        *uri,
                 const char  *quoted,
                 GError     **error)
{
  const char *path = g_uri_get_path (uri);
  const char *scheme = g_uri_get_scheme (uri);
  const char *host = g_uri_get_host (uri);

  if (g_ascii_strcasecmp (scheme, "imaps") != 0 && g_ascii_strcasecmp (scheme, "imap") != 0)
    return key_error (error, "account", "url",
                      "%s must start with imaps:// (TLS) or imap:// (STARTTLS)", quoted);
  if (g_uri_get_userinfo (uri) != NULL)
    return key_error (error, "account", "url",
                      "%s must not contain a user name or password (use user=)", quoted);
  if (host == NULL || *host == '\0')
    return key_error (error, "account", "url", "%s has no host", quoted);
  if (has_control (host) || strpbrk (host, " /\\") != NULL)
    return key_error (error, "account", "url", "%s has an invalid host", quoted);
  if (g_uri_get_port (uri) == 0)
    return key_error (error, "account", "url", "%s: the port must be 1–65535", quoted);
  if ((*path != '\0' && !g_str_equal (path, "/")) ||
      g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    return key_error (error, "account", "url",
                      "%s must not have a path, query or fragment", quoted);
  return TRUE;
}

/* Checks url and sets host and port from it. */
static gboolean
validate_url (SsConfig  *self,
              GError   **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *quoted = NULL;
  int port;

  if (self->url == NULL || *self->url == '\0')
    return key_error (error, "account", "url",
                      "missing (imaps://host[:port] or imap://host[:port])");

  quoted = quote_url (self->url);
  if (has_control (self->url) || strchr (self->url, ' ') != NULL)
    return key_error (error, "account", "url", "%s is not a valid URL", quoted);
  uri = g_uri_parse (self->url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    return key_error (error, "account", "url",
                      "%s is not a valid URL (imaps://host[:port] or imap://host[:port])",
                      quoted);
  if (!check_url_parts (uri, quoted, error))
    return FALSE;

  port = g_uri_get_port (uri);
  g_free (self->host);
  self->host = g_ascii_strdown (g_uri_get_host (uri), -1);
  if (port > 0)
    self->port = (guint16) port;
  else
    self->port = url_is_imaps (self->url) ? IMAPS_PORT : IMAP_PORT;
  return TRUE;
}

static gboolean
validate_tls (const SsConfig  *self,
              GError         **error)
{
  gboolean imaps = url_is_imaps (self->url);

  if (self->tls != SS_TLS_IMPLICIT && self->tls != SS_TLS_STARTTLS && self->tls != SS_TLS_NONE)
    return key_error (error, "account", "tls", "%d is not a TLS mode", (int) self->tls);
  if (self->tls == SS_TLS_IMPLICIT && !imaps)
    return key_error (error, "account", "tls",
                      "\"implicit\" needs an imaps:// url (imap:// is starttls or none)");
  if (self->tls == SS_TLS_STARTTLS && imaps)
    return key_error (error, "account", "tls",
                      "\"starttls\" needs an imap:// url (imaps:// is implicit TLS)");
  if (self->tls == SS_TLS_NONE && imaps)
    return key_error (error, "account", "tls",
                      "\"none\" needs an imap:// url (imaps:// is implicit TLS)");
  return TRUE;
}

static gboolean
validate_account (SsConfig  *self,
                  GError   **error)
{
  const char *paths[] = { "password-file", "ca-file" };
  char **path_fields[] = { &self->password_file, &self->ca_file };

  if (!validate_url (self, error) || !validate_tls (self, error))
    return FALSE;
  if (self->user == NULL || *self->user == '\0')
    return key_error (error, "account", "user", "missing (the IMAP login name)");
  if (has_control (self->user))
    return key_error (error, "account", "user", "contains a control character");

  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      if (*path_fields[i] != NULL && **path_fields[i] == '\0')
        g_clear_pointer (path_fields[i], g_free);
      if (*path_fields[i] != NULL && !g_path_is_absolute (*path_fields[i]))
        return key_error (error, "account", paths[i], "must be an absolute path");
    }
  return TRUE;
}

static gboolean
validate_folder_name (const char  *key,
                      const char  *name,
                      GError     **error)
{
  g_autofree char *quoted = quote (name);

  if (*name == '\0')
    return g_str_equal (key, "spam") ||
           key_error (error, "folders", key, "must not be empty");
  if (!g_utf8_validate (name, -1, NULL))
    return key_error (error, "folders", key, "%s is not valid UTF-8", quoted);
  if (has_control (name))
    return key_error (error, "folders", key, "%s contains a control character", quoted);
  if (name[0] == '/' || g_str_has_suffix (name, "/"))
    return key_error (error, "folders", key, "%s must not start or end with \"/\"", quoted);
  if (strstr (name, "//") != NULL)
    return key_error (error, "folders", key, "%s must not contain \"//\"", quoted);
  return TRUE;
}

/* INBOX is case-insensitive in IMAP; every other name is compared exactly. */
static gboolean
same_folder (const char *a,
             const char *b)
{
  if (g_ascii_strcasecmp (a, "INBOX") == 0)
    return g_ascii_strcasecmp (b, "INBOX") == 0;
  return g_str_equal (a, b);
}

/* The folder as compared: an empty spam may end up as "Spam". */
static const char *
effective_folder (const SsConfig *self,
                  gsize           i)
{
  const char *name = STRING_AT (self, folder_fields[i].offset);

  if (name == NULL || *name == '\0')
    return g_str_equal (folder_fields[i].key, "spam") ? "Spam" : "";
  return name;
}

static gboolean
validate_folders (SsConfig  *self,
                  GError   **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (folder_fields); i++)
    {
      const char *name = STRING_AT (self, folder_fields[i].offset);

      if (!validate_folder_name (folder_fields[i].key, name != NULL ? name : "", error))
        return FALSE;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (folder_fields); i++)
    for (gsize j = 0; j < i; j++)
      if (same_folder (effective_folder (self, i), effective_folder (self, j)))
        {
          g_autofree char *quoted = quote (effective_folder (self, i));

          return key_error (error, "folders", folder_fields[i].key,
                            "same folder as %s (%s); the five folders must differ",
                            folder_fields[j].key, quoted);
        }
  return TRUE;
}

/* "unix:/absolute/path", "host:port" or "[v6]:port". */
static gboolean
validate_spamd_address (SsConfig  *self,
                        GError   **error)
{
  g_autofree char *quoted = NULL;
  const char *address;
  const char *colon;
  guint64 port;

  if (self->spamd_address != NULL && *self->spamd_address == '\0')
    g_clear_pointer (&self->spamd_address, g_free);
  if (self->spamd_address == NULL)
    return TRUE;

  address = self->spamd_address;
  quoted = quote (address);
  if (has_control (address) || strchr (address, ' ') != NULL)
    return key_error (error, "spamd", "address", "%s contains a space or control", quoted);
  if (g_str_has_prefix (address, "unix:"))
    {
      if (address[5] != '/' || address[6] == '\0')
        return key_error (error, "spamd", "address",
                          "%s: unix: needs an absolute socket path", quoted);
      return TRUE;
    }

  colon = strrchr (address, ':');
  if (colon == NULL || colon == address || !parse_decimal (colon + 1, &port) ||
      port == 0 || port > 65535)
    return key_error (error, "spamd", "address",
                      "%s is not host:port (port 1–65535) or unix:/path", quoted);
  if (address[0] == '[' ? colon[-1] != ']' : memchr (address, ':', colon - address) != NULL)
    return key_error (error, "spamd", "address",
                      "%s: write an IPv6 address as [address]:port", quoted);
  return TRUE;
}

static gboolean
validate_numbers (const SsConfig  *self,
                  GError         **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (key_specs); i++)
    {
      const KeySpec *spec = &key_specs[i];
      guint64 value;

      if (spec->kind == KEY_UINT64)
        value = G_STRUCT_MEMBER (guint64, self, spec->offset);
      else if (spec->kind == KEY_UINT)
        value = G_STRUCT_MEMBER (guint, self, spec->offset);
      else
        continue;
      if (!check_range (spec, value, error))
        return FALSE;
    }
  return TRUE;
}

/* ---- public ---- */

SsConfig *
ss_config_new_default (void)
{
  SsConfig *self = g_new0 (SsConfig, 1);

  self->tls = SS_TLS_IMPLICIT;
  self->folder_unfiltered = g_strdup ("Unfiltered");
  self->folder_inbox = g_strdup ("INBOX");
  self->folder_spam = g_strdup ("");
  self->folder_false_positives = g_strdup ("Spam/False Positives");
  self->folder_false_negatives = g_strdup ("Spam/False Negatives");
  self->spamd_parallel = 10;
  self->spamd_timeout = 120;
  self->max_size = 512000;
  self->chunk = 32;
  self->unfiltered_days = 0;
  self->spam_days = 60;
  self->poll_seconds = 60;
  self->maintenance_minutes = 15;
  return self;
}

SsConfig *
ss_config_load_data (const char  *data,
                     gsize        len,
                     GError     **error)
{
  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return load_internal (data != NULL ? data : "", len, NULL, error);
}

SsConfig *
ss_config_load_file (const char  *path,
                     GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *absolute = NULL;
  g_autofree char *dir = NULL;
  gsize len = 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_get_contents (path, &contents, &len, &local_error))
    {
      g_set_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG,
                   "settings: %s", local_error->message);
      return NULL;
    }
  if (len > SETTINGS_MAX_BYTES)
    {
      g_set_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG,
                   "settings: %s is larger than 1 MiB", path);
      return NULL;
    }

  /* Relative password-file and ca-file are relative to the settings file. */
  absolute = g_canonicalize_filename (path, NULL);
  dir = g_path_get_dirname (absolute);
  return load_internal (contents, len, dir, error);
}

gboolean
ss_config_validate (SsConfig  *self,
                    GError   **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return validate_account (self, error) &&
         validate_folders (self, error) &&
         validate_spamd_address (self, error) &&
         validate_numbers (self, error);
}

SsConfig *
ss_config_copy (const SsConfig *self)
{
  SsConfig *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_memdup2 (self, sizeof *self);
  for (gsize i = 0; i < G_N_ELEMENTS (string_fields); i++)
    STRING_AT (copy, string_fields[i]) = g_strdup (STRING_AT (self, string_fields[i]));
  return copy;
}

void
ss_config_free (SsConfig *self)
{
  if (self == NULL)
    return;

  for (gsize i = 0; i < G_N_ELEMENTS (string_fields); i++)
    g_free (STRING_AT (self, string_fields[i]));
  g_free (self);
}

char *
ss_config_dup_server (const SsConfig *self)
{
  g_autofree char *host = NULL;
  guint16 default_port;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (self->host != NULL, NULL);

  /* An IPv6 literal keeps its brackets so that ":port" stays unambiguous. */
  if (strchr (self->host, ':') != NULL)
    host = g_strdup_printf ("[%s]", self->host);
  else
    host = g_strdup (self->host);

  default_port = url_is_imaps (self->url) ? IMAPS_PORT : IMAP_PORT;
  if (self->port == 0 || self->port == default_port)
    return g_steal_pointer (&host);
  return g_strdup_printf ("%s:%u", host, self->port);
}
