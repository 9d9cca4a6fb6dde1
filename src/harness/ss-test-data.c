/* ss-test-data.c: the committed test data (tests/data) and what dovecot does to bytes. */
#define G_LOG_DOMAIN "ss-test-servers"

#include "config.h"

#include "ss-test-servers.h"

#include <string.h>

static const char *
data_dir (void)
{
  const char *dir = g_getenv ("SS_TEST_DATA");

  if (dir != NULL && *dir != '\0')
    return dir;
#ifdef SS_TEST_DATA
  return SS_TEST_DATA;
#else
  return "tests/data";
#endif
}


/* ---------------------------------------------------------------------------------------- */
/* Message bytes, test data, temporary directories */

GBytes *
ss_test_as_appended (GBytes *message)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (message, &len);
  GByteArray *out = g_byte_array_sized_new (len);

  for (gsize i = 0; i < len; i++)
    if (!(data[i] == '\r' && i + 1 < len && data[i + 1] == '\n'))
      g_byte_array_append (out, (const guint8 *) data + i, 1);
  return g_byte_array_free_to_bytes (out);
}

GBytes *
ss_test_as_fetched (GBytes *message)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (message, &len);
  GByteArray *out = g_byte_array_sized_new (len + len / 16);

  for (gsize i = 0; i < len; i++)
    {
      guint8 c = data[i] == '\0' ? 0x80 : (guint8) data[i];

      if (c == '\n' && (i == 0 || data[i - 1] != '\r'))
        g_byte_array_append (out, (const guint8 *) "\r", 1);
      g_byte_array_append (out, &c, 1);
    }
  return g_byte_array_free_to_bytes (out);
}

static gint
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

GPtrArray *
ss_test_corpus_load (const char *kind)
{
  g_autofree char *dir_path = g_build_filename (data_dir (), "corpus", NULL);
  g_autofree char *prefix = kind != NULL ? g_strconcat (kind, "-", NULL) : NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, &error);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  const char *name;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".eml") && (prefix == NULL || g_str_has_prefix (name, prefix)))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *relative = g_build_filename ("corpus", names->pdata[i], NULL);

      g_ptr_array_add (messages, ss_test_data_load (relative));
    }
  return messages;
}

GBytes *
ss_test_data_load (const char *name)
{
  g_autofree char *path = g_build_filename (data_dir (), name, NULL);
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize len = 0;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (data, len);
}
