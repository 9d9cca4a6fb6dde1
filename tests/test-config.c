#define G_LOG_DOMAIN "test-config"

#include "config.h"

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gio.h>
#include <gio/gsettingsbackend.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ss-config.h"
#include "ss-error.h"

#define ACCOUNT "[account]\nurl=imaps://mail.example.org\nuser=ann\n"

static const char example[] =
  "[account]\n"
  "url=imap://127.0.0.1:14343        # imaps://host[:993] = implicit TLS; imap:// = STARTTLS\n"
  "tls=starttls                      # implicit | starttls | none (\"none\" only if written here)\n"
  "user=tester\n"
  "password-file=/path/secret        # must be 0600, else refuse; without it: the keyring\n"
  "ca-file=/path/ca.pem              # optional, for self-signed servers\n"
  "[folders]                         # \"/\" separates levels; map it to the server's delimiter\n"
  "unfiltered=Unfiltered\n"
  "inbox=INBOX\n"
  "spam=Spam                         # empty: the server's \\Junk SPECIAL-USE folder, "
  "else \"Spam\"\n"
  "false-positives=Spam/False Positives\n"
  "false-negatives=Spam/False Negatives\n"
  "[spamd]\n"
  "address=127.0.0.1:14783           # host:port, or unix:/path; empty: a private spamd\n"
  "parallel=10\n"
  "max-size=512000                   # larger messages are not scanned\n"
  "timeout=120                       # seconds per scan\n"
  "[filter]\n"
  "chunk=32\n"
  "[expire]\n"
  "unfiltered-days=0\n"
  "spam-days=60\n"
  "[live]\n"
  "poll-seconds=60\n"
  "maintenance-minutes=15\n";

static SsConfig *
load (const char  *text,
      GError     **error)
{
  return ss_config_load_data (text, strlen (text), error);
}

static SsConfig *
load_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  SsConfig *config = load (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (config);
  return config;
}

/* A config error with exactly this one-line message. */
static void
assert_config_error (const char *text,
                     const char *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsConfig) config = load (text, &error);

  g_assert_null (config);
  g_assert_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG);
  g_assert_cmpstr (error->message, ==, message);
  g_assert_null (strchr (error->message, '\n'));
}

/* Values that must be refused: the settings text is the kind's head, the value and its tail; the
 * message is the kind's prefix and the row's message. */
typedef enum
{
  BAD_LINE,           /* a whole "[group]\nkey=value" after the account */
  BAD_URL,
  BAD_SPAMD_ADDRESS,
} BadKind;

static const struct
{
  const char *head;
  const char *tail;
  const char *prefix;
} bad_templates[] = {
  [BAD_LINE] = { ACCOUNT, "\n", "settings: " },
  [BAD_URL] = { "[account]\nurl=", "\nuser=u\n", "settings: [account] url: " },
  [BAD_SPAMD_ADDRESS] = { ACCOUNT "[spamd]\naddress=", "\n", "settings: [spamd] address: " },
};

static const struct
{
  BadKind     kind;
  const char *value;
  const char *message;
} bad_values[] = {
  { BAD_LINE, "[spamd]\nparallel=0",
    "[spamd] parallel: \"0\" is out of range (1–64)" },
  { BAD_LINE, "[spamd]\nparallel=65",
    "[spamd] parallel: \"65\" is out of range (1–64)" },
  { BAD_LINE, "[spamd]\nparallel=10x",
    "[spamd] parallel: \"10x\" is not a decimal number" },
  { BAD_LINE, "[spamd]\nparallel=-1",
    "[spamd] parallel: \"-1\" is not a decimal number" },
  { BAD_LINE, "[spamd]\nparallel=+5",
    "[spamd] parallel: \"+5\" is not a decimal number" },
  { BAD_LINE, "[spamd]\nparallel=1e3",
    "[spamd] parallel: \"1e3\" is not a decimal number" },
  { BAD_LINE, "[spamd]\nparallel=0x10",
    "[spamd] parallel: \"0x10\" is not a decimal number" },
  { BAD_LINE, "[spamd]\nparallel=",
    "[spamd] parallel: \"\" is not a decimal number" },
  { BAD_LINE, "[spamd]\nparallel=1 0",
    "[spamd] parallel: \"1 0\" is not a decimal number" },
  { BAD_LINE, "[spamd]\nparallel=99999999999999999999999",
    "[spamd] parallel: \"99999999999999999999999\" is not a decimal number" },
  { BAD_LINE, "[spamd]\nmax-size=1023",
    "[spamd] max-size: \"1023\" is out of range (1024–268435456)" },
  { BAD_LINE, "[spamd]\nmax-size=268435457",
    "[spamd] max-size: \"268435457\" is out of range (1024–268435456)" },
  { BAD_LINE, "[spamd]\ntimeout=4",
    "[spamd] timeout: \"4\" is out of range (5–3600)" },
  { BAD_LINE, "[spamd]\ntimeout=3601",
    "[spamd] timeout: \"3601\" is out of range (5–3600)" },
  { BAD_LINE, "[filter]\nchunk=0",
    "[filter] chunk: \"0\" is out of range (1–1000)" },
  { BAD_LINE, "[filter]\nchunk=1001",
    "[filter] chunk: \"1001\" is out of range (1–1000)" },
  { BAD_LINE, "[expire]\nspam-days=36501",
    "[expire] spam-days: \"36501\" is out of range (0–36500)" },
  { BAD_LINE, "[expire]\nunfiltered-days=-0",
    "[expire] unfiltered-days: \"-0\" is not a decimal number" },
  { BAD_LINE, "[live]\npoll-seconds=4",
    "[live] poll-seconds: \"4\" is out of range (5–86400)" },
  { BAD_LINE, "[live]\npoll-seconds=86401",
    "[live] poll-seconds: \"86401\" is out of range (5–86400)" },
  { BAD_LINE, "[live]\nmaintenance-minutes=0",
    "[live] maintenance-minutes: \"0\" is out of range (1–1440)" },
  { BAD_LINE, "[live]\nmaintenance-minutes=1441",
    "[live] maintenance-minutes: \"1441\" is out of range (1–1440)" },
  { BAD_LINE, "[filter]\nlearner=1",
    "[filter] learner: \"1\" is not true or false" },
  { BAD_LINE, "[spamd]\nnetwork-tests=yes",
    "[spamd] network-tests: \"yes\" is not true or false" },

  { BAD_URL, "http://h",
    "\"http://h\" must start with imaps:// (TLS) or imap:// (STARTTLS)" },
  { BAD_URL, "h:993",
    "\"h:993\" must start with imaps:// (TLS) or imap:// (STARTTLS)" },
  { BAD_URL, "imaps://h/INBOX",
    "\"imaps://h/INBOX\" must not have a path, query or fragment" },
  { BAD_URL, "imaps://h?x=1",
    "\"imaps://h?x=1\" must not have a path, query or fragment" },
  { BAD_URL, "imaps://h#x",
    "\"imaps://h#x\" must not have a path, query or fragment" },
  { BAD_URL, "imaps://h:0",
    "\"imaps://h:0\": the port must be 1–65535" },
  { BAD_URL, "imaps://h:65536",
    "\"imaps://h:65536\" is not a valid URL (imaps://host[:port] or imap://host[:port])" },
  { BAD_URL, "imaps://h:99x",
    "\"imaps://h:99x\" is not a valid URL (imaps://host[:port] or imap://host[:port])" },
  { BAD_URL, "imaps://",
    "\"imaps://\" has no host" },
  { BAD_URL, "imaps:h",
    "\"imaps:h\" has no host" },
  { BAD_URL, "imaps://:993",
    "\"imaps://:993\" has no host" },
  { BAD_URL, "imaps://a%20b",
    "\"imaps://a%20b\" has an invalid host" },
  { BAD_URL, "imaps://a b",
    "\"imaps://a b\" is not a valid URL" },
  /* Never echoed: it may carry a password. */
  { BAD_URL, "imaps://ann:secret@h",
    "the url must not contain a user name or password (use user=)" },
  { BAD_URL, "",
    "missing (imaps://host[:port] or imap://host[:port])" },

  { BAD_SPAMD_ADDRESS, "localhost",
    "\"localhost\" is not host:port (port 1–65535) or unix:/path" },
  { BAD_SPAMD_ADDRESS, "h:0",
    "\"h:0\" is not host:port (port 1–65535) or unix:/path" },
  { BAD_SPAMD_ADDRESS, "h:70000",
    "\"h:70000\" is not host:port (port 1–65535) or unix:/path" },
  { BAD_SPAMD_ADDRESS, ":783",
    "\":783\" is not host:port (port 1–65535) or unix:/path" },
  { BAD_SPAMD_ADDRESS, "::1:783",
    "\"::1:783\": write an IPv6 address as [address]:port" },
  { BAD_SPAMD_ADDRESS, "unix:run/s",
    "\"unix:run/s\": unix: needs an absolute socket path" },
  { BAD_SPAMD_ADDRESS, "unix:/",
    "\"unix:/\": unix: needs an absolute socket path" },
};

/* Every bad_values row of this kind is refused with its message. */
static void
assert_bad_values (BadKind kind)
{
  guint n = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (bad_values); i++)
    {
      g_autofree char *text = NULL;
      g_autofree char *message = NULL;

      if (bad_values[i].kind != kind)
        continue;
      text = g_strconcat (bad_templates[kind].head, bad_values[i].value,
                          bad_templates[kind].tail, NULL);
      message = g_strconcat (bad_templates[kind].prefix, bad_values[i].message, NULL);
      assert_config_error (text, message);
      n++;
    }
  g_assert_cmpuint (n, >, 0);
}

/* The numeric settings, in the key file's order. */
static void
assert_numbers (const SsConfig *c,
                guint           parallel,
                guint64         max_size,
                guint           timeout,
                guint           chunk,
                guint           unfiltered_days,
                guint           spam_days,
                guint           poll_seconds,
                guint           maintenance_minutes)
{
  g_assert_cmpuint (c->spamd_parallel, ==, parallel);
  g_assert_cmpuint (c->max_size, ==, max_size);
  g_assert_cmpuint (c->spamd_timeout, ==, timeout);
  g_assert_cmpuint (c->chunk, ==, chunk);
  g_assert_cmpuint (c->unfiltered_days, ==, unfiltered_days);
  g_assert_cmpuint (c->spam_days, ==, spam_days);
  g_assert_cmpuint (c->poll_seconds, ==, poll_seconds);
  g_assert_cmpuint (c->maintenance_minutes, ==, maintenance_minutes);
}

static void
test_example (void)
{
  g_autoptr(SsConfig) c = load_ok (example);

  g_assert_cmpstr (c->url, ==, "imap://127.0.0.1:14343");
  g_assert_cmpstr (c->host, ==, "127.0.0.1");
  g_assert_cmpuint (c->port, ==, 14343);
  g_assert_cmpint (c->tls, ==, SS_TLS_STARTTLS);
  g_assert_cmpstr (c->user, ==, "tester");
  g_assert_cmpstr (c->password_file, ==, "/path/secret");
  g_assert_cmpstr (c->ca_file, ==, "/path/ca.pem");
  g_assert_cmpstr (c->folder_unfiltered, ==, "Unfiltered");
  g_assert_cmpstr (c->folder_inbox, ==, "INBOX");
  g_assert_cmpstr (c->folder_spam, ==, "Spam");
  g_assert_cmpstr (c->folder_false_positives, ==, "Spam/False Positives");
  g_assert_cmpstr (c->folder_false_negatives, ==, "Spam/False Negatives");
  g_assert_cmpstr (c->spamd_address, ==, "127.0.0.1:14783");
  assert_numbers (c, 10, 512000, 120, 32, 0, 60, 60, 15);
}

static void
assert_defaults (const SsConfig *c)
{
  g_assert_null (c->password_file);
  g_assert_null (c->ca_file);
  g_assert_cmpstr (c->folder_unfiltered, ==, "Unfiltered");
  g_assert_cmpstr (c->folder_inbox, ==, "INBOX");
  g_assert_cmpstr (c->folder_spam, ==, "");
  g_assert_cmpstr (c->folder_false_positives, ==, "");
  g_assert_cmpstr (c->folder_false_negatives, ==, "");
  g_assert_null (c->spamd_address);
  assert_numbers (c, 10, 512000, 120, 32, 0, 60, 60, 15);
}

static void
test_defaults (void)
{
  g_autoptr(SsConfig) def = ss_config_new_default ();
  g_autoptr(SsConfig) imaps = load_ok (ACCOUNT);
  g_autoptr(SsConfig) imap = load_ok ("[account]\nurl=imap://Mail.Example.org\nuser=ann\n");

  assert_defaults (def);
  g_assert_null (def->url);
  g_assert_null (def->user);

  assert_defaults (imaps);
  g_assert_cmpstr (imaps->host, ==, "mail.example.org");
  g_assert_cmpuint (imaps->port, ==, 993);
  g_assert_cmpint (imaps->tls, ==, SS_TLS_IMPLICIT);

  assert_defaults (imap);
  g_assert_cmpstr (imap->host, ==, "mail.example.org");
  g_assert_cmpuint (imap->port, ==, 143);
  g_assert_cmpint (imap->tls, ==, SS_TLS_STARTTLS);
}

static void
test_comments (void)
{
  g_autoptr(SsConfig) c = load_ok (
    "# full-line comment\r\n"
    "   # indented comment\r\n"
    "\r\n"
    "[account]\t# tab before the comment\r\n"
    "url = imaps://mail.example.org:1993\t# spaces around = and a tab\r\n"
    "user=ann#not-a-comment\r\n"
    "[folders]\r\n"
    "spam=Spam #1\r\n"
    "unfiltered=To #sort\r\n");

  g_assert_cmpstr (c->url, ==, "imaps://mail.example.org:1993");
  g_assert_cmpuint (c->port, ==, 1993);
  g_assert_cmpstr (c->user, ==, "ann#not-a-comment");
  g_assert_cmpstr (c->folder_spam, ==, "Spam");
  g_assert_cmpstr (c->folder_unfiltered, ==, "To");
}

static void
test_numbers (void)
{
  g_autoptr(SsConfig) edges = NULL;
  g_autoptr(SsConfig) low = NULL;

  assert_bad_values (BAD_LINE);

  /* The ends of every range are accepted. */
  edges = load_ok (ACCOUNT
                   "[spamd]\nparallel=64\nmax-size=268435456\ntimeout=5\n"
                   "[filter]\nchunk=1000\n"
                   "[expire]\nunfiltered-days=36500\nspam-days=0\n"
                   "[live]\npoll-seconds=86400\nmaintenance-minutes=1\n");
  low = load_ok (ACCOUNT "[spamd]\nparallel=1\nmax-size=1024\n");
  assert_numbers (edges, 64, 268435456, 5, 1000, 36500, 0, 86400, 1);
  g_assert_cmpuint (low->spamd_parallel, ==, 1);
  g_assert_cmpuint (low->max_size, ==, 1024);
}

/* Switches: true or false (any case); the defaults when absent. */
static void
test_booleans (void)
{
  g_autoptr(SsConfig) defaults = load_ok (ACCOUNT);
  g_autoptr(SsConfig) flipped = load_ok (ACCOUNT "[spamd]\nnetwork-tests=TRUE\n"
                                         "[filter]\nlearner=false\n");

  g_assert_true (defaults->learner);
  g_assert_false (defaults->spamd_network_tests);
  g_assert_false (flipped->learner);
  g_assert_true (flipped->spamd_network_tests);
}

static void
test_unknown (void)
{
  assert_config_error (ACCOUNT "passwd=x\n", "settings: [account] passwd: unknown key");
  assert_config_error (ACCOUNT "[spamd]\nthreads=4\n", "settings: [spamd] threads: unknown key");
  assert_config_error (ACCOUNT "user[de]=anna\n", "settings: [account] user[de]: unknown key");
  assert_config_error (ACCOUNT "[acount]\nuser=x\n", "settings: [acount]: unknown group");
  assert_config_error ("url=imaps://x\n" ACCOUNT, "settings: line 1: url is outside a [group]");
  assert_config_error (ACCOUNT "just some words\n",
                       "settings: line 4: expected key=value, a [group] or a # comment");
  assert_config_error (ACCOUNT "=value\n", "settings: line 4: missing key name before \"=\"");
  assert_config_error (ACCOUNT "[spamd\n",
                       "settings: line 4: [spamd is not a valid [group] header");
  assert_config_error (ACCOUNT "[folders]\ninbox=\xff\n", "settings: line 5: not valid UTF-8");
}

static void
test_nul_byte (void)
{
  const char text[] = ACCOUNT "[folders]\ninbox=IN\0BOX\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(SsConfig) config = ss_config_load_data (text, sizeof text - 1, &error);

  g_assert_null (config);
  g_assert_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG);
  g_assert_cmpstr (error->message, ==, "settings: the file contains a NUL byte");
}

static void
test_duplicate (void)
{
  g_autoptr(SsConfig) split = NULL;

  assert_config_error ("[account]\nurl=imaps://a\nuser=ann\nuser=bob\n",
                       "settings: [account] user: duplicate key");
  assert_config_error (ACCOUNT "[spamd]\nparallel=2\n[filter]\nchunk=3\n[spamd]\nparallel = 4\n",
                       "settings: [spamd] parallel: duplicate key");
  /* A group may be split in two, as long as no key repeats. */
  split = load_ok (ACCOUNT "[spamd]\nparallel=2\n[filter]\nchunk=3\n"
                   "[spamd]\ntimeout=30\n");
  g_assert_cmpuint (split->spamd_parallel, ==, 2);
  g_assert_cmpuint (split->spamd_timeout, ==, 30);
}

static void
test_password_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsConfig) config = load (ACCOUNT "password=hunter2\n", &error);

  g_assert_null (config);
  g_assert_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG);
  g_assert_cmpstr (error->message, ==,
                   "settings: [account] password: a password is never read from the settings "
                   "file; use password-file (mode 0600) or the keyring");
  g_assert_null (strstr (error->message, "hunter2"));

  /* Even empty, and even before the user key. */
  assert_config_error ("[account]\npassword=\nurl=imaps://a\nuser=b\n",
                       "settings: [account] password: a password is never read from the "
                       "settings file; use password-file (mode 0600) or the keyring");
}

static void
test_tls (void)
{
  g_autoptr(SsConfig) none = load_ok ("[account]\nurl=imap://h\ntls=none\nuser=u\n");
  g_autoptr(SsConfig) implicit = load_ok ("[account]\nurl=imaps://h\ntls=implicit\nuser=u\n");

  g_assert_cmpint (none->tls, ==, SS_TLS_NONE);
  g_assert_cmpint (implicit->tls, ==, SS_TLS_IMPLICIT);
  assert_config_error ("[account]\nurl=imap://h\ntls=implicit\nuser=u\n",
                       "settings: [account] tls: \"implicit\" needs an imaps:// url "
                       "(imap:// is starttls or none)");
  assert_config_error ("[account]\nurl=imaps://h\ntls=starttls\nuser=u\n",
                       "settings: [account] tls: \"starttls\" needs an imap:// url "
                       "(imaps:// is implicit TLS)");
  assert_config_error ("[account]\nurl=imaps://h\ntls=none\nuser=u\n",
                       "settings: [account] tls: \"none\" needs an imap:// url "
                       "(imaps:// is implicit TLS)");
  assert_config_error ("[account]\nurl=imaps://h\ntls=ssl\nuser=u\n",
                       "settings: [account] tls: \"ssl\" is not implicit, starttls or none");
  assert_config_error ("[account]\nurl=imaps://h\ntls=\nuser=u\n",
                       "settings: [account] tls: \"\" is not implicit, starttls or none");
}

static void
test_url (void)
{
  g_autoptr(SsConfig) slash = NULL;
  g_autoptr(SsConfig) v6 = NULL;

  assert_bad_values (BAD_URL);
  assert_config_error ("[account]\nuser=u\n",
                       "settings: [account] url: missing "
                       "(imaps://host[:port] or imap://host[:port])");
  assert_config_error ("[account]\nurl=imaps://h\n",
                       "settings: [account] user: missing (the IMAP login name)");
  assert_config_error ("[account]\nurl=imaps://h\nuser=\n",
                       "settings: [account] user: missing (the IMAP login name)");
  assert_config_error ("", "settings: [account] url: missing "
                       "(imaps://host[:port] or imap://host[:port])");

  slash = load_ok ("[account]\nurl=IMAPS://Host.Example/\nuser=u\n");
  g_assert_cmpstr (slash->host, ==, "host.example");
  g_assert_cmpuint (slash->port, ==, 993);
  v6 = load_ok ("[account]\nurl=imap://[::1]:1143\nuser=u\n");
  g_assert_cmpstr (v6->host, ==, "::1");
  g_assert_cmpuint (v6->port, ==, 1143);
}

static void
test_paths (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-config-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *expected_ca = NULL;
  g_autofree char *home_secret = NULL;
  g_autoptr(SsConfig) config = NULL;
  g_autoptr(SsConfig) tilde = NULL;
  g_autoptr(SsConfig) empty = NULL;

  g_assert_no_error (error);
  path = g_build_filename (dir, "spamsieve.conf", NULL);
  g_assert_true (g_file_set_contents (path,
                                      ACCOUNT "password-file=secret   # next to this file\n"
                                      "ca-file=certs/../ca.pem\n", -1, &error));
  g_assert_no_error (error);

  config = ss_config_load_file (path, &error);
  g_assert_no_error (error);
  expected = g_build_filename (dir, "secret", NULL);
  expected_ca = g_build_filename (dir, "ca.pem", NULL);
  g_assert_cmpstr (config->password_file, ==, expected);
  g_assert_cmpstr (config->ca_file, ==, expected_ca);

  tilde = load_ok (ACCOUNT "password-file=~/.config/spamsieve/secret\nca-file=/etc/ca.pem\n");
  home_secret = g_build_filename (g_get_home_dir (), ".config/spamsieve/secret", NULL);
  g_assert_cmpstr (tilde->password_file, ==, home_secret);
  g_assert_cmpstr (tilde->ca_file, ==, "/etc/ca.pem");

  empty = load_ok (ACCOUNT "password-file=\nca-file=\n");
  g_assert_null (empty->password_file);
  g_assert_null (empty->ca_file);

  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_load_file_missing (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsConfig) config = ss_config_load_file ("/nonexistent/spamsieve.conf", &error);

  g_assert_null (config);
  g_assert_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG);
  g_assert_true (g_str_has_prefix (error->message, "settings: "));
  g_assert_nonnull (strstr (error->message, "/nonexistent/spamsieve.conf"));
}

static void
assert_learning_folders (const SsConfig *c,
                         const char     *spam_folder,
                         const char     *false_positives,
                         const char     *false_negatives)
{
  g_autofree char *fp = ss_config_dup_false_positives (c, spam_folder);
  g_autofree char *fn = ss_config_dup_false_negatives (c, spam_folder);

  g_assert_cmpstr (fp, ==, false_positives);
  g_assert_cmpstr (fn, ==, false_negatives);
}

/* Unset learning folders live under the spam folder in use; set ones stay as written. */
static void
test_learning_folders (void)
{
  g_autoptr(SsConfig) unset = load_ok (ACCOUNT "[folders]\nspam=Junk\nfalse-positives=\n");
  g_autoptr(SsConfig) one_set = load_ok (ACCOUNT "[folders]\nfalse-positives=Not Spam\n");

  assert_learning_folders (unset, "Junk", "Junk/False Positives", "Junk/False Negatives");
  assert_learning_folders (unset, "[Gmail]/Spam", "[Gmail]/Spam/False Positives",
                           "[Gmail]/Spam/False Negatives");
  assert_learning_folders (one_set, "Spam", "Not Spam", "Spam/False Negatives");
  /* The derived names take part in "must differ". */
  assert_config_error (ACCOUNT "[folders]\nspam=Junk\nunfiltered=Junk/False Negatives\n",
                       "settings: [folders] false-negatives: same folder as unfiltered "
                       "(\"Junk/False Negatives\"); the five folders must differ");
}

static void
test_folders (void)
{
  g_autoptr(SsConfig) utf8 = load_ok (ACCOUNT "[folders]\nspam=Spam/Unerwünscht\n"
                                      "false-positives=Archiv/Fälschlich\n");

  g_assert_cmpstr (utf8->folder_spam, ==, "Spam/Unerwünscht");
  g_assert_false (ss_config_is_in_place (utf8));
  {
    g_autoptr(SsConfig) in_place = load_ok (ACCOUNT "[folders]\nunfiltered=inbox\n");
    g_autoptr(SsConfig) in_place2 = load_ok (ACCOUNT "[folders]\nunfiltered=Mail\n"
                                             "inbox=Mail\n[filter]\nfirst-scan-days=30\n");
    /* inbox = unfiltered the other way round: filtering Unfiltered in place. */
    g_autoptr(SsConfig) in_place3 = load_ok (ACCOUNT "[folders]\ninbox=Unfiltered\n");

    g_assert_true (ss_config_is_in_place (in_place));
    g_assert_cmpuint (in_place->first_scan_days, ==, 7);
    g_assert_true (ss_config_is_in_place (in_place2));
    g_assert_cmpuint (in_place2->first_scan_days, ==, 30);
    g_assert_true (ss_config_is_in_place (in_place3));
  }
  /* unfiltered = inbox is in-place mode; every other pair must still differ. */
  assert_config_error (ACCOUNT "[folders]\nunfiltered=INBOX\nspam=inbox\n",
                       "settings: [folders] spam: same folder as unfiltered (\"inbox\"); "
                       "the five folders must differ");
  assert_config_error (ACCOUNT "[folders]\nunfiltered=INBOX\nspam=Junk\n"
                       "false-positives=Junk\n",
                       "settings: [folders] false-positives: same folder as spam (\"Junk\"); "
                       "the five folders must differ");
  /* An empty spam may become "Spam". */
  assert_config_error (ACCOUNT "[folders]\nunfiltered=Spam\n",
                       "settings: [folders] spam: same folder as unfiltered (\"Spam\"); "
                       "the five folders must differ");
  assert_config_error (ACCOUNT "[folders]\nfalse-negatives=Spam/False Positives\n",
                       "settings: [folders] false-negatives: same folder as false-positives "
                       "(\"Spam/False Positives\"); the five folders must differ");
  assert_config_error (ACCOUNT "[folders]\ninbox=\n",
                       "settings: [folders] inbox: must not be empty");
  assert_config_error (ACCOUNT "[folders]\nspam=/Spam\n",
                       "settings: [folders] spam: \"/Spam\" must not start or end with \"/\"");
  assert_config_error (ACCOUNT "[folders]\nunfiltered=Todo/\n",
                       "settings: [folders] unfiltered: \"Todo/\" "
                       "must not start or end with \"/\"");
  assert_config_error (ACCOUNT "[folders]\nfalse-positives=Spam//FP\n",
                       "settings: [folders] false-positives: \"Spam//FP\" must not contain \"//\"");
  /* GKeyFile escapes can smuggle in a line break. */
  assert_config_error (ACCOUNT "[folders]\ninbox=IN\\nBOX\n",
                       "settings: [folders] inbox: \"IN\\x0aBOX\" contains a control character");
  assert_config_error (ACCOUNT "[folders]\ninbox=IN\\rBOX\n",
                       "settings: [folders] inbox: \"IN\\x0dBOX\" contains a control character");
}

static void
test_spamd_address (void)
{
  const char *good[] = { "127.0.0.1:783", "spamd.example:783", "[::1]:783", "unix:/run/s.sock" };
  g_autoptr(SsConfig) empty = load_ok (ACCOUNT "[spamd]\naddress=\n");

  g_assert_null (empty->spamd_address);
  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autofree char *text = g_strdup_printf (ACCOUNT "[spamd]\naddress=%s\n", good[i]);
      g_autoptr(SsConfig) config = load_ok (text);

      g_assert_cmpstr (config->spamd_address, ==, good[i]);
    }
  assert_bad_values (BAD_SPAMD_ADDRESS);
}

/* The keyring's "server", and back to a url as the setup dialog does: IPv6 keeps its brackets. */
static void
test_dup_server (void)
{
  const struct { const char *url; SsTlsMode tls; const char *server; } cases[] = {
    { "imaps://Mail.Example.org", SS_TLS_IMPLICIT, "mail.example.org" },
    { "imaps://mail.example.org:993", SS_TLS_IMPLICIT, "mail.example.org" },
    { "imaps://mail.example.org:1993", SS_TLS_IMPLICIT, "mail.example.org:1993" },
    { "imap://mail.example.org", SS_TLS_STARTTLS, "mail.example.org" },
    { "imap://mail.example.org:143", SS_TLS_NONE, "mail.example.org" },
    { "imap://mail.example.org:993", SS_TLS_STARTTLS, "mail.example.org:993" },
    { "imap://127.0.0.1:14343", SS_TLS_STARTTLS, "127.0.0.1:14343" },
    { "imaps://[::1]", SS_TLS_IMPLICIT, "[::1]" },
    { "imaps://[::1]:1993", SS_TLS_IMPLICIT, "[::1]:1993" },
    { "imap://[fe80::1]:1143", SS_TLS_STARTTLS, "[fe80::1]:1143" },
  };
  g_autofree char *whole = ss_config_url_for_server ("imap://h:1143", SS_TLS_IMPLICIT);

  g_assert_cmpstr (whole, ==, "imap://h:1143");
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strdup_printf ("[account]\nurl=%s\ntls=%s\nuser=u\n",
                                               cases[i].url, ss_config_tls_nick (cases[i].tls));
      g_autoptr(SsConfig) config = load_ok (text);
      g_autofree char *server = ss_config_dup_server (config);
      g_autoptr(SsConfig) again = ss_config_new_default ();
      g_autoptr(GError) error = NULL;
      g_autofree char *server_again = NULL;

      g_assert_cmpstr (server, ==, cases[i].server);
      again->url = ss_config_url_for_server (server, cases[i].tls);
      g_assert_true (ss_config_parse_url (again, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (again->host, ==, config->host);
      g_assert_cmpuint (again->port, ==, config->port);
      server_again = ss_config_dup_server (again);
      g_assert_cmpstr (server_again, ==, server);
    }
}

static guint64
number_of (GVariant *value)
{
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
    return g_variant_get_uint64 (value);
  return g_variant_get_uint32 (value);
}

/* One schema key against its table row: type and default (through the GVariant mapping the app
 * uses, both ways), then the range. */
static void
assert_schema_key (GSettingsSchemaKey *schema_key,
                   const SsConfigKey  *key)
{
  g_autoptr(SsConfig) defaults = ss_config_new_default ();
  g_autoptr(SsConfig) from_schema = ss_config_new_default ();
  g_autoptr(GVariant) fallback = g_settings_schema_key_get_default_value (schema_key);
  g_autoptr(GVariant) table_default = g_variant_ref_sink (ss_config_get_variant (defaults, key));
  g_autoptr(GVariant) range = g_settings_schema_key_get_range (schema_key);
  g_autoptr(GVariant) allowed = NULL;
  g_autoptr(GVariant) min = NULL;
  g_autoptr(GVariant) max = NULL;
  const char *range_type;

  g_assert_true (g_variant_equal (fallback, table_default));
  g_assert_true (ss_config_set_variant (from_schema, key, fallback));
  g_variant_get (range, "(&sv)", &range_type, &allowed);
  switch (key->kind)
    {
    case SS_CONFIG_TLS:
      g_assert_cmpstr (range_type, ==, "enum");
      g_assert_cmpuint (g_variant_n_children (allowed), ==, SS_TLS_NONE + 1);
      break;
    case SS_CONFIG_UINT:
    case SS_CONFIG_UINT64:
      g_assert_cmpstr (range_type, ==, "range");
      min = g_variant_get_child_value (allowed, 0);
      max = g_variant_get_child_value (allowed, 1);
      g_assert_cmpuint (number_of (min), ==, key->min);
      g_assert_cmpuint (number_of (max), ==, key->max);
      break;
    case SS_CONFIG_TEXT:
    case SS_CONFIG_OPTIONAL:
    case SS_CONFIG_PATH:
    case SS_CONFIG_BOOL:
    default:
      g_assert_cmpstr (range_type, ==, "type");
      break;
    }
}

/* The enum's nicks carry SsTlsMode's values. */
static void
assert_schema_tls (GSettingsSchema *schema)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  /* The Account schema is relocatable: any account's path. */
  g_autoptr(GSettings) settings = g_settings_new_full (schema, backend,
                                                       g_settings_schema_get_path (schema) != NULL
                                                       ? NULL
                                                       : "/org/example/SpamSieve/accounts/t/");

  for (SsTlsMode tls = SS_TLS_IMPLICIT; tls <= SS_TLS_NONE; tls++)
    {
      g_autofree char *nick = NULL;

      g_assert_true (g_settings_set_enum (settings, "tls", tls));
      nick = g_settings_get_string (settings, "tls");
      g_assert_cmpstr (nick, ==, ss_config_tls_nick (tls));
    }
}

/* The schemas compiled in the build's data/, or NULL (built without the GUI). */
static GSettingsSchemaSource *
open_built_schemas (void)
{
  const char *dir = g_getenv ("GSETTINGS_SCHEMA_DIR");

  if (dir == NULL)
    return NULL;
  return g_settings_schema_source_new_from_directory (dir, NULL, TRUE, NULL);
}

static gboolean
table_has_gsettings_key (const char *name)
{
  gsize n_keys;
  const SsConfigKey *keys = ss_config_get_keys (&n_keys);

  for (gsize i = 0; i < n_keys; i++)
    if (g_strcmp0 (keys[i].gsettings_key, name) == 0)
      return TRUE;
  g_test_message ("schema key %s is not in the key table", name);
  return FALSE;
}

/* One schema says what the key table says, key for key; besides the table's keys it has
 * exactly the app's own extra (NULL-terminated). */
static void
assert_schema_matches_table (GSettingsSchema   *schema,
                             const char *const *extra)
{
  g_auto(GStrv) names = NULL;
  gsize n_keys;
  const SsConfigKey *keys = ss_config_get_keys (&n_keys);
  guint n_gsettings = 0;

  for (gsize i = 0; i < n_keys; i++)
    {
      const char *name = keys[i].gsettings_key;
      g_autoptr(GSettingsSchemaKey) schema_key = NULL;

      if (name == NULL)
        continue;
      g_test_message ("schema key %s", name);
      g_assert_true (g_settings_schema_has_key (schema, name));
      schema_key = g_settings_schema_get_key (schema, name);
      assert_schema_key (schema_key, &keys[i]);
      n_gsettings++;
    }
  assert_schema_tls (schema);

  /* No schema key the table lacks, but the extra ones. */
  names = g_settings_schema_list_keys (schema);
  for (guint i = 0; names[i] != NULL; i++)
    g_assert_true (g_strv_contains (extra, names[i]) || table_has_gsettings_key (names[i]));
  g_assert_cmpuint (g_strv_length (names), ==, n_gsettings + g_strv_length ((GStrv) extra));
}

/* The first account's schema (fixed path) and a further account's (relocatable) both carry
 * the table's keys: the second is a copy of the first, not "extends" (test_gschema_accounts). */
static void
test_gschema (void)
{
  g_autoptr(GSettingsSchemaSource) source = open_built_schemas ();
  g_autoptr(GSettingsSchema) first = NULL;
  g_autoptr(GSettingsSchema) account = NULL;

  if (source == NULL)
    {
      g_test_skip ("no compiled schema (built without the GUI)");
      return;
    }
  first = g_settings_schema_source_lookup (source, "org.example.SpamSieve", FALSE);
  g_assert_nonnull (first);
  g_assert_cmpstr (g_settings_schema_get_path (first), ==, "/org/example/SpamSieve/");
  assert_schema_matches_table (first, (const char *const[]) { "paused", "accounts", NULL });
  account = g_settings_schema_source_lookup (source, "org.example.SpamSieve.Account", FALSE);
  g_assert_nonnull (account);
  g_assert_null (g_settings_schema_get_path (account));
  assert_schema_matches_table (account, (const char *const[]) { "paused", NULL });
}

static void
count_changed (GSettings  *settings,
               const char *key,
               guint      *n)
{
  (*n)++;
}

/* Further accounts live at /org/example/SpamSieve/accounts/ID/ and share no key with the first;
 * a change of the first's keys made elsewhere (gsettings set) is announced to the app. */
static void
test_gschema_accounts (void)
{
  g_autoptr(GSettingsSchemaSource) source = open_built_schemas ();
  g_autoptr(GSettingsSchema) main_schema = NULL;
  g_autoptr(GSettingsSchema) account = NULL;
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(GSettings) first = NULL;
  g_autoptr(GSettings) elsewhere = NULL;
  g_autoptr(GSettings) second = NULL;
  g_autofree char *user = NULL;
  guint n_changed = 0;

  if (source == NULL)
    {
      g_test_skip ("no compiled schema (built without the GUI)");
      return;
    }
  main_schema = g_settings_schema_source_lookup (source, "org.example.SpamSieve", FALSE);
  account = g_settings_schema_source_lookup (source, "org.example.SpamSieve.Account", FALSE);
  g_assert_nonnull (main_schema);
  g_assert_nonnull (account);

  first = g_settings_new_full (main_schema, backend, NULL);
  elsewhere = g_settings_new_full (main_schema, backend, NULL);
  second = g_settings_new_full (account, backend, "/org/example/SpamSieve/accounts/a2/");
  g_signal_connect (first, "changed", G_CALLBACK (count_changed), &n_changed);
  g_settings_set_string (elsewhere, "user", "ann");
  g_settings_set_string (second, "user", "bob");
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (n_changed, ==, 1);
  user = g_settings_get_string (first, "user");
  g_assert_cmpstr (user, ==, "ann");
}

/* The app fills the struct from GSettings and calls validate. */
static void
test_validate (void)
{
  g_autoptr(SsConfig) config = ss_config_new_default ();
  g_autoptr(GError) error = NULL;
  g_autofree char *server = NULL;

  config->url = g_strdup ("imaps://mail.example.org:2993");
  config->user = g_strdup ("ann");
  config->spamd_address = g_strdup ("");
  g_assert_true (ss_config_validate (config, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (config->host, ==, "mail.example.org");
  g_assert_cmpuint (config->port, ==, 2993);
  g_assert_null (config->spamd_address);
  server = ss_config_dup_server (config);
  g_assert_cmpstr (server, ==, "mail.example.org:2993");

  config->spamd_parallel = 0;
  g_assert_false (ss_config_validate (config, &error));
  g_assert_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG);
  g_assert_cmpstr (error->message, ==, "settings: [spamd] parallel: \"0\" is out of range (1–64)");
  g_clear_error (&error);

  config->spamd_parallel = 4;
  config->tls = SS_TLS_NONE;
  g_assert_false (ss_config_validate (config, &error));
  g_assert_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_CONFIG);
  g_clear_error (&error);

  config->tls = SS_TLS_IMPLICIT;
  config->password_file = g_strdup ("relative/secret");
  g_assert_false (ss_config_validate (config, &error));
  g_assert_cmpstr (error->message, ==,
                   "settings: [account] password-file: must be an absolute path");
}

static void
test_copy (void)
{
  g_autoptr(SsConfig) config = load_ok (example);
  g_autoptr(SsConfig) copy = ss_config_copy (config);

  gsize n_keys;
  const SsConfigKey *keys = ss_config_get_keys (&n_keys);

  /* A deep copy: every key of the table has the same value, strings are not shared. */
  g_assert_true (copy->url != config->url);
  g_assert_cmpstr (copy->host, ==, config->host);
  g_assert_cmpuint (copy->port, ==, config->port);
  for (gsize i = 0; i < n_keys; i++)
    {
      g_autoptr(GVariant) a = ss_config_get_variant (config, &keys[i]);
      g_autoptr(GVariant) b = ss_config_get_variant (copy, &keys[i]);

      g_assert_true (g_variant_equal (a, b));
    }
  ss_config_free (NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/config/example", test_example);
  g_test_add_func ("/config/defaults", test_defaults);
  g_test_add_func ("/config/comments", test_comments);
  g_test_add_func ("/config/numbers", test_numbers);
  g_test_add_func ("/config/unknown", test_unknown);
  g_test_add_func ("/config/nul-byte", test_nul_byte);
  g_test_add_func ("/config/duplicate", test_duplicate);
  g_test_add_func ("/config/password-refused", test_password_refused);
  g_test_add_func ("/config/tls", test_tls);
  g_test_add_func ("/config/url", test_url);
  g_test_add_func ("/config/paths", test_paths);
  g_test_add_func ("/config/load-file-missing", test_load_file_missing);
  g_test_add_func ("/config/folders", test_folders);
  g_test_add_func ("/config/learning-folders", test_learning_folders);
  g_test_add_func ("/config/spamd-address", test_spamd_address);
  g_test_add_func ("/config/dup-server", test_dup_server);
  g_test_add_func ("/config/gschema", test_gschema);
  g_test_add_func ("/config/gschema-accounts", test_gschema_accounts);
  g_test_add_func ("/config/validate", test_validate);
  g_test_add_func ("/config/copy", test_copy);
  g_test_add_func ("/config/booleans", test_booleans);

  return g_test_run ();
}
