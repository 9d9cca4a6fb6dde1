/* test-uid-set.c: IMAP UID sequence sets */
#define G_LOG_DOMAIN "test-uid-set"

#include "config.h"

#include "ss-imap-parser.h"
#include "ss-imap-uid-set.h"
#include "ss-test-utils.h"

static void
assert_format (const guint32 *uids,
               gsize          n_uids,
               const char    *expected)
{
  g_autofree char *set = ss_imap_uid_set_format (uids, n_uids);

  g_assert_cmpstr (set, ==, expected);
}

static void
test_format (void)
{
  static const guint32 single[] = { 5 };
  static const guint32 range[] = { 1, 2, 3 };
  static const guint32 mixed[] = { 12, 9, 1, 3, 2, 10, 5, 11 };
  static const guint32 dups[] = { 7, 7, 7, 8, 8, 6, 6 };
  static const guint32 gaps[] = { 1, 3, 5, 7 };
  static const guint32 edges[] = { G_MAXUINT32, 1, G_MAXUINT32 - 1, 2 };
  static const guint32 zeros[] = { 0, 0, 4, 0, 3 };
  static const guint32 only_zero[] = { 0, 0 };

  assert_format (single, G_N_ELEMENTS (single), "5");
  assert_format (range, G_N_ELEMENTS (range), "1:3");
  assert_format (mixed, G_N_ELEMENTS (mixed), "1:3,5,9:12");
  assert_format (dups, G_N_ELEMENTS (dups), "6:8");
  assert_format (gaps, G_N_ELEMENTS (gaps), "1,3,5,7");
  assert_format (edges, G_N_ELEMENTS (edges), "1:2,4294967294:4294967295");
  assert_format (zeros, G_N_ELEMENTS (zeros), "3:4");
  assert_format (only_zero, G_N_ELEMENTS (only_zero), NULL);
  assert_format (NULL, 0, NULL);
  assert_format (range, 0, NULL);
}

static void
test_format_large (void)
{
  g_autofree guint32 *uids = g_new (guint32, 100000);
  g_autofree char *set = NULL;

  /* Descending evens then odds: one range in the end. */
  for (guint i = 0; i < 50000; i++)
    {
      uids[i] = 100000 - 2 * i;
      uids[50000 + i] = 99999 - 2 * i;
    }
  set = ss_imap_uid_set_format (uids, 100000);
  g_assert_cmpstr (set, ==, "1:100000");
}

static void
assert_parse (const char    *set,
              const guint32 *expected,
              gsize          n_expected)
{
  g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GError) error = NULL;

  g_assert_true (ss_imap_uid_set_parse (set, 1000, out, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (out->data, out->len * sizeof (guint32),
                   expected, n_expected * sizeof (guint32));
}

static void
test_parse (void)
{
  static const guint32 one[] = { 7 };
  static const guint32 range[] = { 1, 2, 3 };
  static const guint32 reversed[] = { 3, 4, 5 };
  static const guint32 list[] = { 1, 2, 3, 5, 9, 10, 11, 12 };
  static const guint32 order[] = { 9, 1, 2, 9 };
  static const guint32 top[] = { 4294967294, 4294967295, 4294967295 };

  assert_parse ("7", one, 1);
  assert_parse ("007", one, 1);
  assert_parse ("1:3", range, 3);
  assert_parse ("3:1", range, 3);
  assert_parse ("5:3", reversed, 3);
  assert_parse ("1:3,5,9:12", list, G_N_ELEMENTS (list));
  /* Order of the set is kept, duplicates too (COPYUID pairs them positionally). */
  assert_parse ("9,1:2,9", order, G_N_ELEMENTS (order));
  assert_parse ("4294967295:4294967294,4294967295", top, G_N_ELEMENTS (top));
}

static void
assert_parse_fails (const char *set,
                    gsize       max_uids,
                    int         code)
{
  g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GError) error = NULL;
  guint32 sentinel = 42;

  g_array_append_val (out, sentinel);
  g_assert_false (ss_imap_uid_set_parse (set, max_uids, out, &error));
  g_assert_error (error, SS_IMAP_PARSE_ERROR, code);
  /* out is left as it was. */
  g_assert_cmpuint (out->len, ==, 1);
  g_assert_cmpuint (g_array_index (out, guint32, 0), ==, 42);
}

static void
test_parse_hostile (void)
{
  static const char *syntax[] = {
    "", "*", "1:*", "*:5", "0", "0:5", "5:0", "00", "4294967296", "99999999999999999999",
    "1:4294967296", "18446744073709551617", ",", "1,", ",1", "1,,2", "1::2", "1:", ":1",
    "1:2:3", " 1", "1 ", "1, 2", "-1", "+1", "1-3", "a", "1a", "0x10", "1;2", "1:3,$",
    "\xef\xbc\x91",
  };

  for (guint i = 0; i < G_N_ELEMENTS (syntax); i++)
    assert_parse_fails (syntax[i], 1000, SS_IMAP_PARSE_ERROR_SYNTAX);

  /* Expansions over the limit, including the whole UID space and many small ranges. */
  assert_parse_fails ("1:4294967295", 100000, SS_IMAP_PARSE_ERROR_TOO_LARGE);
  assert_parse_fails ("4294967295:1", 100000, SS_IMAP_PARSE_ERROR_TOO_LARGE);
  assert_parse_fails ("1:60000,1:60000", 100000, SS_IMAP_PARSE_ERROR_TOO_LARGE);
  assert_parse_fails ("1:1001", 1000, SS_IMAP_PARSE_ERROR_TOO_LARGE);
  assert_parse_fails ("1:500,501:1000,1001", 1000, SS_IMAP_PARSE_ERROR_TOO_LARGE);
  assert_parse_fails ("1", 0, SS_IMAP_PARSE_ERROR_TOO_LARGE);
  assert_parse_fails ("1:1000,x", 1000, SS_IMAP_PARSE_ERROR_SYNTAX);
}

static void
test_parse_limit_exact (void)
{
  g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (guint32));

  g_assert_true (ss_imap_uid_set_parse ("1:500,501:1000", 1000, out, NULL));
  g_assert_cmpuint (out->len, ==, 1000);
  g_assert_cmpuint (g_array_index (out, guint32, 999), ==, 1000);
  /* Appends after what is there. */
  g_assert_true (ss_imap_uid_set_parse ("3", 1, out, NULL));
  g_assert_cmpuint (out->len, ==, 1001);
  g_assert_cmpuint (g_array_index (out, guint32, 1000), ==, 3);
}

static void
test_round_trip (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (4242);

  for (guint round = 0; round < 200; round++)
    {
      guint n = g_rand_int_range (rand, 1, 300);
      g_autofree guint32 *uids = g_new (guint32, n);
      g_autoptr(GArray) parsed = g_array_new (FALSE, FALSE, sizeof (guint32));
      g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
      g_autofree char *set = NULL;
      guint32 prev = 0;

      for (guint i = 0; i < n; i++)
        {
          uids[i] = g_rand_int_range (rand, 1, 400);
          g_hash_table_add (seen, GUINT_TO_POINTER (uids[i]));
        }
      set = ss_imap_uid_set_format (uids, n);
      g_assert_true (ss_imap_uid_set_parse (set, 1000, parsed, NULL));
      /* Sorted, unique, and exactly the input set. */
      g_assert_cmpuint (parsed->len, ==, g_hash_table_size (seen));
      for (guint i = 0; i < parsed->len; i++)
        {
          guint32 uid = g_array_index (parsed, guint32, i);

          g_assert_cmpuint (uid, >, prev);
          g_assert_true (g_hash_table_contains (seen, GUINT_TO_POINTER (uid)));
          prev = uid;
        }
    }
}

static const SsTestFunc tests[] = {
  SS_TEST_FUNC ("/spamsieve/uid-set/format", test_format),
  SS_TEST_FUNC ("/spamsieve/uid-set/format-large", test_format_large),
  SS_TEST_FUNC ("/spamsieve/uid-set/parse", test_parse),
  SS_TEST_FUNC ("/spamsieve/uid-set/parse-hostile", test_parse_hostile),
  SS_TEST_FUNC ("/spamsieve/uid-set/parse-limit-exact", test_parse_limit_exact),
  SS_TEST_FUNC ("/spamsieve/uid-set/round-trip", test_round_trip),
};

SS_TEST_FUNCS_MAIN (NULL)
