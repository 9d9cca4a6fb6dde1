/* ss-autostart.c: start at login through an XDG autostart desktop entry */
#define G_LOG_DOMAIN "ss-autostart"

#include "config.h"

#include "ss-autostart.h"

#include <errno.h>
#include <string.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

char *
ss_autostart_dup_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "autostart", APP_ID ".desktop", NULL);
}

gboolean
ss_autostart_is_enabled (void)
{
  g_autofree char *path = ss_autostart_dup_path ();
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();

  if (!g_key_file_load_from_file (keyfile, path, G_KEY_FILE_NONE, NULL))
    return FALSE;
  /* A missing key counts as enabled, as in gnome-session. */
  return !g_key_file_has_key (keyfile, G_KEY_FILE_DESKTOP_GROUP, "X-GNOME-Autostart-enabled",
                              NULL) ||
         g_key_file_get_boolean (keyfile, G_KEY_FILE_DESKTOP_GROUP,
                                 "X-GNOME-Autostart-enabled", NULL);
}

/* The program as it runs now, so that the entry works from a build tree too. */
static char *
dup_program (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);

  if (self != NULL && g_str_has_suffix (self, "/spamsieve"))
    return g_steal_pointer (&self);
  return g_strdup ("spamsieve");
}

/* Quotes one Exec argument as the Desktop Entry spec says: double quotes, with " ` $ \
 * escaped by a backslash (single quotes are not allowed there). */
static void
append_exec_arg (GString    *exec,
                 const char *arg)
{
  if (exec->len > 0)
    g_string_append_c (exec, ' ');
  if (arg[strcspn (arg, " \t\n\"'\\><~|&;$*?#()`=%")] == '\0')
    {
      g_string_append (exec, arg);
      return;
    }
  g_string_append_c (exec, '"');
  for (const char *p = arg; *p; p++)
    {
      if (strchr ("\"`$\\", *p) != NULL)
        g_string_append_c (exec, '\\');
      else if (*p == '%')
        g_string_append_c (exec, '%');   /* %% is a literal % outside field codes */
      g_string_append_c (exec, *p);
    }
  g_string_append_c (exec, '"');
}

/* Exec line for the autostart entry. Run from a build tree (the schema comes from
 * GSETTINGS_SCHEMA_DIR), the entry must carry that directory or it fails at login. */
static char *
dup_exec_line (void)
{
  g_autofree char *program = dup_program ();
  const char *schema_dir = g_getenv ("GSETTINGS_SCHEMA_DIR");
  GString *exec = g_string_new (NULL);

  if (schema_dir != NULL && *schema_dir != '\0')
    {
      g_autofree char *assignment = g_strconcat ("GSETTINGS_SCHEMA_DIR=", schema_dir, NULL);

      append_exec_arg (exec, "env");
      append_exec_arg (exec, assignment);
    }
  append_exec_arg (exec, program);
  append_exec_arg (exec, "--background");
  return g_string_free (exec, FALSE);
}

gboolean
ss_autostart_set_enabled (gboolean   enabled,
                          GError   **error)
{
  g_autofree char *path = ss_autostart_dup_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GKeyFile) keyfile = NULL;
  g_autofree char *exec = NULL;

  if (!enabled)
    {
      if (g_unlink (path) != 0 && errno != ENOENT)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Could not remove %s: %s"), path, g_strerror (saved));
          return FALSE;
        }
      return TRUE;
    }

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not create %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }

  exec = dup_exec_line ();
  keyfile = g_key_file_new ();
  g_key_file_set_string (keyfile, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_TYPE,
                         G_KEY_FILE_DESKTOP_TYPE_APPLICATION);
  g_key_file_set_string (keyfile, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_NAME,
                         "SpamSieve");
  g_key_file_set_string (keyfile, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_COMMENT,
                         _("Filter spam out of your IMAP mail with SpamAssassin"));
  g_key_file_set_string (keyfile, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_EXEC, exec);
  g_key_file_set_string (keyfile, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_ICON, APP_ID);
  g_key_file_set_boolean (keyfile, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_TERMINAL,
                          FALSE);
  g_key_file_set_boolean (keyfile, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_NO_DISPLAY,
                          TRUE);
  g_key_file_set_boolean (keyfile, G_KEY_FILE_DESKTOP_GROUP, "X-GNOME-Autostart-enabled", TRUE);
  return g_key_file_save_to_file (keyfile, path, error);
}
