#define G_LOG_DOMAIN "ss-config"

#include "config.h"

#include "ss-config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <stddef.h>
#include <string.h>

#include "ss-auth.h"
#include "ss-error.h"

#define SETTINGS_MAX_BYTES (1024 * 1024)
#define IMAP_PORT          143
#define IMAPS_PORT         993

#define FIELD(f) offsetof (SsConfig, f)

/* The table itself is in ss-config-keys.c. */
#define KEYS_BEGIN  (ss_config_get_keys (NULL))
#define KEYS_END    (keys_end ())

static const SsConfigKey *
keys_end (void)
{
  gsize n = 0;
  const SsConfigKey *keys = ss_config_get_keys (&n);

  return keys + n;
}

/* The GSettings type of each kind, indexed by SsConfigKind. */
static const char * const kind_types[] = { "s", "s", "s", "s", "u", "t", "b" };
G_STATIC_ASSERT (G_N_ELEMENTS (kind_types) == SS_CONFIG_BOOL + 1);

/* Indexed by SsTlsMode. */
static const char * const tls_nicks[] = { "implicit", "starttls", "none" };

#define STRING_AT(self, offset) G_STRUCT_MEMBER (char *, (self), (offset))

static gboolean
is_text (const SsConfigKey *key)
{
  return key->kind == SS_CONFIG_TEXT || key->kind == SS_CONFIG_OPTIONAL ||
         key->kind == SS_CONFIG_PATH;
}

static gboolean
in_group (const SsConfigKey *key,
          const char        *group)
{
  return g_strcmp0 (key->group, group) == 0;
}

/* ---- typed access to the field a key describes ---- */

static void
set_string (SsConfig *self,
            gsize     offset,
            char     *value)
{
  g_free (STRING_AT (self, offset));
  STRING_AT (self, offset) = value;
}

static const char *
get_text (const SsConfig    *self,
          const SsConfigKey *key)
{
  g_assert (is_text (key));

  return STRING_AT (self, key->offset);
}

static void
set_text (SsConfig          *self,
          const SsConfigKey *key,
          const char        *value)
{
  g_assert (is_text (key));

  if (value != NULL && *value == '\0' && key->kind != SS_CONFIG_TEXT)
    value = NULL;
  set_string (self, key->offset, g_strdup (value));
}

/* TLS, UINT and BOOL fields are guint-sized; UINT64 ones are 64 bits wide. */
G_STATIC_ASSERT (sizeof (SsTlsMode) == sizeof (guint) && sizeof (gboolean) == sizeof (guint));

static guint64
get_number (const SsConfig    *self,
            const SsConfigKey *key)
{
  gconstpointer field = G_STRUCT_MEMBER_P (self, key->offset);

  g_assert (!is_text (key));

  if (key->kind == SS_CONFIG_UINT64)
    return *(const guint64 *) field;
  return *(const guint *) field;
}

static void
set_number (SsConfig          *self,
            const SsConfigKey *key,
            guint64            value)
{
  gpointer field = G_STRUCT_MEMBER_P (self, key->offset);

  g_assert (!is_text (key));

  if (key->kind == SS_CONFIG_UINT64)
    *(guint64 *) field = value;
  else
    *(guint *) field = key->kind == SS_CONFIG_BOOL ? value != 0 : (guint) value;
}

/* ---- errors ---- */

/* "settings: [group] key: …", or "settings: line N: …" when group is NULL. */
static gboolean G_GNUC_PRINTF (5, 6)
settings_error (GError    **error,
                const char *group,
                const char *key,
                guint       lineno,
                const char *format,
                ...)
{
  g_autofree char *where = group != NULL ? g_strdup_printf ("settings: [%s] %s", group, key)
                                         : g_strdup_printf ("settings: line %u", lineno);
  va_list args;

  va_start (args, format);
  ss_error_set_prefixed_valist (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG, where, format,
                                args);
  va_end (args);
  return FALSE;
}

#define key_error(error, group, key, ...) settings_error (error, group, key, 0, __VA_ARGS__)
#define line_error(error, lineno, ...)    settings_error (error, NULL, NULL, lineno, __VA_ARGS__)

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
check_range (const SsConfigKey  *spec,
             guint64             value,
             GError            **error)
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
  for (guint i = 0; i < G_N_ELEMENTS (tls_nicks); i++)
    if (g_str_equal (text, tls_nicks[i]))
      {
        *tls = (SsTlsMode) i;
        return TRUE;
      }
  return FALSE;
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

static gboolean
read_number (SsConfig           *self,
             const SsConfigKey  *spec,
             const char         *text,
             GError            **error)
{
  guint64 value;

  if (!parse_decimal (text, &value))
    {
      g_autofree char *quoted = quote (text);

      return key_error (error, spec->group, spec->key, "%s is not a decimal number", quoted);
    }
  if (!check_range (spec, value, error))
    return FALSE;
  set_number (self, spec, value);
  return TRUE;
}

/* One key's text, as GKeyFile unescaped it, into its field. */
static gboolean
read_value (SsConfig           *self,
            const SsConfigKey  *spec,
            const char         *value,
            const char         *base_dir,
            GError            **error)
{
  switch (spec->kind)
    {
    case SS_CONFIG_TEXT:
    case SS_CONFIG_OPTIONAL:
      set_text (self, spec, value);
      return TRUE;
    case SS_CONFIG_PATH:
      set_string (self, spec->offset, *value != '\0' ? resolve_path (value, base_dir) : NULL);
      return TRUE;
    case SS_CONFIG_TLS:
      if (!parse_tls (value, &self->tls))
        {
          g_autofree char *quoted = quote (value);

          return key_error (error, spec->group, spec->key,
                            "%s is not implicit, starttls or none", quoted);
        }
      return TRUE;
    case SS_CONFIG_UINT:
    case SS_CONFIG_UINT64:
      return read_number (self, spec, value, error);
    case SS_CONFIG_BOOL:
      if (g_ascii_strcasecmp (value, "true") == 0 || g_ascii_strcasecmp (value, "false") == 0)
        {
          G_STRUCT_MEMBER (gboolean, self, spec->offset) = g_ascii_strcasecmp (value, "true") == 0;
          return TRUE;
        }
      else
        {
          g_autofree char *quoted = quote (value);

          return key_error (error, spec->group, spec->key, "%s is not true or false", quoted);
        }
    default:
      break;
    }
  g_return_val_if_reached (FALSE);
}

static const SsConfigKey *
find_spec (const char *group,
           const char *key)
{
  for (const SsConfigKey *spec = KEYS_BEGIN; spec < KEYS_END; spec++)
    if (in_group (spec, group) && (key == NULL || g_str_equal (spec->key, key)))
      return spec;
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
      const SsConfigKey *spec = find_spec (group, keys[i]);
      g_autoptr(GError) local_error = NULL;
      g_autofree char *value = NULL;

      /* Never read the value: it must not end up in a message or a log. */
      if (g_str_equal (group, "account") && g_str_equal (keys[i], "password"))
        return key_error (error, group, keys[i],
                          "a password is never read from the settings file; "
                          "use password-file (mode 0600) or the keyring");
      if (spec == NULL)
        return key_error (error, group, keys[i], "unknown key");
      value = g_key_file_get_string (keyfile, group, keys[i], &local_error);
      if (value == NULL)
        return key_error (error, group, keys[i], "%s", local_error->message);
      if (!read_value (self, spec, value, base_dir, error))
        return FALSE;
      if (spec->kind == SS_CONFIG_TLS)
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
    return g_str_equal (key, "spam") || g_str_equal (key, "false-positives") ||
           g_str_equal (key, "false-negatives") ||
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

/* The learning folder at offset: as set, or when empty under spam_folder. */
static char *
learning_folder (const SsConfig *self,
                 gsize           offset,
                 const char     *spam_folder)
{
  const char *name = STRING_AT (self, offset);

  if (name != NULL && *name != '\0')
    return g_strdup (name);
  return g_strconcat (spam_folder, offset == FIELD (folder_false_positives)
                                   ? "/False Positives" : "/False Negatives", NULL);
}

/* The folder as compared: an empty spam may end up as "Spam", the learning folders under it. */
static char *
effective_folder (const SsConfig    *self,
                  const SsConfigKey *key)
{
  const char *name = get_text (self, key);
  const char *spam = self->folder_spam != NULL && *self->folder_spam != '\0'
                     ? self->folder_spam : "Spam";

  if (g_str_equal (key->key, "false-positives") || g_str_equal (key->key, "false-negatives"))
    return learning_folder (self, key->offset, spam);
  if (name == NULL || *name == '\0')
    return g_strdup (g_str_equal (key->key, "spam") ? "Spam" : "");
  return g_strdup (name);
}

static gboolean
validate_folders (SsConfig  *self,
                  GError   **error)
{
  for (const SsConfigKey *key = KEYS_BEGIN; key < KEYS_END; key++)
    {
      const char *name;

      if (!in_group (key, "folders"))
        continue;
      name = get_text (self, key);
      if (!validate_folder_name (key->key, name != NULL ? name : "", error))
        return FALSE;
    }

  for (const SsConfigKey *a = KEYS_BEGIN; a < KEYS_END; a++)
    {
      if (!in_group (a, "folders"))
        continue;
      for (const SsConfigKey *b = KEYS_BEGIN; b < a; b++)
        {
          g_autofree char *name_a = NULL;
          g_autofree char *name_b = NULL;
          g_autofree char *quoted = NULL;

          if (!in_group (b, "folders"))
            continue;
          name_a = effective_folder (self, a);
          name_b = effective_folder (self, b);
          if (!ss_config_same_folder (name_a, name_b))
            continue;
          /* unfiltered = inbox: in-place mode, mail is filtered where it arrives. */
          if (g_str_equal (a->key, "inbox") && g_str_equal (b->key, "unfiltered"))
            continue;
          quoted = quote (name_a);
          return key_error (error, "folders", a->key,
                            "same folder as %s (%s); the five folders must differ",
                            b->key, quoted);
        }
    }
  return TRUE;
}

static gboolean
validate_uncertain (SsConfig  *self,
                    GError   **error)
{
  if (g_strcmp0 (self->uncertain_action, "keyword") != 0 &&
      g_strcmp0 (self->uncertain_action, "folder") != 0)
    return key_error (error, "filter", "uncertain-action", "must be keyword or folder");
  if (g_strcmp0 (self->uncertain_action, "folder") == 0 &&
      (self->uncertain_folder == NULL || *self->uncertain_folder == '\0'))
    return key_error (error, "filter", "uncertain-folder", "missing (uncertain-action=folder)");
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
  for (const SsConfigKey *spec = KEYS_BEGIN; spec < KEYS_END; spec++)
    if ((spec->kind == SS_CONFIG_UINT || spec->kind == SS_CONFIG_UINT64) &&
        !check_range (spec, get_number (self, spec), error))
      return FALSE;
  return TRUE;
}

/* ---- public ---- */

SsConfig *
ss_config_new_default (void)
{
  SsConfig *self = g_new0 (SsConfig, 1);

  /* Raw defaults: folder_spam stays "" (an OPTIONAL key's NULL stays NULL). */
  for (const SsConfigKey *key = KEYS_BEGIN; key < KEYS_END; key++)
    if (is_text (key))
      STRING_AT (self, key->offset) = g_strdup (key->default_text);
    else
      set_number (self, key, key->default_number);
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
         ss_auth_validate_config (self, error) &&
         validate_folders (self, error) &&
         validate_uncertain (self, error) &&
         validate_spamd_address (self, error) &&
         validate_numbers (self, error);
}

SsConfig *
ss_config_copy (const SsConfig *self)
{
  SsConfig *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_memdup2 (self, sizeof *self);
  copy->host = g_strdup (self->host);
  for (const SsConfigKey *key = KEYS_BEGIN; key < KEYS_END; key++)
    if (is_text (key))
      STRING_AT (copy, key->offset) = g_strdup (STRING_AT (self, key->offset));
  return copy;
}

void
ss_config_free (SsConfig *self)
{
  if (self == NULL)
    return;

  g_free (self->host);
  for (const SsConfigKey *key = KEYS_BEGIN; key < KEYS_END; key++)
    if (is_text (key))
      g_free (STRING_AT (self, key->offset));
  g_free (self);
}

char *
ss_config_dup_account_id (const SsConfig *self)
{
  g_autofree char *server = ss_config_dup_server (self);

  return g_strdup_printf ("%s@%s", self->user, server);
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

gboolean
ss_config_parse_url (SsConfig  *self,
                     GError   **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return validate_url (self, error);
}

char *
ss_config_url_for_server (const char *server,
                          SsTlsMode   tls)
{
  g_return_val_if_fail (server != NULL, NULL);

  if (strstr (server, "://") != NULL)
    return g_strdup (server);
  return g_strdup_printf ("%s://%s", tls == SS_TLS_IMPLICIT ? "imaps" : "imap", server);
}

gboolean
ss_config_is_in_place (const SsConfig *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->folder_unfiltered != NULL && self->folder_inbox != NULL &&
         ss_config_same_folder (self->folder_unfiltered, self->folder_inbox);
}

gboolean
ss_config_same_folder (const char *a,
                       const char *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if (g_ascii_strcasecmp (a, "INBOX") == 0)
    return g_ascii_strcasecmp (b, "INBOX") == 0;
  return g_str_equal (a, b);
}

char *
ss_config_dup_false_positives (const SsConfig *self,
                               const char     *spam_folder)
{
  g_return_val_if_fail (self != NULL && spam_folder != NULL, NULL);

  return learning_folder (self, FIELD (folder_false_positives), spam_folder);
}

char *
ss_config_dup_false_negatives (const SsConfig *self,
                               const char     *spam_folder)
{
  g_return_val_if_fail (self != NULL && spam_folder != NULL, NULL);

  return learning_folder (self, FIELD (folder_false_negatives), spam_folder);
}

/* ---- the key table ---- */

const SsConfigKey *
ss_config_find_error_key (const char  *message,
                          const char **detail)
{
  g_return_val_if_fail (message != NULL && detail != NULL, NULL);

  for (const SsConfigKey *key = KEYS_BEGIN; key < KEYS_END; key++)
    {
      g_autofree char *prefix = NULL;

      if (key->group == NULL)
        continue;
      /* as settings_error () writes it */
      prefix = g_strdup_printf ("settings: [%s] %s: ", key->group, key->key);
      if (g_str_has_prefix (message, prefix))
        {
          *detail = message + strlen (prefix);
          return key;
        }
    }
  return NULL;
}

const char *
ss_config_tls_nick (SsTlsMode tls)
{
  g_return_val_if_fail ((guint) tls < G_N_ELEMENTS (tls_nicks), NULL);

  return tls_nicks[tls];
}

GVariant *
ss_config_get_variant (const SsConfig    *self,
                       const SsConfigKey *key)
{
  g_return_val_if_fail (self != NULL && key != NULL, NULL);

  if (is_text (key))
    {
      const char *text = get_text (self, key);

      return g_variant_new_string (text != NULL ? text : "");
    }
  if (key->kind == SS_CONFIG_TLS)
    return g_variant_new_string (ss_config_tls_nick (self->tls));
  if (key->kind == SS_CONFIG_UINT)
    return g_variant_new_uint32 ((guint32) get_number (self, key));
  if (key->kind == SS_CONFIG_UINT64)
    return g_variant_new_uint64 (get_number (self, key));
  return g_variant_new_boolean (get_number (self, key) != 0);
}

gboolean
ss_config_set_variant (SsConfig          *self,
                       const SsConfigKey *key,
                       GVariant          *value)
{
  SsTlsMode tls;

  g_return_val_if_fail (self != NULL && key != NULL && value != NULL, FALSE);

  if (!g_variant_is_of_type (value, G_VARIANT_TYPE (kind_types[key->kind])))
    return FALSE;
  if (is_text (key))
    set_text (self, key, g_variant_get_string (value, NULL));
  else if (key->kind == SS_CONFIG_TLS)
    {
      if (!parse_tls (g_variant_get_string (value, NULL), &tls))
        return FALSE;
      set_number (self, key, tls);
    }
  else if (key->kind == SS_CONFIG_UINT)
    set_number (self, key, g_variant_get_uint32 (value));
  else if (key->kind == SS_CONFIG_UINT64)
    set_number (self, key, g_variant_get_uint64 (value));
  else
    set_number (self, key, g_variant_get_boolean (value));
  return TRUE;
}
